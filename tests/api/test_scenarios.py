"""The guide's end-to-end scenarios with instances, control plane only.

S3, S4, S5, S6, S9 and S10 of shared/spec/inventory-vpc-guide.md §5 (rule ids A5, E1-E11, G1, G13, K1, M-rules,
P-rules, AA1-AA13 from the same file; IP-n, EIP-n and ENI-n from inventory-ec2-network-security.md). The wizard
scenarios (S3-S6) are driven through boto3, the CLI walk-throughs (S9, S10) through the real aws CLI (`aws_cli`).
VPN gateways and customer gateways are left out (S5, S6): only the parts whose API exists are exercised. The data-plane
expectations (pings, SSH) are out of scope; what is asserted is every control-plane observable the guide states.
"""
import ipaddress
import pytest

from helpers import (assert_error, create_subnet, create_vpc, describe_rt, main_route_table, norm,
                     nth_subnet64, route_for, tag_spec, vpc_ipv6_block, wait_until)

AMI = "ami-12345678"
HOME = "203.0.113.0/24"           # the admin's / home network range of the wizard scenarios
CORPORATE = "172.16.0.0/12"       # S5 / S6 corporate range


# ---------------------------------------------------------------- helpers

def inst_of(ec2, iid):
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def run(ec2, **kwargs):
    kwargs.setdefault("InstanceType", "t2.micro")
    iid = ec2.run_instances(ImageId=AMI, MinCount=1, MaxCount=1, **kwargs)["Instances"][0]["InstanceId"]
    return wait_until(lambda: (lambda i: i if i["State"]["Name"] == "running" else None)(inst_of(ec2, iid)))


def terminate_all(ec2, *iids):
    ec2.terminate_instances(InstanceIds=list(iids))
    for iid in iids:
        wait_until(lambda: inst_of(ec2, iid)["State"]["Name"] == "terminated", timeout=60)


def routes(rt):
    return {norm(r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")): r for r in rt["Routes"]}


def target(r):
    for k in ("GatewayId", "NatGatewayId", "EgressOnlyInternetGatewayId", "InstanceId", "NetworkInterfaceId",
              "VpcPeeringConnectionId"):
        if r.get(k):
            return r[k]
    return None


def route_map(rt):
    """{destination: target} of a route table."""
    return {d: target(r) for d, r in routes(rt).items()}


def rule_set(perms):
    """IpPermissions as a set of (proto, from, to, source) tuples."""
    out = set()
    for p in perms:
        proto = "58" if p["IpProtocol"] in ("58", "icmpv6") else p["IpProtocol"]   # [EXT] described as icmpv6 or 58
        key = (proto, p.get("FromPort"), p.get("ToPort"))
        for r in p.get("IpRanges", []):
            out.add(key + (r["CidrIp"],))
        for r in p.get("Ipv6Ranges", []):
            out.add(key + (norm(r["CidrIpv6"]),))
        for g in p.get("UserIdGroupPairs", []):
            out.add(key + (g["GroupId"],))
    return out


def sg(ec2, gid):
    return ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]


def tcp(port, *, cidr=None, cidr6=None, group=None):
    p = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        p["IpRanges"] = [{"CidrIp": cidr}]
    if cidr6:
        p["Ipv6Ranges"] = [{"CidrIpv6": cidr6}]
    if group:
        p["UserIdGroupPairs"] = [{"GroupId": group}]
    return p


def default_sg(ec2, vpc_id):
    return ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]},
                                                 {"Name": "group-name", "Values": ["default"]}])["SecurityGroups"][0]


def explicit_rt_of(ec2, subnet_id):
    rts = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])["RouteTables"]
    return rts[0]["RouteTableId"] if rts else None


def dual_stack_vpc(ec2):
    vpc = create_vpc(ec2, "10.0.0.0/16", AmazonProvidedIpv6CidrBlock=True)["VpcId"]
    return vpc, vpc_ipv6_block(ec2, vpc)


def igw_for(ec2, vpc):
    g = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=g, VpcId=vpc)
    return g


def v6(inst):
    return [a["Ipv6Address"] for n in inst["NetworkInterfaces"] for a in n.get("Ipv6Addresses", [])]


# ---------------------------------------------------------------- S3: single public subnet

