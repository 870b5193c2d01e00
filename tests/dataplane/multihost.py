"""Many hosts on one machine (issue 12): a real 3-member etcd cluster, API servers on it
(`openvpc serve --store etcd://… --dataplane off`) and one `openvpc agent` per host, each with its
own data directory (so its own namespaces). The hosts are network namespaces joined by an
underlay bridge (class Underlay): host N's eth0 holds 10.255.0.N/24 (MTU 65535, so a datagram of
64 KiB crosses whole), and its agent binds its VXLAN socket there (`--underlay 10.255.0.N
--underlay-netns NS`) while it talks to etcd from the machine's loopback.

The Cluster stands where DataPlaneServer stands for Lab: client(), sh(), exec_args() and
namespace() reach instances wherever they run, through `openvpc exec --store`.
"""
import json
import os
import signal
import subprocess
import sys
import time

import dplib

sys.path.insert(0, os.path.join(dplib.ROOT, "tests", "api"))
import etcd_cluster  # noqa: E402  (tests/api/etcd_cluster.py: the etcd harness both suites use)


class Underlay:
    """Hosts as network namespaces (ovmhPID-hN) joined by a bridge in ovmhPID-sw; remove() deletes them."""

    def __init__(self):
        self.tag = f"ovmh{os.getpid() % 100000}"
        self.switch = f"{self.tag}-sw"
        self.namespaces = []
        self._ns(self.switch)
        self._ip("-n", self.switch, "link", "add", "br0", "mtu", "65535", "type", "bridge")
        self._ip("-n", self.switch, "link", "set", "br0", "up")

    def _ip(self, *args):
        subprocess.run(["ip", *args], check=True, capture_output=True)

    def _ns(self, name):
        self._ip("netns", "add", name)
        self.namespaces.append(name)
        self._ip("-n", name, "link", "set", "lo", "up")

    def add_host(self, number):
        """Host NUMBER's namespace and its underlay address."""
        ns = f"{self.tag}-h{number}"
        address = f"10.255.0.{number}"
        self._ns(ns)
        self._ip("link", "add", "eth0", "netns", ns, "mtu", "65535", "type", "veth", "peer", "name", f"p{number}",
                 "netns", self.switch, "mtu", "65535")
        self._ip("-n", self.switch, "link", "set", f"p{number}", "master", "br0", "up")
        self._ip("-n", ns, "addr", "add", address + "/24", "dev", "eth0")
        self._ip("-n", ns, "link", "set", "eth0", "up")
        return ns, address

    def remove(self):
        for ns in reversed(self.namespaces):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        self.namespaces.clear()


class Agent:
    UP = "agent of host"

    def __init__(self, binary, store, base_dir, name, underlay, gateway=False, lease_ttl=3, underlay_netns=None):
        self.binary, self.store, self.name, self.underlay, self.gateway = binary, store, name, underlay, gateway
        self.underlay_netns = underlay_netns
        self.data_dir = os.path.join(base_dir, "agent-" + name)
        os.makedirs(self.data_dir, exist_ok=True)
        self.log_path = os.path.join(self.data_dir, "agent.log")
        self.lease_ttl = lease_ttl
        self.extra = []  # more flags (the benchmark's --status-listen)
        self.proc = None
        self.prefix = None

    # A process with a log, as the data-plane server is: the same log reading, SIGTERM and kill -9.
    log_text = dplib.DataPlaneServer.log_text
    stop = dplib.DataPlaneServer.stop
    kill9 = dplib.DataPlaneServer.kill9

    def start(self, timeout=30.0):
        args = [self.binary, "agent", "--store", self.store, "--host", self.name, "--underlay", self.underlay,
                "--data-dir", self.data_dir, "--lease-ttl", str(self.lease_ttl)] + (["--gateway"] if self.gateway else [])
        if self.underlay_netns:
            args += ["--underlay-netns", self.underlay_netns]
        args += self.extra
        start = len(self.log_text())
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"agent {self.name} exited with {self.proc.returncode}:\n{self.log_text()[start:]}")
            text = self.log_text()[start:]
            m = dplib.DataPlaneServer.UP.search(text)
            if m and self.UP in text:
                self.prefix = m.group(1)
                return self
            time.sleep(0.05)
        raise RuntimeError(f"agent {self.name} did not come up in {timeout} s:\n{self.log_text()[start:]}")

    def cleanup(self):
        """After the last stop: nothing of this host may be left (removed by force, and reported)."""
        try:
            self.stop()
        except AssertionError as e:  # it did not end on SIGTERM (killed meanwhile)
            return [f"agent {self.name}: {e}"]
        if not self.prefix:
            return []
        left = dplib.wait_for_gone(self.prefix, timeout=3)
        if left:
            dplib.force_remove_namespaces(left)
            return [f"agent {self.name} left namespaces behind: {left}"]
        return []


