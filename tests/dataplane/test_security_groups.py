"""Security groups on real traffic: allow-only rules, convergence of rule changes, connection tracking.

Rule ids: shared/spec/inventory-ec2-network-security.md (SG-*, CT-1..CT-7, A16) and
shared/spec/inventory-vpc-guide.md (M*).
"""
import time

import pytest

from dplib import SETTLE, Background, wait_for



def tcp_rule(port, cidr=None, group=None):
    perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        perm["IpRanges"] = [{"CidrIp": cidr}]
    if group:
        perm["UserIdGroupPairs"] = [{"GroupId": group}]
    return perm


ICMP_FROM_ANYWHERE = {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@pytest.fixture(scope="module")
def net(lab):
    """A (group 'client': no ingress, egress all) in 10.0.1.0/24; B in 10.0.2.0/24 with echo servers on
    8080, 9000, 9001 (TCP) and 8081 (UDP). Each test gives B the groups it needs."""
    vpc = lab.vpc("10.0.0.0/16")
    sub_a = lab.subnet(vpc, "10.0.1.0/24")
    sub_b = lab.subnet(vpc, "10.0.2.0/24")
    client_sg = lab.group(vpc, "client")
    server_sg = lab.group(vpc, "server")
    a = lab.launch(sub_a, SecurityGroupIds=[client_sg])
    b = lab.launch(sub_b, SecurityGroupIds=[server_sg])
    for port in (8080, 9000, 9001):
        lab.serve(b["InstanceId"], "tcp", port)
    lab.serve(b["InstanceId"], "udp", 8081)
    return dict(vpc=vpc, a=a, b=b, client_sg=client_sg, server_sg=server_sg,
                a_id=a["InstanceId"], b_id=b["InstanceId"], a_ip=a["PrivateIpAddress"], b_ip=b["PrivateIpAddress"])


def fresh_group(lab, net, name, ingress=(), egress=None):
    """A new group for B alone (B leaves the groups of earlier tests)."""
    sg = lab.group(net["vpc"], name, ingress=ingress, egress=egress)
    lab.set_groups(net["b"], [sg])
    return sg


def test_no_ingress_rule_blocks_then_authorize_then_revoke(lab, net):
    """SG-10, SG-11, SG-13, SG-17, M4, M10, M11: B's group without ingress rules drops A's SYN to B:8080;
    authorizing tcp 8080 from A's group lets new connections in; revoking it stops new
    connections again."""
    ec2 = lab.ec2
    sg = fresh_group(lab, net, "t-8080")
    a, b_ip = net["a_id"], net["b_ip"]
    wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="no rule: dropped")
    assert not lab.tcp(a, b_ip, 8080, timeout=1)

    rule = tcp_rule(8080, group=net["client_sg"])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[rule])
    wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="connect after authorize")

    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
    wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
             what="new connections fail after revoke")


def test_cidr_rule_admits_only_that_address_and_port(lab, net):
    """SG-14, SG-15, M7, M9: tcp 8080 from A's /32 admits A on 8080 only; UDP and other ports stay
    closed; a /32 of another address admits nobody."""
    ec2 = lab.ec2
    a, b_ip = net["a_id"], net["b_ip"]
    sg = fresh_group(lab, net, "t-cidr", ingress=[tcp_rule(8080, cidr="10.0.1.250/32")])
    wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="other /32: dropped")
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[tcp_rule(8080, cidr=f"{net['a_ip']}/32")])
    wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="connect via /32")
    assert not lab.tcp(a, b_ip, 9000, timeout=1)
    assert not lab.udp(a, b_ip, 8081, timeout=1)
    assert not lab.ping(a, b_ip, wait=1)


def test_union_of_groups(lab, net):
    """SG-12, M2: an instance's policy is the union of its groups' rules."""
    a, b_ip = net["a_id"], net["b_ip"]
    g1 = lab.group(net["vpc"], "union-1", ingress=[tcp_rule(8080, cidr="10.0.0.0/16")])
    g2 = lab.group(net["vpc"], "union-2", ingress=[ICMP_FROM_ANYWHERE])
    lab.set_groups(net["b"], [g1])
    wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="tcp via g1")
    assert not lab.ping(a, b_ip, wait=1)
    lab.set_groups(net["b"], [g1, g2])
    wait_for(lambda: lab.ping(a, b_ip, wait=0.5), timeout=SETTLE, interval=0, what="ping via g2")
    assert lab.tcp(a, b_ip, 8080, timeout=1)


