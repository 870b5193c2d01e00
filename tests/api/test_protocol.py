"""Wire protocol: SigV4 verification, error document shape, common client errors, DryRun, GET requests,
region-from-credential-scope, ClientToken idempotency, and the real aws CLI.

Every request here is built by hand (ec2wire.build) and signed with botocore.auth.SigV4Auth, so the test
controls the bytes. Error codes are the ones in the EC2 API Reference, "Error codes for the Amazon EC2 API",
common client error codes (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html):
AuthFailure, DryRunOperation, IdempotentParameterMismatch, IncompleteSignature, InvalidAction,
InvalidParameterValue, MissingAuthenticationToken, MissingParameter, RequestExpired, UnknownParameter.
Client errors carry a 4xx status; DryRunOperation is HTTP 412 (spec wire-protocol-and-peers.md §1).
"""
import datetime
import uuid

import botocore.auth
import botocore.credentials
import pytest
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

import ec2wire
from ec2wire import XMLNS, call, send

SUCCESS_NS = XMLNS


# ----------------------------------------------------------------------------------------------
# helpers

def vpc_ids(endpoint, region="us-east-1", account="default"):
    r = call(endpoint, "DescribeVpcs", region=region, account=account)
    assert r.status == 200, r
    return sorted(el.text for el in r.findall("vpcId"))


def assert_error(reply, code, status=None):
    assert reply.root is not None, f"error body is not XML: {reply!r}"
    assert reply.error_code == code, f"expected {code}, got {reply.error_code}: {reply!r}"
    if status is None:
        assert 400 <= reply.status < 500, f"{code} must be a 4xx, got {reply.status}"
    else:
        assert reply.status == status, f"{code}: expected HTTP {status}, got {reply.status}"
    assert_error_document(reply)


def assert_error_document(reply):
    """<Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>, no namespace."""
    root = reply.root
    assert root.tag == "Response", f"error root must be <Response> without namespace, got {root.tag}"
    children = [c.tag for c in root]
    assert sorted(children) == ["Errors", "RequestID"], f"<Response> children: {children}"
    errors = root.find("Errors")
    assert len(errors) >= 1 and all(e.tag == "Error" for e in errors), [e.tag for e in errors]
    for e in errors:
        tags = [c.tag for c in e]
        assert "Code" in tags and "Message" in tags, f"<Error> children: {tags}"
        assert set(tags) <= {"Code", "Message"}, f"<Error> children: {tags}"
        assert e.find("Code").text and e.find("Code").text.strip()
    rid = root.find("RequestID").text
    assert rid and rid.strip(), "RequestID must not be empty"


# ----------------------------------------------------------------------------------------------
# authentication

def test_signed_request_succeeds(endpoint):
    r = call(endpoint, "DescribeVpcs")
    assert r.status == 200, r
    assert r.tag == "DescribeVpcsResponse"


def test_no_authorization_is_missing_authentication_token(endpoint):
    url, headers, body = ec2wire.build(endpoint, "DescribeVpcs", sign=False)
    r = send("POST", url, headers, body)
    assert_error(r, "MissingAuthenticationToken")


def test_no_authorization_on_get_is_missing_authentication_token(endpoint):
    url, headers, body = ec2wire.build(endpoint, "DescribeVpcs", method="GET", sign=False)
    r = send("GET", url, headers, body)
    assert_error(r, "MissingAuthenticationToken")


@pytest.mark.parametrize("authorization", [
    "AWS4-HMAC-SHA256 garbage",
    "AWS4-HMAC-SHA256",
    # no Signature=
    "AWS4-HMAC-SHA256 Credential=test/{date}/us-east-1/ec2/aws4_request, SignedHeaders=content-type;host;x-amz-date",
    # no Credential=
    "AWS4-HMAC-SHA256 SignedHeaders=content-type;host;x-amz-date, Signature=" + "0" * 64,
    # no SignedHeaders=
    "AWS4-HMAC-SHA256 Credential=test/{date}/us-east-1/ec2/aws4_request, Signature=" + "0" * 64,
], ids=["garbage", "algorithm-only", "no-signature", "no-credential", "no-signedheaders"])
def test_malformed_authorization_is_incomplete_signature(endpoint, authorization):
    url, headers, body = ec2wire.build(endpoint, "DescribeVpcs")
    date = headers["X-Amz-Date"][:8]
    headers["Authorization"] = authorization.format(date=date)
    r = send("POST", url, headers, body)
    assert_error(r, "IncompleteSignature")