class Cluster:
    """etcd + API servers + agents; what Lab needs of a server."""

    def __init__(self, binary, base_dir, hosts=(("host1", False), ("host2", False), ("host3", True)), api_servers=2):
        self.binary = binary
        self.base_dir = base_dir
        self.etcd = etcd_cluster.EtcdCluster(os.path.join(base_dir, "etcd"))
        self.api = []
        self.agents = {}
        self.host_specs = list(hosts)
        self.api_count = api_servers
        self.underlay = None

    @property
    def store(self):
        return self.etcd.store

    def start(self):
        self.underlay = Underlay()
        self.etcd.start()
        for n in range(self.api_count):
            d = os.path.join(self.base_dir, f"api{n}")
            s = dplib.DataPlaneServer(self.binary, d)
            s.store = self.store
            self.api.append(s)
            self._start_api(s)
        for n, (name, gateway) in enumerate(self.host_specs):
            self.add_agent(name, gateway, n + 1)
        return self

    def _start_api(self, s):
        args = [self.binary, "serve", "--listen", f"127.0.0.1:{s.port}", "--data-dir", s.data_dir, "--credentials",
                s.creds, "--store", self.store, "--dataplane", "off", "--quota", "vpcs-per-region=20",
                "--s3-dir", os.path.join(self.base_dir, "s3")]
        with open(s.log_path, "ab") as log:
            s.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        dplib.wait_for(lambda: self._listening(s), timeout=20, what=f"API server {s.endpoint}")

    @staticmethod
    def _listening(s):
        import socket
        if s.proc.poll() is not None:
            raise RuntimeError(f"openvpc serve exited:\n{s.log_text()}")
        try:
            with socket.create_connection(("127.0.0.1", s.port), timeout=0.2):
                return True
        except OSError:
            return False

    def add_agent(self, name, gateway, number):
        ns, address = self.underlay.add_host(number)
        a = Agent(self.binary, self.store, self.base_dir, name, address, gateway, underlay_netns=ns)
        # The API servers' credentials (instance roles) and one services CA for every host, where
        # `openvpc exec --data-dir BASE` finds it (AWS_CA_BUNDLE).
        # S3's one directory, which the gateway host serves in its simulated internet.
        a.extra += ["--credentials", self.api[0].creds, "--services-certificate-dir", self.base_dir,
                    "--s3-dir", os.path.join(self.base_dir, "s3")]
        self.agents[name] = a
        a.start()
        dplib.wait_for(lambda: name in self.hosts(), timeout=10, what=f"host {name} registered")
        return a

    def log_text(self):
        return "\n".join(f"--- {name}\n{a.log_text()[-1500:]}" for name, a in self.agents.items())

    # --- what Lab (and the session fixture, in the layout of many hosts) uses of a server ---
    @property
    def endpoint(self):
        return self.api[0].endpoint

    @property
    def data_dir(self):
        return self.base_dir

    def state_args(self):
        return ["--store", self.store]

    def reset(self):
        dplib.DataPlaneServer.reset(self)

    def instance_dir(self, instance_id):
        return os.path.join(self.agents[self.host_of(instance_id)].data_dir, "instances", instance_id)

    def instance_namespaces(self):
        own = {a.prefix + n for a in self.agents.values() if a.prefix for n in ("services", "internet")}
        return [n for a in self.agents.values() if a.prefix for n in dplib.namespaces_with_prefix(a.prefix)
                if n not in own]

    def finish(self):
        return self.stop()

    def client(self, account="default", server=0):
        return dplib.make_client(self.api[server].endpoint, account)

    def exec_args(self, instance_id, *cmd):
        # --data-dir: where the hosts' services CA is (AWS_CA_BUNDLE inside the instance)
        return [self.binary, "exec", "--store", self.store, "--data-dir", self.base_dir, instance_id, "--", *cmd]

    def sh(self, instance_id, cmd, timeout=10.0):
        return dplib.DataPlaneServer.sh(self, instance_id, cmd, timeout)

    def namespace(self, instance_id):
        host = self.host_of(instance_id)
        return self.agents[host].prefix + instance_id

    # --- hosts ---
    def hosts_json(self):
        out = subprocess.run([self.binary, "hosts", "--store", self.store, "--json"], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        return json.loads(out)

    def hosts(self):
        return {h["Name"]: h for h in self.hosts_json()["Hosts"]}

    def host_of(self, instance_id):
        for name, h in self.hosts().items():
            if any(i["InstanceId"] == instance_id for i in h["Instances"]):
                return name
        return None

    def stop(self):
        problems = []
        for a in self.agents.values():
            problems += a.cleanup()
        for s in self.api:
            try:
                s.stop()
            except AssertionError as e:
                problems.append(str(e))
        self.etcd.stop()
        if self.underlay:
            self.underlay.remove()
        return problems
