"""Internet gateways and egress-only internet gateways.

Rule ids (§1.6, §1.7, AA5, G13, J1) refer to shared/spec/inventory-vpc-guide.md.
"""
import uuid

import pytest

from helpers import (ACCOUNT_ID, assert_error, create_vpc, describe_rt, fast_waiter, route_for, tag_spec, tags)


@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


def igw_of(ec2, igw_id):
    return ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])["InternetGateways"][0]


# ---------------------------------------------------------------- internet gateways (§1.6)

def test_create_internet_gateway_detached(ec2):
    """§1.6: lifecycle starts detached."""
    gw = ec2.create_internet_gateway()["InternetGateway"]
    assert gw["InternetGatewayId"].startswith("igw-")
    assert gw["Attachments"] == []
    assert gw["OwnerId"] == ACCOUNT_ID
    assert igw_of(ec2, gw["InternetGatewayId"])["Attachments"] == []


def test_create_internet_gateway_tags(ec2):
    gw = ec2.create_internet_gateway(TagSpecifications=tag_spec("internet-gateway", Name="gw"))["InternetGateway"]
    assert tags(gw) == {"Name": "gw"}
    assert tags(igw_of(ec2, gw["InternetGatewayId"])) == {"Name": "gw"}


def test_attach_internet_gateway(ec2, vpc):
    """An attached IGW reports attachment state 'available' (the API's value for attached IGWs)."""
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    assert igw_of(ec2, gw)["Attachments"] == [{"State": "available", "VpcId": vpc}]


def test_second_igw_on_same_vpc_refused(ec2, vpc):
    """§1.6 / §3.1: one IGW per VPC at a time → Resource.AlreadyAssociated."""
    a = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    b = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=a, VpcId=vpc)
    assert_error("Resource.AlreadyAssociated", ec2.attach_internet_gateway, InternetGatewayId=b, VpcId=vpc)
    assert igw_of(ec2, b)["Attachments"] == []


def test_igw_attached_elsewhere_refused(ec2, vpc):
    """An IGW attaches to one VPC only → Resource.AlreadyAssociated."""
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    assert_error("Resource.AlreadyAssociated", ec2.attach_internet_gateway, InternetGatewayId=gw, VpcId=other)
    assert_error("Resource.AlreadyAssociated", ec2.attach_internet_gateway, InternetGatewayId=gw, VpcId=vpc)


def test_attach_unknown(ec2, vpc):
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert_error("InvalidInternetGatewayID.NotFound", ec2.attach_internet_gateway,
                 InternetGatewayId="igw-0123456789abcdef0", VpcId=vpc)
    assert_error("InvalidVpcID.NotFound", ec2.attach_internet_gateway,
                 InternetGatewayId=gw, VpcId="vpc-0123456789abcdef0")


def test_detach_internet_gateway(ec2, vpc):
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    ec2.detach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    assert igw_of(ec2, gw)["Attachments"] == []
    # a detached IGW can be attached again (and elsewhere)
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=other)
    assert igw_of(ec2, gw)["Attachments"] == [{"State": "available", "VpcId": other}]


def test_detach_not_attached(ec2, vpc):
    """Detaching an IGW from a VPC it is not attached to → Gateway.NotAttached."""
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    assert_error("Gateway.NotAttached", ec2.detach_internet_gateway, InternetGatewayId=gw, VpcId=vpc)
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=other)
    assert_error("Gateway.NotAttached", ec2.detach_internet_gateway, InternetGatewayId=gw, VpcId=vpc)


def test_delete_attached_igw_refused(ec2, vpc):
    """AA5: DeleteInternetGateway while attached → DependencyViolation."""
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    assert_error("DependencyViolation", ec2.delete_internet_gateway, InternetGatewayId=gw)
    ec2.detach_internet_gateway(InternetGatewayId=gw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=gw)
    assert_error("InvalidInternetGatewayID.NotFound", ec2.describe_internet_gateways, InternetGatewayIds=[gw])


def test_delete_unknown_igw(ec2):
    assert_error("InvalidInternetGatewayID.NotFound", ec2.delete_internet_gateway,
                 InternetGatewayId="igw-0123456789abcdef0")


def test_describe_unknown_igw(ec2):
    assert_error("InvalidInternetGatewayID.NotFound", ec2.describe_internet_gateways,
                 InternetGatewayIds=["igw-0123456789abcdef0"])


