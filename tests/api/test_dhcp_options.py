"""DHCP option sets.

Rule ids (§1.10, Q1-Q3, AA9) refer to shared/spec/inventory-vpc-guide.md.
"""
import pytest

from helpers import ACCOUNT_ID, assert_error, create_vpc, describe_vpc, tag_spec, tags


def conf(**options):
    """DhcpConfigurations from keyword args: domain_name_servers=[...] → domain-name-servers."""
    return [{"Key": k.replace("_", "-"), "Values": v if isinstance(v, list) else [v]} for k, v in options.items()]


def as_dict(dopt):
    return {c["Key"]: [v["Value"] for v in c["Values"]] for c in dopt["DhcpConfigurations"]}


def describe_dopt(ec2, dopt_id):
    return ec2.describe_dhcp_options(DhcpOptionsIds=[dopt_id])["DhcpOptions"][0]


# ---------------------------------------------------------------- CreateDhcpOptions (Q1)

def test_create_amazon_provided_dns(ec2):
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name_servers="AmazonProvidedDNS"))["DhcpOptions"]
    assert d["DhcpOptionsId"].startswith("dopt-")
    assert d["OwnerId"] == ACCOUNT_ID
    assert as_dict(d) == {"domain-name-servers": ["AmazonProvidedDNS"]}
    assert as_dict(describe_dopt(ec2, d["DhcpOptionsId"])) == {"domain-name-servers": ["AmazonProvidedDNS"]}


def test_create_full_set(ec2):
    """Q1: all RFC 2132 options of §1.10."""
    want = {
        "domain-name": ["example.com"],
        "domain-name-servers": ["10.2.5.1", "10.2.5.2"],
        "ntp-servers": ["10.2.5.3"],
        "netbios-name-servers": ["10.2.5.4"],
        "netbios-node-type": ["2"],
    }
    d = ec2.create_dhcp_options(DhcpConfigurations=[{"Key": k, "Values": v} for k, v in want.items()])["DhcpOptions"]
    got = as_dict(describe_dopt(ec2, d["DhcpOptionsId"]))
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in want.items()}


def test_four_dns_servers_allowed(ec2):
    """Q1: up to 4 domain-name-servers."""
    servers = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"]
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name_servers=servers))["DhcpOptions"]
    assert sorted(as_dict(d)["domain-name-servers"]) == servers


def test_five_dns_servers_refused(ec2):
    """Q1: more than 4 domain-name-servers → InvalidParameterValue."""
    servers = [f"10.0.0.{i}" for i in range(1, 6)]
    assert_error("InvalidParameterValue", ec2.create_dhcp_options, DhcpConfigurations=conf(domain_name_servers=servers))


def test_five_ntp_servers_refused(ec2):
    """Q1: more than 4 ntp-servers → InvalidParameterValue."""
    servers = [f"10.0.0.{i}" for i in range(1, 6)]
    assert_error("InvalidParameterValue", ec2.create_dhcp_options, DhcpConfigurations=conf(ntp_servers=servers))


@pytest.mark.parametrize("node_type", ["1", "2", "4", "8"])
def test_netbios_node_types_allowed(ec2, node_type):
    """Q1: netbios-node-type ∈ {1, 2, 4, 8}."""
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(netbios_node_type=node_type))["DhcpOptions"]
    assert as_dict(d) == {"netbios-node-type": [node_type]}


@pytest.mark.parametrize("node_type", ["3", "0", "16", "x"])
def test_netbios_node_type_invalid(ec2, node_type):
    assert_error("InvalidParameterValue", ec2.create_dhcp_options, DhcpConfigurations=conf(netbios_node_type=node_type))


def test_unknown_option_key(ec2):
    assert_error("InvalidParameterValue", ec2.create_dhcp_options, DhcpConfigurations=conf(bogus_option="1"))


def test_create_with_tags(ec2):
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="corp.example"),
                                TagSpecifications=tag_spec("dhcp-options", Name="corp"))["DhcpOptions"]
    assert tags(d) == {"Name": "corp"}
    assert tags(describe_dopt(ec2, d["DhcpOptionsId"])) == {"Name": "corp"}


# ---------------------------------------------------------------- DescribeDhcpOptions

def test_describe_filters(ec2):
    a = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="a.example",
                                                        domain_name_servers="AmazonProvidedDNS"))["DhcpOptions"]
    b = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="b.example",
                                                        ntp_servers="10.0.0.9"))["DhcpOptions"]
    a, b = a["DhcpOptionsId"], b["DhcpOptionsId"]

    def f(*filters):
        return {d["DhcpOptionsId"] for d in ec2.describe_dhcp_options(
            Filters=[{"Name": n, "Values": v} for n, v in filters])["DhcpOptions"]}
    assert f(("dhcp-options-id", [b])) == {b}
    assert f(("key", ["ntp-servers"])) == {b}
    assert f(("value", ["b.example"])) == {b}
    assert f(("value", ["a.example", "b.example"])) == {a, b}
    assert f(("key", ["domain-name"]), ("value", ["a.example"])) == {a}
    assert {a, b} <= f(("owner-id", [ACCOUNT_ID]))


