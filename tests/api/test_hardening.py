"""Nothing a client sends can crash, stall or wipe openvpc (issue 11's findings, each reproduced here first).

* MaxResults outside the operation's range is AWS's InvalidParameterValue, never a crash (DescribeInstances and
  DescribeInstanceStatus with MaxResults=0 or -1 used to read before the start of their list);
* ModifyInstanceAttribute in its documented Attribute/Value form works;
* the HTTP front: malformed requests get 400, oversized heads 431 and bodies 413; idle and slow connections are
  closed; connections do not each hold a thread; when file descriptors run out the server keeps accepting once
  they are back;
* SigV4: presigned URLs live for their X-Amz-Expires (at most 7 days), two Authorization headers are refused;
* reset is refused unless the server listens on loopback or was started with --allow-reset;
* a damaged database stops the server with a message naming the file, instead of serving an empty state.
"""
import datetime
import os
import resource
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import BINARY, Server, free_port, make_client
from ec2wire import call, utcnow
from helpers import assert_error, create_subnet, create_vpc, wait_until

AMI = "ami-12345678"


def server_pid(server):
    return server.proc.pid


def alive(endpoint):
    r = call(endpoint, "DescribeVpcs")
    return r.status == 200


def raw_exchange(port, data, timeout=10):
    """Sends DATA on a fresh connection and returns what comes back until the server closes (or TIMEOUT)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except (socket.timeout, ConnectionResetError):
            pass
        return out


def status_of(reply):
    line = reply.split(b"\r\n", 1)[0]
    return int(line.split()[1]) if line.startswith(b"HTTP/1.1 ") else None


# ---------------------------------------------------------------------------------------------------------------
# 1. MaxResults: each operation's range, in the one Describe engine

@pytest.fixture
def with_instances(ec2):
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    ids = [i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=6, MaxCount=6, InstanceType="t2.micro",
                                                       SubnetId=subnet)["Instances"]]
    return ids


@pytest.mark.parametrize("op", ["DescribeInstances", "DescribeInstanceStatus"])
@pytest.mark.parametrize("value", ["0", "-1", "4", "1001", "2147483647"])
def test_max_results_out_of_range_is_invalid_parameter_value(endpoint, with_instances, op, value):
    """AWS: "You can specify a value between 5 and 1000" (DescribeInstances, DescribeInstanceStatus)."""
    r = call(endpoint, op, {"MaxResults": value, "IncludeAllInstances": "true"} if op == "DescribeInstanceStatus"
             else {"MaxResults": value})
    assert r.error_code == "InvalidParameterValue", r
    assert r.status == 400
    assert "maxResults" in r.error_message
    assert alive(endpoint)


@pytest.mark.parametrize("op", ["DescribeInstances", "DescribeInstanceStatus"])
def test_minus_one_with_a_next_token_is_refused(endpoint, with_instances, op):
    first = call(endpoint, op, {"MaxResults": "5"})
    assert first.status == 200, first
    token = first.text("nextToken")
    assert token
    r = call(endpoint, op, {"MaxResults": "-1", "NextToken": token})
    assert r.error_code == "InvalidParameterValue", r
    assert alive(endpoint)


def test_max_results_pages_instances(ec2, with_instances):
    """In range, pages hold MaxResults instances and the token leads to the rest (positive control of the above)."""
    page = ec2.describe_instances(MaxResults=5)
    got = [i["InstanceId"] for r in page["Reservations"] for i in r["Instances"]]
    assert len(got) == 5 and page.get("NextToken")
    rest = ec2.describe_instances(MaxResults=5, NextToken=page["NextToken"])
    got += [i["InstanceId"] for r in rest["Reservations"] for i in r["Instances"]]
    assert sorted(got) == sorted(with_instances) and not rest.get("NextToken")
    status = ec2.describe_instance_status(MaxResults=5, IncludeAllInstances=True)
    assert len(status["InstanceStatuses"]) == 5 and status.get("NextToken")


def test_max_results_with_instance_ids_is_a_combination_error(ec2, with_instances):
    """AWS: "You cannot specify this parameter and the instance IDs parameter in the same request"."""
    for op in (ec2.describe_instances, ec2.describe_instance_status):
        assert_error("InvalidParameterCombination", op, InstanceIds=with_instances[:1], MaxResults=5)


@pytest.mark.parametrize("op,params", [("DescribeTags", {}), ("DescribeImages", {}), ("DescribeVpcs", {}),
                                       ("DescribeRouteTables", {})])
def test_other_describes_refuse_zero(endpoint, op, params):
    r = call(endpoint, op, dict(params, MaxResults="0"))
    assert r.error_code == "InvalidParameterValue", r


def test_route_tables_page_at_most_100(endpoint):
    """DescribeRouteTables' range is 5-100 (botocore's DescribeRouteTablesMaxResults)."""
    assert call(endpoint, "DescribeRouteTables", {"MaxResults": "100"}).status == 200
    assert call(endpoint, "DescribeRouteTables", {"MaxResults": "101"}).error_code == "InvalidParameterValue"


# ---------------------------------------------------------------------------------------------------------------
# 2. ModifyInstanceAttribute, Attribute/Value form

@pytest.fixture
def stopped_instance(ec2):
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.1.0/24")["SubnetId"]
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t2.micro",
                            SubnetId=subnet)["Instances"][0]["InstanceId"]
    ec2.stop_instances(InstanceIds=[iid])
    wait_until(lambda: ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
               == "stopped")
    return iid


def test_modify_instance_attribute_value_form(ec2, stopped_instance):
    iid = stopped_instance
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="userData", Value="IyEvYmluL3NoCmVjaG8gaGk=")
    got = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
    assert got == "IyEvYmluL3NoCmVjaG8gaGk="
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="instanceType", Value="t3.small")
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")["InstanceType"]["Value"] == \
        "t3.small"
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior", Value="terminate")
    assert ec2.describe_instance_attribute(
        InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior")["InstanceInitiatedShutdownBehavior"][
        "Value"] == "terminate"
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="disableApiTermination", Value="true")
    assert ec2.describe_instance_attribute(
        InstanceId=iid, Attribute="disableApiTermination")["DisableApiTermination"]["Value"] is True
    # termination protection is real: terminate is refused until it is off again
    assert_error("OperationNotPermitted", ec2.terminate_instances, InstanceIds=[iid])
    ec2.modify_instance_attribute(InstanceId=iid, Attribute="disableApiTermination", Value="false")
    ec2.terminate_instances(InstanceIds=[iid])


def test_modify_instance_attribute_value_must_fit_the_attribute(ec2, stopped_instance):
    assert_error("InvalidParameterValue", ec2.modify_instance_attribute, InstanceId=stopped_instance,
                 Attribute="disableApiTermination", Value="maybe")


def test_modify_instance_attribute_raw_wire_is_no_internal_error(endpoint, ec2, stopped_instance):
    """The outside review's request, byte for byte: it answered HTTP 500 (`cannot use value() with string`)."""
    r = call(endpoint, "ModifyInstanceAttribute",
             {"InstanceId": stopped_instance, "Attribute": "userData", "Value": "eA=="})
    assert r.status == 200, r


