"""VPC quota: 5 VPCs per Region per account by default, the default VPC included, adjustable
(inventory-vpc-guide.md §3.1 "VPCs per Region | 5 | adj." L11372; the table is "per Region per account
unless stated"). Over the quota CreateVpc fails with VpcLimitExceeded (EC2 API error codes, inventory
Appendix A). openvpc raises a quota with `serve --quota vpcs-per-region=N`.
"""
import os

import pytest
from botocore.exceptions import ClientError

import conftest
from conftest import make_client

DEFAULT_VPC_QUOTA = 5


def vpc_count(ec2):
    return len(ec2.describe_vpcs()["Vpcs"])


def assert_vpc_limit(ec2, cidr="10.99.0.0/16"):
    before = vpc_count(ec2)
    with pytest.raises(ClientError) as e:
        ec2.create_vpc(CidrBlock=cidr)
    assert e.value.response["Error"]["Code"] == "VpcLimitExceeded", e.value.response["Error"]
    assert 400 <= e.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert vpc_count(ec2) == before, "a refused CreateVpc must not create a VPC"


def fill(ec2, n, first_octet=0):
    return [ec2.create_vpc(CidrBlock=f"10.{first_octet + i}.0.0/16")["Vpc"]["VpcId"] for i in range(n)]


def test_default_quota_is_five_including_the_default_vpc(ec2):
    vpcs = ec2.describe_vpcs()["Vpcs"]
    assert [v["IsDefault"] for v in vpcs] == [True], "a fresh region holds exactly the default VPC"
    fill(ec2, DEFAULT_VPC_QUOTA - 1)            # 4 succeed: 5 VPCs with the default one
    assert vpc_count(ec2) == DEFAULT_VPC_QUOTA
    assert_vpc_limit(ec2)                        # the 5th CreateVpc fails


def test_quota_is_per_region(ec2_factory):
    us = ec2_factory("us-east-1")
    fill(us, DEFAULT_VPC_QUOTA - 1)
    assert_vpc_limit(us)
    eu = ec2_factory("eu-west-1")
    eu.create_vpc(CidrBlock="10.0.0.0/16")
    assert vpc_count(eu) == 2


def test_quota_is_per_account(ec2_factory):
    mine = ec2_factory(account="default")
    fill(mine, DEFAULT_VPC_QUOTA - 1)
    assert_vpc_limit(mine)
    theirs = ec2_factory(account="other")
    theirs.create_vpc(CidrBlock="10.0.0.0/16")
    assert vpc_count(theirs) == 2


def test_deleting_a_vpc_frees_a_slot(ec2):
    ids = fill(ec2, DEFAULT_VPC_QUOTA - 1)
    assert_vpc_limit(ec2)
    ec2.delete_vpc(VpcId=ids[0])
    ec2.create_vpc(CidrBlock="10.50.0.0/16")
    assert_vpc_limit(ec2, "10.51.0.0/16")


def test_deleting_the_default_vpc_frees_a_slot(ec2):
    fill(ec2, DEFAULT_VPC_QUOTA - 1)
    default = [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v["IsDefault"]]
    assert len(default) == 1
    # A default VPC cannot be deleted while its subnets, IGW etc. exist: tear it down first.
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": default}])["Subnets"]:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    for g in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": default}])[
            "InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=default[0])
        ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
    ec2.delete_vpc(VpcId=default[0])
    ec2.create_vpc(CidrBlock="10.60.0.0/16")
    assert_vpc_limit(ec2, "10.61.0.0/16")


def test_dry_run_at_the_limit_reports_the_limit_or_dry_run(ec2):
    fill(ec2, DEFAULT_VPC_QUOTA - 1)
    with pytest.raises(ClientError) as e:
        ec2.create_vpc(CidrBlock="10.70.0.0/16", DryRun=True)
    assert e.value.response["Error"]["Code"] in {"VpcLimitExceeded", "DryRunOperation"}
    assert vpc_count(ec2) == DEFAULT_VPC_QUOTA


@pytest.fixture
def quota_server(tmp_path):
    """A private server started with --quota vpcs-per-region=8."""
    if os.environ.get("OPENVPC_ENDPOINT"):
        pytest.skip("needs a server this suite starts itself")
    s = conftest.Server(str(tmp_path), extra_args=["--quota", "vpcs-per-region=8"])
    s.start()
    yield s
    s.stop()


def test_quota_flag_raises_the_vpc_quota(quota_server):
    ec2 = make_client(quota_server.endpoint)
    assert vpc_count(ec2) == 1, "only the default VPC"
    fill(ec2, 7)                                 # 7 more beyond the default one
    assert vpc_count(ec2) == 8
    assert_vpc_limit(ec2)                        # the next fails
    # the raised quota applies to every account and Region
    eu = make_client(quota_server.endpoint, region="eu-west-1", account="other")
    fill(eu, 7)
    assert_vpc_limit(eu)


def test_raised_quota_survives_restart_of_state(quota_server):
    ec2 = make_client(quota_server.endpoint)
    fill(ec2, 7)
    quota_server.restart()
    assert vpc_count(ec2) == 8
    assert_vpc_limit(ec2)
