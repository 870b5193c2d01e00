"""The public NAT gateway on real traffic: instances without a public address reach the simulated
internet through it, with the gateway's Elastic IP and a port of its own; nothing comes in unasked.

Rule ids: shared/spec/inventory-vpc-guide.md — §2 K5, K6, K8, K11, K12, K15, K16, K18 (NAT gateway),
G2, G13 (routes), N1, N2, N9 (network ACLs), M3, M4 (security groups), I1, I2, and the end-to-end
scenario of §5 written "scenario S4" (not to be confused with the Elastic-IP rule S4 of §2).
K9 (a connection idle for 350 s is reset on further use) is too slow for real time here: it is tested
end to end through the engine with its test clock (tests/unit/gateways_test.cc). K10 (fragments) is in
test_fragments.py, NAT gateways into a peer VPC and private NAT gateways in test_private_nat_gateway.py.

Layout (fixture net, scenario S4): VPC 10.0.0.0/16 with an attached internet gateway. Public subnet
10.0.0.0/24 (its own route table: 0.0.0.0/0 -> igw) holds the NAT gateway (Elastic IP NAT_EIP) and the
web server W (10.0.0.5, an Elastic IP of its own, group 'web': tcp 80 from 0.0.0.0/0). Private subnet
10.0.1.0/24 uses the main route table (0.0.0.0/0 -> nat) and holds the database P (10.0.1.5) and P2,
both in group 'db' (tcp 8080 from 0.0.0.0/0, egress the default allow-all) with an echo server on 8080:
only the NAT gateway stands between them and the internet. On the internet, 203.0.113.10 runs
PEER_SERVER: it answers every TCP line and UDP datagram with the address and port it saw the sender
at, and reports ICMP echo requests and ESP packets as they arrive.
"""

import pytest

from dplib import GUEST_PYTHON, SETTLE, Background, acl_entry, associate_acl, lines, stages, trace, wait_for
from guests import CLIENT, PEER_SERVER

INTERNET = "internet"  # `openvpc exec internet -- CMD` runs CMD in the simulated internet
INTERNET_HOST = "203.0.113.10"
PUBLIC_POOL_PREFIX = "198.51.100."
TCP_PEER, TCP_OTHER, TCP_ECHO, UDP_PEER = 80, 8443, 7000, 5353  # the internet host's servers

