"""Instances, the networking side: RunInstances, DescribeInstances, the stop/start/reboot/terminate lifecycle,
DescribeInstanceStatus, Describe/ModifyInstanceAttribute and the instance waiters.

Rule ids IP-n, EIP-n, ENI-n, MI-n and §7.4 refer to shared/spec/inventory-ec2-network-security.md (§5 instance
IP addressing, §6 Elastic IPs, §7 network interfaces and the per-type limits of §7.4); A5, E1-E11, F2, G13, P2, P3,
R3-R5, S1-S4 and AA1/AA2/AA6 refer to shared/spec/inventory-vpc-guide.md.
[EXT] marks behaviour taken from the current EC2 API Reference rather than from the seeds: output field names, state
codes (0 pending, 16 running, 32 shutting-down, 48 terminated, 64 stopping, 80 stopped), filter names, waiters and
the error codes of "Error codes for the Amazon EC2 API". Where AWS documents a refusal but the exact code could not be
pinned down, the test asserts only a 400 client error (assert_client_error).
"""
import base64
import ipaddress
import re

import pytest
from botocore.exceptions import ClientError, WaiterError

from helpers import (ACCOUNT_ID, assert_client_error, assert_error, create_subnet, create_vpc, default_vpc,
                     describe_rt, describe_subnet, fast_waiter, in_cidr, nth_subnet64, route_for, tag_spec, tags,
                     vpc_ipv6_block, wait_until)

AMI = "ami-12345678"
INSTANCE_ID_RE = re.compile(r"^i-([0-9a-f]{8}|[0-9a-f]{17})$")
RESERVATION_ID_RE = re.compile(r"^r-([0-9a-f]{8}|[0-9a-f]{17})$")
SUBNET_CIDR = "10.0.1.0/24"
EMPTY_24 = 251          # A5

PENDING, RUNNING, SHUTTING_DOWN, TERMINATED, STOPPING, STOPPED = 0, 16, 32, 48, 64, 80


# ---------------------------------------------------------------- fixtures

@pytest.fixture
def vpc(ec2):
    return create_vpc(ec2, "10.0.0.0/16")["VpcId"]


@pytest.fixture
def subnet(ec2, vpc):
    """10.0.1.0/24 in us-east-1a (nondefault: MapPublicIpOnLaunch false)."""
    return create_subnet(ec2, vpc, SUBNET_CIDR, AvailabilityZone="us-east-1a")["SubnetId"]


@pytest.fixture
def igw(ec2, vpc):
    g = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=vpc)
    return g


@pytest.fixture
def public_subnet(ec2, vpc, subnet, igw):
    """The subnet, routed to an attached IGW by the main route table, with MapPublicIpOnLaunch on."""
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    return subnet


@pytest.fixture
def vpc6(ec2):
    v = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    return v, vpc_ipv6_block(ec2, v)


@pytest.fixture
def subnet6(ec2, vpc6):
    """10.0.2.0/24 + the first /64 of the VPC's /56: (subnet_id, /64)."""
    v, block = vpc6
    cidr6 = nth_subnet64(block, 0)
    sid = create_subnet(ec2, v, "10.0.2.0/24", Ipv6CidrBlock=cidr6, AvailabilityZone="us-east-1a")["SubnetId"]
    return sid, cidr6


# ---------------------------------------------------------------- local helpers

def launch(ec2, subnet_id=None, instance_type="t2.micro", count=1, **kwargs):
    """RunInstances; returns the whole response (reservation)."""
    if subnet_id is not None:
        kwargs["SubnetId"] = subnet_id
    return ec2.run_instances(ImageId=AMI, MinCount=count, MaxCount=count, InstanceType=instance_type, **kwargs)


def inst_of(ec2, iid):
    res = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
    assert len(res) == 1 and len(res[0]["Instances"]) == 1, res
    return res[0]["Instances"][0]


def wait_state(ec2, iid, name, timeout=30):
    return wait_until(lambda: (lambda i: i if i["State"]["Name"] == name else None)(inst_of(ec2, iid)), timeout)


def run(ec2, subnet_id=None, instance_type="t2.micro", **kwargs):
    """RunInstances one instance and wait until it is running; returns the described instance."""
    iid = launch(ec2, subnet_id, instance_type, **kwargs)["Instances"][0]["InstanceId"]
    return wait_state(ec2, iid, "running")


def stop(ec2, iid):
    ec2.stop_instances(InstanceIds=[iid])
    return wait_state(ec2, iid, "stopped")


def start(ec2, iid):
    ec2.start_instances(InstanceIds=[iid])
    return wait_state(ec2, iid, "running")


def terminate(ec2, iid):
    ec2.terminate_instances(InstanceIds=[iid])
    return wait_state(ec2, iid, "terminated", timeout=60)


def eth(inst, index):
    return [n for n in inst["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == index][0]


def eni_of(ec2, eni_id):
    return ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"][0]


def eni_gone(ec2, eni_id):
    try:
        eni_of(ec2, eni_id)
    except ClientError as e:
        return e.response["Error"]["Code"] == "InvalidNetworkInterfaceID.NotFound"
    return False


def available(ec2, subnet_id):
    return describe_subnet(ec2, subnet_id)["AvailableIpAddressCount"]


def new_sg(ec2, vpc_id, name):
    return ec2.create_security_group(GroupName=name, Description="test group", VpcId=vpc_id)["GroupId"]


def default_sg(ec2, vpc_id):
    gs = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                               {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"]
    assert len(gs) == 1
    return gs[0]["GroupId"]


def group_ids(obj):
    return {g["GroupId"] for g in obj.get("SecurityGroups", obj.get("Groups", []))}


def private_dns(ip, region="us-east-1"):
    """IP-2: ip-a-b-c-d.ec2.internal in us-east-1, ip-a-b-c-d.<region>.compute.internal elsewhere."""
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return "ip-" + ip.replace(".", "-") + "." + suffix


def public_dns(ip, region="us-east-1"):
    """IP-9: ec2-a-b-c-d.compute-1.amazonaws.com in us-east-1, <region>.compute.amazonaws.com elsewhere [EXT]."""
    suffix = "compute-1.amazonaws.com" if region == "us-east-1" else f"{region}.compute.amazonaws.com"
    return "ec2-" + ip.replace(".", "-") + "." + suffix


def usable(cidr, ip):
    net = ipaddress.ip_network(cidr)
    reserved = {str(net[0]), str(net[1]), str(net[2]), str(net[3]), str(net[-1])}
    return ipaddress.ip_address(ip) in net and ip not in reserved


def instance_ids(ec2, *filters):
    fs = [{"Name": n, "Values": v} for n, v in filters]
    return {i["InstanceId"] for r in ec2.describe_instances(Filters=fs)["Reservations"] for i in r["Instances"]}


def enable_hostnames(ec2, vpc_id):
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})


# ---------------------------------------------------------------- RunInstances: the response

def test_run_instances_response(ec2, vpc, subnet):
    """[EXT] the reservation and the instance as RunInstances returns them: state pending (code 0), eth0 from the
    subnet (IP-3), the VPC's default group (F2 / §4.3 'Instance SGs'), no public IPv4 in a nondefault subnet (E1)."""
    r = launch(ec2, subnet)
    assert RESERVATION_ID_RE.match(r["ReservationId"]), r["ReservationId"]
    assert r["OwnerId"] == ACCOUNT_ID
    assert len(r["Instances"]) == 1
    i = r["Instances"][0]
    assert INSTANCE_ID_RE.match(i["InstanceId"]), i["InstanceId"]
    assert i["State"] == {"Code": PENDING, "Name": "pending"}
    assert i["ImageId"] == AMI
    assert i["InstanceType"] == "t2.micro"
    assert i["SubnetId"] == subnet and i["VpcId"] == vpc
    assert i["Placement"]["AvailabilityZone"] == "us-east-1a"
    assert i["AmiLaunchIndex"] == 0
    assert usable(SUBNET_CIDR, i["PrivateIpAddress"]), i["PrivateIpAddress"]
    assert i["PrivateDnsName"] == private_dns(i["PrivateIpAddress"])
    assert "PublicIpAddress" not in i
    assert i.get("PublicDnsName", "") == ""
    assert i["SourceDestCheck"] is True
    assert group_ids(i) == {default_sg(ec2, vpc)}
    assert i["SecurityGroups"][0]["GroupName"] == "default"
    assert len(i["NetworkInterfaces"]) == 1
    eth0 = i["NetworkInterfaces"][0]
    assert eth0["Attachment"]["DeviceIndex"] == 0
    assert eth0["Attachment"]["DeleteOnTermination"] is True        # ENI-11 [EXT]
    assert eth0["PrivateIpAddress"] == i["PrivateIpAddress"]
    assert eth0["SubnetId"] == subnet and eth0["VpcId"] == vpc
    assert eth0["OwnerId"] == ACCOUNT_ID
    assert eth0["PrivateIpAddresses"] == [{"Primary": True, "PrivateIpAddress": i["PrivateIpAddress"],
                                           "PrivateDnsName": i["PrivateDnsName"]}]


def test_describe_after_launch_is_running(ec2, subnet):
    """[EXT] pending (0) -> running (16); DescribeInstances shows the same instance in the same reservation."""
    r = launch(ec2, subnet)
    iid = r["Instances"][0]["InstanceId"]
    inst = wait_state(ec2, iid, "running")
    assert inst["State"] == {"Code": RUNNING, "Name": "running"}
    res = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]
    assert res["ReservationId"] == r["ReservationId"]
    assert res["OwnerId"] == ACCOUNT_ID
    assert inst["PrivateIpAddress"] == r["Instances"][0]["PrivateIpAddress"]
    assert inst["LaunchTime"]


