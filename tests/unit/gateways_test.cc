// The gateways on the data plane without devices: the internet gateway's 1:1 NAT (guide I2,
// I3), the NAT gateway's port translation (K5, K6, K8, K9, K11, K15) and peering without
// transit (T3, T4), through the pipeline and through Engine::Inject with an internet port.
#include <gtest/gtest.h>

#include "dataplane/engine.h"
#include "dataplane/nat_table.h"
#include "dataplane/pipeline.h"
#include "dataplane_testing.h"
#include "model/address.h"
#include "model/instance.h"
#include "model/nat_gateway.h"
#include "model/network_acl.h"
#include "model/network_interface.h"
#include "model/operations.h"
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

// A VPC with a public subnet (route to an internet gateway, a NAT gateway) and a private one
// (route to the NAT gateway), an internet port on the engine.
class GatewaysTest : public ::testing::Test {
 protected:
  GatewaysTest() : source(state), engine(source) {
    RegisterInstanceRules();
    RegisterNatGatewayRules();
    RegisterVpcPeeringRules();
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
