"""Elastic IP addresses: AllocateAddress, AssociateAddress, DisassociateAddress, ReleaseAddress,
DescribeAddresses, DescribeAddressesAttribute.

Rule ids: EIP-1 … EIP-18 (§6) and MI-9 of shared/spec/inventory-ec2-network-security.md;
S1-S6, AA5, AA10 of shared/spec/inventory-vpc-guide.md; A24 is §13's acceptance scenario.
"""
import ipaddress

import pytest

from conftest import make_client
from helpers import (ACCOUNT_ID, OTHER_ACCOUNT_ID, assert_error, create_subnet, create_vpc, default_vpc,
                     error_code, tag_spec, tags)

POOL = ipaddress.ip_network("198.51.100.0/24")


def allocate(ec2, **kwargs):
    return ec2.allocate_address(Domain="vpc", **kwargs)


def address_of(ec2, allocation_id):
    return ec2.describe_addresses(AllocationIds=[allocation_id])["Addresses"][0]


@pytest.fixture
def net(ec2):
    """A VPC with a subnet and an attached internet gateway."""
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.0.0/24")["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return {"vpc": vpc, "subnet": subnet, "igw": igw}


def new_eni(ec2, subnet, **kwargs):
    return ec2.create_network_interface(SubnetId=subnet, **kwargs)["NetworkInterface"]


# ---------------------------------------------------------------- AllocateAddress

def test_allocate_address(ec2):
    """EIP-1, §6.1: a VPC address from the pool, with an allocation id, in the Region's border group."""
    a = allocate(ec2)
    assert a["AllocationId"].startswith("eipalloc-")
    assert a["Domain"] == "vpc"
    assert a["NetworkBorderGroup"] == "us-east-1"
    assert a["PublicIpv4Pool"] == "amazon"
    ip = ipaddress.ip_address(a["PublicIp"])
    assert ip in POOL and ip not in (POOL.network_address, POOL.broadcast_address)
    d = address_of(ec2, a["AllocationId"])
    assert d["PublicIp"] == a["PublicIp"]
    assert d["Domain"] == "vpc"
    assert d["NetworkBorderGroup"] == "us-east-1"
    assert d["PublicIpv4Pool"] == "amazon"
    for member in ("AssociationId", "NetworkInterfaceId", "PrivateIpAddress", "InstanceId"):
        assert member not in d


def test_allocate_without_domain(ec2):
    """VPC-only account: the domain defaults to vpc."""
    assert ec2.allocate_address()["Domain"] == "vpc"


def test_allocate_with_tags(ec2):
    a = allocate(ec2, TagSpecifications=tag_spec("elastic-ip", Name="web"))
    assert tags(address_of(ec2, a["AllocationId"])) == {"Name": "web"}
    assert_error("InvalidParameterValue", allocate, ec2, TagSpecifications=tag_spec("vpc", Name="x"))


def test_create_tags_on_address(ec2):
    a = allocate(ec2)["AllocationId"]
    ec2.create_tags(Resources=[a], Tags=[{"Key": "env", "Value": "prod"}])
    assert tags(address_of(ec2, a)) == {"env": "prod"}
    t = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [a]}])["Tags"]
    assert t == [{"Key": "env", "ResourceId": a, "ResourceType": "elastic-ip", "Value": "prod"}]


def test_address_quota_is_five_per_region(ec2, ec2_factory):
    """EIP-15 / S5 / A24: the sixth allocation fails with AWS's message; another Region has its own."""
    for _ in range(5):
        allocate(ec2)
    err = assert_error("AddressLimitExceeded", allocate, ec2)
    assert err.response["Error"]["Message"] == "The maximum number of addresses has been reached."
    west = ec2_factory(region="us-west-2")
    assert allocate(west)["NetworkBorderGroup"] == "us-west-2"


def test_release_and_recover(ec2):
    """EIP-13 / S6 / A24: a released address can be allocated again by name; tags do not come back."""
    a = allocate(ec2, TagSpecifications=tag_spec("elastic-ip", Name="old"))
    ec2.release_address(AllocationId=a["AllocationId"])
    assert ec2.describe_addresses()["Addresses"] == []
    b = allocate(ec2, Address=a["PublicIp"])
    assert b["PublicIp"] == a["PublicIp"]
    assert b["AllocationId"] != a["AllocationId"]
    assert tags(address_of(ec2, b["AllocationId"])) == {}
    # Taken now (by this account), and nothing outside the pool.
    assert_error("InvalidAddressID.NotFound", allocate, ec2, Address=a["PublicIp"])
    assert_error("InvalidAddressID.NotFound", allocate, ec2, Address="192.0.2.1")


