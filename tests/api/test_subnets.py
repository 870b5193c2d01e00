"""CreateSubnet / DescribeSubnets / ModifySubnetAttribute / subnet IPv6 / DeleteSubnet / CreateDefaultSubnet.

Rule ids (A3, A4, A5, C2, D1, E1, E2, P6, §4.3) refer to shared/spec/inventory-vpc-guide.md.
"""
import ipaddress

import pytest

from helpers import (ACCOUNT_ID, US_EAST_1_AZS, assert_client_error, assert_error, create_subnet, create_vpc, default_vpc,
                     describe_subnet, fast_waiter, in_cidr, nth_subnet64, overlaps, tag_spec, tags,
                     vpc_ipv6_block, wait_until)


@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


@pytest.fixture
def vpc6(ec2):
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    return v, vpc_ipv6_block(ec2, v)


# ---------------------------------------------------------------- CIDR rules (A3, A4)

def test_create_subnet_basic(ec2, vpc):
    s = create_subnet(ec2, vpc, "10.0.1.0/24")
    assert s["SubnetId"].startswith("subnet-")
    assert s["VpcId"] == vpc
    assert s["CidrBlock"] == "10.0.1.0/24"
    assert s["OwnerId"] == ACCOUNT_ID
    assert s["AvailabilityZone"] in US_EAST_1_AZS   # §4.3: AZ chosen by AWS if omitted
    assert s["SubnetArn"] == f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:subnet/{s['SubnetId']}"


def test_subnet_equal_to_vpc_cidr(ec2, vpc):
    """A3: the subnet may equal the VPC block."""
    assert create_subnet(ec2, vpc, "10.0.0.0/16")["CidrBlock"] == "10.0.0.0/16"