def test_igw_filters(ec2, vpc):
    a = ec2.create_internet_gateway(TagSpecifications=tag_spec("internet-gateway", Name="a"))["InternetGateway"]
    b = ec2.create_internet_gateway(TagSpecifications=tag_spec("internet-gateway", Name="b"))["InternetGateway"]
    a, b = a["InternetGatewayId"], b["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=a, VpcId=vpc)

    def f(*filters):
        return {g["InternetGatewayId"] for g in ec2.describe_internet_gateways(
            Filters=[{"Name": n, "Values": v} for n, v in filters])["InternetGateways"]}
    assert f(("attachment.vpc-id", [vpc])) == {a}
    assert a in f(("attachment.state", ["available"]))
    assert b not in f(("attachment.state", ["available"]))
    assert f(("internet-gateway-id", [b])) == {b}
    assert f(("tag:Name", ["b"])) == {b}
    assert f(("tag-key", ["Name"])) == {a, b}
    assert {a, b} <= f(("owner-id", [ACCOUNT_ID]))


def test_internet_gateway_exists_waiter(ec2):
    gw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    waiter, cfg = fast_waiter(ec2, "internet_gateway_exists")
    waiter.wait(InternetGatewayIds=[gw], WaiterConfig=cfg)


# ---------------------------------------------------------------- egress-only internet gateways (§1.7)

@pytest.fixture
def vpc6(ec2):
    return create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]


def eigws(ec2, **kw):
    return ec2.describe_egress_only_internet_gateways(**kw)["EgressOnlyInternetGateways"]


def test_create_eigw_is_attached(ec2, vpc6):
    """§1.7 / S10 step 4: an EIGW is created attached to the VPC."""
    res = ec2.create_egress_only_internet_gateway(VpcId=vpc6)["EgressOnlyInternetGateway"]
    assert res["EgressOnlyInternetGatewayId"].startswith("eigw-")
    assert res["Attachments"] == [{"State": "attached", "VpcId": vpc6}]
    got = eigws(ec2, EgressOnlyInternetGatewayIds=[res["EgressOnlyInternetGatewayId"]])
    assert len(got) == 1
    assert got[0]["Attachments"] == [{"State": "attached", "VpcId": vpc6}]


def test_create_eigw_client_token(ec2, vpc6):
    token = str(uuid.uuid4())
    a = ec2.create_egress_only_internet_gateway(VpcId=vpc6, ClientToken=token)
    b = ec2.create_egress_only_internet_gateway(VpcId=vpc6, ClientToken=token)
    assert a["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"] == \
        b["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    assert a["ClientToken"] == token
    assert len(eigws(ec2)) == 1


def test_create_eigw_tags(ec2, vpc6):
    g = ec2.create_egress_only_internet_gateway(
        VpcId=vpc6, TagSpecifications=tag_spec("egress-only-internet-gateway", Name="v6out"))["EgressOnlyInternetGateway"]
    assert tags(g) == {"Name": "v6out"}
    assert tags(eigws(ec2, EgressOnlyInternetGatewayIds=[g["EgressOnlyInternetGatewayId"]])[0]) == {"Name": "v6out"}


def test_create_eigw_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.create_egress_only_internet_gateway, VpcId="vpc-0123456789abcdef0")


def test_describe_eigw_filters(ec2, vpc6):
    g = ec2.create_egress_only_internet_gateway(
        VpcId=vpc6, TagSpecifications=tag_spec("egress-only-internet-gateway", env="x"))["EgressOnlyInternetGateway"]
    gid = g["EgressOnlyInternetGatewayId"]
    assert [x["EgressOnlyInternetGatewayId"] for x in
            eigws(ec2, Filters=[{"Name": "tag:env", "Values": ["x"]}])] == [gid]
    assert eigws(ec2, Filters=[{"Name": "tag:env", "Values": ["y"]}]) == []
    assert [x["EgressOnlyInternetGatewayId"] for x in
            eigws(ec2, Filters=[{"Name": "tag-key", "Values": ["env"]}])] == [gid]


def test_delete_eigw(ec2, vpc6):
    gid = ec2.create_egress_only_internet_gateway(VpcId=vpc6)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    assert ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=gid)["ReturnCode"] is True
    assert gid not in {x["EgressOnlyInternetGatewayId"] for x in eigws(ec2)}


def test_eigw_route_and_blackhole(ec2, vpc6):
    """S10 step 4 / G13: ::/0 → eigw is active, and turns blackhole once the EIGW is deleted."""
    gid = ec2.create_egress_only_internet_gateway(VpcId=vpc6)["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    rtb = ec2.create_route_table(VpcId=vpc6)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=gid)
    r = route_for(describe_rt(ec2, rtb), "::/0")
    assert r["EgressOnlyInternetGatewayId"] == gid and r["State"] == "active"
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=gid)
    assert route_for(describe_rt(ec2, rtb), "::/0")["State"] == "blackhole"
