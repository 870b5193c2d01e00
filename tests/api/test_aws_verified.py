"""Issue 15: behaviour AWS itself verified (or an outside AWS-compatible functional suite of the EC2
API found) where openvpc used to differ. Each test quotes the code and message AWS answers."""
import os
import tempfile

import pytest

from conftest import Server, make_client
from helpers import assert_error, create_subnet, create_vpc

AMI = "ami-12345678"
MISSING = "i-0123456789abcdef0"


@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


@pytest.fixture
def subnet(ec2, vpc):
    return create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1a")["SubnetId"]


def test_modify_security_group_rules_without_protocol(ec2, vpc):
    sg = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    rule = ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])[
        "SecurityGroupRules"][0]["SecurityGroupRuleId"]
    err = assert_error("InvalidParameterValue", ec2.modify_security_group_rules, GroupId=sg, SecurityGroupRules=[
        {"SecurityGroupRuleId": rule, "SecurityGroupRule": {"FromPort": 80, "ToPort": 80, "CidrIpv4": "10.0.0.0/8"}}])
    assert err.response["Error"]["Message"] == ("Invalid value 'null' for protocol. VPC security group rules must "
                                                "specify protocols explicitly.")
    # With the protocol, the same change is made.
    ec2.modify_security_group_rules(GroupId=sg, SecurityGroupRules=[
        {"SecurityGroupRuleId": rule, "SecurityGroupRule": {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                                                            "CidrIpv4": "10.0.0.0/8"}}])
    (r,) = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule])["SecurityGroupRules"]
    assert r["FromPort"] == 80


def test_describe_security_group_rules_refusals(ec2, vpc):
    err = assert_error("InvalidGroupId.Malformed", ec2.describe_security_group_rules,
                       Filters=[{"Name": "group-id", "Values": ["foobar"]}])
    assert err.response["Error"]["Message"] == "The security group ID 'foobar' is malformed"
    assert_error("InvalidSecurityGroupRuleId.NotFound", ec2.describe_security_group_rules,
                 SecurityGroupRuleIds=["sgr-0123456789abcdef0"])
    sg = ec2.create_security_group(GroupName="g", Description="d", VpcId=vpc)["GroupId"]
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [sg]}])["SecurityGroupRules"]
    assert rules and all(r["GroupId"] == sg for r in rules)


def test_cidr_limit_message_names_the_vpc_without_quotes(ec2, vpc):
    for n in range(1, 5):
        ec2.associate_vpc_cidr_block(VpcId=vpc, CidrBlock=f"10.{n}.0.0/16")
    err = assert_error("CidrLimitExceeded", ec2.associate_vpc_cidr_block, VpcId=vpc, CidrBlock="10.9.0.0/16")
    assert err.response["Error"]["Message"] == f"This network {vpc} has met its maximum number of allowed CIDRs: 5"


def test_account_attributes_report_the_configured_quotas():
    with tempfile.TemporaryDirectory(prefix="openvpc-test-") as d:
        s = Server(d, extra_args=["--quota", "elastic-ips-per-region=9", "--quota",
                                  "security-groups-per-interface=4"])
        s.start()
        try:
            ec2 = make_client(s.endpoint)
            attrs = {a["AttributeName"]: a["AttributeValues"][0]["AttributeValue"]
                     for a in ec2.describe_account_attributes()["AccountAttributes"]}
            assert attrs["vpc-max-elastic-ips"] == "9" and attrs["max-elastic-ips"] == "9"
            assert attrs["vpc-max-security-groups-per-interface"] == "4"
        finally:
            s.stop()


def test_describe_addresses_with_a_public_ip_that_is_no_address(ec2):
    assert_error("InvalidParameterValue", ec2.describe_addresses, PublicIps=["invalidIp"])
    assert_error("InvalidAddress.NotFound", ec2.describe_addresses, PublicIps=["198.51.100.77"])


def test_existing_interface_cannot_be_deleted_on_termination(ec2, subnet):
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    assert_error("InvalidParameterCombination", ec2.run_instances, ImageId=AMI, MinCount=1, MaxCount=1,
                 NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": eni, "DeleteOnTermination": True}])
    r = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1,
                          NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": eni,
                                              "DeleteOnTermination": False}])
    assert r["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"] == eni


