"""Security groups and security group rules (EC2-VPC only).

Rule ids SG-n and A6-A12 refer to shared/spec/inventory-ec2-network-security.md §2 and §13;
M1-M21, C9, AA1/AA6, §3.1 and §4.3 refer to shared/spec/inventory-vpc-guide.md.
[EXT] marks behaviour taken from the current EC2 API Reference rather than from the seeds: sgr- rule ids,
DescribeSecurityGroupRules, ModifySecurityGroupRules and the error codes, which come from the API
Reference's "Error codes for the Amazon EC2 API" page.
"""
import ipaddress

import pytest
from botocore.exceptions import WaiterError

from helpers import (ACCOUNT_ID, assert_error, create_vpc, default_vpc, fast_waiter, tag_spec,
                     tags, vpc_ipv6_block, wait_until)

ALLOWED_PUNCTUATION = "._-:/()#,@[]+=&;{}!$*"   # M13 / SG-22 (VPC): plus a-zA-Z0-9 and space


@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


@pytest.fixture
def sg(ec2, vpc):
    return new_sg(ec2, vpc, "web")


# ---------------------------------------------------------------- local helpers

def new_sg(ec2, vpc_id, name, description="test group", **kwargs):
    return ec2.create_security_group(GroupName=name, Description=description, VpcId=vpc_id, **kwargs)["GroupId"]


def sg_of(ec2, group_id):
    return ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]


def default_sg(ec2, vpc_id):
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(groups) == 1, groups
    return groups[0]


def group_ids(ec2, *filters):
    """GroupIds returned by DescribeSecurityGroups for filters given as (name, [values]) pairs."""
    fs = [{"Name": n, "Values": v} for n, v in filters]
    return {g["GroupId"] for g in ec2.describe_security_groups(Filters=fs)["SecurityGroups"]}


def perm(proto, from_port=None, to_port=None, cidrs=(), cidrs6=(), groups=(), description=None):
    """An IpPermission; FromPort/ToPort only when given."""
    p = {"IpProtocol": proto}
    if from_port is not None:
        p["FromPort"] = from_port
        p["ToPort"] = from_port if to_port is None else to_port
    extra = {"Description": description} if description is not None else {}
    if cidrs:
        p["IpRanges"] = [dict(CidrIp=c, **extra) for c in cidrs]
    if cidrs6:
        p["Ipv6Ranges"] = [dict(CidrIpv6=c, **extra) for c in cidrs6]
    if groups:
        p["UserIdGroupPairs"] = [dict(GroupId=g, **extra) for g in groups]
    return p


def flat(perms):
    """Expands IpPermissions into one tuple per peer: (proto, from, to, kind, peer, description).

    AWS groups rules with the same protocol and ports into one IpPermission; this view does not
    depend on how the server groups them.
    """
    out = set()
    for p in perms:
        key = (p["IpProtocol"], p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges", []):
            out.add(key + ("v4", r["CidrIp"], r.get("Description")))
        for r in p.get("Ipv6Ranges", []):
            out.add(key + ("v6", str(ipaddress.ip_network(r["CidrIpv6"])), r.get("Description")))
        for r in p.get("UserIdGroupPairs", []):
            out.add(key + ("sg", r["GroupId"], r.get("Description")))
        for r in p.get("PrefixListIds", []):
            out.add(key + ("pl", r["PrefixListId"], r.get("Description")))
    return out


def ingress(ec2, group_id):
    return flat(sg_of(ec2, group_id)["IpPermissions"])


def egress(ec2, group_id):
    return flat(sg_of(ec2, group_id)["IpPermissionsEgress"])


def all_v4(desc=None):
    return ("-1", None, None, "v4", "0.0.0.0/0", desc)


def all_v6(desc=None):
    return ("-1", None, None, "v6", "::/0", desc)


def sg_rules(ec2, group_id, egress_only=None):
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]
    if egress_only is not None:
        rules = [r for r in rules if r["IsEgress"] is egress_only]
    return rules


def authorize_n_cidrs(ec2, group_id, n, start=0, egress=False, port=22):
    """Authorizes n IPv4 rules tcp/PORT from 10.(start+i).0.0/16, ten CIDRs per request."""
    fn = ec2.authorize_security_group_egress if egress else ec2.authorize_security_group_ingress
    cidrs = [f"10.{start + i}.0.0/16" for i in range(n)]
    for k in range(0, n, 10):
        fn(GroupId=group_id, IpPermissions=[perm("tcp", port, cidrs=cidrs[k:k + 10])])


def teardown_default_vpc(ec2):
    dvpc = default_vpc(ec2)["VpcId"]
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dvpc]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    for g in ec2.describe_internet_gateways(
            Filters=[{"Name": "attachment.vpc-id", "Values": [dvpc]}])["InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=dvpc)
        ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
    ec2.delete_vpc(VpcId=dvpc)


# ---------------------------------------------------------------- default security group (SG-24..28, M5, M17, A6)

def test_new_vpc_has_one_default_group(ec2, vpc):
    """SG-24 / M5 / §4.3: one group named `default` per VPC; in: all from itself; out: all to 0.0.0.0/0."""
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]
    assert len(groups) == 1
    g = groups[0]
    assert g["GroupName"] == "default"
    assert g["GroupId"].startswith("sg-")
    assert g["VpcId"] == vpc
    assert g["OwnerId"] == ACCOUNT_ID
    assert g["Description"] == "default VPC security group"  # [EXT] AWS's text for every VPC default group
    assert ingress(ec2, g["GroupId"]) == {("-1", None, None, "sg", g["GroupId"], None)}
    pair = g["IpPermissions"][0]["UserIdGroupPairs"][0]
    assert pair["UserId"] == ACCOUNT_ID
    assert egress(ec2, g["GroupId"]) == {all_v4()}


def test_default_group_of_ipv6_vpc_allows_all_ipv6_out(ec2):
    """M5 / §4.3: with an IPv6 block the default group also allows all out to ::/0."""
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    vpc_ipv6_block(ec2, v)
    g = default_sg(ec2, v)
    assert egress(ec2, g["GroupId"]) == {all_v4(), all_v6()}
    assert ingress(ec2, g["GroupId"]) == {("-1", None, None, "sg", g["GroupId"], None)}


def test_default_vpc_has_default_group(ec2):
    """SG-24: the default VPC has its own default group too."""
    g = default_sg(ec2, default_vpc(ec2)["VpcId"])
    assert egress(ec2, g["GroupId"]) == {all_v4()}
    assert ingress(ec2, g["GroupId"]) == {("-1", None, None, "sg", g["GroupId"], None)}


def test_default_group_cannot_be_deleted(ec2, vpc):
    """SG-28 / M17 / AA6 / A6: DeleteSecurityGroup on a VPC default group → CannotDelete."""
    gid = default_sg(ec2, vpc)["GroupId"]
    assert_error("CannotDelete", ec2.delete_security_group, GroupId=gid)
    assert sg_of(ec2, gid)["GroupName"] == "default"


