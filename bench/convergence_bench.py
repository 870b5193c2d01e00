#!/usr/bin/env python3
"""How fast an API change reaches the data plane: figures, not a pass/fail test.

    sudo python3 bench/convergence_bench.py [--binary build/openvpc] [--samples 20]

The data plane tests (tests/dataplane) wait generously (dplib.SETTLE) for a change to act and
assert only that it does; this prints how long it takes. One server (the tests' own
DataPlaneServer, on a temporary data directory), VPC 10.0.0.0/16, instances A (10.0.1.0/24) and
B (10.0.2.0/24). Times run from the moment boto3 returns the API call:
- secondary address: AssignPrivateIpAddresses on A's eth0 until the address is on eth0 inside A's
  namespace (`ip -n NS addr`, polled every 2 ms); UnassignPrivateIpAddresses until it is gone.
- network ACL: A sends a UDP datagram to B every millisecond (B notes each arrival's time);
  CreateNetworkAclEntry deny (before the allow) on B's subnet until the last datagram that
  arrives; DeleteNetworkAclEntry until the first that arrives again.
Security group authorize/revoke convergence is in bench/dataplane_bench.py.
Prints one line per measure: samples, median, p90 and max in milliseconds. Needs root.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "dataplane"))

import dplib  # noqa: E402  (the data plane tests' helpers: the server, the Lab, exec)

PORT = 7100
RECEIVER = ("import socket, sys, time\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', int(sys.argv[1])))\n"
            "print('ready', flush=True)\n"
            "while True:\n"
            "    s.recv(64); print('%.6f' % time.time(), flush=True)\n")
SENDER = ("import socket, sys, time\n"
          "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
          "while True:\n"
          "    s.sendto(b'x', (sys.argv[1], int(sys.argv[2]))); time.sleep(0.001)\n")


def line(name, samples_ms):
    xs = sorted(samples_ms)
    if not xs:
        print(f"{name}: no samples")
        return
    p90 = xs[min(len(xs) - 1, int(round(0.9 * (len(xs) - 1))))]
    print(f"{name}: {len(xs)} samples, median {statistics.median(xs):.1f} ms, p90 {p90:.1f} ms, "
          f"max {xs[-1]:.1f} ms", flush=True)


def on_eth0(ns, ip):
    out = subprocess.run(["ip", "-n", ns, "-4", "-o", "addr", "show", "dev", "eth0"], capture_output=True,
                         text=True).stdout
    return f"inet {ip}/" in out


def until(predicate, timeout=30.0):
    """Seconds until predicate() holds (polled every 2 ms), from now; None after timeout."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if predicate():
            return time.time() - t0
        time.sleep(0.002)
    return None


def secondary_address(lab, a, n):
    eni, ns = lab.eni_of(a), lab.namespace(a["InstanceId"])
    assign, unassign = [], []
    for i in range(n):
        ip = f"10.0.1.{100 + i}"
        lab.ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=[ip])
        t = until(lambda: on_eth0(ns, ip))
        if t is not None:
            assign.append(t * 1000)
        lab.ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=[ip])
        t = until(lambda: not on_eth0(ns, ip))
        if t is not None:
            unassign.append(t * 1000)
    line("secondary address on eth0 after AssignPrivateIpAddresses", assign)
    line("secondary address gone after UnassignPrivateIpAddresses", unassign)


def arrivals(bg, since):
    return [float(x) for x in bg.lines[since:] if x[:1].isdigit()]


def network_acl(lab, acl, b, a, n):
    server = dplib.Background(lab.server, b["InstanceId"], [dplib.GUEST_PYTHON, "-c", RECEIVER, str(PORT)],
                              ready="ready")
    sender = dplib.Background(lab.server, a["InstanceId"],
                              [dplib.GUEST_PYTHON, "-c", SENDER, b["PrivateIpAddress"], str(PORT)])
    lab.background += [server, sender]
    dplib.wait_for(lambda: arrivals(server, 0), timeout=30, what="datagrams arrive before the ACL changes")
    deny, allow = [], []
    entry = dplib.acl_entry(acl, 50, "deny", protocol="17", ports=(PORT, PORT))
    for _ in range(n):
        mark = server.mark()
        lab.ec2.create_network_acl_entry(**entry)
        t0 = time.time()
        time.sleep(1.0)  # the last arrival after t0 is the last one the old rules let through
        after = [t for t in arrivals(server, mark) if t >= t0]
        deny.append(((after[-1] - t0) if after else 0.0) * 1000)
        mark = server.mark()
        lab.ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Egress=False)
        t0 = time.time()
        if dplib.wait_for(lambda: [t for t in arrivals(server, mark) if t >= t0], timeout=30, interval=0.002,
                          what="datagrams arrive again"):
            allow.append((min(t for t in arrivals(server, mark) if t >= t0) - t0) * 1000)
    sender.stop()
    server.stop()
    line("network ACL deny: last datagram through after CreateNetworkAclEntry", deny)
    line("network ACL allow: first datagram through after DeleteNetworkAclEntry", allow)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--binary", default=dplib.BINARY)
    ap.add_argument("--samples", type=int, default=20)
    args = ap.parse_args()
    reason = dplib.missing_prerequisite()
    if reason:
        sys.exit(reason)
    tmp = tempfile.mkdtemp(prefix="openvpc-conv-bench-")
    server = None
    lab = None
    try:
        shutil.copy2(args.binary, os.path.join(tmp, "openvpc"))
        server = dplib.DataPlaneServer(os.path.join(tmp, "openvpc"), os.path.join(tmp, "data")).start()
        lab = dplib.Lab(server)
        vpc = lab.vpc("10.0.0.0/16")
        sub_a, sub_b = lab.subnet(vpc, "10.0.1.0/24"), lab.subnet(vpc, "10.0.2.0/24")
        sg = lab.group(vpc, "bench", ingress=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
        acl = lab.ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
        for egress in (False, True):
            lab.ec2.create_network_acl_entry(**dplib.acl_entry(acl, 100, "allow", egress=egress))
        dplib.associate_acl(lab, sub_b, acl)
        a = lab.launch(sub_a, SecurityGroupIds=[sg], timeout=60)
        b = lab.launch(sub_b, SecurityGroupIds=[sg], timeout=60)
        secondary_address(lab, a, args.samples)
        network_acl(lab, acl, b, a, args.samples)
    finally:
        if lab:
            lab.close()
        problems = server.finish() if server else []
        shutil.rmtree(tmp, ignore_errors=True)
        for p in problems:
            print("cleanup:", p, file=sys.stderr)


if __name__ == "__main__":
    main()
