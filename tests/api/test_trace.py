"""`openvpc trace`: the data plane's stages over a data directory the API wrote (issue 4).

A private server builds the network with boto3, is stopped, and `openvpc trace` reads its data
directory: exit status 0 allowed, 1 dropped, 2 bad input; --json names the stage, component
and Reachability Analyzer explanation code.
"""
import json
import os
import subprocess

import pytest

from conftest import BINARY, make_client

AMI = "ami-12345678"


def trace(data_dir, *args):
    p = subprocess.run([BINARY, "trace", "--data-dir", data_dir, *args], capture_output=True, text=True, timeout=30)
    return p


def trace_json(data_dir, *args):
    p = trace(data_dir, *args, "--json")
    assert p.returncode in (0, 1), p.stderr
    return p.returncode, json.loads(p.stdout)


@pytest.fixture
def net(own_server):
    ec2 = make_client(own_server.endpoint)
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    sub_a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    sub_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    web = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])
    # Subnet b gets an ACL whose inbound deny (100) wins over a later allow (200).
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6", RuleAction="deny", Egress=False,
                                 CidrBlock="10.20.1.0/24", PortRange={"From": 8080, "To": 8080})
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=200, Protocol="-1", RuleAction="allow", Egress=False,
                                 CidrBlock="0.0.0.0/0")
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1", RuleAction="allow", Egress=True,
                                 CidrBlock="0.0.0.0/0")
    assoc = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [sub_b]}])
    assoc_id = [a for a in assoc["NetworkAcls"][0]["Associations"] if a["SubnetId"] == sub_b][0]["NetworkAclAssociationId"]
    ec2.replace_network_acl_association(AssociationId=assoc_id, NetworkAclId=acl)
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.20.0.0/16"}]}])

    def launch(subnet):
        i = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[web])
        inst = i["Instances"][0]
        return inst["InstanceId"], inst["NetworkInterfaces"][0]["NetworkInterfaceId"], inst["PrivateIpAddress"]

    a = launch(sub_a)
    b = launch(sub_b)
    own_server.stop()
    return {"dir": own_server.data_dir, "a": a, "b": b, "web": web, "acl": acl}


def test_allowed_by_instance_eni_and_ip(net):
    d, (ia, ea, ipa), (_, eb, ipb) = net["dir"], net["a"], net["b"]
    for source in (ia, ea, ipa):
        p = trace(d, "--from", source, "--to", f"{ipb}:80")
        assert p.returncode == 0, p.stdout + p.stderr
        assert "verdict: ALLOW" in p.stdout
        assert "9 security-groups-ingress" in p.stdout
    code, j = trace_json(d, "--from", ia, "--to", f"{ipb}:80")
    assert code == 0 and j["allowed"] is True and j["verdict"] == "ALLOW"
    assert [s["stage"] for s in j["stages"]] == [3, 4, 5, 6, 7, 8, 9]
    assert j["source"]["network_interface"] == ea
    assert j["destination"]["network_interface"] == eb
    assert j["stages"][-1]["component"] == net["web"]
    assert j["stages"][-1]["rule"].startswith("sgr-")


def test_security_group_drop(net):
    code, j = trace_json(net["dir"], "--from", net["a"][0], "--to", f"{net['b'][2]}:22")
    assert code == 1 and j["allowed"] is False and j["verdict"] == "DROP"
    assert j["stages"][-1]["stage"] == 9
    assert j["explanation_code"] == "ENI_SG_RULES_MISMATCH"
    assert j["component"] == net["web"]


def test_acl_deny_wins_over_later_allow(net):
    code, j = trace_json(net["dir"], "--from", net["a"][0], "--to", f"{net['b'][2]}:8080")
    assert code == 1
    assert j["stages"][-1]["stage"] == 8
    assert j["explanation_code"] == "SUBNET_ACL_RESTRICTION"
    assert j["component"] == net["acl"]
    assert j["stages"][-1]["rule"] == "100 deny"


