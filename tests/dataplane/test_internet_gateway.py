"""The internet gateway on real traffic: 1:1 NAT between private addresses and public IPv4s / Elastic IPs,
and the simulated internet (namespace `<prefix>internet`, host 203.0.113.10 behind the engine at
203.0.113.1) on the other side.

Rule ids: shared/spec/inventory-vpc-guide.md — §2 I1-I3 (internet gateway data plane), E3, E6, G13, N1, N2,
O2, AA5, and the end-to-end scenarios of §5 written "scenario S1", "scenario S3" (not to be confused with the
Elastic-IP rules of §2 S, written "S1 (EIP)"); shared/spec/inventory-ec2-network-security.md — EIP-1, EIP-3,
EIP-6, EIP-7, EIP-17, IP-8, IP-10, CT-1, CT-2, CT-8, A15, A23, A25.

Layout (fixture net): VPC 10.0.0.0/16 with an attached internet gateway. Public subnet 10.0.1.0/24 (its own
route table: 0.0.0.0/0 -> igw) holds A (Elastic IP, echo servers on 8080 and 8081), N (no public address),
B1 and B2 (echo servers on 8080, for an Elastic IP that moves) and C (public IPv4 auto-assigned at launch,
echo server on 8080). Private subnet 10.0.2.0/24 (main route table: local only) holds P (Elastic IP, echo
server on 8080). Group 'web' admits tcp 8080 from 0.0.0.0/0 only. On the internet, 203.0.113.10 runs an
echo server on port 80 whose "conn IP PORT" lines tell the address it saw.
"""

import pytest

from dplib import GUEST_PYTHON, PROBE, SETTLE, Background, acl_entry, associate_acl, trace, wait_for

INTERNET = "internet"  # `openvpc exec internet -- CMD` runs CMD in the simulated internet
INTERNET_HOST = "203.0.113.10"
PUBLIC_POOL_PREFIX = "198.51.100."

