"""Fragmented IPv4 datagrams on real traffic: the engine decides a datagram by its first fragment and
the later fragments (which carry no ports) follow it, with the same address translation; a NAT
gateway forwards fragmented UDP but not fragmented ICMP. Toward the internet the path is 1,500 bytes: a
larger packet is fragmented, or, with Don't Fragment, answered with ICMP "fragmentation needed".

Rule ids: shared/spec/inventory-vpc-guide.md — §2 K10 (a NAT gateway "forwards fragmented UDP; drops
fragmented TCP and ICMP (e.g. `ping -s 10000` fails)"), K6, K12, K15 (NAT gateway), I1, I2 (internet
gateway), M2, M3 (security groups), N1, N2, N9 (network ACLs); shared/spec/inventory-ec2-network-security.md
— MTU-3 (internet paths are limited to 1500: larger packets are fragmented), A38 (MTU 9001 inside the
VPC). Fragmented TCP is not tested here: Linux sends TCP with DF set, segmented to the MSS, so no
fragment is ever made; the unit tests cover it.

Layout (fixture net): VPC 10.0.0.0/16 with an attached internet gateway. Public subnet 10.0.0.0/24 (its own
route table: 0.0.0.0/0 -> igw) holds the NAT gateway (Elastic IP NAT_EIP) and W (10.0.0.5, an Elastic IP
of its own); private subnet 10.0.1.0/24 (main route table: 0.0.0.0/0 -> nat) holds P (10.0.1.5). W and
P are in group 'big': udp 9000 and ICMP from 0.0.0.0/0 (udp 9001 is not admitted). W runs BIG_ECHO on udp
9000 and 9001, P on udp 9000, and the internet host 203.0.113.10 (MTU 1500; instances have 9001) on udp
9000: it echoes every datagram, whatever its size. A 12,000-byte datagram is fragmented by its sender:
in two inside the VPC, in nine by the internet host. FRAGMENTS, run where a test needs it, reports
every IPv4 fragment that arrives on eth0, so that a test sees fragments really crossed (or none did).
"""

import pytest

from dplib import GUEST_PYTHON, SETTLE, Background, acl_entry, associate_acl, default_acl, wait_for

INTERNET = "internet"  # `openvpc exec internet -- CMD` runs CMD in the simulated internet
INTERNET_HOST = "203.0.113.10"
BIG = 12000  # bytes of UDP payload: more than one frame at MTU 9001, nine at MTU 1500
OPEN_PORT, CLOSED_PORT = 9000, 9001  # udp ports: admitted by group 'big', and not

# --------------------------------------------------------------------------------------------------
# Programs run with `python3 -c` inside namespaces (standard library only).

# BIG_ECHO PORT...: a UDP socket on each port; prints "ready" once all are bound, then "recv IP PORT
# LPORT LEN" per datagram (the sender as seen here, the local port, the datagram's length) and echoes it.
BIG_ECHO = r'''
import socket, sys, threading
def say(*w): print(*w, flush=True)
def loop(s, lport):
    while True:
        data, peer = s.recvfrom(65536)
        say("recv", peer[0], peer[1], lport, len(data))
        s.sendto(data, peer)
for port in sys.argv[1:]:
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    threading.Thread(target=loop, args=(s, int(port)), daemon=True).start()
say("ready")
threading.Event().wait()
'''

# BIG_SEND HOST PORT SIZE [TIMEOUT]: one SIZE-byte UDP datagram (the sender's kernel fragments it) to
# HOST:PORT, then waits TIMEOUT s (default 2) for the echo: prints "echo LEN" and exits 0 when the same
# bytes come back, "echo LEN corrupt" (exit 1) when others do, "timeout" (exit 1) when nothing does.
BIG_SEND = r'''
import socket, sys
host, port, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 2.0
payload = bytes(i * 7 % 251 for i in range(size))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(timeout)
s.sendto(payload, (host, port))
try:
    data = s.recv(65536)
except socket.timeout:
    print("timeout", flush=True); sys.exit(1)
print("echo", len(data), *([] if data == payload else ["corrupt"]), flush=True)
sys.exit(0 if data == payload else 1)
'''

# FRAGMENTS: prints "ready", then "frag SRC PROTO ID OFFSET MF LEN" for every IPv4 fragment (MF set or
# offset > 0) that arrives on eth0 (none that leaves): OFFSET in bytes, LEN the fragment's total length.
FRAGMENTS = r'''
import socket, struct
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind(("eth0", 0x0800))
print("ready", flush=True)
while True:
    data, addr = s.recvfrom(65536)
    if addr[2] == socket.PACKET_OUTGOING:
        continue
    ip = data[14:]
    total, ident, frag = struct.unpack("!HHH", ip[2:8])
    offset, more = (frag & 0x1fff) * 8, frag >> 13 & 1
    if more or offset:
        print("frag", socket.inet_ntoa(ip[12:16]), ip[9], ident, offset, more, total, flush=True)
'''


