"""Helpers of the data-plane tests (tests/dataplane): the server, processes inside instances, the Lab.

A module of its own (not conftest) so that test modules import it by a name no other test directory uses.
"""
import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
BINARY = os.environ.get("OPENVPC_BINARY", os.path.join(ROOT, "build", "openvpc"))
PROBE = os.path.join(HERE, "probe.py")
# The interpreter that runs probe.py inside instances: the system one (the instance sees the host's files).
GUEST_PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

ACCOUNTS = {
    "default": ("test", "test", "123456789012"),
    "other": ("AKIDOTHER", "othersecret", "210987654321"),
}
NETNS_DIR = "/run/netns"

# --------------------------------------------------------------------------------------------------
# Preconditions: skip the directory, with the reason, where the data plane cannot run.


def missing_prerequisite(tools=()):
    """Why the data-plane tests cannot run here, or None; tools: more commands a module needs on PATH."""
    if os.geteuid() != 0:
        return "data-plane tests need root (instances are network namespaces with TAP devices)"
    for tool in ("ip", "busybox", *tools):
        if shutil.which(tool) is None:
            return f"data-plane tests need `{tool}` on PATH"
    if not os.access("/dev/net/tun", os.R_OK | os.W_OK):
        return "data-plane tests need /dev/net/tun"
    if not os.path.exists(GUEST_PYTHON):
        return "data-plane tests need a python3 for the probes inside instances"
    return None


# --------------------------------------------------------------------------------------------------
# Small utilities.


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# How long a test waits for a change made through the API (a rule, a route, an address) to reach the
# data plane. Generous on purpose: the tests check what happens, not how fast; bench/convergence_bench.py
# measures how fast, and prints the figures.
SETTLE = 30.0


def wait_for(predicate, timeout=5.0, interval=0.05, what="condition"):
    """Poll predicate() until it returns a truthy value, and return that value; fail after timeout s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not reached within {timeout:.1f} s (last value {value!r})")
        time.sleep(interval)


def namespaces_with_prefix(prefix):
    try:
        return sorted(n for n in os.listdir(NETNS_DIR) if n.startswith(prefix))
    except FileNotFoundError:
        return []


def namespace_exists(name):
    return os.path.exists(os.path.join(NETNS_DIR, name))


def force_remove_namespaces(names):
    """Last resort after a failure: kill what runs inside, delete the namespace and its /etc/netns dir."""
    for name in names:
        pids = subprocess.run(["ip", "netns", "pids", name], capture_output=True, text=True).stdout.split()
        for pid in pids:
            try:
                os.kill(int(pid), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
        subprocess.run(["ip", "netns", "del", name], capture_output=True)
        shutil.rmtree(os.path.join("/etc/netns", name), ignore_errors=True)


def leftovers(prefix):
    """Namespaces and /etc/netns directories that still carry this server's prefix."""
    names = set(namespaces_with_prefix(prefix))
    try:
        names |= {n for n in os.listdir("/etc/netns") if n.startswith(prefix)}
    except FileNotFoundError:
        pass
    return sorted(names)


def trace(lab, source, to, *extra):
    """`openvpc trace --json` over the server's data dir: the parsed result (exit status 0 allowed, 1 dropped)."""
    p = subprocess.run([lab.server.binary, "trace", *lab.server.state_args(), "--from", source,
                        "--to", to, "--json", *extra], capture_output=True, text=True, timeout=30)
    assert p.returncode in (0, 1), (p.returncode, p.stdout, p.stderr)
    result = json.loads(p.stdout)
    assert result["allowed"] is (p.returncode == 0), result
    return result


def acl_entry(acl, number, action, egress=False, cidr="0.0.0.0/0", protocol="-1", ports=None):
    """CreateNetworkAclEntry's arguments (PORTS: (from, to) for tcp/udp)."""
    kw = dict(NetworkAclId=acl, RuleNumber=number, Protocol=protocol, RuleAction=action, Egress=egress,
              CidrBlock=cidr)
    if ports:
        kw["PortRange"] = {"From": ports[0], "To": ports[1]}
    return kw