def test_wrong_secret_is_auth_failure(endpoint):
    before = vpc_ids(endpoint)
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.1.0.0/16"}, secret="not-the-secret")
    # EC2 answers a bad signature with AuthFailure ("AWS was not able to validate the provided
    # access credentials"), not the SignatureDoesNotMatch of S3/STS.
    assert_error(r, "AuthFailure")
    assert vpc_ids(endpoint) == before


def test_unknown_access_key_is_auth_failure(endpoint):
    r = call(endpoint, "DescribeVpcs", access_key="AKIDNOSUCHKEY0000000", secret="whatever")
    assert_error(r, "AuthFailure")


def test_second_account_credentials_are_accepted(endpoint):
    r = call(endpoint, "DescribeVpcs", account="other")
    assert r.status == 200, r


@pytest.mark.parametrize("minutes", [20, -20], ids=["20min-old", "20min-future"])
def test_skewed_date_is_request_expired(endpoint, minutes):
    when = ec2wire.utcnow() - datetime.timedelta(minutes=minutes)
    r = call(endpoint, "DescribeVpcs", when=when)
    assert_error(r, "RequestExpired")


def test_date_within_fifteen_minutes_is_accepted(endpoint):
    when = ec2wire.utcnow() - datetime.timedelta(minutes=10)
    r = call(endpoint, "DescribeVpcs", when=when)
    assert r.status == 200, r


def test_body_changed_after_signing_is_rejected(endpoint):
    before = vpc_ids(endpoint)
    url, headers, body = ec2wire.build(endpoint, "CreateVpc", {"CidrBlock": "10.1.0.0/16"})
    tampered = body.replace(b"10.1.0.0", b"10.2.0.0")
    assert tampered != body
    headers["Content-Length"] = str(len(tampered))
    r = send("POST", url, headers, tampered)
    assert_error(r, "AuthFailure")
    assert vpc_ids(endpoint) == before