def test_default_group_rules_can_be_changed(ec2, vpc):
    """SG-27: both directions of a VPC default group can be edited."""
    gid = default_sg(ec2, vpc)["GroupId"]
    ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[perm("-1", groups=[gid])])
    ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[perm("-1", cidrs=["0.0.0.0/0"])])
    assert ingress(ec2, gid) == set() and egress(ec2, gid) == set()
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, gid) == {("tcp", 22, 22, "v4", "10.0.0.0/16", None)}


def test_group_name_default_is_reserved(ec2, vpc):
    """[EXT] API Reference error list: InvalidGroup.Reserved, "The name 'default' is reserved, and cannot be used
    to create a new security group"."""
    assert_error("InvalidGroup.Reserved", ec2.create_security_group, GroupName="default", Description="x", VpcId=vpc)
    assert len(ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["SecurityGroups"]) == 1


# ---------------------------------------------------------------- CreateSecurityGroup (SG-11, SG-22, SG-23, M4, M13)

def test_create_security_group(ec2, vpc):
    """M4 / SG-11 / §4.3 / A7: a new group has no inbound rules and one outbound allow-all IPv4 rule."""
    r = ec2.create_security_group(GroupName="SSHAccess", Description="Security group for SSH access", VpcId=vpc)
    gid = r["GroupId"]
    assert gid.startswith("sg-")
    assert r["SecurityGroupArn"] == f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:security-group/{gid}"
    g = sg_of(ec2, gid)
    assert g["GroupName"] == "SSHAccess"
    assert g["Description"] == "Security group for SSH access"
    assert g["VpcId"] == vpc
    assert g["OwnerId"] == ACCOUNT_ID
    assert g["IpPermissions"] == []
    assert len(g["IpPermissionsEgress"]) == 1
    e = g["IpPermissionsEgress"][0]
    assert e["IpProtocol"] == "-1"
    assert "FromPort" not in e and "ToPort" not in e
    assert [x["CidrIp"] for x in e["IpRanges"]] == ["0.0.0.0/0"]
    assert e.get("Ipv6Ranges", []) == [] and e.get("UserIdGroupPairs", []) == [] and e.get("PrefixListIds", []) == []


def test_create_without_vpc_id_uses_default_vpc(ec2):
    """SG-23 [EXT]: VpcId omitted → the group is created in the default VPC."""
    gid = ec2.create_security_group(GroupName="in-default", Description="d")["GroupId"]
    assert sg_of(ec2, gid)["VpcId"] == default_vpc(ec2)["VpcId"]


def test_create_without_vpc_id_and_without_default_vpc(ec2):
    """[EXT] No default VPC and no VpcId → VPCIdNotSpecified."""
    teardown_default_vpc(ec2)
    assert_error("VPCIdNotSpecified", ec2.create_security_group, GroupName="x", Description="d")


def test_create_in_unknown_vpc(ec2):
    assert_error("InvalidVpcID.NotFound", ec2.create_security_group, GroupName="x", Description="d",
                 VpcId="vpc-0123456789abcdef0")


def test_create_with_tag_specifications(ec2, vpc):
    r = ec2.create_security_group(GroupName="tagged", Description="d", VpcId=vpc,
                                  TagSpecifications=tag_spec("security-group", Name="web", env="test"))
    assert tags(r) == {"Name": "web", "env": "test"}
    assert tags(sg_of(ec2, r["GroupId"])) == {"Name": "web", "env": "test"}


def test_duplicate_name_in_vpc(ec2, vpc, sg):
    """M13: a name is unique within its VPC → InvalidGroup.Duplicate; another VPC may reuse it."""
    assert_error("InvalidGroup.Duplicate", ec2.create_security_group, GroupName="web", Description="again", VpcId=vpc)
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    gid = new_sg(ec2, other, "web")
    assert gid != sg


def test_names_are_case_insensitive(ec2, vpc, sg):
    """[EXT] API Reference (CreateSecurityGroup GroupName): "Names are case-insensitive and must be unique within the VPC"."""
    assert_error("InvalidGroup.Duplicate", ec2.create_security_group, GroupName="WEB", Description="d", VpcId=vpc)


@pytest.mark.parametrize("name", ["sg-web", "sg-0123456789abcdef0"])
def test_name_starting_with_sg_refused(ec2, vpc, name):
    """M13: a group name must not start with `sg-` → InvalidParameterValue."""
    assert_error("InvalidParameterValue", ec2.create_security_group, GroupName=name, Description="d", VpcId=vpc)


def test_name_and_description_255_chars(ec2, vpc):
    """SG-22 / M13: up to 255 characters each."""
    gid = new_sg(ec2, vpc, "n" * 255, "d" * 255)
    g = sg_of(ec2, gid)
    assert g["GroupName"] == "n" * 255 and g["Description"] == "d" * 255


@pytest.mark.parametrize("field", ["GroupName", "Description"])
def test_name_or_description_256_chars_refused(ec2, vpc, field):
    """SG-22 / M13 / A9: 256 characters → InvalidParameterValue."""
    args = {"GroupName": "ok", "Description": "ok", "VpcId": vpc}
    args[field] = "x" * 256
    assert_error("InvalidParameterValue", ec2.create_security_group, **args)


def test_name_allowed_characters(ec2, vpc):
    """M13 / SG-22 / A9: VPC names take a-zA-Z0-9, spaces and ._-:/()#,@[]+=&;{}!$* (including `&`)."""
    name = "Web Tier 01 " + ALLOWED_PUNCTUATION
    gid = new_sg(ec2, vpc, name, "desc " + ALLOWED_PUNCTUATION)
    g = sg_of(ec2, gid)
    assert g["GroupName"] == name
    assert g["Description"] == "desc " + ALLOWED_PUNCTUATION


@pytest.mark.parametrize("field,value", [("GroupName", "web<1>"), ("GroupName", "caf\u00e9"),
                                         ("Description", "bad ~ tilde"), ("Description", "caf\u00e9")])
def test_disallowed_characters_refused(ec2, vpc, field, value):
    """M13 / SG-22: characters outside the VPC set → InvalidParameterValue."""
    args = {"GroupName": "ok", "Description": "ok", "VpcId": vpc}
    args[field] = value
    assert_error("InvalidParameterValue", ec2.create_security_group, **args)


# ---------------------------------------------------------------- DescribeSecurityGroups

def test_describe_by_ids(ec2, vpc, sg):
    other = new_sg(ec2, vpc, "db")
    got = ec2.describe_security_groups(GroupIds=[sg, other])["SecurityGroups"]
    assert {g["GroupId"] for g in got} == {sg, other}


def test_describe_unknown_group(ec2):
    assert_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=["sg-0123456789abcdef0"])


def test_describe_malformed_group_id(ec2):
    """[EXT] InvalidGroupId.Malformed: the id is not sg- followed by hex."""
    assert_error("InvalidGroupId.Malformed", ec2.describe_security_groups, GroupIds=["sg-zzzz"])


