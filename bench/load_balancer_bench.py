#!/usr/bin/env python3
"""Benchmark of issue 13 (Network Load Balancers): figures, not a pass/fail test.

    sudo python3 bench/load_balancer_bench.py [--binary build/openvpc] [--seconds 5] [--targets 1000]

Prints a Markdown table (| measure | openvpc | nftables DNAT | HAProxy | ratios |) and writes the raw
figures as JSON to --json. Needs root, iperf3, nft and haproxy.

- openvpc: VPC 10.0.0.0/16, subnet 10.0.1.0/24; instances A (client), T1 and T2 (targets);
  an internal NLB in the subnet with a TCP listener on 5201 forwarding to T1 alone (throughput:
  iperf3 opens several connections, which must reach one iperf3 server) and one on 5300
  forwarding to T1 and T2 (new connections). Instance targets: the client's address is kept.
  The same traffic A -> T1 without the load balancer is the openvpc reference.
- Kernel baselines: namespaces client -- router -- t1, t2 (veth pairs, MTU 9001 like the
  instances'); the router forwards (ip_forward) and holds both load balancers:
  nftables DNAT in its prerouting hook (10.98.0.1:5201 -> t1; 10.98.0.1:5300 -> jhash of the
  client's address and port mod 2 over t1 and t2, a flow hash like the NLB's: the kernel's own
  load balancing path; `numgen inc` refuses most connections of this load), and HAProxy 2.6 in TCP mode (10.98.0.1:6201
  -> t1, :6300 -> t1 and t2 round robin: a user-space proxy, two threads). The routed path
  client -> t1 without either is the kernel reference.
- TCP throughput: iperf3 -t SECONDS, one stream; the receiver's Gbit/s. The load balancer is
  dualstack: the same client over IPv6 to the node's IPv6 address reaches T1 (an IPv4 target group)
  translated to IPv4 (wire/translate.h, in place), both ways (iperf3 -R: T1 sends), and to an IPv6
  target group (T1's IPv6 address, port 5202) as IPv6; all against the IPv4 figure through the load
  balancer.
- New connections per second: bench/dataplane_probe.py flows-client, 64 in flight, each from a
  source port not used before, handshake counted, closed with RST; flows-server on both targets.
  The instances' group allows all traffic from and to 0.0.0.0/0, so their connections are not
  tracked (CT-3): tracked, this many would exceed an interface's allowance (32,768, counted as
  conntrack_allowance_exceeded, as on AWS).
- Health check cost: --targets targets (T1 on ports 20000.. with a listener each group; TCP checks
  every 5 s, so targets/5 checks a second, each a real connection from the node's namespace through
  the engine, answered by T1's kernel with a reset); CPU of the openvpc process (user + system,
  all threads) over SECONDS*3 with the checks running, against the same time without them.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import dataplane_bench as db  # noqa: E402  (its Cleanup, Side, Proc, server start and helpers)

import boto3  # noqa: E402

PROBE = os.path.join(HERE, "dataplane_probe.py")
SYS_PY = "/usr/bin/python3"
IMAGE = "ami-0abcdef1234567890"


def iperf(client, server, ip, port, seconds, server_port=None, reverse=False):
    srv = server.start("iperf3", "-s", "-p", server_port or port)
    try:
        db.wait_listening(server, "tcp", server_port or port)
        r = client.run("iperf3", "-c", ip, "-p", port, "-t", max(1, round(seconds)), "-J", *(["-R"] if reverse else []),
                       timeout=seconds + 60, check=False)
        d = json.loads(r.stdout)
        if "error" in d:
            raise RuntimeError(f"iperf3 {client.name} -> {ip}:{port}: {d['error']}")
        return d["end"]["sum_received"]["bits_per_second"] / 1e9
    finally:
        srv.stop()


def flows(client, servers, ip, port, seconds, server_port=None):
    procs = [s.start(SYS_PY, PROBE, "flows-server", server_port or port, 1) for s in servers]
    try:
        for p in procs:
            if not p.expect(lambda w: w[0] == "ready", 15):
                raise RuntimeError(f"{p.name}: not ready")
        r = client.run(SYS_PY, PROBE, "flows-client", ip, port, 1, seconds, 64, timeout=seconds + 60)
        d = json.loads(r.stdout.strip().splitlines()[-1])
        if not d["ok"]:
            db.log(f"no connection {client.name} -> {ip}:{port}: {d}")
        return d["ok"] / d["seconds"]
    finally:
        for p in procs:
            p.stop()


class Kernel:
    """client -- router -- t1, t2: the kernel's baselines (nftables DNAT and HAProxy on the router)."""

    def __init__(self):
        tag = str(os.getpid())
        self.ns = {k: f"ovbench-{tag}-lb-{k}" for k in ("client", "router", "t1", "t2")}
        self.haproxy = None

        def run(*args, stdin=None):
            r = subprocess.run(list(args), capture_output=True, text=True, input=stdin)
            if r.returncode:
                raise RuntimeError(f"{' '.join(args)}: {(r.stderr or r.stdout).strip()}")
            return r

        for n in self.ns.values():
            run("ip", "netns", "add", n)
            db.CLEANUP.namespaces.append(n)
        links = (("client", "10.98.0.2/24", "10.98.0.1/24"), ("t1", "10.98.1.2/24", "10.98.1.1/24"),
                 ("t2", "10.98.2.2/24", "10.98.2.1/24"))
        for i, (side, addr, router_addr) in enumerate(links):
            dev, peer = f"ovl{tag}{i}"[:15], f"ovl{tag}r{i}"[:15]
            run("ip", "link", "add", dev, "netns", self.ns[side], "type", "veth", "peer", "name", peer, "netns",
                self.ns["router"])
            run("ip", "-n", self.ns[side], "link", "set", "lo", "up")
            run("ip", "-n", self.ns[side], "link", "set", dev, "mtu", "9001", "up")
            run("ip", "-n", self.ns[side], "addr", "add", addr, "dev", dev)
            run("ip", "-n", self.ns[side], "route", "add", "default", "via", router_addr.split("/")[0])
            run("ip", "-n", self.ns["router"], "link", "set", peer, "mtu", "9001", "up")
            run("ip", "-n", self.ns["router"], "addr", "add", router_addr, "dev", peer)
        run("ip", "-n", self.ns["router"], "link", "set", "lo", "up")
        run("ip", "netns", "exec", self.ns["router"], "sysctl", "-qw", "net.ipv4.ip_forward=1")
        run("ip", "netns", "exec", self.ns["router"], "nft", "-f", "-", stdin=(
            "table ip lb {\n"
            "  chain prerouting {\n"
            "    type nat hook prerouting priority dstnat; policy accept;\n"
            "    ip daddr 10.98.0.1 tcp dport 5201 dnat to 10.98.1.2\n"
            "    ip daddr 10.98.0.1 tcp dport 5300 dnat to jhash ip saddr . tcp sport mod 2 map { 0 : 10.98.1.2, 1 : 10.98.2.2 }\n"
            "  }\n"
            "}\n"))
        self.conf = os.path.join(db.CLEANUP.tmpdir, "haproxy.cfg")
        with open(self.conf, "w") as f:
            f.write("global\n  nbthread 2\n  maxconn 8000\n"
                    "defaults\n  mode tcp\n  timeout connect 5s\n  timeout client 60s\n  timeout server 60s\n"
                    "listen thr\n  bind 10.98.0.1:6201\n  server t1 10.98.1.2:5201\n"
                    "listen flows\n  bind 10.98.0.1:6300\n  balance roundrobin\n"
                    "  server t1 10.98.1.2:5300\n  server t2 10.98.2.2:5300\n")
        self.haproxy = subprocess.Popen(["ip", "netns", "exec", self.ns["router"], "haproxy", "-db", "-f", self.conf],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        db.CLEANUP.children.append(self.haproxy)
        ex = lambda n: ["ip", "netns", "exec", self.ns[n]]
        self.router = db.Side("kernel router", "10.98.0.1", ex("router"), "")
        db.wait_listening(self.router, "tcp", 6201)
        self.client = db.Side("kernel client", "10.98.0.2", ex("client"), "")
        self.t1 = db.Side("kernel t1", "10.98.1.2", ex("t1"), "")
        self.t2 = db.Side("kernel t2", "10.98.2.2", ex("t2"), "")
        for _ in range(100):
            if self.client.run("ping", "-c", "1", "-W", "1", "10.98.1.2", check=False).returncode == 0:
                break
            time.sleep(0.05)


def wait_address6(binary, data_dir, iid, ip, timeout=60):
    """Until IID's eth0 has IP (its DHCPv6 lease), as db.wait_address does for IPv4."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = subprocess.run([binary, "exec", "--data-dir", data_dir, iid, "--", "ip", "-6", "-o", "addr", "show", "eth0"],
                           capture_output=True, text=True, timeout=30)
        if r.returncode == 0 and f" {ip}/" in r.stdout:
            return
        time.sleep(0.1)
    raise RuntimeError(f"{iid} did not get {ip} on eth0 within {timeout} s")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=os.path.join(ROOT, "build", "openvpc"))
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--targets", type=int, default=1000)
    ap.add_argument("--json", default="/tmp/openvpc-lb-bench.json")
    a = ap.parse_args()
    for tool in ("iperf3", "nft", "haproxy"):
        if not shutil.which(tool):
            sys.exit(f"needs {tool}")
    tmp = tempfile.mkdtemp(prefix="openvpc-lb-bench-")
    db.CLEANUP.tmpdir = tmp
    binary = os.path.join(tmp, "openvpc")
    shutil.copy2(a.binary, binary)
    data_dir, endpoint = db.start_server(binary, tmp, ["--quota", "targets-per-target-group=100000"])
    kw = dict(region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id="test", aws_secret_access_key="test")
    ec2, elb = boto3.client("ec2", **kw), boto3.client("elbv2", **kw)

    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", Ipv6CidrBlock=block.replace("/56", "/64"),
                               AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(VpcId=vpc, GroupName="bench", Description="bench")["GroupId"]
    # All traffic from and to 0.0.0.0/0: untracked (CT-3), so that tens of thousands of connections
    # a second do not run into an interface's allowance of tracked connections (32,768).
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}], "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    insts = [ec2.run_instances(ImageId=IMAGE, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet,
                               SecurityGroupIds=[sg], Ipv6AddressCount=1)["Instances"][0] for _ in range(3)]
    for i in insts:
        db.wait_address(binary, data_dir, i["InstanceId"], i["PrivateIpAddress"])
    for i in insts[:2]:  # the client's and T1's IPv6 addresses, by DHCPv6
        wait_address6(binary, data_dir, i["InstanceId"], i["NetworkInterfaces"][0]["Ipv6Addresses"][0]["Ipv6Address"])
    for n in db.list_netns():
        if n.endswith("-" + insts[0]["InstanceId"]):
            db.CLEANUP.instance_ns_prefix = n[: -len(insts[0]["InstanceId"])]
    side = lambda i, name: db.Side(f"openvpc {name}", i["PrivateIpAddress"],
                                   [binary, "exec", "--data-dir", data_dir, i["InstanceId"], "--"], "eth0")
    A, T1, T2 = side(insts[0], "A"), side(insts[1], "T1"), side(insts[2], "T2")
    lb = elb.create_load_balancer(Name="bench", Type="network", Scheme="internal", IpAddressType="dualstack",
                                  Subnets=[subnet])["LoadBalancers"][0]
    node = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["PrivateIPv4Address"]
    node6 = lb["AvailabilityZones"][0]["LoadBalancerAddresses"][0]["IPv6Address"]
    fast = dict(HealthCheckIntervalSeconds=5, HealthCheckTimeoutSeconds=2, HealthyThresholdCount=2,
                UnhealthyThresholdCount=2)
    groups = {}
    for name, port, targets in (("thr", 5201, [insts[1]]), ("flows", 5300, insts[1:])):
        tg = elb.create_target_group(Name=name, Protocol="TCP", Port=port, VpcId=vpc, **fast)["TargetGroups"][0]
        groups[name] = tg["TargetGroupArn"]
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[{"Id": t["InstanceId"]} for t in targets])
        elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=port,
                            DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    tg6 = elb.create_target_group(Name="thr6", Protocol="TCP", Port=5201, VpcId=vpc, TargetType="ip",
                                  IpAddressType="ipv6", **fast)["TargetGroups"][0]["TargetGroupArn"]
    elb.register_targets(TargetGroupArn=tg6, Targets=[{"Id": insts[1]["NetworkInterfaces"][0]["Ipv6Addresses"][0][
        "Ipv6Address"]}])
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=5202,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg6}])
    k = Kernel()
    s = a.seconds
    r = {}
    db.log("throughput")
    r["tcp_reference_openvpc"] = iperf(A, T1, T1.ip, 5201, s)
    r["tcp_nlb"] = iperf(A, T1, node, 5201, s)
    r["tcp_nlb_ipv6_to_ipv4"] = iperf(A, T1, node6, 5201, s)
    r["tcp_nlb_ipv6_to_ipv4_reverse"] = iperf(A, T1, node6, 5201, s, reverse=True)
    r["tcp_nlb_ipv6"] = iperf(A, T1, node6, 5202, s, server_port=5201)
    r["tcp_reference_kernel"] = iperf(k.client, k.t1, "10.98.1.2", 5201, s)
    r["tcp_nft"] = iperf(k.client, k.t1, "10.98.0.1", 5201, s)
    r["tcp_haproxy"] = iperf(k.client, k.t1, "10.98.0.1", 6201, s, server_port=5201)
    db.log("new connections")
    # The load balancers first: the router's conntrack still holds the direct run's connections
    # (closed by RST, kept 10 s) and a DNAT to the same 5-tuple would clash with them.
    r["flows_nlb"] = flows(A, [T1, T2], node, 5300, s)
    time.sleep(11)  # the load balancer forgets closed connections 10 s after their last packet
    r["flows_reference_openvpc"] = flows(A, [T1], T1.ip, 5300, s)
    r["flows_nft"] = flows(k.client, [k.t1, k.t2], "10.98.0.1", 5300, s)
    r["flows_haproxy"] = flows(k.client, [k.t1, k.t2], "10.98.0.1", 6300, s, server_port=5300)
    time.sleep(11)  # the router's conntrack forgets the DNAT's closed connections after 10 s
    r["flows_reference_kernel"] = flows(k.client, [k.t1], "10.98.1.2", 5300, s)

    db.log(f"health checks of {a.targets} targets")
    pid = db.CLEANUP.server.pid
    window = 3 * s
    c0 = cpu_seconds(pid)
    time.sleep(window)
    idle = (cpu_seconds(pid) - c0) / window
    tg = elb.create_target_group(Name="hc", Protocol="TCP", Port=20000, VpcId=vpc, **fast)["TargetGroups"][0]
    elb.create_listener(LoadBalancerArn=lb["LoadBalancerArn"], Protocol="TCP", Port=6000,
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": tg["TargetGroupArn"]}])
    for start in range(0, a.targets, 100):
        elb.register_targets(TargetGroupArn=tg["TargetGroupArn"], Targets=[
            {"Id": insts[1]["InstanceId"], "Port": 20000 + i} for i in range(start, min(a.targets, start + 100))])
    time.sleep(6)  # every target checked once
    c0 = cpu_seconds(pid)
    time.sleep(window)
    busy = (cpu_seconds(pid) - c0) / window
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    checked = sum(1 for h in health if h["TargetHealth"]["State"] != "initial" or
                  h["TargetHealth"].get("Reason") == "Elb.InitialHealthChecking")
    r["hc_targets"] = a.targets
    r["hc_targets_checked"] = checked
    r["hc_cpu_idle"] = idle
    r["hc_cpu_checking"] = busy
    r["hc_checks_per_s"] = a.targets / 5
    r["hc_cpu_us_per_check"] = (busy - idle) / (a.targets / 5) * 1e6

    with open(a.json, "w") as f:
        json.dump(r, f, indent=2)
    print(f"| measure | openvpc NLB | openvpc direct | nftables DNAT | HAProxy | kernel direct | NLB / nft | NLB / HAProxy |")
    print("|---|---|---|---|---|---|---|---|")
    print(f"| TCP, 1 stream (Gbit/s) | {r['tcp_nlb']:.2f} | {r['tcp_reference_openvpc']:.2f} | {r['tcp_nft']:.2f} | "
          f"{r['tcp_haproxy']:.2f} | {r['tcp_reference_kernel']:.2f} | {r['tcp_nlb'] / r['tcp_nft']:.2f} | "
          f"{r['tcp_nlb'] / r['tcp_haproxy']:.2f} |")
    print(f"| new connections/s (2 targets) | {r['flows_nlb']:.0f} | {r['flows_reference_openvpc']:.0f} | "
          f"{r['flows_nft']:.0f} | {r['flows_haproxy']:.0f} | {r['flows_reference_kernel']:.0f} | "
          f"{r['flows_nlb'] / r['flows_nft']:.2f} | {r['flows_nlb'] / r['flows_haproxy']:.2f} |")
    print(f"\ndualstack: an IPv6 client through the load balancer to the IPv4 target (translated) "
          f"{r['tcp_nlb_ipv6_to_ipv4']:.2f} Gbit/s ({r['tcp_nlb_ipv6_to_ipv4'] / r['tcp_nlb']:.2f} of IPv4's "
          f"{r['tcp_nlb']:.2f}), {r['tcp_nlb_ipv6_to_ipv4_reverse']:.2f} Gbit/s the other way (iperf3 -R: the "
          f"IPv4 target sends, its packets grow into IPv6); to an IPv6 target group {r['tcp_nlb_ipv6']:.2f} Gbit/s "
          f"({r['tcp_nlb_ipv6'] / r['tcp_nlb']:.2f})")
    print(f"\nhealth checks: {a.targets} targets every 5 s ({r['hc_checks_per_s']:.0f} checks/s; {checked} checked): "
          f"openvpc CPU {busy * 100:.1f}% against {idle * 100:.1f}% without them, "
          f"{r['hc_cpu_us_per_check']:.0f} us of CPU per check")


if __name__ == "__main__":
    try:
        main()
    finally:
        db.CLEANUP.run()
