// The gateways on the data plane without devices: the internet gateway's 1:1 NAT (guide I2,
// I3), the NAT gateway's port translation (K5, K6, K8, K9 with the engine's clock, K10
// fragments, K11, K15), private NAT gateways into a peer VPC, and peering without transit (T3,
// T4), through the pipeline and through Engine::Inject with an internet port.
#include <gtest/gtest.h>

#include "dataplane/engine/engine.h"
#include "dataplane/engine/nat_table.h"
#include "dataplane/services/local_services.h"
#include "dataplane/wire/packet6.h"
#include "dataplane/engine/path_mtu.h"
#include "dataplane/pipeline.h"
#include "dataplane_testing.h"
#include "model/rules.h"
#include "model/address.h"
#include "model/instance.h"
#include "model/nat_gateway.h"
#include "model/network_acl.h"
#include "model/network_interface.h"
#include "model/dhcp_options.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "model/security_group.h"
#include "model/vpc_peering.h"

using namespace openvpc;
using namespace openvpc::model;
using dataplane::Engine;
using dataplane::MacAddress;
using dataplane::NatTable;
using openvpc::testing::ChecksumsValid;
using openvpc::testing::FlowFrame;

namespace {

net::Ipv4 Ip(const std::string& s) { return *net::ParseIpv4(s); }
const net::Ipv4 kInternetHost = Ip("203.0.113.10");

TEST(NatTable, OnePortPerConnectionFromTheUpperRange) {  // K6
  NatTable t;
  auto* a = t.Outbound("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80, "eni-a", 0);
  auto* b = t.Outbound("nat-1", 6, Ip("10.0.2.5"), 40000, kInternetHost, 80, "eni-b", 0);
  ASSERT_TRUE(a && b);
  EXPECT_GE(a->nat_port, 1024);
  EXPECT_NE(a->nat_port, b->nat_port);
  EXPECT_EQ(t.Outbound("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80, "eni-a", 1)->nat_port, a->nat_port);
  auto* back = t.Inbound("nat-1", 6, kInternetHost, 80, b->nat_port, 2);
  ASSERT_NE(back, nullptr);
  EXPECT_EQ(back->eni_id, "eni-b");
  EXPECT_EQ(back->client_port, 40000);
  EXPECT_EQ(t.Inbound("nat-1", 6, kInternetHost, 81, b->nat_port, 2), nullptr);  // another peer port
  EXPECT_EQ(t.Inbound("nat-1", 17, kInternetHost, 80, b->nat_port, 2), nullptr);  // another protocol
}

TEST(NatTable, At55000ConnectionsADestinationIsFull) {  // K8
  // The 55,001st connection to 203.0.113.10:53 (UDP) is refused …
  NatTable u;
  for (int i = 0; i < 55000; ++i)
    ASSERT_NE(u.Outbound("nat-1", 17, Ip("10.0.2.4"), static_cast<uint16_t>(i + 1), kInternetHost, 53, "e", 0), nullptr);
  EXPECT_EQ(u.Outbound("nat-1", 17, Ip("10.0.2.4"), 55001, kInternetHost, 53, "e", 0), nullptr);
  // … while another destination (port) still has room.
  EXPECT_NE(u.Outbound("nat-1", 17, Ip("10.0.2.4"), 55001, kInternetHost, 54, "e", 0), nullptr);
}

TEST(NatTable, IdleFor350SecondsIsForgottenAndRemembered) {  // K9
  NatTable t;
  auto* a = t.Outbound("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80, "eni-a", 0);
  uint16_t port = a->nat_port;
  EXPECT_EQ(t.Expire(350), 0u);
  EXPECT_NE(t.Inbound("nat-1", 6, kInternetHost, 80, port, 349), nullptr);  // renewed at 349
  EXPECT_EQ(t.Expire(700), 1u);
  EXPECT_EQ(t.Inbound("nat-1", 6, kInternetHost, 80, port, 700), nullptr);
  EXPECT_TRUE(t.Expired("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80));
  t.Outbound("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80, "eni-a", 701);  // a new connection
  EXPECT_FALSE(t.Expired("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80));
}

TEST(NatTable, AClosedConnectionGivesItsPortBackSoon) {  // K8: simultaneous connections
  NatTable t;
  auto* a = t.Outbound("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80, "eni-a", 0);
  a->closing = true;
  EXPECT_EQ(t.Expire(5), 0u);
  EXPECT_EQ(t.Expire(11), 1u);
  EXPECT_EQ(t.size(), 0u);
  EXPECT_FALSE(t.Expired("nat-1", 6, Ip("10.0.2.4"), 40000, kInternetHost, 80));  // closed, not idle: no reset
}

TEST(Packet, RewritePortKeepsChecksumsValid) {
  using namespace dataplane;
  for (int proto : {6, 17, 1}) {
    Flow f{.protocol = proto, .src = Ip("10.0.2.4"), .dst = kInternetHost, .src_port = 40000, .dst_port = 80,
           .icmp_type = 8, .icmp_code = 0};
    auto frame = FlowFrame(f, {2, 0, 0, 0, 0, 9}, kTcpSyn, 33);
    ParsedFrame pf;
    ASSERT_TRUE(ParseFrame(frame, pf));
    RewritePort(frame, pf, true, 1024, VnetHeader{});
    RewriteIpv4Address(frame, pf, true, Ip("198.51.100.7"), VnetHeader{});
    EXPECT_TRUE(ChecksumsValid(frame)) << proto;
    ParsedFrame after;
    ASSERT_TRUE(ParseFrame(frame, after));
    EXPECT_EQ(after.src_port, 1024) << proto;
  }
}

TEST(Packet, RewriteIpv6AddressKeepsTheTcpChecksumValid) {  // metadata at [fd00:ec2::254]
  using namespace dataplane;
  using openvpc::testing::Ip6;
  const net::Ipv6 src = Ip6("2001:db8:0:1::10"), dst = Ip6("fd00:ec2::254"), alias = Ip6("fd00:ec2:0:a11a::6440:7");
  std::vector<uint8_t> tcp(20 + 5, 'x');
  tcp[0] = 0x9c, tcp[1] = 0x40, tcp[2] = 0, tcp[3] = 80;  // ports 40000 -> 80
  tcp[12] = 0x50, tcp[13] = kTcpSyn;
  tcp[16] = tcp[17] = 0;
  const uint16_t sum = Ipv6L4Checksum(src, dst, 6, tcp);
  tcp[16] = static_cast<uint8_t>(sum >> 8), tcp[17] = static_cast<uint8_t>(sum);
  auto frame = BuildIpv6Frame({2, 0, 0, 0, 0, 9}, kRouterMac, src, dst, 6, 64, tcp);
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(frame, pf));
  RewriteIpv6Address(frame, pf, true, alias, VnetHeader{});
  ParsedFrame after;
  ASSERT_TRUE(ParseFrame(frame, after));
  EXPECT_EQ(after.src6, alias);
  EXPECT_EQ(after.dst6, dst);
  std::span<const uint8_t> l4(frame.data() + after.l4, tcp.size());
  EXPECT_EQ(Ipv6L4Checksum(after.src6, after.dst6, 6, l4), 0) << "the checksum verifies after the rewrite";
  RewriteIpv6Address(frame, after, false, src, VnetHeader{});  // and the destination, back
  ASSERT_TRUE(ParseFrame(frame, after));
  EXPECT_EQ(Ipv6L4Checksum(after.src6, after.dst6, 6, {frame.data() + after.l4, tcp.size()}), 0);
}

TEST(Packet, TcpResetAnswersTheSegment) {  // K9
  using namespace dataplane;
  Flow f{.protocol = 6, .src = Ip("10.0.2.4"), .dst = kInternetHost, .src_port = 40000, .dst_port = 80};
  auto frame = FlowFrame(f, {2, 0, 0, 0, 0, 9}, kTcpAck);
  frame[14 + 20 + 8] = 0x11;  // ack number 0x11000000
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(frame, pf));
  auto rst = BuildTcpReset(frame, pf);
  EXPECT_TRUE(ChecksumsValid(rst));
  ParsedFrame r;
  ASSERT_TRUE(ParseFrame(rst, r));
  EXPECT_EQ(r.src, kInternetHost);
  EXPECT_EQ(r.dst_port, 40000);
  EXPECT_EQ(r.tcp_flags, kTcpRst);
  EXPECT_EQ(rst[14 + 20 + 4], 0x11);  // seq = the segment's ack
}

TEST(Packet, FragmentFieldsOfIpv4AndIpv6) {
  using namespace dataplane;
  auto whole = FlowFrame({.protocol = 17, .src = Ip("10.0.2.4"), .dst = kInternetHost, .src_port = 1, .dst_port = 2},
                         {2, 0, 0, 0, 0, 9}, 0, 100);
  auto [first, second] = openvpc::testing::Fragments(whole, 64, 0xbeef);
  ParsedFrame a, b, c;
  ASSERT_TRUE(ParseFrame(first, a));
  ASSERT_TRUE(ParseFrame(second, b));
  ASSERT_TRUE(ParseFrame(whole, c));
  EXPECT_TRUE(a.first_fragment && !a.fragment && a.dst_port == 2 && a.fragment_id == 0xbeef);
  EXPECT_TRUE(!b.first_fragment && b.fragment && b.dst_port == 0 && b.fragment_id == 0xbeef);
  EXPECT_TRUE(!c.first_fragment && !c.fragment);
  // IPv6: a fragment header (44) before UDP; offset 0 with M set is a first fragment, M clear
  // (an atomic fragment, RFC 8021) is none.
  for (uint16_t offset_flags : {uint16_t{1}, uint16_t{0}, uint16_t{0x00b8}}) {
    std::vector<uint8_t> f(14 + 40 + 8 + 8, 0);
    f[12] = 0x86, f[13] = 0xdd, f[14] = 0x60;
    f[14 + 5] = 16;  // payload: the fragment header and 8 bytes of UDP
    f[14 + 6] = 44;
    f[14 + 7] = 64;
    f[14 + 8] = 0x20, f[14 + 9] = 0x01, f[14 + 23] = 1;  // 2001::1 -> 2001::2
    f[14 + 24] = 0x20, f[14 + 25] = 0x01, f[14 + 39] = 2;
    uint8_t* h = f.data() + 14 + 40;
    h[0] = 17;
    h[2] = static_cast<uint8_t>(offset_flags >> 8), h[3] = static_cast<uint8_t>(offset_flags);
    h[4] = 0xca, h[5] = 0xfe, h[6] = 0xba, h[7] = 0xbe;
    h[8 + 1] = 53, h[8 + 3] = 53, h[8 + 5] = 8;
    ParsedFrame p6;
    ASSERT_TRUE(ParseFrame(f, p6)) << offset_flags;
    EXPECT_EQ(p6.first_fragment, offset_flags == 1) << offset_flags;
    EXPECT_EQ(p6.fragment, offset_flags == 0x00b8) << offset_flags;
    EXPECT_EQ(p6.fragment_id, offset_flags ? 0xcafebabeu : 0u) << offset_flags;
  }
}

// A VPC with a public subnet (route to an internet gateway, a NAT gateway) and a private one
// (route to the NAT gateway), an internet port on the engine.
class GatewaysTest : public ::testing::Test {
 protected:
  GatewaysTest() : source(state), engine(source) {
    RegisterAllRules();
    AttachPeeringState(&state);
    Partition& p = Part();
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx = NewTx();
    InitializePartition(tx);
    vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    pub = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .availability_zone = "us-east-1a"}).id;
    priv = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .availability_zone = "us-east-1a"}).id;
    igw = CreateInternetGateway(tx, {}).id;
    AttachInternetGateway(tx, igw, vpc);
    std::string pub_rt = CreateRouteTable(tx, vpc, {}).id;
    CreateRoute(tx, {.route_table_id = pub_rt, .destination_cidr_block = "0.0.0.0/0", .target_member = "GatewayId",
                     .target_id = igw});
    AssociateRouteTable(tx, pub_rt, pub, "");
    web = CreateSecurityGroup(tx, {.group_name = "web", .description = "web", .vpc_id = vpc}).id;
    AuthorizeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 8080, .to_port = 8080,
                                                          .cidr_ipv4 = "0.0.0.0/0"}});
    server = Launch(tx, pub);
    client = Launch(tx, priv);
    Address& eip = AllocateAddress(tx, {});
    AssociateAddress(tx, {.allocation_id = eip.allocation_id, .network_interface_id = server});
    server_public = Ip(eip.public_ip);
    Address& nat_eip = AllocateAddress(tx, {});
    nat_public = Ip(nat_eip.public_ip);
    nat = CreateNatGateway(tx, {.subnet_id = pub, .allocation_id = nat_eip.allocation_id}).id;
    SetNatGatewayClock([] { return std::chrono::system_clock::now() + std::chrono::hours(1); });  // available
    CreateRoute(tx, {.route_table_id = MainRouteTable(p, vpc).id, .destination_cidr_block = "0.0.0.0/0",
                     .target_member = "NatGatewayId", .target_id = nat});
    for (const auto& eni : {server, client}) engine.AddPort({.eni_id = eni, .account = p.account_id, .region = p.region});
    engine.SetInternetPort({.fd = -1, .mac = {2, 0, 0, 0, 0, 0xfd}});
  }
  ~GatewaysTest() override {
    SetNatGatewayClock({});
    AttachPeeringState(nullptr);  // the State goes with the test
  }
  Partition& Part() { return state.partitions[{"123456789012", "us-east-1"}]; }
  Tx NewTx() { return Tx(Part(), state.quotas, &state); }
  std::string Launch(Tx& tx, const std::string& subnet) {
    std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet,
                                       .group_ids = {web}})[0]->id;
    return InterfacesOf(Part(), id)[0]->id;
  }
  const NetworkInterface& Eni(const std::string& id) { return Part().network_interfaces.at(id); }
  MacAddress Mac(const std::string& id) { return *dataplane::ParseMac(Eni(id).mac_address); }
  net::Ipv4 PrivateIp(const std::string& id) { return Ip(Eni(id).PrimaryIp()); }
  // What came out of the engine for FRAME sent on FROM: (port, parsed frame); port "" when dropped.
  std::pair<std::string, dataplane::ParsedFrame> Send(const std::string& from, const Flow& f,
                                                      uint8_t flags = dataplane::kTcpSyn) {
    auto out = engine.Inject(from, FlowFrame(f, from == "internet" ? MacAddress{2, 0, 0, 0, 0, 0xfd} : Mac(from), flags));
    dataplane::ParsedFrame pf;
    if (out.empty()) return {"", pf};
    EXPECT_TRUE(ChecksumsValid(out.front().second));
    dataplane::ParseFrame(out.front().second, pf);
    return {out.front().first, pf};
  }