def test_instance_level_calls_on_an_instance_with_several_interfaces(ec2, vpc, subnet):
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, InstanceType="t3.medium", SubnetId=subnet)[
        "Instances"][0]["InstanceId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=iid)  # one interface: it is the one
    ec2.disassociate_address(AssociationId=ec2.describe_addresses(AllocationIds=[alloc])["Addresses"][0][
        "AssociationId"])
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=iid, DeviceIndex=1)
    assert_error("InvalidInstanceID", ec2.associate_address, AllocationId=alloc, InstanceId=iid)
    assert_error("InvalidInstanceID", ec2.modify_instance_attribute, InstanceId=iid,
                 SourceDestCheck={"Value": False})


@pytest.mark.parametrize("call", [
    lambda ec2, i: ec2.describe_instance_attribute(InstanceId=i, Attribute="instanceType"),
    lambda ec2, i: ec2.modify_instance_attribute(InstanceId=i, DisableApiTermination={"Value": True}),
    lambda ec2, i: ec2.stop_instances(InstanceIds=[i]),
    lambda ec2, i: ec2.terminate_instances(InstanceIds=[i]),
    lambda ec2, i: ec2.describe_instances(InstanceIds=[i]),
    lambda ec2, i: ec2.get_console_output(InstanceId=i),
    lambda ec2, i: ec2.modify_instance_metadata_options(InstanceId=i, HttpTokens="required"),
    lambda ec2, i: ec2.create_tags(Resources=[i], Tags=[{"Key": "k", "Value": "v"}]),
], ids=["DescribeInstanceAttribute", "ModifyInstanceAttribute", "StopInstances", "TerminateInstances",
        "DescribeInstances", "GetConsoleOutput", "ModifyInstanceMetadataOptions", "CreateTags"])
def test_instance_id_malformed_or_not_found_alike_everywhere(ec2, call):
    assert_error("InvalidInstanceID.Malformed", call, ec2, "i-zzz")
    assert_error("InvalidInstanceID.NotFound", call, ec2, MISSING)


def test_instance_id_in_other_operations(ec2, vpc, subnet):
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    for bad, code in (("i-zzz", "InvalidInstanceID.Malformed"), (MISSING, "InvalidInstanceID.NotFound")):
        assert_error(code, ec2.create_route, RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", InstanceId=bad)
        assert_error(code, ec2.attach_network_interface, NetworkInterfaceId=eni, InstanceId=bad, DeviceIndex=1)
        assert_error(code, ec2.associate_address, AllocationId=alloc, InstanceId=bad)


# ---- DescribeInstanceTypeOfferings ---------------------------------------------------------------

def test_instance_type_offerings_by_location_type(ec2):
    types = {t["InstanceType"] for page in ec2.get_paginator("describe_instance_types").paginate()
             for t in page["InstanceTypes"]}
    def offerings(**kw):
        return [o for page in ec2.get_paginator("describe_instance_type_offerings").paginate(**kw)
                for o in page["InstanceTypeOfferings"]]
    region = offerings()
    assert {o["InstanceType"] for o in region} == types  # consistent with DescribeInstanceTypes
    assert {(o["LocationType"], o["Location"]) for o in region} == {("region", "us-east-1")}
    zones = {z["ZoneName"]: z["ZoneId"] for z in ec2.describe_availability_zones()["AvailabilityZones"]}
    by_zone = offerings(LocationType="availability-zone")
    assert {o["Location"] for o in by_zone} == set(zones)
    assert len(by_zone) == len(types) * len(zones)
    by_id = offerings(LocationType="availability-zone-id",
                      Filters=[{"Name": "instance-type", "Values": ["t3.micro"]}])
    assert sorted(o["Location"] for o in by_id) == sorted(zones.values())
    one = offerings(LocationType="availability-zone", Filters=[{"Name": "location", "Values": ["us-east-1a"]},
                                                               {"Name": "instance-type", "Values": ["t2.*"]}])
    assert one and all(o["Location"] == "us-east-1a" and o["InstanceType"].startswith("t2.") for o in one)
    assert_error("InvalidParameterValue", ec2.describe_instance_type_offerings, LocationType="galaxy")


# ---- subnet CIDR reservations ---------------------------------------------------------------------

def test_subnet_cidr_reservations_lifecycle(ec2, subnet):
    r = ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.0.1.0/28", ReservationType="explicit",
                                           Description="appliances",
                                           TagSpecifications=[{"ResourceType": "subnet-cidr-reservation",
                                                               "Tags": [{"Key": "k", "Value": "v"}]}])[
        "SubnetCidrReservation"]
    assert r["SubnetCidrReservationId"].startswith("scr-") and r["Cidr"] == "10.0.1.0/28"
    assert r["ReservationType"] == "explicit" and r["OwnerId"] == "123456789012" and r["Description"] == "appliances"
    assert r["Tags"] == [{"Key": "k", "Value": "v"}]
    got = ec2.get_subnet_cidr_reservations(SubnetId=subnet)
    assert [x["SubnetCidrReservationId"] for x in got["SubnetIpv4CidrReservations"]] == [r["SubnetCidrReservationId"]]
    assert got["SubnetIpv6CidrReservations"] == []
    assert ec2.get_subnet_cidr_reservations(SubnetId=subnet, Filters=[
        {"Name": "reservationType", "Values": ["prefix"]}])["SubnetIpv4CidrReservations"] == []
    # Refusals: outside the subnet, overlapping another reservation, an unknown id.
    assert_error("InvalidParameterValue", ec2.create_subnet_cidr_reservation, SubnetId=subnet,
                 Cidr="10.0.2.0/28", ReservationType="explicit")
    assert_error("InvalidParameterValue", ec2.create_subnet_cidr_reservation, SubnetId=subnet,
                 Cidr="10.0.1.8/29", ReservationType="prefix")
    assert_error("InvalidSubnetCidrReservationID.NotFound", ec2.delete_subnet_cidr_reservation,
                 SubnetCidrReservationId="scr-0123456789abcdef0")
    ec2.create_tags(Resources=[r["SubnetCidrReservationId"]], Tags=[{"Key": "k2", "Value": "v2"}])
    tagged = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["subnet-cidr-reservation"]}])["Tags"]
    assert {(t["ResourceId"], t["Key"]) for t in tagged} == {(r["SubnetCidrReservationId"], "k"),
                                                            (r["SubnetCidrReservationId"], "k2")}
    deleted = ec2.delete_subnet_cidr_reservation(SubnetCidrReservationId=r["SubnetCidrReservationId"])
    assert deleted["DeletedSubnetCidrReservation"]["Cidr"] == "10.0.1.0/28"
    assert ec2.get_subnet_cidr_reservations(SubnetId=subnet)["SubnetIpv4CidrReservations"] == []


