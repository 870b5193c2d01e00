"""Response-shape conformance: the raw XML of every response is walked against the operation's output
shape in botocore's EC2 model (botocore/data/ec2/2016-11-15/service-2.json), the same model every SDK
and the aws CLI are generated from.

Rules (spec wire-protocol-and-peers.md §1 "Response encoding"):
* success root is <{Op}Response xmlns="http://ec2.amazonaws.com/doc/2016-11-15/"> holding one non-empty
  <requestId> and the output members directly (no <{Op}Result> wrapper); all elements in that namespace;
* every child element of a structure is one of its members, named by the member's locationName
  (else the member name), and appears at most once; members in shape.required_members are present;
* a list's children are all <item> (the list member's locationName); a list never holds text;
* scalars have no child elements and the right lexical form: booleans true|false, integers/longs
  decimal digits in range, doubles decimal, timestamps ISO-8601, enum strings one of the model's values;
* errors are <Response><Errors><Error><Code/><Message/></Error></Errors><RequestID/></Response>.
Botocore silently drops unknown elements and mis-typed values would break or be lost in SDK parsing, so
this is stricter than "boto3 did not raise". The checker is unit-tested on hand-written bad XML below.
"""
import base64
import binascii
import ipaddress
import re
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.exceptions import ClientError

import ec2wire
from ec2wire import XMLNS

_ISO8601 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:?\d{2})")
_INT = re.compile(r"-?\d+")
_DOUBLE = re.compile(r"-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?|NaN|-?Infinity")
_RANGES = {"integer": (-2 ** 31, 2 ** 31 - 1), "long": (-2 ** 63, 2 ** 63 - 1)}

_MODEL = None

# Values real EC2 returns that the model's enum lacks: (structure, member) -> extra values.
# Internet-gateway attachments say "available" (EC2 API Reference, InternetGatewayAttachment: "For an
# internet gateway, the state is available when attached to a VPC").
KNOWN_ENUM_EXTRAS = {("InternetGatewayAttachment", "State"): {"available"}}


