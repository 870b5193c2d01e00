"""Small helpers shared by the API tests (no fixtures here; those live in conftest.py)."""
import ipaddress
import time

import pytest
from botocore.exceptions import ClientError

ACCOUNT_ID = "123456789012"
OTHER_ACCOUNT_ID = "210987654321"

# us-east-1 has six AZs, a..f (§1.4: one default subnet per AZ).
US_EAST_1_AZS = [f"us-east-1{c}" for c in "abcdef"]


def error_code(fn, *args, **kwargs):
    """Call fn and return the EC2 error code it fails with; fail the test if it succeeds."""
    with pytest.raises(ClientError) as exc:
        fn(*args, **kwargs)
    return exc.value.response["Error"]["Code"]


def assert_error(code, fn, *args, **kwargs):
    """Assert that fn(*args, **kwargs) fails with exactly this EC2 error code and HTTP 400."""
    with pytest.raises(ClientError) as exc:
        fn(*args, **kwargs)
    err = exc.value.response["Error"]
    assert err["Code"] == code, f"expected {code}, got {err['Code']}: {err.get('Message')}"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return exc.value


def wait_until(predicate, timeout=15.0, interval=0.2):
    """Poll predicate() until it returns a truthy value; return that value."""
    deadline = time.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.time() > deadline:
            raise AssertionError("condition not reached within %.1fs" % timeout)
        time.sleep(interval)


def fast_waiter(ec2, name):
    """A botocore waiter plus a config that polls quickly (the server has no real latency)."""
    return ec2.get_waiter(name), {"Delay": 1, "MaxAttempts": 20}


def tags(obj):
    return {t["Key"]: t["Value"] for t in obj.get("Tags", [])}


def tag_spec(resource_type, **kv):
    return [{"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in kv.items()]}]


def describe_vpc(ec2, vpc_id):
    return ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]


def describe_subnet(ec2, subnet_id):
    return ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]


def describe_rt(ec2, rtb_id):
    return ec2.describe_route_tables(RouteTableIds=[rtb_id])["RouteTables"][0]


def create_vpc(ec2, cidr="10.0.0.0/16", **kwargs):
    """CreateVpc and wait until DescribeVpcs reports it available; returns the described VPC."""
    vpc_id = ec2.create_vpc(CidrBlock=cidr, **kwargs)["Vpc"]["VpcId"]
    return wait_until(lambda: (lambda v: v if v["State"] == "available" else None)(describe_vpc(ec2, vpc_id)))


def create_subnet(ec2, vpc_id, cidr, **kwargs):
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, **kwargs)["Subnet"]


def main_route_table(ec2, vpc_id):
    rts = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc_id]},
        {"Name": "association.main", "Values": ["true"]},
    ])["RouteTables"]
    assert len(rts) == 1, rts
    return rts[0]


def route_tables_of(ec2, vpc_id):
    return ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]


def route_for(rt, dest):
    """The route of rt whose IPv4 or IPv6 destination equals dest, or None."""
    want = norm(dest)
    for r in rt["Routes"]:
        d = r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")
        if d is not None and norm(d) == want:
            return r
    return None


def norm(cidr):
    """Canonical text of a CIDR (IPv6 may be written with or without leading zeros); raw text if unparsable."""
    try:
        return str(ipaddress.ip_network(cidr))  # strict: '100.68.0.18/18' stays raw text (A10 tests rely on it)
    except ValueError:
        return cidr


def vpc_ipv6_block(ec2, vpc_id):
    """The associated Amazon-provided /56 of the VPC (waits for state associated)."""
    def get():
        for a in describe_vpc(ec2, vpc_id).get("Ipv6CidrBlockAssociationSet", []):
            if a["Ipv6CidrBlockState"]["State"] == "associated":
                return a["Ipv6CidrBlock"]
        return None
    return wait_until(get)


def nth_subnet64(block56, n):
    """The n-th /64 inside a /56 (C2)."""
    net = ipaddress.IPv6Network(block56)
    assert net.prefixlen == 56 and 0 <= n < 256
    return str(ipaddress.IPv6Network((int(net.network_address) + (n << 64), 64)))


def in_cidr(inner, outer):
    return ipaddress.ip_network(inner).subnet_of(ipaddress.ip_network(outer))


def overlaps(a, b):
    return ipaddress.ip_network(a).overlaps(ipaddress.ip_network(b))


def default_vpc(ec2):
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    assert len(vpcs) == 1, vpcs
    return vpcs[0]


def assert_client_error(fn, *args, **kwargs):
    """Assert fn fails with an EC2 client error (HTTP 400) where AWS documents a refusal but no exact code."""
    with pytest.raises(ClientError) as exc:
        fn(*args, **kwargs)
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return exc.value.response["Error"]["Code"]
