// Placement on hosts (model/host.h, issue 12): the least loaded host; placement groups as AWS
// describes them (cluster: one host; spread: distinct hosts, seven running per zone per group;
// partition: disjoint host sets); impaired instances of a gone host; the gateway host.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "error_code.h"
#include "partition_fixture.h"

#include "model/host.h"
#include "model/instance.h"
#include "model/placement_group.h"
#include "model/rules.h"
#include "model/subnet.h"
#include "model/vpc.h"

using namespace openvpc::model;

namespace {

using openvpc::testing::CodeOf;

class HostTest : public openvpc::testing::PartitionFixture {
 protected:
  HostTest() : PartitionFixture("10.0.0.0/20") {}
  void AddHosts(int n, int gateways = 0) {
    for (int i = 0; i < n; ++i) {
      std::string name = "h" + std::to_string(i);
      state.hosts[name] = {.name = name, .underlay = "127.0.1." + std::to_string(i + 1), .gateway = i < gateways};
    }
  }
  std::vector<Instance*> Launch(int count, const std::string& group = "", const std::string& type = "c5.large") {
    Tx tx = NewTx();
    return RunInstances(tx, {.image_id = "ami-0abcdef1234567890", .instance_type = type, .min_count = count,
                             .max_count = count, .subnet_id = subnet, .placement_group = group});
  }
  void Group(const std::string& name, const std::string& strategy, int partitions = 0) {
    Tx tx = NewTx();
    CreatePlacementGroup(tx, name, strategy, partitions, "", {});
  }
  std::map<std::string, int> PerHost() {
    std::map<std::string, int> out;
    for (const auto& [id, i] : Part().instances) ++out[i.host];
    return out;
  }
};

TEST_F(HostTest, NoHostPlacesNothing) {  // one machine: the server's own data plane runs them
  for (Instance* i : Launch(3)) EXPECT_EQ(i->host, "");
}

TEST_F(HostTest, TheLeastLoadedHostTakesEachInstance) {
  AddHosts(4);
  Launch(10);
  auto per = PerHost();
  ASSERT_EQ(per.size(), 4u);
  for (const auto& [host, n] : per) EXPECT_TRUE(n == 2 || n == 3) << host << " " << n;
}

TEST_F(HostTest, AClusterGroupIsOneHostAndStaysThere) {
  AddHosts(3);
  Group("c", "cluster");
  auto first = Launch(3, "c");
  std::set<std::string> hosts;
  for (Instance* i : first) hosts.insert(i->host);
  EXPECT_EQ(hosts.size(), 1u);
  Launch(5);  // other instances load the other hosts
  for (Instance* i : Launch(2, "c")) EXPECT_EQ(i->host, *hosts.begin());
}

TEST_F(HostTest, ASpreadGroupPutsEveryInstanceOnItsOwnHost) {
  AddHosts(5);
  Group("s", "spread");
  std::set<std::string> hosts;
  for (Instance* i : Launch(3, "s")) hosts.insert(i->host);
  for (Instance* i : Launch(2, "s")) hosts.insert(i->host);
  EXPECT_EQ(hosts.size(), 5u);
  // A sixth has no host of its own left.
  EXPECT_EQ(CodeOf([&] { Launch(1, "s"); }), "InsufficientInstanceCapacity");
}

TEST_F(HostTest, ASpreadGroupHoldsSevenRunningInstancesPerZone) {
  AddHosts(10);
  Group("s", "spread");
  Launch(7, "s");
  EXPECT_EQ(CodeOf([&] { Launch(1, "s"); }), "InsufficientInstanceCapacity");
  state.hosts.clear();  // the limit is AWS's, with or without hosts
  EXPECT_EQ(CodeOf([&] { Launch(1, "s"); }), "InsufficientInstanceCapacity");
}

TEST_F(HostTest, PartitionsRunOnDisjointHosts) {
  AddHosts(6);
  Group("p", "partition", 3);
  std::map<int, std::set<std::string>> hosts;
  for (Instance* i : Launch(12, "p")) {
    ASSERT_GE(i->partition_number, 1);
    ASSERT_LE(i->partition_number, 3);
    hosts[i->partition_number].insert(i->host);
  }
  ASSERT_EQ(hosts.size(), 3u);
  std::set<std::string> all;
  size_t total = 0;
  for (const auto& [k, set] : hosts) {
    total += set.size();
    all.insert(set.begin(), set.end());
  }
  EXPECT_EQ(all.size(), total) << "a host serves one partition only";
}

TEST_F(HostTest, APartitionWithoutHostsHasNoCapacity) {
  AddHosts(2);
  Group("p", "partition", 3);
  Launch(2, "p");  // partitions 1 and 2
  EXPECT_EQ(CodeOf([&] { Launch(1, "p"); }), "InsufficientInstanceCapacity");
}

TEST_F(HostTest, AnInstanceOfAGoneHostIsImpairedAndMovesWhenItStarts) {
  AddHosts(2);
  Instance* i = Launch(1).front();
  const std::string home = i->host;
  EXPECT_FALSE(HostImpaired(state, *i));
  state.hosts.erase(home);
  EXPECT_TRUE(HostImpaired(state, *i));
  Tx tx = NewTx();
  StopInstances(tx, {i->id});
  Part().instances.at(i->id).state = "stopped";
  StartInstances(tx, {i->id});
  EXPECT_NE(Part().instances.at(i->id).host, home);
  EXPECT_FALSE(HostImpaired(state, Part().instances.at(i->id)));
}

TEST_F(HostTest, TheGatewayHostIsTheFirstLiveOneByName) {
  EXPECT_EQ(GatewayHost(state), nullptr);
  AddHosts(4, 0);
  EXPECT_EQ(GatewayHost(state), nullptr);
  state.hosts["h2"].gateway = state.hosts["h3"].gateway = true;
  ASSERT_NE(GatewayHost(state), nullptr);
  EXPECT_EQ(GatewayHost(state)->name, "h2");
  state.hosts.erase("h2");  // its lease expired: the next one takes over
  EXPECT_EQ(GatewayHost(state)->name, "h3");
}

}  // namespace