def service_model():
    global _MODEL
    if _MODEL is None:
        _MODEL = boto3.session.Session().client(
            "ec2", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x").meta.service_model
    return _MODEL


def _split(tag):
    if tag.startswith("{"):
        ns, name = tag[1:].split("}", 1)
        return ns, name
    return None, tag


def xml_name(member_name, member_shape):
    return member_shape.serialization.get("name", member_name)


class Checker:
    def __init__(self, namespace):
        self.namespace = namespace
        self.violations = []

    def bad(self, path, problem):
        self.violations.append(f"{path}: {problem}")

    def element_name(self, el, path):
        ns, name = _split(el.tag)
        if ns != self.namespace:
            self.bad(f"{path}/{name}", f"namespace {ns!r}, expected {self.namespace!r}")
        return name

    def no_text(self, el, path, what):
        if el.text and el.text.strip():
            self.bad(path, f"{what} holds text {el.text.strip()[:40]!r}")
        for c in el:
            if c.tail and c.tail.strip():
                self.bad(path, f"{what} holds text {c.tail.strip()[:40]!r}")

    def walk(self, shape, el, path, context=None):
        t = shape.type_name
        if t == "structure":
            self.structure(shape, el, path)
        elif t == "list":
            self.list(shape, el, path)
        elif t == "map":
            self.bad(path, "map shapes are not used by EC2 outputs")  # none exist in the model
        else:
            self.scalar(shape, el, path, KNOWN_ENUM_EXTRAS.get(context, ()))

    def structure(self, shape, el, path, extra=()):
        self.no_text(el, path, f"structure {shape.name}")
        by_xml = {xml_name(n, m): (n, m) for n, m in shape.members.items()}
        seen = {}
        for child in el:
            name = self.element_name(child, path)
            seen[name] = seen.get(name, 0) + 1
            cpath = f"{path}/{name}"
            if name in extra:
                extra[name](child, cpath)
                continue
            if name not in by_xml:
                self.bad(cpath, f"not a member of {shape.name} (members: {sorted(by_xml)})")
                continue
            if seen[name] == 2:
                self.bad(cpath, f"element repeated in {shape.name} (lists use a wrapper with <item>s)")
            self.walk(by_xml[name][1], child, cpath, context=(shape.name, by_xml[name][0]))
        for req in shape.required_members:
            if xml_name(req, shape.members[req]) not in seen:
                self.bad(path, f"required member {req} (<{xml_name(req, shape.members[req])}>) of {shape.name} missing")
        return seen

    def list(self, shape, el, path):
        self.no_text(el, path, f"list {shape.name}")
        if shape.serialization.get("flattened"):
            self.bad(path, "flattened lists are not used by EC2 outputs")
        item = shape.member.serialization.get("name", "member")
        for i, child in enumerate(el):
            name = self.element_name(child, path)
            cpath = f"{path}/{name}[{i}]"
            if name != item:
                self.bad(cpath, f"list {shape.name} element must be <{item}>, got <{name}>")
                continue
            self.walk(shape.member, child, cpath)

    def scalar(self, shape, el, path, enum_extras=()):
        t = shape.type_name
        if len(el):
            self.bad(path, f"{t} {shape.name} has child elements {[_split(c.tag)[1] for c in el][:5]}")
            return
        text = el.text or ""
        if t == "boolean":
            if text not in ("true", "false"):
                self.bad(path, f"boolean must be true|false, got {text!r}")
        elif t in ("integer", "long"):
            lo, hi = _RANGES[t]
            if not _INT.fullmatch(text):
                self.bad(path, f"{t} expected, got {text!r}")
            elif not lo <= int(text) <= hi:
                self.bad(path, f"{t} out of range: {text}")
        elif t in ("double", "float"):
            if not _DOUBLE.fullmatch(text):
                self.bad(path, f"{t} expected, got {text!r}")
        elif t == "timestamp":
            if not _ISO8601.fullmatch(text):
                self.bad(path, f"ISO-8601 timestamp expected, got {text!r}")
        elif t == "blob":
            try:
                base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                self.bad(path, f"base64 expected, got {text[:40]!r}")
        elif t == "string":
            if shape.enum and text not in shape.enum and text not in enum_extras:
                self.bad(path, f"{text!r} is not a value of enum {shape.name} {list(shape.enum)[:12]}")
        else:
            self.bad(path, f"unexpected shape type {t}")


def check_response(op_name, body, model=None):
    """Violations (list of 'path: problem') of a success response body for operation op_name."""
    model = model or service_model()
    op = model.operation_model(op_name)
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        return [f"/: not well-formed XML: {e}"]
    ns, name = _split(root.tag)
    c = Checker(XMLNS)
    path = f"/{name}"
    if name != f"{op_name}Response":
        c.bad(path, f"root must be <{op_name}Response>")
    if ns != XMLNS:
        c.bad(path, f"root namespace must be {XMLNS!r}, got {ns!r}")
    c.namespace = ns if ns else XMLNS

    def request_id(el, p):
        if len(el) or not (el.text or "").strip():
            c.bad(p, "requestId must be a non-empty string")

    def ret(el, p):
        # Real EC2 returns <return>true</return> for actions whose model output is empty
        # (DeleteVpc, AttachInternetGateway, CreateTags, ...); botocore ignores it.
        if (el.text or "") not in ("true", "false") or len(el):
            c.bad(p, f"<return> must be true|false, got {el.text!r}")

    shape = op.output_shape
    extra = {"requestId": request_id}
    if shape is None or "Return" not in shape.members:
        extra["return"] = ret
    if shape is None:
        from botocore.model import StructureShape
        shape = StructureShape(f"{op_name}EmptyOutput", {"type": "structure", "members": {}})
    seen = c.structure(shape, root, path, extra=extra)
    if seen.get("requestId", 0) != 1:
        c.bad(path, f"exactly one <requestId> expected, found {seen.get('requestId', 0)}")
    return c.violations


def check_error(body):
    """Violations of an error document."""
    out = []
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        return [f"/: not well-formed XML: {e}"]
    if root.tag != "Response":
        out.append(f"/{root.tag}: error root must be <Response> (no namespace)")
    kids = [c.tag for c in root]
    if sorted(kids) != ["Errors", "RequestID"]:
        out.append(f"/Response: children must be <Errors> and <RequestID>, got {kids}")
    for errors in root.findall("Errors"):
        if len(errors) == 0:
            out.append("/Response/Errors: no <Error>")
        for i, e in enumerate(errors):
            p = f"/Response/Errors/{e.tag}[{i}]"
            if e.tag != "Error":
                out.append(f"{p}: must be <Error>")
                continue
            tags = [x.tag for x in e]
            for need in ("Code", "Message"):
                if tags.count(need) != 1:
                    out.append(f"{p}: exactly one <{need}> expected, got {tags}")
            for x in e:
                if x.tag not in ("Code", "Message"):
                    out.append(f"{p}/{x.tag}: unexpected element")
            code = e.find("Code")
            if code is not None and not re.fullmatch(r"[A-Za-z0-9]+(\.[A-Za-z0-9]+)*", code.text or ""):
                out.append(f"{p}/Code: malformed code {code.text!r}")
    rid = root.find("RequestID")
    if rid is not None and not (rid.text or "").strip():
        out.append("/Response/RequestID: empty")
    return out


# ==============================================================================================
# unit tests of the checker itself (no server needed)

GOOD_DESCRIBE_VPCS = f"""<?xml version="1.0" encoding="UTF-8"?>
<DescribeVpcsResponse xmlns="{XMLNS}">
  <requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>
  <vpcSet>
    <item>
      <vpcId>vpc-0123456789abcdef0</vpcId>
      <ownerId>123456789012</ownerId>
      <state>available</state>
      <cidrBlock>10.0.0.0/16</cidrBlock>
      <cidrBlockAssociationSet>
        <item>
          <cidrBlock>10.0.0.0/16</cidrBlock>
          <associationId>vpc-cidr-assoc-0123456789abcdef0</associationId>
          <cidrBlockState><state>associated</state></cidrBlockState>
        </item>
      </cidrBlockAssociationSet>
      <ipv6CidrBlockAssociationSet/>
      <dhcpOptionsId>dopt-0123456789abcdef0</dhcpOptionsId>
      <tagSet><item><key>Name</key><value>x</value></item></tagSet>
      <instanceTenancy>default</instanceTenancy>
      <isDefault>false</isDefault>
    </item>
  </vpcSet>
</DescribeVpcsResponse>"""


def _mutate(old, new):
    assert old in GOOD_DESCRIBE_VPCS
    return GOOD_DESCRIBE_VPCS.replace(old, new, 1)


def test_checker_accepts_good_xml():
    assert check_response("DescribeVpcs", GOOD_DESCRIBE_VPCS) == []


@pytest.mark.parametrize("old,new,path,word", [
    ("<isDefault>false</isDefault>", "<isDefault>false</isDefault><bogus>1</bogus>",
     "/DescribeVpcsResponse/vpcSet/item[0]/bogus", "not a member"),
    ("<isDefault>false</isDefault>", "<isDefault>False</isDefault>",
     "/DescribeVpcsResponse/vpcSet/item[0]/isDefault", "boolean"),
    ("<tagSet><item><key>Name</key><value>x</value></item>", "<tagSet><member><key>Name</key><value>x</value></member>",
     "/DescribeVpcsResponse/vpcSet/item[0]/tagSet/member[0]", "must be <item>"),
    ("<state>available</state>", "<state>ready</state>",
     "/DescribeVpcsResponse/vpcSet/item[0]/state", "enum"),
    ("<vpcId>vpc-0123456789abcdef0</vpcId>", "<VpcId>vpc-0123456789abcdef0</VpcId>",
     "/DescribeVpcsResponse/vpcSet/item[0]/VpcId", "not a member"),
    ("<requestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</requestId>", "",
     "/DescribeVpcsResponse", "requestId"),
    ("<cidrBlock>10.0.0.0/16</cidrBlock>\n      <cidrBlockAssociationSet>",
     "<cidrBlock><v>10.0.0.0/16</v></cidrBlock>\n      <cidrBlockAssociationSet>",
     "/DescribeVpcsResponse/vpcSet/item[0]/cidrBlock", "child elements"),
    ("<vpcId>vpc-0123456789abcdef0</vpcId>", "<vpcId>a</vpcId><vpcId>b</vpcId>",
     "/DescribeVpcsResponse/vpcSet/item[0]/vpcId", "repeated"),
    ("<vpcSet>", "<vpcSet>stray",
     "/DescribeVpcsResponse/vpcSet", "text"),
    (f'<DescribeVpcsResponse xmlns="{XMLNS}">', '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15">',
     "/DescribeVpcsResponse", "namespace"),
    ("<DescribeVpcsResponse", "<DescribeVpcsResult", "/DescribeVpcsResult", "root must be"),
])
def test_checker_rejects_bad_xml(old, new, path, word):
    body = _mutate(old, new)
    if "DescribeVpcsResult" in new:
        body = body.replace("</DescribeVpcsResponse>", "</DescribeVpcsResult>")
    violations = check_response("DescribeVpcs", body)
    assert violations, "the checker accepted bad XML"
    assert any(v.startswith(path + ":") and word in v for v in violations), violations


def test_checker_rejects_bad_integer_and_timestamp():
    subnets = f"""<DescribeSubnetsResponse xmlns="{XMLNS}"><requestId>r</requestId><subnetSet><item>
        <subnetId>subnet-1</subnetId><availableIpAddressCount>many</availableIpAddressCount></item></subnetSet>
        </DescribeSubnetsResponse>"""
    v = check_response("DescribeSubnets", subnets)
    assert any("/subnetSet/item[0]/availableIpAddressCount:" in x and "integer" in x for x in v), v
    nat = f"""<DescribeNatGatewaysResponse xmlns="{XMLNS}"><requestId>r</requestId><natGatewaySet><item>
        <natGatewayId>nat-1</natGatewayId><createTime>{{}}</createTime></item></natGatewaySet>
        </DescribeNatGatewaysResponse>"""
    assert check_response("DescribeNatGateways", nat.format("2024-05-01T10:20:30.000Z")) == []
    for bad in ("yesterday", "2024-05-01 10:20:30", "1714558830"):
        v = check_response("DescribeNatGateways", nat.format(bad))
        assert any("/natGatewaySet/item[0]/createTime:" in x and "ISO-8601" in x for x in v), (bad, v)


def test_checker_rejects_missing_required_member():
    body = f"""<DescribeSpotInstanceRequestsResponse xmlns="{XMLNS}"><requestId>r</requestId>
      <spotInstanceRequestSet><item><launchSpecification><monitoring>{{}}</monitoring></launchSpecification>
      </item></spotInstanceRequestSet></DescribeSpotInstanceRequestsResponse>"""
    assert check_response("DescribeSpotInstanceRequests", body.format("<enabled>true</enabled>")) == []
    v = check_response("DescribeSpotInstanceRequests", body.format(""))
    assert any("launchSpecification/monitoring:" in x and "required member Enabled" in x for x in v), v


def test_checker_return_element_on_empty_output():
    ok = f'<DeleteVpcResponse xmlns="{XMLNS}"><requestId>r</requestId><return>true</return></DeleteVpcResponse>'
    assert check_response("DeleteVpc", ok) == []
    bad = ok.replace("<return>true</return>", "<return>yes</return><vpcId>vpc-1</vpcId>")
    v = check_response("DeleteVpc", bad)
    assert any(x.startswith("/DeleteVpcResponse/return:") for x in v), v
    assert any(x.startswith("/DeleteVpcResponse/vpcId:") for x in v), v


def test_checker_error_documents():
    good = ("<Response><Errors><Error><Code>InvalidVpcID.NotFound</Code><Message>The vpc ID 'vpc-1' does not exist"
            "</Message></Error></Errors><RequestID>abc</RequestID></Response>")
    assert check_error(good) == []
    assert check_error(good.replace("<Response>", f'<Response xmlns="{XMLNS}">'))
    assert check_error(good.replace("<Message>", "<Msg>").replace("</Message>", "</Msg>"))
    assert check_error(good.replace("RequestID", "requestId"))
    assert check_error(good.replace("<Code>InvalidVpcID.NotFound</Code>", "<Code></Code>"))
    assert check_error("<Response><Errors/><RequestID>x</RequestID></Response>")
    assert check_error("not xml")


# ==============================================================================================
# live responses

class Capture:
    """Records (operation, HTTP status, raw body) of every call a boto3 client makes."""

    def __init__(self, client):
        self.calls = []
        client.meta.events.register("after-call.ec2", self._after_call)

    def _after_call(self, http_response, model, **kwargs):
        self.calls.append((model.name, http_response.status_code, http_response.content))

    def violations(self):
        out = []
        for i, (op, status, body) in enumerate(self.calls):
            found = check_response(op, body) if status == 200 else check_error(body)
            out.extend(f"call #{i} {op} (HTTP {status}) {v}" for v in found)
        return out


def _expect_error(problems, fn, code, **kw):
    """Call fn expecting error `code`; a wrong outcome is recorded (not raised) so the shape check still runs."""
    try:
        fn(**kw)
    except ClientError as e:
        if e.response["Error"]["Code"] != code:
            problems.append(f"{fn.__name__}: expected {code}, got {e.response['Error']['Code']}")
        return
    problems.append(f"{fn.__name__}: expected {code}, but it succeeded")


def _first_64(cidr56):
    return str(next(ipaddress.ip_network(cidr56).subnets(new_prefix=64)))


def run_scenario(ec2, problems):
    """A broad sequence of VPC operations; returns the ids it made. Unexpected outcomes of the calls
    that must fail are appended to `problems`."""
    tag = lambda rt, name: [{"ResourceType": rt, "Tags": [{"Key": "Name", "Value": name}, {"Key": "suite", "Value": "shapes"}]}]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True,
                         TagSpecifications=tag("vpc", "shapes-vpc"))["Vpc"]
    vpc_id = vpc["VpcId"]
    ec2.describe_vpcs()
    ec2.describe_vpcs(VpcIds=[vpc_id])
    ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["shapes-vpc"]}])
    ec2.describe_vpcs(MaxResults=5)
    for attr in ("enableDnsSupport", "enableDnsHostnames", "enableNetworkAddressUsageMetrics"):
        ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=attr)
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.1.0.0/16")
    described = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]
    v6 = [a["Ipv6CidrBlock"] for a in described.get("Ipv6CidrBlockAssociationSet", []) if a.get("Ipv6CidrBlock")]

    sub_args = dict(VpcId=vpc_id, CidrBlock="10.0.1.0/24", TagSpecifications=tag("subnet", "shapes-subnet"))
    if v6:
        sub_args["Ipv6CidrBlock"] = _first_64(v6[0])
    subnet_id = ec2.create_subnet(**sub_args)["Subnet"]["SubnetId"]
    subnet2 = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.1.2.0/24")["Subnet"]["SubnetId"]
    ec2.describe_subnets()
    ec2.describe_subnets(SubnetIds=[subnet_id])
    ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])

    igw_id = ec2.create_internet_gateway(TagSpecifications=tag("internet-gateway", "shapes-igw"))[
        "InternetGateway"]["InternetGatewayId"]
    ec2.describe_internet_gateways(InternetGatewayIds=[igw_id])
    ec2.attach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.describe_internet_gateways()
    ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])

    eigw_id = ec2.create_egress_only_internet_gateway(
        VpcId=vpc_id, TagSpecifications=tag("egress-only-internet-gateway", "shapes-eigw"))[
        "EgressOnlyInternetGateway"]["EgressOnlyInternetGatewayId"]
    ec2.describe_egress_only_internet_gateways()
    ec2.describe_egress_only_internet_gateways(EgressOnlyInternetGatewayIds=[eigw_id])

    rtb_id = ec2.create_route_table(VpcId=vpc_id, TagSpecifications=tag("route-table", "shapes-rtb"))[
        "RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)
    ec2.create_route(RouteTableId=rtb_id, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw_id)
    assoc = ec2.associate_route_table(RouteTableId=rtb_id, SubnetId=subnet_id)["AssociationId"]
    ec2.describe_route_tables()
    ec2.describe_route_tables(RouteTableIds=[rtb_id])
    ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    rtb2 = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    assoc = ec2.replace_route_table_association(AssociationId=assoc, RouteTableId=rtb2)["NewAssociationId"]
    ec2.describe_route_tables(RouteTableIds=[rtb2])

    dopt_id = ec2.create_dhcp_options(DhcpConfigurations=[
        {"Key": "domain-name", "Values": ["example.internal"]},
        {"Key": "domain-name-servers", "Values": ["10.0.0.2", "10.0.0.3"]},
        {"Key": "ntp-servers", "Values": ["169.254.169.123"]},
    ], TagSpecifications=tag("dhcp-options", "shapes-dopt"))["DhcpOptions"]["DhcpOptionsId"]
    ec2.describe_dhcp_options()
    ec2.describe_dhcp_options(DhcpOptionsIds=[dopt_id])
    ec2.associate_dhcp_options(DhcpOptionsId=dopt_id, VpcId=vpc_id)

    ec2.create_tags(Resources=[vpc_id, subnet_id], Tags=[{"Key": "env", "Value": "test"}, {"Key": "empty", "Value": ""}])
    ec2.describe_tags()
    ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])
    ec2.describe_tags(MaxResults=5)
    ec2.delete_tags(Resources=[subnet_id], Tags=[{"Key": "env"}])

    ec2.describe_availability_zones()
    ec2.describe_availability_zones(AllAvailabilityZones=True)
    ec2.describe_regions()
    ec2.describe_regions(AllRegions=True)
    ec2.describe_account_attributes()
    ec2.describe_account_attributes(AttributeNames=["supported-platforms", "default-vpc"])

    v6_vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    ec2.associate_vpc_cidr_block(VpcId=v6_vpc, AmazonProvidedIpv6CidrBlock=True)
    ec2.describe_vpcs(VpcIds=[v6_vpc])

    # error responses
    _expect_error(problems, ec2.describe_vpcs, "InvalidVpcID.NotFound", VpcIds=["vpc-0123456789abcdef0"])
    _expect_error(problems, ec2.describe_subnets, "InvalidSubnetID.NotFound", SubnetIds=["subnet-0123456789abcdef0"])
    _expect_error(problems, ec2.describe_route_tables, "InvalidRouteTableID.NotFound", RouteTableIds=["rtb-0123456789abcdef0"])
    _expect_error(problems, ec2.delete_vpc, "DependencyViolation", VpcId=vpc_id)
    _expect_error(problems, ec2.create_vpc, "DryRunOperation", CidrBlock="10.60.0.0/16", DryRun=True)
    _expect_error(problems, ec2.create_route, "RouteAlreadyExists", RouteTableId=rtb_id,
                  DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id)

    # teardown responses (empty outputs: <return>true</return> allowed)
    ec2.disassociate_route_table(AssociationId=assoc)
    ec2.delete_route(RouteTableId=rtb_id, DestinationCidrBlock="0.0.0.0/0")
    ec2.delete_route_table(RouteTableId=rtb_id)
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw_id)
    ec2.detach_internet_gateway(InternetGatewayId=igw_id, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw_id)
    ec2.delete_subnet(SubnetId=subnet2)
    return {"vpc": vpc_id, "subnet": subnet_id, "dopt": dopt_id}


