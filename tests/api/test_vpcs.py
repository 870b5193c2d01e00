"""CreateVpc / DescribeVpcs / VPC attributes / secondary CIDR blocks / DeleteVpc / VPC quota.

Rule ids (A1, B1…B12, C1, G1, AA1, §3.1, §4.3) refer to shared/spec/inventory-vpc-guide.md.
"""
import ipaddress

import pytest

from helpers import (ACCOUNT_ID, assert_error, create_subnet, create_vpc, describe_vpc, main_route_table,
                     route_for, route_tables_of, tag_spec, tags, wait_until)


# ---------------------------------------------------------------- CreateVpc: CIDR validation (A1)

@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.0.0.0/20", "10.0.0.0/24", "10.0.0.0/28"])
def test_create_vpc_accepts_prefix_16_to_28(ec2, cidr):
    """A1: the primary IPv4 CIDR may be /16 … /28 inclusive."""
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]
    assert vpc["CidrBlock"] == cidr
    assert vpc["VpcId"].startswith("vpc-")


@pytest.mark.parametrize("cidr", ["10.0.0.0/15", "10.0.0.0/8", "10.0.0.0/29", "10.0.0.0/32"])
def test_create_vpc_rejects_prefix_outside_16_28(ec2, cidr):
    """A1: /15 and larger, /29 and smaller → InvalidVpc.Range."""
    assert_error("InvalidVpc.Range", ec2.create_vpc, CidrBlock=cidr)


@pytest.mark.parametrize("cidr", ["10.0.0.0/33", "10.0.0.256/16", "not-a-cidr"])
def test_create_vpc_malformed_cidr(ec2, cidr):
    """A malformed CIDR is InvalidParameterValue (not a range error)."""
    assert_error("InvalidParameterValue", ec2.create_vpc, CidrBlock=cidr)


def test_create_vpc_response_fields(ec2):
    """§1.1 / §4.3: CreateVpc output carries id, CIDR, tenancy default, dopt- id, not default."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]
    assert vpc["VpcId"].startswith("vpc-")
    assert vpc["CidrBlock"] == "10.0.0.0/16"
    assert vpc["State"] in ("pending", "available")
    assert vpc["InstanceTenancy"] == "default"
    assert vpc["IsDefault"] is False
    assert vpc["OwnerId"] == ACCOUNT_ID
    assert vpc["DhcpOptionsId"].startswith("dopt-")


def test_described_vpc_defaults(ec2):
    """§4.3: tenancy default, state available, IsDefault false, dopt-, one associated primary CIDR association."""
    vpc = create_vpc(ec2, "10.1.0.0/16")
    assert vpc["State"] == "available"
    assert vpc["InstanceTenancy"] == "default"
    assert vpc["IsDefault"] is False
    assert vpc["OwnerId"] == ACCOUNT_ID
    assert vpc["DhcpOptionsId"].startswith("dopt-")
    assocs = vpc["CidrBlockAssociationSet"]
    assert len(assocs) == 1
    assert assocs[0]["CidrBlock"] == "10.1.0.0/16"
    assert assocs[0]["AssociationId"].startswith("vpc-cidr-assoc-")
    assert assocs[0]["CidrBlockState"]["State"] == "associated"
    assert not vpc.get("Ipv6CidrBlockAssociationSet")


def test_create_vpc_dedicated_tenancy_then_modify_to_default(ec2):
    """§1.1: InstanceTenancy dedicated at create; ModifyVpcTenancy can only move it to default."""
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", InstanceTenancy="dedicated")["Vpc"]
    assert vpc["InstanceTenancy"] == "dedicated"
    assert ec2.modify_vpc_tenancy(VpcId=vpc["VpcId"], InstanceTenancy="default")["ReturnValue"] is True
    assert describe_vpc(ec2, vpc["VpcId"])["InstanceTenancy"] == "default"


def test_create_vpc_with_tag_specifications(ec2):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tag_spec("vpc", Name="web", env="test"))["Vpc"]
    assert tags(vpc) == {"Name": "web", "env": "test"}
    assert tags(describe_vpc(ec2, vpc["VpcId"])) == {"Name": "web", "env": "test"}


def test_create_vpc_creates_main_route_table_with_local_route(ec2):
    """§1.1 / G5: a new VPC has exactly one (main) route table holding only the local route."""
    vpc = create_vpc(ec2, "10.3.0.0/16")
    rt = main_route_table(ec2, vpc["VpcId"])
    assert [(r.get("DestinationCidrBlock"), r["GatewayId"]) for r in rt["Routes"]] == [("10.3.0.0/16", "local")]


# ---------------------------------------------------------------- IPv6 (C1)

def test_amazon_provided_ipv6_block_is_a_56(ec2):
    """C1: AmazonProvidedIpv6CidrBlock gives the VPC one /56 with a vpc-cidr-assoc- id."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]

    def assoc():
        s = describe_vpc(ec2, vpc_id).get("Ipv6CidrBlockAssociationSet", [])
        return s if s and s[0]["Ipv6CidrBlockState"]["State"] == "associated" else None
    s = wait_until(assoc)
    assert len(s) == 1
    net = ipaddress.IPv6Network(s[0]["Ipv6CidrBlock"])
    assert net.prefixlen == 56
    assert s[0]["AssociationId"].startswith("vpc-cidr-assoc-")


