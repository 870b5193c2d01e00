#!/usr/bin/env python3
"""Crash cycles: a write loop killed with -9 at random moments, every acknowledged write verified.

    python3 bench/crash_cycles.py [--cycles 100] [--writers 4] [--seed N] [--max-run 1.2] [--keep]

One `build/openvpc serve` (data plane off) on its own data directory and free loopback port. Each
cycle: WRITERS threads do mixed writes as fast as the server answers (CreateVpc, CreateSubnet,
CreateTags/DeleteTags, CreateSecurityGroup + AuthorizeSecurityGroupIngress/Revoke..., AllocateAddress,
CreateRouteTable/CreateNetworkAcl/CreateNetworkInterface/RunInstances with ClientTokens, Modify*
attributes, the deletes), the server is killed with SIGKILL at a random moment, started again on the
same data directory, and each writer's partition (its own account and Region, so the writers never
race each other) is read back completely and compared with what the writer was told:

* every acknowledged write is there with the attributes of its response; deleted things stay deleted;
* the one write per writer that was in flight at the kill (no response) is either wholly applied or
  not at all; a ClientToken write in flight is sent again after the restart and must answer the
  resource it made before the crash (if it made one), never a second one;
* invariants: every Describe works (paged), no id appears twice, DescribeTags and
  DescribeSecurityGroupRules agree with the resources' own Tags and IpPermissions, no id is reused;
* no 5xx and no lost connection except the kill's.

After the verification the writers go on from the state read back. At the end a clean SIGTERM restart
must also keep everything. Prints figures; exit status 1 on any lost write or broken invariant.
The API tests run it with 10 cycles (tests/api/test_crash_cycles.py).
"""
import argparse
import collections
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import boto3
import botocore.config
import botocore.exceptions
from botocore.exceptions import ClientError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BINARY = os.environ.get("OPENVPC_BINARY", os.path.join(ROOT, "build", "openvpc"))

ACCOUNTS = {
    "default": ("test", "test", "123456789012"),
    "other": ("AKIDOTHER", "othersecret", "210987654321"),
}
# One partition (account, Region) per writer: a writer owns everything in it.
PARTITIONS = [("default", "us-east-1"), ("other", "us-west-2"), ("default", "eu-west-1"),
              ("other", "ap-southeast-2"), ("default", "us-west-2"), ("other", "us-east-1"),
              ("default", "ap-northeast-1"), ("other", "eu-west-1")]



def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------------
# The server.


