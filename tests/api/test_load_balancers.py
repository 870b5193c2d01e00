"""Elastic Load Balancing (ELBv2) at the same endpoint: Network and Gateway Load Balancers,
target groups, listeners, targets, attributes and tags (issue 13), with boto3's elbv2 client
and the aws CLI. Behaviour is AWS's API reference for Elastic Load Balancing (2015-12-01);
the nodes as requester-managed interfaces are the PrivateLink guides' provider side (SVC-01).
"""
import re

import pytest
from botocore.exceptions import ClientError

from helpers import ACCOUNT_ID, assert_error


@pytest.fixture
def net(ec2):
    """A VPC with an internet gateway and two subnets in two zones."""
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    return {"vpc": vpc, "igw": igw, "a": a, "b": b}


def nlb(elbv2, net, name="web", **kw):
    kw.setdefault("Subnets", [net["a"], net["b"]])
    return elbv2.create_load_balancer(Name=name, Type="network", **kw)["LoadBalancers"][0]


def tg(elbv2, net, name="web-tg", **kw):
    kw.setdefault("Protocol", "TCP")
    kw.setdefault("Port", 80)
    return elbv2.create_target_group(Name=name, VpcId=net["vpc"], **kw)["TargetGroups"][0]


def unvalidated(endpoint):
    """An elbv2 client that sends what botocore would refuse itself, so the server's checks answer."""
    import boto3
    import botocore.config
    return boto3.client("elbv2", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1}))


def run_instance(ec2, subnet):
    return ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, InstanceType="t3.micro",
                             SubnetId=subnet)["Instances"][0]["InstanceId"]


# ---------------------------------------------------------------- load balancers

def test_create_network_load_balancer_shape_arn_dns_and_nodes(ec2, elbv2, net):
    lb = nlb(elbv2, net)
    # ARN and DNS name as AWS forms them: loadbalancer/net/NAME/ID and NAME-ID.elb.REGION.amazonaws.com
    m = re.fullmatch(rf"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT_ID}:loadbalancer/net/web/([0-9a-f]{{16}})",
                     lb["LoadBalancerArn"])
    assert m, lb["LoadBalancerArn"]
    assert lb["DNSName"] == f"web-{m.group(1)}.elb.us-east-1.amazonaws.com"
    assert lb["CanonicalHostedZoneId"] == "Z26RNL4JYFTOTI"
    assert lb["State"]["Code"] == "provisioning"
    assert lb["Scheme"] == "internet-facing" and lb["Type"] == "network" and lb["IpAddressType"] == "ipv4"
    assert lb["VpcId"] == net["vpc"]
    assert sorted(z["ZoneName"] for z in lb["AvailabilityZones"]) == ["us-east-1a", "us-east-1b"]
    # The waiter succeeds: Describe says active after the create.
    elbv2.get_waiter("load_balancer_available").wait(LoadBalancerArns=[lb["LoadBalancerArn"]],
                                                     WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    # Its nodes are requester-managed interfaces, described "ELB net/NAME/ID", one per subnet,
    # with a public address each (internet-facing).
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "description", "Values": [f"ELB net/web/{m.group(1)}"]}])["NetworkInterfaces"]
    assert sorted(e["SubnetId"] for e in enis) == sorted([net["a"], net["b"]])
    for e in enis:
        assert e["RequesterManaged"] is True
        assert e["InterfaceType"] == "network_load_balancer"
        assert e["Association"]["PublicIp"].startswith("198.51.100.")
    addresses = {z["LoadBalancerAddresses"][0]["IpAddress"] for z in
                 elbv2.describe_load_balancers()["LoadBalancers"][0]["AvailabilityZones"]}
    assert addresses == {e["Association"]["PublicIp"] for e in enis}


