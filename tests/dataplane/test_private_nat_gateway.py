"""NAT gateways that send on through a VPC peering connection, and private NAT gateways, on real traffic:
the peer VPC sees the NAT gateway's private address and a port of its own, its replies come back to the
client, nothing the peer starts gets in, and a private NAT gateway has no way to the internet.

Rule ids: shared/spec/inventory-vpc-guide.md — §2 K6, K7, K11, K12, K15 (NAT gateway), T1, T4 (peering),
G2, G16 (routes), I2 (internet gateway), N1, N2, N9 (network ACLs), M2, M3, M7 (security groups), and the
peering scenario of §5 written "scenario S18". A private NAT gateway (ConnectivityType=private) is the
NAT Gateway Guide's ("Private NAT gateway": no Elastic IP; "if you route traffic from the private NAT
gateway to the internet gateway, the internet gateway drops the traffic"); shared/spec/
inventory-privatelink.md CS-40 notes that private NAT gateways need no internet gateway or EIP. K13/T4
("a NAT gateway cannot be used from the peer") is the other direction: the peer sending through it,
which K11/K12 refuse here too.

Layout (fixture net), all in account 123456789012:
  VPC A 10.0.0.0/16 with an attached internet gateway (no route leads to it until a test makes one):
    NAT subnet 10.0.1.0/24, own route table 10.1.0.0/16 -> pcx: the private NAT gateway PNAT (10.0.1.10);
    client subnet 10.0.2.0/24, own route table 10.1.0.0/16 -> PNAT: client C (10.0.2.5);
    public subnet 10.0.3.0/24, own route table 0.0.0.0/0 -> igw and 10.1.0.0/16 -> pcx: a public NAT
      gateway NAT (Elastic IP NAT_EIP);
    second client subnet 10.0.4.0/24, own route table 0.0.0.0/0 -> NAT: client D (10.0.4.5).
  VPC B 10.1.0.0/16, main route table 10.0.0.0/16 -> pcx; subnet 10.1.1.0/24: server S (10.1.1.5).
  pcx: the peering connection A-B, active.
Group 'server' (S) admits tcp 8080, udp 8081 and ICMP from 10.0.0.0/8; group 'client' (C, D) admits
tcp 8080 and ICMP from 10.0.0.0/8, so that only the NAT gateway stands between the peer and C (C runs
an echo server on tcp 8080). S and the internet host 203.0.113.10 run PEER_SERVER: it answers every
TCP line and UDP datagram with the address and port it saw the sender at, and reports echo requests.
"""

import contextlib

import pytest

from dplib import (GUEST_PYTHON, SETTLE, Background, acl_entry, associate_acl, default_acl, lines, stages, trace,
                   wait_for)
from guests import CLIENT, PEER_SERVER

INTERNET = "internet"  # `openvpc exec internet -- CMD` runs CMD in the simulated internet
INTERNET_HOST = "203.0.113.10"
WIDE = "10.0.0.0/8"
TCP_PORT, UDP_PORT = 8080, 8081  # S's servers
TCP_INTERNET, UDP_INTERNET = 80, 5353  # the internet host's servers

# --------------------------------------------------------------------------------------------------
# Helpers.


def perm(proto, port=None, cidr=WIDE):
    p = {"IpProtocol": proto, "IpRanges": [{"CidrIp": cidr}]}
    if proto in ("tcp", "udp"):
        p.update(FromPort=port, ToPort=port)
    elif proto == "icmp":
        p.update(FromPort=-1, ToPort=-1)
    return p


def client_args(proto, host, port, **opts):
    argv = [GUEST_PYTHON, "-c", CLIENT, proto, host, str(port)]
    for k, v in opts.items():
        flag = "--" + k.replace("_", "-")
        argv += [flag] if v is True else [flag, str(v)]
    return argv


