"""Elastic network interfaces (ENIs) and the private IPv4 / IPv6 addresses they hold.

Rule ids ENI-n, IP-n, MI-n, §7.4 and A28-A34 refer to shared/spec/inventory-ec2-network-security.md
(§5 instance IP addressing, §7 elastic network interfaces, §13 scenarios); A5, E2, E8, E9, F2, F3, M14, AA2, AA4
and AA6 refer to shared/spec/inventory-vpc-guide.md.
[EXT] marks behaviour taken from the current EC2 API Reference rather than from the seeds: output field names,
filter names, the NetworkInterfaceAvailable waiter and the error codes, which come from the API Reference's
"Error codes for the Amazon EC2 API" page. Where AWS documents a refusal but the code could not be pinned down,
the test asserts only a 400 client error (assert_client_error).
"""
import ipaddress
import re

import pytest
from botocore.exceptions import ClientError, WaiterError

from helpers import (ACCOUNT_ID, assert_client_error, assert_error, create_subnet, create_vpc, default_vpc,
                     describe_subnet, fast_waiter, in_cidr, nth_subnet64, tag_spec, vpc_ipv6_block, wait_until)

MAC_RE = re.compile(r"^02(:[0-9a-f]{2}){5}$")
ENI_ID_RE = re.compile(r"^eni-([0-9a-f]{8}|[0-9a-f]{17})$")
ATTACH_ID_RE = re.compile(r"^eni-attach-([0-9a-f]{8}|[0-9a-f]{17})$")
SUBNET_CIDR = "10.0.1.0/24"
EMPTY_24 = 251          # A5: 256 - 5 reserved addresses
AMI = "ami-12345678"


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


@pytest.fixture
def subnet(ec2, vpc):
    """10.0.1.0/24 in us-east-1a."""
    return create_subnet(ec2, vpc, SUBNET_CIDR, AvailabilityZone="us-east-1a")["SubnetId"]


@pytest.fixture
def vpc6(ec2):
    """A VPC with an Amazon-provided /56: (vpc_id, /56)."""
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    return v, vpc_ipv6_block(ec2, v)


@pytest.fixture
def subnet6(ec2, vpc6):
    """10.0.2.0/24 with the first /64 of the VPC's /56: (subnet_id, /64)."""
    v, block = vpc6
    cidr6 = nth_subnet64(block, 0)
    sid = create_subnet(ec2, v, "10.0.2.0/24", Ipv6CidrBlock=cidr6, AvailabilityZone="us-east-1a")["SubnetId"]
    return sid, cidr6


# ---------------------------------------------------------------- local helpers

def new_eni(ec2, subnet_id, **kwargs):
    return ec2.create_network_interface(SubnetId=subnet_id, **kwargs)["NetworkInterface"]


def eni_of(ec2, eni_id):
    enis = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    assert len(enis) == 1, enis
    return enis[0]


def wait_status(ec2, eni_id, status):
    return wait_until(lambda: (lambda e: e if e["Status"] == status else None)(eni_of(ec2, eni_id)))


def private_ips(eni):
    return {a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"]}


def secondary_ips(eni):
    return {a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"] if not a["Primary"]}


def primary_entries(eni):
    return [a["PrivateIpAddress"] for a in eni["PrivateIpAddresses"] if a["Primary"]]


def ipv6s(eni):
    return {str(ipaddress.IPv6Address(a["Ipv6Address"])) for a in eni.get("Ipv6Addresses", [])}


def eni_tags(eni):
    return {t["Key"]: t["Value"] for t in eni.get("TagSet", [])}


def group_ids_of(eni):
    return {g["GroupId"] for g in eni["Groups"]}


def available(ec2, subnet_id):
    return describe_subnet(ec2, subnet_id)["AvailableIpAddressCount"]


def new_sg(ec2, vpc_id, name):
    return ec2.create_security_group(GroupName=name, Description="test group", VpcId=vpc_id)["GroupId"]


def default_sg(ec2, vpc_id):
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                   {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(groups) == 1, groups
    return groups[0]["GroupId"]


def eni_ids(ec2, *filters):
    """NetworkInterfaceIds returned for filters given as (name, [values]) pairs."""
    fs = [{"Name": n, "Values": v} for n, v in filters]
    return {e["NetworkInterfaceId"] for e in ec2.describe_network_interfaces(Filters=fs)["NetworkInterfaces"]}


def host(cidr, n):
    """The n-th address of cidr (negative n counts from the end: -1 is the last)."""
    net = ipaddress.ip_network(cidr)
    return str(net[n])


def reserved_addresses(cidr):
    """A5: base, base+1 (router), base+2 (DNS), base+3 (future use) and the last address."""
    return [host(cidr, 0), host(cidr, 1), host(cidr, 2), host(cidr, 3), host(cidr, -1)]


def usable(cidr, ip):
    return ipaddress.ip_address(ip) in ipaddress.ip_network(cidr) and ip not in reserved_addresses(cidr)


def run_instance(ec2, subnet_id, instance_type="t2.micro", **kwargs):
    """RunInstances into subnet_id; waits until running; returns the described instance."""
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet_id, InstanceType=instance_type,
                            **kwargs)["Instances"][0]["InstanceId"]

    def running():
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        return inst if inst["State"]["Name"] == "running" else None
    return wait_until(running)


def primary_eni(inst):
    return [n for n in inst["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0][0]


def attach(ec2, eni_id, instance_id, index=1):
    """AttachNetworkInterface and wait until the attachment is attached; returns the AttachmentId."""
    att = ec2.attach_network_interface(NetworkInterfaceId=eni_id, InstanceId=instance_id, DeviceIndex=index)
    wait_until(lambda: eni_of(ec2, eni_id).get("Attachment", {}).get("Status") == "attached")
    return att["AttachmentId"]


def gone(ec2, eni_id):
    try:
        eni_of(ec2, eni_id)
    except ClientError as e:
        return e.response["Error"]["Code"] == "InvalidNetworkInterfaceID.NotFound"
    return False


# ---------------------------------------------------------------- CreateNetworkInterface: output shape (§7.1, [EXT])

def test_create_network_interface_output(ec2, vpc, subnet):
    """ENI-3 / F2 / ENI-10 / §7.1: the subnet fixes VPC and AZ; default SG; source/dest check on; 02: MAC."""
    eni = new_eni(ec2, subnet, Description="my network interface")
    assert ENI_ID_RE.match(eni["NetworkInterfaceId"]), eni["NetworkInterfaceId"]
    assert eni["SubnetId"] == subnet
    assert eni["VpcId"] == vpc
    assert eni["AvailabilityZone"] == "us-east-1a"
    assert eni["OwnerId"] == ACCOUNT_ID
    assert eni["Description"] == "my network interface"
    assert eni["Status"] in ("pending", "available")   # [EXT] the CLI reference example shows pending
    assert MAC_RE.match(eni["MacAddress"]), eni["MacAddress"]
    assert eni["SourceDestCheck"] is True
    assert eni["RequesterManaged"] is False
    assert eni["InterfaceType"] == "interface"
    assert eni.get("Ipv6Addresses", []) == []
    assert eni.get("TagSet", []) == []
    assert "Attachment" not in eni
    assert usable(SUBNET_CIDR, eni["PrivateIpAddress"])          # E8: auto-picked, never reserved
    assert primary_entries(eni) == [eni["PrivateIpAddress"]]
    assert private_ips(eni) == {eni["PrivateIpAddress"]}
    assert [g["GroupName"] for g in eni["Groups"]] == ["default"]  # F2
    assert group_ids_of(eni) == {default_sg(ec2, vpc)}


def test_described_interface_is_available(ec2, vpc, subnet):
    eni = new_eni(ec2, subnet)
    d = wait_status(ec2, eni["NetworkInterfaceId"], "available")
    for key in ("NetworkInterfaceId", "SubnetId", "VpcId", "AvailabilityZone", "OwnerId", "MacAddress",
                "PrivateIpAddress", "PrivateDnsName", "SourceDestCheck", "RequesterManaged", "InterfaceType"):
        assert d[key] == eni[key], key
    assert d["Description"] == ""


def test_mac_addresses_are_unique(ec2, subnet):
    """§7.1: every ENI gets its own locally administered 02:xx:xx:xx:xx:xx MAC."""
    macs = [new_eni(ec2, subnet)["MacAddress"] for _ in range(8)]
    assert all(MAC_RE.match(m) for m in macs), macs
    assert len(set(macs)) == len(macs)


def test_auto_picked_addresses_are_distinct(ec2, subnet):
    ips = [new_eni(ec2, subnet)["PrivateIpAddress"] for _ in range(6)]
    assert len(set(ips)) == 6
    assert all(usable(SUBNET_CIDR, ip) for ip in ips)


def test_private_dns_name_us_east_1(ec2, vpc):
    """IP-2: ip-a-b-c-d.ec2.internal in us-east-1."""
    sid = create_subnet(ec2, vpc, "10.0.0.0/24")["SubnetId"]
    eni = new_eni(ec2, sid, PrivateIpAddress="10.0.0.5")
    assert eni["PrivateIpAddress"] == "10.0.0.5"
    assert eni["PrivateDnsName"] == "ip-10-0-0-5.ec2.internal"
    assert eni["PrivateIpAddresses"][0]["PrivateDnsName"] == "ip-10-0-0-5.ec2.internal"


@pytest.mark.parametrize("region", ["eu-west-1", "us-west-2"])
def test_private_dns_name_other_regions(ec2_factory, region):
    """IP-2: ip-a-b-c-d.REGION.compute.internal outside us-east-1."""
    c = ec2_factory(region=region)
    v = create_vpc(c, "10.0.0.0/16")["VpcId"]
    sid = create_subnet(c, v, "10.0.0.0/24")["SubnetId"]
    eni = c.create_network_interface(SubnetId=sid, PrivateIpAddress="10.0.0.5")["NetworkInterface"]
    assert eni["PrivateDnsName"] == f"ip-10-0-0-5.{region}.compute.internal"
    assert eni["AvailabilityZone"].startswith(region)


def test_create_in_default_subnet(ec2):
    """F2: an ENI in a default subnet gets the default VPC's default group."""
    dv = default_vpc(ec2)["VpcId"]
    sid = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dv]}])["Subnets"][0]["SubnetId"]
    eni = new_eni(ec2, sid)
    assert eni["VpcId"] == dv
    assert group_ids_of(eni) == {default_sg(ec2, dv)}


