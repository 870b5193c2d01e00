"""PrivateLink's interface side (issue 14): endpoint services of Network Load Balancers, interface
endpoints, their DNS names, and connection notifications, with the rules and acceptance scenarios
of shared/spec/inventory-privatelink.md (SVC-*, IF-*, DNS-*, NTF-*, AT-03 … AT-06, AT-10, AT-19,
AT-24). The data plane's side is tests/dataplane/test_privatelink.py.
"""
import json
import urllib.request

import pytest

from conftest import make_client
from helpers import ACCOUNT_ID, OTHER_ACCOUNT_ID, assert_error


@pytest.fixture
def provider(ec2, endpoint):
    """An internal NLB in us-east-1a and us-east-1c (AT-10's provider zones) and its service."""
    elb = make_client(endpoint, service="elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.80.{i}.0/24", AvailabilityZone=f"us-east-1{z}")["Subnet"][
        "SubnetId"] for i, z in ((1, "a"), (3, "c"))]
    nlb = elb.create_load_balancer(Name="nlb-vpce", Type="network", Scheme="internal", Subnets=subnets)[
        "LoadBalancers"][0]
    svc = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[nlb["LoadBalancerArn"]])[
        "ServiceConfiguration"]
    return dict(vpc=vpc, subnets=subnets, nlb=nlb, svc=svc, elb=elb)


@pytest.fixture
def consumer(ec2_factory):
    """Another account's VPC with subnets in us-east-1a, us-east-1b and us-east-1c."""
    ec2 = ec2_factory(account="other")
    vpc = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    subnets = {z: ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.90.{i}.0/24", AvailabilityZone=f"us-east-1{z}")[
        "Subnet"]["SubnetId"] for i, z in ((1, "a"), (2, "b"), (3, "c"))}
    return dict(ec2=ec2, vpc=vpc, subnets=subnets)


def allow(ec2, svc, account=OTHER_ACCOUNT_ID):
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"],
                                                AddAllowedPrincipals=[f"arn:aws:iam::{account}:root"])


def test_network_load_balancer_service(ec2, provider):
    """SVC-01, SVC-19, DNS-04: an endpoint service of an NLB is of type Interface."""
    svc = provider["svc"]
    assert svc["ServiceType"] == [{"ServiceType": "Interface"}]
    assert svc["ServiceName"] == f"com.amazonaws.vpce.us-east-1.{svc['ServiceId']}"
    assert svc["NetworkLoadBalancerArns"] == [provider["nlb"]["LoadBalancerArn"]]
    assert "GatewayLoadBalancerArns" not in svc
    assert svc["BaseEndpointDnsNames"] == [f"{svc['ServiceId']}.us-east-1.vpce.amazonaws.com"]
    assert svc["AvailabilityZones"] == ["us-east-1a", "us-east-1c"]
    assert svc["AcceptanceRequired"] is True and svc["SupportedIpAddressTypes"] == ["ipv4"]
    # SVC-01: one service per load balancer; SVC-12, ERR-26: IPv6 needs a dualstack NLB.
    assert_error("InvalidParameterValue", ec2.create_vpc_endpoint_service_configuration,
                 NetworkLoadBalancerArns=[provider["nlb"]["LoadBalancerArn"]])
    assert_error("InvalidParameter", ec2.modify_vpc_endpoint_service_configuration, ServiceId=svc["ServiceId"],
                 AddSupportedIpAddressTypes=["ipv6"])
    # SVC-05: acceptance can be changed.
    assert ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc["ServiceId"], AcceptanceRequired=False)["Return"]
    described = ec2.describe_vpc_endpoint_service_configurations(
        Filters=[{"Name": "service-type", "Values": ["Interface"]}])["ServiceConfigurations"]
    assert [(s["ServiceId"], s["AcceptanceRequired"]) for s in described] == [(svc["ServiceId"], False)]


