// Rules of the VPC model, exercised without HTTP. Rule ids refer to
// shared/spec/inventory-vpc-guide.md.
#include <gtest/gtest.h>

#include "error_code.h"

#include "model/error.h"
#include "model/dhcp_options.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/tags.h"
#include "model/vpc.h"

using namespace openvpc::model;

namespace {

using openvpc::testing::CodeOf;

class ModelTest : public ::testing::Test {
 protected:
  ModelTest() {
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx(p, q);
    InitializePartition(tx);
  }
  Tx NewTx() { return Tx(p, q); }

  // Runs fn and returns the AWS error code it throws, or "" when it succeeds.

  std::string NewVpc(const std::string& cidr = "10.0.0.0/16", bool ipv6 = false) {
    Tx tx = NewTx();
    return CreateVpc(tx, {.cidr_block = cidr, .amazon_provided_ipv6 = ipv6}).id;
  }

  Quotas q;
  Partition p;
};

TEST_F(ModelTest, DefaultVpcHasItsDocumentedParts) {
  // §1.4 / P1: 172.31.0.0/16, a /20 per zone, an attached internet gateway, 0.0.0.0/0 to it.
  const Vpc* dv = nullptr;
  for (const auto& [id, v] : p.vpcs)
    if (v.is_default) dv = &v;
  ASSERT_NE(dv, nullptr);
  EXPECT_EQ(dv->cidr_block, "172.31.0.0/16");
  EXPECT_TRUE(dv->enable_dns_hostnames);
  EXPECT_EQ(p.subnets.size(), 6u);  // us-east-1a … f
  for (const auto& [id, s] : p.subnets) {
    EXPECT_TRUE(s.default_for_az);
    EXPECT_TRUE(s.map_public_ip_on_launch);
    EXPECT_EQ(AvailableIpAddressCount(p, s), 4091);  // A5
  }
  ASSERT_EQ(p.internet_gateways.size(), 1u);
  const RouteTable& main = MainRouteTable(p, dv->id);
  ASSERT_EQ(main.routes.size(), 2u);
  EXPECT_EQ(main.routes[1].destination_cidr_block, "0.0.0.0/0");
  EXPECT_EQ(RouteState(p, main, main.routes[1]), "active");
}

TEST_F(ModelTest, VpcPrefixMustBeBetween16And28) {  // A1
  EXPECT_EQ(CodeOf([&] { NewVpc("10.0.0.0/15"); }), "InvalidVpc.Range");
  EXPECT_EQ(CodeOf([&] { NewVpc("10.0.0.0/29"); }), "InvalidVpc.Range");
  EXPECT_EQ(CodeOf([&] { NewVpc("10.0.0.0/33"); }), "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { NewVpc("10.0.0.0/28"); }), "");
}

TEST_F(ModelTest, VpcQuotaCountsTheDefaultVpc) {  // §3.1 L11372
  for (int i = 0; i < 4; ++i) NewVpc();
  EXPECT_EQ(CodeOf([&] { NewVpc(); }), "VpcLimitExceeded");
  q.Set("vpcs-per-region", 6);
  EXPECT_EQ(CodeOf([&] { NewVpc(); }), "");
}

TEST_F(ModelTest, NewVpcGetsMainTableDefaultAclAndGroup) {  // G5, §4.3
  std::string id = NewVpc();
  const RouteTable& main = MainRouteTable(p, id);
  ASSERT_EQ(main.routes.size(), 1u);
  EXPECT_TRUE(main.routes[0].IsLocal());
  EXPECT_EQ(main.routes[0].origin, "CreateRouteTable");
  int acls = 0, groups = 0;
  for (const auto& [aid, a] : p.network_acls) acls += a.vpc_id == id && a.is_default;
  for (const auto& [gid, g] : p.security_groups) groups += g.vpc_id == id && g.group_name == "default";
  EXPECT_EQ(acls, 1);
  EXPECT_EQ(groups, 1);
}

TEST_F(ModelTest, SubnetMustLieInsideTheVpcAndNotOverlap) {  // A3, A4
  std::string vpc = NewVpc();
  Tx tx = NewTx();
  EXPECT_EQ(CodeOf([&] { CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.1.0.0/24"}); }), "InvalidSubnet.Range");
  EXPECT_EQ(CodeOf([&] { CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.0/29"}); }), "InvalidSubnet.Range");
  const Subnet& s = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.0/24"});
  EXPECT_EQ(AvailableIpAddressCount(p, s), 251);  // A5
  EXPECT_EQ(CodeOf([&] { CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.128/25"}); }),
            "InvalidSubnet.Conflict");
  EXPECT_EQ(CodeOf([&] { CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24"}); }), "");
}

TEST_F(ModelTest, SubnetIsAssociatedWithTheDefaultAcl) {  // D3
  std::string vpc = NewVpc();
  Tx tx = NewTx();
  std::string sid = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.0/24"}).id;
  int n = 0;
  for (const auto& [id, acl] : p.network_acls)
    for (const auto& a : acl.associations) n += a.subnet_id == sid && acl.is_default;
  EXPECT_EQ(n, 1);
  DeleteSubnet(tx, sid);
  for (const auto& [id, acl] : p.network_acls)
    for (const auto& a : acl.associations) EXPECT_NE(a.subnet_id, sid);
}

TEST_F(ModelTest, SecondaryBlocksFollowTheRestrictionTable) {  // B2, B4, B10
  std::string vpc = NewVpc("10.0.0.0/16");
  Tx tx = NewTx();
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "192.168.0.0/16", false); }), "InvalidVpc.Range");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "10.0.128.0/17", false); }), "InvalidVpc.Range");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "198.19.0.0/16", false); }), "InvalidVpc.Range");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "100.64.0.0/16", false); }), "");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "10.2.0.0/16", false); }), "");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "10.3.0.0/16", false); }), "");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "10.4.0.0/16", false); }), "");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, vpc, "10.5.0.0/16", false); }), "CidrLimitExceeded");
  // B10: a primary block in 10.0.0.0/15 forbids secondaries from 10.0.0.0/16 only.
  std::string other = NewVpc("172.16.0.0/16");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, other, "172.31.0.0/16", false); }), "InvalidVpc.Range");
  EXPECT_EQ(CodeOf([&] { AssociateVpcCidrBlock(tx, other, "172.17.0.0/16", false); }), "");
}