def test_s3_single_public_subnet(ec2):
    """S3 (L781-887): VPC 10.0.0.0/16 + /56, subnet 10.0.0.0/24 + first /64, custom RT with local v4/v6 and
    0.0.0.0/0, ::/0 -> igw; WebServerSG; instance 10.0.0.6 with an IPv6 address and EIP."""
    vpc, block = dual_stack_vpc(ec2)
    sub64 = nth_subnet64(block, 0)
    subnet = create_subnet(ec2, vpc, "10.0.0.0/24", Ipv6CidrBlock=sub64, AvailabilityZone="us-east-1a")["SubnetId"]
    igw = igw_for(ec2, vpc)

    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    assert route_map(describe_rt(ec2, rtb)) == {"10.0.0.0/16": "local", norm(block): "local",
                                                "0.0.0.0/0": igw, "::/0": igw}
    assert route_map(main_route_table(ec2, vpc)) == {"10.0.0.0/16": "local", norm(block): "local"}
    assert explicit_rt_of(ec2, subnet) == rtb

    # WebServerSG (L860-887): 80/443 from anywhere (v4 + v6), 22 and 3389 from the admin range; outbound default
    web = ec2.create_security_group(GroupName="WebServerSG", Description="web servers", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        tcp(80, cidr="0.0.0.0/0", cidr6="::/0"), tcp(443, cidr="0.0.0.0/0", cidr6="::/0"),
        tcp(22, cidr=HOME), tcp(3389, cidr=HOME)])
    g = sg(ec2, web)
    assert rule_set(g["IpPermissions"]) == {("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 80, 80, "::/0"),
                                            ("tcp", 443, 443, "0.0.0.0/0"), ("tcp", 443, 443, "::/0"),
                                            ("tcp", 22, 22, HOME), ("tcp", 3389, 3389, HOME)}
    # SG-11: allow-all outbound; in a VPC with IPv6 AWS may add the ::/0 twin (S13 (b), L3642) [uncertain]
    egress = rule_set(g["IpPermissionsEgress"])
    assert ("-1", None, None, "0.0.0.0/0") in egress
    assert egress <= {("-1", None, None, "0.0.0.0/0"), ("-1", None, None, "::/0")}

    # the instance: 10.0.0.6 and <subnet /64>::123, no public IPv4 in a nondefault subnet until the EIP (S1 step 4)
    want6 = str(ipaddress.IPv6Network(sub64)[0x123])
    inst = run(ec2, SubnetId=subnet, SecurityGroupIds=[web], PrivateIpAddress="10.0.0.6",
               Ipv6Addresses=[{"Ipv6Address": want6}])
    iid = inst["InstanceId"]
    assert inst["PrivateIpAddress"] == "10.0.0.6"
    assert [str(ipaddress.IPv6Address(a)) for a in v6(inst)] == [want6]
    assert "PublicIpAddress" not in inst
    assert {x["GroupId"] for x in inst["SecurityGroups"]} == {web}

    alloc = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=iid)
    inst = inst_of(ec2, iid)
    assert inst["PublicIpAddress"] == alloc["PublicIp"]
    addr = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"][0]
    assert addr["InstanceId"] == iid and addr["PrivateIpAddress"] == "10.0.0.6"

    # the group and the subnet are in use (AA6, AA2)
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=web)
    assert_error("DependencyViolation", ec2.delete_subnet, SubnetId=subnet)

    # cleanup (S1 step 6): terminate, release the EIP, then the VPC's pieces
    terminate_all(ec2, iid)
    wait_until(lambda: "AssociationId" not in ec2.describe_addresses(
        AllocationIds=[alloc["AllocationId"]])["Addresses"][0], timeout=60)
    ec2.release_address(AllocationId=alloc["AllocationId"])
    ec2.delete_security_group(GroupId=web)
    ec2.delete_subnet(SubnetId=subnet)
    ec2.delete_route_table(RouteTableId=rtb)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    ec2.delete_vpc(VpcId=vpc)


# ---------------------------------------------------------------- S4: public + private subnets with NAT

@pytest.fixture
def s4(ec2):
    """S4's network (L920-998): dual-stack VPC, public 10.0.0.0/24 + …00::/64, private 10.0.1.0/24 + …01::/64,
    IGW, EIGW, public custom RT (igw for both families), main RT ::/0 -> eigw."""
    vpc, block = dual_stack_vpc(ec2)
    pub64, priv64 = nth_subnet64(block, 0), nth_subnet64(block, 1)
    public = create_subnet(ec2, vpc, "10.0.0.0/24", Ipv6CidrBlock=pub64, AvailabilityZone="us-east-1a")["SubnetId"]
    private = create_subnet(ec2, vpc, "10.0.1.0/24", Ipv6CidrBlock=priv64,
                            AvailabilityZone="us-east-1a")["SubnetId"]
    igw = igw_for(ec2, vpc)
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"]
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.create_route(RouteTableId=public_rt, DestinationIpv6CidrBlock="::/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    main = main_route_table(ec2, vpc)["RouteTableId"]
    ec2.create_route(RouteTableId=main, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw)
    return dict(vpc=vpc, block=block, pub64=pub64, priv64=priv64, public=public, private=private, igw=igw,
                eigw=eigw, public_rt=public_rt, main=main)


def drop_default_egress(ec2, gid):
    """Revoke the default allow-all outbound rule(s) of a new group (IPv4, and IPv6 if the VPC added one)."""
    perms = [p for p in sg(ec2, gid)["IpPermissionsEgress"] if p["IpProtocol"] == "-1"]
    ec2.revoke_security_group_egress(GroupId=gid, IpPermissions=[
        {k: v for k, v in p.items() if k in ("IpProtocol", "IpRanges", "Ipv6Ranges")} for p in perms])
    assert sg(ec2, gid)["IpPermissionsEgress"] == []


def s4_groups(ec2, vpc):
    """WebServerSG and DBServerSG of S4 (L1019-1047); default outbound rules replaced."""
    web = ec2.create_security_group(GroupName="WebServerSG", Description="web", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName="DBServerSG", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        tcp(80, cidr="0.0.0.0/0"), tcp(443, cidr="0.0.0.0/0"), tcp(22, cidr=HOME), tcp(3389, cidr=HOME)])
    drop_default_egress(ec2, web)
    ec2.authorize_security_group_egress(GroupId=web, IpPermissions=[
        tcp(1433, group=db), tcp(3306, group=db), tcp(80, cidr="0.0.0.0/0"), tcp(443, cidr="0.0.0.0/0")])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[tcp(1433, group=web), tcp(3306, group=web)])
    drop_default_egress(ec2, db)
    ec2.authorize_security_group_egress(GroupId=db, IpPermissions=[tcp(80, cidr="0.0.0.0/0"),
                                                                   tcp(443, cidr="0.0.0.0/0")])
    return web, db


