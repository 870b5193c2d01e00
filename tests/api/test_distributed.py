"""Issue 12: API servers that share their state in etcd (`openvpc serve --store etcd://…`).

A real 3-member etcd cluster on loopback ports and two real openvpc servers on it, driven with
boto3. What the issue asks of them:
- a write committed on server A is read on server B at once (read-your-writes across servers);
- concurrent writers on both servers lose no update, make no duplicate id and break no
  invariant (no two subnets of a VPC overlap, no private or public address handed out twice);
- kill -9 of one etcd member: writes go on; kill -9 of one API server: the other serves.
"""
import os
import random
import subprocess
import threading
import time

import botocore.exceptions
import pytest

from conftest import BINARY, Server, make_client
import etcd_cluster
from helpers import assert_error, wait_until

pytestmark = pytest.mark.skipif(not etcd_cluster.available(), reason="etcd (Debian's etcd-server) is not installed")

STRESS_SECONDS = float(os.environ.get("OPENVPC_STRESS_SECONDS", "30"))


@pytest.fixture
def cluster(tmp_path):
    c = etcd_cluster.EtcdCluster(str(tmp_path / "etcd"))
    try:
        c.start()
        yield c
    finally:
        c.stop()


@pytest.fixture
def servers(cluster, tmp_path):
    out = []
    try:
        for name in ("a", "b"):
            d = tmp_path / name
            d.mkdir()
            # One VPC takes a tag per write in the stress test, and every client allocates
            # Elastic IPs: quotas raised as a user would (the same on both servers).
            s = Server(str(d), ["--store", cluster.store, "--quota", "tags-per-resource=100000",
                                "--quota", "elastic-ips-per-region=100000", "--quota", "vpcs-per-region=100",
                                "--quota", "subnets-per-vpc=1000"])
            s.start()
            out.append(s)
        yield out
    finally:
        for s in out:
            s.stop()


def test_a_write_on_one_server_is_read_on_the_other_at_once(servers):
    a, b = (make_client(s.endpoint) for s in servers)
    for i in range(25):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        vpc = writer.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"]
        got = reader.describe_vpcs(VpcIds=[vpc])["Vpcs"]
        assert [v["CidrBlock"] for v in got] == [f"10.{i}.0.0/16"]
        reader.create_tags(Resources=[vpc], Tags=[{"Key": "n", "Value": str(i)}])
        tags = writer.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc]}])["Tags"]
        assert [(t["Key"], t["Value"]) for t in tags] == [("n", str(i))]
        reader.delete_vpc(VpcId=vpc)
        assert_error("InvalidVpcID.NotFound", writer.describe_vpcs, VpcIds=[vpc])
    # Both hold one default VPC for the account: the partition was made once, not per server.
    for c in (a, b):
        defaults = [v for v in c.describe_vpcs()["Vpcs"] if v["IsDefault"]]
        assert len(defaults) == 1


