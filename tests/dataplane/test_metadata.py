"""The instance metadata service at 169.254.169.254, asked with curl from inside instances (v1 and v2).

Rule ids: shared/spec/inventory-ec2-network-security.md (KP-10, KP-11) and
shared/spec/inventory-vpc-guide.md (O3: link-local services are not filtered).
"""
import json

import pytest

IMDS = "http://169.254.169.254"
USER_DATA = "#!/bin/sh\necho user-data-ran\n"


@pytest.fixture(scope="module")
def net(lab):
    """A with a key pair, user data and group 'web' in 10.0.1.0/24; B (no key, no user data) beside it."""
    ec2 = lab.ec2
    vpc = lab.vpc("10.0.0.0/16")
    sub = lab.subnet(vpc, "10.0.1.0/24")
    sg = lab.group(vpc, "web")
    key = ec2.create_key_pair(KeyName="imds-key")
    a = lab.launch(sub, KeyName="imds-key", UserData=USER_DATA, SecurityGroupIds=[sg])
    b = lab.launch(sub)
    pub = ec2.describe_key_pairs(KeyNames=["imds-key"], IncludePublicKey=True)["KeyPairs"][0].get("PublicKey")
    return dict(vpc=vpc, sub=sub, sg=sg, a=a, b=b, key=key, public_key=pub)


def curl(lab, iid, path, *args):
    """GET (or what args say) inside the instance; returns (HTTP status, body)."""
    rc, out, err = lab.sh(iid, ["curl", "-s", "-m", "3", "-w", "\n%{http_code}", *args, IMDS + path], timeout=10)
    assert rc == 0, (rc, out, err)
    body, _, code = out.rpartition("\n")
    return int(code), body


def test_v1_instance_identity(lab, net):
    """IMDSv1: GET instance-id, local-ipv4, mac, instance-type, ami-id answer the asking instance's own."""
    a = net["a"]
    iid = a["InstanceId"]
    assert curl(lab, iid, "/latest/meta-data/instance-id") == (200, iid)
    assert curl(lab, iid, "/latest/meta-data/local-ipv4") == (200, a["PrivateIpAddress"])
    assert curl(lab, iid, "/latest/meta-data/mac") == (200, a["NetworkInterfaces"][0]["MacAddress"])
    assert curl(lab, iid, "/latest/meta-data/instance-type") == (200, a["InstanceType"])
    assert curl(lab, iid, "/latest/meta-data/ami-id") == (200, a["ImageId"])
    # Another instance gets its own answers.
    b = net["b"]
    assert curl(lab, b["InstanceId"], "/latest/meta-data/instance-id") == (200, b["InstanceId"])


def test_meta_data_listing(lab, net):
    """The meta-data directory lists the categories, directories with a trailing '/'."""
    code, body = curl(lab, net["a"]["InstanceId"], "/latest/meta-data/")
    assert code == 200
    entries = body.split("\n")
    for name in ("instance-id", "local-ipv4", "mac", "network/", "security-groups", "public-keys/"):
        assert name in entries, entries


def test_network_interfaces_tree(lab, net):
    """network/interfaces/macs/MAC/ has the interface's id, addresses, subnet, VPC and group ids."""
    a = net["a"]
    iid, mac = a["InstanceId"], a["NetworkInterfaces"][0]["MacAddress"]
    code, body = curl(lab, iid, "/latest/meta-data/network/interfaces/macs/")
    assert (code, body.split("\n")) == (200, [mac + "/"])
    base = f"/latest/meta-data/network/interfaces/macs/{mac}/"
    assert curl(lab, iid, base + "interface-id") == (200, a["NetworkInterfaces"][0]["NetworkInterfaceId"])
    assert curl(lab, iid, base + "local-ipv4s") == (200, a["PrivateIpAddress"])
    assert curl(lab, iid, base + "subnet-id") == (200, net["sub"])
    assert curl(lab, iid, base + "vpc-id") == (200, net["vpc"])
    assert curl(lab, iid, base + "subnet-ipv4-cidr-block") == (200, "10.0.1.0/24")
    assert curl(lab, iid, base + "security-group-ids") == (200, net["sg"])


def test_security_groups_and_public_key(lab, net):
    """KP-11: security-groups names the groups; public-keys/0/openssh-key is the launch key pair's
    public key followed by its name; public-keys/ lists it as 0=NAME."""
    iid = net["a"]["InstanceId"]
    assert curl(lab, iid, "/latest/meta-data/security-groups") == (200, "web")
    assert curl(lab, iid, "/latest/meta-data/public-keys/") == (200, "0=imds-key")
    code, body = curl(lab, iid, "/latest/meta-data/public-keys/0/openssh-key")
    assert code == 200
    assert body.startswith("ssh-rsa ") and body.rstrip().endswith(" imds-key"), body
    assert net["public_key"] and body.split()[1] == net["public_key"].split()[1]
    # No key pair: no public-keys at all.
    assert curl(lab, net["b"]["InstanceId"], "/latest/meta-data/public-keys/")[0] == 404


def test_user_data(lab, net):
    """user-data returns the launch user data as given (decoded); an instance without user data gets 404."""
    assert curl(lab, net["a"]["InstanceId"], "/latest/user-data") == (200, USER_DATA)
    assert curl(lab, net["b"]["InstanceId"], "/latest/user-data")[0] == 404


def test_identity_document(lab, net):
    """dynamic/instance-identity/document is JSON naming the instance, account, region and address."""
    a = net["a"]
    code, body = curl(lab, a["InstanceId"], "/latest/dynamic/instance-identity/document")
    assert code == 200
    doc = json.loads(body)
    assert doc["instanceId"] == a["InstanceId"]
    assert doc["accountId"] == "123456789012"
    assert doc["region"] == "us-east-1"
    assert doc["privateIp"] == a["PrivateIpAddress"]


def test_v2_token_flow(lab, net):
    """IMDSv2: PUT /latest/api/token with a TTL header gives a token; GET with it answers; a wrong token
    is 401; a PUT without the TTL header is 400; a GET on the token path is 405."""
    iid = net["a"]["InstanceId"]
    code, token = curl(lab, iid, "/latest/api/token", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60")
    assert code == 200 and len(token) > 20, token
    assert curl(lab, iid, "/latest/meta-data/instance-id", "-H", f"X-aws-ec2-metadata-token: {token}") == (200, iid)
    assert curl(lab, iid, "/latest/meta-data/instance-id", "-H", "X-aws-ec2-metadata-token: not-a-token")[0] == 401
    assert curl(lab, iid, "/latest/api/token", "-X", "PUT")[0] == 400
    assert curl(lab, iid, "/latest/api/token")[0] == 405


def test_v2_token_belongs_to_its_instance(lab, net):
    """A token obtained by one instance is refused (401) when another instance presents it."""
    a, b = net["a"]["InstanceId"], net["b"]["InstanceId"]
    _, token = curl(lab, a, "/latest/api/token", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60")
    assert curl(lab, b, "/latest/meta-data/instance-id", "-H", f"X-aws-ec2-metadata-token: {token}")[0] == 401


def test_metadata_reachable_with_closed_group(lab, net):
    """O3: the metadata service is link-local: a group without any egress rule does not block it."""
    sg = lab.group(net["vpc"], "closed", egress=[])
    c = lab.launch(net["sub"], SecurityGroupIds=[sg])
    assert curl(lab, c["InstanceId"], "/latest/meta-data/instance-id") == (200, c["InstanceId"])