# ---------------------------------------------------------------------------------------------------------------
# 3. The HTTP front

def test_malformed_request_line_is_400(server, endpoint):
    assert status_of(raw_exchange(server.port, b"THIS IS NOT HTTP\r\n\r\n")) == 400
    assert status_of(raw_exchange(server.port, b"GET / HTTP/1.1\r\nHost x\r\n\r\n")) == 400
    assert status_of(raw_exchange(server.port, b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n")) == 400
    assert alive(endpoint)


def test_oversized_head_is_431(server, endpoint):
    big = b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (128 * 1024) + b"\r\n\r\n"
    assert status_of(raw_exchange(server.port, big)) == 431
    assert alive(endpoint)


def test_oversized_body_is_413(server, endpoint):
    head = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n" \
           b"Content-Length: 17000000\r\n\r\n"
    assert status_of(raw_exchange(server.port, head)) == 413
    assert alive(endpoint)


def threads_of(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])


def test_idle_connections_hold_no_thread(server, endpoint):
    """The review saw 19,571 threads at 10,300 idle connections: connections must not each hold a thread."""
    before = threads_of(server_pid(server))
    socks = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(300)]
    try:
        assert alive(endpoint)
        time.sleep(0.5)
        during = threads_of(server_pid(server))
        assert during - before < 50, (before, during)
    finally:
        for s in socks:
            s.close()
    assert alive(endpoint)


