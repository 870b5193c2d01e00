"""Issue 15: IPv6-only subnets (CreateSubnet Ipv6Native=true, Amazon VPC User Guide "Subnets for
your VPC": IPv6-only subnets have an IPv6 CIDR block and no IPv4 block; their interfaces get IPv6
addresses only; instances launched there have resource-based hostnames)."""
import pytest

from helpers import assert_error, create_vpc, nth_subnet64, vpc_ipv6_block

AMI = "ami-12345678"


@pytest.fixture
def vpc6(ec2):
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    return v, vpc_ipv6_block(ec2, v)


@pytest.fixture
def only6(ec2, vpc6):
    v, block = vpc6
    s = ec2.create_subnet(VpcId=v, Ipv6Native=True, Ipv6CidrBlock=nth_subnet64(block, 1),
                          AvailabilityZone="us-east-1a")["Subnet"]
    return s


def test_ipv6_only_subnet(ec2, only6):
    s = ec2.describe_subnets(SubnetIds=[only6["SubnetId"]])["Subnets"][0]
    assert s["Ipv6Native"] is True and "CidrBlock" not in s
    assert s["AvailableIpAddressCount"] == 0
    assert s["AssignIpv6AddressOnCreation"] is True
    assert s["PrivateDnsNameOptionsOnLaunch"]["HostnameType"] == "resource-name"
    assert len(s["Ipv6CidrBlockAssociationSet"]) == 1
    assert only6 == s


def test_ipv6_only_subnet_refusals(ec2, vpc6, only6):
    v, block = vpc6
    assert_error("InvalidParameterCombination", ec2.create_subnet, VpcId=v, Ipv6Native=True,
                 CidrBlock="10.0.9.0/24", Ipv6CidrBlock=nth_subnet64(block, 2))
    assert_error("InvalidParameterCombination", ec2.create_subnet, VpcId=v, Ipv6Native=True)
    sid = only6["SubnetId"]
    assert_error("InvalidParameterValue", ec2.modify_subnet_attribute, SubnetId=sid,
                 MapPublicIpOnLaunch={"Value": True})
    assert_error("InvalidParameterValue", ec2.modify_subnet_attribute, SubnetId=sid,
                 PrivateDnsHostnameTypeOnLaunch="ip-name")
    assoc = only6["Ipv6CidrBlockAssociationSet"][0]["AssociationId"]
    assert_error("InvalidParameterValue", ec2.disassociate_subnet_cidr_block, AssociationId=assoc)
    # Attributes an IPv6-only subnet may have (positive control on the same call).
    ec2.modify_subnet_attribute(SubnetId=sid, EnableDns64={"Value": True})
    ec2.modify_subnet_attribute(SubnetId=sid, EnableResourceNameDnsAAAARecordOnLaunch={"Value": True})
    s = ec2.describe_subnets(SubnetIds=[sid])["Subnets"][0]
    assert s["EnableDns64"] is True and s["PrivateDnsNameOptionsOnLaunch"]["EnableResourceNameDnsAAAARecord"] is True
    # An IPv4 subnet beside it still works and overlaps nothing.
    ec2.create_subnet(VpcId=v, CidrBlock="10.0.1.0/24")
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    assert_error("InvalidSubnet", ec2.create_nat_gateway, SubnetId=sid, AllocationId=alloc)


def test_interfaces_get_ipv6_addresses_only(ec2, only6):
    sid = only6["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=sid)["NetworkInterface"]
    assert "PrivateIpAddress" not in eni and eni["PrivateIpAddresses"] == []
    assert len(eni["Ipv6Addresses"]) == 1
    assert_error("InvalidParameterValue", ec2.create_network_interface, SubnetId=sid, PrivateIpAddress="10.0.1.5")
    assert_error("InvalidParameterValue", ec2.create_network_interface, SubnetId=sid,
                 SecondaryPrivateIpAddressCount=1)
    two = ec2.create_network_interface(SubnetId=sid, Ipv6AddressCount=2)["NetworkInterface"]
    assert len(two["Ipv6Addresses"]) == 2


def test_instances_have_ipv6_and_a_resource_name(ec2, vpc6, only6):
    v, _ = vpc6
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=v)
    r = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t3.micro",
                          SubnetId=only6["SubnetId"])
    for launched in r["Instances"]:
        iid = launched["InstanceId"]
        inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
        assert "PrivateIpAddress" not in inst and "PublicIpAddress" not in inst
        assert inst["Ipv6Address"] and len(inst["NetworkInterfaces"][0]["Ipv6Addresses"]) == 1
        assert inst["PrivateDnsName"] == f"{iid}.ec2.internal"
        assert inst["PrivateDnsNameOptions"]["HostnameType"] == "resource-name"
        assert inst["NetworkInterfaces"][0]["PrivateDnsName"] == f"{iid}.ec2.internal"
    assert_error("InvalidParameterCombination", ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1,
                 InstanceType="t3.micro", NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": only6["SubnetId"],
                                     "AssociatePublicIpAddress": True}])
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    assert_error("InvalidParameterValue", ec2.associate_address, AllocationId=alloc,
                 InstanceId=r["Instances"][0]["InstanceId"])
    # Terminated like any other.
    ec2.terminate_instances(InstanceIds=[i["InstanceId"] for i in r["Instances"]])
