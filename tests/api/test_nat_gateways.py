"""NAT gateways: CreateNatGateway, DescribeNatGateways, DeleteNatGateway.

Rule ids refer to shared/spec/inventory-vpc-guide.md: §1.8 (lifecycle), K1/K2/K7/K14/K16
(NAT gateway), G13 (routes to a deleted target turn blackhole), AA1/AA2/AA5 (dependencies), §3.1
(5 NAT gateways per Availability Zone), §4.1 errors 5-8 (asynchronous failures: CreateNatGateway
succeeds and the gateway shows state failed) and 11 (the quota's message), and scenario S4 (the
wizard's public + private subnets with a NAT gateway).
"""
import pytest

from helpers import (assert_error, create_subnet, create_vpc, describe_rt, fast_waiter, main_route_table,
                     route_for, tag_spec, tags)


def nat_of(ec2, nat_id):
    return ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"][0]


def allocate(ec2):
    return ec2.allocate_address(Domain="vpc")["AllocationId"]


@pytest.fixture
def net(ec2):
    """S4's network: VPC 10.0.0.0/16, public 10.0.0.0/24 routed to an attached IGW, private 10.0.1.0/24."""
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    public = create_subnet(ec2, vpc, "10.0.0.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    private = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return {"vpc": vpc, "public": public, "private": private, "igw": igw}


def failed_with(ec2, nat_id, code, message):
    """§4.1: the gateway was created and then failed with this FailureCode/FailureMessage."""
    g = nat_of(ec2, nat_id)
    assert g["State"] == "failed"
    assert g["FailureCode"] == code
    assert g["FailureMessage"] == message
    assert "DeleteTime" in g
    return g


# ---------------------------------------------------------------- S4: the wizard, as an API transcript

def test_s4_public_and_private_subnets_with_a_nat_gateway(ec2, net):
    """S4 (L889-1109): the NAT gateway lives in the public subnet with its own EIP; the main (private)
    route table sends 0.0.0.0/0 to it; NatGatewayAvailable succeeds; deleting it leaves the EIP
    allocated (K16) and the route blackhole (G13)."""
    vpc, public, private, igw = net["vpc"], net["public"], net["private"], net["igw"]
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    eip = ec2.allocate_address(Domain="vpc")

    created = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip["AllocationId"],
                                     TagSpecifications=tag_spec("natgateway", Name="s4-nat"))["NatGateway"]
    nat = created["NatGatewayId"]
    assert nat.startswith("nat-") and len(nat) == 4 + 17
    assert created["State"] == "pending"
    assert created["SubnetId"] == public and created["VpcId"] == vpc
    assert created["ConnectivityType"] == "public"
    assert tags(created) == {"Name": "s4-nat"}
    assert "CreateTime" in created

    waiter, config = fast_waiter(ec2, "nat_gateway_available")
    waiter.wait(NatGatewayIds=[nat], WaiterConfig=config)
    g = nat_of(ec2, nat)
    assert g["State"] == "available"
    [addr] = g["NatGatewayAddresses"]
    assert addr["AllocationId"] == eip["AllocationId"]
    assert addr["PublicIp"] == eip["PublicIp"]
    assert addr["IsPrimary"] is True and addr["Status"] == "succeeded"
    assert addr["AssociationId"].startswith("eipassoc-")
    assert addr["PrivateIp"].startswith("10.0.0.")

    # K7: a requester-managed interface in the public subnet holds the private address and the EIP.
    eni = ec2.describe_network_interfaces(NetworkInterfaceIds=[addr["NetworkInterfaceId"]])["NetworkInterfaces"][0]
    assert eni["InterfaceType"] == "nat_gateway"
    assert eni["RequesterManaged"] is True
    assert eni["Description"] == f"Interface for NAT Gateway {nat}"
    assert eni["SubnetId"] == public
    assert eni["PrivateIpAddress"] == addr["PrivateIp"]
    assert eni["Association"]["PublicIp"] == eip["PublicIp"]
    a = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert a["NetworkInterfaceId"] == eni["NetworkInterfaceId"] and a["PrivateIpAddress"] == addr["PrivateIp"]

    # The main route table is the private one: 0.0.0.0/0 -> the NAT gateway.
    main = main_route_table(ec2, vpc)["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    r = route_for(describe_rt(ec2, main), "0.0.0.0/0")
    assert r["NatGatewayId"] == nat and r["State"] == "active"
    # The private subnet has no explicit association: it follows the main table (S4, L954).
    assert private not in [x.get("SubnetId") for x in describe_rt(ec2, main)["Associations"]]

    # K16: delete; the waiter sees deleted; the EIP stays allocated, unassociated; G13: blackhole.
    assert ec2.delete_nat_gateway(NatGatewayId=nat)["NatGatewayId"] == nat
    waiter, config = fast_waiter(ec2, "nat_gateway_deleted")
    waiter.wait(NatGatewayIds=[nat], WaiterConfig=config)
    g = nat_of(ec2, nat)
    assert g["State"] == "deleted" and "DeleteTime" in g
    a = ec2.describe_addresses(AllocationIds=[eip["AllocationId"]])["Addresses"][0]
    assert "AssociationId" not in a and "NetworkInterfaceId" not in a
    assert ec2.describe_network_interfaces(Filters=[{"Name": "interface-type", "Values": ["nat_gateway"]}])[
        "NetworkInterfaces"] == []
    r = route_for(describe_rt(ec2, main), "0.0.0.0/0")
    assert r["NatGatewayId"] == nat and r["State"] == "blackhole"
    # The blackhole route can be replaced by a new gateway with the same EIP.
    nat2 = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip["AllocationId"])["NatGateway"]["NatGatewayId"]
    ec2.replace_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat2)
    assert route_for(describe_rt(ec2, main), "0.0.0.0/0")["State"] == "active"


