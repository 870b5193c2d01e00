"""VPC peering on real traffic, and the cut of an untracked flow whichever side speaks first.

Rule ids: shared/spec/inventory-vpc-guide.md — §2 T1 (both sides need routes to the `pcx-`), T3 (groups
may reference the peer VPC's groups), T4 (no edge-to-edge routing through the peer's gateways; the
full "no transitive peering" rule is the VPC Peering Guide's, Appendix A "Peering restrictions"),
G13 (a route to a deleted target stays, as `blackhole`, and the data plane drops what matches it),
G16 (routes in both VPCs), scenario S18 (peering routes: "removing one side's route breaks the return
path"), N2/N9 (ACL entries), I1/I2 (internet gateway), EIP-1; shared/spec/inventory-ec2-network-security.md —
CT-1, CT-3, CT-5, CT-6, M*/SG-* for the groups. (The VPC Peering Guide itself is not in the seed: it
gives no scenario ids.)

Layout (fixture net): three VPCs, one subnet and one instance each, all in account 123456789012:
  A 10.1.0.0/16, subnet 10.1.1.0/24, instance a, group a-sg;
  B 10.2.0.0/16, subnet 10.2.1.0/24, instance b (Elastic IP; B has an internet gateway attached, but
    its route to it is only made by the edge-to-edge test), group b-sg;
  C 10.3.0.0/16, subnet 10.3.1.0/24, instance c, group c-sg.
Every group admits tcp 8080, udp 8081 and ICMP from 10.0.0.0/8 (so flows are tracked, CT-3); b-sg has
no rule for tcp 9000. Echo servers (probe.py serve): a tcp 8080; b tcp 8080, 9000 and udp 8081;
c tcp 8080 and udp 8081. Peering connections pcx-ab (A-B) and pcx-bc (B-C) are created and accepted;
every subnet uses its VPC's main route table, which starts with the local route only. Each test makes
the routes it needs and removes them at its end.

The connection-tracking tests (fixture ct_net) use a fourth VPC, D 10.4.0.0/16, with client x (group
'client': no ingress, egress allow-all) and server y, whose TCP server speaks first (PUSH_SCRIPT).
"""
import contextlib
import time

import pytest

from dplib import GUEST_PYTHON, PROBE, SETTLE, Background, acl_entry, associate_acl, default_acl, trace, wait_for

INTERNET = "internet"  # `openvpc exec internet -- CMD` runs CMD in the simulated internet
INTERNET_HOST = "203.0.113.10"
WIDE = "10.0.0.0/8"


def perm(proto, port=None, cidr=None, group=None):
    p = {"IpProtocol": proto}
    if proto in ("tcp", "udp"):
        p.update(FromPort=port, ToPort=port)
    elif proto == "icmp":
        p.update(FromPort=-1, ToPort=-1)
    if cidr:
        p["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        p["UserIdGroupPairs"] = [{"GroupId": group}]
    return p


BASE_INGRESS = [perm("tcp", 8080, WIDE), perm("udp", 8081, WIDE), perm("icmp", cidr=WIDE)]


# --------------------------------------------------------------------------------------------------
# Helpers.


def stage(result, name):
    found = [s for s in result["stages"] if s["name"] == name]
    assert found, result
    return found[0]


def assert_dropped_at(t, number, name, code, component=None):
    """The trace ends in a DROP at stage NUMBER (NAME) with explanation CODE."""
    assert t["verdict"] == "DROP" and t["explanation_code"] == code, t
    last = t["stages"][-1]
    assert last["stage"] == number and last["name"] == name and not last["allowed"], t
    if component:
        assert last["component"] == component, t


def assert_through_peering(t, pcx, src_vpc, dst_vpc):
    """The trace crosses PCX at stage 7 and is delivered (ALLOW) in the peer VPC."""
    assert t["allowed"] and t["verdict"] == "ALLOW", t
    hop = stage(t, "vpc-peering")
    assert hop["stage"] == 7 and hop["allowed"], t
    assert hop["component"] == pcx and hop["rule"] == f"{src_vpc} -> {dst_vpc}", t


def conns(server, since, ip=None):
    """The "conn IP PORT" lines of a probe.py server after mark since (from IP only, when given)."""
    return [l for l in server.lines[since:] if l.startswith("conn ") and (ip is None or l.split()[1] == ip)]


def recvs(server, since, ip=None):
    return [l for l in server.lines[since:] if l.startswith("recv ") and (ip is None or l.split()[1] == ip)]


def peer(lab, vpc, peer_vpc, accept=True):
    """CreateVpcPeeringConnection (same account and Region), accepted unless accept=False."""
    pcx = lab.ec2.create_vpc_peering_connection(VpcId=vpc, PeerVpcId=peer_vpc)["VpcPeeringConnection"]
    pcx_id = pcx["VpcPeeringConnectionId"]
    if accept:
        lab.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx_id)
    return pcx_id


