"""DescribeInstanceTypes and DescribeImages: AWS's catalogues as openvpc serves them.

The instance-type numbers are §7.4 of shared/spec/inventory-ec2-network-security.md, the
seed's table at L6438-6677 (the line of each row below); cluster eligibility is PG-3 (§8, seed
L7193-7198). Types after the table (t3, t3a, m5, c5) are [EXT], AWS's published limits.
"""
import pytest

import ec2wire
from helpers import assert_error

# (type, max interfaces, IPv4 per interface, IPv6 per interface, seed line); "—" is 0.
TABLE = [
    ("c1.medium", 2, 6, 0, 6443), ("c1.xlarge", 4, 15, 0, 6447), ("c3.large", 3, 10, 10, 6451),
    ("c3.xlarge", 4, 15, 15, 6455), ("c3.2xlarge", 4, 15, 15, 6459), ("c3.4xlarge", 8, 30, 30, 6463),
    ("c3.8xlarge", 8, 30, 30, 6467), ("c4.large", 3, 10, 10, 6471), ("c4.xlarge", 4, 15, 15, 6475),
    ("c4.2xlarge", 4, 15, 15, 6479), ("c4.4xlarge", 8, 30, 30, 6483), ("c4.8xlarge", 8, 30, 30, 6487),
    ("cc2.8xlarge", 8, 30, 0, 6491), ("cg1.4xlarge", 8, 30, 0, 6495), ("cr1.8xlarge", 8, 30, 0, 6499),
    ("d2.xlarge", 4, 15, 15, 6503), ("d2.2xlarge", 4, 15, 15, 6507), ("d2.4xlarge", 8, 30, 30, 6511),
    ("d2.8xlarge", 8, 30, 30, 6515), ("f1.2xlarge", 4, 15, 15, 6519), ("f1.16xlarge", 8, 50, 50, 6520),
    ("g2.2xlarge", 4, 15, 0, 6521), ("g2.8xlarge", 8, 30, 0, 6525), ("g3.4xlarge", 8, 30, 30, 6529),
    ("g3.8xlarge", 8, 30, 30, 6530), ("g3.16xlarge", 15, 50, 50, 6531), ("hi1.4xlarge", 8, 30, 0, 6532),
    ("hs1.8xlarge", 8, 30, 0, 6536), ("i2.xlarge", 4, 15, 15, 6540), ("i2.2xlarge", 4, 15, 15, 6544),
    ("i2.4xlarge", 8, 30, 30, 6548), ("i2.8xlarge", 8, 30, 30, 6552), ("i3.large", 3, 10, 10, 6556),
    ("i3.xlarge", 4, 15, 15, 6560), ("i3.2xlarge", 4, 15, 15, 6564), ("i3.4xlarge", 8, 30, 30, 6568),
    ("i3.8xlarge", 8, 30, 30, 6572), ("i3.16xlarge", 15, 50, 50, 6576), ("m1.small", 2, 4, 0, 6580),
    ("m1.medium", 2, 6, 0, 6584), ("m1.large", 3, 10, 0, 6588), ("m1.xlarge", 4, 15, 0, 6592),
    ("m2.xlarge", 4, 15, 0, 6596), ("m2.2xlarge", 4, 30, 0, 6600), ("m2.4xlarge", 8, 30, 0, 6604),
    ("m3.medium", 2, 6, 0, 6608), ("m3.large", 3, 10, 0, 6612), ("m3.xlarge", 4, 15, 0, 6616),
    ("m3.2xlarge", 4, 30, 0, 6620), ("m4.large", 2, 10, 10, 6624), ("m4.xlarge", 4, 15, 15, 6625),
    ("m4.2xlarge", 4, 15, 15, 6626), ("m4.4xlarge", 8, 30, 30, 6627), ("m4.10xlarge", 8, 30, 30, 6628),
    ("m4.16xlarge", 8, 30, 30, 6629), ("p2.xlarge", 4, 15, 15, 6630), ("p2.8xlarge", 8, 30, 30, 6631),
    ("p2.16xlarge", 8, 30, 30, 6632), ("r3.large", 3, 10, 10, 6633), ("r3.xlarge", 4, 15, 15, 6634),
    ("r3.2xlarge", 4, 15, 15, 6635), ("r3.4xlarge", 8, 30, 30, 6636), ("r3.8xlarge", 8, 30, 30, 6637),
    ("r4.large", 3, 10, 10, 6638), ("r4.xlarge", 4, 15, 15, 6639), ("r4.2xlarge", 4, 15, 15, 6640),
    ("r4.4xlarge", 8, 30, 30, 6641), ("r4.8xlarge", 8, 30, 30, 6642), ("r4.16xlarge", 15, 50, 50, 6643),
    ("t1.micro", 2, 2, 0, 6644), ("t2.nano", 2, 2, 2, 6648), ("t2.micro", 2, 2, 2, 6652),
    ("t2.small", 2, 4, 4, 6656), ("t2.medium", 3, 6, 6, 6660), ("t2.large", 3, 12, 12, 6664),
    ("t2.xlarge", 3, 15, 15, 6668), ("t2.2xlarge", 3, 15, 15, 6672), ("x1.16xlarge", 8, 30, 30, 6676),
    ("x1.32xlarge", 8, 30, 30, 6677),
]

