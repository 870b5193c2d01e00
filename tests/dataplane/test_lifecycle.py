"""Instance lifecycle on the host: namespaces come and go with the instance state; user data runs;
interfaces and addresses follow the API; a crashed server's namespaces are cleaned up on restart.

Rule ids: shared/spec/inventory-ec2-network-security.md (ENI-*, §0 cross-cutting facts) and
shared/spec/inventory-vpc-guide.md (F*, Q5).
"""
import base64
import os
import re
import time

import pytest

from dplib import SETTLE, leftovers, namespace_exists, namespaces_with_prefix, wait_for

USER_DATA = "#!/bin/sh\necho console-hello\nip -4 -o addr show dev eth0\necho console-err >&2\n"


@pytest.fixture(scope="module")
def net(lab):
    vpc = lab.vpc("10.0.0.0/16")
    sub = lab.subnet(vpc, "10.0.1.0/24")
    sub2 = lab.subnet(vpc, "10.0.2.0/24")
    return dict(vpc=vpc, sub=sub, sub2=sub2)


def state(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]


def test_user_data_output_in_console(lab, net):
    """User data that starts with #! runs inside the instance at launch (after DHCP: it sees its
    address); its stdout and stderr are GetConsoleOutput's Output (base64 on the wire, decoded by boto3)."""
    inst = lab.launch(net["sub"], UserData=USER_DATA)
    iid, ip = inst["InstanceId"], inst["PrivateIpAddress"]

    def output():
        out = lab.ec2.get_console_output(InstanceId=iid).get("Output") or ""
        return out if "console-err" in out else None
    out = wait_for(output, timeout=5, interval=0.1, what="console output")
    assert "console-hello" in out
    assert f"inet {ip}/24" in out, out
    # The raw wire value is base64 of that text.
    raw = {}
    lab.ec2.meta.events.register_first("before-parse.ec2.GetConsoleOutput",
                                       lambda **kw: raw.setdefault("body", kw["response_dict"]["body"]))
    lab.ec2.get_console_output(InstanceId=iid)
    m = re.search(rb"<output>([^<]*)</output>", raw["body"])
    assert m and base64.b64decode(m.group(1)).decode() == out


def test_stop_start_terminate(lab, net, start_server):
    """Stop: the namespace goes and `openvpc exec` answers 125; start: it comes back with the same
    private IPv4 on eth0 and traffic flows (ping, and TCP to a server started after the restart);
    terminate: gone for good."""
    ec2 = lab.ec2
    inst = lab.launch(net["sub"])
    peer = lab.launch(net["sub"])
    iid, ip = inst["InstanceId"], inst["PrivateIpAddress"]
    ns = lab.namespace(iid)
    assert namespace_exists(ns)
    ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: not namespace_exists(ns), timeout=10, what="namespace removed on stop")
    assert lab.sh(iid, "true")[0] == 125
    wait_for(lambda: state(ec2, iid) == "stopped", timeout=10, what="stopped")
    assert not lab.ping(peer["InstanceId"], ip, wait=1)

    ec2.start_instances(InstanceIds=[iid])
    lab.wait_address(iid, ip, timeout=10)
    assert lab.addresses(iid) == [ip]
    assert lab.ping(peer["InstanceId"], ip, wait=1)  # default group: members talk to each other (M5)
    start_server(iid, "tcp", 8000)
    assert lab.tcp(peer["InstanceId"], ip, 8000, timeout=2)

    ec2.terminate_instances(InstanceIds=[iid])
    wait_for(lambda: not namespace_exists(ns), timeout=10, what="namespace removed on terminate")
    assert lab.sh(iid, "true")[0] == 125


def test_terminated_only_once_the_namespace_is_gone(lab, net):
    """Issue 15: DescribeInstances says terminated only once the instance's namespace and processes
    are gone; until then it is shutting-down (TerminateInstances answers shutting-down as AWS does).
    Every poll that sees terminated finds no namespace; the instance gets there, and its interface
    (DeleteOnTermination) is deleted with it."""
    ec2 = lab.ec2
    inst = lab.launch(net["sub"])
    iid = inst["InstanceId"]
    eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ns = lab.namespace(iid)
    assert namespace_exists(ns)  # positive control: it runs
    r = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"][0]
    assert r["CurrentState"]["Name"] == "shutting-down"
    seen = []
    for _ in range(200):
        name = state(ec2, iid)
        seen.append(name)
        if name == "terminated":
            assert not namespace_exists(ns), "terminated while its namespace still exists"
            break
        assert name == "shutting-down", name
        time.sleep(0.05)
    assert seen[-1] == "terminated", seen
    assert ec2.describe_network_interfaces(Filters=[{"Name": "network-interface-id", "Values": [eni]}])[
        "NetworkInterfaces"] == []


def test_stop_kills_processes_of_the_instance(lab, net):
    """Stopping an instance ends what ran inside it (a background sleep started via exec)."""
    inst = lab.launch(net["sub"])
    iid = inst["InstanceId"]
    rc, out, _ = lab.sh(iid, "sleep 300 >/dev/null 2>&1 & echo $!")
    pid = int(out.strip())
    assert os.path.exists(f"/proc/{pid}")
    lab.ec2.stop_instances(InstanceIds=[iid])
    wait_for(lambda: not os.path.exists(f"/proc/{pid}") or open(f"/proc/{pid}/stat").read().split()[2] == "Z",
             timeout=10, what="sleep ended")


