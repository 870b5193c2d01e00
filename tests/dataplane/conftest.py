"""Data-plane tests: one real `build/openvpc serve` with its data plane on, real packets between instances.

Every running instance is a network namespace `openvpc-XXXXXX-<instance-id>` whose eth<N> are TAP
devices of the engine. The tests reach inside with `openvpc exec ID -- CMD` and send real traffic
(ping, TCP, UDP, DNS, HTTP to the metadata service) with probe.py, which runs inside the instance
under the system python. They need root, /dev/net/tun, `ip` and `busybox`; without them the whole
directory is skipped.

The server runs from a private copy of build/openvpc taken at the start of the session (fixture
openvpc_binary), so that a rebuild of build/openvpc during the run cannot pull the binary from under
`openvpc exec`.

Fixtures:
  dataplane_server  session: the one server (free port, temporary data dir, two accounts); on teardown
                    SIGTERM, then no namespace with its prefix may remain (leftovers are removed by
                    force, and the session fails).
  lab               module: the server reset to an empty state for this module, and helpers bound to it
                    (launch, sh, ping, tcp, udp, serve, session, ...); see class Lab.
  ec2, ec2_other    module: boto3 clients for account 123456789012 and 210987654321.
  launch, sh        module: lab.launch(subnet_id, **run_instances_kwargs), lab.sh(instance_id, cmd, timeout).
  start_server      function: start_server(instance_id, 'tcp'|'udp', port) -> a background echo server
                    inside the instance, killed when the test ends.
  own_server        function: make() -> a private server on its own data dir, for kill -9 / restart tests.

The helpers themselves live in dplib.py (test modules import them from there).
"""
import os
import shutil
import tempfile

import pytest

from dplib import (GUEST_PYTHON, HERE, PROBE, Background, DataPlaneServer, Lab, force_remove_namespaces, leftovers,
                   missing_prerequisite, snapshot_binary, wait_for)


def pytest_collection_modifyitems(config, items):
    reason = missing_prerequisite()
    if not reason:
        return
    for item in items:
        if str(item.fspath).startswith(HERE + os.sep):
            item.add_marker(pytest.mark.skip(reason=reason))


LIVE_SERVERS = []  # servers of this session, whose log tails go into the report of a failing test


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed and str(item.fspath).startswith(HERE + os.sep):
        for server in LIVE_SERVERS:
            report.sections.append((f"openvpc log ({server.data_dir})", server.log_text()[-3000:]))


@pytest.fixture(scope="session")
def openvpc_binary():
    reason = missing_prerequisite()
    if reason:
        pytest.skip(reason)
    directory = tempfile.mkdtemp(prefix="openvpc-dp-bin-")
    yield snapshot_binary(directory)
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="session")
def dataplane_server(openvpc_binary):
    if os.environ.get("OPENVPC_DATAPLANE_LAYOUT") == "hosts":
        # The same tests over many hosts (issue 12): etcd, two API servers and three agents
        # (host3 the gateway host); instances land on the least loaded host, so traffic crosses
        # hosts as it happens.
        import multihost
        base = tempfile.mkdtemp(prefix="openvpc-dp-hosts-")
        cluster = multihost.Cluster(openvpc_binary, base)
        try:
            cluster.start()
        except Exception:
            cluster.stop()
            raise
        LIVE_SERVERS.append(cluster)  # its agents' logs go into a failing test's report
        yield cluster
        LIVE_SERVERS.remove(cluster)
        problems = cluster.stop()
        if problems:
            pytest.fail("; ".join(problems) + f" (kept: {base})")
        shutil.rmtree(base, ignore_errors=True)
        return
    data_dir = tempfile.mkdtemp(prefix="openvpc-dp-")
    server = DataPlaneServer(openvpc_binary, data_dir)
    try:
        server.start()
    except Exception:
        shutil.rmtree(data_dir, ignore_errors=True)
        raise
    LIVE_SERVERS.append(server)
    yield server
    LIVE_SERVERS.remove(server)
    problems = server.finish()
    if problems:
        pytest.fail("; ".join(problems) + f"\n(data dir kept: {data_dir})\nserver log:\n{server.log_text()[-4000:]}")
    shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture
def own_server(openvpc_binary, tmp_path):
    """make() -> a private data-plane server (its own data dir, so its own namespace prefix) that a test
    may kill -9 and restart; everything it leaves behind is removed (and reported) at the end."""
    servers = []

    def make():
        s = DataPlaneServer(openvpc_binary, str(tmp_path / f"data{len(servers)}"))
        servers.append(s)
        LIVE_SERVERS.append(s)
        return s

    yield make
    for s in servers:
        LIVE_SERVERS.remove(s)
    problems = []
    for s in servers:
        if s.proc and s.proc.poll() is None:
            problems += s.finish()
        elif s.prefix:
            left = leftovers(s.prefix)
            if left:
                force_remove_namespaces(left)
                problems.append(f"namespaces left behind: {left}")
    assert not problems, problems


@pytest.fixture(scope="module")
def lab(dataplane_server):
    server = dataplane_server
    server.reset()
    # Reset terminates everything: the previous module's instances leave.
    wait_for(lambda: not server.instance_namespaces(), timeout=10, what="namespaces of the previous module gone")
    lab = Lab(server)
    yield lab
    lab.close()


@pytest.fixture(scope="module")
def ec2(lab):
    return lab.ec2


@pytest.fixture(scope="module")
def ec2_other(lab):
    return lab.ec2_other


@pytest.fixture(scope="module")
def launch(lab):
    return lab.launch


@pytest.fixture(scope="module")
def sh(lab):
    return lab.sh


@pytest.fixture
def start_server(lab):
    """start_server(instance_id, 'tcp'|'udp', port): an echo server inside the instance for this test only."""
    started = []

    def start(instance_id, proto, port):
        bg = Background(lab.server, instance_id, [GUEST_PYTHON, PROBE, "serve", proto, str(port)], ready="ready")
        started.append(bg)
        return bg

    yield start
    for bg in started:
        bg.stop()
