"""Network ACLs on real traffic: stateless, numbered, first match wins, crossed only between subnets.

Rule ids: shared/spec/inventory-vpc-guide.md (N*, O1) and shared/spec/inventory-ec2-network-security.md (CT-8).
"""
import time

import pytest

from dplib import SETTLE, acl_entry, associate_acl, default_acl, wait_for



@pytest.fixture(scope="module")
def net(lab):
    """A in 10.0.1.0/24; B and B2 in 10.0.2.0/24; one group 'all-vpc' admitting everything from
    10.0.0.0/16, so that only the ACLs decide. B runs a TCP echo server on 8080 and 8081."""
    vpc = lab.vpc("10.0.0.0/16")
    sub_a = lab.subnet(vpc, "10.0.1.0/24")
    sub_b = lab.subnet(vpc, "10.0.2.0/24")
    sg = lab.group(vpc, "all-vpc", ingress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    a = lab.launch(sub_a, SecurityGroupIds=[sg])
    b = lab.launch(sub_b, SecurityGroupIds=[sg])
    b2 = lab.launch(sub_b, SecurityGroupIds=[sg])
    srv = lab.serve(b["InstanceId"], "tcp", 8080)
    lab.serve(b["InstanceId"], "tcp", 8081)
    return dict(srv=srv, vpc=vpc, sub_a=sub_a, sub_b=sub_b, default_acl=default_acl(lab, vpc),
                a=a["InstanceId"], b=b["InstanceId"], b2=b2["InstanceId"], b_ip=b["PrivateIpAddress"],
                a_ip=a["PrivateIpAddress"], b2_ip=b2["PrivateIpAddress"])


@pytest.fixture
def custom_acl(lab, net):
    """A new custom ACL for B's subnet; the subnet goes back to the default ACL afterwards."""
    acl = lab.ec2.create_network_acl(VpcId=net["vpc"])["NetworkAcl"]["NetworkAclId"]
    yield acl
    associate_acl(lab, net["sub_b"], net["default_acl"])
    time.sleep(0.1)


def test_default_acl_allows_everything(lab, net):
    """N4: the default ACL allows all traffic both ways."""
    assert lab.tcp(net["a"], net["b_ip"], 8080, timeout=2)
    assert lab.ping(net["a"], net["b_ip"], wait=1)


def test_deny_rule_first_then_replace_with_allow(lab, net, custom_acl):
    """N2, N8, N9, CT-8: on B's subnet, ingress 100 deny tcp 8080 from 10.0.0.0/16 and 200 allow all
    (egress 100 allow all): A -> B:8080 is blocked although rule 200 would allow it (first match), other
    ports pass; replacing entry 100 with an allow opens 8080."""
    ec2, acl = lab.ec2, custom_acl
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "deny", cidr="10.0.0.0/16", protocol="6", ports=(8080, 8080)))
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    associate_acl(lab, net["sub_b"], acl)
    a, b_ip = net["a"], net["b_ip"]
    wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="8080 denied")
    assert lab.tcp(a, b_ip, 8081, timeout=2)
    assert lab.ping(a, b_ip, wait=1)
    assert not lab.tcp(a, b_ip, 8080, timeout=1)
    # Within the subnet the ACL is not crossed: B2 (also in 10.0.0.0/16) reaches B:8080.
    assert lab.tcp(net["b2"], b_ip, 8080, timeout=2)

    ec2.replace_network_acl_entry(**acl_entry(acl, 100, "allow", cidr="10.0.0.0/16", protocol="6", ports=(8080, 8080)))
    wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="8080 allowed")


def test_lower_number_wins_regardless_of_creation_order(lab, net, custom_acl):
    """N2: an allow-all created first as rule 200, a deny of 8080 created later as rule 50: the deny
    (lower number) decides."""
    ec2, acl = lab.ec2, custom_acl
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow"))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True))
    ec2.create_network_acl_entry(**acl_entry(acl, 50, "deny", cidr=f"{net['a_ip']}/32", protocol="6", ports=(8080, 8080)))
    associate_acl(lab, net["sub_b"], acl)
    a, b_ip = net["a"], net["b_ip"]
    wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="8080 denied")
    assert lab.tcp(a, b_ip, 8081, timeout=2)