# PG-3 (seed L7194-7198): the families a cluster group took.
CLUSTER_FAMILIES = {"m4", "c4", "c3", "cc2", "cr1", "r3", "r4", "x1", "d2", "hi1", "hs1", "i2", "i3",
                    "cg1", "f1", "g2", "g3", "p2"}


def all_types(ec2, **kwargs):
    out = []
    for page in ec2.get_paginator("describe_instance_types").paginate(**kwargs):
        out += page["InstanceTypes"]
    return {t["InstanceType"]: t for t in out}


def names(resp):
    return sorted(t["InstanceType"] for t in resp["InstanceTypes"])


# ---------------------------------------------------------------- DescribeInstanceTypes

def test_every_row_of_the_table(ec2):
    """§7.4, L6438-6677: every row, with its three numbers; IPv6 "—" is 0 and Ipv6Supported false."""
    assert len(TABLE) == 79
    types = all_types(ec2)
    for name, enis, ipv4, ipv6, line in TABLE:
        assert name in types, f"{name} (L{line}) missing"
        net = types[name]["NetworkInfo"]
        assert (net["MaximumNetworkInterfaces"], net["Ipv4AddressesPerInterface"],
                net["Ipv6AddressesPerInterface"]) == (enis, ipv4, ipv6), f"{name} (L{line})"
        assert net["Ipv6Supported"] is (ipv6 > 0), name
        assert net["NetworkCards"] == [{"NetworkCardIndex": 0, "MaximumNetworkInterfaces": enis}]
        assert types[name]["VCpuInfo"]["DefaultVCpus"] >= 1
        assert types[name]["MemoryInfo"]["SizeInMiB"] > 0


def test_placement_group_info_follows_pg3(ec2):
    types = all_types(ec2)
    for name, *_ in TABLE:
        strategies = types[name]["PlacementGroupInfo"]["SupportedStrategies"]
        family = name.split(".")[0]
        assert ("cluster" in strategies) is (family in CLUSTER_FAMILIES), name
        assert {"partition", "spread"} <= set(strategies)
    assert "cluster" not in types["t3.micro"]["PlacementGroupInfo"]["SupportedStrategies"]
    assert "cluster" in types["m5.large"]["PlacementGroupInfo"]["SupportedStrategies"]


def test_spot_checks(ec2):
    got = ec2.describe_instance_types(InstanceTypes=["t2.micro", "m4.large", "m3.large"])["InstanceTypes"]
    by = {t["InstanceType"]: t for t in got}
    assert set(by) == {"t2.micro", "m4.large", "m3.large"}
    # A30 (L6652): t2.micro, 2 interfaces of 2 IPv4 addresses; 1 vCPU, 1 GiB.
    assert by["t2.micro"]["NetworkInfo"]["MaximumNetworkInterfaces"] == 2
    assert by["t2.micro"]["NetworkInfo"]["Ipv4AddressesPerInterface"] == 2
    assert by["t2.micro"]["VCpuInfo"]["DefaultVCpus"] == 1
    assert by["t2.micro"]["MemoryInfo"]["SizeInMiB"] == 1024
    assert by["t2.micro"]["FreeTierEligible"] is True
    # D11 (L6624): m4.large has 2 interfaces, as printed.
    assert by["m4.large"]["NetworkInfo"]["MaximumNetworkInterfaces"] == 2
    # A30 (L6612): m3.large has no IPv6.
    assert by["m3.large"]["NetworkInfo"]["Ipv6Supported"] is False
    assert by["m3.large"]["NetworkInfo"]["Ipv6AddressesPerInterface"] == 0


