#!/usr/bin/env python3
"""Write-stall benchmark: how much API writes slow the data plane's setup of new flows.

    sudo python3 bench/write_stall_bench.py [--binary build/openvpc] [--baseline-binary OLD/openvpc]
                                            [--seconds 10] [--repeat 3] [--write-rate 200] [--json out.json]

Figures, not a pass/fail test. One run prints a Markdown table (rows: measures; columns: each
binary, with the ratio "with writes / without writes" beside it) ready for the README, and writes
every raw figure as JSON to --json. Needs root (namespaces, TAP devices) and /usr/bin/python3.

How, for each binary (the baseline first, when given, then --binary; one server after the other):
- The binary is copied to a temporary directory (a rebuild of build/openvpc during the run does
  not matter) and started as `openvpc serve --listen 127.0.0.1:PORT --data-dir TMP --credentials
  TMP/credentials --sync full`; the server is stopped before the next binary's starts.
- bench/dataplane_bench.py's instance setup (imported, not copied): VPC 10.0.0.0/16, subnets A
  and B with 20 + 20 network ACL entries each, instances A and B with 5 security groups of 60
  inbound + 60 outbound rules each, the matching rules last.
- New flows: dataplane_bench's new_flows() (bench/dataplane_probe.py: A opens TCP connections to
  an accept-and-close loop in B, 64 in flight, each from a 5-tuple not used before, closed with
  RST); handshakes completed per second.
- Measures: (a) no API writes; (b) CreateTags on the VPC (one key, a new value each time) paced
  at --write-rate per second (default 200) by as many threads as needed (--write-threads; auto:
  2 x rate x the p99 latency of 100 sequential writes made first, 1 to 8), late writes caught up
  at most 0.1 s behind the schedule; (c) CreateTags from one thread in a closed loop, as fast as
  it goes. The writes run in this process (boto3, one client and connection per thread, no
  retries); they start 0.3 s before A's client and stop when it ends. Reported for the writes:
  those completed while A's client ran, per second, and the latency p50 / p99 (the boto3 call)
  of those started meanwhile.
- Connection tracking: every connection takes an entry at A's and at B's interface for 10 s
  after its reset, and an interface tracks at most 32,768 (kConnectionAllowance); a new flow
  beyond that is dropped until entries expire, which would make a 10 s figure measure the
  allowance (about 3,300 new connections/s) rather than the engine. So each figure of --seconds
  is measured in bursts of about --burst seconds (default 2, i.e. 5 bursts of 2 s), each on an
  empty connection table: --settle seconds (default 11) of quiet after every burst. Within a
  repeat the measures alternate burst by burst: (a), (b), (c), (a), (b), (c)... A burst that
  timed out connections, or came within 5% of the allowance, is reported in the notes.
- Each figure is measured --repeat times (default 3); the table shows the median over repeats
  (of the new flows/s, and of each repeat's write rate and latency percentiles).
- The server's CPU time (the process, and its busiest thread: the engine) over each burst, and
  this process's own CPU time during the writes (the writers compete for the same cores), go to
  the JSON and the notes.
Run time: about (settle + burst + 2 s) x bursts x 3 measures x repeats per binary: with the
defaults about 12 minutes per binary.
"""
import argparse
import datetime
import hashlib
import json
import math
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH_DIR)
import dataplane_bench as db  # noqa: E402  (its Cleanup runs at exit: server, children, namespaces)

ROOT = os.path.dirname(BENCH_DIR)
ALLOWANCE = 32768  # the engine's kConnectionAllowance (conntrack.h): tracked connections per interface
TAG_KEY = "write-stall-bench"
MEASURES = ("none", "paced", "full")


def log(*words):
    print("[write-stall]", *words, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# The write loop.

def make_client(endpoint):
    import boto3
    import botocore.config
    # A session per client: boto3's default session is not meant to be shared between threads.
    return boto3.session.Session().client(
        "ec2", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="test", aws_secret_access_key="test",
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                      connect_timeout=5, read_timeout=30, max_pool_connections=1))