def test_private_connectivity(ec2, net):
    """ConnectivityType private: no EIP, no internet gateway needed, PrivateIpAddress honoured."""
    vpc = create_vpc(ec2, "10.9.0.0/16")["VpcId"]  # no internet gateway
    subnet = create_subnet(ec2, vpc, "10.9.1.0/24")["SubnetId"]
    g = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private",
                               PrivateIpAddress="10.9.1.50")["NatGateway"]
    assert g["ConnectivityType"] == "private"
    g = nat_of(ec2, g["NatGatewayId"])
    assert g["State"] == "available"
    [addr] = g["NatGatewayAddresses"]
    assert addr["PrivateIp"] == "10.9.1.50"
    assert "AllocationId" not in addr and "PublicIp" not in addr


def test_aws_cli_create_and_describe(aws_cli, ec2, net):
    eip = allocate(ec2)
    out = aws_cli("create-nat-gateway", "--subnet-id", net["public"], "--allocation-id", eip)
    nat = out["NatGateway"]["NatGatewayId"]
    out = aws_cli("describe-nat-gateways", "--filter", f"Name=vpc-id,Values={net['vpc']}")
    assert [g["NatGatewayId"] for g in out["NatGateways"]] == [nat]


# ---------------------------------------------------------------- §4.1 5-8: asynchronous failures

def test_no_internet_gateway_fails(ec2):
    """K14, §4.1 6: a public gateway in a VPC without an internet gateway fails."""
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.0.0/24")["SubnetId"]
    eip = allocate(ec2)
    created = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip)["NatGateway"]
    assert created["State"] == "pending"
    failed_with(ec2, created["NatGatewayId"], "Gateway.NotAttached",
                f"Network {vpc} has no internet gateway attached")
    # Nothing is left behind: no interface, the EIP unassociated.
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])[
        "NetworkInterfaces"] == []
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0]
    # NatGatewayAvailable stops on failed.
    waiter, config = fast_waiter(ec2, "nat_gateway_available")
    with pytest.raises(Exception) as exc:
        waiter.wait(NatGatewayIds=[created["NatGatewayId"]], WaiterConfig=config)
    assert "failure state" in str(exc.value)


def test_unknown_elastic_ip_fails(ec2, net):
    """§4.1 7: an allocation id that does not exist (well formed) fails the gateway."""
    nat = ec2.create_nat_gateway(SubnetId=net["public"],
                                 AllocationId="eipalloc-0123456789abcdef0")["NatGateway"]["NatGatewayId"]
    failed_with(ec2, nat, "InvalidAllocationID.NotFound",
                "Elastic IP address eipalloc-0123456789abcdef0 could not be associated with this NAT gateway")