def test_signed_header_changed_after_signing_is_rejected(endpoint):
    # Sign an extra header (as the JS SDK v3 does with amz-sdk-invocation-id), then change it.
    req = AWSRequest(method="POST", url=endpoint + "/",
                     data=ec2wire.encode(ec2wire.with_action("DescribeVpcs")).encode(),
                     headers={"Content-Type": ec2wire.FORM, "Amz-Sdk-Invocation-Id": "abc"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "ec2", "us-east-1").add_auth(req)
    p = req.prepare()
    headers = dict(p.headers)
    assert "amz-sdk-invocation-id" in headers["Authorization"]
    ok = send("POST", p.url, headers, p.body)
    assert ok.status == 200, f"extra signed header must be verified, not rejected: {ok!r}"
    headers["Amz-Sdk-Invocation-Id"] = "abd"
    r = send("POST", p.url, headers, p.body)
    assert_error(r, "AuthFailure")


def test_js_sdk_style_signed_headers_are_accepted(endpoint):
    # JS SDK v3 signs content-length and x-amz-content-sha256 too (spec §5).
    import hashlib
    body = ec2wire.encode(ec2wire.with_action("DescribeVpcs")).encode()
    req = AWSRequest(method="POST", url=endpoint + "/", data=body, headers={
        "Content-Type": ec2wire.FORM, "Content-Length": str(len(body)),
        "X-Amz-Content-Sha256": hashlib.sha256(body).hexdigest(),
        "Amz-Sdk-Request": "attempt=1; max=3", "X-Amz-User-Agent": "aws-sdk-js/3.0"})
    botocore.auth.SigV4Auth(botocore.credentials.Credentials("test", "test"), "ec2", "eu-west-1").add_auth(req)
    p = req.prepare()
    assert "content-length" in p.headers["Authorization"]
    r = send("POST", p.url, dict(p.headers), p.body)
    assert r.status == 200, r


def test_scope_service_openvpc_does_not_serve_is_named(endpoint):
    # Issue 15: one listener serves every implemented service, chosen by the credential scope; a
    # service openvpc does not implement is refused with an error that names it, and nothing runs.
    before = vpc_ids(endpoint)
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.1.0.0/16"}, service="rds")
    assert r.status == 501, r
    assert r.error_code == "NotImplemented", r
    assert "'rds'" in r.error_message and "ec2" in r.error_message, r
    assert_error_document(r)
    assert vpc_ids(endpoint) == before


def test_ec2_action_signed_for_another_service_is_not_run(endpoint):
    # CreateVpc is no action of STS: answered by STS (its own error document), nothing created.
    before = vpc_ids(endpoint)
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.1.0.0/16"}, service="sts", version="2011-06-15")
    assert r.status == 400, r
    assert r.tag == "ErrorResponse", r
    assert vpc_ids(endpoint) == before


class _ScopeDateSigV4(botocore.auth.SigV4Auth):
    """Signs correctly, but with a credential-scope date different from X-Amz-Date's date."""

    def _date(self, request):
        d = datetime.datetime.strptime(request.context["timestamp"][:8], "%Y%m%d") - datetime.timedelta(days=1)
        return d.strftime("%Y%m%d")

    def scope(self, request):
        return "/".join([self.credentials.access_key, self._date(request), self._region_name,
                         self._service_name, "aws4_request"])

    def credential_scope(self, request):
        return "/".join([self._date(request), self._region_name, self._service_name, "aws4_request"])


def test_scope_date_differs_from_x_amz_date_is_rejected(endpoint):
    req = AWSRequest(method="POST", url=endpoint + "/",
                     data=ec2wire.encode(ec2wire.with_action("DescribeVpcs")).encode(),
                     headers={"Content-Type": ec2wire.FORM})
    _ScopeDateSigV4(botocore.credentials.Credentials("test", "test"), "ec2", "us-east-1").add_auth(req)
    p = req.prepare()
    r = send("POST", p.url, dict(p.headers), p.body)
    assert r.root is not None, r
    assert 400 <= r.status < 500, r
    assert r.error_code in {"AuthFailure", "IncompleteSignature", "SignatureDoesNotMatch"}, r


def test_missing_x_amz_date_is_rejected(endpoint):
    url, headers, body = ec2wire.build(endpoint, "DescribeVpcs")
    del headers["X-Amz-Date"]
    r = send("POST", url, headers, body)
    assert r.root is not None, r
    assert 400 <= r.status < 500, r
    assert r.error_code in {"IncompleteSignature", "AuthFailure"}, r


def test_presigned_query_auth_get(endpoint):
    r = call(endpoint, "DescribeVpcs", presign=True)
    assert r.status == 200, r
    assert r.tag == "DescribeVpcsResponse"


def test_presigned_query_auth_with_wrong_secret_is_rejected(endpoint):
    r = call(endpoint, "DescribeVpcs", presign=True, secret="wrong")
    assert_error(r, "AuthFailure")


# ----------------------------------------------------------------------------------------------
# document shapes

def test_error_document_shape(endpoint):
    r = call(endpoint, "DescribeVpcs", {"VpcId.1": "vpc-0123456789abcdef0"})
    assert_error(r, "InvalidVpcID.NotFound", status=400)
    assert "xml" in r.headers.get("Content-Type", ""), r.headers
    assert "vpc-0123456789abcdef0" in (r.error_message or "")


def test_success_document_shape(endpoint):
    r = call(endpoint, "DescribeVpcs")
    assert r.status == 200, r
    assert "xml" in r.headers.get("Content-Type", ""), r.headers
    assert r.root.tag == "{%s}DescribeVpcsResponse" % SUCCESS_NS, r.root.tag
    children = [ec2wire.local(c.tag) for c in r.root]
    assert "requestId" in children and "vpcSet" in children, children
    assert "DescribeVpcsResult" not in children, "ec2 protocol has no <...Result> wrapper"
    rid = r.root.find("{%s}requestId" % SUCCESS_NS).text
    assert rid and rid.strip()


def test_request_ids_are_unique(endpoint):
    a = call(endpoint, "DescribeVpcs").text("requestId")
    b = call(endpoint, "DescribeVpcs").text("requestId")
    c = call(endpoint, "DescribeVpcs", {"VpcId.1": "vpc-0123456789abcdef0"}).text("RequestID")
    assert len({a, b, c}) == 3, (a, b, c)


def test_create_vpc_response_root(endpoint):
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.3.0.0/16"})
    assert r.status == 200, r
    assert r.root.tag == "{%s}CreateVpcResponse" % SUCCESS_NS
    vpc_id = r.text("vpcId")
    assert vpc_id and vpc_id.startswith("vpc-")
    assert vpc_id in vpc_ids(endpoint)


# ----------------------------------------------------------------------------------------------
# common client errors

def test_unknown_action_is_invalid_action(endpoint):
    r = call(endpoint, "DescribeUnicorns")
    assert_error(r, "InvalidAction")


def test_missing_action(endpoint):
    r = call(endpoint, None, [("Version", ec2wire.API_VERSION)])
    assert r.root is not None, r
    assert 400 <= r.status < 500, r
    assert r.error_code in {"MissingAction", "InvalidAction"}, r


def test_unknown_parameter(endpoint):
    r = call(endpoint, "DescribeVpcs", {"Foo": "1"})
    assert_error(r, "UnknownParameter")
    assert "Foo" in (r.error_message or "")


def test_unknown_parameter_on_create_creates_nothing(endpoint):
    before = vpc_ids(endpoint)
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.4.0.0/16", "Bogus": "x"})
    assert_error(r, "UnknownParameter")
    assert vpc_ids(endpoint) == before


def test_missing_required_parameter(endpoint):
    r = call(endpoint, "DeleteVpc")
    assert_error(r, "MissingParameter")


def test_missing_required_parameter_create_subnet(endpoint):
    r = call(endpoint, "CreateSubnet", {"CidrBlock": "10.0.0.0/24"})
    assert_error(r, "MissingParameter")


@pytest.mark.parametrize("value", ["abc", "1.5"])
def test_wrong_type_integer_is_invalid_parameter_value(endpoint, value):
    r = call(endpoint, "DescribeVpcs", {"MaxResults": value})
    assert_error(r, "InvalidParameterValue")


def test_wrong_type_boolean_is_invalid_parameter_value(endpoint):
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.5.0.0/16", "AmazonProvidedIpv6CidrBlock": "maybe"})
    assert_error(r, "InvalidParameterValue")


def test_dry_run_create_vpc_is_412_and_creates_nothing(endpoint):
    before = vpc_ids(endpoint)
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.6.0.0/16", "DryRun": "true"})
    assert_error(r, "DryRunOperation", status=412)
    assert vpc_ids(endpoint) == before


def test_dry_run_describe(endpoint):
    r = call(endpoint, "DescribeVpcs", {"DryRun": "true"})
    assert_error(r, "DryRunOperation", status=412)


def test_dry_run_false_creates(endpoint):
    before = vpc_ids(endpoint)
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.7.0.0/16", "DryRun": "false"})
    assert r.status == 200, r
    assert set(vpc_ids(endpoint)) - set(before) == {r.text("vpcId")}


# ----------------------------------------------------------------------------------------------
# GET, regions

def test_get_with_signed_query_string(endpoint):
    r = call(endpoint, "DescribeVpcs", method="GET")
    assert r.status == 200, r
    assert r.tag == "DescribeVpcsResponse"


def test_get_create_vpc(endpoint):
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.8.0.0/16"}, method="GET")
    assert r.status == 200, r
    assert r.text("vpcId") in vpc_ids(endpoint)


def test_get_with_tampered_query_string_is_rejected(endpoint):
    url, headers, body = ec2wire.build(endpoint, "CreateVpc", {"CidrBlock": "10.9.0.0/16"}, method="GET")
    before = vpc_ids(endpoint)
    r = send("GET", url.replace("10.9.0.0", "10.10.0.0"), headers)
    assert_error(r, "AuthFailure")
    assert vpc_ids(endpoint) == before


def test_region_comes_from_the_credential_scope(endpoint):
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.11.0.0/16"}, region="eu-west-1")
    assert r.status == 200, r
    vpc = r.text("vpcId")
    assert vpc in vpc_ids(endpoint, region="eu-west-1")
    assert vpc not in vpc_ids(endpoint, region="us-east-1")
    assert vpc not in vpc_ids(endpoint, region="us-west-2")
    # Looking it up by id from another region: not found.
    r2 = call(endpoint, "DescribeVpcs", {"VpcId.1": vpc}, region="us-east-1")
    assert_error(r2, "InvalidVpcID.NotFound")


def test_region_on_post_and_get_agree(endpoint):
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.12.0.0/16"}, region="ap-southeast-2", method="GET")
    assert r.status == 200, r
    assert r.text("vpcId") in vpc_ids(endpoint, region="ap-southeast-2")
    assert r.text("vpcId") not in vpc_ids(endpoint, region="us-east-1")


# ----------------------------------------------------------------------------------------------
# ClientToken idempotency

def _model_has_client_token(ec2, op):
    return "ClientToken" in ec2.meta.service_model.operation_model(op).input_shape.members


def _non_main_route_tables(ec2, vpc_id):
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]
    return [t["RouteTableId"] for t in tables if not any(a.get("Main") for a in t.get("Associations", []))]