def test_manual_acceptance_and_reject_while_live(ec2, provider, consumer):
    """AT-03 and AT-05: permission first, then pendingAcceptance, accept, available, reject."""
    svc, c = provider["svc"], consumer["ec2"]
    create = dict(VpcEndpointType="Interface", VpcId=consumer["vpc"], ServiceName=svc["ServiceName"],
                  SubnetIds=[consumer["subnets"]["a"], consumer["subnets"]["c"]])
    assert_error("InvalidServiceName", c.create_vpc_endpoint, **create)  # PERM-04: no permission, no service
    assert svc["ServiceName"] not in c.describe_vpc_endpoint_services()["ServiceNames"]
    allow(ec2, svc)
    # IF-14, AT-10: the consumer sees the service and the zones it offers.
    details = c.describe_vpc_endpoint_services(ServiceNames=[svc["ServiceName"]])
    assert details["ServiceNames"] == [svc["ServiceName"]]
    d = details["ServiceDetails"][0]
    assert d["Owner"] == ACCOUNT_ID and d["ServiceType"] == [{"ServiceType": "Interface"}]
    assert d["AvailabilityZones"] == ["us-east-1a", "us-east-1c"] and d["VpcEndpointPolicySupported"] is False
    assert d["BaseEndpointDnsNames"] == svc["BaseEndpointDnsNames"]
    e = c.create_vpc_endpoint(**create)["VpcEndpoint"]
    assert e["State"] == "pendingAcceptance" and e["VpcEndpointType"] == "Interface"
    assert len(e["NetworkInterfaceIds"]) == 2 and sorted(e["SubnetIds"]) == sorted(create["SubnetIds"])
    # IF-08: the VPC's default group when none is given.
    default_sg = c.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [consumer["vpc"]]},
                                                     {"Name": "group-name", "Values": ["default"]}])[
        "SecurityGroups"][0]["GroupId"]
    assert e["Groups"] == [{"GroupId": default_sg, "GroupName": "default"}]
    # IF-03: requester-managed interfaces, one per subnet.
    enis = c.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"]
    assert {n["InterfaceType"] for n in enis} == {"vpc_endpoint"}
    assert all(n["RequesterManaged"] and n["Description"] == f"VPC Endpoint Interface {e['VpcEndpointId']}"
               for n in enis)
    assert all(n["Groups"][0]["GroupId"] == default_sg for n in enis)
    assert_error("OperationNotPermitted", c.delete_network_interface, NetworkInterfaceId=enis[0]["NetworkInterfaceId"])
    # DNS-05, DNS-06: the Regional name first, then one per zone, in one hosted zone.
    names = [x["DnsName"] for x in e["DnsEntries"]]
    eid, sid = e["VpcEndpointId"], svc["ServiceId"]
    assert len(names) == 3 and names[0].startswith(eid + "-")
    suffix = names[0][len(eid) + 1:].split(".")[0]
    assert len(suffix) == 8
    assert names[0] == f"{eid}-{suffix}.{sid}.us-east-1.vpce.amazonaws.com"
    assert sorted(names[1:]) == [f"{eid}-{suffix}-us-east-1{z}.{sid}.us-east-1.vpce.amazonaws.com" for z in "ac"]
    assert {x["HostedZoneId"] for x in e["DnsEntries"]} == {"Z7HUB22UULQXV"}
    # ACC-01: the provider sees the request and who made it.
    conns = ec2.describe_vpc_endpoint_connections(
        Filters=[{"Name": "vpc-endpoint-state", "Values": ["pendingAcceptance"]}])["VpcEndpointConnections"]
    assert [(x["VpcEndpointId"], x["VpcEndpointOwner"], x["NetworkLoadBalancerArns"]) for x in conns] == [
        (eid, OTHER_ACCOUNT_ID, [provider["nlb"]["LoadBalancerArn"]])]
    assert ec2.accept_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eid])["Unsuccessful"] == []
    assert c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]["State"] == "available"
    # ERR-27: an endpoint not connected to the service is an Unsuccessful item.
    failed = ec2.accept_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=["vpce-0123456789abcdef0"])
    assert failed["Unsuccessful"][0]["ResourceId"] == "vpce-0123456789abcdef0"
    # ACC-04, AT-05: rejected while available.
    assert ec2.reject_vpc_endpoint_connections(ServiceId=sid, VpcEndpointIds=[eid])["Unsuccessful"] == []
    assert c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]["State"] == "rejected"
    # IF-20: deleting it deletes its interfaces.
    assert c.delete_vpc_endpoints(VpcEndpointIds=[eid])["Unsuccessful"] == []
    assert_error("InvalidNetworkInterfaceID.NotFound", c.describe_network_interfaces,
                 NetworkInterfaceIds=e["NetworkInterfaceIds"])


def test_auto_accept_for_everyone(ec2, provider, consumer):
    """AT-04, SVC-07: principal * with no acceptance: any account's endpoint is available at once."""
    svc = provider["svc"]
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc["ServiceId"], AcceptanceRequired=False)
    added = ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"], AddAllowedPrincipals=["*"])
    assert [(p["PrincipalType"], p["Principal"]) for p in added["AddedPrincipals"]] == [("All", "*")]
    listed = ec2.describe_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"])["AllowedPrincipals"]
    assert [(p["PrincipalType"], p["Principal"], p["ServiceId"]) for p in listed] == [("All", "*", svc["ServiceId"])]
    assert listed[0]["ServicePermissionId"] == added["AddedPrincipals"][0]["ServicePermissionId"]
    # PERM-01: accounts, roles and users are principals too.
    role = f"arn:aws:iam::{OTHER_ACCOUNT_ID}:role/consumer"
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"], AddAllowedPrincipals=[role])
    roles = ec2.describe_vpc_endpoint_service_permissions(
        ServiceId=svc["ServiceId"], Filters=[{"Name": "principal-type", "Values": ["Role"]}])["AllowedPrincipals"]
    assert [p["Principal"] for p in roles] == [role]
    e = consumer["ec2"].create_vpc_endpoint(VpcEndpointType="Interface", VpcId=consumer["vpc"],
                                            ServiceName=svc["ServiceName"],
                                            SubnetIds=[consumer["subnets"]["a"]])["VpcEndpoint"]
    assert e["State"] == "available"


def test_delete_guards(ec2, provider, consumer):
    """AT-06, SVC-10, SVC-11: the service and its NLB stay while an endpoint is connected."""
    svc, c, elb = provider["svc"], consumer["ec2"], provider["elb"]
    arn = provider["nlb"]["LoadBalancerArn"]
    allow(ec2, svc)
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc["ServiceId"], AcceptanceRequired=False)
    e = c.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=consumer["vpc"], ServiceName=svc["ServiceName"],
                              SubnetIds=[consumer["subnets"]["a"]])["VpcEndpoint"]
    failed = ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])["Unsuccessful"]
    assert failed[0]["Error"]["Code"] == "ExistingVpcEndpointConnections"
    assert_error("ResourceInUse", elb.delete_load_balancer, LoadBalancerArn=arn)
    assert_error("InvalidParameter", ec2.modify_vpc_endpoint_service_configuration, ServiceId=svc["ServiceId"],
                 RemoveNetworkLoadBalancerArns=[arn])
    c.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])
    assert ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc["ServiceId"]])["Unsuccessful"] == []
    assert elb.describe_load_balancers(LoadBalancerArns=[arn])["LoadBalancers"][0]["State"]["Code"] == "active"