WEB_80 = {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
DB_8080 = {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
ICMP_FROM_ANYWHERE = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
ALL_OUT = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
OUT_80_443 = [{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
              for port in (80, 443)]

# --------------------------------------------------------------------------------------------------
# Programs run with `python3 -c` inside namespaces (standard library only); PEER_SERVER and CLIENT
# are in guests.py.

# SEND_ESP HOST: one IP protocol 50 (ESP) packet to HOST, which no NAT gateway translates (K5).
SEND_ESP = r'''
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, 50)
s.sendto(b"\x00\x00\x01\x00" + b"\x00\x00\x00\x01" + b"x" * 24, (sys.argv[1], 0))
'''

# ECHO_REQUEST HOST ID: one ICMP echo request with identifier ID to HOST; prints "answered" (exit 0)
# when an echo reply from HOST with that identifier comes within 1.5 s, else "silent" (exit 1).
ECHO_REQUEST = r'''
import socket, struct, sys, time
host, ident = sys.argv[1], int(sys.argv[2])
def checksum(b):
    total = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    total = (total >> 16) + (total & 0xffff)
    return ~(total + (total >> 16)) & 0xffff
body = struct.pack("!BBHHH", 8, 0, 0, ident, 1) + b"unsolicited-echo"
body = body[:2] + struct.pack("!H", checksum(body)) + body[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.sendto(body, (host, 0))
deadline = time.monotonic() + 1.5
while time.monotonic() < deadline:
    s.settimeout(max(0.01, deadline - time.monotonic()))
    try:
        data, peer = s.recvfrom(65536)
    except socket.timeout:
        break
    ihl = (data[0] & 15) * 4
    if peer[0] == host and data[ihl] == 0 and struct.unpack("!H", data[ihl + 4:ihl + 6])[0] == ident:
        print("answered", flush=True); sys.exit(0)
print("silent", flush=True)
sys.exit(1)
'''


# --------------------------------------------------------------------------------------------------
# Helpers.


def client_args(proto, host, port, **opts):
    argv = [GUEST_PYTHON, "-c", CLIENT, proto, host, str(port)]
    for k, v in opts.items():
        flag = "--" + k.replace("_", "-")
        argv += [flag] if v is True else [flag, str(v)]
    return argv


def ask(lab, src, proto, port, host=INTERNET_HOST, timeout=1.0, **opts):
    """Run CLIENT in src: the list of (ip, port, msg) that the server saw and answered, or None when
    anything failed."""
    rc, out, _ = lab.sh(src, client_args(proto, host, port, timeout=timeout, **opts), timeout=timeout * 3 + 10)
    if rc != 0:
        return None
    return [(w[1], int(w[2]), w[3]) for w in (line.split() for line in out.splitlines()) if w and w[0] == "reply"]


def reaches(lab, src, proto="tcp", port=TCP_PEER, timeout=0.5):
    """True when src gets PEER_SERVER's answer over proto (a new connection / a new socket)."""
    return ask(lab, src, proto, port, timeout=timeout) is not None







def allocate(lab):
    a = lab.ec2.allocate_address(Domain="vpc")
    return a["AllocationId"], a["PublicIp"]


def nat_vpc(lab, cidr, base):
    """Scenario S4's VPC without its NAT gateway yet: an attached internet gateway, public subnet
    BASE.0.0/24 (own route table, 0.0.0.0/0 -> igw), private subnet BASE.1.0/24 on the main route table."""
    ec2 = lab.ec2
    vpc = lab.vpc(cidr)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = lab.subnet(vpc, f"{base}.0.0/24")
    private = lab.subnet(vpc, f"{base}.1.0/24")
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)
    main_rtb = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    return dict(vpc=vpc, igw=igw, public=public, private=private, public_rtb=public_rtb,
                main_rtb=main_rtb["RouteTableId"])


def create_nat(lab, subnet):
    """A public NAT gateway with a new Elastic IP, available: (nat id, allocation id, EIP, private IP)."""
    alloc, eip = allocate(lab)
    nat = lab.ec2.create_nat_gateway(SubnetId=subnet, AllocationId=alloc)["NatGateway"]["NatGatewayId"]
    lab.ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    g = lab.ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]
    addr = g["NatGatewayAddresses"][0]
    assert addr["PublicIp"] == eip and addr["AllocationId"] == alloc, g
    return nat, alloc, eip, addr["PrivateIp"]


def start_internet_server(lab, *specs):
    bg = Background(lab.server, INTERNET, [GUEST_PYTHON, "-c", PEER_SERVER, *specs], ready="ready")
    lab.background.append(bg)
    return bg


# --------------------------------------------------------------------------------------------------
# Fixtures.


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    n = nat_vpc(lab, "10.0.0.0/16", "10.0")
    web = lab.group(n["vpc"], "WebServerSG", ingress=[WEB_80])
    db = lab.group(n["vpc"], "DBServerSG", ingress=[DB_8080])
    launched = {
        "w": lab.launch(n["public"], PrivateIpAddress="10.0.0.5", SecurityGroupIds=[web], wait=False),
        "p": lab.launch(n["private"], PrivateIpAddress="10.0.1.5", SecurityGroupIds=[db], wait=False),
        "p2": lab.launch(n["private"], SecurityGroupIds=[db], wait=False),
    }
    nat, nat_alloc, nat_eip, nat_ip = create_nat(lab, n["public"])
    ec2.create_route(RouteTableId=n["main_rtb"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    w_alloc, w_eip = allocate(lab)
    for inst in launched.values():
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
    ids = {k: v["InstanceId"] for k, v in launched.items()}
    ips = {k: v["PrivateIpAddress"] for k, v in launched.items()}
    ec2.associate_address(AllocationId=w_alloc, InstanceId=ids["w"])

    servers = {"p": lab.serve(ids["p"], "tcp", 8080), "w": lab.serve(ids["w"], "tcp", 80)}
    internet = start_internet_server(lab, f"tcp:{TCP_PEER}", f"tcp:{TCP_OTHER}", f"echo:{TCP_ECHO}",
                                     f"udp:{UDP_PEER}", "raw:1", "raw:50")
    default_acl = ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [n["vpc"]]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]
    return dict(n, web=web, db=db, inst=launched, id=ids, ip=ips, nat=nat, nat_alloc=nat_alloc, nat_eip=nat_eip,
                nat_ip=nat_ip, w_eip=w_eip, srv=servers, internet=internet, default_acl=default_acl["NetworkAclId"])


@pytest.fixture
def nat_subnet_acl(lab, net):
    """A new custom ACL for the NAT gateway's (public) subnet, allowing all both ways at 100 until a test
    adds entries before it; the subnet goes back to the default ACL afterwards. The private subnet
    keeps the default ACL (allow all), so what is dropped is dropped at the NAT gateway's subnet."""
    acl = lab.ec2.create_network_acl(VpcId=net["vpc"])["NetworkAcl"]["NetworkAclId"]
    lab.ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow"))
    lab.ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    associate_acl(lab, net["public"], acl)
    yield acl
    associate_acl(lab, net["public"], net["default_acl"])


# --------------------------------------------------------------------------------------------------
# Tests.


def test_scenario_s4_private_instance_reaches_the_internet(lab, net):
    """Scenario S4, K15, K6, K12, K5, I2: P (10.0.1.5, no public address) opens a TCP connection from
    source port 999 to 203.0.113.10:80; the server sees the NAT gateway's Elastic IP as the peer, at a
    port of the gateway's own in 1024-65535 (not P's 999), and its answer comes back to P. A UDP
    datagram is answered the same way (the server saw the EIP), and P's ping of 203.0.113.10 is
    answered while the internet host sees the echo request come from the EIP. P itself holds only its
    private address."""
    p, eip = net["id"]["p"], net["nat_eip"]
    assert eip.startswith(PUBLIC_POOL_PREFIX) and eip != net["w_eip"], eip
    assert lab.ec2.describe_instances(InstanceIds=[p])["Reservations"][0]["Instances"][0].get("PublicIpAddress") is None

    wait_for(lambda: reaches(lab, p), timeout=SETTLE, interval=0, what="P reaches 203.0.113.10:80")
    got = ask(lab, p, "tcp", TCP_PEER, sport=999, tag="s4tcp", timeout=2)
    assert got, "P's connection from source port 999 failed"
    (seen_ip, seen_port, msg), = got
    assert (seen_ip, msg) == (eip, "s4tcp0"), got
    assert 1024 <= seen_port <= 65535, got  # K6: translated, since P sent from 999

    got = ask(lab, p, "udp", UDP_PEER, sport=998, tag="s4udp", timeout=2)
    assert got and got[0][0] == eip and got[0][2] == "s4udp0" and 1024 <= got[0][1] <= 65535, got

    internet = net["internet"]
    mark = internet.mark()
    assert lab.ping(p, INTERNET_HOST, count=2, wait=1, extra=["-i", "0.2"])
    assert internet.wait_line(lambda l: l.startswith("icmp "), 1, since=mark), internet.lines
    assert {w[1] for w in lines(internet, mark, "icmp")} == {eip}, internet.lines[mark:]

    assert lab.addresses(p) == [net["ip"]["p"]]


def test_scenario_s4_public_web_server_uses_its_own_address(lab, net):
    """Scenario S4, I1, I2: W in the public subnet (route to the internet gateway, an Elastic IP of its
    own) is reached from the internet on its EIP:80 while P is not reachable at all, and W's own
    connections leave with W's EIP, not through the NAT gateway."""
    w_eip = net["w_eip"]
    assert lab.tcp(INTERNET, w_eip, 80, timeout=2)
    got = ask(lab, net["id"]["w"], "tcp", TCP_PEER, timeout=2)
    assert got and got[0][0] == w_eip, got


def test_nothing_unsolicited_comes_in(lab, net):
    """K11, K12, K18, scenario S4 ("internet cannot initiate to 10.0.1.5"): P listens on 8080 and its
    group admits tcp 8080 from 0.0.0.0/0, yet the internet's connection to the NAT gateway's EIP:8080
    fails and P's server sees nothing; pings to the EIP get no answer, nor does P's ping of the
    gateway's private address. A UDP datagram from the internet to the gateway port of P's live UDP
    flow is delivered only when it comes from the address and port P talks to (the reply of K12):
    the same port from any other source port reaches nothing."""
    p, eip, srv = net["id"]["p"], net["nat_eip"], net["srv"]["p"]
    assert reaches(lab, p, timeout=2)  # the gateway works (not vacuous)
    mark = srv.mark()
    assert not lab.tcp(INTERNET, eip, 8080, timeout=1)
    assert not lab.ping(INTERNET, eip, count=2, wait=1, extra=["-i", "0.2"])
    assert not lab.ping(p, net["nat_ip"], wait=1)
    assert lines(srv, mark, "conn") == [], srv.lines[mark:]

    flow = Background(lab.server, p, client_args("udp", INTERNET_HOST, UDP_PEER, tag="flow", hold=4, timeout=2))
    lab.background.append(flow)
    try:
        reply = flow.wait_line(lambda l: l.startswith("reply "), 3)
        assert reply, flow.lines
        _, seen_ip, nat_port, _ = reply.split()
        assert seen_ip == eip, reply
        # From the internet host at another port: no binding answers it.
        rc, out, _ = lab.sh(INTERNET, client_args("udp", eip, nat_port, sport=UDP_PEER + 1, tag="stranger",
                                                  send_only=True))
        assert rc == 0, out
        # From the port P talks to: the gateway takes it back to P.
        rc, out, _ = lab.sh(INTERNET, client_args("udp", eip, nat_port, sport=UDP_PEER, tag="answer", send_only=True))
        assert rc == 0, out
        assert flow.wait_line(lambda l: l.startswith("late "), 2), flow.lines
        assert [l.split()[1:] for l in flow.lines if l.startswith("late ")] == [
            [INTERNET_HOST, str(UDP_PEER), "answer0"]], flow.lines
    finally:
        flow.stop()


def test_echo_request_from_the_internet_is_no_reply(lab, net):
    """K12, K11, scenario S4: P's groups admit ICMP from anywhere for this test, so that only the NAT
    gateway stands between P and the internet. P pings 203.0.113.10, which sees the echo requests come
    from the EIP with the gateway's identifier X. An echo request that the internet sends to the EIP
    with that same identifier X answers nothing P sent: it must not be taken to P (which would answer
    it), so the internet gets no echo reply."""
    p, eip, internet = net["id"]["p"], net["nat_eip"], net["internet"]
    icmp = lab.group(net["vpc"], "icmp-in", ingress=[ICMP_FROM_ANYWHERE])
    lab.set_groups(net["inst"]["p"], [net["db"], icmp])
    try:
        mark = internet.mark()
        assert lab.ping(p, INTERNET_HOST, count=2, wait=1, extra=["-i", "0.2"])
        seen = lines(internet, mark, "icmp")
        assert seen and {w[1] for w in seen} == {eip}, internet.lines[mark:]
        ident = seen[-1][2]
        rc, out, err = lab.sh(INTERNET, [GUEST_PYTHON, "-c", ECHO_REQUEST, eip, ident], timeout=10)
        assert (rc, out.split()) == (1, ["silent"]), (
            f"an echo request from the internet to {eip} with the gateway's identifier {ident} was answered", out, err)
    finally:
        lab.set_groups(net["inst"]["p"], [net["db"]])


def test_each_connection_gets_its_own_gateway_port(lab, net):
    """K6, K8: two TCP connections open at once from P to 203.0.113.10:80 are seen from the same EIP at
    two different ports. P and P2 both connect from source port 40000 at the same time (TCP, then
    UDP): the server sees two different gateway ports, and each client gets the answer to its own
    message back (the gateway takes each reply to the right instance)."""
    p, p2, eip = net["id"]["p"], net["id"]["p2"], net["nat_eip"]
    got = ask(lab, p, "tcp", TCP_PEER, count=2, tag="pair", timeout=2)
    assert got and [(ip, msg) for ip, _, msg in got] == [(eip, "pair0"), (eip, "pair1")], got
    assert got[0][1] != got[1][1], got

    for proto, port in (("tcp", TCP_PEER), ("udp", UDP_PEER)):
        first = Background(lab.server, p, client_args(proto, INTERNET_HOST, port, sport=40000, tag=f"{proto}-p-",
                                                      hold=3, timeout=2))
        lab.background.append(first)
        try:
            line = first.wait_line(lambda l: l.startswith(("reply ", "fail ")), 4)
            assert line and line.startswith("reply "), first.lines
            _, ip1, port1, msg1 = line.split()
            got = ask(lab, p2, proto, port, sport=40000, tag=f"{proto}-p2-", timeout=2)
            assert got, f"P2 got no answer over {proto} while P holds the same source port"
            (ip2, port2, msg2), = got
            assert (ip1, msg1, ip2, msg2) == (eip, f"{proto}-p-0", eip, f"{proto}-p2-0"), (line, got)
            assert int(port1) != port2 and 1024 <= min(int(port1), port2), (line, got)
        finally:
            first.stop()


def test_nat_subnet_acl_applies_both_ways(lab, net, nat_subnet_acl):
    """K6, N1, N2, N9: the NAT gateway has no groups, but its subnet's ACL judges what crosses it, in
    every direction (the private subnet's own ACL allows everything throughout):
    - inbound 50 deny from 10.0.1.0/24 (P's subnet, on its way into the gateway) stops P's TCP, UDP
      and ping; removing entry 50 lets them through again;
    - outbound 50 deny to 203.0.113.0/24 (the gateway toward the internet) stops them too;
    - inbound 50 deny from 203.0.113.0/24 (replies from the internet): P's datagram still reaches the
      server, whose answer is dropped;
    - outbound 50 deny to 10.0.1.0/24 (replies from the gateway to P): the same."""
    ec2, acl = lab.ec2, nat_subnet_acl
    p, internet = net["id"]["p"], net["internet"]
    wait_for(lambda: reaches(lab, p), timeout=SETTLE, interval=0, what="P reaches the internet via a 100 allow")

    for egress, cidr, request_arrives in ((False, "10.0.1.0/24", False), (True, "203.0.113.0/24", False),
                                          (False, "203.0.113.0/24", True), (True, "10.0.1.0/24", True)):
        where = f"{'outbound' if egress else 'inbound'} deny {cidr}"
        ec2.create_network_acl_entry(**acl_entry(acl, 50, "deny", egress=egress, cidr=cidr))
        wait_for(lambda: not reaches(lab, p), timeout=SETTLE, interval=0, what=f"{where}: TCP stopped")
        mark = internet.mark()
        assert not reaches(lab, p, "udp", UDP_PEER, timeout=1), where
        assert not lab.ping(p, INTERNET_HOST, wait=1), where
        received = [w for w in lines(internet, mark, "recv") if w[1] == net["nat_eip"]]
        assert bool(received) is request_arrives, (where, internet.lines[mark:])
        if not egress and cidr == "10.0.1.0/24":
            t = trace(lab, p, f"{INTERNET_HOST}:{TCP_PEER}")
            last = t["stages"][-1]
            assert t["verdict"] == "DROP" and t["explanation_code"] == "SUBNET_ACL_RESTRICTION", t
            assert (last["stage"], last["name"], last["component"], last["rule"]) == (
                8, "network-acl-inbound", acl, "50 deny"), t
        if egress and cidr == "203.0.113.0/24":
            t = trace(lab, p, f"{INTERNET_HOST}:{TCP_PEER}")
            last = t["stages"][-1]
            assert t["verdict"] == "DROP" and (last["stage"], last["name"], last["component"]) == (
                5, "network-acl-outbound", acl), t
        ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Egress=egress)
        wait_for(lambda: reaches(lab, p), timeout=SETTLE, interval=0, what=f"{where} removed: TCP again")
        assert reaches(lab, p, "udp", UDP_PEER, timeout=2), where
        assert lab.ping(p, INTERNET_HOST, wait=1), where


def test_no_route_to_the_nat_gateway_no_internet(lab, net):
    """G2, I2, scenario S4: without 0.0.0.0/0 -> nat in the private subnet's (main) route table P
    reaches nothing on the internet and trace stops at stage 6 with NO_ROUTE_TO_DESTINATION; a route
    narrower than 0.0.0.0/0 (203.0.113.0/24 -> nat) is enough; with the default route back all works."""
    ec2, p, rtb = lab.ec2, net["id"]["p"], net["main_rtb"]
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    try:
        wait_for(lambda: not reaches(lab, p), timeout=SETTLE, interval=0, what="P cut off")
        assert not reaches(lab, p, "udp", UDP_PEER, timeout=1)
        assert not lab.ping(p, INTERNET_HOST, wait=1)
        t = trace(lab, p, f"{INTERNET_HOST}:{TCP_PEER}")
        last = t["stages"][-1]
        assert t["verdict"] == "DROP" and t["explanation_code"] == "NO_ROUTE_TO_DESTINATION", t
        assert (last["stage"], last["name"], last["component"]) == (6, "route-table", rtb), t
        assert "nat_gateway" not in t, t

        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="203.0.113.0/24", NatGatewayId=net["nat"])
        try:
            wait_for(lambda: reaches(lab, p), timeout=SETTLE, interval=0, what="P via 203.0.113.0/24 -> nat")
        finally:
            ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="203.0.113.0/24")
        wait_for(lambda: not reaches(lab, p), timeout=SETTLE, interval=0, what="P cut off again")
    finally:
        ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=net["nat"])
    wait_for(lambda: reaches(lab, p), timeout=SETTLE, interval=0, what="P reaches the internet again")


