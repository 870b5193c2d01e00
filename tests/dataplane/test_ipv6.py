"""IPv6 on real traffic: DHCPv6 and router advertisements, and IPv6 flows through the same stages as
IPv4 (security groups, network ACLs, source/dest check, trace), each family on its own rules.

Rule ids: shared/spec/inventory-vpc-guide.md (C4, C6, C8, C9, C11, F3, G3, M3, M7, M8, M11, N1, N2, N9) and
shared/spec/inventory-ec2-network-security.md (CT-3, CT-5, ENI-10, IP-19, IP-23, IP-24, MI-2, MI-4).

A and B (one IPv6 address each, Ipv6AddressCount=1) take their addresses from the router's DHCPv6
server with the instance's own `dhclient -6`, and their default route from its router advertisements;
the module is skipped where `dhclient` is missing.
"""
import ipaddress
import os
import re

import pytest

from dplib import SETTLE, missing_prerequisite, trace, wait_for

_MISSING = missing_prerequisite(tools=("dhclient",))
pytestmark = pytest.mark.skipif(_MISSING is not None, reason=_MISSING or "")

ROUTER_LL = "fe80::ff:fe00:1"  # the router's link-local address (from its MAC 02:00:00:00:00:01)
ROUTER_MAC = "02:00:00:00:00:01"


def canon(address):
    return str(ipaddress.ip_address(address))


def global6(lab, instance_id, dev="eth0"):
    """The global IPv6 addresses on dev as {address: prefix length}."""
    rc, out, _ = lab.sh(instance_id, ["ip", "-6", "-o", "addr", "show", "dev", dev, "scope", "global"], timeout=5)
    return {canon(a): int(n) for a, n in re.findall(r"inet6 ([0-9a-f:]+)/(\d+)", out)} if rc == 0 else {}


def routes6(lab, instance_id):
    rc, out, _ = lab.sh(instance_id, ["ip", "-6", "route", "show"], timeout=5)
    assert rc == 0, out
    return out


def default_route6(lab, instance_id):
    return [line for line in routes6(lab, instance_id).splitlines() if line.startswith("default")]


def v6_rule(proto, port, cidr="::/0"):
    perm = {"IpProtocol": proto, "Ipv6Ranges": [{"CidrIpv6": cidr}]}
    if port is not None:
        perm.update(FromPort=port, ToPort=port)
    return perm


