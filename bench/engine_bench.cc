// The engine's own work per packet, without devices (Engine::Inject): a packet of a cached
// flow, a packet of a new flow (stages 3-9 with connection tracking), against the rule sets
// of the data plane issue's benchmark: 5 security groups of 60 rules on each interface and
// network ACLs of 20 entries a direction, the matching rule and entry last. I/O is measured
// by bench/dataplane_bench.py; this isolates the pipeline (anchors: Andromeda's 300 ns budget).
#include <benchmark/benchmark.h>

#include "dataplane/engine/engine.h"
#include "model/rules.h"
#include "model/instance.h"
#include "model/network_acl.h"
#include "model/network_interface.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "model/security_group.h"
#include "../tests/unit/dataplane_testing.h"

using namespace openvpc;
using namespace openvpc::model;

namespace {

struct World {
  State state;
  std::string a, b;
  net::Ipv4 ip_a, ip_b;
  dataplane::MacAddress mac_a{};

  World() {
    RegisterAllRules();
    Partition& p = state.partitions[{"123456789012", "us-east-1"}];
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx(p, state.quotas, &state);
    InitializePartition(tx);
    std::string vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    std::string s1 = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .availability_zone = "us-east-1a"}).id;
    std::string s2 = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .availability_zone = "us-east-1a"}).id;
    std::vector<std::string> groups;
    for (int g = 0; g < 5; ++g) {
      std::string id = CreateSecurityGroup(tx, {.group_name = "g" + std::to_string(g), .description = "bench",
                                                .vpc_id = vpc}).id;
      std::vector<RuleSpec> rules;
      for (int r = 0; r < 60; ++r) {
        bool last = g == 4 && r == 59;
        rules.push_back({.ip_protocol = "tcp", .from_port = last ? 5201 : 1000 + g * 100 + r,
                         .to_port = last ? 5201 : 1000 + g * 100 + r, .cidr_ipv4 = last ? "10.0.0.0/16" : "192.168.0.0/16"});
      }
      AuthorizeSecurityGroupRules(tx, id, false, rules);
      groups.push_back(id);
    }
    for (const auto& subnet : {s1, s2}) {
      std::string acl = CreateNetworkAcl(tx, vpc, {}).id;
      for (bool egress : {false, true})
        for (int e = 1; e <= 19; ++e)  // 19 and the default `*` entry: 20 a direction
          CreateNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = e * 10, .egress = egress,
                                     .protocol = e == 19 ? "-1" : "6", .rule_action = e == 19 ? "allow" : "deny",
                                     .cidr_block = e == 19 ? "0.0.0.0/0" : "172.16." + std::to_string(e) + ".0/24",
                                     .port_from = e == 19 ? std::optional<int>() : 22,
                                     .port_to = e == 19 ? std::optional<int>() : 22});
      std::string assoc;
      for (const auto& [id, x] : p.network_acls)
        for (const auto& as : x.associations)
          if (as.subnet_id == subnet) assoc = as.id;
      ReplaceNetworkAclAssociation(tx, assoc, acl);
    }
    auto launch = [&](const std::string& subnet) {
      std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet,
                                         .group_ids = groups})[0]->id;
      return InterfacesOf(p, id)[0]->id;
    };
    a = launch(s1);
    b = launch(s2);
    ip_a = *net::ParseIpv4(p.network_interfaces.at(a).PrimaryIp());
    ip_b = *net::ParseIpv4(p.network_interfaces.at(b).PrimaryIp());
    mac_a = *dataplane::ParseMac(p.network_interfaces.at(a).mac_address);
  }
};

World& TheWorld() {
  static World w;
  return w;
}

void BM_CachedFlowPacket(benchmark::State& st) {
  World& w = TheWorld();
  openvpc::testing::StateSource source(w.state);
  dataplane::Engine engine(source);
  engine.AddPort({.eni_id = w.a, .account = "123456789012", .region = "us-east-1"});
  engine.AddPort({.eni_id = w.b, .account = "123456789012", .region = "us-east-1"});
  auto frame = openvpc::testing::FlowFrame(
      {.protocol = 6, .src = w.ip_a, .dst = w.ip_b, .src_port = 40000, .dst_port = 5201}, w.mac_a, 0x10, 64);
  if (engine.Inject(w.a, frame).empty()) st.SkipWithError("not delivered");
  for (auto _ : st) benchmark::DoNotOptimize(engine.Inject(w.a, frame));
  st.SetItemsProcessed(st.iterations());
  st.counters["flow_misses"] = static_cast<double>(engine.Counters().flow_misses);
}
BENCHMARK(BM_CachedFlowPacket);

void BM_NewFlowPacket(benchmark::State& st) {
  World& w = TheWorld();
  openvpc::testing::StateSource source(w.state);
  dataplane::Engine engine(source);
  engine.AddPort({.eni_id = w.a, .account = "123456789012", .region = "us-east-1"});
  engine.AddPort({.eni_id = w.b, .account = "123456789012", .region = "us-east-1"});
  // 60,000 flows (one per source port); each round over them starts from a model change, so
  // every packet misses the cache and runs stages 3-9 and the connection table.
  std::vector<std::vector<uint8_t>> frames;
  for (int port = 1024; port < 61024; ++port)
    frames.push_back(openvpc::testing::FlowFrame(
        {.protocol = 6, .src = w.ip_a, .dst = w.ip_b, .src_port = port, .dst_port = 5201}, w.mac_a));
  size_t n = 0;
  for (auto _ : st) {
    if (n == frames.size()) {
      n = 0;
      source.Changed();
    }
    benchmark::DoNotOptimize(engine.Inject(w.a, frames[n++]));
  }
  st.SetItemsProcessed(st.iterations());
  st.counters["connections"] = static_cast<double>(engine.Connections());
}
BENCHMARK(BM_NewFlowPacket);

}  // namespace

BENCHMARK_MAIN();