def test_security_group_egress_still_applies(lab, net):
    """M4, M3, scenario S4 (DBServerSG: out 80/443 to 0.0.0.0/0): the NAT gateway does not lift the
    client's own groups. With the egress allow-all of P's group revoked, P's TCP, UDP and ping to the
    internet are dropped at stage 4; allowing tcp 80 and 443 out lets tcp 80 through (the answer comes
    back, tracked) while tcp 8443 and UDP stay dropped."""
    ec2, p, db = lab.ec2, net["id"]["p"], net["db"]
    ec2.revoke_security_group_egress(GroupId=db, IpPermissions=[ALL_OUT])
    try:
        wait_for(lambda: not reaches(lab, p), timeout=SETTLE, interval=0, what="egress revoked: TCP dropped")
        assert not reaches(lab, p, "udp", UDP_PEER, timeout=1)
        assert not lab.ping(p, INTERNET_HOST, wait=1)
        t = trace(lab, p, f"{INTERNET_HOST}:{TCP_PEER}")
        assert t["verdict"] == "DROP" and t["explanation_code"] == "ENI_SG_RULES_MISMATCH", t
        assert t["stages"][-1]["stage"] == 4 and "nat_gateway" not in t, t

        ec2.authorize_security_group_egress(GroupId=db, IpPermissions=OUT_80_443)
        wait_for(lambda: reaches(lab, p), timeout=SETTLE, interval=0, what="tcp 80 out allowed")
        assert not reaches(lab, p, "tcp", TCP_OTHER, timeout=1)
        assert not reaches(lab, p, "udp", UDP_PEER, timeout=1)
        ec2.revoke_security_group_egress(GroupId=db, IpPermissions=OUT_80_443)
    finally:
        ec2.authorize_security_group_egress(GroupId=db, IpPermissions=[ALL_OUT])
    wait_for(lambda: reaches(lab, p, "tcp", TCP_OTHER), timeout=SETTLE, interval=0, what="egress restored")


