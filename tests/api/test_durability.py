"""Durability: state lives in SQLite (WAL mode) under --data-dir and is committed before the response.

* a clean restart (SIGTERM) keeps every resource with the same ids and attributes;
* kill -9 in the middle of a stream of writes loses no acknowledged write;
* the data directory holds an SQLite database in WAL mode that contains the resources.
"""
import glob
import json
import os
import sqlite3
import threading
import time

import pytest
from botocore.exceptions import ClientError

from conftest import make_client

SQLITE_MAGIC = b"SQLite format 3\x00"


def normalize(obj):
    """Order-insensitive form of a describe output (AWS does not promise list order)."""
    if isinstance(obj, dict):
        return {k: normalize(v) for k, v in obj.items() if k != "ResponseMetadata"}
    if isinstance(obj, list):
        return sorted((normalize(v) for v in obj), key=lambda v: json.dumps(v, sort_keys=True, default=str))
    return obj


def snapshot(ec2):
    """Everything this suite's VPC resources look like from the API, in one region/account."""
    snap = {
        "vpcs": ec2.describe_vpcs()["Vpcs"],
        "subnets": ec2.describe_subnets()["Subnets"],
        "route_tables": ec2.describe_route_tables()["RouteTables"],
        "igws": ec2.describe_internet_gateways()["InternetGateways"],
        "eigws": ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"],
        "dhcp": ec2.describe_dhcp_options()["DhcpOptions"],
        "tags": ec2.describe_tags()["Tags"],
    }
    for v in snap["vpcs"]:
        for attr in ("enableDnsSupport", "enableDnsHostnames"):
            out = ec2.describe_vpc_attribute(VpcId=v["VpcId"], Attribute=attr)
            out.pop("ResponseMetadata", None)
            snap.setdefault("vpc_attributes", []).append(out)
    return normalize(snap)