def test_s4_public_and_private_subnets(ec2, s4):
    """S4 (L889-1109): web 10.0.0.5 with an EIP in the public subnet, db 10.0.1.5 without a public address in the
    private one; security groups referencing each other; additional subnets default to the (private) main RT."""
    n = s4
    assert route_map(describe_rt(ec2, n["public_rt"])) == {"10.0.0.0/16": "local", norm(n["block"]): "local",
                                                           "0.0.0.0/0": n["igw"], "::/0": n["igw"]}
    assert route_map(describe_rt(ec2, n["main"]))["::/0"] == n["eigw"]
    assert explicit_rt_of(ec2, n["private"]) is None      # implicit main association (L954)

    web, db = s4_groups(ec2, n["vpc"])
    assert rule_set(sg(ec2, web)["IpPermissions"]) == {("tcp", 80, 80, "0.0.0.0/0"), ("tcp", 443, 443, "0.0.0.0/0"),
                                                       ("tcp", 22, 22, HOME), ("tcp", 3389, 3389, HOME)}
    assert rule_set(sg(ec2, web)["IpPermissionsEgress"]) == {("tcp", 1433, 1433, db), ("tcp", 3306, 3306, db),
                                                             ("tcp", 80, 80, "0.0.0.0/0"),
                                                             ("tcp", 443, 443, "0.0.0.0/0")}
    assert rule_set(sg(ec2, db)["IpPermissions"]) == {("tcp", 1433, 1433, web), ("tcp", 3306, 3306, web)}
    assert rule_set(sg(ec2, db)["IpPermissionsEgress"]) == {("tcp", 80, 80, "0.0.0.0/0"),
                                                            ("tcp", 443, 443, "0.0.0.0/0")}

    web_i = run(ec2, SubnetId=n["public"], SecurityGroupIds=[web], PrivateIpAddress="10.0.0.5",
                Ipv6Addresses=[{"Ipv6Address": str(ipaddress.IPv6Network(n["pub64"])[0x1a])}])
    db_i = run(ec2, SubnetId=n["private"], SecurityGroupIds=[db], PrivateIpAddress="10.0.1.5", Ipv6AddressCount=1)
    assert web_i["PrivateIpAddress"] == "10.0.0.5" and db_i["PrivateIpAddress"] == "10.0.1.5"
    assert ipaddress.IPv6Address(v6(db_i)[0]) in ipaddress.IPv6Network(n["priv64"])
    assert "PublicIpAddress" not in web_i and "PublicIpAddress" not in db_i     # E1: nondefault subnets
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=web_i["InstanceId"])
    assert inst_of(ec2, web_i["InstanceId"])["PublicIpAddress"] == eip["PublicIp"]
    assert "PublicIpAddress" not in inst_of(ec2, db_i["InstanceId"])

    # a further subnet uses the main (private) route table (L954)
    extra = create_subnet(ec2, n["vpc"], "10.0.2.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    assert explicit_rt_of(ec2, extra) is None

    # groups referenced by the other and used by instances cannot go (AA6)
    assert_error("DependencyViolation", ec2.delete_security_group, GroupId=db)
    assert_error("DependencyViolation", ec2.delete_vpc, VpcId=n["vpc"])
    terminate_all(ec2, web_i["InstanceId"], db_i["InstanceId"])


def test_s4_nat_gateway(ec2, s4):
    """S4 with a NAT gateway: its own EIP (must be unassociated), in the public subnet; main RT 0.0.0.0/0 -> nat;
    the private instance still has no public address; deleting the gateway leaves the route blackhole (G13)."""
    n = s4
    eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=n["public"], AllocationId=eip["AllocationId"],
                                 TagSpecifications=tag_spec("natgateway", Name="s4"))["NatGateway"]["NatGatewayId"]
    g = wait_until(lambda: (lambda x: x if x["State"] == "available" else None)(
        ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]), timeout=60)
    assert g["SubnetId"] == n["public"] and g["VpcId"] == n["vpc"]
    assert g["NatGatewayAddresses"][0]["PublicIp"] == eip["PublicIp"]
    assert g["NatGatewayAddresses"][0]["AllocationId"] == eip["AllocationId"]
    ec2.create_route(RouteTableId=n["main"], DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    assert route_map(describe_rt(ec2, n["main"])) == {"10.0.0.0/16": "local", norm(n["block"]): "local",
                                                      "0.0.0.0/0": nat, "::/0": n["eigw"]}
    db_i = run(ec2, SubnetId=n["private"], PrivateIpAddress="10.0.1.5")
    assert "PublicIpAddress" not in db_i
    # the NAT gateway's EIP is in use: not for an instance (precondition L1088 works both ways)
    assert_error("Resource.AlreadyAssociated", ec2.associate_address, AllocationId=eip["AllocationId"],
                 InstanceId=db_i["InstanceId"], AllowReassociation=False)
    terminate_all(ec2, db_i["InstanceId"])
    ec2.delete_nat_gateway(NatGatewayId=nat)
    wait_until(lambda: ec2.describe_nat_gateways(NatGatewayIds=[nat])["NatGateways"][0]["State"] == "deleted",
               timeout=60)
    assert route_for(describe_rt(ec2, n["main"]), "0.0.0.0/0")["State"] == "blackhole"


def test_s4_nat_instance_variant(ec2, s4):
    """S4 NAT-instance variant (L1090-1109, L8552, L8644): launched with the default SG and switched to NATSG;
    SrcDestCheck off; main RT 0.0.0.0/0 -> the instance."""
    n = s4
    nat_sg = ec2.create_security_group(GroupName="NATSG", Description="nat", VpcId=n["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=nat_sg, IpPermissions=[
        tcp(80, cidr="10.0.1.0/24"), tcp(443, cidr="10.0.1.0/24"), tcp(22, cidr=HOME)])
    drop_default_egress(ec2, nat_sg)
    ec2.authorize_security_group_egress(GroupId=nat_sg, IpPermissions=[tcp(80, cidr="0.0.0.0/0"),
                                                                       tcp(443, cidr="0.0.0.0/0")])
    nat_i = run(ec2, SubnetId=n["public"])
    iid = nat_i["InstanceId"]
    assert {g["GroupId"] for g in nat_i["SecurityGroups"]} == {default_sg(ec2, n["vpc"])["GroupId"]}
    ec2.modify_instance_attribute(InstanceId=iid, Groups=[nat_sg])
    ec2.modify_instance_attribute(InstanceId=iid, SourceDestCheck={"Value": False})
    now = inst_of(ec2, iid)
    assert {g["GroupId"] for g in now["SecurityGroups"]} == {nat_sg}
    assert now["SourceDestCheck"] is False
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=iid)
    ec2.create_route(RouteTableId=n["main"], DestinationCidrBlock="0.0.0.0/0", InstanceId=iid)
    r = route_for(describe_rt(ec2, n["main"]), "0.0.0.0/0")
    assert r["InstanceId"] == iid and r["State"] == "active"
    db_i = run(ec2, SubnetId=n["private"])
    assert "PublicIpAddress" not in db_i
    terminate_all(ec2, iid, db_i["InstanceId"])
    assert route_for(describe_rt(ec2, n["main"]), "0.0.0.0/0")["State"] == "blackhole"   # G13