  State state;
  openvpc::testing::StateSource source;
  Engine engine;
  std::string vpc, pub, priv, igw, web, server, client, nat;
  net::Ipv4 server_public, nat_public;
};

TEST_F(GatewaysTest, TheInternetReachesAnElasticIpOnAnAllowedPortOnly) {  // I2, S1, S3
  auto [port, in] = Send("internet", {.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 50000,
                                      .dst_port = 8080});
  EXPECT_EQ(port, server);
  EXPECT_EQ(in.dst, PrivateIp(server));
  // The reply leaves with the Elastic IP as its source.
  auto [out_port, out] = Send(server, {.protocol = 6, .src = PrivateIp(server), .dst = kInternetHost,
                                       .src_port = 8080, .dst_port = 50000}, dataplane::kTcpSyn | dataplane::kTcpAck);
  EXPECT_EQ(out_port, "internet");
  EXPECT_EQ(out.src, server_public);
  EXPECT_EQ(Send("internet", {.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 50000,
                              .dst_port = 22}).first, "");  // no rule for 22
  EXPECT_EQ(Send("internet", {.protocol = 6, .src = kInternetHost, .dst = Ip("198.51.100.200"), .src_port = 1,
                              .dst_port = 8080}).first, "");  // nobody's address
}

TEST_F(GatewaysTest, WithoutAnAttachedGatewayThePublicAddressLeadsNowhere) {  // I1
  auto t = dataplane::TraceFromInternet(Part(), {.protocol = 6, .src = kInternetHost, .dst = server_public,
                                                 .src_port = 1, .dst_port = 8080});
  EXPECT_TRUE(t.allowed);
  Part().internet_gateways.at(igw).attachments.clear();
  t = dataplane::TraceFromInternet(Part(), {.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 1,
                                            .dst_port = 8080});
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().explanation_code, "NO_ROUTE_TO_DESTINATION");
}