def test_current_types_ext(ec2):
    by = all_types(ec2, InstanceTypes=["t3.micro", "m5.large", "c5.large", "t3a.2xlarge", "c5.4xlarge"])
    assert [by["t3.micro"]["NetworkInfo"][k] for k in
            ("MaximumNetworkInterfaces", "Ipv4AddressesPerInterface", "Ipv6AddressesPerInterface")] == [2, 2, 2]
    assert [by["m5.large"]["NetworkInfo"][k] for k in
            ("MaximumNetworkInterfaces", "Ipv4AddressesPerInterface", "Ipv6AddressesPerInterface")] == [3, 10, 10]
    assert [by["c5.large"]["NetworkInfo"][k] for k in
            ("MaximumNetworkInterfaces", "Ipv4AddressesPerInterface", "Ipv6AddressesPerInterface")] == [3, 10, 10]
    assert by["t3.micro"]["Hypervisor"] == "nitro"
    assert by["t3a.2xlarge"]["ProcessorInfo"]["Manufacturer"] == "AMD"


def test_unknown_type(ec2):
    err = assert_error("InvalidInstanceType", ec2.describe_instance_types, InstanceTypes=["t2.micro", "m7i.48xlarge"])
    assert "m7i.48xlarge" in err.response["Error"]["Message"]


@pytest.mark.parametrize("name,values,expected", [
    ("instance-type", ["t2.*"], {"t2.nano", "t2.micro", "t2.small", "t2.medium", "t2.large", "t2.xlarge",
                                 "t2.2xlarge"}),
    ("network-info.maximum-network-interfaces", ["15"], {"g3.16xlarge", "i3.16xlarge", "r4.16xlarge"}),
    ("network-info.ipv4-addresses-per-interface", ["50"], {"f1.16xlarge", "g3.16xlarge", "i3.16xlarge",
                                                          "r4.16xlarge"}),
    ("network-info.ipv6-addresses-per-interface", ["12"], {"t2.large", "t3.large", "t3a.large", "t4g.large"}),
    ("vcpu-info.default-vcpus", ["128"], {"x1.32xlarge"}),
    ("memory-info.size-in-mib", ["1024"], {"t2.micro", "t3.micro", "t3a.micro", "t4g.micro"}),
])
def test_filters(ec2, name, values, expected):
    got = set(all_types(ec2, Filters=[{"Name": name, "Values": values}]))
    assert got == expected


def test_filter_ipv6_supported_and_strategies(ec2):
    no_ipv6 = set(all_types(ec2, Filters=[{"Name": "network-info.ipv6-supported", "Values": ["false"]}]))
    assert no_ipv6 == {name for name, _, _, ipv6, _ in TABLE if ipv6 == 0}  # the table's "—" rows
    cluster = set(all_types(ec2, Filters=[{"Name": "placement-group-info.supported-strategies",
                                           "Values": ["cluster"]}]))
    assert "t2.micro" not in cluster and "c4.large" in cluster and "m5.large" in cluster
    both = all_types(ec2, Filters=[{"Name": "instance-type", "Values": ["c4.*"]},
                                   {"Name": "vcpu-info.default-vcpus", "Values": ["2", "4"]}])
    assert set(both) == {"c4.large", "c4.xlarge"}


def test_unknown_filter(ec2):
    assert_error("InvalidParameterValue", ec2.describe_instance_types, Filters=[{"Name": "colour", "Values": ["x"]}])


def test_paging(ec2):
    total = len(all_types(ec2))
    assert total == len(TABLE) + 22 + 7  # the seed's table, current x86_64 types, Graviton t4g
    first = ec2.describe_instance_types(MaxResults=5)
    assert len(first["InstanceTypes"]) == 5 and "NextToken" in first
    seen, token = [], None
    while True:
        kwargs = {"MaxResults": 40}
        if token:
            kwargs["NextToken"] = token
        page = ec2.describe_instance_types(**kwargs)
        seen += names(page)
        token = page.get("NextToken")
        if not token:
            break
    assert len(seen) == total == len(set(seen))


def test_max_results_range(endpoint):
    """DITMaxResults is 5..100 (botocore refuses it client-side, so this goes on the wire)."""
    for bad in ("4", "101"):
        rep = ec2wire.call(endpoint, "DescribeInstanceTypes", {"MaxResults": bad})
        assert rep.status == 400 and rep.error_code == "InvalidParameterValue"