class Writes:
    """A context manager: CreateTags on RESOURCE from len(CLIENTS) threads, paced at RATE per second
    (None: each thread in a closed loop) from __enter__ until __exit__. The window measured runs
    from 0.3 s after the start (once the writers are going) to __exit__."""

    WARMUP = 0.3
    MAX_BEHIND = 0.1  # seconds: a paced writer further behind its schedule drops the missed slots

    def __init__(self, clients, resource_id, rate, counter):
        self.clients, self.resource_id, self.rate = clients, resource_id, rate
        self.counter = counter  # a shared itertools-like list [n]: tag values never repeat
        self.samples = []  # (start, end, ok) per write, time.monotonic()
        self.errors = {}
        self.skipped = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.threads = []
        self.window = None
        self.rusage = None

    def _next_value(self):
        with self.lock:
            self.counter[0] += 1
            return str(self.counter[0])

    def _slot(self):
        """The time the next paced write is due."""
        with self.lock:
            now = time.monotonic()
            due = self.base + self.k / self.rate
            if now - due > self.MAX_BEHIND:
                missed = int((now - due) * self.rate)
                self.skipped += missed
                self.k += missed
                due = self.base + self.k / self.rate
            self.k += 1
            return due

    def _run(self, client):
        while not self.stop.is_set():
            if self.rate:
                due = self._slot()
                wait = due - time.monotonic()
                if wait > 0 and self.stop.wait(wait):
                    return
            value = self._next_value()
            t = time.monotonic()
            ok = True
            try:
                client.create_tags(Resources=[self.resource_id], Tags=[{"Key": TAG_KEY, "Value": value}])
            except Exception as e:  # counted, not fatal: a stall is what we measure
                ok = False
                name = getattr(e, "response", {}).get("Error", {}).get("Code") or type(e).__name__
                with self.lock:
                    self.errors[name] = self.errors.get(name, 0) + 1
            end = time.monotonic()
            with self.lock:
                self.samples.append((t, end, ok))

    def __enter__(self):
        self.base, self.k = time.monotonic(), 0
        for c in self.clients:
            th = threading.Thread(target=self._run, args=(c,), daemon=True)
            th.start()
            self.threads.append(th)
        time.sleep(self.WARMUP)
        self.ru0 = resource.getrusage(resource.RUSAGE_SELF)
        self.t0 = time.monotonic()
        return self

    def __exit__(self, *exc):
        t1 = time.monotonic()
        ru1 = resource.getrusage(resource.RUSAGE_SELF)
        self.stop.set()
        for th in self.threads:
            th.join(35)
        self.window = (self.t0, t1)
        cpu = (ru1.ru_utime - self.ru0.ru_utime) + (ru1.ru_stime - self.ru0.ru_stime)
        self.client_cpu_percent = 100.0 * cpu / (t1 - self.t0) if t1 > self.t0 else None
        return False

    def result(self):
        t0, t1 = self.window
        done = [(s, e) for s, e, ok in self.samples if ok and t0 <= e <= t1]
        # Latency: every write started in the window, also one that ended after it (the writers
        # finish their call before they stop), so that a write stalled across the end counts.
        lat = [(e - s) * 1000 for s, e, ok in self.samples if ok and t0 <= s <= t1]
        return {"seconds": t1 - t0, "completed": len(done), "writes_s": len(done) / (t1 - t0),
                "latency_ms": lat, "errors": dict(self.errors), "skipped_slots": self.skipped,
                "threads": len(self.clients), "target_per_s": self.rate,
                "client_cpu_percent": self.client_cpu_percent}


def calibrate(client, resource_id, counter, n=100):
    lat = []
    for _ in range(n):
        counter[0] += 1
        t = time.monotonic()
        client.create_tags(Resources=[resource_id], Tags=[{"Key": TAG_KEY, "Value": str(counter[0])}])
        lat.append(time.monotonic() - t)
    return {"n": n, "p50_ms": db.percentile(lat, 50) * 1000, "p99_ms": db.percentile(lat, 99) * 1000,
            "mean_ms": statistics.mean(lat) * 1000}


