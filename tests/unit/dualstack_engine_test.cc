// A dualstack Network Load Balancer in the engine without devices (Engine::Inject): an IPv6
// client's connection reaches an IPv4 target group's target as IPv4 from the node's IPv4 address,
// and the target's answer goes back as IPv6 from the node's IPv6 address and listener port; an
// IPv4 client reaches an IPv6 target group's target as IPv6. Each frame is written in place
// (wire/translate.h) and leaves whole: checksums right, ports translated.
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "dataplane/engine/engine.h"
#include "dataplane/services/local_services.h"
#include "dataplane/wire/packet6.h"
#include "dataplane_testing.h"
#include "model/instance.h"
#include "model/load_balancer.h"
#include "model/network_interface.h"
#include "model/rules.h"
#include "model/security_group.h"
#include "model/subnet.h"
#include "model/target_group.h"
#include "model/vpc.h"

using namespace openvpc;
using namespace openvpc::model;
using dataplane::MacAddress;
using dataplane::ParsedFrame;

namespace {

constexpr const char* kNode4 = "10.0.1.100";
constexpr const char* kNode6 = "2001:db8:1:100::100";
constexpr const char* kClient6 = "2001:db8:1:100::11";
constexpr const char* kTarget6 = "2001:db8:1:100::10";

class DualstackEngineTest : public ::testing::Test {
 protected:
  DualstackEngineTest() : source(state), engine(source) {
    RegisterAllRules();
    Partition& p = state.partitions[{"123456789012", "us-east-1"}];
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx(p, state.quotas, &state);
    InitializePartition(tx);
    const std::string vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16", .amazon_provided_ipv6 = true}).id;
    {  // a block the test can name instead of Amazon's random one
      std::string& block = p.vpcs.at(vpc).ipv6_cidr_blocks.at(0).cidr;
      for (auto& [id, rt] : p.route_tables)  // the local route follows
        for (auto& r : rt.routes)
          if (r.destination_ipv6_cidr_block == block) r.destination_ipv6_cidr_block = "2001:db8:1:100::/56";
      block = "2001:db8:1:100::/56";
    }
    const std::string subnet = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24",
                                                 .ipv6_cidr_block = "2001:db8:1:100::/64",
                                                 .availability_zone = "us-east-1a"}).id;
    const std::string open = CreateSecurityGroup(tx, {.group_name = "open", .description = "open", .vpc_id = vpc}).id;
    AuthorizeSecurityGroupRules(tx, open, false, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"},
                                                  RuleSpec{.ip_protocol = "-1", .cidr_ipv6 = "::/0"}});
    auto launch = [&](const char* ipv6) {
      const std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro",
                                               .subnet_id = subnet, .group_ids = {open}, .ipv6_addresses = {ipv6}})[0]->id;
      return InterfacesOf(p, id)[0]->id;
    };
    target = launch(kTarget6);
    client = launch(kClient6);
    const std::string lb = CreateLoadBalancer(tx, {.name = "dual", .type = "network", .scheme = "internal",
                                                   .ip_address_type = "dualstack",
                                                   .mappings = {{.subnet_id = subnet, .private_ipv4_address = kNode4,
                                                                 .ipv6_address = kNode6}}}).arn;
    const std::string four = CreateTargetGroup(tx, {.name = "four", .protocol = "TCP", .vpc_id = vpc,
                                                    .target_type = "ip", .port = 7000}).arn;
    RegisterTargets(tx, four, {{.id = Eni(target).PrimaryIp()}});
    CreateListener(tx, {.load_balancer_arn = lb, .port = 80, .protocol = "TCP", .target_group_arn = four});
    const std::string six = CreateTargetGroup(tx, {.name = "six", .protocol = "TCP", .vpc_id = vpc,
                                                   .target_type = "ip", .ip_address_type = "ipv6", .port = 7001}).arn;
    RegisterTargets(tx, six, {{.id = kTarget6}});
    CreateListener(tx, {.load_balancer_arn = lb, .port = 81, .protocol = "TCP", .target_group_arn = six});
    for (const auto& eni : {target, client}) engine.AddPort({.eni_id = eni, .account = p.account_id, .region = p.region});
  }
  const NetworkInterface& Eni(const std::string& id) {
    return state.partitions.at({"123456789012", "us-east-1"}).network_interfaces.at(id);
  }
  MacAddress Mac(const std::string& id) { return *dataplane::ParseMac(Eni(id).mac_address); }

  // Ethernet + IPv6 + TCP (flags, a payload), the checksum complete.
  std::vector<uint8_t> Tcp6(const std::string& from, const char* src, const char* dst, uint16_t sport, uint16_t dport,
                            uint8_t flags, const std::string& payload = "") {
    std::vector<uint8_t> l4(20);
    l4[0] = static_cast<uint8_t>(sport >> 8), l4[1] = static_cast<uint8_t>(sport);
    l4[2] = static_cast<uint8_t>(dport >> 8), l4[3] = static_cast<uint8_t>(dport);
    l4[7] = 1, l4[12] = 5 << 4, l4[13] = flags, l4[14] = 0xff;
    l4.insert(l4.end(), payload.begin(), payload.end());
    const net::Ipv6 s = *net::ParseIpv6(src), d = *net::ParseIpv6(dst);
    const uint16_t c = dataplane::Ipv6L4Checksum(s, d, 6, l4);
    l4[16] = static_cast<uint8_t>(c >> 8), l4[17] = static_cast<uint8_t>(c);
    return dataplane::BuildIpv6Frame(Mac(from), dataplane::kRouterMac, s, d, 6, 64, l4);
  }
  std::vector<uint8_t> Tcp4(const std::string& from, const std::string& src, const std::string& dst, int sport,
                            int dport, uint8_t flags) {
    return openvpc::testing::FlowFrame({.protocol = 6, .src = *net::ParseIpv4(src), .dst = *net::ParseIpv4(dst),
                                        .src_port = sport, .dst_port = dport},
                                       Mac(from), flags);
  }

  State state;
  openvpc::testing::StateSource source;
  dataplane::Engine engine;
  std::string target, client;
};