def default_acl(lab, vpc):
    """The id of the VPC's default network ACL."""
    return lab.ec2.describe_network_acls(Filters=[
        {"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}])["NetworkAcls"][0]["NetworkAclId"]


def associate_acl(lab, subnet, acl):
    """ReplaceNetworkAclAssociation of the subnet's current association (N6)."""
    acls = lab.ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet]}])["NetworkAcls"]
    assoc = [x for x in acls[0]["Associations"] if x["SubnetId"] == subnet][0]["NetworkAclAssociationId"]
    lab.ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)


def stages(result, name):
    """The stages of a trace result with this name."""
    return [s for s in result["stages"] if s["name"] == name]


def lines(bg, since, word):
    """The lines a Background printed since mark SINCE that start with WORD, split in words."""
    return [line.split() for line in bg.lines[since:] if line.startswith(word + " ")]


def aws_cli(lab, instance, *args, timeout=40, read_timeout=20, env=()):
    """The AWS CLI inside INSTANCE with the default account's keys, us-east-1 and no endpoint URL
    (its services by their own names): (rc, stdout, stderr). ENV adds NAME=VALUE settings."""
    ak, sk, _ = ACCOUNTS["default"]
    cmd = ["env", f"AWS_ACCESS_KEY_ID={ak}", f"AWS_SECRET_ACCESS_KEY={sk}", "AWS_DEFAULT_REGION=us-east-1",
           "AWS_EC2_METADATA_DISABLED=true", "AWS_MAX_ATTEMPTS=1", "AWS_RETRY_MODE=standard", *env, "aws",
           "--cli-connect-timeout", "3", "--cli-read-timeout", str(read_timeout), *args]
    return lab.sh(instance, cmd, timeout=timeout)