TEST_F(GatewaysTest, APrivateInstanceGoesOutThroughTheNatGatewaysAddressAndPort) {  // K6, K12, K15, S4
  Flow f{.protocol = 6, .src = PrivateIp(client), .dst = kInternetHost, .src_port = 40000, .dst_port = 80};
  auto [port, out] = Send(client, f);
  ASSERT_EQ(port, "internet");
  EXPECT_EQ(out.src, nat_public);
  EXPECT_GE(out.src_port, 1024);
  // The reply to the gateway's port comes back to the client's own address and port.
  auto [back_port, back] = Send("internet", {.protocol = 6, .src = kInternetHost, .dst = nat_public, .src_port = 80,
                                             .dst_port = out.src_port}, dataplane::kTcpSyn | dataplane::kTcpAck);
  EXPECT_EQ(back_port, client);
  EXPECT_EQ(back.dst, PrivateIp(client));
  EXPECT_EQ(back.dst_port, 40000);
  // Nothing unsolicited: another port of the gateway, or a ping to it (K11).
  EXPECT_EQ(Send("internet", {.protocol = 6, .src = kInternetHost, .dst = nat_public, .src_port = 80,
                              .dst_port = static_cast<int>(out.src_port) + 1}).first, "");
  EXPECT_EQ(Send("internet", {.protocol = 1, .src = kInternetHost, .dst = nat_public, .icmp_type = 8,
                              .icmp_code = 0}).first, "");
}

