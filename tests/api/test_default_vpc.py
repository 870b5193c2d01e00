"""Default VPC and default subnets, account attributes, zones and regions.

Rule ids (P1-P6, §1.4, A5, R5, S12) refer to shared/spec/inventory-vpc-guide.md.
"""
import ipaddress

import pytest

from helpers import (ACCOUNT_ID, US_EAST_1_AZS, assert_error, default_vpc, in_cidr, main_route_table, overlaps,
                     route_for, wait_until)


def default_subnets(ec2, vpc_id):
    return ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Subnets"]


def attached_igws(ec2, vpc_id):
    return ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])["InternetGateways"]


def account_attr(ec2, name):
    attrs = ec2.describe_account_attributes(AttributeNames=[name])["AccountAttributes"]
    assert len(attrs) == 1 and attrs[0]["AttributeName"] == name
    return [v["AttributeValue"] for v in attrs[0]["AttributeValues"]]


def delete_default_vpc(ec2):
    """The API path of AA1: subnets, then detach + delete the IGW, then the VPC."""
    v = default_vpc(ec2)["VpcId"]
    for s in default_subnets(ec2, v):
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    for g in attached_igws(ec2, v):
        ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=v)
        ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
    ec2.delete_vpc(VpcId=v)
    return v


# ---------------------------------------------------------------- the default VPC (P1, §1.4)

def test_default_vpc_exists_on_first_use(ec2):
    """P1: a fresh account/region has a default VPC 172.31.0.0/16."""
    v = default_vpc(ec2)
    assert v["CidrBlock"] == "172.31.0.0/16"
    assert v["IsDefault"] is True
    assert v["State"] == "available"
    assert v["InstanceTenancy"] == "default"
    assert v["OwnerId"] == ACCOUNT_ID
    assert v["DhcpOptionsId"].startswith("dopt-")


def test_default_subnets_one_per_az(ec2):
    """P1 / §1.4: one /20 default subnet per AZ; us-east-1 has six (a–f)."""
    v = default_vpc(ec2)["VpcId"]
    subs = default_subnets(ec2, v)
    assert sorted(s["AvailabilityZone"] for s in subs) == US_EAST_1_AZS
    for s in subs:
        assert ipaddress.ip_network(s["CidrBlock"]).prefixlen == 20
        assert in_cidr(s["CidrBlock"], "172.31.0.0/16")
        assert s["DefaultForAz"] is True
        assert s["MapPublicIpOnLaunch"] is True
        assert s["AssignIpv6AddressOnCreation"] is False
        assert s["AvailableIpAddressCount"] == 4091  # A5
        assert s["State"] == "available"
    cidrs = [s["CidrBlock"] for s in subs]
    for i, a in enumerate(cidrs):
        for b in cidrs[i + 1:]:
            assert not overlaps(a, b)


def test_default_vpc_has_attached_igw(ec2):
    """P1: an IGW is attached to the default VPC."""
    v = default_vpc(ec2)["VpcId"]
    igws = attached_igws(ec2, v)
    assert len(igws) == 1
    assert igws[0]["Attachments"] == [{"State": "available", "VpcId": v}]


def test_default_vpc_main_route_to_igw(ec2):
    """P1: main RT routes 0.0.0.0/0 to the IGW (default subnets are public)."""
    v = default_vpc(ec2)["VpcId"]
    igw = attached_igws(ec2, v)[0]["InternetGatewayId"]
    rt = main_route_table(ec2, v)
    assert route_for(rt, "172.31.0.0/16")["GatewayId"] == "local"
    r = route_for(rt, "0.0.0.0/0")
    assert r["GatewayId"] == igw
    assert r["State"] == "active"