def test_primary_address_takes_a_subnet_address(ec2, subnet):
    """A5 / E8: each instance takes one address of the subnet (eth0's primary)."""
    launch(ec2, subnet)
    assert available(ec2, subnet) == EMPTY_24 - 1


@pytest.mark.parametrize("itype", ["t2.huge", "x9.large", "bogus"])
def test_unknown_instance_type_refused(ec2, subnet, itype):
    """§7.4: the type must be a known one. [EXT] InvalidParameterValue."""
    assert_error("InvalidParameterValue", launch, ec2, subnet, instance_type=itype)
    assert available(ec2, subnet) == EMPTY_24


def test_default_instance_type(ec2, subnet):
    """[EXT] InstanceType defaults to m1.small."""
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    assert inst_of(ec2, iid)["InstanceType"] == "m1.small"


# ---------------------------------------------------------------- MinCount / MaxCount

def test_min_max_count_one_reservation(ec2, subnet):
    """[EXT] MaxCount instances launched together share one reservation; AmiLaunchIndex 0..n-1; distinct addresses."""
    r = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=3, InstanceType="t2.micro", SubnetId=subnet)
    insts = r["Instances"]
    assert len(insts) == 3
    assert sorted(i["AmiLaunchIndex"] for i in insts) == [0, 1, 2]
    assert len({i["PrivateIpAddress"] for i in insts}) == 3
    assert len({i["InstanceId"] for i in insts}) == 3
    res = ec2.describe_instances(InstanceIds=[i["InstanceId"] for i in insts])["Reservations"]
    assert len(res) == 1 and res[0]["ReservationId"] == r["ReservationId"]
    assert len(res[0]["Instances"]) == 3
    assert available(ec2, subnet) == EMPTY_24 - 3


def test_min_count_greater_than_max_count_refused(ec2, subnet):
    """[EXT] MinCount must not exceed MaxCount."""
    assert_client_error(ec2.run_instances, ImageId=AMI, MinCount=3, MaxCount=2, InstanceType="t2.micro",
                        SubnetId=subnet)
    assert ec2.describe_instances()["Reservations"] == []


def test_min_count_beyond_free_addresses_launches_nothing(ec2, vpc):
    """A5 / [EXT]: a /28 has 11 usable addresses; MinCount 12 fails with InsufficientFreeAddressesInSubnet and
    launches no instance."""
    small = create_subnet(ec2, vpc, "10.0.9.0/28", AvailabilityZone="us-east-1a")["SubnetId"]
    assert_error("InsufficientFreeAddressesInSubnet", ec2.run_instances, ImageId=AMI, MinCount=12, MaxCount=12,
                 InstanceType="t2.micro", SubnetId=small)
    assert ec2.describe_instances()["Reservations"] == []
    assert available(ec2, small) == 11


def test_max_count_beyond_free_addresses_launches_what_fits(ec2, vpc):
    """[EXT] RunInstances: when the maximum cannot be launched, EC2 launches the largest possible number above
    MinCount (here the 11 usable addresses of a /28)."""
    small = create_subnet(ec2, vpc, "10.0.9.0/28", AvailabilityZone="us-east-1a")["SubnetId"]
    r = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=20, InstanceType="t2.micro", SubnetId=small)
    assert len(r["Instances"]) == 11
    assert available(ec2, small) == 0


# ---------------------------------------------------------------- no subnet: default VPC (P3)

def test_launch_without_subnet_goes_to_a_default_subnet(ec2):
    """P3 / P2 / E1: a default subnet of the default VPC; public IPv4 (MapPublicIpOnLaunch true) and public DNS
    name (the default VPC has DNS hostnames on, R5)."""
    dvpc = default_vpc(ec2)["VpcId"]
    inst = run(ec2)
    assert inst["VpcId"] == dvpc
    sub = describe_subnet(ec2, inst["SubnetId"])
    assert sub["DefaultForAz"] is True
    assert sub["AvailabilityZone"] == inst["Placement"]["AvailabilityZone"]
    assert in_cidr(inst["PrivateIpAddress"] + "/32", sub["CidrBlock"])
    assert group_ids(inst) == {default_sg(ec2, dvpc)}
    pub = inst["PublicIpAddress"]
    ipaddress.IPv4Address(pub)
    assert inst["PublicDnsName"] == public_dns(pub)
    assert inst["PrivateDnsName"] == private_dns(inst["PrivateIpAddress"])
    assert eth(inst, 0)["Association"]["PublicIp"] == pub
    assert eth(inst, 0)["Association"]["IpOwnerId"] == "amazon"       # IP-12: not owned by the account


def test_launch_without_subnet_in_a_given_az(ec2):
    """P3: the default subnet of the AZ given in Placement."""
    inst = run(ec2, Placement={"AvailabilityZone": "us-east-1c"})
    sub = describe_subnet(ec2, inst["SubnetId"])
    assert sub["AvailabilityZone"] == "us-east-1c" and sub["DefaultForAz"] is True
    assert inst["Placement"]["AvailabilityZone"] == "us-east-1c"


def test_no_associate_public_ip_in_default_subnet(ec2):
    """E3 / IP-10: the launch-time override wins over the default subnet's MapPublicIpOnLaunch."""
    dvpc = default_vpc(ec2)
    sub = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dvpc["VpcId"]]},
                                        {"Name": "availability-zone", "Values": ["us-east-1a"]}])["Subnets"][0]
    inst = run(ec2, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": sub["SubnetId"],
                                        "AssociatePublicIpAddress": False}])
    assert "PublicIpAddress" not in inst
    assert inst.get("PublicDnsName", "") == ""


def test_security_group_names_in_default_vpc(ec2):
    """[EXT] SecurityGroups (names) is for the default VPC; the instance gets that group."""
    dvpc = default_vpc(ec2)["VpcId"]
    gid = new_sg(ec2, dvpc, "web")
    inst = run(ec2, SecurityGroups=["web"])
    assert group_ids(inst) == {gid}
    assert inst["SecurityGroups"] == [{"GroupId": gid, "GroupName": "web"}]


def test_security_group_names_with_subnet_refused(ec2, vpc, subnet):
    """[EXT] 'The parameter groupName cannot be used with the parameter subnet' (InvalidParameterCombination):
    group names are for the default VPC only."""
    new_sg(ec2, vpc, "web")
    assert_error("InvalidParameterCombination", launch, ec2, subnet, SecurityGroups=["web"])


def test_unknown_security_group_name_refused(ec2):
    assert_error("InvalidGroup.NotFound", launch, ec2, SecurityGroups=["no-such-group"])


def test_no_default_vpc_and_no_subnet_refused(ec2):
    """P3 needs a default VPC. [EXT] Without one, RunInstances without a subnet fails with VPCIdNotSpecified."""
    dvpc = default_vpc(ec2)["VpcId"]
    for s in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [dvpc]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=s["SubnetId"])
    for g in ec2.describe_internet_gateways(Filters=[{"Name": "attachment.vpc-id", "Values": [dvpc]}])[
            "InternetGateways"]:
        ec2.detach_internet_gateway(InternetGatewayId=g["InternetGatewayId"], VpcId=dvpc)
        ec2.delete_internet_gateway(InternetGatewayId=g["InternetGatewayId"])
    ec2.delete_vpc(VpcId=dvpc)
    assert_error("VPCIdNotSpecified", launch, ec2)


# ---------------------------------------------------------------- security groups at launch

def test_security_group_ids(ec2, vpc, subnet):
    a, b = new_sg(ec2, vpc, "a"), new_sg(ec2, vpc, "b")
    inst = run(ec2, subnet, SecurityGroupIds=[a, b])
    assert group_ids(inst) == {a, b}
    assert group_ids(eth(inst, 0)) == {a, b}
    assert eni_of(ec2, eth(inst, 0)["NetworkInterfaceId"])["Groups"] and \
        group_ids(eni_of(ec2, eth(inst, 0)["NetworkInterfaceId"])) == {a, b}