TEST_F(GatewaysTest, PingsThroughTheNatGatewayCarryItsOwnIdentifier) {  // K5
  auto [port, out] = Send(client, {.protocol = 1, .src = PrivateIp(client), .dst = kInternetHost, .icmp_type = 8,
                                   .icmp_code = 0});
  ASSERT_EQ(port, "internet");
  EXPECT_EQ(out.src, nat_public);
  EXPECT_NE(out.src_port, 0x1234);  // FlowFrame's identifier: the gateway's own replaced it
  // The echo reply carries the gateway's identifier; the client gets its own back.
  auto reply = FlowFrame({.protocol = 1, .src = kInternetHost, .dst = nat_public, .icmp_type = 0, .icmp_code = 0},
                         {2, 0, 0, 0, 0, 0xfd});
  reply[14 + 20 + 4] = static_cast<uint8_t>(out.src_port >> 8);
  reply[14 + 20 + 5] = static_cast<uint8_t>(out.src_port);
  dataplane::ParsedFrame rp;
  dataplane::ParseFrame(reply, rp);
  dataplane::SetL4Checksum(reply, rp);
  auto back = engine.Inject("internet", reply);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back.front().first, client);
  EXPECT_TRUE(ChecksumsValid(back.front().second));
  dataplane::ParsedFrame bp;
  dataplane::ParseFrame(back.front().second, bp);
  EXPECT_EQ(bp.dst, PrivateIp(client));
  EXPECT_EQ(bp.dst_port, 0x1234);
  // An echo *request* with the gateway's identifier is no reply: it ends at the gateway (K11, K12).
  reply[14 + 20] = 8;
  dataplane::SetL4Checksum(reply, rp);
  EXPECT_TRUE(engine.Inject("internet", reply).empty());
}

TEST(ConnectionTable, AnEchoRequestComingTheRepliesWayIsNoReply) {  // CT-1, CT-2
  dataplane::ConnectionTable ct;
  Flow request{.protocol = 1, .src = Ip("10.0.1.4"), .dst = kInternetHost, .src_port = 7, .dst_port = 7,
               .icmp_type = 8, .icmp_code = 0};
  ct.Open("eni-a", request, true, 0);
  Flow reply = request;
  std::swap(reply.src, reply.dst);
  reply.icmp_type = 0;
  EXPECT_NE(ct.Find("eni-a", reply, false, 1), nullptr);
  Flow their_request = reply;
  their_request.icmp_type = 8;
  EXPECT_EQ(ct.Find("eni-a", their_request, false, 1), nullptr);
}

TEST_F(GatewaysTest, TheNatGatewaysSubnetAclAppliesBothWays) {  // K6
  Tx acl_tx = NewTx();
  std::string acl = CreateNetworkAcl(acl_tx, vpc, {}).id;  // denies everything (N3)
  auto t = dataplane::Trace(Part(), Eni(client), {.protocol = 6, .src = PrivateIp(client), .dst = kInternetHost,
                                                  .src_port = 40000, .dst_port = 80});
  ASSERT_TRUE(t.allowed);
  EXPECT_EQ(t.nat_gateway, nat);
  ASSERT_TRUE(t.translated_src);
  EXPECT_EQ(*t.translated_src, nat_public);
  for (const auto& a : NetworkAclOfSubnet(Part(), pub).associations)
    if (a.subnet_id == pub) {
      Tx tx = NewTx();
      ReplaceNetworkAclAssociation(tx, a.id, acl);
      break;
    }
  t = dataplane::Trace(Part(), Eni(client), {.protocol = 6, .src = PrivateIp(client), .dst = kInternetHost,
                                             .src_port = 40000, .dst_port = 80});
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "network-acl-inbound");
  EXPECT_EQ(t.stages.back().component, acl);
}

TEST_F(GatewaysTest, OnlyTcpUdpAndIcmpCrossANatGateway) {  // K5
  auto t = dataplane::Trace(Part(), Eni(client), {.protocol = 47, .src = PrivateIp(client), .dst = kInternetHost});
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "nat-gateway");
}

TEST_F(GatewaysTest, PeeringDeliversIntoThePeerVpcOnlyAndNeverBeyond) {  // T1, T3, T4
  Tx tx = NewTx();
  std::string other = CreateVpc(tx, {.cidr_block = "10.9.0.0/16"}).id;
  std::string other_subnet =
      CreateSubnet(tx, {.vpc_id = other, .cidr_block = "10.9.1.0/24", .availability_zone = "us-east-1a"}).id;
  std::string open = CreateSecurityGroup(tx, {.group_name = "o", .description = "o", .vpc_id = other}).id;
  AuthorizeSecurityGroupRules(tx, open, false, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "10.0.0.0/8"}});
  std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro",
                                     .subnet_id = other_subnet, .group_ids = {open}})[0]->id;
  const NetworkInterface* far = InterfacesOf(Part(), id)[0];
  std::string pcx = CreateVpcPeeringConnection(tx, {.vpc_id = vpc, .peer_vpc_id = other}).id;
  CreateRoute(tx, {.route_table_id = MainRouteTable(Part(), vpc).id, .destination_cidr_block = "10.9.0.0/16",
                   .target_member = "VpcPeeringConnectionId", .target_id = pcx});
  CreateRoute(tx, {.route_table_id = MainRouteTable(Part(), vpc).id, .destination_cidr_block = "172.16.0.0/12",
                   .target_member = "VpcPeeringConnectionId", .target_id = pcx});
  Flow f{.protocol = 6, .src = PrivateIp(client), .dst = Ip(far->PrimaryIp()), .src_port = 1, .dst_port = 22};
  auto t = dataplane::Trace(Part(), Eni(client), f, {.state = &state});
  EXPECT_FALSE(t.allowed);  // pending-acceptance: the route leads nowhere yet
  AcceptVpcPeeringConnection(tx, pcx);
  t = dataplane::Trace(Part(), Eni(client), f, {.state = &state});
  ASSERT_TRUE(t.allowed) << t.stages.back().name << " " << t.stages.back().explanation_code;
  EXPECT_EQ(t.destination, far);
  f.dst = Ip("172.16.0.5");  // routed to the connection, but not the peer's address: no transit
  t = dataplane::Trace(Part(), Eni(client), f, {.state = &state});
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().explanation_code, "CANNOT_ROUTE");
}

}  // namespace