class Server:
    """`openvpc serve --dataplane off` on DATA_DIR; kill9/start keep the data directory and the port."""

    def __init__(self, data_dir, binary=BINARY, extra_args=()):
        self.binary, self.data_dir = binary, data_dir
        os.makedirs(data_dir, exist_ok=True)
        self.port = free_port()
        self.creds = os.path.join(data_dir, "test-credentials")
        with open(self.creds, "w") as f:
            for ak, sk, acct in ACCOUNTS.values():
                f.write(f"{ak} {sk} {acct}\n")
        self.extra_args = list(extra_args)
        self.log_path = os.path.join(data_dir, "server.log")
        self.proc = None

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, n=2000):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-n:]
        except FileNotFoundError:
            return ""

    def start(self, timeout=30.0):
        """Start and wait until it accepts connections; returns the seconds that took."""
        t0 = time.monotonic()
        for attempt in range(3):
            args = [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
                    "--credentials", self.creds, "--dataplane", "off"] + self.extra_args
            with open(self.log_path, "ab") as log:
                self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    break
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        return time.monotonic() - t0
                except OSError:
                    time.sleep(0.01)
            if self.proc.poll() is None:
                self.kill9()
                raise RuntimeError(f"openvpc did not listen within {timeout} s; log:\n{self.log_tail()}")
            rc, self.proc = self.proc.returncode, None
            if "address in use" not in self.log_tail(500).lower():
                raise RuntimeError(f"openvpc exited with {rc} at start; log:\n{self.log_tail()}")
            self.port = free_port()  # the port was taken meanwhile: a new one (the clients follow)
        raise RuntimeError("openvpc could not bind a port")

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def kill9(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
        self.proc = None

    def stop(self, timeout=15.0):
        """SIGTERM; returns the exit status (None when it had to be killed)."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
                return None
        rc, self.proc = self.proc.returncode, None
        return rc


def make_client(endpoint, account, region):
    ak, sk, _ = ACCOUNTS[account]
    return boto3.session.Session().client(
        "ec2", region_name=region, endpoint_url=endpoint, aws_access_key_id=ak, aws_secret_access_key=sk,
        # total_max_attempts 1: no retry at all ({"max_attempts": 1} would still retry once, legacy mode)
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}, connect_timeout=3,
                                      read_timeout=30,
                                      max_pool_connections=2))


# --------------------------------------------------------------------------------------------------
# A partition as a canonical snapshot: {id: {"t": kind, ...attributes}}; the writers' model has the same form.


class Broken(Exception):
    """An invariant of a partition's state does not hold."""


def tag_dict(tags):
    return {t["Key"]: t["Value"] for t in tags or []}


def paginate(ec2, op, key, page_size=None, **kw):
    items = []
    if page_size:
        kw["PaginationConfig"] = {"PageSize": page_size}
    for page in ec2.get_paginator(op).paginate(**kw):
        items += page[key]
    return items


def unique(items, id_key, what):
    ids = [i[id_key] for i in items]
    dup = [x for x, n in collections.Counter(ids).items() if n > 1]
    if dup:
        raise Broken(f"{what}: ids listed twice: {dup}")
    return items


def ingress_of(sg):
    rules = set()
    for p in sg.get("IpPermissions", []):
        for r in p.get("IpRanges", []):
            rules.add((p["IpProtocol"], p.get("FromPort"), p.get("ToPort"), r["CidrIp"]))
    return sorted(rules)


def snapshot(ec2):
    """Everything the writers make in this partition, read through the API, with invariants checked.
    The partition's default VPC (and what lives in it) and each VPC's automatic main route table,
    default network ACL and default security group are not the writers' and are left out."""
    out = {}

    def put(rid, rec):
        if rid in out:
            raise Broken(f"{rid} is listed as a {out[rid]['t']} and as a {rec['t']}")
        out[rid] = rec

    vpcs = unique(paginate(ec2, "describe_vpcs", "Vpcs", 5), "VpcId", "DescribeVpcs")
    default_vpcs = {v["VpcId"] for v in vpcs if v.get("IsDefault")}
    for v in vpcs:
        if v["VpcId"] in default_vpcs:
            continue
        hostnames = ec2.describe_vpc_attribute(VpcId=v["VpcId"], Attribute="enableDnsHostnames")
        put(v["VpcId"], {"t": "vpc", "cidr": v["CidrBlock"], "tags": tag_dict(v.get("Tags")),
                         "dns_hostnames": hostnames["EnableDnsHostnames"]["Value"]})
    for s in unique(paginate(ec2, "describe_subnets", "Subnets", 5), "SubnetId", "DescribeSubnets"):
        if s["VpcId"] not in default_vpcs:
            put(s["SubnetId"], {"t": "subnet", "vpc": s["VpcId"], "cidr": s["CidrBlock"],
                                "tags": tag_dict(s.get("Tags")), "map_public": s["MapPublicIpOnLaunch"]})
    sgs = unique(paginate(ec2, "describe_security_groups", "SecurityGroups", 5), "GroupId",
                 "DescribeSecurityGroups")
    mine_sgs = {}
    for g in sgs:
        if g["VpcId"] not in default_vpcs and g["GroupName"] != "default":
            mine_sgs[g["GroupId"]] = g
            put(g["GroupId"], {"t": "sg", "vpc": g["VpcId"], "name": g["GroupName"],
                               "tags": tag_dict(g.get("Tags")), "ingress": ingress_of(g)})
    rules = unique(paginate(ec2, "describe_security_group_rules", "SecurityGroupRules", 10),
                   "SecurityGroupRuleId", "DescribeSecurityGroupRules")
    by_group = collections.defaultdict(set)
    for r in rules:
        if not r["IsEgress"] and "CidrIpv4" in r:
            by_group[r["GroupId"]].add((r["IpProtocol"], r.get("FromPort"), r.get("ToPort"), r["CidrIpv4"]))
    for gid, g in mine_sgs.items():
        norm = lambda rs: sorted((p, None if p == "-1" else f, None if p == "-1" else t, c) for p, f, t, c in rs)
        if norm(by_group.get(gid, set())) != norm(ingress_of(g)):
            raise Broken(f"DescribeSecurityGroupRules of {gid} {sorted(by_group.get(gid, set()))} disagrees "
                         f"with DescribeSecurityGroups {ingress_of(g)}")
    for t in unique(paginate(ec2, "describe_route_tables", "RouteTables", 5), "RouteTableId",
                    "DescribeRouteTables"):
        if t["VpcId"] not in default_vpcs and not any(a.get("Main") for a in t.get("Associations", [])):
            put(t["RouteTableId"], {"t": "rtb", "vpc": t["VpcId"], "tags": tag_dict(t.get("Tags"))})
    for a in unique(paginate(ec2, "describe_network_acls", "NetworkAcls", 5), "NetworkAclId",
                    "DescribeNetworkAcls"):
        if a["VpcId"] not in default_vpcs and not a["IsDefault"]:
            put(a["NetworkAclId"], {"t": "acl", "vpc": a["VpcId"], "tags": tag_dict(a.get("Tags"))})
    for n in unique(paginate(ec2, "describe_network_interfaces", "NetworkInterfaces", 5), "NetworkInterfaceId",
                    "DescribeNetworkInterfaces"):
        if n["VpcId"] not in default_vpcs and "Attachment" not in n:
            put(n["NetworkInterfaceId"], {"t": "eni", "subnet": n["SubnetId"], "ip": n["PrivateIpAddress"],
                                          "tags": tag_dict(n.get("TagSet"))})
    for e in unique(ec2.describe_addresses()["Addresses"], "AllocationId", "DescribeAddresses"):
        put(e["AllocationId"], {"t": "eip", "ip": e["PublicIp"], "tags": tag_dict(e.get("Tags"))})
    reservations = paginate(ec2, "describe_instances", "Reservations", 5)
    instances = unique([i for r in reservations for i in r["Instances"]], "InstanceId", "DescribeInstances")
    for i in instances:
        live = i["State"]["Name"] in ("pending", "running")
        rec = {"t": "i", "live": live, "tags": tag_dict(i.get("Tags"))}
        if live:
            rec.update(subnet=i["SubnetId"], ip=i["PrivateIpAddress"])
        put(i["InstanceId"], rec)
    # DescribeTags agrees with each resource's own Tags.
    tagged = collections.defaultdict(dict)
    for t in paginate(ec2, "describe_tags", "Tags", 20):
        if t["Key"] in tagged[t["ResourceId"]]:
            raise Broken(f"DescribeTags lists {t['ResourceId']} {t['Key']} twice")
        tagged[t["ResourceId"]][t["Key"]] = t["Value"]
    for rid, rec in out.items():
        if tagged.get(rid, {}) != rec["tags"]:
            raise Broken(f"DescribeTags of {rid} {tagged.get(rid, {})} disagrees with its own Tags {rec['tags']}")
    return out


# --------------------------------------------------------------------------------------------------
# The writers.


class ServerError(Exception):
    pass


class InDoubt:
    """The write in flight when the connection broke: what it may have done.
    maybe: {id: state after the write, None = deleted}; new: (kind, template) of a resource it may
    have made; retry: call that sends it again with the same ClientToken -> the id it answers."""

    def __init__(self, op, maybe=None, new=None, retry=None):
        self.op, self.maybe, self.new, self.retry = op, maybe or {}, new, retry


class Writer:
    """One partition's write loop (run() in a thread per cycle) and its model of the partition."""

    # Bounds per writer, so the state stays small however many cycles run.
    MAX_VPCS, MAX_SUBNETS_PER_VPC, MAX_SGS_PER_VPC, MAX_RULES = 3, 4, 3, 5
    MAX_RTBS_PER_VPC, MAX_ACLS_PER_VPC, MAX_EIPS, MAX_ENIS, MAX_LIVE_INSTANCES = 2, 2, 3, 3, 2

    def __init__(self, index, account, region, rng):
        self.index, self.account, self.region, self.rng = index, account, region, rng
        self.model = {}              # id -> canonical record, as the acknowledged writes left it
        self.ever = set()            # every id ever acknowledged here (ids are never reused)
        self.deleted = set()         # ids whose delete was acknowledged
        self.ec2 = None
        self.endpoint = None
        self.image = None
        self.names = 0
        self.outcome = self.retried = None
        self.sent = None             # threading.Event set whenever a request leaves
        self.last_send = 0.0
        self.reset_cycle()

    def reset_cycle(self):
        self.stop_flag = threading.Event()
        self.killed = threading.Event()
        self.acked = 0
        self.in_doubt = None
        self.failure = None          # a 5xx, or a lost connection before the kill
        self.client_errors = collections.Counter()
        self.ops = collections.Counter()
        self.log = collections.deque(maxlen=12)
        self.not_sent = False

    def client(self, endpoint):
        if self.endpoint != endpoint:
            self.ec2, self.endpoint = make_client(endpoint, self.account, self.region), endpoint
            self.ec2.meta.events.register("before-send.ec2", self._sending)
        if self.image is None:
            images = self.ec2.describe_images()["Images"]
            self.image = ([i for i in images if i.get("Architecture") == "x86_64"] or images)[0]["ImageId"]
        return self.ec2

    def _sending(self, **_):
        """botocore's before-send: a request is about to leave (the runner may aim its kill at it)."""
        self.last_send = time.monotonic()
        if self.sent is not None:
            self.sent.set()

    # --- the model ---

    def of(self, kind, **match):
        return [k for k, v in self.model.items() if v["t"] == kind and all(v.get(a) == b for a, b in match.items())]

    def pick(self, seq):
        return self.rng.choice(seq) if seq else None

    def tag_spec(self, rtype):
        if self.rng.random() < 0.5:
            return {}, {}
        tags = {"Name": f"w{self.index}-{self.names}", "k0": str(self.rng.randint(0, 99))}
        spec = [{"ResourceType": rtype, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]
        return {"TagSpecifications": spec}, tags

    def created(self, rid, rec):
        if rid in self.ever:
            raise ServerError(f"id {rid} answered by a create was already used here")
        self.ever.add(rid)
        self.model[rid] = rec

    def removed(self, rid):
        self.model.pop(rid, None)
        self.deleted.add(rid)

    def with_tags(self, rid, tags):
        rec = dict(self.model[rid])
        rec["tags"] = tags
        return rec

    # --- the operations: each returns (name, in-doubt description, call) with call() applying on ack ---

    def op_create_vpc(self):
        if len(self.of("vpc")) >= self.MAX_VPCS:
            return None
        cidr = f"10.{self.rng.randint(0, 255)}.0.0/16"
        extra, tags = self.tag_spec("vpc")

        def call():
            v = self.ec2.create_vpc(CidrBlock=cidr, **extra)["Vpc"]
            self.created(v["VpcId"], {"t": "vpc", "cidr": v["CidrBlock"], "tags": tag_dict(v.get("Tags")),
                                      "dns_hostnames": False})
        return "CreateVpc", InDoubt("CreateVpc", new=("vpc", {"cidr": cidr, "tags": tags})), call

    def op_delete_vpc(self):
        empty = [v for v in self.of("vpc") if not any(r.get("vpc") == v for r in self.model.values())]
        vpc = self.pick(empty)
        if not vpc:
            return None

        def call():
            self.ec2.delete_vpc(VpcId=vpc)
            self.removed(vpc)
        return "DeleteVpc", InDoubt("DeleteVpc", maybe={vpc: None}), call

    def op_modify_vpc(self):
        vpc = self.pick(self.of("vpc"))
        if not vpc:
            return None
        value = not self.model[vpc]["dns_hostnames"]
        after = dict(self.model[vpc], dns_hostnames=value)

        def call():
            self.ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": value})
            self.model[vpc] = after
        return "ModifyVpcAttribute", InDoubt("ModifyVpcAttribute", maybe={vpc: after}), call

    def op_create_subnet(self):
        vpcs = [v for v in self.of("vpc") if len(self.of("subnet", vpc=v)) < self.MAX_SUBNETS_PER_VPC]
        vpc = self.pick(vpcs)
        if not vpc:
            return None
        base = self.model[vpc]["cidr"].split(".")
        used = {self.model[s]["cidr"] for s in self.of("subnet", vpc=vpc)}
        cidr = self.pick([c for c in (f"{base[0]}.{base[1]}.{y}.0/24" for y in range(16)) if c not in used])
        extra, tags = self.tag_spec("subnet")

        def call():
            s = self.ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, **extra)["Subnet"]
            self.created(s["SubnetId"], {"t": "subnet", "vpc": s["VpcId"], "cidr": s["CidrBlock"],
                                         "tags": tag_dict(s.get("Tags")), "map_public": s["MapPublicIpOnLaunch"]})
        return "CreateSubnet", InDoubt("CreateSubnet", new=("subnet", {"vpc": vpc, "cidr": cidr, "tags": tags})), call

    def op_delete_subnet(self):
        free = [s for s in self.of("subnet") if not any(r.get("subnet") == s for r in self.model.values())]
        sub = self.pick(free)
        if not sub:
            return None

        def call():
            self.ec2.delete_subnet(SubnetId=sub)
            self.removed(sub)
        return "DeleteSubnet", InDoubt("DeleteSubnet", maybe={sub: None}), call

    def op_modify_subnet(self):
        sub = self.pick(self.of("subnet"))
        if not sub:
            return None
        after = dict(self.model[sub], map_public=not self.model[sub]["map_public"])

        def call():
            self.ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": after["map_public"]})
            self.model[sub] = after
        return "ModifySubnetAttribute", InDoubt("ModifySubnetAttribute", maybe={sub: after}), call

    def op_create_tags(self):
        rid = self.pick(sorted(self.model))
        if not rid:
            return None
        new = {f"k{self.rng.randint(0, 3)}": f"v{self.rng.randint(0, 999)}" for _ in range(self.rng.randint(1, 2))}
        after = self.with_tags(rid, {**self.model[rid]["tags"], **new})

        def call():
            self.ec2.create_tags(Resources=[rid], Tags=[{"Key": k, "Value": v} for k, v in new.items()])
            self.model[rid] = after
        return "CreateTags", InDoubt("CreateTags", maybe={rid: after}), call

    def op_delete_tags(self):
        rid = self.pick(sorted(r for r, v in self.model.items() if v["tags"]))
        if not rid:
            return None
        key = self.pick(sorted(self.model[rid]["tags"]))
        arg = {"Key": key}
        if self.rng.random() < 0.5:
            arg["Value"] = self.model[rid]["tags"][key]
        after = self.with_tags(rid, {k: v for k, v in self.model[rid]["tags"].items() if k != key})

        def call():
            self.ec2.delete_tags(Resources=[rid], Tags=[arg])
            self.model[rid] = after
        return "DeleteTags", InDoubt("DeleteTags", maybe={rid: after}), call

    def op_create_sg(self):
        vpc = self.pick([v for v in self.of("vpc") if len(self.of("sg", vpc=v)) < self.MAX_SGS_PER_VPC])
        if not vpc:
            return None
        self.names += 1
        name = f"w{self.index}-sg-{self.names}-{self.rng.randint(0, 10**6)}"
        extra, tags = self.tag_spec("security-group")

        def call():
            out = self.ec2.create_security_group(VpcId=vpc, GroupName=name, Description=name, **extra)
            self.created(out["GroupId"], {"t": "sg", "vpc": vpc, "name": name, "tags": tag_dict(out.get("Tags")),
                                          "ingress": []})
        return "CreateSecurityGroup", InDoubt("CreateSecurityGroup", new=("sg", {"vpc": vpc, "name": name,
                                                                                 "tags": tags})), call

    def op_authorize(self):
        sg = self.pick([g for g in self.of("sg") if len(self.model[g]["ingress"]) < self.MAX_RULES])
        if not sg:
            return None
        port = self.rng.randint(1, 65535)
        rule = ("tcp", port, port, f"10.{self.rng.randint(0, 255)}.{self.rng.randint(0, 255)}.0/24")
        if rule in self.model[sg]["ingress"]:
            return None
        after = dict(self.model[sg], ingress=sorted(self.model[sg]["ingress"] + [rule]))

        def call():
            self.ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
                "IpProtocol": "tcp", "FromPort": rule[1], "ToPort": rule[2], "IpRanges": [{"CidrIp": rule[3]}]}])
            self.model[sg] = after
        return "AuthorizeSecurityGroupIngress", InDoubt("AuthorizeSecurityGroupIngress", maybe={sg: after}), call

    def op_revoke(self):
        sg = self.pick([g for g in self.of("sg") if self.model[g]["ingress"]])
        if not sg:
            return None
        rule = self.pick(self.model[sg]["ingress"])
        after = dict(self.model[sg], ingress=[r for r in self.model[sg]["ingress"] if r != rule])

        def call():
            self.ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[{
                "IpProtocol": rule[0], "FromPort": rule[1], "ToPort": rule[2], "IpRanges": [{"CidrIp": rule[3]}]}])
            self.model[sg] = after
        return "RevokeSecurityGroupIngress", InDoubt("RevokeSecurityGroupIngress", maybe={sg: after}), call

    def op_delete_sg(self):
        sg = self.pick(self.of("sg"))
        if not sg:
            return None

        def call():
            self.ec2.delete_security_group(GroupId=sg)
            self.removed(sg)
        return "DeleteSecurityGroup", InDoubt("DeleteSecurityGroup", maybe={sg: None}), call

    def op_allocate(self):
        if len(self.of("eip")) >= self.MAX_EIPS:
            return None
        extra, tags = self.tag_spec("elastic-ip")

        def call():
            out = self.ec2.allocate_address(Domain="vpc", **extra)
            # AllocateAddress's response has no Tags member (AWS's shape): the tags asked for were acknowledged.
            self.created(out["AllocationId"], {"t": "eip", "ip": out["PublicIp"], "tags": tags})
        return "AllocateAddress", InDoubt("AllocateAddress", new=("eip", {"tags": tags})), call

    def op_release(self):
        eip = self.pick(self.of("eip"))
        if not eip:
            return None

        def call():
            self.ec2.release_address(AllocationId=eip)
            self.removed(eip)
        return "ReleaseAddress", InDoubt("ReleaseAddress", maybe={eip: None}), call

    def token(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128))) if self.rng.random() < 0.7 else None

    def tokened(self, name, kind, template, send, record):
        """A create that may carry a ClientToken: send(token) -> response; record(response) -> (id, rec)."""
        token = self.token()
        kw = {"ClientToken": token} if token else {}

        def call():
            rid, rec = record(send(**kw))
            self.created(rid, rec)
        retry = (lambda: record(send(**kw))[0]) if token else None
        return name, InDoubt(name, new=(kind, template), retry=retry), call

    def op_create_rtb(self):
        vpc = self.pick([v for v in self.of("vpc") if len(self.of("rtb", vpc=v)) < self.MAX_RTBS_PER_VPC])
        if not vpc:
            return None
        extra, tags = self.tag_spec("route-table")
        return self.tokened(
            "CreateRouteTable", "rtb", {"vpc": vpc, "tags": tags},
            lambda **kw: self.ec2.create_route_table(VpcId=vpc, **extra, **kw)["RouteTable"],
            lambda t: (t["RouteTableId"], {"t": "rtb", "vpc": t["VpcId"], "tags": tag_dict(t.get("Tags"))}))

    def op_delete_rtb(self):
        rtb = self.pick(self.of("rtb"))
        if not rtb:
            return None

        def call():
            self.ec2.delete_route_table(RouteTableId=rtb)
            self.removed(rtb)
        return "DeleteRouteTable", InDoubt("DeleteRouteTable", maybe={rtb: None}), call

    def op_create_acl(self):
        vpc = self.pick([v for v in self.of("vpc") if len(self.of("acl", vpc=v)) < self.MAX_ACLS_PER_VPC])
        if not vpc:
            return None
        extra, tags = self.tag_spec("network-acl")
        return self.tokened(
            "CreateNetworkAcl", "acl", {"vpc": vpc, "tags": tags},
            lambda **kw: self.ec2.create_network_acl(VpcId=vpc, **extra, **kw)["NetworkAcl"],
            lambda a: (a["NetworkAclId"], {"t": "acl", "vpc": a["VpcId"], "tags": tag_dict(a.get("Tags"))}))

    def op_delete_acl(self):
        acl = self.pick(self.of("acl"))
        if not acl:
            return None

        def call():
            self.ec2.delete_network_acl(NetworkAclId=acl)
            self.removed(acl)
        return "DeleteNetworkAcl", InDoubt("DeleteNetworkAcl", maybe={acl: None}), call

    def op_create_eni(self):
        sub = self.pick(self.of("subnet"))
        if not sub or len(self.of("eni")) >= self.MAX_ENIS:
            return None
        extra, tags = self.tag_spec("network-interface")
        return self.tokened(
            "CreateNetworkInterface", "eni", {"subnet": sub, "tags": tags},
            lambda **kw: self.ec2.create_network_interface(SubnetId=sub, **extra, **kw)["NetworkInterface"],
            lambda n: (n["NetworkInterfaceId"], {"t": "eni", "subnet": n["SubnetId"], "ip": n["PrivateIpAddress"],
                                                 "tags": tag_dict(n.get("TagSet"))}))

    def op_delete_eni(self):
        eni = self.pick(self.of("eni"))
        if not eni:
            return None

        def call():
            self.ec2.delete_network_interface(NetworkInterfaceId=eni)
            self.removed(eni)
        return "DeleteNetworkInterface", InDoubt("DeleteNetworkInterface", maybe={eni: None}), call

    def op_run(self):
        sub = self.pick(self.of("subnet"))
        if not sub or len(self.of("i", live=True)) >= self.MAX_LIVE_INSTANCES:
            return None
        extra, tags = self.tag_spec("instance")
        return self.tokened(
            "RunInstances", "i", {"subnet": sub, "live": True, "tags": tags},
            lambda **kw: self.ec2.run_instances(ImageId=self.image, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                                SubnetId=sub, **extra, **kw)["Instances"][0],
            lambda i: (i["InstanceId"], {"t": "i", "live": True, "tags": tag_dict(i.get("Tags")),
                                         "subnet": i["SubnetId"], "ip": i["PrivateIpAddress"]}))

    def op_terminate(self):
        inst = self.pick(self.of("i", live=True))
        if not inst:
            return None
        after = {"t": "i", "live": False, "tags": self.model[inst]["tags"]}

        def call():
            self.ec2.terminate_instances(InstanceIds=[inst])
            self.model[inst] = after
        return "TerminateInstances", InDoubt("TerminateInstances", maybe={inst: after}), call

    OPS = [("op_create_vpc", 3), ("op_delete_vpc", 2), ("op_modify_vpc", 2), ("op_create_subnet", 6),
           ("op_delete_subnet", 4), ("op_modify_subnet", 2), ("op_create_tags", 8), ("op_delete_tags", 4),
           ("op_create_sg", 4), ("op_authorize", 6), ("op_revoke", 4), ("op_delete_sg", 2), ("op_allocate", 3),
           ("op_release", 2), ("op_create_rtb", 3), ("op_delete_rtb", 2), ("op_create_acl", 2),
           ("op_delete_acl", 2), ("op_create_eni", 3), ("op_delete_eni", 2), ("op_run", 2), ("op_terminate", 2)]

    def next_op(self):
        names, weights = zip(*self.OPS)
        for _ in range(50):
            got = getattr(self, self.rng.choices(names, weights)[0])()
            if got:
                return got
        return self.op_create_vpc() or self.op_create_tags()

    # --- the loop ---

    def run(self):
        while not self.stop_flag.is_set():
            name, doubt, call = self.next_op()
            self.in_doubt = doubt
            try:
                call()
                self.acked += 1
                self.ops[name] += 1
                self.log.append(f"{name} ok")
                self.in_doubt = None
            except ClientError as e:
                status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
                code = e.response.get("Error", {}).get("Code", "?")
                if status >= 500 or code == "InternalError":
                    self.failure = f"{name}: HTTP {status} {code}: {e.response.get('Error', {}).get('Message')}"
                    return
                self.client_errors[f"{name}:{code}"] += 1
                self.log.append(f"{name} {code}")
                self.in_doubt = None  # a refused write changes nothing (checked by the next verification)
            except ServerError as e:
                self.failure = str(e)
                return
            except botocore.exceptions.EndpointConnectionError as e:  # not even connected: not sent
                if not self.killed.is_set():
                    self.failure = f"{name}: {type(e).__name__}: {e} (before the kill)"
                self.in_doubt = None
                self.not_sent = True
                self.log.append(f"{name} not sent (connection refused)")
                return
            except Exception as e:  # the connection: expected only once the server is killed
                if not self.killed.is_set():
                    time.sleep(0.05)  # the kill may be this very moment
                if not self.killed.is_set():
                    self.failure = f"{name}: {type(e).__name__}: {e} (before the kill)"
                self.log.append(f"{name} in doubt: {type(e).__name__}")
                return

    # --- after the restart ---

    def verify(self):
        """Compare the partition with the model; returns a list of (category, text). Adopts what it read."""
        problems = []
        try:
            actual = snapshot(self.ec2)
        except Broken as e:
            return [("invariant", f"w{self.index} {self.account}/{self.region}: {e}")]
        except ClientError as e:
            return [("invariant", f"w{self.index}: a Describe failed after the restart: {e}")]
        doubt = self.in_doubt
        maybe = doubt.maybe if doubt else {}
        where = f"w{self.index} {self.account}/{self.region}"
        for rid, rec in self.model.items():
            got = actual.get(rid)
            if got == rec:
                continue
            if rid in maybe and got == maybe[rid]:
                continue
            if got is None:
                problems.append(("lost", f"{where}: acknowledged {rec['t']} {rid} is gone: {rec}"))
            else:
                problems.append(("lost", f"{where}: {rec['t']} {rid} is {got}, acknowledged as {rec}"
                                         + (f" (in doubt: {doubt.op} -> {maybe[rid]})" if rid in maybe else "")))
        made = None
        for rid in sorted(set(actual) - set(self.model)):
            got = actual[rid]
            if rid in self.deleted:
                problems.append(("lost", f"{where}: {got['t']} {rid} came back after its delete was acknowledged"))
                continue
            if doubt and doubt.new and made is None and got["t"] == doubt.new[0] and \
                    all(got.get(k) == v for k, v in doubt.new[1].items()):
                made = rid
                continue
            problems.append(("phantom", f"{where}: {got['t']} {rid} {got} that no write explains"
                                        + (f" (in doubt: {doubt.op})" if doubt else "")))
        self.outcome = None
        if doubt:
            changed = made is not None or any(actual.get(r) != self.model.get(r) for r in maybe)
            self.outcome = "applied" if changed else "not applied"
        self.model = actual
        self.ever |= set(actual)
        if doubt and doubt.retry and not problems:
            try:
                again = doubt.retry()
                self.acked += 1
                if made is not None and again != made:
                    problems.append(("idempotency", f"{where}: {doubt.op} sent again with its ClientToken after the "
                                                    f"crash answered {again}, but made {made} before it"))
                after = snapshot(self.ec2)
                extra = set(after) - set(actual)
                if extra - {again}:
                    problems.append(("idempotency", f"{where}: {doubt.op} retried made {sorted(extra)}"))
                self.model = after
                self.ever |= set(after)
                self.retried = (made is not None, again == made if made is not None else True)
            except ClientError as e:
                problems.append(("idempotency", f"{where}: {doubt.op} retried with its ClientToken failed: {e}"))
        return problems