def test_elastic_ip_already_associated_fails(ec2, net):
    """K2, §4.1 8: the EIP must not be associated at creation (with an interface or another gateway)."""
    eip = allocate(ec2)
    eni = ec2.create_network_interface(SubnetId=net["public"])["NetworkInterface"]["NetworkInterfaceId"]
    ec2.associate_address(AllocationId=eip, NetworkInterfaceId=eni)
    nat = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=eip)["NatGateway"]["NatGatewayId"]
    failed_with(ec2, nat, "Resource.AlreadyAssociated", f"Elastic IP address {eip} is already associated")
    # It stays where it was.
    assert ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0]["NetworkInterfaceId"] == eni

    eip2 = allocate(ec2)
    first = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=eip2)["NatGateway"]["NatGatewayId"]
    second = ec2.create_nat_gateway(SubnetId=net["private"], AllocationId=eip2)["NatGateway"]["NatGatewayId"]
    assert nat_of(ec2, first)["State"] == "available"
    failed_with(ec2, second, "Resource.AlreadyAssociated", f"Elastic IP address {eip2} is already associated")


def test_full_subnet_fails(ec2, net):
    """K14, §4.1 5: a /28 has 11 usable addresses (A5); with all taken the gateway fails."""
    tiny = create_subnet(ec2, net["vpc"], "10.0.5.0/28")["SubnetId"]
    for _ in range(11):
        ec2.create_network_interface(SubnetId=tiny)
    nat = ec2.create_nat_gateway(SubnetId=tiny, AllocationId=allocate(ec2))["NatGateway"]["NatGatewayId"]
    failed_with(ec2, nat, "InsufficientFreeAddressesInSubnet",
                "Subnet has insufficient free addresses to create this NAT gateway")