def test_a_write_builds_on_the_other_servers_write_at_once(servers):
    """No read in between: the second write finds what the first one made (a refusal is given
    only from the latest state)."""
    a, b = (make_client(s.endpoint) for s in servers)
    for i in range(30):
        writer, builder = (a, b) if i % 2 == 0 else (b, a)
        vpc = writer.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"]
        builder.create_subnet(VpcId=vpc, CidrBlock=f"10.{i}.1.0/24")
        builder.delete_subnet(SubnetId=writer.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"][0]["SubnetId"])
        writer.delete_vpc(VpcId=vpc)
    # And a refusal is still a refusal when the state is the latest (positive control).
    assert_error("InvalidVpcID.NotFound", b.create_subnet, VpcId="vpc-0123456789abcdef0", CidrBlock="10.0.0.0/24")


def test_a_client_token_is_one_request_across_servers(servers):
    a, b = (make_client(s.endpoint) for s in servers)
    first = a.run_instances(ImageId=image(a), MinCount=1, MaxCount=1, ClientToken="one-launch")
    again = b.run_instances(ImageId=image(b), MinCount=1, MaxCount=1, ClientToken="one-launch")
    assert again["Instances"][0]["InstanceId"] == first["Instances"][0]["InstanceId"]
    assert len(a.describe_instances()["Reservations"]) == 1


def image(client):
    return client.describe_images(Owners=["amazon"])["Images"][0]["ImageId"]


def test_concurrent_writers_through_both_servers_lose_nothing(servers):
    """8 clients, 4 on each server, for OPENVPC_STRESS_SECONDS (30 s by default)."""
    setup = make_client(servers[0].endpoint)
    vpc = setup.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    shared_subnet = setup.create_subnet(VpcId=vpc, CidrBlock="10.0.255.0/24")["Subnet"]["SubnetId"]

    lock = threading.Lock()
    acknowledged = []  # every id a create answered, duplicates kept: no id may come twice
    created_subnets, created_enis, deleted_enis, allocations, released, tags = set(), set(), set(), set(), set(), set()
    errors = []
    stop = time.time() + STRESS_SECONDS

    def worker(n):
        client = make_client(servers[n % 2].endpoint)
        rng = random.Random(n)
        i = 0
        mine, my_allocations = [], []
        try:
            while time.time() < stop:
                i += 1
                kind = i % 4
                if kind == 0:  # a subnet at a random /24: conflicts are refused, never stored
                    cidr = f"10.0.{rng.randrange(0, 255)}.0/24"
                    try:
                        sid = client.create_subnet(VpcId=vpc, CidrBlock=cidr)["Subnet"]["SubnetId"]
                        with lock:
                            created_subnets.add(sid)
                            acknowledged.append(sid)
                    except botocore.exceptions.ClientError as e:
                        assert e.response["Error"]["Code"] == "InvalidSubnet.Conflict", e
                elif kind == 1:  # an address in the shared /24, some given back
                    try:
                        eni = client.create_network_interface(SubnetId=shared_subnet)["NetworkInterface"]
                    except botocore.exceptions.ClientError as e:  # the /24 ran out of addresses
                        assert e.response["Error"]["Code"] == "InsufficientFreeAddressesInSubnet", e
                        continue
                    with lock:
                        created_enis.add(eni["NetworkInterfaceId"])
                        acknowledged.append(eni["NetworkInterfaceId"])
                    mine.append(eni["NetworkInterfaceId"])
                    if len(mine) > 10:
                        gone = mine.pop(rng.randrange(len(mine)))
                        client.delete_network_interface(NetworkInterfaceId=gone)
                        with lock:
                            deleted_enis.add(gone)
                elif kind == 2:  # a tag per write on one shared resource: a lost update shows
                    key = f"w{n}-{i}"
                    client.create_tags(Resources=[vpc], Tags=[{"Key": key, "Value": str(i)}])
                    with lock:
                        tags.add(key)
                else:  # public addresses from the one pool (a /24): some given back
                    alloc = client.allocate_address(Domain="vpc")["AllocationId"]
                    with lock:
                        allocations.add(alloc)
                        acknowledged.append(alloc)
                    my_allocations.append(alloc)
                    if len(my_allocations) > 5:
                        gone = my_allocations.pop(rng.randrange(len(my_allocations)))
                        client.release_address(AllocationId=gone)
                        with lock:
                            released.add(gone)
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(f"worker {n}: {e!r}")

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert created_subnets and created_enis and allocations and tags
    assert len(acknowledged) == len(set(acknowledged)), "an id was handed out twice"

    views = []
    for s in servers:
        c = make_client(s.endpoint)
        subnets = c.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]
        enis = c.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [shared_subnet]}])[
            "NetworkInterfaces"]
        addresses = c.describe_addresses()["Addresses"]
        vpc_tags = {t["Key"] for t in c.describe_vpcs(VpcIds=[vpc])["Vpcs"][0].get("Tags", [])}
        # No lost update: every acknowledged create is there, nothing else is.
        assert {x["SubnetId"] for x in subnets} == created_subnets | {shared_subnet}
        assert {x["NetworkInterfaceId"] for x in enis} == created_enis - deleted_enis
        assert {x["AllocationId"] for x in addresses} == allocations - released
        assert vpc_tags == tags
        # Invariants (SN-… no overlap; no address handed out twice).
        blocks = sorted(int(x["CidrBlock"].split(".")[2]) for x in subnets)
        assert len(blocks) == len(set(blocks)), "two subnets overlap"
        ips = [x["PrivateIpAddress"] for x in enis]
        assert len(ips) == len(set(ips)), "a private address was handed out twice"
        public = [x["PublicIp"] for x in addresses]
        assert len(public) == len(set(public)), "a public address was handed out twice"
        views.append((sorted(x["SubnetId"] for x in subnets), sorted(ips), sorted(public), sorted(vpc_tags)))
    assert views[0] == views[1]