def test_only_tcp_udp_icmp_cross_the_gateway(lab, net):
    """K5: an ESP packet (IP protocol 50) from P does not reach the internet through the NAT gateway,
    while W's ESP packet, through the internet gateway alone, arrives from W's EIP (checked on the wire
    only: `openvpc trace --protocol` knows tcp, udp and icmp)."""
    internet = net["internet"]
    mark = internet.mark()
    for src in ("p", "w"):
        rc, out, err = lab.sh(net["id"][src], [GUEST_PYTHON, "-c", SEND_ESP, INTERNET_HOST])
        assert rc == 0, (src, out, err)
    assert internet.wait_line(lambda l: l == f"proto-50 {net['w_eip']}", 2, since=mark), internet.lines[mark:]
    assert lab.ping(net["id"]["p"], INTERNET_HOST, wait=1)  # after P's packet had all the time to arrive
    assert [w[1] for w in lines(internet, mark, "proto-50")] == [net["w_eip"]], internet.lines[mark:]


def test_trace_through_the_nat_gateway(lab, net):
    """K15, K6, scenario S4: `openvpc trace --json` from P to 203.0.113.10:80 says ALLOW through the
    NAT gateway: stage 6 of P's subnet routes 0.0.0.0/0 to it, stage 7 nat-gateway, stage 8 the NAT
    subnet's inbound ACL, its outbound ACL (5) and route table (6) toward the internet gateway, stage 7
    internet-gateway translating the gateway's private address to its EIP; "nat_gateway" is the id and
    "translated_source" the EIP. UDP and ICMP trace the same way."""
    t = trace(lab, net["id"]["p"], f"{INTERNET_HOST}:{TCP_PEER}")
    assert t["verdict"] == "ALLOW" and t["allowed"], t
    assert t["nat_gateway"] == net["nat"] and t["translated_source"] == net["nat_eip"], t
    assert t.get("target") == net["igw"], t
    names = [s["name"] for s in t["stages"]]
    assert "nat-gateway" in names and names[-1] == "internet-gateway", names
    assert all(s["allowed"] for s in t["stages"]), t

    routes = stages(t, "route-table")
    assert [(r["stage"], r["component"], r["rule"]) for r in routes] == [
        (6, net["main_rtb"], f"0.0.0.0/0 -> {net['nat']}"), (6, net["public_rtb"], f"0.0.0.0/0 -> {net['igw']}")], t
    nat, = stages(t, "nat-gateway")
    assert (nat["stage"], nat["component"]) == (7, net["nat"]), t
    after = t["stages"][names.index("nat-gateway") + 1:]
    assert [(s["stage"], s["name"], s["component"]) for s in after] == [
        (8, "network-acl-inbound", net["default_acl"]), (5, "network-acl-outbound", net["default_acl"]),
        (6, "route-table", net["public_rtb"]), (7, "internet-gateway", net["igw"])], t
    assert after[-1]["rule"] == f"{net['nat_ip']} -> {net['nat_eip']}", t

    for extra in (("--protocol", "udp"), ("--protocol", "icmp")):
        u = trace(lab, net["id"]["p"], f"{INTERNET_HOST}:{UDP_PEER}" if "udp" in extra else INTERNET_HOST, *extra)
        assert u["verdict"] == "ALLOW" and u["nat_gateway"] == net["nat"], u
        assert u["translated_source"] == net["nat_eip"], u