def test_no_route(net):
    p = trace(net["dir"], "--from", net["a"][0], "--to", "192.168.7.7:443")
    assert p.returncode == 1
    assert "NO_ROUTE_TO_DESTINATION" in p.stdout


def test_bad_input(net):
    d = net["dir"]
    assert trace(d, "--from", "i-0000000000000dead", "--to", "10.20.2.5").returncode == 2
    assert trace(d, "--from", net["a"][0], "--to", "not-an-ip").returncode == 2
    assert trace(d, "--from", net["a"][0], "--to", "10.20.2.5:99999").returncode == 2
    assert trace(d, "--from", net["a"][0], "--to", "10.20.2.5", "--protocol", "sctp").returncode == 2
    assert trace(d, "--to", "10.20.2.5").returncode == 2
    assert trace(os.path.join(d, "nowhere"), "--from", net["a"][0], "--to", "10.20.2.5").returncode == 2


def test_protocol_must_match_the_address_family(net):
    d, a = net["dir"], net["a"][0]
    p = trace(d, "--from", a, "--to", "10.20.2.5", "--protocol", "icmpv6")
    assert p.returncode == 2 and "icmpv6" in p.stderr
    assert trace(d, "--from", a, "--to", "2001:db8::5", "--protocol", "icmp").returncode == 2
    assert trace(d, "--from", a, "--to", "10.20.2.5", "--icmp-type", "3").returncode == 2  # tcp takes no type
    assert trace(d, "--from", a, "--to", "10.20.2.5", "--protocol", "icmp", "--icmp-type", "300").returncode == 2


def test_icmp_type_and_code(net):
    """Trace takes the ICMP type and code (echo when not given): the web group admits no ICMP at all."""
    d, a, b = net["dir"], net["a"][0], net["b"][2]
    for extra in ([], ["--icmp-type", "3", "--icmp-code", "4"]):
        rc, out = trace_json(d, "--from", a, "--to", b, "--protocol", "icmp", *extra)
        assert rc == 1 and out["stages"][-1]["explanation_code"] == "ENI_SG_RULES_MISMATCH"


def test_the_routers_services_are_stage_two(net):
    """O3, R1, R13: the Amazon DNS server and the metadata service answer at stage 2, unfiltered by groups, ACLs
    or routes, as the engine answers them; other link-local addresses end there."""
    d, a = net["dir"], net["a"][0]
    for to, proto in (("10.20.0.2:53", "udp"), ("169.254.169.253:53", "udp"), ("169.254.169.254:80", "tcp")):
        rc, out = trace_json(d, "--from", a, "--to", to, "--protocol", proto)
        assert rc == 0, out
        assert [s["stage"] for s in out["stages"]] == [2] and out["stages"][0]["name"] == "local-services"
    rc, out = trace_json(d, "--from", a, "--to", "169.254.1.1:80")
    assert rc == 1 and out["explanation_code"] == "LINK_LOCAL_NOT_FORWARDED"
    rc, out = trace_json(d, "--from", a, "--to", net["b"][2] + ":22")  # the positive control: groups still judge
    assert rc == 1 and out["stages"][-1]["stage"] == 9


def test_many_traces_at_once_and_beside_the_server(own_server, net):
    """Trace opens the state read only: several at once, while a server writes, never fail as bad input."""
    own_server.start()
    ec2 = make_client(own_server.endpoint)
    procs = [subprocess.Popen([BINARY, "trace", "--data-dir", net["dir"], "--from", net["a"][0], "--to",
                               net["b"][2] + ":80"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(12)]
    for i in range(20):
        ec2.create_tags(Resources=[net["web"]], Tags=[{"Key": "k", "Value": str(i)}])
    results = [(p.wait(60), p.stderr.read()) for p in procs]
    assert all(rc == 0 for rc, _ in results), results
