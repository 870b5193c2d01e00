// The stages for IPv6 flows: rules, entries and routes of the flow's family decide it, never
// those of the other family (C8, N9, G3), in a VPC built with the model's own operations.
#include <gtest/gtest.h>

#include <algorithm>

#include "dataplane/pipeline.h"
#include "model/rules.h"
#include "model/instance.h"
#include "model/network_acl.h"
#include "model/network_interface.h"
#include "model/dhcp_options.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "model/security_group.h"

using namespace openvpc;
using namespace openvpc::model;
using dataplane::Trace;

namespace {

net::Ipv6 Ip6(const std::string& s) { return *net::ParseIpv6(s); }

class PipelineIpv6Test : public ::testing::Test {
 protected:
  PipelineIpv6Test() {
    RegisterAllRules();
    Partition& p = Part();
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx = NewTx();
    InitializePartition(tx);
    vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16", .amazon_provided_ipv6 = true}).id;
    net::Cidr6 block = *net::ParseCidr6(p.vpcs.at(vpc).ipv6_cidr_blocks.at(0).cidr);
    net::Cidr6 first = {block.Network(), 64}, second = first;
    second.addr.bytes[7] = 1;
    subnet_a = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .ipv6_cidr_block = first.ToString(),
                                 .availability_zone = "us-east-1a"}).id;
    subnet_b = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .ipv6_cidr_block = second.ToString(),
                                 .availability_zone = "us-east-1a"}).id;
    web = CreateSecurityGroup(tx, {.group_name = "web", .description = "web", .vpc_id = vpc}).id;
    AuthorizeSecurityGroupRules(tx, web, false,
                                {RuleSpec{.ip_protocol = "tcp", .from_port = 80, .to_port = 80, .cidr_ipv6 = "::/0"},
                                 RuleSpec{.ip_protocol = "tcp", .from_port = 22, .to_port = 22, .cidr_ipv4 = "0.0.0.0/0"}});
    a = Launch(tx, subnet_a);
    b = Launch(tx, subnet_b);
  }
  Partition& Part() { return state.partitions[{"123456789012", "us-east-1"}]; }
  Tx NewTx() { return Tx(Part(), state.quotas, &state); }
  std::string Launch(Tx& tx, const std::string& subnet) {
    std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet,
                                       .group_ids = {web}, .ipv6_address_count = 1})[0]->id;
    return InterfacesOf(Part(), id)[0]->id;
  }
  const NetworkInterface& Eni(const std::string& id) { return Part().network_interfaces.at(id); }
  net::Ipv6 V6(const std::string& eni) { return Ip6(Eni(eni).ipv6_addresses.at(0)); }
  Flow Tcp6(const std::string& from, const std::string& to, int port) {
    return Flow{.protocol = 6, .ipv6 = true, .src6 = V6(from), .dst6 = V6(to), .src_port = 40000, .dst_port = port};
  }
  dataplane::TraceResult Run(const Flow& f) { return Trace(Part(), Eni(a), f); }

  State state;
  std::string vpc, subnet_a, subnet_b, web, a, b;
};

TEST_F(PipelineIpv6Test, AnIpv6RuleAndTheLocalIpv6RouteCarryAFlowAcrossSubnets) {  // C9a, C9b, C9c, M2
  auto t = Run(Tcp6(a, b, 80));
  ASSERT_TRUE(t.allowed) << t.stages.back().name << " " << t.stages.back().explanation_code;
  ASSERT_NE(t.destination, nullptr);
  EXPECT_EQ(t.destination->id, b);
  // The default ACL gained rule 101 for ::/0 (C9c) and the route table the local IPv6 route (C9a).
  EXPECT_EQ(t.stages[2].rule, "101 allow");
  EXPECT_EQ(t.stages[3].rule, Part().vpcs.at(vpc).ipv6_cidr_blocks[0].cidr + " -> local");
  const auto& rules = Part().security_groups.at(web).rules;
  auto port80 = std::find_if(rules.begin(), rules.end(), [](const auto& r) { return !r.egress && r.from_port == 80; });
  ASSERT_NE(port80, rules.end());
  EXPECT_EQ(t.stages.back().rule, port80->id);
}

TEST_F(PipelineIpv6Test, AnIpv4RuleNeverAdmitsAnIpv6Flow) {  // C8
  auto t = Run(Tcp6(a, b, 22));  // 22 is open to 0.0.0.0/0 only
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "security-groups-ingress");
  EXPECT_EQ(t.stages.back().explanation_code, "ENI_SG_RULES_MISMATCH");
}