def test_node_interfaces_cannot_be_deleted_and_hold_subnet_and_vpc(ec2, elbv2, net):
    lb = nlb(elbv2, net)
    eni = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [net["a"]]}])["NetworkInterfaces"][0]
    assert_error("OperationNotPermitted", ec2.delete_network_interface, NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert_error("DependencyViolation", ec2.delete_subnet, SubnetId=net["a"])
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [net["a"]]}])["NetworkInterfaces"] == []
    ec2.delete_subnet(SubnetId=net["a"])
    elbv2.get_waiter("load_balancers_deleted").wait(LoadBalancerArns=[lb["LoadBalancerArn"]],
                                                    WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def test_internal_nlb_with_chosen_private_addresses(ec2, elbv2, net):
    lb = nlb(elbv2, net, Scheme="internal", Subnets=[],
             SubnetMappings=[{"SubnetId": net["a"], "PrivateIPv4Address": "10.20.1.100"}, {"SubnetId": net["b"]}])
    addrs = {z["SubnetId"]: z["LoadBalancerAddresses"][0] for z in lb["AvailabilityZones"]}
    assert addrs[net["a"]]["PrivateIPv4Address"] == "10.20.1.100"
    assert "IpAddress" not in addrs[net["a"]]
    enis = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [net["b"]]}])["NetworkInterfaces"]
    assert enis[0]["PrivateIpAddress"] == addrs[net["b"]]["PrivateIPv4Address"]
    assert "Association" not in enis[0]
    # A private address outside the subnet is refused.
    assert_error("InvalidConfigurationRequest", elbv2.create_load_balancer, Name="x", Type="network", Scheme="internal",
                 SubnetMappings=[{"SubnetId": net["a"], "PrivateIPv4Address": "10.20.2.7"}])


def test_elastic_ip_per_subnet_for_internet_facing(ec2, elbv2, net):
    alloc = ec2.allocate_address(Domain="vpc")
    lb = nlb(elbv2, net, Subnets=[], SubnetMappings=[{"SubnetId": net["a"], "AllocationId": alloc["AllocationId"]}])
    z = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]
    assert z == {"IpAddress": alloc["PublicIp"], "AllocationId": alloc["AllocationId"]}
    assoc = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    assert assoc["NetworkInterfaceOwnerId"] and assoc["NetworkInterfaceId"].startswith("eni-")
    # The same address for a second load balancer: already associated.
    assert_error("InvalidConfigurationRequest", elbv2.create_load_balancer, Name="second", Type="network",
                 SubnetMappings=[{"SubnetId": net["b"], "AllocationId": alloc["AllocationId"]}])
    assert_error("AllocationIdNotFound", elbv2.create_load_balancer, Name="third", Type="network",
                 SubnetMappings=[{"SubnetId": net["b"], "AllocationId": "eipalloc-0123456789abcdef0"}])
    # Deleting the load balancer disassociates the Elastic IP, which stays allocated.
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]


def test_create_load_balancer_validation(ec2, elbv2, net):
    for bad in ["-web", "web-", "a" * 33, "web_1", "internal-web"]:
        assert_error("ValidationError", elbv2.create_load_balancer, Name=bad, Type="network", Subnets=[net["a"]])
    assert_error("ValidationError", elbv2.create_load_balancer, Name="x", Type="network")  # no subnet
    assert_error("ValidationError", elbv2.create_load_balancer, Name="x", Type="classic", Subnets=[net["a"]])
    assert_error("SubnetNotFound", elbv2.create_load_balancer, Name="x", Type="network",
                 Subnets=["subnet-0123456789abcdef0"])
    other = ec2.create_subnet(VpcId=net["vpc"], CidrBlock="10.20.3.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    assert_error("InvalidConfigurationRequest", elbv2.create_load_balancer, Name="x", Type="network",
                 Subnets=[net["a"], other])  # two subnets of one zone
    vpc2 = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    s2 = ec2.create_subnet(VpcId=vpc2, CidrBlock="10.30.1.0/24", AvailabilityZone="us-east-1c")["Subnet"]["SubnetId"]
    assert_error("InvalidConfigurationRequest", elbv2.create_load_balancer, Name="x", Type="network",
                 Subnets=[net["a"], s2])  # two VPCs
    assert_error("InvalidSubnet", elbv2.create_load_balancer, Name="x", Type="network", Subnets=[s2])  # no IGW
    elbv2.create_load_balancer(Name="x", Type="network", Scheme="internal", Subnets=[s2])  # internal needs none
    assert_error("InvalidSecurityGroup", elbv2.create_load_balancer, Name="y", Type="network", Subnets=[net["a"]],
                 SecurityGroups=["sg-0123456789abcdef0"])
    # Application Load Balancers (the API's default type) are refused, not pretended.
    assert_error("InvalidConfigurationRequest", elbv2.create_load_balancer, Name="alb", Subnets=[net["a"], net["b"]])


def test_create_is_idempotent_by_name_and_duplicates_with_other_settings(elbv2, net):
    first = nlb(elbv2, net)
    again = nlb(elbv2, net)
    assert again["LoadBalancerArn"] == first["LoadBalancerArn"]
    assert_error("DuplicateLoadBalancerName", elbv2.create_load_balancer, Name="web", Type="network",
                 Scheme="internal", Subnets=[net["a"], net["b"]])
    assert len(elbv2.describe_load_balancers()["LoadBalancers"]) == 1


