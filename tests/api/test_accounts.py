"""Isolation between accounts and between regions.

Resources belong to one account (owner id, §1.1 / §1.3) and one Region (quotas per Region per account, §3.1);
each account/Region pair has its own default VPC (P1, P4).
"""
import pytest

from helpers import ACCOUNT_ID, OTHER_ACCOUNT_ID, assert_error, create_vpc, default_vpc, wait_until


@pytest.fixture
def me(ec2_factory):
    return ec2_factory()


@pytest.fixture
def other(ec2_factory):
    return ec2_factory(account="other")


# ---------------------------------------------------------------- accounts

def test_each_account_sees_only_its_vpcs(me, other):
    mine = create_vpc(me, "10.0.0.0/16")["VpcId"]
    theirs = create_vpc(other, "10.0.0.0/16")["VpcId"]
    my_ids = {v["VpcId"] for v in me.describe_vpcs()["Vpcs"]}
    their_ids = {v["VpcId"] for v in other.describe_vpcs()["Vpcs"]}
    assert mine in my_ids and theirs not in my_ids
    assert theirs in their_ids and mine not in their_ids
    assert all(v["OwnerId"] == ACCOUNT_ID for v in me.describe_vpcs()["Vpcs"])
    assert all(v["OwnerId"] == OTHER_ACCOUNT_ID for v in other.describe_vpcs()["Vpcs"])


def test_each_account_has_its_own_default_vpc(me, other):
    a = default_vpc(me)
    b = default_vpc(other)
    assert a["VpcId"] != b["VpcId"]
    assert a["CidrBlock"] == b["CidrBlock"] == "172.31.0.0/16"
    assert b["OwnerId"] == OTHER_ACCOUNT_ID


def test_other_accounts_vpc_is_not_found(me, other):
    theirs = create_vpc(other, "10.0.0.0/16")["VpcId"]
    assert_error("InvalidVpcID.NotFound", me.describe_vpcs, VpcIds=[theirs])
    assert_error("InvalidVpcID.NotFound", me.delete_vpc, VpcId=theirs)
    assert_error("InvalidVpcID.NotFound", me.create_subnet, VpcId=theirs, CidrBlock="10.0.1.0/24")
    assert_error("InvalidVpcID.NotFound", me.create_tags, Resources=[theirs], Tags=[{"Key": "a", "Value": "b"}])
    # still there for its owner
    assert other.describe_vpcs(VpcIds=[theirs])["Vpcs"][0]["VpcId"] == theirs


def test_subnets_route_tables_gateways_are_private(me, other):
    vpc = create_vpc(other, "10.0.0.0/16")["VpcId"]
    sid = other.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    rtb = other.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    igw = other.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    dopt = other.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name", "Values": ["o.example"]}])[
        "DhcpOptions"]["DhcpOptionsId"]

    assert sid not in {s["SubnetId"] for s in me.describe_subnets()["Subnets"]}
    assert rtb not in {r["RouteTableId"] for r in me.describe_route_tables()["RouteTables"]}
    assert igw not in {g["InternetGatewayId"] for g in me.describe_internet_gateways()["InternetGateways"]}
    assert dopt not in {d["DhcpOptionsId"] for d in me.describe_dhcp_options()["DhcpOptions"]}

    assert_error("InvalidSubnetID.NotFound", me.describe_subnets, SubnetIds=[sid])
    assert_error("InvalidRouteTableID.NotFound", me.describe_route_tables, RouteTableIds=[rtb])
    assert_error("InvalidInternetGatewayID.NotFound", me.describe_internet_gateways, InternetGatewayIds=[igw])
    assert_error("InvalidDhcpOptionID.NotFound", me.describe_dhcp_options, DhcpOptionsIds=[dopt])


def test_cannot_attach_to_other_accounts_vpc(me, other):
    theirs = create_vpc(other, "10.0.0.0/16")["VpcId"]
    igw = me.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert_error("InvalidVpcID.NotFound", me.attach_internet_gateway, InternetGatewayId=igw, VpcId=theirs)


