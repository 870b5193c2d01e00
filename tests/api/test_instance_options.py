"""Issue 15, what the Terraform AWS provider needs of an instance beyond its networking: CPU
credits of burstable performance instances, the metadata service's options, the root volume
(BlockDeviceMappings and DescribeVolumes), and the architecture and root device of its image.

The AWS behaviour asserted (EC2 API Reference; EC2 User Guide "Burstable performance instances",
"Configure the instance metadata options"): T2 launch with standard credits, T3/T3a/T4g with
unlimited; a type that earns no credits cannot have them; ModifyInstanceMetadataOptions answers
"pending" and DescribeInstances then shows "applied"; an image with ImdsSupport v2.0 launches
instances that require IMDSv2 with a hop limit of 2; a root volume is deleted with its instance
when DeleteOnTermination.
"""
import pytest

from helpers import assert_error, create_subnet, create_vpc, wait_until

AMI = "ami-12345678"  # an image openvpc does not list: x86_64, /dev/xvda
AL2023_X86 = "ami-0a3c3a20c09d6f377"
AL2023_ARM = "ami-0b5c6e1c8e8c2a4d1"
UBUNTU_JAMMY = "ami-0d7a109bf30624c99"


@pytest.fixture
def subnet(ec2):
    v = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    return create_subnet(ec2, v, "10.0.1.0/24", AvailabilityZone="us-east-1a")["SubnetId"]


def launch(ec2, subnet, instance_type="t2.micro", image=AMI, **kw):
    return ec2.run_instances(ImageId=image, MinCount=1, MaxCount=1, InstanceType=instance_type, SubnetId=subnet,
                             **kw)["Instances"][0]["InstanceId"]


