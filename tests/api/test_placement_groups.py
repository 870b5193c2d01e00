"""Placement groups: CreatePlacementGroup, DeletePlacementGroup, DescribePlacementGroups.

Rule ids (PG-1 … PG-10) and scenario A37 refer to §8 and §13 of
shared/spec/inventory-ec2-network-security.md (seed L7170-7286). Spread and partition
groups, pg- ids and the error codes are [EXT] (the EC2 API Reference).
"""
import pytest

from helpers import assert_error, tag_spec, tags


def create(ec2, name, strategy="cluster", **kwargs):
    return ec2.create_placement_group(GroupName=name, Strategy=strategy, **kwargs)["PlacementGroup"]


def describe(ec2, **kwargs):
    return ec2.describe_placement_groups(**kwargs)["PlacementGroups"]


def test_create_cluster_group(ec2):
    g = create(ec2, "pg1")
    assert g["GroupName"] == "pg1"
    assert g["Strategy"] == "cluster"
    assert g["State"] == "available"  # L7237
    assert g["GroupId"].startswith("pg-") and len(g["GroupId"]) == 20
    assert g["GroupArn"] == "arn:aws:ec2:us-east-1:123456789012:placement-group/pg1"
    assert "PartitionCount" not in g and "SpreadLevel" not in g
    assert describe(ec2) == [g]


def test_name_is_unique_per_account_and_region(ec2, ec2_factory):
    """PG-2 (L7192, L7235); A37's first step."""
    create(ec2, "pg1")
    assert_error("InvalidPlacementGroup.Duplicate", create, ec2, "pg1")
    assert_error("InvalidPlacementGroup.Duplicate", create, ec2, "pg1", "spread")
    create(ec2_factory(region="eu-west-1"), "pg1")  # another Region
    create(ec2_factory(account="other"), "pg1")     # another account
    assert len(describe(ec2)) == 1


def test_spread_and_partition_groups(ec2):
    s = create(ec2, "wide", "spread")
    assert s["SpreadLevel"] == "rack"
    p = create(ec2, "parts", "partition", PartitionCount=7)
    assert p["PartitionCount"] == 7
    assert create(ec2, "parts2", "partition")["PartitionCount"] == 2
    assert create(ec2, "wide2", "spread", SpreadLevel="rack")["SpreadLevel"] == "rack"


@pytest.mark.parametrize("kwargs,code", [
    ({"Strategy": "partition", "PartitionCount": 8}, "InvalidParameterValue"),
    ({"Strategy": "partition", "PartitionCount": 0}, "InvalidParameterValue"),
    ({"Strategy": "cluster", "PartitionCount": 2}, "InvalidParameterCombination"),
    ({"Strategy": "spread", "PartitionCount": 2}, "InvalidParameterCombination"),
    ({"Strategy": "cluster", "SpreadLevel": "rack"}, "InvalidParameterCombination"),
    ({"Strategy": "nearby"}, "InvalidParameterValue"),
    ({}, "MissingParameter"),
])
def test_create_refusals(ec2, kwargs, code):
    assert_error(code, ec2.create_placement_group, GroupName="bad", **kwargs)
    assert describe(ec2) == []


def test_name_length(ec2):
    assert create(ec2, "n" * 255)["GroupName"] == "n" * 255
    assert_error("InvalidParameterValue", create, ec2, "n" * 256)


def test_delete(ec2):
    """PG-8 (L7265): with no member instances the group goes."""
    create(ec2, "pg1")
    ec2.delete_placement_group(GroupName="pg1")
    assert describe(ec2) == []
    assert_error("InvalidPlacementGroup.Unknown", ec2.delete_placement_group, GroupName="pg1")
    create(ec2, "pg1")  # the name is free again


def test_describe_by_name_and_id(ec2):
    a = create(ec2, "a")
    b = create(ec2, "b", "spread")
    assert describe(ec2, GroupNames=["b"]) == [b]
    assert describe(ec2, GroupIds=[a["GroupId"]]) == [a]
    assert [g["GroupName"] for g in describe(ec2, GroupNames=["a", "b"])] == ["a", "b"]
    assert_error("InvalidPlacementGroup.Unknown", describe, ec2, GroupNames=["zzz"])
    assert_error("InvalidPlacementGroup.Unknown", describe, ec2, GroupIds=["pg-0123456789abcdef0"])
    assert_error("InvalidPlacementGroupId.Malformed", describe, ec2, GroupIds=["pg-xyz"])


@pytest.mark.parametrize("name,values,expected", [
    ("group-name", ["c*"], ["c1", "c2"]),
    ("strategy", ["spread"], ["s1"]),
    ("strategy", ["partition", "spread"], ["p1", "s1"]),
    ("state", ["available"], ["c1", "c2", "p1", "s1"]),
    ("spread-level", ["rack"], ["s1"]),
    ("tag:team", ["hpc"], ["c1"]),
    ("tag-key", ["team"], ["c1"]),
])
def test_filters(ec2, name, values, expected):
    create(ec2, "c1", TagSpecifications=tag_spec("placement-group", team="hpc"))
    create(ec2, "c2")
    create(ec2, "p1", "partition", PartitionCount=3)
    create(ec2, "s1", "spread")
    got = describe(ec2, Filters=[{"Name": name, "Values": values}])
    assert sorted(g["GroupName"] for g in got) == expected


def test_filter_group_id(ec2):
    g = create(ec2, "c1")
    create(ec2, "c2")
    assert describe(ec2, Filters=[{"Name": "group-id", "Values": [g["GroupId"]]}]) == [g]
    assert_error("InvalidParameterValue", describe, ec2, Filters=[{"Name": "colour", "Values": ["x"]}])


def test_tags(ec2):
    g = create(ec2, "pg1", TagSpecifications=tag_spec("placement-group", Name="hpc"))
    assert tags(g) == {"Name": "hpc"}
    ec2.create_tags(Resources=[g["GroupId"]], Tags=[{"Key": "env", "Value": "test"}])
    assert tags(describe(ec2)[0]) == {"Name": "hpc", "env": "test"}
    got = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["placement-group"]}])["Tags"]
    assert {(t["ResourceId"], t["Key"]) for t in got} == {(g["GroupId"], "Name"), (g["GroupId"], "env")}
    ec2.delete_tags(Resources=[g["GroupId"]], Tags=[{"Key": "env"}])
    assert tags(describe(ec2)[0]) == {"Name": "hpc"}
    assert_error("InvalidParameterValue", create, ec2, "pg2", TagSpecifications=tag_spec("vpc", Name="x"))


def test_survives_restart(own_server):
    from conftest import make_client
    ec2 = make_client(own_server.endpoint)
    g = create(ec2, "durable", "partition", PartitionCount=4,
               TagSpecifications=tag_spec("placement-group", k="v"))
    own_server.kill9()
    own_server.start()
    assert describe(make_client(own_server.endpoint)) == [g]


def test_aws_cli(aws_cli):
    out = aws_cli("create-placement-group", "--group-name", "cli-pg", "--strategy", "cluster")
    assert out["PlacementGroup"]["GroupName"] == "cli-pg"
    got = aws_cli("describe-placement-groups", "--group-names", "cli-pg")
    assert got["PlacementGroups"][0]["Strategy"] == "cluster"
    aws_cli("delete-placement-group", "--group-name", "cli-pg")
    assert aws_cli("describe-placement-groups")["PlacementGroups"] == []
