"""CreateTags / DeleteTags / DescribeTags on the networking resources.

Rule ids (§1.29) refer to shared/spec/inventory-vpc-guide.md.
"""
import pytest

from helpers import assert_error, create_vpc


@pytest.fixture
def res(ec2):
    """One resource of each kind: id → DescribeTags resource-type."""
    vpc = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    dopt = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "domain-name", "Values": ["x.example"]}])[
        "DhcpOptions"]["DhcpOptionsId"]
    return {vpc: "vpc", subnet: "subnet", rtb: "route-table", igw: "internet-gateway",
            eigw: "egress-only-internet-gateway", dopt: "dhcp-options"}


def tagmap(ec2, rid):
    out = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [rid]}])["Tags"]
    return {t["Key"]: t["Value"] for t in out}


def described_tags(ec2, rid):
    """Tags as the resource's own Describe call shows them."""
    if rid.startswith("vpc-"):
        obj = ec2.describe_vpcs(VpcIds=[rid])["Vpcs"][0]
    elif rid.startswith("subnet-"):
        obj = ec2.describe_subnets(SubnetIds=[rid])["Subnets"][0]
    elif rid.startswith("rtb-"):
        obj = ec2.describe_route_tables(RouteTableIds=[rid])["RouteTables"][0]
    elif rid.startswith("igw-"):
        obj = ec2.describe_internet_gateways(InternetGatewayIds=[rid])["InternetGateways"][0]
    elif rid.startswith("eigw-"):
        obj = ec2.describe_egress_only_internet_gateways(EgressOnlyInternetGatewayIds=[rid])[
            "EgressOnlyInternetGateways"][0]
    else:
        obj = ec2.describe_dhcp_options(DhcpOptionsIds=[rid])["DhcpOptions"][0]
    return {t["Key"]: t["Value"] for t in obj.get("Tags", [])}


# ---------------------------------------------------------------- CreateTags / DescribeTags

def test_create_tags_on_every_resource_kind(ec2, res):
    """One CreateTags call may tag resources of different kinds; each kind's Describe shows the tags."""
    ec2.create_tags(Resources=list(res), Tags=[{"Key": "Name", "Value": "x"}, {"Key": "env", "Value": "dev"}])
    for rid in res:
        assert described_tags(ec2, rid) == {"Name": "x", "env": "dev"}, rid


@pytest.mark.parametrize("kind", ["vpc", "subnet", "route-table", "internet-gateway", "dhcp-options",
                                  "egress-only-internet-gateway"])
def test_describe_tags_per_kind(ec2, res, kind):
    """DescribeTags lists the tags of each kind, with its resource-type, and filters on it."""
    rid = next(r for r, t in res.items() if t == kind)
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "Name", "Value": "x"}, {"Key": "env", "Value": "dev"}])
    assert tagmap(ec2, rid) == {"Name": "x", "env": "dev"}
    out = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": [kind]}])["Tags"]
    assert sorted((t["ResourceId"], t["ResourceType"], t["Key"]) for t in out) == [
        (rid, kind, "Name"), (rid, kind, "env")]


def test_describe_tags_fields(ec2, res):
    vpc = next(r for r, t in res.items() if t == "vpc")
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "web"}])
    out = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc]}])["Tags"]
    assert out == [{"Key": "Name", "ResourceId": vpc, "ResourceType": "vpc", "Value": "web"}]


def test_describe_tags_key_value_filters(ec2, res):
    ids = list(res)
    ec2.create_tags(Resources=ids[:2], Tags=[{"Key": "team", "Value": "blue"}])
    ec2.create_tags(Resources=ids[2:4], Tags=[{"Key": "team", "Value": "red"}])

    def f(*filters):
        return {t["ResourceId"] for t in ec2.describe_tags(
            Filters=[{"Name": n, "Values": v} for n, v in filters])["Tags"]}
    assert f(("key", ["team"])) == set(ids[:4])
    assert f(("value", ["red"])) == set(ids[2:4])
    assert f(("key", ["team"]), ("value", ["blue"])) == set(ids[:2])
    assert f(("value", ["bl*"])) == set(ids[:2])
    assert f(("resource-id", [ids[0], ids[3]])) == {ids[0], ids[3]}


def test_overwrite_tag_value(ec2, res):
    rid = next(iter(res))
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "k", "Value": "1"}])
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "k", "Value": "2"}])
    assert tagmap(ec2, rid) == {"k": "2"}


def test_empty_tag_value(ec2, res):
    rid = next(iter(res))
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "flag", "Value": ""}])
    assert tagmap(ec2, rid) == {"flag": ""}


