// Target choice of Network Load Balancers (issue 13): property tests of model::ChooseTarget
// (stable per flow, balanced over targets, a flow moves only when its target leaves) and of
// model::RoutableTargets (healthy targets only while any is healthy, else fail open; the node's
// zone unless cross-zone load balancing is on; draining and unused targets never).
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "model/load_balancer.h"
#include "model/subnet.h"
#include "model/target_group.h"
#include "partition_fixture.h"

using namespace openvpc::model;

namespace {

class TargetGroupTest : public openvpc::testing::PartitionFixture {
 protected:
  TargetGroupTest() : PartitionFixture("10.0.1.0/24") {
    Tx tx = NewTx();
    subnet_b = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .availability_zone = "us-east-1b"}).id;
    lb = CreateLoadBalancer(tx, {.name = "lb", .type = "network", .scheme = "internal", .subnets = {subnet, subnet_b}}).arn;
    tg = CreateTargetGroup(tx, {.name = "tg", .protocol = "TCP", .vpc_id = vpc, .target_type = "ip", .port = 80}).arn;
    RegisterTargets(tx, tg, {{.id = "10.0.1.10"}, {.id = "10.0.1.11"}, {.id = "10.0.2.10"}, {.id = "10.0.2.11"}});
    CreateListener(tx, {.load_balancer_arn = lb, .port = 80, .protocol = "TCP", .target_group_arn = tg});
  }
  std::vector<std::string> Routable(const std::string& zone) {
    std::vector<std::string> out;
    for (const auto& t : RoutableTargets(Part(), Part().load_balancers.at(lb), Part().target_groups.at(tg), zone,
                                         std::chrono::system_clock::now()))
      out.push_back(t.ip);
    std::sort(out.begin(), out.end());
    return out;
  }
  void Report(const std::string& ip, const std::string& health) {
    Tx tx = NewTx();
    ReportTargetHealth(tx, tg, ip, 80, health, health == "healthy" ? "" : "Target.FailedHealthChecks");
  }
  std::string subnet_b, lb, tg;
};

std::vector<ResolvedTarget> Targets(const std::vector<RegisteredTarget>& registered) {
  std::vector<ResolvedTarget> out;
  for (const auto& t : registered) out.push_back({.target = &t, .ip = t.id, .state = "healthy"});
  return out;
}

TEST(ChooseTargetTest, StableBalancedAndMinimalMovement) {
  std::vector<RegisteredTarget> registered;
  for (int i = 0; i < 4; ++i) registered.push_back({.id = "10.0.0." + std::to_string(10 + i), .port = 80});
  auto all = Targets(registered);
  std::mt19937_64 rng(42);
  std::map<std::string, int> count;
  const int flows = 20000;
  std::vector<uint64_t> hashes;
  for (int i = 0; i < flows; ++i) {
    uint64_t h = FlowHash(6, "10.1.0." + std::to_string(rng() % 250), 1024 + static_cast<int>(rng() % 60000),
                          "10.0.1.5", 80);
    hashes.push_back(h);
    const ResolvedTarget* a = ChooseTarget(all, h);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a, ChooseTarget(all, h));  // stable: the same flow, the same target
    ++count[a->ip];
  }
  ASSERT_EQ(count.size(), 4u);
  for (const auto& [ip, n] : count) EXPECT_NEAR(n, flows / 4, flows / 4 * 0.1) << ip;  // within 10%
  // A target leaves: only its flows move; the others keep theirs.
  auto three = all;
  three.erase(three.begin() + 1);
  for (uint64_t h : hashes) {
    const std::string before = ChooseTarget(all, h)->ip, after = ChooseTarget(three, h)->ip;
    if (before != all[1].ip) {
      EXPECT_EQ(before, after);
    }
    EXPECT_NE(after, all[1].ip);
  }
  EXPECT_EQ(ChooseTarget({}, 1), nullptr);
}

TEST_F(TargetGroupTest, ApplianceHashIsSymmetricAndFollowsStickiness) {
  Tx tx = NewTx();
  const std::string g = CreateTargetGroup(tx, {.name = "appliances", .protocol = "GENEVE", .vpc_id = vpc,
                                               .target_type = "ip", .port = 6081}).arn;
  auto hash = [&](int proto, const char* a, int ap, const char* b, int bp) {
    return ApplianceFlowHash(Part().target_groups.at(g), proto, a, ap, b, bp);
  };
  // 5-tuple by default: both directions alike, another port another hash.
  EXPECT_EQ(hash(6, "10.0.1.5", 40000, "10.0.2.9", 80), hash(6, "10.0.2.9", 80, "10.0.1.5", 40000));
  EXPECT_NE(hash(6, "10.0.1.5", 40000, "10.0.2.9", 80), hash(6, "10.0.1.5", 40001, "10.0.2.9", 80));
  ModifyTargetGroupAttributes(tx, g, {{"stickiness.enabled", "true"}, {"stickiness.type", "source_ip_dest_ip_proto"}});
  EXPECT_EQ(hash(6, "10.0.1.5", 40000, "10.0.2.9", 80), hash(6, "10.0.1.5", 40001, "10.0.2.9", 443));  // 3-tuple
  EXPECT_NE(hash(6, "10.0.1.5", 40000, "10.0.2.9", 80), hash(17, "10.0.1.5", 40000, "10.0.2.9", 80));
  ModifyTargetGroupAttributes(tx, g, {{"stickiness.type", "source_ip_dest_ip"}});
  EXPECT_EQ(hash(6, "10.0.1.5", 40000, "10.0.2.9", 80), hash(17, "10.0.2.9", 53, "10.0.1.5", 9));  // 2-tuple
}