def v4_rule(proto, port, cidr="0.0.0.0/0"):
    return {"IpProtocol": proto, "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}


@pytest.fixture(scope="module")
def net(lab):
    """VPC 10.0.0.0/16 with an Amazon /56; A in 10.0.1.0/24 + /64 no. 1 (group 'client': no ingress),
    B in 10.0.2.0/24 + /64 no. 2 (group 'base': icmpv6 and udp 7000 from the /56, tcp 8080 from ::/0
    and 0.0.0.0/0), each with one IPv6 address; B runs echo servers on tcp 8080, 8081 and udp 7000
    (each one socket for both families). A's subnet keeps the default ACL; B's has a custom ACL 'acl_b'
    allowing everything both ways (100 0.0.0.0/0, 101 ::/0), so that an entry added there acts on B's
    side only. C in another VPC that has no IPv6 at all."""
    ec2 = lab.ec2
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]

    def vpc_block():
        desc = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]
        return [a["Ipv6CidrBlock"] for a in desc.get("Ipv6CidrBlockAssociationSet", [])
                if a["Ipv6CidrBlockState"]["State"] == "associated"]

    block56 = ipaddress.ip_network(wait_for(vpc_block, timeout=5, what="the VPC's IPv6 /56 associated")[0])
    assert block56.prefixlen == 56
    nets64 = list(block56.subnets(new_prefix=64))[1:3]
    subnets = []
    for i, n64 in enumerate(nets64, start=1):
        subnets.append(ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", Ipv6CidrBlock=str(n64),
                                         AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"])
    acl_b = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(NetworkAclId=acl_b, RuleNumber=100, Protocol="-1", RuleAction="allow",
                                     Egress=egress, CidrBlock="0.0.0.0/0")
        ec2.create_network_acl_entry(NetworkAclId=acl_b, RuleNumber=101, Protocol="-1", RuleAction="allow",
                                     Egress=egress, Ipv6CidrBlock="::/0")
    current = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnets[1]]}])
    assoc = [x for x in current["NetworkAcls"][0]["Associations"] if x["SubnetId"] == subnets[1]][0]
    ec2.replace_network_acl_association(AssociationId=assoc["NetworkAclAssociationId"], NetworkAclId=acl_b)
    client = lab.group(vpc, "client")
    base = lab.group(vpc, "base", ingress=[
        v6_rule("icmpv6", -1, str(block56)), v6_rule("udp", 7000, str(block56)),
        v6_rule("tcp", 8080), v4_rule("tcp", 8080)])

    other_vpc = lab.vpc("10.1.0.0/16")
    sub_c = lab.subnet(other_vpc, "10.1.1.0/24")

    a = lab.launch(subnets[0], SecurityGroupIds=[client], Ipv6AddressCount=1, wait=False)
    b = lab.launch(subnets[1], SecurityGroupIds=[base], Ipv6AddressCount=1, wait=False)
    c = lab.launch(sub_c, wait=False)
    for inst in (a, b, c):
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])

    def v6_of(inst):
        addrs = [x["Ipv6Address"] for n in inst["NetworkInterfaces"] for x in n.get("Ipv6Addresses", [])]
        assert len(addrs) == 1, inst["NetworkInterfaces"]
        return canon(addrs[0])

    a6, b6 = v6_of(a), v6_of(b)
    for inst, addr in ((a, a6), (b, b6)):
        iid = inst["InstanceId"]
        wait_for(lambda: addr in global6(lab, iid), timeout=15, what=f"{iid} eth0 has {addr} (DHCPv6)")
        wait_for(lambda: default_route6(lab, iid), timeout=10, what=f"{iid} has an IPv6 default route (RA)")
    servers = {("tcp", 8080): lab.serve(b["InstanceId"], "tcp", 8080),
               ("tcp", 8081): lab.serve(b["InstanceId"], "tcp", 8081),
               ("udp", 7000): lab.serve(b["InstanceId"], "udp", 7000)}
    default_acl = ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]["NetworkAclId"]
    return dict(vpc=vpc, block56=block56, nets64=nets64, subnets=subnets, client=client, base=base,
                default_acl=default_acl, acl_b=acl_b, servers=servers, a_inst=a, b_inst=b,
                a=a["InstanceId"], b=b["InstanceId"], c=c["InstanceId"],
                a_ip=a["PrivateIpAddress"], b_ip=b["PrivateIpAddress"], a6=a6, b6=b6,
                a_eni=a["NetworkInterfaces"][0]["NetworkInterfaceId"],
                b_eni=b["NetworkInterfaces"][0]["NetworkInterfaceId"])


@pytest.fixture
def b_groups(lab, net):
    """set(groups) for B's eth0 in this test; B goes back to 'base' alone afterwards."""
    yield lambda groups: lab.set_groups(net["b_inst"], groups)
    lab.set_groups(net["b_inst"], [net["base"]])


@pytest.fixture
def acl_entries(lab, net):
    """create(**kw) an entry in acl_b (B's subnet's ACL) for this test; removed afterwards."""
    made = []

    def create(**kw):
        lab.ec2.create_network_acl_entry(NetworkAclId=net["acl_b"], **kw)
        made.append((kw["RuleNumber"], kw["Egress"]))

    yield create
    for number, egress in made:
        try:
            lab.ec2.delete_network_acl_entry(NetworkAclId=net["acl_b"], RuleNumber=number, Egress=egress)
        except Exception as e:  # already deleted by the test
            if "NotFound" not in str(e):
                raise


