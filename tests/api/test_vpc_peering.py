"""VPC peering connections (issue 3): Create/Accept/Reject/Delete/Describe/ModifyOptions.

Rule ids (T1-T6, B7, B8, G13, G16, AA1) refer to shared/spec/inventory-vpc-guide.md; the
lifecycle is the VPC Peering Guide's ("VPC peering connection lifecycle").
"""
import pytest

from helpers import (ACCOUNT_ID, OTHER_ACCOUNT_ID, assert_error, create_vpc, describe_rt, fast_waiter,
                     main_route_table, tag_spec, tags)


def pcx_of(ec2, pcx_id):
    return ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pcx_id])["VpcPeeringConnections"][0]


def route_to(ec2, rtb_id, dest):
    return next(r for r in describe_rt(ec2, rtb_id)["Routes"] if r.get("DestinationCidrBlock") == dest)


@pytest.fixture
def pair(ec2):
    """Two non-overlapping VPCs of the default account in us-east-1."""
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"], create_vpc(ec2, "10.1.0.0/16")["VpcId"]


# ---------------------------------------------------------------- same account

def test_create_same_account_lifecycle(ec2, pair):
    """T1, T5: initiating-request -> pending-acceptance (expires in 168 h) -> active."""
    a, b = pair
    created = ec2.create_vpc_peering_connection(
        VpcId=a, PeerVpcId=b, TagSpecifications=tag_spec("vpc-peering-connection", Name="a-b"))["VpcPeeringConnection"]
    pcx = created["VpcPeeringConnectionId"]
    assert pcx.startswith("pcx-")
    assert created["Status"] == {"Code": "initiating-request", "Message": f"Initiating Request to {ACCOUNT_ID}"}
    assert created["RequesterVpcInfo"]["VpcId"] == a
    assert created["RequesterVpcInfo"]["CidrBlock"] == "10.0.0.0/16"
    assert created["RequesterVpcInfo"]["Region"] == "us-east-1"
    assert created["AccepterVpcInfo"] == {"OwnerId": ACCOUNT_ID, "VpcId": b, "Region": "us-east-1"}
    assert tags(created) == {"Name": "a-b"}

    waiter, cfg = fast_waiter(ec2, "vpc_peering_connection_exists")
    waiter.wait(VpcPeeringConnectionIds=[pcx], WaiterConfig=cfg)
    pending = pcx_of(ec2, pcx)
    assert pending["Status"] == {"Code": "pending-acceptance", "Message": f"Pending Acceptance by {ACCOUNT_ID}"}
    assert (pending["ExpirationTime"] - pending["ExpirationTime"].now(pending["ExpirationTime"].tzinfo)).days in (6, 7)
    assert "CidrBlock" not in pending["AccepterVpcInfo"]  # not revealed before acceptance

    accepted = ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)["VpcPeeringConnection"]
    assert accepted["Status"] == {"Code": "active", "Message": "Active"}
    assert accepted["AccepterVpcInfo"]["CidrBlock"] == "10.1.0.0/16"
    assert accepted["AccepterVpcInfo"]["CidrBlockSet"] == [{"CidrBlock": "10.1.0.0/16"}]
    assert accepted["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False
    assert "ExpirationTime" not in accepted
    assert pcx_of(ec2, pcx)["Status"]["Code"] == "active"


def test_routes_both_sides_and_blackhole_after_delete(ec2, pair):
    """G16, T1: both VPCs route to the pcx; G13: after DeleteVpcPeeringConnection the routes stay as blackhole."""
    a, b = pair
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    rt_a, rt_b = main_route_table(ec2, a)["RouteTableId"], main_route_table(ec2, b)["RouteTableId"]
    # A pending connection may be a target already; the route is a blackhole until it is active.
    ec2.create_route(RouteTableId=rt_a, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    assert route_to(ec2, rt_a, "10.1.0.0/16")["State"] == "blackhole"
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_route(RouteTableId=rt_b, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
    for rt, dest in ((rt_a, "10.1.0.0/16"), (rt_b, "10.0.0.0/16")):
        r = route_to(ec2, rt, dest)
        assert r["VpcPeeringConnectionId"] == pcx and r["State"] == "active"
    assert ec2.describe_route_tables(Filters=[{"Name": "route.vpc-peering-connection-id", "Values": [pcx]}])[
        "RouteTables"]

    assert ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)["Return"] is True
    waiter, cfg = fast_waiter(ec2, "vpc_peering_connection_deleted")
    waiter.wait(VpcPeeringConnectionIds=[pcx], WaiterConfig=cfg)
    assert pcx_of(ec2, pcx)["Status"] == {"Code": "deleted", "Message": f"Deleted by {ACCOUNT_ID}"}
    for rt, dest in ((rt_a, "10.1.0.0/16"), (rt_b, "10.0.0.0/16")):
        assert route_to(ec2, rt, dest)["State"] == "blackhole"
    assert_error("InvalidVpcPeeringConnectionID.NotFound", ec2.create_route, RouteTableId=rt_a,
                 DestinationCidrBlock="10.9.0.0/16", VpcPeeringConnectionId=pcx)


def test_route_target_must_be_a_side(ec2, pair):
    """G16: the route table's VPC must be one of the connection's VPCs."""
    a, b = pair
    c = create_vpc(ec2, "10.2.0.0/16")["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=main_route_table(ec2, c)["RouteTableId"],
                 DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    assert_error("InvalidVpcPeeringConnectionID.NotFound", ec2.create_route,
                 RouteTableId=main_route_table(ec2, a)["RouteTableId"], DestinationCidrBlock="10.1.0.0/16",
                 VpcPeeringConnectionId="pcx-0123456789abcdef0")


def test_overlapping_cidrs_fail(ec2):
    """T4 / API Reference: overlapping IPv4 blocks -> the request is created with status failed; it cannot be
    accepted, rejected or deleted (InvalidStateTransition)."""
    a = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    b = create_vpc(ec2, "10.0.128.0/17")["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert pcx_of(ec2, pcx)["Status"]["Code"] == "failed"
    for op in (ec2.accept_vpc_peering_connection, ec2.reject_vpc_peering_connection,
               ec2.delete_vpc_peering_connection):
        assert_error("InvalidStateTransition", op, VpcPeeringConnectionId=pcx)
    ec2.delete_vpc(VpcId=b)  # a failed connection does not hold its VPCs (AA1 counts active/pending)


def test_peer_vpc_must_exist(ec2, pair):
    a, _ = pair
    assert_error("InvalidVpcID.NotFound", ec2.create_vpc_peering_connection, VpcId=a,
                 PeerVpcId="vpc-0123456789abcdef0")
    assert_error("InvalidVpcID.NotFound", ec2.create_vpc_peering_connection, VpcId="vpc-0123456789abcdef0",
                 PeerVpcId=a)
    assert_error("InvalidVpcPeeringConnectionID.NotFound", ec2.describe_vpc_peering_connections,
                 VpcPeeringConnectionIds=["pcx-0123456789abcdef0"])


def test_one_connection_per_pair(ec2, pair):
    """Peering Guide limitations: one active or pending connection between two VPCs, either direction."""
    a, b = pair
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert_error("VpcPeeringConnectionAlreadyExists", ec2.create_vpc_peering_connection, VpcId=b, PeerVpcId=a)
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert_error("VpcPeeringConnectionAlreadyExists", ec2.create_vpc_peering_connection, VpcId=a, PeerVpcId=b)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)  # a deleted connection no longer counts


def test_reject(ec2, pair):
    """Lifecycle: rejected cannot be accepted or deleted."""
    a, b = pair
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert ec2.reject_vpc_peering_connection(VpcPeeringConnectionId=pcx)["Return"] is True
    assert pcx_of(ec2, pcx)["Status"]["Code"] == "rejected"
    assert_error("InvalidStateTransition", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx)
    assert_error("InvalidStateTransition", ec2.delete_vpc_peering_connection, VpcPeeringConnectionId=pcx)


def test_delete_vpc_refused_while_peered(ec2, pair):
    """AA1, T6: DeleteVpc is refused while the VPC has a pending or active peering connection."""
    a, b = pair
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=a)
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=b)
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=b)
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    ec2.delete_vpc(VpcId=a)
    ec2.delete_vpc(VpcId=b)


