"""Gateway Load Balancers with real IPv6 traffic (issues 13 and 14, GLB-13, IP-05): a dualstack
Gateway Load Balancer's service supports ipv6, and a dualstack endpoint steers IPv6 flows to the
appliance in Geneve over IPv4 ("appliances may stay IPv4-only"), both directions of a flow to one
appliance (GLB-15), the destination seeing the client's own address. Routes to the endpoint are
IPv6 routes, in the subnets' route tables (GLB-14) and in the internet gateway's (S17, AT-15).
The module is skipped where `dhclient` (the instances' DHCPv6 client) is missing.
"""
import boto3
import pytest

from dplib import (GENEVE_APPLIANCE, GUEST_PYTHON, PROBE, Background, amazon_64s, canon, ipv6_of, lines,
                   missing_prerequisite, stages, trace)

_MISSING = missing_prerequisite(tools=("dhclient",))
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    elb = boto3.client("elbv2", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                       aws_access_key_id="test", aws_secret_access_key="test")
    vpc = ec2.create_vpc(CidrBlock="10.74.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    n64 = amazon_64s(ec2, vpc)
    block56 = n64[0].supernet(new_prefix=56)

    def subnet(i):
        return ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.74.{i}.0/24", Ipv6CidrBlock=str(n64[i]),
                                 AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    app_a, app_b, endpoints, appliances = subnet(1), subnet(2), subnet(3), subnet(4)
    open_sg = lab.group(vpc, "gwlb6-open", ingress=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.74.0.0/16"}], "Ipv6Ranges": [{"CidrIpv6": str(block56)}]}])
    client = lab.launch(app_a, Ipv6AddressCount=1, wait=False)
    server = lab.launch(app_b, SecurityGroupIds=[open_sg], Ipv6AddressCount=1, wait=False)
    appliance = lab.launch(appliances, SecurityGroupIds=[open_sg])
    for inst in (client, server):
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
        lab.wait_ipv6(inst)
    echo = lab.serve(server["InstanceId"], "tcp", 7000)
    gwlb = elb.create_load_balancer(Name="gwlb6", Type="gateway", IpAddressType="dualstack",
                                    Subnets=[appliances])["LoadBalancers"][0]
    tg = elb.create_target_group(Name="appliances6", Protocol="GENEVE", Port=6081, VpcId=vpc)["TargetGroups"][0]
    elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": appliance["InstanceId"]}])
    elb.create_listener(LoadBalancerArn=gwlb["LoadBalancerArn"],
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    svc = ec2.create_vpc_endpoint_service_configuration(GatewayLoadBalancerArns=[gwlb["LoadBalancerArn"]],
                                                        AcceptanceRequired=False,
                                                        SupportedIpAddressTypes=["ipv4", "ipv6"])["ServiceConfiguration"]
    ec2.modify_vpc_endpoint_service_permissions(ServiceId=svc["ServiceId"],
                                                AddAllowedPrincipals=["arn:aws:iam::123456789012:root"])
    vpce = ec2.create_vpc_endpoint(VpcEndpointType="GatewayLoadBalancer", VpcId=vpc, ServiceName=svc["ServiceName"],
                                   SubnetIds=[endpoints], IpAddressType="dualstack")["VpcEndpoint"]
    assert vpce["State"] == "available" and vpce["IpAddressType"] == "dualstack"
    # GLB-14, IP-05: each application subnet reaches the other's IPv6 block through the endpoint.
    tables = {}
    for sub, other in ((app_a, n64[2]), (app_b, n64[1])):
        rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock=str(other), VpcEndpointId=vpce["VpcEndpointId"])
        ec2.associate_route_table(RouteTableId=rtb, SubnetId=sub)
        tables[sub] = rtb
    return dict(ec2=ec2, vpc=vpc, n64=n64, client=client["InstanceId"], server=server["InstanceId"],
                client6=ipv6_of(client), server6=ipv6_of(server), client_sg=client["SecurityGroups"][0]["GroupId"], server_sg=open_sg,
                appliance=appliance["InstanceId"], echo=echo, gwlb=gwlb, vpce=vpce, tables=tables,
                app_b=app_b, endpoints=endpoints)


def appliance(lab, net):
    box = Background(lab.server, net["appliance"], [GUEST_PYTHON, "-c", GENEVE_APPLIANCE], ready="ready")
    lab.background.append(box)
    return box


def test_ipv6_flow_through_the_appliance_both_ways(lab, net):
    """Both directions of an IPv6 connection cross the appliance in Geneve from the node's IPv4
    address with the inner protocol type 0x86dd; the server sees the client's own IPv6 address; 120 KB
    each way (GSO frames segmented before the tunnel, within its MTU; path MTU discovery by ICMPv6
    Packet Too Big, which the client's groups let in: A38). Without the appliance nothing passes."""
    box = appliance(lab, net)
    node = net["gwlb"]["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
    try:
        since, echo_since = box.mark(), net["echo"].mark()
        assert lab.tcp(net["client"], net["server6"], 7000, timeout=3, msg="six-via-gwlb")
        seen = lines(box, since, "geneve")
        assert len(seen) >= 4, box.lines[since:]
        assert {w[1] for w in seen} == {node}
        assert {w[3] for w in seen} == {"0x86dd"}  # the inner packets are IPv6
        assert [canon(w[1]) for w in lines(net["echo"], echo_since, "conn")] == [net["client6"]]
        for sg in (net["client_sg"], net["server_sg"]):  # both send more than the tunnel's MTU
            net["ec2"].authorize_security_group_ingress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "icmpv6", "FromPort": 2, "ToPort": 0, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
        assert lab.tcp(net["client"], net["server6"], 7000, timeout=5, msg="h" * 120000)
    finally:
        box.stop()
    assert not lab.tcp(net["client"], net["server6"], 7000, timeout=1)  # the positive control is above


def test_trace_through_the_endpoint_over_ipv6(lab, net):
    result = trace(lab, net["client"], f"[{net['server6']}]:7000", "--protocol", "tcp")
    assert result["allowed"], result
    assert stages(result, "gateway-load-balancer-endpoint")[0]["component"] == net["vpce"]["VpcEndpointId"]
    assert stages(result, "gateway-load-balancer")[0]["component"] == net["gwlb"]["LoadBalancerArn"]


def test_internet_ipv6_through_the_appliance(lab, net):
    """AT-15 over IPv6 (S17, GLB-14, GLB-15): the internet gateway's route table sends what comes in
    for the server's /64 to the endpoint, the server's subnet sends ::/0 to it, and the endpoint's
    subnet goes on to the internet gateway: 3fff::10 reaches the server and the server reaches
    3fff::10, both across the appliance both ways, addresses unchanged (IPv6 is not translated)."""
    ec2, vpce = net["ec2"], net["vpce"]["VpcEndpointId"]
    igw = lab.internet_gateway(net["vpc"])
    ec2.create_route(RouteTableId=net["tables"][net["app_b"]], DestinationIpv6CidrBlock="::/0", VpcEndpointId=vpce)
    lab.route_table(net["vpc"], net["endpoints"], {"::/0": igw})
    edge = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=edge, DestinationIpv6CidrBlock=str(net["n64"][2]), VpcEndpointId=vpce)
    ec2.associate_route_table(RouteTableId=edge, GatewayId=igw)
    ec2.authorize_security_group_ingress(GroupId=net["server_sg"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 7000, "ToPort": 7000, "Ipv6Ranges": [{"CidrIpv6": "3fff::/20"}]}])
    internet = Background(lab.server, "internet", [GUEST_PYTHON, PROBE, "serve", "tcp", "80"], ready="ready")
    lab.background.append(internet)
    box = appliance(lab, net)
    try:
        since, echo_since = box.mark(), net["echo"].mark()
        assert lab.tcp("internet", net["server6"], 7000, timeout=3, msg="from-the-internet")
        assert len(lines(box, since, "geneve")) >= 4, box.lines[since:]
        assert [canon(w[1]) for w in lines(net["echo"], echo_since, "conn")] == ["3fff::10"]
        result = trace(lab, "internet", f"[{net['server6']}]:7000", "--protocol", "tcp")
        assert stages(result, "gateway-load-balancer-endpoint"), result
        since, seen_since = box.mark(), internet.mark()
        assert lab.tcp(net["server"], "3fff::10", 80, timeout=3, msg="to-the-internet")
        assert len(lines(box, since, "geneve")) >= 4, box.lines[since:]
        assert [canon(w[1]) for w in lines(internet, seen_since, "conn")] == [net["server6"]]
    finally:
        box.stop()
        internet.stop()
    assert not lab.tcp("internet", net["server6"], 7000, timeout=1)  # no appliance, no way in