def test_create_with_tag_specifications(ec2, subnet):
    eni = new_eni(ec2, subnet, TagSpecifications=tag_spec("network-interface", Name="web-eni", env="test"))
    assert eni_tags(eni) == {"Name": "web-eni", "env": "test"}
    assert eni_tags(eni_of(ec2, eni["NetworkInterfaceId"])) == {"Name": "web-eni", "env": "test"}


def test_create_tags_later(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.create_tags(Resources=[eid], Tags=[{"Key": "role", "Value": "nat"}])
    assert eni_tags(eni_of(ec2, eid)) == {"role": "nat"}


def test_create_in_unknown_subnet(ec2):
    assert_error("InvalidSubnetID.NotFound", ec2.create_network_interface, SubnetId="subnet-0123456789abcdef0")


# ---------------------------------------------------------------- CreateNetworkInterface: private IPv4 (E8, A5)

def test_create_with_private_ip_address(ec2, subnet):
    eni = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")
    assert eni["PrivateIpAddress"] == "10.0.1.10"
    assert private_ips(eni) == {"10.0.1.10"}


@pytest.mark.parametrize("ip", ["10.0.1.4", "10.0.1.254"])
def test_first_and_last_usable_addresses(ec2, subnet, ip):
    """A5: base+4 and last-1 are the edges of the usable range."""
    assert new_eni(ec2, subnet, PrivateIpAddress=ip)["PrivateIpAddress"] == ip


@pytest.mark.parametrize("ip", reserved_addresses(SUBNET_CIDR))
def test_reserved_address_refused(ec2, subnet, ip):
    """A5 / E8: base, +1, +2, +3 and the last address are never assignable."""
    assert_error("InvalidParameterValue", ec2.create_network_interface, SubnetId=subnet, PrivateIpAddress=ip)
    assert available(ec2, subnet) == EMPTY_24


@pytest.mark.parametrize("ip", ["10.0.2.10", "192.168.0.10"])
def test_address_outside_subnet_refused(ec2, subnet, ip):
    """MI-1 / IP-3: the address must come from the subnet's range (inside the VPC but another subnet, or outside)."""
    assert_error("InvalidParameterValue", ec2.create_network_interface, SubnetId=subnet, PrivateIpAddress=ip)


def test_address_in_use_refused(ec2, subnet):
    new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")
    assert_error("InvalidIPAddress.InUse", ec2.create_network_interface, SubnetId=subnet,
                 PrivateIpAddress="10.0.1.10")


def test_secondary_address_in_use_refused(ec2, subnet):
    new_eni(ec2, subnet, PrivateIpAddresses=[{"PrivateIpAddress": "10.0.1.10", "Primary": True},
                                             {"PrivateIpAddress": "10.0.1.11", "Primary": False}])
    assert_error("InvalidIPAddress.InUse", ec2.create_network_interface, SubnetId=subnet,
                 PrivateIpAddress="10.0.1.11")


def test_address_released_by_delete_can_be_reused(ec2, subnet):
    """ENI-8: DeleteNetworkInterface releases its private IPs."""
    eid = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    assert new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")["PrivateIpAddress"] == "10.0.1.10"


def test_create_with_private_ip_addresses_list(ec2, subnet):
    """§7.1: one primary and secondary addresses, given as a list with Primary flags."""
    eni = new_eni(ec2, subnet, PrivateIpAddresses=[
        {"PrivateIpAddress": "10.0.1.20", "Primary": False},
        {"PrivateIpAddress": "10.0.1.21", "Primary": True},
        {"PrivateIpAddress": "10.0.1.22", "Primary": False},
    ])
    assert eni["PrivateIpAddress"] == "10.0.1.21"
    assert primary_entries(eni) == ["10.0.1.21"]
    assert secondary_ips(eni) == {"10.0.1.20", "10.0.1.22"}
    assert private_ips(eni_of(ec2, eni["NetworkInterfaceId"])) == {"10.0.1.20", "10.0.1.21", "10.0.1.22"}


def test_two_primaries_refused(ec2, subnet):
    assert_client_error(ec2.create_network_interface, SubnetId=subnet, PrivateIpAddresses=[
        {"PrivateIpAddress": "10.0.1.20", "Primary": True},
        {"PrivateIpAddress": "10.0.1.21", "Primary": True},
    ])
    assert available(ec2, subnet) == EMPTY_24


def test_create_with_secondary_private_ip_address_count(ec2, subnet):
    eni = new_eni(ec2, subnet, SecondaryPrivateIpAddressCount=3)
    assert len(eni["PrivateIpAddresses"]) == 4
    assert len(primary_entries(eni)) == 1
    assert len(secondary_ips(eni)) == 3
    assert all(usable(SUBNET_CIDR, ip) for ip in private_ips(eni))


def test_create_with_address_and_count(ec2, subnet):
    eni = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10", SecondaryPrivateIpAddressCount=2)
    assert eni["PrivateIpAddress"] == "10.0.1.10"
    assert len(secondary_ips(eni)) == 2
    assert "10.0.1.10" not in secondary_ips(eni)


def test_count_larger_than_free_space_takes_nothing(ec2, vpc):
    """MI-6: a /28 has 11 usable addresses; asking for 12 fails and takes none."""
    sid = create_subnet(ec2, vpc, "10.0.9.0/28")["SubnetId"]
    assert available(ec2, sid) == 11
    assert_error("InsufficientFreeAddressesInSubnet", ec2.create_network_interface, SubnetId=sid,
                 SecondaryPrivateIpAddressCount=11)
    assert available(ec2, sid) == 11
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [sid]}])["NetworkInterfaces"] == []