def test_unknown_security_group_id_refused(ec2, subnet):
    assert_error("InvalidGroup.NotFound", launch, ec2, subnet, SecurityGroupIds=["sg-0123456789abcdef0"])
    assert available(ec2, subnet) == EMPTY_24


def test_security_group_of_another_vpc_refused(ec2, subnet):
    """[EXT] 'Error codes' page, InvalidParameter: a security group and a subnet in different VPCs."""
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    g = new_sg(ec2, other, "elsewhere")
    assert_error("InvalidParameter", launch, ec2, subnet, SecurityGroupIds=[g])
    assert ec2.describe_instances()["Reservations"] == []


def test_six_security_groups_refused(ec2, vpc, subnet):
    """M14: at most 5 security groups per interface (eth0).
    AWS: SecurityGroupsPerInterfaceLimitExceeded, "The maximum number of security groups per interface has been
    reached." (kubernetes-sigs/aws-load-balancer-controller#682; a launch with more groups than the quota fails with
    this code, openshift/openshift-docs#111466)."""
    gs = [new_sg(ec2, vpc, f"g{n}") for n in range(6)]
    assert_error("SecurityGroupsPerInterfaceLimitExceeded", launch, ec2, subnet, SecurityGroupIds=gs)
    assert run(ec2, subnet, SecurityGroupIds=gs[:5])


# ---------------------------------------------------------------- private IPv4 at launch

def test_private_ip_address(ec2, subnet):
    """IP-3 / E8: a caller-chosen primary address from the subnet."""
    inst = run(ec2, subnet, PrivateIpAddress="10.0.1.10")
    assert inst["PrivateIpAddress"] == "10.0.1.10"
    assert inst["PrivateDnsName"] == "ip-10-0-1-10.ec2.internal"
    assert eth(inst, 0)["PrivateIpAddress"] == "10.0.1.10"


def test_private_ip_address_in_use_refused(ec2, subnet):
    run(ec2, subnet, PrivateIpAddress="10.0.1.10")
    assert_error("InvalidIPAddress.InUse", launch, ec2, subnet, PrivateIpAddress="10.0.1.10")


@pytest.mark.parametrize("ip", ["10.0.1.0", "10.0.1.1", "10.0.1.2", "10.0.1.3", "10.0.1.255"])
def test_private_ip_address_reserved_refused(ec2, subnet, ip):
    """A5 / E8: reserved addresses are never assigned."""
    assert_error("InvalidParameterValue", launch, ec2, subnet, PrivateIpAddress=ip)


def test_private_ip_address_outside_subnet_refused(ec2, subnet):
    assert_error("InvalidParameterValue", launch, ec2, subnet, PrivateIpAddress="10.0.2.10")


def test_private_ip_address_with_count_above_one_refused(ec2, subnet):
    """[EXT] one fixed address cannot go to several instances."""
    assert_client_error(ec2.run_instances, ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t2.micro",
                        SubnetId=subnet, PrivateIpAddress="10.0.1.10")
    assert ec2.describe_instances()["Reservations"] == []


def test_secondary_private_ip_at_launch_t2_micro_limit(ec2, subnet):
    """§7.4: t2.micro takes 2 IPv4 per interface (primary + one secondary); MI-11 launch-time secondaries."""
    inst = run(ec2, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "SecondaryPrivateIpAddressCount": 1}])
    ips = eth(inst, 0)["PrivateIpAddresses"]
    assert len(ips) == 2 and sum(1 for a in ips if a["Primary"]) == 1
    assert_error("PrivateIpAddressLimitExceeded", launch, ec2, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": subnet, "SecondaryPrivateIpAddressCount": 2}])


def test_secondary_private_ips_by_list(ec2, subnet):
    """MI-11: PrivateIpAddresses with one primary at launch."""
    inst = run(ec2, instance_type="t2.small", NetworkInterfaces=[{
        "DeviceIndex": 0, "SubnetId": subnet,
        "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.20", "Primary": True},
                               {"PrivateIpAddress": "10.0.1.21", "Primary": False}]}])
    assert inst["PrivateIpAddress"] == "10.0.1.20"
    assert {a["PrivateIpAddress"]: a["Primary"] for a in eth(inst, 0)["PrivateIpAddresses"]} == \
        {"10.0.1.20": True, "10.0.1.21": False}


# ---------------------------------------------------------------- IPv6 at launch

def test_ipv6_address_count(ec2, subnet6):
    """IP-17 / IP-19 / E10: an IPv6 address from the subnet's /64, on eth0."""
    sid, cidr6 = subnet6
    inst = run(ec2, sid, Ipv6AddressCount=1)
    v6 = [a["Ipv6Address"] for a in eth(inst, 0)["Ipv6Addresses"]]
    assert len(v6) == 1
    assert ipaddress.IPv6Address(v6[0]) in ipaddress.IPv6Network(cidr6)
    eni = eni_of(ec2, eth(inst, 0)["NetworkInterfaceId"])
    assert [a["Ipv6Address"] for a in eni["Ipv6Addresses"]] == v6
    assert available(ec2, sid) == EMPTY_24 - 1     # IPv6 does not count against the IPv4 addresses


def test_ipv6_addresses_explicit(ec2, subnet6):
    sid, cidr6 = subnet6
    want = str(ipaddress.IPv6Network(cidr6)[0x123])
    inst = run(ec2, sid, Ipv6Addresses=[{"Ipv6Address": want}])
    assert [str(ipaddress.IPv6Address(a["Ipv6Address"])) for a in eth(inst, 0)["Ipv6Addresses"]] == [want]


def test_ipv6_t2_micro_limit(ec2, subnet6):
    """§7.4 / IP-22: t2.micro takes 2 IPv6 per interface."""
    sid, _ = subnet6
    inst = run(ec2, sid, Ipv6AddressCount=2)
    assert len(eth(inst, 0)["Ipv6Addresses"]) == 2
    assert_client_error(launch, ec2, sid, Ipv6AddressCount=3)


def test_ipv6_refused_for_type_without_ipv6(ec2, subnet6):
    """§7.4 notes: types without IPv6 (m1.small) must reject IPv6 assignment.
    AWS: UnsupportedOperation, "IPv6 addresses are not supported on m3.medium" (RunInstances, poseidon/typhoon#356)."""
    sid, _ = subnet6
    assert_error("UnsupportedOperation", launch, ec2, sid, instance_type="m1.small", Ipv6AddressCount=1)


def test_ipv6_refused_in_subnet_without_ipv6(ec2, subnet):
    """IP-17: the subnet must have an IPv6 CIDR."""
    assert_client_error(launch, ec2, subnet, Ipv6AddressCount=1)
    assert ec2.describe_instances()["Reservations"] == []


def test_subnet_assign_ipv6_on_creation(ec2, subnet6):
    """E2: with AssignIpv6AddressOnCreation each new eth0 gets ONE IPv6 address from the subnet."""
    sid, cidr6 = subnet6
    ec2.modify_subnet_attribute(SubnetId=sid, AssignIpv6AddressOnCreation={"Value": True})
    inst = run(ec2, sid)
    v6 = eth(inst, 0)["Ipv6Addresses"]
    assert len(v6) == 1 and ipaddress.IPv6Address(v6[0]["Ipv6Address"]) in ipaddress.IPv6Network(cidr6)


def test_no_ipv6_without_request(ec2, subnet6):
    """IP-17: an IPv6 subnet alone gives no IPv6 address."""
    sid, _ = subnet6
    assert eth(run(ec2, sid), 0)["Ipv6Addresses"] == []


def test_ipv6_survives_stop_start(ec2, subnet6):
    """IP-20 / E7: IPv6 persists across stop/start, as does the private IPv4 (IP-5)."""
    sid, _ = subnet6
    inst = run(ec2, sid, Ipv6AddressCount=1)
    v6 = eth(inst, 0)["Ipv6Addresses"]
    stop(ec2, inst["InstanceId"])
    again = start(ec2, inst["InstanceId"])
    assert eth(again, 0)["Ipv6Addresses"] == v6
    assert again["PrivateIpAddress"] == inst["PrivateIpAddress"]


# ---------------------------------------------------------------- network interfaces at launch (§7)

def test_two_new_interfaces(ec2, vpc, subnet):
    """ENI-6 / §7.4: t2.micro takes 2 interfaces; both are created by the launch with DeleteOnTermination true."""
    g = new_sg(ec2, vpc, "second")
    inst = run(ec2, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": subnet, "Description": "primary"},
        {"DeviceIndex": 1, "SubnetId": subnet, "Groups": [g], "Description": "secondary"}])
    assert sorted(n["Attachment"]["DeviceIndex"] for n in inst["NetworkInterfaces"]) == [0, 1]
    e0, e1 = eth(inst, 0), eth(inst, 1)
    assert e0["NetworkInterfaceId"] != e1["NetworkInterfaceId"]
    assert e0["Attachment"]["DeleteOnTermination"] is True and e1["Attachment"]["DeleteOnTermination"] is True
    assert inst["PrivateIpAddress"] == e0["PrivateIpAddress"]
    assert group_ids(e1) == {g}
    assert group_ids(e0) == {default_sg(ec2, vpc)}
    assert eni_of(ec2, e1["NetworkInterfaceId"])["Description"] == "secondary"
    assert eni_of(ec2, e1["NetworkInterfaceId"])["Attachment"]["InstanceId"] == inst["InstanceId"]
    assert available(ec2, subnet) == EMPTY_24 - 2