namespace {

TEST_F(GatewaysTest, FlowLogAccountingCountsEachFlowAtTheInterfacesItReached) {
  std::vector<dataplane::FlowLogRecord> records;
  engine.SetFlowLogSink([&](const dataplane::FlowLogRecord& r) { records.push_back(r); });
  // From the internet to the Elastic IP: counted at the server's interface, by its private address.
  Flow in{.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 50000, .dst_port = 8080};
  Send("internet", in);
  Send("internet", in, dataplane::kTcpAck);
  // A port without a rule: rejected there.
  Send("internet", {.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 50001, .dst_port = 22});
  // The client to the server inside the VPC: port 22 has no rule: accepted leaving, rejected arriving.
  Send(client, {.protocol = 6, .src = PrivateIp(client), .dst = PrivateIp(server), .src_port = 40000, .dst_port = 22});
  engine.FlushFlowLog();
  auto find = [&](const std::string& eni, bool egress, int dport) -> const dataplane::FlowLogRecord* {
    for (const auto& r : records)
      if (r.eni_id == eni && r.egress == egress && r.flow.dst_port == dport) return &r;
    return nullptr;
  };
  const auto* web = find(server, false, 8080);
  ASSERT_NE(web, nullptr);
  EXPECT_TRUE(web->accepted);
  EXPECT_EQ(web->packets, 2u);
  EXPECT_EQ(web->flow.dst, PrivateIp(server));
  EXPECT_EQ(web->flow.src, kInternetHost);
  EXPECT_EQ(web->bytes, 2u * 40);  // the IP packets: 20 + 20 bytes each
  const auto* ssh = find(server, false, 22);
  ASSERT_NE(ssh, nullptr);
  EXPECT_FALSE(ssh->accepted);
  const auto* out = find(client, true, 22);
  ASSERT_NE(out, nullptr);
  EXPECT_TRUE(out->accepted);
  EXPECT_EQ(out->packets, 1u);
  // Counts are handed over once.
  records.clear();
  engine.FlushFlowLog();
  EXPECT_TRUE(records.empty());
}

}  // namespace

namespace {

using openvpc::testing::Fragments;
using openvpc::testing::Reassembled;

// Runs FRAGMENTS through the engine from FROM; the frames that came out, in order.
std::vector<std::pair<std::string, std::vector<uint8_t>>> SendAll(Engine& engine, const std::string& from,
                                                                  const std::vector<std::vector<uint8_t>>& frames) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> out;
  for (const auto& f : frames)
    for (auto& sent : engine.Inject(from, f)) out.push_back(std::move(sent));
  return out;
}

TEST_F(GatewaysTest, FragmentsFollowTheirFirstThroughTheInternetGateway) {  // I2
  // A 3,000-byte TCP segment from the internet to the Elastic IP, in two fragments.
  auto whole = FlowFrame({.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 50000,
                          .dst_port = 8080}, {2, 0, 0, 0, 0, 0xfd}, dataplane::kTcpSyn, 3000);
  auto [first, second] = Fragments(whole, 1480, 0x4242);
  auto out = SendAll(engine, "internet", {first, second});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].first, server);
  EXPECT_EQ(out[1].first, server);
  dataplane::ParsedFrame later;
  ASSERT_TRUE(dataplane::ParseFrame(out[1].second, later));
  EXPECT_TRUE(later.fragment);
  EXPECT_EQ(later.dst, PrivateIp(server));  // translated like its first
  EXPECT_TRUE(ChecksumsValid(Reassembled({out[0].second, out[1].second})));
  // The same for a port without a rule: neither fragment gets in.
  auto closed = FlowFrame({.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 50000,
                           .dst_port = 22}, {2, 0, 0, 0, 0, 0xfd}, dataplane::kTcpSyn, 3000);
  auto [c1, c2] = Fragments(closed, 1480, 0x4243);
  EXPECT_TRUE(SendAll(engine, "internet", {c1, c2}).empty());
}

TEST_F(GatewaysTest, ALaterFragmentWithoutItsFirstIsDropped) {
  auto whole = FlowFrame({.protocol = 6, .src = kInternetHost, .dst = server_public, .src_port = 50000,
                          .dst_port = 8080}, {2, 0, 0, 0, 0, 0xfd}, dataplane::kTcpSyn, 3000);
  auto [first, second] = Fragments(whole, 1480, 0x5151);
  EXPECT_TRUE(engine.Inject("internet", second).empty());  // before its first: nothing to follow
  auto [other_first, other_second] = Fragments(whole, 1480, 0x5152);
  ASSERT_EQ(engine.Inject("internet", other_first).size(), 1u);
  EXPECT_TRUE(engine.Inject("internet", second).empty());  // another datagram's first is not its own
  EXPECT_EQ(engine.Inject("internet", other_second).size(), 1u);
}

TEST_F(GatewaysTest, ANatGatewayForwardsFragmentedUdpAndDropsFragmentedTcpAndIcmp) {  // K10
  // UDP: both fragments leave from the gateway's Elastic IP; the port is in the first only.
  auto udp = FlowFrame({.protocol = 17, .src = PrivateIp(client), .dst = kInternetHost, .src_port = 40000,
                        .dst_port = 5353}, Mac(client), 0, 2000);
  auto [u1, u2] = Fragments(udp, 1480, 0x0101);
  auto out = SendAll(engine, client, {u1, u2});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].first, "internet");
  EXPECT_EQ(out[1].first, "internet");
  auto whole = Reassembled({out[0].second, out[1].second});
  EXPECT_TRUE(ChecksumsValid(whole));
  dataplane::ParsedFrame sent;
  ASSERT_TRUE(dataplane::ParseFrame(whole, sent));
  EXPECT_EQ(sent.src, nat_public);
  EXPECT_NE(sent.src_port, 40000);
  // The fragmented answer to the gateway's port comes back to the client's address and port.
  auto answer = FlowFrame({.protocol = 17, .src = kInternetHost, .dst = nat_public, .src_port = 5353,
                           .dst_port = sent.src_port}, {2, 0, 0, 0, 0, 0xfd}, 0, 2000);
  auto [a1, a2] = Fragments(answer, 1480, 0x0202);
  auto back = SendAll(engine, "internet", {a1, a2});
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[0].first, client);
  EXPECT_EQ(back[1].first, client);
  auto got = Reassembled({back[0].second, back[1].second});
  EXPECT_TRUE(ChecksumsValid(got));
  dataplane::ParsedFrame received;
  ASSERT_TRUE(dataplane::ParseFrame(got, received));
  EXPECT_EQ(received.dst, PrivateIp(client));
  EXPECT_EQ(received.dst_port, 40000);
  // Fragmented TCP and ICMP end at the gateway, and trace says why; unfragmented, they pass.
  for (int proto : {6, 1}) {
    Flow f{.protocol = proto, .src = PrivateIp(client), .dst = kInternetHost, .src_port = 40001, .dst_port = 80,
           .icmp_type = 8, .icmp_code = 0};
    auto [f1, f2] = Fragments(FlowFrame(f, Mac(client), dataplane::kTcpSyn, 2000), 1480, 0x0300);
    EXPECT_TRUE(SendAll(engine, client, {f1, f2}).empty()) << proto;
    EXPECT_EQ(engine.Inject(client, FlowFrame(f, Mac(client))).size(), 1u) << proto;
    f.fragmented = true;
    auto t = dataplane::Trace(Part(), Eni(client), f);
    EXPECT_FALSE(t.allowed);
    EXPECT_EQ(t.stages.back().name, "nat-gateway");
    EXPECT_EQ(t.stages.back().explanation_code, "NAT_GATEWAY_PROTOCOL_RESTRICTION");
  }
}