def ask(lab, src, proto, host, port, timeout=1.0, **opts):
    """Run CLIENT in src: (ip, port, msg) as the server saw and answered it, or None when anything failed."""
    rc, out, _ = lab.sh(src, client_args(proto, host, port, timeout=timeout, **opts), timeout=timeout * 3 + 10)
    if rc != 0:
        return None
    got = [(w[1], int(w[2]), w[3]) for w in (line.split() for line in out.splitlines()) if w and w[0] == "reply"]
    return got[0] if got else None


def assert_dropped_at(t, number, name, code, component=None):
    """The trace ends in a DROP at stage NUMBER (NAME) with explanation CODE."""
    assert t["verdict"] == "DROP" and not t["allowed"] and t["explanation_code"] == code, t
    last = t["stages"][-1]
    assert (last["stage"], last["name"], last["allowed"]) == (number, name, False), t
    if component:
        assert last["component"] == component, t


def target_kw(target):
    """CreateRoute's parameter for a target: pcx-… VpcPeeringConnectionId, nat-… NatGatewayId, else GatewayId."""
    if target.startswith("pcx-"):
        return {"VpcPeeringConnectionId": target}
    return {"NatGatewayId": target} if target.startswith("nat-") else {"GatewayId": target}


@contextlib.contextmanager
def routes(lab, *entries):
    """Routes (route table, destination CIDR, target) for the block, deleted afterwards."""
    made = []
    try:
        for rtb, cidr, target in entries:
            lab.ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=cidr, **target_kw(target))
            made.append((rtb, cidr))
        yield
    finally:
        for rtb, cidr in made:
            lab.ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock=cidr)


def subnet_route_table(lab, vpc, subnet, *entries):
    """A new route table with these (destination CIDR, target) routes, associated with the subnet."""
    rtb = lab.ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    lab.ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    for cidr, target in entries:
        lab.ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=cidr, **target_kw(target))
    return rtb