# ---------------------------------------------------------------------------------------------
# One binary: its server, its instances, its figures.

def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def describe_binary(src, copy):
    info = {"path": src, "sha256": sha256(copy),
            "mtime": datetime.datetime.fromtimestamp(os.stat(src).st_mtime).astimezone().isoformat(timespec="seconds")}
    # A saved binary may have its commit beside it: cp build/openvpc OLD/ && git rev-parse HEAD > OLD/COMMIT
    commit = os.path.join(os.path.dirname(src), "COMMIT")
    if os.path.isfile(commit):
        with open(commit) as f:
            info["commit_file"] = f.read().strip()[:80]
    return info


def one_burst(env, pid, measure, seconds, clients, vpc, rate, counter):
    a, b = env["a"], env["b"]
    writes = None
    if measure == "paced":
        writes = Writes(clients, vpc, rate, counter)
    elif measure == "full":
        writes = Writes(clients[:1], vpc, None, counter)
    r = db.measured(lambda: db.new_flows(a, b, seconds, around_client=writes), pid)
    if writes is not None:
        r["writes"] = writes.result()
    return r


def aggregate(bursts):
    """One repeat's figure of a measure: its bursts together."""
    ok = sum(x["ok"] for x in bursts)
    secs = sum(x["seconds"] for x in bursts)
    out = {"flows_s": ok / secs, "ok": ok, "seconds": secs,
           "failed": sum(x["failed"] for x in bursts), "timeouts": sum(x["timeouts"] for x in bursts),
           "bursts": len(bursts), "burst_ok": [x["ok"] for x in bursts],
           "burst_flows_s": [round(x["flows_s"]) for x in bursts],
           "server_cpu_percent": statistics.mean(x["server_cpu_percent"] for x in bursts)
           if all(x.get("server_cpu_percent") is not None for x in bursts) else None,
           "server_busiest_thread_cpu_percent": statistics.mean(x["server_busiest_thread_cpu_percent"] for x in bursts)
           if all(x.get("server_busiest_thread_cpu_percent") is not None for x in bursts) else None}
    errors = {}
    for x in bursts:
        for k, v in x["errors"].items():
            errors[k] = errors.get(k, 0) + v
    out["errors"] = errors
    if "writes" in bursts[0]:
        ws = [x["writes"] for x in bursts]
        lat = [v for w in ws for v in w["latency_ms"]]
        wsecs = sum(w["seconds"] for w in ws)
        werr = {}
        for w in ws:
            for k, v in w["errors"].items():
                werr[k] = werr.get(k, 0) + v
        out["writes"] = {
            "writes_s": sum(w["completed"] for w in ws) / wsecs, "completed": sum(w["completed"] for w in ws),
            "seconds": wsecs, "p50_ms": db.percentile(lat, 50), "p99_ms": db.percentile(lat, 99),
            "max_ms": max(lat) if lat else None, "errors": werr,
            "skipped_slots": sum(w["skipped_slots"] for w in ws), "threads": ws[0]["threads"],
            "target_per_s": ws[0]["target_per_s"],
            "client_cpu_percent": statistics.mean(w["client_cpu_percent"] for w in ws)
            if all(w["client_cpu_percent"] is not None for w in ws) else None}
    return out


def median_of(runs, *path):
    vals = []
    for r in runs:
        for k in path:
            r = r.get(k) if isinstance(r, dict) else None
        if r is not None:
            vals.append(r)
    return statistics.median(vals) if vals else None