def deny_all_ipv6_in(number=90):
    return dict(RuleNumber=number, Protocol="-1", RuleAction="deny", Egress=False, Ipv6CidrBlock="::/0")


def test_dhcpv6_address_and_router_advertisement(lab, net):
    """C11, C4, IP-19, IP-24: A's eth0 holds exactly the IPv6 address the API reports (as a /128),
    given by DHCPv6 to the instance's own dhclient -6 (its lease file names the address); its default
    route points at the router's link-local address and was learned from a router advertisement; the
    subnet's /64 is on-link. An RS from the instance is answered: M flag set, the /64 on-link (L)
    without autoconfiguration (A)."""
    a, a6, n64 = net["a"], net["a6"], net["nets64"][0]
    assert global6(lab, a) == {a6: 128}
    assert ipaddress.ip_address(a6) in n64
    assert int(ipaddress.ip_address(a6)) - int(n64.network_address) > 3  # C4: ::0..::3 are reserved
    desc = lab.ec2.describe_instances(InstanceIds=[a])["Reservations"][0]["Instances"][0]
    assert [canon(x["Ipv6Address"]) for x in desc["NetworkInterfaces"][0]["Ipv6Addresses"]] == [a6]

    lease_file = os.path.join(lab.server.instance_dir(a), "dhclient6-eth0.leases")
    with open(lease_file) as f:
        lease = f.read()
    leased = {canon(x) for x in re.findall(r"iaaddr ([0-9a-fA-F:]+)", lease)}
    assert a6 in leased, lease

    defaults = default_route6(lab, a)
    assert len(defaults) == 1, defaults
    assert re.match(rf"default via {ROUTER_LL} dev eth0 proto ra\b", defaults[0]), defaults
    routes = routes6(lab, a)
    assert re.search(rf"^{re.escape(str(n64))} dev eth0 ", routes, re.M), routes

    rc, out, _ = lab.probe(a, "rs", "eth0", timeout=2)
    assert rc == 0, out
    words = out.split()
    assert words[:2] == ["ra", ROUTER_LL], out
    for expected in ("M=1", f"prefix={n64}", "L=1", "A=0"):
        assert expected in words, out
    # The router's link-local address resolves to its MAC (from the RA's source link-layer option or NS/NA).
    rc, out, _ = lab.sh(a, ["ip", "-6", "neigh", "show", ROUTER_LL, "dev", "eth0"], timeout=5)
    assert ROUTER_MAC in out and "router" in out, out


def test_dhcpv6_names_the_resolver_at_fd00_ec2_253(lab, net):
    """Issue 15: DHCPv6 gives the Amazon DNS server's IPv6 address, fd00:ec2::253 (option 23), and
    the resolver answers there over UDP with what it answers at 169.254.169.253 (R1): the same
    question asked at both addresses gets the same answer."""
    a = net["a"]
    with open(os.path.join(lab.server.instance_dir(a), "dhclient6-eth0.leases")) as f:
        lease = f.read()
    assert re.search(r"option dhcp6\.name-servers fd00:ec2::253;", lease), lease
    question = "ip-" + net["b_ip"].replace(".", "-") + ".ec2.internal"  # B's private name (R4)
    lab.ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames={"Value": True})
    try:
        answers = []
        for server in ("169.254.169.253", "fd00:ec2::253"):
            rc, out, err = lab.sh(a, ["dig", "+time=2", "+tries=1", f"@{server}", question, "A"], timeout=10)
            assert rc == 0, (server, out, err)
            status = re.search(r"status: (\w+)", out)
            assert status, out
            answers.append((status.group(1), sorted(re.findall(r"^\S+\s+\d+\s+IN\s+A\s+(\S+)$", out, re.M))))
    finally:
        lab.ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames={"Value": False})
    assert answers[0] == ("NOERROR", [net["b_ip"]]), answers
    assert answers[1] == answers[0], answers
    # A server that is not the resolver's IPv6 address gets no answer from the router (control).
    rc, out, _ = lab.sh(a, ["dig", "+time=1", "+tries=1", "@fd00:ec2::254", question, "A"], timeout=10)
    assert rc != 0 or "status:" not in out, out


