"""IPv6 through the gateways on real traffic: the guide's scenarios S2 and S10 (shared/spec/inventory-vpc-guide.md).

An internet gateway passes IPv6 unchanged both ways (I4); an egress-only internet gateway forwards what the
instances start and the replies, and drops what the internet starts (J1); subnet ACLs still apply (J2).
The simulated internet's IPv6 host is 3fff::10 (RFC 9637's documentation block), the VPCs' blocks come from
2001:db8::/32.

Layout: one VPC with an Amazon /56. The public subnet (/64 number 0) routes ::/0 to an internet gateway, the
private one (/64 number 1) routes ::/0 to an egress-only gateway. P (public) and Q (private) run echo servers on
tcp 8080; their group admits everything over IPv6. 3fff::10 runs an echo server on tcp 80 whose "conn IP PORT"
lines tell the address it saw.
"""
import shutil
import subprocess

import pytest

from dplib import GUEST_PYTHON, PROBE, SETTLE, Background, trace, wait_for

INTERNET = "internet"
INTERNET_HOST6 = "3fff::10"

pytestmark = pytest.mark.skipif(shutil.which("dhclient") is None,
                                reason="IPv6 instances take their addresses with ISC dhclient -6")


def v6_of(ec2, instance_id):
    d = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return d["NetworkInterfaces"][0]["Ipv6Addresses"][0]["Ipv6Address"]


def from_internet(lab, *argv, timeout=10):
    return subprocess.run(lab.server.exec_args(INTERNET, *argv), capture_output=True, text=True, timeout=timeout)


def tcp_from_internet(lab, ip, port):
    return from_internet(lab, GUEST_PYTHON, PROBE, "tcp", ip, str(port), "--timeout", "1").returncode == 0


@pytest.fixture(scope="module")
def net(lab, ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    prefix = block.split("::/")[0]  # 2001:db8:xxxx:yy00
    subnet6 = lambda n: f"{prefix[:-2]}{n:02x}::/64"
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24", Ipv6CidrBlock=subnet6(0),
                               AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=subnet6(1),
                                AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"]
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    private_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=private_rt, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    ec2.associate_route_table(RouteTableId=private_rt, SubnetId=private)
    sg = lab.group(vpc, "v6-open", ingress=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    p = lab.launch(public, SecurityGroupIds=[sg], Ipv6AddressCount=1)["InstanceId"]
    q = lab.launch(private, SecurityGroupIds=[sg], Ipv6AddressCount=1)["InstanceId"]
    p6, q6 = v6_of(ec2, p), v6_of(ec2, q)
    for iid, ip in ((p, p6), (q, q6)):
        wait_for(lambda: ip in lab.sh(iid, ["ip", "-6", "-o", "addr", "show", "dev", "eth0"])[1], timeout=15,
                 what=f"{iid} has {ip}")
        lab.serve(iid, "tcp", 8080)
    web = Background(lab.server, INTERNET, [GUEST_PYTHON, PROBE, "serve", "tcp", "80"], ready="ready")
    lab.background.append(web)
    return dict(vpc=vpc, public=public, private=private, eigw=eigw, p=p, q=q, p6=p6, q6=q6, web=web,
                private_rt=private_rt)


def test_internet_gateway_passes_ipv6_both_ways(lab, net):
    """S2, S10 step 3, I4: a public subnet's instance reaches 3fff::10 and is reached at its own IPv6 address."""
    mark = net["web"].mark()
    assert lab.tcp(net["p"], INTERNET_HOST6, 80)
    # The internet sees the instance's own address: IPv6 is not translated.
    net["web"].wait_line(lambda l: l.startswith("conn ") and net["p6"] in l, timeout=5, since=mark)
    assert tcp_from_internet(lab, net["p6"], 8080)
    assert from_internet(lab, "ping", "-6", "-c", "1", "-W", "1", net["p6"]).returncode == 0


def test_egress_only_gateway_lets_out_and_replies_in_only(lab, net):
    """J1, S10 step 4: the private instance reaches 3fff::10 by TCP and ping; the internet reaches it by neither."""
    mark = net["web"].mark()
    assert lab.tcp(net["q"], INTERNET_HOST6, 80)
    net["web"].wait_line(lambda l: l.startswith("conn ") and net["q6"] in l, timeout=5, since=mark)
    assert lab.ping(net["q"], INTERNET_HOST6)
    assert not tcp_from_internet(lab, net["q6"], 8080)
    assert from_internet(lab, "ping", "-6", "-c", "1", "-W", "1", net["q6"]).returncode != 0


def test_the_internet_path_is_1500_bytes_for_ipv6(lab, net):
    """MTU-3, MTU-4 (ec2 guide): the path to the internet is 1,500 bytes, and IPv6 is never fragmented on
    the way: Q's 3,000-byte echo request to 3fff::10 is dropped, and the first hop (the router, fe80::ff:fe00:1)
    answers Packet Too Big with the path's MTU (Q's group admits all IPv6, A38); Q's kernel then fragments
    at 1,500 itself, and the next request is answered."""
    q = net["q"]
    lab.sh(q, ["ip", "-6", "route", "flush", "cache"])
    rc, out, _ = lab.sh(q, ["ping", "-6", "-n", "-c", "1", "-W", "1", "-s", "3000", INTERNET_HOST6])
    assert rc != 0 and "Packet too big" in out and "mtu=1500" in out and "fe80::ff:fe00:1" in out, out
    assert lab.ping(q, INTERNET_HOST6, wait=2, extra=["-s", "3000"])


def test_egress_only_gateway_is_not_for_ipv4(lab, ec2, net):
    """J1: the private subnet has no IPv4 way out (a route to an egress-only gateway is IPv6 only), while
    the same internet host's port 80 answers Q over IPv6."""
    q4 = ec2.describe_instances(InstanceIds=[net["q"]])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    assert q4
    assert lab.tcp(net["q"], INTERNET_HOST6, 80, timeout=2)
    assert not lab.tcp(net["q"], "203.0.113.10", 80)


def test_subnet_acl_applies_behind_the_egress_only_gateway(lab, ec2, net):
    """J2: no security group on the gateway, but the private subnet's ACL decides: an outbound IPv6 deny cuts it."""
    acl = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [net["private"]]}])[
        "NetworkAcls"][0]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=90, Protocol="6", RuleAction="deny", Egress=True,
                                 Ipv6CidrBlock="3fff::/16", PortRange={"From": 80, "To": 80})
    try:
        assert not lab.tcp(net["q"], INTERNET_HOST6, 80)
    finally:
        ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=90, Egress=True)
    wait_for(lambda: lab.tcp(net["q"], INTERNET_HOST6, 80), timeout=SETTLE, what="the ACL entry's removal takes effect")


def test_trace_names_the_egress_only_gateway(lab, net):
    """The trace follows the route to the egress-only gateway (stage 7)."""
    out = trace(lab, net["q"], f"[{INTERNET_HOST6}]:80")
    assert out["allowed"] is True
    assert out["target"] == net["eigw"]
    assert out["stages"][-1]["name"] == "egress-only-internet-gateway"