def pcx_status(lab, pcx_id):
    return lab.ec2.describe_vpc_peering_connections(
        VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]["Status"]["Code"]


def route_state(lab, rtb, cidr):
    routes = lab.ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    found = [r for r in routes if r.get("DestinationCidrBlock") == cidr]
    assert found, routes
    return found[0]["State"]


@contextlib.contextmanager
def routes(lab, *entries):
    """Routes (route table, destination CIDR, target) for the block, deleted afterwards. A target
    pcx-… is a VpcPeeringConnectionId, igw-… a GatewayId."""
    made = []
    try:
        for rtb, cidr, target in entries:
            kw = {"VpcPeeringConnectionId": target} if target.startswith("pcx-") else {"GatewayId": target}
            lab.ec2.create_route(RouteTableId=rtb, DestinationCidrBlock=cidr, **kw)
            made.append((rtb, cidr))
        yield
    finally:
        for rtb, cidr in made:
            lab.ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock=cidr)


def main_route_table(lab, vpc):
    return lab.ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}
    ])["RouteTables"][0]["RouteTableId"]


# --------------------------------------------------------------------------------------------------
# Fixtures.


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    vpcs, subnets, groups, launched = {}, {}, {}, {}
    for k, n in (("a", 1), ("b", 2), ("c", 3)):
        vpcs[k] = lab.vpc(f"10.{n}.0.0/16")
        subnets[k] = lab.subnet(vpcs[k], f"10.{n}.1.0/24")
        groups[k] = lab.group(vpcs[k], f"{k}-sg", ingress=BASE_INGRESS)
        launched[k] = lab.launch(subnets[k], SecurityGroupIds=[groups[k]], wait=False)
    for inst in launched.values():
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
    ids = {k: v["InstanceId"] for k, v in launched.items()}
    ips = {k: v["PrivateIpAddress"] for k, v in launched.items()}

    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpcs["b"])
    alloc = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=ids["b"])

    srv = {
        "a": lab.serve(ids["a"], "tcp", 8080),
        "b": lab.serve(ids["b"], "tcp", 8080),
        "b9000": lab.serve(ids["b"], "tcp", 9000),
        "b_udp": lab.serve(ids["b"], "udp", 8081),
        "c": lab.serve(ids["c"], "tcp", 8080),
        "c_udp": lab.serve(ids["c"], "udp", 8081),
    }
    pcx_ab = peer(lab, vpcs["a"], vpcs["b"])
    pcx_bc = peer(lab, vpcs["b"], vpcs["c"])
    assert pcx_status(lab, pcx_ab) == "active" and pcx_status(lab, pcx_bc) == "active"
    return dict(vpc=vpcs, subnet=subnets, sg=groups, inst=launched, id=ids, ip=ips, srv=srv,
                rtb={k: main_route_table(lab, v) for k, v in vpcs.items()},
                acl={k: default_acl(lab, v) for k, v in vpcs.items()},
                igw=igw, eip=alloc["PublicIp"], pcx_ab=pcx_ab, pcx_bc=pcx_bc)


def ab_routes(lab, net):
    """T1, G16: A's table 10.2.0.0/16 -> pcx-ab and B's table 10.1.0.0/16 -> pcx-ab."""
    return routes(lab, (net["rtb"]["a"], "10.2.0.0/16", net["pcx_ab"]), (net["rtb"]["b"], "10.1.0.0/16", net["pcx_ab"]))


# --------------------------------------------------------------------------------------------------
# Peering.


