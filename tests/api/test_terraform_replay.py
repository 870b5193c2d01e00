"""Issue 15: the calls the Terraform AWS provider makes for an aws_instance, replayed in its order
with its parameters (terraform-provider-aws, internal/service/ec2/ec2_instance.go: resourceInstanceCreate,
resourceInstanceRead, resourceInstanceDelete, and the waiters of wait.go), so a plan, an apply, a
refresh and a destroy of a typical VPC configuration work against openvpc.

Each step asserts what the provider reads from the answer; a step that fails here is a step at
which `terraform apply` or `terraform destroy` fails.
"""
import base64
import uuid

import boto3
import botocore.config
import pytest

from conftest import ACCOUNTS
from helpers import create_subnet, create_vpc

SSM_AL2023 = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"


def clients(endpoint):
    ak, sk, _ = ACCOUNTS["default"]
    cfg = botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"})
    make = lambda s: boto3.client(s, region_name="us-east-1", endpoint_url=endpoint, aws_access_key_id=ak,
                                  aws_secret_access_key=sk, config=cfg)
    return make("sts"), make("ssm"), make("ec2")


def describe_instance(ec2, iid):
    r = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
    return r[0]["Instances"][0] if r and r[0]["Instances"] else None


def read(ec2, iid, expect_terminated=False):
    """resourceInstanceRead, in its order; returns what the provider would store."""
    inst = describe_instance(ec2, iid)
    assert inst is not None
    if inst["State"]["Name"] == "terminated":  # the provider drops it from state
        assert expect_terminated
        return None
    (itype,) = ec2.describe_instance_types(InstanceTypes=[inst["InstanceType"]])["InstanceTypes"]
    lt = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [iid]},
                                    {"Name": "key", "Values": ["aws:ec2launchtemplate:id"]}])["Tags"]
    assert lt == []
    (vpc,) = ec2.describe_vpcs(VpcIds=[inst["VpcId"]])["Vpcs"]
    shutdown = ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceInitiatedShutdownBehavior")
    # The root block device is the mapping whose DeviceName is the RootDeviceName.
    vol_ids = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
    volumes = {v["VolumeId"]: v for v in ec2.describe_volumes(VolumeIds=vol_ids)["Volumes"]}
    root = [m for m in inst["BlockDeviceMappings"] if m["DeviceName"] == inst["RootDeviceName"]]
    assert len(root) == 1, (inst["RootDeviceName"], inst["BlockDeviceMappings"])
    root_volume = volumes[root[0]["Ebs"]["VolumeId"]]
    stop = ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiStop")
    termination = ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")
    user_data = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")
    state = {
        "id": iid, "ami": inst["ImageId"], "instance_type": inst["InstanceType"], "subnet_id": inst["SubnetId"],
        "vpc_security_group_ids": sorted(g["GroupId"] for g in inst["SecurityGroups"]),
        "private_ip": inst["PrivateIpAddress"], "public_ip": inst.get("PublicIpAddress", ""),
        "public_dns": inst.get("PublicDnsName", ""), "private_dns": inst["PrivateDnsName"],
        "metadata_options": {k: inst["MetadataOptions"][k] for k in
                             ("HttpEndpoint", "HttpPutResponseHopLimit", "HttpTokens", "InstanceMetadataTags")},
        "root_block_device": {"volume_id": root_volume["VolumeId"], "volume_size": root_volume["Size"],
                              "volume_type": root_volume["VolumeType"], "iops": root_volume.get("Iops"),
                              "throughput": root_volume.get("Throughput"), "encrypted": root_volume["Encrypted"],
                              "delete_on_termination": root[0]["Ebs"]["DeleteOnTermination"]},
        "instance_initiated_shutdown_behavior": shutdown["InstanceInitiatedShutdownBehavior"]["Value"],
        "disable_api_stop": stop["DisableApiStop"]["Value"],
        "disable_api_termination": termination["DisableApiTermination"]["Value"],
        "user_data": user_data["UserData"].get("Value"),
        "tags": {t["Key"]: t["Value"] for t in inst.get("Tags", [])},
        "vpc_default": vpc["IsDefault"],
    }
    if itype["BurstablePerformanceSupported"]:
        specs = ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"]
        assert len(specs) == 1 and specs[0]["InstanceId"] == iid
        state["credit_specification"] = {"cpu_credits": specs[0]["CpuCredits"]}
    return state