def test_stateful_responses_pass_without_matching_rules(lab, net):
    """CT-1, M3: B's group has no egress rule at all, yet B answers A's allowed connection; A's group
    has no ingress rule, yet A gets the answer. And B cannot start anything outbound (M4)."""
    a, b_ip = net["a_id"], net["b_ip"]
    fresh_group(lab, net, "t-noegress", ingress=[tcp_rule(8080, cidr="10.0.0.0/16"), ICMP_FROM_ANYWHERE],
                egress=[])
    wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="tcp A->B")
    assert lab.ping(a, b_ip, wait=1)  # CT-2: the echo reply leaves although no egress rule allows ICMP
    # B -> A: A admits ICMP from B for a moment, but B's egress is empty: nothing leaves B that does
    # not answer a tracked flow.
    icmp_from_b = dict(ICMP_FROM_ANYWHERE, IpRanges=[{"CidrIp": f"{b_ip}/32"}])
    lab.ec2.authorize_security_group_ingress(GroupId=net["client_sg"], IpPermissions=[icmp_from_b])
    try:
        time.sleep(0.2)
        assert not lab.ping(net["b_id"], net["a_ip"], wait=1)
    finally:
        lab.ec2.revoke_security_group_ingress(GroupId=net["client_sg"], IpPermissions=[icmp_from_b])


def _session_exchanges(session, n, prefix, interval=0.1):
    results = []
    for i in range(n):
        results.append(session.exchange(f"{prefix}{i}"))
        time.sleep(interval)
    return results


def test_tracked_connection_survives_rule_removal(lab, net):
    """CT-3, CT-4, CT-5, A16: B admits tcp 9000 only from A's /32 (not 0.0.0.0/0): the flow is tracked.
    A long-lived connection exchanging a line every ~100 ms keeps working after the rule is revoked;
    a new connection is refused entry."""
    ec2 = lab.ec2
    a, b_ip = net["a_id"], net["b_ip"]
    rule = tcp_rule(9000, cidr=f"{net['a_ip']}/32")
    sg = fresh_group(lab, net, "t-tracked", ingress=[rule])
    wait_for(lambda: lab.tcp(a, b_ip, 9000, timeout=0.5), timeout=SETTLE, interval=0, what="tcp 9000 allowed")
    s = lab.session(a, b_ip, 9000, timeout=1.0)
    assert s.connected, s.lines
    assert _session_exchanges(s, 5, "before") == ["ok"] * 5

    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
    assert _session_exchanges(s, 3, "after") == ["ok"] * 3
    # The revoke is in force: a new connection is dropped ...
    wait_for(lambda: not lab.tcp(a, b_ip, 9000, timeout=0.5), timeout=SETTLE, interval=0,
             what="new connection dropped after revoke")
    # ... while the tracked one goes on.
    assert _session_exchanges(s, 10, "later") == ["ok"] * 10
    s.stop()


@pytest.mark.parametrize("ingress_ports", [pytest.param((9001, 9001), id="port-9001"),
                                           pytest.param((0, 65535), id="all-tcp-ports")])
def test_untracked_connection_is_cut_when_rule_removed(lab, net, ingress_ports):
    """CT-3, CT-4, CT-6, A16: B admits tcp 9001 (or every TCP port) from 0.0.0.0/0 and its egress
    allows everything to 0.0.0.0/0: the flow is untracked. Revoking the ingress rule cuts the open
    connection at once (the next exchanges time out). A16's own example is the single port (HTTP 80)."""
    ec2 = lab.ec2
    a, b_ip = net["a_id"], net["b_ip"]
    low, high = ingress_ports
    rule = {"IpProtocol": "tcp", "FromPort": low, "ToPort": high, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
    sg = fresh_group(lab, net, f"t-untracked-{low}", ingress=[rule])  # default egress: all to 0.0.0.0/0
    wait_for(lambda: lab.tcp(a, b_ip, 9001, timeout=0.5), timeout=SETTLE, interval=0, what="tcp 9001 allowed")
    s = lab.session(a, b_ip, 9001, timeout=1.0)
    assert s.connected, s.lines
    assert _session_exchanges(s, 5, "before") == ["ok"] * 5

    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
    t0 = time.monotonic()
    try:
        # Exchanges may go on only until the revoke reaches the data plane (bench/convergence_bench.py measures
        # how long that takes; the test waits up to SETTLE).
        n = 0
        while s.exchange(f"after{n}") == "ok":
            n += 1
            assert time.monotonic() - t0 < SETTLE, f"the connection still carries data {SETTLE} s after the revoke"
            time.sleep(0.05)
        assert _session_exchanges(s, 2, "later", interval=0) == ["timeout"] * 2
        assert not lab.tcp(a, b_ip, 9001, timeout=1)
    finally:
        s.stop()


def test_untracked_needs_all_ports_in_the_opposite_direction(lab, net):
    """CT-3: tcp 9001 from 0.0.0.0/0, but B's egress allows all traffic only to 10.0.0.0/16 (not to
    0.0.0.0/0): the flow IS tracked, so revoking the ingress rule keeps the open connection."""
    ec2 = lab.ec2
    a, b_ip = net["a_id"], net["b_ip"]
    rule = tcp_rule(9001, cidr="0.0.0.0/0")
    egress = [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]
    sg = fresh_group(lab, net, "t-tracked2", ingress=[rule], egress=egress)
    wait_for(lambda: lab.tcp(a, b_ip, 9001, timeout=0.5), timeout=SETTLE, interval=0, what="tcp 9001 allowed")
    s = lab.session(a, b_ip, 9001, timeout=1.0)
    assert s.connected, s.lines
    assert _session_exchanges(s, 3, "before") == ["ok"] * 3
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
    wait_for(lambda: not lab.tcp(a, b_ip, 9001, timeout=0.5), timeout=SETTLE, interval=0,
             what="new connection dropped after revoke")
    assert _session_exchanges(s, 5, "after") == ["ok"] * 5
    s.stop()


@pytest.mark.parametrize("case", ["tracked", "untracked"])
def test_udp_flow_after_rule_removal(lab, net, case):
    """CT-3, CT-5, CT-6: one UDP 5-tuple A -> B:8081 echoing every ~100 ms. Admitted from A's /32 it is
    tracked and goes on after the revoke (the remote side keeps talking); admitted from 0.0.0.0/0 with
    egress all to 0.0.0.0/0 it is untracked and is cut at once."""
    ec2 = lab.ec2
    a, b_ip = net["a_id"], net["b_ip"]
    cidr = f"{net['a_ip']}/32" if case == "tracked" else "0.0.0.0/0"
    rule = {"IpProtocol": "udp", "FromPort": 8081, "ToPort": 8081, "IpRanges": [{"CidrIp": cidr}]}
    sg = fresh_group(lab, net, f"t-udp-{case}", ingress=[rule])
    wait_for(lambda: lab.udp(a, b_ip, 8081, timeout=0.5), timeout=SETTLE, interval=0, what="udp allowed")
    s = lab.session(a, b_ip, 8081, timeout=1.0, udp=True)
    assert s.connected, s.lines
    assert _session_exchanges(s, 3, "before") == ["ok"] * 3
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[rule])
    t0 = time.monotonic()
    try:
        if case == "tracked":
            wait_for(lambda: not lab.udp(a, b_ip, 8081, timeout=0.5), timeout=SETTLE, interval=0,
                     what="a new UDP flow dropped after revoke")
            assert _session_exchanges(s, 5, "after") == ["ok"] * 5
        else:
            n = 0
            while s.exchange(f"after{n}") == "ok":
                n += 1
                assert time.monotonic() - t0 < SETTLE, f"the flow still carries data {SETTLE} s after the revoke"
                time.sleep(0.05)
            assert _session_exchanges(s, 2, "later", interval=0) == ["timeout"] * 2
    finally:
        s.stop()