# ---------------------------------------------------------------- S5 / S6: VPN scenarios without the VPN

def test_s5_public_and_vpn_only_subnets_without_vpn(ec2):
    """S5 (L1111-1326) without the VGW/CGW: public subnet routed to the IGW by a custom RT, the 'VPN-only' subnet on
    the main RT (local only here); web 10.0.0.5 with an EIP, db 10.0.1.5 without public address; DBServerSG allows
    1433/3306 from WebServerSG and 22/3389 from the corporate range. Alternate routing (L1198-1211) with a NAT
    gateway when available."""
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    public = create_subnet(ec2, vpc, "10.0.0.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    vpn_only = create_subnet(ec2, vpc, "10.0.1.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    igw = igw_for(ec2, vpc)
    public_rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=public_rt, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    ec2.associate_route_table(RouteTableId=public_rt, SubnetId=public)
    main = main_route_table(ec2, vpc)["RouteTableId"]
    assert route_map(describe_rt(ec2, public_rt)) == {"10.0.0.0/16": "local", "0.0.0.0/0": igw}
    assert route_map(describe_rt(ec2, main)) == {"10.0.0.0/16": "local"}

    web = ec2.create_security_group(GroupName="WebServerSG", Description="web", VpcId=vpc)["GroupId"]
    db = ec2.create_security_group(GroupName="DBServerSG", Description="db", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[tcp(80, cidr="0.0.0.0/0"),
                                                                     tcp(443, cidr="0.0.0.0/0")])
    ec2.authorize_security_group_ingress(GroupId=db, IpPermissions=[
        tcp(1433, group=web), tcp(3306, group=web), tcp(22, cidr=CORPORATE), tcp(3389, cidr=CORPORATE)])
    assert rule_set(sg(ec2, db)["IpPermissions"]) == {("tcp", 1433, 1433, web), ("tcp", 3306, 3306, web),
                                                      ("tcp", 22, 22, CORPORATE), ("tcp", 3389, 3389, CORPORATE)}
    web_i = run(ec2, SubnetId=public, SecurityGroupIds=[web], PrivateIpAddress="10.0.0.5")
    db_i = run(ec2, SubnetId=vpn_only, SecurityGroupIds=[db], PrivateIpAddress="10.0.1.5")
    eip = ec2.allocate_address(Domain="vpc")
    ec2.associate_address(AllocationId=eip["AllocationId"], InstanceId=web_i["InstanceId"])
    assert inst_of(ec2, web_i["InstanceId"])["PublicIpAddress"] == eip["PublicIp"]
    assert "PublicIpAddress" not in inst_of(ec2, db_i["InstanceId"])

    nat_eip = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=nat_eip["AllocationId"])["NatGateway"]["NatGatewayId"]
    ec2.create_route(RouteTableId=main, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat)
    assert route_map(describe_rt(ec2, main)) == {"10.0.0.0/16": "local", "0.0.0.0/0": nat}
    terminate_all(ec2, web_i["InstanceId"], db_i["InstanceId"])