def test_describe_load_balancers_by_name_arn_and_paging(elbv2, net):
    arns = [nlb(elbv2, net, name=f"lb{i}", Scheme="internal")["LoadBalancerArn"] for i in range(5)]
    by_name = elbv2.describe_load_balancers(Names=["lb3"])["LoadBalancers"]
    assert [lb["LoadBalancerArn"] for lb in by_name] == [arns[3]]
    err = assert_error("LoadBalancerNotFound", elbv2.describe_load_balancers, Names=["nope"])
    assert "nope" in err.response["Error"]["Message"]
    assert_error("LoadBalancerNotFound", elbv2.describe_load_balancers,
                 LoadBalancerArns=[arns[0].rsplit("/", 1)[0] + "/0000000000000000"])
    assert_error("ValidationError", elbv2.describe_load_balancers, LoadBalancerArns=["arn:aws:ec2:nope"])
    seen = []
    page = elbv2.describe_load_balancers(PageSize=2)
    seen += page["LoadBalancers"]
    while "NextMarker" in page:
        page = elbv2.describe_load_balancers(PageSize=2, Marker=page["NextMarker"])
        seen += page["LoadBalancers"]
    assert sorted(lb["LoadBalancerArn"] for lb in seen) == sorted(arns)
    paginated = [lb for p in elbv2.get_paginator("describe_load_balancers").paginate(PaginationConfig={"PageSize": 2})
                 for lb in p["LoadBalancers"]]
    assert len(paginated) == 5


def test_attributes_defaults_modify_and_deletion_protection(elbv2, net):
    arn = nlb(elbv2, net)["LoadBalancerArn"]
    attrs = {a["Key"]: a["Value"] for a in elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]}
    assert attrs["load_balancing.cross_zone.enabled"] == "false"  # off by default for NLBs
    assert attrs["deletion_protection.enabled"] == "false"
    out = elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "true"},
        {"Key": "load_balancing.cross_zone.enabled", "Value": "true"}])["Attributes"]
    assert {"Key": "deletion_protection.enabled", "Value": "true"} in out
    assert_error("OperationNotPermitted", elbv2.delete_load_balancer, LoadBalancerArn=arn)
    assert_error("InvalidConfigurationRequest", elbv2.modify_load_balancer_attributes, LoadBalancerArn=arn,
                 Attributes=[{"Key": "no.such.attribute", "Value": "1"}])
    assert_error("InvalidConfigurationRequest", elbv2.modify_load_balancer_attributes, LoadBalancerArn=arn,
                 Attributes=[{"Key": "deletion_protection.enabled", "Value": "maybe"}])
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
        {"Key": "deletion_protection.enabled", "Value": "false"}])
    elbv2.delete_load_balancer(LoadBalancerArn=arn)
    assert_error("LoadBalancerNotFound", elbv2.delete_load_balancer, LoadBalancerArn=arn)


def test_security_groups_on_network_load_balancers(ec2, elbv2, net):
    sg1 = ec2.create_security_group(GroupName="lb1", Description="x", VpcId=net["vpc"])["GroupId"]
    sg2 = ec2.create_security_group(GroupName="lb2", Description="x", VpcId=net["vpc"])["GroupId"]
    with_groups = nlb(elbv2, net, name="with", SecurityGroups=[sg1])
    assert with_groups["SecurityGroups"] == [sg1]
    eni = ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [sg1]}])["NetworkInterfaces"]
    assert len(eni) == 2  # both nodes carry the group
    out = elbv2.set_security_groups(LoadBalancerArn=with_groups["LoadBalancerArn"], SecurityGroups=[sg2])
    assert out["SecurityGroupIds"] == [sg2]
    assert len(ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [sg2]}])["NetworkInterfaces"]) == 2
    # A group in use by the nodes cannot be deleted.
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=sg2)
    assert_error("InvalidConfigurationRequest", elbv2.set_security_groups,
                 LoadBalancerArn=with_groups["LoadBalancerArn"], SecurityGroups=[])
    without = nlb(elbv2, net, name="without")
    assert "SecurityGroups" not in without
    assert_error("InvalidConfigurationRequest", elbv2.set_security_groups,
                 LoadBalancerArn=without["LoadBalancerArn"], SecurityGroups=[sg1])


