"""The AWS services network with real traffic (issue 14): instances reach openvpc's own APIs by
their regional names over HTTPS (a certificate of openvpc's CA, which `openvpc exec` hands to the
AWS CLI as AWS_CA_BUNDLE): publicly through an internet gateway, and privately through an
interface endpoint with private DNS and no internet path at all (the PrivateLink guide's AT-01,
with EC2 in place of CloudWatch); the endpoint's groups (AT-01 d) and policy (POL-01, POL-05,
POL-08) apply. Rules: shared/spec/inventory-privatelink.md (DNS-01, DNS-09, DNS-10, IF-08, POL-*).

Layout: VPC 10.73.0.0/16 (DNS hostnames on) with a public subnet 10.73.1.0/24 (0.0.0.0/0 ->
igw; instance PUB with an Elastic IP) and a private subnet 10.73.2.0/24 (local route only;
instance PRIV).
"""
import json
import time

import pytest

from dplib import ACCOUNTS, aws_cli

ACCOUNT = ACCOUNTS["default"][2]
ALLOW_443 = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.73.0.0/16"}]}


@pytest.fixture(scope="module")
def net(lab):
    ec2 = lab.ec2
    vpc = lab.vpc("10.73.0.0/16", hostnames=True)
    public = lab.subnet(vpc, "10.73.1.0/24")
    private = lab.subnet(vpc, "10.73.2.0/24")
    igw = lab.internet_gateway(vpc)
    lab.route_table(vpc, public, {"0.0.0.0/0": igw})
    pub = lab.launch(public)
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=eip, InstanceId=pub["InstanceId"])
    priv = lab.launch(private)
    endpoint_sg = lab.group(vpc, "endpoint-443", ingress=[ALLOW_443])
    return dict(vpc=vpc, public=public, private=private, pub=pub["InstanceId"], priv=priv["InstanceId"],
                endpoint_sg=endpoint_sg)


def aws(lab, instance, *args, timeout=20):
    """The AWS CLI inside INSTANCE with the account's keys and no endpoint URL: (rc, parsed output or stderr)."""
    rc, out, err = aws_cli(lab, instance, "--output", "json", *args, timeout=timeout, read_timeout=5)
    return rc, (json.loads(out) if rc == 0 and out.strip() else err)


def test_public_names_resolve_to_the_services_pool(lab, net):
    """DNS-01: ec2.us-east-1.amazonaws.com is public DNS, at the services pool's address."""
    rc, out, _ = lab.sh(net["pub"], ["dig", "+short", "+time=1", "+tries=2", "@10.73.0.2",
                                     "ec2.us-east-1.amazonaws.com", "A"])
    assert rc == 0 and out.split() == ["192.0.2.10"], out
    rc, out, _ = lab.sh("internet", ["dig", "+short", "+time=1", "+tries=2", "@203.0.113.53", "sts.amazonaws.com", "A"])
    assert rc == 0 and out.split() == ["192.0.2.11"], out


def test_public_path_through_the_internet_gateway(lab, net):
    """An instance with a public address calls EC2 by its regional name over HTTPS: the same
    state the test sees through the endpoint URL."""
    rc, out = aws(lab, net["pub"], "ec2", "describe-vpcs", "--vpc-ids", net["vpc"])
    assert rc == 0, out
    assert [v["VpcId"] for v in out["Vpcs"]] == [net["vpc"]]
    rc, out = aws(lab, net["pub"], "sts", "get-caller-identity")
    assert rc == 0 and out["Account"] == ACCOUNT, out