def test_describe_lists_every_group_of_the_account(ec2, vpc, sg):
    got = {g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]}
    assert {sg, default_sg(ec2, vpc)["GroupId"], default_sg(ec2, default_vpc(ec2)["VpcId"])["GroupId"]} <= got


def test_describe_by_group_name_in_default_vpc(ec2):
    """[EXT] GroupNames addresses groups of the default VPC only."""
    gid = ec2.create_security_group(GroupName="by-name", Description="d")["GroupId"]
    got = ec2.describe_security_groups(GroupNames=["by-name"])["SecurityGroups"]
    assert [g["GroupId"] for g in got] == [gid]
    dflt = ec2.describe_security_groups(GroupNames=["default"])["SecurityGroups"]
    assert [g["VpcId"] for g in dflt] == [default_vpc(ec2)["VpcId"]]


def test_describe_by_group_name_of_nondefault_vpc_group(ec2, vpc, sg):
    """[EXT] A nondefault-VPC group is not found by GroupNames (use the group-name filter)."""
    assert_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupNames=["web"])
    assert group_ids(ec2, ("group-name", ["web"])) == {sg}


def test_other_account_cannot_see_group(ec2_factory, ec2, sg):
    other = ec2_factory(account="other")
    assert_error("InvalidGroup.NotFound", other.describe_security_groups, GroupIds=[sg])
    assert sg not in {g["GroupId"] for g in other.describe_security_groups()["SecurityGroups"]}


@pytest.fixture
def populated(ec2, vpc):
    """Two custom groups: `app` (tcp 22 from 203.0.113.0/24, tcp 8000-8080 from `lb`, ICMPv6 from ::/0,
    egress tcp 443 to 10.9.0.0/16) and `lb` (tcp 80 from 0.0.0.0/0); tagged differently."""
    lb = new_sg(ec2, vpc, "lb", "load balancer", TagSpecifications=tag_spec("security-group", tier="edge"))
    app = new_sg(ec2, vpc, "app", "application servers", TagSpecifications=tag_spec("security-group", tier="app"))
    ec2.authorize_security_group_ingress(GroupId=lb, IpPermissions=[perm("tcp", 80, cidrs=["0.0.0.0/0"])])
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        perm("tcp", 22, cidrs=["203.0.113.0/24"], description="admin"),
        perm("tcp", 8000, 8080, groups=[lb]),
        perm("58", -1, -1, cidrs6=["::/0"]),
    ])
    ec2.authorize_security_group_egress(GroupId=app, IpPermissions=[perm("tcp", 443, cidrs=["10.9.0.0/16"])])
    return {"app": app, "lb": lb, "default": default_sg(ec2, vpc)["GroupId"], "vpc": vpc}


def test_filter_group_id_and_name(ec2, populated):
    assert group_ids(ec2, ("group-id", [populated["app"]])) == {populated["app"]}
    assert group_ids(ec2, ("group-name", ["lb", "app"])) == {populated["app"], populated["lb"]}


def test_filter_vpc_id(ec2, populated):
    assert group_ids(ec2, ("vpc-id", [populated["vpc"]])) == {populated["app"], populated["lb"], populated["default"]}


def test_filter_description(ec2, populated):
    assert group_ids(ec2, ("description", ["load balancer"])) == {populated["lb"]}
    assert group_ids(ec2, ("vpc-id", [populated["vpc"]]), ("description", ["*servers"])) == {populated["app"]}


def test_filter_owner_id(ec2, populated):
    got = group_ids(ec2, ("owner-id", [ACCOUNT_ID]), ("vpc-id", [populated["vpc"]]))
    assert got == {populated["app"], populated["lb"], populated["default"]}
    assert group_ids(ec2, ("owner-id", ["999999999999"])) == set()


def test_filter_ip_permission_cidr(ec2, populated):
    assert group_ids(ec2, ("ip-permission.cidr", ["203.0.113.0/24"])) == {populated["app"]}
    assert group_ids(ec2, ("ip-permission.cidr", ["0.0.0.0/0"]), ("vpc-id", [populated["vpc"]])) == {populated["lb"]}


def test_filter_ip_permission_ports_and_protocol(ec2, populated):
    v = ("vpc-id", [populated["vpc"]])
    assert group_ids(ec2, v, ("ip-permission.from-port", ["8000"])) == {populated["app"]}
    assert group_ids(ec2, v, ("ip-permission.to-port", ["8080"])) == {populated["app"]}
    assert group_ids(ec2, v, ("ip-permission.from-port", ["80"])) == {populated["lb"]}
    assert group_ids(ec2, v, ("ip-permission.protocol", ["tcp"])) == {populated["app"], populated["lb"]}
    # the default group's self rule is protocol -1
    assert group_ids(ec2, v, ("ip-permission.protocol", ["-1"])) == {populated["default"]}


def test_filter_ip_permission_group_id(ec2, populated):
    assert group_ids(ec2, ("ip-permission.group-id", [populated["lb"]])) == {populated["app"]}
    assert group_ids(ec2, ("ip-permission.group-id", [populated["default"]])) == {populated["default"]}


def test_filter_ip_permission_ipv6_cidr(ec2, populated):
    assert group_ids(ec2, ("ip-permission.ipv6-cidr", ["::/0"])) == {populated["app"]}


def test_filter_egress_ip_permission_cidr(ec2, populated):
    assert group_ids(ec2, ("egress.ip-permission.cidr", ["10.9.0.0/16"])) == {populated["app"]}
    # every group of the VPC has the allow-all egress rule
    got = group_ids(ec2, ("egress.ip-permission.cidr", ["0.0.0.0/0"]), ("vpc-id", [populated["vpc"]]))
    assert got == {populated["app"], populated["lb"], populated["default"]}


def test_filter_tags(ec2, populated):
    assert group_ids(ec2, ("tag:tier", ["edge"])) == {populated["lb"]}
    assert group_ids(ec2, ("tag-key", ["tier"])) == {populated["app"], populated["lb"]}
    ec2.create_tags(Resources=[populated["default"]], Tags=[{"Key": "tier", "Value": "edge"}])
    assert group_ids(ec2, ("tag:tier", ["edge"])) == {populated["lb"], populated["default"]}


def test_filters_are_anded(ec2, populated):
    assert group_ids(ec2, ("group-name", ["lb"]), ("tag:tier", ["app"])) == set()


# ---------------------------------------------------------------- AuthorizeSecurityGroupIngress (SG-14..19, M7, M8)