def test_deleted_nat_gateway_is_a_blackhole(lab):
    """K16, G13 (scenario S4 in a VPC of its own): Q reaches the internet through its NAT gateway and
    holds a TCP connection to it. After DeleteNatGateway the gateway is deleting/deleted, the route
    0.0.0.0/0 -> nat turns blackhole, the Elastic IP stays allocated but no longer associated, Q's open
    connection and any new TCP, UDP or ping go nowhere, and trace drops at the route (BAD_STATE_ROUTE)
    or at the gateway."""
    ec2 = lab.ec2
    n = nat_vpc(lab, "10.1.0.0/16", "10.1")
    q = lab.launch(n["private"], wait=False)
    nat, alloc, eip, _ = create_nat(lab, n["public"])
    ec2.create_route(RouteTableId=n["main_rtb"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    lab.wait_address(q["InstanceId"], q["PrivateIpAddress"])
    q = q["InstanceId"]
    got = wait_for(lambda: ask(lab, q, "tcp", TCP_PEER, timeout=0.5), timeout=SETTLE, interval=0,
                   what="Q reaches the internet")
    assert got[0][0] == eip, got
    s = lab.session(q, INTERNET_HOST, TCP_ECHO, timeout=1.0)
    assert s.connected, s.lines
    assert [s.exchange(f"before{i}") for i in range(3)] == ["ok"] * 3

    ec2.delete_nat_gateway(NatGatewayId=nat)
    state = ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"]
    assert state in ("deleting", "deleted"), state
    routes = ec2.describe_route_tables(RouteTableIds=[n["main_rtb"]])["RouteTables"][0]["Routes"]
    default, = [r for r in routes if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert default["State"] == "blackhole" and default.get("NatGatewayId") == nat, routes
    address, = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    assert address["PublicIp"] == eip and "AssociationId" not in address, address

    wait_for(lambda: not reaches(lab, q), timeout=SETTLE, interval=0, what="Q cut off")
    assert not reaches(lab, q, "udp", UDP_PEER, timeout=1)
    assert not lab.ping(q, INTERNET_HOST, wait=1)
    assert s.exchange("after") != "ok", s.lines
    s.stop()

    t = trace(lab, q, f"{INTERNET_HOST}:{TCP_PEER}")
    last = t["stages"][-1]
    assert t["verdict"] == "DROP", t
    assert (t["explanation_code"] == "BAD_STATE_ROUTE" and (last["stage"], last["name"]) == (6, "route-table")) or (
        last["name"] == "nat-gateway" and not last["allowed"]), t
    ec2.release_address(AllocationId=alloc)