def test_addresses_unique_across_accounts_and_regions(ec2, ec2_factory):
    """Public addresses are unique everywhere; another account's address cannot be recovered (EIP-13)."""
    other = ec2_factory(account="other")
    west = ec2_factory(region="us-west-2")
    ips = [allocate(c)["PublicIp"] for c in (ec2, other, west, ec2, other, west)]
    assert len(set(ips)) == 6
    theirs = other.describe_addresses()["Addresses"][0]["PublicIp"]
    assert_error("InvalidAddressID.NotFound", allocate, ec2, Address=theirs)
    # Accounts see only their own addresses.
    assert {a["PublicIp"] for a in ec2.describe_addresses()["Addresses"]} == {ips[0], ips[3]}


def test_allocate_in_another_border_group_refused(ec2):
    """EIP-4: addresses are regional."""
    assert_error("InvalidParameterValue", allocate, ec2, NetworkBorderGroup="us-west-2")
    assert allocate(ec2, NetworkBorderGroup="us-east-1")["NetworkBorderGroup"] == "us-east-1"


def test_allocate_dry_run(ec2):
    assert error_code(allocate, ec2, DryRun=True) == "DryRunOperation"
    assert ec2.describe_addresses()["Addresses"] == []


# ---------------------------------------------------------------- DescribeAddresses

def test_describe_addresses_by_id_and_public_ip(ec2):
    a, b = allocate(ec2), allocate(ec2)
    assert [x["AllocationId"] for x in ec2.describe_addresses(AllocationIds=[a["AllocationId"]])["Addresses"]] == [
        a["AllocationId"]]
    assert [x["AllocationId"] for x in ec2.describe_addresses(PublicIps=[b["PublicIp"]])["Addresses"]] == [
        b["AllocationId"]]
    assert len(ec2.describe_addresses()["Addresses"]) == 2
    assert_error("InvalidAllocationID.NotFound", ec2.describe_addresses, AllocationIds=["eipalloc-0123456789abcdef0"])
    assert_error("InvalidAddress.NotFound", ec2.describe_addresses, PublicIps=["198.51.100.254"])


def test_describe_addresses_filters(ec2):
    a = allocate(ec2, TagSpecifications=tag_spec("elastic-ip", Name="web", env="prod"))
    b = allocate(ec2)

    def ids(*filters):
        return {x["AllocationId"] for x in ec2.describe_addresses(Filters=list(filters))["Addresses"]}

    both = {a["AllocationId"], b["AllocationId"]}
    assert ids({"Name": "allocation-id", "Values": [a["AllocationId"]]}) == {a["AllocationId"]}
    assert ids({"Name": "public-ip", "Values": [b["PublicIp"]]}) == {b["AllocationId"]}
    assert ids({"Name": "domain", "Values": ["vpc"]}) == both
    assert ids({"Name": "network-border-group", "Values": ["us-east-1"]}) == both
    assert ids({"Name": "tag:Name", "Values": ["web"]}) == {a["AllocationId"]}
    assert ids({"Name": "tag-key", "Values": ["env"]}) == {a["AllocationId"]}
    assert ids({"Name": "tag-value", "Values": ["pr*"]}) == {a["AllocationId"]}
    assert ids({"Name": "association-id", "Values": ["eipassoc-*"]}) == set()
    assert_error("InvalidParameterValue", ec2.describe_addresses, Filters=[{"Name": "bogus", "Values": ["x"]}])


# ---------------------------------------------------------------- errors without interfaces

def test_release_unknown(ec2):
    assert_error("InvalidAllocationID.NotFound", ec2.release_address, AllocationId="eipalloc-0123456789abcdef0")


def test_release_by_public_ip_needs_allocation_id(ec2):
    """VPC addresses are released by allocation id."""
    a = allocate(ec2)
    assert_error("InvalidParameterValue", ec2.release_address, PublicIp=a["PublicIp"])


def test_release_in_wrong_border_group(ec2):
    """API Reference, ReleaseAddress: an incorrect network border group is InvalidAddress.NotFound."""
    a = allocate(ec2)
    assert_error("InvalidAddress.NotFound", ec2.release_address, AllocationId=a["AllocationId"],
                 NetworkBorderGroup="us-west-2")
    ec2.release_address(AllocationId=a["AllocationId"], NetworkBorderGroup="us-east-1")