def test_endpoint_validation(ec2, provider, consumer):
    """IF-02, IF-15 (AT-10), IP-01 (AT-18), DNS-20, POL-06, ERR-01 … ERR-07."""
    svc, c, subnets = provider["svc"], consumer["ec2"], consumer["subnets"]
    allow(ec2, svc)
    create = dict(VpcEndpointType="Interface", VpcId=consumer["vpc"], ServiceName=svc["ServiceName"])
    assert_error("InvalidServiceName", c.create_vpc_endpoint, **{**create, "ServiceName": "com.amazonaws.vpce.nothing"})
    # AT-10: the service is not offered in us-east-1b.
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[subnets["b"]])
    second_a = c.create_subnet(VpcId=consumer["vpc"], CidrBlock="10.90.9.0/24", AvailabilityZone="us-east-1a")[
        "Subnet"]["SubnetId"]
    assert_error("DuplicateSubnetsInSameZone", c.create_vpc_endpoint, **create, SubnetIds=[subnets["a"], second_a])
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[subnets["a"]],
                 IpAddressType="ipv6")  # the service is IPv4-only
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[subnets["a"]],
                 DnsOptions={"DnsRecordIpType": "ipv6"})
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[subnets["a"]],
                 PrivateDnsEnabled=True)  # DNS-20: the service has no private DNS name
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[subnets["a"]],
                 PolicyDocument=json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*",
                                                           "Resource": "*"}]}))
    other_vpc = c.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    foreign_sg = c.create_security_group(GroupName="x", Description="x", VpcId=other_vpc)["GroupId"]
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[subnets["a"]],
                 SecurityGroupIds=[foreign_sg])
    rtb = c.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [consumer["vpc"]]}])["RouteTables"][0]
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[subnets["a"]],
                 RouteTableIds=[rtb["RouteTableId"]])
    # Nothing of the refused requests is left.
    assert c.describe_vpc_endpoints()["VpcEndpoints"] == []
    assert c.describe_network_interfaces(Filters=[{"Name": "vpc-id", "Values": [consumer["vpc"]]}])[
        "NetworkInterfaces"] == []