def run_binary(label, src, top_tmp, args):
    import boto3
    tmp = os.path.join(top_tmp, label)
    os.makedirs(tmp)
    db.stable_binary(src)
    binary = os.path.join(tmp, "openvpc")
    shutil.copy2(src, binary)
    info = describe_binary(src, binary)
    log(f"{label}: {src} (sha256 {info['sha256'][:12]}): starting openvpc serve --sync full")
    try:
        data_dir, endpoint = db.start_server(binary, tmp, ["--sync", "full"])
        pid = db.CLEANUP.server.pid
        ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                           aws_access_key_id="test", aws_secret_access_key="test")
        log(f"{label}: setting up the VPC, 10 groups of 60+60 rules, 2 network ACLs, 2 instances")
        env = db.setup_openvpc(ec2, binary, data_dir)
        vpc = env["vpc"]
        counter = [0]
        clients = [make_client(endpoint)]
        calib = calibrate(clients[0], vpc, counter)
        threads = args.write_threads or max(1, min(8, math.ceil(args.write_rate * calib["p99_ms"] / 1000 * 2)))
        clients += [make_client(endpoint) for _ in range(threads - 1)]
        log(f"{label}: CreateTags alone: p50 {calib['p50_ms']:.2f} ms, p99 {calib['p99_ms']:.2f} ms; "
            f"{threads} writer thread(s) for {args.write_rate:g}/s")
        n_bursts = max(1, round(args.seconds / args.burst))
        burst = args.seconds / n_bursts
        # A short burst first, not counted: the probes' first start in the namespaces, the engine's
        # first flows. Then quiet, so that the first counted burst starts on an empty table too.
        log(f"{label}: warm-up burst")
        db.new_flows(env["a"], env["b"], min(1.0, burst))
        time.sleep(args.settle)
        runs = {m: [] for m in MEASURES}
        for rep in range(args.repeat):
            bursts = {m: [] for m in MEASURES}
            for i in range(n_bursts):
                for m in MEASURES:
                    r = one_burst(env, pid, m, burst, clients, vpc, args.write_rate, counter)
                    bursts[m].append(r)
                    w = r.get("writes")
                    log(f"{label}: repeat {rep + 1}/{args.repeat}, burst {i + 1}/{n_bursts}, {m}: "
                        f"{r['flows_s']:,.0f} flows/s ({r['ok']} ok, {r['timeouts']} timed out)"
                        + (f"; {w['writes_s']:.0f} writes/s, p50 {db.percentile(w['latency_ms'], 50) or 0:.2f} ms"
                           if w else ""))
                    if db.CLEANUP.server.poll() is not None:
                        raise RuntimeError(f"openvpc serve exited {db.CLEANUP.server.returncode}: {db.tail(tmp)}")
                    time.sleep(args.settle)
            for m in MEASURES:
                runs[m].append(aggregate(bursts[m]))
        res = {"binary": info, "calibration": calib, "writer_threads": threads, "burst_seconds": burst,
               "bursts_per_figure": n_bursts, "mtu": env["mtu"], "instances": env["ids"], "vpc": vpc,
               "runs": runs}
        res["median"] = {m: {"flows_s": median_of(runs[m], "flows_s"),
                             "server_cpu_percent": median_of(runs[m], "server_cpu_percent"),
                             "server_busiest_thread_cpu_percent": median_of(runs[m], "server_busiest_thread_cpu_percent")}
                         for m in MEASURES}
        for m in ("paced", "full"):
            res["median"][m]["writes"] = {k: median_of(runs[m], "writes", k)
                                          for k in ("writes_s", "p50_ms", "p99_ms", "max_ms", "client_cpu_percent")}
        return res
    except Exception:
        if db.CLEANUP.server is not None:
            log(f"{label}: server log tail:\n" + db.tail(tmp))
        raise
    finally:
        db.CLEANUP.stop_server()


# ---------------------------------------------------------------------------------------------
# Output.

