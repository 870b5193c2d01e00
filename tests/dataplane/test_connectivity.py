"""Instances talk inside a VPC and nowhere else: real ping, TCP and UDP between namespaces.

Rule ids: shared/spec/inventory-vpc-guide.md (G*, M*, Q5, R1) and
shared/spec/inventory-ec2-network-security.md (SG-*).
"""
import ipaddress
import re

import pytest

from dplib import GUEST_PYTHON

ALL_FROM_ANYWHERE = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}


@pytest.fixture(scope="module")
def net(lab):
    """VPC 10.0.0.0/16: A in 10.0.1.0/24 (default group), B in 10.0.2.0/24 open to everyone."""
    vpc = lab.vpc("10.0.0.0/16")
    sub_a = lab.subnet(vpc, "10.0.1.0/24")
    sub_b = lab.subnet(vpc, "10.0.2.0/24")
    open_sg = lab.group(vpc, "open", ingress=[ALL_FROM_ANYWHERE])
    a = lab.launch(sub_a)
    b = lab.launch(sub_b, SecurityGroupIds=[open_sg])
    tcp = lab.serve(b["InstanceId"], "tcp", 7000)
    udp = lab.serve(b["InstanceId"], "udp", 7001)
    return dict(vpc=vpc, a=a, b=b, open_sg=open_sg, tcp=tcp, udp=udp)


def test_instance_gets_its_interface_by_dhcp(lab, net):
    """Q5: eth0 has the ENI's MAC, MTU 9001, the primary private IPv4 by DHCP, the subnet router
    (base+1) as default gateway, and resolv.conf names the VPC resolver (base+2) with search ec2.internal."""
    a = net["a"]
    iid = a["InstanceId"]
    eni = a["NetworkInterfaces"][0]
    rc, out, _ = lab.sh(iid, "ip -o link show dev eth0")
    assert rc == 0
    assert eni["MacAddress"].lower() in out.lower()
    assert re.search(r"\bmtu 9001\b", out), out
    assert lab.addresses(iid) == [a["PrivateIpAddress"]]
    rc, out, _ = lab.sh(iid, "ip -4 -o addr show dev eth0")
    assert f"{a['PrivateIpAddress']}/24" in out
    rc, out, _ = lab.sh(iid, "ip -4 route show default")
    assert re.search(r"default via 10\.0\.1\.1 dev eth0", out), out
    rc, out, _ = lab.sh(iid, "cat /etc/resolv.conf")
    assert "nameserver 10.0.0.2" in out.split("\n"), out
    assert "search ec2.internal" in out, out


def test_ping_across_subnets(lab, net):
    """G1 (local route), M5 (B's group admits ICMP): ping between instances of two subnets, both ways."""
    a, b = net["a"], net["b"]
    assert lab.ping(a["InstanceId"], b["PrivateIpAddress"], count=3, wait=1, extra=["-i", "0.2"])
    # B -> A: A's default group admits only its own members (M5), and B is not one.
    assert not lab.ping(b["InstanceId"], a["PrivateIpAddress"], wait=1)


def test_tcp_connect_and_echo_across_subnets(lab, net):
    """G1, M3: a TCP connection A -> B:7000 is made and its data echoed back (responses pass statefully)."""
    assert lab.tcp(net["a"]["InstanceId"], net["b"]["PrivateIpAddress"], 7000, timeout=2, msg="over-tcp")


def test_tcp_large_transfer(lab, net):
    """G1: a 2 MB stream crosses the engine intact (segments up to the 9001-byte MTU)."""
    b_ip = net["b"]["PrivateIpAddress"]
    script = (
        "import socket,hashlib\n"
        f"s=socket.create_connection(('{b_ip}',7000),timeout=10)\n"
        "data=bytes(range(256))*8192\n"
        "import threading\n"
        "got=bytearray()\n"
        "def rd():\n"
        "    while len(got)<len(data):\n"
        "        c=s.recv(1<<16)\n"
        "        if not c: break\n"
        "        got.extend(c)\n"
        "t=threading.Thread(target=rd);t.start();s.sendall(data);t.join(20)\n"
        "print(len(got), got==data)\n"
    )
    rc, out, err = lab.sh(net["a"]["InstanceId"], [GUEST_PYTHON, "-c", script], timeout=30)
    assert rc == 0, err
    assert out.split() == [str(256 * 8192), "True"], (out, err)