def test_designated_addresses_subnets_and_groups(ec2, provider, consumer):
    """AT-19 (IF-04 … IF-07): chosen addresses, a new interface when one changes, subnets and
    groups added and removed."""
    svc, c, subnets = provider["svc"], consumer["ec2"], consumer["subnets"]
    allow(ec2, svc)
    e = c.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=consumer["vpc"], ServiceName=svc["ServiceName"],
                              SubnetConfigurations=[{"SubnetId": subnets["a"], "Ipv4": "10.90.1.50"}])["VpcEndpoint"]
    eid = e["VpcEndpointId"]
    first = e["NetworkInterfaceIds"][0]
    eni = c.describe_network_interfaces(NetworkInterfaceIds=[first])["NetworkInterfaces"][0]
    assert eni["PrivateIpAddress"] == "10.90.1.50"
    # The same address again changes nothing (IF-04); another replaces the interface (IF-06).
    c.modify_vpc_endpoint(VpcEndpointId=eid, SubnetConfigurations=[{"SubnetId": subnets["a"], "Ipv4": "10.90.1.50"}])
    assert c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]["NetworkInterfaceIds"] == [first]
    assert c.modify_vpc_endpoint(VpcEndpointId=eid,
                                 SubnetConfigurations=[{"SubnetId": subnets["a"], "Ipv4": "10.90.1.60"}])["Return"]
    now = c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert now["NetworkInterfaceIds"] != [first] and len(now["NetworkInterfaceIds"]) == 1
    assert c.describe_network_interfaces(NetworkInterfaceIds=now["NetworkInterfaceIds"])["NetworkInterfaces"][0][
        "PrivateIpAddress"] == "10.90.1.60"
    assert_error("InvalidNetworkInterfaceID.NotFound", c.describe_network_interfaces, NetworkInterfaceIds=[first])
    # IF-07: a subnet added gets an interface; one removed loses it. IF-02 still holds.
    c.modify_vpc_endpoint(VpcEndpointId=eid, AddSubnetIds=[subnets["c"]])
    now = c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert sorted(now["SubnetIds"]) == sorted([subnets["a"], subnets["c"]]) and len(now["NetworkInterfaceIds"]) == 2
    assert len(now["DnsEntries"]) == 3
    assert_error("InvalidParameter", c.modify_vpc_endpoint, VpcEndpointId=eid, AddSubnetIds=[subnets["b"]])
    c.modify_vpc_endpoint(VpcEndpointId=eid, RemoveSubnetIds=[subnets["a"]])
    now = c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert now["SubnetIds"] == [subnets["c"]] and len(now["NetworkInterfaceIds"]) == 1
    # IF-08, IF-11: groups added and removed, on the interfaces too.
    sg = c.create_security_group(GroupName="endpoint", Description="443 from the VPC", VpcId=consumer["vpc"])["GroupId"]
    default_sg = now["Groups"][0]["GroupId"]
    c.modify_vpc_endpoint(VpcEndpointId=eid, AddSecurityGroupIds=[sg], RemoveSecurityGroupIds=[default_sg])
    now = c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert now["Groups"] == [{"GroupId": sg, "GroupName": "endpoint"}]
    eni = c.describe_network_interfaces(NetworkInterfaceIds=now["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    assert [g["GroupId"] for g in eni["Groups"]] == [sg]
    assert_error("InvalidParameter", c.modify_vpc_endpoint, VpcEndpointId=eid, RemoveSecurityGroupIds=[sg])
    assert_error("DependencyViolation", c.delete_security_group, GroupId=sg)
    # IP-01, ERR-06, ERR-07: the IPv4-only service takes no other address type, nor AAAA records;
    # a refused change changes nothing (the subnet added in the same request stays out).
    assert_error("InvalidParameter", c.modify_vpc_endpoint, VpcEndpointId=eid, IpAddressType="dualstack",
                 AddSubnetIds=[subnets["a"]])
    assert_error("InvalidParameter", c.modify_vpc_endpoint, VpcEndpointId=eid, DnsOptions={"DnsRecordIpType": "ipv6"})
    now = c.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert now["IpAddressType"] == "ipv4" and now["DnsOptions"]["DnsRecordIpType"] == "ipv4"
    assert now["SubnetIds"] == [subnets["c"]]


def ipv6_blocks(ec2, vpc):
    """The /64s of the VPC's new Amazon /56."""
    import ipaddress
    block = ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)[
        "Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]
    return list(ipaddress.ip_network(block).subnets(new_prefix=64))


def test_ipv6_matrix(ec2, endpoint, consumer):
    """AT-18 (IP-01, IP-02, IF-05, DNS-13, SG-04, SVC-12, ERR-06, ERR-07): a dualstack NLB's service
    supporting ipv4 and ipv6 takes dualstack endpoints on dual-stack subnets (interfaces with both
    families, DenyAllIgwTraffic), ipv6 endpoints on IPv6-only subnets only (no IPv4 address at all),
    DNS record types that fit the address type, and a change of type that adds or drops the
    interfaces' IPv6 addresses."""
    elb = make_client(endpoint, service="elbv2")
    c = consumer["ec2"]
    pvpc = ec2.create_vpc(CidrBlock="10.81.0.0/16")["Vpc"]["VpcId"]
    p64 = ipv6_blocks(ec2, pvpc)
    psub = ec2.create_subnet(VpcId=pvpc, CidrBlock="10.81.1.0/24", Ipv6CidrBlock=str(p64[1]),
                             AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    nlb = elb.create_load_balancer(Name="nlb-dual", Type="network", Scheme="internal", IpAddressType="dualstack",
                                   Subnets=[psub])["LoadBalancers"][0]
    svc = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[nlb["LoadBalancerArn"]],
                                                        AcceptanceRequired=False,
                                                        SupportedIpAddressTypes=["ipv4", "ipv6"])["ServiceConfiguration"]
    assert sorted(svc["SupportedIpAddressTypes"]) == ["ipv4", "ipv6"]
    allow(ec2, svc)
    c64 = ipv6_blocks(c, consumer["vpc"])
    dual = consumer["subnets"]["a"]
    c.associate_subnet_cidr_block(SubnetId=dual, Ipv6CidrBlock=str(c64[1]))
    v6only = c.create_subnet(VpcId=consumer["vpc"], Ipv6Native=True, Ipv6CidrBlock=str(c64[2]),
                             AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    create = dict(VpcEndpointType="Interface", VpcId=consumer["vpc"], ServiceName=svc["ServiceName"])
    # IP-01, ERR-06: the subnets' families must fit the address type.
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[v6only], IpAddressType="dualstack")
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[dual], IpAddressType="ipv6")
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create, SubnetIds=[v6only])  # ipv4 by default
    # ERR-07: the records must fit the addresses.
    for ip_type, dns in (("ipv4", "ipv6"), ("ipv4", "dualstack"), ("ipv4", "service-defined"),
                         ("dualstack", "nonsense")):
        assert_error("InvalidParameter" if dns != "nonsense" else "InvalidParameterValue", c.create_vpc_endpoint,
                     **create, SubnetIds=[dual], IpAddressType=ip_type, DnsOptions={"DnsRecordIpType": dns})
    # IF-05: a designated IPv6 address needs an endpoint with IPv6.
    assert_error("InvalidParameter", c.create_vpc_endpoint, **create,
                 SubnetConfigurations=[{"SubnetId": dual, "Ipv6": str(c64[1][0x50])}])
    # A dualstack endpoint: both families on its interface (IP-02), the chosen IPv6 address, and
    # records of both types by default.
    e = c.create_vpc_endpoint(**create, IpAddressType="dualstack",
                              SubnetConfigurations=[{"SubnetId": dual, "Ipv6": str(c64[1][0x50])}])["VpcEndpoint"]
    assert e["IpAddressType"] == "dualstack" and e["DnsOptions"]["DnsRecordIpType"] == "dualstack"
    eni = c.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    assert eni["PrivateIpAddress"].startswith("10.90.1.")
    assert [a["Ipv6Address"] for a in eni["Ipv6Addresses"]] == [str(c64[1][0x50])]
    assert eni["DenyAllIgwTraffic"] is True  # SG-04
    # service-defined records need dualstack; back to ipv4, the interface loses its IPv6 address.
    c.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], DnsOptions={"DnsRecordIpType": "service-defined"})
    assert c.describe_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])["VpcEndpoints"][0]["DnsOptions"][
        "DnsRecordIpType"] == "service-defined"
    c.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], IpAddressType="ipv4")  # its records follow: ipv4
    now = c.describe_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])["VpcEndpoints"][0]
    assert now["IpAddressType"] == "ipv4" and now["DnsOptions"]["DnsRecordIpType"] == "ipv4"
    assert c.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0][
        "Ipv6Addresses"] == []
    c.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], IpAddressType="dualstack")
    eni = c.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    assert len(eni["Ipv6Addresses"]) == 1
    c.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])
    # An ipv6 endpoint on the IPv6-only subnet: no IPv4 address at all, AAAA records only.
    e6 = c.create_vpc_endpoint(**create, SubnetIds=[v6only], IpAddressType="ipv6")["VpcEndpoint"]
    assert e6["DnsOptions"]["DnsRecordIpType"] == "ipv6"
    eni = c.describe_network_interfaces(NetworkInterfaceIds=e6["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    assert "PrivateIpAddress" not in eni and len(eni["Ipv6Addresses"]) == 1
    assert_error("InvalidParameter", c.modify_vpc_endpoint, VpcEndpointId=e6["VpcEndpointId"],
                 IpAddressType="dualstack")  # the subnet has no IPv4


def test_connection_notifications(ec2, endpoint, provider, consumer):
    """AT-24, NTF-01 … NTF-04: Connect, Accept, Reject and Delete, recorded where openvpc shows
    them (it runs no SNS)."""
    svc, c = provider["svc"], consumer["ec2"]
    topic = f"arn:aws:sns:us-east-1:{ACCOUNT_ID}:endpoint-events"
    n = ec2.create_vpc_endpoint_connection_notification(
        ServiceId=svc["ServiceId"], ConnectionNotificationArn=topic,
        ConnectionEvents=["Connect", "Accept", "Delete", "Reject"])["ConnectionNotification"]
    assert n["ConnectionNotificationId"].startswith("vpce-nfn-")
    assert n["ConnectionNotificationState"] == "Enabled" and n["ConnectionNotificationType"] == "Topic"
    assert n["ServiceId"] == svc["ServiceId"] and n["ConnectionNotificationArn"] == topic
    assert_error("InvalidParameter", ec2.create_vpc_endpoint_connection_notification,
                 ConnectionNotificationArn=topic, ConnectionEvents=["Connect"])  # NTF-01: a service or an endpoint
    allow(ec2, svc)

    def events():
        with urllib.request.urlopen(endpoint + "/_openvpc/connection-notifications") as r:
            notes = json.load(r)["ConnectionNotifications"]
        return [(d["Event"], d["VpcEndpointState"]) for x in notes if x["ConnectionNotificationId"] ==
                n["ConnectionNotificationId"] for d in x["Deliveries"]]

    create = dict(VpcEndpointType="Interface", VpcId=consumer["vpc"], ServiceName=svc["ServiceName"],
                  SubnetIds=[consumer["subnets"]["a"]])
    first = c.create_vpc_endpoint(**create)["VpcEndpoint"]["VpcEndpointId"]
    ec2.accept_vpc_endpoint_connections(ServiceId=svc["ServiceId"], VpcEndpointIds=[first])
    ec2.reject_vpc_endpoint_connections(ServiceId=svc["ServiceId"], VpcEndpointIds=[first])
    c.delete_vpc_endpoints(VpcEndpointIds=[first])
    assert events() == [("Connect", "pendingAcceptance"), ("Accept", "available"), ("Reject", "rejected"),
                        ("Delete", "deleted")]
    # NTF-04: only accepts from now on.
    assert ec2.modify_vpc_endpoint_connection_notification(
        ConnectionNotificationId=n["ConnectionNotificationId"], ConnectionEvents=["Accept"])["ReturnValue"]
    second = c.create_vpc_endpoint(**create)["VpcEndpoint"]["VpcEndpointId"]
    ec2.accept_vpc_endpoint_connections(ServiceId=svc["ServiceId"], VpcEndpointIds=[second])
    assert events()[4:] == [("Accept", "available")]
    listed = ec2.describe_vpc_endpoint_connection_notifications()["ConnectionNotificationSet"]
    assert [(x["ConnectionNotificationId"], x["ConnectionEvents"]) for x in listed] == [
        (n["ConnectionNotificationId"], ["Accept"])]
    assert ec2.delete_vpc_endpoint_connection_notifications(
        ConnectionNotificationIds=[n["ConnectionNotificationId"]])["Unsuccessful"] == []
    failed = ec2.delete_vpc_endpoint_connection_notifications(
        ConnectionNotificationIds=[n["ConnectionNotificationId"]])["Unsuccessful"]
    assert failed[0]["Error"]["Code"] == "InvalidConnectionNotification"


def test_aws_cli(aws_cli, ec2, provider):
    """The aws CLI's create-vpc-endpoint and describe-vpc-endpoint-services against the same state."""
    svc = provider["svc"]
    allow(ec2, svc, ACCOUNT_ID)
    subnet = ec2.create_subnet(VpcId=provider["vpc"], CidrBlock="10.80.7.0/24", AvailabilityZone="us-east-1c")[
        "Subnet"]["SubnetId"]
    out = aws_cli("create-vpc-endpoint", "--vpc-endpoint-type", "Interface", "--vpc-id", provider["vpc"],
                  "--service-name", svc["ServiceName"], "--subnet-ids", subnet)
    e = out["VpcEndpoint"]
    assert e["State"] == "pendingAcceptance" and len(e["DnsEntries"]) == 2
    names = aws_cli("describe-vpc-endpoint-services", "--filters", f"Name=owner,Values={ACCOUNT_ID}", "--query",
                    "ServiceNames")
    assert names == [svc["ServiceName"]]


def test_aws_services_in_the_catalogue(ec2):
    """Inventory §2.2: the AWS services openvpc serves are amazon's Interface services of every
    zone, with private DNS names and policies."""
    details = ec2.describe_vpc_endpoint_services(ServiceNames=["com.amazonaws.us-east-1.ec2"])["ServiceDetails"]
    assert len(details) == 1
    d = details[0]
    assert d["Owner"] == "amazon" and d["ServiceType"] == [{"ServiceType": "Interface"}]
    assert d["PrivateDnsName"] == "ec2.us-east-1.amazonaws.com" and d["PrivateDnsNameVerificationState"] == "verified"
    assert d["BaseEndpointDnsNames"] == ["ec2.us-east-1.vpce.amazonaws.com"]
    assert d["VpcEndpointPolicySupported"] is True and d["AcceptanceRequired"] is False
    assert d["ServiceId"].startswith("vpce-svc-") and len(d["ServiceId"]) == len("vpce-svc-") + 17
    assert "us-east-1a" in d["AvailabilityZones"]
    names = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "owner", "Values": ["amazon"]}])["ServiceNames"]
    # S3 twice: its gateway service and its interface service (GW-01).
    assert sorted(names) == sorted(f"com.amazonaws.us-east-1.{s}" for s in ("dynamodb", "ec2", "elasticloadbalancing",
                                                                            "s3", "s3", "ssm", "sts"))
    other_region = make_client_for_region(ec2, "eu-west-1")
    assert "com.amazonaws.eu-west-1.sts" in other_region.describe_vpc_endpoint_services()["ServiceNames"]