# --------------------------------------------------------------------------------------------------
# Fixtures.


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    vpc_a, vpc_b = lab.vpc("10.0.0.0/16"), lab.vpc("10.1.0.0/16")
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_a)
    subnet = {"nat": lab.subnet(vpc_a, "10.0.1.0/24"), "c": lab.subnet(vpc_a, "10.0.2.0/24"),
              "public": lab.subnet(vpc_a, "10.0.3.0/24"), "d": lab.subnet(vpc_a, "10.0.4.0/24"),
              "s": lab.subnet(vpc_b, "10.1.1.0/24")}
    client_sg = lab.group(vpc_a, "client", ingress=[perm("tcp", TCP_PORT), perm("icmp")])
    server_sg = lab.group(vpc_b, "server", ingress=[perm("tcp", TCP_PORT), perm("udp", UDP_PORT), perm("icmp")])
    launched = {
        "c": lab.launch(subnet["c"], PrivateIpAddress="10.0.2.5", SecurityGroupIds=[client_sg], wait=False),
        "d": lab.launch(subnet["d"], PrivateIpAddress="10.0.4.5", SecurityGroupIds=[client_sg], wait=False),
        "s": lab.launch(subnet["s"], PrivateIpAddress="10.1.1.5", SecurityGroupIds=[server_sg], wait=False),
    }

    pcx = ec2.create_vpc_peering_connection(VpcId=vpc_a, PeerVpcId=vpc_b)["VpcPeeringConnection"][
        "VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    rtb = {"public": subnet_route_table(lab, vpc_a, subnet["public"], ("0.0.0.0/0", igw), ("10.1.0.0/16", pcx))}

    # The private NAT gateway: the private address asked for (PrivateIpAddress), no Elastic IP.
    created = ec2.create_nat_gateway(SubnetId=subnet["nat"], ConnectivityType="private",
                                     PrivateIpAddress="10.0.1.10")["NatGateway"]
    assert created["ConnectivityType"] == "private", created
    pnat = created["NatGatewayId"]
    alloc = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=subnet["public"], AllocationId=alloc["AllocationId"])["NatGateway"][
        "NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[pnat, nat],
                                                 WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    gateways = {g["NatGatewayId"]: g for g in ec2.describe_nat_gateways(NatGatewayIds=[pnat, nat])["NatGateways"]}
    paddr, = gateways[pnat]["NatGatewayAddresses"]
    assert paddr["PrivateIp"] == "10.0.1.10" and "PublicIp" not in paddr and "AllocationId" not in paddr, paddr
    addr, = gateways[nat]["NatGatewayAddresses"]
    assert addr["PublicIp"] == alloc["PublicIp"], addr

    rtb["nat"] = subnet_route_table(lab, vpc_a, subnet["nat"], ("10.1.0.0/16", pcx))
    rtb["c"] = subnet_route_table(lab, vpc_a, subnet["c"], ("10.1.0.0/16", pnat))
    rtb["d"] = subnet_route_table(lab, vpc_a, subnet["d"], ("0.0.0.0/0", nat))
    rtb["b"] = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc_b]}, {"Name": "association.main", "Values": ["true"]}
    ])["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb["b"], DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)

    for inst in launched.values():
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
    ids = {k: v["InstanceId"] for k, v in launched.items()}
    ips = {k: v["PrivateIpAddress"] for k, v in launched.items()}
    server = Background(lab.server, ids["s"], [GUEST_PYTHON, "-c", PEER_SERVER, f"tcp:{TCP_PORT}", f"udp:{UDP_PORT}",
                                               "raw:1"], ready="ready")
    lab.background.append(server)
    internet = Background(lab.server, INTERNET, [GUEST_PYTHON, "-c", PEER_SERVER, f"tcp:{TCP_INTERNET}",
                                                 f"udp:{UDP_INTERNET}", "raw:1"], ready="ready")
    lab.background.append(internet)
    c_server = lab.serve(ids["c"], "tcp", TCP_PORT)
    return dict(vpc_a=vpc_a, vpc_b=vpc_b, igw=igw, subnet=subnet, client_sg=client_sg, server_sg=server_sg,
                inst=launched, id=ids, ip=ips, pcx=pcx, rtb=rtb, pnat=pnat, pnat_ip=paddr["PrivateIp"],
                nat=nat, nat_ip=addr["PrivateIp"], nat_eip=alloc["PublicIp"], acl_a=default_acl(lab, vpc_a),
                acl_b=default_acl(lab, vpc_b), server=server, internet=internet, c_server=c_server)


def c_reaches_s(lab, net, timeout=0.5):
    return ask(lab, net["id"]["c"], "tcp", net["ip"]["s"], TCP_PORT, timeout=timeout) is not None


# --------------------------------------------------------------------------------------------------
# Tests.


def test_peer_sees_the_nat_gateway_address(lab, net):
    """K6, K7, K12, T1, G16, M3: C (10.0.2.5) opens a TCP connection from source port 999 to S
    (10.1.1.5:8080) through the private NAT gateway and the peering connection: S sees PNAT's private
    address 10.0.1.10 at a port of the gateway's own in 1024-65535 (not 999), and its answer comes back to
    C (translated back, then admitted by C's group as a reply: no rule of 'client' matches it). A UDP
    datagram from port 998 is seen and answered the same way; C's ping of S is answered while S sees the
    echo requests come from 10.0.1.10. S never sees C's own address."""
    c, s_ip, pnat_ip, server = net["id"]["c"], net["ip"]["s"], net["pnat_ip"], net["server"]
    mark = server.mark()
    wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C reaches S through PNAT")

    got = ask(lab, c, "tcp", s_ip, TCP_PORT, sport=999, tag="ptcp", timeout=2)
    assert got, "C's connection from source port 999 failed"
    assert (got[0], got[2]) == (pnat_ip, "ptcp0") and 1024 <= got[1] <= 65535, got

    got = ask(lab, c, "udp", s_ip, UDP_PORT, sport=998, tag="pudp", timeout=2)
    assert got and (got[0], got[2]) == (pnat_ip, "pudp0") and 1024 <= got[1] <= 65535, got

    imark = server.mark()
    assert lab.ping(c, s_ip, count=2, wait=1, extra=["-i", "0.2"])
    assert server.wait_line(lambda l: l.startswith("icmp "), 1, since=imark), server.lines[imark:]
    assert {w[1] for w in lines(server, imark, "icmp")} == {pnat_ip}, server.lines[imark:]

    seen = {w[1] for word in ("conn", "recv", "icmp") for w in lines(server, mark, word)}
    assert seen == {pnat_ip}, server.lines[mark:]
    assert lab.addresses(c) == [net["ip"]["c"]]


def test_nothing_the_peer_starts_gets_in(lab, net):
    """K11, K12, T4 (K13): C's group admits tcp 8080 and ICMP from 10.0.0.0/8 and C listens on 8080, yet
    through the NAT gateway's address nothing gets in: S's connection to 10.0.1.10:8080 fails and C's
    server sees nothing, S's ping of
    10.0.1.10 gets no answer, and trace from S to 10.0.1.10 drops at stage 7 nat-gateway. While C holds a
    UDP flow to S:8081 (gateway port P), a datagram from S to 10.0.1.10:P is taken to C only when it
    comes from port 8081, the one C talks to: from another source port it reaches nothing."""
    c, s, pnat_ip = net["id"]["c"], net["id"]["s"], net["pnat_ip"]
    c_server = net["c_server"]
    mark = c_server.mark()
    assert not lab.tcp(s, pnat_ip, TCP_PORT, timeout=1)
    assert not lab.ping(s, pnat_ip, count=2, wait=1, extra=["-i", "0.2"])
    assert c_server.lines[mark:] == [], c_server.lines[mark:]
    for t in (trace(lab, s, f"{pnat_ip}:{TCP_PORT}"), trace(lab, s, pnat_ip, "--protocol", "icmp")):
        assert_dropped_at(t, 7, "nat-gateway", "NO_ROUTE_TO_DESTINATION", net["pnat"])
        assert stages(t, "vpc-peering")[0]["allowed"] and t["nat_gateway"] == net["pnat"], t

    flow = Background(lab.server, c, client_args("udp", net["ip"]["s"], UDP_PORT, sport=40000, tag="held", hold=3,
                                                 timeout=2))
    lab.background.append(flow)
    try:
        line = flow.wait_line(lambda l: l.startswith(("reply ", "fail ")), 4)
        assert line and line.startswith("reply "), flow.lines
        _, seen_ip, nat_port, _ = line.split()
        assert seen_ip == pnat_ip, line
        rc, out, _ = lab.sh(s, client_args("udp", pnat_ip, nat_port, sport=UDP_PORT + 1, tag="stranger",
                                           send_only=True))
        assert rc == 0, out
        rc, out, _ = lab.sh(s, client_args("udp", pnat_ip, nat_port, sport=UDP_PORT, tag="answer", send_only=True))
        assert rc == 0, out
        assert flow.wait_line(lambda l: l.startswith("late "), 2), flow.lines
        assert [l.split()[1:] for l in flow.lines if l.startswith("late ")] == [
            [net["ip"]["s"], str(UDP_PORT), "answer0"]], flow.lines
    finally:
        flow.stop()


def test_peer_groups_judge_the_translated_source(lab, net):
    """M2, M7, K6: S's groups see the NAT gateway's address, not C's. With S in a group that admits tcp
    8080 from 10.0.2.5/32 only (C's own address), C's connection through PNAT is refused (trace: stage 9
    security-groups-ingress, ENI_SG_RULES_MISMATCH) and S's server sees nothing; in a group that admits
    tcp 8080 from 10.0.1.10/32 only (PNAT's address), C connects; back in 'server' all is as before."""
    ec2, c, s_ip, server = lab.ec2, net["id"]["c"], net["ip"]["s"], net["server"]
    only_c = lab.group(net["vpc_b"], "only-client", ingress=[perm("tcp", TCP_PORT, f"{net['ip']['c']}/32")])
    only_nat = lab.group(net["vpc_b"], "only-nat", ingress=[perm("tcp", TCP_PORT, f"{net['pnat_ip']}/32")])
    try:
        lab.set_groups(net["inst"]["s"], [only_c])
        wait_for(lambda: not c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C refused by 'only-client'")
        mark = server.mark()
        assert not c_reaches_s(lab, net, timeout=1)
        assert lines(server, mark, "conn") == [], server.lines[mark:]
        assert_dropped_at(trace(lab, c, f"{s_ip}:{TCP_PORT}"), 9, "security-groups-ingress", "ENI_SG_RULES_MISMATCH",
                          only_c)

        lab.set_groups(net["inst"]["s"], [only_nat])
        wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C admitted by 'only-nat'")
        t = trace(lab, c, f"{s_ip}:{TCP_PORT}")
        assert t["allowed"] and stages(t, "security-groups-ingress")[0]["component"] == only_nat, t
    finally:
        lab.set_groups(net["inst"]["s"], [net["server_sg"]])
    for sg in (only_c, only_nat):
        ec2.delete_security_group(GroupId=sg)
    wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C reaches S again")


def test_peer_subnet_acl_judges_the_translated_source(lab, net):
    """N2, N9, K6: a custom ACL on S's subnet with ingress 100 deny all from 10.0.1.0/24 (PNAT's subnet),
    200 allow all, egress 100 allow all blocks C's TCP, UDP and ping through PNAT (trace: stage 8
    network-acl-inbound of that ACL, "100 deny", after vpc-peering); with entry 100 denying 10.0.2.0/24
    (C's own subnet) instead, C gets through: the ACL sees the gateway's address."""
    ec2, c, s_ip, server = lab.ec2, net["id"]["c"], net["ip"]["s"], net["server"]
    acl = ec2.create_network_acl(VpcId=net["vpc_b"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "deny", cidr="10.0.1.0/24"))
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    associate_acl(lab, net["subnet"]["s"], acl)
    try:
        wait_for(lambda: not c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C denied by S's subnet ACL")
        mark = server.mark()
        assert not ask(lab, c, "udp", s_ip, UDP_PORT, timeout=1)
        assert not lab.ping(c, s_ip, wait=1)
        assert server.lines[mark:] == [], server.lines[mark:]
        t = trace(lab, c, f"{s_ip}:{TCP_PORT}")
        assert_dropped_at(t, 8, "network-acl-inbound", "SUBNET_ACL_RESTRICTION", acl)
        assert t["stages"][-1]["rule"] == "100 deny" and stages(t, "vpc-peering")[0]["allowed"], t

        ec2.replace_network_acl_entry(**acl_entry(acl, 100, "deny", cidr="10.0.2.0/24"))
        wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C through with C's subnet denied")
        assert ask(lab, c, "udp", s_ip, UDP_PORT, timeout=2)
        assert lab.ping(c, s_ip, wait=1)
    finally:
        associate_acl(lab, net["subnet"]["s"], net["acl_b"])
    ec2.delete_network_acl(NetworkAclId=acl)


def test_nat_subnet_acl_applies_both_ways(lab, net):
    """K6, N1, N2: the NAT gateway's subnet ACL judges the flow on both sides of the gateway. Outbound 50
    deny to 10.1.0.0/16 (the gateway toward the peer): C's datagram never reaches S. Inbound 50 deny from
    10.1.0.0/16 (S's replies to the gateway): C's datagram does reach S, from 10.0.1.10, but the answer is
    dropped, and no TCP connection is made."""
    ec2, c, s_ip, server = lab.ec2, net["id"]["c"], net["ip"]["s"], net["server"]
    acl = ec2.create_network_acl(VpcId=net["vpc_a"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    associate_acl(lab, net["subnet"]["nat"], acl)
    try:
        wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C reaches S via a 100 allow")
        for egress, request_arrives in ((True, False), (False, True)):
            where = f"{'outbound' if egress else 'inbound'} deny 10.1.0.0/16"
            ec2.create_network_acl_entry(**acl_entry(acl, 50, "deny", egress=egress, cidr="10.1.0.0/16"))
            wait_for(lambda: not c_reaches_s(lab, net), timeout=SETTLE, interval=0, what=f"{where}: TCP stopped")
            mark = server.mark()
            assert not ask(lab, c, "udp", s_ip, UDP_PORT, timeout=1, tag="acl"), where
            received = [w for w in lines(server, mark, "recv") if w[1] == net["pnat_ip"]]
            assert bool(received) is request_arrives, (where, server.lines[mark:])
            if egress:
                t = trace(lab, c, f"{s_ip}:{TCP_PORT}")
                assert_dropped_at(t, 5, "network-acl-outbound", "SUBNET_ACL_RESTRICTION", acl)
                assert stages(t, "nat-gateway")[0]["allowed"], t
            ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Egress=egress)
            wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what=f"{where} removed")
    finally:
        associate_acl(lab, net["subnet"]["nat"], net["acl_a"])
    ec2.delete_network_acl(NetworkAclId=acl)


def test_route_back_needed_in_the_peer_vpc(lab, net):
    """T1, G16, G2, scenario S18: without B's route 10.0.0.0/16 -> pcx, C's datagram still arrives at S
    (from 10.0.1.10) but no answer comes back and no TCP connection is made (trace S -> 10.0.1.10: stage 6
    NO_ROUTE_TO_DESTINATION). A route back to the NAT subnet alone (10.0.1.0/24 -> pcx) is enough for C's
    flows through the gateway, while S has no route to C's own address (trace: stage 6)."""
    ec2, c, s, s_ip, server = lab.ec2, net["id"]["c"], net["id"]["s"], net["ip"]["s"], net["server"]
    rtb_b, pnat_ip = net["rtb"]["b"], net["pnat_ip"]
    ec2.delete_route(RouteTableId=rtb_b, DestinationCidrBlock="10.0.0.0/16")
    try:
        wait_for(lambda: not c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="no way back")
        mark = server.mark()
        assert not ask(lab, c, "udp", s_ip, UDP_PORT, timeout=1, tag="oneway")
        assert not lab.ping(c, s_ip, wait=1)
        received = {w[1] for w in lines(server, mark, "recv")}
        assert received == {pnat_ip}, server.lines[mark:]
        assert_dropped_at(trace(lab, s, f"{pnat_ip}:{TCP_PORT}"), 6, "route-table", "NO_ROUTE_TO_DESTINATION", rtb_b)

        with routes(lab, (rtb_b, "10.0.1.0/24", net["pcx"])):
            wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="back via 10.0.1.0/24")
            assert ask(lab, c, "udp", s_ip, UDP_PORT, timeout=2)
            assert lab.ping(c, s_ip, wait=1)
            assert_dropped_at(trace(lab, s, f"{net['ip']['c']}:{TCP_PORT}"), 6, "route-table",
                              "NO_ROUTE_TO_DESTINATION", rtb_b)
    finally:
        ec2.create_route(RouteTableId=rtb_b, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=net["pcx"])
    wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C reaches S again")


def test_private_nat_gateway_has_no_internet(lab, net):
    """NAT Gateway Guide (private NAT gateway), I2, G2, K15: C's table sends 0.0.0.0/0 to PNAT. With no
    default route in the NAT subnet, trace from C to 203.0.113.10:80 passes the gateway and drops at the
    NAT subnet's route table (NO_ROUTE_TO_DESTINATION). With 0.0.0.0/0 -> igw there (attached), C still
    gets nothing from the internet: TCP, UDP and ping fail, the internet host sees nothing at all, and
    trace drops at stage 7 internet-gateway (NO_PUBLIC_IPV4_ADDRESS: a private NAT gateway has no public
    address). Meanwhile C still reaches S: 10.1.0.0/16 -> pcx is longer than 0.0.0.0/0 -> igw."""
    c, internet, rtb, igw = net["id"]["c"], net["internet"], net["rtb"], net["igw"]
    with routes(lab, (rtb["c"], "0.0.0.0/0", net["pnat"])):
        t = trace(lab, c, f"{INTERNET_HOST}:{TCP_INTERNET}")
        assert_dropped_at(t, 6, "route-table", "NO_ROUTE_TO_DESTINATION", rtb["nat"])
        assert stages(t, "nat-gateway")[0]["allowed"], t
        with routes(lab, (rtb["nat"], "0.0.0.0/0", igw)):
            assert wait_for(lambda: c_reaches_s(lab, net), timeout=SETTLE, interval=0, what="C reaches S")
            mark = internet.mark()
            assert not ask(lab, c, "tcp", INTERNET_HOST, TCP_INTERNET, timeout=1)
            assert not ask(lab, c, "udp", INTERNET_HOST, UDP_INTERNET, timeout=1)
            assert not lab.ping(c, INTERNET_HOST, wait=1)
            assert internet.lines[mark:] == [], internet.lines[mark:]

            for t in (trace(lab, c, f"{INTERNET_HOST}:{TCP_INTERNET}"),
                      trace(lab, c, f"{INTERNET_HOST}:{UDP_INTERNET}", "--protocol", "udp"),
                      trace(lab, c, INTERNET_HOST, "--protocol", "icmp")):
                assert_dropped_at(t, 7, "internet-gateway", "NO_PUBLIC_IPV4_ADDRESS", igw)
                assert "private NAT gateway" in t["stages"][-1].get("note", ""), t
                names = [s["name"] for s in t["stages"]]
                assert names[names.index("nat-gateway") + 1:] == [
                    "network-acl-inbound", "network-acl-outbound", "route-table", "internet-gateway"], t
                assert stages(t, "route-table")[-1]["rule"] == f"0.0.0.0/0 -> {igw}", t
                assert "translated_source" not in t, t
            assert stages(trace(lab, c, f"{net['ip']['s']}:{TCP_PORT}"), "route-table")[-1]["rule"] == (
                f"10.1.0.0/16 -> {net['pcx']}")


def test_public_nat_gateway_sends_on_through_peering(lab, net):
    """K15, K6, I1, T1: D's table sends 0.0.0.0/0 to the public NAT gateway, whose subnet routes
    10.1.0.0/16 -> pcx and 0.0.0.0/0 -> igw. D's TCP, UDP and ping reach S, which sees the gateway's
    private address (not its Elastic IP) at a port of the gateway's own; D's TCP and UDP reach the
    internet host, which sees the Elastic IP. Trace agrees: toward S the translated source is the
    private address and the hops after nat-gateway end in vpc-peering and delivery to S; toward the
    internet it is the Elastic IP at the internet gateway."""
    d, s_ip, nat_ip, eip, server = net["id"]["d"], net["ip"]["s"], net["nat_ip"], net["nat_eip"], net["server"]
    got = wait_for(lambda: ask(lab, d, "tcp", s_ip, TCP_PORT, timeout=0.5, sport=997), timeout=SETTLE,
                   interval=0, what="D reaches S through the public NAT gateway")
    assert got[0] == nat_ip and got[1] != 997 and 1024 <= got[1] <= 65535, got
    got = ask(lab, d, "udp", s_ip, UDP_PORT, timeout=2)
    assert got and got[0] == nat_ip, got
    mark = server.mark()
    assert lab.ping(d, s_ip, wait=1)
    assert {w[1] for w in lines(server, mark, "icmp")} == {nat_ip}, server.lines[mark:]

    got = ask(lab, d, "tcp", INTERNET_HOST, TCP_INTERNET, timeout=2)
    assert got and got[0] == eip, got
    got = ask(lab, d, "udp", INTERNET_HOST, UDP_INTERNET, timeout=2)
    assert got and got[0] == eip, got
    assert lab.ping(d, INTERNET_HOST, wait=1)

    t = trace(lab, d, f"{s_ip}:{TCP_PORT}")
    assert t["verdict"] == "ALLOW" and t["nat_gateway"] == net["nat"] and t["translated_source"] == nat_ip, t
    names = [s["name"] for s in t["stages"]]
    assert names[names.index("nat-gateway"):] == [
        "nat-gateway", "network-acl-inbound", "network-acl-outbound", "route-table", "vpc-peering", "local-delivery",
        "network-acl-inbound", "security-groups-ingress"], t
    assert stages(t, "route-table")[-1]["rule"] == f"10.1.0.0/16 -> {net['pcx']}", t
    assert t["destination"]["network_interface"] == lab.eni_of(net["inst"]["s"]), t

    t = trace(lab, d, f"{INTERNET_HOST}:{TCP_INTERNET}")
    assert t["verdict"] == "ALLOW" and t["nat_gateway"] == net["nat"] and t["translated_source"] == eip, t
    assert t["stages"][-1]["name"] == "internet-gateway" and t["stages"][-1]["rule"] == f"{nat_ip} -> {eip}", t


def test_trace_through_the_private_nat_gateway(lab, net):
    """K15, K6, T1, G2: `openvpc trace --json` from C to S:8080 is allowed, through every hop: C's groups
    and subnet ACL, C's route table (10.1.0.0/16 -> PNAT), stage 7 nat-gateway (C's address -> 10.0.1.10),
    the NAT subnet's inbound and outbound ACL, its route table (10.1.0.0/16 -> pcx), stage 7 vpc-peering
    (vpc-A -> vpc-B), delivery to S, S's subnet ACL and S's groups; "nat_gateway" is PNAT,
    "translated_source" its private address, the verdict ALLOW (delivered, as through peering directly).
    UDP and ICMP trace the same way."""
    c, s_ip, pnat, pnat_ip = net["id"]["c"], net["ip"]["s"], net["pnat"], net["pnat_ip"]
    s_eni = lab.eni_of(net["inst"]["s"])
    for extra, to in (((), f"{s_ip}:{TCP_PORT}"), (("--protocol", "udp"), f"{s_ip}:{UDP_PORT}"),
                      (("--protocol", "icmp"), s_ip)):
        t = trace(lab, c, to, *extra)
        assert t["verdict"] == "ALLOW" and all(s["allowed"] for s in t["stages"]), t
        assert "target" not in t, t  # delivered in the peer VPC, as through peering directly
        assert t["nat_gateway"] == pnat and t["translated_source"] == pnat_ip, t
        assert t["destination"]["network_interface"] == s_eni, t
        assert [(s["stage"], s["name"], s["component"]) for s in t["stages"]][2:] == [
            (5, "network-acl-outbound", net["acl_a"]), (6, "route-table", net["rtb"]["c"]),
            (7, "nat-gateway", pnat), (8, "network-acl-inbound", net["acl_a"]),
            (5, "network-acl-outbound", net["acl_a"]), (6, "route-table", net["rtb"]["nat"]),
            (7, "vpc-peering", net["pcx"]), (7, "local-delivery", s_eni), (8, "network-acl-inbound", net["acl_b"]),
            (9, "security-groups-ingress", net["server_sg"])], t
        assert [s["rule"] for s in stages(t, "route-table")] == [f"10.1.0.0/16 -> {pnat}",
                                                                 f"10.1.0.0/16 -> {net['pcx']}"], t
        assert stages(t, "nat-gateway")[0]["rule"] == f"{net['ip']['c']} -> {pnat_ip}", t
        assert stages(t, "vpc-peering")[0]["rule"] == f"{net['vpc_a']} -> {net['vpc_b']}", t