WEB_8080 = {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
ICMP_FROM_ANYWHERE = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


# --------------------------------------------------------------------------------------------------
# Helpers.



def assert_through_gateway(t, igw, private_ip, public_ip):
    """The trace leaves through the internet gateway (stage 7) with the source translated 1:1."""
    assert t["allowed"] and t["verdict"] == "ALLOW" and t.get("target") == igw, t
    assert t.get("translated_source") == public_ip, t
    gw = t["stages"][-1]
    assert gw["stage"] == 7 and gw["name"] == "internet-gateway" and gw["allowed"], t
    assert gw["component"] == igw and gw["rule"] == f"{private_ip} -> {public_ip}", t


def stage(result, name):
    found = [s for s in result["stages"] if s["name"] == name]
    assert found, result
    return found[0]


def conn_from(server, ip, since, timeout=1.0):
    """The "conn IP PORT" line of probe serve for a connection from ip (after mark since), else None."""
    return server.wait_line(lambda line: line.startswith(f"conn {ip} "), timeout, since=since)


def conns(server, since):
    return [line for line in server.lines[since:] if line.startswith("conn ")]


def from_internet(lab, ip, port, timeout=0.5, msg="hello"):
    """True when the internet host makes a TCP connection to ip:port that echoes msg."""
    return lab.tcp(INTERNET, ip, port, timeout=timeout, msg=msg)


def to_internet(lab, instance_id, timeout=0.5):
    """True when the instance makes a TCP connection to the internet host's port 80 that echoes."""
    return lab.tcp(instance_id, INTERNET_HOST, 80, timeout=timeout)


def public_ip(lab, instance_id):
    inst = lab.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    return inst.get("PublicIpAddress")


def allocate(lab):
    a = lab.ec2.allocate_address(Domain="vpc")
    return a["AllocationId"], a["PublicIp"]


def associate(lab, allocation_id, instance_id, **kw):
    return lab.ec2.associate_address(AllocationId=allocation_id, InstanceId=instance_id, **kw)["AssociationId"]




def public_vpc(lab, cidr, base):
    """A VPC with an attached internet gateway and one subnet BASE.1.0/24 whose own route table sends
    0.0.0.0/0 to the gateway (scenario S1): (vpc, igw, subnet, route table)."""
    ec2 = lab.ec2
    vpc = lab.vpc(cidr)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    subnet = lab.subnet(vpc, f"{base}.1.0/24")
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    return vpc, igw, subnet, rtb


# --------------------------------------------------------------------------------------------------
# Fixtures.


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    vpc, igw, public, public_rtb = public_vpc(lab, "10.0.0.0/16", "10.0")
    private = lab.subnet(vpc, "10.0.2.0/24")
    web = lab.group(vpc, "web", ingress=[WEB_8080])
    closed = lab.group(vpc, "closed")  # no inbound rule at all; egress: the default allow-all
    icmp = lab.group(vpc, "icmp", ingress=[ICMP_FROM_ANYWHERE])

    launched = {
        "a": lab.launch(public, SecurityGroupIds=[web], wait=False),
        "n": lab.launch(public, SecurityGroupIds=[web], wait=False),
        "b1": lab.launch(public, SecurityGroupIds=[web], wait=False),
        "b2": lab.launch(public, SecurityGroupIds=[web], wait=False),
        "p": lab.launch(private, SecurityGroupIds=[web], wait=False),
        # IP-10, E3: the launch-time override on a subnet whose MapPublicIpOnLaunch is false (E1).
        "c": lab.launch(NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": public, "AssociatePublicIpAddress": True,
                                            "Groups": [web]}], wait=False),
    }
    for inst in launched.values():
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
    ids = {k: v["InstanceId"] for k, v in launched.items()}
    ips = {k: v["PrivateIpAddress"] for k, v in launched.items()}

    eip_a, eip_a_ip = allocate(lab)
    associate(lab, eip_a, ids["a"])
    eip_p, eip_p_ip = allocate(lab)
    associate(lab, eip_p, ids["p"])

    servers = {"a": lab.serve(ids["a"], "tcp", 8080), "a8081": lab.serve(ids["a"], "tcp", 8081)}
    for k in ("b1", "b2", "p", "c"):
        servers[k] = lab.serve(ids[k], "tcp", 8080)
    internet = Background(lab.server, INTERNET, [GUEST_PYTHON, PROBE, "serve", "tcp", "80"], ready="ready")
    lab.background.append(internet)

    default_acl = ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]["NetworkAclId"]
    main_rtb = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    return dict(vpc=vpc, igw=igw, public=public, private=private, public_rtb=public_rtb,
                main_rtb=main_rtb["RouteTableId"], default_acl=default_acl, web=web, closed=closed, icmp=icmp,
                inst=launched, id=ids, ip=ips, eip_a=eip_a, eip_a_ip=eip_a_ip, eip_p=eip_p, eip_p_ip=eip_p_ip,
                srv=servers, internet=internet)


@pytest.fixture
def custom_acl(lab, net):
    """A new custom ACL (denies everything until given entries) for the public subnet; the subnet goes
    back to the default ACL afterwards."""
    acl = lab.ec2.create_network_acl(VpcId=net["vpc"])["NetworkAcl"]["NetworkAclId"]
    yield acl
    associate_acl(lab, net["public"], net["default_acl"])


# --------------------------------------------------------------------------------------------------
# Tests.


