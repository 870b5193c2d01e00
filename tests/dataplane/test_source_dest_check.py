"""Source/destination check on real packets: an interface may only send from its own addresses.

Rule ids: shared/spec/inventory-vpc-guide.md (F3, H6, L2) and
shared/spec/inventory-ec2-network-security.md (ENI-10, A35).
"""
import pytest

from dplib import SETTLE, wait_for

FOREIGN = "10.0.1.200"  # in A's subnet, held by no interface


@pytest.fixture(scope="module")
def net(lab):
    """A in 10.0.1.0/24 with FOREIGN added by hand to its eth0 (the model does not know it); B in
    10.0.2.0/24 admits UDP 7000 and ICMP from 10.0.0.0/16 and records every sender."""
    vpc = lab.vpc("10.0.0.0/16")
    sub_a = lab.subnet(vpc, "10.0.1.0/24")
    sub_b = lab.subnet(vpc, "10.0.2.0/24")
    sg = lab.group(vpc, "vpc-udp", ingress=[
        {"IpProtocol": "udp", "FromPort": 7000, "ToPort": 7000, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    a = lab.launch(sub_a, SecurityGroupIds=[sg])
    b = lab.launch(sub_b, SecurityGroupIds=[sg])
    rc, out, err = lab.sh(a["InstanceId"], f"ip addr add {FOREIGN}/32 dev eth0")
    assert rc == 0, err
    srv = lab.serve(b["InstanceId"], "udp", 7000)
    eni = a["NetworkInterfaces"][0]["NetworkInterfaceId"]
    return dict(a=a["InstanceId"], b=b["InstanceId"], a_ip=a["PrivateIpAddress"], b_ip=b["PrivateIpAddress"],
                eni=eni, srv=srv)


def sent_from(lab, net, source, tag, expect, timeout=1.5):
    """Send datagrams A -> B:7000 from `source` and say whether B's server recorded one from it."""
    mark = net["srv"].mark()
    for i in range(3):
        lab.udp(net["a"], net["b_ip"], 7000, bind=source, msg=f"{tag}-{i}", reply=False)
        line = net["srv"].wait_line(lambda l: l.startswith(f"recv {source} ") and tag in l,
                                    timeout if expect else 0.4, since=mark)
        if line:
            return True
    return False


def set_check(lab, net, value, via_instance=False):
    if via_instance:
        lab.ec2.modify_instance_attribute(InstanceId=net["a"], SourceDestCheck={"Value": value})
    else:
        lab.ec2.modify_network_interface_attribute(NetworkInterfaceId=net["eni"], SourceDestCheck={"Value": value})
    eni = lab.ec2.describe_network_interfaces(NetworkInterfaceIds=[net["eni"]])["NetworkInterfaces"][0]
    assert eni["SourceDestCheck"] is value


def test_own_address_passes(lab, net):
    """F3: the primary private IPv4 is the interface's own: B records A's datagram."""
    assert sent_from(lab, net, net["a_ip"], "own", expect=True)


def test_foreign_source_dropped_then_allowed_when_check_disabled(lab, net):
    """F3, ENI-10, A35, H6, L2: with the check on (the default) a datagram from FOREIGN (not an address of A's interface)
    never reaches B; after ModifyNetworkInterfaceAttribute SourceDestCheck=false it does (B records
    FOREIGN as the sender); after ModifyInstanceAttribute SourceDestCheck=true it is dropped again."""
    try:
        assert not sent_from(lab, net, FOREIGN, "checked", expect=False)
        set_check(lab, net, False)
        assert wait_for(lambda: sent_from(lab, net, FOREIGN, "unchecked", expect=True), timeout=SETTLE,
                        interval=0, what="datagram from FOREIGN arrives")
        set_check(lab, net, True, via_instance=True)
        wait_for(lambda: not sent_from(lab, net, FOREIGN, "rechecked", expect=False), timeout=SETTLE, interval=0,
                 what="datagram from FOREIGN dropped again")
    finally:
        set_check(lab, net, True)


def test_ping_from_foreign_source(lab, net):
    """F3, ENI-10: `ping -I FOREIGN` from A gets no reply while the check is on (its echo requests are dropped at
    A's interface; nothing comes back either way)."""
    assert not lab.ping(net["a"], net["b_ip"], wait=1, extra=["-I", FOREIGN])
    assert lab.ping(net["a"], net["b_ip"], wait=1)
