"""Network ACLs: entries, the default ACL, subnet associations.

Rule ids (N1-N15, D3, C9c, AA1, AA7, §3.1, §4.3, S15, S24) refer to shared/spec/inventory-vpc-guide.md.
[EXT] marks what comes from the current EC2 API Reference rather than the seed, chiefly the error codes,
which come from its "Error codes for the Amazon EC2 API" page.
"""
import pytest

from helpers import (ACCOUNT_ID, assert_client_error, assert_error, create_subnet, create_vpc, default_vpc, tag_spec,
                     tags, vpc_ipv6_block, wait_until)

HOME = "198.51.100.0/24"             # S24 "home network" (IPv4)
HOME6 = "2001:db8:abcd:1a00::/64"    # S24 "home network" (IPv6)
CORP = "172.16.0.0/16"               # S24 "corporate network" behind the VPN
V6_PRIVATE = "2001:db8:1234::/64"    # S24's private-subnet IPv6 range


@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


@pytest.fixture
def vpc6(ec2):
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    vpc_ipv6_block(ec2, v)
    return v


@pytest.fixture
def acl(ec2, vpc):
    return ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]


# ---------------------------------------------------------------- local helpers

def acl_of(ec2, acl_id):
    return ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]


def default_acl(ec2, vpc_id):
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                              {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    assert len(acls) == 1, acls
    return acls[0]


def acl_ids(ec2, *filters):
    fs = [{"Name": n, "Values": v} for n, v in filters]
    return {a["NetworkAclId"] for a in ec2.describe_network_acls(Filters=fs)["NetworkAcls"]}


def view(e):
    """One entry as (rule number, protocol, action, cidr, ports, icmp); ports/icmp are None when absent."""
    pr = e.get("PortRange")
    ic = e.get("IcmpTypeCode")
    return (e["RuleNumber"], e["Protocol"], e["RuleAction"], e.get("CidrBlock") or e.get("Ipv6CidrBlock"),
            (pr["From"], pr["To"]) if pr else None, (ic["Type"], ic["Code"]) if ic else None)


def entries(acl, egress):
    """The entries of one direction, in the order the response lists them."""
    return [view(e) for e in acl["Entries"] if e["Egress"] is egress]


def inbound(ec2, acl_id):
    return entries(acl_of(ec2, acl_id), False)


def outbound(ec2, acl_id):
    return entries(acl_of(ec2, acl_id), True)


STAR4 = (32767, "-1", "deny", "0.0.0.0/0", None, None)
STAR6 = (32768, "-1", "deny", "::/0", None, None)


def add(ec2, acl_id, n, proto, action, cidr, egress=False, ports=None, icmp=None):
    """CreateNetworkAclEntry; an IPv6 CIDR goes to Ipv6CidrBlock."""
    args = {"NetworkAclId": acl_id, "RuleNumber": n, "Protocol": proto, "RuleAction": action, "Egress": egress}
    args["Ipv6CidrBlock" if ":" in cidr else "CidrBlock"] = cidr
    if ports is not None:
        args["PortRange"] = {"From": ports[0], "To": ports[1]}
    if icmp is not None:
        args["IcmpTypeCode"] = {"Type": icmp[0], "Code": icmp[1]}
    return ec2.create_network_acl_entry(**args)


def association_of(ec2, subnet_id):
    """(network ACL id, association id) of the subnet; asserts there is exactly one (D3)."""
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["NetworkAcls"]
    assert len(acls) == 1, acls
    assoc = [a for a in acls[0]["Associations"] if a["SubnetId"] == subnet_id]
    assert len(assoc) == 1, assoc
    return acls[0]["NetworkAclId"], assoc[0]["NetworkAclAssociationId"]


def all_entries_of(n, action, cidr):
    return (n, "-1", action, cidr, None, None)


# ---------------------------------------------------------------- the default network ACL (N4, §4.3, C9c)

def test_default_acl_of_new_vpc(ec2, vpc):
    """N4 / §4.3: rule 100 allows all IPv4, `*` (32767) denies, in each direction."""
    acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["NetworkAcls"]
    assert len(acls) == 1
    a = acls[0]
    assert a["NetworkAclId"].startswith("acl-")
    assert a["IsDefault"] is True
    assert a["VpcId"] == vpc
    assert a["OwnerId"] == ACCOUNT_ID
    assert a["Associations"] == []
    for egress in (False, True):
        assert entries(a, egress) == [all_entries_of(100, "allow", "0.0.0.0/0"), STAR4]


def test_default_acl_of_ipv6_vpc(ec2, vpc6):
    """N4 / C9c: with an IPv6 block the default ACL also has rule 101 allow ::/0 and `*` (32768) deny ::/0."""
    a = default_acl(ec2, vpc6)
    for egress in (False, True):
        assert entries(a, egress) == [all_entries_of(100, "allow", "0.0.0.0/0"), all_entries_of(101, "allow", "::/0"),
                                      STAR4, STAR6]


def test_default_vpc_default_acl_covers_default_subnets(ec2):
    """D3 / P: every default subnet is associated with the default VPC's default ACL."""
    dvpc = default_vpc(ec2)["VpcId"]
    a = default_acl(ec2, dvpc)
    subnets = {s["SubnetId"] for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dvpc]}])["Subnets"]}
    assert len(subnets) == 6
    assert {x["SubnetId"] for x in a["Associations"]} == subnets
    for x in a["Associations"]:
        assert x["NetworkAclAssociationId"].startswith("aclassoc-")
        assert x["NetworkAclId"] == a["NetworkAclId"]
    assert entries(a, False) == [all_entries_of(100, "allow", "0.0.0.0/0"), STAR4]