def test_failed_gateway_can_be_deleted(ec2, net):
    vpc = create_vpc(ec2, "10.3.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.3.0.0/24")["SubnetId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=allocate(ec2))["NatGateway"]["NatGatewayId"]
    assert nat_of(ec2, nat)["State"] == "failed"
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert nat_of(ec2, nat)["State"] == "deleted"
    # A failed gateway never held its subnet or VPC.
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


# ---------------------------------------------------------------- synchronous refusals

def test_synchronous_errors(ec2, net):
    eip = allocate(ec2)
    assert_error("InvalidSubnetID.NotFound", ec2.create_nat_gateway, SubnetId="subnet-0123456789abcdef0",
                 AllocationId=eip)
    assert_error("MissingParameter", ec2.create_nat_gateway, SubnetId=net["public"])  # K1: public needs an EIP
    assert_error("InvalidParameterCombination", ec2.create_nat_gateway, SubnetId=net["public"],
                 ConnectivityType="private", AllocationId=eip)
    assert_error("InvalidElasticIpID.Malformed", ec2.create_nat_gateway, SubnetId=net["public"],
                 AllocationId="eipalloc-nope")
    assert ec2.describe_nat_gateways()["NatGateways"] == []


def test_quota_five_per_availability_zone():
    """§3.1 (L11395), §4.1 11: the sixth pending/available gateway of one AZ is refused."""
    import os
    import tempfile

    from conftest import Server, make_client
    if os.environ.get("OPENVPC_ENDPOINT"):
        pytest.skip("needs a server this suite starts itself")
    with tempfile.TemporaryDirectory() as d:
        s = Server(d)
        s.start()
        try:
            ec2 = make_client(s.endpoint)
            vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
            a = create_subnet(ec2, vpc, "10.0.0.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
            a2 = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
            b = create_subnet(ec2, vpc, "10.0.2.0/24", AvailabilityZone="us-east-1b")["SubnetId"]
            ids = [ec2.create_nat_gateway(SubnetId=a if i % 2 else a2, ConnectivityType="private")[
                "NatGateway"]["NatGatewayId"] for i in range(5)]
            err = assert_error("NatGatewayLimitExceeded", ec2.create_nat_gateway, SubnetId=a,
                               ConnectivityType="private")
            assert err.response["Error"]["Message"] == \
                "Performing this operation would exceed the limit of 5 NAT gateways"
            ec2.create_nat_gateway(SubnetId=b, ConnectivityType="private")  # another zone
            ec2.delete_nat_gateway(NatGatewayId=ids[0])  # a deleted one no longer counts
            ec2.create_nat_gateway(SubnetId=a, ConnectivityType="private")
        finally:
            s.stop()


# ---------------------------------------------------------------- Describe

def test_describe_unknown_and_malformed_ids(ec2):
    err = assert_error("NatGatewayNotFound", ec2.describe_nat_gateways, NatGatewayIds=["nat-0123456789abcdef0"])
    assert err.response["Error"]["Message"] == "NAT gateway nat-0123456789abcdef0 was not found"
    assert_error("NatGatewayMalformed", ec2.describe_nat_gateways, NatGatewayIds=["nat-xyz"])
    assert_error("NatGatewayNotFound", ec2.delete_nat_gateway, NatGatewayId="nat-0123456789abcdef0")


def test_describe_filters_tags_and_paging(ec2, net):
    vpc, public, private = net["vpc"], net["public"], net["private"]
    n1 = ec2.create_nat_gateway(SubnetId=public, AllocationId=allocate(ec2),
                                TagSpecifications=tag_spec("natgateway", Name="one", Tier="web"))[
        "NatGateway"]["NatGatewayId"]
    n2 = ec2.create_nat_gateway(SubnetId=private, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    other_vpc = create_vpc(ec2, "10.7.0.0/16")["VpcId"]
    other_subnet = create_subnet(ec2, other_vpc, "10.7.0.0/24")["SubnetId"]
    n3 = ec2.create_nat_gateway(SubnetId=other_subnet, AllocationId=allocate(ec2))["NatGateway"]["NatGatewayId"]

    def ids(*filters):
        return sorted(g["NatGatewayId"] for g in ec2.describe_nat_gateways(
            Filter=[{"Name": k, "Values": v} for k, v in filters])["NatGateways"])

    assert ids(("vpc-id", [vpc])) == sorted([n1, n2])
    assert ids(("subnet-id", [private])) == [n2]
    assert ids(("nat-gateway-id", [n1, n3])) == sorted([n1, n3])
    assert ids(("state", ["failed"])) == [n3]  # no internet gateway in other_vpc
    assert ids(("state", ["available"]), ("vpc-id", [vpc])) == sorted([n1, n2])
    assert ids(("tag:Name", ["one"])) == [n1]
    assert ids(("tag-key", ["Tier"])) == [n1]
    assert ids(("tag-value", ["we*"])) == [n1]
    assert_error("InvalidParameterValue", ec2.describe_nat_gateways, Filter=[{"Name": "bogus", "Values": ["x"]}])

    # CreateTags / DescribeTags know the natgateway resource type.
    ec2.create_tags(Resources=[n2], Tags=[{"Key": "Name", "Value": "two"}])
    assert tags(nat_of(ec2, n2)) == {"Name": "two"}
    t = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["natgateway"]}])["Tags"]
    assert sorted((x["ResourceId"], x["Key"]) for x in t) == sorted([(n1, "Name"), (n1, "Tier"), (n2, "Name")])

    # Paging (in another zone: us-east-1a already has two of its five).
    zone_b = create_subnet(ec2, vpc, "10.0.2.0/24", AvailabilityZone="us-east-1b")["SubnetId"]
    for _ in range(4):
        ec2.create_nat_gateway(SubnetId=zone_b, ConnectivityType="private")
    page = ec2.describe_nat_gateways(MaxResults=5)
    assert len(page["NatGateways"]) == 5 and "NextToken" in page
    rest = ec2.describe_nat_gateways(MaxResults=5, NextToken=page["NextToken"])
    assert len(rest["NatGateways"]) == 2 and "NextToken" not in rest
    seen = [g["NatGatewayId"] for g in page["NatGateways"] + rest["NatGateways"]]
    assert len(set(seen)) == 7
    paginated = [g for p in ec2.get_paginator("describe_nat_gateways").paginate(PaginationConfig={"PageSize": 5})
                 for g in p["NatGateways"]]
    assert len(paginated) == 7


def test_client_token_is_idempotent(ec2, net):
    eip = allocate(ec2)
    a = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=eip, ClientToken="nat-token-1")
    b = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=eip, ClientToken="nat-token-1")
    assert a["NatGateway"]["NatGatewayId"] == b["NatGateway"]["NatGatewayId"]
    assert a["ClientToken"] == "nat-token-1"
    assert len(ec2.describe_nat_gateways()["NatGateways"]) == 1


