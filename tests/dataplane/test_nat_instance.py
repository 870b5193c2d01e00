"""A NAT instance on real traffic: a route to an instance hands it packets for other addresses, which it
forwards with its own kernel (guide §1.9, L1, L2; scenario S20's NAT instance variant).

Rule ids: shared/spec/inventory-vpc-guide.md — §1.9 (NAT instance: SrcDestCheck=false, an Elastic IP, route
0.0.0.0/0 -> instance-id in the private subnet's table, the NATSG group), L1 (PAT at the instance), L2 (the
source/destination check must be off), F3 (source/destination check), G2 (longest prefix), I1, I2 (internet
gateway), M2, M3 (security groups).

Layout (fixture net): VPC 10.0.0.0/16 with an attached internet gateway. Public subnet 10.0.0.0/24 (its own
route table: 0.0.0.0/0 -> igw) holds the NAT instance N (10.0.0.10, an Elastic IP, group 'natsg': all from
10.0.1.0/24); its kernel forwards and masquerades what leaves eth0 (nftables), as the guide's AMI does, with
ICMP redirects off. Private subnet 10.0.1.0/24 (main route table: 0.0.0.0/0 -> N) holds C (10.0.1.5, no
public address). The internet host 203.0.113.10 runs a TCP server that tells each client the address it saw.
"""

import pytest

from dplib import GUEST_PYTHON, PROBE, SETTLE, Background, trace, wait_for

INTERNET = "internet"
INTERNET_HOST = "203.0.113.10"
PORT = 80

NAT_SETUP = ("sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.send_redirects=0 net.ipv4.conf.eth0.send_redirects=0"
             " && nft add table ip nat"
             " && nft 'add chain ip nat post { type nat hook postrouting priority 100; }'"
             " && nft add rule ip nat post oifname eth0 ip saddr 10.0.1.0/24 masquerade")


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    vpc = lab.vpc("10.0.0.0/16")
    igw = lab.internet_gateway(vpc)
    public, private = lab.subnet(vpc, "10.0.0.0/24"), lab.subnet(vpc, "10.0.1.0/24")
    lab.route_table(vpc, public, {"0.0.0.0/0": igw})
    natsg = lab.group(vpc, "natsg", ingress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.1.0/24"}]}])
    client_sg = lab.group(vpc, "client")
    n = lab.launch(public, PrivateIpAddress="10.0.0.10", SecurityGroupIds=[natsg])
    c = lab.launch(private, PrivateIpAddress="10.0.1.5", SecurityGroupIds=[client_sg])
    alloc = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=n["InstanceId"])
    main = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                              {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", InstanceId=n["InstanceId"])
    rc, out, err = lab.sh(n["InstanceId"], NAT_SETUP)
    assert rc == 0, (out, err)
    web = Background(lab.server, INTERNET, [GUEST_PYTHON, PROBE, "serve", "tcp", str(PORT)], ready="ready")
    lab.background.append(web)
    return dict(n=n["InstanceId"], c=c["InstanceId"], eip=alloc["PublicIp"], web=web, natsg=natsg)


def set_check(lab, instance, on):
    lab.ec2.modify_instance_attribute(InstanceId=instance, SourceDestCheck={"Value": on})


def passes_through_n(lab, net):
    """The positive control of the drops below: with N's check off and NATSG's rule in place, C's
    connection to the internet host passes; N's check is on again afterwards."""
    set_check(lab, net["n"], False)
    try:
        wait_for(lambda: lab.tcp(net["c"], INTERNET_HOST, PORT), timeout=SETTLE, interval=0,
                 what="C reaches the internet host through N")
    finally:
        set_check(lab, net["n"], True)


def test_the_source_dest_check_must_be_off(lab, net):
    """L2, F3: with N's source/destination check on (the default), N does not take C's packets for the
    internet: C reaches nothing, and trace drops at stage 7 network-interface with
    ENI_SOURCE_DEST_CHECK_RESTRICTION."""
    set_check(lab, net["n"], True)
    assert not lab.tcp(net["c"], INTERNET_HOST, PORT)
    t = trace(lab, net["c"], f"{INTERNET_HOST}:{PORT}")
    last = t["stages"][-1]
    assert (last["stage"], last["name"], last["explanation_code"]) == (
        7, "network-interface", "ENI_SOURCE_DEST_CHECK_RESTRICTION"), t
    passes_through_n(lab, net)


def test_the_nat_instance_takes_the_private_subnet_out(lab, net):
    """§1.9, L1, L2, I2: with the check off, C's connection to the internet host goes to N (trace: allowed,
    delivered to N's interface, its groups and subnet ACL), N masquerades it, and the internet host sees
    N's Elastic IP."""
    set_check(lab, net["n"], False)
    try:
        mark = net["web"].mark()
        wait_for(lambda: lab.tcp(net["c"], INTERNET_HOST, PORT), timeout=SETTLE, interval=0,
                 what="C reaches the internet host through N")
        line = net["web"].wait_line(lambda l: l.startswith("conn "), timeout=5, since=mark)
        assert line.split()[1] == net["eip"], line
        t = trace(lab, net["c"], f"{INTERNET_HOST}:{PORT}")
        assert t["verdict"] == "ALLOW", t
        assert t["destination"]["network_interface"] == lab.eni_of({"InstanceId": net["n"]}), t
        assert [s["name"] for s in t["stages"]][-3:] == ["network-interface", "network-acl-inbound",
                                                        "security-groups-ingress"], t
    finally:
        set_check(lab, net["n"], True)


def test_natsg_decides_what_the_instance_is_handed(lab, net):
    """M2, §1.9 (NATSG): without its rule for the private subnet, N's group refuses C's packets: C reaches
    nothing, and trace drops at N's security-groups-ingress."""
    set_check(lab, net["n"], False)
    rule = {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.1.0/24"}]}
    lab.ec2.revoke_security_group_ingress(GroupId=net["natsg"], IpPermissions=[rule])
    try:
        assert not lab.tcp(net["c"], INTERNET_HOST, PORT)
        t = trace(lab, net["c"], f"{INTERNET_HOST}:{PORT}")
        last = t["stages"][-1]
        assert (last["name"], last["component"]) == ("security-groups-ingress", net["natsg"]), t
    finally:
        lab.ec2.authorize_security_group_ingress(GroupId=net["natsg"], IpPermissions=[rule])
        set_check(lab, net["n"], True)
    passes_through_n(lab, net)