# ---------------------------------------------------------------- AvailableIpAddressCount (A5)

def test_available_ip_address_count_follows_interfaces(ec2, subnet):
    """A5: AvailableIpAddressCount drops by one per address in use and comes back on delete."""
    assert available(ec2, subnet) == EMPTY_24
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert available(ec2, subnet) == EMPTY_24 - 1
    b = new_eni(ec2, subnet, SecondaryPrivateIpAddressCount=2)["NetworkInterfaceId"]
    assert available(ec2, subnet) == EMPTY_24 - 4
    ec2.assign_private_ip_addresses(NetworkInterfaceId=a, SecondaryPrivateIpAddressCount=2)
    assert available(ec2, subnet) == EMPTY_24 - 6
    extra = sorted(secondary_ips(eni_of(ec2, a)))[0]
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=a, PrivateIpAddresses=[extra])
    assert available(ec2, subnet) == EMPTY_24 - 5
    ec2.delete_network_interface(NetworkInterfaceId=b)
    assert available(ec2, subnet) == EMPTY_24 - 2
    ec2.delete_network_interface(NetworkInterfaceId=a)
    assert available(ec2, subnet) == EMPTY_24


def test_other_subnets_are_not_counted(ec2, vpc, subnet):
    other = create_subnet(ec2, vpc, "10.0.2.0/24")["SubnetId"]
    new_eni(ec2, subnet, SecondaryPrivateIpAddressCount=4)
    assert available(ec2, subnet) == EMPTY_24 - 5
    assert available(ec2, other) == EMPTY_24


def test_ipv6_addresses_do_not_change_ipv4_count(ec2, subnet6):
    sid, _ = subnet6
    new_eni(ec2, sid, Ipv6AddressCount=3)
    assert available(ec2, sid) == EMPTY_24 - 1


# ---------------------------------------------------------------- CreateNetworkInterface: IPv6 (IP-17, MI-2, E2)

def test_create_with_ipv6_address_count(ec2, subnet6):
    sid, cidr6 = subnet6
    eni = new_eni(ec2, sid, Ipv6AddressCount=2)
    got = ipv6s(eni)
    assert len(got) == 2
    assert all(ipaddress.IPv6Address(a) in ipaddress.IPv6Network(cidr6) for a in got)
    assert ipv6s(eni_of(ec2, eni["NetworkInterfaceId"])) == got


def test_create_with_ipv6_addresses(ec2, subnet6):
    sid, cidr6 = subnet6
    want = host(cidr6, 0x1234)
    eni = new_eni(ec2, sid, Ipv6Addresses=[{"Ipv6Address": want}])
    assert ipv6s(eni) == {want}


def test_ipv6_address_outside_subnet_refused(ec2, vpc6, subnet6):
    sid, _ = subnet6
    _, block = vpc6
    other64 = nth_subnet64(block, 5)
    assert_client_error(ec2.create_network_interface, SubnetId=sid, Ipv6Addresses=[{"Ipv6Address": host(other64, 10)}])
    assert_client_error(ec2.create_network_interface, SubnetId=sid, Ipv6Addresses=[{"Ipv6Address": "2001:db8::10"}])


@pytest.mark.parametrize("kwargs", [{"Ipv6AddressCount": 1}, {"Ipv6Addresses": [{"Ipv6Address": "2001:db8::10"}]}])
def test_ipv6_refused_in_subnet_without_ipv6(ec2, subnet, kwargs):
    """IP-17 / A31: no IPv6 address without an IPv6 block on the subnet."""
    assert_client_error(ec2.create_network_interface, SubnetId=subnet, **kwargs)
    assert available(ec2, subnet) == EMPTY_24


def test_ipv6_address_in_use_refused(ec2, subnet6):
    """IP-21 / E9: an IPv6 address is on one ENI at a time.
    AWS: InvalidIPAddress.InUse, "The specified IP address is already in use" ("Error codes for the Amazon EC2 API";
    CreateNetworkInterface answers it, pulumi/pulumi#10923)."""
    sid, cidr6 = subnet6
    want = host(cidr6, 0x99)
    new_eni(ec2, sid, Ipv6Addresses=[{"Ipv6Address": want}])
    assert_error("InvalidIPAddress.InUse", ec2.create_network_interface, SubnetId=sid,
                 Ipv6Addresses=[{"Ipv6Address": want}])


def test_assign_ipv6_on_creation_subnet(ec2, subnet6):
    """E2: with AssignIpv6AddressOnCreation each new ENI gets one IPv6 address from the subnet."""
    sid, cidr6 = subnet6
    ec2.modify_subnet_attribute(SubnetId=sid, AssignIpv6AddressOnCreation={"Value": True})
    got = ipv6s(new_eni(ec2, sid))
    assert len(got) == 1
    assert ipaddress.IPv6Address(got.pop()) in ipaddress.IPv6Network(cidr6)


def test_subnet_ipv6_block_cannot_go_while_addresses_assigned(ec2, subnet6):
    """AA4: the subnet's IPv6 block stays while an ENI holds an address from it."""
    sid, _ = subnet6
    eid = new_eni(ec2, sid, Ipv6AddressCount=1)["NetworkInterfaceId"]
    assoc = [a for a in describe_subnet(ec2, sid)["Ipv6CidrBlockAssociationSet"]
             if a["Ipv6CidrBlockState"]["State"] == "associated"][0]["AssociationId"]
    assert_client_error(ec2.disassociate_subnet_cidr_block, AssociationId=assoc)
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    ec2.disassociate_subnet_cidr_block(AssociationId=assoc)


# ---------------------------------------------------------------- CreateNetworkInterface: groups (ENI-3, F2, M14)

def test_create_with_groups(ec2, vpc, subnet):
    a, b = new_sg(ec2, vpc, "a"), new_sg(ec2, vpc, "b")
    eni = new_eni(ec2, subnet, Groups=[a, b])
    assert group_ids_of(eni) == {a, b}
    assert {g["GroupName"] for g in eni["Groups"]} == {"a", "b"}


