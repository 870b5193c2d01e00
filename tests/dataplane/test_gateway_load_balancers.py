"""Gateway Load Balancers with real traffic (issue 13): a flow between two subnets steered
through a Gateway Load Balancer endpoint (routes more specific than the local route, GLB-14)
travels in Geneve to an appliance (a program that counts and returns what it gets), both
directions of the flow to the same appliance (GLB-15), and goes on from the endpoint to its
destination, which sees the client's own address. Without the appliance nothing passes.
"""
import time

import boto3
import pytest

from dplib import GENEVE_APPLIANCE, GUEST_PYTHON, PROBE, Background, lines, stages, trace

VPC_ALL = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.70.0.0/16"}]}]


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    elb = boto3.client("elbv2", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                       aws_access_key_id="test", aws_secret_access_key="test")
    vpc = lab.vpc("10.70.0.0/16")
    app_a, app_b = lab.subnet(vpc, "10.70.1.0/24"), lab.subnet(vpc, "10.70.2.0/24")
    endpoints, appliances = lab.subnet(vpc, "10.70.3.0/24"), lab.subnet(vpc, "10.70.4.0/24")
    open_sg = lab.group(vpc, "gwlb-open", ingress=VPC_ALL)
    client = lab.launch(app_a)
    server = lab.launch(app_b, SecurityGroupIds=[open_sg])
    appliance = lab.launch(appliances, SecurityGroupIds=[open_sg])
    echo = lab.serve(server["InstanceId"], "tcp", 7000)
    gwlb = elb.create_load_balancer(Name="gwlb", Type="gateway", Subnets=[appliances])["LoadBalancers"][0]
    tg = elb.create_target_group(Name="appliances", Protocol="GENEVE", Port=6081, VpcId=vpc)["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": appliance["InstanceId"]}])
    elb.create_listener(LoadBalancerArn=gwlb["LoadBalancerArn"],
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    svc = ec2.create_vpc_endpoint_service_configuration(GatewayLoadBalancerArns=[gwlb["LoadBalancerArn"]],
                                                        AcceptanceRequired=False)["ServiceConfiguration"]
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"],
                                                AddAllowedPrincipals=["arn:aws:iam::123456789012:root"])
    vpce = ec2.create_vpc_endpoint(VpcEndpointType="GatewayLoadBalancer", VpcId=vpc, ServiceName=svc["ServiceName"],
                                   SubnetIds=[endpoints])["VpcEndpoint"]
    assert vpce["State"] == "available"
    # GLB-14: each application subnet reaches the other through the endpoint.
    for subnet, other in ((app_a, "10.70.2.0/24"), (app_b, "10.70.1.0/24")):
        rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=other, VpcEndpointId=vpce["VpcEndpointId"])
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    return dict(ec2=ec2, elb=elb, vpc=vpc, client=client, server=server, appliance=appliance, echo=echo,
                gwlb=gwlb, vpce=vpce, svc=svc)