def test_writes_go_on_when_an_etcd_member_is_killed(cluster, servers):
    a, b = (make_client(s.endpoint) for s in servers)
    before = a.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    # The first endpoint is the member every server talks to first.
    cluster.kill9(0)
    for i in range(10):
        writer, reader = (a, b) if i % 2 == 0 else (b, a)
        vpc = writer.create_vpc(CidrBlock=f"10.{100 + i}.0.0/16")["Vpc"]["VpcId"]
        assert reader.describe_vpcs(VpcIds=[vpc, before])["Vpcs"]
    cluster.restart_member(0)
    assert len(a.describe_vpcs()["Vpcs"]) == len(b.describe_vpcs()["Vpcs"]) == 12


def test_the_other_server_serves_when_one_is_killed(servers):
    a_server, b_server = servers
    a, b = make_client(a_server.endpoint), make_client(b_server.endpoint)
    vpc = a.create_vpc(CidrBlock="10.2.0.0/16")["Vpc"]["VpcId"]
    a_server.kill9()
    subnet = b.create_subnet(VpcId=vpc, CidrBlock="10.2.1.0/24")["Subnet"]["SubnetId"]
    assert b.describe_vpcs(VpcIds=[vpc])["Vpcs"]
    # Started again, it loads the whole state from etcd, the other server's writes included.
    a_server.start()
    a = make_client(a_server.endpoint)
    assert [s["SubnetId"] for s in a.describe_subnets(SubnetIds=[subnet])["Subnets"]] == [subnet]