def table(r, args):
    labels = [k for k in ("baseline", "current") if k in r["binaries"]]
    bs = [r["binaries"][k] for k in labels]
    m = r["machine"]
    rate = args.write_rate
    first = bs[0]
    head = (f"Measured {m['date']} on {m['nproc']} vCPUs, Linux {m['kernel']}; `openvpc serve --sync full` "
            f"(data directory on {m['data_dir_filesystem'] or '?'}), "
            f"2 instances (TAP, MTU {first['mtu']}), 5 security groups × 60 inbound + 60 outbound rules each, "
            f"20 + 20 network ACL entries per subnet; new TCP flows with 64 in flight, "
            f"{args.seconds:g} s per figure in {first['bursts_per_figure']} bursts of "
            f"{first['burst_seconds']:g} s (each on an empty connection table), median of {args.repeat}; "
            f"CreateTags on the VPC from this process. "
            + "; ".join(f"{k}: {b['binary']['path']} (sha256 {b['binary']['sha256'][:12]}"
                        + (f", COMMIT {b['binary']['commit_file'][:12]}" if "commit_file" in b["binary"] else "") + ")"
                        for k, b in zip(labels, bs)) + ".")
    rows = []

    def flows_row(label, measure):
        cells = []
        for b in bs:
            v = b["median"][measure]["flows_s"]
            base = b["median"]["none"]["flows_s"]
            cells += [db.fmt(v), "—" if measure == "none" else db.ratio(v, base)]
        rows.append([label] + cells)

    def writes_row(label, measure, fn):
        cells = []
        for b in bs:
            cells += [fn(b["median"][measure]["writes"], b), "—"]
        rows.append([label] + cells)

    def lat(w, _b):
        if w["p50_ms"] is None:
            return "—"
        return f"{w['p50_ms']:.2f} / {w['p99_ms']:.2f}"

    threads = sorted({b["writer_threads"] for b in bs})
    flows_row("new TCP flows/s, no API writes", "none")
    flows_row(f"new TCP flows/s, CreateTags paced at {rate:g}/s", "paced")
    flows_row("new TCP flows/s, CreateTags at full speed (1 thread)", "full")
    writes_row(f"CreateTags/s achieved, target {rate:g}/s ({'/'.join(map(str, threads))} threads)", "paced",
               lambda w, b: db.fmt(w["writes_s"], 0))
    writes_row(f"CreateTags latency at {rate:g}/s, ms p50 / p99", "paced", lat)
    writes_row("CreateTags/s at full speed, 1 thread", "full", lambda w, b: db.fmt(w["writes_s"], 0))
    writes_row("CreateTags latency at full speed, ms p50 / p99", "full", lat)
    hdr = "| measure | " + " | ".join(f"{k} | ratio" for k in labels) + " |"
    sep = "|---|" + "---|---|" * len(labels)
    lines = [head, "", hdr, sep] + ["| " + " | ".join(row) + " |" for row in rows]
    lines += ["", "ratio: new flows/s with the writes / without (same binary)."]
    return "\n".join(lines)


