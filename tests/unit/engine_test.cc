// The packet engine without devices (Engine::Inject): the router's own answers (stage 2), the
// stages 3-9 with connection tracking, and the flow cache. Rule ids: guide O3, Q5, R1-R4;
// inventory-ec2-network-security CT-1..CT-6.
#include <gtest/gtest.h>

#include <chrono>

#include "dataplane/services/dhcp.h"
#include "dataplane/services/dns.h"
#include "dataplane/engine/engine.h"
#include "dataplane/services/local_services.h"
#include "dataplane/wire/vxlan.h"
#include "dataplane_testing.h"
#include "model/rules.h"
#include "model/instance.h"
#include "model/network_interface.h"
#include "model/dhcp_options.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "model/security_group.h"

using namespace openvpc;
using namespace openvpc::model;
using dataplane::Engine;
using dataplane::MacAddress;
using openvpc::testing::FlowFrame;

namespace {

net::Ipv4 Ip(const std::string& s) { return *net::ParseIpv4(s); }

class EngineTest : public ::testing::Test {
 protected:
  EngineTest() : source(state), engine(source) {
    RegisterAllRules();
    Partition& p = Part();
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx = NewTx();
    InitializePartition(tx);
    vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    ModifyVpcAttribute(tx, vpc, "enableDnsHostnames", true);
    subnet_a = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .availability_zone = "us-east-1a"}).id;
    subnet_b = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .availability_zone = "us-east-1a"}).id;
    web = CreateSecurityGroup(tx, {.group_name = "web", .description = "web", .vpc_id = vpc}).id;
    AuthorizeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 80, .to_port = 80,
                                                          .cidr_ipv4 = "10.0.0.0/16"}});
    open = CreateSecurityGroup(tx, {.group_name = "open", .description = "open", .vpc_id = vpc}).id;
    AuthorizeSecurityGroupRules(tx, open, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 8080, .to_port = 8080,
                                                           .cidr_ipv4 = "0.0.0.0/0"}});
    a = Launch(tx, subnet_a, web);
    b = Launch(tx, subnet_b, web);
    c = Launch(tx, subnet_a, web);
    d = Launch(tx, subnet_b, open);
    for (const auto& eni : {a, b, c, d}) engine.AddPort({.eni_id = eni, .account = p.account_id, .region = p.region});
  }
  Partition& Part() { return state.partitions[{"123456789012", "us-east-1"}]; }
  Tx NewTx() { return Tx(Part(), state.quotas, &state); }
  std::string Launch(Tx& tx, const std::string& subnet, const std::string& group) {
    std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet,
                                       .group_ids = {group}})[0]->id;
    return InterfacesOf(Part(), id)[0]->id;
  }
  const NetworkInterface& Eni(const std::string& id) { return Part().network_interfaces.at(id); }
  MacAddress Mac(const std::string& id) { return *dataplane::ParseMac(Eni(id).mac_address); }
  Flow Tcp(const std::string& from, const std::string& to, int sport, int dport) {
    return {.protocol = 6, .src = Ip(Eni(from).PrimaryIp()), .dst = Ip(Eni(to).PrimaryIp()), .src_port = sport,
            .dst_port = dport};
  }
  // The ENIs the frame reached ("" when dropped).
  std::string Send(const std::string& from, const Flow& f) {
    auto out = engine.Inject(from, FlowFrame(f, Mac(from)));
    return out.empty() ? "" : out.front().first;
  }

  State state;
  openvpc::testing::StateSource source;
  Engine engine;
  std::string vpc, subnet_a, subnet_b, web, open, a, b, c, d;
};

std::vector<uint8_t> ArpRequest(const MacAddress& mac, net::Ipv4 sender, net::Ipv4 target) {
  std::vector<uint8_t> f(42, 0);
  memset(f.data(), 0xff, 6);
  memcpy(f.data() + 6, mac.data(), 6);
  f[12] = 0x08, f[13] = 0x06;
  uint8_t* x = f.data() + 14;
  x[1] = 1, x[2] = 0x08, x[4] = 6, x[5] = 4, x[7] = 1;
  memcpy(x + 8, mac.data(), 6);
  for (int i = 0; i < 4; ++i) {
    x[14 + i] = static_cast<uint8_t>(sender.value >> (24 - 8 * i));
    x[24 + i] = static_cast<uint8_t>(target.value >> (24 - 8 * i));
  }
  return f;
}