# --------------------------------------------------------------------------------------------------
# The run.


class Result:
    def __init__(self):
        self.cycles = 0
        self.acked = 0
        self.verified_records = 0
        self.problems = []
        self.failures = []
        self.in_doubt = collections.Counter()
        self.not_sent = 0
        self.sent_after_kill = 0
        self.retries = collections.Counter()
        self.client_errors = collections.Counter()
        self.ops = collections.Counter()
        self.restart_s = []
        self.seconds = 0.0
        self.seed = None

    @property
    def lost(self):
        return sum(1 for c, _ in self.problems if c == "lost")

    @property
    def ok(self):
        return not self.problems and not self.failures

    def report(self):
        lines = [
            f"crash cycles: {self.cycles} (seed {self.seed}), {self.seconds:.1f} s",
            f"acknowledged writes checked: {self.acked}  "
            f"(resource records compared after restarts: {self.verified_records})",
            f"writes in flight at the kill: {sum(self.in_doubt.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.in_doubt.items()))}); "
            f"sent after the server had died: {self.sent_after_kill}; "
            f"refused at connect after the kill: {self.not_sent}",
            f"ClientToken writes sent again after the crash: {sum(self.retries.values())} "
            f"({', '.join(f'{k} {v}' for k, v in sorted(self.retries.items()))})",
            f"lost writes: {self.lost}",
            f"other problems (phantoms, broken invariants, idempotency): {len(self.problems) - self.lost}",
            f"server errors (5xx, crash, hang before the kill): {len(self.failures)}",
        ]
        if self.restart_s:
            r = sorted(self.restart_s)
            lines.append(f"restart after kill -9 to listening: median {r[len(r) // 2] * 1000:.0f} ms, "
                         f"max {r[-1] * 1000:.0f} ms")
        lines.append("writes by operation: " + ", ".join(f"{k} {v}" for k, v in sorted(self.ops.items())))
        if self.client_errors:
            lines.append("client errors (refusals, not acknowledged): "
                         + ", ".join(f"{k} {v}" for k, v in sorted(self.client_errors.items())))
        for c, text in self.problems[:30]:
            lines.append(f"  PROBLEM {c}: {text}")
        for text in self.failures[:30]:
            lines.append(f"  FAILURE: {text}")
        return "\n".join(lines)