def make_client(endpoint, account="default", region="us-east-1"):
    import boto3  # here, so that a machine that skips this directory needs no boto3 to say so
    import botocore.config

    ak, sk, _ = ACCOUNTS[account]
    return boto3.client(
        "ec2", region_name=region, endpoint_url=endpoint,
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


def kill_group(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pass


# --------------------------------------------------------------------------------------------------
# The server.


class DataPlaneServer:
    """`openvpc serve` with the data plane on; start/stop/kill9 keep the data directory."""

    UP = re.compile(r"data plane up: instances are namespaces (openvpc-[0-9a-f]{6}-)<instance-id>")

    def __init__(self, binary, data_dir):
        self.binary = binary
        self.data_dir = os.path.abspath(data_dir)
        os.makedirs(self.data_dir, exist_ok=True)
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.creds = os.path.join(self.data_dir, "test-credentials")
        with open(self.creds, "w") as f:
            for ak, sk, acct in ACCOUNTS.values():
                f.write(f"{ak} {sk} {acct}\n")
        self.log_path = os.path.join(self.data_dir, "server.log")
        self.proc = None
        self.prefix = None

    def log_text(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def start(self, timeout=30.0):
        args = [self.binary, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
                "--credentials", self.creds, "--quota", "vpcs-per-region=20"]
        log_start = len(self.log_text())
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"openvpc exited with {self.proc.returncode}:\n{self.log_text()[log_start:]}")
            m = self.UP.search(self.log_text()[log_start:])
            if m:
                try:
                    with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                        self.prefix = m.group(1)
                        return self
                except OSError:
                    pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"openvpc did not come up in {timeout} s:\n{self.log_text()[log_start:]}")

    def stop(self, timeout=20.0):
        """SIGTERM and wait: the server removes every namespace it made."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError(f"openvpc did not exit within {timeout} s of SIGTERM")
        self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def client(self, account="default"):
        return make_client(self.endpoint, account)

    def state_args(self):
        """Where `openvpc trace` reads this server's state."""
        return ["--data-dir", self.data_dir]

    def instance_dir(self, instance_id):
        """The directory of the instance's files on its host (DHCPv6 leases, console output)."""
        return os.path.join(self.data_dir, "instances", instance_id)

    def reset(self):
        req = urllib.request.Request(self.endpoint + "/_openvpc/reset", data=b"", method="POST")
        urllib.request.urlopen(req, timeout=10).read()

    def namespace(self, instance_id):
        return self.prefix + instance_id

    def instance_namespaces(self):
        """The namespaces of instances: the server's own (services, internet) are not counted."""
        own = {self.prefix + "services", self.prefix + "internet"}
        return [n for n in namespaces_with_prefix(self.prefix) if n not in own]

    def exec_args(self, instance_id, *cmd):
        return [self.binary, "exec", "--data-dir", self.data_dir, instance_id, "--", *cmd]

    def sh(self, instance_id, cmd, timeout=10.0):
        """Run cmd (a shell string, or an argv list) inside the instance; return (rc, stdout, stderr).

        rc is openvpc exec's status: the command's own, 125 when the instance has no namespace here,
        124 when the command was killed after timeout seconds.
        """
        argv = ["sh", "-c", cmd] if isinstance(cmd, str) else list(cmd)
        p = subprocess.Popen(self.exec_args(instance_id, *argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, text=True, start_new_session=True)
        try:
            out, err = p.communicate(timeout=timeout)
            return p.returncode, out, err
        except subprocess.TimeoutExpired:
            kill_group(p)
            out, err = p.communicate()
            return 124, out, err

    def finish(self):
        """Stop, then check (and enforce) that nothing with this server's prefix is left."""
        problems = []
        try:
            self.stop()
        except AssertionError as e:
            problems.append(str(e))
        if self.prefix:
            left = wait_for_gone(self.prefix, timeout=3)
            if left:
                force_remove_namespaces(left)
                problems.append(f"namespaces left after SIGTERM: {left}")
        return problems


def wait_for_gone(prefix, timeout):
    deadline = time.monotonic() + timeout
    while True:
        left = leftovers(prefix)
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


def snapshot_binary(directory):
    """A private copy of build/openvpc, so that a rebuild during the session cannot pull the binary
    from under the server or `openvpc exec` (it may be missing or half-written for a moment)."""
    def stable_size():
        try:
            if not os.access(BINARY, os.X_OK):
                return None
            size = os.path.getsize(BINARY)
            time.sleep(0.3)
            return size if size == os.path.getsize(BINARY) and os.access(BINARY, os.X_OK) else None
        except OSError:
            return None

    for _ in range(5):
        wait_for(stable_size, timeout=300, interval=0.5, what=f"{BINARY} present and complete")
        copy = os.path.join(directory, "openvpc")
        try:
            shutil.copy2(BINARY, copy)
            if subprocess.run([copy, "--help"], capture_output=True, timeout=20).returncode == 0:
                return copy
        except (OSError, subprocess.SubprocessError):
            pass
        time.sleep(1)
    raise RuntimeError(f"could not take a working copy of {BINARY}")


# --------------------------------------------------------------------------------------------------
# Background processes inside instances.


class Background:
    """A process inside an instance whose stdout lines are collected as they come."""

    def __init__(self, server, instance_id, argv, ready=None, stdin=False):
        self.argv = argv
        self.proc = subprocess.Popen(server.exec_args(instance_id, *argv), stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                     text=True, bufsize=1, start_new_session=True)
        self.lines = []
        self.queue = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if ready:
            line = self.next_line(timeout=10)
            if line != ready:
                self.stop()
                raise AssertionError(f"{argv} in {instance_id} did not print {ready!r}: {line!r} {self.lines}")

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            self.queue.put(line)
        self.queue.put(None)

    def next_line(self, timeout):
        try:
            return self.queue.get(timeout=timeout)
        except queue.Empty:
            return None

    def mark(self):
        """A position in the output: wait_line(..., since=mark) looks only at lines after it."""
        return len(self.lines)

    def wait_line(self, predicate, timeout, since=0):
        """The first line collected (after position since) so far or within timeout s that satisfies
        predicate, else None."""
        deadline = time.monotonic() + timeout
        while True:
            for line in list(self.lines[since:]):
                if predicate(line):
                    return line
            if time.monotonic() > deadline:
                return None
            time.sleep(0.02)

    def stop(self):
        kill_group(self.proc)


class Session(Background):
    """probe.py session: one long-lived TCP connection (or one UDP 5-tuple), one echo exchange per exchange()."""

    def __init__(self, server, instance_id, host, port, timeout, udp=False):
        self.timeout = timeout
        argv = [GUEST_PYTHON, PROBE, "session", host, str(port), "--timeout", str(timeout)] + (["--udp"] if udp else [])
        super().__init__(server, instance_id, argv, stdin=True)
        self.status = self.next_line(timeout=timeout + 10)

    @property
    def connected(self):
        return self.status == "connected"

    def exchange(self, word):
        """Send one line; 'ok' when echoed within the timeout, else 'timeout' or 'error'."""
        self.proc.stdin.write(word + "\n")
        self.proc.stdin.flush()
        line = self.next_line(timeout=self.timeout + 5)
        assert line is not None and line.split()[1:2] == [word], (word, line, self.lines)
        return line.split()[0]


# --------------------------------------------------------------------------------------------------
# The per-module lab.


# A TCP echo server that reads the PROXY protocol v2 header (HAProxy's specification) in front of
# each connection, as Network Load Balancers send it: run in an instance as
# [GUEST_PYTHON, "-c", PROXY_V2_SERVER, PORT] (Lab.serve_proxy_v2). One dual-stack socket. Prints
# "ready", then per connection "proxy FAMILY SRC SPORT DST DPORT VPCE PEER" (FAMILY 0x11 for AF_INET,
# 0x21 for AF_INET6; VPCE the value of AWS's TLV 0xEA subtype 0x01, or "-"; PEER the TCP
# connection's own source) or "noproxy PEER" without a header, and echoes what follows the header.
PROXY_V2_SERVER = r'''
import socket, struct, sys, threading
s = socket.socket(socket.AF_INET6); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
s.bind(("::", int(sys.argv[1]))); s.listen(16)
print("ready", flush=True)
def plain(a):
    return a[7:] if a.startswith("::ffff:") else a
def echo(c, rest):
    while True:
        if rest:
            c.sendall(rest)
        rest = c.recv(65536)
        if not rest:
            break
    c.close()
def handle(c, peer):
    sig, buf = b"\r\n\r\n\x00\r\nQUIT\n", b""
    while len(buf) < 16 and buf[:12] == sig[:len(buf[:12])]:
        d = c.recv(65536)
        if not d:
            return c.close()
        buf += d
    if buf[:12] != sig:
        print("noproxy", plain(peer[0]), flush=True)
        return echo(c, buf)
    length = struct.unpack("!H", buf[14:16])[0]
    while len(buf) < 16 + length:
        buf += c.recv(65536)
    if buf[13] == 0x21:
        src, dst, sport, dport = struct.unpack("!16s16sHH", buf[16:52]); fam, tlvs = socket.AF_INET6, buf[52:16 + length]
    else:
        src, dst, sport, dport = struct.unpack("!4s4sHH", buf[16:28]); fam, tlvs = socket.AF_INET, buf[28:16 + length]
    i, vpce = 0, "-"
    while i + 3 <= len(tlvs):
        kind, n = tlvs[i], struct.unpack("!H", tlvs[i + 1:i + 3])[0]
        if kind == 0xEA and tlvs[i + 3] == 0x01:
            vpce = tlvs[i + 4:i + 3 + n].decode()
        i += 3 + n
    print("proxy", hex(buf[13]), socket.inet_ntop(fam, src), sport, socket.inet_ntop(fam, dst), dport, vpce,
          plain(peer[0]), flush=True)
    echo(c, buf[16 + length:])
while True:
    c, peer = s.accept()
    threading.Thread(target=handle, args=(c, peer), daemon=True).start()
'''


# A Gateway Load Balancer's appliance (run in an instance as [GUEST_PYTHON, "-c", GENEVE_APPLIANCE]):
# prints "ready", then "geneve PEER LENGTH PROTOCOL_TYPE" for every datagram to its port 6081 (Geneve,
# RFC 8926: 0x800 an IPv4 packet inside, 0x86dd IPv6) and sends it back to where it came from, as
# it came (the flow cookie with it).
GENEVE_APPLIANCE = r'''
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 6081))
print("ready", flush=True)
while True:
    data, peer = s.recvfrom(65535)
    print("geneve", peer[0], len(data), hex(data[2] << 8 | data[3]), flush=True)
    s.sendto(data, (peer[0], 6081))
'''


def canon(address):
    """An IP address in its canonical text (RFC 5952 for IPv6)."""
    import ipaddress
    return str(ipaddress.ip_address(address))


def ipv6_of(inst):
    """The one IPv6 address of an instance as RunInstances described it, canonical."""
    addrs = [x["Ipv6Address"] for n in inst["NetworkInterfaces"] for x in n.get("Ipv6Addresses", [])]
    assert len(addrs) == 1, inst["NetworkInterfaces"]
    return canon(addrs[0])


def amazon_64s(ec2, vpc):
    """The /64s of VPC's Amazon-provided /56, once it is associated."""
    import ipaddress

    def block():
        desc = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]
        return [a["Ipv6CidrBlock"] for a in desc.get("Ipv6CidrBlockAssociationSet", [])
                if a["Ipv6CidrBlockState"]["State"] == "associated"]
    return list(ipaddress.ip_network(wait_for(block, timeout=5, what=f"the /56 of {vpc}")[0]).subnets(new_prefix=64))


class Lab:
    """The shared server, reset for one test module, with helpers that launch instances and send traffic."""

    def __init__(self, server):
        self.server = server
        self.ec2 = server.client()
        self.ec2_other = server.client("other")
        self.background = []
        self._image_id = None

    # --- control plane helpers ---

    def image_id(self):
        if self._image_id is None:
            images = self.ec2.describe_images()["Images"]
            # An x86_64 image that does not require IMDSv2 (AL2023's ImdsSupport v2.0 would make every
            # instance refuse IMDSv1): the tests that need IMDSv2 only ask for it.
            x86 = [i for i in images if i.get("Architecture") == "x86_64" and "ImdsSupport" not in i] or images
            self._image_id = x86[0]["ImageId"]
        return self._image_id

    def vpc(self, cidr="10.0.0.0/16", client=None, hostnames=False):
        ec2 = client or self.ec2
        vpc_id = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
        if hostnames:
            ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
        return vpc_id

    def internet_gateway(self, vpc_id):
        """A new internet gateway attached to the VPC: its id."""
        igw = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        self.ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
        return igw

    def route_table(self, vpc_id, subnet_id, routes):
        """A new route table associated with the subnet, with ROUTES {IPv4 or IPv6 CIDR: GatewayId}: its id."""
        rtb = self.ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
        for cidr, gateway in routes.items():
            key = "DestinationIpv6CidrBlock" if ":" in cidr else "DestinationCidrBlock"
            self.ec2.create_route(RouteTableId=rtb, GatewayId=gateway, **{key: cidr})
        self.ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet_id)
        return rtb

    def subnet(self, vpc_id, cidr, client=None, az="us-east-1a"):
        return (client or self.ec2).create_subnet(VpcId=vpc_id, CidrBlock=cidr,
                                                  AvailabilityZone=az)["Subnet"]["SubnetId"]

    def group(self, vpc_id, name, ingress=(), egress=None, client=None):
        """A security group with these ingress IpPermissions; egress None keeps the default allow-all."""
        ec2 = client or self.ec2
        sg = ec2.create_security_group(VpcId=vpc_id, GroupName=name, Description=name)["GroupId"]
        if ingress:
            ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=list(ingress))
        if egress is not None:
            ec2.revoke_security_group_egress(GroupId=sg, IpPermissions=[
                {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
            if egress:
                ec2.authorize_security_group_egress(GroupId=sg, IpPermissions=list(egress))
        return sg

    def launch(self, subnet_id=None, client=None, timeout=15.0, wait=True, **kw):
        """RunInstances (one instance) and wait until its eth0 holds the primary private IPv4."""
        ec2 = client or self.ec2
        params = dict(ImageId=self.image_id(), InstanceType="t3.medium", MinCount=1, MaxCount=1)
        if subnet_id and "NetworkInterfaces" not in kw:
            params["SubnetId"] = subnet_id
        params.update(kw)
        inst = ec2.run_instances(**params)["Instances"][0]
        if wait:
            self.wait_address(inst["InstanceId"], inst["PrivateIpAddress"], timeout=timeout)
        return inst

    def eni_of(self, inst, client=None):
        ec2 = client or self.ec2
        desc = ec2.describe_instances(InstanceIds=[inst["InstanceId"]])["Reservations"][0]["Instances"][0]
        return [n for n in desc["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0][0]["NetworkInterfaceId"]

    def set_groups(self, inst, groups, client=None):
        """Replace the security groups of the instance's eth0 (SG-4)."""
        (client or self.ec2).modify_network_interface_attribute(NetworkInterfaceId=self.eni_of(inst, client),
                                                                Groups=list(groups))

    # --- inside instances ---

    def sh(self, instance_id, cmd, timeout=10.0):
        return self.server.sh(instance_id, cmd, timeout)

    def addresses(self, instance_id, dev="eth0"):
        rc, out, _ = self.sh(instance_id, ["ip", "-4", "-o", "addr", "show", "dev", dev], timeout=5)
        return re.findall(r"inet (\d+\.\d+\.\d+\.\d+)/", out) if rc == 0 else []

    def wait_address(self, instance_id, ip, dev="eth0", timeout=15.0):
        wait_for(lambda: ip in self.addresses(instance_id, dev), timeout=timeout,
                 what=f"{instance_id} {dev} has {ip}")

    def namespace(self, instance_id):
        return self.server.namespace(instance_id)

    def ping(self, src, ip, count=1, wait=1.0, extra=()):
        rc, _, _ = self.sh(src, ["ping", "-n", "-c", str(count), "-W", str(wait), *extra, ip],
                           timeout=count * (wait + 1) + 5)
        return rc == 0

    def probe(self, src, *args, timeout=1.0):
        return self.sh(src, [GUEST_PYTHON, PROBE, *args, "--timeout", str(timeout)], timeout=timeout + 10)

    def tcp(self, src, ip, port, timeout=1.0, msg="hello"):
        """True when a new TCP connection src -> ip:port is made and echoes msg."""
        rc, out, _ = self.probe(src, "tcp", ip, str(port), "--msg", msg, timeout=timeout)
        return rc == 0

    def udp(self, src, ip, port, timeout=1.0, msg="hello", bind=None, reply=True):
        args = ["udp", ip, str(port), "--msg", msg]
        if bind:
            args += ["--bind", bind]
        if reply:
            args.append("--reply")
        rc, out, _ = self.probe(src, *args, timeout=timeout)
        return rc == 0

    def serve_proxy_v2(self, instance_id, port):
        """PROXY_V2_SERVER on PORT of the instance (module lifetime unless stopped)."""
        bg = Background(self.server, instance_id, [GUEST_PYTHON, "-c", PROXY_V2_SERVER, str(port)], ready="ready")
        self.background.append(bg)
        return bg

    def wait_ipv6(self, inst, timeout=15.0):
        """Until the instance's eth0 has its IPv6 address (its DHCPv6 lease): the address."""
        address = ipv6_of(inst)

        def has():
            rc, out, _ = self.sh(inst["InstanceId"], ["ip", "-6", "-o", "addr", "show", "dev", "eth0", "scope",
                                                       "global"], timeout=5)
            return rc == 0 and address in {canon(a) for a in re.findall(r"inet6 ([0-9a-f:]+)/", out)}
        wait_for(has, timeout=timeout, what=f"{address} on {inst['InstanceId']} by DHCPv6")
        return address

    def serve(self, instance_id, proto, port):
        """A background echo server (module lifetime unless stopped)."""
        bg = Background(self.server, instance_id, [GUEST_PYTHON, PROBE, "serve", proto, str(port)], ready="ready")
        self.background.append(bg)
        return bg

    def session(self, src, ip, port, timeout=1.0, udp=False):
        """A long-lived connection src -> ip:port driven line by line (see Session)."""
        s = Session(self.server, src, ip, port, timeout, udp=udp)
        self.background.append(s)
        return s

    def close(self):
        for bg in self.background:
            bg.stop()
        self.background.clear()