TEST_F(EngineTest, ArpAnswersForTheRouterAndTheSubnetOnly) {  // O3, A5
  auto ask = [&](const std::string& target) -> std::optional<MacAddress> {
    auto out = engine.Inject(a, ArpRequest(Mac(a), Ip(Eni(a).PrimaryIp()), Ip(target)));
    if (out.empty()) return std::nullopt;
    dataplane::ParsedFrame pf;
    EXPECT_TRUE(dataplane::ParseFrame(out[0].second, pf));
    EXPECT_EQ(pf.arp_op, 2);
    EXPECT_EQ(pf.arp_sender, Ip(target));
    MacAddress m;
    memcpy(m.data(), out[0].second.data() + 22, 6);
    return m;
  };
  EXPECT_EQ(ask("10.0.1.1"), dataplane::kRouterMac);
  EXPECT_EQ(ask("10.0.1.2"), dataplane::kRouterMac);
  EXPECT_EQ(ask(Eni(c).PrimaryIp()), Mac(c));          // a neighbour in the same subnet
  EXPECT_EQ(ask(Eni(b).PrimaryIp()), std::nullopt);    // another subnet: reached through the router
  EXPECT_EQ(ask("10.0.1.200"), std::nullopt);          // nobody holds it
}

TEST_F(EngineTest, DhcpLeaseComesFromTheModel) {  // Q5
  auto msg = dataplane::BuildDhcpClientMessage(dataplane::kDhcpDiscover, 0x1234, Mac(a), std::nullopt);
  auto frame = dataplane::BuildUdpFrame(Mac(a), {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, Ip("0.0.0.0"),
                                        Ip("255.255.255.255"), 68, 67, msg);
  auto out = engine.Inject(a, frame);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, a);
  const auto& r = out[0].second;
  ASSERT_GT(r.size(), 42u + 240u);
  const uint8_t* bootp = r.data() + 42;
  EXPECT_EQ(bootp[0], 2);  // BOOTREPLY
  net::Ipv4 yiaddr{uint32_t{bootp[16]} << 24 | uint32_t{bootp[17]} << 16 | uint32_t{bootp[18]} << 8 | bootp[19]};
  EXPECT_EQ(yiaddr, Ip(Eni(a).PrimaryIp()));
  EXPECT_TRUE(openvpc::testing::ChecksumsValid(r));
  auto lease = dataplane::LeaseFor(Part(), Eni(a));
  ASSERT_TRUE(lease);
  EXPECT_EQ(lease->router, Ip("10.0.1.1"));
  ASSERT_EQ(lease->dns_servers.size(), 1u);
  EXPECT_EQ(lease->dns_servers[0], Ip("10.0.0.2"));  // AmazonProvidedDNS: base+2 of the VPC (A6)
  EXPECT_EQ(lease->domain_name, "ec2.internal");
  EXPECT_EQ(lease->mtu, 9001);
}

TEST_F(EngineTest, ResolverAnswersPrivateNamesAndHonoursTheVpcAttributes) {  // R1, R2, R4, R8
  auto query = [&](const std::string& server, const std::string& name, uint16_t type) {
    auto q = dataplane::BuildDnsQuery(7, name, type);
    auto frame = dataplane::BuildUdpFrame(Mac(a), dataplane::kRouterMac, Ip(Eni(a).PrimaryIp()), Ip(server), 5353,
                                          53, q);
    return engine.Inject(a, frame);
  };
  std::string name = PrivateDnsName("us-east-1", Eni(b).PrimaryIp());
  for (const char* server : {"10.0.0.2", "169.254.169.253"}) {
    auto out = query(server, name, dataplane::kDnsTypeA);
    ASSERT_EQ(out.size(), 1u) << server;
    const auto& r = out[0].second;
    EXPECT_EQ(r[42 + 3] & 0xf, 0) << "NOERROR";
    // The answer's address is the last four bytes of the message.
    net::Ipv4 got{uint32_t{r[r.size() - 4]} << 24 | uint32_t{r[r.size() - 3]} << 16 | uint32_t{r[r.size() - 2]} << 8 |
                  r[r.size() - 1]};
    EXPECT_EQ(got, Ip(Eni(b).PrimaryIp()));
  }
  auto nx = query("10.0.0.2", "ip-10-0-9-9.ec2.internal", dataplane::kDnsTypeA);
  ASSERT_EQ(nx.size(), 1u);
  EXPECT_EQ(nx[0].second[42 + 3] & 0xf, dataplane::kDnsNxDomain);
  {
    Tx tx = NewTx();
    ModifyVpcAttribute(tx, vpc, "enableDnsHostnames", false);
  }
  source.Changed();
  auto off = query("10.0.0.2", name, dataplane::kDnsTypeA);
  ASSERT_EQ(off.size(), 1u);
  EXPECT_EQ(off[0].second[42 + 3] & 0xf, dataplane::kDnsNxDomain);  // R4: hostnames off
  {
    Tx tx = NewTx();
    ModifyVpcAttribute(tx, vpc, "enableDnsSupport", false);
  }
  source.Changed();
  EXPECT_TRUE(query("10.0.0.2", name, dataplane::kDnsTypeA).empty());  // R2: no answer at all
}