def test_flow_through_the_appliance_both_ways(lab, net):
    box = Background(lab.server, net["appliance"]["InstanceId"], [GUEST_PYTHON, "-c", GENEVE_APPLIANCE], ready="ready")
    lab.background.append(box)
    try:
        since, echo_since = box.mark(), net["echo"].mark()
        assert lab.tcp(net["client"]["InstanceId"], net["server"]["PrivateIpAddress"], 7000, timeout=3, msg="via-gwlb")
        seen = lines(box, since, "geneve")
        node = net["gwlb"]["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
        assert len(seen) >= 4, box.lines[since:]  # SYN, SYN-ACK, data and its echo at least: both directions
        assert {w[1] for w in seen} == {node}  # from the load balancer's node
        # The server sees the client itself: a Gateway Load Balancer is transparent.
        assert [w[1] for w in lines(net["echo"], echo_since, "conn")] == [net["client"]["PrivateIpAddress"]]
        # 120 KB each way: the instances' GSO frames are segmented before they enter the tunnel,
        # within the Gateway Load Balancer's MTU (8,500); a larger packet that may not be
        # fragmented is answered with ICMP "fragmentation needed", which the client's groups must
        # let in (A38) for path MTU discovery to work, as on AWS.
        client_sg = net["client"]["SecurityGroups"][0]["GroupId"]
        net["ec2"].authorize_security_group_ingress(GroupId=client_sg, IpPermissions=[
            {"IpProtocol": "icmp", "FromPort": 3, "ToPort": 4, "IpRanges": [{"CidrIp": "10.70.0.0/16"}]}])
        assert lab.tcp(net["client"]["InstanceId"], net["server"]["PrivateIpAddress"], 7000, timeout=5,
                       msg="g" * 120000)
    finally:
        box.stop()
    # Without the appliance nothing passes (the positive control above, the same path).
    assert not lab.tcp(net["client"]["InstanceId"], net["server"]["PrivateIpAddress"], 7000, timeout=1)


def test_trace_through_the_endpoint(lab, net):
    result = trace(lab, net["client"]["InstanceId"], net["server"]["PrivateIpAddress"] + ":7000", "--protocol", "tcp")
    assert result["allowed"], result
    assert stages(result, "gateway-load-balancer-endpoint")[0]["component"] == net["vpce"]["VpcEndpointId"]
    gw = stages(result, "gateway-load-balancer")[0]
    assert gw["component"] == net["gwlb"]["LoadBalancerArn"]
    assert net["appliance"]["InstanceId"] in gw["rule"]


def test_internet_traffic_through_the_appliance(lab, net):
    """AT-15, GLB-14, GLB-15, S17: the internet gateway's own route table sends what comes in for
    the server's subnet to the endpoint, the server's subnet sends everything else to it, and the
    endpoint's subnet goes on to the internet gateway: a connection from the internet to the
    server's Elastic IP and one from the server to the internet both cross the appliance both
    ways, and keep their addresses (the server sees the internet host, the internet host sees the
    Elastic IP). Without the appliance neither passes (the positive controls come first)."""
    ec2 = net["ec2"]
    vpc, vpce = net["vpc"], net["vpce"]["VpcEndpointId"]
    server = net["server"]["InstanceId"]
    igw = lab.internet_gateway(vpc)
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=server)
    public = eip["PublicIp"]
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    server_subnet = net["server"]["SubnetId"]
    server_rt = [t for t in tables if any(a.get("SubnetId") == server_subnet for a in t["Associations"])][0]
    ec2.create_route(RouteTableId=server_rt["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", VpcEndpointId=vpce)
    endpoint_subnet = net["vpce"]["SubnetIds"][0]
    lab.route_table(vpc, endpoint_subnet, {"0.0.0.0/0": igw})
    edge = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=edge, DestinationCidrBlock="10.70.2.0/24", VpcEndpointId=vpce)
    ec2.associate_route_table(RouteTableId=edge, GatewayId=igw)
    server_sg = net["server"]["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=server_sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7000, "IpRanges": [{"CidrIp": "203.0.113.0/24"}]}])
    internet = Background(lab.server, "internet", [GUEST_PYTHON, PROBE, "serve", "tcp", "80"], ready="ready")
    lab.background.append(internet)
    box = Background(lab.server, net["appliance"]["InstanceId"], [GUEST_PYTHON, "-c", GENEVE_APPLIANCE], ready="ready")
    lab.background.append(box)
    try:
        since, echo_since = box.mark(), net["echo"].mark()
        assert lab.tcp("internet", public, 7000, timeout=3, msg="from-the-internet")
        assert len(lines(box, since, "geneve")) >= 4, box.lines[since:]  # both directions
        assert [w[1] for w in lines(net["echo"], echo_since, "conn")] == ["203.0.113.10"]
        result = trace(lab, "internet", f"{public}:7000", "--protocol", "tcp")
        assert stages(result, "gateway-load-balancer-endpoint"), result
        since, seen_since = box.mark(), internet.mark()
        assert lab.tcp(server, "203.0.113.10", 80, timeout=3, msg="to-the-internet")
        assert len(lines(box, since, "geneve")) >= 4, box.lines[since:]
        assert [w[1] for w in lines(internet, seen_since, "conn")] == [public]
    finally:
        box.stop()
    assert not lab.tcp("internet", public, 7000, timeout=1)
    assert not lab.tcp(server, "203.0.113.10", 80, timeout=1)