ParsedFrame Parse(const std::vector<uint8_t>& f) {
  ParsedFrame pf;
  EXPECT_TRUE(ParseFrame(f, pf));
  return pf;
}

TEST_F(DualstackEngineTest, AnIpv6ClientReachesAnIpv4TargetAndItsAnswerGoesBackAsIpv6) {
  auto out = engine.Inject(client, Tcp6(client, kClient6, kNode6, 40000, 80, dataplane::kTcpSyn));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, target);
  ParsedFrame pf = Parse(out[0].second);
  ASSERT_EQ(pf.ether_type, dataplane::kEtherTypeIpv4);
  EXPECT_EQ(pf.src.ToString(), kNode4);  // the node's IPv4 address: no client address across families
  EXPECT_EQ(pf.dst.ToString(), Eni(target).PrimaryIp());
  EXPECT_EQ(pf.src_port, 40000);
  EXPECT_EQ(pf.dst_port, 7000);
  EXPECT_EQ(pf.ttl, 64);
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(out[0].second));
  EXPECT_EQ(out[0].second.size(), 14u + 20 + 20);
  // The target's answer: IPv6 again, from the node's IPv6 address and the listener's port.
  auto back = engine.Inject(target, Tcp4(target, Eni(target).PrimaryIp(), kNode4, 7000, 40000,
                                          dataplane::kTcpSyn | dataplane::kTcpAck));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first, client);
  pf = Parse(back[0].second);
  ASSERT_EQ(pf.ether_type, dataplane::kEtherTypeIpv6);
  EXPECT_EQ(pf.src6.ToString(), kNode6);
  EXPECT_EQ(pf.dst6.ToString(), kClient6);
  EXPECT_EQ(pf.src_port, 80);
  EXPECT_EQ(pf.dst_port, 40000);
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(back[0].second));
  MacAddress dst;
  memcpy(dst.data(), back[0].second.data(), 6);
  EXPECT_EQ(dst, Mac(client));
  // The data after the handshake keeps its bytes.
  auto data = engine.Inject(client, Tcp6(client, kClient6, kNode6, 40000, 80, dataplane::kTcpAck, "payload"));
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(std::string(data[0].second.end() - 7, data[0].second.end()), "payload");
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(data[0].second));
}

TEST_F(DualstackEngineTest, AnIpv4ClientReachesAnIpv6TargetFromTheNodesIpv6Address) {
  auto out = engine.Inject(client, Tcp4(client, Eni(client).PrimaryIp(), kNode4, 40001, 81, dataplane::kTcpSyn));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, target);
  ParsedFrame pf = Parse(out[0].second);
  ASSERT_EQ(pf.ether_type, dataplane::kEtherTypeIpv6);
  EXPECT_EQ(pf.src6.ToString(), kNode6);
  EXPECT_EQ(pf.dst6.ToString(), kTarget6);
  EXPECT_EQ(pf.dst_port, 7001);
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(out[0].second));
  auto back = engine.Inject(target, Tcp6(target, kTarget6, kNode6, 7001, 40001, dataplane::kTcpSyn | dataplane::kTcpAck));
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first, client);
  pf = Parse(back[0].second);
  ASSERT_EQ(pf.ether_type, dataplane::kEtherTypeIpv4);
  EXPECT_EQ(pf.src.ToString(), kNode4);
  EXPECT_EQ(pf.dst.ToString(), Eni(client).PrimaryIp());
  EXPECT_EQ(pf.src_port, 81);
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(back[0].second));
}

}  // namespace