def notes(r):
    out = []
    for label, b in r["binaries"].items():
        for m in MEASURES:
            for i, run in enumerate(b["runs"][m]):
                capped = [n for n in run["burst_ok"] if n >= 0.95 * ALLOWANCE]
                if run["timeouts"] or run["failed"] or capped:
                    out.append(f"{label}, {m}, repeat {i + 1}: {run['timeouts']} connections timed out (>1 s), "
                               f"{run['failed']} failed {run['errors'] or ''}"
                               + (f"; {len(capped)} burst(s) within 5% of the connection allowance "
                                  f"({ALLOWANCE}): lower --burst" if capped else ""))
                w = run.get("writes")
                if w and (w["errors"] or w["skipped_slots"]):
                    out.append(f"{label}, {m}, repeat {i + 1}: writes: errors {w['errors'] or 'none'}, "
                               f"{w['skipped_slots']} paced slots dropped (more than 0.1 s behind)")
        spread = ", ".join(f"{m} {min(v for run in b['runs'][m] for v in run['burst_flows_s']):,}–"
                           f"{max(v for run in b['runs'][m] for v in run['burst_flows_s']):,}" for m in MEASURES)
        out.append(f"{label}: new flows/s of single bursts, min–max: {spread}")
        med = b["median"]
        cpu = ", ".join(f"{m} {med[m]['server_cpu_percent']:.0f}% (busiest thread "
                        f"{med[m]['server_busiest_thread_cpu_percent']:.0f}%)"
                        for m in MEASURES if med[m]["server_cpu_percent"] is not None)
        if cpu:
            out.append(f"{label}: openvpc serve CPU, % of one core, over the bursts: {cpu}")
        wc = ", ".join(f"{m} {med[m]['writes']['client_cpu_percent']:.0f}%" for m in ("paced", "full")
                       if med[m]["writes"]["client_cpu_percent"] is not None)
        if wc:
            out.append(f"{label}: this process's CPU while writing (boto3 writers), % of one core: {wc}")
        c = b["calibration"]
        out.append(f"{label}: CreateTags alone before the figures (n={c['n']}, sequential): "
                   f"p50 {c['p50_ms']:.2f} ms, p99 {c['p99_ms']:.2f} ms")
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "openvpc"), help="the current binary")
    ap.add_argument("--baseline-binary", help="a binary to compare with (e.g. a copy from before a change)")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--seconds", type=float, default=10.0, help="new-flow seconds per figure (default 10)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per figure, the median is reported (default 3)")
    ap.add_argument("--write-rate", type=float, default=200.0, help="paced CreateTags per second (default 200)")
    ap.add_argument("--write-threads", type=int, default=0,
                    help="threads for the paced writes (default 0: from the calibration's p99 latency)")
    ap.add_argument("--burst", type=float, default=2.0,
                    help="seconds per burst of new flows, which must stay below the interface's 32,768 "
                         "tracked connections (default 2)")
    ap.add_argument("--settle", type=float, default=11.0,
                    help="quiet seconds after each burst, for its connections to expire (reset: 10 s; default 11)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory (server logs)")
    args = ap.parse_args()
    if args.seconds <= 0 or args.repeat < 1 or args.write_rate <= 0 or args.burst <= 0:
        sys.exit("write_stall_bench.py: --seconds, --repeat, --write-rate and --burst must be positive")
    if os.geteuid() != 0:
        sys.exit("write_stall_bench.py: must run as root (the openvpc data plane creates namespaces and TAP "
                 "devices); try: sudo python3 bench/write_stall_bench.py")
    for tool in ("ip",):
        if not shutil.which(tool):
            sys.exit(f"write_stall_bench.py: {tool} is not installed")
    if not os.access(db.SYS_PY, os.X_OK):
        sys.exit(f"write_stall_bench.py: {db.SYS_PY} is missing (the probes run under it inside the namespaces)")
    try:
        import boto3  # noqa: F401
    except ImportError:
        sys.exit("write_stall_bench.py: boto3 is not installed for " + sys.executable)
    signal.signal(signal.SIGTERM, db.on_signal)
    signal.signal(signal.SIGHUP, db.on_signal)

    started = time.monotonic()
    top = tempfile.mkdtemp(prefix="ovstall-")
    db.CLEANUP.tmpdir, db.CLEANUP.keep_tmp = top, args.keep
    try:
        order = ([("baseline", os.path.abspath(args.baseline_binary))] if args.baseline_binary else []) + \
                [("current", os.path.abspath(args.binary))]
        r = {"binaries": {}, "args": vars(args)}
        for label, src in order:
            r["binaries"][label] = run_binary(label, src, top, args)
        fs = subprocess.run(["findmnt", "-n", "-o", "FSTYPE", "--target", top], capture_output=True,
                            text=True).stdout.strip()
        r["machine"] = {"nproc": os.cpu_count(), "kernel": os.uname().release, "data_dir_filesystem": fs,
                        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                        "load_average_at_end": os.getloadavg()}
        r["run_seconds"] = time.monotonic() - started
        md = table(r, args)
        n = notes(r)
        if n:
            md += "\n\n" + "\n".join(f"- {line}" for line in n)
        r["markdown"] = md
        print(md)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(r, f, indent=2)
        log(f"done in {r['run_seconds']:.0f} s" + (f"; temporary directory kept: {top}" if args.keep else ""))
    finally:
        db.CLEANUP.run()


if __name__ == "__main__":
    main()