def test_second_ipv6_block_refused(ec2):
    """C1: at most one IPv6 CIDR per VPC (quota 1, not adjustable, §3.1) → CidrLimitExceeded."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    assert_error("CidrLimitExceeded", ec2.associate_vpc_cidr_block, VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)


def test_associate_ipv6_later_adds_local_route(ec2):
    """C1/C9(a): associating a /56 afterwards adds a local IPv6 route to the VPC's route tables."""
    vpc = create_vpc(ec2)
    res = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], AmazonProvidedIpv6CidrBlock=True)
    assert res["Ipv6CidrBlockAssociation"]["AssociationId"].startswith("vpc-cidr-assoc-")

    def block():
        for a in describe_vpc(ec2, vpc["VpcId"]).get("Ipv6CidrBlockAssociationSet", []):
            if a["Ipv6CidrBlockState"]["State"] == "associated":
                return a["Ipv6CidrBlock"]
    v6 = wait_until(block)
    route = wait_until(lambda: route_for(main_route_table(ec2, vpc["VpcId"]), v6))
    assert route["GatewayId"] == "local"
    assert route["Origin"] == "CreateRouteTable"


# ---------------------------------------------------------------- DescribeVpcs

def test_describe_vpcs_by_id(ec2):
    a = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    got = ec2.describe_vpcs(VpcIds=[a])["Vpcs"]
    assert [v["VpcId"] for v in got] == [a]
    assert {v["VpcId"] for v in ec2.describe_vpcs(VpcIds=[a, b])["Vpcs"]} == {a, b}


def test_describe_unknown_vpc_id(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=["vpc-0123456789abcdef0"])


def test_describe_vpcs_lists_default_and_created(ec2):
    """P1: the account's default VPC is listed alongside created ones."""
    a = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    vpcs = ec2.describe_vpcs()["Vpcs"]
    ids = {v["VpcId"] for v in vpcs}
    assert a in ids
    assert sum(1 for v in vpcs if v["IsDefault"]) == 1


@pytest.fixture
def three_vpcs(ec2):
    a = ec2.create_vpc(CidrBlock="10.0.0.0/16", TagSpecifications=tag_spec("vpc", Name="web-1", tier="front"))["Vpc"]
    b = ec2.create_vpc(CidrBlock="10.1.0.0/16", TagSpecifications=tag_spec("vpc", Name="web-2"))["Vpc"]
    c = ec2.create_vpc(CidrBlock="192.168.0.0/24", TagSpecifications=tag_spec("vpc", Name="db"))["Vpc"]
    ec2.associate_vpc_cidr_block(VpcId=c["VpcId"], CidrBlock="192.168.1.0/24")
    return a["VpcId"], b["VpcId"], c["VpcId"]


def ids(ec2, *filters):
    return {v["VpcId"] for v in ec2.describe_vpcs(Filters=[{"Name": n, "Values": vs} for n, vs in filters])["Vpcs"]}