TEST_F(ModelTest, SecondaryBlockAddsLocalRoutesEverywhereAndPrimaryStays) {  // B11, B12
  std::string vpc = NewVpc();
  Tx tx = NewTx();
  std::string rtb = CreateRouteTable(tx, vpc, {}).id;
  CidrBlockAssociation a = AssociateVpcCidrBlock(tx, vpc, "10.1.0.0/16", false);
  for (const std::string& id : {rtb, MainRouteTable(p, vpc).id}) {
    int local = 0;
    for (const auto& r : p.route_tables.at(id).routes) local += r.IsLocal();
    EXPECT_EQ(local, 2) << id;
  }
  std::string primary = p.vpcs.at(vpc).cidr_blocks[0].association_id;
  EXPECT_EQ(CodeOf([&] { DisassociateVpcCidrBlock(tx, primary); }), "OperationNotPermitted");
  std::string sub = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.1.0.0/24"}).id;
  EXPECT_EQ(CodeOf([&] { DisassociateVpcCidrBlock(tx, a.association_id); }), "InvalidCidrBlock.InUse");
  DeleteSubnet(tx, sub);
  EXPECT_EQ(CodeOf([&] { DisassociateVpcCidrBlock(tx, a.association_id); }), "");
  EXPECT_EQ(p.route_tables.at(rtb).routes.size(), 1u);
}

