"""Route tables, routes and associations.

Rule ids (A10, G1, G5-G10, G12, G13, AA8, §4.3) refer to shared/spec/inventory-vpc-guide.md.
"""
import uuid

import pytest

from helpers import (ACCOUNT_ID, assert_error, create_subnet, create_vpc, describe_rt, main_route_table,
                     route_for, tag_spec, tags, vpc_ipv6_block, wait_until)


@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


@pytest.fixture
def igw(ec2, vpc):
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    return gw


@pytest.fixture
def rtb(ec2, vpc):
    return ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]


def associations(rt, subnet_id=None):
    return [a for a in rt.get("Associations", []) if subnet_id is None or a.get("SubnetId") == subnet_id]


# ---------------------------------------------------------------- main route table (G5, G7)

def test_main_route_table(ec2, vpc):
    """G5: a new VPC has exactly one main RT, with only the local route."""
    rts = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(rts) == 1
    rt = rts[0]
    assert rt["RouteTableId"].startswith("rtb-")
    assert rt["OwnerId"] == ACCOUNT_ID
    mains = [a for a in rt["Associations"] if a["Main"]]
    assert len(mains) == 1
    assert mains[0]["RouteTableAssociationId"].startswith("rtbassoc-")
    assert mains[0]["RouteTableId"] == rt["RouteTableId"]
    assert "SubnetId" not in mains[0]
    assert mains[0]["AssociationState"]["State"] == "associated"
    assert len(rt["Routes"]) == 1
    local = rt["Routes"][0]
    assert local == {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local",
                     "Origin": "CreateRouteTable", "State": "active"}


def test_main_route_table_ipv6_local(ec2):
    """G1: one local route per IPv4 CIDR and one for the IPv6 /56."""
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    block = vpc_ipv6_block(ec2, v)
    rt = main_route_table(ec2, v)
    r6 = route_for(rt, block)
    assert r6 is not None and r6["GatewayId"] == "local" and r6["Origin"] == "CreateRouteTable"
    assert r6["State"] == "active"


