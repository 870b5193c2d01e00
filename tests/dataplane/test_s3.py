"""openvpc's S3 with real traffic (issue 14): instances use S3 by its own names over HTTPS
(BUCKET.s3.us-east-1.amazonaws.com, S3's address of the Region in the services pool, a
certificate of openvpc's CA), with the AWS CLI's `s3 cp` and `s3 ls` and no endpoint URL:
publicly through an internet gateway (S3 sees the Elastic IP: aws:SourceIp), and privately
through a gateway endpoint (GW-16: S3 sees the endpoint, aws:SourceVpce, and the instance's own
address), whose policy applies (the PrivateLink guide's AT-14; POL-08, POL-12). The same objects
are there for the host's boto3 at the endpoint URL. DynamoDB is not served: its addresses refuse.

Layout: VPC 10.76.0.0/16 with a public subnet 10.76.1.0/24 (0.0.0.0/0 -> igw; instance PUB with
an Elastic IP) and a private subnet 10.76.2.0/24 (its own table, local route only; instance PRIV).
"""
import hashlib
import json
import os
import time

import boto3
import botocore.config
import pytest

from dplib import ACCOUNTS, aws_cli

AK, SK, ACCOUNT = ACCOUNTS["default"]


@pytest.fixture(scope="module")
def net(lab, tmp_path_factory):
    ec2 = lab.ec2
    vpc = lab.vpc("10.76.0.0/16", hostnames=True)
    public = lab.subnet(vpc, "10.76.1.0/24")
    private = lab.subnet(vpc, "10.76.2.0/24")
    igw = lab.internet_gateway(vpc)
    lab.route_table(vpc, public, {"0.0.0.0/0": igw})
    private_rtb = lab.route_table(vpc, private, {})
    pub = lab.launch(public)
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=pub["InstanceId"])
    priv = lab.launch(private)
    s3 = boto3.client("s3", region_name="us-east-1", endpoint_url=ec2.meta.endpoint_url,
                      aws_access_key_id=AK, aws_secret_access_key=SK,
                      config=botocore.config.Config(s3={"addressing_style": "path"}, signature_version="s3v4",
                                                    retries={"total_max_attempts": 1}))
    files = tmp_path_factory.mktemp("s3-files")
    return dict(ec2=ec2, s3=s3, vpc=vpc, private_rtb=private_rtb, pub=pub["InstanceId"], eip=eip["PublicIp"],
                priv=priv["InstanceId"], files=str(files))


def aws(lab, instance, *args, timeout=40, env=()):
    """The AWS CLI inside INSTANCE with the account's keys and no endpoint URL: (rc, stdout or stderr)."""
    rc, out, err = aws_cli(lab, instance, *args, timeout=timeout, env=env)
    return rc, out if rc == 0 else err


def bucket(net, name):
    net["s3"].create_bucket(Bucket=name)
    return name


def empty(net, name):
    s3 = net["s3"]
    for o in s3.list_objects_v2(Bucket=name).get("Contents", []):
        s3.delete_object(Bucket=name, Key=o["Key"])
    s3.delete_bucket(Bucket=name)


def random_file(net, name, size):
    path = os.path.join(net["files"], name)
    with open(path, "wb") as f:
        f.write(os.urandom(size))
    with open(path, "rb") as f:
        return path, hashlib.sha256(f.read()).hexdigest()