def run(cycles=100, writers=4, seed=None, max_run=1.2, data_dir=None, binary=BINARY, verbose=False,
        keep=False):
    """Runs the crash cycles; returns a Result (never raises for what it finds)."""
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed)
    res = Result()
    res.seed = seed
    own_dir = data_dir is None
    data_dir = data_dir or tempfile.mkdtemp(prefix="openvpc-crash-")
    server = Server(data_dir, binary, ["--quota", "vpcs-per-region=20"])
    ws = [Writer(i, *PARTITIONS[i % len(PARTITIONS)], random.Random(rng.random())) for i in range(writers)]
    sent = threading.Event()
    for w in ws:
        w.sent = sent
    t0 = time.monotonic()
    try:
        server.start()
        for w in ws:
            w.client(server.endpoint)
        for cycle in range(cycles):
            threads = []
            for w in ws:
                w.reset_cycle()
                w.client(server.endpoint)
                t = threading.Thread(target=w.run, daemon=True)
                threads.append(t)
            for t in threads:
                t.start()
            deadline = time.monotonic() + rng.uniform(0.02, max_run)
            while time.monotonic() < deadline and server.alive() and all(t.is_alive() for t in threads):
                time.sleep(0.005)
            if cycle % 2:  # aimed: just after a request left, while the server is likely committing it
                sent.clear()
                sent.wait(1.0)
                time.sleep(rng.choice((0.0005, 0.001, 0.002, 0.004, 0.008)) * rng.random())
            crashed = not server.alive()
            for w in ws:
                w.killed.set()
            server.kill9()
            dead_at = time.monotonic()
            for w in ws:
                w.stop_flag.set()
            for t in threads:
                t.join(60)
                if t.is_alive():
                    res.failures.append(f"cycle {cycle}: a writer hung after the kill")
            sent_late = {w.index: w.last_send > dead_at for w in ws}
            if crashed:
                res.failures.append(f"cycle {cycle}: openvpc died before the kill; log:\n{server.log_tail()}")
            for w in ws:
                if w.failure:
                    res.failures.append(f"cycle {cycle} w{w.index}: {w.failure}; last ops: {list(w.log)}")
            res.restart_s.append(server.start())
            for w in ws:
                w.client(server.endpoint)
                w.retried = None
                found = w.verify()
                res.verified_records += len(w.model)
                for c, text in found:
                    res.problems.append((c, f"cycle {cycle}: {text}; last ops: {list(w.log)}"))
                res.acked += w.acked
                res.ops.update(w.ops)
                res.client_errors.update(w.client_errors)
                if w.in_doubt and sent_late[w.index]:
                    res.sent_after_kill += 1  # still checked as in doubt, but the server was gone
                elif w.in_doubt:
                    res.in_doubt[f"{w.outcome}: {w.in_doubt.op}" if w.outcome == "applied" else w.outcome] += 1
                res.not_sent += w.not_sent
                if w.retried:
                    res.retries["made before the crash" if w.retried[0] else "not made before the crash"] += 1
                    if not w.retried[1]:
                        res.retries["answered another id"] += 1
            res.cycles += 1
            if verbose:
                print(f"cycle {cycle + 1}/{cycles}: acked {sum(w.acked for w in ws)}, records "
                      f"{sum(len(w.model) for w in ws)}, in doubt "
                      f"{[w.outcome for w in ws if w.in_doubt]}, problems {len(res.problems)}", file=sys.stderr)
            if res.failures and any("died" in f for f in res.failures):
                break
        # A clean restart (SIGTERM) keeps everything too.
        rc = server.stop()
        if rc not in (0, None) and rc != -signal.SIGTERM:
            res.failures.append(f"openvpc exited with {rc} on SIGTERM")
        server.start()
        for w in ws:
            w.in_doubt = None
            w.retried = None
            for c, text in w.verify():
                res.problems.append((c, f"after the final SIGTERM restart: {text}"))
    except Exception as e:
        import traceback
        res.failures.append(f"the run stopped: {type(e).__name__}: {e}\n{traceback.format_exc()}")
    finally:
        server.kill9()
        res.seconds = time.monotonic() - t0
        if own_dir and not keep and res.ok:
            shutil.rmtree(data_dir, ignore_errors=True)
        elif own_dir:
            print(f"(data dir kept: {data_dir})", file=sys.stderr)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--writers", type=int, default=4)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--max-run", type=float, default=1.2, help="longest write phase before the kill, s")
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if not os.access(BINARY, os.X_OK):
        sys.exit(f"{BINARY} is missing: build it first")
    res = run(a.cycles, a.writers, a.seed, a.max_run, verbose=a.verbose, keep=a.keep)
    print(res.report())
    sys.exit(0 if res.ok else 1)


if __name__ == "__main__":
    main()