def test_tag_filter_on_describe_calls(ec2, res):
    """tag:<key> works in the resources' own Describe calls too."""
    ec2.create_tags(Resources=list(res), Tags=[{"Key": "stage", "Value": "prod"}])
    f = [{"Name": "tag:stage", "Values": ["prod"]}]
    assert len(ec2.describe_vpcs(Filters=f)["Vpcs"]) == 1
    assert len(ec2.describe_subnets(Filters=f)["Subnets"]) == 1
    assert len(ec2.describe_route_tables(Filters=f)["RouteTables"]) == 1
    assert len(ec2.describe_internet_gateways(Filters=f)["InternetGateways"]) == 1
    assert len(ec2.describe_egress_only_internet_gateways(Filters=f)["EgressOnlyInternetGateways"]) == 1
    assert len(ec2.describe_dhcp_options(Filters=f)["DhcpOptions"]) == 1


# ---------------------------------------------------------------- DeleteTags

def test_delete_tags_by_key(ec2, res):
    rid = next(iter(res))
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[rid], Tags=[{"Key": "a"}])
    assert tagmap(ec2, rid) == {"b": "2"}


def test_delete_tags_with_value_only_when_equal(ec2, res):
    rid = next(iter(res))
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "1"}])
    ec2.delete_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "2"}])
    assert tagmap(ec2, rid) == {"a": "1"}
    ec2.delete_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "1"}])
    assert tagmap(ec2, rid) == {}


def test_delete_tags_empty_value_matches_only_empty(ec2, res):
    rid = next(iter(res))
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}])
    ec2.delete_tags(Resources=[rid], Tags=[{"Key": "a", "Value": ""}, {"Key": "b", "Value": ""}])
    assert tagmap(ec2, rid) == {"a": "1"}


def test_delete_all_tags(ec2, res):
    rid = next(iter(res))
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    ec2.delete_tags(Resources=[rid])
    assert tagmap(ec2, rid) == {}


def test_delete_missing_tag_is_noop(ec2, res):
    rid = next(iter(res))
    ec2.delete_tags(Resources=[rid], Tags=[{"Key": "nope"}])
    assert tagmap(ec2, rid) == {}


def test_tags_go_with_resource(ec2):
    vpc = create_vpc(ec2)["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "a", "Value": "1"}])
    ec2.delete_vpc(VpcId=vpc)
    assert ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc]}])["Tags"] == []


# ---------------------------------------------------------------- limits and validation

def test_fifty_tags_allowed_fifty_one_refused(ec2, res):
    rid = next(iter(res))
    ec2.create_tags(Resources=[rid], Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(50)])
    assert len(tagmap(ec2, rid)) == 50
    assert_error("TagLimitExceeded", ec2.create_tags, Resources=[rid], Tags=[{"Key": "k50", "Value": "x"}])
    # overwriting an existing key is not a new tag
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "k0", "Value": "new"}])
    assert tagmap(ec2, rid)["k0"] == "new"


def test_fifty_one_in_one_call_refused(ec2, res):
    rid = next(iter(res))
    assert_error("TagLimitExceeded", ec2.create_tags, Resources=[rid],
                 Tags=[{"Key": f"k{i}", "Value": str(i)} for i in range(51)])
    assert tagmap(ec2, rid) == {}


def test_aws_prefix_refused(ec2, res):
    rid = next(iter(res))
    assert_error("InvalidParameterValue", ec2.create_tags, Resources=[rid], Tags=[{"Key": "aws:foo", "Value": "x"}])
    assert tagmap(ec2, rid) == {}


@pytest.mark.parametrize("rid,code", [
    ("vpc-0123456789abcdef0", "InvalidVpcID.NotFound"),
    ("subnet-0123456789abcdef0", "InvalidSubnetID.NotFound"),
    ("rtb-0123456789abcdef0", "InvalidRouteTableID.NotFound"),
    ("igw-0123456789abcdef0", "InvalidInternetGatewayID.NotFound"),
    ("dopt-0123456789abcdef0", "InvalidDhcpOptionID.NotFound"),
])
def test_create_tags_unknown_resource(ec2, rid, code):
    assert_error(code, ec2.create_tags, Resources=[rid], Tags=[{"Key": "a", "Value": "1"}])


@pytest.mark.parametrize("rid", ["foo-1234", "notanid", "vpc_123"])
def test_create_tags_malformed_id(ec2, rid):
    assert_error("InvalidID", ec2.create_tags, Resources=[rid], Tags=[{"Key": "a", "Value": "1"}])


def test_describe_tags_empty_account(ec2):
    """A fresh account: no tags on its (default) resources."""
    assert ec2.describe_tags()["Tags"] == []