EXPECTED_OPS = {
    "CreateVpc", "DescribeVpcs", "DescribeVpcAttribute", "ModifyVpcAttribute", "AssociateVpcCidrBlock",
    "CreateSubnet", "DescribeSubnets", "CreateRouteTable", "CreateRoute", "DescribeRouteTables",
    "AssociateRouteTable", "ReplaceRouteTableAssociation", "DisassociateRouteTable", "DeleteRoute",
    "DeleteRouteTable", "CreateInternetGateway", "AttachInternetGateway", "DescribeInternetGateways",
    "DetachInternetGateway", "DeleteInternetGateway", "CreateEgressOnlyInternetGateway",
    "DescribeEgressOnlyInternetGateways", "DeleteEgressOnlyInternetGateway", "CreateDhcpOptions",
    "DescribeDhcpOptions", "AssociateDhcpOptions", "CreateTags", "DescribeTags", "DeleteTags",
    "DescribeAvailabilityZones", "DescribeRegions", "DescribeAccountAttributes", "DeleteVpc", "DeleteSubnet",
}


def test_scenario_responses_conform_to_the_model(ec2):
    cap = Capture(ec2)
    problems = []
    run_scenario(ec2, problems)
    assert EXPECTED_OPS <= {op for op, _, _ in cap.calls}, EXPECTED_OPS - {op for op, _, _ in cap.calls}
    assert any(status != 200 for _, status, _ in cap.calls), "the scenario includes error responses"
    violations = cap.violations()
    assert not violations, f"{len(violations)} shape violations:\n" + "\n".join(violations[:60])
    assert not problems, problems