TEST_F(TargetGroupTest, InitialTargetsFailOpenWithinTheNodesZone) {
  // No target has passed a check yet: every target of the zone is routable (fail open).
  EXPECT_EQ(Routable("us-east-1a"), (std::vector<std::string>{"10.0.1.10", "10.0.1.11"}));
  EXPECT_EQ(Routable("us-east-1b"), (std::vector<std::string>{"10.0.2.10", "10.0.2.11"}));
}

TEST_F(TargetGroupTest, OnlyHealthyTargetsOnceAnyIsHealthy) {
  Report("10.0.1.10", "healthy");
  Report("10.0.1.11", "unhealthy");
  EXPECT_EQ(Routable("us-east-1a"), (std::vector<std::string>{"10.0.1.10"}));
  Report("10.0.1.10", "unhealthy");  // none healthy anywhere: fail open within the zone
  EXPECT_EQ(Routable("us-east-1a"), (std::vector<std::string>{"10.0.1.10", "10.0.1.11"}));
  Report("10.0.2.11", "healthy");  // healthy in the other zone only: there
  EXPECT_EQ(Routable("us-east-1a"), (std::vector<std::string>{"10.0.2.11"}));
}

TEST_F(TargetGroupTest, CrossZoneFromTheLoadBalancerOrTheTargetGroup) {
  {
    Tx tx = NewTx();
    ModifyLoadBalancerAttributes(tx, lb, {{"load_balancing.cross_zone.enabled", "true"}});
  }
  EXPECT_EQ(Routable("us-east-1a").size(), 4u);
  {
    Tx tx = NewTx();  // the target group's own setting wins over the load balancer's
    ModifyTargetGroupAttributes(tx, tg, {{"load_balancing.cross_zone.enabled", "false"}});
  }
  EXPECT_EQ(Routable("us-east-1a").size(), 2u);
}

TEST_F(TargetGroupTest, AZoneWithoutTargetsNeedsCrossZone) {
  // SVC-14: a node whose zone has no targets sends nowhere, however healthy the other zone is,
  // until cross-zone load balancing is on.
  std::string only_a;
  {
    Tx tx = NewTx();
    only_a = CreateTargetGroup(tx, {.name = "only-a", .protocol = "TCP", .vpc_id = vpc, .target_type = "ip", .port = 80}).arn;
    RegisterTargets(tx, only_a, {{.id = "10.0.1.20"}});
    CreateListener(tx, {.load_balancer_arn = lb, .port = 81, .protocol = "TCP", .target_group_arn = only_a});
    ReportTargetHealth(tx, only_a, "10.0.1.20", 80, "healthy", "");
  }
  auto routable = [&](const std::string& zone) {
    return RoutableTargets(Part(), Part().load_balancers.at(lb), Part().target_groups.at(only_a), zone,
                           std::chrono::system_clock::now()).size();
  };
  EXPECT_EQ(routable("us-east-1a"), 1u);
  EXPECT_EQ(routable("us-east-1b"), 0u);
  {
    Tx tx = NewTx();
    ModifyLoadBalancerAttributes(tx, lb, {{"load_balancing.cross_zone.enabled", "true"}});
  }
  EXPECT_EQ(routable("us-east-1b"), 1u);
}

TEST_F(TargetGroupTest, DrainingTargetsGetNoNewFlows) {
  Tx tx = NewTx();
  DeregisterTargets(tx, tg, {{.id = "10.0.1.10"}});
  EXPECT_EQ(Routable("us-east-1a"), (std::vector<std::string>{"10.0.1.11"}));
  auto health = DescribeTargetHealth(Part(), Part().target_groups.at(tg), {{.id = "10.0.1.10"}},
                                     std::chrono::system_clock::now());
  ASSERT_EQ(health.size(), 1u);
  EXPECT_EQ(health[0].state, "draining");
  // After the delay (300 s by default) it is gone.
  health = DescribeTargetHealth(Part(), Part().target_groups.at(tg), {{.id = "10.0.1.10"}},
                                std::chrono::system_clock::now() + std::chrono::seconds(301));
  EXPECT_EQ(health[0].reason, "Target.NotRegistered");
}

}  // namespace

namespace {

TEST(MatcherTest, CodesAndRangesWithin200To599) {
  EXPECT_TRUE(MatcherAccepts("200-399", 302));
  EXPECT_FALSE(MatcherAccepts("200-399", 404));
  EXPECT_TRUE(MatcherAccepts("200,202,301-302", 301));
  EXPECT_FALSE(MatcherAccepts("200,202", 201));
  EXPECT_FALSE(ParseMatcher("199"));
  EXPECT_FALSE(ParseMatcher("300-200"));
  EXPECT_FALSE(ParseMatcher("200,"));
  EXPECT_FALSE(ParseMatcher("abc"));
  EXPECT_EQ(ParseMatcher("200,301-302")->size(), 2u);
}

}  // namespace