TEST_F(EngineTest, TheResolverAnswersAtMost1024PacketsASecondPerInterface) {  // R11
  auto q = dataplane::BuildDnsQuery(7, PrivateDnsName("us-east-1", Eni(b).PrimaryIp()), dataplane::kDnsTypeA);
  auto frame = dataplane::BuildUdpFrame(Mac(a), dataplane::kRouterMac, Ip(Eni(a).PrimaryIp()), Ip("10.0.0.2"), 5353,
                                        53, q);
  int answered = 0;
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 1500; ++i) answered += static_cast<int>(engine.Inject(a, frame).size());
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_GE(answered, 1024);
  EXPECT_LE(answered, 1024 + static_cast<int>(elapsed * 1024) + 1);  // the burst, and what refilled meanwhile
  auto other = dataplane::BuildUdpFrame(Mac(c), dataplane::kRouterMac, Ip(Eni(c).PrimaryIp()), Ip("10.0.0.2"), 5353,
                                        53, q);
  EXPECT_EQ(engine.Inject(c, other).size(), 1u) << "the limit is per interface";
}

TEST_F(EngineTest, ForwardsWhatTheRulesAllowAndRewritesMacs) {  // M2, G2
  auto out = engine.Inject(a, FlowFrame(Tcp(a, b, 40000, 80), Mac(a)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, b);
  MacAddress dst, src;
  memcpy(dst.data(), out[0].second.data(), 6);
  memcpy(src.data(), out[0].second.data() + 6, 6);
  EXPECT_EQ(dst, Mac(b));
  EXPECT_EQ(src, dataplane::kRouterMac);
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 81)), "");  // no rule for port 81
  EXPECT_EQ(engine.Counters().dropped, 1u);
}

TEST_F(EngineTest, RepliesOfATrackedConnectionPassWithoutARule) {  // CT-1
  EXPECT_EQ(Send(b, Tcp(b, a, 80, 40000)), "") << "unsolicited: no ingress rule for 40000";
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b);
  EXPECT_EQ(Send(b, Tcp(b, a, 80, 40000)), a) << "the reply of a tracked connection";
  EXPECT_EQ(Send(b, Tcp(b, a, 80, 40001)), "") << "another port is another flow";
  EXPECT_GE(engine.Connections(), 2u);  // one at each end
}

TEST_F(EngineTest, RemovingARuleKeepsTrackedFlowsAndCutsUntrackedOnes) {  // CT-3, CT-5, CT-6, A16
  // a -> b:80: the rule names 10.0.0.0/16, so the flow is tracked at b.
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b);
  EXPECT_EQ(Send(b, Tcp(b, a, 80, 40000)), a);
  // a -> d:8080: allowed from 0.0.0.0/0 with all egress to 0.0.0.0/0 at d: untracked at d.
  EXPECT_EQ(Send(a, Tcp(a, d, 40001, 8080)), d);
  // d's response is the response of an untracked flow: it must not open a connection at d.
  EXPECT_EQ(Send(d, Tcp(d, a, 8080, 40001)), a);
  {
    Tx tx = NewTx();
    RevokeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 80, .to_port = 80,
                                                       .cidr_ipv4 = "10.0.0.0/16"}}, {}, nullptr);
    RevokeSecurityGroupRules(tx, open, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 8080, .to_port = 8080,
                                                        .cidr_ipv4 = "0.0.0.0/0"}}, {}, nullptr);
  }
  source.Changed();
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b) << "CT-5: the tracked connection goes on";
  EXPECT_EQ(Send(a, Tcp(a, b, 40002, 80)), "") << "a new connection needs the rule";
  EXPECT_EQ(Send(a, Tcp(a, d, 40001, 8080)), "") << "CT-6: the untracked flow is cut at once";
}