# --------------------------------------------------------------------------------------------------
# Helpers.


def perm(proto, port=None, cidr="0.0.0.0/0"):
    p = {"IpProtocol": proto, "IpRanges": [{"CidrIp": cidr}]}
    if proto == "udp":
        p.update(FromPort=port, ToPort=port)
    else:
        p.update(FromPort=-1, ToPort=-1)
    return p


def send_big(lab, src, host, port, size=BIG, timeout=2.0):
    """BIG_SEND in src: the length of the intact echo, or None."""
    rc, out, _ = lab.sh(src, [GUEST_PYTHON, "-c", BIG_SEND, host, str(port), str(size), str(timeout)],
                        timeout=timeout + 10)
    words = out.split()
    return int(words[1]) if rc == 0 and words[:1] == ["echo"] else None


def big_ping(lab, src, ip, size, wait=2.0):
    """One echo request of SIZE bytes of data (fragmented at the sender beyond its MTU), answered?"""
    return lab.ping(src, ip, wait=wait, extra=["-s", str(size)])


def recvs(bg, since, ip=None):
    """BIG_ECHO's "recv IP PORT LPORT LEN" lines after mark since (from ip only, when given), as word lists."""
    return [w for w in (line.split() for line in bg.lines[since:]) if w[:1] == ["recv"] and ip in (None, w[1])]


def fragments(bg, since, src, proto):
    """FRAGMENTS' lines after mark since from src with IP protocol proto: [(id, offset, more, length)]."""
    return [(int(w[3]), int(w[4]), int(w[5]), int(w[6])) for w in (line.split() for line in bg.lines[since:])
            if w[:1] == ["frag"] and w[1] == src and int(w[2]) == proto]


def whole_datagrams(frags):
    """The ids of datagrams of which both the first fragment (offset 0, MF) and the last (MF clear) came."""
    firsts = {i for i, off, more, _ in frags if off == 0 and more}
    lasts = {i for i, off, more, _ in frags if off > 0 and not more}
    return firsts & lasts


def arrived(bg, since, src, proto, timeout=2.0):
    """The ids of whole datagrams from src with IP protocol proto that FRAGMENTS reports after mark since,
    waiting for the first of them (its lines come a moment after the packets); fails when none comes."""
    return wait_for(lambda: whole_datagrams(fragments(bg, since, src, proto)), timeout=timeout,
                    what=f"fragments of a datagram from {src} (protocol {proto}) reported")


def sniff(lab, where):
    bg = Background(lab.server, where, [GUEST_PYTHON, "-c", FRAGMENTS], ready="ready")
    lab.background.append(bg)
    return bg