def test_ipv6_association_adds_rules_to_unmodified_default_acl(ec2, vpc):
    """C9c: associating an IPv6 block adds 101 allow ::/0 and `*` deny ::/0, in and out, to the default ACL."""
    aid = default_acl(ec2, vpc)["NetworkAclId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    vpc_ipv6_block(ec2, vpc)
    wait_until(lambda: len(inbound(ec2, aid)) == 4)
    for egress in (False, True):
        assert entries(acl_of(ec2, aid), egress) == [all_entries_of(100, "allow", "0.0.0.0/0"),
                                                     all_entries_of(101, "allow", "::/0"), STAR4, STAR6]


def test_ipv6_association_leaves_modified_default_acl_alone(ec2, vpc):
    """C9c: the 101 allow-::/0 rules are not added when the default ACL's rules were modified."""
    aid = default_acl(ec2, vpc)["NetworkAclId"]
    add(ec2, aid, 90, "6", "deny", "203.0.113.0/24", ports=(22, 22))
    ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    vpc_ipv6_block(ec2, vpc)
    for egress in (False, True):
        got = entries(acl_of(ec2, aid), egress)
        assert all(e[0] != 101 for e in got), got
    assert inbound(ec2, aid)[:2] == [(90, "6", "deny", "203.0.113.0/24", (22, 22), None),
                                     all_entries_of(100, "allow", "0.0.0.0/0")]


# ---------------------------------------------------------------- subnets and their ACL (D3, N6, §4.3)

def test_new_subnet_is_associated_with_default_acl(ec2, vpc):
    """D3 / §4.3: a new subnet is associated with the default ACL (an explicit aclassoc- association)."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    acl_id, assoc = association_of(ec2, sid)
    assert acl_id == default_acl(ec2, vpc)["NetworkAclId"]
    assert assoc.startswith("aclassoc-")


def test_replace_association_moves_subnet(ec2, vpc, acl):
    """N6 / D3: associating a custom ACL replaces the subnet's association; the subnet has exactly one ACL."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    other = create_subnet(ec2, vpc, "10.0.2.0/24")["SubnetId"]
    dflt, old_assoc = association_of(ec2, sid)
    r = ec2.replace_network_acl_association(AssociationId=old_assoc, NetworkAclId=acl)
    new_assoc = r["NewAssociationId"]
    assert new_assoc.startswith("aclassoc-") and new_assoc != old_assoc
    assert association_of(ec2, sid) == (acl, new_assoc)
    a = acl_of(ec2, acl)
    assert a["Associations"] == [{"NetworkAclAssociationId": new_assoc, "NetworkAclId": acl, "SubnetId": sid}]
    assert {x["SubnetId"] for x in acl_of(ec2, dflt)["Associations"]} == {other}
    assert association_of(ec2, other)[0] == dflt


def test_move_subnet_back_to_default_acl(ec2, vpc, acl):
    """N6: moving the subnet back re-associates the default ACL."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    dflt, assoc = association_of(ec2, sid)
    assoc = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)["NewAssociationId"]
    back = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=dflt)["NewAssociationId"]
    assert association_of(ec2, sid) == (dflt, back)
    assert acl_of(ec2, acl)["Associations"] == []


def test_move_subnet_between_custom_acls(ec2, vpc, acl):
    second = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    assoc = ec2.replace_network_acl_association(AssociationId=association_of(ec2, sid)[1],
                                                NetworkAclId=acl)["NewAssociationId"]
    assoc = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=second)["NewAssociationId"]
    assert association_of(ec2, sid) == (second, assoc)
    assert acl_of(ec2, acl)["Associations"] == []


def test_one_acl_many_subnets(ec2, vpc, acl):
    """N6: a network ACL may be associated with several subnets."""
    sids = [create_subnet(ec2, vpc, f"10.0.{i}.0/24")["SubnetId"] for i in (1, 2, 3)]
    for sid in sids:
        ec2.replace_network_acl_association(AssociationId=association_of(ec2, sid)[1], NetworkAclId=acl)
    assert {x["SubnetId"] for x in acl_of(ec2, acl)["Associations"]} == set(sids)
    assert default_acl(ec2, vpc)["Associations"] == []


def test_replace_association_unknown_association(ec2, acl):
    assert_error("InvalidAssociationID.NotFound", ec2.replace_network_acl_association,
                 AssociationId="aclassoc-0123456789abcdef0", NetworkAclId=acl)


def test_replace_association_unknown_acl(ec2, vpc):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    assert_error("InvalidNetworkAclID.NotFound", ec2.replace_network_acl_association,
                 AssociationId=association_of(ec2, sid)[1], NetworkAclId="acl-0123456789abcdef0")


def test_replace_association_with_acl_of_another_vpc_refused(ec2, vpc):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    foreign = ec2.create_network_acl(VpcId=other)["NetworkAcl"]["NetworkAclId"]
    dflt, assoc = association_of(ec2, sid)
    assert_client_error(ec2.replace_network_acl_association, AssociationId=assoc, NetworkAclId=foreign)
    assert association_of(ec2, sid) == (dflt, assoc)


def test_deleting_a_subnet_releases_its_association(ec2, vpc, acl):
    """D3 / AA7: deleting the subnet drops its association, after which the ACL can be deleted."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ec2.replace_network_acl_association(AssociationId=association_of(ec2, sid)[1], NetworkAclId=acl)
    ec2.delete_subnet(SubnetId=sid)
    assert acl_of(ec2, acl)["Associations"] == []
    assert ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [sid]}])["NetworkAcls"] == []
    ec2.delete_network_acl(NetworkAclId=acl)


