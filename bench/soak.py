#!/usr/bin/env python3
"""Soak: CLIENTS clients of mixed API calls for MINUTES minutes with the data plane on and instances
passing traffic. As root:

    sudo python3 bench/soak.py [--minutes 10] [--clients 8] [--think-ms 25] [--seed N]

Starts its own `openvpc serve` (a private copy of build/openvpc, data plane on, its own data
directory and free loopback port), launches three instances A, B, C in one VPC with echo servers on
B and C, and keeps traffic passing: A opens 5 new TCP connections per second to each of B and C and
keeps one long-lived connection to each (an echo checked every second), and pings B and C every
10 s. Meanwhile each client (a process of its own, its own account and Region) does mixed calls:
Describe* with and without filters, create/delete churn of VPCs, subnets, security groups and their
rules, route tables, network ACLs, interfaces and Elastic IPs under fixed bounds (the write mix of
bench/crash_cycles.py), tags, Modify*Attribute, and now and then RunInstances/TerminateInstances
(instances that become namespaces). At the end every client's partition is read back and compared
with what its acknowledged writes said.

Prints errors by code (AWS client errors apart from server errors: 5xx and lost connections),
p50/p99 latency per minute, the server's RSS, threads and open files per minute, and traffic checks
passed/failed. Figures, not a test; exits 1 when there was a server error, a lost connection, a
crash, or a partition that does not match its writes. Cleans up every namespace and process it made.
"""
import argparse
import atexit
import collections
import multiprocessing
import os
import queue
import random
import shutil
import signal
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "dataplane"))

import crash_cycles  # noqa: E402  (the writers' operations and the partition snapshot)
import dplib  # noqa: E402  (the data-plane server, processes inside instances, the lab)
from botocore.exceptions import ClientError  # noqa: E402

# A loop inside instance A: every second, 5 new TCP connections to each target (an echo each) and one
# exchange on a long-lived connection per target; prints "tick NEW_OK NEW_FAIL SESS_OK SESS_FAIL [why...]".
TRAFFIC_LOOP = r'''
import socket, sys, time
targets = [(h, int(p)) for h, p in (a.split(":") for a in sys.argv[1:])]
def say(*w): print(*w, flush=True)
def exchange(s, msg):
    s.sendall(msg + b"\n")
    buf = b""
    while not buf.endswith(b"\n"):
        c = s.recv(4096)
        if not c: raise ConnectionError("closed by peer")
        buf += c
    if buf.strip() != msg: raise ValueError("wrong echo %r" % buf)
sessions, n = {}, 0
while True:
    t0 = time.monotonic()
    ok = fail = sok = sfail = 0
    why = []
    for h, p in targets:
        for _ in range(5):
            n += 1
            try:
                with socket.create_connection((h, p), timeout=2) as s:
                    s.settimeout(2)
                    exchange(s, b"n%d" % n)
                ok += 1
            except Exception as e:
                fail += 1; why.append("new:%s:%s" % (h, type(e).__name__))
        try:
            s = sessions.get((h, p))
            if s is None:
                s = socket.create_connection((h, p), timeout=2); s.settimeout(2); sessions[(h, p)] = s
            exchange(s, b"s%d" % n)
            sok += 1
        except Exception as e:
            sfail += 1; why.append("session:%s:%s" % (h, type(e).__name__))
            old = sessions.pop((h, p), None)
            if old: old.close()
    say("tick", ok, fail, sok, sfail, *why[:4])
    time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
'''


# --------------------------------------------------------------------------------------------------
# The clients (one process each).

# Each client owns a partition (account, Region); the traffic's VPC is in default/us-east-1.
CLIENT_PARTITIONS = [p for p in crash_cycles.PARTITIONS if p != ("default", "us-east-1")] + [
    ("default", "us-east-2"), ("other", "us-east-2")]