# --------------------------------------------------------------------------------------------------
# Fixtures.


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    vpc = lab.vpc("10.0.0.0/16")
    igw = lab.internet_gateway(vpc)
    public, private = lab.subnet(vpc, "10.0.0.0/24"), lab.subnet(vpc, "10.0.1.0/24")
    lab.route_table(vpc, public, {"0.0.0.0/0": igw})
    big = lab.group(vpc, "big", ingress=[perm("udp", OPEN_PORT), perm("icmp")])
    launched = {
        "w": lab.launch(public, PrivateIpAddress="10.0.0.5", SecurityGroupIds=[big], wait=False),
        "p": lab.launch(private, PrivateIpAddress="10.0.1.5", SecurityGroupIds=[big], wait=False),
    }
    nat_alloc = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=nat_alloc["AllocationId"])["NatGateway"]["NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat], WaiterConfig={"Delay": 1, "MaxAttempts": 20})
    main_rtb = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=main_rtb["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    for inst in launched.values():
        lab.wait_address(inst["InstanceId"], inst["PrivateIpAddress"])
    ids = {k: v["InstanceId"] for k, v in launched.items()}
    ips = {k: v["PrivateIpAddress"] for k, v in launched.items()}
    w_alloc = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=w_alloc["AllocationId"], InstanceId=ids["w"])

    def echo(where, *ports):
        bg = Background(lab.server, where, [GUEST_PYTHON, "-c", BIG_ECHO, *map(str, ports)], ready="ready")
        lab.background.append(bg)
        return bg

    servers = {"w": echo(ids["w"], OPEN_PORT, CLOSED_PORT), "p": echo(ids["p"], OPEN_PORT),
               "internet": echo(INTERNET, OPEN_PORT)}
    return dict(vpc=vpc, igw=igw, public=public, private=private, big=big, inst=launched, id=ids, ip=ips, nat=nat,
                nat_eip=nat_alloc["PublicIp"], w_eip=w_alloc["PublicIp"], srv=servers,
                default_acl=default_acl(lab, vpc))


# --------------------------------------------------------------------------------------------------
# Tests.


def test_big_datagrams_between_subnets(lab, net):
    """A38, M2: inside the VPC (MTU 9001), P and W in different subnets exchange datagrams larger than a
    frame, which their kernels fragment: `ping -s 10000` and `ping -s 20000` are answered both ways, and
    a 12,000-byte UDP datagram from P reaches W's server whole (from P's address, 12,000 bytes) and its
    echo comes back intact; likewise from W to P. W's eth0 really received P's datagram in fragments."""
    p, w, srv = net["id"]["p"], net["id"]["w"], net["srv"]
    frag = sniff(lab, w)
    try:
        for src, dst in ((p, net["ip"]["w"]), (w, net["ip"]["p"])):
            for size in (10000, 20000):
                assert big_ping(lab, src, dst, size), (src, dst, size)

        mark, fmark = srv["w"].mark(), frag.mark()
        assert send_big(lab, p, net["ip"]["w"], OPEN_PORT) == BIG
        assert [w_[4] for w_ in recvs(srv["w"], mark, net["ip"]["p"])] == [str(BIG)], srv["w"].lines[mark:]
        assert arrived(frag, fmark, net["ip"]["p"], 17)

        mark = srv["p"].mark()
        assert send_big(lab, w, net["ip"]["p"], OPEN_PORT) == BIG
        assert [w_[4] for w_ in recvs(srv["p"], mark, net["ip"]["w"])] == [str(BIG)], srv["p"].lines[mark:]
    finally:
        frag.stop()


def test_big_datagrams_through_the_internet_gateway(lab, net):
    """I1, I2, MTU-3, M2: W (Elastic IP) and the internet host (MTU 1500) exchange fragmented datagrams
    through the internet gateway, each fragment translated like the first: W's `ping -s 10000` and
    `ping -s 20000` of 203.0.113.10 are answered (the answers come in fragments of 1500), and so are the
    internet's pings of W's Elastic IP; W's 12,000-byte UDP datagram reaches the internet host whole, from
    the Elastic IP, and its echo (fragmented by the internet host) comes back intact; the internet host's
    12,000-byte datagram to the Elastic IP reaches W's server from 203.0.113.10 and is echoed."""
    w, eip, srv = net["id"]["w"], net["w_eip"], net["srv"]
    frag = sniff(lab, INTERNET)
    try:
        for size in (10000, 20000):
            assert big_ping(lab, w, INTERNET_HOST, size), size
            assert big_ping(lab, INTERNET, eip, size), size

        mark, fmark = srv["internet"].mark(), frag.mark()
        assert send_big(lab, w, INTERNET_HOST, OPEN_PORT) == BIG
        assert [x[1::3] for x in recvs(srv["internet"], mark)] == [[eip, str(BIG)]], srv["internet"].lines[mark:]
        assert arrived(frag, fmark, eip, 17)

        mark = srv["w"].mark()
        assert send_big(lab, INTERNET, eip, OPEN_PORT) == BIG
        assert [x[1::3] for x in recvs(srv["w"], mark)] == [[INTERNET_HOST, str(BIG)]], srv["w"].lines[mark:]
    finally:
        frag.stop()


def test_nat_gateway_forwards_fragmented_udp(lab, net):
    """K10, K6, K12, K15: P (no public address, behind the NAT gateway) sends a 12,000-byte UDP datagram to
    203.0.113.10: it arrives whole, from the gateway's Elastic IP (every fragment carries it), and the
    12,000-byte answer, which the internet host sends in nine fragments to the Elastic IP, is taken back
    to P intact."""
    p, eip, srv = net["id"]["p"], net["nat_eip"], net["srv"]["internet"]
    frag = sniff(lab, INTERNET)
    try:
        wait_for(lambda: send_big(lab, p, INTERNET_HOST, OPEN_PORT, size=100, timeout=0.5), timeout=SETTLE,
                 interval=0, what="P reaches the internet through the NAT gateway")
        mark, fmark = srv.mark(), frag.mark()
        assert send_big(lab, p, INTERNET_HOST, OPEN_PORT) == BIG
        assert [x[1::3] for x in recvs(srv, mark)] == [[eip, str(BIG)]], srv.lines[mark:]
        assert arrived(frag, fmark, eip, 17)
        assert fragments(frag, fmark, net["ip"]["p"], 17) == [], frag.lines[fmark:]
    finally:
        frag.stop()


def test_nat_gateway_drops_fragmented_icmp(lab, net):
    """K10 ("drops fragmented TCP and ICMP (e.g. `ping -s 10000` fails)"), K12: P's `ping -s 1000` of
    203.0.113.10 through the NAT gateway is answered, its `ping -s 10000` and `ping -s 20000` are not, and
    no fragment of them, first or later, reaches the internet; W's `ping -s 10000` through the internet
    gateway alone still is answered."""
    p, frag = net["id"]["p"], sniff(lab, INTERNET)
    try:
        assert big_ping(lab, p, INTERNET_HOST, 1000)
        mark = frag.mark()
        assert not big_ping(lab, p, INTERNET_HOST, 10000)
        assert not big_ping(lab, p, INTERNET_HOST, 20000, wait=1)
        assert big_ping(lab, net["id"]["w"], INTERNET_HOST, 10000)  # after P's fragments had all the time to come
        assert arrived(frag, mark, net["w_eip"], 1)  # reported after any of P's would be
        assert fragments(frag, mark, net["nat_eip"], 1) == [], frag.lines[mark:]
        assert big_ping(lab, p, INTERNET_HOST, 1000)
    finally:
        frag.stop()


def test_security_group_drops_every_fragment(lab, net):
    """M2, M3: W's group admits udp 9000 and not 9001, and a datagram's fragments share its first one's
    fate: P's 12,000-byte datagram to W:9001 gets no echo, W's server on 9001 sees nothing, and not one of
    its fragments arrives on W's eth0 (the later ones, without ports, are dropped with the first), while
    the same datagram to W:9000 arrives in fragments and is echoed. With W's group replaced by one that
    admits ICMP only, the 9000 datagram is dropped whole too; back in 'big' it passes again."""
    p, w, srv = net["id"]["p"], net["id"]["w"], net["srv"]["w"]
    p_ip = net["ip"]["p"]
    frag = sniff(lab, w)
    icmp_only = lab.group(net["vpc"], "icmp-only", ingress=[perm("icmp")])
    try:
        mark, fmark = srv.mark(), frag.mark()
        assert send_big(lab, p, net["ip"]["w"], CLOSED_PORT, timeout=1) is None
        assert send_big(lab, p, net["ip"]["w"], OPEN_PORT) == BIG  # after the 9001 fragments had all the time
        assert [x[3:] for x in recvs(srv, mark)] == [[str(OPEN_PORT), str(BIG)]], srv.lines[mark:]
        assert len(arrived(frag, fmark, p_ip, 17)) == 1, frag.lines[fmark:]
        assert len({f[0] for f in fragments(frag, fmark, p_ip, 17)}) == 1, frag.lines[fmark:]  # not the 9001 one

        lab.set_groups(net["inst"]["w"], [icmp_only])
        wait_for(lambda: send_big(lab, p, net["ip"]["w"], OPEN_PORT, size=100, timeout=0.3) is None,
                 timeout=SETTLE, interval=0, what="udp 9000 no longer admitted")
        mark, fmark = srv.mark(), frag.mark()
        assert send_big(lab, p, net["ip"]["w"], OPEN_PORT, timeout=1) is None
        assert big_ping(lab, p, net["ip"]["w"], 10000)
        assert arrived(frag, fmark, p_ip, 1)  # reported after any of the UDP datagram's would be
        assert recvs(srv, mark) == [] and fragments(frag, fmark, p_ip, 17) == [], (srv.lines, frag.lines[fmark:])
    finally:
        lab.set_groups(net["inst"]["w"], [net["big"]])
        frag.stop()
    lab.ec2.delete_security_group(GroupId=icmp_only)
    wait_for(lambda: send_big(lab, p, net["ip"]["w"], OPEN_PORT, timeout=0.5) == BIG, timeout=SETTLE, interval=0,
             what="the big datagram passes again")


def test_acl_port_entry_decides_every_fragment(lab, net):
    """N2, N9, N1: a custom ACL on W's subnet, ingress 100 deny udp 9000 from 10.0.1.0/24, 200 allow all,
    egress 100 allow all. An ACL entry with a port range matches only a datagram's first fragment (the
    others carry no ports), and the others follow it: P's 12,000-byte datagram to W:9000 is dropped whole
    (no fragment arrives on W's eth0, W's server sees nothing) while P's big ping passes the same ACL;
    with entry 100 a deny of udp 9001 instead, the datagram to 9000 arrives and is echoed: its later
    fragments, port-less, are not taken for the denied port."""
    ec2, p, w, srv = lab.ec2, net["id"]["p"], net["id"]["w"], net["srv"]["w"]
    p_ip, w_ip = net["ip"]["p"], net["ip"]["w"]
    acl = ec2.create_network_acl(VpcId=net["vpc"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "deny", cidr="10.0.1.0/24", protocol="17",
                                             ports=(OPEN_PORT, OPEN_PORT)))
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    frag = sniff(lab, w)
    associate_acl(lab, net["public"], acl)
    try:
        wait_for(lambda: send_big(lab, p, w_ip, OPEN_PORT, size=100, timeout=0.3) is None, timeout=SETTLE,
                 interval=0, what="udp 9000 denied by W's subnet ACL")
        mark, fmark = srv.mark(), frag.mark()
        assert send_big(lab, p, w_ip, OPEN_PORT, timeout=1) is None
        assert big_ping(lab, p, w_ip, 10000)
        assert arrived(frag, fmark, p_ip, 1)  # reported after any of the UDP datagram's would be
        assert recvs(srv, mark) == [] and fragments(frag, fmark, p_ip, 17) == [], (srv.lines, frag.lines[fmark:])

        ec2.replace_network_acl_entry(**acl_entry(acl, 100, "deny", cidr="10.0.1.0/24", protocol="17",
                                                  ports=(CLOSED_PORT, CLOSED_PORT)))
        wait_for(lambda: send_big(lab, p, w_ip, OPEN_PORT, size=100, timeout=0.3) == 100, timeout=SETTLE,
                 interval=0, what="udp 9000 allowed by entry 200")
        mark, fmark = srv.mark(), frag.mark()
        assert send_big(lab, p, w_ip, OPEN_PORT) == BIG
        assert [x[1::3] for x in recvs(srv, mark)] == [[p_ip, str(BIG)]], srv.lines[mark:]
        assert arrived(frag, fmark, p_ip, 17)
    finally:
        associate_acl(lab, net["public"], net["default_acl"])
        frag.stop()
    ec2.delete_network_acl(NetworkAclId=acl)


def test_the_internet_path_is_1500_bytes(lab, net):
    """MTU-3, MTU-4, MTU-6, A38: toward the internet the path is 1,500 bytes (W's own MTU is 9001). W's
    echo request of 3,000 bytes without Don't Fragment (`ping -M dont`) is fragmented on the way: the
    internet host receives it in fragments of at most 1,500 bytes, all from W's Elastic IP, and answers.
    With Don't Fragment (`ping -M do`) it is dropped, and the first hop, W's subnet router 10.0.0.1,
    answers "fragmentation needed" with the path's MTU, 1500, which W's ping reports — but only while W's
    group admits ICMP (A38: with a group of udp 9000 alone, nothing comes back)."""
    w, eip = net["id"]["w"], net["w_eip"]
    quiet = lab.group(net["vpc"], "udp-only", ingress=[perm("udp", OPEN_PORT)])
    frag = sniff(lab, INTERNET)

    def df_ping():
        """`ping -M do -s 3000` from W: its output when the ping failed, else None."""
        rc, out, _ = lab.sh(w, ["ping", "-n", "-c", "1", "-W", "1", "-s", "3000", "-M", "do", INTERNET_HOST])
        return out if rc != 0 else None

    try:
        fmark = frag.mark()
        assert lab.ping(w, INTERNET_HOST, wait=2, extra=["-s", "3000", "-M", "dont"])
        arrived(frag, fmark, eip, 1)
        lengths = [length for _, _, _, length in fragments(frag, fmark, eip, 1)]
        assert len(lengths) >= 3 and max(lengths) <= 1500, frag.lines[fmark:]

        lab.set_groups(net["inst"]["w"], [quiet])
        lab.sh(w, ["ip", "route", "flush", "cache"])
        fmark = frag.mark()
        out = wait_for(df_ping, timeout=SETTLE, interval=0, what="the DF ping dropped")
        assert "mtu" not in out.lower(), out  # the group does not admit the ICMP
        lab.set_groups(net["inst"]["w"], [net["big"]])
        got = wait_for(lambda: (lambda out: out if out and "mtu = 1500" in out else None)(df_ping()),
                       timeout=SETTLE, interval=0, what="fragmentation needed from the first hop")
        assert "From 10.0.0.1 " in got and "Frag needed" in got, got
        assert not fragments(frag, fmark, eip, 1), frag.lines[fmark:]  # nothing crossed
    finally:
        lab.set_groups(net["inst"]["w"], [net["big"]])
        lab.sh(w, ["ip", "route", "flush", "cache"])
        frag.stop()