def test_authorize_ingress_returns_rules(ec2, sg):
    """[EXT] Authorize returns Return=true and one SecurityGroupRule (sgr- id) per added rule."""
    r = ec2.authorize_security_group_ingress(
        GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["203.0.113.0/24"], description="SSH from office")])
    assert r["Return"] is True
    assert len(r["SecurityGroupRules"]) == 1
    rule = r["SecurityGroupRules"][0]
    assert rule["SecurityGroupRuleId"].startswith("sgr-")
    assert rule["GroupId"] == sg
    assert rule["GroupOwnerId"] == ACCOUNT_ID
    assert rule["IsEgress"] is False
    assert rule["IpProtocol"] == "tcp"
    assert (rule["FromPort"], rule["ToPort"]) == (22, 22)
    assert rule["CidrIpv4"] == "203.0.113.0/24"
    assert rule["Description"] == "SSH from office"
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "203.0.113.0/24", "SSH from office")}


def test_authorize_one_rule_per_peer(ec2, sg):
    """M7: one IpPermission with two IPv4 ranges and one IPv6 range is three rules."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        perm("tcp", 443, cidrs=["0.0.0.0/0", "198.51.100.0/24"], cidrs6=["::/0"])])
    got = r["SecurityGroupRules"]
    assert len(got) == 3
    assert len({x["SecurityGroupRuleId"] for x in got}) == 3
    assert {x.get("CidrIpv4") or x.get("CidrIpv6") for x in got} == {"0.0.0.0/0", "198.51.100.0/24", "::/0"}
    assert ingress(ec2, sg) == {("tcp", 443, 443, "v4", "0.0.0.0/0", None), ("tcp", 443, 443, "v4", "198.51.100.0/24", None),
                                ("tcp", 443, 443, "v6", "::/0", None)}


def test_web_server_rules(ec2, sg):
    """§2.8 "Web HTTP/HTTPS": tcp 80 and 443 from 0.0.0.0/0 and ::/0."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        perm("tcp", 80, cidrs=["0.0.0.0/0"], cidrs6=["::/0"]),
        perm("tcp", 443, cidrs=["0.0.0.0/0"], cidrs6=["::/0"])])
    assert ingress(ec2, sg) == {(p, port, port, fam, c, None) for p in ["tcp"] for port in (80, 443)
                                for fam, c in (("v4", "0.0.0.0/0"), ("v6", "::/0"))}


def test_authorize_ipv6_single_address(ec2, sg):
    """SG-15: a single IPv6 address is written /128."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        perm("tcp", 22, cidrs6=["2001:db8:1234:1a00::123/128"], description="admin v6")])
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v6", "2001:db8:1234:1a00::123/128", "admin v6")}


def test_single_ipv4_address_needs_prefix(ec2, sg):
    """SG-15 / A8: 203.0.113.1 without /32 is refused; with /32 accepted."""
    assert_error("InvalidParameterValue", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["203.0.113.1"])])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["203.0.113.1/32"])])
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "203.0.113.1/32", None)}


def test_authorize_group_reference(ec2, vpc, sg):
    """M7 / M10 / §2.8 (MySQL from an SG): a rule whose source is another group of the VPC."""
    app = new_sg(ec2, vpc, "app")
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        perm("tcp", 3306, groups=[app], description="from app tier")])
    rule = r["SecurityGroupRules"][0]
    assert rule["ReferencedGroupInfo"]["GroupId"] == app
    assert rule["ReferencedGroupInfo"].get("UserId", ACCOUNT_ID) == ACCOUNT_ID
    assert "CidrIpv4" not in rule
    perms = sg_of(ec2, sg)["IpPermissions"]
    assert len(perms) == 1
    pair = perms[0]["UserIdGroupPairs"][0]
    assert pair["GroupId"] == app and pair["UserId"] == ACCOUNT_ID and pair["Description"] == "from app tier"


def test_self_referencing_rule(ec2, sg):
    """§2.8 "Same group, VPC": protocol -1 from the group's own id."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("-1", groups=[sg])])
    assert ingress(ec2, sg) == {("-1", None, None, "sg", sg, None)}


def test_reference_to_unknown_group(ec2, sg):
    assert_error("InvalidGroup.NotFound", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, groups=["sg-0123456789abcdef0"])])


def test_reference_to_group_of_another_vpc_refused(ec2, sg):
    """SG-8 / M10: a VPC group may reference only groups of the same (or a peered) VPC. [EXT] AWS answers
    InvalidGroup.NotFound "You have specified two resources that belong to different networks."
    (boto/boto3#569, a reference to a group of another VPC)."""
    other_vpc = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    stranger = new_sg(ec2, other_vpc, "stranger")
    assert_error("InvalidGroup.NotFound", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, groups=[stranger])])
    assert ingress(ec2, sg) == set()


def test_authorize_shorthand_parameters(ec2, sg):
    """[EXT] AuthorizeSecurityGroupIngress's top-level IpProtocol/FromPort/ToPort/CidrIp members."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0")
    assert r["Return"] is True
    assert ingress(ec2, sg) == {("tcp", 80, 80, "v4", "0.0.0.0/0", None)}


def test_aws_cli_shorthand(aws_cli, ec2, sg):
    """S9 step 7 (guide L1741): `authorize-security-group-ingress --protocol tcp --port 22 --cidr …`;
    the CLI also takes port ranges and `--protocol all`."""
    aws_cli("authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "22",
            "--cidr", "203.0.113.0/24")
    aws_cli("authorize-security-group-ingress", "--group-id", sg, "--protocol", "udp", "--port", "7000-8000",
            "--cidr", "10.0.0.0/16")
    aws_cli("authorize-security-group-ingress", "--group-id", sg, "--protocol", "all", "--cidr", "10.1.0.0/16")
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "203.0.113.0/24", None),
                                ("udp", 7000, 8000, "v4", "10.0.0.0/16", None),
                                ("-1", None, None, "v4", "10.1.0.0/16", None)}
    out = aws_cli("describe-security-groups", "--group-ids", sg)
    assert out["SecurityGroups"][0]["GroupId"] == sg


def test_aws_cli_ip_permissions_json(aws_cli, ec2, sg):
    """S10 (guide L2153): the JSON form with Ipv6Ranges."""
    aws_cli("authorize-security-group-ingress", "--group-id", sg, "--ip-permissions",
            '[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}]')
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v6", "::/0", None)}


def test_protocol_minus_one_means_all(ec2, sg):
    """SG-19 / M8: protocol -1 is all traffic; the rule carries no ports ([EXT] -1/-1 in SecurityGroupRules)."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("-1", cidrs=["10.0.0.0/8"])])
    rule = r["SecurityGroupRules"][0]
    assert rule["IpProtocol"] == "-1"
    assert (rule["FromPort"], rule["ToPort"]) == (-1, -1)
    p = sg_of(ec2, sg)["IpPermissions"][0]
    assert p["IpProtocol"] == "-1" and "FromPort" not in p and "ToPort" not in p