TEST_F(GatewaysTest, AConnectionIdleFor350SecondsIsResetOnItsNextSegment) {  // K9
  double now = 1000;
  engine.SetClockForTesting([&] { return now; });
  Flow f{.protocol = 6, .src = PrivateIp(client), .dst = kInternetHost, .src_port = 40000, .dst_port = 80};
  auto [port, out] = Send(client, f);
  ASSERT_EQ(port, "internet");
  Send("internet", {.protocol = 6, .src = kInternetHost, .dst = nat_public, .src_port = 80, .dst_port = out.src_port},
       dataplane::kTcpSyn | dataplane::kTcpAck);
  now += 349;  // still alive: the next segment goes out
  EXPECT_EQ(Send(client, f, dataplane::kTcpAck).first, "internet");
  now += 351;  // idle past 350 s: forgotten, and the next segment is answered with a reset
  auto reset = engine.Inject(client, FlowFrame(f, Mac(client), dataplane::kTcpAck | 0x08));
  ASSERT_EQ(reset.size(), 1u);
  EXPECT_EQ(reset[0].first, client);
  EXPECT_TRUE(ChecksumsValid(reset[0].second));
  dataplane::ParsedFrame rst;
  ASSERT_TRUE(dataplane::ParseFrame(reset[0].second, rst));
  EXPECT_EQ(rst.tcp_flags, dataplane::kTcpRst);
  EXPECT_EQ(rst.src, kInternetHost);
  EXPECT_EQ(rst.dst, PrivateIp(client));
  EXPECT_EQ(rst.dst_port, 40000);
  // The reply to the forgotten port gets nowhere; a new connection (a SYN) gets a port again.
  EXPECT_EQ(Send("internet", {.protocol = 6, .src = kInternetHost, .dst = nat_public, .src_port = 80,
                              .dst_port = out.src_port}, dataplane::kTcpAck).first, "");
  EXPECT_EQ(Send(client, f).first, "internet");
}

// A private NAT gateway in its own subnet, whose route table sends a peer VPC's block to an
// active peering connection: the peer sees the gateway's private address and port.
TEST_F(GatewaysTest, APrivateNatGatewaySendsIntoAPeerVpcFromItsPrivateAddress) {
  Tx tx = NewTx();
  std::string other = CreateVpc(tx, {.cidr_block = "10.9.0.0/16"}).id;
  std::string other_subnet =
      CreateSubnet(tx, {.vpc_id = other, .cidr_block = "10.9.1.0/24", .availability_zone = "us-east-1a"}).id;
  std::string open = CreateSecurityGroup(tx, {.group_name = "o", .description = "o", .vpc_id = other}).id;
  std::string far_id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro",
                                         .subnet_id = other_subnet, .group_ids = {open}})[0]->id;
  std::string far = InterfacesOf(Part(), far_id)[0]->id;
  std::string pcx = CreateVpcPeeringConnection(tx, {.vpc_id = vpc, .peer_vpc_id = other}).id;
  AcceptVpcPeeringConnection(tx, pcx);
  CreateRoute(tx, {.route_table_id = MainRouteTable(Part(), other).id, .destination_cidr_block = "10.0.0.0/16",
                   .target_member = "VpcPeeringConnectionId", .target_id = pcx});
  std::string nat_subnet =
      CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.3.0/24", .availability_zone = "us-east-1a"}).id;
  std::string private_nat = CreateNatGateway(tx, {.subnet_id = nat_subnet, .connectivity_type = "private"}).id;
  const net::Ipv4 nat_ip = Ip(Part().nat_gateways.at(private_nat).private_ip);
  std::string nat_rt = CreateRouteTable(tx, vpc, {}).id;
  AssociateRouteTable(tx, nat_rt, nat_subnet, "");
  CreateRoute(tx, {.route_table_id = nat_rt, .destination_cidr_block = "10.9.0.0/16",
                   .target_member = "VpcPeeringConnectionId", .target_id = pcx});
  CreateRoute(tx, {.route_table_id = MainRouteTable(Part(), vpc).id, .destination_cidr_block = "10.9.0.0/16",
                   .target_member = "NatGatewayId", .target_id = private_nat});
  // The peer admits only the NAT gateway's address: the client's own would not do.
  AuthorizeSecurityGroupRules(tx, open, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 22, .to_port = 22,
                                                         .cidr_ipv4 = nat_ip.ToString() + "/32"}});
  engine.AddPort({.eni_id = far, .account = Part().account_id, .region = Part().region});
  const net::Ipv4 far_ip = PrivateIp(far);

  Flow f{.protocol = 6, .src = PrivateIp(client), .dst = far_ip, .src_port = 40000, .dst_port = 22};
  auto t = dataplane::Trace(Part(), Eni(client), f, {.state = &state});
  ASSERT_TRUE(t.allowed) << t.stages.back().name << " " << t.stages.back().explanation_code;
  EXPECT_EQ(t.nat_gateway, private_nat);
  EXPECT_TRUE(t.exit_target.empty());  // delivered, as through peering directly
  EXPECT_EQ(t.destination, &Eni(far));
  auto [port, out] = Send(client, f);
  ASSERT_EQ(port, far);
  EXPECT_EQ(out.src, nat_ip);
  EXPECT_EQ(out.dst, far_ip);
  EXPECT_NE(out.src_port, 40000);
  // The answer goes to the gateway's address and port, and on to the client.
  auto [back_port, back] = Send(far, {.protocol = 6, .src = far_ip, .dst = nat_ip, .src_port = 22,
                                      .dst_port = out.src_port}, dataplane::kTcpSyn | dataplane::kTcpAck);
  EXPECT_EQ(back_port, client);
  EXPECT_EQ(back.src, far_ip);
  EXPECT_EQ(back.dst, PrivateIp(client));
  EXPECT_EQ(back.dst_port, 40000);
  // Nothing the peer starts reaches anyone through the gateway (K11, K12).
  EXPECT_EQ(Send(far, {.protocol = 6, .src = far_ip, .dst = nat_ip, .src_port = 22,
                       .dst_port = static_cast<int>(out.src_port) + 1}).first, "");
  EXPECT_EQ(Send(far, {.protocol = 1, .src = far_ip, .dst = nat_ip, .icmp_type = 8, .icmp_code = 0}).first, "");
  // To the internet, a private NAT gateway has no public address: the internet gateway drops it.
  CreateRoute(tx, {.route_table_id = nat_rt, .destination_cidr_block = "0.0.0.0/0", .target_member = "GatewayId",
                   .target_id = igw});
  CreateRoute(tx, {.route_table_id = MainRouteTable(Part(), vpc).id, .destination_cidr_block = "203.0.113.0/24",
                   .target_member = "NatGatewayId", .target_id = private_nat});
  Flow web{.protocol = 6, .src = PrivateIp(client), .dst = kInternetHost, .src_port = 40000, .dst_port = 80};
  t = dataplane::Trace(Part(), Eni(client), web, {.state = &state});
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "internet-gateway");
  EXPECT_EQ(t.stages.back().explanation_code, "NO_PUBLIC_IPV4_ADDRESS");
  EXPECT_EQ(Send(client, web).first, "");
}

}  // namespace