def test_disassociate_unknown(ec2):
    assert_error("InvalidAssociationID.NotFound", ec2.disassociate_address, AssociationId="eipassoc-0123456789abcdef0")


def test_associate_with_unknown_instance(ec2):
    """EIP-6: instances come later; until then no instance id is found."""
    a = allocate(ec2)
    assert_error("InvalidInstanceID.NotFound", ec2.associate_address, AllocationId=a["AllocationId"],
                 InstanceId="i-0123456789abcdef0")


def test_associate_unknown_allocation_and_interface(ec2):
    a = allocate(ec2)
    assert_error("InvalidAllocationID.NotFound", ec2.associate_address, AllocationId="eipalloc-0123456789abcdef0",
                 NetworkInterfaceId="eni-0123456789abcdef0")
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.associate_address, AllocationId=a["AllocationId"],
                 NetworkInterfaceId="eni-0123456789abcdef0")


def test_describe_addresses_attribute(ec2):
    """DescribeAddressesAttribute domain-name: the PTR record AWS gives the address (IP-9 naming)."""
    a = allocate(ec2)
    out = ec2.describe_addresses_attribute(AllocationIds=[a["AllocationId"]], Attribute="domain-name")["Addresses"]
    expected = "ec2-" + a["PublicIp"].replace(".", "-") + ".compute-1.amazonaws.com"
    assert out == [{"AllocationId": a["AllocationId"], "PublicIp": a["PublicIp"], "PtrRecord": expected}]
    assert len(ec2.describe_addresses_attribute(Attribute="domain-name")["Addresses"]) == 1
    assert_error("InvalidAllocationID.NotFound", ec2.describe_addresses_attribute,
                 AllocationIds=["eipalloc-0123456789abcdef0"], Attribute="domain-name")


def test_describe_addresses_attribute_other_region(ec2_factory):
    west = ec2_factory(region="eu-west-1")
    a = allocate(west)
    out = west.describe_addresses_attribute(AllocationIds=[a["AllocationId"]], Attribute="domain-name")["Addresses"]
    assert out[0]["PtrRecord"] == "ec2-" + a["PublicIp"].replace(".", "-") + ".eu-west-1.compute.amazonaws.com"


def test_describe_addresses_attribute_paging(ec2):
    made = {allocate(ec2)["AllocationId"] for _ in range(3)}
    seen, token = [], None
    while True:
        kwargs = {"Attribute": "domain-name", "MaxResults": 2}
        if token:
            kwargs["NextToken"] = token
        page = ec2.describe_addresses_attribute(**kwargs)
        seen += [a["AllocationId"] for a in page["Addresses"]]
        token = page.get("NextToken")
        if not token:
            break
    assert sorted(seen) == sorted(made)


def test_aws_cli_allocate_and_release(aws_cli):
    a = aws_cli("allocate-address", "--domain", "vpc")
    assert a["AllocationId"].startswith("eipalloc-")
    out = aws_cli("describe-addresses", "--allocation-ids", a["AllocationId"])
    assert out["Addresses"][0]["PublicIp"] == a["PublicIp"]
    aws_cli("release-address", "--allocation-id", a["AllocationId"])
    assert aws_cli("describe-addresses")["Addresses"] == []


# ---------------------------------------------------------------- with network interfaces

def test_associate_with_interface(ec2, net):
    """EIP-6 / S1: the interface's primary private address by default; the view names the association."""
    eni = new_eni(ec2, net["subnet"])
    a = allocate(ec2)
    assoc = ec2.associate_address(AllocationId=a["AllocationId"], NetworkInterfaceId=eni["NetworkInterfaceId"])
    assert assoc["AssociationId"].startswith("eipassoc-")
    d = address_of(ec2, a["AllocationId"])
    assert d["AssociationId"] == assoc["AssociationId"]
    assert d["NetworkInterfaceId"] == eni["NetworkInterfaceId"]
    assert d["NetworkInterfaceOwnerId"] == ACCOUNT_ID
    assert d["PrivateIpAddress"] == eni["PrivateIpAddress"]
    assert "InstanceId" not in d

    def ids(name, value):
        return [x["AllocationId"] for x in
                ec2.describe_addresses(Filters=[{"Name": name, "Values": [value]}])["Addresses"]]

    assert ids("association-id", assoc["AssociationId"]) == [a["AllocationId"]]
    assert ids("network-interface-id", eni["NetworkInterfaceId"]) == [a["AllocationId"]]
    assert ids("network-interface-owner-id", ACCOUNT_ID) == [a["AllocationId"]]
    assert ids("private-ip-address", eni["PrivateIpAddress"]) == [a["AllocationId"]]
    assert ids("instance-id", "i-*") == []


