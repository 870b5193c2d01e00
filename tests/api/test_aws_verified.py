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