def test_set_subnets_adds_a_zone(ec2, elbv2, net):
    lb = nlb(elbv2, net, Subnets=[net["a"]])
    out = elbv2.set_subnets(LoadBalancerArn=lb["LoadBalancerArn"], Subnets=[net["a"], net["b"]])
    assert sorted(z["SubnetId"] for z in out["AvailabilityZones"]) == sorted([net["a"], net["b"]])
    assert len(ec2.describe_network_interfaces(
        Filters=[{"Name": "requester-managed", "Values": ["true"]}])["NetworkInterfaces"]) == 2


def test_gateway_load_balancer(ec2, elbv2, net):
    lb = elbv2.create_load_balancer(Name="gwlb", Type="gateway", Subnets=[net["a"]])["LoadBalancers"][0]
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:us-east-1:\d{12}:loadbalancer/gwy/gwlb/[0-9a-f]{16}",
                        lb["LoadBalancerArn"])
    assert lb["Type"] == "gateway"
    eni = ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [net["a"]]}])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "gateway_load_balancer" and eni["Description"].startswith("ELB gwy/gwlb/")
    assert_error("InvalidConfigurationRequest", elbv2.create_load_balancer, Name="g2", Type="gateway",
                 Scheme="internal", Subnets=[net["b"]])
    group = elbv2.create_target_group(Name="appliances", Protocol="GENEVE", Port=6081, VpcId=net["vpc"])["TargetGroups"][0]
    assert group["HealthCheckProtocol"] == "TCP" and group["HealthCheckPort"] == "80"
    assert group["HealthCheckIntervalSeconds"] == 10 and group["HealthCheckTimeoutSeconds"] == 5
    assert_error("ValidationError", elbv2.create_target_group, Name="bad", Protocol="GENEVE", Port=6082, VpcId=net["vpc"])
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])["Listeners"][0]
    assert "Port" not in listener and "Protocol" not in listener
    assert_error("ValidationError", elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP",
                 Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    attrs = {a["Key"]: a["Value"] for a in
             elbv2.describe_target_group_attributes(TargetGroupArn=group["TargetGroupArn"])["Attributes"]}
    assert attrs["stickiness.type"] == "source_ip_dest_ip_proto"
    assert attrs["target_failover.on_unhealthy"] == "no_rebalance"
    elbv2.modify_target_group_attributes(TargetGroupArn=group["TargetGroupArn"], Attributes=[
        {"Key": "stickiness.enabled", "Value": "true"}, {"Key": "stickiness.type", "Value": "five_tuple"}])
    assert_error("InvalidConfigurationRequest", elbv2.modify_target_group_attributes,
                 TargetGroupArn=group["TargetGroupArn"], Attributes=[{"Key": "stickiness.type", "Value": "source_ip"}])


# ---------------------------------------------------------------- target groups

def test_target_group_defaults_shape_and_health_check_rules(endpoint, elbv2, net):
    group = tg(elbv2, net)
    assert re.fullmatch(rf"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT_ID}:targetgroup/web-tg/[0-9a-f]{{16}}",
                        group["TargetGroupArn"])
    assert group["TargetType"] == "instance"
    assert group["HealthCheckProtocol"] == "TCP" and group["HealthCheckPort"] == "traffic-port"
    assert (group["HealthCheckIntervalSeconds"], group["HealthCheckTimeoutSeconds"]) == (30, 10)
    assert (group["HealthyThresholdCount"], group["UnhealthyThresholdCount"]) == (5, 2)
    assert group["LoadBalancerArns"] == []
    http = tg(elbv2, net, name="http-check", HealthCheckProtocol="HTTP", HealthCheckPath="/health")
    assert http["Matcher"] == {"HttpCode": "200-399"} and http["HealthCheckPath"] == "/health"
    assert http["HealthCheckTimeoutSeconds"] == 6
    raw = unvalidated(endpoint)
    err = assert_error("ValidationError", tg, raw, net, name="x", HealthCheckIntervalSeconds=4)
    assert "Member must have value greater than or equal to 5" in err.response["Error"]["Message"]
    assert_error("ValidationError", tg, raw, net, name="x", HealthyThresholdCount=11)
    assert_error("InvalidConfigurationRequest", tg, elbv2, net, name="x", HealthCheckIntervalSeconds=10,
                 HealthCheckTimeoutSeconds=10)
    assert_error("InvalidConfigurationRequest", tg, elbv2, net, name="x", HealthCheckPath="/x")  # TCP check
    assert_error("ValidationError", elbv2.create_target_group, Name="x", Protocol="TCP", Port=80, VpcId="vpc-0123456789abcdef0")
    assert_error("ValidationError", elbv2.create_target_group, Name="x", Protocol="SCTP", Port=80, VpcId=net["vpc"])
    assert_error("DuplicateTargetGroupName", tg, elbv2, net, Port=81)
    assert tg(elbv2, net)["TargetGroupArn"] == group["TargetGroupArn"]  # same settings: the same group
    modified = elbv2.modify_target_group(TargetGroupArn=group["TargetGroupArn"], HealthCheckIntervalSeconds=10,
                                         HealthCheckTimeoutSeconds=5, HealthyThresholdCount=2)["TargetGroups"][0]
    assert (modified["HealthCheckIntervalSeconds"], modified["HealthyThresholdCount"]) == (10, 2)


def test_target_group_attributes(elbv2, net):
    inst = tg(elbv2, net)
    ip = tg(elbv2, net, name="ip-tg", TargetType="ip")
    udp = tg(elbv2, net, name="udp-tg", Protocol="UDP", TargetType="ip")

    def attrs(g):
        return {a["Key"]: a["Value"] for a in
                elbv2.describe_target_group_attributes(TargetGroupArn=g["TargetGroupArn"])["Attributes"]}
    assert attrs(inst)["preserve_client_ip.enabled"] == "true"   # instance targets see the client
    assert attrs(ip)["preserve_client_ip.enabled"] == "false"    # ip targets see the node
    assert attrs(udp)["preserve_client_ip.enabled"] == "true"
    assert attrs(inst)["deregistration_delay.timeout_seconds"] == "300"
    assert attrs(inst)["proxy_protocol_v2.enabled"] == "false"
    elbv2.modify_target_group_attributes(TargetGroupArn=ip["TargetGroupArn"], Attributes=[
        {"Key": "proxy_protocol_v2.enabled", "Value": "true"},
        {"Key": "deregistration_delay.timeout_seconds", "Value": "0"},
        {"Key": "preserve_client_ip.enabled", "Value": "true"}])
    assert attrs(ip)["proxy_protocol_v2.enabled"] == "true"
    assert_error("InvalidConfigurationRequest", elbv2.modify_target_group_attributes, TargetGroupArn=ip["TargetGroupArn"],
                 Attributes=[{"Key": "deregistration_delay.timeout_seconds", "Value": "3601"}])
    assert_error("InvalidConfigurationRequest", elbv2.modify_target_group_attributes, TargetGroupArn=udp["TargetGroupArn"],
                 Attributes=[{"Key": "preserve_client_ip.enabled", "Value": "false"}])


def test_register_targets_and_health_without_listener(ec2, elbv2, net):
    group = tg(elbv2, net)
    i1 = run_instance(ec2, net["a"])
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i1}, {"Id": i1, "Port": 8080}])
    health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    assert sorted(h["Target"]["Port"] for h in health) == [80, 8080]
    for h in health:  # not used by a listener yet
        assert h["Target"]["AvailabilityZone"] == "us-east-1a"
        assert h["TargetHealth"]["State"] == "unused" and h["TargetHealth"]["Reason"] == "Target.NotInUse"
    # An instance of another VPC, a stopped one, one that does not exist.
    vpc2 = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    s2 = ec2.create_subnet(VpcId=vpc2, CidrBlock="10.40.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    assert_error("InvalidTarget", elbv2.register_targets, TargetGroupArn=group["TargetGroupArn"],
                 Targets=[{"Id": run_instance(ec2, s2)}])
    assert_error("InvalidTarget", elbv2.register_targets, TargetGroupArn=group["TargetGroupArn"],
                 Targets=[{"Id": "i-0123456789abcdef0"}])
    i2 = run_instance(ec2, net["b"])
    ec2.stop_instances(InstanceIds=[i2])
    assert_error("InvalidTarget", elbv2.register_targets, TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i2}])
    # Deregistered without a listener: nothing to drain, gone at once.
    elbv2.deregister_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i1, "Port": 8080}])
    health = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]
    assert [h["Target"]["Port"] for h in health] == [80]
    assert_error("InvalidTarget", elbv2.deregister_targets, TargetGroupArn=group["TargetGroupArn"],
                 Targets=[{"Id": i1, "Port": 8080}])
    elbv2.get_waiter("target_deregistered").wait(TargetGroupArn=group["TargetGroupArn"],
                                                 Targets=[{"Id": i1, "Port": 8080}],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 2})