def test_deleting_a_subnet_on_the_default_acl(ec2, vpc):
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ec2.delete_subnet(SubnetId=sid)
    assert default_acl(ec2, vpc)["Associations"] == []


# ---------------------------------------------------------------- CreateNetworkAcl (N5, §4.3)

def test_create_network_acl(ec2, vpc):
    """N5 / §4.3: a new ACL denies everything (only the `*` entries) and has no associations."""
    r = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]
    assert r["NetworkAclId"].startswith("acl-")
    assert r["IsDefault"] is False
    assert r["VpcId"] == vpc
    assert r["OwnerId"] == ACCOUNT_ID
    assert r["Associations"] == []
    a = acl_of(ec2, r["NetworkAclId"])
    assert a["IsDefault"] is False and a["Associations"] == []
    for egress in (False, True):
        assert entries(r, egress) == [STAR4]
        assert entries(a, egress) == [STAR4]


def test_create_network_acl_in_ipv6_vpc(ec2, vpc6):
    """N3 / N5: in an IPv6 VPC the `*` entries are 32767 (IPv4) and 32768 (IPv6)."""
    aid = ec2.create_network_acl(VpcId=vpc6)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        assert entries(acl_of(ec2, aid), egress) == [STAR4, STAR6]


def test_create_network_acl_with_tags(ec2, vpc):
    r = ec2.create_network_acl(VpcId=vpc, TagSpecifications=tag_spec("network-acl", Name="public-acl"))["NetworkAcl"]
    assert tags(r) == {"Name": "public-acl"}
    assert tags(acl_of(ec2, r["NetworkAclId"])) == {"Name": "public-acl"}


def test_create_network_acl_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.create_network_acl, VpcId="vpc-0123456789abcdef0")


def test_describe_unknown_acl(ec2):
    assert_error("InvalidNetworkAclID.NotFound", ec2.describe_network_acls, NetworkAclIds=["acl-0123456789abcdef0"])


def test_other_account_cannot_see_acl(ec2_factory, ec2, acl):
    other = ec2_factory(account="other")
    assert_error("InvalidNetworkAclID.NotFound", other.describe_network_acls, NetworkAclIds=[acl])


# ---------------------------------------------------------------- DescribeNetworkAcls filters

@pytest.fixture
def world(ec2, vpc):
    """vpc with its default ACL and a custom `web` ACL (tcp 443 in from 0.0.0.0/0 as 100, deny ::/0 udp 53 in as 110,
    tcp 1024-65535 out as 100), a subnet on `web` and one on the default ACL."""
    web = ec2.create_network_acl(VpcId=vpc, TagSpecifications=tag_spec("network-acl", tier="web"))["NetworkAcl"]
    web = web["NetworkAclId"]
    add(ec2, web, 100, "6", "allow", "0.0.0.0/0", ports=(443, 443))
    add(ec2, web, 110, "17", "deny", "::/0", ports=(53, 53))
    add(ec2, web, 100, "6", "allow", "0.0.0.0/0", egress=True, ports=(1024, 65535))
    on_web = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    on_default = create_subnet(ec2, vpc, "10.0.2.0/24")["SubnetId"]
    assoc = ec2.replace_network_acl_association(AssociationId=association_of(ec2, on_web)[1],
                                                NetworkAclId=web)["NewAssociationId"]
    return {"vpc": vpc, "web": web, "default": default_acl(ec2, vpc)["NetworkAclId"], "on_web": on_web,
            "on_default": on_default, "assoc": assoc}


def test_filter_network_acl_id_and_vpc_id(ec2, world):
    assert acl_ids(ec2, ("network-acl-id", [world["web"]])) == {world["web"]}
    assert acl_ids(ec2, ("vpc-id", [world["vpc"]])) == {world["web"], world["default"]}


def test_filter_default(ec2, world):
    v = ("vpc-id", [world["vpc"]])
    assert acl_ids(ec2, v, ("default", ["true"])) == {world["default"]}
    assert acl_ids(ec2, v, ("default", ["false"])) == {world["web"]}


def test_filter_associations(ec2, world):
    assert acl_ids(ec2, ("association.subnet-id", [world["on_web"]])) == {world["web"]}
    assert acl_ids(ec2, ("association.subnet-id", [world["on_default"]])) == {world["default"]}
    assert acl_ids(ec2, ("association.association-id", [world["assoc"]])) == {world["web"]}
    assert acl_ids(ec2, ("association.network-acl-id", [world["web"]])) == {world["web"]}
    assert acl_ids(ec2, ("association.network-acl-id", [world["default"]])) == {world["default"]}


