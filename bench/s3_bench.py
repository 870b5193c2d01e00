#!/usr/bin/env python3
"""Benchmark of openvpc's S3 (issue 14): figures, not a pass/fail test.

    python3 bench/s3_bench.py [--binary build/openvpc] [--small 400] [--large-mib 64] [--rounds 3]

Starts its own server (no data plane) with its S3 directory on the disk under test, and measures
in the same run, with boto3 at the endpoint URL (path-style, SigV4, one connection per thread):

- PutObject and GetObject of 4 KiB objects: requests per second, one client thread and 4 threads;
- PutObject and GetObject of --large-mib MiB objects (one request each: the body is spooled to a
  file, and sent from the file): MiB/s, the best of --rounds;

against the local disk's own rate for the same work in the same directory: for small objects, a
file written and renamed into place (what a PutObject does to its body) and read back; for the
large one, the bytes written to a file and read back (both from the page cache, as S3's are).
Prints a Markdown table (with the server's CPU time per small request: at 4 KiB, boto3's own cost
per request bounds the rate) and writes the figures as JSON to --json.
"""
import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import boto3
import botocore.config

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(binary, data_dir):
    port = free_port()
    log = open(os.path.join(data_dir, "server.log"), "ab")
    proc = subprocess.Popen([binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", data_dir,
                             "--dataplane", "off"], stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 20
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("openvpc did not start")


def client(endpoint, threads=1):
    return boto3.client("s3", region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="test",
                        aws_secret_access_key="test",
                        config=botocore.config.Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                                      max_pool_connections=threads,
                                                      retries={"total_max_attempts": 1}))


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rate(count, fn, threads):
    """Calls fn(i) for i in range(count) over THREADS threads: calls per second."""
    start = time.perf_counter()
    if threads == 1:
        for i in range(count):
            fn(i)
    else:
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            list(pool.map(fn, range(count)))
    return count / (time.perf_counter() - start)


def best_mib_s(rounds, size, fn):
    best = 0.0
    for r in range(rounds):
        start = time.perf_counter()
        fn(r)
        best = max(best, size / (1 << 20) / (time.perf_counter() - start))
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "openvpc"))
    ap.add_argument("--small", type=int, default=400, help="4 KiB objects per figure")
    ap.add_argument("--large-mib", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", default="")
    args = ap.parse_args()

    base = tempfile.mkdtemp(prefix="openvpc-s3-bench-")
    proc = None
    try:
        proc, endpoint = start(args.binary, base)
        s3 = client(endpoint, 4)
        s3.create_bucket(Bucket="bench")
        small = os.urandom(4096)
        large = os.urandom(args.large_mib << 20)
        disk = os.path.join(base, "disk")
        os.makedirs(disk)
        figures = {}

        # ---- 4 KiB objects ----
        for threads in (1, 4):
            before = cpu_seconds(proc.pid)
            figures[f"put_4k_{threads}"] = rate(
                args.small, lambda i: s3.put_object(Bucket="bench", Key=f"small/{threads}/{i}", Body=small), threads)
            figures[f"server_ms_put_4k_{threads}"] = (cpu_seconds(proc.pid) - before) / args.small * 1000
            before = cpu_seconds(proc.pid)
            figures[f"get_4k_{threads}"] = rate(
                args.small, lambda i: s3.get_object(Bucket="bench", Key=f"small/{threads}/{i}")["Body"].read(),
                threads)
            figures[f"server_ms_get_4k_{threads}"] = (cpu_seconds(proc.pid) - before) / args.small * 1000

            def disk_put(i, threads=threads):
                tmp = os.path.join(disk, f"tmp-{threads}-{i}")
                with open(tmp, "wb") as f:
                    f.write(small)
                os.rename(tmp, os.path.join(disk, f"small-{threads}-{i}"))

            def disk_get(i, threads=threads):
                with open(os.path.join(disk, f"small-{threads}-{i}"), "rb") as f:
                    f.read()

            figures[f"disk_put_4k_{threads}"] = rate(args.small, disk_put, threads)
            figures[f"disk_get_4k_{threads}"] = rate(args.small, disk_get, threads)

        # ---- large objects ----
        size = len(large)
        figures["put_large"] = best_mib_s(args.rounds, size,
                                          lambda r: s3.put_object(Bucket="bench", Key=f"large/{r}", Body=large))
        got = s3.get_object(Bucket="bench", Key="large/0")["Body"].read()
        assert got == large, "the large object did not round-trip"
        figures["get_large"] = best_mib_s(args.rounds, size,
                                          lambda r: s3.get_object(Bucket="bench", Key=f"large/{r}")["Body"].read())

        def disk_write(r):
            with open(os.path.join(disk, f"large-{r}"), "wb") as f:
                f.write(large)

        def disk_read(r):
            with open(os.path.join(disk, f"large-{r}"), "rb") as f:
                f.read()

        figures["disk_put_large"] = best_mib_s(args.rounds, size, disk_write)
        figures["disk_get_large"] = best_mib_s(args.rounds, size, disk_read)

        rows = [("PutObject 4 KiB, 1 thread (requests/s)", "put_4k_1"),
                ("GetObject 4 KiB, 1 thread (requests/s)", "get_4k_1"),
                ("PutObject 4 KiB, 4 threads (requests/s)", "put_4k_4"),
                ("GetObject 4 KiB, 4 threads (requests/s)", "get_4k_4"),
                (f"PutObject {args.large_mib} MiB (MiB/s)", "put_large"),
                (f"GetObject {args.large_mib} MiB (MiB/s)", "get_large")]
        print("| measure | openvpc S3 | local disk | S3 / disk | server CPU per request |")
        print("|---|---|---|---|---|")
        for label, key in rows:
            ours, theirs = figures[key], figures["disk_" + key]
            cpu = figures.get("server_ms_" + key)
            print(f"| {label} | {ours:.0f} | {theirs:.0f} | {ours / theirs:.3f} | "
                  f"{f'{cpu:.2f} ms' if cpu is not None else ''} |")
        if args.json:
            with open(args.json, "w") as f:
                json.dump(figures, f, indent=2)
    finally:
        if proc:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