def test_create_with_group_of_another_vpc_refused(ec2, subnet):
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    foreign = new_sg(ec2, other, "foreign")
    # [EXT] "Error codes" page, InvalidParameter: a security group and a subnet in different VPCs.
    assert_error("InvalidParameter", ec2.create_network_interface, SubnetId=subnet, Groups=[foreign])
    assert available(ec2, subnet) == EMPTY_24


def test_create_with_six_groups_refused(ec2, vpc, subnet):
    """M14 / A12: at most 5 security groups per network interface."""
    groups = [new_sg(ec2, vpc, f"g{i}") for i in range(6)]
    assert_error("SecurityGroupsPerInterfaceLimitExceeded", ec2.create_network_interface, SubnetId=subnet,
                 Groups=groups)
    assert group_ids_of(new_eni(ec2, subnet, Groups=groups[:5])) == set(groups[:5])


def test_create_with_unknown_group_refused(ec2, subnet):
    assert_error("InvalidGroup.NotFound", ec2.create_network_interface, SubnetId=subnet,
                 Groups=["sg-0123456789abcdef0"])


# ---------------------------------------------------------------- DeleteNetworkInterface (ENI-8)

def test_delete_network_interface(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces, NetworkInterfaceIds=[eid])
    assert eni_ids(ec2, ("subnet-id", [subnet])) == set()


def test_delete_twice(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.delete_network_interface, NetworkInterfaceId=eid)


def test_delete_unknown(ec2):
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.delete_network_interface,
                 NetworkInterfaceId="eni-0123456789abcdef0")


def test_subnet_with_interface_cannot_be_deleted(ec2, subnet):
    """AA2: DeleteSubnet is refused while a network interface lives in it."""
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_error("DependencyViolation", ec2.delete_subnet, SubnetId=subnet)
    assert describe_subnet(ec2, subnet)["SubnetId"] == subnet
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    ec2.delete_subnet(SubnetId=subnet)


def test_group_in_use_by_interface_cannot_be_deleted(ec2, vpc, subnet):
    """AA6: DeleteSecurityGroup is refused while a network interface uses the group."""
    sg = new_sg(ec2, vpc, "web")
    eid = new_eni(ec2, subnet, Groups=[sg])["NetworkInterfaceId"]
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=sg)
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Groups=[default_sg(ec2, vpc)])
    ec2.delete_security_group(GroupId=sg)


def test_group_freed_by_interface_delete(ec2, vpc, subnet):
    sg = new_sg(ec2, vpc, "web")
    eid = new_eni(ec2, subnet, Groups=[sg])["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    ec2.delete_security_group(GroupId=sg)


# ---------------------------------------------------------------- DescribeNetworkInterfaces

def test_describe_by_ids(ec2, subnet):
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    new_eni(ec2, subnet)
    got = ec2.describe_network_interfaces(NetworkInterfaceIds=[a, b])["NetworkInterfaces"]
    assert {e["NetworkInterfaceId"] for e in got} == {a, b}


def test_describe_lists_every_interface_of_the_account(ec2, vpc, subnet):
    other_vpc = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    other_subnet = create_subnet(ec2, other_vpc, "10.1.0.0/24")["SubnetId"]
    made = {new_eni(ec2, subnet)["NetworkInterfaceId"], new_eni(ec2, other_subnet)["NetworkInterfaceId"]}
    assert made <= {e["NetworkInterfaceId"] for e in ec2.describe_network_interfaces()["NetworkInterfaces"]}


def test_describe_unknown_id(ec2, subnet):
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces,
                 NetworkInterfaceIds=["eni-0123456789abcdef0"])
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interfaces,
                 NetworkInterfaceIds=[a, "eni-0123456789abcdef0"])


def test_describe_malformed_id(ec2):
    assert_error("InvalidNetworkInterfaceID.Malformed", ec2.describe_network_interfaces,
                 NetworkInterfaceIds=["eni-not-hex"])