def test_filter_entry_fields(ec2, world):
    v = ("vpc-id", [world["vpc"]])
    both = {world["web"], world["default"]}
    assert acl_ids(ec2, v, ("entry.rule-number", ["110"])) == {world["web"]}
    assert acl_ids(ec2, v, ("entry.rule-number", ["32767"])) == both
    assert acl_ids(ec2, v, ("entry.protocol", ["17"])) == {world["web"]}
    assert acl_ids(ec2, v, ("entry.protocol", ["-1"])) == both
    assert acl_ids(ec2, v, ("entry.rule-action", ["allow"])) == both
    assert acl_ids(ec2, v, ("entry.ipv6-cidr", ["::/0"])) == {world["web"]}
    assert acl_ids(ec2, v, ("entry.cidr", ["0.0.0.0/0"])) == both
    assert acl_ids(ec2, v, ("entry.port-range.from", ["443"])) == {world["web"]}
    assert acl_ids(ec2, v, ("entry.port-range.to", ["65535"])) == {world["web"]}
    assert acl_ids(ec2, v, ("entry.port-range.from", ["22"])) == set()
    assert acl_ids(ec2, v, ("entry.egress", ["true"])) == both


def test_filter_owner_and_tags(ec2, world):
    v = ("vpc-id", [world["vpc"]])
    assert acl_ids(ec2, v, ("owner-id", [ACCOUNT_ID])) == {world["web"], world["default"]}
    assert acl_ids(ec2, ("owner-id", ["999999999999"])) == set()
    assert acl_ids(ec2, ("tag:tier", ["web"])) == {world["web"]}
    assert acl_ids(ec2, ("tag-key", ["tier"])) == {world["web"]}
    ec2.create_tags(Resources=[world["default"]], Tags=[{"Key": "tier", "Value": "base"}])
    assert acl_ids(ec2, ("tag-key", ["tier"])) == {world["web"], world["default"]}


# ---------------------------------------------------------------- CreateNetworkAclEntry (N2, N3, N9, N14)

def test_create_tcp_entry(ec2, acl):
    """N9: number, protocol, port range, CIDR, allow|deny; Protocol reads back as its number."""
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", ports=(80, 80))
    a = acl_of(ec2, acl)
    e = [x for x in a["Entries"] if x["RuleNumber"] == 100][0]
    assert e == {"CidrBlock": "0.0.0.0/0", "Egress": False, "PortRange": {"From": 80, "To": 80},
                 "Protocol": "6", "RuleAction": "allow", "RuleNumber": 100}
    assert entries(a, False) == [(100, "6", "allow", "0.0.0.0/0", (80, 80), None), STAR4]
    assert entries(a, True) == [STAR4]


def test_create_udp_and_deny_entries(ec2, acl):
    add(ec2, acl, 100, "17", "allow", "10.0.0.0/16", egress=True, ports=(53, 53))
    add(ec2, acl, 90, "17", "deny", "10.0.5.0/24", egress=True, ports=(0, 65535))
    assert outbound(ec2, acl) == [(90, "17", "deny", "10.0.5.0/24", (0, 65535), None),
                                  (100, "17", "allow", "10.0.0.0/16", (53, 53), None), STAR4]


def test_create_icmp_entries(ec2, acl):
    """N14: path MTU discovery is ICMP type 3 code 4; traceroute is type 11 code 0; -1 is any."""
    add(ec2, acl, 100, "1", "allow", "0.0.0.0/0", icmp=(3, 4))
    add(ec2, acl, 110, "1", "allow", "0.0.0.0/0", icmp=(11, 0))
    add(ec2, acl, 120, "1", "allow", "10.0.0.0/16", icmp=(-1, -1))
    assert inbound(ec2, acl) == [(100, "1", "allow", "0.0.0.0/0", None, (3, 4)),
                                 (110, "1", "allow", "0.0.0.0/0", None, (11, 0)),
                                 (120, "1", "allow", "10.0.0.0/16", None, (-1, -1)), STAR4]


def test_create_icmpv6_entry(ec2, vpc6):
    aid = ec2.create_network_acl(VpcId=vpc6)["NetworkAcl"]["NetworkAclId"]
    add(ec2, aid, 100, "58", "allow", "::/0", icmp=(-1, -1))
    add(ec2, aid, 110, "58", "allow", HOME6, icmp=(128, 0))
    assert inbound(ec2, aid) == [(100, "58", "allow", "::/0", None, (-1, -1)),
                                 (110, "58", "allow", HOME6, None, (128, 0)), STAR4, STAR6]


def test_create_all_traffic_entry(ec2, acl):
    """N9: protocol -1 is every protocol and carries no port range."""
    add(ec2, acl, 100, "-1", "allow", "10.0.0.0/16", egress=True)
    assert outbound(ec2, acl) == [(100, "-1", "allow", "10.0.0.0/16", None, None), STAR4]


def test_create_ipv6_entry(ec2, acl):
    """N9 / C8: an entry's CIDR may be IPv6 (Ipv6CidrBlock), kept apart from IPv4."""
    add(ec2, acl, 100, "6", "allow", "::/0", ports=(443, 443))
    e = [x for x in acl_of(ec2, acl)["Entries"] if x["RuleNumber"] == 100][0]
    assert e["Ipv6CidrBlock"] == "::/0" and "CidrBlock" not in e