namespace {

// MTU-3, MTU-4, A38: the internet's paths are 1,500 bytes.
TEST_F(GatewaysTest, TheInternetGatewayFragmentsWhatItMayAndAnswersTheRestWithIcmp) {
  Flow f{.protocol = 17, .src = PrivateIp(server), .dst = kInternetHost, .src_port = 40000, .dst_port = 9000};
  auto big = FlowFrame(f, Mac(server), 0, 3000);
  // Without Don't Fragment: three fragments of at most 1,500 bytes leave from the Elastic IP.
  auto out = engine.Inject(server, big);
  ASSERT_EQ(out.size(), 3u);
  std::vector<std::vector<uint8_t>> pieces;
  for (const auto& [port, frame] : out) {
    EXPECT_EQ(port, "internet");
    EXPECT_LE(frame.size() - 14, 1500u);
    dataplane::ParsedFrame pf;
    ASSERT_TRUE(dataplane::ParseFrame(frame, pf));
    EXPECT_EQ(pf.src, server_public);
    pieces.push_back(frame);
  }
  auto whole = openvpc::testing::Reassembled(pieces);
  EXPECT_TRUE(ChecksumsValid(whole));
  EXPECT_EQ(whole.size(), big.size());
  // With Don't Fragment: dropped; the ICMP that says so reaches the sender only where its groups
  // admit ICMP 3/4 (the group "web" admits tcp 8080 alone).
  big[14 + 6] |= 0x40;
  dataplane::SetIpv4Checksum(big, 14);
  EXPECT_TRUE(engine.Inject(server, big).empty());
  Tx tx = NewTx();
  AuthorizeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "icmp", .from_port = 3, .to_port = 4,
                                                         .cidr_ipv4 = "0.0.0.0/0"}});
  auto back = engine.Inject(server, big);
  ASSERT_EQ(back.size(), 1u);
  EXPECT_EQ(back[0].first, server);
  EXPECT_TRUE(ChecksumsValid(back[0].second));
  dataplane::ParsedFrame icmp;
  ASSERT_TRUE(dataplane::ParseFrame(back[0].second, icmp));
  EXPECT_EQ(icmp.src, Ip("10.0.1.1"));  // the subnet's router, the first hop
  EXPECT_EQ(icmp.dst, PrivateIp(server));
  EXPECT_EQ(icmp.icmp_type, 3);
  EXPECT_EQ(icmp.icmp_code, 4);
  const uint8_t* body = back[0].second.data() + 14 + 20;
  EXPECT_EQ(body[6] << 8 | body[7], 1500);                           // the path's MTU
  EXPECT_EQ(0, memcmp(body + 8, big.data() + 14, 28));               // the packet as the sender sent it
  // A small packet with Don't Fragment goes out as always.
  auto small = FlowFrame(f, Mac(server), 0, 1000);
  small[14 + 6] |= 0x40;
  dataplane::SetIpv4Checksum(small, 14);
  ASSERT_EQ(engine.Inject(server, small).size(), 1u);
}

TEST(Packet, PacketTooBigQuotesTheInvokingPacket) {  // MTU-4 for IPv6 (RFC 4443 §3.2)
  using namespace dataplane;
  std::vector<uint8_t> payload(3000, 7);
  auto frame = BuildUdp6Frame({2, 0, 0, 0, 0, 9}, {2, 0, 0, 0, 0, 1}, openvpc::testing::Ip6("2001:db8::5"),
                              openvpc::testing::Ip6("3fff::10"), 40000, 9000, payload);
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(frame, pf));
  auto ptb = BuildPacketTooBig(frame, pf, openvpc::testing::Ip6("fe80::ff:fe00:1"), {2, 0, 0, 0, 0, 1}, 1500);
  EXPECT_EQ(ptb.size(), 14u + 1280);  // the minimum MTU, no more
  ParsedFrame p;
  ASSERT_TRUE(ParseFrame(ptb, p));
  EXPECT_EQ(p.icmp_type, 2);
  EXPECT_EQ(p.dst6, openvpc::testing::Ip6("2001:db8::5"));
  EXPECT_EQ(Ipv6L4Checksum(p.src6, p.dst6, 58, {ptb.data() + p.l4, ptb.size() - p.l4}), 0);
  EXPECT_EQ(ptb[p.l4 + 6] << 8 | ptb[p.l4 + 7], 1500);
  EXPECT_EQ(0, memcmp(ptb.data() + p.l4 + 8, frame.data() + 14, 48));
}

}  // namespace