def test_routes_needed_on_both_sides(lab, net):
    """T1, G16, scenario S18, CT-1: pcx-ab is active. Without routes A reaches nothing in B (trace:
    NO_ROUTE_TO_DESTINATION at stage 6). With 10.2.0.0/16 -> pcx-ab in A's table only, A's datagram
    does arrive at B (B's UDP server prints it) but no answer comes back and no TCP connection is made:
    B's table has no route back (trace B -> A: NO_ROUTE_TO_DESTINATION, while A -> B passes). With
    10.1.0.0/16 -> pcx-ab in B's table too, TCP and ping work both ways, B's server sees A's private
    address (no translation), and trace shows stage 7 vpc-peering, rule "vpc-a -> vpc-b"."""
    ec2 = lab.ec2
    a, b, b_ip, a_ip = net["id"]["a"], net["id"]["b"], net["ip"]["b"], net["ip"]["a"]
    pcx, rtb_a, rtb_b = net["pcx_ab"], net["rtb"]["a"], net["rtb"]["b"]
    srv_b, udp_b, srv_a = net["srv"]["b"], net["srv"]["b_udp"], net["srv"]["a"]

    mark, umark = srv_b.mark(), udp_b.mark()
    assert not lab.tcp(a, b_ip, 8080, timeout=1)
    assert not lab.udp(a, b_ip, 8081, timeout=0.5, msg="no-route")
    assert not lab.ping(a, b_ip, wait=0.5)
    assert conns(srv_b, mark) == [] and recvs(udp_b, umark) == [], (srv_b.lines, udp_b.lines)
    assert_dropped_at(trace(lab, a, f"{b_ip}:8080"), 6, "route-table", "NO_ROUTE_TO_DESTINATION", rtb_a)

    ec2.create_route(RouteTableId=rtb_a, DestinationCidrBlock="10.2.0.0/16", VpcPeeringConnectionId=pcx)
    try:
        assert route_state(lab, rtb_a, "10.2.0.0/16") == "active"
        # The way there is open: the datagram arrives at B, from A's private address ...
        umark = udp_b.mark()

        def datagram_arrives():
            lab.udp(a, b_ip, 8081, timeout=0.3, msg="one-way")
            return recvs(udp_b, umark, a_ip)

        wait_for(datagram_arrives, timeout=SETTLE, interval=0, what="A's datagram arrives at B")
        # ... but nothing comes back.
        mark = srv_b.mark()
        assert not lab.udp(a, b_ip, 8081, timeout=1, msg="one-way-again")
        assert not lab.tcp(a, b_ip, 8080, timeout=1)
        assert not lab.ping(a, b_ip, wait=0.5)
        assert conns(srv_b, mark) == [], srv_b.lines
        assert_through_peering(trace(lab, a, f"{b_ip}:8080"), pcx, net["vpc"]["a"], net["vpc"]["b"])
        assert_dropped_at(trace(lab, b, f"{a_ip}:8080"), 6, "route-table", "NO_ROUTE_TO_DESTINATION", rtb_b)

        ec2.create_route(RouteTableId=rtb_b, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
        try:
            mark = srv_b.mark()
            wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="A -> B tcp")
            assert conns(srv_b, mark, a_ip), srv_b.lines
            assert lab.udp(a, b_ip, 8081, timeout=1)
            assert lab.ping(a, b_ip, count=2, wait=1, extra=["-i", "0.2"])
            amark = srv_a.mark()
            assert lab.tcp(b, a_ip, 8080, timeout=2)
            assert conns(srv_a, amark, net["ip"]["b"]), srv_a.lines
            assert lab.ping(b, a_ip, wait=1)
            assert_through_peering(trace(lab, a, f"{b_ip}:8080"), pcx, net["vpc"]["a"], net["vpc"]["b"])
            assert_through_peering(trace(lab, b, f"{a_ip}:8080"), pcx, net["vpc"]["b"], net["vpc"]["a"])
            assert_through_peering(trace(lab, a, b_ip, "--protocol", "icmp"), pcx, net["vpc"]["a"], net["vpc"]["b"])
        finally:
            ec2.delete_route(RouteTableId=rtb_b, DestinationCidrBlock="10.1.0.0/16")
        # Scenario S18: removing one side's route breaks the return path again.
        wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
                 what="no return path once B's route is gone")
    finally:
        ec2.delete_route(RouteTableId=rtb_a, DestinationCidrBlock="10.2.0.0/16")