def test_other_account_cannot_see_interface(ec2_factory, ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    other = ec2_factory(account="other")
    assert_error("InvalidNetworkInterfaceID.NotFound", other.describe_network_interfaces, NetworkInterfaceIds=[eid])
    assert eid not in {e["NetworkInterfaceId"] for e in other.describe_network_interfaces()["NetworkInterfaces"]}
    assert_error("InvalidNetworkInterfaceID.NotFound", other.delete_network_interface, NetworkInterfaceId=eid)


def test_other_region_cannot_see_interface(ec2_factory, ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2_factory(region="eu-west-1").describe_network_interfaces,
                 NetworkInterfaceIds=[eid])


@pytest.fixture
def populated(ec2, vpc, subnet):
    """a: 10.0.1.10 (+10.0.1.11) in us-east-1a with group web, tagged; b: 10.0.2.10 in us-east-1b, default group,
    source/dest check off; c: in another VPC."""
    web = new_sg(ec2, vpc, "web")
    sub_b = create_subnet(ec2, vpc, "10.0.2.0/24", AvailabilityZone="us-east-1b")["SubnetId"]
    a = new_eni(ec2, subnet, Description="alpha", Groups=[web],
                PrivateIpAddresses=[{"PrivateIpAddress": "10.0.1.10", "Primary": True},
                                    {"PrivateIpAddress": "10.0.1.11", "Primary": False}],
                TagSpecifications=tag_spec("network-interface", Name="a", tier="web"))
    b = new_eni(ec2, sub_b, Description="beta", PrivateIpAddress="10.0.2.10")
    ec2.modify_network_interface_attribute(NetworkInterfaceId=b["NetworkInterfaceId"],
                                           SourceDestCheck={"Value": False})
    other_vpc = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    c = new_eni(ec2, create_subnet(ec2, other_vpc, "10.1.0.0/24")["SubnetId"], Description="gamma")
    for e in (a, b, c):
        wait_status(ec2, e["NetworkInterfaceId"], "available")
    return dict(a=a, b=b, c=c, web=web, vpc=vpc, other_vpc=other_vpc, sub_a=subnet, sub_b=sub_b,
                all={a["NetworkInterfaceId"], b["NetworkInterfaceId"], c["NetworkInterfaceId"]})


def _ids(p, *names):
    return {p[n]["NetworkInterfaceId"] for n in names}


@pytest.mark.parametrize("flt,expect", [
    (lambda p: ("network-interface-id", [p["a"]["NetworkInterfaceId"]]), ["a"]),
    (lambda p: ("subnet-id", [p["sub_b"]]), ["b"]),
    (lambda p: ("vpc-id", [p["vpc"]]), ["a", "b"]),
    (lambda p: ("vpc-id", [p["other_vpc"]]), ["c"]),
    (lambda p: ("availability-zone", ["us-east-1b"]), ["b"]),
    (lambda p: ("status", ["available"]), ["a", "b", "c"]),
    (lambda p: ("private-ip-address", ["10.0.2.10"]), ["b"]),
    (lambda p: ("addresses.private-ip-address", ["10.0.1.11"]), ["a"]),
    (lambda p: ("mac-address", [p["b"]["MacAddress"]]), ["b"]),
    (lambda p: ("group-id", [p["web"]]), ["a"]),
    (lambda p: ("group-name", ["web"]), ["a"]),
    (lambda p: ("description", ["beta"]), ["b"]),
    (lambda p: ("description", ["alpha", "gamma"]), ["a", "c"]),
    (lambda p: ("source-dest-check", ["false"]), ["b"]),
    (lambda p: ("source-dest-check", ["true"]), ["a", "c"]),
    (lambda p: ("interface-type", ["interface"]), ["a", "b", "c"]),
    (lambda p: ("owner-id", [ACCOUNT_ID]), ["a", "b", "c"]),
    (lambda p: ("requester-managed", ["false"]), ["a", "b", "c"]),
    (lambda p: ("tag:Name", ["a"]), ["a"]),
    (lambda p: ("tag:tier", ["web", "db"]), ["a"]),
    (lambda p: ("tag-key", ["tier"]), ["a"]),
], ids=["network-interface-id", "subnet-id", "vpc-id", "vpc-id-other", "availability-zone", "status",
        "private-ip-address", "addresses.private-ip-address", "mac-address", "group-id", "group-name", "description",
        "description-or", "source-dest-check-false", "source-dest-check-true", "interface-type", "owner-id",
        "requester-managed", "tag-name", "tag-value-or", "tag-key"])
def test_describe_filters(ec2, populated, flt, expect):
    name, values = flt(populated)
    assert eni_ids(ec2, (name, values)) & populated["all"] == _ids(populated, *expect)


def test_filter_ipv6_address(ec2, subnet6):
    sid, cidr6 = subnet6
    want = host(cidr6, 0x42)
    a = new_eni(ec2, sid, Ipv6Addresses=[{"Ipv6Address": want}])["NetworkInterfaceId"]
    new_eni(ec2, sid, Ipv6AddressCount=1)
    assert eni_ids(ec2, ("ipv6-addresses.ipv6-address", [want])) == {a}


def test_filters_are_anded(ec2, populated):
    assert eni_ids(ec2, ("vpc-id", [populated["vpc"]]), ("description", ["alpha"])) == _ids(populated, "a")
    assert eni_ids(ec2, ("vpc-id", [populated["vpc"]]), ("description", ["gamma"])) == set()


def test_filter_no_match(ec2, populated):
    assert eni_ids(ec2, ("private-ip-address", ["10.0.1.99"])) == set()


def test_paginate_network_interfaces(ec2, vpc, subnet):
    made = {new_eni(ec2, subnet)["NetworkInterfaceId"] for _ in range(12)}
    pages = list(ec2.get_paginator("describe_network_interfaces").paginate(PaginationConfig={"PageSize": 5}))
    ids = [e["NetworkInterfaceId"] for p in pages for e in p["NetworkInterfaces"]]
    assert len(ids) == len(set(ids)), "an interface was returned twice"
    assert made <= set(ids)
    assert len(pages) >= 3


def test_paginate_with_filter(ec2, vpc, subnet):
    made = {new_eni(ec2, subnet)["NetworkInterfaceId"] for _ in range(7)}
    pages = list(ec2.get_paginator("describe_network_interfaces").paginate(
        Filters=[{"Name": "subnet-id", "Values": [subnet]}], PaginationConfig={"PageSize": 5}))
    assert sorted(e["NetworkInterfaceId"] for p in pages for e in p["NetworkInterfaces"]) == sorted(made)
    assert len(pages) == 2


def test_max_results_with_ids_refused(ec2, subnet):
    """[EXT] MaxResults cannot be combined with NetworkInterfaceIds: "If you call a describe API action with both
    a list of IDs and MaxResults, the request fails with the error InvalidParameterCombination" (EC2 API
    Reference, Query requests, Pagination)."""
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_error("InvalidParameterCombination", ec2.describe_network_interfaces, NetworkInterfaceIds=[eid],
                 MaxResults=5)


# ---------------------------------------------------------------- NetworkInterfaceAvailable waiter

def test_network_interface_available_waiter(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    waiter, cfg = fast_waiter(ec2, "network_interface_available")
    waiter.wait(NetworkInterfaceIds=[eid], WaiterConfig=cfg)
    assert eni_of(ec2, eid)["Status"] == "available"


def test_network_interface_available_waiter_fails_for_deleted(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    waiter, cfg = fast_waiter(ec2, "network_interface_available")
    with pytest.raises(WaiterError):
        waiter.wait(NetworkInterfaceIds=[eid], WaiterConfig=cfg)


# ---------------------------------------------------------------- Modify / Describe / Reset attributes (F3, M14)

def test_modify_groups(ec2, vpc, subnet):
    a, b = new_sg(ec2, vpc, "a"), new_sg(ec2, vpc, "b")
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Groups=[a, b])
    assert group_ids_of(eni_of(ec2, eid)) == {a, b}
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="groupSet")
    assert {g["GroupId"] for g in attr["Groups"]} == {a, b}
    assert {g["GroupName"] for g in attr["Groups"]} == {"a", "b"}
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Groups=[b])   # replaces, does not add
    assert group_ids_of(eni_of(ec2, eid)) == {b}


def test_modify_groups_five_allowed_six_refused(ec2, vpc, subnet):
    """M14 / A12: a 6th security group on a network interface fails."""
    groups = [new_sg(ec2, vpc, f"g{i}") for i in range(6)]
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Groups=groups[:5])
    assert group_ids_of(eni_of(ec2, eid)) == set(groups[:5])
    assert_error("SecurityGroupsPerInterfaceLimitExceeded", ec2.modify_network_interface_attribute,
                 NetworkInterfaceId=eid, Groups=groups)
    assert group_ids_of(eni_of(ec2, eid)) == set(groups[:5])


def test_modify_groups_of_another_vpc_refused(ec2, vpc, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    foreign = new_sg(ec2, create_vpc(ec2, "10.1.0.0/16")["VpcId"], "foreign")
    # [EXT] "Error codes" page, InvalidParameter: a security group and a subnet in different VPCs.
    assert_error("InvalidParameter", ec2.modify_network_interface_attribute, NetworkInterfaceId=eid, Groups=[foreign])
    assert group_ids_of(eni_of(ec2, eid)) == {default_sg(ec2, vpc)}


def test_source_dest_check_modify_and_reset(ec2, subnet):
    """ENI-10 / F3: on by default; can be turned off; ResetNetworkInterfaceAttribute turns it back on."""
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="sourceDestCheck")
    assert attr["NetworkInterfaceId"] == eid
    assert attr["SourceDestCheck"]["Value"] is True
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, SourceDestCheck={"Value": False})
    assert eni_of(ec2, eid)["SourceDestCheck"] is False
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="sourceDestCheck")
    assert attr["SourceDestCheck"]["Value"] is False
    ec2.reset_network_interface_attribute(NetworkInterfaceId=eid, SourceDestCheck="sourceDestCheck")
    assert eni_of(ec2, eid)["SourceDestCheck"] is True
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="sourceDestCheck")
    assert attr["SourceDestCheck"]["Value"] is True


def test_modify_description(ec2, subnet):
    eid = new_eni(ec2, subnet, Description="old")["NetworkInterfaceId"]
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="description")
    assert attr["Description"]["Value"] == "old"
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Description={"Value": "new"})
    assert eni_of(ec2, eid)["Description"] == "new"
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="description")
    assert attr["Description"]["Value"] == "new"


def test_describe_attachment_attribute_of_detached_interface(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="attachment")
    assert attr["NetworkInterfaceId"] == eid
    assert not attr.get("Attachment")


