"""Customer-managed prefix lists (issue 14; the VPC guide's "Managed prefix lists"): versions,
MaxEntries, references from security group rules and routes counted against their quotas as
MaxEntries (M15, G15), and the errors AWS answers with.
"""
import pytest

from helpers import ACCOUNT_ID, assert_error


def create(ec2, name="office", family="IPv4", max_entries=5, entries=(("10.1.0.0/16", "hq"),)):
    return ec2.create_managed_prefix_list(PrefixListName=name, AddressFamily=family, MaxEntries=max_entries,
                                          Entries=[{"Cidr": c, "Description": d} for c, d in entries])["PrefixList"]


def entries(ec2, pl, version=None):
    kw = {"TargetVersion": version} if version else {}
    return [(e["Cidr"], e.get("Description")) for e in
            ec2.get_managed_prefix_list_entries(PrefixListId=pl, **kw)["Entries"]]


def test_create_describe_modify_restore(ec2):
    pl = create(ec2)
    pid = pl["PrefixListId"]
    assert pid.startswith("pl-") and pl["Version"] == 1 and pl["MaxEntries"] == 5
    assert pl["AddressFamily"] == "IPv4" and pl["State"] == "create-complete" and pl["OwnerId"] == ACCOUNT_ID
    assert pl["PrefixListArn"] == f"arn:aws:ec2:us-east-1:{ACCOUNT_ID}:prefix-list/{pid}"
    assert entries(ec2, pid) == [("10.1.0.0/16", "hq")]
    # Entries change: a new version; the version given must be the list's (optimistic locking).
    assert_error("PrefixListVersionMismatch", ec2.modify_managed_prefix_list, PrefixListId=pid, CurrentVersion=7,
                 AddEntries=[{"Cidr": "10.2.0.0/16"}])
    out = ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=1,
                                         AddEntries=[{"Cidr": "10.2.0.0/16", "Description": "branch"}])["PrefixList"]
    assert out["Version"] == 2 and out["State"] == "modify-complete"
    ec2.modify_managed_prefix_list(PrefixListId=pid, CurrentVersion=2, RemoveEntries=[{"Cidr": "10.1.0.0/16"}])
    assert entries(ec2, pid) == [("10.2.0.0/16", "branch")]
    assert entries(ec2, pid, version=1) == [("10.1.0.0/16", "hq")]
    assert_error("InvalidPrefixListModification", ec2.modify_managed_prefix_list, PrefixListId=pid,
                 CurrentVersion=3, RemoveEntries=[{"Cidr": "10.9.0.0/16"}])
    # A name change is no new version.
    assert ec2.modify_managed_prefix_list(PrefixListId=pid, PrefixListName="offices")["PrefixList"]["Version"] == 3
    restored = ec2.restore_managed_prefix_list_version(PrefixListId=pid, PreviousVersion=1, CurrentVersion=3)
    assert restored["PrefixList"]["Version"] == 4 and restored["PrefixList"]["State"] == "restore-complete"
    assert entries(ec2, pid) == [("10.1.0.0/16", "hq")]
    described = ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": ["offices"]}])
    assert [p["PrefixListId"] for p in described["PrefixLists"]] == [pid]
    assert_error("InvalidPrefixListID.NotFound", ec2.describe_managed_prefix_lists,
                 PrefixListIds=["pl-0123456789abcdef0"])


def test_validation(ec2):
    assert_error("InvalidParameterValue", create, ec2, family="IPv5")
    assert_error("InvalidParameterValue", create, ec2, max_entries=0)
    assert_error("InvalidParameterValue", create, ec2, max_entries=1001)
    assert_error("InvalidParameterValue", create, ec2, name="com.amazonaws.mine")
    assert_error("InvalidParameterValue", create, ec2, entries=(("2001:db8::/32", ""),))  # the other family
    assert_error("InvalidParameterValue", create, ec2, entries=(("10.1.0.1/16", ""),))  # not a network address
    assert_error("PrefixListMaxEntriesExceeded", create, ec2, max_entries=1,
                 entries=(("10.1.0.0/16", ""), ("10.2.0.0/16", "")))
    v6 = create(ec2, name="v6", family="IPv6", entries=(("2001:db8::/32", "docs"),))
    assert v6["AddressFamily"] == "IPv6"
    pid = create(ec2)["PrefixListId"]
    assert_error("PrefixListMaxEntriesExceeded", ec2.modify_managed_prefix_list, PrefixListId=pid, CurrentVersion=1,
                 AddEntries=[{"Cidr": f"10.{i}.0.0/16"} for i in range(10, 20)])
    assert_error("InvalidParameterCombination", ec2.modify_managed_prefix_list, PrefixListId=pid, CurrentVersion=1,
                 AddEntries=[{"Cidr": "10.3.0.0/16"}], MaxEntries=10)
    assert_error("InvalidParameterValue", ec2.modify_managed_prefix_list, PrefixListId=pid, MaxEntries=0)
    assert ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]["Version"] == 1  # nothing changed