def test_filter_vpc_id(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert ids(ec2, ("vpc-id", [a, c])) == {a, c}


def test_filter_cidr(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert ids(ec2, ("cidr", ["10.1.0.0/16"])) == {b}
    assert ids(ec2, ("cidr-block-association.cidr-block", ["192.168.1.0/24"])) == {c}
    assert ids(ec2, ("cidr-block-association.cidr-block", ["192.168.0.0/24"])) == {c}


def test_filter_state_owner_default(ec2, three_vpcs):
    a, b, c = three_vpcs
    avail = ids(ec2, ("state", ["available"]))
    assert {a, b, c} <= avail
    assert ids(ec2, ("owner-id", [ACCOUNT_ID])) == avail
    assert ids(ec2, ("owner-id", ["999999999999"])) == set()
    non_default = ids(ec2, ("is-default", ["false"]))
    assert non_default == {a, b, c}
    assert len(ids(ec2, ("is-default", ["true"]))) == 1


def test_filter_dhcp_options_id(ec2, three_vpcs):
    a, b, c = three_vpcs
    dopt = describe_vpc(ec2, a)["DhcpOptionsId"]
    assert {a, b, c} <= ids(ec2, ("dhcp-options-id", [dopt]))


def test_filter_tags_and_wildcards(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert ids(ec2, ("tag:Name", ["db"])) == {c}
    assert ids(ec2, ("tag:Name", ["web-*"])) == {a, b}
    assert ids(ec2, ("tag:Name", ["web-?"])) == {a, b}
    assert ids(ec2, ("tag:Name", ["w?b-1"])) == {a}
    assert ids(ec2, ("tag-key", ["tier"])) == {a}
    assert ids(ec2, ("tag:Name", ["web-1", "db"])) == {a, c}


def test_filters_are_anded_values_ored(ec2, three_vpcs):
    a, b, c = three_vpcs
    assert ids(ec2, ("tag:Name", ["web-*"]), ("cidr", ["10.1.0.0/16", "192.168.0.0/24"])) == {b}


# ---------------------------------------------------------------- VPC attributes (§4.3, R5)

def test_dns_attribute_defaults_for_created_vpc(ec2):
    """§4.3 / R5: CreateVpc → enableDnsSupport true, enableDnsHostnames false."""
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sup = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")
    host = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert sup["VpcId"] == vpc_id
    assert sup["EnableDnsSupport"]["Value"] is True
    assert host["EnableDnsHostnames"]["Value"] is False


def test_modify_dns_attributes(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is True
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": False})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": False})
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"] is False
    assert ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"] is False


def test_vpc_attribute_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.describe_vpc_attribute,
                 VpcId="vpc-0123456789abcdef0", Attribute="enableDnsSupport")
    assert_error("InvalidVpcID.NotFound", ec2.modify_vpc_attribute,
                 VpcId="vpc-0123456789abcdef0", EnableDnsSupport={"Value": True})


# ---------------------------------------------------------------- secondary CIDR blocks (B1-B12, S11)

def cidr_states(ec2, vpc_id):
    return {a["CidrBlock"]: a["CidrBlockState"]["State"] for a in describe_vpc(ec2, vpc_id)["CidrBlockAssociationSet"]}


def test_associate_secondary_cidr(ec2):
    """S11 / B11 / B13: 10.0.0.0/16 + 10.2.0.0/16 both associated; CidrBlock stays the primary."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    res = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], CidrBlock="10.2.0.0/16")
    assert res["VpcId"] == vpc["VpcId"]
    a = res["CidrBlockAssociation"]
    assert a["CidrBlock"] == "10.2.0.0/16"
    assert a["AssociationId"].startswith("vpc-cidr-assoc-")
    assert a["CidrBlockState"]["State"] in ("associating", "associated")
    wait_until(lambda: cidr_states(ec2, vpc["VpcId"]).get("10.2.0.0/16") == "associated")
    d = describe_vpc(ec2, vpc["VpcId"])
    assert d["CidrBlock"] == "10.0.0.0/16"
    assert cidr_states(ec2, vpc["VpcId"]) == {"10.0.0.0/16": "associated", "10.2.0.0/16": "associated"}


def test_secondary_cidr_local_route_in_every_route_table(ec2):
    """B11 / G1 / S11: associating a block adds `local` for it to every RT of the VPC (main and custom)."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    custom = ec2.create_route_table(VpcId=vpc["VpcId"])["RouteTable"]["RouteTableId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], CidrBlock="10.2.0.0/16")
    wait_until(lambda: cidr_states(ec2, vpc["VpcId"]).get("10.2.0.0/16") == "associated")
    rts = route_tables_of(ec2, vpc["VpcId"])
    assert {rt["RouteTableId"] for rt in rts} >= {custom}
    assert len(rts) == 2
    for rt in rts:
        r = route_for(rt, "10.2.0.0/16")
        assert r is not None, rt
        assert r["GatewayId"] == "local"
        assert r["Origin"] == "CreateRouteTable"
        assert r["State"] == "active"