def test_trace_reads_the_state_from_etcd(cluster, servers):
    c = make_client(servers[0].endpoint)
    vpc = c.create_vpc(CidrBlock="10.3.0.0/16")["Vpc"]["VpcId"]
    subnet = c.create_subnet(VpcId=vpc, CidrBlock="10.3.1.0/24")["Subnet"]["SubnetId"]
    ids = [i["InstanceId"] for i in c.run_instances(ImageId=image(c), MinCount=2, MaxCount=2,
                                                    SubnetId=subnet)["Instances"]]
    ip = c.describe_instances(InstanceIds=[ids[1]])["Reservations"][0]["Instances"][0]["PrivateIpAddress"]
    # The default security group lets its members reach each other (SG-7).
    run = subprocess.run([BINARY, "trace", "--store", cluster.store, "--from", ids[0], "--to", f"{ip}:22"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 0, run.stdout + run.stderr
    # Port 22 from the internet is not allowed by the default group: a drop, with its stage.
    run = subprocess.run([BINARY, "trace", "--store", cluster.store, "--from", "internet", "--to", f"{ip}:22"],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 1, run.stdout + run.stderr


def test_a_write_names_its_revision_and_every_server_tells_when_it_has_it(servers):
    import json
    import urllib.request
    a, b = (make_client(s.endpoint) for s in servers)
    resp = a.create_vpc(CidrBlock="10.4.0.0/16")
    revision = int(resp["ResponseMetadata"]["HTTPHeaders"]["x-openvpc-revision"])
    assert revision > 0
    for s in servers:
        with urllib.request.urlopen(f"{s.endpoint}/_openvpc/status?revision={revision}", timeout=15) as r:
            status = json.load(r)
        assert status["reached"] and status["revision"] >= revision, status
    # A later write has a later revision.
    later = b.create_tags(Resources=[resp["Vpc"]["VpcId"]], Tags=[{"Key": "k", "Value": "v"}])
    assert int(later["ResponseMetadata"]["HTTPHeaders"]["x-openvpc-revision"]) > revision


def test_without_etcd_requests_are_refused_as_unavailable_and_nothing_is_lost(cluster, servers):
    a = make_client(servers[0].endpoint)
    vpc = a.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    assert a.describe_vpcs(VpcIds=[vpc])["Vpcs"]  # positive control
    for i in range(3):
        cluster.kill9(i)
    # EC2's ServiceUnavailable (503), which SDKs retry: never a stale answer, never a lost write.
    for fn, kwargs in ((a.describe_vpcs, {"VpcIds": [vpc]}), (a.create_vpc, {"CidrBlock": "10.6.0.0/16"})):
        with pytest.raises(botocore.exceptions.ClientError) as exc:
            fn(**kwargs)
        assert exc.value.response["Error"]["Code"] == "ServiceUnavailable"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    for i in range(3):
        cluster.start_member(i, state="existing")
    cluster.wait_healthy()
    b = make_client(servers[1].endpoint)
    for c in (a, b):
        cidrs = sorted(v["CidrBlock"] for v in c.describe_vpcs()["Vpcs"])
        assert cidrs == ["10.5.0.0/16", "172.31.0.0/16"]


def test_a_member_that_hangs_is_left_for_the_next(cluster, tmp_path):
    """The first endpoint accepts connections and never answers (a hung member): the server gives
    it up after its call timeout (5 s) and goes on with the next; the request succeeds."""
    import socket
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    store = f"etcd://127.0.0.1:{hung.getsockname()[1]}," + cluster.endpoints
    d = tmp_path / "hung"
    d.mkdir()
    s = Server(str(d), ["--store", store])
    try:
        s.start()
        c = make_client(s.endpoint)
        vpc = c.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
        assert c.describe_vpcs(VpcIds=[vpc])["Vpcs"]
        # What it wrote is in the cluster: another server on the members alone reads it.
        d2 = tmp_path / "plain"
        d2.mkdir()
        other = Server(str(d2), ["--store", cluster.store])
        other.start()
        try:
            assert make_client(other.endpoint).describe_vpcs(VpcIds=[vpc])["Vpcs"]
        finally:
            other.stop()
    finally:
        s.stop()
        hung.close()


def etcd_put(cluster, key, value=None):
    """Puts (or, with no value, deletes) KEY through etcd's JSON gateway: hosts without agents."""
    import base64
    import json
    import urllib.request
    b64 = lambda s: base64.b64encode(s.encode()).decode()  # noqa: E731
    endpoint = f"http://127.0.0.1:{cluster.client_ports[1]}"
    path, body = ("/v3/kv/put", {"key": b64(key), "value": b64(value)}) if value is not None else \
        ("/v3/kv/deleterange", {"key": b64(key)})
    req = urllib.request.Request(endpoint + path, data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req, timeout=10).read()


def test_placement_groups_place_on_the_registered_hosts_and_a_gone_host_impairs(cluster, servers):
    """Hosts registered in etcd as agents register them (here without agents: no data plane), and
    what RunInstances makes of them, seen through `openvpc hosts` and DescribeInstanceStatus."""
    import json
    for n in range(3):
        etcd_put(cluster, f"openvpc/hosts/h{n}",
                 json.dumps({"underlay": f"127.0.1.{n + 1}", "gateway": n == 0, "namespace_prefix": "x-"}))
    a, b = (make_client(s.endpoint) for s in servers)
    a.create_placement_group(GroupName="spread3", Strategy="spread")
    ids = [i["InstanceId"] for i in b.run_instances(ImageId=image(b), MinCount=3, MaxCount=3,
                                                    Placement={"GroupName": "spread3"})["Instances"]]

    def hosts():
        out = subprocess.run([BINARY, "hosts", "--store", cluster.store, "--json"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        return json.loads(out)

    placed = {i["InstanceId"]: h["Name"] for h in hosts()["Hosts"] for i in h["Instances"]}
    assert sorted(placed) == sorted(ids) and len(set(placed.values())) == 3, placed
    # A fourth has no host of its own left in the group.
    with pytest.raises(botocore.exceptions.ClientError) as exc:
        a.run_instances(ImageId=image(a), MinCount=1, MaxCount=1, Placement={"GroupName": "spread3"})
    assert exc.value.response["Error"]["Code"] == "InsufficientInstanceCapacity"

    def system_status(client, iid):
        s = client.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"]
        return s[0]["SystemStatus"]["Status"]

    victim = ids[0]
    assert system_status(a, victim) == "ok"  # positive control
    etcd_put(cluster, f"openvpc/hosts/{placed[victim]}")  # its lease expired
    wait_until(lambda: system_status(b, victim) == "impaired")
    assert [system_status(a, i) for i in ids[1:]] == ["ok", "ok"]
    assert victim in [i["InstanceId"] for i in hosts()["ImpairedInstances"]]
    etcd_put(cluster, f"openvpc/hosts/{placed[victim]}", json.dumps({"underlay": "127.0.1.9"}))  # back
    wait_until(lambda: system_status(a, victim) == "ok")