def test_aws_cli_describe_instance_types(aws_cli):
    out = aws_cli("describe-instance-types", "--instance-types", "c4.large")
    assert out["InstanceTypes"][0]["NetworkInfo"]["MaximumNetworkInterfaces"] == 3


# ---------------------------------------------------------------- DescribeImages

def test_images_catalogue(ec2):
    images = ec2.describe_images()["Images"]
    assert len(images) >= 5
    names_ = [i["Name"] for i in images]
    for prefix in ("al2023-ami-", "amzn2-ami-", "debian-12-"):
        assert any(n.startswith(prefix) for n in names_), prefix
    assert any("ubuntu-jammy-22.04" in n for n in names_)
    assert any("ubuntu-noble-24.04" in n for n in names_)
    for i in images:
        assert i["ImageId"].startswith("ami-") and len(i["ImageId"]) == 21
        assert i["State"] == "available"
        assert i["CreationDate"].endswith("Z")
        assert i["BlockDeviceMappings"][0]["DeviceName"] == i["RootDeviceName"]


def test_image_ids(ec2):
    image = ec2.describe_images()["Images"][0]
    got = ec2.describe_images(ImageIds=[image["ImageId"]])["Images"]
    assert [i["ImageId"] for i in got] == [image["ImageId"]]
    assert_error("InvalidAMIID.NotFound", ec2.describe_images, ImageIds=["ami-00000000000000000"])
    assert_error("InvalidAMIID.Malformed", ec2.describe_images, ImageIds=["not-an-ami"])


def test_owners(ec2):
    amazon = ec2.describe_images(Owners=["amazon"])["Images"]
    assert amazon and all(i["ImageOwnerAlias"] == "amazon" for i in amazon)
    assert all(i["OwnerId"] == "137112412989" for i in amazon)
    canonical = ec2.describe_images(Owners=["099720109477"])["Images"]
    assert canonical and all("ubuntu" in i["Name"] for i in canonical)
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    both = ec2.describe_images(Owners=["amazon", "099720109477"])["Images"]
    assert len(both) == len(amazon) + len(canonical)
    assert_error("InvalidUserID.Malformed", ec2.describe_images, Owners=["nobody"])


@pytest.mark.parametrize("name,values,check", [
    ("name", ["al2023-ami-*-x86_64"], lambda i: i["Name"].startswith("al2023") and i["Architecture"] == "x86_64"),
    ("architecture", ["arm64"], lambda i: i["Architecture"] == "arm64"),
    ("owner-alias", ["amazon"], lambda i: i.get("ImageOwnerAlias") == "amazon"),
    ("owner-id", ["136693071363"], lambda i: i["Name"].startswith("debian-12")),
    ("state", ["available"], lambda i: True),
    ("platform-details", ["Linux/UNIX"], lambda i: True),
    ("root-device-type", ["ebs"], lambda i: True),
    ("virtualization-type", ["hvm"], lambda i: True),
])
def test_image_filters(ec2, name, values, check):
    got = ec2.describe_images(Filters=[{"Name": name, "Values": values}])["Images"]
    assert got and all(check(i) for i in got)


def test_image_filter_by_id_and_no_match(ec2):
    image = ec2.describe_images()["Images"][0]
    got = ec2.describe_images(Filters=[{"Name": "image-id", "Values": [image["ImageId"]]}])["Images"]
    assert [i["ImageId"] for i in got] == [image["ImageId"]]
    assert ec2.describe_images(Filters=[{"Name": "platform", "Values": ["windows"]}])["Images"] == []


def test_images_paging(ec2):
    total = len(ec2.describe_images()["Images"])
    first = ec2.describe_images(MaxResults=5)
    rest = ec2.describe_images(MaxResults=5, NextToken=first["NextToken"]) if "NextToken" in first else {"Images": []}
    assert len(first["Images"]) + len(rest["Images"]) == total
    assert_error("InvalidParameterValue", ec2.describe_images, MaxResults=2)


def test_aws_cli_latest_al2023(aws_cli):
    """The common tutorial idiom: the newest Amazon Linux 2023 image by name and date."""
    out = aws_cli("describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023*-x86_64",
                  "--query", "sort_by(Images, &CreationDate)[-1].ImageId")
    assert isinstance(out, str) and out.startswith("ami-")