def test_ip_targets(elbv2, net):
    group = tg(elbv2, net, TargetType="ip")
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": "10.20.1.10"}])
    # Outside the VPC's subnets, a private range needs the zone "all" (peering, VPN).
    assert_error("ValidationError", elbv2.register_targets, TargetGroupArn=group["TargetGroupArn"],
                 Targets=[{"Id": "192.168.5.5"}])
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"],
                           Targets=[{"Id": "192.168.5.5", "AvailabilityZone": "all"}])
    assert_error("InvalidTarget", elbv2.register_targets, TargetGroupArn=group["TargetGroupArn"],
                 Targets=[{"Id": "8.8.8.8", "AvailabilityZone": "all"}])  # publicly routable
    zones = {h["Target"]["Id"]: h["Target"]["AvailabilityZone"] for h in
             elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]}
    assert zones == {"10.20.1.10": "us-east-1a", "192.168.5.5": "all"}


def test_ipv6_target_groups_need_a_dualstack_load_balancer(ec2, elbv2, net):
    """Elastic Load Balancing: "IPv6 target groups can only be associated with dualstack load
    balancers" (AWS's message: "You cannot associate an IPv6 target group with a load balancer that
    has an 'ipv4' IP address type"); they take ip targets of their family only; a load balancer that
    forwards to one cannot go back to ipv4. ipv6.deny_all_igw_traffic is true for internal load
    balancers and false for internet-facing ones."""
    import ipaddress
    block = ec2.associate_vpc_cidr_block(VpcId=net["vpc"], AmazonProvidedIpv6CidrBlock=True)[
        "Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]
    nets64 = list(ipaddress.ip_network(block).subnets(new_prefix=64))
    for i, key in enumerate(("a", "b")):
        ec2.associate_subnet_cidr_block(SubnetId=net[key], Ipv6CidrBlock=str(nets64[i]))
    lb = nlb(elbv2, net, Scheme="internal")
    group = tg(elbv2, net, TargetType="ip", IpAddressType="ipv6")
    assert group["IpAddressType"] == "ipv6"
    assert_error("ValidationError", elbv2.register_targets, TargetGroupArn=group["TargetGroupArn"],
                 Targets=[{"Id": "10.20.1.10"}])
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": str(nets64[0][10])}])
    err = assert_error("InvalidConfigurationRequest", elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"],
                       Protocol="TCP", Port=80, DefaultActions=[{"Type": "forward",
                                                                 "TargetGroupArn": group["TargetGroupArn"]}])
    assert "'ipv4' IP address type" in str(err)
    elbv2.set_ip_address_type(LoadBalancerArn=lb["LoadBalancerArn"], IpAddressType="dualstack")
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80,
                          DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    assert_error("InvalidConfigurationRequest", elbv2.set_ip_address_type, LoadBalancerArn=lb["LoadBalancerArn"],
                 IpAddressType="ipv4")
    described = elbv2.describe_load_balancers(LoadBalancerArns=[lb["LoadBalancerArn"]])["LoadBalancers"][0]
    assert described["IpAddressType"] == "dualstack"
    assert all(a.get("IPv6Address") for z in described["AvailabilityZones"] for a in z["LoadBalancerAddresses"])

    def deny_igw(arn):
        attrs = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
        return {a["Key"]: a["Value"] for a in attrs}["ipv6.deny_all_igw_traffic"]
    assert deny_igw(lb["LoadBalancerArn"]) == "true"
    public = nlb(elbv2, net, name="public", IpAddressType="dualstack")
    assert deny_igw(public["LoadBalancerArn"]) == "false"
    elbv2.modify_load_balancer_attributes(LoadBalancerArn=public["LoadBalancerArn"], Attributes=[
        {"Key": "ipv6.deny_all_igw_traffic", "Value": "true"}])
    assert deny_igw(public["LoadBalancerArn"]) == "true"


# ---------------------------------------------------------------- listeners

def test_listeners(ec2, elbv2, net):
    lb = nlb(elbv2, net)
    group = tg(elbv2, net)
    udp = tg(elbv2, net, name="udp", Protocol="UDP", Port=53)
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])["Listeners"][0]
    assert re.fullmatch(r"arn:aws:elasticloadbalancing:us-east-1:\d{12}:listener/net/web/[0-9a-f]{16}/[0-9a-f]{16}",
                        listener["ListenerArn"])
    assert listener["DefaultActions"][0]["TargetGroupArn"] == group["TargetGroupArn"]
    assert elbv2.describe_target_groups(TargetGroupArns=[group["TargetGroupArn"]])["TargetGroups"][0][
        "LoadBalancerArns"] == [lb["LoadBalancerArn"]]
    assert [g["TargetGroupArn"] for g in elbv2.describe_target_groups(
        LoadBalancerArn=lb["LoadBalancerArn"])["TargetGroups"]] == [group["TargetGroupArn"]]
    assert_error("DuplicateListener", elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="UDP",
                 Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": udp["TargetGroupArn"]}])
    assert_error("IncompatibleProtocols", elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP",
                 Port=53, DefaultActions=[{"Type": "forward", "TargetGroupArn": udp["TargetGroupArn"]}])
    assert_error("ValidationError", elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TLS",
                 Port=443, DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    assert_error("ValidationError", elbv2.create_listener, LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP",
                 Port=8080, DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    # A target group serves one load balancer.
    other = nlb(elbv2, net, name="other")
    assert_error("TargetGroupAssociationLimit", elbv2.create_listener, LoadBalancerArn=other["LoadBalancerArn"],
                 Protocol="TCP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    # A used target group cannot be deleted.
    assert_error("ResourceInUse", elbv2.delete_target_group, TargetGroupArn=group["TargetGroupArn"])
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="UDP", Port=53, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": udp["TargetGroupArn"]}])
    assert len(elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]) == 2
    assert_error("ValidationError", elbv2.describe_listeners)
    changed = elbv2.modify_listener(ListenerArn=listener["ListenerArn"], Port=8080)["Listeners"][0]
    assert changed["Port"] == 8080 and changed["Protocol"] == "TCP"
    elbv2.delete_listener(ListenerArn=listener["ListenerArn"])
    assert_error("ListenerNotFound", elbv2.describe_listeners, ListenerArns=[listener["ListenerArn"]])
    elbv2.delete_target_group(TargetGroupArn=group["TargetGroupArn"])
    assert_error("TargetGroupNotFound", elbv2.describe_target_groups, TargetGroupArns=[group["TargetGroupArn"]])
    # Deleting the load balancer deletes its listeners.
    elbv2.delete_load_balancer(LoadBalancerArn=lb["LoadBalancerArn"])
    elbv2.delete_target_group(TargetGroupArn=udp["TargetGroupArn"])


def test_health_in_use_and_draining(ec2, elbv2, net):
    lb = nlb(elbv2, net, Subnets=[net["a"]])
    group = tg(elbv2, net)
    i1 = run_instance(ec2, net["a"])
    i2 = run_instance(ec2, net["b"])  # in a zone the load balancer has no node in
    elbv2.register_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i1}, {"Id": i2}])
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    health = {h["Target"]["Id"]: h["TargetHealth"] for h in
              elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"])["TargetHealthDescriptions"]}
    assert health[i1] == {"State": "initial", "Reason": "Elb.RegistrationInProgress",
                          "Description": "Target registration is in progress"}
    assert health[i2]["State"] == "unused" and health[i2]["Reason"] == "Target.NotInUse"
    elbv2.deregister_targets(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i1}])
    h = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i1}])[
        "TargetHealthDescriptions"][0]["TargetHealth"]
    assert h["State"] == "draining" and h["Reason"] == "Target.DeregistrationInProgress"
    ec2.stop_instances(InstanceIds=[i2])
    h = elbv2.describe_target_health(TargetGroupArn=group["TargetGroupArn"], Targets=[{"Id": i2}])[
        "TargetHealthDescriptions"][0]["TargetHealth"]
    assert h["State"] == "unused" and h["Reason"] == "Target.InvalidState"