def test_three_interfaces_on_t2_micro_refused(ec2, subnet):
    """§7.4: t2.micro allows 2 interfaces; ENI-6: the whole launch fails, no interface is left behind.
    AWS: AttachmentLimitExceeded, "Interface count 3 exceeds the limit for m1.small" (interfaces given at launch,
    chef/knife-ec2#375)."""
    assert_error("AttachmentLimitExceeded", launch, ec2, NetworkInterfaces=[
        {"DeviceIndex": i, "SubnetId": subnet} for i in range(3)])
    assert ec2.describe_instances()["Reservations"] == []
    assert ec2.describe_network_interfaces(Filters=[{"Name": "subnet-id", "Values": [subnet]}])[
        "NetworkInterfaces"] == []
    assert available(ec2, subnet) == EMPTY_24


def test_three_interfaces_on_c4_large(ec2, subnet):
    """§7.4: c4.large allows 3 interfaces."""
    inst = run(ec2, instance_type="c4.large",
               NetworkInterfaces=[{"DeviceIndex": i, "SubnetId": subnet} for i in range(3)])
    assert len(inst["NetworkInterfaces"]) == 3


def test_existing_interface_as_eth0(ec2, vpc, subnet):
    """ENI-6 / ENI-7: an existing ENI at launch; the instance takes that ENI's groups and address.
    [EXT] DeleteOnTermination is false for an existing interface unless set; it survives the instance."""
    g = new_sg(ec2, vpc, "eni-group")
    eni = ec2.create_network_interface(SubnetId=subnet, Groups=[g], PrivateIpAddress="10.0.1.50")["NetworkInterface"]
    eid = eni["NetworkInterfaceId"]
    inst = run(ec2, NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": eid}])
    assert eth(inst, 0)["NetworkInterfaceId"] == eid
    assert inst["PrivateIpAddress"] == "10.0.1.50"
    assert inst["SubnetId"] == subnet and inst["VpcId"] == vpc
    assert group_ids(inst) == {g}
    d = eni_of(ec2, eid)
    assert d["Status"] == "in-use" and d["Attachment"]["InstanceId"] == inst["InstanceId"]
    assert d["Attachment"]["DeleteOnTermination"] is False
    terminate(ec2, inst["InstanceId"])
    d = wait_until(lambda: (lambda e: e if e["Status"] == "available" else None)(eni_of(ec2, eid)), timeout=60)
    assert d["PrivateIpAddress"] == "10.0.1.50"


def test_existing_interface_in_use_refused(ec2, subnet):
    inst = run(ec2, subnet)
    eid = eth(inst, 0)["NetworkInterfaceId"]
    assert_error("InvalidNetworkInterface.InUse", launch, ec2,
                 NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": eid}])


def test_unknown_interface_refused(ec2):
    assert_error("InvalidNetworkInterfaceID.NotFound", launch, ec2,
                 NetworkInterfaces=[{"DeviceIndex": 0, "NetworkInterfaceId": "eni-0123456789abcdef0"}])


def test_associate_public_ip_with_two_interfaces_refused(ec2, subnet, igw):
    """IP-11 / E4 / ENI-16: no auto-assigned public IPv4 when more than one interface is specified.
    [EXT] InvalidParameterCombination."""
    assert_error("InvalidParameterCombination", launch, ec2, NetworkInterfaces=[
        {"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True},
        {"DeviceIndex": 1, "SubnetId": subnet}])
    assert ec2.describe_instances()["Reservations"] == []


def test_associate_public_ip_with_existing_interface_refused(ec2, subnet, igw):
    """IP-11 / E4: the override cannot be used with an existing ENI as eth0."""
    eid = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    assert_client_error(launch, ec2, NetworkInterfaces=[
        {"DeviceIndex": 0, "NetworkInterfaceId": eid, "AssociatePublicIpAddress": True}])
    assert eni_of(ec2, eid)["Status"] == "available"


def test_two_interfaces_in_public_subnet_get_no_public_ip(ec2, public_subnet):
    """ENI-16 / IP-11: with a second interface at launch, MapPublicIpOnLaunch gives no public IPv4."""
    inst = run(ec2, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": public_subnet},
                                       {"DeviceIndex": 1, "SubnetId": public_subnet}])
    assert "PublicIpAddress" not in inst


def test_network_interfaces_with_instance_level_subnet_refused(ec2, subnet):
    """[EXT] 'Network interfaces and an instance-level subnet ID may not be specified on the same request'."""
    assert_error("InvalidParameterCombination", launch, ec2, subnet,
                 NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet}])


def test_network_interfaces_with_instance_level_groups_refused(ec2, vpc, subnet):
    """[EXT] 'Network interfaces and an instance-level security groups may not be specified on the same request'."""
    g = new_sg(ec2, vpc, "x")
    assert_error("InvalidParameterCombination", launch, ec2, SecurityGroupIds=[g],
                 NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet}])


def test_associate_public_ip_on_nondefault_subnet(ec2, subnet, igw):
    """E3 / IP-10: AssociatePublicIpAddress=true in a nondefault subnet gives eth0 a public IPv4."""
    inst = run(ec2, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "AssociatePublicIpAddress": True}])
    pub = inst["PublicIpAddress"]
    ipaddress.IPv4Address(pub)
    assert eth(inst, 0)["Association"]["PublicIp"] == pub
    assert eth(inst, 0)["Association"]["IpOwnerId"] == "amazon"


def test_subnet_map_public_ip_on_launch(ec2, vpc, public_subnet):
    """E1 / IP-10: the subnet attribute decides; the public IPv4 is NAT-mapped to eth0's primary (IP-8)."""
    inst = run(ec2, public_subnet)
    pub = inst["PublicIpAddress"]
    primary = [a for a in eth(inst, 0)["PrivateIpAddresses"] if a["Primary"]][0]
    assert primary["Association"]["PublicIp"] == pub
    # R5: an API-created VPC has enableDnsHostnames false -> no public DNS name (IP-14 / R3)
    assert inst.get("PublicDnsName", "") == ""


def test_distinct_public_addresses(ec2, public_subnet):
    """IP-12: each instance gets its own public IPv4 from Amazon's pool."""
    r = ec2.run_instances(ImageId=AMI, MinCount=3, MaxCount=3, InstanceType="t2.micro", SubnetId=public_subnet)
    ids = [i["InstanceId"] for i in r["Instances"]]
    pubs = {wait_state(ec2, i, "running")["PublicIpAddress"] for i in ids}
    assert len(pubs) == 3


def test_no_associate_public_ip_in_public_subnet(ec2, public_subnet):
    """E3: AssociatePublicIpAddress=false overrides MapPublicIpOnLaunch=true."""
    inst = run(ec2, NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": public_subnet,
                                        "AssociatePublicIpAddress": False}])
    assert "PublicIpAddress" not in inst


# ---------------------------------------------------------------- key pairs, user data, tags

def test_key_name(ec2, subnet):
    ec2.create_key_pair(KeyName="my-key")
    inst = run(ec2, subnet, KeyName="my-key")
    assert inst["KeyName"] == "my-key"


def test_unknown_key_name_refused(ec2, subnet):
    """[EXT] InvalidKeyPair.NotFound."""
    assert_error("InvalidKeyPair.NotFound", launch, ec2, subnet, KeyName="no-such-key")
    assert ec2.describe_instances()["Reservations"] == []
    assert available(ec2, subnet) == EMPTY_24


def test_user_data(ec2, subnet):
    """[EXT] UserData is returned base64-encoded by DescribeInstanceAttribute userData."""
    script = "#!/bin/bash\necho hello > /tmp/hello\n"
    inst = run(ec2, subnet, UserData=script)     # boto3 base64-encodes it
    attr = ec2.describe_instance_attribute(InstanceId=inst["InstanceId"], Attribute="userData")
    assert attr["InstanceId"] == inst["InstanceId"]
    assert base64.b64decode(attr["UserData"]["Value"]).decode() == script


def test_tag_specifications_instance_and_interface(ec2, subnet):
    """[EXT] TagSpecifications for instance and network-interface tag the instance and its eth0."""
    inst = run(ec2, subnet, TagSpecifications=tag_spec("instance", Name="web", env="test")
               + tag_spec("network-interface", Name="web-eth0"))
    assert tags(inst) == {"Name": "web", "env": "test"}
    eni = eni_of(ec2, eth(inst, 0)["NetworkInterfaceId"])
    assert {t["Key"]: t["Value"] for t in eni["TagSet"]} == {"Name": "web-eth0"}
    d = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [inst["InstanceId"]]}])["Tags"]
    assert {(t["Key"], t["Value"], t["ResourceType"]) for t in d} == {("Name", "web", "instance"),
                                                                      ("env", "test", "instance")}


