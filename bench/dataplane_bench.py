#!/usr/bin/env python3
"""Data-plane benchmark: openvpc's user-space engine against the kernel's own path (a veth pair).

    sudo python3 bench/dataplane_bench.py [--binary build/openvpc] [--json out.json] [--seconds 5]
                                          [--only instances|gateways]

Figures, not a pass/fail test. One run prints a Markdown table (| measure | openvpc | kernel
baseline | ratio |, ratio = openvpc / baseline) ready to paste into the README, and writes every
raw figure as JSON to --json. Needs root (namespaces, TAP devices), iperf3 and /usr/bin/python3.

How:
- It copies the binary to a temporary directory (so that a rebuild of build/openvpc during the
  run does not matter), starts `openvpc serve --listen 127.0.0.1:PORT --data-dir TMP
  --credentials TMP/credentials` and drives it with boto3.
- openvpc side: VPC 10.0.0.0/16, subnets 10.0.1.0/24 (A) and 10.0.2.0/24 (B), each with its own
  network ACL of 20 inbound + 20 outbound entries as the quota counts them: 18 that match nothing
  the benchmark sends (other CIDRs), then, as the highest-numbered one, allow all from/to
  10.0.0.0/16, then the `*` deny. Instances A and B each have 5 security groups of 60 inbound +
  60 outbound rules (the quota): groups 1-4 hold only rules for other CIDRs; group 5 holds 57
  such inbound rules plus the three that match (tcp 5201, udp 5201 and tcp 5300-5307 from the
  peer's /32), and 59 outbound rules plus all traffic to 0.0.0.0/0. Traffic runs between the
  instances' namespaces (TAP eth0, MTU 9001, addresses by DHCP) through `openvpc exec`.
- Kernel baseline: two namespaces ovbench-PID-a/-b joined by a veth pair (MTU 9001, 10.99.0.0/24),
  the same tools through `ip netns exec`.
- TCP throughput: iperf3 -t SECONDS, one stream and -P 4; receiver's Gbit/s.
- Small UDP packets: iperf3 -u -l 64 -b 0 -t SECONDS; packets/s sent by iperf3, delivered to B's
  interface (its rx counter), received by iperf3; the device and UDP counters of both ends go
  to the notes, to show where packets were lost.
- New flows: bench/dataplane_probe.py in A opens TCP connections to an accept-and-close loop in
  B for SECONDS, 64 in flight, every one from a source port/destination port pair not used
  before (explicit bind over 1024-65535 x 8 ports), closed with RST; handshakes completed per
  second. Each is a flow-cache miss in both directions (the SYN walks the groups and ACLs).
- Convergence (openvpc only): B listens on UDP ports (kernel receive timestamps, SO_TIMESTAMPNS);
  A sends a datagram to B:P every ~100-150 us. Authorize: 30 ms after A starts,
  AuthorizeSecurityGroupIngress (udp P from A's /32 on B's group 1, which holds 59 other rules);
  t0 = time.time() when boto3 returns; sample = first arrival on P - t0, negative when the
  engine enforced before the response reached the client (kept as is; the same from the
  request's start is reported too). The rule is revoked after each sample, so the group stays
  at the quota. Revoke: an untracked flow (udp P from 0.0.0.0/0 on B, whose outbound allows all
  to 0.0.0.0/0) while A sends; sample = last arrival on P - t0 after RevokeSecurityGroupIngress.
- openvpc trace --from A --to B:5201 wall time (process start to exit), text and --json, 20 each.
- The server's CPU time (all threads, and the busiest one: the engine) over each measurement.

Gateways (a second table; --only gateways runs just these, --only instances just the above):
- openvpc side: VPC 10.1.0.0/16 with an attached internet gateway; public subnet 10.1.0.0/24 (own
  route table, 0.0.0.0/0 -> the internet gateway) holds instance I (an Elastic IP) and a NAT
  gateway (an Elastic IP of its own); private subnet 10.1.1.0/24 (main route table, 0.0.0.0/0 ->
  the NAT gateway) holds instance P. One security group (no inbound rule, the default outbound
  allow-all: the replies are tracked), the default network ACL. The far end is the server's
  simulated internet, 203.0.113.10 (namespace <prefix>internet, MTU 1500), through `openvpc exec
  internet`. Before measuring, a connection from each instance checks that the internet sees I's
  Elastic IP (1:1 NAT) and the NAT gateway's Elastic IP (source NAT) respectively.
- Kernel baseline (both gateways): namespaces ovbench-PID-gw-client / -gw-router / -gw-server;
  client 10.99.0.2/24 (MTU 9001, default route via the router's 10.99.0.1), server 203.0.113.10/24
  (MTU 1500) beside the router's 203.0.113.1; the router forwards (net.ipv4.ip_forward=1 in its
  namespace) and masquerades (nftables: table ip nat, postrouting, oifname <server side>
  masquerade). Addresses exist only inside these namespaces; veth pairs are created inside them.
- The same TCP throughput (1 stream, -P 4) and new-flows measures as above, client to
  203.0.113.10, through I (internet gateway), P (NAT gateway then internet gateway) and the
  kernel's masquerade; new flows use the `spread` port order (the destination port changes with
  every connection), so that no destination nears the NAT gateway's 55,000 connections.
- Order: gateway TCP runs after the trace figures and before the instance new flows; gateway new
  flows run last.
Total run time is about a minute with --seconds 5 for the instance table, a minute more with
the gateways.
"""
import argparse
import atexit
import contextlib
import datetime
import json
import os
import queue
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = os.path.join(ROOT, "bench", "dataplane_probe.py")
SYS_PY = "/usr/bin/python3"
IMAGE = "ami-0a3c3a20c09d6f377"
IPERF_PORT = 5201
FLOW_PORT, FLOW_PORTS = 5300, 8
CONV_BASE = 7000
INTERNET_HOST = "203.0.113.10"  # the host of openvpc's simulated internet, and of the baseline's server
WHOAMI_PORT = 5399