# ---------------------------------------------------------------- tags, limits, wire

def test_tags_on_all_three_kinds(elbv2, net):
    lb = nlb(elbv2, net, Tags=[{"Key": "team", "Value": "a"}])
    group = tg(elbv2, net)
    listener = elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])["Listeners"][0]
    arns = [lb["LoadBalancerArn"], group["TargetGroupArn"], listener["ListenerArn"]]
    elbv2.add_tags(ResourceArns=arns, Tags=[{"Key": "env", "Value": "prod"}])
    described = {d["ResourceArn"]: {t["Key"]: t["Value"] for t in d["Tags"]}
                 for d in elbv2.describe_tags(ResourceArns=arns)["TagDescriptions"]}
    assert described[lb["LoadBalancerArn"]] == {"team": "a", "env": "prod"}
    assert described[listener["ListenerArn"]] == {"env": "prod"}
    elbv2.remove_tags(ResourceArns=[lb["LoadBalancerArn"]], TagKeys=["team"])
    assert elbv2.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"] == [
        {"Key": "env", "Value": "prod"}]
    assert_error("DuplicateTagKeys", elbv2.add_tags, ResourceArns=[lb["LoadBalancerArn"]],
                 Tags=[{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}])
    assert_error("TooManyTags", elbv2.add_tags, ResourceArns=[lb["LoadBalancerArn"]],
                 Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)])
    assert_error("LoadBalancerNotFound", elbv2.add_tags,
                 ResourceArns=[lb["LoadBalancerArn"].rsplit("/", 1)[0] + "/0000000000000000"], Tags=[{"Key": "a", "Value": "b"}])


