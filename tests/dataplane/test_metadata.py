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


# ---- Issue 15: the instance's metadata options (ModifyInstanceMetadataOptions) enforced ----------

# Inside the instance: the IPv4 TTLs of the segments that carry the token's reply, captured on eth0.
TOKEN_REPLY_TTLS = r'''
import socket, struct
cap = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.ntohs(0x0800))
cap.bind(("eth0", 0))
s = socket.create_connection(("169.254.169.254", 80), timeout=5)
s.sendall(b"PUT /latest/api/token HTTP/1.1\r\nHost: 169.254.169.254\r\n"
          b"X-aws-ec2-metadata-token-ttl-seconds: 60\r\nConnection: close\r\n\r\n")
reply = b""
while True:
    d = s.recv(4096)
    if not d:
        break
    reply += d
ttls = set()
cap.setblocking(False)
while True:
    try:
        ip = cap.recv(65535)[14:]
    except BlockingIOError:
        break
    if len(ip) < 40 or ip[9] != 6 or socket.inet_ntoa(ip[12:16]) != "169.254.169.254":
        continue
    ihl = (ip[0] & 15) * 4
    total = struct.unpack("!H", ip[2:4])[0]
    if struct.unpack("!H", ip[ihl:ihl + 2])[0] == 80 and total - ihl - (ip[ihl + 12] >> 4) * 4 > 0:
        ttls.add(ip[8])
print(reply.split(b"\r\n")[0].decode(), sorted(ttls))
'''


def token_reply(lab, iid):
    rc, out, err = lab.sh(iid, ["python3", "-c", TOKEN_REPLY_TTLS], timeout=15)
    assert rc == 0, (rc, out, err)
    status, _, ttls = out.strip().partition(" [")
    return status, [int(t) for t in ttls.rstrip("]").split(",") if t.strip()]


@pytest.fixture(scope="module")
def own(lab, net):
    """An instance of its own, whose metadata options these tests change."""
    return lab.launch(net["sub"], TagSpecifications=[{"ResourceType": "instance",
                                                      "Tags": [{"Key": "Name", "Value": "imds-tags"}]}])


def test_hop_limit_is_the_ttl_of_the_token_reply(lab, own):
    """The token's reply leaves IMDS with the instance's HttpPutResponseHopLimit as its IP TTL (1 by
    default), so a container one hop beyond the instance never receives it; raising the limit
    raises the TTL."""
    iid = own["InstanceId"]
    assert lab.ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0][
        "MetadataOptions"]["HttpPutResponseHopLimit"] == 1
    status, ttls = token_reply(lab, iid)
    assert status == "HTTP/1.1 200 OK" and ttls == [1], (status, ttls)
    lab.ec2.modify_instance_metadata_options(InstanceId=iid, HttpPutResponseHopLimit=3)
    status, ttls = token_reply(lab, iid)
    assert status == "HTTP/1.1 200 OK" and ttls == [3], (status, ttls)
    # Other answers keep the usual TTL.
    lab.ec2.modify_instance_metadata_options(InstanceId=iid, HttpPutResponseHopLimit=1)


def test_http_tokens_required_refuses_imdsv1(lab, own):
    """HttpTokens=required: a GET without a token is 401 (IMDSv1 refused) while IMDSv2 answers;
    back to optional, IMDSv1 answers again (positive control on the same path)."""
    iid = own["InstanceId"]
    assert curl(lab, iid, "/latest/meta-data/instance-id") == (200, iid)
    lab.ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="required")
    try:
        assert curl(lab, iid, "/latest/meta-data/instance-id")[0] == 401
        code, token = curl(lab, iid, "/latest/api/token", "-X", "PUT", "-H",
                           "X-aws-ec2-metadata-token-ttl-seconds: 60")
        assert code == 200
        assert curl(lab, iid, "/latest/meta-data/instance-id", "-H", f"X-aws-ec2-metadata-token: {token}") == (200, iid)
    finally:
        lab.ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="optional")
    assert curl(lab, iid, "/latest/meta-data/instance-id") == (200, iid)


def test_http_endpoint_disabled_is_forbidden(lab, net, own):
    """HttpEndpoint=disabled turns IMDS off for the instance: every request, the token's PUT too,
    is 403 (EC2 User Guide: "403 - Forbidden: the request is not allowed or the IMDS is turned off");
    enabled again, it answers."""
    iid = own["InstanceId"]
    lab.ec2.modify_instance_metadata_options(InstanceId=iid, HttpEndpoint="disabled")
    try:
        assert curl(lab, iid, "/latest/meta-data/instance-id")[0] == 403
        assert curl(lab, iid, "/latest/api/token", "-X", "PUT", "-H", "X-aws-ec2-metadata-token-ttl-seconds: 60")[0] == 403
        other = net["b"]["InstanceId"]
        assert curl(lab, other, "/latest/meta-data/instance-id") == (200, other)  # only this instance's is off
    finally:
        lab.ec2.modify_instance_metadata_options(InstanceId=iid, HttpEndpoint="enabled")
    assert curl(lab, iid, "/latest/meta-data/instance-id") == (200, iid)


def test_instance_metadata_tags(lab, own):
    """InstanceMetadataTags=enabled lists the instance's tags under meta-data/tags/instance; disabled
    (the default) there is no such category."""
    iid = own["InstanceId"]
    assert curl(lab, iid, "/latest/meta-data/tags/instance/Name")[0] == 404
    lab.ec2.modify_instance_metadata_options(InstanceId=iid, InstanceMetadataTags="enabled")
    assert curl(lab, iid, "/latest/meta-data/tags/instance/") == (200, "Name")
    assert curl(lab, iid, "/latest/meta-data/tags/instance/Name") == (200, "imds-tags")


def test_identity_document_architecture_is_the_images(lab, own):
    iid = own["InstanceId"]
    code, body = curl(lab, iid, "/latest/dynamic/instance-identity/document")
    assert code == 200 and json.loads(body)["architecture"] == "x86_64"
