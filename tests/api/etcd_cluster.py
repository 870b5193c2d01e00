"""A real etcd cluster for the tests: N members (3 by default) on free loopback ports, each its
own `etcd` process (Debian's etcd-server) with its data in a temporary directory. Members can be
killed with SIGKILL and started again; stop() ends every process this harness started, by its id.

etcd's default limit of 128 operations per transaction is raised: one openvpc write is one
transaction holding every resource it touched (RunInstances with MaxCount=100 touches hundreds).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

ETCD = shutil.which("etcd") or "/usr/bin/etcd"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def available():
    return os.path.exists(ETCD)


class EtcdCluster:
    def __init__(self, base_dir, members=3):
        self.base_dir = base_dir
        self.names = [f"m{i}" for i in range(members)]
        self.client_ports = [_free_port() for _ in self.names]
        self.peer_ports = [_free_port() for _ in self.names]
        self.procs = [None] * members
        self.initial_cluster = ",".join(
            f"{n}=http://127.0.0.1:{p}" for n, p in zip(self.names, self.peer_ports))

    @property
    def endpoints(self):
        return ",".join(f"127.0.0.1:{p}" for p in self.client_ports)

    @property
    def store(self):
        """What `--store` takes."""
        return "etcd://" + self.endpoints

    def start_member(self, i, state="new"):
        data = os.path.join(self.base_dir, self.names[i])
        log = open(os.path.join(self.base_dir, self.names[i] + ".log"), "ab")
        args = [ETCD, "--name", self.names[i], "--data-dir", data,
                "--listen-client-urls", f"http://127.0.0.1:{self.client_ports[i]}",
                "--advertise-client-urls", f"http://127.0.0.1:{self.client_ports[i]}",
                "--listen-peer-urls", f"http://127.0.0.1:{self.peer_ports[i]}",
                "--initial-advertise-peer-urls", f"http://127.0.0.1:{self.peer_ports[i]}",
                "--initial-cluster", self.initial_cluster, "--initial-cluster-state", state,
                "--initial-cluster-token", "openvpc-test",
                "--max-txn-ops", "100000", "--max-request-bytes", str(64 << 20),
                "--heartbeat-interval", "50", "--election-timeout", "500"]
        self.procs[i] = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

    def start(self):
        # A port found free can be taken by another process before etcd binds it: then the
        # cluster starts again on other ports (its members' logs say "address already in use").
        for attempt in range(3):
            os.makedirs(self.base_dir, exist_ok=True)
            for i in range(len(self.names)):
                self.start_member(i)
            try:
                self.wait_healthy()
                return self
            except RuntimeError:
                if attempt == 2 or not self._port_was_taken():
                    raise
                self.stop()
                for n in self.names:
                    shutil.rmtree(os.path.join(self.base_dir, n), ignore_errors=True)
                    os.replace(os.path.join(self.base_dir, n + ".log"), os.path.join(self.base_dir, f"{n}.log.{attempt}"))
                self.client_ports = [_free_port() for _ in self.names]
                self.peer_ports = [_free_port() for _ in self.names]
                self.initial_cluster = ",".join(
                    f"{n}=http://127.0.0.1:{p}" for n, p in zip(self.names, self.peer_ports))
        return self

    def _port_was_taken(self):
        for n in self.names:
            try:
                with open(os.path.join(self.base_dir, n + ".log"), errors="replace") as f:
                    if "address already in use" in f.read():
                        return True
            except OSError:
                pass
        return False

    def healthy(self, i):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.client_ports[i]}/health", timeout=1) as r:
                return json.load(r).get("health") == "true"
        except OSError:
            return False

    def wait_healthy(self, members=None, timeout=30):
        members = range(len(self.names)) if members is None else members
        deadline = time.time() + timeout
        while time.time() < deadline:
            if all(self.healthy(i) for i in members):
                return
            for i in members:
                if self.procs[i] is not None and self.procs[i].poll() is not None:
                    raise RuntimeError(f"etcd member {self.names[i]} exited; see {self.base_dir}")
            time.sleep(0.1)
        raise RuntimeError(f"etcd did not become healthy in {timeout} s; see {self.base_dir}")

    def kill9(self, i):
        p = self.procs[i]
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait()
        self.procs[i] = None

    def restart_member(self, i):
        """A killed member comes back with its data directory (it rejoins the cluster)."""
        self.start_member(i, state="existing")
        self.wait_healthy([i])

    def stop(self):
        for i, p in enumerate(self.procs):
            if p is not None and p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
            self.procs[i] = None