def test_attribute_calls_on_unknown_interface(ec2):
    missing = "eni-0123456789abcdef0"
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.describe_network_interface_attribute,
                 NetworkInterfaceId=missing, Attribute="description")
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.modify_network_interface_attribute,
                 NetworkInterfaceId=missing, SourceDestCheck={"Value": False})
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.reset_network_interface_attribute,
                 NetworkInterfaceId=missing, SourceDestCheck="sourceDestCheck")


# ---------------------------------------------------------------- Assign / Unassign private IPv4 (MI-1..MI-6, A28, A29)

def test_assign_specific_addresses(ec2, subnet):
    """MI-1: secondary addresses can go on an unattached ENI; they come from the subnet."""
    eid = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")["NetworkInterfaceId"]
    res = ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.1.50", "10.0.1.51"])
    assert res["NetworkInterfaceId"] == eid
    assert {a["PrivateIpAddress"] for a in res["AssignedPrivateIpAddresses"]} == {"10.0.1.50", "10.0.1.51"}
    eni = eni_of(ec2, eid)
    assert eni["PrivateIpAddress"] == "10.0.1.10"
    assert secondary_ips(eni) == {"10.0.1.50", "10.0.1.51"}


def test_assign_by_count(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    res = ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, SecondaryPrivateIpAddressCount=3)
    got = {a["PrivateIpAddress"] for a in res["AssignedPrivateIpAddresses"]}
    assert len(got) == 3
    assert all(usable(SUBNET_CIDR, ip) for ip in got)
    assert secondary_ips(eni_of(ec2, eid)) == got


@pytest.mark.parametrize("ip", ["10.0.1.255", "10.0.1.3", "10.0.2.50"])
def test_assign_reserved_or_outside_refused(ec2, subnet, ip):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_error("InvalidParameterValue", ec2.assign_private_ip_addresses, NetworkInterfaceId=eid,
                 PrivateIpAddresses=[ip])
    assert secondary_ips(eni_of(ec2, eid)) == set()


def test_assign_address_of_another_interface_without_reassignment(ec2, subnet):
    """MI-5 / A28: moving a secondary from another ENI needs AllowReassignment."""
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=a, PrivateIpAddresses=["10.0.1.50"])
    assert_error("InvalidParameterValue", ec2.assign_private_ip_addresses, NetworkInterfaceId=b,
                 PrivateIpAddresses=["10.0.1.50"])
    assert "10.0.1.50" in secondary_ips(eni_of(ec2, a))
    assert "10.0.1.50" not in private_ips(eni_of(ec2, b))


def test_assign_with_allow_reassignment_moves_the_address(ec2, subnet):
    """MI-5 / IP-4 / A28: with AllowReassignment the secondary moves; the subnet count is unchanged."""
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=a, PrivateIpAddresses=["10.0.1.50"])
    before = available(ec2, subnet)
    ec2.assign_private_ip_addresses(NetworkInterfaceId=b, PrivateIpAddresses=["10.0.1.50"], AllowReassignment=True)
    assert "10.0.1.50" in secondary_ips(eni_of(ec2, b))
    assert "10.0.1.50" not in private_ips(eni_of(ec2, a))
    assert available(ec2, subnet) == before
    assert eni_ids(ec2, ("addresses.private-ip-address", ["10.0.1.50"])) == {b}


def test_primary_address_cannot_be_reassigned(ec2, subnet):
    """IP-4: the primary private IPv4 of an ENI cannot move, even with AllowReassignment."""
    a = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_client_error(ec2.assign_private_ip_addresses, NetworkInterfaceId=b, PrivateIpAddresses=["10.0.1.10"],
                        AllowReassignment=True)
    assert eni_of(ec2, a)["PrivateIpAddress"] == "10.0.1.10"
    assert "10.0.1.10" not in private_ips(eni_of(ec2, b))


def test_assign_is_atomic(ec2, subnet):
    """MI-6 / A29: three addresses, one already in use -> none is assigned."""
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=a, PrivateIpAddresses=["10.0.1.51"])
    before = available(ec2, subnet)
    assert_error("InvalidParameterValue", ec2.assign_private_ip_addresses, NetworkInterfaceId=b,
                 PrivateIpAddresses=["10.0.1.50", "10.0.1.51", "10.0.1.52"])
    assert secondary_ips(eni_of(ec2, b)) == set()
    assert secondary_ips(eni_of(ec2, a)) == {"10.0.1.51"}
    assert available(ec2, subnet) == before


def test_assign_is_atomic_with_reserved_address(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_error("InvalidParameterValue", ec2.assign_private_ip_addresses, NetworkInterfaceId=eid,
                 PrivateIpAddresses=["10.0.1.60", "10.0.1.255"])
    assert secondary_ips(eni_of(ec2, eid)) == set()


def test_assign_needs_addresses_or_count(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_client_error(ec2.assign_private_ip_addresses, NetworkInterfaceId=eid)


def test_assign_to_unknown_interface(ec2):
    assert_error("InvalidNetworkInterfaceID.NotFound", ec2.assign_private_ip_addresses,
                 NetworkInterfaceId="eni-0123456789abcdef0", SecondaryPrivateIpAddressCount=1)


def test_unassign_secondary(ec2, subnet):
    eid = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.1.50", "10.0.1.51"])
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eid, PrivateIpAddresses=["10.0.1.50"])
    assert private_ips(eni_of(ec2, eid)) == {"10.0.1.10", "10.0.1.51"}
    # the released address is free again for another interface
    assert new_eni(ec2, subnet, PrivateIpAddress="10.0.1.50")["PrivateIpAddress"] == "10.0.1.50"


def test_unassign_primary_refused(ec2, subnet):
    eid = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")["NetworkInterfaceId"]
    assert_error("InvalidParameterValue", ec2.unassign_private_ip_addresses, NetworkInterfaceId=eid,
                 PrivateIpAddresses=["10.0.1.10"])
    assert eni_of(ec2, eid)["PrivateIpAddress"] == "10.0.1.10"


def test_unassign_address_not_on_interface_refused(ec2, subnet):
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=b, PrivateIpAddresses=["10.0.1.50"])
    assert_error("InvalidParameterValue", ec2.unassign_private_ip_addresses, NetworkInterfaceId=a,
                 PrivateIpAddresses=["10.0.1.50"])
    assert_error("InvalidParameterValue", ec2.unassign_private_ip_addresses, NetworkInterfaceId=a,
                 PrivateIpAddresses=["10.0.1.99"])
    assert "10.0.1.50" in secondary_ips(eni_of(ec2, b))


# ---------------------------------------------------------------- Assign / Unassign IPv6 (IP-21, IP-23, MI-2, A31)

def test_assign_ipv6_by_count(ec2, subnet6):
    sid, cidr6 = subnet6
    eid = new_eni(ec2, sid)["NetworkInterfaceId"]
    res = ec2.assign_ipv6_addresses(NetworkInterfaceId=eid, Ipv6AddressCount=2)
    got = {str(ipaddress.IPv6Address(a)) for a in res["AssignedIpv6Addresses"]}
    assert len(got) == 2
    assert all(ipaddress.IPv6Address(a) in ipaddress.IPv6Network(cidr6) for a in got)
    assert ipv6s(eni_of(ec2, eid)) == got