def describe(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


# ---- CPU credits --------------------------------------------------------------------------------

def credits(ec2, iid):
    r = ec2.describe_instance_credit_specifications(InstanceIds=[iid])["InstanceCreditSpecifications"]
    assert [x["InstanceId"] for x in r] == [iid]
    return r[0]["CpuCredits"]


def test_burstable_defaults_t2_standard_t3_unlimited(ec2, subnet):
    t2 = launch(ec2, subnet, "t2.micro")
    t3 = launch(ec2, subnet, "t3.micro")
    t3a = launch(ec2, subnet, "t3a.small")
    assert credits(ec2, t2) == "standard"
    assert credits(ec2, t3) == "unlimited" and credits(ec2, t3a) == "unlimited"
    # Without ids: the burstable instances whose credits are unlimited.
    listed = {x["InstanceId"] for x in ec2.describe_instance_credit_specifications()["InstanceCreditSpecifications"]}
    assert listed == {t3, t3a}


def test_credit_specification_at_launch_and_modified(ec2, subnet):
    t3 = launch(ec2, subnet, "t3.micro", CreditSpecification={"CpuCredits": "standard"})
    assert credits(ec2, t3) == "standard"
    m5 = launch(ec2, subnet, "m5.large")
    r = ec2.modify_instance_credit_specification(InstanceCreditSpecifications=[
        {"InstanceId": t3, "CpuCredits": "unlimited"},
        {"InstanceId": m5, "CpuCredits": "unlimited"},
        {"InstanceId": "i-0123456789abcdef0", "CpuCredits": "unlimited"}])
    assert [x["InstanceId"] for x in r["SuccessfulInstanceCreditSpecifications"]] == [t3]
    failed = {x["InstanceId"]: x["Error"]["Code"] for x in r["UnsuccessfulInstanceCreditSpecifications"]}
    assert failed == {m5: "InstanceCreditSpecification.NotSupported",
                      "i-0123456789abcdef0": "InvalidInstanceID.NotFound"}
    assert credits(ec2, t3) == "unlimited"


def test_credits_refused_for_types_that_earn_none(ec2, subnet):
    m5 = launch(ec2, subnet, "m5.large")
    assert_error("UnsupportedOperation", ec2.describe_instance_credit_specifications, InstanceIds=[m5])
    assert_error("InvalidParameterCombination", launch, ec2, subnet, "m5.large",
                 CreditSpecification={"CpuCredits": "unlimited"})
    assert_error("InvalidCpuCredits.Malformed", launch, ec2, subnet, "t3.micro",
                 CreditSpecification={"CpuCredits": "turbo"})
    # Positive control on the same path: the same launch with a valid value runs.
    assert launch(ec2, subnet, "t3.micro", CreditSpecification={"CpuCredits": "unlimited"})


def test_describe_instance_types_says_which_types_are_burstable(ec2):
    types = {t["InstanceType"]: t for t in ec2.describe_instance_types(
        InstanceTypes=["t2.micro", "t3.micro", "t4g.micro", "m5.large"])["InstanceTypes"]}
    assert types["t2.micro"]["BurstablePerformanceSupported"] is True
    assert types["t4g.micro"]["BurstablePerformanceSupported"] is True
    assert types["t4g.micro"]["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"]
    assert types["m5.large"]["BurstablePerformanceSupported"] is False


# ---- metadata options ---------------------------------------------------------------------------

def test_metadata_options_default_and_from_an_imdsv2_image(ec2, subnet):
    plain = describe(ec2, launch(ec2, subnet, image=UBUNTU_JAMMY))["MetadataOptions"]
    assert plain == {"State": "applied", "HttpTokens": "optional", "HttpPutResponseHopLimit": 1,
                     "HttpEndpoint": "enabled", "HttpProtocolIpv6": "disabled", "InstanceMetadataTags": "disabled"}
    image = ec2.describe_images(ImageIds=[AL2023_X86])["Images"][0]
    assert image["ImdsSupport"] == "v2.0"
    al = describe(ec2, launch(ec2, subnet, image=AL2023_X86))["MetadataOptions"]
    assert al["HttpTokens"] == "required" and al["HttpPutResponseHopLimit"] == 2
    asked = describe(ec2, launch(ec2, subnet, MetadataOptions={"HttpTokens": "required",
                                                                "HttpPutResponseHopLimit": 3}))["MetadataOptions"]
    assert asked["HttpTokens"] == "required" and asked["HttpPutResponseHopLimit"] == 3


def test_modify_instance_metadata_options(ec2, subnet):
    iid = launch(ec2, subnet)
    r = ec2.modify_instance_metadata_options(InstanceId=iid, HttpTokens="required", HttpPutResponseHopLimit=2)
    assert r["InstanceId"] == iid
    assert r["InstanceMetadataOptions"]["State"] == "pending"  # as AWS answers; applied shortly after
    assert r["InstanceMetadataOptions"]["HttpTokens"] == "required"
    o = describe(ec2, iid)["MetadataOptions"]
    assert o["State"] == "applied" and o["HttpTokens"] == "required" and o["HttpPutResponseHopLimit"] == 2
    # What is not named stays.
    ec2.modify_instance_metadata_options(InstanceId=iid, InstanceMetadataTags="enabled")
    o = describe(ec2, iid)["MetadataOptions"]
    assert o["HttpTokens"] == "required" and o["InstanceMetadataTags"] == "enabled"
    assert_error("InvalidParameterValue", ec2.modify_instance_metadata_options, InstanceId=iid,
                 HttpPutResponseHopLimit=65)
    assert_error("InvalidParameterValue", ec2.modify_instance_metadata_options, InstanceId=iid, HttpTokens="maybe")
    assert_error("InvalidInstanceID.NotFound", ec2.modify_instance_metadata_options,
                 InstanceId="i-0123456789abcdef0", HttpTokens="required")
    assert describe(ec2, iid)["MetadataOptions"]["HttpPutResponseHopLimit"] == 2  # the refusals changed nothing


# ---- root volume --------------------------------------------------------------------------------

def test_root_volume_in_block_device_mappings_and_describe_volumes(ec2, subnet):
    iid = launch(ec2, subnet, image=UBUNTU_JAMMY)
    inst = describe(ec2, iid)
    assert inst["RootDeviceName"] == "/dev/sda1"  # the image's
    (bdm,) = inst["BlockDeviceMappings"]
    assert bdm["DeviceName"] == "/dev/sda1" and bdm["Ebs"]["Status"] == "attached"
    assert bdm["Ebs"]["DeleteOnTermination"] is True
    vol_id = bdm["Ebs"]["VolumeId"]
    (vol,) = ec2.describe_volumes(VolumeIds=[vol_id])["Volumes"]
    assert vol["State"] == "in-use" and vol["Size"] == 8 and vol["VolumeType"] == "gp2"  # the image's mapping
    assert vol["AvailabilityZone"] == "us-east-1a"
    assert vol["Attachments"][0]["InstanceId"] == iid and vol["Attachments"][0]["Device"] == "/dev/sda1"
    by_filter = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]
    assert [v["VolumeId"] for v in by_filter] == [vol_id]
    attr = ec2.describe_instance_attribute(InstanceId=iid, Attribute="blockDeviceMapping")["BlockDeviceMappings"]
    assert attr == inst["BlockDeviceMappings"]


