"""Prefix lists enforced with real traffic (issue 14): a route to a customer-managed prefix list
carries traffic to its entries' addresses, a security group rule that references one admits
exactly its entries, and a new version of the list changes both at once (the VPC guide's
"Managed prefix lists"; G2 with GW-08, GW-12).

Layout: VPC 10.72.0.0/16 with an internet gateway; subnet 10.72.1.0/24 whose route table has
only `PL -> igw`, the list holding 203.0.113.0/24 (the simulated internet's hosts); instance A
with an Elastic IP, whose group's only egress rule references the list.
"""
import pytest

from dplib import GUEST_PYTHON, PROBE, Background

INTERNET_HOST = "203.0.113.10"


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    vpc = lab.vpc("10.72.0.0/16")
    subnet = lab.subnet(vpc, "10.72.1.0/24")
    igw = lab.internet_gateway(vpc)
    pl = ec2.create_managed_prefix_list(PrefixListName="internet-hosts", AddressFamily="IPv4", MaxEntries=4,
                                        Entries=[{"Cidr": "203.0.113.0/24", "Description": "the internet's hosts"}])[
        "PrefixList"]["PrefixListId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    ec2.create_route(RouteTableId=rtb, DestinationPrefixListId=pl, GatewayId=igw)
    sg = lab.group(vpc, "to-the-list")
    ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "PrefixListIds": [{"PrefixListId": pl}]}])
    a = lab.launch(subnet, SecurityGroupIds=[sg])
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=eip, InstanceId=a["InstanceId"])
    internet = Background(lab.server, "internet", [GUEST_PYTHON, PROBE, "serve", "tcp", "80"], ready="ready")
    lab.background.append(internet)
    return dict(pl=pl, a=a["InstanceId"], rtb=rtb, igw=igw, sg=sg)


def version(lab, pl):
    return lab.ec2.describe_managed_prefix_lists(PrefixListIds=[pl])["PrefixLists"][0]["Version"]


def test_route_and_rule_follow_the_list(lab, net):
    """The route to the list and the rule that references it let A reach the internet host;
    with the entry gone (a new version) neither does, and restored, both do again."""
    ec2, pl = lab.ec2, net["pl"]
    assert lab.tcp(net["a"], INTERNET_HOST, 80, timeout=2)
    ec2.modify_managed_prefix_list(PrefixListId=pl, CurrentVersion=version(lab, pl),
                                   RemoveEntries=[{"Cidr": "203.0.113.0/24"}])
    try:
        assert not lab.tcp(net["a"], INTERNET_HOST, 80, timeout=1)
    finally:
        v = version(lab, pl)
        ec2.restore_managed_prefix_list_version(PrefixListId=pl, PreviousVersion=v - 1, CurrentVersion=v)
    assert lab.tcp(net["a"], INTERNET_HOST, 80, timeout=2)


def test_the_rule_admits_only_the_lists_port_and_entries(lab, net):
    """The rule is tcp 80 to the list: port 81 on the same host is not in it (the route alone
    does not let it out), while port 80 is (positive control on the same path)."""
    assert lab.tcp(net["a"], INTERNET_HOST, 80, timeout=2)
    assert not lab.tcp(net["a"], INTERNET_HOST, 81, timeout=1)


def test_a_more_specific_route_wins_over_the_list(lab, net):
    """GW-09: a route to the host's /32 (to an interface no instance runs: nothing goes on)
    beats the list's /24 route; without it the list's route carries the traffic again."""
    ec2 = lab.ec2
    vpc = ec2.describe_route_tables(RouteTableIds=[net["rtb"]])["RouteTables"][0]["VpcId"]
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"]
    spare = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.create_route(RouteTableId=net["rtb"], DestinationCidrBlock=INTERNET_HOST + "/32", NetworkInterfaceId=spare)
    try:
        assert not lab.tcp(net["a"], INTERNET_HOST, 80, timeout=1)
    finally:
        ec2.delete_route(RouteTableId=net["rtb"], DestinationCidrBlock=INTERNET_HOST + "/32")
        ec2.delete_network_interface(NetworkInterfaceId=spare)
    assert lab.tcp(net["a"], INTERNET_HOST, 80, timeout=2)
