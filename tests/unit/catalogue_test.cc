// The instance-type catalogue (inventory-ec2-network-security.md §7.4: the seed's table at
// L6438-6677), its cluster-placement eligibility (PG-3, seed L7193-7198), the fixed images, and
// the placement-group operations (PG-2, PG-3, PG-8).
#include <gtest/gtest.h>

#include "error_code.h"

#include <set>
#include <string>

#include "model/catalogue.h"
#include "model/error.h"
#include "model/placement_group.h"

using namespace openvpc::model;

namespace {

using openvpc::testing::CodeOf;

struct Expected {
  const char* name;
  int enis, ipv4, ipv6;  // ipv6 0: "IPv6 not supported"
  int line;              // of the row in the seed
};

// Every row of §7.4, as printed (ipv6 "—" is 0).
const Expected kTable[] = {
    {"c1.medium", 2, 6, 0, 6443},      {"c1.xlarge", 4, 15, 0, 6447},     {"c3.large", 3, 10, 10, 6451},
    {"c3.xlarge", 4, 15, 15, 6455},    {"c3.2xlarge", 4, 15, 15, 6459},   {"c3.4xlarge", 8, 30, 30, 6463},
    {"c3.8xlarge", 8, 30, 30, 6467},   {"c4.large", 3, 10, 10, 6471},     {"c4.xlarge", 4, 15, 15, 6475},
    {"c4.2xlarge", 4, 15, 15, 6479},   {"c4.4xlarge", 8, 30, 30, 6483},   {"c4.8xlarge", 8, 30, 30, 6487},
    {"cc2.8xlarge", 8, 30, 0, 6491},   {"cg1.4xlarge", 8, 30, 0, 6495},   {"cr1.8xlarge", 8, 30, 0, 6499},
    {"d2.xlarge", 4, 15, 15, 6503},    {"d2.2xlarge", 4, 15, 15, 6507},   {"d2.4xlarge", 8, 30, 30, 6511},
    {"d2.8xlarge", 8, 30, 30, 6515},   {"f1.2xlarge", 4, 15, 15, 6519},   {"f1.16xlarge", 8, 50, 50, 6520},
    {"g2.2xlarge", 4, 15, 0, 6521},    {"g2.8xlarge", 8, 30, 0, 6525},    {"g3.4xlarge", 8, 30, 30, 6529},
    {"g3.8xlarge", 8, 30, 30, 6530},   {"g3.16xlarge", 15, 50, 50, 6531}, {"hi1.4xlarge", 8, 30, 0, 6532},
    {"hs1.8xlarge", 8, 30, 0, 6536},   {"i2.xlarge", 4, 15, 15, 6540},    {"i2.2xlarge", 4, 15, 15, 6544},
    {"i2.4xlarge", 8, 30, 30, 6548},   {"i2.8xlarge", 8, 30, 30, 6552},   {"i3.large", 3, 10, 10, 6556},
    {"i3.xlarge", 4, 15, 15, 6560},    {"i3.2xlarge", 4, 15, 15, 6564},   {"i3.4xlarge", 8, 30, 30, 6568},
    {"i3.8xlarge", 8, 30, 30, 6572},   {"i3.16xlarge", 15, 50, 50, 6576}, {"m1.small", 2, 4, 0, 6580},
    {"m1.medium", 2, 6, 0, 6584},      {"m1.large", 3, 10, 0, 6588},      {"m1.xlarge", 4, 15, 0, 6592},
    {"m2.xlarge", 4, 15, 0, 6596},     {"m2.2xlarge", 4, 30, 0, 6600},    {"m2.4xlarge", 8, 30, 0, 6604},
    {"m3.medium", 2, 6, 0, 6608},      {"m3.large", 3, 10, 0, 6612},      {"m3.xlarge", 4, 15, 0, 6616},
    {"m3.2xlarge", 4, 30, 0, 6620},    {"m4.large", 2, 10, 10, 6624},     {"m4.xlarge", 4, 15, 15, 6625},
    {"m4.2xlarge", 4, 15, 15, 6626},   {"m4.4xlarge", 8, 30, 30, 6627},   {"m4.10xlarge", 8, 30, 30, 6628},
    {"m4.16xlarge", 8, 30, 30, 6629},  {"p2.xlarge", 4, 15, 15, 6630},    {"p2.8xlarge", 8, 30, 30, 6631},
    {"p2.16xlarge", 8, 30, 30, 6632},  {"r3.large", 3, 10, 10, 6633},     {"r3.xlarge", 4, 15, 15, 6634},
    {"r3.2xlarge", 4, 15, 15, 6635},   {"r3.4xlarge", 8, 30, 30, 6636},   {"r3.8xlarge", 8, 30, 30, 6637},
    {"r4.large", 3, 10, 10, 6638},     {"r4.xlarge", 4, 15, 15, 6639},    {"r4.2xlarge", 4, 15, 15, 6640},
    {"r4.4xlarge", 8, 30, 30, 6641},   {"r4.8xlarge", 8, 30, 30, 6642},   {"r4.16xlarge", 15, 50, 50, 6643},
    {"t1.micro", 2, 2, 0, 6644},       {"t2.nano", 2, 2, 2, 6648},        {"t2.micro", 2, 2, 2, 6652},
    {"t2.small", 2, 4, 4, 6656},       {"t2.medium", 3, 6, 6, 6660},      {"t2.large", 3, 12, 12, 6664},
    {"t2.xlarge", 3, 15, 15, 6668},    {"t2.2xlarge", 3, 15, 15, 6672},   {"x1.16xlarge", 8, 30, 30, 6676},
    {"x1.32xlarge", 8, 30, 30, 6677},
};

// PG-3 (seed L7193-7198): the only types a cluster group took.
const std::set<std::string> kClusterTypes = {
    "m4.large", "m4.xlarge", "m4.2xlarge", "m4.4xlarge", "m4.10xlarge", "m4.16xlarge",
    "c4.large", "c4.xlarge", "c4.2xlarge", "c4.4xlarge", "c4.8xlarge",
    "c3.large", "c3.xlarge", "c3.2xlarge", "c3.4xlarge", "c3.8xlarge", "cc2.8xlarge",
    "cr1.8xlarge", "r3.large", "r3.xlarge", "r3.2xlarge", "r3.4xlarge", "r3.8xlarge",
    "r4.large", "r4.xlarge", "r4.2xlarge", "r4.4xlarge", "r4.8xlarge", "r4.16xlarge", "x1.16xlarge", "x1.32xlarge",
    "d2.xlarge", "d2.2xlarge", "d2.4xlarge", "d2.8xlarge", "hi1.4xlarge", "hs1.8xlarge",
    "i2.xlarge", "i2.2xlarge", "i2.4xlarge", "i2.8xlarge",
    "i3.large", "i3.xlarge", "i3.2xlarge", "i3.4xlarge", "i3.8xlarge", "i3.16xlarge",
    "cg1.4xlarge", "f1.2xlarge", "f1.16xlarge", "g2.2xlarge", "g2.8xlarge",
    "g3.4xlarge", "g3.8xlarge", "g3.16xlarge", "p2.xlarge", "p2.8xlarge", "p2.16xlarge",
};

TEST(Catalogue, EveryRowOfTheTableIsPresentWithItsNumbers) {
  EXPECT_EQ(std::size(kTable), 79u);
  for (const auto& e : kTable) {
    SCOPED_TRACE(std::string(e.name) + " (seed L" + std::to_string(e.line) + ")");
    const InstanceTypeInfo* t = FindInstanceType(e.name);
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(t->max_interfaces, e.enis);
    EXPECT_EQ(t->ipv4_per_interface, e.ipv4);
    EXPECT_EQ(t->ipv6_per_interface, e.ipv6);
    EXPECT_GT(t->vcpus, 0);
    EXPECT_GT(t->memory_mib, 0);
  }
}

TEST(Catalogue, ClusterPlacementFollowsPg3) {
  for (const auto& e : kTable) {
    SCOPED_TRACE(e.name);
    EXPECT_EQ(FindInstanceType(e.name)->cluster_placement, kClusterTypes.count(e.name) == 1);
  }
  EXPECT_FALSE(FindInstanceType("t3.micro")->cluster_placement);  // burstable types never [EXT]
  EXPECT_TRUE(FindInstanceType("m5.large")->cluster_placement);
  EXPECT_TRUE(FindInstanceType("c5.large")->cluster_placement);
}

TEST(Catalogue, SpotChecks) {
  // D11: m4.large has 2 interfaces where other .large types have 3 (L6624).
  EXPECT_EQ(FindInstanceType("m4.large")->max_interfaces, 2);
  EXPECT_EQ(FindInstanceType("c4.large")->max_interfaces, 3);
  // A30: t2.micro takes 2 interfaces of 2 IPv4 addresses each; m3.large has no IPv6 (L6612, L6652).
  EXPECT_EQ(FindInstanceType("t2.micro")->ipv4_per_interface, 2);
  EXPECT_EQ(FindInstanceType("m3.large")->ipv6_per_interface, 0);
  EXPECT_EQ(FindInstanceType("t2.micro")->vcpus, 1);
  EXPECT_EQ(FindInstanceType("t2.micro")->memory_mib, 1024);
  // Current types [EXT].
  const InstanceTypeInfo* t3 = FindInstanceType("t3.micro");
  ASSERT_NE(t3, nullptr);
  EXPECT_EQ(t3->max_interfaces, 2);
  EXPECT_EQ(t3->ipv4_per_interface, 2);
  EXPECT_EQ(t3->ipv6_per_interface, 2);
  EXPECT_EQ(FindInstanceType("m5.large")->max_interfaces, 3);
  EXPECT_EQ(FindInstanceType("m5.large")->ipv4_per_interface, 10);
  EXPECT_EQ(FindInstanceType("c5.large")->ipv6_per_interface, 10);
  for (const char* n : {"t3.nano", "t3.2xlarge", "t3a.nano", "t3a.2xlarge", "m5.4xlarge", "c5.4xlarge"})
    EXPECT_NE(FindInstanceType(n), nullptr) << n;
  EXPECT_EQ(FindInstanceType("t2.mega"), nullptr);
  EXPECT_EQ(FindInstanceType(""), nullptr);
}

TEST(Catalogue, NamesAreUnique) {
  std::set<std::string> names;
  for (const auto& t : InstanceTypes()) EXPECT_TRUE(names.insert(t.name).second) << t.name;
}

TEST(Catalogue, ImagesHaveSeventeenHexDigitIds) {
  ASSERT_GE(Images().size(), 5u);
  std::set<std::string> ids;
  for (const auto& i : Images()) {
    SCOPED_TRACE(i.image_id);
    ASSERT_EQ(i.image_id.size(), 4u + 17u);
    EXPECT_EQ(i.image_id.rfind("ami-", 0), 0u);
    EXPECT_EQ(i.image_id.find_first_not_of("0123456789abcdef", 4), std::string::npos);
    EXPECT_FALSE(i.name.empty());
    EXPECT_EQ(i.creation_date.size(), 24u);  // 2024-12-12T19:04:41.000Z
    EXPECT_TRUE(ids.insert(i.image_id).second);
  }
  bool al2023 = false, ubuntu2204 = false, ubuntu2404 = false, debian12 = false, al2 = false;
  for (const auto& i : Images()) {
    al2023 |= i.name.rfind("al2023-ami-", 0) == 0;
    al2 |= i.name.rfind("amzn2-ami-", 0) == 0;
    ubuntu2204 |= i.name.find("ubuntu-jammy-22.04") != std::string::npos;
    ubuntu2404 |= i.name.find("ubuntu-noble-24.04") != std::string::npos;
    debian12 |= i.name.rfind("debian-12-", 0) == 0;
  }
  EXPECT_TRUE(al2023 && al2 && ubuntu2204 && ubuntu2404 && debian12);
}

// ---- placement groups ----


struct PlacementGroupTest : ::testing::Test {
  Quotas quotas;
  Partition p{.account_id = "123456789012", .region = "us-east-1"};
  Tx tx{p, quotas};
  void TearDown() override { RegisterPlacementGroupMembership(nullptr); }
};

TEST_F(PlacementGroupTest, CreateDescribeDelete) {
  const auto& g = CreatePlacementGroup(tx, "pg1", "cluster", 0, "", {});
  EXPECT_EQ(g.group_id.size(), 3u + 17u);
  EXPECT_EQ(g.state, "available");
  EXPECT_EQ(g.owner_id, "123456789012");
  EXPECT_TRUE(tx.touched().count(g.group_id));
  EXPECT_EQ(CodeOf([&] { CreatePlacementGroup(tx, "pg1", "spread", 0, "", {}); }),
            "InvalidPlacementGroup.Duplicate");  // PG-2
  EXPECT_EQ(CreatePlacementGroup(tx, "part", "partition", 0, "", {}).partition_count, 2);
  EXPECT_EQ(CreatePlacementGroup(tx, "part7", "partition", 7, "", {}).partition_count, 7);
  EXPECT_EQ(CreatePlacementGroup(tx, "spread", "spread", 0, "", {}).spread_level, "rack");
  EXPECT_EQ(CodeOf([&] { CreatePlacementGroup(tx, "p8", "partition", 8, "", {}); }), "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { CreatePlacementGroup(tx, "c3", "cluster", 3, "", {}); }), "InvalidParameterCombination");
  EXPECT_EQ(CodeOf([&] { CreatePlacementGroup(tx, "x", "nearby", 0, "", {}); }), "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { CreatePlacementGroup(tx, "", "cluster", 0, "", {}); }), "MissingParameter");
  DeletePlacementGroup(tx, "pg1");
  EXPECT_EQ(FindPlacementGroupByName(p, "pg1"), nullptr);
  EXPECT_EQ(CodeOf([&] { DeletePlacementGroup(tx, "pg1"); }), "InvalidPlacementGroup.Unknown");
}

TEST_F(PlacementGroupTest, DeleteIsRefusedWhileInstancesAreMembers) {  // PG-8
  CreatePlacementGroup(tx, "busy", "cluster", 0, "", {});
  int members = 2;
  RegisterPlacementGroupMembership([&](const Partition&, const std::string& name) { return name == "busy" ? members : 0; });
  EXPECT_EQ(CodeOf([&] { DeletePlacementGroup(tx, "busy"); }), "InvalidPlacementGroup.InUse");
  members = 0;
  DeletePlacementGroup(tx, "busy");
}

TEST_F(PlacementGroupTest, CheckPlacementFollowsPg3) {
  CreatePlacementGroup(tx, "hpc", "cluster", 0, "", {});
  CreatePlacementGroup(tx, "wide", "spread", 0, "", {});
  EXPECT_EQ(CodeOf([&] { CheckPlacement(p, "hpc", "c4.large"); }), "");
  EXPECT_EQ(CodeOf([&] { CheckPlacement(p, "hpc", "t2.micro"); }), "InvalidParameterCombination");  // A37
  EXPECT_EQ(CodeOf([&] { CheckPlacement(p, "wide", "t2.micro"); }), "");
  EXPECT_EQ(CodeOf([&] { CheckPlacement(p, "nope", "c4.large"); }), "InvalidPlacementGroup.Unknown");
}

TEST_F(PlacementGroupTest, QuotaPerRegion) {
  quotas.Set("placement-groups-per-region", 2);
  CreatePlacementGroup(tx, "a", "cluster", 0, "", {});
  CreatePlacementGroup(tx, "b", "cluster", 0, "", {});
  EXPECT_EQ(CodeOf([&] { CreatePlacementGroup(tx, "c", "cluster", 0, "", {}); }), "PlacementGroupLimitExceeded");
}

}  // namespace
