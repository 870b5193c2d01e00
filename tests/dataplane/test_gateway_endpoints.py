"""Gateway endpoints with real traffic (issue 14; the PrivateLink guide's AT-11 … AT-13): a route
table given to an S3 gateway endpoint sends traffic for S3's addresses of its Region (its
AWS-managed prefix list) to the AWS services network directly, so the service sees the private
side of the instance (GW-16: here the interface's alias in 100.64.0.0/10) where through the
internet gateway it saw the Elastic IP; a more specific route wins over the list (GW-09); another
Region's S3 still goes out through the internet gateway (GW-08); an open connection to S3 is reset
when the endpoint appears (GW-16, AT-12); a peered VPC cannot use it (GW-17, AT-13).

S3 itself is not served yet: a TCP server in the simulated internet (whose loopback holds the
services pool) stands in for it at S3's addresses and says whom it sees.
"""
import pytest

from dplib import GUEST_PYTHON, PROBE, Background, lines, stages, trace

ALL = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    lists = {p["PrefixListName"]: p for p in ec2.describe_prefix_lists()["PrefixLists"]}
    s3 = lists["com.amazonaws.us-east-1.s3"]
    s3_ip = s3["Cidrs"][0].split("/")[0]
    vpc = lab.vpc("10.74.0.0/16")
    subnet = lab.subnet(vpc, "10.74.1.0/24")
    igw = lab.internet_gateway(vpc)
    rtb = lab.route_table(vpc, subnet, {"0.0.0.0/0": igw})
    sg = lab.group(vpc, "open", ingress=ALL)
    a = lab.launch(subnet, SecurityGroupIds=[sg])
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=a["InstanceId"])
    server = Background(lab.server, "internet", [GUEST_PYTHON, PROBE, "serve", "tcp", "80"], ready="ready")
    lab.background.append(server)
    return dict(ec2=ec2, vpc=vpc, subnet=subnet, igw=igw, rtb=rtb, a=a["InstanceId"], eip=eip["PublicIp"],
                s3=s3, s3_ip=s3_ip, server=server)


def seen(net, since):
    return [w[1] for w in lines(net["server"], since, "conn")]


def test_s3_through_the_gateway_endpoint(lab, net):
    """AT-11: first through the internet gateway (the server sees the Elastic IP), then, with the
    endpoint on the subnet's table, straight to the services network (it sees an alias in
    100.64.0.0/10); a /32 route to the internet gateway wins over the list (GW-09); with the
    endpoint gone, the internet gateway again."""
    ec2 = net["ec2"]
    # GW-14: clients use S3's public name, which is its address of the Region's list.
    for name in ("s3.us-east-1.amazonaws.com", "bucket.s3.us-east-1.amazonaws.com"):
        rc, out, _ = lab.sh(net["a"], ["dig", "+short", "+time=1", "+tries=2", "@10.74.0.2", name, "A"])
        assert rc == 0 and out.split() == [net["s3_ip"]], out
    since = net["server"].mark()
    assert lab.tcp(net["a"], net["s3_ip"], 80, timeout=2)
    assert seen(net, since) == [net["eip"]]
    e = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                RouteTableIds=[net["rtb"]])["VpcEndpoint"]
    try:
        since = net["server"].mark()
        assert lab.tcp(net["a"], net["s3_ip"], 80, timeout=2)
        peers = seen(net, since)
        assert len(peers) == 1 and peers[0].startswith("100.") and peers[0] != net["eip"], peers
        result = trace(lab, net["a"], f"{net['s3_ip']}:80", "--protocol", "tcp")
        assert stages(result, "gateway-endpoint")[0]["component"] == e["VpcEndpointId"], result
        # GW-09: a route as specific as the service's address beats the list.
        ec2.create_route(RouteTableId=net["rtb"], DestinationCidrBlock=net["s3_ip"] + "/32", GatewayId=net["igw"])
        since = net["server"].mark()
        assert lab.tcp(net["a"], net["s3_ip"], 80, timeout=2)
        assert seen(net, since) == [net["eip"]]
        ec2.delete_route(RouteTableId=net["rtb"], DestinationCidrBlock=net["s3_ip"] + "/32")
    finally:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])
    since = net["server"].mark()
    assert lab.tcp(net["a"], net["s3_ip"], 80, timeout=2)
    assert seen(net, since) == [net["eip"]]