def test_ping_and_tcp_over_ipv6_between_subnets(lab, net):
    """C6, G3, M7, M8: A pings B's IPv6 address across subnets (B admits icmpv6 from the VPC's /56) and
    opens a TCP connection to B:8080 admitted by an Ipv6Ranges rule; B sees A's IPv6 address as the
    source."""
    a, b6 = net["a"], net["b6"]
    assert lab.ping(a, b6, wait=1, extra=["-6"])
    srv = net["servers"][("tcp", 8080)]
    mark = srv.mark()
    assert lab.tcp(a, b6, 8080, timeout=2)
    assert srv.wait_line(lambda l: l.startswith(f"conn {net['a6']} "), 1, since=mark), srv.lines
    # IPv4 between the same instances is unaffected.
    assert lab.tcp(a, net["b_ip"], 8080, timeout=2)


def test_ipv4_rule_never_admits_ipv6(lab, net, b_groups):
    """C8, M7, M11: a group whose only rule for tcp 8081 is from 0.0.0.0/0 admits A over IPv4 but not over
    IPv6; authorizing tcp 8081 from ::/0 admits IPv6; revoking it refuses new IPv6 connections again."""
    ec2 = lab.ec2
    a, b6 = net["a"], net["b6"]
    c8 = lab.group(net["vpc"], "c8", ingress=[v4_rule("tcp", 8081)])
    b_groups([net["base"], c8])
    wait_for(lambda: lab.tcp(a, net["b_ip"], 8081, timeout=0.5), timeout=SETTLE, interval=0,
             what="IPv4 admitted by 0.0.0.0/0")
    assert not lab.tcp(a, b6, 8081, timeout=1)

    rule = v6_rule("tcp", 8081)
    ec2.authorize_security_group_ingress(GroupId=c8, IpPermissions=[rule])
    wait_for(lambda: lab.tcp(a, b6, 8081, timeout=0.5), timeout=SETTLE, interval=0, what="IPv6 admitted by ::/0")
    ec2.revoke_security_group_ingress(GroupId=c8, IpPermissions=[rule])
    wait_for(lambda: not lab.tcp(a, b6, 8081, timeout=0.5), timeout=SETTLE, interval=0,
             what="new IPv6 connection refused after revoke")
    assert lab.tcp(a, net["b_ip"], 8081, timeout=2)