def test_assign_and_unassign_specific_ipv6(ec2, subnet6):
    sid, cidr6 = subnet6
    eid = new_eni(ec2, sid)["NetworkInterfaceId"]
    x, y = host(cidr6, 0x100), host(cidr6, 0x101)
    res = ec2.assign_ipv6_addresses(NetworkInterfaceId=eid, Ipv6Addresses=[x, y])
    assert {str(ipaddress.IPv6Address(a)) for a in res["AssignedIpv6Addresses"]} == {x, y}
    assert ipv6s(eni_of(ec2, eid)) == {x, y}
    res = ec2.unassign_ipv6_addresses(NetworkInterfaceId=eid, Ipv6Addresses=[x])
    assert {str(ipaddress.IPv6Address(a)) for a in res["UnassignedIpv6Addresses"]} == {x}
    assert ipv6s(eni_of(ec2, eid)) == {y}


def test_assign_ipv6_outside_subnet_refused(ec2, vpc6, subnet6):
    sid, _ = subnet6
    _, block = vpc6
    eid = new_eni(ec2, sid)["NetworkInterfaceId"]
    assert_client_error(ec2.assign_ipv6_addresses, NetworkInterfaceId=eid,
                        Ipv6Addresses=[host(nth_subnet64(block, 7), 5)])
    assert_client_error(ec2.assign_ipv6_addresses, NetworkInterfaceId=eid, Ipv6Addresses=["2001:db8::5"])
    assert ipv6s(eni_of(ec2, eid)) == set()


def test_assign_ipv6_in_subnet_without_ipv6_refused(ec2, subnet):
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    assert_client_error(ec2.assign_ipv6_addresses, NetworkInterfaceId=eid, Ipv6AddressCount=1)


def test_ipv6_cannot_be_reassigned_until_unassigned(ec2, subnet6):
    """IP-21 / A31: no allow-reassignment for IPv6; unassign from A first.
    AWS: InvalidIPAddress.InUse, "The specified IP address is already in use" ("Error codes for the Amazon EC2
    API")."""
    sid, cidr6 = subnet6
    a = new_eni(ec2, sid)["NetworkInterfaceId"]
    b = new_eni(ec2, sid)["NetworkInterfaceId"]
    x = host(cidr6, 0x200)
    ec2.assign_ipv6_addresses(NetworkInterfaceId=a, Ipv6Addresses=[x])
    assert_error("InvalidIPAddress.InUse", ec2.assign_ipv6_addresses, NetworkInterfaceId=b, Ipv6Addresses=[x])
    assert ipv6s(eni_of(ec2, b)) == set()
    ec2.unassign_ipv6_addresses(NetworkInterfaceId=a, Ipv6Addresses=[x])
    ec2.assign_ipv6_addresses(NetworkInterfaceId=b, Ipv6Addresses=[x])
    assert ipv6s(eni_of(ec2, b)) == {x}
    assert ipv6s(eni_of(ec2, a)) == set()


def test_unassign_ipv6_not_on_interface_refused(ec2, subnet6):
    sid, cidr6 = subnet6
    eid = new_eni(ec2, sid, Ipv6AddressCount=1)["NetworkInterfaceId"]
    assert_client_error(ec2.unassign_ipv6_addresses, NetworkInterfaceId=eid, Ipv6Addresses=[host(cidr6, 0x300)])
    assert len(ipv6s(eni_of(ec2, eid))) == 1


def test_deleted_interface_releases_ipv6(ec2, subnet6):
    sid, cidr6 = subnet6
    x = host(cidr6, 0x400)
    eid = new_eni(ec2, sid, Ipv6Addresses=[{"Ipv6Address": x}])["NetworkInterfaceId"]
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    assert ipv6s(new_eni(ec2, sid, Ipv6Addresses=[{"Ipv6Address": x}])) == {x}


# ---------------------------------------------------------------- attach / detach

def test_attach_and_detach(ec2, subnet):
    """ENI-5 / A32: hot attach at device index 1, detach while running; attributes stay with the ENI (ENI-2)."""
    inst = run_instance(ec2, subnet)
    eni = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10", Description="standby")
    eid = eni["NetworkInterfaceId"]
    att = attach(ec2, eid, inst["InstanceId"], 1)
    assert ATTACH_ID_RE.match(att), att
    d = eni_of(ec2, eid)
    assert d["Status"] == "in-use"
    assert d["Attachment"]["AttachmentId"] == att
    assert d["Attachment"]["InstanceId"] == inst["InstanceId"]
    assert d["Attachment"]["InstanceOwnerId"] == ACCOUNT_ID
    assert d["Attachment"]["DeviceIndex"] == 1
    assert d["Attachment"]["DeleteOnTermination"] is False     # [EXT] false for ENIs attached later
    attr = ec2.describe_network_interface_attribute(NetworkInterfaceId=eid, Attribute="attachment")
    assert attr["Attachment"]["AttachmentId"] == att
    assert attr["Attachment"]["InstanceId"] == inst["InstanceId"]
    assert eni_ids(ec2, ("attachment.instance-id", [inst["InstanceId"]])) == \
        {eid, primary_eni(inst)["NetworkInterfaceId"]}
    assert eni_ids(ec2, ("status", ["in-use"])) >= {eid}

    ec2.detach_network_interface(AttachmentId=att)
    d = wait_status(ec2, eid, "available")
    assert "Attachment" not in d or d["Attachment"].get("Status") == "detached"
    assert d["PrivateIpAddress"] == "10.0.1.10" and d["MacAddress"] == eni["MacAddress"]   # ENI-2 / MI-7
    assert d["Description"] == "standby"
    ec2.delete_network_interface(NetworkInterfaceId=eid)


def test_attached_interface_cannot_be_deleted(ec2, subnet):
    """ENI-8 / A32: delete requires detaching first. AWS answers InvalidParameterValue ("Network
    interface 'eni-…' is currently in use."), as an outside AWS-verified suite found (issue 15)."""
    inst = run_instance(ec2, subnet)
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    att = attach(ec2, eid, inst["InstanceId"])
    err = assert_error("InvalidParameterValue", ec2.delete_network_interface, NetworkInterfaceId=eid)
    assert err.response["Error"]["Message"] == f"Network interface '{eid}' is currently in use."
    ec2.detach_network_interface(AttachmentId=att)
    wait_status(ec2, eid, "available")
    ec2.delete_network_interface(NetworkInterfaceId=eid)


def test_primary_interface_of_instance(ec2, subnet):
    """ENI-1 / ENI-11: eth0 is created by RunInstances, delete-on-termination true, in use, cannot be deleted."""
    before = available(ec2, subnet)
    inst = run_instance(ec2, subnet)
    eth0 = eni_of(ec2, primary_eni(inst)["NetworkInterfaceId"])
    assert eth0["Status"] == "in-use"
    assert eth0["Attachment"]["DeviceIndex"] == 0
    assert eth0["Attachment"]["DeleteOnTermination"] is True
    assert eth0["InterfaceType"] == "interface"
    assert eth0["SubnetId"] == subnet
    assert eth0["PrivateIpAddress"] == inst["PrivateIpAddress"]
    assert available(ec2, subnet) == before - 1
    assert_error("InvalidParameterValue", ec2.delete_network_interface,
                 NetworkInterfaceId=eth0["NetworkInterfaceId"])