// AWS bounds the connections an instance tracks and drops packets of new ones beyond the bound
// (ENA's conntrack_allowance_exceeded); tracked connections go on, and a new one passes once an
// old one has ended.
TEST_F(EngineTest, AnInterfaceTracksItsAllowanceOfConnectionsAndDropsNewOnesBeyond) {
  double now = 1000;
  engine.SetClockForTesting([&] { return now; });
  engine.SetConnectionAllowanceForTesting(2);
  // b's rule names 10.0.0.0/16: every flow to b:80 is tracked at b.
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b);
  EXPECT_EQ(Send(c, Tcp(c, b, 40001, 80)), b);
  EXPECT_EQ(Send(a, Tcp(a, b, 40002, 80)), "") << "a third connection at b: beyond its allowance";
  EXPECT_EQ(engine.Counters().conntrack_allowance_exceeded, 1u);
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b) << "a tracked connection goes on";
  EXPECT_EQ(Send(b, Tcp(b, a, 80, 40000)), a) << "and so do its replies";
  now += 61;  // the unanswered connection c -> b (60 s) ends; a -> b was answered (432,000 s)
  EXPECT_EQ(Send(a, Tcp(a, b, 40002, 80)), b) << "room again: the new connection passes";
}

// A TCP connection that closed is forgotten as Linux's conntrack forgets it (AWS's timeouts mirror
// its defaults): 120 s after a FIN, not 5 days, so closed connections do not use up the
// interface's allowance. An open connection idle as long stays.
TEST_F(EngineTest, AClosedConnectionIsForgottenSoonAfterItsFin) {
  double now = 1000;
  engine.SetClockForTesting([&] { return now; });
  for (int port : {40000, 40001}) {
    EXPECT_EQ(Send(a, Tcp(a, b, port, 80)), b);
    EXPECT_EQ(Send(b, Tcp(b, a, 80, port)), a);
  }
  const size_t both = engine.Connections();
  ASSERT_GE(both, 2u);
  EXPECT_EQ(engine.Inject(a, FlowFrame(Tcp(a, b, 40000, 80), Mac(a), dataplane::kTcpFin | dataplane::kTcpAck)).size(),
            1u);
  now += 121;
  EXPECT_EQ(Send(c, Tcp(c, b, 40002, 81)), "");  // any frame: the engine forgets idle connections as it goes
  EXPECT_EQ(engine.Connections(), both / 2) << "the closed one is gone, the open one stays";
  EXPECT_EQ(Send(b, Tcp(b, a, 80, 40001)), a) << "the open connection's replies still pass";
  EXPECT_EQ(Send(b, Tcp(b, a, 80, 40000)), "") << "the closed one's do not";
}

// A broken model invariant (here a subnet whose stored block does not parse) costs the frame
// that met it, counted and logged, never the engine: once the model is sound again, frames pass.
TEST_F(EngineTest, AFrameWhoseDecisionThrowsIsDroppedAndTheEngineGoesOn) {
  const net::Ipv4 router = Ip("10.0.1.1");
  EXPECT_EQ(engine.Inject(a, ArpRequest(Mac(a), Ip(Eni(a).PrimaryIp()), router)).size(), 1u);
  // A broken invariant: the interface names a subnet the partition does not have.
  std::string subnet = Part().network_interfaces.at(a).subnet_id;
  Part().network_interfaces.at(a).subnet_id = "subnet-00000000";
  source.Changed();
  EXPECT_TRUE(engine.Inject(a, ArpRequest(Mac(a), Ip(Eni(a).PrimaryIp()), router)).empty());
  EXPECT_GE(engine.Counters().internal_errors, 1u);
  Part().network_interfaces.at(a).subnet_id = subnet;
  source.Changed();
  EXPECT_EQ(engine.Inject(a, ArpRequest(Mac(a), Ip(Eni(a).PrimaryIp()), router)).size(), 1u);
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b);
}