def log(*words):
    print("[bench]", *words, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Cleanup: every child process, the server, the baseline namespaces; on success, failure, ^C or
# SIGTERM alike.

class Cleanup:
    def __init__(self):
        self.children = []   # Popen objects of probes and tools
        self.server = None
        self.namespaces = []  # baseline namespaces we made
        self.instance_ns_prefix = None  # "openvpc-TAG-", once known; for a server that died
        self.tmpdir = None
        self.keep_tmp = False
        self.done = False

    def run(self):
        if self.done:
            return
        self.done = True
        for p in self.children:
            if p.poll() is None:
                try:
                    p.terminate()
                except OSError:
                    pass
        for p in self.children:
            try:
                p.wait(3)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        self.stop_server()
        for n in list(self.namespaces):
            delete_namespace(n)
        if self.tmpdir and not self.keep_tmp:
            shutil.rmtree(self.tmpdir, ignore_errors=True)

    def stop_server(self):
        """Stops the server (SIGTERM, then SIGKILL after 20 s) and removes the namespaces of its
        instances if it left any; the next server may then be started."""
        if self.server and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(20)
            except subprocess.TimeoutExpired:
                log("server did not exit 20 s after SIGTERM; killing it")
                self.server.kill()
                self.server.wait()
        if self.instance_ns_prefix:  # the server removes its namespaces; this is for one that crashed
            left = [n for n in list_netns() if n.startswith(self.instance_ns_prefix)]
            for n in left:
                log("removing namespace the server left behind:", n)
                subprocess.run(["ip", "netns", "del", n], capture_output=True)
        self.server = None
        self.instance_ns_prefix = None


CLEANUP = Cleanup()
atexit.register(CLEANUP.run)


def on_signal(signum, _frame):
    raise SystemExit(f"interrupted by signal {signum}")


def delete_namespace(name):
    """Kills what still runs inside namespace NAME (ours: processes we started), then deletes it;
    the veth ends inside it go with it, and their peers with them."""
    pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
    for pid in pids:
        try:
            os.kill(int(pid), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass
    subprocess.run(["ip", "netns", "del", name], capture_output=True)


def list_netns():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return [line.split()[0] for line in out.splitlines() if line.strip()]


# ---------------------------------------------------------------------------------------------
# Processes inside namespaces.

class Side:
    """One end of a path: an instance (through `openvpc exec`) or a baseline namespace."""

    def __init__(self, name, ip, prefix, dev):
        self.name, self.ip, self.prefix, self.dev = name, ip, prefix, dev

    def counters(self):
        """The device's packet counters and the namespace's UDP counters (for where UDP loss happens)."""
        out = {}
        r = self.run("ip", "-s", "-j", "link", "show", self.dev, check=False, timeout=20)
        try:
            st = json.loads(r.stdout)[0]["stats64"]
            out.update(rx_packets=st["rx"]["packets"], rx_dropped=st["rx"]["dropped"],
                       tx_packets=st["tx"]["packets"], tx_dropped=st["tx"]["dropped"])
        except (ValueError, LookupError):
            pass
        r = self.run("cat", "/proc/net/snmp", check=False, timeout=20)
        udp = [line.split()[1:] for line in r.stdout.splitlines() if line.startswith("Udp:")]
        if len(udp) == 2:
            out.update({f"udp_{k}": int(v) for k, v in zip(*udp) if k in ("InDatagrams", "RcvbufErrors", "InErrors")})
        return out

    def argv(self, *cmd):
        return self.prefix + [str(c) for c in cmd]

    def run(self, *cmd, timeout=60, check=True):
        r = subprocess.run(self.argv(*cmd), capture_output=True, text=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError(f"{self.name}: {' '.join(map(str, cmd))} exited {r.returncode}: "
                               f"{(r.stderr or r.stdout).strip()[:500]}")
        return r

    def start(self, *cmd, hook=None):
        return Proc(self.argv(*cmd), f"{self.name}: {' '.join(map(str, cmd))}", hook)


class Proc:
    """A long-running child whose stdout lines are read with timeouts."""

    def __init__(self, argv, name, hook=None):
        self.name = name
        self.hook = hook  # sees every line (words) first
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, bufsize=1)
        CLEANUP.children.append(self.p)
        self.lines = queue.Queue()
        self.stderr = []
        threading.Thread(target=self._pump, args=(self.p.stdout, self.lines), daemon=True).start()
        threading.Thread(target=self._pump_err, daemon=True).start()

    @staticmethod
    def _pump(f, q):
        for line in f:
            q.put(line.rstrip("\n"))
        q.put(None)

    def _pump_err(self):
        for line in self.p.stderr:
            self.stderr.append(line.rstrip("\n"))

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def expect(self, match, timeout):
        """The next line for which MATCH(words) is true; lines before it are dropped."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                time.sleep(0.1)
                raise RuntimeError(f"{self.name} ended (status {self.p.poll()}): "
                                   f"{' / '.join(self.stderr[-5:])}")
            words = line.split()
            if words and self.hook:
                self.hook(words)
            if words and match(words):
                return words

    def drain(self):
        """Passes the lines already read to the hook, without waiting."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return
            if line is None:
                self.lines.put(None)
                return
            words = line.split()
            if words and self.hook:
                self.hook(words)

    def stop(self):
        if self.p.poll() is None:
            self.p.terminate()
        try:
            self.p.wait(5)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()


def thread_ticks(pid):
    """utime+stime clock ticks of every thread of PID."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat") as f:
                text = f.read()
            fields = text.rsplit(")", 1)[1].split()
            comm = text[text.index("(") + 1:text.rindex(")")]
            out[f"{tid}:{comm}"] = int(fields[11]) + int(fields[12])
        except (OSError, IndexError, ValueError):
            pass
    return out


def process_ticks(pid):
    """utime+stime clock ticks of PID, its threads that have exited included."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])
    except (OSError, IndexError, ValueError):
        return None


def measured(fn, pid):
    """Runs FN(); adds the server's CPU use meanwhile (% of one core: the process, its busiest thread)."""
    hz = os.sysconf("SC_CLK_TCK")
    before, p0, t = thread_ticks(pid), process_ticks(pid), time.monotonic()
    result = fn()
    after, p1, wall = thread_ticks(pid), process_ticks(pid), time.monotonic() - t
    deltas = [after[k] - before.get(k, 0) for k in after]
    result["server_pid"] = pid
    result["server_cpu_percent"] = 100.0 * (p1 - p0) / hz / wall if p0 is not None and p1 is not None else None
    result["server_busiest_thread_cpu_percent"] = 100.0 * max(deltas) / hz / wall if deltas else None
    result["server_threads_cpu_percent"] = {k: round(100.0 * (after[k] - before.get(k, 0)) / hz / wall, 1)
                                            for k in after if after[k] != before.get(k, 0)}
    return result


def wait_listening(side, proto, port, timeout=10):
    flag = "-Hltn" if proto == "tcp" else "-Hlun"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = side.run("ss", flag, f"sport = :{port}", check=False, timeout=10)
        if r.returncode == 0 and r.stdout.strip():
            return
        time.sleep(0.05)
    raise RuntimeError(f"{side.name}: nothing listens on {proto} {port}")


# ---------------------------------------------------------------------------------------------
# Measures, each run the same way on both paths.

def iperf(a, b, seconds, extra):
    server = b.start("iperf3", "-s", "-1", "-p", IPERF_PORT)
    try:
        wait_listening(b, "tcp", IPERF_PORT)
        r = a.run("iperf3", "-c", b.ip, "-p", IPERF_PORT, "-t", max(1, round(seconds)), "-J", *extra,
                  timeout=seconds + 60, check=False)
        try:
            d = json.loads(r.stdout)
        except ValueError:
            raise RuntimeError(f"iperf3 from {a.name}: no JSON (status {r.returncode}): {r.stderr.strip()[:300]}")
        if "error" in d:
            raise RuntimeError(f"iperf3 from {a.name} to {b.ip}: {d['error']}")
        return d["end"]
    finally:
        server.stop()


def tcp_throughput(a, b, seconds, streams):
    end = iperf(a, b, seconds, ["-P", streams] if streams > 1 else [])
    return {"gbit_s": end["sum_received"]["bits_per_second"] / 1e9,
            "sender_gbit_s": end["sum_sent"]["bits_per_second"] / 1e9,
            "retransmits": end["sum_sent"].get("retransmits"),
            "streams": streams}


def udp_pps(a, b, seconds):
    ca, cb = a.counters(), b.counters()
    end = iperf(a, b, seconds, ["-u", "-l", "64", "-b", "0"])
    ca2, cb2 = a.counters(), b.counters()
    sent, rcv = end["sum_sent"], end["sum_received"]
    received = rcv["packets"] - rcv["lost_packets"]
    # Where the loss happened: A's device refusing frames, between A's device and B's, B's socket.
    where = {}
    for k in ("tx_packets", "tx_dropped"):
        if k in ca and k in ca2:
            where["a_dev_" + k] = ca2[k] - ca[k]
    for k in ("rx_packets", "rx_dropped", "udp_InDatagrams", "udp_RcvbufErrors", "udp_InErrors"):
        if k in cb and k in cb2:
            where["b_" + k] = cb2[k] - cb[k]
    return {"counters": where, "sent_pps": sent["packets"] / sent["seconds"],
            "delivered_pps": where["b_rx_packets"] / sent["seconds"] if "b_rx_packets" in where else None,
            "received_pps": received / rcv["seconds"],
            "sent": sent["packets"], "received": received,
            "loss_percent": 100.0 * rcv["lost_packets"] / rcv["packets"] if rcv["packets"] else None}


def new_flows(a, b, seconds, concurrency=64, spread=False, around_client=None):
    """AROUND_CLIENT: a context manager (bench/write_stall_bench.py's API writes) entered once B's
    server is ready, just before A's client starts, and left when the client has ended."""
    server = b.start(SYS_PY, PROBE, "flows-server", FLOW_PORT, FLOW_PORTS)
    try:
        if not server.expect(lambda w: w[0] == "ready", 15):
            raise RuntimeError(f"{server.name}: not ready: {server.stderr[-3:]}")
        with around_client if around_client is not None else contextlib.nullcontext():
            r = a.run(SYS_PY, PROBE, "flows-client", b.ip, FLOW_PORT, FLOW_PORTS, seconds, concurrency,
                      *(["spread"] if spread else []), timeout=seconds + 60)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        d["flows_s"] = d["ok"] / d["seconds"]
        d["concurrency"] = concurrency
        d["port_order"] = "spread" if spread else "sequential"
        return d
    finally:
        server.stop()


def percentile(xs, q):
    """Nearest-rank percentile."""
    s = sorted(xs)
    if not s:
        return None
    k = max(0, min(len(s) - 1, int(-(-q * len(s) // 100)) - 1))
    return s[k]


def summary_ms(samples):
    ms = [x * 1000 for x in samples]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "p50": percentile(ms, 50), "p99": percentile(ms, 99), "max": max(ms),
            "min": min(ms), "mean": statistics.mean(ms), "negative": sum(1 for x in ms if x < 0),
            "samples_ms": [round(x, 4) for x in ms]}


def convergence(ec2, a, b, group_b, n_auth, n_revoke):
    """Samples of API response -> enforcement, authorize (tracked) and revoke (untracked)."""
    firsts = {}

    def record(w):
        if w[0] == "first" and len(w) == 3:
            firsts[int(w[1])] = float(w[2])

    listener = b.start(SYS_PY, PROBE, "conv-listen", CONV_BASE, n_auth + n_revoke, hook=record)
    sender = a.start(SYS_PY, PROBE, "conv-send", b.ip)

    def first_arrival(port, timeout):
        listener.drain()
        if port not in firsts and timeout > 0:
            listener.expect(lambda w: w[0] == "first" and int(w[1]) == port, timeout)
        return firsts.get(port)

    def go(port):
        sender.send(f"go {port}")
        if not sender.expect(lambda w: w == ["going", str(port)], 5):
            raise RuntimeError(f"prober in {a.name} does not answer")

    def stop():
        sender.send("stop")
        if not sender.expect(lambda w: w == ["stopped"], 5):
            raise RuntimeError(f"prober in {a.name} does not answer")

    def perm(port, cidr):
        return [{"IpProtocol": "udp", "FromPort": port, "ToPort": port, "IpRanges": [{"CidrIp": cidr}]}]

    auth, auth_from_request, auth_api, leaks, lost = [], [], [], [], []
    revoke, revoke_from_request, revoke_api, revoke_unenforced, revoke_gap = [], [], [], [], []
    try:
        if not listener.expect(lambda w: w[0] == "ready", 15):
            raise RuntimeError("convergence listener not ready")
        for i in range(n_auth):
            port = CONV_BASE + i
            go(port)
            time.sleep(0.03)
            if first_arrival(port, 0) is not None:  # arrived without a rule: not enforced at all
                leaks.append(port)
            t_call = time.time()
            resp = ec2.authorize_security_group_ingress(GroupId=group_b, IpPermissions=perm(port, f"{a.ip}/32"))
            t0 = time.time()
            arrival = first_arrival(port, 5)
            stop()
            ec2.revoke_security_group_ingress(GroupId=group_b, SecurityGroupRuleIds=[
                r["SecurityGroupRuleId"] for r in resp["SecurityGroupRules"]])
            auth_api.append(t0 - t_call)
            if arrival is None:
                lost.append(port)
            elif port not in leaks:
                auth.append(arrival - t0)
                auth_from_request.append(arrival - t_call)
        for j in range(n_revoke):
            port = CONV_BASE + n_auth + j
            resp = ec2.authorize_security_group_ingress(GroupId=group_b, IpPermissions=perm(port, "0.0.0.0/0"))
            go(port)
            if first_arrival(port, 5) is None:
                stop()
                lost.append(port)
                continue
            time.sleep(0.02)
            t_call = time.time()
            ec2.revoke_security_group_ingress(GroupId=group_b, SecurityGroupRuleIds=[
                r["SecurityGroupRuleId"] for r in resp["SecurityGroupRules"]])
            t0 = time.time()
            time.sleep(0.1)  # A keeps sending for 100 ms after the response
            stop()
            time.sleep(0.01)
            listener.send(f"last {port}")
            w = listener.expect(lambda w: w[0] == "last" and w[1] == str(port), 5)
            if not w:
                raise RuntimeError("convergence listener does not answer")
            last = float(w[2])
            revoke_api.append(t0 - t_call)
            sample = last - t0
            revoke.append(sample)
            revoke_from_request.append(last - t_call)
            if last < t_call - 0.002:  # A's prober paused: the last packet says little about enforcement
                revoke_gap.append(port)
            if sample > 0.09:
                revoke_unenforced.append(port)
    finally:
        listener.stop()
        sender.stop()
    return {"authorize": summary_ms(auth), "authorize_from_request": summary_ms(auth_from_request),
            "authorize_api_ms": summary_ms(auth_api),
            "authorize_leaks": leaks, "never_arrived": lost,
            "revoke_untracked": summary_ms(revoke), "revoke_from_request": summary_ms(revoke_from_request),
            "revoke_api_ms": summary_ms(revoke_api), "revoke_prober_paused": revoke_gap,
            "revoke_not_enforced_within_100ms": revoke_unenforced}


def trace_times(binary, data_dir, a_id, b_ip, runs=20):
    out = {}
    for variant, extra in (("text", []), ("json", ["--json"])):
        times, statuses = [], set()
        for _ in range(runs):
            t = time.perf_counter()
            r = subprocess.run([binary, "trace", "--data-dir", data_dir, "--from", a_id,
                                "--to", f"{b_ip}:{IPERF_PORT}", *extra], capture_output=True, text=True, timeout=60)
            times.append(time.perf_counter() - t)
            statuses.add(r.returncode)
        if statuses != {0}:
            log(f"trace {variant}: exit statuses {sorted(statuses)} (0 = allowed expected): {r.stdout[-300:]} {r.stderr[-300:]}")
        out[variant] = {"mean_ms": statistics.mean(times) * 1000, "p50_ms": percentile([x * 1000 for x in times], 50),
                        "max_ms": max(times) * 1000, "runs": runs, "exit_statuses": sorted(statuses)}
    return out


# ---------------------------------------------------------------------------------------------
# Setup.

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stable_binary(path, timeout=120):
    """Waits for PATH to exist and stop changing (another engineer may be rebuilding it)."""
    deadline = time.monotonic() + timeout
    last = None
    if not os.path.exists(path):
        log(f"waiting for {path} (missing: being rebuilt?)")
    while time.monotonic() < deadline:
        try:
            st = os.stat(path)
            cur = (st.st_size, st.st_mtime_ns)
            if cur == last and os.access(path, os.X_OK):
                return
            last = cur
        except FileNotFoundError:
            last = None
        time.sleep(1.0)
    raise SystemExit(f"dataplane_bench.py: {path} missing or still changing after {timeout} s")


def start_server(binary, tmp, extra_args=()):
    data_dir = os.path.join(tmp, "data")
    os.makedirs(data_dir)
    cred = os.path.join(tmp, "credentials")
    with open(cred, "w") as f:
        f.write("test test 123456789012\n")
    port = free_port()
    logf = open(os.path.join(tmp, "server.log"), "w")
    CLEANUP.server = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir,
                                       "--credentials", cred, *extra_args], stdout=logf, stderr=subprocess.STDOUT)
    for _ in range(600):
        if CLEANUP.server.poll() is not None:
            raise RuntimeError(f"openvpc serve exited {CLEANUP.server.returncode}: {tail(tmp)}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return data_dir, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("openvpc serve did not start listening")


def tail(tmp):
    try:
        with open(os.path.join(tmp, "server.log")) as f:
            return f.read()[-1500:]
    except OSError:
        return ""


def nacl(ec2, vpc, subnet):
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    # 20 entries per direction, as the quota counts them: 18 for other networks (none matches what
    # the benchmark sends), the one that matches (highest-numbered), and the `*` deny.
    for egress in (False, True):
        for i in range(18):
            e = {"NetworkAclId": acl, "RuleNumber": 10 * (i + 1), "Egress": egress}
            if i % 2 == 0:
                e.update(Protocol="-1", RuleAction="deny", CidrBlock=f"172.16.{i}.0/24")
            else:
                e.update(Protocol="6", RuleAction="allow", CidrBlock=f"192.168.{i}.0/24",
                         PortRange={"From": 1000 + i, "To": 1000 + i})
            ec2.create_network_acl_entry(**e)
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Egress=egress, Protocol="-1",
                                     RuleAction="allow", CidrBlock="10.0.0.0/16")
    entries = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Entries"]
    for egress in (False, True):
        n = sum(1 for e in entries if e["Egress"] == egress)
        if n != 20:
            raise RuntimeError(f"network ACL {acl}: {n} entries in a direction, expected 20")
    assoc = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])
    aid = [x["NetworkAclAssociationId"] for n in assoc["NetworkAcls"] for x in n["Associations"]
           if x["SubnetId"] == subnet][0]
    ec2.replace_network_acl_association(AssociationId=aid, NetworkAclId=acl)
    return acl


def filler(proto_i, port, cidr):
    p = {"IpProtocol": "tcp" if proto_i % 2 == 0 else "udp", "FromPort": port, "ToPort": port}
    p["IpRanges"] = [{"CidrIp": cidr}]
    return p


def groups_for(ec2, vpc, name):
    """Five groups, rules filled in later by fill_groups once the peer's address is known."""
    return [ec2.create_security_group(GroupName=f"bench-{name}-{k}", Description="dataplane bench",
                                      VpcId=vpc)["GroupId"] for k in range(5)]


def fill_groups(ec2, groups, peer_ip, tag):
    """60 inbound and 60 outbound rules per group; the matching ones only in group 5."""
    rule_ids = {}
    for k, g in enumerate(groups):
        last = k == 4
        n_in = 57 if last else 60
        ingress = [filler(r, 10000 + r, f"172.{20 + tag}.{k * 60 + r // 200}.{(r % 200) + 1}/32")
                   for r in range(n_in)]
        if last:
            ingress += [
                {"IpProtocol": "tcp", "FromPort": IPERF_PORT, "ToPort": IPERF_PORT, "IpRanges": [{"CidrIp": f"{peer_ip}/32"}]},
                {"IpProtocol": "udp", "FromPort": IPERF_PORT, "ToPort": IPERF_PORT, "IpRanges": [{"CidrIp": f"{peer_ip}/32"}]},
                {"IpProtocol": "tcp", "FromPort": FLOW_PORT, "ToPort": FLOW_PORT + FLOW_PORTS - 1,
                 "IpRanges": [{"CidrIp": f"{peer_ip}/32"}]},
            ]
        resp = ec2.authorize_security_group_ingress(GroupId=g, IpPermissions=ingress)
        rule_ids[g] = [r["SecurityGroupRuleId"] for r in resp["SecurityGroupRules"]]
        if not last:  # the default outbound rule (all to 0.0.0.0/0) stays in group 5 only
            ec2.revoke_security_group_egress(GroupId=g, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        n_out = 59 if last else 60
        egress = [filler(r, 20000 + r, f"172.{24 + tag}.{k}.{r + 1}/32") for r in range(n_out)]
        ec2.authorize_security_group_egress(GroupId=g, IpPermissions=egress)
        rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [g]}])["SecurityGroupRules"]
        n_i = sum(1 for r in rules if not r["IsEgress"])
        n_e = sum(1 for r in rules if r["IsEgress"])
        if (n_i, n_e) != (60, 60):
            raise RuntimeError(f"group {g}: {n_i} inbound and {n_e} outbound rules, expected 60 and 60")
    return rule_ids