def test_new_subnet_is_implicitly_on_main(ec2, vpc):
    """G7 / D3: a subnet without explicit association uses the main RT; no explicit association is listed."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    rt = main_route_table(ec2, vpc)
    assert associations(rt, sid) == []
    assert ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [sid]}])["RouteTables"] == []


# ---------------------------------------------------------------- CreateRouteTable (G5)

def test_create_route_table(ec2, vpc):
    """G5 / §4.3: a custom RT has only local routes, no associations, state active, origin CreateRouteTable."""
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]
    assert rt["RouteTableId"].startswith("rtb-")
    assert rt["VpcId"] == vpc
    assert rt["OwnerId"] == ACCOUNT_ID
    assert rt["Associations"] == []
    assert rt.get("PropagatingVgws", []) == []
    assert rt["Routes"] == [{"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local",
                             "Origin": "CreateRouteTable", "State": "active"}]


def test_create_route_table_tags(ec2, vpc):
    rt = ec2.create_route_table(VpcId=vpc, TagSpecifications=tag_spec("route-table", Name="public"))["RouteTable"]
    assert tags(rt) == {"Name": "public"}
    assert tags(describe_rt(ec2, rt["RouteTableId"])) == {"Name": "public"}


def test_create_route_table_client_token_idempotent(ec2, vpc):
    token = str(uuid.uuid4())
    a = ec2.create_route_table(VpcId=vpc, ClientToken=token)
    b = ec2.create_route_table(VpcId=vpc, ClientToken=token)
    assert a["RouteTable"]["RouteTableId"] == b["RouteTable"]["RouteTableId"]
    assert a["ClientToken"] == token
    rts = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]
    assert len(rts) == 2


def test_create_route_table_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.create_route_table, VpcId="vpc-0123456789abcdef0")


def test_describe_unknown_route_table(ec2):
    assert_error("InvalidRouteTableID.NotFound", ec2.describe_route_tables, RouteTableIds=["rtb-0123456789abcdef0"])


# ---------------------------------------------------------------- CreateRoute / ReplaceRoute / DeleteRoute

def test_create_route_to_igw(ec2, vpc, igw, rtb):
    """S9 step 5: the user route shows State active, Origin CreateRoute."""
    assert ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)["Return"] is True
    rt = describe_rt(ec2, rtb)
    r = route_for(rt, "0.0.0.0/0")
    assert r == {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": igw, "Origin": "CreateRoute", "State": "active"}
    assert route_for(rt, "10.0.0.0/16")["GatewayId"] == "local"


def test_create_route_ipv6_to_igw(ec2):
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=v)
    rtb = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", GatewayId=gw)
    r = route_for(describe_rt(ec2, rtb), "::/0")
    assert r["GatewayId"] == gw and r["Origin"] == "CreateRoute" and r["State"] == "active"
    assert "DestinationCidrBlock" not in r


def test_create_route_to_eigw(ec2):
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=v)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    rtb = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    r = route_for(describe_rt(ec2, rtb), "::/0")
    assert r["EgressOnlyInternetGatewayId"] == eigw
    assert r["State"] == "active" and r["Origin"] == "CreateRoute"


def test_route_already_exists(ec2, igw, rtb):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert_error("RouteAlreadyExists", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                 GatewayId=igw)


def test_route_destination_canonicalised(ec2, igw, rtb):
    """A10: CreateRoute stores 100.68.0.18/18 as 100.68.0.0/18."""
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="100.68.0.18/18", GatewayId=igw)
    rt = describe_rt(ec2, rtb)
    assert route_for(rt, "100.68.0.0/18")["GatewayId"] == igw
    assert route_for(rt, "100.68.0.18/18") is None
    # the canonical form now exists, so the same destination again is a duplicate
    assert_error("RouteAlreadyExists", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="100.68.0.0/18",
                 GatewayId=igw)


def test_route_to_single_ip(ec2, igw, rtb):
    """G12: a destination may be a single IP (/32)."""
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="203.0.113.7/32", GatewayId=igw)
    assert route_for(describe_rt(ec2, rtb), "203.0.113.7/32")["GatewayId"] == igw


def test_create_route_unknown_table(ec2, igw):
    assert_error("InvalidRouteTableID.NotFound", ec2.create_route, RouteTableId="rtb-0123456789abcdef0",
                 DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)


def test_create_route_malformed_destination(ec2, igw, rtb):
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=rtb,
                 DestinationCidrBlock="0.0.0.0/33", GatewayId=igw)


def test_replace_route(ec2, vpc, igw, rtb):
    """G12: user routes can be modified (ReplaceRoute)."""
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    igw2 = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw2, VpcId=vpc)
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw2)
    r = route_for(describe_rt(ec2, rtb), "0.0.0.0/0")
    assert r["GatewayId"] == igw2
    assert r["State"] == "active"
    assert r["Origin"] == "CreateRoute"


def test_replace_route_that_does_not_exist(ec2, igw, rtb):
    """ReplaceRoute needs an existing route (AWS: 'There is no route defined … Use CreateRoute instead')."""
    assert_error("InvalidParameterValue", ec2.replace_route, RouteTableId=rtb,
                 DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)


def test_delete_route(ec2, igw, rtb):
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    assert route_for(describe_rt(ec2, rtb), "0.0.0.0/0") is None


def test_delete_missing_route(ec2, rtb):
    assert_error("InvalidRoute.NotFound", ec2.delete_route, RouteTableId=rtb, DestinationCidrBlock="192.0.2.0/24")


def test_local_route_cannot_be_deleted(ec2, vpc, rtb):
    """G1: local routes cannot be deleted → InvalidParameterValue, both in custom and main RTs."""
    assert_error("InvalidParameterValue", ec2.delete_route, RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16")
    main = main_route_table(ec2, vpc)["RouteTableId"]
    assert_error("InvalidParameterValue", ec2.delete_route, RouteTableId=main, DestinationCidrBlock="10.0.0.0/16")
    assert route_for(describe_rt(ec2, rtb), "10.0.0.0/16")["GatewayId"] == "local"


def test_routes_in_main_table(ec2, vpc, igw):
    """§1.5: user routes may be added to the main RT as well."""
    main = main_route_table(ec2, vpc)["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert route_for(describe_rt(ec2, main), "0.0.0.0/0")["GatewayId"] == igw


# ---------------------------------------------------------------- blackhole (G13)

def test_route_to_deleted_eigw_turns_blackhole(ec2):
    """G13: a route whose EIGW is deleted stays, with State blackhole, until removed."""
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=v)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    rtb = ec2.create_route_table(VpcId=v)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)
    r = wait_until(lambda: (lambda x: x if x and x["State"] == "blackhole" else None)(
        route_for(describe_rt(ec2, rtb), "::/0")))
    assert r["EgressOnlyInternetGatewayId"] == eigw
    found = ec2.describe_route_tables(Filters=[{"Name": "route.state", "Values": ["blackhole"]}])["RouteTables"]
    assert [t["RouteTableId"] for t in found] == [rtb]
    ec2.delete_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0")
    assert route_for(describe_rt(ec2, rtb), "::/0") is None


# ---------------------------------------------------------------- associations (G6-G9)

def test_associate_route_table(ec2, vpc, rtb):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    res = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)
    assoc_id = res["AssociationId"]
    assert assoc_id.startswith("rtbassoc-")
    assert res["AssociationState"]["State"] == "associated"
    a = associations(describe_rt(ec2, rtb), sid)
    assert len(a) == 1
    assert a[0]["RouteTableAssociationId"] == assoc_id
    assert a[0]["Main"] is False
    assert a[0]["RouteTableId"] == rtb
    assert a[0]["AssociationState"]["State"] == "associated"


def test_one_route_table_many_subnets(ec2, vpc, rtb):
    """G9: an RT may serve many subnets."""
    s1 = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    s2 = create_subnet(ec2, vpc, "10.0.2.0/24")["SubnetId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=s1)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=s2)
    assert {a["SubnetId"] for a in associations(describe_rt(ec2, rtb))} == {s1, s2}


def test_subnet_already_associated(ec2, vpc, rtb):
    """G9: a subnet has one RT at a time → a second explicit association is Resource.AlreadyAssociated."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)
    assert_error("Resource.AlreadyAssociated", ec2.associate_route_table, RouteTableId=other, SubnetId=sid)


