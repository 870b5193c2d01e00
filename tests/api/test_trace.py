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