TEST_F(ModelTest, RouteRules) {
  std::string vpc = NewVpc();
  Tx tx = NewTx();
  std::string rtb = CreateRouteTable(tx, vpc, {}).id;
  std::string igw = CreateInternetGateway(tx, {}).id;
  RouteArgs to_igw{.route_table_id = rtb, .destination_cidr_block = "0.0.0.0/0", .target_member = "GatewayId",
                   .target_id = igw};
  // The gateway must be attached to the table's VPC.
  EXPECT_EQ(CodeOf([&] { CreateRoute(tx, to_igw); }), "InvalidParameterValue");
  AttachInternetGateway(tx, igw, vpc);
  EXPECT_EQ(CodeOf([&] { CreateRoute(tx, to_igw); }), "");
  EXPECT_EQ(CodeOf([&] { CreateRoute(tx, to_igw); }), "RouteAlreadyExists");
  // A10: the destination is stored canonical.
  RouteArgs odd = to_igw;
  odd.destination_cidr_block = "100.68.0.18/18";
  CreateRoute(tx, odd);
  EXPECT_EQ(p.route_tables.at(rtb).routes.back().destination_cidr_block, "100.68.0.0/18");
  // G11: nothing more specific than the local route, except to an interface.
  RouteArgs inside = to_igw;
  inside.destination_cidr_block = "10.0.1.0/24";
  EXPECT_EQ(CodeOf([&] { CreateRoute(tx, inside); }), "InvalidParameterValue");
  // G1: the local route cannot be deleted.
  EXPECT_EQ(CodeOf([&] {
              DeleteRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "10.0.0.0/16"});
            }),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] {
              DeleteRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "1.2.3.0/24"});
            }),
            "InvalidRoute.NotFound");
  // Targets that later issues build are unknown ids until then.
  RouteArgs nat = to_igw;
  nat.destination_cidr_block = "1.0.0.0/8";
  nat.target_member = "NatGatewayId";
  nat.target_id = "nat-0123456789abcdef0";
  EXPECT_EQ(CodeOf([&] { CreateRoute(tx, nat); }), "InvalidNatGatewayID.NotFound");
  // G13: a route to a detached gateway is a blackhole.
  DetachInternetGateway(tx, igw, vpc);
  EXPECT_EQ(RouteState(p, p.route_tables.at(rtb), p.route_tables.at(rtb).routes[1]), "blackhole");
}

TEST_F(ModelTest, RouteTableAssociations) {  // G6-G10, AA8
  std::string vpc = NewVpc();
  Tx tx = NewTx();
  std::string sub = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.0/24"}).id;
  std::string rtb = CreateRouteTable(tx, vpc, {}).id;
  EXPECT_EQ(RouteTableOfSubnet(p, p.subnets.at(sub)).id, MainRouteTable(p, vpc).id);  // G7
  std::string assoc = AssociateRouteTable(tx, rtb, sub, "");
  EXPECT_EQ(RouteTableOfSubnet(p, p.subnets.at(sub)).id, rtb);
  EXPECT_EQ(CodeOf([&] { AssociateRouteTable(tx, rtb, sub, ""); }), "Resource.AlreadyAssociated");  // G9
  EXPECT_EQ(CodeOf([&] { DeleteRouteTable(tx, rtb); }), "DependencyViolation");                    // G10
  DisassociateRouteTable(tx, assoc);
  EXPECT_EQ(RouteTableOfSubnet(p, p.subnets.at(sub)).id, MainRouteTable(p, vpc).id);  // G8
  // G6: the main table cannot be deleted, but a custom table can replace it.
  std::string old_main = MainRouteTable(p, vpc).id;
  EXPECT_EQ(CodeOf([&] { DeleteRouteTable(tx, old_main); }), "DependencyViolation");
  std::string main_assoc = p.route_tables.at(old_main).associations[0].id;
  ReplaceRouteTableAssociation(tx, main_assoc, rtb);
  EXPECT_EQ(MainRouteTable(p, vpc).id, rtb);
  EXPECT_EQ(CodeOf([&] { DeleteRouteTable(tx, old_main); }), "");
}