def test_associate_subnet_of_other_vpc_refused(ec2, vpc, rtb):
    other_vpc = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    sid = create_subnet(ec2, other_vpc, "10.1.1.0/24")["SubnetId"]
    assert_error("InvalidParameterValue", ec2.associate_route_table, RouteTableId=rtb, SubnetId=sid)


def test_associate_unknown_ids(ec2, vpc, rtb):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    assert_error("InvalidRouteTableID.NotFound", ec2.associate_route_table,
                 RouteTableId="rtb-0123456789abcdef0", SubnetId=sid)
    assert_error("InvalidSubnetID.NotFound", ec2.associate_route_table,
                 RouteTableId=rtb, SubnetId="subnet-0123456789abcdef0")


def test_disassociate_falls_back_to_main(ec2, vpc, rtb):
    """G8: after DisassociateRouteTable the subnet is implicitly on the main RT again."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)["AssociationId"]
    ec2.disassociate_route_table(AssociationId=assoc)
    assert associations(describe_rt(ec2, rtb)) == []
    assert ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [sid]}])["RouteTables"] == []
    # the subnet can now be associated again
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)


def test_disassociate_unknown_association(ec2):
    assert_error("InvalidAssociationID.NotFound", ec2.disassociate_route_table,
                 AssociationId="rtbassoc-0123456789abcdef0")


def test_replace_subnet_association(ec2, vpc, rtb):
    """§1.5: ReplaceRouteTableAssociation moves a subnet to another RT with a new association id."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)["AssociationId"]
    res = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=other)
    new = res["NewAssociationId"]
    assert new.startswith("rtbassoc-")
    assert res["AssociationState"]["State"] == "associated"
    assert associations(describe_rt(ec2, rtb)) == []
    a = associations(describe_rt(ec2, other), sid)
    assert [x["RouteTableAssociationId"] for x in a] == [new]