def test_no_transitive_routing(lab, net):
    """T4 and the VPC Peering Guide's "no transitive peering" (Appendix A): A-B and B-C are peered, A-C
    is not. A routes 10.3.0.0/16 -> pcx-ab, B routes 10.3.0.0/16 -> pcx-bc, C routes 10.0.0.0/8 ->
    pcx-bc (and A, B route each other over pcx-ab). B and C reach each other, A and B too, but A's
    packets to C go nowhere: C's servers see nothing of A (not even a datagram), and trace from A to
    C's address ends at stage 7 vpc-peering (pcx-ab) with CANNOT_ROUTE; likewise C's packets to A."""
    a, b, c = net["id"]["a"], net["id"]["b"], net["id"]["c"]
    a_ip, b_ip, c_ip = net["ip"]["a"], net["ip"]["b"], net["ip"]["c"]
    rtb, ab, bc = net["rtb"], net["pcx_ab"], net["pcx_bc"]
    srv_c, udp_c = net["srv"]["c"], net["srv"]["c_udp"]
    with ab_routes(lab, net), routes(lab, (rtb["a"], "10.3.0.0/16", ab), (rtb["b"], "10.3.0.0/16", bc),
                                     (rtb["c"], WIDE, bc)):
        wait_for(lambda: lab.tcp(b, c_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="B -> C")
        assert lab.ping(b, c_ip, wait=1)
        assert lab.tcp(c, b_ip, 8080, timeout=2)
        assert lab.tcp(a, b_ip, 8080, timeout=2)
        assert_through_peering(trace(lab, b, f"{c_ip}:8080"), bc, net["vpc"]["b"], net["vpc"]["c"])

        mark, umark = srv_c.mark(), udp_c.mark()
        assert not lab.tcp(a, c_ip, 8080, timeout=1)
        assert not lab.udp(a, c_ip, 8081, timeout=0.5, msg="transit")
        assert not lab.ping(a, c_ip, wait=0.5)
        assert not lab.tcp(c, a_ip, 8080, timeout=1)
        assert conns(srv_c, mark) == [] and recvs(udp_c, umark) == [], (srv_c.lines, udp_c.lines)

        t = trace(lab, a, f"{c_ip}:8080")
        assert_dropped_at(t, 7, "vpc-peering", "CANNOT_ROUTE", ab)
        assert stage(t, "route-table")["rule"] == f"10.3.0.0/16 -> {ab}", t
        assert_dropped_at(trace(lab, c, f"{a_ip}:8080"), 7, "vpc-peering", "CANNOT_ROUTE", bc)


def test_no_edge_to_edge_through_the_peer_internet_gateway(lab, net):
    """T4, I1, I2, EIP-1: B has an attached internet gateway, a route 0.0.0.0/0 -> igw and instance b
    with an Elastic IP: b reaches 203.0.113.10:80 and the internet host sees b's Elastic IP. A's table
    sends 0.0.0.0/0 to pcx-ab (B's table routes 10.1.0.0/16 back over it): A reaches b through that
    route, but not the internet host — neither TCP nor ping, the host sees nothing — and trace from A
    to 203.0.113.10:80 ends at stage 7 vpc-peering with CANNOT_ROUTE."""
    a, b, b_ip = net["id"]["a"], net["id"]["b"], net["ip"]["b"]
    rtb, ab = net["rtb"], net["pcx_ab"]
    internet = Background(lab.server, INTERNET, [GUEST_PYTHON, PROBE, "serve", "tcp", "80"], ready="ready")
    lab.background.append(internet)
    try:
        with routes(lab, (rtb["b"], "0.0.0.0/0", net["igw"]), (rtb["b"], "10.1.0.0/16", ab),
                    (rtb["a"], "0.0.0.0/0", ab)):
            mark = internet.mark()
            wait_for(lambda: lab.tcp(b, INTERNET_HOST, 80, timeout=0.5), timeout=SETTLE, interval=0,
                     what="b reaches the internet")
            assert conns(internet, mark, net["eip"]), internet.lines
            wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
                     what="A -> b over 0.0.0.0/0 -> pcx")

            mark = internet.mark()
            assert not lab.tcp(a, INTERNET_HOST, 80, timeout=1)
            assert not lab.ping(a, INTERNET_HOST, wait=0.5)
            assert conns(internet, mark) == [], internet.lines

            t = trace(lab, a, f"{INTERNET_HOST}:80")
            assert_dropped_at(t, 7, "vpc-peering", "CANNOT_ROUTE", ab)
            assert stage(t, "route-table")["rule"] == f"0.0.0.0/0 -> {ab}", t
            assert lab.tcp(b, INTERNET_HOST, 80, timeout=2)  # b itself still goes out
    finally:
        internet.stop()


