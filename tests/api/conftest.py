"""pytest fixtures: a real `build/openvpc serve` on a free loopback port, real boto3 clients.

Set OPENVPC_ENDPOINT=http://127.0.0.1:PORT to run the suite against a server that is already
running (for example moto_server while writing a test); then the fixtures that need to start,
kill or restart the server are skipped.
"""
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

import boto3
import botocore.config
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BINARY = os.environ.get("OPENVPC_BINARY", os.path.join(ROOT, "build", "openvpc"))

# Two accounts: the default one of every AWS tutorial, and a second for isolation tests.
ACCOUNTS = {
    "default": ("test", "test", "123456789012"),
    "other": ("AKIDOTHER", "othersecret", "210987654321"),
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One openvpc process. start/stop/kill/restart keep the same data directory."""

    def __init__(self, data_dir, extra_args=()):
        self.data_dir = data_dir
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.creds = os.path.join(data_dir, "test-credentials")
        with open(self.creds, "w") as f:
            f.write("# access-key secret account\n")
            for ak, sk, acct in ACCOUNTS.values():
                f.write(f"{ak} {sk} {acct}\n")
        self.extra_args = list(extra_args)
        self.proc = None

    def start(self):
        args = [BINARY, "serve", "--listen", f"127.0.0.1:{self.port}", "--data-dir", self.data_dir,
                "--credentials", self.creds, "--dataplane", "off"] + self.extra_args
        self.log = open(os.path.join(self.data_dir, "server.log"), "ab")
        self.proc = subprocess.Popen(args, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"openvpc exited with {self.proc.returncode}; see {self.data_dir}/server.log")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("openvpc did not start listening in 20 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def restart(self):
        self.stop()
        self.start()


def reset(endpoint):
    req = urllib.request.Request(endpoint + "/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(req, timeout=10).read()


@pytest.fixture(scope="session")
def server():
    """The shared server of the session (or the external one named by OPENVPC_ENDPOINT)."""
    external = os.environ.get("OPENVPC_ENDPOINT")
    if external:
        yield type("External", (), {"endpoint": external, "proc": None})()
        return
    with tempfile.TemporaryDirectory(prefix="openvpc-test-") as d:
        cluster = None
        extra = []
        # OPENVPC_TEST_STORE=etcd: the whole suite against a server whose state is in etcd
        # (a 3-member cluster this fixture starts), to show the shared store changes nothing.
        if os.environ.get("OPENVPC_TEST_STORE") == "etcd":
            import etcd_cluster
            cluster = etcd_cluster.EtcdCluster(os.path.join(d, "etcd")).start()
            extra = ["--store", cluster.store]
        s = Server(d, extra)
        try:
            s.start()
            yield s
        finally:
            s.stop()
            if cluster:
                cluster.stop()


@pytest.fixture
def own_server(tmp_path):
    """A private server this test may stop, kill -9 and restart."""
    if os.environ.get("OPENVPC_ENDPOINT"):
        pytest.skip("needs a server this suite starts itself")
    s = Server(str(tmp_path))
    s.start()
    yield s
    s.stop()


@pytest.fixture
def endpoint(server):
    reset(server.endpoint)
    return server.endpoint


def make_client(endpoint, region="us-east-1", account="default", service="ec2"):
    ak, sk, _ = ACCOUNTS[account]
    return boto3.client(
        service, region_name=region, endpoint_url=endpoint,
        aws_access_key_id=ak, aws_secret_access_key=sk,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )


@pytest.fixture
def ec2(endpoint):
    """boto3 EC2 client for account 123456789012 in us-east-1, on a freshly reset server."""
    return make_client(endpoint)


@pytest.fixture
def elbv2(endpoint):
    """boto3 ELBv2 client (Elastic Load Balancing) at the same endpoint, same account and Region."""
    return make_client(endpoint, service="elbv2")


@pytest.fixture
def ec2_factory(endpoint):
    """make(region=..., account='default'|'other') -> boto3 EC2 client."""
    return lambda region="us-east-1", account="default": make_client(endpoint, region, account)


@pytest.fixture
def aws_cli(endpoint):
    """Runs the real aws CLI (v1) against the server; returns parsed JSON output or raises."""
    import json

    def run(*args, region="us-east-1", check=True, service="ec2"):
        env = dict(os.environ, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION=region, AWS_PAGER="")
        p = subprocess.run(["aws", "--endpoint-url", endpoint, "--output", "json", service, *args],
                           env=env, capture_output=True, text=True, timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"aws {service} {' '.join(args)} failed: {p.stderr}")
        if p.returncode != 0:
            return p
        return json.loads(p.stdout) if p.stdout.strip() else {}

    return run


@pytest.fixture
def s3_factory(endpoint):
    """make(region=..., account='default'|'other') -> boto3 S3 client: SigV4 (also for presigned
    URLs) and path-style addressing (http://host:port/BUCKET/KEY), on a freshly reset server."""
    def make(region="us-east-1", account="default"):
        ak, sk, _ = ACCOUNTS[account]
        return boto3.client(
            "s3", region_name=region, endpoint_url=endpoint,
            aws_access_key_id=ak, aws_secret_access_key=sk,
            config=botocore.config.Config(signature_version="s3v4", s3={"addressing_style": "path"},
                                          retries={"total_max_attempts": 1, "mode": "standard"}),
        )

    return make


@pytest.fixture
def s3(s3_factory):
    """boto3 S3 client for account 123456789012 in us-east-1, on a freshly reset server."""
    return s3_factory()