def test_udp_datagram_and_reply_across_subnets(lab, net):
    """G1, M3: a UDP datagram A -> B:7001 arrives (B records A as sender) and B's reply comes back."""
    a, b = net["a"], net["b"]
    srv = net["udp"]
    assert lab.udp(a["InstanceId"], b["PrivateIpAddress"], 7001, timeout=2, msg="over-udp")
    assert srv.wait_line(lambda l: l.startswith(f"recv {a['PrivateIpAddress']} ") and l.endswith("over-udp"), 2)


def test_fragmented_ping_and_udp(lab, net):
    """G1: IPv4 fragments between instances pass (larger than the 9001-byte MTU): a 20000-byte ping and
    a 20000-byte UDP datagram with its echo."""
    a, b_ip = net["a"]["InstanceId"], net["b"]["PrivateIpAddress"]
    assert lab.ping(a, b_ip, count=2, wait=1, extra=["-i", "0.2", "-s", "20000"])
    rc, out, _ = lab.probe(a, "udp", b_ip, "7001", "--reply", "--msg", "f" * 20000, timeout=2)
    assert rc == 0, out[:200]


def test_closed_port_is_refused(lab, net):
    """M3: B's group admits everything, so a SYN to a port nobody listens on gets B's RST (refused at
    once, not a timeout): the packet reached B's kernel."""
    rc, out, _ = lab.probe(net["a"]["InstanceId"], "tcp", net["b"]["PrivateIpAddress"], "7999", timeout=3)
    assert rc == 1
    assert "ConnectionRefusedError" in out, out


def _other_network(lab, cidr, subnet_cidr, client):
    vpc = lab.vpc(cidr, client=client)
    sub = lab.subnet(vpc, subnet_cidr, client=client)
    sg = lab.group(vpc, "open", ingress=[ALL_FROM_ANYWHERE], client=client)
    inst = lab.launch(sub, client=client, SecurityGroupIds=[sg])
    return vpc, inst


@pytest.mark.parametrize("case", ["same-account-same-cidr", "same-account-other-cidr", "other-account-same-cidr"])
def test_other_vpc_is_unreachable(lab, net, case):
    """G1, G2, G16: VPCs are isolated; without peering and routes there is no path between them, even
    with groups that admit everything and overlapping CIDRs (same account or another account)."""
    client = lab.ec2_other if case.startswith("other-account") else lab.ec2
    cidr = "10.1.0.0/16" if case == "same-account-other-cidr" else "10.0.0.0/16"
    subnet_cidr = "10.1.3.0/24" if case == "same-account-other-cidr" else "10.0.3.0/24"
    vpc, c = _other_network(lab, cidr, subnet_cidr, client)
    cid, c_ip = c["InstanceId"], c["PrivateIpAddress"]
    b = net["b"]
    # Controls: C's own data path works (its resolver answers, R1/R13); B answers ping and tcp 7000
    # (from A, in its own VPC) and B's own data path out works (its resolver answers).
    resolver = str(ipaddress.ip_network(cidr).network_address + 2)
    for who, ip in ((cid, resolver), (b["InstanceId"], "10.0.0.2")):
        rc, out, _ = lab.sh(who, f"dig +time=1 +tries=2 @{ip} nothing.example.invalid")
        assert rc == 0 and "status:" in out, out
    assert lab.ping(net["a"]["InstanceId"], b["PrivateIpAddress"], wait=1)
    assert lab.tcp(net["a"]["InstanceId"], b["PrivateIpAddress"], 7000, timeout=1)
    assert not lab.ping(cid, b["PrivateIpAddress"], wait=1)
    assert not lab.tcp(cid, b["PrivateIpAddress"], 7000, timeout=1)
    assert not lab.ping(b["InstanceId"], c_ip, wait=1)
    # Nothing from C ever reached B's servers.
    assert not any(c_ip in line for bg in lab.background for line in bg.lines)


def test_exec_propagates_exit_status(sh, net):
    """openvpc exec exits with the command's status; stdout and stderr pass through; the command sees
    the instance's resolv.conf."""
    iid = net["a"]["InstanceId"]
    assert sh(iid, "exit 7")[0] == 7
    assert sh(iid, "exit 0")[0] == 0
    assert sh(iid, ["false"])[0] == 1
    rc, out, err = sh(iid, "echo out; echo err >&2; exit 3")
    assert (rc, out, err) == (3, "out\n", "err\n")
    rc, out, _ = sh(iid, ["cat", "/etc/resolv.conf"])
    assert rc == 0 and "nameserver 10.0.0.2" in out


def test_exec_unknown_instance_is_125(sh, net):
    """openvpc exec answers 125 for an instance that has no namespace under this data dir."""
    rc, _, err = sh("i-0123456789abcdef0", "true")
    assert rc == 125
    assert "not running" in err