def build_world(ec2):
    """A VPC with most kinds of resources and attributes set; returns the ids."""
    tags = lambda rt, n: [{"ResourceType": rt, "Tags": [{"Key": "Name", "Value": n}]}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True,
                         TagSpecifications=tags("vpc", "durable"))["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock="10.1.0.0/16")
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", TagSpecifications=tags("subnet", "durable-a"))[
        "Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
    sub2 = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.5.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"]
    rtb = ec2.create_route_table(VpcId=vpc, TagSpecifications=tags("route-table", "durable-rt"))[
        "RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    assoc = ec2.associate_route_table(RouteTableId=rtb, SubnetId=sub)["AssociationId"]
    dopt = ec2.create_dhcp_options(DhcpConfigurations=[
        {"Key": "domain-name", "Values": ["durable.internal"]},
        {"Key": "domain-name-servers", "Values": ["AmazonProvidedDNS"]}])["DhcpOptions"]["DhcpOptionsId"]
    ec2.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=vpc)
    ec2.create_tags(Resources=[vpc, sub, rtb, igw], Tags=[{"Key": "env", "Value": "durability"}])
    # something deleted must stay deleted
    gone = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.9.0/24")["Subnet"]["SubnetId"]
    ec2.delete_subnet(SubnetId=gone)
    return {"vpc": vpc, "subnet": sub, "subnet2": sub2, "igw": igw, "eigw": eigw, "rtb": rtb,
            "assoc": assoc, "dopt": dopt, "gone": gone}


def test_restart_keeps_everything(own_server):
    ec2 = make_client(own_server.endpoint)
    eu = make_client(own_server.endpoint, region="eu-west-1")
    other = make_client(own_server.endpoint, account="other")
    ids = build_world(ec2)
    eu_vpc = eu.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    other_vpc = other.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    before = {"us": snapshot(ec2), "eu": snapshot(eu), "other": snapshot(other)}
    assert ids["vpc"] in json.dumps(before["us"])

    own_server.restart()

    after = {"us": snapshot(ec2), "eu": snapshot(eu), "other": snapshot(other)}
    for k in before:
        for part in before[k]:
            assert after[k][part] == before[k][part], f"{k}/{part} changed across a restart"
    assert ids["gone"] not in json.dumps(after["us"])
    assert eu_vpc in json.dumps(after["eu"]) and eu_vpc not in json.dumps(after["us"])
    assert other_vpc in json.dumps(after["other"]) and other_vpc not in json.dumps(after["us"])

    # The restored state still drives the semantics, and new ids do not collide with old ones.
    with pytest.raises(ClientError) as e:
        ec2.create_subnet(VpcId=ids["vpc"], CidrBlock="10.0.1.0/24")
    assert e.value.response["Error"]["Code"] == "InvalidSubnet.Conflict"
    with pytest.raises(ClientError) as e:
        ec2.delete_vpc(VpcId=ids["vpc"])
    assert e.value.response["Error"]["Code"] == "DependencyViolation"
    with pytest.raises(ClientError) as e:
        ec2.create_route(RouteTableId=ids["rtb"], DestinationCidrBlock="0.0.0.0/0", GatewayId=ids["igw"])
    assert e.value.response["Error"]["Code"] == "RouteAlreadyExists"
    new_sub = ec2.create_subnet(VpcId=ids["vpc"], CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    assert new_sub not in json.dumps(before)
    new_vpc = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    assert new_vpc not in json.dumps(before)


def test_restart_twice_and_clean_teardown(own_server):
    ec2 = make_client(own_server.endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    own_server.restart()
    ec2.delete_subnet(SubnetId=sub)
    own_server.restart()
    assert ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"] == []
    ec2.delete_vpc(VpcId=vpc)
    own_server.restart()
    with pytest.raises(ClientError) as e:
        ec2.describe_vpcs(VpcIds=[vpc])
    assert e.value.response["Error"]["Code"] == "InvalidVpcID.NotFound"


def test_kill9_right_after_acknowledged_writes(own_server):
    ec2 = make_client(own_server.endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/24")["Subnet"]["SubnetId"]
    doomed = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    ec2.delete_subnet(SubnetId=doomed)
    ec2.create_tags(Resources=[sub], Tags=[{"Key": "last", "Value": "write"}])
    own_server.kill9()
    own_server.start()
    subnets = {s["SubnetId"]: s for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]}
    assert set(subnets) == {sub}, "an acknowledged create or delete was lost by kill -9"
    assert {"Key": "last", "Value": "write"} in subnets[sub].get("Tags", [])


class Writer(threading.Thread):
    """Creates subnets, route tables and tags in one VPC as fast as the server answers, recording every
    acknowledged write; stops at the first error (the server being killed) or after `limit` rounds."""

    def __init__(self, endpoint, vpc_id, second_octet, limit=120):
        super().__init__(daemon=True)
        self.ec2 = make_client(endpoint)
        self.vpc, self.octet, self.limit = vpc_id, second_octet, limit
        self.acked = []          # ("subnet", id) | ("rtb", id) | ("tag", resource, key, value)
        self.error = None
        self.lock = threading.Lock()

    def ack(self, item):
        with self.lock:
            self.acked.append(item)

    def count(self):
        with self.lock:
            return len(self.acked)

    def run(self):
        try:
            for i in range(self.limit):
                s = self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=f"10.{self.octet}.{i}.0/24")["Subnet"]["SubnetId"]
                self.ack(("subnet", s))
                r = self.ec2.create_route_table(VpcId=self.vpc)["RouteTable"]["RouteTableId"]
                self.ack(("rtb", r))
                self.ec2.create_tags(Resources=[r, s], Tags=[{"Key": f"k{i}", "Value": f"v{i}"}])
                self.ack(("tag", r, f"k{i}", f"v{i}"))
                self.ack(("tag", s, f"k{i}", f"v{i}"))
        except Exception as e:  # connection refused/reset once the server is gone
            self.error = e


def _chunks(seq, n=50):
    for i in range(0, len(seq), n):
        yield seq[i:i + n]


def test_kill9_mid_write_loop_loses_no_acknowledged_write(own_server):
    ec2 = make_client(own_server.endpoint)
    vpcs = [ec2.create_vpc(CidrBlock=f"10.{o}.0.0/16")["Vpc"]["VpcId"] for o in (10, 20)]
    writers = [Writer(own_server.endpoint, v, o) for v, o in zip(vpcs, (10, 20))]
    for w in writers:
        w.start()
    deadline = time.time() + 60
    while time.time() < deadline and sum(w.count() for w in writers) < 60 and any(w.is_alive() for w in writers):
        time.sleep(0.002)
    assert any(w.is_alive() for w in writers), (
        "writers finished before the kill: " + "; ".join(repr(w.error) for w in writers))
    own_server.kill9()
    for w in writers:
        w.join(30)
        assert not w.is_alive(), "writer did not notice the server died"
    acked = [a for w in writers for a in w.acked]
    assert len(acked) >= 60, f"only {len(acked)} writes acknowledged before the kill: {[w.error for w in writers]}"

    own_server.start()

    subnets = [a[1] for a in acked if a[0] == "subnet"]
    rtbs = [a[1] for a in acked if a[0] == "rtb"]
    found_subnets, found_rtbs = set(), set()
    try:
        for chunk in _chunks(subnets):
            found_subnets |= {s["SubnetId"] for s in ec2.describe_subnets(SubnetIds=chunk)["Subnets"]}
        for chunk in _chunks(rtbs):
            found_rtbs |= {r["RouteTableId"] for r in ec2.describe_route_tables(RouteTableIds=chunk)["RouteTables"]}
    except ClientError as e:
        if e.response["Error"]["Code"].endswith(".NotFound"):
            pytest.fail(f"an acknowledged resource was lost by kill -9: {e}")
        raise
    assert set(subnets) == found_subnets, f"lost subnets: {set(subnets) - found_subnets}"
    assert set(rtbs) == found_rtbs, f"lost route tables: {set(rtbs) - found_rtbs}"

    tags = set()
    for chunk in _chunks(subnets + rtbs, 100):
        paginator = ec2.get_paginator("describe_tags")
        for page in paginator.paginate(Filters=[{"Name": "resource-id", "Values": chunk}]):
            tags |= {(t["ResourceId"], t["Key"], t["Value"]) for t in page["Tags"]}
    lost = {(a[1], a[2], a[3]) for a in acked if a[0] == "tag"} - tags
    assert not lost, f"lost tags: {sorted(lost)[:10]}"

    # The server is consistent after the crash: it goes on from where it was.
    more = ec2.create_subnet(VpcId=vpcs[0], CidrBlock="10.10.250.0/24")["Subnet"]["SubnetId"]
    assert more not in subnets
    with pytest.raises(ClientError) as e:
        ec2.create_subnet(VpcId=vpcs[0], CidrBlock="10.10.0.0/24")
    assert e.value.response["Error"]["Code"] == "InvalidSubnet.Conflict"


def _sqlite_files(data_dir):
    out = []
    for p in glob.glob(os.path.join(data_dir, "**", "*"), recursive=True):
        if not os.path.isfile(p) or p.endswith(("-wal", "-shm", "-journal")):
            continue
        with open(p, "rb") as f:
            if f.read(16) == SQLITE_MAGIC:
                out.append(p)
    return out


def test_data_dir_holds_sqlite_database_in_wal_mode(own_server):
    ec2 = make_client(own_server.endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    named = [p for pat in ("*.db", "*.sqlite*", "*.sqlite3") for p in
             glob.glob(os.path.join(own_server.data_dir, "**", pat), recursive=True)]
    dbs = _sqlite_files(own_server.data_dir)
    assert dbs, f"no SQLite database under {own_server.data_dir}: {os.listdir(own_server.data_dir)} (named: {named})"
    modes, holders = {}, []
    for path in dbs:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            modes[path] = con.execute("PRAGMA journal_mode").fetchone()[0].lower()
            for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
                for row in con.execute(f'SELECT * FROM "{table}"'):
                    if any(isinstance(c, (str, bytes)) and (vpc in c if isinstance(c, str) else vpc.encode() in c)
                           for c in row):
                        holders.append((path, table))
                        break
        finally:
            con.close()
    assert "wal" in modes.values(), f"no database in WAL mode: {modes}"
    assert holders, f"the new VPC {vpc} is in no SQLite table under the data dir ({dbs})"
    assert any(modes[p] == "wal" for p, _ in holders), f"the state database is not in WAL mode: {modes}"