def test_cidr_association_while_peered(ec2):
    """B8: the requester adds no block while pending; an accepter block overlapping the requester fails the
    request. B7: while active, no block overlapping the peer."""
    a = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    b = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert_error("OperationNotPermitted", ec2.associate_vpc_cidr_block, VpcId=a, CidrBlock="10.5.0.0/16")
    ec2.associate_vpc_cidr_block(VpcId=b, CidrBlock="10.6.0.0/16")  # no overlap: fine
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert_error("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=a, CidrBlock="10.6.0.0/24")
    ec2.associate_vpc_cidr_block(VpcId=a, CidrBlock="10.7.0.0/16")
    info = pcx_of(ec2, pcx)
    assert {c["CidrBlock"] for c in info["RequesterVpcInfo"]["CidrBlockSet"]} == {"10.0.0.0/16", "10.7.0.0/16"}
    assert {c["CidrBlock"] for c in info["AccepterVpcInfo"]["CidrBlockSet"]} == {"10.1.0.0/16", "10.6.0.0/16"}

    c = create_vpc(ec2, "10.2.0.0/16")["VpcId"]
    pcx2 = ec2.create_vpc_peering_connection(VpcId=c, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.associate_vpc_cidr_block(VpcId=b, CidrBlock="10.2.0.0/24")  # B8: the accepter may, and the request fails
    assert pcx_of(ec2, pcx2)["Status"]["Code"] == "failed"
    assert_error("InvalidStateTransition", ec2.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx2)


def test_describe_filters(ec2, pair):
    a, b = pair
    c = create_vpc(ec2, "10.2.0.0/16")["VpcId"]
    p1 = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, TagSpecifications=tag_spec(
        "vpc-peering-connection", Name="one"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    p2 = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=c)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p1)

    def ids(*filters):
        out = ec2.describe_vpc_peering_connections(Filters=[{"Name": n, "Values": [v]} for n, v in filters])
        return {x["VpcPeeringConnectionId"] for x in out["VpcPeeringConnections"]}

    assert ids() == {p1, p2}
    assert ids(("status-code", "active")) == {p1}
    assert ids(("status-code", "pending-acceptance")) == {p2}
    assert ids(("status-message", "Pending Acceptance by *")) == {p2}
    assert ids(("requester-vpc-info.vpc-id", a)) == {p1, p2}
    assert ids(("requester-vpc-info.cidr-block", "10.0.0.0/16")) == {p1, p2}
    assert ids(("requester-vpc-info.owner-id", ACCOUNT_ID)) == {p1, p2}
    assert ids(("accepter-vpc-info.vpc-id", c)) == {p2}
    assert ids(("accepter-vpc-info.owner-id", ACCOUNT_ID)) == {p1, p2}
    assert ids(("accepter-vpc-info.cidr-block", "10.1.0.0/16")) == {p1}
    assert ids(("accepter-vpc-info.cidr-block", "10.2.0.0/16")) == set()  # not shown while pending
    assert ids(("vpc-peering-connection-id", p2)) == {p2}
    assert ids(("tag:Name", "one")) == {p1}
    assert ids(("tag-key", "Name")) == {p1}
    assert ids(("tag-value", "one")) == {p1}
    assert ids(("expiration-time", pcx_of(ec2, p2)["ExpirationTime"].strftime("%Y-%m-%dT%H:%M:%S.000Z"))) == {p2}
    page = ec2.describe_vpc_peering_connections(MaxResults=5)
    assert len(page["VpcPeeringConnections"]) == 2


def test_modify_options(ec2, pair):
    """AllowDnsResolutionFromRemoteVpc per side; only on active connections; both VPCs need DNS hostnames."""
    a, b = pair
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    opts = {"AllowDnsResolutionFromRemoteVpc": True}
    assert_error("InvalidStateTransition", ec2.modify_vpc_peering_connection_options, VpcPeeringConnectionId=pcx,
                 RequesterPeeringConnectionOptions=opts)
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert_error("InvalidVpcPeeringConnectionState.DnsHostnamesDisabled", ec2.modify_vpc_peering_connection_options,
                 VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=opts)
    for v in pair:
        ec2.modify_vpc_attribute(VpcId=v, EnableDnsHostnames={"Value": True})
    out = ec2.modify_vpc_peering_connection_options(VpcPeeringConnectionId=pcx, RequesterPeeringConnectionOptions=opts)
    assert out["RequesterPeeringConnectionOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert "AccepterPeeringConnectionOptions" not in out
    info = pcx_of(ec2, pcx)
    assert info["RequesterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is True
    assert info["AccepterVpcInfo"]["PeeringOptions"]["AllowDnsResolutionFromRemoteVpc"] is False


# ---------------------------------------------------------------- across accounts and Regions

def test_cross_account(ec2_factory):
    """PeerOwnerId: only the accepter account accepts; both accounts see the connection; tags stay with the
    requester's account; each side routes to the pcx (G16); either side deletes."""
    mine, theirs = ec2_factory(), ec2_factory(account="other")
    a = create_vpc(mine, "10.0.0.0/16")["VpcId"]
    b = create_vpc(theirs, "10.1.0.0/16")["VpcId"]
    pcx = mine.create_vpc_peering_connection(
        VpcId=a, PeerVpcId=b, PeerOwnerId=OTHER_ACCOUNT_ID,
        TagSpecifications=tag_spec("vpc-peering-connection", Name="x"))["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    seen = pcx_of(theirs, pcx)
    assert seen["Status"] == {"Code": "pending-acceptance", "Message": f"Pending Acceptance by {OTHER_ACCOUNT_ID}"}
    assert seen["RequesterVpcInfo"]["OwnerId"] == ACCOUNT_ID and seen["AccepterVpcInfo"]["OwnerId"] == OTHER_ACCOUNT_ID
    assert tags(seen) == {} and tags(pcx_of(mine, pcx)) == {"Name": "x"}
    assert_error("OperationNotPermitted", mine.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx)
    assert_error("DependencyViolation", theirs.delete_vpc, VpcId=b)  # AA1 on the accepter side too
    assert_error("OperationNotPermitted", theirs.delete_vpc_peering_connection, VpcPeeringConnectionId=pcx)
    # A third party sees nothing.
    assert_error("InvalidVpcPeeringConnectionID.NotFound", ec2_factory(region="eu-west-1").describe_vpc_peering_connections,
                 VpcPeeringConnectionIds=[pcx])

    theirs.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert pcx_of(mine, pcx)["Status"]["Code"] == "active"
    assert pcx_of(mine, pcx)["AccepterVpcInfo"]["CidrBlock"] == "10.1.0.0/16"
    rt_b = main_route_table(theirs, b)["RouteTableId"]
    theirs.create_route(RouteTableId=rt_b, DestinationCidrBlock="10.0.0.0/16", VpcPeeringConnectionId=pcx)
    assert route_to(theirs, rt_b, "10.0.0.0/16")["State"] == "active"
    assert_error("DependencyViolation", theirs.delete_vpc, VpcId=b)

    theirs.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert pcx_of(mine, pcx)["Status"] == {"Code": "deleted", "Message": f"Deleted by {OTHER_ACCOUNT_ID}"}
    assert route_to(theirs, rt_b, "10.0.0.0/16")["State"] == "blackhole"  # G13


def test_cross_region(ec2_factory):
    """PeerRegion: accepted only in the accepter's Region; visible in both Regions."""
    east, west = ec2_factory(), ec2_factory(region="us-west-2")
    a = create_vpc(east, "10.0.0.0/16")["VpcId"]
    b = create_vpc(west, "10.1.0.0/16")["VpcId"]
    created = east.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerRegion="us-west-2")["VpcPeeringConnection"]
    pcx = created["VpcPeeringConnectionId"]
    assert created["AccepterVpcInfo"]["Region"] == "us-west-2"
    assert pcx_of(west, pcx)["Status"]["Code"] == "pending-acceptance"
    assert_error("OperationNotPermitted", east.accept_vpc_peering_connection, VpcPeeringConnectionId=pcx)
    west.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert pcx_of(east, pcx)["Status"]["Code"] == "active"
    rt_a = main_route_table(east, a)["RouteTableId"]
    east.create_route(RouteTableId=rt_a, DestinationCidrBlock="10.1.0.0/16", VpcPeeringConnectionId=pcx)
    assert route_to(east, rt_a, "10.1.0.0/16")["State"] == "active"
    east.delete_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    assert pcx_of(west, pcx)["Status"]["Code"] == "deleted"
    assert route_to(east, rt_a, "10.1.0.0/16")["State"] == "blackhole"


def test_cross_region_missing_peer_fails(ec2):
    """Another Region's VPC is looked up by the request, which fails when it is not there."""
    a = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId="vpc-0123456789abcdef0",
                                            PeerRegion="us-west-2")["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert pcx_of(ec2, pcx)["Status"]["Code"] == "failed"


def test_peering_quotas(tmp_path):
    """T5: outstanding requests (OutstandingVpcPeeringConnectionLimitExceeded) and active connections per VPC
    (ActiveVpcPeeringConnectionPerVpcLimitExceeded, checked on accept), with lowered quotas."""
    import os

    from conftest import Server, make_client
    if os.environ.get("OPENVPC_ENDPOINT"):
        pytest.skip("needs a server this suite starts itself")
    s = Server(str(tmp_path), ["--quota", "outstanding-vpc-peering-connection-requests=1",
                               "--quota", "active-vpc-peering-connections-per-vpc=1"])
    s.start()
    try:
        ec2 = make_client(s.endpoint)
        a, b, c = (create_vpc(ec2, f"10.{i}.0.0/16")["VpcId"] for i in range(3))
        p1 = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        assert_error("OutstandingVpcPeeringConnectionLimitExceeded", ec2.create_vpc_peering_connection,
                     VpcId=a, PeerVpcId=c)
        ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=p1)
        p2 = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=c)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        assert_error("ActiveVpcPeeringConnectionPerVpcLimitExceeded", ec2.accept_vpc_peering_connection,
                     VpcPeeringConnectionId=p2)
    finally:
        s.stop()


# ---------------------------------------------------------------- security groups across peering

def _group(ec2, vpc, name):
    return ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]