def test_tcp_and_udp_port_ranges(ec2, sg):
    """SG-14: a single port or a range for TCP/UDP; §2.8 DNS server (tcp+udp 53)."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        perm("tcp", 7000, 8000, cidrs=["10.0.0.0/16"]),
        perm("tcp", 53, cidrs=["10.0.0.0/16"]),
        perm("udp", 53, cidrs=["10.0.0.0/16"]),
        perm("tcp", 0, 65535, cidrs=["10.1.0.0/16"])])
    assert ingress(ec2, sg) == {("tcp", 7000, 8000, "v4", "10.0.0.0/16", None), ("tcp", 53, 53, "v4", "10.0.0.0/16", None),
                                ("udp", 53, 53, "v4", "10.0.0.0/16", None), ("tcp", 0, 65535, "v4", "10.1.0.0/16", None)}


def test_icmp_type_and_code(ec2, sg):
    """SG-19: path MTU = ICMP 3/4; ping = type 8, any code (-1); all ICMP = -1/-1. FromPort=type, ToPort=code."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        perm("icmp", 3, 4, cidrs=["0.0.0.0/0"]),
        perm("icmp", 8, -1, cidrs=["198.51.100.0/24"]),
        perm("icmp", -1, -1, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, sg) == {("icmp", 3, 4, "v4", "0.0.0.0/0", None), ("icmp", 8, -1, "v4", "198.51.100.0/24", None),
                                ("icmp", -1, -1, "v4", "10.0.0.0/16", None)}


def test_icmpv6_by_number(ec2, sg):
    """SG-19 / M8 / guide L2231: ping6 is ICMPv6 (protocol "58"), type 128 code 0."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("58", 128, 0, cidrs6=["2001:db8::/32"])])
    rule = r["SecurityGroupRules"][0]
    assert rule["IpProtocol"] in ("icmpv6", "58")
    assert (rule["FromPort"], rule["ToPort"]) == (128, 0)
    [(proto, frm, to, fam, cidr, _)] = ingress(ec2, sg)
    assert proto in ("icmpv6", "58") and (frm, to, fam, cidr) == (128, 0, "v6", "2001:db8::/32")


def test_protocol_number_6_is_tcp(ec2, sg):
    """SG-14: a protocol is given by name or number; "6" and "tcp" are the same rule."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("6", 22, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "10.0.0.0/16", None)}
    assert_error("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[perm("6", 22, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, sg) == set()


def test_other_protocol_number(ec2, sg):
    """M8: any IANA protocol number, e.g. GRE (47)."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("47", cidrs=["10.0.0.0/16"])])
    assert r["SecurityGroupRules"][0]["IpProtocol"] == "47"
    assert {x[0] for x in ingress(ec2, sg)} == {"47"}


@pytest.mark.parametrize("p", [perm("tcp", 8000, 7000, cidrs=["10.0.0.0/16"]),
                               perm("tcp", 0, 65536, cidrs=["10.0.0.0/16"]),
                               perm("udp", -5, 10, cidrs=["10.0.0.0/16"])])
def test_invalid_port_range(ec2, sg, p):
    assert_error("InvalidParameterValue", ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[p])
    assert ingress(ec2, sg) == set()


def test_malformed_cidr(ec2, sg):
    assert_error("InvalidParameterValue", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/33"])])


def test_rule_description_charset_and_length(ec2, sg):
    """SG-16 / M13: a rule description is ≤255 characters of a-zA-Z0-9, space and ._-:/()#,@[]+=&;{}!$*."""
    ok = "Admin " + ALLOWED_PUNCTUATION
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"],
                                                                         description=ok)])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 23, cidrs=["10.0.0.0/16"],
                                                                         description="d" * 255)])
    assert ("tcp", 22, 22, "v4", "10.0.0.0/16", ok) in ingress(ec2, sg)
    for bad in ("d" * 256, "caf\u00e9", "a < b"):
        assert_error("InvalidParameterValue", ec2.authorize_security_group_ingress,
                     GroupId=sg, IpPermissions=[perm("tcp", 24, cidrs=["10.0.0.0/16"], description=bad)])
    assert len(ingress(ec2, sg)) == 2


def test_duplicate_rule(ec2, sg):
    """[EXT] InvalidPermission.Duplicate; a different description does not make a different rule."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert_error("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert_error("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"], description="other")])
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "10.0.0.0/16", None)}


def test_duplicate_in_a_request_adds_nothing(ec2, sg):
    """§2.2: Authorize is one call that fails as a whole; the new rule beside the duplicate is not added."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert_error("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[
        perm("tcp", 80, cidrs=["0.0.0.0/0"]), perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "10.0.0.0/16", None)}


def test_duplicate_default_egress_rule(ec2, sg):
    assert_error("InvalidPermission.Duplicate", ec2.authorize_security_group_egress,
                 GroupId=sg, IpPermissions=[perm("-1", cidrs=["0.0.0.0/0"])])


def test_same_rule_in_the_other_direction_is_not_a_duplicate(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert ("tcp", 22, 22, "v4", "10.0.0.0/16", None) in egress(ec2, sg)


def test_authorize_unknown_group(ec2):
    assert_error("InvalidGroup.NotFound", ec2.authorize_security_group_ingress,
                 GroupId="sg-0123456789abcdef0", IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])


def test_authorize_by_group_name_in_default_vpc(ec2):
    """[EXT] GroupName may address a default-VPC group in Authorize/Revoke."""
    gid = ec2.create_security_group(GroupName="named", Description="d")["GroupId"]
    ec2.authorize_security_group_ingress(GroupName="named", IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, gid) == {("tcp", 22, 22, "v4", "10.0.0.0/16", None)}
    ec2.revoke_security_group_ingress(GroupName="named", IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, gid) == set()