# ---------------------------------------------------------------- dependencies and routes

def test_dependencies(ec2, net):
    """AA1, AA2: no DeleteSubnet/DeleteVpc under a live gateway; AA5: no DetachInternetGateway while its
    EIP is mapped; AA10: its EIP cannot be released; F4/K7: its interface cannot be deleted by the user."""
    vpc, public, private, igw = net["vpc"], net["public"], net["private"], net["igw"]
    eip = allocate(ec2)
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip)["NatGateway"]["NatGatewayId"]
    eni = nat_of(ec2, nat)["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    assert_error("DependencyViolation", ec2.delete_subnet, SubnetId=public)
    ec2.delete_subnet(SubnetId=private)
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc)
    assert_error("DependencyViolation", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)
    assert_error("InvalidIPAddress.InUse", ec2.release_address, AllocationId=eip)
    assert_error("OperationNotPermitted", ec2.delete_network_interface, NetworkInterfaceId=eni)

    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert_error("NatGatewayNotFound", ec2.delete_nat_gateway, NatGatewayId=nat)  # already deleted
    ec2.release_address(AllocationId=eip)
    ec2.delete_subnet(SubnetId=public)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)


def test_route_target_checks(ec2, net):
    """CreateRoute to a NAT gateway: unknown, deleted or failed -> InvalidNatGatewayID.NotFound; another
    VPC's -> InvalidParameterValue; G13 after deletion."""
    main = main_route_table(ec2, net["vpc"])["RouteTableId"]
    assert_error("InvalidNatGatewayID.NotFound", ec2.create_route, RouteTableId=main,
                 DestinationCidrBlock="0.0.0.0/0", NatGatewayId="nat-0123456789abcdef0")
    other_vpc = create_vpc(ec2, "10.8.0.0/16")["VpcId"]
    other_subnet = create_subnet(ec2, other_vpc, "10.8.0.0/24")["SubnetId"]
    foreign = ec2.create_nat_gateway(SubnetId=other_subnet, ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=main,
                 DestinationCidrBlock="0.0.0.0/0", NatGatewayId=foreign)
    failed = ec2.create_nat_gateway(SubnetId=other_subnet, AllocationId=allocate(ec2))["NatGateway"]["NatGatewayId"]
    other_main = main_route_table(ec2, other_vpc)["RouteTableId"]
    assert_error("InvalidNatGatewayID.NotFound", ec2.create_route, RouteTableId=other_main,
                 DestinationCidrBlock="0.0.0.0/0", NatGatewayId=failed)

    nat = ec2.create_nat_gateway(SubnetId=net["private"], ConnectivityType="private")["NatGateway"]["NatGatewayId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="192.168.0.0/16", NatGatewayId=nat)
    assert route_for(describe_rt(ec2, main), "192.168.0.0/16")["State"] == "active"
    ec2.delete_nat_gateway(NatGatewayId=nat)
    assert route_for(describe_rt(ec2, main), "192.168.0.0/16")["State"] == "blackhole"  # G13
    assert_error("InvalidNatGatewayID.NotFound", ec2.create_route, RouteTableId=main,
                 DestinationCidrBlock="172.16.0.0/16", NatGatewayId=nat)


def test_survives_restart(own_server):
    from conftest import make_client
    ec2 = make_client(own_server.endpoint)
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.0.0/24")["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eip = allocate(ec2)
    nat = ec2.create_nat_gateway(SubnetId=subnet, AllocationId=eip,
                                 TagSpecifications=tag_spec("natgateway", Name="durable"))["NatGateway"]["NatGatewayId"]
    own_server.kill9()
    own_server.start()
    g = nat_of(ec2, nat)
    assert g["State"] == "available" and tags(g) == {"Name": "durable"}
    assert g["NatGatewayAddresses"][0]["AllocationId"] == eip
    ec2.delete_nat_gateway(NatGatewayId=nat)
    own_server.restart()
    assert nat_of(ec2, nat)["State"] == "deleted"
    assert "AssociationId" not in ec2.describe_addresses(AllocationIds=[eip])["Addresses"][0]