def test_create_route_table_client_token_is_idempotent(ec2):
    assert _model_has_client_token(ec2, "CreateRouteTable")
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    token = str(uuid.uuid4())
    a = ec2.create_route_table(VpcId=vpc, ClientToken=token)
    b = ec2.create_route_table(VpcId=vpc, ClientToken=token)
    assert a["RouteTable"]["RouteTableId"] == b["RouteTable"]["RouteTableId"]
    assert a.get("ClientToken") == token and b.get("ClientToken") == token
    assert _non_main_route_tables(ec2, vpc) == [a["RouteTable"]["RouteTableId"]]
    # A different token is a different request.
    c = ec2.create_route_table(VpcId=vpc, ClientToken=str(uuid.uuid4()))
    assert c["RouteTable"]["RouteTableId"] != a["RouteTable"]["RouteTableId"]
    assert len(_non_main_route_tables(ec2, vpc)) == 2


def test_create_route_table_client_token_mismatch(ec2):
    vpc1 = ec2.create_vpc(CidrBlock="10.21.0.0/16")["Vpc"]["VpcId"]
    vpc2 = ec2.create_vpc(CidrBlock="10.22.0.0/16")["Vpc"]["VpcId"]
    token = str(uuid.uuid4())
    ec2.create_route_table(VpcId=vpc1, ClientToken=token)
    with pytest.raises(ClientError) as e:
        ec2.create_route_table(VpcId=vpc2, ClientToken=token)
    assert e.value.response["Error"]["Code"] == "IdempotentParameterMismatch"
    assert 400 <= e.value.response["ResponseMetadata"]["HTTPStatusCode"] < 500
    assert _non_main_route_tables(ec2, vpc2) == []
    assert len(_non_main_route_tables(ec2, vpc1)) == 1