def test_acl_ipv6_deny_entry(lab, net, acl_entries):
    """C8, C9, N1, N2, N9: the default ACL of an IPv6 VPC has rule 101 allow ::/0 both ways (A's subnet
    crosses it). On B's subnet an ingress deny of ::/0 numbered 90 (below the allow ::/0 at 101) blocks
    A's IPv6 TCP, ping and UDP on the way in (B never records the datagram) while IPv4 still passes;
    deleting the entry lets IPv6 through again."""
    ec2 = lab.ec2
    a, b6 = net["a"], net["b6"]
    acl = ec2.describe_network_acls(NetworkAclIds=[net["default_acl"]])["NetworkAcls"][0]
    v6_entries = {(e["RuleNumber"], e["Egress"], e["RuleAction"]) for e in acl["Entries"]
                  if e.get("Ipv6CidrBlock") == "::/0"}
    assert {(101, False, "allow"), (101, True, "allow")} <= v6_entries, acl["Entries"]
    udp_srv = net["servers"][("udp", 7000)]

    def udp_arrives(tag, timeout):
        mark = udp_srv.mark()
        lab.udp(a, b6, 7000, msg=tag, reply=False)
        return udp_srv.wait_line(lambda l: l.startswith(f"recv {net['a6']} ") and l.endswith(tag), timeout, since=mark)

    acl_entries(**deny_all_ipv6_in(90))
    wait_for(lambda: not lab.tcp(a, b6, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="IPv6 denied")
    assert not lab.ping(a, b6, wait=1, extra=["-6"])
    assert not udp_arrives("denied", 0.5)
    assert lab.tcp(a, net["b_ip"], 8080, timeout=2)

    ec2.delete_network_acl_entry(NetworkAclId=net["acl_b"], RuleNumber=90, Egress=False)
    wait_for(lambda: lab.tcp(a, b6, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="IPv6 allowed again")
    assert lab.ping(a, b6, wait=1, extra=["-6"])
    assert udp_arrives("allowed", 1.5)


def test_tracked_ipv6_connection_survives_rule_removal(lab, net, b_groups):
    """CT-3, CT-5, M3: B admits tcp 8081 only from A's IPv6 /128 (not ::/0): the flow is tracked, with
    128-bit addresses. An open IPv6 connection goes on exchanging after the rule is revoked, while a new
    connection is refused."""
    a, b6 = net["a"], net["b6"]
    rule = v6_rule("tcp", 8081, f"{net['a6']}/128")
    sg = lab.group(net["vpc"], "ct6", ingress=[rule])
    b_groups([net["base"], sg])
    wait_for(lambda: lab.tcp(a, b6, 8081, timeout=0.5), timeout=SETTLE, interval=0, what="tcp 8081 from A's /128")
    s = lab.session(a, b6, 8081, timeout=1.0)
    try:
        assert s.connected, s.lines
        assert [s.exchange(f"before{i}") for i in range(3)] == ["ok"] * 3
        lab.ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
        wait_for(lambda: not lab.tcp(a, b6, 8081, timeout=0.5), timeout=SETTLE, interval=0,
                 what="new IPv6 connection refused after revoke")
        assert [s.exchange(f"after{i}") for i in range(5)] == ["ok"] * 5
    finally:
        s.stop()


def test_assign_and_unassign_ipv6_on_running_instance(lab, net):
    """IP-23, MI-2, MI-4: AssignIpv6Addresses on B's running interface puts the new address on B's eth0 (a
    /128) and A reaches B at it; UnassignIpv6Addresses takes it off again and nothing answers there."""
    ec2 = lab.ec2
    a, b = net["a"], net["b"]
    new = ec2.assign_ipv6_addresses(NetworkInterfaceId=net["b_eni"], Ipv6AddressCount=1)["AssignedIpv6Addresses"]
    assert len(new) == 1
    new6 = canon(new[0])
    try:
        assert ipaddress.ip_address(new6) in net["nets64"][1] and new6 != net["b6"]
        wait_for(lambda: global6(lab, b).get(new6) == 128, timeout=5, what=f"{new6} on B's eth0")
        assert set(global6(lab, b)) == {net["b6"], new6}
        srv = net["servers"][("tcp", 8080)]
        mark = srv.mark()
        wait_for(lambda: lab.tcp(a, new6, 8080, timeout=0.5), timeout=SETTLE, interval=0, what=f"A -> [{new6}]:8080")
        assert srv.wait_line(lambda l: l.startswith(f"conn {net['a6']} "), 1, since=mark), srv.lines
        assert lab.ping(a, new6, wait=1, extra=["-6"])
    finally:
        ec2.unassign_ipv6_addresses(NetworkInterfaceId=net["b_eni"], Ipv6Addresses=[new6])
    wait_for(lambda: new6 not in global6(lab, b), timeout=5, what=f"{new6} gone from B's eth0")
    assert global6(lab, b) == {net["b6"]: 128}
    assert not lab.tcp(a, new6, 8080, timeout=1)
    assert lab.tcp(a, net["b6"], 8080, timeout=2)


def test_source_dest_check_ipv6(lab, net):
    """F3, ENI-10: A adds by hand an address of its /64 that no interface holds and sends UDP from it to
    B:7000: with the check on (the default) nothing reaches B, while a datagram from A's own IPv6
    address does; with SourceDestCheck off on A's interface B records the foreign source. (Only B's
    receiving counts: the reply to the foreign address has nowhere to go.)"""
    a, b6 = net["a"], net["b6"]
    foreign = canon(net["nets64"][0][0xbeef0001])
    assert foreign != net["a6"]
    srv = net["servers"][("udp", 7000)]

    def arrives(source, tag, expect):
        mark = srv.mark()
        for i in range(3):
            lab.udp(a, b6, 7000, bind=source, msg=f"{tag}-{i}", reply=False)
            if srv.wait_line(lambda l: l.startswith(f"recv {source} ") and tag in l, 1.5 if expect else 0.4,
                             since=mark):
                return True
        return False

    def set_check(value):
        lab.ec2.modify_network_interface_attribute(NetworkInterfaceId=net["a_eni"], SourceDestCheck={"Value": value})

    rc, _, err = lab.sh(a, f"ip -6 addr add {foreign}/128 dev eth0 nodad")
    assert rc == 0, err
    try:
        assert arrives(net["a6"], "own", expect=True)
        assert not arrives(foreign, "checked", expect=False)
        set_check(False)
        assert wait_for(lambda: arrives(foreign, "unchecked", expect=True), timeout=SETTLE, interval=0,
                        what="datagram from the foreign IPv6 source arrives")
        set_check(True)
        wait_for(lambda: not arrives(foreign, "rechecked", expect=False), timeout=SETTLE, interval=0,
                 what="datagram from the foreign IPv6 source dropped again")
    finally:
        set_check(True)
        lab.sh(a, f"ip -6 addr del {foreign}/128 dev eth0")
    assert foreign not in global6(lab, a)


def test_no_ipv6_in_a_vpc_without_ipv6(lab, net):
    """IP-17, C11: C's VPC has no IPv6 block: C's eth0 speaks IPv6 (it has a link-local address) but gets no
    global address and no default route; a router solicitation from C is not answered (whereas A's, in a
    VPC with IPv6, is: the control), and no lease file is written."""
    c = net["c"]
    rc, out, _ = lab.sh(c, ["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link"], timeout=5)
    assert rc == 0 and "inet6 fe80::" in out, out
    # Past duplicate address detection, so that the kernel's own solicitations went out too.
    wait_for(lambda: "tentative" not in lab.sh(c, ["ip", "-6", "-o", "addr", "show", "dev", "eth0"], timeout=5)[1],
             timeout=5, what="C's link-local address usable")
    rc, out, _ = lab.probe(c, "rs", "eth0", timeout=1)
    assert rc == 1 and out.split() == ["no-ra"], out
    rc, out, _ = lab.probe(net["a"], "rs", "eth0", timeout=2)
    assert rc == 0 and out.split()[:2] == ["ra", ROUTER_LL], out
    assert global6(lab, c) == {}
    assert default_route6(lab, c) == []
    assert not os.path.exists(os.path.join(lab.server.instance_dir(c), "dhclient6-eth0.leases"))



def test_trace_ipv6(lab, net, acl_entries):
    """C8, N9, M7: `openvpc trace` over the server's data dir: A -> [B6]:8080 is ALLOW (Ipv6Ranges rule)
    and so is icmpv6; A -> [B6]:9999 is DROP ENI_SG_RULES_MISMATCH at B's security groups (ingress);
    with an ACL entry denying ::/0 inbound on B's subnet, A -> [B6]:8080 is DROP SUBNET_ACL_RESTRICTION at
    the ACL (inbound), while the IPv4 flow A -> B:8080 stays ALLOW."""
    a, b6 = net["a"], net["b6"]
    ok = trace(lab, a, f"[{b6}]:8080")
    assert ok["verdict"] == "ALLOW", ok
    assert canon(ok["source"]["address"]) == net["a6"] and ok["destination"]["network_interface"] == net["b_eni"], ok
    assert ok["port"] == 8080
    # C8, N9: the IPv6 flow is decided by the ::/0 entries (101), never by the IPv4 ones (100).
    stages = {st["name"]: st for st in ok["stages"]}
    assert stages["network-acl-outbound"]["component"] == net["default_acl"], ok
    assert stages["network-acl-outbound"]["rule"] == "101 allow", ok
    assert stages["network-acl-inbound"]["component"] == net["acl_b"], ok
    assert stages["network-acl-inbound"]["rule"] == "101 allow", ok
    assert stages["security-groups-ingress"]["component"] == net["base"], ok
    assert trace(lab, a, b6, "--protocol", "icmpv6")["verdict"] == "ALLOW"

    sg_drop = trace(lab, a, f"[{b6}]:9999")
    assert sg_drop["verdict"] == "DROP" and sg_drop["explanation_code"] == "ENI_SG_RULES_MISMATCH", sg_drop
    last = sg_drop["stages"][-1]
    assert last["name"] == "security-groups-ingress" and not last["allowed"], sg_drop
    assert net["base"] in last["component"], sg_drop
    # Real traffic agrees: nothing admits tcp 9999.
    assert not lab.tcp(a, b6, 9999, timeout=1)

    acl_entries(**deny_all_ipv6_in(90))
    acl_drop = trace(lab, a, f"[{b6}]:8080")
    assert acl_drop["verdict"] == "DROP" and acl_drop["explanation_code"] == "SUBNET_ACL_RESTRICTION", acl_drop
    last = acl_drop["stages"][-1]
    assert last["name"] == "network-acl-inbound" and last["component"] == net["acl_b"], acl_drop
    assert last["rule"] == "90 deny", acl_drop
    assert trace(lab, a, f"{net['b_ip']}:8080")["verdict"] == "ALLOW"


# ---- Issue 15: IPv6-only subnets ------------------------------------------------------------------

@pytest.fixture(scope="module")
def only6(lab, net):
    """An IPv6-only subnet (/64 no. 5 of net's VPC) with DNS64 and AAAA records for resource names,
    two instances in it (D, E: IPv6 addresses only), DNS hostnames on for the VPC while it lives."""
    ec2 = lab.ec2
    n64 = list(net["block56"].subnets(new_prefix=64))[5]
    sid = ec2.create_subnet(VpcId=net["vpc"], Ipv6Native=True, Ipv6CidrBlock=str(n64),
                            AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sid, EnableDns64={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=sid, EnableResourceNameDnsAAAARecordOnLaunch={"Value": True})
    ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames={"Value": True})
    insts = [lab.launch(sid, SecurityGroupIds=[net["base"]], wait=False) for _ in range(2)]
    addrs = []
    for inst in insts:
        iid = inst["InstanceId"]
        (addr,) = [canon(x["Ipv6Address"]) for x in inst["NetworkInterfaces"][0]["Ipv6Addresses"]]
        wait_for(lambda: addr in global6(lab, iid), timeout=20, what=f"{iid} eth0 has {addr} (DHCPv6)")
        wait_for(lambda: default_route6(lab, iid), timeout=10, what=f"{iid} has an IPv6 default route (RA)")
        addrs.append(addr)
    yield dict(subnet=sid, n64=n64, d=insts[0]["InstanceId"], e=insts[1]["InstanceId"], d6=addrs[0], e6=addrs[1])
    ec2.modify_vpc_attribute(VpcId=net["vpc"], EnableDnsHostnames={"Value": False})


def test_ipv6_only_instances_have_no_ipv4_and_reach_each_other(lab, net, only6):
    """An instance of an IPv6-only subnet has its IPv6 address (DHCPv6) and no IPv4 address at all;
    two of them reach each other over IPv6 (base admits ICMPv6 from the VPC's /56)."""
    d, e = only6["d"], only6["e"]
    rc, out, _ = lab.sh(d, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"], timeout=5)
    assert rc == 0 and out.strip() == "", out
    assert global6(lab, d) == {only6["d6"]: 128}
    assert lab.ping(d, only6["e6"], wait=2)
    assert lab.ping(e, only6["d6"], wait=2)


def test_resource_names_and_dns64_at_the_ipv6_resolver(lab, net, only6):
    """The resolver at fd00:ec2::253 answers an instance's resource name (i-….ec2.internal) with
    its IPv6 address (EnableResourceNameDnsAAAARecordOnLaunch), and with DNS64 on the asking
    subnet an AAAA question about a name that has only an A record (a dual-stack instance's IP
    name) with that address inside 64:ff9b::/96."""
    d, e = only6["d"], only6["e"]

    def aaaa(name):
        rc, out, err = lab.sh(d, ["dig", "+time=2", "+tries=1", "@fd00:ec2::253", name, "AAAA"], timeout=10)
        assert rc == 0, (out, err)
        return re.search(r"status: (\w+)", out).group(1), \
            sorted(canon(x) for x in re.findall(r"^\S+\s+\d+\s+IN\s+AAAA\s+(\S+)$", out, re.M))

    assert aaaa(f"{e}.ec2.internal") == ("NOERROR", [only6["e6"]])
    b_name = "ip-" + net["b_ip"].replace(".", "-") + ".ec2.internal"
    b_v4 = ipaddress.ip_address(net["b_ip"])
    assert aaaa(b_name) == ("NOERROR", [canon(ipaddress.ip_address("64:ff9b::") + int(b_v4))])
    # A name the VPC does not have stays NXDOMAIN (control on the same path).
    assert aaaa("i-0123456789abcdef0.ec2.internal")[0] == "NXDOMAIN"


def test_metadata_at_fd00_ec2_254_as_http_protocol_ipv6_says(lab, net, only6):
    """Issue 15: with the instance's HttpProtocolIpv6 enabled, IMDS answers at [fd00:ec2::254] (an
    IPv6-only instance's only way to it), IMDSv2 included; disabled (the default), nothing
    answers there, while the same request succeeds once enabled (the control on the same path)."""
    d = only6["d"]
    url = "http://[fd00:ec2::254]"

    def get(path, *args):
        rc, out, _ = lab.sh(d, ["curl", "-s", "-m", "2", "-w", "\n%{http_code}", *args, url + path], timeout=10)
        body, _, code = out.rpartition("\n")
        return rc, code, body

    desc = lab.ec2.describe_instances(InstanceIds=[d])["Reservations"][0]["Instances"][0]
    assert desc["MetadataOptions"]["HttpProtocolIpv6"] == "disabled"
    rc, code, _ = get("/latest/meta-data/instance-id")
    assert rc != 0 and code == "000", (rc, code)  # no answer at all
    off = trace(lab, d, "[fd00:ec2::254]:80")  # trace says why, from the same rule
    assert off["verdict"] == "DROP" and off["explanation_code"] == "METADATA_IPV6_DISABLED", off
    lab.ec2.modify_instance_metadata_options(InstanceId=d, HttpProtocolIpv6="enabled")
    try:
        assert trace(lab, d, "[fd00:ec2::254]:80")["verdict"] == "ALLOW"
        assert get("/latest/meta-data/instance-id")[1:] == ("200", d)
        rc, code, token = get("/latest/api/token", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60")
        assert code == "200" and token, (rc, code)
        assert get("/latest/meta-data/instance-id", "-H", f"X-aws-ec2-metadata-token: {token}")[1:] == ("200", d)
        assert get("/latest/meta-data/ipv6")[1] in ("200", "404")  # served (the tree is IMDS's)
    finally:
        lab.ec2.modify_instance_metadata_options(InstanceId=d, HttpProtocolIpv6="disabled")
    rc, code, _ = get("/latest/meta-data/instance-id")
    assert code == "000", code
