"""Issue 15, the front door: one listener serves every AWS service openvpc implements, chosen by
the SigV4 credential scope's service, each in its own protocol (EC2's, Query for STS, JSON for
SSM), with errors in that protocol's own format; AWS_ENDPOINT_URL alone is enough for the clients.
"""
import json
import os
import subprocess

import boto3
import botocore.config
import pytest
import requests
from botocore.awsrequest import AWSRequest
import botocore.auth
import botocore.credentials

from conftest import ACCOUNTS
from helpers import assert_error

AL2023_X86 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
UBUNTU_2404 = "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id"


def client(endpoint, service, account="default", region="us-east-1"):
    ak, sk, _ = ACCOUNTS[account]
    return boto3.client(service, region_name=region, endpoint_url=endpoint, aws_access_key_id=ak,
                        aws_secret_access_key=sk,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))


@pytest.fixture
def sts(endpoint):
    return client(endpoint, "sts")


@pytest.fixture
def ssm(endpoint):
    return client(endpoint, "ssm")


def env_with_only_endpoint_url(endpoint, access_key="test", secret="test"):
    """The environment of a user who set AWS_ENDPOINT_URL and nothing service-specific."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID=access_key, AWS_SECRET_ACCESS_KEY=secret,
               AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull,
               AWS_PAGER="")
    return env


def aws(env, *args):
    p = subprocess.run(["aws", "--output", "json", *args], env=env, capture_output=True, text=True, timeout=60)
    return p.returncode, (json.loads(p.stdout) if p.returncode == 0 and p.stdout.strip() else p.stderr)


# ---- STS --------------------------------------------------------------------------------------

def test_get_caller_identity_names_the_account_of_the_keys(sts, endpoint):
    me = sts.get_caller_identity()
    assert me["Account"] == "123456789012"
    assert me["UserId"] == "123456789012"  # an account's own keys are its root user
    assert me["Arn"] == "arn:aws:iam::123456789012:root"
    other = client(endpoint, "sts", account="other").get_caller_identity()
    assert other["Account"] == "210987654321" and other["Arn"] == "arn:aws:iam::210987654321:root"


def signed_post(endpoint, service, body, headers):
    """POST BODY to the endpoint, signed for SERVICE in us-east-1 with the default account's keys."""
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers=headers)
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), service, "us-east-1").add_auth(req)
    p = req.prepare()
    return requests.post(p.url, headers=dict(p.headers), data=p.body, timeout=10)


FORM = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}


def test_get_caller_identity_is_the_query_protocol_on_the_wire(endpoint):
    r = signed_post(endpoint, "sts", b"Action=GetCallerIdentity&Version=2011-06-15", FORM)
    assert r.status_code == 200
    assert '<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">' in r.text
    assert "<GetCallerIdentityResult>" in r.text and "<Account>123456789012</Account>" in r.text
    assert "<ResponseMetadata><RequestId>" in r.text


def test_sts_error_is_the_query_error_document(endpoint):
    # An action STS does not have: <ErrorResponse><Error><Type>Sender</Type><Code>…
    r = signed_post(endpoint, "sts", b"Action=DescribeVpcs&Version=2011-06-15", FORM)
    assert r.status_code == 400
    assert r.text.count("<ErrorResponse") == 1 and "<Type>Sender</Type>" in r.text
    assert "<Code>InvalidAction</Code>" in r.text and "<RequestId>" in r.text


def test_aws_cli_get_caller_identity_with_only_aws_endpoint_url(endpoint):
    code, out = aws(env_with_only_endpoint_url(endpoint), "sts", "get-caller-identity")
    assert code == 0, out
    assert out["Account"] == "123456789012" and out["Arn"] == "arn:aws:iam::123456789012:root"