def test_private_instance_through_an_interface_endpoint(lab, net):
    """AT-01: the private instance has no way out (a) until an interface endpoint to
    com.amazonaws.us-east-1.ec2 with private DNS is there (b, c): the same command then works,
    by the service's own name; without the endpoint group's 443 rule it does not (d); deleted,
    the endpoint's interfaces are gone and the name is public again (e)."""
    ec2 = lab.ec2
    rc, out = aws(lab, net["priv"], "ec2", "describe-vpcs", "--vpc-ids", net["vpc"])
    assert rc != 0 and "timeout" in out.lower(), out  # (a) Connect timeout on endpoint URL
    e = ec2.create_vpc_endpoint(VpcEndpointType="Interface", VpcId=net["vpc"],
                                ServiceName="com.amazonaws.us-east-1.ec2", SubnetIds=[net["private"]],
                                SecurityGroupIds=[net["endpoint_sg"]], PrivateDnsEnabled=True)["VpcEndpoint"]
    assert e["State"] == "available" and e["PrivateDnsEnabled"] is True
    assert e["DnsEntries"][-1]["DnsName"] == "ec2.us-east-1.amazonaws.com"  # DNS-06: the private name last
    assert json.loads(e["PolicyDocument"])["Statement"][0]["Effect"] == "Allow"  # POL-05: full access
    eni_ip = ec2.describe_network_interfaces(NetworkInterfaceIds=e["NetworkInterfaceIds"])["NetworkInterfaces"][0][
        "PrivateIpAddress"]
    try:
        rc, out, _ = lab.sh(net["priv"], ["dig", "+short", "+time=1", "+tries=2", "@10.73.0.2",
                                          "ec2.us-east-1.amazonaws.com", "A"])
        assert out.split() == [eni_ip], out  # DNS-10: inside the VPC, the name is the endpoint's
        # (c) once the endpoint's interface serves (its namespace comes up within seconds, as
        # AWS's take "a few minutes": IF-24)
        deadline = time.monotonic() + 20
        while True:
            rc, out = aws(lab, net["priv"], "ec2", "describe-vpcs", "--vpc-ids", net["vpc"])
            if rc == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert rc == 0 and [v["VpcId"] for v in out["Vpcs"]] == [net["vpc"]], out
        # (d) IF-08: the endpoint's groups decide.
        ec2.revoke_security_group_ingress(GroupId=net["endpoint_sg"], IpPermissions=[ALLOW_443])
        try:
            rc, out = aws(lab, net["priv"], "ec2", "describe-vpcs")
            assert rc != 0 and "timeout" in out.lower(), out
        finally:
            ec2.authorize_security_group_ingress(GroupId=net["endpoint_sg"], IpPermissions=[ALLOW_443])
        # POL-01, POL-08: a policy that allows only DescribeSubnets.
        only_subnets = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ec2:DescribeSubnets",
                                       "Resource": "*"}]}
        ec2.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], PolicyDocument=json.dumps(only_subnets))
        rc, out = aws(lab, net["priv"], "ec2", "describe-vpcs")
        assert rc != 0 and "UnauthorizedOperation" in out and "VPC endpoint policy" in out, out
        rc, out = aws(lab, net["priv"], "ec2", "describe-subnets", "--subnet-ids", net["private"])
        assert rc == 0 and out["Subnets"][0]["SubnetId"] == net["private"], out
        ec2.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], ResetPolicy=True)
        rc, out = aws(lab, net["priv"], "ec2", "describe-vpcs", "--vpc-ids", net["vpc"])
        assert rc == 0, out
    finally:
        ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])
    rc, out = aws(lab, net["priv"], "ec2", "describe-vpcs")  # (e) no way out again
    assert rc != 0, out


def test_instance_role_credentials(lab, net):
    """An instance launched with an instance profile finds its role's temporary credentials in
    its metadata (iam/info, iam/security-credentials/ROLE), and the AWS CLI inside uses them
    with no configuration at all: the caller is the assumed role's session."""
    ec2 = lab.ec2
    inst = lab.launch(net["public"], IamInstanceProfile={"Name": "app-role"})
    iid = inst["InstanceId"]
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert described["IamInstanceProfile"]["Arn"] == f"arn:aws:iam::{ACCOUNT}:instance-profile/app-role"
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=eip, InstanceId=iid)
    base = "http://169.254.169.254/latest/meta-data/iam/"
    rc, out, _ = lab.sh(iid, ["curl", "-s", "--max-time", "3", base + "info"])
    info = json.loads(out)
    assert info["Code"] == "Success" and info["InstanceProfileArn"] == described["IamInstanceProfile"]["Arn"], out
    rc, out, _ = lab.sh(iid, ["curl", "-s", "--max-time", "3", base + "security-credentials/"])
    assert out.strip() == "app-role", out
    rc, out, _ = lab.sh(iid, ["curl", "-s", "--max-time", "3", base + "security-credentials/app-role"])
    creds = json.loads(out)
    assert creds["Type"] == "AWS-HMAC" and creds["AccessKeyId"].startswith("ASIA") and creds["Token"], out
    # The CLI inside, with nothing but the Region: its credentials come from the metadata.
    rc, out, err = lab.sh(iid, ["env", "AWS_DEFAULT_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1", "aws", "--output",
                                "json", "sts", "get-caller-identity"], timeout=30)
    assert rc == 0, err
    who = json.loads(out)
    assert who["Account"] == ACCOUNT and who["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/app-role/{iid}", who
    rc, out, err = lab.sh(iid, ["env", "AWS_DEFAULT_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1", "aws", "--output",
                                "json", "ec2", "describe-vpcs", "--vpc-ids", net["vpc"]], timeout=30)
    assert rc == 0 and json.loads(out)["Vpcs"][0]["VpcId"] == net["vpc"], err
    # The same keys with a forged token are refused (the positive control is the call above).
    rc, out, err = lab.sh(iid, ["env", "AWS_DEFAULT_REGION=us-east-1", "AWS_MAX_ATTEMPTS=1",
                                f"AWS_ACCESS_KEY_ID={creds['AccessKeyId']}",
                                f"AWS_SECRET_ACCESS_KEY={creds['SecretAccessKey']}",
                                "AWS_SESSION_TOKEN=" + creds["Token"][:-4] + "0000", "aws", "--output", "json", "sts",
                                "get-caller-identity"], timeout=30)
    assert rc != 0 and "InvalidClientTokenId" in err, err