def test_replace_main_association(ec2, vpc, rtb):
    """G6 / G7: the main association can be moved to a custom RT; the old main becomes deletable."""
    old_main = main_route_table(ec2, vpc)
    main_assoc = [a for a in old_main["Associations"] if a["Main"]][0]["RouteTableAssociationId"]
    res = ec2.replace_route_table_association(AssociationId=main_assoc, RouteTableId=rtb)
    assert res["NewAssociationId"].startswith("rtbassoc-")
    new_main = main_route_table(ec2, vpc)
    assert new_main["RouteTableId"] == rtb
    assert [a["Main"] for a in new_main["Associations"]] == [True]
    assert not [a for a in describe_rt(ec2, old_main["RouteTableId"])["Associations"] if a["Main"]]
    ec2.delete_route_table(RouteTableId=old_main["RouteTableId"])


def test_replace_main_changes_implicit_subnets(ec2, vpc, rtb, igw):
    """G7: replacing the main RT changes the table of every implicitly associated subnet."""
    create_subnet(ec2, vpc, "10.0.1.0/24")
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    main_assoc = [a for a in main_route_table(ec2, vpc)["Associations"] if a["Main"]][0]["RouteTableAssociationId"]
    ec2.replace_route_table_association(AssociationId=main_assoc, RouteTableId=rtb)
    assert route_for(main_route_table(ec2, vpc), "0.0.0.0/0")["GatewayId"] == igw


def test_disassociate_main_association_refused(ec2, vpc):
    """G8: the main association cannot be disassociated, only replaced."""
    main_assoc = [a for a in main_route_table(ec2, vpc)["Associations"] if a["Main"]][0]["RouteTableAssociationId"]
    assert_error("InvalidParameterValue", ec2.disassociate_route_table, AssociationId=main_assoc)


# ---------------------------------------------------------------- DeleteRouteTable (G10, AA8)

def test_delete_route_table(ec2, rtb):
    ec2.delete_route_table(RouteTableId=rtb)
    assert_error("InvalidRouteTableID.NotFound", ec2.describe_route_tables, RouteTableIds=[rtb])