class SoakClient(crash_cycles.Writer):
    """The crash cycles' writer, plus Describe calls, with instances launched now and then."""

    MAX_LIVE_INSTANCES = 1
    RUN_EVERY = 45.0      # seconds between one client's RunInstances
    INSTANCE_LIFE = 20.0  # seconds an instance runs before it may be terminated

    OPS = crash_cycles.Writer.OPS + [("op_describe", 60)]

    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        self.last_run = time.monotonic() - self.rng.uniform(0, self.RUN_EVERY)
        self.launched = {}

    def op_run(self):
        if time.monotonic() - self.last_run < self.RUN_EVERY:
            return None
        got = super().op_run()
        if got:
            self.last_run = time.monotonic()
            name, doubt, call = got

            def launch():
                before = set(self.of("i"))
                call()
                for i in set(self.of("i")) - before:
                    self.launched[i] = time.monotonic()
            return name, doubt, launch
        return None

    def op_terminate(self):
        old = [i for i in self.of("i", live=True) if time.monotonic() - self.launched.get(i, 0) > self.INSTANCE_LIFE]
        if not old:
            return None
        got = super().op_terminate()
        return got if got and got[1].maybe.keys() <= set(old) else None

    def op_describe(self):
        ec2, rng = self.ec2, self.rng
        mine = sorted(self.model)
        vpc = self.pick(self.of("vpc"))
        calls = [
            ("DescribeVpcs", lambda: ec2.describe_vpcs()),
            ("DescribeVpcs", lambda: ec2.describe_vpcs(Filters=[{"Name": "tag-key", "Values": ["k*"]}])),
            ("DescribeSubnets", lambda: ec2.describe_subnets(
                Filters=[{"Name": "vpc-id", "Values": [vpc or "vpc-0123456789abcdef0"]}])),
            ("DescribeSecurityGroups", lambda: ec2.describe_security_groups()),
            ("DescribeSecurityGroupRules", lambda: ec2.describe_security_group_rules(MaxResults=50)),
            ("DescribeRouteTables", lambda: ec2.describe_route_tables()),
            ("DescribeNetworkAcls", lambda: ec2.describe_network_acls()),
            ("DescribeNetworkInterfaces", lambda: ec2.describe_network_interfaces()),
            ("DescribeAddresses", lambda: ec2.describe_addresses()),
            ("DescribeInstances", lambda: ec2.describe_instances(MaxResults=5)),
            ("DescribeInstances", lambda: ec2.describe_instances(
                Filters=[{"Name": "instance-state-name", "Values": ["running", "pending"]}])),
            ("DescribeInstanceStatus", lambda: ec2.describe_instance_status()),
            ("DescribeTags", lambda: ec2.describe_tags(Filters=[{"Name": "key", "Values": ["Name", "k0"]}])),
            ("DescribeTags", lambda: ec2.describe_tags(MaxResults=10)),
            ("DescribeAvailabilityZones", lambda: ec2.describe_availability_zones()),
        ]
        if vpc:
            calls.append(("DescribeVpcAttribute", lambda: ec2.describe_vpc_attribute(
                VpcId=vpc, Attribute="enableDnsSupport")))
        if mine:
            rid = rng.choice(mine)
            calls.append(("DescribeTags", lambda: ec2.describe_tags(
                Filters=[{"Name": "resource-id", "Values": [rid]}])))
        name, fn = rng.choice(calls)
        return name, None, fn