def make_client_for_region(ec2, region):
    import boto3
    return boto3.client("ec2", region_name=region, endpoint_url=ec2.meta.endpoint_url,
                        aws_access_key_id="test", aws_secret_access_key="test")


def test_endpoint_to_an_aws_service(ec2):
    """IF-24, DNS-06, DNS-09, DNS-17, POL-02, POL-03, POL-05, POL-11: an endpoint to EC2 is
    available at once, private DNS is on by default and needs the VPC's DNS attributes, one per
    VPC has it, and its policy is AWS's default until replaced or reset."""
    import json
    vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    create = dict(VpcEndpointType="Interface", VpcId=vpc, ServiceName="com.amazonaws.us-east-1.ec2", SubnetIds=[subnet])
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **create)  # DNS-09: hostnames are off
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    e = ec2.create_vpc_endpoint(**create)["VpcEndpoint"]
    assert e["State"] == "available" and e["PrivateDnsEnabled"] is True
    eid = e["VpcEndpointId"]
    names = [d["DnsName"] for d in e["DnsEntries"]]
    assert names[0].startswith(eid + "-") and names[0].endswith(".ec2.us-east-1.vpce.amazonaws.com")
    assert names[1].endswith("-us-east-1b.ec2.us-east-1.vpce.amazonaws.com")
    assert names[2] == "ec2.us-east-1.amazonaws.com"
    assert json.loads(e["PolicyDocument"]) == {"Statement": [{"Action": "*", "Effect": "Allow", "Principal": "*",
                                                              "Resource": "*"}]}
    # One endpoint of a service per VPC with private DNS; without it, another is fine.
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **create)
    second = ec2.create_vpc_endpoint(**create, PrivateDnsEnabled=False)["VpcEndpoint"]
    assert second["PrivateDnsEnabled"] is False and len(second["DnsEntries"]) == 2
    # POL-02, POL-03: a Principal, at most 20,480 characters, valid JSON.
    no_principal = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    assert_error("InvalidPolicyDocument", ec2.modify_vpc_endpoint, VpcEndpointId=eid,
                 PolicyDocument=json.dumps(no_principal))
    assert_error("InvalidPolicyDocument", ec2.modify_vpc_endpoint, VpcEndpointId=eid, PolicyDocument="{not json")
    long_policy = {"Statement": [{"Sid": "x" * 21000, "Effect": "Allow", "Principal": "*", "Action": "*",
                                  "Resource": "*"}]}
    assert_error("InvalidPolicyDocument", ec2.modify_vpc_endpoint, VpcEndpointId=eid,
                 PolicyDocument=json.dumps(long_policy))
    narrow = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:Describe*", "Resource": "*"}]}
    ec2.modify_vpc_endpoint(VpcEndpointId=eid, PolicyDocument=json.dumps(narrow))
    got = ec2.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert json.loads(got["PolicyDocument"]) == narrow
    ec2.modify_vpc_endpoint(VpcEndpointId=eid, ResetPolicy=True)
    got = ec2.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert json.loads(got["PolicyDocument"])["Statement"][0]["Action"] == "*"
    ec2.delete_vpc_endpoints(VpcEndpointIds=[eid, second["VpcEndpointId"]])