def test_primary_interface_cannot_be_detached(ec2, subnet):
    """ENI-1 / F1 / A32: eth0 cannot be detached."""
    inst = run_instance(ec2, subnet)
    att = primary_eni(inst)["Attachment"]["AttachmentId"]
    assert_error("OperationNotPermitted", ec2.detach_network_interface, AttachmentId=att)


def test_attach_in_another_subnet_same_az(ec2, vpc, subnet):
    """ENI-4: another subnet of the same VPC is fine when the AZ matches."""
    other = create_subnet(ec2, vpc, "10.0.3.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    inst = run_instance(ec2, subnet)
    eid = new_eni(ec2, other)["NetworkInterfaceId"]
    attach(ec2, eid, inst["InstanceId"])
    assert eni_of(ec2, eid)["Attachment"]["InstanceId"] == inst["InstanceId"]


def test_attach_in_another_az_refused(ec2, vpc, subnet):
    """ENI-4 / A32: the ENI and the instance must be in the same AZ."""
    other = create_subnet(ec2, vpc, "10.0.3.0/24", AvailabilityZone="us-east-1b")["SubnetId"]
    inst = run_instance(ec2, subnet)
    eid = new_eni(ec2, other)["NetworkInterfaceId"]
    assert_client_error(ec2.attach_network_interface, NetworkInterfaceId=eid, InstanceId=inst["InstanceId"],
                        DeviceIndex=1)
    assert eni_of(ec2, eid)["Status"] == "available"


def test_attach_interface_already_attached_refused(ec2, subnet):
    inst1, inst2 = run_instance(ec2, subnet), run_instance(ec2, subnet)
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    attach(ec2, eid, inst1["InstanceId"])
    assert_error("InvalidNetworkInterface.InUse", ec2.attach_network_interface, NetworkInterfaceId=eid,
                 InstanceId=inst2["InstanceId"], DeviceIndex=1)


def test_attach_at_used_device_index_refused(ec2, subnet):
    inst = run_instance(ec2, subnet, instance_type="c4.large")
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    attach(ec2, a, inst["InstanceId"], 1)
    # [EXT] "Instance '...' already has an interface attached at device index '1'." (cilium/cilium#42512,
    # hashicorp/terraform-provider-aws#906)
    assert_error("InvalidParameterValue", ec2.attach_network_interface, NetworkInterfaceId=b,
                 InstanceId=inst["InstanceId"], DeviceIndex=1)
    assert_error("InvalidParameterValue", ec2.attach_network_interface, NetworkInterfaceId=b,
                 InstanceId=inst["InstanceId"], DeviceIndex=0)


def test_move_interface_between_instances(ec2, subnet):
    """ENI-2 / MI-7 / A36: detach from one instance, attach to another; IPs and MAC travel with it."""
    inst1, inst2 = run_instance(ec2, subnet), run_instance(ec2, subnet)
    eni = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10", SecondaryPrivateIpAddressCount=1)
    eid = eni["NetworkInterfaceId"]
    att = attach(ec2, eid, inst1["InstanceId"])
    ec2.detach_network_interface(AttachmentId=att)
    wait_status(ec2, eid, "available")
    attach(ec2, eid, inst2["InstanceId"])
    d = eni_of(ec2, eid)
    assert d["Attachment"]["InstanceId"] == inst2["InstanceId"]
    assert private_ips(d) == private_ips(eni)
    assert d["MacAddress"] == eni["MacAddress"]


def test_force_detach(ec2, subnet):
    """ENI-15: Force=true detaches too."""
    inst = run_instance(ec2, subnet)
    eid = new_eni(ec2, subnet)["NetworkInterfaceId"]
    att = attach(ec2, eid, inst["InstanceId"])
    ec2.detach_network_interface(AttachmentId=att, Force=True)
    wait_status(ec2, eid, "available")


def test_detach_unknown_attachment(ec2):
    assert_error("InvalidAttachmentID.NotFound", ec2.detach_network_interface,
                 AttachmentId="eni-attach-0123456789abcdef0")


def test_t2_micro_interface_limit(ec2, subnet):
    """§7.4 / A30: t2.micro takes 2 network interfaces; a 3rd attach fails."""
    inst = run_instance(ec2, subnet, instance_type="t2.micro")
    a = new_eni(ec2, subnet)["NetworkInterfaceId"]
    b = new_eni(ec2, subnet)["NetworkInterfaceId"]
    attach(ec2, a, inst["InstanceId"], 1)
    assert_error("AttachmentLimitExceeded", ec2.attach_network_interface, NetworkInterfaceId=b,
                 InstanceId=inst["InstanceId"], DeviceIndex=2)


def test_t2_micro_private_ip_limit(ec2, subnet):
    """§7.4 / A30: t2.micro takes 2 IPv4 addresses per ENI (primary + 1 secondary)."""
    inst = run_instance(ec2, subnet, instance_type="t2.micro")
    eth0 = primary_eni(inst)["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eth0, SecondaryPrivateIpAddressCount=1)
    assert_error("PrivateIpAddressLimitExceeded", ec2.assign_private_ip_addresses, NetworkInterfaceId=eth0,
                 SecondaryPrivateIpAddressCount=1)
    assert len(private_ips(eni_of(ec2, eth0))) == 2


def test_delete_on_termination_true(ec2, subnet):
    """ENI-11 / A34: DeleteOnTermination=true -> terminating the instance deletes the ENI and frees its address."""
    inst = run_instance(ec2, subnet)
    eid = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10")["NetworkInterfaceId"]
    att = attach(ec2, eid, inst["InstanceId"])
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid,
                                           Attachment={"AttachmentId": att, "DeleteOnTermination": True})
    assert eni_of(ec2, eid)["Attachment"]["DeleteOnTermination"] is True
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    wait_until(lambda: gone(ec2, eid), timeout=60)
    wait_until(lambda: available(ec2, subnet) == EMPTY_24, timeout=60)


def test_delete_on_termination_false(ec2, subnet):
    """ENI-11 / A34 / MI-7: DeleteOnTermination=false -> the ENI becomes available and keeps its addresses."""
    inst = run_instance(ec2, subnet)
    eid = new_eni(ec2, subnet, PrivateIpAddress="10.0.1.10", SecondaryPrivateIpAddressCount=1)["NetworkInterfaceId"]
    att = attach(ec2, eid, inst["InstanceId"])
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid,
                                           Attachment={"AttachmentId": att, "DeleteOnTermination": False})
    ips = private_ips(eni_of(ec2, eid))
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    d = wait_until(lambda: (lambda e: e if e["Status"] == "available" else None)(eni_of(ec2, eid)), timeout=60)
    assert private_ips(d) == ips
    assert d["PrivateIpAddress"] == "10.0.1.10"


def test_primary_interface_deleted_with_instance(ec2, subnet):
    """ENI-11: the eth0 made by RunInstances goes away with the instance."""
    inst = run_instance(ec2, subnet)
    eth0 = primary_eni(inst)["NetworkInterfaceId"]
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    wait_until(lambda: gone(ec2, eth0), timeout=60)


def test_subnet_with_instance_interface_cannot_be_deleted(ec2, subnet):
    """AA2: DeleteSubnet refused while an instance (its eth0) is in it."""
    run_instance(ec2, subnet)
    assert_error("DependencyViolation", ec2.delete_subnet, SubnetId=subnet)