namespace {

// Guide §1.9, L2, F3: a route to an instance (a NAT instance) hands it packets for other addresses
// only while its source/destination check is off; its groups and subnet ACL judge them on the way in.
TEST_F(GatewaysTest, ARouteToAnInstanceDeliversToItWithItsDestinationCheckOff) {
  Tx tx = NewTx();
  std::string natsg = CreateSecurityGroup(tx, {.group_name = "natsg", .description = "n", .vpc_id = vpc}).id;
  AuthorizeSecurityGroupRules(tx, natsg, false, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "10.0.2.0/24"}});
  std::string nat_instance = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro",
                                               .subnet_id = pub, .group_ids = {natsg}})[0]->id;
  std::string nat_eni = InterfacesOf(Part(), nat_instance)[0]->id;
  CreateRoute(tx, {.route_table_id = MainRouteTable(Part(), vpc).id, .destination_cidr_block = "203.0.113.0/24",
                   .target_member = "InstanceId", .target_id = nat_instance});
  engine.AddPort({.eni_id = nat_eni, .account = Part().account_id, .region = Part().region});
  Flow f{.protocol = 6, .src = PrivateIp(client), .dst = kInternetHost, .src_port = 40000, .dst_port = 80};
  auto t = dataplane::Trace(Part(), Eni(client), f);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "network-interface");
  EXPECT_EQ(t.stages.back().explanation_code, "ENI_SOURCE_DEST_CHECK_RESTRICTION");
  EXPECT_EQ(Send(client, f).first, "");

  Part().network_interfaces.at(nat_eni).source_dest_check = false;
  source.Changed();
  t = dataplane::Trace(Part(), Eni(client), f);
  ASSERT_TRUE(t.allowed) << t.stages.back().name;
  EXPECT_EQ(t.destination, &Eni(nat_eni));
  EXPECT_TRUE(t.exit_target.empty());
  auto [port, out] = Send(client, f);
  EXPECT_EQ(port, nat_eni);  // unchanged: the instance does its own translation (L1)
  EXPECT_EQ(out.src, PrivateIp(client));
  EXPECT_EQ(out.dst, kInternetHost);
  EXPECT_EQ(out.dst_mac, Mac(nat_eni));
  // Its groups judge what it is handed (the guide's "NATSG").
  RevokeSecurityGroupRules(tx, natsg, false, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "10.0.2.0/24"}}, {},
                           nullptr);
  t = dataplane::Trace(Part(), Eni(client), f);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().name, "security-groups-ingress");
  EXPECT_EQ(t.stages.back().component, natsg);
}

}  // namespace

namespace {

// CS-84, MTU-2: a peering connection between Regions carries 1,500 bytes; within a Region, jumbo
// frames.
TEST_F(GatewaysTest, APeeringConnectionToAnotherRegionCarries1500Bytes) {
  Partition& west = state.partitions[{"123456789012", "us-west-2"}];
  west.account_id = "123456789012";
  west.region = "us-west-2";
  std::string far, far_vpc;
  {
    Tx tx(west, state.quotas, &state);
    InitializePartition(tx);
    far_vpc = CreateVpc(tx, {.cidr_block = "10.9.0.0/16"}).id;
    std::string subnet =
        CreateSubnet(tx, {.vpc_id = far_vpc, .cidr_block = "10.9.1.0/24", .availability_zone = "us-west-2a"}).id;
    std::string open = CreateSecurityGroup(tx, {.group_name = "o", .description = "o", .vpc_id = far_vpc}).id;
    AuthorizeSecurityGroupRules(tx, open, false, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "10.0.0.0/16"}});
    std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet,
                                       .group_ids = {open}})[0]->id;
    far = InterfacesOf(west, id)[0]->id;
  }
  Tx tx = NewTx();
  std::string pcx = CreateVpcPeeringConnection(tx, {.vpc_id = vpc, .peer_vpc_id = far_vpc,
                                                    .peer_region = "us-west-2"}).id;
  {
    Tx wtx(west, state.quotas, &state);
    AcceptVpcPeeringConnection(wtx, pcx);
  }
  CreateRoute(tx, {.route_table_id = MainRouteTable(Part(), vpc).id, .destination_cidr_block = "10.9.0.0/16",
                   .target_member = "VpcPeeringConnectionId", .target_id = pcx});
  engine.AddPort({.eni_id = far, .account = "123456789012", .region = "us-west-2"});
  const net::Ipv4 far_ip = Ip(west.network_interfaces.at(far).PrimaryIp());
  Flow f{.protocol = 17, .src = PrivateIp(client), .dst = far_ip, .src_port = 40000, .dst_port = 9000};
  auto out = engine.Inject(client, FlowFrame(f, Mac(client), 0, 1000));
  ASSERT_EQ(out.size(), 1u);  // small: as it is
  EXPECT_EQ(out[0].first, far);
  out = engine.Inject(client, FlowFrame(f, Mac(client), 0, 3000));
  ASSERT_EQ(out.size(), 3u);  // fragmented to 1,500 bytes
  for (const auto& [port, frame] : out) {
    EXPECT_EQ(port, far);
    EXPECT_LE(frame.size() - 14, 1500u);
  }
  auto df = FlowFrame(f, Mac(client), 0, 3000);
  df[14 + 6] |= 0x40;
  dataplane::SetIpv4Checksum(df, 14);
  EXPECT_TRUE(engine.Inject(client, df).empty());  // dropped (its group admits no ICMP 3/4)
}

}  // namespace