def test_references_count_as_max_entries(ec2):
    """M15, G15: a rule or route to a list counts as MaxEntries rules or routes; the list grows
    only while every reference still fits; it is not deleted while referenced."""
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    sg = ec2.create_security_group(GroupName="pl", Description="pl", VpcId=vpc)["GroupId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    pid = create(ec2, max_entries=50)["PrefixListId"]
    assert_error("InvalidPrefixListId.NotFound", ec2.authorize_security_group_ingress, GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0"}]}])
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": pid, "Description": "ssh"}]}])
    perm = ec2.describe_security_groups(GroupIds=[sg])["SecurityGroups"][0]["IpPermissions"][0]
    assert perm["PrefixListIds"] == [{"PrefixListId": pid, "Description": "ssh"}]
    # 50 of the 60 inbound rules: 11 more do not fit.
    assert_error("RulesPerSecurityGroupLimitExceeded", ec2.authorize_security_group_ingress, GroupId=sg,
                 IpPermissions=[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}
                                for p in range(1000, 1011)])
    ec2.create_route(RouteTableId=rtb, DestinationPrefixListId=pid, GatewayId=igw)
    route = [r for r in ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
             if r.get("DestinationPrefixListId") == pid]
    assert route and route[0]["GatewayId"] == igw and route[0]["State"] == "active"
    assocs = ec2.get_managed_prefix_list_associations(PrefixListId=pid)["PrefixListAssociations"]
    assert sorted(a["ResourceId"] for a in assocs) == sorted([sg, rtb])
    assert {a["ResourceOwner"] for a in assocs} == {ACCOUNT_ID}
    # Growing past what the references allow is refused (60 rules; 50 routes per table).
    assert_error("RulesPerSecurityGroupLimitExceeded", ec2.modify_managed_prefix_list, PrefixListId=pid,
                 MaxEntries=61)
    assert_error("RouteLimitExceeded", ec2.modify_managed_prefix_list, PrefixListId=pid, MaxEntries=51)
    assert ec2.describe_managed_prefix_lists(PrefixListIds=[pid])["PrefixLists"][0]["MaxEntries"] == 50
    assert_error("DependencyViolation", ec2.delete_managed_prefix_list, PrefixListId=pid)
    ec2.revoke_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "PrefixListIds": [{"PrefixListId": pid}]}])
    ec2.delete_route(RouteTableId=rtb, DestinationPrefixListId=pid)
    assert ec2.delete_managed_prefix_list(PrefixListId=pid)["PrefixList"]["State"] == "delete-complete"
    assert_error("InvalidPrefixListID.NotFound", ec2.get_managed_prefix_list_entries, PrefixListId=pid)


def test_tags_and_aws_cli(ec2, aws_cli):
    pl = ec2.create_managed_prefix_list(PrefixListName="tagged", AddressFamily="IPv4", MaxEntries=2,
                                        TagSpecifications=[{"ResourceType": "prefix-list",
                                                            "Tags": [{"Key": "team", "Value": "net"}]}])["PrefixList"]
    assert pl["Tags"] == [{"Key": "team", "Value": "net"}]
    ec2.create_tags(Resources=[pl["PrefixListId"]], Tags=[{"Key": "env", "Value": "test"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [pl["PrefixListId"]]}])["Tags"]
    assert sorted((t["Key"], t["ResourceType"]) for t in tags) == [("env", "prefix-list"), ("team", "prefix-list")]
    out = aws_cli("get-managed-prefix-list-entries", "--prefix-list-id", pl["PrefixListId"])
    assert out["Entries"] == []
    out = aws_cli("modify-managed-prefix-list", "--prefix-list-id", pl["PrefixListId"], "--current-version", "1",
                  "--add-entries", "Cidr=192.168.0.0/24,Description=lab")
    assert out["PrefixList"]["Version"] == 2