def test_deny_all_custom_acl_cuts_other_subnets(lab, net, custom_acl):
    """N5, N6: a new custom ACL denies everything; associated with B's subnet it cuts A (another
    subnet) off, TCP and ICMP (both pass under the default ACL just before)."""
    a, b_ip = net["a"], net["b_ip"]
    assert lab.tcp(a, b_ip, 8080, timeout=2) and lab.ping(a, b_ip, wait=1) and lab.ping(net["b"], net["a_ip"], wait=1)
    associate_acl(lab, net["sub_b"], custom_acl)
    wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="A cut off")
    assert not lab.ping(a, b_ip, wait=1)
    assert not lab.ping(net["b"], net["a_ip"], wait=1)


def test_acl_is_not_crossed_within_a_subnet(lab, net, custom_acl):
    """O1, N6: an ACL sits at the subnet border: with a deny-all custom ACL on B's subnet, B2 in the
    same subnet still reaches B (TCP and ping), in either direction."""
    associate_acl(lab, net["sub_b"], custom_acl)
    b_ip = net["b_ip"]
    wait_for(lambda: not lab.tcp(net["a"], b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0,
             what="the ACL is in force")
    assert lab.tcp(net["b2"], b_ip, 8080, timeout=2)
    assert lab.ping(net["b2"], b_ip, wait=1)
    assert lab.ping(net["b"], net["b2_ip"], wait=1)


def test_stateless_return_traffic_needs_an_egress_rule(lab, net, custom_acl):
    """N1, N5: ingress allows everything but egress has no rule: A's SYN reaches B but B's SYN-ACK is
    dropped by the ACL (no connection tracking in ACLs); adding egress allow for the ephemeral ports
    (1024-65535) to 10.0.1.0/24 completes the connection."""
    ec2, acl = lab.ec2, custom_acl
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow"))
    associate_acl(lab, net["sub_b"], acl)
    a, b_ip = net["a"], net["b_ip"]
    srv = net["srv"]
    wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="no return path")
    mark = srv.mark()
    assert not lab.tcp(a, b_ip, 8080, timeout=1)
    assert srv.wait_line(lambda l: l.startswith("conn "), 0.2, since=mark) is None  # the handshake never completed
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow", egress=True, cidr="10.0.1.0/24", protocol="6",
                                         ports=(1024, 65535)))
    wait_for(lambda: lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="return path open")
    assert srv.wait_line(lambda l: l.startswith(f"conn {net['a_ip']} "), 1, since=mark)
    # ICMP replies have no egress rule: ping still fails.
    assert not lab.ping(a, b_ip, wait=1)


def test_egress_acl_of_the_source_subnet(lab, net, custom_acl):
    """N1, N9: the ACL of the sending subnet is crossed on the way out: a custom ACL on A's subnet
    denying egress tcp 8080 to B's subnet blocks A -> B:8080 while 8081 passes."""
    ec2, acl = lab.ec2, custom_acl
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "deny", egress=True, cidr="10.0.2.0/24", protocol="6",
                                         ports=(8080, 8080)))
    ec2.create_network_acl_entry(**acl_entry(acl, 200, "allow", egress=True))
    ec2.create_network_acl_entry(**acl_entry(acl, 100, "allow"))
    associate_acl(lab, net["sub_a"], acl)
    try:
        a, b_ip = net["a"], net["b_ip"]
        wait_for(lambda: not lab.tcp(a, b_ip, 8080, timeout=0.5), timeout=SETTLE, interval=0, what="8080 denied")
        assert lab.tcp(a, b_ip, 8081, timeout=2)
    finally:
        associate_acl(lab, net["sub_a"], net["default_acl"])