def wait_address(binary, data_dir, iid, ip, timeout=60):
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        r = subprocess.run([binary, "exec", "--data-dir", data_dir, iid, "--", "ip", "-4", "-o", "addr", "show", "eth0"],
                           capture_output=True, text=True, timeout=30)
        last = (r.stdout + r.stderr).strip()
        if r.returncode == 0 and f" {ip}/" in r.stdout:
            return
        time.sleep(0.05)
    raise RuntimeError(f"{iid} did not get {ip} on eth0 within {timeout} s: {last[:300]}")


def setup_openvpc(ec2, binary, data_dir):
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=c, AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
               for c in ("10.0.1.0/24", "10.0.2.0/24")]
    acls = [nacl(ec2, vpc, s) for s in subnets]
    groups = [groups_for(ec2, vpc, n) for n in ("a", "b")]
    ids, ips = [], []
    for subnet, gs in zip(subnets, groups):
        inst = ec2.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet,
                                 SecurityGroupIds=gs)["Instances"][0]
        ids.append(inst["InstanceId"])
        ips.append(inst["PrivateIpAddress"])
    rule_ids_b = {}
    fill_groups(ec2, groups[0], ips[1], 0)
    rule_ids_b = fill_groups(ec2, groups[1], ips[0], 1)
    for iid, ip in zip(ids, ips):
        wait_address(binary, data_dir, iid, ip)
    for n in list_netns():
        if n.endswith("-" + ids[0]):
            CLEANUP.instance_ns_prefix = n[: -len(ids[0])]
    prefix = lambda iid: [binary, "exec", "--data-dir", data_dir, iid, "--"]
    a = Side(f"openvpc {ids[0]}", ips[0], prefix(ids[0]), "eth0")
    b = Side(f"openvpc {ids[1]}", ips[1], prefix(ids[1]), "eth0")
    mtu = a.run("cat", "/sys/class/net/eth0/mtu").stdout.strip()
    return {"a": a, "b": b, "ids": ids, "groups": groups, "acls": acls, "vpc": vpc, "mtu": mtu,
            "rule_ids_b": rule_ids_b}