def test_create_tags_on_instance(ec2, subnet):
    inst = run(ec2, subnet)
    ec2.create_tags(Resources=[inst["InstanceId"]], Tags=[{"Key": "role", "Value": "db"}])
    assert tags(inst_of(ec2, inst["InstanceId"])) == {"role": "db"}


# ---------------------------------------------------------------- DescribeInstances

def test_describe_unknown_instance(ec2, subnet):
    run(ec2, subnet)
    assert_error("InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"])


def test_describe_malformed_instance_id(ec2):
    assert_error("InvalidInstanceID.Malformed", ec2.describe_instances, InstanceIds=["i-xyz"])


def test_other_account_and_region_cannot_see_instance(ec2, ec2_factory, subnet):
    iid = run(ec2, subnet)["InstanceId"]
    assert_error("InvalidInstanceID.NotFound", ec2_factory(account="other").describe_instances, InstanceIds=[iid])
    assert_error("InvalidInstanceID.NotFound", ec2_factory(region="eu-west-1").describe_instances,
                 InstanceIds=[iid])
    assert ec2_factory(account="other").describe_instances()["Reservations"] == []


def test_reservations_group_instances_launched_together(ec2, subnet):
    r1 = ec2.run_instances(ImageId=AMI, MinCount=2, MaxCount=2, InstanceType="t2.micro", SubnetId=subnet)
    r2 = launch(ec2, subnet)
    res = {r["ReservationId"]: {i["InstanceId"] for i in r["Instances"]}
           for r in ec2.describe_instances()["Reservations"]}
    assert res == {r1["ReservationId"]: {i["InstanceId"] for i in r1["Instances"]},
                   r2["ReservationId"]: {r2["Instances"][0]["InstanceId"]}}


@pytest.fixture
def populated(ec2, vpc, subnet, igw):
    """Three instances: a (t2.micro, key, tag, sg x, 10.0.1.10, public IP), b (c4.large, other subnet),
    c (t2.micro, stopped)."""
    ec2.create_key_pair(KeyName="k1")
    x = new_sg(ec2, vpc, "x")
    other = create_subnet(ec2, vpc, "10.0.2.0/24", AvailabilityZone="us-east-1b")["SubnetId"]
    a = run(ec2, KeyName="k1", TagSpecifications=tag_spec("instance", Name="alpha"),
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "PrivateIpAddress": "10.0.1.10",
                                "Groups": [x], "AssociatePublicIpAddress": True}])
    bid = ec2.run_instances(ImageId="ami-87654321", MinCount=1, MaxCount=1, InstanceType="c4.large",
                            SubnetId=other)["Instances"][0]["InstanceId"]
    b = wait_state(ec2, bid, "running")
    c = run(ec2, subnet)
    stop(ec2, c["InstanceId"])
    return {"vpc": vpc, "subnet": subnet, "other": other, "x": x, "a": a, "b": b, "c": c}


FILTER_CASES = [
    ("instance-id", lambda p: [p["a"]["InstanceId"]], {"a"}),
    ("instance-state-name", lambda p: ["running"], {"a", "b"}),
    ("instance-state-name", lambda p: ["stopped"], {"c"}),
    ("instance-state-code", lambda p: ["80"], {"c"}),
    ("subnet-id", lambda p: [p["subnet"]], {"a", "c"}),
    ("vpc-id", lambda p: [p["vpc"]], {"a", "b", "c"}),
    ("private-ip-address", lambda p: ["10.0.1.10"], {"a"}),
    ("ip-address", lambda p: [p["a"]["PublicIpAddress"]], {"a"}),
    ("instance-type", lambda p: ["c4.large"], {"b"}),
    ("instance-type", lambda p: ["t2.micro"], {"a", "c"}),
    ("image-id", lambda p: ["ami-87654321"], {"b"}),
    ("key-name", lambda p: ["k1"], {"a"}),
    ("instance.group-id", lambda p: [p["x"]], {"a"}),
    ("network-interface.network-interface-id", lambda p: [eth(p["b"], 0)["NetworkInterfaceId"]], {"b"}),
    ("reservation-id", lambda p: [p["resv_b"]], {"b"}),
    ("tag:Name", lambda p: ["alpha"], {"a"}),
    ("availability-zone", lambda p: ["us-east-1b"], {"b"}),
    ("private-dns-name", lambda p: ["ip-10-0-1-10.ec2.internal"], {"a"}),
]


@pytest.mark.parametrize("name,values,expect", FILTER_CASES, ids=[c[0] + "-" + "".join(sorted(c[2]))
                                                                   for c in FILTER_CASES])
def test_describe_filters(ec2, populated, name, values, expect):
    """[EXT] DescribeInstances filters."""
    p = dict(populated)
    p["resv_b"] = ec2.describe_instances(InstanceIds=[p["b"]["InstanceId"]])["Reservations"][0]["ReservationId"]
    want = {p[k]["InstanceId"] for k in expect}
    assert instance_ids(ec2, (name, values(p))) == want


def test_describe_filters_are_anded_and_wildcards(ec2, populated):
    p = populated
    assert instance_ids(ec2, ("subnet-id", [p["subnet"]]), ("instance-state-name", ["running"])) == \
        {p["a"]["InstanceId"]}
    assert instance_ids(ec2, ("tag:Name", ["al*"])) == {p["a"]["InstanceId"]}
    assert instance_ids(ec2, ("instance-type", ["m9.none"])) == set()


def test_describe_instances_paginator(ec2, subnet):
    """[EXT] MaxResults 5..1000 with NextToken; the paginator sees every instance exactly once."""
    ids = {i["InstanceId"] for i in ec2.run_instances(ImageId=AMI, MinCount=7, MaxCount=7, InstanceType="t2.micro",
                                                       SubnetId=subnet)["Instances"]}
    ids |= {launch(ec2, subnet)["Instances"][0]["InstanceId"] for _ in range(4)}
    pages = list(ec2.get_paginator("describe_instances").paginate(PaginationConfig={"PageSize": 5}))
    assert len(pages) >= 3
    seen = [i["InstanceId"] for pg in pages for r in pg["Reservations"] for i in r["Instances"]]
    assert sorted(seen) == sorted(ids)
    first = ec2.describe_instances(MaxResults=5)
    assert "NextToken" in first


def test_describe_max_results_with_instance_ids_refused(ec2, subnet):
    """[EXT] MaxResults cannot be combined with InstanceIds."""
    iid = run(ec2, subnet)["InstanceId"]
    assert_error("InvalidParameterCombination", ec2.describe_instances, InstanceIds=[iid], MaxResults=5)


# ---------------------------------------------------------------- stop / start / reboot / terminate

def test_stop_and_start_state_codes(ec2, subnet):
    """[EXT] Stop: running 16 -> stopping 64 -> stopped 80. Start: stopped 80 -> pending 0 -> running 16."""
    iid = run(ec2, subnet)["InstanceId"]
    out = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"]
    assert out == [{"InstanceId": iid, "PreviousState": {"Code": RUNNING, "Name": "running"},
                    "CurrentState": {"Code": STOPPING, "Name": "stopping"}}]
    stopped = wait_state(ec2, iid, "stopped")
    assert stopped["State"] == {"Code": STOPPED, "Name": "stopped"}
    out = ec2.start_instances(InstanceIds=[iid])["StartingInstances"]
    assert out == [{"InstanceId": iid, "PreviousState": {"Code": STOPPED, "Name": "stopped"},
                    "CurrentState": {"Code": PENDING, "Name": "pending"}}]
    assert wait_state(ec2, iid, "running")["State"]["Code"] == RUNNING


def test_terminate_state_codes(ec2, subnet):
    """[EXT] Terminate: running 16 -> shutting-down 32 -> terminated 48; terminated instances stay visible."""
    iid = run(ec2, subnet)["InstanceId"]
    out = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"]
    assert out == [{"InstanceId": iid, "PreviousState": {"Code": RUNNING, "Name": "running"},
                    "CurrentState": {"Code": SHUTTING_DOWN, "Name": "shutting-down"}}]
    t = wait_state(ec2, iid, "terminated", timeout=60)
    assert t["State"] == {"Code": TERMINATED, "Name": "terminated"}


def test_terminate_twice(ec2, subnet):
    """[EXT] TerminateInstances is idempotent: terminated -> terminated."""
    iid = run(ec2, subnet)["InstanceId"]
    terminate(ec2, iid)
    out = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"]
    assert out[0]["PreviousState"]["Name"] == "terminated" and out[0]["CurrentState"]["Name"] == "terminated"