def test_authorize_with_rule_tags(ec2, sg):
    """[EXT] TagSpecifications (resource type security-group-rule) tag the new rules."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])],
                                             TagSpecifications=tag_spec("security-group-rule", Name="ssh"))
    rule = r["SecurityGroupRules"][0]
    assert tags(rule) == {"Name": "ssh"}
    got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])["SecurityGroupRules"]
    assert tags(got[0]) == {"Name": "ssh"}


# ---------------------------------------------------------------- egress (SG-7, SG-11, M4, §2.8 DB egress lock-down)

def test_egress_lock_down(ec2, sg):
    """§2.8 / A19 (control plane): remove the default egress rule, then allow only tcp 80/443 out."""
    r = ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[perm("-1", cidrs=["0.0.0.0/0"])])
    assert r["Return"] is True
    assert egress(ec2, sg) == set()
    assert sg_of(ec2, sg)["IpPermissionsEgress"] == []
    r = ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[
        perm("tcp", 80, cidrs=["0.0.0.0/0"], cidrs6=["::/0"]), perm("tcp", 443, cidrs=["0.0.0.0/0"], cidrs6=["::/0"])])
    assert r["Return"] is True
    assert len(r["SecurityGroupRules"]) == 4
    assert all(x["IsEgress"] is True for x in r["SecurityGroupRules"])
    assert egress(ec2, sg) == {("tcp", p, p, fam, c, None) for p in (80, 443)
                               for fam, c in (("v4", "0.0.0.0/0"), ("v6", "::/0"))}
    assert ingress(ec2, sg) == set()


def test_egress_to_group(ec2, vpc, sg):
    """§2.8 ELB SG out: tcp to the instance group."""
    inst = new_sg(ec2, vpc, "instances")
    ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=[perm("tcp", 8080, groups=[inst])])
    assert ("tcp", 8080, 8080, "sg", inst, None) in egress(ec2, sg)


# ---------------------------------------------------------------- Revoke (SG-20, M12)

def test_revoke_ingress_by_properties(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        perm("tcp", 22, cidrs=["10.0.0.0/16"], description="ssh"), perm("tcp", 80, cidrs=["0.0.0.0/0"])])
    ids = {x["CidrIpv4"]: x["SecurityGroupRuleId"] for x in r["SecurityGroupRules"]}
    # the description need not be given to revoke a rule that has one
    out = ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert out["Return"] is True
    assert out.get("UnknownIpPermissions", []) == []
    if "RevokedSecurityGroupRules" in out:
        assert [x["SecurityGroupRuleId"] for x in out["RevokedSecurityGroupRules"]] == [ids["10.0.0.0/16"]]
    assert ingress(ec2, sg) == {("tcp", 80, 80, "v4", "0.0.0.0/0", None)}


def test_revoke_by_rule_id(ec2, sg):
    """[EXT] RevokeSecurityGroupIngress/Egress take SecurityGroupRuleIds."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    rid = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.revoke_security_group_ingress(GroupId=sg, SecurityGroupRuleIds=[rid])
    assert ingress(ec2, sg) == set()
    eg = sg_rules(ec2, sg, egress_only=True)[0]["SecurityGroupRuleId"]
    ec2.revoke_security_group_egress(GroupId=sg, SecurityGroupRuleIds=[eg])
    assert egress(ec2, sg) == set()


def test_revoke_shorthand_parameters(ec2, sg):
    ec2.authorize_security_group_ingress(GroupId=sg, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0")
    ec2.revoke_security_group_ingress(GroupId=sg, IpProtocol="tcp", FromPort=80, ToPort=80, CidrIp="0.0.0.0/0")
    assert ingress(ec2, sg) == set()


def test_revoke_missing_rule_in_nondefault_vpc(ec2, sg):
    """[EXT] API Reference RevokeSecurityGroupIngress: in a nondefault VPC, values that match no rule →
    InvalidPermission.NotFound and no rules are revoked."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    assert_error("InvalidPermission.NotFound", ec2.revoke_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 23, cidrs=["10.0.0.0/16"])])
    # one existing and one missing rule: nothing is revoked
    assert_error("InvalidPermission.NotFound", ec2.revoke_security_group_ingress, GroupId=sg, IpPermissions=[
        perm("tcp", 22, cidrs=["10.0.0.0/16"]), perm("tcp", 22, cidrs=["10.1.0.0/16"])])
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "10.0.0.0/16", None)}
    assert_error("InvalidPermission.NotFound", ec2.revoke_security_group_egress,
                 GroupId=sg, IpPermissions=[perm("tcp", 443, cidrs=["0.0.0.0/0"])])
    assert egress(ec2, sg) == {all_v4()}


def test_revoke_missing_rule_in_default_vpc(ec2):
    """[EXT] API Reference RevokeSecurityGroupIngress: in a default VPC, values that match no rule return no
    error, and the output describes the rules that were not revoked (UnknownIpPermissions)."""
    gid = ec2.create_security_group(GroupName="dflt-vpc-group", Description="d")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    out = ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[perm("tcp", 23, cidrs=["10.0.0.0/16"])])
    unknown = flat(out["UnknownIpPermissions"])
    assert unknown == {("tcp", 23, 23, "v4", "10.0.0.0/16", None)}
    assert ingress(ec2, gid) == {("tcp", 22, 22, "v4", "10.0.0.0/16", None)}


def test_revoke_unknown_rule_id(ec2, sg):
    assert_error("InvalidSecurityGroupRuleId.NotFound", ec2.revoke_security_group_ingress,
                 GroupId=sg, SecurityGroupRuleIds=["sgr-0123456789abcdef0"])


def test_change_port_is_revoke_plus_authorize(ec2, sg):
    """SG-20 / A10 / M12: a rule's port changes by revoke + authorize (or ModifySecurityGroupRules, below)."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 2222, cidrs=["10.0.0.0/16"])])
    assert ingress(ec2, sg) == {("tcp", 2222, 2222, "v4", "10.0.0.0/16", None)}


# ---------------------------------------------------------------- DescribeSecurityGroupRules [EXT]

def test_describe_rules_of_new_group(ec2, sg):
    rules = sg_rules(ec2, sg)
    assert len(rules) == 1
    r = rules[0]
    assert r["SecurityGroupRuleId"].startswith("sgr-")
    assert r["GroupId"] == sg and r["GroupOwnerId"] == ACCOUNT_ID
    assert r["IsEgress"] is True
    assert r["IpProtocol"] == "-1"
    assert (r["FromPort"], r["ToPort"]) == (-1, -1)
    assert r["CidrIpv4"] == "0.0.0.0/0"


def test_describe_rules_of_default_group(ec2, vpc):
    gid = default_sg(ec2, vpc)["GroupId"]
    rules = sg_rules(ec2, gid)
    ins = [r for r in rules if not r["IsEgress"]]
    outs = [r for r in rules if r["IsEgress"]]
    assert len(ins) == 1 and len(outs) == 1
    assert ins[0]["ReferencedGroupInfo"]["GroupId"] == gid
    assert outs[0]["CidrIpv4"] == "0.0.0.0/0"


def test_rule_ids_match_authorize_response(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"]),
                                                                        perm("udp", 53, cidrs6=["::/0"])])
    added = {x["SecurityGroupRuleId"]: x for x in r["SecurityGroupRules"]}
    listed = {x["SecurityGroupRuleId"]: x for x in sg_rules(ec2, sg, egress_only=False)}
    assert set(listed) == set(added)
    by_id = ec2.describe_security_group_rules(SecurityGroupRuleIds=list(added))["SecurityGroupRules"]
    assert {x["SecurityGroupRuleId"] for x in by_id} == set(added)
    for rid, x in added.items():
        for k in ("GroupId", "IsEgress", "IpProtocol", "FromPort", "ToPort"):
            assert listed[rid][k] == x[k]
    v6 = [x for x in listed.values() if x["IpProtocol"] == "udp"][0]
    assert v6["CidrIpv6"] == "::/0" and "CidrIpv4" not in v6