def test_another_regions_s3_takes_the_internet_gateway(lab, net):
    """GW-08: the endpoint's list is its Region's: eu-west-1's S3 goes through the internet gateway."""
    import boto3
    ec2 = net["ec2"]
    west = boto3.client("ec2", region_name="eu-west-1", endpoint_url=ec2.meta.endpoint_url,
                        aws_access_key_id="test", aws_secret_access_key="test")
    west_s3 = [p for p in west.describe_prefix_lists()["PrefixLists"]
               if p["PrefixListName"] == "com.amazonaws.eu-west-1.s3"][0]["Cidrs"][0].split("/")[0]
    assert west_s3 != net["s3_ip"]
    e = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                RouteTableIds=[net["rtb"]])["VpcEndpoint"]
    try:
        since = net["server"].mark()
        assert lab.tcp(net["a"], west_s3, 80, timeout=2)
        assert seen(net, since) == [net["eip"]]
    finally:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])


def test_open_connection_reset_when_the_endpoint_appears(lab, net):
    """AT-12, GW-16: a connection opened through the internet gateway does not survive the
    endpoint: its next packets take the new path, where the service knows no such connection
    and answers with a reset; a new connection works."""
    ec2 = net["ec2"]
    session = lab.session(net["a"], net["s3_ip"], 80, timeout=2)
    try:
        assert session.connected and session.exchange("before") == "ok"
        e = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                    RouteTableIds=[net["rtb"]])["VpcEndpoint"]
        try:
            assert session.exchange("after") != "ok"
            assert lab.tcp(net["a"], net["s3_ip"], 80, timeout=2)
        finally:
            ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])
    finally:
        session.stop()


def test_not_through_a_peering_connection(lab, net):
    """AT-13, GW-17: a peered VPC's instance, routing S3's address to the peering connection,
    does not reach S3 through the other VPC's endpoint; its own endpoint works (the positive
    control on the same kind of path)."""
    ec2 = net["ec2"]
    peer_vpc = lab.vpc("10.75.0.0/16")
    peer_subnet = lab.subnet(peer_vpc, "10.75.1.0/24")
    sg = lab.group(peer_vpc, "open", ingress=ALL)
    b = lab.launch(peer_subnet, SecurityGroupIds=[sg])
    pcx = ec2.create_vpc_peering_connection(VpcId=peer_vpc, PeerVpcId=net["vpc"])["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    peer_rtb = lab.route_table(peer_vpc, peer_subnet, {})
    for cidr in ("10.74.0.0/16", net["s3_ip"] + "/32"):
        ec2.create_route(RouteTableId=peer_rtb, DestinationCidrBlock=cidr, VpcPeeringConnectionId=pcx)
    e = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                RouteTableIds=[net["rtb"]])["VpcEndpoint"]
    try:
        since = net["server"].mark()
        assert not lab.tcp(b["InstanceId"], net["s3_ip"], 80, timeout=1)
        assert seen(net, since) == []
        ec2.delete_route(RouteTableId=peer_rtb, DestinationCidrBlock=net["s3_ip"] + "/32")
        own = ec2.create_vpc_endpoint(VpcId=peer_vpc, ServiceName="com.amazonaws.us-east-1.s3",
                                      RouteTableIds=[peer_rtb])["VpcEndpoint"]
        try:
            assert lab.tcp(b["InstanceId"], net["s3_ip"], 80, timeout=2)
        finally:
            ec2.delete_vpc_endpoints(VpcEndpointIds=[own["VpcEndpointId"]])
    finally:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])