def test_aws_instance_create_read_refresh_destroy(endpoint):
    sts, ssm, ec2 = clients(endpoint)
    # Provider configuration: the account id, without skip_requesting_account_id.
    assert sts.get_caller_identity()["Account"] == "123456789012"
    # data "aws_ssm_parameter" "al2023" + data "aws_ami": the image to launch.
    ami = ssm.get_parameter(Name=SSM_AL2023)["Parameter"]["Value"]
    (image,) = ec2.describe_images(ImageIds=[ami])["Images"]
    # aws_vpc, aws_subnet, aws_internet_gateway, aws_route_table (the usual configuration).
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    subnet = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]

    # resourceInstanceCreate. A root_block_device block makes the provider look the image's root
    # device name up first; instance types starting with t3 get CreditSpecification unlimited.
    root_device = image["RootDeviceName"]
    # The provider sends UserData base64-encoded (its Go SDK does not encode it); boto3 encodes it.
    user_data = base64.b64encode(b"#!/bin/sh\necho hello\n").decode()
    r = ec2.run_instances(
        ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, ClientToken=str(uuid.uuid4()),
        DisableApiTermination=False, EbsOptimized=False, Monitoring={"Enabled": False},
        Placement={"AvailabilityZone": ""},
        CreditSpecification={"CpuCredits": "unlimited"},
        MetadataOptions={"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        BlockDeviceMappings=[{"DeviceName": root_device,
                              "Ebs": {"VolumeSize": 16, "VolumeType": "gp3", "DeleteOnTermination": True}}],
        NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [sg]}],
        TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]}],
        UserData="#!/bin/sh\necho hello\n")
    iid = r["Instances"][0]["InstanceId"]
    # WaitInstanceCreated: pending -> running.
    for _ in range(20):
        if describe_instance(ec2, iid)["State"]["Name"] == "running":
            break
    assert describe_instance(ec2, iid)["State"]["Name"] == "running"

    created = read(ec2, iid)
    assert created["ami"] == ami and created["subnet_id"] == subnet and created["vpc_security_group_ids"] == [sg]
    assert created["root_block_device"]["volume_size"] == 16
    assert created["root_block_device"]["volume_type"] == "gp3"
    assert created["root_block_device"]["delete_on_termination"] is True
    assert created["metadata_options"] == {"HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 2,
                                           "HttpTokens": "required", "InstanceMetadataTags": "disabled"}
    assert created["credit_specification"] == {"cpu_credits": "unlimited"}
    assert created["user_data"] == user_data
    assert created["public_ip"] and created["public_dns"] == \
        "ec2-" + created["public_ip"].replace(".", "-") + ".compute-1.amazonaws.com"
    assert created["tags"] == {"Name": "web"}

    # terraform plan / refresh: the same read gives the same state, so nothing diffs.
    assert read(ec2, iid) == created

    # An update the provider makes in place: metadata options, then WaitInstanceMetadataOptionsApplied.
    ec2.modify_instance_metadata_options(InstanceId=iid, HttpEndpoint="enabled", HttpTokens="optional",
                                         HttpPutResponseHopLimit=1)
    assert describe_instance(ec2, iid)["MetadataOptions"]["State"] == "applied"
    ec2.modify_instance_credit_specification(InstanceCreditSpecifications=[{"InstanceId": iid,
                                                                             "CpuCredits": "standard"}])
    updated = read(ec2, iid)
    assert updated["metadata_options"]["HttpTokens"] == "optional"
    assert updated["credit_specification"] == {"cpu_credits": "standard"}

    # resourceInstanceDelete: DisableApiTermination false (always), TerminateInstances, then
    # WaitInstanceDeleted until "terminated" -- the instance must stay visible while it is.
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[iid])
    for _ in range(40):
        inst = describe_instance(ec2, iid)
        assert inst is not None, "a terminated instance must stay visible for the provider's waiter"
        if inst["State"]["Name"] == "terminated":
            break
    assert describe_instance(ec2, iid)["State"]["Name"] == "terminated"
    assert read(ec2, iid, expect_terminated=True) is None
    # The root volume went with it (delete_on_termination).
    vols = ec2.describe_volumes(Filters=[{"Name": "volume-id",
                                          "Values": [created["root_block_device"]["volume_id"]]}])["Volumes"]
    assert vols == []