def test_elastic_ip_both_ways(lab, net):
    """Scenario S1 (step 5) and scenario S3, I1, I2, E6, IP-8, EIP-1, EIP-6, EIP-17, M*: A in the public
    subnet holds an Elastic IP and group 'web' (tcp 8080 from 0.0.0.0/0). From the internet a TCP
    connection to EIP:8080 is made and echoed, and A's server sees the internet host (not a translated
    address) as its peer; EIP:8081 (a server listens there too) is dropped by the group. A reaches
    203.0.113.10:80 and the internet host sees the Elastic IP as the source; the guest itself only
    ever holds its private address."""
    a, eip = net["id"]["a"], net["eip_a_ip"]
    assert eip.startswith(PUBLIC_POOL_PREFIX), eip
    srv, srv8081, internet = net["srv"]["a"], net["srv"]["a8081"], net["internet"]

    mark = srv.mark()
    assert from_internet(lab, eip, 8080, timeout=2, msg="to-the-eip")
    assert conn_from(srv, INTERNET_HOST, mark), srv.lines

    mark = srv8081.mark()
    assert not from_internet(lab, eip, 8081, timeout=1)
    assert conns(srv8081, mark) == []

    mark = internet.mark()
    assert to_internet(lab, a, timeout=2)
    line = internet.wait_line(lambda l: l.startswith("conn "), 1, since=mark)
    assert line and line.split()[1] == eip, (line, internet.lines)

    assert lab.addresses(a) == [net["ip"]["a"]]  # IP-8: the public address is not in the guest

    assert_through_gateway(trace(lab, a, f"{INTERNET_HOST}:80"), net["igw"], net["ip"]["a"], eip)


def test_no_public_address_no_internet(lab, net):
    """I2, scenario S1 step 4: N sits in the same public subnet (route to the attached gateway) but has
    neither a public IPv4 nor an Elastic IP: neither TCP nor ping reaches 203.0.113.10, the internet
    host sees nothing, and trace stops at stage 7 with NO_PUBLIC_IPV4_ADDRESS. Control: with an Elastic
    IP for a moment, the same flows from N pass."""
    n = net["id"]["n"]
    assert public_ip(lab, n) is None
    internet = net["internet"]
    mark = internet.mark()
    assert not to_internet(lab, n, timeout=1)
    assert not lab.ping(n, INTERNET_HOST, wait=1)
    assert conns(internet, mark) == []

    t = trace(lab, n, f"{INTERNET_HOST}:80")
    assert t["verdict"] == "DROP" and t["explanation_code"] == "NO_PUBLIC_IPV4_ADDRESS", t
    last = t["stages"][-1]
    assert last["stage"] == 7 and last["name"] == "internet-gateway" and last["component"] == net["igw"], t
    assert stage(t, "route-table")["rule"] == f"0.0.0.0/0 -> {net['igw']}", t

    alloc, _ = allocate(lab)
    assoc = associate(lab, alloc, n)
    try:
        wait_for(lambda: to_internet(lab, n), timeout=SETTLE, interval=0, what="N with an Elastic IP reaches the internet")
        assert lab.ping(n, INTERNET_HOST, wait=1)
    finally:
        lab.ec2.disassociate_address(AssociationId=assoc)
        lab.ec2.release_address(AllocationId=alloc)