def setup_baseline():
    tag = str(os.getpid())
    na, nb = f"ovbench-{tag}-a", f"ovbench-{tag}-b"
    va, vb = f"ovb{tag}a"[:15], f"ovb{tag}b"[:15]
    for n in (na, nb):
        subprocess.run(["ip", "netns", "add", n], check=True, capture_output=True)
        CLEANUP.namespaces.append(n)

    def ip(*args):
        r = subprocess.run(["ip", *args], capture_output=True, text=True)
        if r.returncode:
            raise RuntimeError(f"ip {' '.join(args)}: {r.stderr.strip()}")

    ip("link", "add", va, "netns", na, "type", "veth", "peer", "name", vb, "netns", nb)
    for n, v, addr in ((na, va, "10.99.0.1/24"), (nb, vb, "10.99.0.2/24")):
        ip("-n", n, "link", "set", "lo", "up")
        ip("-n", n, "link", "set", v, "mtu", "9001", "up")
        ip("-n", n, "addr", "add", addr, "dev", v)
    a = Side(f"veth {na}", "10.99.0.1", ["ip", "netns", "exec", na], va)
    b = Side(f"veth {nb}", "10.99.0.2", ["ip", "netns", "exec", nb], vb)
    # The link comes up asynchronously: wait until A reaches B.
    for _ in range(100):
        if a.run("ping", "-c", "1", "-W", "1", b.ip, check=False).returncode == 0:
            break
        time.sleep(0.05)
    return a, b


