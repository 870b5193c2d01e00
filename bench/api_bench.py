#!/usr/bin/env python3
"""API benchmark: requests/s and p50/p99 latency of openvpc, and of moto_server where it is
installed, under the same load from bench's C++ generator (build/api_load). Prints a table.

    python3 bench/api_bench.py [--seconds 3] [--connections 2] [--no-moto] [--binary build/openvpc]

Figures, not a pass/fail test. Both servers run on loopback on this machine, with the load
generator beside them (2 cores shared by all three).
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import boto3

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOAD = os.path.join(ROOT, "build", "api_load")
V = "Version=2016-11-15"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc):
    for _ in range(400):
        if proc.poll() is not None:
            raise RuntimeError("server exited")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("server did not start")


def load(endpoint, body, seconds=None, count=None, connections=2):
    args = [LOAD, "--endpoint", endpoint, "--body", body, "--connections", str(connections)]
    args += ["--count", str(count)] if count else ["--seconds", str(seconds)]
    out = subprocess.run(args, capture_output=True, text=True, timeout=3600)
    if out.returncode not in (0, 2):
        raise RuntimeError(out.stderr)
    r = json.loads(out.stdout)
    if r["errors"]:
        print(f"  warning: {r['errors']} errors for {body[:60]}: {out.stderr.strip()[:200]}", file=sys.stderr)
    return r


def reset(endpoint):
    urllib.request.urlopen(urllib.request.Request(endpoint + "/moto-api/reset", data=b"", method="POST")).read()


def client(endpoint):
    return boto3.client("ec2", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="test", aws_secret_access_key="test")


def scenarios(endpoint, a):
    """Yields (name, result) for each measured load."""
    ec2 = client(endpoint)
    reset(endpoint)
    ec2.describe_vpcs()  # the account's first use (default VPC) is not part of any figure
    yield "CreateVpc", load(endpoint, f"Action=CreateVpc&{V}&CidrBlock=10.0.0.0%2F16", a.seconds, connections=a.connections)
    for n in (1, 100, 10000):
        reset(endpoint)
        ec2.describe_vpcs()
        if n > 1:  # the default VPC is the first
            load(endpoint, f"Action=CreateVpc&{V}&CidrBlock=10.0.0.0%2F16", count=n - 1, connections=a.connections)
        got = len(ec2.describe_vpcs()["Vpcs"])
        assert got == n, (got, n)
        yield f"DescribeVpcs, {n} VPCs", load(endpoint, f"Action=DescribeVpcs&{V}", a.seconds, connections=a.connections)
    reset(endpoint)
    vpcs = [ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"] for _ in range(2)]
    for vpc in vpcs:
        load(endpoint, f"Action=CreateSubnet&{V}&VpcId={vpc}&CidrBlock=10.0.{{n}}.0%2F24", count=200,
             connections=1)
    body = (f"Action=DescribeSubnets&{V}&Filter.1.Name=vpc-id&Filter.1.Value.1={vpcs[1]}"
            f"&Filter.2.Name=cidr-block&Filter.2.Value.1=10.0.1%2A")
    yield "DescribeSubnets, 2 filters, 406 subnets", load(endpoint, body, a.seconds, connections=a.connections)


def run_server(kind, tmp, binary):
    port = free_port()
    if kind == "openvpc":
        args = [binary, "serve", "--listen", f"127.0.0.1:{port}",
                "--data-dir", os.path.join(tmp, "openvpc"), "--dataplane", "off",
                "--quota", "vpcs-per-region=20000", "--quota", "internet-gateways-per-region=20000"]
    else:
        args = [shutil.which("moto_server"), "-p", str(port)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port, proc)
    return proc, f"http://127.0.0.1:{port}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--no-moto", action="store_true")
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "openvpc"),
                    help="the openvpc to measure (e.g. a copy of an earlier build, to compare)")
    a = ap.parse_args()
    if not os.path.exists(LOAD):
        sys.exit("build/api_load is missing: run `ninja -C build api_load` first")
    kinds = ["openvpc"] + ([] if a.no_moto or not shutil.which("moto_server") else ["moto"])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            proc, endpoint = run_server(kind, tmp, a.binary)
            try:
                for name, r in scenarios(endpoint, a):
                    results.setdefault(name, {})[kind] = r
                    print(f"  {kind:8} {name:42} {r['rps']:9.1f} req/s  p50 {r['p50_us'] / 1000:8.2f} ms"
                          f"  p99 {r['p99_us'] / 1000:8.2f} ms", file=sys.stderr)
            finally:
                proc.terminate()
                proc.wait()
    print(f"\n{a.connections} connections, {a.seconds:g} s per figure, {os.cpu_count()} cores shared by server and load\n")
    head = "| operation | openvpc req/s | p50 ms | p99 ms |"
    if "moto" in kinds:
        head += " moto req/s | p50 ms | p99 ms | openvpc/moto |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for name, by in results.items():
        o = by["openvpc"]
        row = f"| {name} | {o['rps']:.{0 if o['rps'] >= 10 else 1}f} | {o['p50_us'] / 1000:.2f} | {o['p99_us'] / 1000:.2f} |"
        if "moto" in by:
            m = by["moto"]
            row += f" {m['rps']:.{0 if m['rps'] >= 10 else 1}f} | {m['p50_us'] / 1000:.2f} | {m['p99_us'] / 1000:.2f} | {o['rps'] / m['rps']:.1f}× |"
        print(row)


if __name__ == "__main__":
    main()