def test_endpoints_per_vpc_quota(ec2):
    """AT-21, Q-01, ERR-21: 50 interface and Gateway Load Balancer endpoints per VPC."""
    vpc = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.62.0.0/20", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    create = dict(VpcEndpointType="Interface", VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts", SubnetIds=[subnet],
                  PrivateDnsEnabled=False)
    for _ in range(50):
        ec2.create_vpc_endpoint(**create)
    assert_error("VpcEndpointLimitExceeded", ec2.create_vpc_endpoint, **create)


def test_gateway_load_balancer_endpoint_subnet_is_fixed(ec2, endpoint):
    """AT-16, GLB-02: a Gateway Load Balancer endpoint's subnet never changes."""
    elb = make_client(endpoint, service="elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.63.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.63.2.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    gwlb = elb.create_load_balancer(Name="gw", Type="gateway", Subnets=[a])["LoadBalancers"][0]
    svc = ec2.create_vpc_endpoint_service_configuration(GatewayLoadBalancerArns=[gwlb["LoadBalancerArn"]],
                                                        AcceptanceRequired=False)["ServiceConfiguration"]
    allow(ec2, svc, ACCOUNT_ID)
    e = ec2.create_vpc_endpoint(VpcEndpointType="GatewayLoadBalancer", VpcId=vpc, ServiceName=svc["ServiceName"],
                                SubnetIds=[a])["VpcEndpoint"]
    assert_error("InvalidParameter", ec2.modify_vpc_endpoint, VpcEndpointId=e["VpcEndpointId"], AddSubnetIds=[b])
    assert_error("InvalidParameter", ec2.modify_vpc_endpoint, VpcEndpointId=e["VpcEndpointId"], RemoveSubnetIds=[a])
    # GLB-10: no private DNS name on a Gateway Load Balancer's service.
    assert_error("InvalidParameter", ec2.create_vpc_endpoint_service_configuration,
                 GatewayLoadBalancerArns=[gwlb["LoadBalancerArn"]], PrivateDnsName="svc.example.com")


def test_gateway_load_balancer_endpoints_over_ipv6(ec2, endpoint):
    """GLB-13, IP-05, SVC-12, ERR-26: IPv6 on a Gateway Load Balancer's service needs the load balancer
    dualstack; its endpoints then take dualstack (on dual-stack subnets), with an IPv6 address on
    their interface, and an IPv4-only service's refuse it."""
    elb = make_client(endpoint, service="elbv2")
    vpc = ec2.create_vpc(CidrBlock="10.64.0.0/16")["Vpc"]["VpcId"]
    n64 = ipv6_blocks(ec2, vpc)
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.64.1.0/24", Ipv6CidrBlock=str(n64[1]),
                          AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    gwlb = elb.create_load_balancer(Name="gw6", Type="gateway", Subnets=[a])["LoadBalancers"][0]
    create_svc = dict(GatewayLoadBalancerArns=[gwlb["LoadBalancerArn"]], AcceptanceRequired=False)
    assert_error("InvalidParameter", ec2.create_vpc_endpoint_service_configuration, **create_svc,
                 SupportedIpAddressTypes=["ipv4", "ipv6"])
    svc = ec2.create_vpc_endpoint_service_configuration(**create_svc)["ServiceConfiguration"]
    allow(ec2, svc, ACCOUNT_ID)
    create = dict(VpcEndpointType="GatewayLoadBalancer", VpcId=vpc, ServiceName=svc["ServiceName"], SubnetIds=[a])
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **create, IpAddressType="dualstack")
    elb.set_ip_address_type(LoadBalancerArn=gwlb["LoadBalancerArn"], IpAddressType="dualstack")
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc["ServiceId"], AddSupportedIpAddressTypes=["ipv6"])
    e = ec2.create_vpc_endpoint(**create, IpAddressType="dualstack")["VpcEndpoint"]
    assert e["IpAddressType"] == "dualstack"
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    assert eni["PrivateIpAddress"].startswith("10.64.1.") and len(eni["Ipv6Addresses"]) == 1
    ec2.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], IpAddressType="ipv4")
    assert ec2.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0][
        "Ipv6Addresses"] == []