@pytest.mark.parametrize("n", [1, 32766])
def test_rule_number_bounds_accepted(ec2, acl, n):
    """N3: usable rule numbers are 1 … 32766."""
    add(ec2, acl, n, "6", "allow", "10.0.0.0/16", ports=(22, 22))
    assert inbound(ec2, acl)[0][0] == n


@pytest.mark.parametrize("n", [0, 32767, 32768, 40000])
def test_rule_number_out_of_range(ec2, acl, n):
    """N3: rule numbers outside 1 … 32766 → InvalidParameterValue."""
    assert_error("InvalidParameterValue", add, ec2, acl, n, "6", "allow", "10.0.0.0/16", ports=(22, 22))
    assert inbound(ec2, acl) == [STAR4]


def test_duplicate_rule_number(ec2, acl):
    """N3: the number is unique within its direction → NetworkAclEntryAlreadyExists; the other direction may reuse it."""
    add(ec2, acl, 100, "6", "allow", "10.0.0.0/16", ports=(22, 22))
    assert_error("NetworkAclEntryAlreadyExists", add, ec2, acl, 100, "6", "deny", "10.9.0.0/16", ports=(80, 80))
    add(ec2, acl, 100, "6", "deny", "10.9.0.0/16", egress=True, ports=(80, 80))
    assert inbound(ec2, acl) == [(100, "6", "allow", "10.0.0.0/16", (22, 22), None), STAR4]
    assert outbound(ec2, acl) == [(100, "6", "deny", "10.9.0.0/16", (80, 80), None), STAR4]


def test_duplicate_rule_number_in_default_acl(ec2, vpc):
    aid = default_acl(ec2, vpc)["NetworkAclId"]
    assert_error("NetworkAclEntryAlreadyExists", add, ec2, aid, 100, "6", "deny", "10.9.0.0/16", ports=(80, 80))


def test_create_entry_in_unknown_acl(ec2):
    assert_error("InvalidNetworkAclID.NotFound", add, ec2, "acl-0123456789abcdef0", 100, "6", "allow", "0.0.0.0/0",
                 ports=(80, 80))


def test_create_entry_malformed_cidr(ec2, acl):
    assert_error("InvalidParameterValue", add, ec2, acl, 100, "6", "allow", "10.0.0.0/33", ports=(80, 80))


def test_entries_listed_in_rule_number_order(ec2, acl):
    """N2: rules are evaluated in ascending number; they are listed that way, whatever the order of creation."""
    for n in (300, 100, 32766, 200, 1):
        add(ec2, acl, n, "6", "allow", "10.0.0.0/16", ports=(n, n))
    assert [e[0] for e in inbound(ec2, acl)] == [1, 100, 200, 300, 32766, 32767]


def test_rule_evaluation_example(ec2, acl):
    """N12 golden table, stored and read back: 100 tcp 80, 110 tcp 443, 120 SSH 192.0.2.0/24, 130 RDP, 140 tcp 32768-65535."""
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", ports=(80, 80))
    add(ec2, acl, 110, "6", "allow", "0.0.0.0/0", ports=(443, 443))
    add(ec2, acl, 120, "6", "allow", "192.0.2.0/24", ports=(22, 22))
    add(ec2, acl, 130, "6", "allow", "192.0.2.0/24", ports=(3389, 3389))
    add(ec2, acl, 140, "6", "allow", "0.0.0.0/0", ports=(32768, 65535))
    assert inbound(ec2, acl) == [(100, "6", "allow", "0.0.0.0/0", (80, 80), None),
                                 (110, "6", "allow", "0.0.0.0/0", (443, 443), None),
                                 (120, "6", "allow", "192.0.2.0/24", (22, 22), None),
                                 (130, "6", "allow", "192.0.2.0/24", (3389, 3389), None),
                                 (140, "6", "allow", "0.0.0.0/0", (32768, 65535), None), STAR4]


# ---------------------------------------------------------------- ReplaceNetworkAclEntry / DeleteNetworkAclEntry (N3, N8)

def test_replace_entry(ec2, acl):
    """N8: ReplaceNetworkAclEntry rewrites an entry in place (same number and direction)."""
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", ports=(80, 80))
    ec2.replace_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="17", RuleAction="deny", Egress=False,
                                  CidrBlock="10.0.0.0/8", PortRange={"From": 53, "To": 53})
    assert inbound(ec2, acl) == [(100, "17", "deny", "10.0.0.0/8", (53, 53), None), STAR4]


def test_replace_entry_ipv4_with_ipv6(ec2, acl):
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", ports=(80, 80))
    ec2.replace_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=False,
                                  Ipv6CidrBlock="::/0")
    assert inbound(ec2, acl) == [(100, "-1", "allow", "::/0", None, None), STAR4]


def test_replace_default_acl_entry(ec2, vpc):
    """The default ACL's rule 100 is an ordinary entry (N4): it can be replaced."""
    aid = default_acl(ec2, vpc)["NetworkAclId"]
    ec2.replace_network_acl_entry(NetworkAclId=aid, RuleNumber=100, Protocol="-1", RuleAction="deny", Egress=True,
                                  CidrBlock="0.0.0.0/0")
    assert outbound(ec2, aid) == [all_entries_of(100, "deny", "0.0.0.0/0"), STAR4]
    assert inbound(ec2, aid) == [all_entries_of(100, "allow", "0.0.0.0/0"), STAR4]