def client_main(index, account, region, endpoint, seed, end, think, out):
    """One client process: calls until time.time() reaches END; sends batches of (time, op, seconds,
    outcome) and at the end ("final", index, problems, resource counts)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    c = SoakClient(index, account, region, random.Random(seed))
    deadline = time.monotonic() + (end - time.time())
    batch, last_flush, unsure = [], time.monotonic(), False
    try:
        c.client(endpoint)
    except Exception as e:
        out.put(("batch", index, [(time.time(), "DescribeImages", 0.0, f"connection:{type(e).__name__}")]))
        out.put(("final", index, [f"client {index} could not start: {e}"]))
        return
    while time.monotonic() < deadline:
        name, doubt, call = c.next_op()
        t0 = time.perf_counter()
        try:
            call()
            outcome = "ok"
        except ClientError as e:
            status = e.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
            code = e.response.get("Error", {}).get("Code", "?")
            outcome = f"{status}:{code}"
            unsure |= status >= 500
        except crash_cycles.ServerError as e:
            outcome = "invariant:" + str(e)
            unsure = True
        except Exception as e:  # a lost connection, a timeout
            outcome = f"connection:{type(e).__name__}"
            unsure = True
            time.sleep(0.5)
        batch.append((time.time(), name, time.perf_counter() - t0, outcome))
        if time.monotonic() - last_flush > 1.0:
            out.put(("batch", index, batch))
            batch, last_flush = [], time.monotonic()
        time.sleep(c.rng.uniform(0, 2 * think))
    out.put(("batch", index, batch))
    # The partition agrees with the writes it acknowledged (exactly: nothing was in doubt).
    problems = []
    if not unsure:
        c.in_doubt = None
        problems = [f"client {index}: {text}" for _, text in c.verify()]
    out.put(("final", index, problems, {k: len([1 for v in c.model.values() if v["t"] == k])
                                        for k in ("vpc", "subnet", "sg", "rtb", "acl", "eni", "eip", "i")}))


# --------------------------------------------------------------------------------------------------
# The server's process figures.


def proc_figures(pid, server=None):
    """(RSS MB, threads, open fds, instance namespaces) of the server, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
        rss = int(status["VmRSS"].split()[0]) / 1024
        threads = int(status["Threads"])
        fds = len(os.listdir(f"/proc/{pid}/fd"))
        return rss, threads, fds, len(server.instance_namespaces()) if server else 0
    except (OSError, KeyError, ValueError):
        return None


def pct(values, p):
    if not values:
        return float("nan")
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


# --------------------------------------------------------------------------------------------------
# The run.