def test_terminate_stopped_instance(ec2, subnet):
    iid = run(ec2, subnet)["InstanceId"]
    stop(ec2, iid)
    out = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"]
    assert out[0]["PreviousState"] == {"Code": STOPPED, "Name": "stopped"}
    wait_state(ec2, iid, "terminated", timeout=60)


def test_stop_stopped_instance_is_idempotent(ec2, subnet):
    iid = run(ec2, subnet)["InstanceId"]
    stop(ec2, iid)
    out = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"]
    assert out[0]["PreviousState"]["Name"] == "stopped" and out[0]["CurrentState"]["Name"] == "stopped"


def test_reboot(ec2, subnet):
    """[EXT] RebootInstances returns nothing but success; the instance stays running with its addresses."""
    inst = run(ec2, subnet)
    r = ec2.reboot_instances(InstanceIds=[inst["InstanceId"]])
    assert r["ResponseMetadata"]["HTTPStatusCode"] == 200
    after = inst_of(ec2, inst["InstanceId"])
    assert after["State"]["Name"] == "running"
    assert after["PrivateIpAddress"] == inst["PrivateIpAddress"]


@pytest.mark.parametrize("op", ["start_instances", "stop_instances", "reboot_instances"])
def test_lifecycle_of_terminated_instance_refused(ec2, subnet, op):
    """[EXT] IncorrectInstanceState for start/stop/reboot of a terminated instance."""
    iid = run(ec2, subnet)["InstanceId"]
    terminate(ec2, iid)
    assert_error("IncorrectInstanceState", getattr(ec2, op), InstanceIds=[iid])


@pytest.mark.parametrize("op", ["start_instances", "stop_instances", "reboot_instances", "terminate_instances"])
def test_lifecycle_of_unknown_instance(ec2, op):
    assert_error("InvalidInstanceID.NotFound", getattr(ec2, op), InstanceIds=["i-0123456789abcdef0"])


def test_private_address_kept_on_stop_released_on_terminate(ec2, subnet):
    """IP-5 / E7: the private IPv4 stays across stop/start and is released at terminate (with eth0)."""
    inst = run(ec2, subnet, PrivateIpAddress="10.0.1.10")
    stopped = stop(ec2, inst["InstanceId"])
    assert stopped["PrivateIpAddress"] == "10.0.1.10"
    assert available(ec2, subnet) == EMPTY_24 - 1
    assert start(ec2, inst["InstanceId"])["PrivateIpAddress"] == "10.0.1.10"
    terminate(ec2, inst["InstanceId"])
    wait_until(lambda: available(ec2, subnet) == EMPTY_24, timeout=60)
    assert run(ec2, subnet, PrivateIpAddress="10.0.1.10")["PrivateIpAddress"] == "10.0.1.10"


def test_public_ip_released_on_stop_new_on_start(ec2, public_subnet):
    """IP-13(a) / E7: stop releases the auto-assigned public IPv4; start gives one again."""
    inst = run(ec2, public_subnet)
    assert inst["PublicIpAddress"]
    stopped = stop(ec2, inst["InstanceId"])
    assert "PublicIpAddress" not in stopped
    assert "Association" not in eth(stopped, 0)
    again = start(ec2, inst["InstanceId"])
    pub = again["PublicIpAddress"]
    ipaddress.IPv4Address(pub)
    assert eth(again, 0)["Association"]["PublicIp"] == pub
    assert eth(again, 0)["Association"]["IpOwnerId"] == "amazon"


def test_detach_gateway_refused_while_instance_has_public_ip(ec2, vpc, public_subnet, igw):
    """AA5: DetachInternetGateway is refused while the VPC has public-IPv4-bearing resources (an instance's
    auto-assigned address); [EXT] DependencyViolation. Once the instance is stopped (address released) it works."""
    inst = run(ec2, public_subnet)
    assert inst["PublicIpAddress"]
    assert_error("DependencyViolation", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)
    stop(ec2, inst["InstanceId"])
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)


def test_public_ip_released_on_terminate(ec2, public_subnet):
    inst = run(ec2, public_subnet)
    t = terminate(ec2, inst["InstanceId"])
    assert "PublicIpAddress" not in t


def test_elastic_ip_stays_through_stop_start(ec2, subnet, igw):
    """EIP-9 (VPC) / EIP-6: the EIP stays associated with eth0 across stop/start, and is the instance's public IP."""
    inst = run(ec2, subnet)
    alloc = ec2.allocate_address(Domain="vpc")
    assoc = ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=inst["InstanceId"])
    assert assoc["AssociationId"].startswith("eipassoc-")
    eip = alloc["PublicIp"]
    assert inst_of(ec2, inst["InstanceId"])["PublicIpAddress"] == eip
    addr = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    assert addr["InstanceId"] == inst["InstanceId"]
    assert addr["NetworkInterfaceId"] == eth(inst, 0)["NetworkInterfaceId"]
    assert addr["PrivateIpAddress"] == inst["PrivateIpAddress"]

    stopped = stop(ec2, inst["InstanceId"])
    assert stopped["PublicIpAddress"] == eip
    assert eth(stopped, 0)["Association"]["PublicIp"] == eip
    assert eth(stopped, 0)["Association"]["IpOwnerId"] == ACCOUNT_ID
    again = start(ec2, inst["InstanceId"])
    assert again["PublicIpAddress"] == eip
    addr = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    assert addr["InstanceId"] == inst["InstanceId"] and addr["AssociationId"] == assoc["AssociationId"]


def test_elastic_ip_replaces_auto_public_ip(ec2, public_subnet):
    """EIP-2 / IP-13(b,c) / E11: associating an EIP with eth0 releases the auto-assigned public IPv4; after
    disassociation eth0 gets a new public IPv4."""
    inst = run(ec2, public_subnet)
    alloc = ec2.allocate_address(Domain="vpc")
    assoc = ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=inst["InstanceId"])
    now = inst_of(ec2, inst["InstanceId"])
    assert now["PublicIpAddress"] == alloc["PublicIp"]
    ec2.disassociate_address(AssociationId=assoc["AssociationId"])
    after = wait_until(lambda: (lambda i: i if i.get("PublicIpAddress") else None)(inst_of(ec2, inst["InstanceId"])))
    assert after["PublicIpAddress"] != alloc["PublicIp"]
    assert eth(after, 0)["Association"]["IpOwnerId"] == "amazon"


def test_terminate_disassociates_elastic_ip(ec2, subnet, igw):
    """ENI-8 / EIP-3: deleting eth0 at terminate disassociates the EIP; it stays allocated."""
    inst = run(ec2, subnet)
    alloc = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=inst["InstanceId"])
    terminate(ec2, inst["InstanceId"])

    def free():
        a = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
        return a if "AssociationId" not in a else None
    a = wait_until(free, timeout=60)
    assert "InstanceId" not in a or not a["InstanceId"]
    ec2.release_address(AllocationId=alloc["AllocationId"])


def test_terminate_deletes_launch_interfaces_and_detaches_others(ec2, subnet):
    """ENI-11: the interfaces made at launch (DeleteOnTermination true) go; one attached later (false) is detached
    and keeps its address."""
    inst = run(ec2, subnet)
    eth0 = eth(inst, 0)["NetworkInterfaceId"]
    extra = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.0.1.77")["NetworkInterface"]
    ec2.attach_network_interface(NetworkInterfaceId=extra["NetworkInterfaceId"], InstanceId=inst["InstanceId"],
                                 DeviceIndex=1)
    wait_until(lambda: eni_of(ec2, extra["NetworkInterfaceId"]).get("Attachment", {}).get("Status") == "attached")
    assert len(inst_of(ec2, inst["InstanceId"])["NetworkInterfaces"]) == 2
    terminate(ec2, inst["InstanceId"])
    wait_until(lambda: eni_gone(ec2, eth0), timeout=60)
    d = wait_until(lambda: (lambda e: e if e["Status"] == "available" else None)(
        eni_of(ec2, extra["NetworkInterfaceId"])), timeout=60)
    assert d["PrivateIpAddress"] == "10.0.1.77"
    assert available(ec2, subnet) == EMPTY_24 - 1


def test_disable_api_termination(ec2, subnet):
    """[EXT] DisableApiTermination -> OperationNotPermitted until the attribute is turned off."""
    iid = run(ec2, subnet, DisableApiTermination=True)["InstanceId"]
    attr = ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")
    assert attr["DisableApiTermination"]["Value"] is True
    assert_error("OperationNotPermitted", ec2.terminate_instances, InstanceIds=[iid])
    assert inst_of(ec2, iid)["State"]["Name"] == "running"
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")[
        "DisableApiTermination"]["Value"] is False
    terminate(ec2, iid)


def test_disable_api_termination_set_later(ec2, subnet):
    iid = run(ec2, subnet)["InstanceId"]
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": True})
    assert_error("OperationNotPermitted", ec2.terminate_instances, InstanceIds=[iid])