def test_no_route_to_the_gateway_no_internet(lab, net):
    """I2, I3, EIP-17, G2: P holds an Elastic IP but its subnet uses the main route table (local route
    only): P cannot reach 203.0.113.10 (trace: NO_ROUTE_TO_DESTINATION at stage 6), and the internet
    cannot reach P through its Elastic IP (P's answers have no route out). With a route narrower than
    0.0.0.0/0 (203.0.113.0/24 -> igw, I3) in a table of its own, P reaches the internet host, which
    sees P's Elastic IP, and P answers the internet; without it, nothing again."""
    ec2 = lab.ec2
    p, eip = net["id"]["p"], net["eip_p_ip"]
    internet, srv = net["internet"], net["srv"]["p"]
    mark, srv_mark = internet.mark(), srv.mark()
    assert not to_internet(lab, p, timeout=1)
    assert not from_internet(lab, eip, 8080, timeout=1)
    assert conns(internet, mark) == [] and conns(srv, srv_mark) == []

    t = trace(lab, p, f"{INTERNET_HOST}:80")
    assert t["verdict"] == "DROP" and t["explanation_code"] == "NO_ROUTE_TO_DESTINATION", t
    last = t["stages"][-1]
    assert last["stage"] == 6 and last["name"] == "route-table" and last["component"] == net["main_rtb"], t

    rtb = ec2.create_route_table(VpcId=net["vpc"])["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="203.0.113.0/24", GatewayId=net["igw"])
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=net["private"])["AssociationId"]
    try:
        wait_for(lambda: to_internet(lab, p), timeout=SETTLE, interval=0, what="P reaches the internet")
        line = internet.wait_line(lambda l: l.startswith("conn "), 1, since=mark)
        assert line and line.split()[1] == eip, (line, internet.lines)
        assert from_internet(lab, eip, 8080, timeout=2)
        assert_through_gateway(trace(lab, p, f"{INTERNET_HOST}:80"), net["igw"], net["ip"]["p"], eip)
    finally:
        ec2.disassociate_route_table(AssociationId=assoc)
    wait_for(lambda: not to_internet(lab, p), timeout=SETTLE, interval=0, what="P cut off again")
    assert not from_internet(lab, eip, 8080, timeout=1)


def test_detached_gateway_is_a_blackhole(lab):
    """G13, AA5, I2, EIP-3: in a VPC of its own, D with an Elastic IP reaches the internet. Detaching the
    gateway is refused while the address is mapped (DependencyViolation); once it is disassociated
    the gateway detaches, the route 0.0.0.0/0 -> igw turns blackhole, D reaches nothing, and trace
    says BAD_STATE_ROUTE at stage 6. Attached again, the route is active (trace now stops at the
    gateway: no public address), and with the Elastic IP associated again D reaches the internet."""
    ec2 = lab.ec2
    vpc, igw, subnet, rtb = public_vpc(lab, "10.1.0.0/16", "10.1")
    d = lab.launch(subnet)["InstanceId"]
    alloc, eip = allocate(lab)
    assoc = associate(lab, alloc, d)
    wait_for(lambda: to_internet(lab, d), timeout=SETTLE, interval=0, what="D reaches the internet")

    with pytest.raises(Exception) as refused:
        ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert "DependencyViolation" in str(refused.value), refused.value
    assert to_internet(lab, d, timeout=2)

    ec2.disassociate_address(AssociationId=assoc)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    default = [r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"][0]
    assert default["State"] == "blackhole", routes
    wait_for(lambda: not to_internet(lab, d), timeout=SETTLE, interval=0, what="D cut off")
    assert not lab.ping(d, INTERNET_HOST, wait=1)

    t = trace(lab, d, f"{INTERNET_HOST}:80")
    assert t["verdict"] == "DROP" and t["explanation_code"] == "BAD_STATE_ROUTE", t
    last = t["stages"][-1]
    assert last["stage"] == 6 and last["name"] == "route-table" and last["component"] == rtb, t

    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    t = trace(lab, d, f"{INTERNET_HOST}:80")
    assert stage(t, "route-table")["allowed"] and t["explanation_code"] == "NO_PUBLIC_IPV4_ADDRESS", t
    associate(lab, alloc, d)
    wait_for(lambda: to_internet(lab, d), timeout=SETTLE, interval=0, what="D reaches the internet again")


def test_elastic_ip_moves_between_instances(lab, net):
    """EIP-7, EIP-3, S1 (EIP), A25, I1: an Elastic IP associated with B1 leads the internet to B1's
    server; re-associated with B2 (AllowReassociation) it leads to B2's, and B2's own connections
    leave with it while B1 has lost its way out; disassociated, nothing answers on it."""
    ec2 = lab.ec2
    b1, b2 = net["id"]["b1"], net["id"]["b2"]
    s1, s2, internet = net["srv"]["b1"], net["srv"]["b2"], net["internet"]
    alloc, eip = allocate(lab)

    associate(lab, alloc, b1)
    m1, m2 = s1.mark(), s2.mark()
    wait_for(lambda: from_internet(lab, eip, 8080), timeout=SETTLE, interval=0, what="EIP -> B1")
    assert conn_from(s1, INTERNET_HOST, m1) and conns(s2, m2) == [], (s1.lines, s2.lines)

    assoc = associate(lab, alloc, b2, AllowReassociation=True)
    address = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0]
    assert address["InstanceId"] == b2 and address["PrivateIpAddress"] == net["ip"]["b2"], address
    m2 = s2.mark()
    wait_for(lambda: from_internet(lab, eip, 8080) and conns(s2, m2), timeout=SETTLE, interval=0,
             what="EIP -> B2")
    m1 = s1.mark()
    for _ in range(3):
        assert from_internet(lab, eip, 8080, timeout=2)
    assert len(conns(s2, m2)) >= 4 and conns(s1, m1) == [], (s1.lines, s2.lines)

    mark = internet.mark()
    assert to_internet(lab, b2, timeout=2)
    line = internet.wait_line(lambda l: l.startswith("conn "), 1, since=mark)
    assert line and line.split()[1] == eip, (line, internet.lines)
    assert not to_internet(lab, b1, timeout=1)

    ec2.disassociate_address(AssociationId=assoc)
    wait_for(lambda: not from_internet(lab, eip, 8080), timeout=SETTLE, interval=0, what="EIP answers nowhere")
    m1, m2 = s1.mark(), s2.mark()
    assert not from_internet(lab, eip, 8080, timeout=1)
    assert not to_internet(lab, b2, timeout=1)
    assert conns(s1, m1) == [] and conns(s2, m2) == [], (s1.lines, s2.lines)
    ec2.release_address(AllocationId=alloc)