def test_replace_missing_entry(ec2, acl):
    """[EXT] ReplaceNetworkAclEntry of a number that has no entry → InvalidNetworkAclEntry.NotFound."""
    assert_error("InvalidNetworkAclEntry.NotFound", ec2.replace_network_acl_entry, NetworkAclId=acl, RuleNumber=100,
                 Protocol="6", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 80, "To": 80})


def test_replace_entry_of_the_other_direction(ec2, acl):
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", ports=(80, 80))
    assert_error("InvalidNetworkAclEntry.NotFound", ec2.replace_network_acl_entry, NetworkAclId=acl, RuleNumber=100,
                 Protocol="6", RuleAction="allow", Egress=True, CidrBlock="0.0.0.0/0", PortRange={"From": 80, "To": 80})


def test_replace_star_entry_refused(ec2, acl):
    """N3: the `*` entries cannot be modified."""
    assert_error("InvalidParameterValue", ec2.replace_network_acl_entry, NetworkAclId=acl, RuleNumber=32767,
                 Protocol="-1", RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0")
    assert inbound(ec2, acl) == [STAR4]


def test_delete_entry(ec2, acl):
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", ports=(80, 80))
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", egress=True, ports=(1024, 65535))
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False)
    assert inbound(ec2, acl) == [STAR4]
    assert outbound(ec2, acl) == [(100, "6", "allow", "0.0.0.0/0", (1024, 65535), None), STAR4]


def test_delete_missing_entry(ec2, acl):
    assert_error("InvalidNetworkAclEntry.NotFound", ec2.delete_network_acl_entry, NetworkAclId=acl, RuleNumber=100,
                 Egress=False)


def test_delete_star_entry_refused(ec2, vpc6):
    """N3: the `*` entries (32767 and 32768) cannot be deleted."""
    aid = ec2.create_network_acl(VpcId=vpc6)["NetworkAcl"]["NetworkAclId"]
    for n in (32767, 32768):
        assert_error("InvalidParameterValue", ec2.delete_network_acl_entry, NetworkAclId=aid, RuleNumber=n, Egress=False)
    assert inbound(ec2, aid) == [STAR4, STAR6]


def test_delete_default_acl_allow_rule(ec2, vpc):
    aid = default_acl(ec2, vpc)["NetworkAclId"]
    ec2.delete_network_acl_entry(NetworkAclId=aid, RuleNumber=100, Egress=False)
    assert inbound(ec2, aid) == [STAR4]


def test_move_rule_by_add_then_delete(ec2, acl):
    """N8: to move a rule, add it under the new number, then delete the old one."""
    add(ec2, acl, 100, "6", "allow", "0.0.0.0/0", ports=(443, 443))
    add(ec2, acl, 50, "6", "allow", "0.0.0.0/0", ports=(443, 443))
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Egress=False)
    assert inbound(ec2, acl) == [(50, "6", "allow", "0.0.0.0/0", (443, 443), None), STAR4]
    # the freed number can be used again
    add(ec2, acl, 100, "6", "deny", "0.0.0.0/0", ports=(25, 25))


# ---------------------------------------------------------------- quota (N11, §3.1)

def test_twenty_entries_per_direction_including_star(ec2, acl):
    """N11 / §3.1: 20 rules per direction, the `*` rule included → the 20th user rule of an IPv4 ACL is refused
    with NetworkAclEntryLimitExceeded; the other direction has its own 20."""
    for i in range(19):
        add(ec2, acl, 100 + i, "6", "allow", "0.0.0.0/0", ports=(1000 + i, 1000 + i))
    assert len(inbound(ec2, acl)) == 20
    assert_error("NetworkAclEntryLimitExceeded", add, ec2, acl, 500, "6", "allow", "0.0.0.0/0", ports=(22, 22))
    assert len(inbound(ec2, acl)) == 20
    add(ec2, acl, 500, "6", "allow", "0.0.0.0/0", egress=True, ports=(22, 22))
    # replacing does not add a rule
    ec2.replace_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="deny", Egress=False,
                                  CidrBlock="10.0.0.0/8")
    # deleting frees a slot
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=101, Egress=False)
    add(ec2, acl, 500, "6", "allow", "0.0.0.0/0", ports=(22, 22))


def test_entry_quota_counts_ipv6_rules_and_both_star_rules(ec2, vpc6):
    """N11 / §3.1: IPv4 and IPv6 rules share the 20, and both `*` rules (32767, 32768) count."""
    aid = ec2.create_network_acl(VpcId=vpc6)["NetworkAcl"]["NetworkAclId"]
    for i in range(9):
        add(ec2, aid, 100 + i, "6", "allow", "0.0.0.0/0", ports=(1000 + i, 1000 + i))
        add(ec2, aid, 200 + i, "6", "allow", "::/0", ports=(1000 + i, 1000 + i))
    assert len(inbound(ec2, aid)) == 20
    assert_error("NetworkAclEntryLimitExceeded", add, ec2, aid, 500, "6", "allow", "::/0", ports=(22, 22))