def test_peer_security_groups_decide(lab, net):
    """T3, SG-10, SG-17, M2, M10: with routes both ways over pcx-ab, b-sg has no rule for tcp 9000, so
    A's connection to b:9000 is refused (b's server never sees it) while 8080 passes. A rule tcp 9000
    whose source is A's group (UserIdGroupPairs with a-sg's id: same account and Region, the peer VPC's
    group) admits it; A moved to another group is refused again (the reference is to members), back in
    a-sg it connects; revoking the rule closes 9000 again."""
    ec2 = lab.ec2
    a, b_ip = net["id"]["a"], net["ip"]["b"]
    srv = net["srv"]["b9000"]
    rule = perm("tcp", 9000, group=net["sg"]["a"])
    other = lab.group(net["vpc"]["a"], "a-other")
    with ab_routes(lab, net):
        wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="A -> b:8080")
        mark = srv.mark()
        assert not lab.tcp(a, b_ip, 9000, timeout=1)
        assert conns(srv, mark) == [], srv.lines
        t = trace(lab, a, f"{b_ip}:9000")
        assert_dropped_at(t, 9, "security-groups-ingress", "ENI_SG_RULES_MISMATCH", net["sg"]["b"])
        assert stage(t, "vpc-peering")["allowed"], t

        ec2.authorize_security_group_ingress(GroupId=net["sg"]["b"], IpPermissions=[rule])
        try:
            mark = srv.mark()
            wait_for(lambda: lab.tcp(a, b_ip, 9000, timeout=0.5), timeout=SETTLE, interval=0,
                     what="A admitted by the reference to a-sg")
            assert conns(srv, mark, net["ip"]["a"]), srv.lines
            lab.set_groups(net["inst"]["a"], [other])
            try:
                wait_for(lambda: not lab.tcp(a, b_ip, 9000, timeout=0.5), timeout=SETTLE, interval=0,
                         what="A outside a-sg refused")
            finally:
                lab.set_groups(net["inst"]["a"], [net["sg"]["a"]])
            wait_for(lambda: lab.tcp(a, b_ip, 9000, timeout=0.5), timeout=SETTLE, interval=0,
                     what="A in a-sg again")
        finally:
            ec2.revoke_security_group_ingress(GroupId=net["sg"]["b"], IpPermissions=[rule])
        wait_for(lambda: not lab.tcp(a, b_ip, 9000, timeout=0.5), timeout=SETTLE, interval=0,
                 what="9000 closed after revoke")


def test_peer_subnet_acl_applies(lab, net):
    """N2, N9, T1: with routes A<->B and B<->C over their connections, a custom ACL on b's subnet with
    ingress 100 deny all from 10.1.0.0/16 (A's CIDR), 200 allow all, egress 100 allow all blocks A -> b
    (TCP and ping; trace: stage 8 network-acl-inbound of that ACL) while C still reaches b; with b's
    subnet back on the default ACL A reaches b again."""
    ec2 = lab.ec2
    a, c, b_ip = net["id"]["a"], net["id"]["c"], net["ip"]["b"]
    rtb, bc = net["rtb"], net["pcx_bc"]
    srv = net["srv"]["b"]
    acl = ec2.create_network_acl(VpcId=net["vpc"]["b"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "deny", cidr="10.1.0.0/16"))
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    with ab_routes(lab, net), routes(lab, (rtb["b"], "10.3.0.0/16", bc), (rtb["c"], "10.2.0.0/16", bc)):
        wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="A -> b")
        associate_acl(lab, net["subnet"]["b"], acl)
        try:
            wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
                     what="A denied by b's subnet ACL")
            mark = srv.mark()
            assert not lab.tcp(a, b_ip, 8080, timeout=1)
            assert not lab.ping(a, b_ip, wait=0.5)
            assert conns(srv, mark, net["ip"]["a"]) == [], srv.lines
            assert lab.tcp(c, b_ip, 8080, timeout=2)
            t = trace(lab, a, f"{b_ip}:8080")
            assert_dropped_at(t, 8, "network-acl-inbound", "SUBNET_ACL_RESTRICTION", acl)
            assert stage(t, "vpc-peering")["allowed"] and t["stages"][-1]["rule"] == "100 deny", t
        finally:
            associate_acl(lab, net["subnet"]["b"], net["acl"]["b"])
        wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="A -> b again")