def test_s3_cp_and_ls_through_the_internet_gateway(lab, net):
    """`aws s3 cp` up (a 12 MiB file: multipart, aws-chunked over TLS) and down and `aws s3 ls`
    from an instance with a public address, by S3's regional names; the host's boto3 sees the
    same object."""
    b = bucket(net, "openvpc-dp-public")
    try:
        path, digest = random_file(net, "twelve", 12 << 20)
        rc, out = aws(lab, net["pub"], "s3", "cp", path, f"s3://{b}/dir/twelve")
        assert rc == 0, out
        got = net["s3"].get_object(Bucket=b, Key="dir/twelve")
        assert hashlib.sha256(got["Body"].read()).hexdigest() == digest
        assert got["ETag"].endswith('-2"')  # two parts of 8 MiB and 4 MiB
        back = path + ".back"
        rc, out = aws(lab, net["pub"], "s3", "cp", f"s3://{b}/dir/twelve", back)
        assert rc == 0, out
        with open(back, "rb") as f:
            assert hashlib.sha256(f.read()).hexdigest() == digest
        net["s3"].put_object(Bucket=b, Key="dir/small", Body=b"from the host")
        rc, out = aws(lab, net["pub"], "s3", "ls", f"s3://{b}/dir/")
        assert rc == 0 and "twelve" in out and "small" in out, out
        rc, out = aws(lab, net["pub"], "s3", "ls")
        assert rc == 0 and b in out, out
    finally:
        empty(net, b)