def test_group_reference_follows_membership(lab, net):
    """SG-17, M10: a rule naming group 'client' admits the addresses of the interfaces that are members
    now: A connects while in 'client'; moved to another group it is refused; back in 'client' it connects."""
    a, b_ip = net["a_id"], net["b_ip"]
    fresh_group(lab, net, "t-ref", ingress=[tcp_rule(8080, group=net["client_sg"])])
    other = lab.group(net["vpc"], "not-client")
    try:
        wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="member admitted")
        lab.set_groups(net["a"], [other])
        wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
                 what="non-member refused")
    finally:
        lab.set_groups(net["a"], [net["client_sg"]])
    wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="member again")


def test_icmp_is_always_tracked(lab, net):
    """CT-4: ICMP from 0.0.0.0/0 with egress all would be 'untracked' for TCP/UDP, but ICMP is always
    tracked: a running ping keeps its replies after the rule is revoked, a new ping gets none."""
    ec2 = lab.ec2
    a, b_ip = net["a_id"], net["b_ip"]
    sg = fresh_group(lab, net, "t-icmp", ingress=[ICMP_FROM_ANYWHERE])
    wait_for(lambda: lab.ping(a, b_ip, wait=0.5), timeout=SETTLE, interval=0, what="ping allowed")
    ping = Background(lab.server, a, ["ping", "-n", "-c", "15", "-i", "0.2", "-W", "1", b_ip])
    lab.background.append(ping)
    assert ping.wait_line(lambda l: "icmp_seq=3 " in l, timeout=3), ping.lines
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[ICMP_FROM_ANYWHERE])
    ping.proc.wait(10)
    summary = ping.wait_line(lambda l: "packets transmitted" in l, timeout=1)
    assert summary and "15 received" in summary, ping.lines
    assert not lab.ping(a, b_ip, wait=1)


def test_udp_tracked_reply_allowed_and_group_change_applies(lab, net):
    """CT-1, SG-4, M16: UDP from A to B:8081 is admitted by a /16 rule and B's echo passes back; moving
    B to a group without that rule (ModifyNetworkInterfaceAttribute) stops new datagrams from arriving."""
    a, b_ip = net["a_id"], net["b_ip"]
    udp_rule = {"IpProtocol": "udp", "FromPort": 8081, "ToPort": 8081, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}
    fresh_group(lab, net, "t-udp", ingress=[udp_rule])
    wait_for(lambda: lab.udp(a, b_ip, 8081, timeout=0.5), timeout=SETTLE, interval=0, what="udp allowed")
    fresh_group(lab, net, "t-udp-none")
    wait_for(lambda: not lab.udp(a, b_ip, 8081, timeout=0.5), timeout=SETTLE, interval=0, what="udp dropped")
