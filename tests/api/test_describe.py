"""Describe* mechanics shared by all networking resources: pagination, MaxResults bounds, filter names, waiters.

Quotas (§3.1) keep the server's defaults: 5 VPCs and 5 IGWs per Region, 200 subnets and route tables per VPC.
"""
import boto3
import botocore.config
import pytest
from botocore.exceptions import WaiterError

from helpers import assert_error, create_vpc, fast_waiter


def paginate(ec2, op, key, id_key, page_size=5, **kwargs):
    """All ids through the botocore paginator, plus the number of pages."""
    pages = list(ec2.get_paginator(op).paginate(PaginationConfig={"PageSize": page_size}, **kwargs))
    ids = [item[id_key] for p in pages for item in p[key]]
    return ids, len(pages)


@pytest.fixture
def raw_ec2(endpoint):
    """A client without botocore's client-side parameter validation (to send out-of-range MaxResults)."""
    return boto3.client("ec2", region_name="us-east-1", endpoint_url=endpoint,
                        aws_access_key_id="test", aws_secret_access_key="test",
                        config=botocore.config.Config(parameter_validation=False, retries={"total_max_attempts": 1, "mode": "standard"}))


# ---------------------------------------------------------------- pagination

def test_paginate_subnets(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    made = {ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(12)}
    everything = {s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]}
    ids, pages = paginate(ec2, "describe_subnets", "Subnets", "SubnetId")
    assert len(ids) == len(set(ids)), "a subnet was returned twice"
    assert set(ids) == everything
    assert made <= set(ids)
    assert pages >= 3


def test_paginate_subnets_with_filter(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    made = {ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")["Subnet"]["SubnetId"] for i in range(12)}
    ids, pages = paginate(ec2, "describe_subnets", "Subnets", "SubnetId",
                          Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    assert sorted(ids) == sorted(made)
    assert pages >= 3


def test_max_results_bounds_page_size(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    for i in range(7):
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24")
    first = ec2.describe_subnets(MaxResults=5)
    assert len(first["Subnets"]) == 5
    assert first.get("NextToken")
    second = ec2.describe_subnets(MaxResults=5, NextToken=first["NextToken"])
    assert not {s["SubnetId"] for s in first["Subnets"]} & {s["SubnetId"] for s in second["Subnets"]}


def test_paginate_route_tables(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    made = {ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"] for _ in range(12)}
    everything = {r["RouteTableId"] for r in ec2.describe_route_tables()["RouteTables"]}
    ids, pages = paginate(ec2, "describe_route_tables", "RouteTables", "RouteTableId")
    assert len(ids) == len(set(ids))
    assert set(ids) == everything
    assert made <= set(ids)
    assert pages >= 3


def test_paginate_vpcs(ec2):
    """5 VPCs (default + 4, the quota) with page size 5: every VPC exactly once."""
    made = {ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in range(4)}
    ids, _ = paginate(ec2, "describe_vpcs", "Vpcs", "VpcId")
    assert len(ids) == len(set(ids)) == 5
    assert made <= set(ids)


def test_paginate_internet_gateways(ec2):
    made = {ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"] for _ in range(4)}
    everything = {g["InternetGatewayId"] for g in ec2.describe_internet_gateways()["InternetGateways"]}
    ids, _ = paginate(ec2, "describe_internet_gateways", "InternetGateways", "InternetGatewayId")
    assert len(ids) == len(set(ids))
    assert set(ids) == everything
    assert made <= set(ids)


def test_paginate_dhcp_options(ec2):
    made = {ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name", "Values": [f"d{i}.example"]}])[
        "DhcpOptions"]["DhcpOptionsId"] for i in range(12)}
    everything = {d["DhcpOptionsId"] for d in ec2.describe_dhcp_options()["DhcpOptions"]}
    ids, pages = paginate(ec2, "describe_dhcp_options", "DhcpOptions", "DhcpOptionsId")
    assert len(ids) == len(set(ids))
    assert set(ids) == everything
    assert made <= set(ids)
    assert pages >= 3


def test_paginate_tags(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": f"k{i:02d}", "Value": str(i)} for i in range(12)])
    pages = list(ec2.get_paginator("describe_tags").paginate(
        Filters=[{"Name": "resource-id", "Values": [vpc]}], PaginationConfig={"PageSize": 5}))
    keys = [t["Key"] for p in pages for t in p["Tags"]]
    assert sorted(keys) == [f"k{i:02d}" for i in range(12)]
    assert len(pages) >= 3


# ---------------------------------------------------------------- MaxResults range

@pytest.mark.parametrize("n", [4, 1001])
def test_describe_subnets_max_results_out_of_range(raw_ec2, n):
    """DescribeSubnets MaxResults must be 5 … 1000 → InvalidParameterValue."""
    assert_error("InvalidParameterValue", raw_ec2.describe_subnets, MaxResults=n)


@pytest.mark.parametrize("op", ["describe_vpcs", "describe_internet_gateways", "describe_dhcp_options",
                                "describe_route_tables"])
def test_describe_max_results_too_small(raw_ec2, op):
    assert_error("InvalidParameterValue", getattr(raw_ec2, op), MaxResults=4)


def test_describe_max_results_edges_accepted(ec2):
    assert "Subnets" in ec2.describe_subnets(MaxResults=5)
    assert "Subnets" in ec2.describe_subnets(MaxResults=1000)


# ---------------------------------------------------------------- unknown filters

@pytest.mark.parametrize("op", ["describe_vpcs", "describe_subnets", "describe_route_tables",
                                "describe_internet_gateways", "describe_dhcp_options", "describe_tags",
                                "describe_egress_only_internet_gateways"])
def test_unknown_filter_name(ec2, op):
    assert_error("InvalidParameterValue", getattr(ec2, op), Filters=[{"Name": "no-such-filter", "Values": ["x"]}])


def test_filter_with_no_match_is_empty_not_error(ec2):
    assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["192.0.2.0/24"]}])["Vpcs"] == []
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}])["Subnets"] == []


# ---------------------------------------------------------------- waiters (botocore waiters-2.json)

def test_vpc_available_waiter(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    waiter, cfg = fast_waiter(ec2, "vpc_available")
    waiter.wait(VpcIds=[vpc], WaiterConfig=cfg)


def test_vpc_exists_waiter(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    waiter, cfg = fast_waiter(ec2, "vpc_exists")
    waiter.wait(VpcIds=[vpc], WaiterConfig=cfg)


def test_vpc_exists_waiter_times_out_for_unknown(ec2):
    """VpcExists retries on InvalidVpcID.NotFound, so an unknown id exhausts the attempts."""
    waiter = ec2.get_waiter("vpc_exists")
    with pytest.raises(WaiterError):
        waiter.wait(VpcIds=["vpc-0123456789abcdef0"], WaiterConfig={"Delay": 1, "MaxAttempts": 2})


def test_subnet_available_waiter(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    sid = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    waiter, cfg = fast_waiter(ec2, "subnet_available")
    waiter.wait(SubnetIds=[sid], WaiterConfig=cfg)


def test_internet_gateway_exists_waiter(ec2):
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    waiter, cfg = fast_waiter(ec2, "internet_gateway_exists")
    waiter.wait(InternetGatewayIds=[gw], WaiterConfig=cfg)


def test_internet_gateway_exists_waiter_times_out_for_unknown(ec2):
    waiter = ec2.get_waiter("internet_gateway_exists")
    with pytest.raises(WaiterError):
        waiter.wait(InternetGatewayIds=["igw-0123456789abcdef0"], WaiterConfig={"Delay": 1, "MaxAttempts": 2})