def test_public_ip_assigned_at_launch(lab, net):
    """IP-10, E3, E6, I1, I2: C was launched with AssociatePublicIpAddress=True on eth0 (the subnet's
    MapPublicIpOnLaunch is false): it has a public IPv4 from the pool, reachable from the internet on
    tcp 8080 like an Elastic IP; the internet host sees that address as the source of C's connections."""
    c = net["id"]["c"]
    lab.set_groups(net["inst"]["c"], [net["web"]])
    pub = public_ip(lab, c)
    assert pub and pub.startswith(PUBLIC_POOL_PREFIX) and pub not in (net["eip_a_ip"], net["eip_p_ip"]), pub
    assert not lab.ec2.describe_subnets(SubnetIds=[net["public"]])["Subnets"][0]["MapPublicIpOnLaunch"]

    srv, internet = net["srv"]["c"], net["internet"]
    mark = srv.mark()
    wait_for(lambda: from_internet(lab, pub, 8080), timeout=SETTLE, interval=0, what="internet -> C")
    assert conn_from(srv, INTERNET_HOST, mark), srv.lines

    mark = internet.mark()
    assert to_internet(lab, c, timeout=2)
    line = internet.wait_line(lambda l: l.startswith("conn "), 1, since=mark)
    assert line and line.split()[1] == pub, (line, internet.lines)
    assert_through_gateway(trace(lab, c, f"{INTERNET_HOST}:80"), net["igw"], net["ip"]["c"], pub)
    assert lab.addresses(c) == [net["ip"]["c"]]