def test_s6_private_subnet_only_without_vpn(ec2):
    """S6 (L1328-1422) without the VGW: no IGW; instances 10.0.0.5/.6/.7 with the default SG (inbound from itself,
    outbound all), plus SSH/RDP from the corporate range; no public addresses, and an EIP cannot be associated
    without an internet gateway (EIP-17)."""
    vpc = create_vpc(ec2, "10.0.0.0/16")["VpcId"]
    subnet = create_subnet(ec2, vpc, "10.0.0.0/24", AvailabilityZone="us-east-1a")["SubnetId"]
    dsg = default_sg(ec2, vpc)
    gid = dsg["GroupId"]
    assert rule_set(dsg["IpPermissions"]) == {("-1", None, None, gid)}
    assert rule_set(dsg["IpPermissionsEgress"]) == {("-1", None, None, "0.0.0.0/0")}
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, cidr=CORPORATE),
                                                                     tcp(3389, cidr=CORPORATE)])
    insts = [run(ec2, SubnetId=subnet, PrivateIpAddress=f"10.0.0.{h}") for h in (5, 6, 7)]
    assert [i["PrivateIpAddress"] for i in insts] == ["10.0.0.5", "10.0.0.6", "10.0.0.7"]
    for i in insts:
        assert {g["GroupId"] for g in i["SecurityGroups"]} == {gid}
        assert "PublicIpAddress" not in i
    assert route_map(main_route_table(ec2, vpc)) == {"10.0.0.0/16": "local"}
    eip = ec2.allocate_address(Domain="vpc")
    assert_error("Gateway.NotAttached", ec2.associate_address, AllocationId=eip["AllocationId"],
                 InstanceId=insts[0]["InstanceId"])
    terminate_all(ec2, *[i["InstanceId"] for i in insts])


# ---------------------------------------------------------------- S9: CLI walk-through, IPv4 (full)

def cli_error(result):
    assert getattr(result, "returncode", 0) != 0, f"expected the command to fail, got {result!r}"
    return result.stderr


def cli_instance(aws_cli, iid):
    return aws_cli("describe-instances", "--instance-ids", iid)["Reservations"][0]["Instances"][0]


def cli_wait_state(aws_cli, iid, name, timeout=60):
    return wait_until(lambda: (lambda i: i if i["State"]["Name"] == name else None)(cli_instance(aws_cli, iid)),
                      timeout=timeout, interval=0.5)