# ---------------------------------------------------------------- DeleteNetworkAcl (N7, AA7, AA1)

def test_delete_network_acl(ec2, acl):
    r = ec2.delete_network_acl(NetworkAclId=acl)
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert_error("InvalidNetworkAclID.NotFound", ec2.describe_network_acls, NetworkAclIds=[acl])


def test_delete_unknown_acl(ec2):
    assert_error("InvalidNetworkAclID.NotFound", ec2.delete_network_acl, NetworkAclId="acl-0123456789abcdef0")


def test_delete_default_acl_refused(ec2, vpc):
    """N7 / AA7: the default ACL cannot be deleted ([EXT] InvalidParameterValue, "cannot delete default network ACL")."""
    aid = default_acl(ec2, vpc)["NetworkAclId"]
    assert_error("InvalidParameterValue", ec2.delete_network_acl, NetworkAclId=aid)
    assert acl_of(ec2, aid)["IsDefault"] is True


def test_delete_associated_acl_refused(ec2, vpc, acl):
    """N7 / AA7: an ACL with subnet associations cannot be deleted → DependencyViolation."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    dflt, assoc = association_of(ec2, sid)
    assoc = ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)["NewAssociationId"]
    assert_error("DependencyViolation", ec2.delete_network_acl, NetworkAclId=acl)
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=dflt)
    ec2.delete_network_acl(NetworkAclId=acl)


def test_default_acl_goes_with_its_vpc(ec2, vpc):
    """AA1: the default ACL goes with the VPC."""
    aid = default_acl(ec2, vpc)["NetworkAclId"]
    ec2.delete_vpc(VpcId=vpc)
    assert_error("InvalidNetworkAclID.NotFound", ec2.describe_network_acls, NetworkAclIds=[aid])


# ---------------------------------------------------------------- S24 recommended rule sets, S15 (regression fixtures)

def T(n, cidr, port_from, port_to=None, action="allow"):
    return (n, "6", action, cidr, (port_from, port_from if port_to is None else port_to), None)


def ALL(n, cidr, action="allow"):
    return (n, "-1", action, cidr, None, None)


S24 = {
    # scenario 1: single public subnet
    "1-public": (
        [T(100, "0.0.0.0/0", 80), T(110, "0.0.0.0/0", 443), T(120, HOME, 22), T(130, HOME, 3389),
         T(140, "0.0.0.0/0", 32768, 65535)],
        [T(100, "0.0.0.0/0", 80), T(110, "0.0.0.0/0", 443), T(120, "0.0.0.0/0", 32768, 65535)]),
    # scenario 2: public + private subnets with a NAT gateway
    "2-public": (
        [T(100, "0.0.0.0/0", 80), T(110, "0.0.0.0/0", 443), T(120, HOME, 22), T(130, HOME, 3389),
         T(140, "0.0.0.0/0", 1024, 65535)],
        [T(100, "0.0.0.0/0", 80), T(110, "0.0.0.0/0", 443), T(120, "10.0.1.0/24", 1433),
         T(140, "0.0.0.0/0", 32768, 65535), T(150, "10.0.1.0/24", 22)]),
    "2-private": (
        [T(100, "10.0.0.0/24", 1433), T(120, "10.0.0.0/24", 22), T(130, "10.0.0.0/24", 3389),
         T(140, "0.0.0.0/0", 1024, 65535)],
        [T(100, "0.0.0.0/0", 80), T(110, "0.0.0.0/0", 443), T(120, "10.0.0.0/24", 32768, 65535)]),
    # scenario 3: public + VPN-only subnets
    "3-public": (
        [T(100, "0.0.0.0/0", 80), T(110, "0.0.0.0/0", 443), T(120, HOME, 22), T(130, HOME, 3389),
         T(140, "0.0.0.0/0", 32768, 65535)],
        [T(100, "0.0.0.0/0", 80), T(110, "0.0.0.0/0", 443), T(120, "10.0.1.0/24", 1433),
         T(140, "0.0.0.0/0", 32768, 65535)]),
    "3-vpn-only": (
        [T(100, "10.0.0.0/24", 1433), T(120, CORP, 22), T(130, CORP, 3389), T(140, CORP, 32768, 65535)],
        [ALL(100, CORP), T(110, "10.0.0.0/24", 32768, 65535), T(120, CORP, 32768, 65535)]),
    # scenario 4: private subnet only, behind a VPN
    "4-vpn-only": (
        [T(100, CORP, 22), T(110, CORP, 3389), T(120, CORP, 32768, 65535)],
        [ALL(100, CORP), T(120, CORP, 32768, 65535)]),
}

S24_IPV6 = {
    "1-public": (
        S24["1-public"][0] + [T(150, "::/0", 80), T(160, "::/0", 443), T(170, HOME6, 22), T(180, HOME6, 3389),
                              T(190, "::/0", 32768, 65535)],
        S24["1-public"][1] + [T(130, "::/0", 80), T(140, "::/0", 443), T(150, "::/0", 32768, 65535)]),
    "2-public": (
        S24["2-public"][0] + [T(150, "::/0", 80), T(160, "::/0", 443), T(170, HOME6, 22), T(180, HOME6, 3389),
                              T(190, "::/0", 1024, 65535)],
        S24["2-public"][1] + [T(160, "::/0", 80), T(170, "::/0", 443), T(180, V6_PRIVATE, 1433),
                              T(200, "::/0", 32768, 65535), T(210, V6_PRIVATE, 22)]),
    "2-private": (
        S24["2-private"][0] + [T(150, V6_PRIVATE, 1433), T(170, V6_PRIVATE, 22), T(180, V6_PRIVATE, 3389),
                               T(190, "::/0", 1024, 65535)],
        S24["2-private"][1] + [T(130, "::/0", 80), T(140, "::/0", 443), T(150, V6_PRIVATE, 32768, 65535)]),
    "4-vpn-only": S24["4-vpn-only"],   # only the `*` deny ::/0 is added
}


def build(ec2, acl_id, inbound_rules, outbound_rules):
    """Creates the entries one by one, highest number first, so that order on read-back is the server's doing."""
    for egress, rules in ((False, inbound_rules), (True, outbound_rules)):
        for (n, proto, action, cidr, ports, icmp) in sorted(rules, reverse=True):
            add(ec2, acl_id, n, proto, action, cidr, egress=egress, ports=ports, icmp=icmp)