def test_associate_with_secondary_private_address(ec2, net):
    """EIP-10 / MI-11: one address per private IPv4 address; the address must be the interface's."""
    eni = new_eni(ec2, net["subnet"], PrivateIpAddress="10.0.0.10")
    eni_id = eni["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni_id, PrivateIpAddresses=["10.0.0.11"])
    a, b, c = allocate(ec2), allocate(ec2), allocate(ec2)
    ec2.associate_address(AllocationId=a["AllocationId"], NetworkInterfaceId=eni_id)
    ec2.associate_address(AllocationId=b["AllocationId"], NetworkInterfaceId=eni_id, PrivateIpAddress="10.0.0.11")
    assert address_of(ec2, a["AllocationId"])["PrivateIpAddress"] == "10.0.0.10"
    assert address_of(ec2, b["AllocationId"])["PrivateIpAddress"] == "10.0.0.11"
    assert_error("InvalidParameterValue", ec2.associate_address, AllocationId=c["AllocationId"],
                 NetworkInterfaceId=eni_id, PrivateIpAddress="10.0.0.99")


def test_associate_needs_internet_gateway(ec2):
    """EIP-17: the interface's VPC must have an internet gateway attached."""
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.0.0/24")["SubnetId"]
    eni = new_eni(ec2, subnet)["NetworkInterfaceId"]
    a = allocate(ec2)
    err = assert_error("Gateway.NotAttached", ec2.associate_address, AllocationId=a["AllocationId"],
                       NetworkInterfaceId=eni)
    assert err.response["Error"]["Message"] == f"Network {vpc} is not attached to any internet gateway"


def test_reassociation_rules(ec2, net):
    """EIP-7 / EIP-8: refused with Resource.AlreadyAssociated unless AllowReassociation; then the address
    moves and the one it displaces stays allocated (EIP-3)."""
    e1 = new_eni(ec2, net["subnet"])["NetworkInterfaceId"]
    e2 = new_eni(ec2, net["subnet"])["NetworkInterfaceId"]
    a, b = allocate(ec2)["AllocationId"], allocate(ec2)["AllocationId"]
    first = ec2.associate_address(AllocationId=a, NetworkInterfaceId=e1)["AssociationId"]
    assert_error("Resource.AlreadyAssociated", ec2.associate_address, AllocationId=a, NetworkInterfaceId=e2)
    assert_error("Resource.AlreadyAssociated", ec2.associate_address, AllocationId=b, NetworkInterfaceId=e1)
    assert address_of(ec2, a)["AssociationId"] == first
    moved = ec2.associate_address(AllocationId=a, NetworkInterfaceId=e2, AllowReassociation=True)["AssociationId"]
    assert moved != first
    assert address_of(ec2, a)["NetworkInterfaceId"] == e2
    assert_error("InvalidAssociationID.NotFound", ec2.disassociate_address, AssociationId=first)
    ec2.associate_address(AllocationId=b, NetworkInterfaceId=e2, AllowReassociation=True)
    assert "AssociationId" not in address_of(ec2, a)
    assert address_of(ec2, b)["NetworkInterfaceId"] == e2


def test_disassociate_keeps_allocation(ec2, net):
    """EIP-3: disassociated addresses stay allocated until released."""
    eni = new_eni(ec2, net["subnet"])["NetworkInterfaceId"]
    a = allocate(ec2)
    assoc = ec2.associate_address(AllocationId=a["AllocationId"], NetworkInterfaceId=eni)["AssociationId"]
    ec2.disassociate_address(AssociationId=assoc)
    d = address_of(ec2, a["AllocationId"])
    assert d["PublicIp"] == a["PublicIp"]
    assert "AssociationId" not in d and "NetworkInterfaceId" not in d
    assert_error("InvalidAssociationID.NotFound", ec2.disassociate_address, AssociationId=assoc)


def test_release_refused_while_associated(ec2, net):
    """EIP-12 / AA10 / S4 / A24: InvalidIPAddress.InUse until disassociated."""
    eni = new_eni(ec2, net["subnet"])["NetworkInterfaceId"]
    a = allocate(ec2)["AllocationId"]
    assoc = ec2.associate_address(AllocationId=a, NetworkInterfaceId=eni)["AssociationId"]
    assert_error("InvalidIPAddress.InUse", ec2.release_address, AllocationId=a)
    ec2.disassociate_address(AssociationId=assoc)
    ec2.release_address(AllocationId=a)
    assert ec2.describe_addresses()["Addresses"] == []


def test_release_in_default_vpc_disassociates(ec2):
    """API Reference, ReleaseAddress: in the default VPC, releasing disassociates first."""
    subnet = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default_vpc(ec2)["VpcId"]]}])["Subnets"][0]
    eni = new_eni(ec2, subnet["SubnetId"])["NetworkInterfaceId"]
    a = allocate(ec2)["AllocationId"]
    ec2.associate_address(AllocationId=a, NetworkInterfaceId=eni)
    ec2.release_address(AllocationId=a)
    assert ec2.describe_addresses()["Addresses"] == []