TEST_F(EngineTest, TheFlowCacheRunsTheStagesOncePerFlowAndAgainAfterAChange) {
  for (int i = 0; i < 10; ++i) EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b);
  EXPECT_EQ(engine.Counters().flow_misses, 1u);
  source.Changed();
  EXPECT_EQ(Send(a, Tcp(a, b, 40000, 80)), b);
  EXPECT_EQ(engine.Counters().flow_misses, 2u);
}

TEST_F(EngineTest, MetadataRequestsLeaveWithTheInterfacesAlias) {  // O3: never filtered
  engine.SetServicePort({.fd = -1, .mac = {0x02, 0, 0, 0, 0, 0xfe}});
  Flow f{.protocol = 6, .src = Ip(Eni(a).PrimaryIp()), .dst = dataplane::kMetadataAddress, .src_port = 41000,
         .dst_port = 80};
  auto out = engine.Inject(a, FlowFrame(f, Mac(a)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, "svc");
  dataplane::ParsedFrame pf;
  ASSERT_TRUE(dataplane::ParseFrame(out[0].second, pf));
  EXPECT_EQ(pf.src, *engine.ServiceAlias(a));
  EXPECT_EQ(engine.InterfaceOfAlias(pf.src), a);
  EXPECT_TRUE(openvpc::testing::ChecksumsValid(out[0].second)) << "the rewrite keeps the checksums right";
}

TEST_F(EngineTest, TcpQueriesToTheResolverAreAnsweredInTheServicesNamespace) {  // R1 over TCP
  engine.SetServicePort({.fd = -1, .mac = {0x02, 0, 0, 0, 0, 0xfe}});
  const net::Ipv4 me = Ip(Eni(a).PrimaryIp());
  Flow f{.protocol = 6, .src = me, .dst = Ip("10.0.0.2"), .src_port = 41000, .dst_port = 53};
  auto out = engine.Inject(a, FlowFrame(f, Mac(a)));
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, "svc");
  dataplane::ParsedFrame pf;
  ASSERT_TRUE(dataplane::ParseFrame(out[0].second, pf));
  EXPECT_EQ(pf.src, *engine.ServiceAlias(a));
  EXPECT_EQ(pf.dst, dataplane::kResolverLinkLocal);
  EXPECT_TRUE(openvpc::testing::ChecksumsValid(out[0].second));
  // The answer comes back from the address the instance asked.
  Flow back{.protocol = 6, .src = dataplane::kResolverLinkLocal, .dst = *engine.ServiceAlias(a), .src_port = 53,
            .dst_port = 41000};
  auto in = engine.Inject("svc", FlowFrame(back, {0x02, 0, 0, 0, 0, 0xfe}, dataplane::kTcpSyn | dataplane::kTcpAck));
  ASSERT_EQ(in.size(), 1u);
  EXPECT_EQ(in[0].first, a);
  ASSERT_TRUE(dataplane::ParseFrame(in[0].second, pf));
  EXPECT_EQ(pf.src, Ip("10.0.0.2"));
  EXPECT_EQ(pf.dst, me);
  EXPECT_TRUE(openvpc::testing::ChecksumsValid(in[0].second));
  // R2: with DNS support off, nothing leaves.
  {
    Tx tx = NewTx();
    ModifyVpcAttribute(tx, vpc, "enableDnsSupport", false);
  }
  source.Changed();
  EXPECT_TRUE(engine.Inject(a, FlowFrame(f, Mac(a))).empty());
}

}  // namespace