@pytest.mark.parametrize("scenario", sorted(S24))
def test_s24_recommended_rules(ec2, vpc, scenario):
    """S24 (guide L6495-6767): the recommended IPv4 rule set, built entry by entry, reads back in rule order."""
    ins, outs = S24[scenario]
    aid = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    build(ec2, aid, ins, outs)
    a = acl_of(ec2, aid)
    assert entries(a, False) == sorted(ins) + [STAR4]
    assert entries(a, True) == sorted(outs) + [STAR4]


@pytest.mark.parametrize("scenario", sorted(S24_IPV6))
def test_s24_recommended_rules_ipv6(ec2, vpc6, scenario):
    """S24 IPv6 variants: IPv4 and IPv6 rules interleave by number; the `*` rules are 32767 then 32768."""
    ins, outs = S24_IPV6[scenario]
    aid = ec2.create_network_acl(VpcId=vpc6)["NetworkAcl"]["NetworkAclId"]
    build(ec2, aid, ins, outs)
    a = acl_of(ec2, aid)
    assert entries(a, False) == sorted(ins) + [STAR4, STAR6]
    assert entries(a, True) == sorted(outs) + [STAR4, STAR6]


def test_s24_path_mtu_and_traceroute_rules(ec2, acl):
    """S24 / N14: for differing MTUs add ICMP 3/4 in and out; traceroute needs ICMP 11/0."""
    for egress in (False, True):
        add(ec2, acl, 300, "1", "allow", "0.0.0.0/0", egress=egress, icmp=(3, 4))
        add(ec2, acl, 310, "1", "allow", "0.0.0.0/0", egress=egress, icmp=(11, 0))
    for got in (inbound(ec2, acl), outbound(ec2, acl)):
        assert got == [(300, "1", "allow", "0.0.0.0/0", None, (3, 4)), (310, "1", "allow", "0.0.0.0/0", None, (11, 0)),
                       STAR4]


def test_s15_layered_acl_on_a_subnet(ec2, vpc):
    """S15: in 100 tcp 22 from 172.31.1.2/32 allow; out 100 tcp 1024-65535 to 172.31.1.2/32 allow; `*` deny —
    associated with the subnet the instances live in."""
    sid = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    aid = ec2.create_network_acl(VpcId=vpc, TagSpecifications=tag_spec("network-acl", Name="s15"))["NetworkAcl"]
    aid = aid["NetworkAclId"]
    add(ec2, aid, 100, "6", "allow", "172.31.1.2/32", ports=(22, 22))
    add(ec2, aid, 100, "6", "allow", "172.31.1.2/32", egress=True, ports=(1024, 65535))
    assoc = ec2.replace_network_acl_association(AssociationId=association_of(ec2, sid)[1],
                                                NetworkAclId=aid)["NewAssociationId"]
    a = acl_of(ec2, aid)
    assert entries(a, False) == [T(100, "172.31.1.2/32", 22), STAR4]
    assert entries(a, True) == [T(100, "172.31.1.2/32", 1024, 65535), STAR4]
    assert association_of(ec2, sid) == (aid, assoc)


def test_protocol_names_in_any_case_are_accepted(ec2, acl):
    """Issue 15 ("behaviour AWS itself verified"): an entry's protocol name in any case (`TCP`, `Udp`) is
    accepted and stored as AWS stores every entry's protocol, its number; an unknown name is refused."""
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="TCP", RuleAction="allow",
                                 Egress=False, CidrBlock="10.0.0.0/16", PortRange={"From": 22, "To": 22})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=110, Protocol="Udp", RuleAction="allow",
                                 Egress=False, CidrBlock="10.0.0.0/16", PortRange={"From": 53, "To": 53})
    entries = {e["RuleNumber"]: e["Protocol"] for e in acl_of(ec2, acl)["Entries"] if not e["Egress"]}
    assert entries[100] == "6" and entries[110] == "17"
    assert_error("InvalidParameterValue", ec2.create_network_acl_entry, NetworkAclId=acl, RuleNumber=120,
                 Protocol="Tcpx", RuleAction="allow", Egress=False, CidrBlock="10.0.0.0/16",
                 PortRange={"From": 1, "To": 1})