def test_delete_route_table_with_association(ec2, vpc, rtb):
    """G10 / AA8: an RT with subnet associations cannot be deleted."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)["AssociationId"]
    assert_error("DependencyViolation", ec2.delete_route_table, RouteTableId=rtb)
    ec2.disassociate_route_table(AssociationId=assoc)
    ec2.delete_route_table(RouteTableId=rtb)


def test_delete_main_route_table(ec2, vpc):
    """G6 / G10 / AA8: the main RT can never be deleted."""
    main = main_route_table(ec2, vpc)["RouteTableId"]
    assert_error("DependencyViolation", ec2.delete_route_table, RouteTableId=main)


def test_delete_unknown_route_table(ec2):
    assert_error("InvalidRouteTableID.NotFound", ec2.delete_route_table, RouteTableId="rtb-0123456789abcdef0")


# ---------------------------------------------------------------- filters

@pytest.fixture
def tables(ec2, vpc, igw, rtb):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sid)["AssociationId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    main = main_route_table(ec2, vpc)["RouteTableId"]
    return {"vpc": vpc, "igw": igw, "rtb": rtb, "main": main, "subnet": sid, "assoc": assoc}


def rtbs(ec2, *filters):
    return {r["RouteTableId"] for r in
            ec2.describe_route_tables(Filters=[{"Name": n, "Values": v} for n, v in filters])["RouteTables"]}


def test_filter_ids_and_vpc(ec2, tables):
    t = tables
    assert rtbs(ec2, ("route-table-id", [t["rtb"]])) == {t["rtb"]}
    assert rtbs(ec2, ("vpc-id", [t["vpc"]])) == {t["rtb"], t["main"]}


def test_filter_association(ec2, tables):
    t = tables
    assert rtbs(ec2, ("vpc-id", [t["vpc"]]), ("association.main", ["true"])) == {t["main"]}
    assert rtbs(ec2, ("vpc-id", [t["vpc"]]), ("association.main", ["false"])) == {t["rtb"]}
    assert rtbs(ec2, ("association.subnet-id", [t["subnet"]])) == {t["rtb"]}
    assert rtbs(ec2, ("association.route-table-association-id", [t["assoc"]])) == {t["rtb"]}


def test_filter_routes(ec2, tables):
    t = tables
    assert rtbs(ec2, ("route.destination-cidr-block", ["0.0.0.0/0"])) & {t["rtb"], t["main"]} == {t["rtb"]}
    assert rtbs(ec2, ("route.gateway-id", [t["igw"]])) == {t["rtb"]}
    assert rtbs(ec2, ("vpc-id", [t["vpc"]]), ("route.gateway-id", ["local"])) == {t["rtb"], t["main"]}
    assert rtbs(ec2, ("vpc-id", [t["vpc"]]), ("route.state", ["active"])) == {t["rtb"], t["main"]}
    assert rtbs(ec2, ("vpc-id", [t["vpc"]]), ("route.state", ["blackhole"])) == set()
    assert rtbs(ec2, ("vpc-id", [t["vpc"]]), ("route.origin", ["CreateRoute"])) == {t["rtb"]}
    assert rtbs(ec2, ("vpc-id", [t["vpc"]]), ("route.origin", ["CreateRouteTable"])) == {t["rtb"], t["main"]}


def test_filter_tags(ec2, vpc):
    a = ec2.create_route_table(VpcId=vpc, TagSpecifications=tag_spec("route-table", Name="pub"))["RouteTable"]
    ec2.create_route_table(VpcId=vpc, TagSpecifications=tag_spec("route-table", Name="priv"))
    assert rtbs(ec2, ("tag:Name", ["pub"])) == {a["RouteTableId"]}
    assert len(rtbs(ec2, ("tag:Name", ["p*"]))) == 2
    assert len(rtbs(ec2, ("tag-key", ["Name"]))) == 2


# ---------------------------------------------------------------- gateway route tables (H1 … H3)

def test_gateway_route_table_routes(ec2, vpc, igw, rtb):
    """H1-H3: a route table associated with an internet gateway routes only a whole CIDR block of
    the VPC or of one of its subnets, to an interface or an instance (or local); associating one
    whose routes are otherwise is refused, and so are such routes once it is associated."""
    subnet = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    assert_error("InvalidParameterValue", ec2.associate_route_table, RouteTableId=rtb, GatewayId=igw)  # H3
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="10.0.1.0/24", NetworkInterfaceId=eni)
    assoc = ec2.associate_route_table(RouteTableId=rtb, GatewayId=igw)["AssociationId"]
    # H2: another target, a destination outside the VPC, part of a subnet: refused.
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                 GatewayId=igw)
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/24",
                 NetworkInterfaceId=eni)
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="10.0.1.0/25",
                 NetworkInterfaceId=eni)
    assert_error("InvalidParameterValue", ec2.replace_route, RouteTableId=rtb, DestinationCidrBlock="10.0.1.0/24",
                 GatewayId=igw)
    # The VPC's whole block to an interface: the local route replaced (H5).
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16", NetworkInterfaceId=eni)
    ec2.replace_route(RouteTableId=rtb, DestinationCidrBlock="10.0.0.0/16", LocalTarget=True)
    # Disassociated, it is an ordinary table again.
    ec2.disassociate_route_table(AssociationId=assoc)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