def test_acl_inbound_deny_blocks_the_internet(lab, net, custom_acl):
    """O2, N2, N9, CT-8, I2: on the public subnet, ingress 100 deny tcp 8080 from 0.0.0.0/0, 200 allow
    all, egress 100 allow all: the internet's connection to A's EIP:8080 is dropped (the group would
    admit it) while A's own connection to the internet and its replies pass; replacing entry 100 with
    an allow lets the internet in again."""
    ec2, acl = lab.ec2, custom_acl
    a, eip = net["id"]["a"], net["eip_a_ip"]
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "deny", protocol="6", ports=(8080, 8080)))
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    assert from_internet(lab, eip, 8080, timeout=2)
    associate_acl(lab, net["public"], acl)
    wait_for(lambda: not from_internet(lab, eip, 8080), timeout=SETTLE, interval=0, what="8080 denied")
    srv = net["srv"]["a"]
    mark = srv.mark()
    assert not from_internet(lab, eip, 8080, timeout=1)
    assert conns(srv, mark) == []
    assert to_internet(lab, a, timeout=2)

    ec2.replace_network_acl_entry(**acl_entry(acl, 100, "allow", protocol="6", ports=(8080, 8080)))
    wait_for(lambda: from_internet(lab, eip, 8080), timeout=SETTLE, interval=0, what="8080 allowed again")


def test_acl_is_stateless_for_answers_to_the_internet(lab, net, custom_acl):
    """N1, N2, CT-8, I2: on the public subnet, ingress 100 allow all, egress 100 deny tcp 1024-65535 to
    0.0.0.0/0, 200 allow all: the internet's SYN reaches A but A's SYN-ACK (to the internet host's
    ephemeral port) is dropped, so the connection to EIP:8080 fails and A's server never accepts it,
    although A's own connection to the internet's port 80 still passes. Replacing entry 100 with an
    allow of the ephemeral ports restores the connection from the internet."""
    ec2, acl = lab.ec2, custom_acl
    a, eip = net["id"]["a"], net["eip_a_ip"]
    srv = net["srv"]["a"]
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "deny", egress=True, protocol="6", ports=(1024, 65535)))
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow", egress=True))
    associate_acl(lab, net["public"], acl)
    wait_for(lambda: not from_internet(lab, eip, 8080), timeout=SETTLE, interval=0, what="no return path")
    mark = srv.mark()
    assert not from_internet(lab, eip, 8080, timeout=1)
    assert srv.wait_line(lambda l: l.startswith("conn "), 0.2, since=mark) is None  # no handshake completed
    assert to_internet(lab, a, timeout=2)

    ec2.replace_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True, protocol="6", ports=(1024, 65535)))
    wait_for(lambda: from_internet(lab, eip, 8080), timeout=SETTLE, interval=0, what="return path open")
    assert conn_from(srv, INTERNET_HOST, mark), srv.lines


def test_stateful_group_across_the_gateway(lab, net):
    """CT-1, I1, M3, M4: C's only group has no inbound rule at all: C still opens a TCP connection to
    203.0.113.10:80 and gets the echo (the answer is admitted by connection tracking after the
    gateway's translation back to C's private address), and it pings the internet host; the
    internet cannot connect to C's public address."""
    c = net["id"]["c"]
    pub = public_ip(lab, c)
    srv = net["srv"]["c"]
    lab.set_groups(net["inst"]["c"], [net["closed"]])
    try:
        wait_for(lambda: not from_internet(lab, pub, 8080), timeout=SETTLE, interval=0, what="internet -> C dropped")
        mark = srv.mark()
        assert not from_internet(lab, pub, 8080, timeout=1)
        assert conns(srv, mark) == []
        assert to_internet(lab, c, timeout=2)
        assert lab.ping(c, INTERNET_HOST, count=2, wait=1, extra=["-i", "0.2"])
        s = lab.session(c, INTERNET_HOST, 80, timeout=1.0)
        assert s.connected, s.lines
        assert [s.exchange(f"line{i}") for i in range(3)] == ["ok"] * 3
        s.stop()
    finally:
        lab.set_groups(net["inst"]["c"], [net["web"]])