def test_attach_second_interface(lab, net):
    """ENI attach: AttachNetworkInterface at device index 1 gives eth1 with the ENI's MAC, MTU 9001 and
    its primary private IPv4 (DHCP, Q5); a peer reaches that address; detach removes eth1."""
    ec2 = lab.ec2
    inst = lab.launch(net["sub"])
    peer = lab.launch(net["sub2"])
    iid = inst["InstanceId"]
    groups = [g["GroupId"] for g in inst["SecurityGroups"]]
    eni = ec2.create_network_interface(SubnetId=net["sub2"], Groups=groups)["NetworkInterface"]
    att = ec2.attach_network_interface(NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=iid,
                                       DeviceIndex=1)["AttachmentId"]

    def eth1():
        rc, out, _ = lab.sh(iid, "ip -o link show dev eth1")
        return out if rc == 0 else None
    out = wait_for(eth1, timeout=5, what="eth1 appears")
    assert eni["MacAddress"].lower() in out.lower(), out
    assert "mtu 9001" in out
    lab.wait_address(iid, eni["PrivateIpAddress"], dev="eth1", timeout=5)
    assert lab.ping(peer["InstanceId"], eni["PrivateIpAddress"], wait=1)

    ec2.detach_network_interface(AttachmentId=att)
    wait_for(lambda: eth1() is None, timeout=5, what="eth1 gone after detach")


def test_assign_and_unassign_secondary_address(lab, net):
    """ENI secondary IPs: AssignPrivateIpAddresses puts the address on eth0, and a peer
    reaches it; UnassignPrivateIpAddresses takes it away again."""
    ec2 = lab.ec2
    inst = lab.launch(net["sub"])
    peer = lab.launch(net["sub"])
    iid = inst["InstanceId"]
    eni = inst["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.77"])
    lab.wait_address(iid, "10.0.1.77", timeout=SETTLE)  # how fast: bench/convergence_bench.py
    assert lab.ping(peer["InstanceId"], "10.0.1.77", wait=1)
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.77"])
    wait_for(lambda: "10.0.1.77" not in lab.addresses(iid), timeout=SETTLE, what="secondary address removed")
    assert inst["PrivateIpAddress"] in lab.addresses(iid)


def test_secondary_address_at_launch(lab, net):
    """ENI: an instance launched with a secondary private IPv4 has both on eth0 at boot."""
    inst = lab.launch(net["sub"], NetworkInterfaces=[{
        "DeviceIndex": 0, "SubnetId": net["sub"],
        "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.90", "Primary": True},
                               {"PrivateIpAddress": "10.0.1.91", "Primary": False}]}])
    assert inst["PrivateIpAddress"] == "10.0.1.90"
    lab.wait_address(inst["InstanceId"], "10.0.1.91", timeout=SETTLE)
    assert sorted(lab.addresses(inst["InstanceId"])) == ["10.0.1.90", "10.0.1.91"]


def test_crash_cleanup(own_server):
    """After kill -9 the namespaces stay behind; a server restarted on the same data dir removes them
    at start and gives the still-running instance a fresh namespace (same address, processes of the old
    one gone); SIGTERM then leaves nothing."""
    server = own_server().start()
    ec2 = server.client()
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    image = ec2.describe_images()["Images"][0]["ImageId"]
    inst = ec2.run_instances(ImageId=image, InstanceType="t3.medium", MinCount=1, MaxCount=1,
                             SubnetId=sub)["Instances"][0]
    iid, ip = inst["InstanceId"], inst["PrivateIpAddress"]
    ns = server.namespace(iid)

    def has_address():
        rc, out, _ = server.sh(iid, ["ip", "-4", "-o", "addr", "show", "dev", "eth0"], timeout=5)
        return rc == 0 and f"inet {ip}/" in out
    wait_for(has_address, timeout=15, what="instance up")
    rc, out, _ = server.sh(iid, "sleep 300 >/dev/null 2>&1 & echo $!")
    old_pid = int(out.strip())
    # A mark only the old namespace carries (namespace inode numbers are recycled, so they cannot tell).
    assert server.sh(iid, "ip route add blackhole 192.0.2.77/32")[0] == 0

    server.kill9()
    assert namespace_exists(ns), "kill -9 cannot clean up: the namespace stays"
    assert namespace_exists(server.prefix + "services")
    assert os.path.exists(f"/proc/{old_pid}")

    server.start()
    assert f"removing {ns}, left by an earlier run" in server.log_text()
    wait_for(has_address, timeout=15, what="instance up again after restart")
    assert server.sh(iid, "ip route show 192.0.2.77/32")[:2] == (0, ""), "the namespace is a fresh one"
    wait_for(lambda: not os.path.exists(f"/proc/{old_pid}") or
             open(f"/proc/{old_pid}/stat").read().split()[2] == "Z", timeout=5, what="old processes gone")
    assert state(ec2, iid) == "running"
    assert sorted(namespaces_with_prefix(server.prefix)) == sorted([ns, server.prefix + "services",
                                                                     server.prefix + "internet"])

    server.stop()
    assert leftovers(server.prefix) == []