@pytest.fixture
def short_timeout_server(tmp_path):
    s = Server(str(tmp_path), extra_args=["--http-timeout", "2"])
    s.start()
    yield s
    s.stop()


def test_idle_and_slow_connections_are_closed(short_timeout_server):
    """With --http-timeout 2: an idle connection and one that sends half a head are closed by the server."""
    s = short_timeout_server
    idle = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    slow = socket.create_connection(("127.0.0.1", s.port), timeout=30)
    slow.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
    try:
        assert idle.recv(1) == b""  # closed by the server, not by this test's 30 s timeout
        assert slow.recv(1) == b""
    finally:
        idle.close()
        slow.close()
    # a whole request on a fresh connection is answered (the positive control)
    assert alive(s.endpoint)


def test_keeps_accepting_after_file_descriptors_ran_out(tmp_path):
    """With 128 descriptors and 200 connections, accept fails (EMFILE); once they close, requests are served."""
    s = Server(str(tmp_path))
    args = [BINARY, "serve", "--listen", f"127.0.0.1:{s.port}", "--data-dir", s.data_dir, "--credentials", s.creds,
            "--dataplane", "off"]
    log = open(os.path.join(s.data_dir, "server.log"), "ab")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT,
                            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (128, 128)))
    try:
        wait_until(lambda: _connectable(s.port), timeout=20)
        assert alive(s.endpoint)
        socks = []
        for _ in range(200):
            try:
                socks.append(socket.create_connection(("127.0.0.1", s.port), timeout=2))
            except OSError:
                break
        time.sleep(1)
        for c in socks:
            c.close()
        assert wait_until(lambda: _answers(s.endpoint), timeout=30)
        assert proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()
    with open(os.path.join(s.data_dir, "server.log")) as f:
        assert "accept failed" in f.read()


def _connectable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


def _answers(endpoint):
    try:
        return alive(endpoint)
    except Exception:
        return False


# ---------------------------------------------------------------------------------------------------------------
# 4. SigV4

def test_presigned_url_lives_for_its_expiry(endpoint):
    """A URL signed 30 minutes ago with X-Amz-Expires=3600 is inside its window: the 15-minute skew rule is for
    header-signed requests."""
    when = utcnow() - datetime.timedelta(minutes=30)
    r = call(endpoint, "DescribeVpcs", presign=True, expires=3600, when=when)
    assert r.status == 200, r
    r = call(endpoint, "DescribeVpcs", presign=True, expires=600, when=when)
    assert r.error_code == "RequestExpired", r


@pytest.mark.parametrize("expires", [604801, 10 ** 19, -5])
def test_presigned_expiry_over_seven_days_is_refused(endpoint, expires):
    r = call(endpoint, "DescribeVpcs", presign=True, expires=expires)
    assert r.error_code == "IncompleteSignature", r
    assert call(endpoint, "DescribeVpcs", presign=True, expires=604800).status == 200


def test_two_authorization_headers_are_refused(server, endpoint):
    from ec2wire import build
    url, headers, body = build(endpoint, "DescribeVpcs")
    head = f"POST / HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
    for k, v in headers.items():
        head += f"{k}: {v}\r\n"
        if k.lower() == "authorization":
            head += f"{k}: {v}\r\n"
    if not any(k.lower() == "content-length" for k in headers):
        head += f"Content-Length: {len(body)}\r\n"
    head += "Connection: close\r\n\r\n"
    reply = raw_exchange(server.port, head.encode() + body)
    assert status_of(reply) == 400 and b"<Code>IncompleteSignature</Code>" in reply, reply[:400]
    assert call(endpoint, "DescribeVpcs").status == 200  # the same request signed once passes


def test_dates_centuries_away_are_expired_not_undefined(endpoint):
    """X-Amz-Date in year 9999 overflowed the clock's nanoseconds before any check (found by sigv4_fuzz)."""
    r = call(endpoint, "DescribeVpcs", when=datetime.datetime(9999, 1, 1))
    assert r.error_code == "RequestExpired", r
    r = call(endpoint, "DescribeVpcs", presign=True, expires=3600, when=datetime.datetime(1000, 1, 1))
    assert r.error_code in ("RequestExpired", "IncompleteSignature"), r
    assert alive(endpoint)


# ---------------------------------------------------------------------------------------------------------------
# Text that is not UTF-8