def test_default_resources_conform(ec2_factory):
    # A fresh account/region: default VPC, its subnets, main route table, IGW, DHCP options.
    for region in ("us-east-1", "eu-west-1"):
        for account in ("default", "other"):
            ec2 = ec2_factory(region=region, account=account)
            cap = Capture(ec2)
            ec2.describe_vpcs()
            ec2.describe_subnets()
            ec2.describe_route_tables()
            ec2.describe_internet_gateways()
            ec2.describe_dhcp_options()
            ec2.describe_availability_zones()
            ec2.describe_account_attributes()
            ec2.describe_tags()
            violations = cap.violations()
            assert not violations, f"{region}/{account}:\n" + "\n".join(violations[:60])


def test_describe_outputs_are_not_empty_where_aws_never_is(ec2):
    """Sanity on the values behind the shapes: fields every SDK user reads are filled."""
    cap = Capture(ec2)
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]
    for key in ("VpcId", "CidrBlock", "State", "OwnerId", "DhcpOptionsId", "InstanceTenancy", "IsDefault",
                "CidrBlockAssociationSet"):
        assert key in vpc, f"CreateVpc output lacks {key}: {vpc}"
    sn = ec2.create_subnet(VpcId=vpc["VpcId"], CidrBlock="10.70.1.0/24")["Subnet"]
    for key in ("SubnetId", "VpcId", "CidrBlock", "AvailabilityZone", "AvailabilityZoneId", "AvailableIpAddressCount",
                "State", "OwnerId", "SubnetArn", "MapPublicIpOnLaunch", "DefaultForAz"):
        assert key in sn, f"CreateSubnet output lacks {key}: {sn}"
    assert sn["AvailableIpAddressCount"] == 251
    azs = ec2.describe_availability_zones()["AvailabilityZones"]
    assert azs and all(a["RegionName"] == "us-east-1" and a["ZoneName"].startswith("us-east-1") for a in azs)
    regions = {r["RegionName"] for r in ec2.describe_regions()["Regions"]}
    assert {"us-east-1", "eu-west-1"} <= regions
    assert not cap.violations(), cap.violations()