def test_icmp_through_the_gateway(lab, net):
    """CT-2, A15, I1, M*: A (Elastic IP, group 'web' without ICMP) pings 203.0.113.10 (the echo replies
    come back tracked); the internet's ping to A's Elastic IP gets no answer until A also has a group
    admitting ICMP, and none again once that group is gone."""
    a, eip = net["id"]["a"], net["eip_a_ip"]
    assert lab.ping(a, INTERNET_HOST, count=2, wait=1, extra=["-i", "0.2"])
    assert not lab.ping(INTERNET, eip, wait=1)
    lab.set_groups(net["inst"]["a"], [net["web"], net["icmp"]])
    try:
        wait_for(lambda: lab.ping(INTERNET, eip, wait=0.5), timeout=SETTLE, interval=0, what="internet pings A")
        assert_through_gateway(trace(lab, a, INTERNET_HOST, "--protocol", "icmp"), net["igw"], net["ip"]["a"], eip)
    finally:
        lab.set_groups(net["inst"]["a"], [net["web"]])
    wait_for(lambda: not lab.ping(INTERNET, eip, wait=0.5), timeout=SETTLE, interval=0, what="ping dropped again")


def test_trace_from_the_internet(lab, net):
    """`openvpc trace --from internet`: the internet gateway translates the Elastic IP to A's private address
    (I2), then A's subnet ACL and groups decide; a port without a rule is ENI_SG_RULES_MISMATCH, an address
    nobody holds has no destination."""
    t = trace(lab, "internet", f"{net['eip_a_ip']}:8080")
    assert t["verdict"] == "ALLOW", t
    assert t["destination"]["network_interface"] == lab.eni_of(net["inst"]["a"]), t
    assert t.get("translated_destination") == net["ip"]["a"], t
    assert [s["name"] for s in t["stages"]] == ["internet-gateway", "network-acl-inbound", "security-groups-ingress"]
    assert t["stages"][0]["component"] == net["igw"]
    t = trace(lab, "internet", f"{net['eip_a_ip']}:22")
    assert t["explanation_code"] == "ENI_SG_RULES_MISMATCH", t
    assert from_internet(lab, net["eip_a_ip"], 8080, timeout=2)  # control: the same path, on the open port
    assert not from_internet(lab, net["eip_a_ip"], 22)
    t = trace(lab, "internet", "198.51.100.254:8080")
    assert t["explanation_code"] == "NO_DESTINATION_INTERFACE", t


def test_public_ip_given_at_launch_across_stop_and_start(lab, net):
    """IP-13 (a): stopping releases the public IPv4 given at launch and starting gives a new one; the data plane
    follows at once: the old address leads nowhere, the new one to the instance. An Elastic IP on eth0 replaces
    it (IP-13 (b), EIP-2) and survives stop/start (the VPC column of the EIP-on-stop table)."""
    ec2 = lab.ec2
    inst = lab.launch(NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": net["public"], "AssociatePublicIpAddress": True,
                                          "Groups": [net["web"]]}])
    iid, ip = inst["InstanceId"], inst["PrivateIpAddress"]
    lab.serve(iid, "tcp", 8080)
    first = public_ip(lab, iid)
    assert first and from_internet(lab, first, 8080)

    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
             == "stopped", timeout=15, what="stopped")
    ec2.start_instances(InstanceIds=[iid])
    lab.wait_address(iid, ip, timeout=15)
    second = public_ip(lab, iid)
    assert second and second != first
    lab.serve(iid, "tcp", 8080)
    assert from_internet(lab, second, 8080)
    assert not from_internet(lab, first, 8080)

    eip, eip_ip = allocate(lab)
    associate(lab, eip, iid)
    assert public_ip(lab, iid) == eip_ip
    assert from_internet(lab, eip_ip, 8080)
    assert not from_internet(lab, second, 8080)  # released (IP-13 (b))
    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
             == "stopped", timeout=15, what="stopped")
    ec2.start_instances(InstanceIds=[iid])
    lab.wait_address(iid, ip, timeout=15)
    lab.serve(iid, "tcp", 8080)
    assert public_ip(lab, iid) == eip_ip
    assert from_internet(lab, eip_ip, 8080)
    ec2.disassociate_address(AssociationId=ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0]["AssociationId"])
    ec2.terminate_instances(InstanceIds=[iid])