def _eigws_of(ec2, vpc_id):
    out = []
    for g in ec2.describe_egress_only_internet_gateways()["EgressOnlyInternetGateways"]:
        if any(a.get("VpcId") == vpc_id for a in g.get("Attachments", [])):
            out.append(g["EgressOnlyInternetGatewayId"])
    return out


def test_create_egress_only_igw_client_token_is_idempotent(ec2):
    assert _model_has_client_token(ec2, "CreateEgressOnlyInternetGateway")
    vpc = ec2.create_vpc(CidrBlock="10.23.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    token = str(uuid.uuid4())
    a = ec2.create_egress_only_internet_gateway(VpcId=vpc, ClientToken=token)
    b = ec2.create_egress_only_internet_gateway(VpcId=vpc, ClientToken=token)
    ida = a["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    assert ida == b["EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    assert a.get("ClientToken") == token
    assert _eigws_of(ec2, vpc) == [ida]


def test_create_egress_only_igw_client_token_mismatch(ec2):
    vpc1 = ec2.create_vpc(CidrBlock="10.24.0.0/16")["Vpc"]["VpcId"]
    vpc2 = ec2.create_vpc(CidrBlock="10.25.0.0/16")["Vpc"]["VpcId"]
    token = str(uuid.uuid4())
    ec2.create_egress_only_internet_gateway(VpcId=vpc1, ClientToken=token)
    with pytest.raises(ClientError) as e:
        ec2.create_egress_only_internet_gateway(VpcId=vpc2, ClientToken=token)
    assert e.value.response["Error"]["Code"] == "IdempotentParameterMismatch"
    assert _eigws_of(ec2, vpc2) == []


def test_client_token_replay_over_raw_wire(endpoint):
    r = call(endpoint, "CreateVpc", {"CidrBlock": "10.26.0.0/16"})
    vpc = r.text("vpcId")
    params = {"VpcId": vpc, "ClientToken": "tok-raw-1"}
    a = call(endpoint, "CreateRouteTable", params)
    b = call(endpoint, "CreateRouteTable", params, method="GET")
    assert a.status == 200 and b.status == 200, (a, b)
    assert a.text("routeTableId") == b.text("routeTableId")
    assert a.text("clientToken") == "tok-raw-1"


# ----------------------------------------------------------------------------------------------
# the real aws CLI

def test_aws_cli_create_and_describe_vpc(aws_cli):
    out = aws_cli("create-vpc", "--cidr-block", "10.30.0.0/16",
                  "--tag-specifications", "ResourceType=vpc,Tags=[{Key=Name,Value=cli}]")
    vpc = out["Vpc"]["VpcId"]
    assert vpc.startswith("vpc-")
    assert out["Vpc"]["CidrBlock"] == "10.30.0.0/16"
    d = aws_cli("describe-vpcs", "--vpc-ids", vpc)
    assert [v["VpcId"] for v in d["Vpcs"]] == [vpc]
    assert {"Key": "Name", "Value": "cli"} in d["Vpcs"][0].get("Tags", [])
    f = aws_cli("describe-vpcs", "--filters", "Name=tag:Name,Values=cli")
    assert [v["VpcId"] for v in f["Vpcs"]] == [vpc]


def test_aws_cli_error_code_in_stderr(aws_cli):
    p = aws_cli("describe-vpcs", "--vpc-ids", "vpc-0123456789abcdef0", check=False)
    assert not isinstance(p, dict), f"must fail, got {p}"
    assert p.returncode != 0
    assert "InvalidVpcID.NotFound" in p.stderr, p.stderr


def test_aws_cli_dry_run(aws_cli):
    before = aws_cli("describe-vpcs")["Vpcs"]
    p = aws_cli("create-vpc", "--cidr-block", "10.31.0.0/16", "--dry-run", check=False)
    assert not isinstance(p, dict), f"--dry-run must fail with DryRunOperation, got {p}"
    assert p.returncode != 0
    assert "DryRunOperation" in p.stderr, p.stderr
    assert aws_cli("describe-vpcs")["Vpcs"] == before


def test_aws_cli_region(aws_cli):
    vpc = aws_cli("create-vpc", "--cidr-block", "10.32.0.0/16", region="eu-central-1")["Vpc"]["VpcId"]
    assert vpc in [v["VpcId"] for v in aws_cli("describe-vpcs", region="eu-central-1")["Vpcs"]]
    assert vpc not in [v["VpcId"] for v in aws_cli("describe-vpcs", region="us-east-1")["Vpcs"]]