def test_describe_rules_filters(ec2, vpc, sg):
    other = new_sg(ec2, vpc, "other")
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    rid = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    got = ec2.describe_security_group_rules(Filters=[{"Name": "security-group-rule-id", "Values": [rid]}])
    assert [x["SecurityGroupRuleId"] for x in got["SecurityGroupRules"]] == [rid]
    got = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg, other]}])["SecurityGroupRules"]
    assert {x["GroupId"] for x in got} == {sg, other}
    assert len(got) == 3   # two default egress rules + the ssh rule
    ec2.create_tags(Resources=[rid], Tags=[{"Key": "purpose", "Value": "ssh"}])
    got = ec2.describe_security_group_rules(Filters=[{"Name": "tag:purpose", "Values": ["ssh"]}])["SecurityGroupRules"]
    assert [x["SecurityGroupRuleId"] for x in got] == [rid]
    assert tags(got[0]) == {"purpose": "ssh"}


def test_describe_unknown_rule_id(ec2):
    assert_error("InvalidSecurityGroupRuleId.NotFound", ec2.describe_security_group_rules,
                 SecurityGroupRuleIds=["sgr-0123456789abcdef0"])


def test_rules_vanish_with_their_group(ec2, vpc):
    gid = new_sg(ec2, vpc, "short-lived")
    rid = sg_rules(ec2, gid)[0]["SecurityGroupRuleId"]
    ec2.delete_security_group(GroupId=gid)
    assert_error("InvalidSecurityGroupRuleId.NotFound", ec2.describe_security_group_rules, SecurityGroupRuleIds=[rid])


# ---------------------------------------------------------------- ModifySecurityGroupRules [EXT] / descriptions (M12)

def test_modify_security_group_rule(ec2, sg):
    """[EXT] ModifySecurityGroupRules replaces a rule's protocol, ports, peer and description, keeping its id."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    rid = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    out = ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[{
        "SecurityGroupRuleId": rid,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 2222, "ToPort": 2222, "CidrIpv4": "192.0.2.0/24",
                              "Description": "moved"}}])
    assert out["Return"] is True
    assert ingress(ec2, sg) == {("tcp", 2222, 2222, "v4", "192.0.2.0/24", "moved")}
    [rule] = sg_rules(ec2, sg, egress_only=False)
    assert rule["SecurityGroupRuleId"] == rid
    assert rule["CidrIpv4"] == "192.0.2.0/24" and rule["Description"] == "moved"


def test_modify_rule_to_group_reference(ec2, vpc, sg):
    app = new_sg(ec2, vpc, "app")
    rid = sg_rules(ec2, sg, egress_only=True)[0]["SecurityGroupRuleId"]
    ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[{
        "SecurityGroupRuleId": rid, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 5432, "ToPort": 5432,
                                                          "ReferencedGroupId": app}}])
    assert egress(ec2, sg) == {("tcp", 5432, 5432, "sg", app, None)}


def test_modify_unknown_rule(ec2, sg):
    assert_error("InvalidSecurityGroupRuleId.NotFound", ec2.modify_security_group_rules, GroupId=sg,
                 SecurityGroupRules=[{"SecurityGroupRuleId": "sgr-0123456789abcdef0",
                                      "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1,
                                                            "CidrIpv4": "10.0.0.0/16"}}])


def test_modify_into_duplicate_refused(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"]),
                                                                        perm("tcp", 23, cidrs=["10.0.0.0/16"])])
    rid23 = [x for x in r["SecurityGroupRules"] if x["FromPort"] == 23][0]["SecurityGroupRuleId"]
    assert_error("InvalidPermission.Duplicate", ec2.modify_security_group_rules, GroupId=sg, SecurityGroupRules=[{
        "SecurityGroupRuleId": rid23,
        "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIpv4": "10.0.0.0/16"}}])
    assert len(ingress(ec2, sg)) == 2


def test_update_ingress_description_by_properties(ec2, sg):
    """SG-20 / M12 / A10: UpdateSecurityGroupRuleDescriptionsIngress changes only the description."""
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"],
                                                                             description="old")])
    rid = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    out = ec2.update_security_group_rule_descriptions_ingress(
        GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"], description="new")])
    assert out["Return"] is True
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "10.0.0.0/16", "new")}
    assert sg_rules(ec2, sg, egress_only=False)[0]["SecurityGroupRuleId"] == rid


def test_update_ingress_description_by_rule_id(ec2, sg):
    r = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    rid = r["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    ec2.update_security_group_rule_descriptions_ingress(
        GroupId=sg, SecurityGroupRuleDescriptions=[{"SecurityGroupRuleId": rid, "Description": "by id"}])
    assert ingress(ec2, sg) == {("tcp", 22, 22, "v4", "10.0.0.0/16", "by id")}


def test_update_egress_description(ec2, sg):
    ec2.update_security_group_rule_descriptions_egress(
        GroupId=sg, IpPermissions=[perm("-1", cidrs=["0.0.0.0/0"], description="all out")])
    assert egress(ec2, sg) == {all_v4("all out")}


def test_update_description_of_missing_rule(ec2, sg):
    assert_error("InvalidPermission.NotFound", ec2.update_security_group_rule_descriptions_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"], description="x")])


# ---------------------------------------------------------------- quotas (M15, §3.1)

def test_sixty_inbound_ipv4_rules(ec2, sg):
    """M15 / §3.1: 60 inbound rules per group; the 61st → RulesPerSecurityGroupLimitExceeded."""
    authorize_n_cidrs(ec2, sg, 60)
    assert len(ingress(ec2, sg)) == 60
    assert_error("RulesPerSecurityGroupLimitExceeded", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["192.0.2.0/24"])])
    assert len(ingress(ec2, sg)) == 60


def test_rule_limit_refuses_the_whole_request(ec2, sg):
    authorize_n_cidrs(ec2, sg, 55)
    assert_error("RulesPerSecurityGroupLimitExceeded", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=[f"192.168.{i}.0/24" for i in range(10)])])
    assert len(ingress(ec2, sg)) == 55


def test_ipv4_and_ipv6_rules_counted_separately(ec2, sg):
    """M15 / §3.1: the quota is per IP family."""
    authorize_n_cidrs(ec2, sg, 60)
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs6=["::/0"])])
    assert len(ingress(ec2, sg)) == 61


def test_group_reference_counts_in_both_families(ec2, vpc, sg):
    """§3.1: a group-reference rule counts once for IPv4 and once for IPv6."""
    peer = new_sg(ec2, vpc, "peer")
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 1000 + i, groups=[peer])
                                                                    for i in range(60)])
    assert_error("RulesPerSecurityGroupLimitExceeded", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs6=["::/0"])])
    assert_error("RulesPerSecurityGroupLimitExceeded", ec2.authorize_security_group_ingress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])


def test_sixty_outbound_rules_include_the_default_one(ec2, sg):
    """M15 / §3.1: outbound has its own 60, and the default allow-all rule is one of them."""
    authorize_n_cidrs(ec2, sg, 59, egress=True)
    assert len(egress(ec2, sg)) == 60
    assert_error("RulesPerSecurityGroupLimitExceeded", ec2.authorize_security_group_egress,
                 GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["192.0.2.0/24"])])
    # inbound is still empty and open for rules
    authorize_n_cidrs(ec2, sg, 10)


def test_revoking_frees_a_rule_slot(ec2, sg):
    authorize_n_cidrs(ec2, sg, 60)
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("tcp", 22, cidrs=["192.0.2.0/24"])])
    assert len(ingress(ec2, sg)) == 60


# ---------------------------------------------------------------- DeleteSecurityGroup (SG-29..32, M17, AA1, AA6, A11)

def test_delete_security_group(ec2, vpc, sg):
    r = ec2.delete_security_group(GroupId=sg)
    assert r.get("Return", True) is True
    assert_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=[sg])
    # the name is free again
    new_sg(ec2, vpc, "web")


def test_delete_unknown_group(ec2):
    assert_error("InvalidGroup.NotFound", ec2.delete_security_group, GroupId="sg-0123456789abcdef0")


def test_delete_group_referenced_by_another_group(ec2, vpc, sg):
    """SG-31 / A11(b): refused with DependencyViolation while another group's rule references it."""
    app = new_sg(ec2, vpc, "app")
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[perm("tcp", 80, groups=[sg])])
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=sg)
    assert sg_of(ec2, sg)["GroupId"] == sg
    ec2.revoke_security_group_ingress(GroupId=app, IpPermissions=[perm("tcp", 80, groups=[sg])])
    ec2.delete_security_group(GroupId=sg)