def test_raw_wire_responses_conform(endpoint):
    """The same check on hand-signed requests (POST and GET), bypassing boto3 entirely."""
    bodies = []
    r = ec2wire.call(endpoint, "CreateVpc", {"CidrBlock": "10.80.0.0/16",
                                             "TagSpecification.1.ResourceType": "vpc",
                                             "TagSpecification.1.Tag.1.Key": "Name",
                                             "TagSpecification.1.Tag.1.Value": "raw"})
    bodies.append(("CreateVpc", r))
    vpc = r.text("vpcId")
    bodies.append(("DescribeVpcs", ec2wire.call(endpoint, "DescribeVpcs", {"VpcId.1": vpc}, method="GET")))
    bodies.append(("DescribeVpcAttribute", ec2wire.call(endpoint, "DescribeVpcAttribute",
                                                        {"VpcId": vpc, "Attribute": "enableDnsSupport"})))
    bodies.append(("DescribeRegions", ec2wire.call(endpoint, "DescribeRegions", method="GET")))
    bodies.append(("DeleteVpc", ec2wire.call(endpoint, "DeleteVpc", {"VpcId": vpc})))
    bodies.append(("DescribeVpcs", ec2wire.call(endpoint, "DescribeVpcs", {"VpcId.1": vpc})))
    out = []
    for op, rep in bodies:
        found = check_response(op, rep.body) if rep.status == 200 else check_error(rep.body)
        out.extend(f"{op} (HTTP {rep.status}) {v}" for v in found)
    assert bodies[-1][1].status == 400
    assert not out, "\n".join(out)