def test_group_references_need_an_active_peering(ec2, pair):
    """M (references to other groups): a rule may name a group of a peered VPC once the connection is active;
    before that the groups belong to different networks (InvalidGroup.NotFound, as for a group of another VPC)."""
    a, b = pair
    ga, gb = _group(ec2, a, "web"), _group(ec2, b, "db")
    perm = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432, "UserIdGroupPairs": [{"GroupId": ga}]}]
    assert_error("InvalidGroup.NotFound", ec2.authorize_security_group_ingress, GroupId=gb, IpPermissions=perm)
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    assert_error("InvalidGroup.NotFound", ec2.authorize_security_group_ingress, GroupId=gb, IpPermissions=perm)
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    rules = ec2.authorize_security_group_ingress(GroupId=gb, IpPermissions=perm)["SecurityGroupRules"]
    assert rules[0]["ReferencedGroupInfo"]["GroupId"] == ga


def test_group_references_across_accounts(ec2_factory):
    """A rule may name another account's group (UserId + GroupId) in a peered VPC of the same Region."""
    mine, theirs = ec2_factory(), ec2_factory(account="other")
    a = create_vpc(mine, "10.0.0.0/16")["VpcId"]
    b = create_vpc(theirs, "10.1.0.0/16")["VpcId"]
    ga, gb = _group(mine, a, "web"), _group(theirs, b, "db")
    perm = [{"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
             "UserIdGroupPairs": [{"GroupId": ga, "UserId": ACCOUNT_ID}]}]
    assert_error("InvalidGroup.NotFound", theirs.authorize_security_group_ingress, GroupId=gb, IpPermissions=perm)
    pcx = mine.create_vpc_peering_connection(VpcId=a, PeerVpcId=b, PeerOwnerId=OTHER_ACCOUNT_ID)[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    theirs.accept_vpc_peering_connection(VpcPeeringConnectionId=pcx)
    rules = theirs.authorize_security_group_ingress(GroupId=gb, IpPermissions=perm)["SecurityGroupRules"]
    assert rules[0]["ReferencedGroupInfo"] == {"GroupId": ga, "UserId": ACCOUNT_ID}