def test_quota_on_load_balancers(own_server):
    from conftest import make_client
    own_server.stop()
    own_server.extra_args = ["--quota", "network-load-balancers-per-region=1"]
    own_server.start()
    ec2 = make_client(own_server.endpoint)
    elbv2 = make_client(own_server.endpoint, service="elbv2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]["SubnetId"]
    elbv2.create_load_balancer(Name="one", Type="network", Subnets=[subnet])
    assert_error("TooManyLoadBalancers", elbv2.create_load_balancer, Name="two", Type="network", Subnets=[subnet])
    limits = {l["Name"]: l["Max"] for l in elbv2.describe_account_limits()["Limits"]}
    assert limits["network-load-balancers"] == "1"


def test_query_protocol_errors_are_elbv2_shaped(elbv2, net):
    # An enum value outside the model: ValidationError in AWS's words for query services.
    with pytest.raises(ClientError) as e:
        elbv2.create_load_balancer(Name="x", Type="network", Scheme="sideways", Subnets=[net["a"]])
    err = e.value.response["Error"]
    assert err["Code"] == "ValidationError" and err["Type"] == "Sender"
    assert "failed to satisfy constraint: Member must satisfy enum value set" in err["Message"]
    assert e.value.response["ResponseMetadata"]["RequestId"]
    with pytest.raises(ClientError) as e:
        elbv2.describe_target_health(TargetGroupArn="arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/x/0000000000000000")
    assert e.value.response["Error"]["Code"] == "TargetGroupNotFound"


def test_state_survives_restart(own_server):
    from conftest import make_client
    ec2 = make_client(own_server.endpoint)
    elbv2 = make_client(own_server.endpoint, service="elbv2")
    subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])["Subnets"][0]
    lb = elbv2.create_load_balancer(Name="durable", Type="network", Subnets=[subnet["SubnetId"]])["LoadBalancers"][0]
    group = elbv2.create_target_group(Name="durable", Protocol="TCP", Port=80, VpcId=subnet["VpcId"])["TargetGroups"][0]
    elbv2.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=80, DefaultActions=[
        {"Type": "forward", "TargetGroupArn": group["TargetGroupArn"]}])
    own_server.kill9()
    own_server.start()
    elbv2 = make_client(own_server.endpoint, service="elbv2")
    assert elbv2.describe_load_balancers()["LoadBalancers"][0]["LoadBalancerArn"] == lb["LoadBalancerArn"]
    assert elbv2.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]["Port"] == 80
    assert elbv2.describe_target_groups()["TargetGroups"][0]["LoadBalancerArns"] == [lb["LoadBalancerArn"]]


def test_aws_cli_elbv2(aws_cli, ec2, net):
    def elb(*args):
        return aws_cli(*args, service="elbv2")
    out = elb("create-load-balancer", "--name", "cli-nlb", "--type", "network",
                  "--scheme", "internal", "--subnets", net["a"])
    arn = out["LoadBalancers"][0]["LoadBalancerArn"]
    assert elb("describe-load-balancers", "--names", "cli-nlb")["LoadBalancers"][0]["LoadBalancerArn"] == arn
    group = elb("create-target-group", "--name", "cli-tg", "--protocol", "TCP", "--port", "80",
                    "--vpc-id", net["vpc"])["TargetGroups"][0]["TargetGroupArn"]
    elb("create-listener", "--load-balancer-arn", arn, "--protocol", "TCP", "--port", "80",
            "--default-actions", f"Type=forward,TargetGroupArn={group}")
    assert elb("describe-listeners", "--load-balancer-arn", arn)["Listeners"][0]["Port"] == 80