def test_s3_interface_endpoint_private_dns(ec2):
    """DNS-18, GW-S3-1 … GW-S3-4, ERR-08 (AT-25's API side): an S3 interface endpoint takes private
    DNS (the VPC's DNS attributes on), with PrivateDnsOnlyForInboundResolverEndpoint only beside an
    S3 gateway endpoint in the VPC; that gateway endpoint cannot be deleted while it is so; the
    option is S3's (a service with both kinds of endpoint) and needs private DNS."""
    vpc = ec2.create_vpc(CidrBlock="10.65.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.65.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    s3 = dict(VpcEndpointType="Interface", VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", SubnetIds=[subnet])
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **s3, PrivateDnsEnabled=True)  # DNS-09: hostnames off
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **s3, PrivateDnsEnabled=True,
                 DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": True})  # ERR-08: no gateway endpoint
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **s3, PrivateDnsEnabled=False,
                 DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": True})  # it needs private DNS
    e = ec2.create_vpc_endpoint(**s3, PrivateDnsEnabled=True)["VpcEndpoint"]
    eid = e["VpcEndpointId"]
    assert e["PrivateDnsEnabled"] is True
    assert e["DnsOptions"]["PrivateDnsOnlyForInboundResolverEndpoint"] is False  # GW-S3-3: the VPC uses it too
    names = [d["DnsName"] for d in e["DnsEntries"]]
    assert names[-2:] == ["s3.us-east-1.amazonaws.com", "*.s3.us-east-1.amazonaws.com"]
    assert_error("InvalidParameter", ec2.modify_vpc_endpoint, VpcEndpointId=eid,
                 DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": True})  # ERR-08 at modify
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    g = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb])[
        "VpcEndpoint"]["VpcEndpointId"]
    ec2.modify_vpc_endpoint(VpcEndpointId=eid, DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": True})
    now = ec2.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]
    assert now["DnsOptions"]["PrivateDnsOnlyForInboundResolverEndpoint"] is True
    # GW-S3-4: the gateway endpoint stays while the interface endpoint relies on it.
    failed = ec2.delete_vpc_endpoints(VpcEndpointIds=[g])["Unsuccessful"]
    assert [f["ResourceId"] for f in failed] == [g] and failed[0]["Error"]["Code"] == "InvalidParameter"
    ec2.modify_vpc_endpoint(VpcEndpointId=eid, DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": False})
    assert ec2.delete_vpc_endpoints(VpcEndpointIds=[g])["Unsuccessful"] == []
    # One private DNS name per VPC (DNS-11's conflict), and the option is S3's alone.
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, **s3, PrivateDnsEnabled=True)
    ec2.modify_vpc_endpoint(VpcEndpointId=eid, PrivateDnsEnabled=False)
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[eid])["VpcEndpoints"][0]["DnsEntries"][-1]["DnsName"] != \
        "*.s3.us-east-1.amazonaws.com"
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, VpcEndpointType="Interface", VpcId=vpc,
                 ServiceName="com.amazonaws.us-east-1.sts", SubnetIds=[subnet],
                 DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": True})
    sts = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=vpc, ServiceName="com.amazonaws.us-east-1.sts",
                                  SubnetIds=[subnet])["VpcEndpoint"]
    assert sts["PrivateDnsEnabled"] is True and "PrivateDnsOnlyForInboundResolverEndpoint" not in sts["DnsOptions"]


def publish_txt(endpoint, domain, name, value):
    """The provider publishes NAME.DOMAIN TXT VALUE in a public hosted zone of DOMAIN (Route 53)."""
    r53 = make_client(endpoint, service="route53")
    zones = [z["Id"] for z in r53.list_hosted_zones()["HostedZones"] if z["Name"] == domain + "."]
    zone = zones[0] if zones else r53.create_hosted_zone(Name=domain, CallerReference=domain)["HostedZone"]["Id"]
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": f"{name}.{domain}", "Type": "TXT", "TTL": 1800,
                                                  "ResourceRecords": [{"Value": f'"{value}"'}]}}]})
    return r53, zone