def test_default_vpc_dns_attributes(ec2):
    """R5 / §4.3: both DNS attributes true in the default VPC."""
    v = default_vpc(ec2)["VpcId"]
    assert ec2.describe_vpc_attribute(VpcId=v, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"] is True
    assert ec2.describe_vpc_attribute(VpcId=v, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True


def test_default_vpc_has_no_ipv6(ec2):
    """P7: no IPv6 in the default VPC."""
    v = default_vpc(ec2)
    assert not [a for a in v.get("Ipv6CidrBlockAssociationSet", [])
                if a["Ipv6CidrBlockState"]["State"] == "associated"]


# ---------------------------------------------------------------- account attributes (§1.4)

def test_account_attribute_default_vpc(ec2):
    v = default_vpc(ec2)["VpcId"]
    assert account_attr(ec2, "default-vpc") == [v]


def test_account_attribute_supported_platforms(ec2):
    assert account_attr(ec2, "supported-platforms") == ["VPC"]


def test_account_attributes_all(ec2):
    names = {a["AttributeName"] for a in ec2.describe_account_attributes()["AccountAttributes"]}
    assert {"default-vpc", "supported-platforms"} <= names


# ---------------------------------------------------------------- CreateDefaultVpc (P4, S12)

def test_create_default_vpc_when_one_exists(ec2):
    """P4 / S12: a second default VPC → DefaultVpcAlreadyExists."""
    default_vpc(ec2)
    assert_error("DefaultVpcAlreadyExists", ec2.create_default_vpc)


def test_default_vpc_delete_and_recreate(ec2):
    """P4 / S12: after deleting the default VPC, CreateDefaultVpc builds a new one with all components."""
    old = delete_default_vpc(ec2)
    assert ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"] == []
    assert account_attr(ec2, "default-vpc") == ["none"]

    v = ec2.create_default_vpc()["Vpc"]
    assert v["VpcId"] != old
    assert v["CidrBlock"] == "172.31.0.0/16"
    assert v["IsDefault"] is True
    assert v["InstanceTenancy"] == "default"
    assert v["State"] in ("pending", "available")

    wait_until(lambda: default_vpc(ec2)["State"] == "available")
    assert default_vpc(ec2)["VpcId"] == v["VpcId"]
    subs = wait_until(lambda: (lambda s: s if len(s) == 6 else None)(default_subnets(ec2, v["VpcId"])))
    assert sorted(s["AvailabilityZone"] for s in subs) == US_EAST_1_AZS
    assert all(s["DefaultForAz"] and s["MapPublicIpOnLaunch"] for s in subs)
    igws = attached_igws(ec2, v["VpcId"])
    assert len(igws) == 1
    assert route_for(main_route_table(ec2, v["VpcId"]), "0.0.0.0/0")["GatewayId"] == igws[0]["InternetGatewayId"]
    assert account_attr(ec2, "default-vpc") == [v["VpcId"]]
    assert_error("DefaultVpcAlreadyExists", ec2.create_default_vpc)


def test_delete_default_vpc_needs_cleanup(ec2):
    """AA1: the default VPC is an ordinary VPC for DeleteVpc — its subnets and IGW block deletion."""
    v = default_vpc(ec2)["VpcId"]
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=v)


def test_nondefault_vpc_is_not_default(ec2):
    """P4: a nondefault VPC never becomes the default one; CreateDefaultSubnet only targets the default VPC."""
    delete_default_vpc(ec2)
    ec2.create_vpc(CidrBlock="172.31.0.0/16")
    assert ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"] == []
    assert_error("DefaultVpcDoesNotExist", ec2.create_default_subnet, AvailabilityZone="us-east-1a")


# ---------------------------------------------------------------- availability zones and regions

def test_describe_availability_zones_us_east_1(ec2):
    zones = ec2.describe_availability_zones()["AvailabilityZones"]
    assert sorted(z["ZoneName"] for z in zones) == US_EAST_1_AZS
    by_name = {z["ZoneName"]: z for z in zones}
    assert by_name["us-east-1a"]["ZoneId"] == "use1-az6"
    ids = [z["ZoneId"] for z in zones]
    assert len(set(ids)) == 6 and all(i.startswith("use1-az") for i in ids)
    for z in zones:
        assert z["RegionName"] == "us-east-1"
        assert z["State"] == "available"
        assert z.get("ZoneType", "availability-zone") == "availability-zone"


def test_describe_availability_zones_filters(ec2):
    z = ec2.describe_availability_zones(ZoneNames=["us-east-1b"])["AvailabilityZones"]
    assert [x["ZoneName"] for x in z] == ["us-east-1b"]
    z = ec2.describe_availability_zones(ZoneIds=["use1-az6"])["AvailabilityZones"]
    assert [x["ZoneName"] for x in z] == ["us-east-1a"]
    z = ec2.describe_availability_zones(Filters=[{"Name": "zone-name", "Values": ["us-east-1c", "us-east-1d"]}])
    assert sorted(x["ZoneName"] for x in z["AvailabilityZones"]) == ["us-east-1c", "us-east-1d"]
    z = ec2.describe_availability_zones(Filters=[{"Name": "zone-id", "Values": ["use1-az6"]}])
    assert [x["ZoneName"] for x in z["AvailabilityZones"]] == ["us-east-1a"]
    z = ec2.describe_availability_zones(Filters=[{"Name": "region-name", "Values": ["us-east-1"]}])
    assert len(z["AvailabilityZones"]) == 6
    z = ec2.describe_availability_zones(Filters=[{"Name": "state", "Values": ["available"]}])
    assert len(z["AvailabilityZones"]) == 6


def test_describe_availability_zones_other_region(ec2_factory):
    eu = ec2_factory("eu-west-1")
    zones = eu.describe_availability_zones()["AvailabilityZones"]
    assert zones
    assert all(z["ZoneName"].startswith("eu-west-1") and z["RegionName"] == "eu-west-1" for z in zones)
    assert all(z["ZoneId"].startswith("euw1-az") for z in zones)


def test_describe_unknown_zone(ec2):
    assert_error("InvalidParameterValue", ec2.describe_availability_zones, ZoneNames=["us-east-1z"])


def test_describe_regions(ec2):
    regions = {r["RegionName"]: r for r in ec2.describe_regions()["Regions"]}
    assert {"us-east-1", "eu-west-1"} <= set(regions)
    assert regions["us-east-1"]["Endpoint"] == "ec2.us-east-1.amazonaws.com"
    one = ec2.describe_regions(RegionNames=["eu-west-1"])["Regions"]
    assert [r["RegionName"] for r in one] == ["eu-west-1"]
    two = ec2.describe_regions(RegionNames=["us-east-1", "eu-west-1"])["Regions"]
    assert sorted(r["RegionName"] for r in two) == ["eu-west-1", "us-east-1"]
    f = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["us-east-1"]}])["Regions"]
    assert [r["RegionName"] for r in f] == ["us-east-1"]