# ---------------------------------------------------------------------------------------------
# Gateways: an internet gateway and a NAT gateway in openvpc, the kernel's masquerade as baseline.

def seen_as(a, b, timeout=20):
    """The source address under which B (a TCP server on WHOAMI_PORT) sees a connection from A;
    retried until TIMEOUT s (a path may need a moment after the API calls: routes, the EIP)."""
    server = b.start(SYS_PY, PROBE, "whoami-server", WHOAMI_PORT)
    try:
        if not server.expect(lambda w: w[0] == "ready", 15):
            raise RuntimeError(f"{server.name}: not ready: {server.stderr[-3:]}")
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            r = a.run(SYS_PY, PROBE, "connect", b.ip, WHOAMI_PORT, 1, check=False, timeout=30)
            if r.returncode == 0:
                w = server.expect(lambda w: w[0] == "peer", 5)
                if w:
                    return w[1]
            last = (r.stderr or r.stdout).strip()
            time.sleep(0.2)
        raise RuntimeError(f"{a.name} cannot connect to {b.ip}:{WHOAMI_PORT} within {timeout} s: {last[-300:]}")
    finally:
        server.stop()


def setup_gateways(ec2, binary, data_dir):
    """VPC 10.1.0.0/16: I (Elastic IP) in the public subnet behind the internet gateway, P in the
    private subnet behind a NAT gateway; the simulated internet's host as the far end."""
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    public_rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rtb, SubnetId=public)
    main_rtb = ec2.describe_route_tables(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "association.main", "Values": ["true"]}])["RouteTables"][0]["RouteTableId"]
    group = ec2.create_security_group(GroupName="bench-gateways", Description="dataplane bench: gateways",
                                      VpcId=vpc)["GroupId"]  # no inbound rule; outbound: the default all
    insts = {}
    for name, subnet in (("igw", public), ("nat", private)):
        insts[name] = ec2.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                        SubnetId=subnet, SecurityGroupIds=[group])["Instances"][0]
    nat_alloc = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=nat_alloc["AllocationId"])["NatGateway"]["NatGatewayId"]
    ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat], WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    ec2.create_route(RouteTableId=main_rtb, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    eip = ec2.allocate_address(Domain="vpc")
    for inst in insts.values():
        wait_address(binary, data_dir, inst["InstanceId"], inst["PrivateIpAddress"])
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=insts["igw"]["InstanceId"])
    if CLEANUP.instance_ns_prefix is None:
        iid = insts["igw"]["InstanceId"]
        for n in list_netns():
            if n.endswith("-" + iid):
                CLEANUP.instance_ns_prefix = n[: -len(iid)]
    prefix = lambda target: [binary, "exec", "--data-dir", data_dir, target, "--"]
    sides = {name: Side(f"openvpc {inst['InstanceId']} ({name})", inst["PrivateIpAddress"],
                        prefix(inst["InstanceId"]), "eth0") for name, inst in insts.items()}
    internet = Side("openvpc internet", INTERNET_HOST, prefix("internet"), "eth0")
    expected = {"igw": eip["PublicIp"], "nat": nat_alloc["PublicIp"]}
    seen = {}
    for name in ("igw", "nat"):
        seen[name] = seen_as(sides[name], internet)
        if seen[name] != expected[name]:
            raise RuntimeError(f"{sides[name].name}: the internet sees it as {seen[name]}, expected {expected[name]}")
    mtus = {name: side.run("cat", "/sys/class/net/eth0/mtu").stdout.strip() for name, side in sides.items()}
    mtus["internet"] = internet.run("cat", "/sys/class/net/eth0/mtu").stdout.strip()
    return {"igw_side": sides["igw"], "nat_side": sides["nat"], "internet": internet,
            "setup": {"vpc": vpc, "internet_gateway": igw, "nat_gateway": nat, "security_group": group,
                      "instances": {k: v["InstanceId"] for k, v in insts.items()},
                      "private_ips": {k: v["PrivateIpAddress"] for k, v in insts.items()},
                      "elastic_ip": eip["PublicIp"], "nat_gateway_ip": nat_alloc["PublicIp"],
                      "seen_by_internet": seen, "mtu": mtus}}