def test_aws_managed_lists_and_gateway_endpoints(ec2):
    """GW-03 … GW-07, GW-19, GW-26, AT-11: S3's and DynamoDB's AWS-managed prefix lists; a gateway
    endpoint puts `pl-… -> vpce-…` in each route table it is given, routes nobody else may make,
    change or delete; one route per service in a table; the routes go with the table's
    association and with the endpoint."""
    lists = {p["PrefixListName"]: p for p in ec2.describe_prefix_lists()["PrefixLists"]}
    s3 = lists["com.amazonaws.us-east-1.s3"]
    assert s3["PrefixListId"].startswith("pl-") and len(s3["PrefixListId"]) == 11 and s3["Cidrs"]
    assert "com.amazonaws.us-east-1.dynamodb" in lists
    managed = ec2.describe_managed_prefix_lists(PrefixListIds=[s3["PrefixListId"]])["PrefixLists"][0]
    assert managed["OwnerId"] == "AWS" and managed["PrefixListName"] == "com.amazonaws.us-east-1.s3"
    assert [e["Cidr"] for e in ec2.get_managed_prefix_list_entries(PrefixListId=s3["PrefixListId"])["Entries"]] == \
        s3["Cidrs"]
    assert_error("InvalidPrefixListModification", ec2.modify_managed_prefix_list, PrefixListId=s3["PrefixListId"],
                 CurrentVersion=1, AddEntries=[{"Cidr": "10.0.0.0/8"}])
    services = ec2.describe_vpc_endpoint_services(Filters=[{"Name": "service-type", "Values": ["Gateway"]}])
    assert services["ServiceNames"] == ["com.amazonaws.us-east-1.dynamodb", "com.amazonaws.us-east-1.s3"]

    vpc = ec2.create_vpc(CidrBlock="10.64.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    e = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3", RouteTableIds=[rtb])["VpcEndpoint"]
    assert e["VpcEndpointType"] == "Gateway" and e["State"] == "available" and e["RouteTableIds"] == [rtb]
    assert e["NetworkInterfaceIds"] == [] and e["SubnetIds"] == [] and "Statement" in e["PolicyDocument"]
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    route = [r for r in routes if r.get("DestinationPrefixListId") == s3["PrefixListId"]][0]
    assert route["GatewayId"] == e["VpcEndpointId"] and route["State"] == "active" and \
        route["Origin"] == "CreateRoute"
    # GW-05: the route is the endpoint's.
    assert_error("InvalidParameterValue", ec2.delete_route, RouteTableId=rtb, DestinationPrefixListId=s3["PrefixListId"])
    assert_error("InvalidParameterValue", ec2.replace_route, RouteTableId=rtb,
                 DestinationPrefixListId=s3["PrefixListId"], GatewayId=igw)
    other = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=other,
                 DestinationPrefixListId=s3["PrefixListId"], GatewayId=igw)
    # GW-07: a second S3 endpoint on the same table is refused; DynamoDB's is fine.
    assert_error("RouteAlreadyExists", ec2.create_vpc_endpoint, VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                 RouteTableIds=[rtb])
    ddb = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.dynamodb",
                                  RouteTableIds=[rtb])["VpcEndpoint"]
    assert_error("DependencyViolation", ec2.delete_route_table, RouteTableId=rtb)
    # GW-06: removing the table from the endpoint removes the route.
    ec2.modify_vpc_endpoint(VpcEndpointId=e["VpcEndpointId"], AddRouteTableIds=[other], RemoveRouteTableIds=[rtb])
    routes = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"][0]["Routes"]
    assert not [r for r in routes if r.get("DestinationPrefixListId") == s3["PrefixListId"]]
    assert ec2.describe_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"]])["VpcEndpoints"][0]["RouteTableIds"] == [other]
    # GW-03: no subnets, groups or private DNS.
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.64.1.0/24")["Subnet"]["SubnetId"]
    assert_error("InvalidParameter", ec2.create_vpc_endpoint, VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3",
                 SubnetIds=[subnet])
    ec2.delete_vpc_endpoints(VpcEndpointIds=[e["VpcEndpointId"], ddb["VpcEndpointId"]])
    for table in (rtb, other):
        routes = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"][0]["Routes"]
        assert not [r for r in routes if r.get("DestinationPrefixListId")]
    ec2.delete_route_table(RouteTableId=other)


def test_gateway_endpoints_per_region_quota(ec2):
    """Q-02, ERR-21: 20 gateway endpoints per Region."""
    for i in range(20):  # four VPCs (the VPC quota is five), five endpoints each
        vpc = ec2.create_vpc(CidrBlock=f"10.{100 + i}.0.0/16")["Vpc"]["VpcId"] if i % 5 == 0 else vpc
        ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.us-east-1.s3")
    assert_error("VpcEndpointLimitExceeded", ec2.create_vpc_endpoint, VpcId=vpc,
                 ServiceName="com.amazonaws.us-east-1.s3")