# ---------------------------------------------------------------- DescribeInstanceStatus

def test_describe_instance_status(ec2, subnet):
    """[EXT] only running instances unless IncludeAllInstances."""
    a = run(ec2, subnet)["InstanceId"]
    b = run(ec2, subnet)["InstanceId"]
    stop(ec2, b)
    st = ec2.describe_instance_status()["InstanceStatuses"]
    assert [s["InstanceId"] for s in st] == [a]
    s = st[0]
    assert s["InstanceState"] == {"Code": RUNNING, "Name": "running"}
    assert s["AvailabilityZone"] == "us-east-1a"
    assert "Status" in s["InstanceStatus"] and "Status" in s["SystemStatus"]
    every = ec2.describe_instance_status(IncludeAllInstances=True)["InstanceStatuses"]
    assert {x["InstanceId"]: x["InstanceState"]["Name"] for x in every} == {a: "running", b: "stopped"}
    by_id = ec2.describe_instance_status(InstanceIds=[b], IncludeAllInstances=True)["InstanceStatuses"]
    assert [x["InstanceId"] for x in by_id] == [b]
    flt = ec2.describe_instance_status(IncludeAllInstances=True,
                                       Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}])
    assert [x["InstanceId"] for x in flt["InstanceStatuses"]] == [b]


def test_describe_instance_status_unknown(ec2):
    assert_error("InvalidInstanceID.NotFound", ec2.describe_instance_status, InstanceIds=["i-0123456789abcdef0"])


# ---------------------------------------------------------------- Describe / ModifyInstanceAttribute

def test_describe_instance_attributes(ec2, vpc, subnet):
    g = new_sg(ec2, vpc, "attr")
    iid = run(ec2, subnet, SecurityGroupIds=[g])["InstanceId"]
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")["InstanceType"]["Value"] == \
        "t2.micro"
    assert [x["GroupId"] for x in ec2.describe_instance_attribute(InstanceId=iid, Attribute="groupSet")["Groups"]] \
        == [g]
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")["SourceDestCheck"][
        "Value"] is True
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="disableApiTermination")[
        "DisableApiTermination"]["Value"] is False


def test_describe_instance_attribute_unknown_instance(ec2):
    assert_error("InvalidInstanceID.NotFound", ec2.describe_instance_attribute, InstanceId="i-0123456789abcdef0",
                 Attribute="instanceType")


def test_modify_source_dest_check(ec2, subnet):
    """F3 / ENI-10: settable while running; the instance and its eth0 show it (S4 NAT instance variant)."""
    inst = run(ec2, subnet)
    iid = inst["InstanceId"]
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="sourceDestCheck")["SourceDestCheck"][
        "Value"] is False
    assert inst_of(ec2, iid)["SourceDestCheck"] is False
    assert eni_of(ec2, eth(inst, 0)["NetworkInterfaceId"])["SourceDestCheck"] is False
    stop(ec2, iid)
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": True})
    assert inst_of(ec2, iid)["SourceDestCheck"] is True


def test_modify_groups(ec2, vpc, subnet):
    """§1.28: ModifyInstanceAttribute GroupId replaces the groups of eth0."""
    inst = run(ec2, subnet)
    a, b = new_sg(ec2, vpc, "a"), new_sg(ec2, vpc, "b")
    ec2.modify_instance_attribute(InstanceId=inst["InstanceId"], Groups=[a, b])
    assert {x["GroupId"] for x in ec2.describe_instance_attribute(InstanceId=inst["InstanceId"],
                                                                  Attribute="groupSet")["Groups"]} == {a, b}
    assert group_ids(inst_of(ec2, inst["InstanceId"])) == {a, b}
    assert group_ids(eni_of(ec2, eth(inst, 0)["NetworkInterfaceId"])) == {a, b}


def test_modify_groups_unknown_or_other_vpc_refused(ec2, subnet):
    inst = run(ec2, subnet)
    assert_error("InvalidGroup.NotFound", ec2.modify_instance_attribute, InstanceId=inst["InstanceId"],
                 Groups=["sg-0123456789abcdef0"])
    other = new_sg(ec2, create_vpc(ec2, "10.1.0.0/16")["VpcId"], "elsewhere")
    # [EXT] "Error codes" page, InvalidParameter: a security group and a subnet in different VPCs.
    assert_error("InvalidParameter", ec2.modify_instance_attribute, InstanceId=inst["InstanceId"], Groups=[other])


def test_modify_user_data_only_while_stopped(ec2, subnet):
    """[EXT] userData can be changed only while stopped: IncorrectInstanceState otherwise."""
    iid = run(ec2, subnet, UserData="one")["InstanceId"]
    new = b"two"                      # boto3 base64-encodes the blob
    assert_error("IncorrectInstanceState", ec2.modify_instance_attribute, InstanceId=iid, UserData={"Value": new})
    stop(ec2, iid)
    ec2.modify_instance_attribute(InstanceId=iid, UserData={"Value": new})
    got = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
    assert base64.b64decode(got) == b"two"


def test_modify_instance_type_only_while_stopped(ec2, subnet):
    """[EXT] instanceType can be changed only while stopped: IncorrectInstanceState otherwise."""
    iid = run(ec2, subnet)["InstanceId"]
    assert_error("IncorrectInstanceState", ec2.modify_instance_attribute, InstanceId=iid,
                 InstanceType={"Value": "c4.large"})
    stop(ec2, iid)
    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "c4.large"})
    assert inst_of(ec2, iid)["InstanceType"] == "c4.large"
    assert ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")["InstanceType"]["Value"] == \
        "c4.large"


def test_modify_instance_type_unknown_refused(ec2, subnet):
    iid = run(ec2, subnet)["InstanceId"]
    stop(ec2, iid)
    assert_error("InvalidParameterValue", ec2.modify_instance_attribute, InstanceId=iid,
                 InstanceType={"Value": "t2.gigantic"})


# ---------------------------------------------------------------- waiters

def test_waiters(ec2, subnet):
    """[EXT] instance_exists, instance_running, instance_stopped, instance_terminated."""
    iid = launch(ec2, subnet)["Instances"][0]["InstanceId"]
    w, cfg = fast_waiter(ec2, "instance_exists")
    w.wait(InstanceIds=[iid], WaiterConfig=cfg)
    w, cfg = fast_waiter(ec2, "instance_running")
    w.wait(InstanceIds=[iid], WaiterConfig=cfg)
    ec2.stop_instances(InstanceIds=[iid])
    w, cfg = fast_waiter(ec2, "instance_stopped")
    w.wait(InstanceIds=[iid], WaiterConfig=cfg)
    ec2.terminate_instances(InstanceIds=[iid])
    w, cfg = fast_waiter(ec2, "instance_terminated")
    w.wait(InstanceIds=[iid], WaiterConfig=cfg)


def test_instance_running_waiter_fails_for_terminated(ec2, subnet):
    """[EXT] the instance_running waiter fails fast when the instance is terminated."""
    iid = run(ec2, subnet)["InstanceId"]
    terminate(ec2, iid)
    w = ec2.get_waiter("instance_running")
    with pytest.raises(WaiterError):
        w.wait(InstanceIds=[iid], WaiterConfig={"Delay": 1, "MaxAttempts": 3})


def test_instance_exists_waiter_unknown(ec2):
    w = ec2.get_waiter("instance_exists")
    with pytest.raises(WaiterError):
        w.wait(InstanceIds=["i-0123456789abcdef0"], WaiterConfig={"Delay": 1, "MaxAttempts": 2})


# ---------------------------------------------------------------- dependencies (AA1, AA2, AA6)

def test_security_group_in_use_cannot_be_deleted(ec2, vpc, subnet):
    """AA6: not while an instance (running or stopped) uses it; fine after terminate."""
    g = new_sg(ec2, vpc, "busy")
    iid = run(ec2, subnet, SecurityGroupIds=[g])["InstanceId"]
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=g)
    stop(ec2, iid)
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=g)
    terminate(ec2, iid)
    wait_until(lambda: eni_gone(ec2, eth(inst_of(ec2, iid), 0)["NetworkInterfaceId"])
               if inst_of(ec2, iid)["NetworkInterfaces"] else True, timeout=60)
    ec2.delete_security_group(GroupId=g)


def test_subnet_with_instance_cannot_be_deleted(ec2, subnet):
    """AA2: DeleteSubnet refused while an instance is in it; fine after terminate."""
    iid = run(ec2, subnet)["InstanceId"]
    assert_error("DependencyViolation", ec2.delete_subnet, SubnetId=subnet)
    stop(ec2, iid)
    assert_error("DependencyViolation", ec2.delete_subnet, SubnetId=subnet)
    terminate(ec2, iid)
    wait_until(lambda: available(ec2, subnet) == EMPTY_24, timeout=60)
    ec2.delete_subnet(SubnetId=subnet)