def test_detach_gateway_refused_with_mapped_addresses(ec2, net):
    """AA5: DetachInternetGateway is refused while the VPC has interfaces with Elastic IPs."""
    eni = new_eni(ec2, net["subnet"])["NetworkInterfaceId"]
    a = allocate(ec2)["AllocationId"]
    assoc = ec2.associate_address(AllocationId=a, NetworkInterfaceId=eni)["AssociationId"]
    err = assert_error("DependencyViolation", ec2.detach_internet_gateway, InternetGatewayId=net["igw"],
                       VpcId=net["vpc"])
    assert err.response["Error"]["Message"] == (
        f"Network {net['vpc']} has some mapped public address(es). Please unmap those public address(es) "
        "before detaching the gateway.")
    ec2.disassociate_address(AssociationId=assoc)
    ec2.detach_internet_gateway(InternetGatewayId=net["igw"], VpcId=net["vpc"])


def test_deleting_interface_disassociates(ec2, net):
    """Deleting an interface that holds an address disassociates it; the address stays allocated."""
    eni = new_eni(ec2, net["subnet"])["NetworkInterfaceId"]
    a = allocate(ec2)["AllocationId"]
    ec2.associate_address(AllocationId=a, NetworkInterfaceId=eni)
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    d = address_of(ec2, a)
    assert "AssociationId" not in d and "NetworkInterfaceId" not in d
    ec2.release_address(AllocationId=a)


def test_unassigning_secondary_address_disassociates(ec2, net):
    """MI-9: unassigning a secondary private address disassociates its Elastic IP."""
    eni = new_eni(ec2, net["subnet"], PrivateIpAddress="10.0.0.10")["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.0.11"])
    a = allocate(ec2)["AllocationId"]
    ec2.associate_address(AllocationId=a, NetworkInterfaceId=eni, PrivateIpAddress="10.0.0.11")
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.0.11"])
    assert "AssociationId" not in address_of(ec2, a)


def test_association_survives_restart(own_server):
    """Allocations and associations are stored: a restart keeps them, ids and all."""
    ec2 = make_client(own_server.endpoint)
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.0.0/24")["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eni = new_eni(ec2, subnet)["NetworkInterfaceId"]
    a = allocate(ec2, TagSpecifications=tag_spec("elastic-ip", Name="kept"))["AllocationId"]
    ec2.associate_address(AllocationId=a, NetworkInterfaceId=eni)
    before = address_of(ec2, a)
    own_server.restart()
    ec2 = make_client(own_server.endpoint)
    assert address_of(ec2, a) == before
    # The restarted server still knows which addresses are taken.
    assert allocate(ec2)["PublicIp"] != before["PublicIp"]


def test_other_account_cannot_touch_address(ec2, ec2_factory, net):
    """Addresses belong to their account (EIP-4: and Region)."""
    a = allocate(ec2)["AllocationId"]
    other = ec2_factory(account="other")
    assert_error("InvalidAllocationID.NotFound", other.release_address, AllocationId=a)
    assert_error("InvalidAllocationID.NotFound", other.describe_addresses, AllocationIds=[a])
    assert other.describe_addresses()["Addresses"] == []
    assert OTHER_ACCOUNT_ID != ACCOUNT_ID
