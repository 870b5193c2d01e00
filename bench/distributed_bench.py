#!/usr/bin/env python3
"""Benchmark of issue 12 (state in etcd, many hosts). Figures, not a pass/fail test.

    python3 bench/distributed_bench.py [--part api|tcp|all] [--seconds 3] [--resources 100000]

--part api: the same signed load (build/api_load) against openvpc on SQLite, openvpc on a
  3-member etcd cluster (one API server, then two API servers sharing it, each under its own
  load), and moto_server: CreateVpc and DescribeVpcs (100 VPCs) requests/s and latency; then the
  resident memory of an API server holding --resources resources (CreateVpc makes four: the VPC,
  its main route table, default network ACL and default security group), on SQLite and on etcd.
--part convergence (root): API write -> enforced on every host, with --hosts agents (20) and
  --instances instances (500) placed on them; see convergence_part.
--part tcp (root): iperf3 between two instances on two hosts (agents whose underlay is host
  namespaces on a bridge, MTU 65535), between two instances on one host, and between two plain
  namespaces over the kernel's own VXLAN device (veth underlay, MTU 9051, VXLAN MTU 9001 like an
  instance's), in the same run.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
sys.path.insert(0, os.path.join(ROOT, "tests", "dataplane"))
import api_bench  # noqa: E402
import etcd_cluster  # noqa: E402

V = "Version=2016-11-15"
CREATE = f"Action=CreateVpc&{V}&CidrBlock=10.0.0.0%2F16"


def serve(binary, tmp, name, store=None):
    port = api_bench.free_port()
    args = [binary, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", os.path.join(tmp, name), "--dataplane",
            "off", "--quota", "vpcs-per-region=1000000"]
    if store:
        args += ["--store", store]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api_bench.wait_port(port, proc)
    return proc, f"http://127.0.0.1:{port}"


def rss_mib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1)) / 1024


def api_part(a):
    rows = {}
    with tempfile.TemporaryDirectory() as tmp:
        cluster = etcd_cluster.EtcdCluster(os.path.join(tmp, "etcd")).start()
        try:
            setups = [("SQLite", None, 1), ("etcd, 1 server", cluster.store, 1), ("etcd, 2 servers", cluster.store, 2)]
            for label, store, servers in setups:
                procs = [serve(a.binary, tmp, f"{label}-{n}".replace(" ", "_").replace(",", ""), store)
                         for n in range(servers)]
                endpoints = [e for _, e in procs]
                try:
                    api_bench.reset(endpoints[0])
                    api_bench.client(endpoints[0]).describe_vpcs()
                    rows.setdefault("CreateVpc", {})[label] = together(endpoints, CREATE, a)
                    api_bench.reset(endpoints[0])
                    api_bench.load(endpoints[0], CREATE, count=99, connections=2)
                    rows.setdefault("DescribeVpcs, 100 VPCs", {})[label] = together(endpoints, f"Action=DescribeVpcs&{V}", a)
                finally:
                    for p, _ in procs:
                        p.terminate()
                        p.wait()
            if shutil.which("moto_server"):
                proc, endpoint = api_bench.run_server("moto", tmp, a.binary)
                try:
                    api_bench.client(endpoint).describe_vpcs()
                    rows["CreateVpc"]["moto"] = together([endpoint], CREATE, a)
                    api_bench.reset(endpoint)
                    api_bench.load(endpoint, CREATE, count=99, connections=2)
                    rows["DescribeVpcs, 100 VPCs"]["moto"] = together([endpoint], f"Action=DescribeVpcs&{V}", a)
                finally:
                    proc.terminate()
                    proc.wait()
            memory = {}
            api_bench.reset  # noqa: B018
            for label, store in (("SQLite", None), ("etcd", cluster.store)):
                proc, endpoint = serve(a.binary, tmp, "mem-" + label, store)
                try:
                    api_bench.reset(endpoint)
                    api_bench.client(endpoint).describe_vpcs()
                    before = rss_mib(proc.pid)
                    started = time.monotonic()
                    api_bench.load(endpoint, CREATE, count=a.resources // 4, connections=2)
                    took = time.monotonic() - started
                    memory[label] = (before, rss_mib(proc.pid), took)
                finally:
                    proc.terminate()
                    proc.wait()
        finally:
            cluster.stop()
    print(f"\n2 connections per server, {a.seconds:g} s per figure, {os.cpu_count()} cores shared by etcd, "
          "the servers and the load\n")
    labels = [l for l in ("SQLite", "etcd, 1 server", "etcd, 2 servers", "moto") if l in rows["CreateVpc"]]
    print("| operation | " + " | ".join(f"{l} req/s (p50 / p99 ms)" for l in labels) + " | etcd 1 server / SQLite |")
    print("|---|" + "---|" * (len(labels) + 1))
    for name, by in rows.items():
        cells = [f"{by[l]['rps']:.0f} ({by[l]['p50_us'] / 1000:.2f} / {by[l]['p99_us'] / 1000:.2f})" for l in labels]
        print(f"| {name} | " + " | ".join(cells) + f" | {by['etcd, 1 server']['rps'] / by['SQLite']['rps']:.2f}× |")
    print(f"\n| API server holding {a.resources:,} resources | RSS before, MiB | RSS after, MiB | bytes per resource | "
          "time to create, s |\n|---|---|---|---|---|")
    for label, (before, after, took) in memory.items():
        print(f"| {label} | {before:.0f} | {after:.0f} | {(after - before) * 1048576 / a.resources:.0f} | {took:.1f} |")


def together(endpoints, body, a):
    """The same load on each endpoint at once; requests/s summed, latency of the first."""
    results = [None] * len(endpoints)

    def run(i):
        results[i] = api_bench.load(endpoints[i], body, a.seconds, connections=2)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(endpoints))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = dict(results[0])
    out["rps"] = sum(r["rps"] for r in results)
    return out


def iperf(server_cmd, client_cmd, ip, seconds):
    srv = subprocess.Popen(server_cmd + ["iperf3", "-s", "-1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        out = subprocess.run(client_cmd + ["iperf3", "-c", ip, "-t", str(seconds), "-J"], capture_output=True,
                             text=True, timeout=seconds + 30)
        return json.loads(out.stdout)["end"]["sum_received"]["bits_per_second"] / 1e9
    finally:
        srv.kill()
        srv.wait()


def kernel_vxlan(seconds):
    tag = f"ovxb{os.getpid()}"
    a, b = f"{tag}-a", f"{tag}-b"
    sh = lambda *c: subprocess.run(c, check=True)  # noqa: E731
    try:
        sh("ip", "netns", "add", a)
        sh("ip", "netns", "add", b)
        sh("ip", "link", "add", "va" + tag[-6:], "netns", a, "mtu", "9051", "type", "veth", "peer", "name",
           "vb" + tag[-6:], "netns", b, "mtu", "9051")
        for ns, dev, under, over, peer in ((a, "va" + tag[-6:], "192.168.250.1", "10.250.0.1", "192.168.250.2"),
                                           (b, "vb" + tag[-6:], "192.168.250.2", "10.250.0.2", "192.168.250.1")):
            sh("ip", "-n", ns, "addr", "add", under + "/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")
            sh("ip", "-n", ns, "link", "add", "vx0", "mtu", "9001", "type", "vxlan", "id", "42", "remote", peer,
               "local", under, "dstport", "4789", "dev", dev)
            sh("ip", "-n", ns, "addr", "add", over + "/24", "dev", "vx0")
            sh("ip", "-n", ns, "link", "set", "vx0", "up")
        return iperf(["ip", "netns", "exec", b], ["ip", "netns", "exec", a], "10.250.0.2", seconds)
    finally:
        for ns in (a, b):
            subprocess.run(["ip", "netns", "del", ns], stderr=subprocess.DEVNULL)


def tcp_part(a):
    import multihost
    from dplib import Lab, snapshot_binary
    tmp = tempfile.mkdtemp(prefix="openvpc-mhb-")
    binary = snapshot_binary(tmp)
    cluster = multihost.Cluster(binary, os.path.join(tmp, "c"), hosts=(("host1", False), ("host2", True)),
                                api_servers=1)
    figures = {}
    try:
        cluster.start()
        lab = Lab(cluster)
        ec2 = lab.ec2
        vpc = lab.vpc("10.0.0.0/16")
        sub = lab.subnet(vpc, "10.0.1.0/24")
        g = lab.group(vpc, "bench", ingress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
        ec2.create_placement_group(GroupName="apart", Strategy="spread")
        ec2.create_placement_group(GroupName="together", Strategy="cluster")
        apart = [lab.launch(sub, Placement={"GroupName": "apart"}, SecurityGroupIds=[g]) for _ in range(2)]
        together_ = [lab.launch(sub, Placement={"GroupName": "together"}, SecurityGroupIds=[g], InstanceType="c5.large")
                     for _ in range(2)]
        for label, pair in (("two hosts (openvpc's VXLAN, bridged host namespaces)", apart), ("one host", together_)):
            hosts = {cluster.host_of(i["InstanceId"]) for i in pair}
            figures[f"{label} [{', '.join(sorted(hosts))}]"] = iperf(
                cluster.exec_args(pair[1]["InstanceId"]), cluster.exec_args(pair[0]["InstanceId"]),
                pair[1]["PrivateIpAddress"], a.seconds)
        lab.close()
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    figures["kernel VXLAN between two namespaces (veth underlay)"] = kernel_vxlan(a.seconds)
    base = figures["kernel VXLAN between two namespaces (veth underlay)"]
    print(f"\niperf3, 1 stream, {a.seconds:g} s, {os.cpu_count()} cores shared by everything\n")
    print("| path | Gbit/s | / kernel VXLAN |\n|---|---|---|")
    for k, v in figures.items():
        print(f"| {k} | {v:.2f} | {v / base:.2f}× |")


def convergence_part(a):
    """API write -> enforced on every host: --hosts agents, --instances instances placed on them;
    each Authorize/RevokeSecurityGroupIngress's revision (x-openvpc-revision) is waited for on every
    agent's /_openvpc/status?revision=R at once; a sample is when an agent's data plane has it,
    from the moment the API response arrived (negative: before)."""
    import concurrent.futures
    import urllib.request
    import multihost
    from dplib import snapshot_binary
    tmp = tempfile.mkdtemp(prefix="openvpc-conv-")
    binary = snapshot_binary(tmp)
    hosts = [(f"h{n:02d}", n == 0) for n in range(a.hosts)]
    cluster = multihost.Cluster(binary, os.path.join(tmp, "c"), hosts=(), api_servers=1)
    samples, worst = [], []
    try:
        cluster.start()
        status = {}
        for n, (name, gateway) in enumerate(hosts):
            port = api_bench.free_port()
            ns, address = cluster.underlay.add_host(n + 1)
            agent = multihost.Agent(binary, cluster.store, cluster.base_dir, name, address, gateway, underlay_netns=ns)
            agent.extra = ["--status-listen", f"127.0.0.1:{port}"]
            cluster.agents[name] = agent.start()
            status[name] = f"http://127.0.0.1:{port}/_openvpc/status"
        ec2 = cluster.client()
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.0.0/20")["Subnet"]["SubnetId"]
        sg = ec2.create_security_group(VpcId=vpc, GroupName="conv", Description="conv")["GroupId"]
        image = [i for i in ec2.describe_images()["Images"] if i.get("Architecture") == "x86_64"][0]["ImageId"]
        started = time.monotonic()
        left = a.instances
        while left:
            n = min(left, 50)
            ec2.run_instances(ImageId=image, MinCount=n, MaxCount=n, SubnetId=sub, SecurityGroupIds=[sg],
                              InstanceType="t3.nano")
            left -= n
        print(f"  {a.instances} instances placed on {a.hosts} hosts in {time.monotonic() - started:.1f} s",
              file=sys.stderr)
        # Measured once every host runs its instances (a namespace each), not while they start.
        import dplib
        running = lambda: sum(1 for agent in cluster.agents.values()  # noqa: E731
                              for n in dplib.namespaces_with_prefix(agent.prefix) if "-i-" in n)
        dplib.wait_for(lambda: running() >= a.instances, timeout=1800, interval=1, what="every instance running")
        print(f"  every instance running {time.monotonic() - started:.1f} s after the first RunInstances",
              file=sys.stderr)

        def wait(url, revision, t0):
            with urllib.request.urlopen(f"{url}?revision={revision}", timeout=30) as r:
                assert json.load(r)["reached"]
            return (time.monotonic() - t0) * 1000

        with concurrent.futures.ThreadPoolExecutor(len(status)) as pool:
            for k in range(a.writes):  # a rule authorized, then revoked (the group stays under its quota)
                rule = [{"IpProtocol": "udp", "FromPort": 1000 + k // 2, "ToPort": 1000 + k // 2,
                         "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}]
                write = ec2.authorize_security_group_ingress if k % 2 == 0 else ec2.revoke_security_group_ingress
                t_start = time.monotonic()
                resp = write(GroupId=sg, IpPermissions=rule)
                t0 = time.monotonic()
                revision = resp["ResponseMetadata"]["HTTPHeaders"]["x-openvpc-revision"]
                got = list(pool.map(lambda u: wait(u, revision, t0), status.values()))
                samples += got
                worst.append(max(got) + (t0 - t_start) * 1000)
    finally:
        cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    samples.sort()
    worst.sort()
    pct = lambda xs, p: xs[min(len(xs) - 1, int(p * len(xs)))]  # noqa: E731
    print(f"\n{a.hosts} hosts (agents), {a.instances} instances, {a.writes} writes, {os.cpu_count()} cores shared by "
          "etcd, the API server, the agents and their instances\n")
    print("| measure | p50 ms | p99 ms | max ms |\n|---|---|---|---|")
    print(f"| API response → a host's data plane has the write (each host, each write) | {pct(samples, .5):.2f} | "
          f"{pct(samples, .99):.2f} | {samples[-1]:.2f} |")
    print(f"| request sent → every host has it (each write) | {pct(worst, .5):.2f} | {pct(worst, .99):.2f} | "
          f"{worst[-1]:.2f} |")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--part", choices=["api", "tcp", "convergence", "all"], default="all")
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--instances", type=int, default=500)
    ap.add_argument("--writes", type=int, default=100)
    ap.add_argument("--seconds", type=float, default=3)
    ap.add_argument("--resources", type=int, default=100000)
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "openvpc"))
    a = ap.parse_args()
    if a.part in ("api", "all"):
        api_part(a)
    if a.part in ("tcp", "convergence", "all") and os.geteuid() != 0:
        sys.exit("--part tcp and convergence need root")
    if a.part in ("tcp", "all"):
        tcp_part(a)
    if a.part in ("convergence", "all"):
        convergence_part(a)


if __name__ == "__main__":
    main()