def test_automatic_assignment_never_picks_a_reserved_address(ec2, subnet):
    # 10.0.1.0/24: .0-.3 are AWS's; reserve .0/26, so the first automatic address is .64.
    ec2.create_subnet_cidr_reservation(SubnetId=subnet, Cidr="10.0.1.0/26", ReservationType="explicit")
    eni = ec2.create_network_interface(SubnetId=subnet, SecondaryPrivateIpAddressCount=2)["NetworkInterface"]
    addrs = sorted(int(a["PrivateIpAddress"].split(".")[3]) for a in eni["PrivateIpAddresses"])
    assert addrs == [64, 65, 66]
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]
    assert int(iid["PrivateIpAddress"].split(".")[3]) >= 64
    # An address asked for by name may lie in an explicit reservation.
    named = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.0.1.10")["NetworkInterface"]
    assert named["PrivateIpAddress"] == "10.0.1.10"


def test_ipv6_reservation_is_skipped_by_ipv6_address_count(ec2):
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    block = ec2.describe_vpcs(VpcIds=[v])["Vpcs"][0]["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"]
    sub64 = block.replace("::/56", "::/64")
    s = create_subnet(ec2, v, "10.0.3.0/24", Ipv6CidrBlock=sub64)["SubnetId"]
    # Reserve the lower half of the /64: every random pick must land in the upper half.
    lower = sub64.replace("::/64", "::/65")
    r = ec2.create_subnet_cidr_reservation(SubnetId=s, Cidr=lower, ReservationType="prefix")["SubnetCidrReservation"]
    got = ec2.get_subnet_cidr_reservations(SubnetId=s)
    assert [x["Cidr"] for x in got["SubnetIpv6CidrReservations"]] == [r["Cidr"]]
    eni = ec2.create_network_interface(SubnetId=s, Ipv6AddressCount=8)["NetworkInterface"]
    import ipaddress
    net = ipaddress.ip_network(lower)
    assert all(ipaddress.ip_address(a["Ipv6Address"]) not in net for a in eni["Ipv6Addresses"])