TEST_F(PipelineIpv6Test, EgressNeedsTheIpv6AllowAllAddedWithTheBlock) {  // C9b
  // The group's egress was never modified, so associating the block added ::/0 egress; without
  // it only the IPv4 allow-all is left, which does not carry IPv6 (C8).
  Tx tx = NewTx();
  RevokeSecurityGroupRules(tx, web, true, {RuleSpec{.ip_protocol = "-1", .cidr_ipv6 = "::/0"}}, {}, nullptr);
  auto t = Run(Tcp6(a, b, 80));
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "security-groups-egress");
}

TEST_F(PipelineIpv6Test, AnIpv6DenyEntryWinsOverTheLaterAllow) {  // N2, N9
  std::string acl = model::NetworkAclOfSubnet(Part(), subnet_b).id;
  Tx tx = NewTx();
  CreateNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = 50, .egress = false, .protocol = "6",
                             .rule_action = "deny", .ipv6_cidr_block = "::/0", .port_from = 80, .port_to = 80});
  auto t = Run(Tcp6(a, b, 80));
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "network-acl-inbound");
  EXPECT_EQ(t.stages.back().rule, "50 deny");
  // An IPv4 deny of the same shape leaves IPv6 alone.
  ReplaceNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = 50, .egress = false, .protocol = "6",
                              .rule_action = "deny", .cidr_block = "0.0.0.0/0", .port_from = 80, .port_to = 80});
  EXPECT_TRUE(Run(Tcp6(a, b, 80)).allowed);
}

TEST_F(PipelineIpv6Test, WithoutAnIpv6RouteThereIsNoRoute) {  // G2, G3
  RouteTable& rt = const_cast<RouteTable&>(RouteTableOfSubnet(Part(), Part().subnets.at(subnet_a)));
  std::erase_if(rt.routes, [](const Route& r) { return !r.destination_ipv6_cidr_block.empty(); });
  auto t = Run(Tcp6(a, b, 80));
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().explanation_code, "NO_ROUTE_TO_DESTINATION");
}

TEST_F(PipelineIpv6Test, SourceDestCheckKnowsTheInterfacesIpv6Addresses) {  // F3
  Flow spoofed = Tcp6(a, b, 80);
  spoofed.src6.bytes[15] ^= 1;
  auto t = Run(spoofed);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().explanation_code, "ENI_SOURCE_DEST_CHECK_RESTRICTION");
}

TEST_F(PipelineIpv6Test, AGroupReferenceMatchesItsMembersIpv6Addresses) {  // M10
  Tx tx = NewTx();
  AuthorizeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 443, .to_port = 443,
                                                         .referenced_group_id = web}});
  EXPECT_TRUE(Run(Tcp6(a, b, 443)).allowed);
}

TEST_F(PipelineIpv6Test, Icmpv6RulesMatchByTypeAndCode) {  // M8
  Tx tx = NewTx();
  AuthorizeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "icmpv6", .from_port = 128, .to_port = -1,
                                                         .cidr_ipv6 = "::/0"}});
  Flow echo{.protocol = 58, .ipv6 = true, .src6 = V6(a), .dst6 = V6(b), .icmp_type = 128, .icmp_code = 0};
  EXPECT_TRUE(Run(echo).allowed);
  Flow other = echo;
  other.icmp_type = 1;  // destination unreachable
  EXPECT_FALSE(Run(other).allowed);
  Flow v4echo = echo;
  v4echo.protocol = 1;  // "icmp" rules are IPv4's ICMP
  v4echo.icmp_type = 8;
  EXPECT_FALSE(Run(v4echo).allowed);
}

TEST_F(PipelineIpv6Test, AnOpenIpv6FlowIsUntrackedOnlyWithIpv6OpenRules) {  // CT-3
  // Ingress 80 from ::/0 and egress all to ::/0 (C9b): untracked for IPv6 at b ...
  EXPECT_FALSE(FlowIsTracked(Part(), Eni(b), Tcp6(a, b, 80), false));
  // ... while IPv4 port 80 has no rule from 0.0.0.0/0: tracked.
  Flow v4{.protocol = 6, .src = *net::ParseIpv4(Eni(a).PrimaryIp()), .dst = *net::ParseIpv4(Eni(b).PrimaryIp()),
          .src_port = 40000, .dst_port = 80};
  EXPECT_TRUE(FlowIsTracked(Part(), Eni(b), v4, false));
}

}  // namespace
