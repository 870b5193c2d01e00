// Prefix lists as the data plane sees them (model/prefix_list.h, evaluate.h): a security group
// rule matches a peer in any entry; a route to a list is a route to each entry, longest prefix
// first, and loses to a route to a CIDR block as specific (GW-09); versions and restore.
#include <gtest/gtest.h>

#include "error_code.h"
#include "model/evaluate.h"
#include "model/prefix_list.h"
#include "model/route_table.h"
#include "partition_fixture.h"

using namespace openvpc;
using namespace openvpc::model;

namespace {

net::Ipv4 Ip(const char* s) { return *net::ParseIpv4(s); }

class PrefixListTest : public openvpc::testing::PartitionFixture {
 protected:
  PrefixListTest() : PartitionFixture("10.0.1.0/24") {
    Tx tx = NewTx();
    pl = CreateManagedPrefixList(tx, {.name = "s3-ish", .address_family = "IPv4", .max_entries = 3,
                                      .entries = {{"54.231.0.0/16", ""}, {"52.216.0.0/15", ""}}})
             .id;
  }
  std::string pl;
};

TEST_F(PrefixListTest, RuleMatchesAPeerInAnyEntry) {  // GW-12
  SecurityGroupRule r{.egress = true, .ip_protocol = "tcp", .from_port = 443, .to_port = 443, .prefix_list_id = pl};
  Flow f{.protocol = 6, .src = Ip("10.0.1.5"), .dst = Ip("52.217.3.4"), .src_port = 40000, .dst_port = 443};
  EXPECT_TRUE(SecurityGroupRuleMatches(Part(), r, f, true));
  f.dst = Ip("52.218.0.1");
  EXPECT_FALSE(SecurityGroupRuleMatches(Part(), r, f, true));
  r.prefix_list_id = "pl-0123456789abcdef0";  // unknown: nothing
  f.dst = Ip("54.231.1.1");
  EXPECT_FALSE(SecurityGroupRuleMatches(Part(), r, f, true));
}

TEST_F(PrefixListTest, RoutesToAListTakePartInLongestPrefixMatch) {  // G2, GW-08, GW-09
  RouteTable& rt = Part().route_tables.at(MainRouteTable(Part(), vpc).id);
  rt.routes.push_back({.destination_cidr_block = "0.0.0.0/0", .target_member = "GatewayId", .target_id = "igw-1"});
  rt.routes.push_back({.destination_prefix_list_id = pl, .target_member = "GatewayId", .target_id = "igw-list"});
  rt.routes.push_back({.destination_cidr_block = "54.231.5.0/24", .target_member = "GatewayId", .target_id = "igw-24"});
  auto target = [&](const char* dst) { return LongestPrefixMatch(Part(), rt, Ip(dst))->target_id; };
  EXPECT_EQ(target("52.216.9.9"), "igw-list");   // the list's /15 beats 0.0.0.0/0
  EXPECT_EQ(target("54.231.5.5"), "igw-24");     // a more specific block beats the list
  EXPECT_EQ(target("54.231.6.6"), "igw-list");
  EXPECT_EQ(target("8.8.8.8"), "igw-1");
  rt.routes.push_back({.destination_cidr_block = "54.231.0.0/16", .target_member = "GatewayId", .target_id = "igw-16"});
  EXPECT_EQ(target("54.231.6.6"), "igw-16");  // as specific as the entry: the block wins
}

TEST_F(PrefixListTest, VersionsAndRestore) {
  Tx tx = NewTx();
  EXPECT_EQ(openvpc::testing::CodeOf([&] { ModifyManagedPrefixList(tx, pl, {.current_version = 2, .remove = {"54.231.0.0/16"}}); }),
            "PrefixListVersionMismatch");
  ModifyManagedPrefixList(tx, pl, {.current_version = 1, .remove = {"54.231.0.0/16"}});
  const ManagedPrefixList& list = Part().managed_prefix_lists.at(pl);
  EXPECT_EQ(list.version, 2);
  EXPECT_EQ(LongestPrefixListMatch(Part(), pl, Ip("54.231.1.1")), -1);
  RestoreManagedPrefixListVersion(tx, pl, 1, 2);
  EXPECT_EQ(list.version, 3);
  EXPECT_EQ(LongestPrefixListMatch(Part(), pl, Ip("54.231.1.1")), 16);
  EXPECT_EQ(PrefixListEntriesAt(list, 2).size(), 1u);
  EXPECT_EQ(openvpc::testing::CodeOf([&] { RestoreManagedPrefixListVersion(tx, pl, 3, 3); }), "InvalidParameterValue");
}

}  // namespace