namespace {

// Two hosts: this fixture's engine runs a and b, a second engine (host 2) runs c and d; each has
// the other's interfaces as remote ports. What one sends to a remote port is the datagram the
// other receives: VXLAN header, then the frame as it came.
class UnderlayTest : public EngineTest {
 protected:
  UnderlayTest() : other(source) {
    const net::Ipv4 host1 = Ip("10.255.0.1"), host2 = Ip("10.255.0.2");
    for (const auto& eni : {c, d}) engine.RemovePort(eni);
    for (const auto& eni : {c, d}) engine.AddPort({.eni_id = eni, .account = "123456789012", .region = "us-east-1",
                                                   .remote_host = host2});
    for (const auto& eni : {a, b})
      other.AddPort({.eni_id = eni, .account = "123456789012", .region = "us-east-1", .remote_host = host1});
    for (const auto& eni : {c, d}) other.AddPort({.eni_id = eni, .account = "123456789012", .region = "us-east-1"});
  }
  // FRAME from local interface FROM on ENGINE: what reaches the other engine's interfaces.
  std::vector<std::pair<std::string, std::vector<uint8_t>>> Across(Engine& from_engine, Engine& to_engine,
                                                                   const std::string& from, const Flow& f) {
    auto sent = from_engine.Inject(from, FlowFrame(f, Mac(from)));
    if (sent.size() != 1) return {};
    auto header = dataplane::VxlanHeader(dataplane::VniOf(vpc));
    std::vector<uint8_t> datagram(header.begin(), header.end());
    datagram.resize(datagram.size() + dataplane::kVnetHeaderSize);
    datagram.insert(datagram.end(), sent[0].second.begin(), sent[0].second.end());
    return to_engine.InjectUnderlay(datagram);
  }
  Engine other;
};

TEST_F(UnderlayTest, AFrameToAnotherHostLeavesAsItCameAndIsDecidedThereAgain) {
  // a (here) -> c (host 2) on 80: web admits it; the frame leaves unchanged (its source MAC
  // names a), host 2 decides it again and delivers it with the router's MACs.
  auto sent = engine.Inject(a, FlowFrame(Tcp(a, c, 40000, 80), Mac(a)));
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].first, c);
  MacAddress src;
  memcpy(src.data(), sent[0].second.data() + 6, 6);
  EXPECT_EQ(src, Mac(a)) << "not rewritten: host 2 decides it";
  auto delivered = Across(engine, other, a, Tcp(a, c, 40001, 80));
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0].first, c);
  memcpy(src.data(), delivered[0].second.data() + 6, 6);
  EXPECT_EQ(src, dataplane::kRouterMac);
  // The reply is decided on host 2 by its own connection tracking (CT-1), and on host 1 again.
  auto reply = Across(other, engine, c, Tcp(c, a, 80, 40001));
  ASSERT_EQ(reply.size(), 1u);
  EXPECT_EQ(reply[0].first, a);
  // A port no rule admits is dropped on the sending host, and would be on the receiving one.
  EXPECT_TRUE(engine.Inject(a, FlowFrame(Tcp(a, c, 40000, 81), Mac(a))).empty());
}

TEST_F(UnderlayTest, ADatagramThatIsNotOpenvpcsOrFromNoKnownInterfaceIsDropped) {
  auto frame = FlowFrame(Tcp(c, a, 40000, 80), Mac(c));
  auto header = dataplane::VxlanHeader(dataplane::VniOf(vpc));
  std::vector<uint8_t> good(header.begin(), header.end());
  good.resize(good.size() + dataplane::kVnetHeaderSize);
  good.insert(good.end(), frame.begin(), frame.end());
  ASSERT_EQ(engine.InjectUnderlay(good).size(), 1u);  // positive control: c -> a:80
  auto plain = good;
  plain[1] = 0;  // RFC 7348 without openvpc's O flag
  EXPECT_TRUE(engine.InjectUnderlay(plain).empty());
  auto stranger = good;
  stranger[8 + dataplane::kVnetHeaderSize + 11] ^= 0x55;  // a source MAC no remote port has
  EXPECT_TRUE(engine.InjectUnderlay(stranger).empty());
  auto local_source = good;
  memcpy(local_source.data() + 8 + dataplane::kVnetHeaderSize + 6, Mac(b).data(), 6);  // b is this host's
  EXPECT_TRUE(engine.InjectUnderlay(local_source).empty());
  EXPECT_TRUE(engine.InjectUnderlay(std::vector<uint8_t>(good.begin(), good.begin() + 20)).empty());
  // Decided (D flag): delivered by its destination MAC, only to an interface of this host.
  auto decided = good;
  decided[1] |= 0x02;
  memcpy(decided.data() + 8 + dataplane::kVnetHeaderSize, Mac(a).data(), 6);
  auto out = engine.InjectUnderlay(decided);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].first, a);
  memcpy(decided.data() + 8 + dataplane::kVnetHeaderSize, Mac(c).data(), 6);  // c runs elsewhere
  EXPECT_TRUE(engine.InjectUnderlay(decided).empty());
}

}  // namespace