def test_s9_ipv4_walkthrough_with_instance(aws_cli):
    """S9 (L1543-1838) in full: steps 1-6, step 7 (SSHAccess group, run-instances -> running, code 16, with a public
    IPv4) and the step 8 cleanup order with terminate-instances first."""
    vpc_id = aws_cli("create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    s1 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.1.0/24")["Subnet"]["SubnetId"]
    s2 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.0.0/24")["Subnet"]["SubnetId"]
    igw_id = aws_cli("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    aws_cli("attach-internet-gateway", "--vpc-id", vpc_id, "--internet-gateway-id", igw_id)
    rtb_id = aws_cli("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    assert aws_cli("create-route", "--route-table-id", rtb_id, "--destination-cidr-block", "0.0.0.0/0",
                   "--gateway-id", igw_id)["Return"] is True
    rt = aws_cli("describe-route-tables", "--route-table-ids", rtb_id)["RouteTables"][0]
    assert rt["Associations"] == [] and rt.get("PropagatingVgws", []) == []
    assert routes(rt)["10.0.0.0/16"] == {"GatewayId": "local", "DestinationCidrBlock": "10.0.0.0/16",
                                         "State": "active", "Origin": "CreateRouteTable"}
    assert routes(rt)["0.0.0.0/0"] == {"GatewayId": igw_id, "DestinationCidrBlock": "0.0.0.0/0",
                                       "State": "active", "Origin": "CreateRoute"}
    found = aws_cli("describe-subnets", "--filters", f"Name=vpc-id,Values={vpc_id}",
                    "--query", "Subnets[*].{ID:SubnetId,CIDR:CidrBlock}")
    assert sorted((x["CIDR"], x["ID"]) for x in found) == sorted([("10.0.1.0/24", s1), ("10.0.0.0/24", s2)])
    aws_cli("associate-route-table", "--subnet-id", s1, "--route-table-id", rtb_id)
    aws_cli("modify-subnet-attribute", "--subnet-id", s1, "--map-public-ip-on-launch")

    # 7. key pair, SSHAccess security group, run-instances
    key = aws_cli("create-key-pair", "--key-name", "MyKeyPair")
    assert key["KeyName"] == "MyKeyPair" and "BEGIN" in key["KeyMaterial"]
    sg_id = aws_cli("create-security-group", "--group-name", "SSHAccess", "--description",
                    "Security group for SSH access", "--vpc-id", vpc_id)["GroupId"]
    assert sg_id.startswith("sg-")
    aws_cli("authorize-security-group-ingress", "--group-id", sg_id, "--protocol", "tcp", "--port", "22",
            "--cidr", "0.0.0.0/0")
    g = aws_cli("describe-security-groups", "--group-ids", sg_id)["SecurityGroups"][0]
    assert rule_set(g["IpPermissions"]) == {("tcp", 22, 22, "0.0.0.0/0")}
    out = aws_cli("run-instances", "--image-id", "ami-a4827dc9", "--count", "1", "--instance-type", "t2.micro",
                  "--key-name", "MyKeyPair", "--security-group-ids", sg_id, "--subnet-id", s1)
    iid = out["Instances"][0]["InstanceId"]
    assert out["Instances"][0]["State"] == {"Code": 0, "Name": "pending"}
    inst = cli_wait_state(aws_cli, iid, "running")
    assert inst["State"] == {"Code": 16, "Name": "running"}
    pub = inst["PublicIpAddress"]
    ipaddress.IPv4Address(pub)
    assert inst["SubnetId"] == s1 and inst["KeyName"] == "MyKeyPair"
    assert ipaddress.IPv4Address(inst["PrivateIpAddress"]) in ipaddress.IPv4Network("10.0.1.0/24")
    assert [x["GroupId"] for x in inst["SecurityGroups"]] == [sg_id]
    # the --query form of the guide (L1776)
    q = aws_cli("describe-instances", "--instance-id", iid, "--query",
                "Reservations[*].Instances[*].{State:State.Name,Address:PublicIpAddress}")
    assert q == [[{"State": "running", "Address": pub}]]

    # negatives: AA1, AA5, AA6, AA2
    assert "DependencyViolation" in cli_error(aws_cli("delete-vpc", "--vpc-id", vpc_id, check=False))
    assert "DependencyViolation" in cli_error(
        aws_cli("delete-internet-gateway", "--internet-gateway-id", igw_id, check=False))
    assert "DependencyViolation" in cli_error(aws_cli("delete-security-group", "--group-id", sg_id, check=False))
    assert "DependencyViolation" in cli_error(aws_cli("delete-subnet", "--subnet-id", s1, check=False))
    # AA5: the IGW cannot be detached while the VPC has a public address mapped
    assert "DependencyViolation" in cli_error(aws_cli("detach-internet-gateway", "--internet-gateway-id", igw_id,
                                                      "--vpc-id", vpc_id, check=False))

    # 8. cleanup: terminate -> SG -> subnets -> route table -> detach IGW -> delete IGW -> VPC
    t = aws_cli("terminate-instances", "--instance-ids", iid)["TerminatingInstances"][0]
    assert t["InstanceId"] == iid and t["CurrentState"]["Name"] == "shutting-down"
    assert t["PreviousState"] == {"Code": 16, "Name": "running"}
    cli_wait_state(aws_cli, iid, "terminated")
    wait_until(lambda: aws_cli("describe-network-interfaces", "--filters",
                               f"Name=subnet-id,Values={s1}")["NetworkInterfaces"] == [], timeout=60)
    aws_cli("delete-security-group", "--group-id", sg_id)
    aws_cli("delete-subnet", "--subnet-id", s1)
    aws_cli("delete-subnet", "--subnet-id", s2)
    aws_cli("delete-route-table", "--route-table-id", rtb_id)
    aws_cli("detach-internet-gateway", "--internet-gateway-id", igw_id, "--vpc-id", vpc_id)
    aws_cli("delete-internet-gateway", "--internet-gateway-id", igw_id)
    aws_cli("delete-vpc", "--vpc-id", vpc_id)
    aws_cli("delete-key-pair", "--key-name", "MyKeyPair")
    assert "InvalidVpcID.NotFound" in cli_error(aws_cli("describe-vpcs", "--vpc-ids", vpc_id, check=False))
    # the terminated instance stays visible
    assert cli_instance(aws_cli, iid)["State"] == {"Code": 48, "Name": "terminated"}


# ---------------------------------------------------------------- S10: CLI walk-through, IPv6 (full)

def test_s10_ipv6_walkthrough_with_instances(aws_cli):
    """S10 (L1840-2346) in full: dual-stack VPC and subnets, IGW + ::/0 public RT, EIGW + private RT, auto-assign
    IPv6, public SG (SSH from ::/0) and instance with an IPv6 address from the first /64, private SG (SSH from the
    public instance's /128 and ICMPv6 from ::/0) and instance in the second /64; cleanup in the guide's order."""
    vpc_id = aws_cli("create-vpc", "--cidr-block", "10.0.0.0/16", "--amazon-provided-ipv6-cidr-block")["Vpc"]["VpcId"]

    def assoc6():
        v = aws_cli("describe-vpcs", "--vpc-ids", vpc_id)["Vpcs"][0]
        for a in v.get("Ipv6CidrBlockAssociationSet", []):
            if a["Ipv6CidrBlockState"]["State"] == "associated":
                return a
    a6 = wait_until(assoc6)
    assert a6["AssociationId"].startswith("vpc-cidr-assoc-")
    block = ipaddress.IPv6Network(a6["Ipv6CidrBlock"])
    assert block.prefixlen == 56
    sub64 = [nth_subnet64(str(block), n) for n in (0, 1)]

    s1 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.0.0/24",
                 "--ipv6-cidr-block", sub64[0])["Subnet"]["SubnetId"]
    s2 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.1.0/24",
                 "--ipv6-cidr-block", sub64[1])["Subnet"]["SubnetId"]

    igw_id = aws_cli("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    aws_cli("attach-internet-gateway", "--vpc-id", vpc_id, "--internet-gateway-id", igw_id)
    public_rtb = aws_cli("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    aws_cli("create-route", "--route-table-id", public_rtb, "--destination-ipv6-cidr-block", "::/0",
            "--gateway-id", igw_id)
    rs = routes(aws_cli("describe-route-tables", "--route-table-ids", public_rtb)["RouteTables"][0])
    assert set(rs) == {"10.0.0.0/16", str(block), "::/0"}
    assert rs[str(block)]["GatewayId"] == "local" and rs[str(block)]["Origin"] == "CreateRouteTable"
    assert rs["::/0"]["GatewayId"] == igw_id
    aws_cli("associate-route-table", "--subnet-id", s1, "--route-table-id", public_rtb)

    eigw_id = aws_cli("create-egress-only-internet-gateway", "--vpc-id", vpc_id)["EgressOnlyInternetGateway"][
        "EgressOnlyInternetGatewayId"]
    private_rtb = aws_cli("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    aws_cli("create-route", "--route-table-id", private_rtb, "--destination-ipv6-cidr-block", "::/0",
            "--egress-only-internet-gateway-id", eigw_id)
    aws_cli("associate-route-table", "--subnet-id", s2, "--route-table-id", private_rtb)

    for s in (s1, s2):
        aws_cli("modify-subnet-attribute", "--subnet-id", s, "--assign-ipv6-address-on-creation")

    # 6. public SG: SSH from ::/0; public instance gets an IPv6 address of the first /64
    pub_sg = aws_cli("create-security-group", "--group-name", "SSHAccess", "--description",
                     "Allow SSH access", "--vpc-id", vpc_id)["GroupId"]
    aws_cli("authorize-security-group-ingress", "--group-id", pub_sg, "--ip-permissions",
            '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"Ipv6Ranges":[{"CidrIpv6":"::/0"}]}]')
    assert rule_set(aws_cli("describe-security-groups", "--group-ids", pub_sg)["SecurityGroups"][0][
        "IpPermissions"]) == {("tcp", 22, 22, "::/0")}
    aws_cli("create-key-pair", "--key-name", "MyKeyPair")
    out = aws_cli("run-instances", "--image-id", "ami-0de53d8956e8dcf80", "--count", "1", "--instance-type",
                  "t2.micro", "--key-name", "MyKeyPair", "--security-group-ids", pub_sg, "--subnet-id", s1)
    pub_iid = out["Instances"][0]["InstanceId"]
    pub_i = cli_wait_state(aws_cli, pub_iid, "running")
    assert pub_i["State"]["Code"] == 16
    pub6 = [a["Ipv6Address"] for a in pub_i["NetworkInterfaces"][0]["Ipv6Addresses"]]
    assert len(pub6) == 1 and ipaddress.IPv6Address(pub6[0]) in ipaddress.IPv6Network(sub64[0])   # E2
    assert "PublicIpAddress" not in pub_i            # no IPv4 auto-assign in these subnets (E1)
    q = aws_cli("describe-instances", "--instance-id", pub_iid, "--query",
                "Reservations[*].Instances[*].NetworkInterfaces[*].Ipv6Addresses")
    assert [x["Ipv6Address"] for x in q[0][0][0]] == pub6

    # 7. private SG: SSH from the public instance's /128 and ICMPv6 from ::/0; private instance in the second /64
    priv_sg = aws_cli("create-security-group", "--group-name", "PrivateSSH", "--description",
                      "SSH from the public instance", "--vpc-id", vpc_id)["GroupId"]
    src = f"{pub6[0]}/128"
    aws_cli("authorize-security-group-ingress", "--group-id", priv_sg, "--ip-permissions",
            '[{"IpProtocol":"tcp","FromPort":22,"ToPort":22,"Ipv6Ranges":[{"CidrIpv6":"%s"}]},'
            '{"IpProtocol":"58","FromPort":-1,"ToPort":-1,"Ipv6Ranges":[{"CidrIpv6":"::/0"}]}]' % src)
    perms = aws_cli("describe-security-groups", "--group-ids", priv_sg)["SecurityGroups"][0]["IpPermissions"]
    assert rule_set(perms) == {("tcp", 22, 22, norm(src)), ("58", -1, -1, "::/0")}
    out = aws_cli("run-instances", "--image-id", "ami-0de53d8956e8dcf80", "--count", "1", "--instance-type",
                  "t2.micro", "--key-name", "MyKeyPair", "--security-group-ids", priv_sg, "--subnet-id", s2)
    priv_iid = out["Instances"][0]["InstanceId"]
    priv_i = cli_wait_state(aws_cli, priv_iid, "running")
    priv6 = [a["Ipv6Address"] for a in priv_i["NetworkInterfaces"][0]["Ipv6Addresses"]]
    assert len(priv6) == 1 and ipaddress.IPv6Address(priv6[0]) in ipaddress.IPv6Network(sub64[1])
    assert "PublicIpAddress" not in priv_i
    # the private subnet's route table: ::/0 -> eigw, no IGW route (inbound from the internet impossible, L2288)
    rs = routes(aws_cli("describe-route-tables", "--filters", f"Name=association.subnet-id,Values={s2}")[
        "RouteTables"][0])
    assert rs["::/0"].get("EgressOnlyInternetGatewayId") == eigw_id and "GatewayId" not in rs["::/0"]

    # negatives
    assert "DependencyViolation" in cli_error(aws_cli("delete-security-group", "--group-id", priv_sg, check=False))
    assert "DependencyViolation" in cli_error(aws_cli("delete-subnet", "--subnet-id", s2, check=False))
    # AA4: the subnet's IPv6 block cannot go while addresses are assigned from it
    cidr_assoc = aws_cli("describe-subnets", "--subnet-ids", s2)["Subnets"][0]["Ipv6CidrBlockAssociationSet"][0][
        "AssociationId"]
    assert cli_error(aws_cli("disassociate-subnet-cidr-block", "--association-id", cidr_assoc, check=False))

    # 9. cleanup: terminate -> 2 SGs -> 2 subnets -> 2 RTs -> detach IGW -> delete IGW -> delete EIGW -> VPC
    aws_cli("terminate-instances", "--instance-ids", pub_iid, priv_iid)
    cli_wait_state(aws_cli, pub_iid, "terminated")
    cli_wait_state(aws_cli, priv_iid, "terminated")
    wait_until(lambda: aws_cli("describe-network-interfaces", "--filters",
                               f"Name=vpc-id,Values={vpc_id}")["NetworkInterfaces"] == [], timeout=60)
    aws_cli("delete-security-group", "--group-id", pub_sg)
    aws_cli("delete-security-group", "--group-id", priv_sg)
    aws_cli("delete-subnet", "--subnet-id", s1)
    aws_cli("delete-subnet", "--subnet-id", s2)
    aws_cli("delete-route-table", "--route-table-id", public_rtb)
    aws_cli("delete-route-table", "--route-table-id", private_rtb)
    aws_cli("detach-internet-gateway", "--internet-gateway-id", igw_id, "--vpc-id", vpc_id)
    aws_cli("delete-internet-gateway", "--internet-gateway-id", igw_id)
    assert "DependencyViolation" in cli_error(aws_cli("delete-vpc", "--vpc-id", vpc_id, check=False))
    aws_cli("delete-egress-only-internet-gateway", "--egress-only-internet-gateway-id", eigw_id)
    aws_cli("delete-vpc", "--vpc-id", vpc_id)
    aws_cli("delete-key-pair", "--key-name", "MyKeyPair")
    assert "InvalidVpcID.NotFound" in cli_error(aws_cli("describe-vpcs", "--vpc-ids", vpc_id, check=False))