class Masquerade:
    """The kernel baseline of the gateways: client -- router (nftables masquerade) -- server, three
    namespaces of our own joined by veth pairs made inside them. close() removes them (and, with
    them, the veths, the nft table and the sysctl); Cleanup does too if we never get there."""

    def __init__(self):
        tag = str(os.getpid())
        self.ns = {k: f"ovbench-{tag}-gw-{k}" for k in ("client", "router", "server")}
        # Device names (<= 15 characters; they only ever exist inside our namespaces).
        self.dev = {"client": f"ovg{tag}c"[:15], "router_in": f"ovg{tag}ri"[:15],
                    "router_out": f"ovg{tag}ro"[:15], "server": f"ovg{tag}s"[:15]}
        self.made = []
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    def _build(self):
        def run(*args, stdin=None):
            r = subprocess.run(list(args), capture_output=True, text=True, input=stdin)
            if r.returncode:
                raise RuntimeError(f"{' '.join(args)}: {(r.stderr or r.stdout).strip()}")
            return r

        for n in self.ns.values():
            run("ip", "netns", "add", n)
            self.made.append(n)
            CLEANUP.namespaces.append(n)
        ns, dev = self.ns, self.dev

        run("ip", "link", "add", dev["client"], "netns", ns["client"], "type", "veth",
            "peer", "name", dev["router_in"], "netns", ns["router"])
        run("ip", "link", "add", dev["router_out"], "netns", ns["router"], "type", "veth",
            "peer", "name", dev["server"], "netns", ns["server"])
        for n, d, addr, mtu in ((ns["client"], dev["client"], "10.99.0.2/24", 9001),
                                (ns["router"], dev["router_in"], "10.99.0.1/24", 9001),
                                (ns["router"], dev["router_out"], "203.0.113.1/24", 1500),
                                (ns["server"], dev["server"], INTERNET_HOST + "/24", 1500)):
            run("ip", "-n", n, "link", "set", "lo", "up")
            run("ip", "-n", n, "link", "set", d, "mtu", str(mtu), "up")
            run("ip", "-n", n, "addr", "add", addr, "dev", d)
        run("ip", "-n", ns["client"], "route", "add", "default", "via", "10.99.0.1", "dev", dev["client"])
        run("ip", "netns", "exec", ns["router"], "sysctl", "-qw", "net.ipv4.ip_forward=1")
        run("ip", "netns", "exec", ns["router"], "nft", "-f", "-", stdin=(
            "table ip nat {\n"
            "  chain postrouting {\n"
            "    type nat hook postrouting priority srcnat; policy accept;\n"
            f"    oifname \"{dev['router_out']}\" masquerade\n"
            "  }\n"
            "}\n"))
        self.client = Side(f"masquerade client {ns['client']}", "10.99.0.2", ["ip", "netns", "exec", ns["client"]],
                           dev["client"])
        self.server = Side(f"masquerade server {ns['server']}", INTERNET_HOST, ["ip", "netns", "exec", ns["server"]],
                           dev["server"])
        self.ruleset = run("ip", "netns", "exec", ns["router"], "nft", "list", "ruleset").stdout
        self.seen = seen_as(self.client, self.server)
        if self.seen != "203.0.113.1":
            raise RuntimeError(f"masquerade: the server sees the client as {self.seen}, expected 203.0.113.1")

    def close(self):
        for n in self.made:
            delete_namespace(n)
            if n in CLEANUP.namespaces:
                CLEANUP.namespaces.remove(n)
        left = [n for n in self.made if n in list_netns()]
        self.made = []
        if left:
            raise RuntimeError(f"namespaces still present after deletion: {left}")


GATEWAY_PATHS = ("igw", "nat", "masquerade")


def gateway_paths(gw, masq):
    return {"igw": (gw["igw_side"], gw["internet"]), "nat": (gw["nat_side"], gw["internet"]),
            "masquerade": (masq.client, masq.server)}


def gateway_throughput(gw, masq, seconds, pid):
    out = {p: {} for p in GATEWAY_PATHS}
    paths = gateway_paths(gw, masq)
    for name, streams in (("tcp1", 1), ("tcp4", 4)):
        for path in GATEWAY_PATHS:
            a, b = paths[path]
            log(f"gateways: {name} through {path}")
            out[path][name] = measured(lambda: tcp_throughput(a, b, seconds, streams), pid)
            time.sleep(0.5)
    return out


def gateway_flows(gw, masq, seconds, pid, out):
    paths = gateway_paths(gw, masq)
    for path in GATEWAY_PATHS:
        a, b = paths[path]
        log(f"gateways: new flows through {path}")
        out[path]["flows"] = measured(lambda: new_flows(a, b, seconds, spread=True), pid)
        time.sleep(0.5)


# ---------------------------------------------------------------------------------------------
# Output.

def fmt(x, digits=2):
    if x is None:
        return "—"
    if isinstance(x, str):
        return x
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.{digits}f}"


def ratio(x, y):
    if x is None or y is None or y == 0:
        return "—"
    return f"{x / y:.2f}×"


def machine_line(r, seconds):
    m = r["machine"]
    return f"Measured {m['date']} on {m['nproc']} vCPUs, Linux {m['kernel']}, {m['iperf3']}; {seconds:g} s per figure"