@pytest.mark.parametrize("cidr", ["10.1.0.0/24", "192.168.0.0/24", "10.0.0.0/15"])
def test_subnet_outside_vpc(ec2, vpc, cidr):
    """A3: subnet not inside one of the VPC's CIDRs → InvalidSubnet.Range."""
    assert_error("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc, CidrBlock=cidr)


@pytest.mark.parametrize("cidr", ["10.0.0.0/29", "10.0.0.0/32"])
def test_subnet_too_small(ec2, vpc, cidr):
    """A3: subnet prefix /16 … /28."""
    assert_error("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc, CidrBlock=cidr)


def test_subnet_28_is_smallest(ec2, vpc):
    assert create_subnet(ec2, vpc, "10.0.0.16/28")["AvailableIpAddressCount"] == 11


@pytest.mark.parametrize("second", ["10.0.1.0/24", "10.0.1.128/25", "10.0.0.0/20", "10.0.1.16/28"])
def test_subnet_overlap(ec2, vpc, second):
    """A4: subnets of one VPC must not overlap → InvalidSubnet.Conflict."""
    create_subnet(ec2, vpc, "10.0.1.0/24")
    assert_error("InvalidSubnet.Conflict", ec2.create_subnet, VpcId=vpc, CidrBlock=second)


def test_subnet_split_example(ec2, vpc):
    """A4 example: 10.0.0.0/24 → 10.0.0.0/25 + 10.0.0.128/25."""
    create_subnet(ec2, vpc, "10.0.0.0/25")
    create_subnet(ec2, vpc, "10.0.0.128/25")


def test_same_cidr_in_two_vpcs(ec2):
    """A4 is per VPC: another VPC may reuse the range."""
    a = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    b = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    create_subnet(ec2, a, "10.0.1.0/24")
    create_subnet(ec2, b, "10.0.1.0/24")


def test_malformed_subnet_cidr(ec2, vpc):
    assert_error("InvalidParameterValue", ec2.create_subnet, VpcId=vpc, CidrBlock="10.0.1.0/33")


def test_create_subnet_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock="10.0.1.0/24")


# ---------------------------------------------------------------- A5 available addresses

@pytest.mark.parametrize("cidr,count", [("10.0.0.0/24", 251), ("10.0.1.0/28", 11), ("10.0.16.0/20", 4091),
                                        ("10.0.2.0/23", 507), ("10.0.4.0/27", 27)])
def test_available_ip_address_count(ec2, vpc, cidr, count):
    """A5: an empty subnet has 2^(32-p) − 5 available addresses (/24 → 251, /28 → 11, /20 → 4091)."""
    s = create_subnet(ec2, vpc, cidr)
    assert s["AvailableIpAddressCount"] == count
    assert describe_subnet(ec2, s["SubnetId"])["AvailableIpAddressCount"] == count


# ---------------------------------------------------------------- defaults (§4.3, E1, E2)

def test_subnet_defaults(ec2, vpc):
    s = describe_subnet(ec2, create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"])
    assert s["State"] == "available"
    assert s["MapPublicIpOnLaunch"] is False          # E1
    assert s["AssignIpv6AddressOnCreation"] is False  # E2
    assert s["DefaultForAz"] is False
    assert s.get("Ipv6CidrBlockAssociationSet", []) == []
    assert s["AvailabilityZoneId"].startswith("use1-az")


# ---------------------------------------------------------------- availability zones (D1)

def test_subnet_in_named_az(ec2, vpc):
    s = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1c")
    assert s["AvailabilityZone"] == "us-east-1c"


def test_subnet_by_zone_id(ec2, vpc):
    """use1-az6 is us-east-1a in this account."""
    s = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZoneId="use1-az6")
    assert s["AvailabilityZone"] == "us-east-1a"
    assert s["AvailabilityZoneId"] == "use1-az6"
    s2 = create_subnet(ec2, vpc, "10.0.2.0/24", AvailabilityZone="us-east-1a")
    assert s2["AvailabilityZoneId"] == "use1-az6"


@pytest.mark.parametrize("az", ["us-east-1z", "eu-west-1a", "nowhere"])
def test_subnet_invalid_az(ec2, vpc, az):
    assert_error("InvalidParameterValue", ec2.create_subnet, VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone=az)


def test_many_subnets_in_one_az(ec2, vpc):
    """D1: multiple subnets per AZ are allowed."""
    for i in range(3):
        assert create_subnet(ec2, vpc, f"10.0.{i}.0/24", AvailabilityZone="us-east-1b")["AvailabilityZone"] == "us-east-1b"


# ---------------------------------------------------------------- tags

def test_subnet_tag_specifications(ec2, vpc):
    s = create_subnet(ec2, vpc, "10.0.1.0/24", TagSpecifications=tag_spec("subnet", Name="public"))
    assert tags(s) == {"Name": "public"}
    assert tags(describe_subnet(ec2, s["SubnetId"])) == {"Name": "public"}


# ---------------------------------------------------------------- ModifySubnetAttribute

def test_modify_map_public_ip(ec2, vpc):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
    assert describe_subnet(ec2, sid)["MapPublicIpOnLaunch"] is True
    ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": False})
    assert describe_subnet(ec2, sid)["MapPublicIpOnLaunch"] is False


def test_modify_assign_ipv6_on_creation(ec2, vpc6):
    """E2: AssignIpv6AddressOnCreation can be enabled on a subnet with an IPv6 block."""
    vpc, block = vpc6
    sid = create_subnet(ec2, vpc, "10.0.1.0/24", Ipv6CidrBlock=nth_subnet64(block, 0))["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sid, AssignIpv6AddressOnCreation={"Value": True})
    assert describe_subnet(ec2, sid)["AssignIpv6AddressOnCreation"] is True


def test_modify_unknown_subnet(ec2):
    assert_error("InvalidSubnetID.NotFound", ec2.modify_subnet_attribute,
                 SubnetId="subnet-0123456789abcdef0", MapPublicIpOnLaunch={"Value": True})


# ---------------------------------------------------------------- IPv6 (C2)

def test_subnet_with_ipv6_64(ec2, vpc6):
    """C2: subnet IPv6 block is a /64 from the VPC /56."""
    vpc, block = vpc6
    want = nth_subnet64(block, 1)
    s = create_subnet(ec2, vpc, "10.0.1.0/24", Ipv6CidrBlock=want)
    s = describe_subnet(ec2, s["SubnetId"])
    assocs = [a for a in s["Ipv6CidrBlockAssociationSet"] if a["Ipv6CidrBlockState"]["State"] == "associated"]
    assert len(assocs) == 1
    assert ipaddress.IPv6Network(assocs[0]["Ipv6CidrBlock"]) == ipaddress.IPv6Network(want)
    assert assocs[0]["AssociationId"].startswith("subnet-cidr-assoc-")
    assert in_cidr(assocs[0]["Ipv6CidrBlock"], block)


def test_subnet_ipv6_outside_vpc_block(ec2, vpc6):
    """C2: the /64 must come from the VPC's /56."""
    vpc, block = vpc6
    outside = "2001:db8:ffff:ff00::/64"
    assert not overlaps(outside, block)
    assert_error("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=outside)


def test_subnet_ipv6_overlap(ec2, vpc6):
    vpc, block = vpc6
    create_subnet(ec2, vpc, "10.0.1.0/24", Ipv6CidrBlock=nth_subnet64(block, 2))
    assert_error("InvalidSubnet.Conflict", ec2.create_subnet, VpcId=vpc, CidrBlock="10.0.2.0/24",
                 Ipv6CidrBlock=nth_subnet64(block, 2))


def test_associate_and_disassociate_subnet_ipv6(ec2, vpc6):
    vpc, block = vpc6
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    want = nth_subnet64(block, 5)
    res = ec2.associate_subnet_cidr_block(SubnetId=sid, Ipv6CidrBlock=want)
    assert res["SubnetId"] == sid
    a = res["Ipv6CidrBlockAssociation"]
    assert a["AssociationId"].startswith("subnet-cidr-assoc-")
    assert ipaddress.IPv6Network(a["Ipv6CidrBlock"]) == ipaddress.IPv6Network(want)

    def state():
        for x in describe_subnet(ec2, sid).get("Ipv6CidrBlockAssociationSet", []):
            if x["AssociationId"] == a["AssociationId"]:
                return x["Ipv6CidrBlockState"]["State"]
        return None
    wait_until(lambda: state() == "associated")

    # C2: at most one IPv6 block per subnet
    assert_client_error(ec2.associate_subnet_cidr_block, SubnetId=sid, Ipv6CidrBlock=nth_subnet64(block, 6))

    d = ec2.disassociate_subnet_cidr_block(AssociationId=a["AssociationId"])
    assert d["SubnetId"] == sid
    assert d["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"] in ("disassociating", "disassociated")
    wait_until(lambda: state() in (None, "disassociated"))


def test_associate_subnet_ipv6_requires_vpc_ipv6(ec2, vpc):
    """C2: a subnet IPv6 block requires the VPC to have one."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    assert_client_error(ec2.associate_subnet_cidr_block, SubnetId=sid, Ipv6CidrBlock="2001:db8:1234:1a00::/64")


# ---------------------------------------------------------------- DescribeSubnets filters

@pytest.fixture
def subnets(ec2, vpc):
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    a = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1a",
                      TagSpecifications=tag_spec("subnet", Name="app-a", tier="app"))["SubnetId"]
    b = create_subnet(ec2, vpc, "10.0.2.0/24", AvailabilityZone="us-east-1b",
                      TagSpecifications=tag_spec("subnet", Name="app-b"))["SubnetId"]
    c = create_subnet(ec2, other, "10.1.1.0/24", AvailabilityZone="us-east-1a",
                      TagSpecifications=tag_spec("subnet", Name="db"))["SubnetId"]
    return vpc, other, a, b, c


def sids(ec2, *filters):
    return {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": n, "Values": v} for n, v in filters])["Subnets"]}


def test_filter_vpc_id(ec2, subnets):
    vpc, other, a, b, c = subnets
    assert sids(ec2, ("vpc-id", [vpc])) == {a, b}
    assert sids(ec2, ("vpc-id", [vpc, other])) == {a, b, c}


def test_filter_cidr(ec2, subnets):
    vpc, other, a, b, c = subnets
    assert sids(ec2, ("cidr-block", ["10.0.2.0/24"])) == {b}
    assert sids(ec2, ("cidr", ["10.0.2.0/24"])) == {b}
    assert sids(ec2, ("cidrBlock", ["10.1.1.0/24"])) == {c}


def test_filter_az(ec2, subnets):
    vpc, other, a, b, c = subnets
    mine = {a, b, c}
    assert sids(ec2, ("availability-zone", ["us-east-1a"])) & mine == {a, c}
    assert sids(ec2, ("availability-zone-id", ["use1-az6"])) & mine == {a, c}
    assert sids(ec2, ("availability-zone", ["us-east-1a"]), ("vpc-id", [vpc])) == {a}


def test_filter_state_id_default(ec2, subnets):
    vpc, other, a, b, c = subnets
    assert {a, b, c} <= sids(ec2, ("state", ["available"]))
    assert sids(ec2, ("subnet-id", [a, c])) == {a, c}
    non_default = sids(ec2, ("default-for-az", ["false"]))
    assert non_default == {a, b, c}
    defaults = sids(ec2, ("default-for-az", ["true"]))
    assert len(defaults) == 6 and not defaults & {a, b, c}


def test_filter_tags(ec2, subnets):
    vpc, other, a, b, c = subnets
    assert sids(ec2, ("tag:Name", ["app-*"])) == {a, b}
    assert sids(ec2, ("tag-key", ["tier"])) == {a}
    assert sids(ec2, ("tag:Name", ["db"])) == {c}
    assert sids(ec2, ("owner-id", [ACCOUNT_ID]), ("tag:Name", ["db"])) == {c}


def test_describe_subnets_by_id(ec2, subnets):
    vpc, other, a, b, c = subnets
    assert {s["SubnetId"] for s in ec2.describe_subnets(SubnetIds=[a, b])["Subnets"]} == {a, b}


def test_describe_unknown_subnet(ec2):
    assert_error("InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=["subnet-0123456789abcdef0"])


# ---------------------------------------------------------------- DeleteSubnet

def test_delete_subnet(ec2, vpc):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ec2.delete_subnet(SubnetId=sid)
    assert_error("InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=[sid])
    # the range is free again (A4)
    create_subnet(ec2, vpc, "10.0.1.0/24")


def test_delete_unknown_subnet(ec2):
    assert_error("InvalidSubnetID.NotFound", ec2.delete_subnet, SubnetId="subnet-0123456789abcdef0")


def test_delete_subnet_with_rt_association_removes_association(ec2, vpc):
    """Deleting a subnet drops its explicit route-table association."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)
    ec2.delete_subnet(SubnetId=sid)
    rt = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]
    assert [a for a in rt["Associations"] if a.get("SubnetId") == sid] == []
    ec2.delete_route_table(RouteTableId=rtb)


# ---------------------------------------------------------------- SubnetAvailable waiter

def test_subnet_available_waiter(ec2, vpc):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    waiter, cfg = fast_waiter(ec2, "subnet_available")
    waiter.wait(SubnetIds=[sid], WaiterConfig=cfg)


# ---------------------------------------------------------------- CreateDefaultSubnet (P6, S12)

def test_create_default_subnet_existing_az_refused(ec2):
    """P6 / S12: one default subnet per AZ → DefaultSubnetAlreadyExistsInAvailabilityZone."""
    default_vpc(ec2)
    assert_error("DefaultSubnetAlreadyExistsInAvailabilityZone", ec2.create_default_subnet,
                 AvailabilityZone="us-east-1a")


def test_create_default_subnet_after_delete(ec2):
    """P6: /20 in free space of the default VPC, DefaultForAz, public, 4091 addresses, no IPv6."""
    dvpc = default_vpc(ec2)
    old = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dvpc["VpcId"]]},
                                        {"Name": "availability-zone", "Values": ["us-east-1c"]}])["Subnets"]
    assert len(old) == 1
    ec2.delete_subnet(SubnetId=old[0]["SubnetId"])
    s = ec2.create_default_subnet(AvailabilityZone="us-east-1c")["Subnet"]
    assert s["AvailabilityZone"] == "us-east-1c"
    assert s["VpcId"] == dvpc["VpcId"]
    assert s["DefaultForAz"] is True
    assert s["MapPublicIpOnLaunch"] is True
    assert s["AssignIpv6AddressOnCreation"] is False
    assert s["AvailableIpAddressCount"] == 4091
    assert ipaddress.ip_network(s["CidrBlock"]).prefixlen == 20
    assert in_cidr(s["CidrBlock"], "172.31.0.0/16")
    others = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dvpc["VpcId"]]}])["Subnets"]
    assert len(others) == 6
    for o in others:
        if o["SubnetId"] != s["SubnetId"]:
            assert not overlaps(o["CidrBlock"], s["CidrBlock"])


def test_create_default_subnet_without_default_vpc(ec2):
    """P6: no default VPC → DefaultVpcDoesNotExist."""
    dvpc = default_vpc(ec2)
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dvpc["VpcId"]]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    for igw in ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [dvpc["VpcId"]]}])["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=dvpc["VpcId"])
        ec2.delete_internet_gateway(InternetGatewayId=igw["InternetGatewayId"])
    ec2.delete_vpc(VpcId=dvpc["VpcId"])
    assert_error("DefaultVpcDoesNotExist", ec2.create_default_subnet, AvailabilityZone="us-east-1a")