def test_tags_are_per_account(me, other):
    mine = create_vpc(me, "10.0.0.0/16")["VpcId"]
    me.create_tags(Resources=[mine], Tags=[{"Key": "team", "Value": "a"}])
    assert other.describe_tags()["Tags"] == []
    assert other.describe_vpcs(Filters=[{"Name": "tag:team", "Values": ["a"]}])["Vpcs"] == []


def test_vpc_quota_is_per_account(me, other):
    """§3.1: the 5-VPC quota is per account — filling one account leaves the other free."""
    for i in range(4):
        me.create_vpc(CidrBlock=f"10.{i}.0.0/16")
    assert_error("VpcLimitExceeded", me.create_vpc, CidrBlock="10.9.0.0/16")
    assert other.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["OwnerId"] == OTHER_ACCOUNT_ID


def test_account_attribute_default_vpc_per_account(me, other):
    def attr(c):
        a = c.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"][0]
        return a["AttributeValues"][0]["AttributeValue"]
    assert attr(me) == default_vpc(me)["VpcId"]
    assert attr(other) == default_vpc(other)["VpcId"]


# ---------------------------------------------------------------- regions

def test_regions_are_separate(ec2_factory):
    us = ec2_factory("us-east-1")
    eu = ec2_factory("eu-west-1")
    eu_vpc = create_vpc(eu, "10.0.0.0/16")["VpcId"]
    assert eu_vpc not in {v["VpcId"] for v in us.describe_vpcs()["Vpcs"]}
    assert_error("InvalidVpcID.NotFound", us.describe_vpcs, VpcIds=[eu_vpc])
    assert eu.describe_vpcs(VpcIds=[eu_vpc])["Vpcs"][0]["VpcId"] == eu_vpc


def test_each_region_has_its_own_default_vpc(ec2_factory):
    us = default_vpc(ec2_factory("us-east-1"))
    eu = default_vpc(ec2_factory("eu-west-1"))
    assert us["VpcId"] != eu["VpcId"]
    assert eu["CidrBlock"] == "172.31.0.0/16"


def test_eu_default_subnets_in_eu_zones(ec2_factory):
    eu = ec2_factory("eu-west-1")
    zones = sorted(z["ZoneName"] for z in eu.describe_availability_zones()["AvailabilityZones"])
    v = default_vpc(eu)["VpcId"]
    subs = eu.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [v]}])["Subnets"]
    assert sorted(s["AvailabilityZone"] for s in subs) == zones
    assert all(s["AvailabilityZone"].startswith("eu-west-1") for s in subs)


def test_eu_subnet_defaults_to_eu_zone(ec2_factory):
    """A subnet created without an AZ in eu-west-1 lands in one of eu-west-1's zones."""
    eu = ec2_factory("eu-west-1")
    vpc = create_vpc(eu, "10.0.0.0/16")["VpcId"]
    s = eu.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]
    assert s["AvailabilityZone"].startswith("eu-west-1")
    assert s["AvailabilityZoneId"].startswith("euw1-az")
    assert s["SubnetArn"].startswith(f"arn:aws:ec2:eu-west-1:{ACCOUNT_ID}:subnet/")
    assert_error("InvalidParameterValue", eu.create_subnet, VpcId=vpc, CidrBlock="10.0.2.0/24",
                 AvailabilityZone="us-east-1a")


def test_resources_of_other_region_not_usable(ec2_factory):
    us = ec2_factory("us-east-1")
    eu = ec2_factory("eu-west-1")
    eu_vpc = create_vpc(eu, "10.0.0.0/16")["VpcId"]
    assert_error("InvalidVpcID.NotFound", us.create_subnet, VpcId=eu_vpc, CidrBlock="10.0.1.0/24")
    igw = us.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert_error("InvalidVpcID.NotFound", us.attach_internet_gateway, InternetGatewayId=igw, VpcId=eu_vpc)
    assert_error("InvalidInternetGatewayID.NotFound", eu.attach_internet_gateway, InternetGatewayId=igw, VpcId=eu_vpc)


def test_region_vpcs_wait_available(ec2_factory):
    eu = ec2_factory("eu-west-1")
    vpc = eu.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    wait_until(lambda: eu.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["State"] == "available")