def gateway_table(r, seconds, with_machine):
    g = r["gateways"]
    o, k = g["results"], g["results"]["masquerade"]
    rows = []

    def add(measure, ov, base, digits=2):
        rows.append((measure, fmt(ov, digits), fmt(base, digits), ratio(ov, base)))

    labels = {"igw": "an internet gateway", "nat": "a NAT gateway"}
    for path in ("igw", "nat"):
        add(f"TCP through {labels[path]}, 1 stream, Gbit/s", o[path]["tcp1"]["gbit_s"], k["tcp1"]["gbit_s"])
        add(f"TCP through {labels[path]}, 4 streams (-P 4), Gbit/s", o[path]["tcp4"]["gbit_s"], k["tcp4"]["gbit_s"])
    for path in ("igw", "nat"):
        if "flows" in o[path]:
            add(f"new TCP connections/s through {labels[path]} (handshakes, 64 in flight)",
                o[path]["flows"]["flows_s"], k["flows"]["flows_s"])
    st = g["setup"]
    head = (f"{machine_line(r, seconds)}; " if with_machine else "") + (
        f"openvpc: an instance with an Elastic IP behind an internet gateway, and one in a private subnet "
        f"behind a NAT gateway (then the internet gateway), to {INTERNET_HOST} in the simulated internet "
        f"(instances MTU {st['mtu']['igw']}, internet MTU {st['mtu']['internet']}; one security group, the default "
        f"network ACL); kernel baseline for both: client (MTU 9001) → router namespace with nftables "
        f"masquerade → server (MTU 1500), veth pairs.")
    lines = [head, "", "| measure | openvpc | kernel baseline | ratio |", "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def gateway_notes(r):
    out = []
    g = r["gateways"]["results"]
    names = {"igw": "internet gateway", "nat": "NAT gateway", "masquerade": "masquerade baseline"}
    for path in GATEWAY_PATHS:
        f = g[path].get("flows")
        if f and (f["failed"] or f["timeouts"]):
            out.append(f"{names[path]} new connections: {f['failed']} failed {f['errors']}, {f['timeouts']} timed out (>1 s)")
        for t in ("tcp1", "tcp4"):
            if g[path].get(t, {}).get("retransmits"):
                out.append(f"{names[path]} {t}: {g[path][t]['retransmits']} TCP retransmits")
    for path in ("igw", "nat"):
        cpu = []
        for t, label in (("tcp1", "TCP 1 stream"), ("tcp4", "TCP -P 4"), ("flows", "new connections")):
            x = g[path].get(t, {})
            if x.get("server_cpu_percent") is not None:
                cpu.append(f"{label} {x['server_cpu_percent']:.0f}% (busiest thread {x['server_busiest_thread_cpu_percent']:.0f}%)")
        if cpu:
            out.append(f"openvpc serve CPU through the {names[path]}, % of one core: " + ", ".join(cpu))
    return out


def table(r, seconds):
    rows = []

    def add(measure, ov, base, digits=2, with_ratio=True):
        rows.append((measure, fmt(ov, digits), fmt(base, digits), ratio(ov, base) if with_ratio else "—"))

    o, k = r["openvpc"], r["baseline"]
    add("TCP throughput, 1 stream, Gbit/s", o["tcp1"]["gbit_s"], k["tcp1"]["gbit_s"])
    add("TCP throughput, 4 streams (-P 4), Gbit/s", o["tcp4"]["gbit_s"], k["tcp4"]["gbit_s"])
    add("UDP 64-byte payload, packets/s sent by iperf3", o["udp"]["sent_pps"], k["udp"]["sent_pps"])
    add("UDP 64-byte payload, packets/s delivered to B's interface", o["udp"]["delivered_pps"], k["udp"]["delivered_pps"])
    add("UDP 64-byte payload, packets/s received by iperf3", o["udp"]["received_pps"], k["udp"]["received_pps"])
    add("UDP 64-byte payload, loss % (iperf3)", o["udp"]["loss_percent"], k["udp"]["loss_percent"], 1, False)
    add("new TCP flows/s (handshakes, 64 in flight)", o["flows"]["flows_s"], k["flows"]["flows_s"])
    c = r["convergence"]
    for key, label in (("authorize", "authorize → enforced (tracked udp)"),
                       ("revoke_untracked", "revoke → enforced (untracked udp)")):
        s = c[key]
        if s.get("n"):
            rows.append((f"{label}, ms p50 / p99 / max (n={s['n']})",
                         f"{s['p50']:.2f} / {s['p99']:.2f} / {s['max']:.2f}", "—", "—"))
    s = c["authorize_from_request"]
    if s.get("n"):
        rows.append(("authorize, from the request's start → enforced, ms p50 / p99 / max",
                     f"{s['p50']:.2f} / {s['p99']:.2f} / {s['max']:.2f}", "—", "—"))
    s = c["authorize_api_ms"]
    if s.get("n"):
        rows.append(("AuthorizeSecurityGroupIngress round trip (boto3), ms p50 / p99",
                     f"{s['p50']:.2f} / {s['p99']:.2f}", "—", "—"))
    t = r["trace"]
    rows.append((f"openvpc trace per query, ms mean / p50 (n={t['text']['runs']})",
                 f"{t['text']['mean_ms']:.1f} / {t['text']['p50_ms']:.1f}", "—", "—"))
    rows.append(("openvpc trace --json per query, ms mean / p50",
                 f"{t['json']['mean_ms']:.1f} / {t['json']['p50_ms']:.1f}", "—", "—"))
    lines = [f"{machine_line(r, seconds)}; openvpc: 2 instances (TAP, MTU {r['setup']['mtu']}), "
             f"5 security groups × 60 inbound + 60 outbound rules each, 20 + 20 network ACL entries per subnet; "
             f"kernel baseline: a veth pair (MTU 9001) between two namespaces.",
             "",
             "| measure | openvpc | kernel baseline | ratio |",
             "|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c_} | {d} |" for a, b, c_, d in rows]
    return "\n".join(lines)


def notes(r):
    out = []
    c = r["convergence"]
    if c["authorize_leaks"]:
        out.append(f"{len(c['authorize_leaks'])} authorize samples arrived BEFORE the rule existed (not enforced): ports {c['authorize_leaks'][:10]}")
    if c["never_arrived"]:
        out.append(f"{len(c['never_arrived'])} convergence samples never arrived within 5 s: ports {c['never_arrived'][:10]}")
    if c["revoke_prober_paused"]:
        out.append(f"{len(c['revoke_prober_paused'])} revoke samples: the last datagram arrived more than 2 ms before "
                   f"the revoke request was sent (A's prober was not scheduled); those samples overstate how early "
                   f"enforcement came")
    if c["revoke_not_enforced_within_100ms"]:
        out.append(f"{len(c['revoke_not_enforced_within_100ms'])} revoke samples still passed 90+ ms after the response")
    for key in ("authorize", "revoke_untracked"):
        s = c[key]
        if s.get("n") and s["negative"]:
            out.append(f"{key}: {s['negative']} of {s['n']} samples negative (enforced before boto3 had the response), min {s['min']:.2f} ms")
    for side in ("openvpc", "baseline"):
        f = r[side]["flows"]
        if f["failed"] or f["timeouts"]:
            out.append(f"{side} new flows: {f['failed']} failed {f['errors']}, {f['timeouts']} timed out (>1 s)")
        for t in ("tcp1", "tcp4"):
            if r[side][t].get("retransmits"):
                out.append(f"{side} {t}: {r[side][t]['retransmits']} TCP retransmits")
    for side in ("openvpc", "baseline"):
        c_ = r[side]["udp"].get("counters", {})
        if c_:
            out.append(f"{side} UDP 64 B, packet counters over the run (control traffic included): "
                       + ", ".join(f"{k} {v:,}" for k, v in c_.items()))
    cpu = []
    for t, label in (("tcp1", "TCP 1 stream"), ("tcp4", "TCP -P 4"), ("udp", "UDP 64 B"), ("flows", "new flows")):
        x = r["openvpc"][t]
        if x.get("server_cpu_percent") is not None:
            cpu.append(f"{label} {x['server_cpu_percent']:.0f}% (busiest thread {x['server_busiest_thread_cpu_percent']:.0f}%)")
    if cpu:
        out.append("openvpc serve CPU, % of one core, averaged over each measurement: " + ", ".join(cpu))
    for v in ("text", "json"):
        if r["trace"][v]["exit_statuses"] != [0]:
            out.append(f"trace {v}: exit statuses {r['trace'][v]['exit_statuses']} (0 expected: allowed)")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "openvpc"))
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--seconds", type=float, default=5.0, help="per throughput/pps/flows figure (default 5)")
    ap.add_argument("--samples", type=int, default=100, help="authorize convergence samples (default 100)")
    ap.add_argument("--revoke-samples", type=int, default=50, help="revoke convergence samples (default 50)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (server log)")
    ap.add_argument("--only", choices=("instances", "gateways"),
                    help="run only the instance-to-instance table or only the gateway table (default: both)")
    args = ap.parse_args()
    do_instances = args.only in (None, "instances")
    do_gateways = args.only in (None, "gateways")
    if os.geteuid() != 0:
        sys.exit("dataplane_bench.py: must run as root (it creates network namespaces, and the openvpc data plane "
                 "creates TAP devices); try: sudo python3 bench/dataplane_bench.py")
    for tool in ("ip", "iperf3", "ss", "ping") + (("nft", "sysctl") if do_gateways else ()):
        if not shutil.which(tool):
            sys.exit(f"dataplane_bench.py: {tool} is not installed")
    if not os.access(SYS_PY, os.X_OK):
        sys.exit(f"dataplane_bench.py: {SYS_PY} is missing (the probes run under it inside the namespaces)")
    try:
        import boto3
    except ImportError:
        sys.exit("dataplane_bench.py: boto3 is not installed for " + sys.executable)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    seconds = args.seconds

    started = time.monotonic()
    tmp = tempfile.mkdtemp(prefix="ovbench-")
    CLEANUP.tmpdir, CLEANUP.keep_tmp = tmp, args.keep
    try:
        src = os.path.abspath(args.binary)
        stable_binary(src)
        binary = os.path.join(tmp, "openvpc")
        shutil.copy2(src, binary)
        data_dir, endpoint = start_server(binary, tmp)
        ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        r = {}
        masq = None
        try:
            if do_instances:
                log("setting up the VPC, 10 groups of 60+60 rules, 2 network ACLs, 2 instances")
                env = setup_openvpc(ec2, binary, data_dir)
                log("setting up the veth baseline")
                ka, kb = setup_baseline()
                oa, ob = env["a"], env["b"]
                paths = {"openvpc": (oa, ob), "baseline": (ka, kb)}
                r.update({"openvpc": {}, "baseline": {}})
                for name, fn in (("tcp1", lambda a, b: tcp_throughput(a, b, seconds, 1)),
                                 ("tcp4", lambda a, b: tcp_throughput(a, b, seconds, 4)),
                                 ("udp", lambda a, b: udp_pps(a, b, seconds))):
                    for side, (a, b) in paths.items():
                        log(f"{name} through {side}")
                        r[side][name] = measured(lambda: fn(a, b), CLEANUP.server.pid)
                        time.sleep(0.5)
                log("convergence")
                group_b1 = env["groups"][1][0]
                # Make room for one rule in B's group 1 (it is at the quota of 60).
                ec2.revoke_security_group_ingress(GroupId=group_b1, SecurityGroupRuleIds=[env["rule_ids_b"][group_b1][0]])
                r["convergence"] = convergence(ec2, oa, ob, group_b1, args.samples, args.revoke_samples)
                log("trace")
                r["trace"] = trace_times(binary, data_dir, env["ids"][0], ob.ip)
            if do_gateways:
                log("gateways: setting up a VPC with an internet gateway, a NAT gateway and 2 instances")
                gw = setup_gateways(ec2, binary, data_dir)
                log("gateways: setting up the masquerade baseline (client -- router -- server namespaces)")
                masq = Masquerade()
                results = gateway_throughput(gw, masq, seconds, CLEANUP.server.pid)
                r["gateways"] = {"setup": dict(gw["setup"], masquerade={
                    "namespaces": masq.ns, "devices": masq.dev, "seen_by_server": masq.seen,
                    "ruleset": masq.ruleset}), "results": results}
            # New flows last: they leave tens of thousands of tracked connections in the engine
            # (and NAT gateway bindings, forgotten after 350 s idle).
            if do_instances:
                for side, (a, b) in paths.items():
                    log(f"new flows through {side}")
                    r[side]["flows"] = measured(lambda: new_flows(a, b, seconds), CLEANUP.server.pid)
                    time.sleep(0.5)
            if do_gateways:
                gateway_flows(gw, masq, seconds, CLEANUP.server.pid, r["gateways"]["results"])
        finally:
            if masq is not None:
                masq.close()
        iperf_version = subprocess.run(["iperf3", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
        r["machine"] = {"nproc": os.cpu_count(), "kernel": os.uname().release, "iperf3": iperf_version.strip(),
                        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                        "load_average_at_end": os.getloadavg()}
        if do_instances:
            r["setup"] = {"mtu": env["mtu"], "instances": env["ids"], "security_groups": env["groups"],
                          "network_acls": env["acls"], "seconds": seconds}
        r["run_seconds"] = time.monotonic() - started
        parts = []
        if do_instances:
            md = table(r, seconds)
            n = notes(r)
            if n:
                md += "\n\n" + "\n".join(f"- {line}" for line in n)
            parts.append(md)
        if do_gateways:
            md = gateway_table(r, seconds, with_machine=not do_instances)
            n = gateway_notes(r)
            if n:
                md += "\n\n" + "\n".join(f"- {line}" for line in n)
            parts.append(md)
        md = "\n\n".join(parts)
        r["markdown"] = md
        print(md)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(r, f, indent=2)
        log(f"done in {r['run_seconds']:.0f} s")
    except Exception:
        if CLEANUP.server is not None:
            log("server log tail:\n" + tail(tmp))
        raise
    finally:
        CLEANUP.run()


if __name__ == "__main__":
    main()