def test_source_ip_is_the_elastic_ip(lab, net):
    """Through the internet gateway S3 sees the Elastic IP (aws:SourceIp): a bucket policy that
    denies every other source lets the instance read and refuses the host (127.0.0.1)."""
    b = bucket(net, "openvpc-dp-sourceip")
    try:
        net["s3"].put_object(Bucket=b, Key="k", Body=b"only from the Elastic IP")
        rc, out = aws(lab, net["pub"], "s3", "cp", f"s3://{b}/k", "-")
        assert rc == 0 and out == "only from the Elastic IP", out  # the positive control, before
        policy = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{b}/*",
            "Condition": {"NotIpAddress": {"aws:SourceIp": net["eip"] + "/32"}}}]}
        net["s3"].put_bucket_policy(Bucket=b, Policy=json.dumps(policy))
        rc, out = aws(lab, net["pub"], "s3", "cp", f"s3://{b}/k", "-")
        assert rc == 0 and out == "only from the Elastic IP", out
        with pytest.raises(net["s3"].exceptions.ClientError) as e:
            net["s3"].get_object(Bucket=b, Key="k")
        assert e.value.response["Error"]["Code"] == "AccessDenied"
        net["s3"].delete_bucket_policy(Bucket=b)
    finally:
        empty(net, b)


def test_dynamodb_is_not_served(lab, net):
    """DynamoDB's addresses are real (its prefix list) but nothing serves them: refused at once,
    where S3's address, the positive control on the same path, answers."""
    rc, out, err = lab.sh(net["pub"], ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5",
                                       "https://s3.us-east-1.amazonaws.com/"])
    assert rc == 0 and out in ("200", "403"), (out, err)
    rc, out, err = lab.sh(net["pub"], ["curl", "-s", "--max-time", "5", "https://dynamodb.us-east-1.amazonaws.com/"])
    assert rc == 7, (rc, out, err)  # curl: failed to connect (refused), not 28 (a timeout)


def test_gateway_endpoint_and_its_policy(lab, net):
    """AT-14: the private instance has no path to S3 until a gateway endpoint is on its table;
    then `aws s3 cp` works both ways. A policy allowing only s3:GetObject on bucket X: GetObject X
    works, PutObject X and GetObject Y are denied (POL-12); --reset-policy restores the default
    (POL-05). A bucket policy on aws:SourceVpce admits the endpoint's requests and refuses the
    host's (POL-08: every layer must allow)."""
    ec2, s3 = net["ec2"], net["s3"]
    x, y = bucket(net, "openvpc-dp-at14-x"), bucket(net, "openvpc-dp-at14-y")
    try:
        s3.put_object(Bucket=x, Key="hello", Body=b"x says hello")
        s3.put_object(Bucket=y, Key="hello", Body=b"y says hello")
        rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{x}/hello", "-", timeout=20)
        assert rc != 0 and "timeout" in out.lower(), out  # no path: connect timeout
        e = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                    RouteTableIds=[net["private_rtb"]])["VpcEndpoint"]
        vpce = e["VpcEndpointId"]
        try:
            rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{x}/hello", "-")
            assert rc == 0 and out == "x says hello", out
            path, digest = random_file(net, "nine", 9 << 20)
            rc, out = aws(lab, net["priv"], "s3", "cp", path, f"s3://{x}/nine")
            assert rc == 0, out
            assert hashlib.sha256(s3.get_object(Bucket=x, Key="nine")["Body"].read()).hexdigest() == digest
            # POL-12: only GetObject on X.
            only_get_x = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                         "Resource": f"arn:aws:s3:::{x}/*"}]}
            ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument=json.dumps(only_get_x))
            rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{x}/hello", "-")
            assert rc == 0 and out == "x says hello", out
            rc, out = aws(lab, net["priv"], "s3", "cp", path, f"s3://{x}/denied")
            assert rc != 0 and "AccessDenied" in out, out
            rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{y}/hello", "-")
            assert rc != 0 and ("AccessDenied" in out or "403" in out), out
            assert "Contents" not in s3.list_objects_v2(Bucket=x, Prefix="denied")
            # POL-05: the default policy again.
            ec2.modify_vpc_endpoint(VpcEndpointId=vpce, ResetPolicy=True)
            rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{y}/hello", "-")
            assert rc == 0 and out == "y says hello", out
            # A bucket policy that admits only this endpoint: the instance reads, the host cannot.
            policy = {"Version": "2012-10-17", "Statement": [{
                "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{y}/*",
                "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}}}]}
            s3.put_bucket_policy(Bucket=y, Policy=json.dumps(policy))
            rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{y}/hello", "-")
            assert rc == 0 and out == "y says hello", out
            with pytest.raises(s3.exceptions.ClientError) as err:
                s3.get_object(Bucket=y, Key="hello")
            assert err.value.response["Error"]["Code"] == "AccessDenied"
            s3.delete_bucket_policy(Bucket=y)
        finally:
            ec2.delete_vpc_endpoints(VpcEndpointIds=[vpce])
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and ec2.describe_route_tables(RouteTableIds=[net["private_rtb"]])[
                "RouteTables"][0]["Routes"][-1].get("GatewayId") != "local":
            time.sleep(0.2)
        rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{x}/hello", "-", timeout=20)
        assert rc != 0, out  # no path again
    finally:
        empty(net, x)
        empty(net, y)


def test_gateway_endpoint_account_principal_is_root_only(lab, net):
    """AT-14, POL-09: a gateway endpoint's policy naming the account as its Principal admits the
    account's root user (the CLI with the account's keys) and not an instance role's session of
    the same account (the CLI with the instance's credentials from its metadata); Principal "*"
    admits both (the positive control on the same path)."""
    ec2, s3 = net["ec2"], net["s3"]
    b = bucket(net, "openvpc-dp-pol09")
    inst = lab.launch(ec2.describe_instances(InstanceIds=[net["priv"]])["Reservations"][0]["Instances"][0][
        "SubnetId"], IamInstanceProfile={"Name": "app-role"})["InstanceId"]
    e = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                RouteTableIds=[net["private_rtb"]])["VpcEndpoint"]["VpcEndpointId"]

    def as_role(*args):
        rc, out, err = lab.sh(inst, ["env", "AWS_DEFAULT_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1", "aws",
                                     "--cli-connect-timeout", "3", "--cli-read-timeout", "20", *args], timeout=40)
        return rc, out if rc == 0 else err

    try:
        s3.put_object(Bucket=b, Key="k", Body=b"pol09")
        rc, out = as_role("s3", "cp", f"s3://{b}/k", "-")
        assert rc == 0 and out == "pol09", out  # the role, with the default policy
        only_account = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "s3:*",
                                       "Resource": "*"}]}
        ec2.modify_vpc_endpoint(VpcEndpointId=e, PolicyDocument=json.dumps(only_account))
        rc, out = aws(lab, inst, "s3", "cp", f"s3://{b}/k", "-")
        assert rc == 0 and out == "pol09", out  # the root user
        rc, out = as_role("s3", "cp", f"s3://{b}/k", "-")
        assert rc != 0 and ("AccessDenied" in out or "403" in out), out
        ec2.modify_vpc_endpoint(VpcEndpointId=e, ResetPolicy=True)
        rc, out = as_role("s3", "cp", f"s3://{b}/k", "-")
        assert rc == 0 and out == "pol09", out
    finally:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[e])
        empty(net, b)


def test_s3_through_an_interface_endpoint(lab, net, tmp_path):
    """GW-01: the private instance, with no path to S3's addresses, reaches S3 through an interface
    endpoint by the endpoint's own name, path-style and virtual-hosted (the bucket's name in front
    of the endpoint's); the endpoint's policy applies (POL-08, POL-12)."""
    ec2, s3 = net["ec2"], net["s3"]
    b = bucket(net, "openvpc-dp-s3-interface")
    subnet = ec2.describe_instances(InstanceIds=[net["priv"]])["Reservations"][0]["Instances"][0]["SubnetId"]
    sg = lab.group(net["vpc"], "s3-interface-443", ingress=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.76.0.0/16"}]}])
    e = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=net["vpc"],
                                ServiceName="com.amazonaws.us-east-1.s3", SubnetIds=[subnet],
                                SecurityGroupIds=[sg])["VpcEndpoint"]
    name = e["DnsEntries"][0]["DnsName"][2:]  # *.vpce-….s3.us-east-1.vpce.amazonaws.com
    config = tmp_path / "aws-config"
    config.write_text("[default]\ns3 =\n    addressing_style = path\n")

    def through(*args):
        return aws(lab, net["priv"], "--endpoint-url", f"https://{name}", *args, env=[f"AWS_CONFIG_FILE={config}"])

    try:
        s3.put_object(Bucket=b, Key="hello", Body=b"through the interface")
        deadline = time.monotonic() + 20  # the endpoint's interface comes up with its namespace
        while True:
            rc, out = through("s3", "cp", f"s3://{b}/hello", "-")
            if rc == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert rc == 0 and out == "through the interface", out
        # Virtual-hosted, the CLI's default: BUCKET.vpce-….s3.us-east-1.vpce.amazonaws.com, one label
        # below the endpoint's name, over TLS with a certificate of the endpoint's own wildcard.
        rc, out = aws(lab, net["priv"], "--endpoint-url", f"https://{name}", "s3", "cp", f"s3://{b}/hello", "-")
        assert rc == 0 and out == "through the interface", out
        check = ("import os, socket, ssl; host = '%s.%s'; "
                 "ctx = ssl.create_default_context(cafile=os.environ['AWS_CA_BUNDLE']); "
                 "s = ctx.wrap_socket(socket.create_connection((host, 443), timeout=5), server_hostname=host); "
                 "print(s.getpeercert()['subjectAltName'])") % (b, name)
        rc, out, err = lab.sh(net["priv"], ["python3", "-c", check], timeout=15)
        assert rc == 0 and out.strip() == str((("DNS", "*." + name),)), (out, err)  # its own wildcard, verified
        path, digest = random_file(net, "six", 6 << 20)
        rc, out = through("s3", "cp", path, f"s3://{b}/six")
        assert rc == 0, out
        assert hashlib.sha256(s3.get_object(Bucket=b, Key="six")["Body"].read()).hexdigest() == digest
        only_get = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                   "Resource": f"arn:aws:s3:::{b}/*"}]}
        ec2.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], PolicyDocument=json.dumps(only_get))
        rc, out = through("s3", "cp", f"s3://{b}/hello", "-")
        assert rc == 0 and out == "through the interface", out
        rc, out = through("s3", "cp", path, f"s3://{b}/denied")
        assert rc != 0 and "AccessDenied" in out, out
    finally:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])
        empty(net, b)


def test_s3_interface_endpoint_private_dns(lab, net):
    """DNS-18, GW-S3-1, GW-S3-3 (AT-25's VPC side): with private DNS on an S3 interface endpoint,
    the private instance's CLI reaches S3 by S3's own names (BUCKET.s3.us-east-1.amazonaws.com,
    virtual-hosted, over TLS) at the endpoint's interface: its policy applies. With "private DNS
    only for the inbound Resolver endpoint" (beside a gateway endpoint) the VPC's queries get S3's
    public address again and go by the gateway endpoint: the interface endpoint's policy no longer
    applies (its deny is the control that the path changed). As on AWS, the private names are the
    Region's (s3.us-east-1.amazonaws.com): the CLI is told to use them rather than us-east-1's
    global s3.amazonaws.com (AWS_S3_US_EAST_1_REGIONAL_ENDPOINT=regional)."""
    regional = ["AWS_S3_US_EAST_1_REGIONAL_ENDPOINT=regional"]
    ec2, s3 = net["ec2"], net["s3"]
    b = bucket(net, "openvpc-dp-s3-private-dns")
    subnet = ec2.describe_instances(InstanceIds=[net["priv"]])["Reservations"][0]["Instances"][0]["SubnetId"]
    sg = lab.group(net["vpc"], "s3-private-dns-443", ingress=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.76.0.0/16"}]}])
    only_get = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                               "Resource": f"arn:aws:s3:::{b}/*"}]}
    e = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=net["vpc"],
                                ServiceName="com.amazonaws.us-east-1.s3", SubnetIds=[subnet], SecurityGroupIds=[sg],
                                PrivateDnsEnabled=True, PolicyDocument=json.dumps(only_get))["VpcEndpoint"]
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0]
    gateway = None

    def resolves(name):
        rc, out, _ = lab.sh(net["priv"], ["dig", "+short", "+time=1", "+tries=2", name, "A"], timeout=10)
        return out.split() if rc == 0 else None

    try:
        s3.put_object(Bucket=b, Key="hello", Body=b"by s3's own name")
        assert resolves(f"{b}.s3.us-east-1.amazonaws.com") == [eni["PrivateIpAddress"]]
        assert resolves("s3.us-east-1.amazonaws.com") == [eni["PrivateIpAddress"]]
        deadline = time.monotonic() + 20  # the endpoint's interface comes up with its namespace
        while True:
            rc, out = aws(lab, net["priv"], "s3", "cp", f"s3://{b}/hello", "-", env=regional)
            if rc == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert rc == 0 and out == "by s3's own name", out
        path, _ = random_file(net, "pd", 1 << 20)
        rc, out = aws(lab, net["priv"], "s3", "cp", path, f"s3://{b}/pd", env=regional)
        assert rc != 0 and "AccessDenied" in out, out  # the interface endpoint's policy
        gateway = ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName="com.amazonaws.us-east-1.s3",
                                          RouteTableIds=[net["private_rtb"]])["VpcEndpoint"]["VpcEndpointId"]
        ec2.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"],
                                DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": True})
        public = resolves(f"{b}.s3.us-east-1.amazonaws.com")
        assert public and public != [eni["PrivateIpAddress"]] and public[0].startswith("192.0.2."), public
        rc, out = aws(lab, net["priv"], "s3", "cp", path, f"s3://{b}/pd", env=regional)
        assert rc == 0, out  # by the gateway endpoint, whose default policy allows it
        assert s3.head_object(Bucket=b, Key="pd")["ContentLength"] == 1 << 20
    finally:
        ec2.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"],
                                DnsOptions={"PrivateDnsOnlyForInboundResolverEndpoint": False})
        ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]] + ([gateway] if gateway else []))
        empty(net, b)
