"""The guide's CLI walk-throughs, driven through the real aws CLI (`aws_cli` fixture).

S9 (IPv4) and S10 (IPv6) of shared/spec/inventory-vpc-guide.md, control plane only: security groups and
instances (S9 step 7, S10 steps 6-8) belong to a later issue, so they are left out, including their cleanup steps.
Negative tests implied by S9: AA1 (delete the VPC too early) and AA5 (delete an attached IGW).
"""
import ipaddress

from helpers import norm, wait_until


def cli_error(result):
    """The aws CLI's stderr for a failed call (check=False returns the CompletedProcess)."""
    assert getattr(result, "returncode", 0) != 0, f"expected the command to fail, got {result!r}"
    return result.stderr


def routes_by_dest(rt):
    return {norm(r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")): r for r in rt["Routes"]}


def test_s9_ipv4_walkthrough(aws_cli):
    """S9 steps 1-6 and the step 8 cleanup order (without the security group and instance)."""
    # 1. VPC
    vpc = aws_cli("create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]
    vpc_id = vpc["VpcId"]
    assert vpc_id.startswith("vpc-") and vpc["CidrBlock"] == "10.0.0.0/16"

    # 2. two subnets
    s1 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.1.0/24")["Subnet"]
    s2 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.0.0/24")["Subnet"]
    assert s1["AvailableIpAddressCount"] == 251 and s2["AvailableIpAddressCount"] == 251  # A5

    # 3. internet gateway, attached
    igw_id = aws_cli("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    assert igw_id.startswith("igw-")
    aws_cli("attach-internet-gateway", "--vpc-id", vpc_id, "--internet-gateway-id", igw_id)

    # 4. custom route table with a default route to the IGW
    rtb_id = aws_cli("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    out = aws_cli("create-route", "--route-table-id", rtb_id, "--destination-cidr-block", "0.0.0.0/0",
                  "--gateway-id", igw_id)
    assert out["Return"] is True

    # 5. describe-route-tables: no associations, no propagating VGWs, local + igw routes (L1650-1675)
    rt = aws_cli("describe-route-tables", "--route-table-ids", rtb_id)["RouteTables"][0]
    assert rt["Associations"] == []
    assert rt.get("PropagatingVgws", []) == []
    routes = routes_by_dest(rt)
    assert routes["10.0.0.0/16"] == {"GatewayId": "local", "DestinationCidrBlock": "10.0.0.0/16",
                                     "State": "active", "Origin": "CreateRouteTable"}
    assert routes["0.0.0.0/0"] == {"GatewayId": igw_id, "DestinationCidrBlock": "0.0.0.0/0",
                                   "State": "active", "Origin": "CreateRoute"}

    # 6. find the subnets with a filter + --query, associate 10.0.1.0/24, make it public
    found = aws_cli("describe-subnets", "--filters", f"Name=vpc-id,Values={vpc_id}",
                    "--query", "Subnets[*].{ID:SubnetId,CIDR:CidrBlock}")
    assert sorted((x["CIDR"], x["ID"]) for x in found) == sorted(
        [("10.0.1.0/24", s1["SubnetId"]), ("10.0.0.0/24", s2["SubnetId"])])
    assoc = aws_cli("associate-route-table", "--subnet-id", s1["SubnetId"], "--route-table-id", rtb_id)
    assert assoc["AssociationId"].startswith("rtbassoc-")
    aws_cli("modify-subnet-attribute", "--subnet-id", s1["SubnetId"], "--map-public-ip-on-launch")
    sub = aws_cli("describe-subnets", "--subnet-ids", s1["SubnetId"])["Subnets"][0]
    assert sub["MapPublicIpOnLaunch"] is True

    # negative (AA1): the VPC cannot go before its dependencies
    assert "DependencyViolation" in cli_error(aws_cli("delete-vpc", "--vpc-id", vpc_id, check=False))
    # negative (AA5): an attached IGW cannot be deleted
    assert "DependencyViolation" in cli_error(
        aws_cli("delete-internet-gateway", "--internet-gateway-id", igw_id, check=False))
    # negative (AA8): an associated route table cannot be deleted
    assert "DependencyViolation" in cli_error(aws_cli("delete-route-table", "--route-table-id", rtb_id, check=False))

    # 8. cleanup order: subnets → route table → detach IGW → delete IGW → VPC (SG step omitted)
    aws_cli("delete-subnet", "--subnet-id", s1["SubnetId"])
    aws_cli("delete-subnet", "--subnet-id", s2["SubnetId"])
    aws_cli("delete-route-table", "--route-table-id", rtb_id)
    assert "DependencyViolation" in cli_error(aws_cli("delete-vpc", "--vpc-id", vpc_id, check=False))
    aws_cli("detach-internet-gateway", "--internet-gateway-id", igw_id, "--vpc-id", vpc_id)
    aws_cli("delete-internet-gateway", "--internet-gateway-id", igw_id)
    aws_cli("delete-vpc", "--vpc-id", vpc_id)
    assert "InvalidVpcID.NotFound" in cli_error(aws_cli("describe-vpcs", "--vpc-ids", vpc_id, check=False))


def test_s10_ipv6_walkthrough(aws_cli):
    """S10 steps 1-5 and the step 9 cleanup (without security groups and instances)."""
    # 1. dual-stack VPC
    vpc_id = aws_cli("create-vpc", "--cidr-block", "10.0.0.0/16", "--amazon-provided-ipv6-cidr-block")["Vpc"]["VpcId"]

    def v6():
        v = aws_cli("describe-vpcs", "--vpc-ids", vpc_id)["Vpcs"][0]
        for a in v.get("Ipv6CidrBlockAssociationSet", []):
            if a["Ipv6CidrBlockState"]["State"] == "associated":
                return a
    assoc = wait_until(v6)
    assert assoc["AssociationId"].startswith("vpc-cidr-assoc-")
    block = ipaddress.IPv6Network(assoc["Ipv6CidrBlock"])
    assert block.prefixlen == 56  # C1
    sub64 = [str(ipaddress.IPv6Network((int(block.network_address) + (n << 64), 64))) for n in (0, 1)]

    # 2. two dual-stack subnets (…00::/64 and …01::/64, C2)
    s1 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.0.0/24",
                 "--ipv6-cidr-block", sub64[0])["Subnet"]["SubnetId"]
    s2 = aws_cli("create-subnet", "--vpc-id", vpc_id, "--cidr-block", "10.0.1.0/24",
                 "--ipv6-cidr-block", sub64[1])["Subnet"]["SubnetId"]

    # 3. IGW + public route table with ::/0 → igw
    igw_id = aws_cli("create-internet-gateway")["InternetGateway"]["InternetGatewayId"]
    aws_cli("attach-internet-gateway", "--vpc-id", vpc_id, "--internet-gateway-id", igw_id)
    public_rtb = aws_cli("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    aws_cli("create-route", "--route-table-id", public_rtb, "--destination-ipv6-cidr-block", "::/0",
            "--gateway-id", igw_id)
    rt = aws_cli("describe-route-tables", "--route-table-ids", public_rtb)["RouteTables"][0]
    routes = routes_by_dest(rt)
    assert set(routes) == {"10.0.0.0/16", str(block), "::/0"}  # three routes (L2000-2024)
    assert routes[str(block)]["GatewayId"] == "local"
    assert routes[str(block)]["Origin"] == "CreateRouteTable"
    assert routes["::/0"]["GatewayId"] == igw_id and routes["::/0"]["Origin"] == "CreateRoute"
    assert "0.0.0.0/0" not in routes  # L1975: IPv4 internet needs its own route
    aws_cli("associate-route-table", "--subnet-id", s1, "--route-table-id", public_rtb)

    # 4. EIGW, created attached; private route table ::/0 → eigw for the second subnet
    eigw = aws_cli("create-egress-only-internet-gateway", "--vpc-id", vpc_id)["EgressOnlyInternetGateway"]
    eigw_id = eigw["EgressOnlyInternetGatewayId"]
    assert eigw_id.startswith("eigw-")
    assert eigw["Attachments"] == [{"State": "attached", "VpcId": vpc_id}]
    private_rtb = aws_cli("create-route-table", "--vpc-id", vpc_id)["RouteTable"]["RouteTableId"]
    aws_cli("create-route", "--route-table-id", private_rtb, "--destination-ipv6-cidr-block", "::/0",
            "--egress-only-internet-gateway-id", eigw_id)
    aws_cli("associate-route-table", "--subnet-id", s2, "--route-table-id", private_rtb)
    r = routes_by_dest(aws_cli("describe-route-tables", "--route-table-ids", private_rtb)["RouteTables"][0])["::/0"]
    assert r["EgressOnlyInternetGatewayId"] == eigw_id and r["State"] == "active"

    # 5. auto-assign IPv6 on both subnets
    for s in (s1, s2):
        aws_cli("modify-subnet-attribute", "--subnet-id", s, "--assign-ipv6-address-on-creation")
    subs = aws_cli("describe-subnets", "--subnet-ids", s1, s2)["Subnets"]
    assert all(x["AssignIpv6AddressOnCreation"] for x in subs)

    # negatives (AA1, AA5)
    assert "DependencyViolation" in cli_error(aws_cli("delete-vpc", "--vpc-id", vpc_id, check=False))
    assert "DependencyViolation" in cli_error(
        aws_cli("delete-internet-gateway", "--internet-gateway-id", igw_id, check=False))

    # 9. cleanup: subnets → route tables → detach IGW → delete IGW → delete EIGW → VPC
    aws_cli("delete-subnet", "--subnet-id", s1)
    aws_cli("delete-subnet", "--subnet-id", s2)
    aws_cli("delete-route-table", "--route-table-id", public_rtb)
    aws_cli("delete-route-table", "--route-table-id", private_rtb)
    aws_cli("detach-internet-gateway", "--internet-gateway-id", igw_id, "--vpc-id", vpc_id)
    aws_cli("delete-internet-gateway", "--internet-gateway-id", igw_id)
    # the EIGW is the last dependency (AA13 IPv6 variant)
    assert "DependencyViolation" in cli_error(aws_cli("delete-vpc", "--vpc-id", vpc_id, check=False))
    aws_cli("delete-egress-only-internet-gateway", "--egress-only-internet-gateway-id", eigw_id)
    aws_cli("delete-vpc", "--vpc-id", vpc_id)
    assert "InvalidVpcID.NotFound" in cli_error(aws_cli("describe-vpcs", "--vpc-ids", vpc_id, check=False))


def test_cli_secondary_cidr_s11(aws_cli):
    """S11 through the CLI: 10.0.0.0/16 + 10.2.0.0/16; restricted 192.168.0.0/16 refused."""
    vpc_id = aws_cli("create-vpc", "--cidr-block", "10.0.0.0/16")["Vpc"]["VpcId"]
    out = aws_cli("associate-vpc-cidr-block", "--vpc-id", vpc_id, "--cidr-block", "10.2.0.0/16")
    assert out["CidrBlockAssociation"]["CidrBlock"] == "10.2.0.0/16"
    err = cli_error(aws_cli("associate-vpc-cidr-block", "--vpc-id", vpc_id, "--cidr-block", "192.168.0.0/16",
                            check=False))
    assert "InvalidVpc.Range" in err


def test_cli_default_vpc_s12(aws_cli):
    """S12: create-default-vpc fails while a default VPC exists; create-default-subnet likewise per AZ."""
    assert "DefaultVpcAlreadyExists" in cli_error(aws_cli("create-default-vpc", check=False))
    assert "DefaultSubnetAlreadyExistsInAvailabilityZone" in cli_error(
        aws_cli("create-default-subnet", "--availability-zone", "us-east-1a", check=False))
    vpcs = aws_cli("describe-vpcs", "--filters", "Name=is-default,Values=true")["Vpcs"]
    assert len(vpcs) == 1 and vpcs[0]["CidrBlock"] == "172.31.0.0/16"