def test_parameter_that_is_not_utf8_is_refused_and_nothing_is_kept(endpoint, ec2):
    """A tag value of bytes FF FE (found by the service fuzzer) answered 500 and stayed in memory, so every later
    DescribeVpcs was XML no client could parse. Now it is refused, and the state is as before."""
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    for value in (b"\xff\xfe", b"a\x01b"):
        r = call(endpoint, "CreateTags", {"ResourceId.1": vpc, "Tag.1.Key": "k", "Tag.1.Value": value})
        assert r.error_code == "InvalidParameterValue", r
    v = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]  # botocore parses the answer
    assert not v.get("Tags")
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "k", "Value": "caf\u00e9 \u2603"}])  # UTF-8 is text
    assert ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["Tags"] == [{"Key": "k", "Value": "caf\u00e9 \u2603"}]


# ---------------------------------------------------------------------------------------------------------------
# 5. Reset

def _post(url):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=b"", method="POST"), timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code


def test_reset_on_loopback_is_allowed(endpoint):
    assert _post(endpoint + "/_openvpc/reset") == 200


needs_root = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("ip"), reason="needs root for a namespace")


@needs_root
@pytest.mark.parametrize("allow", [False, True])
def test_reset_off_loopback_needs_allow_reset(tmp_path, allow):
    """On an address other hosts could reach, reset (which wipes every account, unauthenticated) is refused with
    403 unless the server was started with --allow-reset. The server runs in a namespace of its own, on an
    address of a veth device there, so nothing is exposed."""
    ns = f"openvpc-test-reset-{os.getpid()}-{int(allow)}"
    subprocess.run(["ip", "netns", "add", ns], check=True)
    proc = None
    try:
        for cmd in (["ip", "link", "set", "lo", "up"], ["ip", "link", "add", "d0", "type", "veth", "peer", "name", "d1"],
                    ["ip", "addr", "add", "10.255.0.1/24", "dev", "d0"], ["ip", "link", "set", "d0", "up"],
                    ["ip", "link", "set", "d1", "up"]):
            subprocess.run(["ip", "netns", "exec", ns] + cmd, check=True)
        s = Server(str(tmp_path))
        args = ["ip", "netns", "exec", ns, BINARY, "serve", "--listen", "10.255.0.1:4566", "--data-dir", s.data_dir,
                "--credentials", s.creds, "--dataplane", "off"] + (["--allow-reset"] if allow else [])
        log = open(os.path.join(s.data_dir, "server.log"), "ab")
        proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)

        def curl(path, method):
            return subprocess.run(["ip", "netns", "exec", ns, "curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                                   "-X", method, f"http://10.255.0.1:4566{path}"], capture_output=True, text=True,
                                  timeout=20).stdout

        assert wait_until(lambda: curl("/_openvpc/health", "GET") == "200", timeout=20)
        for path in ("/_openvpc/reset", "/moto-api/reset"):
            assert curl(path, "POST") == ("200" if allow else "403")
    finally:
        if proc:
            proc.terminate()
            proc.wait(10)
        subprocess.run(["ip", "netns", "del", ns])


# ---------------------------------------------------------------------------------------------------------------
# 6. A damaged database

@pytest.mark.parametrize("keep", ["half", "nothing"])
def test_damaged_database_refuses_to_start(own_server, keep):
    ec2 = make_client(own_server.endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    for i in range(60):
        ec2.create_security_group(GroupName=f"g{i}", Description="x" * 200, VpcId=vpc)
    own_server.stop()  # a clean stop checkpoints the WAL into openvpc.db
    db = os.path.join(own_server.data_dir, "openvpc.db")
    size = os.path.getsize(db)
    with open(db, "r+b") as f:
        f.truncate(size // 2 if keep == "half" else 0)
    with pytest.raises(RuntimeError):
        own_server.start()
    with open(os.path.join(own_server.data_dir, "server.log")) as f:
        log = f.read()
    assert db in log and "damaged" in log, log[-2000:]
    own_server.proc = None


def test_sound_database_restarts_with_its_state(own_server):
    """The positive control: the same steps without the damage keep every VPC."""
    ec2 = make_client(own_server.endpoint)
    ids = {ec2.create_vpc(CidrBlock=f"10.{i}.0.0/16")["Vpc"]["VpcId"] for i in range(3)}
    own_server.restart()
    ec2 = make_client(own_server.endpoint)
    assert ids <= {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]}