def test_vpc_with_instance_cannot_be_deleted(ec2, vpc, subnet):
    """AA1: no instances."""
    iid = run(ec2, subnet)["InstanceId"]
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=vpc)
    terminate(ec2, iid)
    wait_until(lambda: available(ec2, subnet) == EMPTY_24, timeout=60)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_vpc(VpcId=vpc)


def test_subnet_of_another_account_refused(ec2, ec2_factory, subnet):
    other = ec2_factory(account="other")
    assert_error("InvalidSubnetID.NotFound", other.run_instances, ImageId=AMI, MinCount=1, MaxCount=1,
                 InstanceType="t2.micro", SubnetId=subnet)


def test_unknown_subnet_refused(ec2):
    assert_error("InvalidSubnetID.NotFound", launch, ec2, "subnet-0123456789abcdef0")


# ---------------------------------------------------------------- DNS names (IP-2, IP-9, IP-14, R3-R5)

@pytest.mark.parametrize("region", ["us-west-1", "eu-west-1"])
def test_private_dns_name_other_regions(ec2_factory, region):
    """IP-2: ip-a-b-c-d.<region>.compute.internal outside us-east-1."""
    c = ec2_factory(region=region)
    v = create_vpc(c, "10.0.0.0/16")["VpcId"]
    s = create_subnet(c, v, "10.0.1.0/24")["SubnetId"]
    inst = run(c, s, PrivateIpAddress="10.0.1.10")
    assert inst["PrivateDnsName"] == f"ip-10-0-1-10.{region}.compute.internal"


def test_public_dns_name_needs_dns_hostnames(ec2, vpc, public_subnet):
    """IP-14 / R3 / R10: no public DNS name while enableDnsHostnames is false; with it, ec2-a-b-c-d.compute-1...."""
    inst = run(ec2, public_subnet)
    assert inst.get("PublicDnsName", "") == ""
    enable_hostnames(ec2, vpc)
    now = inst_of(ec2, inst["InstanceId"])
    assert now["PublicDnsName"] == public_dns(now["PublicIpAddress"])
    later = run(ec2, public_subnet)
    assert later["PublicDnsName"] == public_dns(later["PublicIpAddress"])
    assert eth(later, 0)["Association"]["PublicDnsName"] == later["PublicDnsName"]


def test_public_dns_name_follows_elastic_ip(ec2, vpc, subnet, igw):
    """IP-14: an EIP gives a public DNS name matching it when DNS hostnames are on."""
    enable_hostnames(ec2, vpc)
    inst = run(ec2, subnet)
    assert inst.get("PublicDnsName", "") == ""
    alloc = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=inst["InstanceId"])
    assert inst_of(ec2, inst["InstanceId"])["PublicDnsName"] == public_dns(alloc["PublicIp"])


def test_public_dns_name_other_region(ec2_factory):
    """IP-9 [EXT]: outside us-east-1 the suffix is <region>.compute.amazonaws.com (default VPC: hostnames on)."""
    c = ec2_factory(region="eu-west-1")
    inst = run(c)
    assert inst["PublicDnsName"] == public_dns(inst["PublicIpAddress"], "eu-west-1")
    assert inst["PrivateDnsName"] == private_dns(inst["PrivateIpAddress"], "eu-west-1")


# ---------------------------------------------------------------- routes to an instance (G13)

def test_route_to_instance_and_blackhole_after_terminate(ec2, vpc, subnet):
    """[EXT] CreateRoute InstanceId: the route names the instance and its eth0; G13: after terminate the route
    stays with state blackhole."""
    inst = run(ec2, subnet)
    iid = inst["InstanceId"]
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assert ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", InstanceId=iid)["Return"] is True
    r = route_for(describe_rt(ec2, rtb), "0.0.0.0/0")
    assert r["InstanceId"] == iid
    assert r["NetworkInterfaceId"] == eth(inst, 0)["NetworkInterfaceId"]
    assert r["InstanceOwnerId"] == ACCOUNT_ID
    assert r["State"] == "active" and r["Origin"] == "CreateRoute"
    terminate(ec2, iid)
    wait_until(lambda: route_for(describe_rt(ec2, rtb), "0.0.0.0/0")["State"] == "blackhole", timeout=60)
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0")


def test_route_to_stopped_instance_is_blackhole(ec2, vpc, subnet):
    """[EXT] a route to a stopped instance is blackhole; it is active again after start."""
    iid = run(ec2, subnet)["InstanceId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="192.168.0.0/16", InstanceId=iid)
    stop(ec2, iid)
    assert route_for(describe_rt(ec2, rtb), "192.168.0.0/16")["State"] == "blackhole"
    start(ec2, iid)
    assert route_for(describe_rt(ec2, rtb), "192.168.0.0/16")["State"] == "active"


def test_route_to_instance_of_another_vpc_refused(ec2, subnet):
    iid = run(ec2, subnet)["InstanceId"]
    other = create_vpc(ec2, "10.1.0.0/16")["VpcId"]
    rtb = ec2.create_route_table(VpcId=other)["RouteTable"]["RouteTableId"]
    # [EXT] "route table ... and ... belong to different networks" is InvalidParameterValue
    # (smoketurner/serverless-vpc-plugin#147, for a gateway of another VPC).
    assert_error("InvalidParameterValue", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                 InstanceId=iid)


def test_route_to_unknown_instance_refused(ec2, vpc):
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    assert_error("InvalidInstanceID.NotFound", ec2.create_route, RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0",
                 InstanceId="i-0123456789abcdef0")


def test_instance_profile(ec2):
    """IamInstanceProfile at launch, by name or by ARN (the caller's own), shown by
    DescribeInstances and its iam-instance-profile.arn filter."""
    vpc = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.61.1.0/24")["Subnet"]["SubnetId"]
    arn = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/web"
    by_name = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet,
                                IamInstanceProfile={"Name": "web"})["Instances"][0]
    assert by_name["IamInstanceProfile"]["Arn"] == arn and by_name["IamInstanceProfile"]["Id"].startswith("AIPA")
    by_arn = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet,
                               IamInstanceProfile={"Arn": arn})["Instances"][0]
    assert by_arn["IamInstanceProfile"] == by_name["IamInstanceProfile"]
    found = ec2.describe_instances(Filters=[{"Name": "iam-instance-profile.arn", "Values": [arn]}])
    ids = sorted(i["InstanceId"] for r in found["Reservations"] for i in r["Instances"])
    assert ids == sorted([by_name["InstanceId"], by_arn["InstanceId"]])
    assert_error("InvalidParameterValue", ec2.run_instances, ImageId="ami-12345678", MinCount=1, MaxCount=1,
                 SubnetId=subnet, IamInstanceProfile={"Arn": "arn:aws:iam::999999999999:instance-profile/web"})
    assert_error("InvalidParameterValue", ec2.run_instances, ImageId="ami-12345678", MinCount=1, MaxCount=1,
                 SubnetId=subnet, IamInstanceProfile={"Name": "no spaces"})


def test_instance_profile_associations(ec2):
    """AssociateIamInstanceProfile, DescribeIamInstanceProfileAssociations, Replace…, Disassociate…:
    one association per instance, what Terraform's aws_instance changes iam_instance_profile with."""
    vpc = ec2.create_vpc(CidrBlock="10.65.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.65.1.0/24")["Subnet"]["SubnetId"]
    iid = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet)["Instances"][0]["InstanceId"]
    a = ec2.associate_iam_instance_profile(InstanceId=iid, IamInstanceProfile={"Name": "app"})[
        "IamInstanceProfileAssociation"]
    assert a["AssociationId"].startswith("iip-assoc-") and a["InstanceId"] == iid
    assert a["IamInstanceProfile"]["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/app"
    assert_error("IncorrectState", ec2.associate_iam_instance_profile, InstanceId=iid,
                 IamInstanceProfile={"Name": "other"})
    listed = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [iid]}])["IamInstanceProfileAssociations"]
    assert [(x["AssociationId"], x["State"]) for x in listed] == [(a["AssociationId"], "associated")]
    r = ec2.replace_iam_instance_profile_association(AssociationId=a["AssociationId"],
                                                     IamInstanceProfile={"Name": "other"})[
        "IamInstanceProfileAssociation"]
    assert r["IamInstanceProfile"]["Arn"].endswith(":instance-profile/other") and r["AssociationId"] != a["AssociationId"]
    inst = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert inst["IamInstanceProfile"]["Arn"] == r["IamInstanceProfile"]["Arn"]
    d = ec2.disassociate_iam_instance_profile(AssociationId=r["AssociationId"])["IamInstanceProfileAssociation"]
    assert d["State"] == "disassociating"
    assert "IamInstanceProfile" not in ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]
    assert_error("InvalidAssociationID.NotFound", ec2.disassociate_iam_instance_profile, AssociationId=r["AssociationId"])