def test_subnet_in_secondary_block(ec2):
    """S11: a subnet from the secondary block can be created once associated."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], CidrBlock="10.2.0.0/16")
    wait_until(lambda: cidr_states(ec2, vpc["VpcId"]).get("10.2.0.0/16") == "associated")
    assert create_subnet(ec2, vpc["VpcId"], "10.2.1.0/24")["CidrBlock"] == "10.2.1.0/24"


@pytest.mark.parametrize("cidr", ["10.2.0.0/15", "10.2.0.0/29"])
def test_secondary_cidr_size(ec2, cidr):
    """B1: secondary blocks must be /16 … /28 → InvalidVpc.Range."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    assert_error("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=vpc["VpcId"], CidrBlock=cidr)


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.0.128.0/17", "10.0.5.0/24"])
def test_secondary_cidr_overlap(ec2, cidr):
    """B2: a block overlapping one already associated is refused (InvalidVpc.Range)."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    assert_error("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=vpc["VpcId"], CidrBlock=cidr)


def test_secondary_cidr_quota_of_five(ec2):
    """B4 / §3.1: primary + secondaries ≤ 5 → the 5th secondary fails with CidrLimitExceeded."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    for i in range(1, 5):
        ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], CidrBlock=f"10.{i}.0.0/16")
    assert_error("CidrLimitExceeded", ec2.associate_vpc_cidr_block, VpcId=vpc["VpcId"], CidrBlock="10.9.0.0/16")


@pytest.mark.parametrize("primary,secondary", [
    ("10.0.0.0/16", "192.168.0.0/16"),   # B10 row 10/8: other RFC1918 restricted
    ("10.0.0.0/16", "172.16.0.0/16"),
    ("10.0.0.0/16", "198.19.0.0/16"),    # B10 row 10/8: 198.19.0.0/16 restricted
    ("172.16.0.0/16", "10.5.0.0/16"),    # B10 row 172.16/12
    ("172.16.0.0/16", "172.31.0.0/16"),  # B10 row 172.16/12: 172.31.0.0/16 restricted
    ("192.168.0.0/16", "10.5.0.0/16"),   # B10 row 192.168/16
    ("100.64.0.0/16", "10.5.0.0/16"),    # B10 row public/100.64: all RFC1918 restricted
    ("100.64.0.0/16", "198.19.0.0/16"),
])
def test_secondary_cidr_restricted_ranges(ec2, primary, secondary):
    """B10 / S11: restricted secondaries are refused with InvalidVpc.Range."""
    vpc = create_vpc(ec2, primary)
    assert_error("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=vpc["VpcId"], CidrBlock=secondary)


@pytest.mark.parametrize("primary,secondary", [
    ("10.0.0.0/16", "100.64.0.0/16"),    # S11: accepted
    ("10.0.0.0/16", "10.5.0.0/16"),      # S11: accepted
    ("10.0.0.0/16", "54.10.0.0/16"),     # publicly routable
    ("172.16.0.0/16", "172.20.0.0/16"),
    ("192.168.0.0/16", "100.64.0.0/16"),
    ("100.64.0.0/16", "54.10.0.0/16"),
])
def test_secondary_cidr_permitted_ranges(ec2, primary, secondary):
    """B10 / S11: permitted secondaries are associated."""
    vpc = create_vpc(ec2, primary)
    res = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], CidrBlock=secondary)
    assert res["CidrBlockAssociation"]["CidrBlock"] == secondary