def test_describe_unknown(ec2):
    assert_error("InvalidDhcpOptionID.NotFound", ec2.describe_dhcp_options, DhcpOptionsIds=["dopt-0123456789abcdef0"])


# ---------------------------------------------------------------- default set per region (Q2, §4.3)

def test_new_vpc_gets_region_default_set_us_east_1(ec2):
    """Q2 / §1.10: default set = AmazonProvidedDNS + ec2.internal in us-east-1; shared by the region's VPCs."""
    v1 = create_vpc(ec2, "10.0.0.0/16")
    v2 = create_vpc(ec2, "10.1.0.0/16")
    assert v1["DhcpOptionsId"].startswith("dopt-")
    assert v1["DhcpOptionsId"] == v2["DhcpOptionsId"]
    d = as_dict(describe_dopt(ec2, v1["DhcpOptionsId"]))
    assert d == {"domain-name": ["ec2.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])
def test_region_default_set_elsewhere(ec2_factory, region):
    """Q2: <region>.compute.internal outside us-east-1."""
    c = ec2_factory(region)
    v = create_vpc(c, "10.0.0.0/16")
    d = as_dict(describe_dopt(c, v["DhcpOptionsId"]))
    assert d == {"domain-name": [f"{region}.compute.internal"], "domain-name-servers": ["AmazonProvidedDNS"]}


# ---------------------------------------------------------------- AssociateDhcpOptions (Q3)

def test_associate_set(ec2):
    v = create_vpc(ec2)["VpcId"]
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="corp.example"))["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=d, VpcId=v)
    assert describe_vpc(ec2, v)["DhcpOptionsId"] == d
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "dhcp-options-id", "Values": [d]}])["Vpcs"]
    assert [x["VpcId"] for x in vpcs] == [v]


def test_associate_default_means_no_options(ec2):
    """§1.10 / Q3: 'default' associates no DHCP options; DhcpOptionsId reads 'default'."""
    v = create_vpc(ec2)["VpcId"]
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=v)
    assert describe_vpc(ec2, v)["DhcpOptionsId"] == "default"


def test_associate_unknown(ec2):
    v = create_vpc(ec2)["VpcId"]
    assert_error("InvalidDhcpOptionID.NotFound", ec2.associate_dhcp_options,
                 DhcpOptionsId="dopt-0123456789abcdef0", VpcId=v)
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="x.example"))["DhcpOptions"]["DhcpOptionsId"]
    assert_error("InvalidVpcID.NotFound", ec2.associate_dhcp_options, DhcpOptionsId=d, VpcId="vpc-0123456789abcdef0")


def test_one_set_used_by_many_vpcs(ec2):
    """Q3: many VPCs may use the same set."""
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="corp.example"))["DhcpOptions"]["DhcpOptionsId"]
    vs = [create_vpc(ec2, f"10.{i}.0.0/16")["VpcId"] for i in range(2)]
    for v in vs:
        ec2.associate_dhcp_options(DhcpOptionsId=d, VpcId=v)
    assert {describe_vpc(ec2, v)["DhcpOptionsId"] for v in vs} == {d}


# ---------------------------------------------------------------- DeleteDhcpOptions (Q3, AA9)

def test_delete_unused(ec2):
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="x.example"))["DhcpOptions"]["DhcpOptionsId"]
    ec2.delete_dhcp_options(DhcpOptionsId=d)
    assert_error("InvalidDhcpOptionID.NotFound", ec2.describe_dhcp_options, DhcpOptionsIds=[d])


def test_delete_in_use_refused(ec2):
    """Q3 / AA9: a set associated with a VPC cannot be deleted → DependencyViolation."""
    v = create_vpc(ec2)["VpcId"]
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="x.example"))["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=d, VpcId=v)
    assert_error("DependencyViolation", ec2.delete_dhcp_options, DhcpOptionsId=d)
    ec2.associate_dhcp_options(DhcpOptionsId="default", VpcId=v)
    ec2.delete_dhcp_options(DhcpOptionsId=d)


def test_delete_vpc_releases_set(ec2):
    """Q3: deleting a VPC disassociates its set, which then can be deleted."""
    v = create_vpc(ec2)["VpcId"]
    d = ec2.create_dhcp_options(DhcpConfigurations=conf(domain_name="x.example"))["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=d, VpcId=v)
    ec2.delete_vpc(VpcId=v)
    ec2.delete_dhcp_options(DhcpOptionsId=d)


def test_delete_unknown(ec2):
    assert_error("InvalidDhcpOptionID.NotFound", ec2.delete_dhcp_options, DhcpOptionsId="dopt-0123456789abcdef0")