def test_delete_group_referenced_by_an_egress_rule(ec2, vpc, sg):
    app = new_sg(ec2, vpc, "app")
    ec2.authorize_security_group_egress(GroupId=app, IpPermissions=[perm("tcp", 5432, groups=[sg])])
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=sg)
    # the referencing group itself can go
    ec2.delete_security_group(GroupId=app)
    ec2.delete_security_group(GroupId=sg)


def test_delete_group_with_self_reference(ec2, vpc, sg):
    """A group whose own rule references itself is deleted, rules and all: its own rules are no
    dependency. (The seed's SG-32 / A11(c) says otherwise; AWS itself verified this, issue 15.)
    Another group's rule that references it still is one (positive control on the same path)."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[perm("-1", groups=[sg])])
    other = ec2.create_security_group(GroupName="refers", Description="d", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=other, IpPermissions=[perm("-1", groups=[sg])])
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=sg)
    ec2.delete_security_group(GroupId=other)
    ec2.delete_security_group(GroupId=sg)
    assert_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=[sg])


def test_delete_by_group_name_in_default_vpc(ec2):
    gid = ec2.create_security_group(GroupName="to-delete", Description="d")["GroupId"]
    ec2.delete_security_group(GroupName="to-delete")
    assert_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=[gid])


def test_delete_vpc_with_custom_group(ec2, vpc, sg):
    """AA1: DeleteVpc refuses while a custom group exists; the default group goes with the VPC."""
    dflt = default_sg(ec2, vpc)["GroupId"]
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc)
    ec2.delete_security_group(GroupId=sg)
    ec2.delete_vpc(VpcId=vpc)
    assert_error("InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=[dflt])


# ---------------------------------------------------------------- SecurityGroupExists waiter

def test_security_group_exists_waiter(ec2, sg):
    waiter, cfg = fast_waiter(ec2, "security_group_exists")
    waiter.wait(GroupIds=[sg], WaiterConfig=cfg)


def test_security_group_exists_waiter_times_out_for_unknown(ec2):
    """The waiter retries on InvalidGroup.NotFound, so an unknown id exhausts the attempts."""
    waiter = ec2.get_waiter("security_group_exists")
    with pytest.raises(WaiterError):
        waiter.wait(GroupIds=["sg-0123456789abcdef0"], WaiterConfig={"Delay": 1, "MaxAttempts": 2})


# ---------------------------------------------------------------- IPv6 association (C9b)

def test_ipv6_association_adds_all_out_to_unmodified_groups(ec2, vpc):
    """C9b: associating an Amazon-provided IPv6 block adds outbound ::/0 allow-all to every group of the VPC
    whose outbound rules were never modified (the default group included), and to no other group."""
    plain = new_sg(ec2, vpc, "plain")
    inbound_only = new_sg(ec2, vpc, "inbound-only")
    ec2.authorize_security_group_ingress(GroupId=inbound_only, IpPermissions=[perm("tcp", 22, cidrs=["10.0.0.0/16"])])
    locked = new_sg(ec2, vpc, "locked")
    ec2.revoke_security_group_egress(GroupId=locked, IpPermissions=[perm("-1", cidrs=["0.0.0.0/0"])])
    ec2.authorize_security_group_egress(GroupId=locked, IpPermissions=[perm("tcp", 443, cidrs=["0.0.0.0/0"])])
    dflt = default_sg(ec2, vpc)["GroupId"]

    ec2.associate_vpc_cidr_block(VpcId=vpc, AmazonProvidedIpv6CidrBlock=True)
    vpc_ipv6_block(ec2, vpc)

    wait_until(lambda: all_v6() in egress(ec2, plain))
    assert egress(ec2, plain) == {all_v4(), all_v6()}
    assert egress(ec2, inbound_only) == {all_v4(), all_v6()}
    assert egress(ec2, dflt) == {all_v4(), all_v6()}
    assert egress(ec2, locked) == {("tcp", 443, 443, "v4", "0.0.0.0/0", None)}
    # ingress is untouched
    assert ingress(ec2, plain) == set()
    assert ingress(ec2, dflt) == {("-1", None, None, "sg", dflt, None)}
    # the added rule is an ordinary rule with its own id
    assert len(sg_rules(ec2, plain, egress_only=True)) == 2


def test_tags_on_existing_group(ec2, sg):
    ec2.create_tags(Resources=[sg], Tags=[{"Key": "Name", "Value": "web"}])
    assert tags(sg_of(ec2, sg)) == {"Name": "web"}
    ec2.delete_tags(Resources=[sg], Tags=[{"Key": "Name"}])
    assert tags(sg_of(ec2, sg)) == {}


# ---------------------------------------------------------------- protocol names in any case

def test_protocol_names_in_any_case_are_stored_in_lower_case(ec2, sg):
    """Issue 15 ("behaviour AWS itself verified"): `TCP`, `Udp` and `ICMP` are accepted in a rule
    and shown as tcp, udp and icmp; a name AWS does not know is refused in any case."""
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "TCP", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "Udp", "FromPort": 53, "ToPort": 53, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]},
        {"IpProtocol": "ICMP", "FromPort": -1, "ToPort": -1, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    protocols = sorted(p["IpProtocol"] for p in sg_of(ec2, sg)["IpPermissions"])
    assert protocols == ["icmp", "tcp", "udp"]
    # The same rule in another case is the same rule: a duplicate, and revoked by either spelling.
    assert_error("InvalidPermission.Duplicate", ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tCp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    assert sorted(p["IpProtocol"] for p in sg_of(ec2, sg)["IpPermissions"]) == ["icmp", "udp"]
    assert_error("InvalidParameterValue", ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[
        {"IpProtocol": "TCPX", "FromPort": 1, "ToPort": 1, "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