def test_root_volume_as_the_launch_asks(ec2, subnet):
    iid = launch(ec2, subnet, image=AL2023_X86, BlockDeviceMappings=[
        {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 20, "VolumeType": "gp3", "DeleteOnTermination": False}},
        {"DeviceName": "/dev/xvdf", "Ebs": {"VolumeSize": 5}}],
        TagSpecifications=[{"ResourceType": "volume", "Tags": [{"Key": "k", "Value": "v"}]}])
    vols = {v["Attachments"][0]["Device"]: v for v in ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])["Volumes"]}
    assert vols["/dev/xvda"]["Size"] == 20 and vols["/dev/xvda"]["Iops"] == 3000
    assert vols["/dev/xvda"]["Throughput"] == 125
    assert vols["/dev/xvdf"]["Size"] == 5 and vols["/dev/xvdf"]["VolumeType"] == "gp2"
    assert vols["/dev/xvdf"]["Iops"] == 100  # gp2: 3 per GiB, at least 100
    assert vols["/dev/xvda"]["Tags"] == [{"Key": "k", "Value": "v"}]
    # Terminated: the volume deleted on termination is gone, the one kept is available.
    ec2.terminate_instances(InstanceIds=[iid])
    kept = vols["/dev/xvda"]["VolumeId"]
    assert_error("InvalidVolume.NotFound", ec2.describe_volumes, VolumeIds=[vols["/dev/xvdf"]["VolumeId"]])
    (v,) = ec2.describe_volumes(VolumeIds=[kept])["Volumes"]
    assert v["State"] == "available" and v["Attachments"] == []


def test_root_volume_refusals(ec2, subnet):
    assert_error("InvalidBlockDeviceMapping", launch, ec2, subnet, image=AL2023_X86,
                 BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 4}}])
    assert_error("InvalidVolumeID.Malformed", ec2.describe_volumes, VolumeIds=["vol-nope"])
    assert_error("InvalidVolume.NotFound", ec2.describe_volumes, VolumeIds=["vol-0123456789abcdef0"])


# ---- the image's architecture -------------------------------------------------------------------

def test_architecture_comes_from_the_image(ec2, subnet):
    # AWS: InvalidParameterValue, the instance type's architecture does not match the AMI's.
    assert_error("InvalidParameterValue", launch, ec2, subnet, "t3.micro", image=AL2023_ARM)
    arm = describe(ec2, launch(ec2, subnet, "t4g.micro", image=AL2023_ARM))
    assert arm["Architecture"] == "arm64" and arm["RootDeviceName"] == "/dev/xvda"
    assert_error("InvalidParameterValue", launch, ec2, subnet, "t4g.micro", image=AL2023_X86)
    assert describe(ec2, launch(ec2, subnet, "t3.micro", image=AL2023_X86))["Architecture"] == "x86_64"


def test_modify_instance_attribute_without_an_attribute(ec2, subnet):
    iid = launch(ec2, subnet)
    assert_error("InvalidParameterCombination", ec2.modify_instance_attribute, InstanceId=iid)


def test_volumes_are_tagged_like_other_resources(ec2, subnet):
    iid = launch(ec2, subnet)
    vol = describe(ec2, iid)["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    ec2.create_tags(Resources=[vol], Tags=[{"Key": "team", "Value": "net"}])
    (v,) = ec2.describe_volumes(VolumeIds=[vol])["Volumes"]
    assert v["Tags"] == [{"Key": "team", "Value": "net"}]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-type", "Values": ["volume"]}])["Tags"]
    assert tags == [{"Key": "team", "ResourceId": vol, "ResourceType": "volume", "Value": "net"}]
    assert ec2.describe_volumes(Filters=[{"Name": "tag:team", "Values": ["net"]}])["Volumes"][0]["VolumeId"] == vol
    ec2.delete_tags(Resources=[vol], Tags=[{"Key": "team"}])
    assert ec2.describe_volumes(VolumeIds=[vol])["Volumes"][0]["Tags"] == []
    assert_error("InvalidVolume.NotFound", ec2.create_tags, Resources=["vol-0123456789abcdef0"],
                 Tags=[{"Key": "k", "Value": "v"}])