class Soak:
    def __init__(self, a):
        self.a = a
        self.tmp = tempfile.mkdtemp(prefix="openvpc-soak-")
        self.server = None
        self.lab = None
        self.procs = []
        self.cleaned = False

    def cleanup(self):
        if self.cleaned:
            return
        self.cleaned = True
        for p in self.procs:
            if p.is_alive():
                p.kill()
                p.join(5)
        problems = []
        if self.lab:
            self.lab.close()
        if self.server:
            problems = self.server.finish()
        if problems:
            print("cleanup: " + "; ".join(problems), file=sys.stderr)
        if self.a.keep or problems:
            print(f"(data dir kept: {self.tmp})", file=sys.stderr)
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)
        return problems

    def setup_traffic(self):
        lab = self.lab
        vpc = lab.vpc("10.0.0.0/16")
        sub = lab.subnet(vpc, "10.0.1.0/24")
        sg = lab.group(vpc, "soak-traffic", ingress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
        a, b, c = (lab.launch(sub, SecurityGroupIds=[sg], timeout=30) for _ in range(3))
        self.ips = {"A": a["PrivateIpAddress"], "B": b["PrivateIpAddress"], "C": c["PrivateIpAddress"]}
        self.a_id = a["InstanceId"]
        for inst in (b, c):
            lab.serve(inst["InstanceId"], "tcp", 7000)
        self.loop = dplib.Background(self.server, self.a_id, [dplib.GUEST_PYTHON, "-c", TRAFFIC_LOOP,
                                                              f"{self.ips['B']}:7000", f"{self.ips['C']}:7000"])
        lab.background.append(self.loop)
        first = self.loop.wait_line(lambda l: l.startswith("tick"), timeout=15)
        if not first:
            raise RuntimeError(f"no traffic from A: {self.loop.lines[-5:]}")

    def run(self):
        a = self.a
        binary = dplib.snapshot_binary(self.tmp)
        self.server = dplib.DataPlaneServer(binary, os.path.join(self.tmp, "data"))
        self.server.start()
        pid = self.server.proc.pid
        self.lab = dplib.Lab(self.server)
        t_setup = time.monotonic()
        self.setup_traffic()
        print(f"server pid {pid}, endpoint {self.server.endpoint}, instances A B C up in "
              f"{time.monotonic() - t_setup:.1f} s: {self.ips}", file=sys.stderr)

        start_fig = proc_figures(pid, self.server)
        ctx = multiprocessing.get_context("spawn")  # no fork of a process that has threads
        out = ctx.Queue()
        seconds = a.minutes * 60
        rng = random.Random(a.seed)
        t0 = time.time()
        for i in range(a.clients):
            account, region = CLIENT_PARTITIONS[i % len(CLIENT_PARTITIONS)]
            p = ctx.Process(target=client_main, daemon=True, args=(
                i, account, region, self.server.endpoint, rng.random(), t0 + seconds, a.think_ms / 1000, out))
            p.start()
            self.procs.append(p)

        last_minute = max(0, int(-(-seconds // 60)) - 1)
        minute = lambda t: min(last_minute, max(0, int((t - t0) // 60)))
        calls = collections.defaultdict(list)        # minute -> latencies
        codes = collections.Counter()                # outcome -> count (without "ok")
        codes_by_op = collections.Counter()
        per_min_err = collections.Counter()          # minute -> server errors
        per_min_client_err = collections.Counter()
        ops = collections.Counter()
        lat_by_op = collections.defaultdict(list)
        figures = {}                                 # minute -> (rss, threads, fds) at its end
        samples = [(0.0, start_fig)]
        traffic = collections.defaultdict(lambda: [0, 0])   # minute -> [passed, failed]
        traffic_why = collections.Counter()
        pings = [0, 0]
        finals, states = {}, {}
        crashed = None
        tick_seen = self.loop.mark()
        last_tick_time = time.monotonic()
        missing_ticks = 0
        next_sample = time.monotonic() + 5
        next_ping = time.monotonic() + 10
        ping_targets = ["B", "C"]

        def take(item):
            if item[0] == "batch":
                for t, op, lat, outcome in item[2]:
                    m = minute(t)
                    calls[m].append(lat)
                    ops[op] += 1
                    lat_by_op[op].append(lat)
                    if outcome != "ok":
                        codes[outcome] += 1
                        codes_by_op[f"{op} {outcome}"] += 1
                        if outcome.startswith(("5", "connection", "invariant")):
                            per_min_err[m] += 1
                        else:
                            per_min_client_err[m] += 1
            else:
                finals[item[1]] = item[2]
                if len(item) > 3:
                    states[item[1]] = item[3]

        while len(finals) < a.clients or time.time() - t0 < seconds:
            try:
                take(out.get(timeout=0.5))
            except queue.Empty:
                pass
            now = time.monotonic()
            if crashed is None and self.server.proc.poll() is not None:
                crashed = self.server.proc.returncode
                print(f"openvpc exited with {crashed}!", file=sys.stderr)
            # traffic ticks from A
            new = self.loop.lines[tick_seen:]
            tick_seen += len(new)
            for line in new:
                w = line.split()
                if w and w[0] == "tick" and len(w) >= 5:
                    m = minute(time.time())
                    traffic[m][0] += int(w[1]) + int(w[3])
                    traffic[m][1] += int(w[2]) + int(w[4])
                    traffic_why.update(w[5:])
                    last_tick_time = now
            if now - last_tick_time > 5:  # the loop in A stopped printing: count its silence as failures
                traffic[minute(time.time())][1] += 12 * 5
                traffic_why["no-ticks-from-A"] += 5
                missing_ticks += 5
                last_tick_time = now
            if now >= next_ping and time.time() - t0 < seconds:
                target = ping_targets[int(now) % 2]
                ok = self.lab.ping(self.a_id, self.ips[target], count=3, wait=1.0)
                pings[0 if ok else 1] += 1
                traffic[minute(time.time())][0 if ok else 1] += 1
                if not ok:
                    traffic_why[f"ping-{target}"] += 1
                next_ping = now + 10
            if now >= next_sample:
                fig = proc_figures(pid, self.server)
                if fig:
                    samples.append((time.time() - t0, fig))
                    figures[minute(time.time())] = fig
                next_sample = now + 5
            if time.time() - t0 > seconds + 120:
                print("clients did not finish within 2 minutes of the end", file=sys.stderr)
                break
        try:
            while True:
                take(out.get_nowait())
        except queue.Empty:
            pass
        for p in self.procs:
            p.join(10)
        end_fig = proc_figures(pid, self.server)
        elapsed = time.time() - t0
        server_alive = self.server.proc.poll() is None

        # ---- figures ----
        total = sum(len(v) for v in calls.values())
        server_errors = sum(n for k, n in codes.items() if k.startswith(("5", "connection", "invariant")))
        client_errors = sum(codes.values()) - server_errors
        print(f"\nSoak: {a.clients} clients, {elapsed / 60:.1f} min, {total} API calls "
              f"({total / elapsed:.0f}/s), data plane on, 3 instances passing traffic; "
              f"{os.cpu_count()} cores shared by everything\n")
        print("| minute | calls | p50 ms | p99 ms | client errors | server errors | RSS MB | threads | fds "
              "| instances up | traffic ok / failed |")
        print("|---|---|---|---|---|---|---|---|---|---|---|")
        row = lambda f: f"{f[0]:.1f} | {f[1]} | {f[2]} | {f[3]}" if f else " | | | "
        if start_fig:
            print(f"| start | | | | | | {row(start_fig)} | |")
        for m in sorted(set(calls) | set(traffic)):
            lat = calls.get(m, [])
            print(f"| {m + 1} | {len(lat)} | {pct(lat, 50) * 1000:.2f} | {pct(lat, 99) * 1000:.2f} | "
                  f"{per_min_client_err[m]} | {per_min_err[m]} | {row(figures.get(m))} | "
                  f"{traffic[m][0]} / {traffic[m][1]} |")
        if end_fig:
            print(f"| end | | | | | | {row(end_fig)} | |")
        print()
        print(f"server errors (5xx, lost connections, broken invariants): {server_errors}")
        print(f"AWS client errors (4xx): {client_errors}")
        for k, n in sorted(codes_by_op.items(), key=lambda x: -x[1]):
            print(f"  {n:6}  {k}")
        print(f"traffic checks: {sum(v[0] for v in traffic.values())} passed, "
              f"{sum(v[1] for v in traffic.values())} failed (pings {pings[0]} ok / {pings[1]} failed)"
              + (f"; failures: {dict(traffic_why.most_common(8))}" if traffic_why else ""))
        if start_fig and end_fig:
            print(f"server RSS: {start_fig[0]:.1f} MB at start, {end_fig[0]:.1f} MB at the end; "
                  f"threads {start_fig[1]} -> {end_fig[1]}; open files {start_fig[2]} -> {end_fig[2]}")
        print("calls by operation (p99 ms): " + ", ".join(
            f"{op} {ops[op]} ({pct(lat_by_op[op], 99) * 1000:.1f})" for op in sorted(ops)))
        if states:
            agg = collections.Counter()
            for s in states.values():
                agg.update(s)
            print("clients' resources at the end: " + ", ".join(f"{k} {v}" for k, v in sorted(agg.items())))
        problems = [p for ps in finals.values() for p in ps]
        print(f"partitions read back at the end: {len(states)}; mismatches with acknowledged writes: {len(problems)}")
        for p in problems[:20]:
            print("  " + p)
        if crashed is not None or not server_alive:
            print(f"openvpc DIED during the soak (exit {crashed}); log tail:\n{self.server.log_text()[-3000:]}")
        failed = server_errors > 0 or crashed is not None or not server_alive or problems
        return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--think-ms", type=float, default=25, help="mean pause between one client's calls")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep", action="store_true", help="keep the data directory")
    a = ap.parse_args()
    reason = dplib.missing_prerequisite()
    if reason:
        sys.exit(f"soak: {reason}")
    soak = Soak(a)
    atexit.register(soak.cleanup)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(130))
    try:
        rc = soak.run()
    finally:
        problems = soak.cleanup()
    sys.exit(rc if not problems else max(rc, 1))


if __name__ == "__main__":
    main()