def test_deleted_and_pending_connections_carry_nothing(lab, net):
    """G13, G16, T1: a new connection pcx-ac (A-C), accepted, with routes both ways: A reaches C.
    Deleted, its routes stay as `blackhole`, A reaches nothing in C and trace says BAD_STATE_ROUTE at
    stage 6. A second connection A-C left pending-acceptance, with the routes pointing at it: still
    nothing passes (the routes are blackholes, trace BAD_STATE_ROUTE); accepted, A reaches C."""
    ec2 = lab.ec2
    a, c, c_ip, a_ip = net["id"]["a"], net["id"]["c"], net["ip"]["c"], net["ip"]["a"]
    rtb = net["rtb"]
    srv_c = net["srv"]["c"]
    pcx = peer(lab, net["vpc"]["a"], net["vpc"]["c"])
    pending = None
    try:
        with routes(lab, (rtb["a"], "10.3.0.0/16", pcx), (rtb["c"], "10.1.0.0/16", pcx)):
            wait_for(lambda: lab.tcp(a, c_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="A -> C")
            assert lab.tcp(c, a_ip, 8080, timeout=2)
            assert_through_peering(trace(lab, a, f"{c_ip}:8080"), pcx, net["vpc"]["a"], net["vpc"]["c"])

            ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
            assert route_state(lab, rtb["a"], "10.3.0.0/16") == "blackhole"
            assert route_state(lab, rtb["c"], "10.1.0.0/16") == "blackhole"
            wait_for(lambda: not lab.tcp(a, c_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
                     what="nothing over the deleted connection")
            mark = srv_c.mark()
            assert not lab.tcp(a, c_ip, 8080, timeout=1)
            assert not lab.ping(a, c_ip, wait=0.5)
            assert not lab.tcp(c, a_ip, 8080, timeout=1)
            assert conns(srv_c, mark) == [], srv_c.lines
            assert_dropped_at(trace(lab, a, f"{c_ip}:8080"), 6, "route-table", "BAD_STATE_ROUTE", rtb["a"])
            assert_dropped_at(trace(lab, c, f"{a_ip}:8080"), 6, "route-table", "BAD_STATE_ROUTE", rtb["c"])

        pending = peer(lab, net["vpc"]["a"], net["vpc"]["c"], accept=False)
        assert pcx_status(lab, pending) == "pending-acceptance"
        with routes(lab, (rtb["a"], "10.3.0.0/16", pending), (rtb["c"], "10.1.0.0/16", pending)):
            assert route_state(lab, rtb["a"], "10.3.0.0/16") == "blackhole"
            mark = srv_c.mark()
            assert not lab.tcp(a, c_ip, 8080, timeout=1)
            assert not lab.ping(a, c_ip, wait=0.5)
            assert conns(srv_c, mark) == [], srv_c.lines
            assert_dropped_at(trace(lab, a, f"{c_ip}:8080"), 6, "route-table", "BAD_STATE_ROUTE", rtb["a"])

            ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pending)
            assert route_state(lab, rtb["a"], "10.3.0.0/16") == "active"
            wait_for(lambda: lab.tcp(a, c_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
                     what="A -> C once accepted")
    finally:
        for p in (pcx, pending):
            if p and pcx_status(lab, p) in ("active", "pending-acceptance"):
                ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=p)


# --------------------------------------------------------------------------------------------------
# Connection tracking when the server speaks first (CT-5, CT-6).

# Runs inside an instance under the system python (python3 -c PUSH_SCRIPT MODE ...):
#   serve PORT                 prints "ready"; per connection "conn IP PORT", then pushes "tick N" to the
#                              client every 0.2 s and, for every line the client sends, prints
#                              "recv LINE" and answers "echo LINE"
#   client HOST PORT TIMEOUT   prints "connected" (or "connect-failed", exit 2), then "got LINE" for every
#                              line received, and sends every line read on stdin
#   connect HOST PORT TIMEOUT  connect only: exit 0 when connected, 2 otherwise
# Nagle stays on: once the client's acknowledgements stop coming, the server holds its later ticks
# instead of sending them, so no new line can reach the client after its last one got through.
PUSH_SCRIPT = r'''
import socket, sys, threading, time
def say(*w):
    print(*w, flush=True)
mode = sys.argv[1]
if mode == "serve":
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("0.0.0.0", int(sys.argv[2])))
    srv.listen(16)
    say("ready")
    def handle(conn, peer):
        say("conn", peer[0], peer[1])
        lock = threading.Lock()
        def send(text):
            with lock:
                conn.sendall(text.encode())
        def push():
            n = 0
            try:
                while True:
                    send("tick %d\n" % n)
                    n += 1
                    time.sleep(0.2)
            except OSError:
                pass
        threading.Thread(target=push, daemon=True).start()
        try:
            for raw in conn.makefile("rb"):
                line = raw.decode().strip()
                say("recv", line)
                send("echo %s\n" % line)
        except OSError:
            pass
    while True:
        conn, peer = srv.accept()
        threading.Thread(target=handle, args=(conn, peer), daemon=True).start()
else:
    s = socket.socket()
    s.settimeout(float(sys.argv[4]))
    try:
        s.connect((sys.argv[2], int(sys.argv[3])))
    except OSError as e:
        say("connect-failed", type(e).__name__)
        sys.exit(2)
    say("connected")
    if mode == "connect":
        sys.exit(0)
    s.settimeout(None)
    def read():
        try:
            for raw in s.makefile("rb"):
                say("got", raw.decode().strip())
        except OSError as e:
            say("error", type(e).__name__)
        say("closed")
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    for line in sys.stdin:
        s.sendall(line.encode())
    reader.join()
'''

TICK_GAP = 0.8  # 4 tick intervals without a new line: the flow has stopped


@pytest.fixture(scope="module")
def ct_net(lab):
    """VPC D 10.4.0.0/16: client x in 10.4.1.0/24 (group 'client': no ingress, egress allow-all, so its
    own flows are tracked at x) and server y in 10.4.2.0/24; each test gives y a group of its own."""
    vpc = lab.vpc("10.4.0.0/16")
    sub_x = lab.subnet(vpc, "10.4.1.0/24")
    sub_y = lab.subnet(vpc, "10.4.2.0/24")
    client = lab.group(vpc, "client")
    server = lab.group(vpc, "server")
    x = lab.launch(sub_x, SecurityGroupIds=[client], wait=False)
    y = lab.launch(sub_y, SecurityGroupIds=[server], wait=False)
    for inst in (x, y):
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
    return dict(vpc=vpc, x=x["InstanceId"], y_inst=y, y=y["InstanceId"], x_ip=x["PrivateIpAddress"],
                y_ip=y["PrivateIpAddress"], x_cidr="10.4.1.0/24")


def push_server(lab, instance_id, port):
    bg = Background(lab.server, instance_id, [GUEST_PYTHON, "-c", PUSH_SCRIPT, "serve", str(port)], ready="ready")
    lab.background.append(bg)
    return bg


def push_client(lab, instance_id, ip, port, timeout=2.0):
    bg = Background(lab.server, instance_id, [GUEST_PYTHON, "-c", PUSH_SCRIPT, "client", ip, str(port), str(timeout)],
                    stdin=True)
    lab.background.append(bg)
    status = bg.next_line(timeout=timeout + 10)
    assert status == "connected", (status, bg.lines)
    return bg


def can_connect(lab, src, ip, port, timeout=0.5):
    rc, _, _ = lab.sh(src, [GUEST_PYTHON, "-c", PUSH_SCRIPT, "connect", ip, str(port), str(timeout)],
                      timeout=timeout + 10)
    return rc == 0


def send(client, line):
    client.proc.stdin.write(line + "\n")
    client.proc.stdin.flush()


def ticks(client, since=0):
    return [l for l in client.lines[since:] if l.startswith("got tick ")]


def is_tick(line):
    return line.startswith("got tick ")


def session_with_ticks(lab, ct_net, port):
    """A push server on y:PORT and x's connection to it (once y's group admits it), past three echoed
    lines and a few ticks."""
    server = push_server(lab, ct_net["y"], port)
    wait_for(lambda: can_connect(lab, ct_net["x"], ct_net["y_ip"], port), timeout=SETTLE, interval=0,
             what=f"tcp {port} allowed")
    client = push_client(lab, ct_net["x"], ct_net["y_ip"], port)
    assert server.wait_line(lambda l: l.startswith(f"conn {ct_net['x_ip']} "), 2), server.lines
    for i in range(3):
        send(client, f"before{i}")
        assert client.wait_line(lambda l, i=i: l == f"got echo before{i}", 2), client.lines
    wait_for(lambda: len(ticks(client)) >= 3, timeout=3, what="ticks reach x")
    return server, client


def test_untracked_flow_cut_when_the_server_speaks_first(lab, ct_net):
    """CT-3, CT-6, A16: y's group admits tcp 9100 from 0.0.0.0/0 and its egress allows all to 0.0.0.0/0,
    so x's connection is untracked at y (x's own group, no ingress, tracks it at x). y's server pushes a
    line every 0.2 s and echoes x's lines. Once the ingress rule is revoked — and y speaks next, not x —
    no more data reaches x once the revoke is in force (y's pushes may get through, but x's acknowledgements must not
    reach y: a segment from y that is not a SYN opens no connection at y), x's own line no longer
    reaches y, and a new connection is refused."""
    ec2 = lab.ec2
    x, y_ip = ct_net["x"], ct_net["y_ip"]
    rule = {"IpProtocol": "tcp", "FromPort": 9100, "ToPort": 9100, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    sg = lab.group(ct_net["vpc"], "t-untracked", ingress=[rule])  # default egress: all to 0.0.0.0/0
    lab.set_groups(ct_net["y_inst"], [sg])
    server, client = session_with_ticks(lab, ct_net, 9100)
    try:
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
        t0 = time.monotonic()
        mark = client.mark()
        while client.wait_line(is_tick, TICK_GAP, since=mark) is not None:
            mark = client.mark()
            assert time.monotonic() - t0 < SETTLE, \
                f"y's pushes still reach x {SETTLE} s after the revoke: {client.lines[-5:]}"
        smark = server.mark()
        send(client, "after")
        assert client.wait_line(is_tick, 1.5, since=mark) is None, client.lines[mark:]
        assert not [l for l in server.lines[smark:] if l == "recv after"], server.lines[smark:]
        assert not [l for l in client.lines[mark:] if l == "got echo after"], client.lines[mark:]
        assert not can_connect(lab, x, y_ip, 9100, timeout=1)
    finally:
        client.stop()
        server.stop()


def test_tracked_flow_survives_when_the_server_speaks_first(lab, ct_net):
    """CT-3, CT-5: y's group admits tcp 9101 only from x's subnet CIDR (not 0.0.0.0/0), so the flow is
    tracked at y. After the rule is revoked y's pushes keep reaching x (a tick every 0.2 s for another
    2 s), x's line still reaches y and is echoed, while a new connection is refused."""
    ec2 = lab.ec2
    x, y_ip = ct_net["x"], ct_net["y_ip"]
    rule = {"IpProtocol": "tcp", "FromPort": 9101, "ToPort": 9101, "IpRanges": [{"CidrIp": ct_net["x_cidr"]}]}
    sg = lab.group(ct_net["vpc"], "t-tracked", ingress=[rule])
    lab.set_groups(ct_net["y_inst"], [sg])
    server, client = session_with_ticks(lab, ct_net, 9101)
    try:
        ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
        mark = client.mark()
        wait_for(lambda: not can_connect(lab, x, y_ip, 9101), timeout=SETTLE, interval=0,
                 what="new connection refused after revoke")
        wait_for(lambda: len(ticks(client, mark)) >= 10, timeout=4, what="ticks go on after the revoke")
        send(client, "after")
        assert server.wait_line(lambda l: l == "recv after", 2), server.lines
        assert client.wait_line(lambda l: l == "got echo after", 2, since=mark), client.lines[mark:]
    finally:
        client.stop()
        server.stop()