def test_disassociate_primary_cidr_refused(ec2):
    """B12 / AA3: the primary block cannot be disassociated."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    primary = vpc["CidrBlockAssociationSet"][0]["AssociationId"]
    assert_error("OperationNotPermitted", ec2.disassociate_vpc_cidr_block, AssociationId=primary)


def test_disassociate_secondary_with_subnet_refused_then_ok(ec2):
    """B12 / AA3: a block can be disassociated only after all subnets in it are deleted."""
    vpc = create_vpc(ec2, "10.0.0.0/16")
    assoc = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], CidrBlock="10.2.0.0/16")["CidrBlockAssociation"]
    wait_until(lambda: cidr_states(ec2, vpc["VpcId"]).get("10.2.0.0/16") == "associated")
    sub = create_subnet(ec2, vpc["VpcId"], "10.2.3.0/24")
    assert_error("InvalidCidrBlock.InUse", ec2.disassociate_vpc_cidr_block, AssociationId=assoc["AssociationId"])
    ec2.delete_subnet(SubnetId=sub["SubnetId"])
    res = ec2.disassociate_vpc_cidr_block(AssociationId=assoc["AssociationId"])
    assert res["CidrBlockAssociation"]["CidrBlockState"]["State"] in ("disassociating", "disassociated")
    wait_until(lambda: cidr_states(ec2, vpc["VpcId"]).get("10.2.0.0/16") in (None, "disassociated"))
    # its local route disappears again
    wait_until(lambda: route_for(main_route_table(ec2, vpc["VpcId"]), "10.2.0.0/16") is None)


def test_associate_cidr_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.associate_vpc_cidr_block,
                 VpcId="vpc-0123456789abcdef0", CidrBlock="10.2.0.0/16")


# ---------------------------------------------------------------- DeleteVpc (AA1)

def test_delete_vpc_simple(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.delete_vpc(VpcId=vpc_id)
    assert_error("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[vpc_id])


def test_delete_vpc_removes_main_route_table(ec2):
    """AA1: the main RT goes with the VPC."""
    vpc = create_vpc(ec2)
    rtb = main_route_table(ec2, vpc["VpcId"])["RouteTableId"]
    ec2.delete_vpc(VpcId=vpc["VpcId"])
    assert_error("InvalidRouteTableID.NotFound", ec2.describe_route_tables, RouteTableIds=[rtb])


def test_delete_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.delete_vpc, VpcId="vpc-0123456789abcdef0")


def test_delete_vpc_with_subnet(ec2):
    """AA1: a VPC with a subnet cannot be deleted (DependencyViolation); after DeleteSubnet it can."""
    vpc = create_vpc(ec2)
    sub = create_subnet(ec2, vpc["VpcId"], "10.0.1.0/24")
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc["VpcId"])
    ec2.delete_subnet(SubnetId=sub["SubnetId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_delete_vpc_with_attached_igw(ec2):
    """AA1: an attached IGW blocks DeleteVpc; detach + delete first."""
    vpc = create_vpc(ec2)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc["VpcId"])
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc["VpcId"])
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc["VpcId"])
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_delete_vpc_with_custom_route_table(ec2):
    """AA1: a custom route table blocks DeleteVpc."""
    vpc = create_vpc(ec2)
    rtb = ec2.create_route_table(VpcId=vpc["VpcId"])["RouteTable"]["RouteTableId"]
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc["VpcId"])
    ec2.delete_route_table(RouteTableId=rtb)
    ec2.delete_vpc(VpcId=vpc["VpcId"])


def test_delete_vpc_with_egress_only_igw(ec2):
    """AA13 (IPv6 variant): the EIGW must be deleted before the VPC."""
    vpc = create_vpc(ec2, AmazonProvidedIpv6CidrBlock=True)
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc["VpcId"])["EgressOnlyInternetGateway"]
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc["VpcId"])
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw["EgressOnlyInternetGatewayId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])


# ---------------------------------------------------------------- VPC quota (§3.1)

def test_vpc_quota_five_per_region_including_default(ec2):
    """§3.1: 5 VPCs per Region; the default VPC counts, so 4 more succeed and the next is VpcLimitExceeded."""
    for i in range(4):
        ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")
    assert_error("VpcLimitExceeded", ec2.create_vpc, CidrBlock="10.9.0.0/16")
    vpcs = ec2.describe_vpcs()["Vpcs"]
    assert len(vpcs) == 5
    assert sum(v["IsDefault"] for v in vpcs) == 1


def test_vpc_quota_frees_after_delete(ec2):
    created = [ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in range(4)]
    assert_error("VpcLimitExceeded", ec2.create_vpc, CidrBlock="10.9.0.0/16")
    ec2.delete_vpc(VpcId=created[0])
    assert ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["CidrBlock"] == "10.9.0.0/16"


def test_vpc_quota_is_per_region(ec2_factory):
    us = ec2_factory("us-east-1")
    eu = ec2_factory("eu-west-1")
    for i in range(4):
        us.create_vpc(CidrBlock=f"10.{i}.0.0/16")
    assert eu.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"].startswith("vpc-")