def test_boto3_reaches_every_service_with_only_aws_endpoint_url(endpoint):
    env = env_with_only_endpoint_url(endpoint)
    script = (
        "import boto3\n"
        "s = boto3.session.Session()\n"
        "print(s.client('sts').get_caller_identity()['Account'])\n"
        f"print(s.client('ssm').get_parameter(Name='{AL2023_X86}')['Parameter']['Value'])\n"
        "print(len(s.client('ec2').describe_vpcs()['Vpcs']))\n")
    p = subprocess.run(["python3", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    account, image, vpcs = p.stdout.split()
    assert account == "123456789012"
    assert image.startswith("ami-")
    assert vpcs == "1"  # the default VPC


JS_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "js")


def test_js_sdk_v3_reaches_every_service_with_only_aws_endpoint_url(endpoint):
    # tests/js: @aws-sdk/client-{sts,ssm,ec2}, installed by scripts/setup.sh (npm ci).
    assert os.path.isdir(os.path.join(JS_DIR, "node_modules", "@aws-sdk", "client-sts")), \
        "run scripts/setup.sh: it installs the JS SDK v3 into tests/js/node_modules"
    env = env_with_only_endpoint_url(endpoint)
    env["AWS_REGION"] = "us-east-1"
    p = subprocess.run(["node", "front_door.mjs"], cwd=JS_DIR, env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out == {"account": "123456789012", "arn": "arn:aws:iam::123456789012:root",
                   "image": out["image"], "modified": True, "vpcs": 1, "missing": "ParameterNotFound"}
    assert out["image"].startswith("ami-")


def test_wrong_secret_is_refused_for_sts_too(endpoint):
    env = env_with_only_endpoint_url(endpoint, secret="wrong")
    code, err = aws(env, "sts", "get-caller-identity")
    assert code != 0 and "(SignatureDoesNotMatch)" in err, err


def refused(endpoint, service, access_key, secret, call):
    c = boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=access_key,
                     aws_secret_access_key=secret,
                     config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    with pytest.raises(c.exceptions.ClientError) as e:
        call(c)
    return e.value.response["ResponseMetadata"]["HTTPStatusCode"], e.value.response["Error"]["Code"]


def test_refused_credentials_in_each_services_words(endpoint):
    # EC2 answers AuthFailure for an unknown key and a wrong signature alike; STS (Query) and SSM
    # (JSON) tell them apart, each in its own words.
    ec2 = lambda c: c.describe_vpcs()
    sts = lambda c: c.get_caller_identity()
    ssm = lambda c: c.get_parameter(Name=AL2023_X86)
    assert refused(endpoint, "ec2", "nobody", "x", ec2) == (401, "AuthFailure")
    assert refused(endpoint, "ec2", "test", "wrong", ec2) == (401, "AuthFailure")
    assert refused(endpoint, "sts", "nobody", "x", sts) == (403, "InvalidClientTokenId")
    assert refused(endpoint, "sts", "test", "wrong", sts) == (403, "SignatureDoesNotMatch")
    assert refused(endpoint, "ssm", "nobody", "x", ssm) == (400, "UnrecognizedClientException")
    assert refused(endpoint, "ssm", "test", "wrong", ssm) == (400, "InvalidSignatureException")


# ---- SSM public parameters ----------------------------------------------------------------------

def images(endpoint):
    return {i["ImageId"]: i for i in client(endpoint, "ec2").describe_images(Owners=["amazon", "099720109477",
                                                                                     "136693071363"])["Images"]}


def test_get_parameter_names_an_image_describe_images_lists(ssm, endpoint):
    p = ssm.get_parameter(Name=AL2023_X86)["Parameter"]
    assert p["Name"] == AL2023_X86 and p["Type"] == "String" and p["Version"] >= 1
    assert p["ARN"] == "arn:aws:ssm:us-east-1::parameter" + AL2023_X86  # a public parameter: no account
    image = images(endpoint)[p["Value"]]
    assert image["Architecture"] == "x86_64" and image["Name"].startswith("al2023-ami-")
    assert p["LastModifiedDate"].year >= 2024
    arm = ssm.get_parameter(Name=AL2023_X86.replace("x86_64", "arm64"))["Parameter"]
    assert images(endpoint)[arm["Value"]]["Architecture"] == "arm64"
    ubuntu = ssm.get_parameter(Name=UBUNTU_2404)["Parameter"]
    assert "noble" in images(endpoint)[ubuntu["Value"]]["Name"]
    assert p["DataType"] == "text" and ubuntu["DataType"] == "aws:ec2:image"  # as each publisher sets it
    # The Region is the caller's.
    assert client(endpoint, "ssm", region="eu-west-1").get_parameter(Name=AL2023_X86)["Parameter"]["ARN"].startswith(
        "arn:aws:ssm:eu-west-1::parameter/aws/service/")


def test_every_public_parameter_runs_an_instance(ssm, endpoint):
    ec2 = client(endpoint, "ec2")
    names = [p["Name"] for page in ssm.get_paginator("get_parameters_by_path").paginate(Path="/aws/service",
                                                                                        Recursive=True)
             for p in page["Parameters"]]
    assert AL2023_X86 in names and UBUNTU_2404 in names and "/aws/service/debian/release/12/latest/amd64" in names
    listed = images(endpoint)
    for n in names:
        assert ssm.get_parameter(Name=n)["Parameter"]["Value"] in listed, n


def test_unknown_parameter_is_parameter_not_found(ssm):
    assert_error("ParameterNotFound", ssm.get_parameter, Name="/aws/service/ami-amazon-linux-latest/nope")


def test_version_selector(ssm):
    p = ssm.get_parameter(Name=AL2023_X86 + ":1")["Parameter"]
    assert p["Name"] == AL2023_X86 and p["Selector"] == ":1"
    assert_error("ParameterVersionNotFound", ssm.get_parameter, Name=AL2023_X86 + ":7")


def test_get_parameters_lists_unknown_names_as_invalid(ssm):
    r = ssm.get_parameters(Names=[AL2023_X86, "/nope", UBUNTU_2404])
    assert sorted(p["Name"] for p in r["Parameters"]) == sorted([AL2023_X86, UBUNTU_2404])
    assert r["InvalidParameters"] == ["/nope"]


def test_get_parameters_by_path_one_level_or_recursive(ssm):
    flat = ssm.get_parameters_by_path(Path="/aws/service/ami-amazon-linux-latest")["Parameters"]
    assert AL2023_X86 in [p["Name"] for p in flat]
    assert all(p["Name"].count("/") == 4 for p in flat)
    # Ubuntu's parameters are many levels below /aws/service/canonical: none one level down.
    assert ssm.get_parameters_by_path(Path="/aws/service/canonical")["Parameters"] == []
    deep = ssm.get_parameters_by_path(Path="/aws/service/canonical/", Recursive=True)["Parameters"]
    assert UBUNTU_2404 in [p["Name"] for p in deep]
    assert ssm.get_parameters_by_path(Path="/no/such/path", Recursive=True)["Parameters"] == []


def test_get_parameters_by_path_pages(ssm):
    everything = ssm.get_parameters_by_path(Path="/aws/service", Recursive=True, MaxResults=10)
    seen = [p["Name"] for p in everything["Parameters"]]
    token = everything.get("NextToken")
    assert token and len(seen) == 10
    while token:
        page = ssm.get_parameters_by_path(Path="/aws/service", Recursive=True, MaxResults=3, NextToken=token)
        assert len(page["Parameters"]) <= 3
        seen += [p["Name"] for p in page["Parameters"]]
        token = page.get("NextToken")
    assert len(seen) == len(set(seen)) > 10
    assert_error("InvalidNextToken", ssm.get_parameters_by_path, Path="/aws/service", NextToken="garbage")


def test_json_protocol_validation_errors(endpoint):
    # botocore validates client-side; a raw request shows the server's own validation, in the JSON
    # protocol's error format ({"__type": …, "message": …} and x-amzn-RequestId).
    def raw(target, body):
        return signed_post(endpoint, "ssm", json.dumps(body).encode(),
                           {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": target})

    r = raw("AmazonSSM.GetParametersByPath", {"Path": "/aws/service", "MaxResults": 50})
    assert r.status_code == 400 and r.headers["Content-Type"] == "application/x-amz-json-1.1"
    assert r.headers.get("x-amzn-RequestId")
    assert r.json() == {"__type": "ValidationException", "message": "1 validation error detected: Value '50' at "
                        "'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10"}
    r = raw("AmazonSSM.GetParameter", {})
    assert r.status_code == 400 and r.json()["__type"] == "ValidationException"
    assert "Value null at 'name' failed to satisfy constraint: Member must not be null" in r.json()["message"]
    r = raw("AmazonSSM.GetParameter", {"Name": 5})
    assert r.status_code == 400 and r.json()["__type"] == "SerializationException"
    r = raw("AmazonSSM.PutParameter", {"Name": "/x", "Value": "y", "Type": "String"})
    assert r.status_code == 400 and r.json()["__type"] == "UnknownOperationException"
    r = raw("AmazonSSM.GetParameter", {"Name": AL2023_X86})
    assert r.status_code == 200 and r.json()["Parameter"]["Name"] == AL2023_X86
    assert isinstance(r.json()["Parameter"]["LastModifiedDate"], (int, float))  # epoch seconds


# ---- temporary credentials (session tokens) ---------------------------------------------------------

@pytest.fixture
def temp_server(tmp_path):
    """A private server whose credentials file also holds temporary credentials: one current
    (ASIATEMP, token "tok-1") and one that expired (ASIAOLD)."""
    from conftest import Server
    if os.environ.get("OPENVPC_ENDPOINT"):
        pytest.skip("needs a server this suite starts itself")
    s = Server(str(tmp_path))
    with open(s.creds, "a") as f:
        f.write("ASIATEMP tempsecret 123456789012 tok-1\n")
        f.write("ASIAOLD oldsecret 123456789012 tok-old 2020-01-01T00:00:00Z\n")
    s.start()
    yield s
    s.stop()


def session_client(endpoint, service, key, secret, token=None):
    return boto3.client(service, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"}))


def test_temporary_credentials_need_their_session_token(temp_server):
    ep = temp_server.endpoint
    ok = session_client(ep, "sts", "ASIATEMP", "tempsecret", "tok-1").get_caller_identity()
    assert ok["Account"] == "123456789012"
    assert session_client(ep, "ec2", "ASIATEMP", "tempsecret", "tok-1").describe_vpcs()["Vpcs"]
    for token in (None, "tok-2"):  # without its token, or with another: not valid
        c = session_client(ep, "sts", "ASIATEMP", "tempsecret", token)
        with pytest.raises(c.exceptions.ClientError) as e:
            c.get_caller_identity()
        assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"
        c = session_client(ep, "ec2", "ASIATEMP", "tempsecret", token)
        with pytest.raises(c.exceptions.ClientError) as e:
            c.describe_vpcs()
        assert e.value.response["Error"]["Code"] == "AuthFailure"
    # An account's long-term keys carry no session token.
    c = session_client(ep, "sts", "test", "test", "tok-1")
    with pytest.raises(c.exceptions.ClientError) as e:
        c.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "InvalidClientTokenId"


def test_expired_temporary_credentials(temp_server):
    c = session_client(temp_server.endpoint, "sts", "ASIAOLD", "oldsecret", "tok-old")
    with pytest.raises(c.exceptions.ClientError) as e:
        c.get_caller_identity()
    assert e.value.response["Error"]["Code"] == "ExpiredToken"
    c = session_client(temp_server.endpoint, "ssm", "ASIAOLD", "oldsecret", "tok-old")
    with pytest.raises(c.exceptions.ClientError) as e:
        c.get_parameter(Name=AL2023_X86)
    assert e.value.response["Error"]["Code"] == "ExpiredTokenException"