def test_private_dns_name_verification(ec2, endpoint, provider, consumer):
    """AT-17: a service's private DNS name is pendingVerification with a TXT record to publish
    (PDN-06, PDN-07, PDN-16); consumers cannot use it until it is verified (PDN-05). The record
    published with its value lowercased never verifies (PDN-09); published exactly, it does; a
    consumer's endpoint with private DNS then has the name among its DNS entries. The record
    removed, verification fails: the existing endpoint keeps its name, a new one cannot have it."""
    svc_id = provider["svc"]["ServiceId"]
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc_id, PrivateDnsName="svc.example.com",
                                                  AcceptanceRequired=False)
    allow(ec2, provider["svc"])
    conf = ec2.describe_vpc_endpoint_service_configurations(ServiceIds=[svc_id])["ServiceConfigurations"][0]
    assert conf["PrivateDnsName"] == "svc.example.com"
    txt = conf["PrivateDnsNameConfiguration"]
    assert txt["State"] == "pendingVerification" and txt["Type"] == "TXT"
    assert txt["Name"].startswith("_") and len(txt["Name"]) == 21 and txt["Name"][1:].isalnum()
    assert txt["Value"].startswith("vpce:") and len(txt["Value"]) == 25
    c = consumer["ec2"]
    c.modify_vpc_attribute(VpcId=consumer["vpc"], EnableDnsHostnames={"Value": True})
    detail = c.describe_vpc_endpoint_services(ServiceNames=[provider["svc"]["ServiceName"]])["ServiceDetails"][0]
    assert detail["PrivateDnsName"] == "svc.example.com"
    assert detail["PrivateDnsNameVerificationState"] == "pendingVerification"
    create = dict(VpcEndpointType="Interface", VpcId=consumer["vpc"], ServiceName=provider["svc"]["ServiceName"],
                  SubnetIds=[consumer["subnets"]["a"]])
    assert_error("InvalidParameter", c.create_vpc_endpoint, PrivateDnsEnabled=True, **create)  # PDN-05
    # Nothing published: failed.
    ec2.start_vpc_endpoint_service_private_dns_verification(ServiceId=svc_id)
    state = lambda: ec2.describe_vpc_endpoint_service_configurations(ServiceIds=[svc_id])[  # noqa: E731
        "ServiceConfigurations"][0]["PrivateDnsNameConfiguration"]["State"]
    assert state() == "failed"
    # PDN-09: the value lowercased does not match.
    r53, zone = publish_txt(endpoint, "example.com", txt["Name"], txt["Value"].lower())
    ec2.start_vpc_endpoint_service_private_dns_verification(ServiceId=svc_id)
    assert state() == "failed"
    publish_txt(endpoint, "example.com", txt["Name"], txt["Value"])
    assert ec2.start_vpc_endpoint_service_private_dns_verification(ServiceId=svc_id)["ReturnValue"] is True
    assert state() == "verified"
    detail = c.describe_vpc_endpoint_services(ServiceNames=[provider["svc"]["ServiceName"]])["ServiceDetails"][0]
    assert detail["PrivateDnsNameVerificationState"] == "verified"
    assert detail["PrivateDnsNames"] == [{"PrivateDnsName": "svc.example.com"}]
    e = c.create_vpc_endpoint(PrivateDnsEnabled=True, **create)["VpcEndpoint"]
    assert e["PrivateDnsEnabled"] is True
    assert e["DnsEntries"][-1]["DnsName"] == "svc.example.com"  # DNS-06: the private name last
    # One endpoint of the VPC has the name.
    assert_error("InvalidParameter", c.create_vpc_endpoint, PrivateDnsEnabled=True,
                 **dict(create, SubnetIds=[consumer["subnets"]["b"]]))
    # The record removed and verified again: failed; the existing endpoint keeps its name, a new
    # one in another VPC cannot have it.
    r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={"Changes": [{
        "Action": "DELETE", "ResourceRecordSet": {"Name": f"{txt['Name']}.example.com", "Type": "TXT", "TTL": 1800,
                                                  "ResourceRecords": [{"Value": f'"{txt["Value"]}"'}]}}]})
    ec2.start_vpc_endpoint_service_private_dns_verification(ServiceId=svc_id)
    assert state() == "failed"
    kept = c.describe_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])["VpcEndpoints"][0]
    assert kept["PrivateDnsEnabled"] is True and kept["DnsEntries"][-1]["DnsName"] == "svc.example.com"
    vpc2 = c.create_vpc(CidrBlock="10.91.0.0/16")["Vpc"]["VpcId"]
    c.modify_vpc_attribute(VpcId=vpc2, EnableDnsHostnames={"Value": True})
    sub2 = c.create_subnet(VpcId=vpc2, CidrBlock="10.91.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    assert_error("InvalidParameter", c.create_vpc_endpoint, PrivateDnsEnabled=True,
                 **dict(create, VpcId=vpc2, SubnetIds=[sub2]))


def test_private_dns_name_rules(ec2, provider):
    """PDN-03: lower case, wildcards allowed; PDN-02: a new name starts verification again;
    RemovePrivateDnsName removes it."""
    svc_id = provider["svc"]["ServiceId"]
    for bad in ("Svc.Example.com", "bad..example.com", "nodot", "a" * 64 + ".example.com"):
        assert_error("InvalidParameter", ec2.modify_vpc_endpoint_service_configuration, ServiceId=svc_id,
                     PrivateDnsName=bad)
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc_id, PrivateDnsName="*.example.com")
    first = ec2.describe_vpc_endpoint_service_configurations(ServiceIds=[svc_id])["ServiceConfigurations"][0]
    assert first["PrivateDnsName"] == "*.example.com"
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc_id, PrivateDnsName="api.example.net")
    second = ec2.describe_vpc_endpoint_service_configurations(ServiceIds=[svc_id])["ServiceConfigurations"][0]
    assert second["PrivateDnsNameConfiguration"]["State"] == "pendingVerification"
    assert second["PrivateDnsNameConfiguration"]["Value"] != first["PrivateDnsNameConfiguration"]["Value"]
    ec2.modify_vpc_endpoint_service_configuration(ServiceId=svc_id, RemovePrivateDnsName=True)
    third = ec2.describe_vpc_endpoint_service_configurations(ServiceIds=[svc_id])["ServiceConfigurations"][0]
    assert "PrivateDnsName" not in third and "PrivateDnsNameConfiguration" not in third
    assert_error("InvalidParameter", ec2.start_vpc_endpoint_service_private_dns_verification, ServiceId=svc_id)
    # At creation too.
    ec2.delete_vpc_endpoint_service_configurations(ServiceIds=[svc_id])
    svc = ec2.create_vpc_endpoint_service_configuration(NetworkLoadBalancerArns=[provider["nlb"]["LoadBalancerArn"]],
                                                        PrivateDnsName="svc2.example.com")["ServiceConfiguration"]
    assert svc["PrivateDnsNameConfiguration"]["State"] == "pendingVerification"


def test_s3_interface_endpoint(ec2):
    """GW-01: S3 takes interface endpoints too (its own service, beside the gateway one): amazon's,
    available at once, with a policy, DNS names that take a bucket in front
    (*.vpce-….s3.REGION.vpce.amazonaws.com), private DNS off by default (DNS-17's exception);
    DynamoDB's interface endpoints are not served."""
    details = [d for d in ec2.describe_vpc_endpoint_services(ServiceNames=["com.amazonaws.us-east-1.s3"])[
        "ServiceDetails"]]
    types = sorted(d["ServiceType"][0]["ServiceType"] for d in details)
    assert types == ["Gateway", "Interface"] and details[0]["ServiceId"] != details[1]["ServiceId"]
    vpc = ec2.create_vpc(CidrBlock="10.64.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.64.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    e = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                                SubnetIds=[subnet])["VpcEndpoint"]
    assert e["State"] == "available" and e["PrivateDnsEnabled"] is False
    assert json.loads(e["PolicyDocument"])["Statement"][0]["Effect"] == "Allow"
    regional = e["DnsEntries"][0]["DnsName"]
    assert regional.startswith("*." + e["VpcEndpointId"]) and regional.endswith(".s3.us-east-1.vpce.amazonaws.com")
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, VpcEndpointType="Interface", VpcId=vpc,
                 ServiceName="com.amazonaws.us-east-1.dynamodb", SubnetIds=[subnet])
    # The gateway endpoint to S3 stays what it was.
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    g = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb])["VpcEndpoint"]
    assert g["VpcEndpointType"] == "Gateway"