TEST_F(ModelTest, DeleteVpcRefusesWhileDependenciesRemain) {  // AA1, AA13
  std::string vpc = NewVpc();
  Tx tx = NewTx();
  std::string sub = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.0/24"}).id;
  std::string igw = CreateInternetGateway(tx, {}).id;
  AttachInternetGateway(tx, igw, vpc);
  std::string rtb = CreateRouteTable(tx, vpc, {}).id;
  EXPECT_EQ(CodeOf([&] { DeleteVpc(tx, vpc); }), "DependencyViolation");
  DeleteSubnet(tx, sub);
  EXPECT_EQ(CodeOf([&] { DeleteVpc(tx, vpc); }), "DependencyViolation");
  DeleteRouteTable(tx, rtb);
  EXPECT_EQ(CodeOf([&] { DeleteInternetGateway(tx, igw); }), "DependencyViolation");  // AA5
  DetachInternetGateway(tx, igw, vpc);
  DeleteInternetGateway(tx, igw);
  size_t tables = p.route_tables.size();
  EXPECT_EQ(CodeOf([&] { DeleteVpc(tx, vpc); }), "");
  EXPECT_EQ(p.route_tables.size(), tables - 1);  // the main table went with it
}

TEST_F(ModelTest, DhcpOptionsRules) {  // Q1, Q3, AA9
  Tx tx = NewTx();
  EXPECT_EQ(CodeOf([&] {
              CreateDhcpOptions(tx, {{"domain-name-servers", {"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.0.5"}}}, {});
            }),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { CreateDhcpOptions(tx, {{"netbios-node-type", {"3"}}}, {}); }), "InvalidParameterValue");
  std::string d = CreateDhcpOptions(tx, {{"domain-name-servers", {"AmazonProvidedDNS"}}}, {}).id;
  std::string vpc = NewVpc();
  AssociateDhcpOptions(tx, d, vpc);
  EXPECT_EQ(CodeOf([&] { DeleteDhcpOptions(tx, d); }), "DependencyViolation");
  AssociateDhcpOptions(tx, "default", vpc);
  EXPECT_EQ(p.vpcs.at(vpc).dhcp_options_id, "default");
  EXPECT_EQ(CodeOf([&] { DeleteDhcpOptions(tx, d); }), "");
}

TEST_F(ModelTest, TagsHaveAwsLimits) {
  std::string vpc = NewVpc();
  Tx tx = NewTx();
  EXPECT_EQ(CodeOf([&] { CreateTags(tx, {vpc}, {{"aws:x", "1"}}); }), "InvalidParameterValue");
  TagList fifty;
  for (int i = 0; i < 50; ++i) fifty.push_back({"k" + std::to_string(i), "v"});
  EXPECT_EQ(CodeOf([&] { CreateTags(tx, {vpc}, fifty); }), "");
  EXPECT_EQ(CodeOf([&] { CreateTags(tx, {vpc}, {{"one-more", ""}}); }), "TagLimitExceeded");
  EXPECT_EQ(CodeOf([&] { CreateTags(tx, {"vpc-0000000000000000a"}, {{"a", "b"}}); }), "InvalidVpcID.NotFound");
  EXPECT_EQ(CodeOf([&] { CreateTags(tx, {"bogus"}, {{"a", "b"}}); }), "InvalidID");
  // A tag with a value deletes only on a match.
  DeleteTags(tx, {vpc}, {{"k1", std::string("other")}});
  EXPECT_EQ(p.vpcs.at(vpc).tags.size(), 50u);
  DeleteTags(tx, {vpc}, {{"k1", std::nullopt}});
  EXPECT_EQ(p.vpcs.at(vpc).tags.size(), 49u);
}

TEST_F(ModelTest, TouchedIdsNameEveryChange) {
  Tx tx = NewTx();
  const Vpc& v = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"});
  // The VPC, its main route table, default ACL and default group.
  EXPECT_EQ(tx.touched().size(), 4u);
  EXPECT_TRUE(tx.touched().count(v.id));
}

}  // namespace
