// The data plane's rules as predicates (model/evaluate.h): security group rules (guide M),
// network ACL entries (N, C8), longest prefix match (G2, G3, G13).
#include <gtest/gtest.h>

#include "model/evaluate.h"

using namespace openvpc;
using namespace openvpc::model;

namespace {

net::Ipv4 Ip(const char* s) { return *net::ParseIpv4(s); }

Flow Tcp(const char* src, const char* dst, int port) {
  return Flow{.protocol = 6, .src = Ip(src), .dst = Ip(dst), .src_port = 40000, .dst_port = port};
}
Flow Icmp(const char* src, const char* dst, int type, int code) {
  return Flow{.protocol = 1, .src = Ip(src), .dst = Ip(dst), .icmp_type = type, .icmp_code = code};
}

TEST(SecurityGroupRule, ProtocolAllMatchesEveryProtocol) {  // M8: -1 is all protocols and ports
  Partition p;
  SecurityGroupRule r{.id = "sgr-1", .egress = true, .ip_protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"};
  EXPECT_TRUE(SecurityGroupRuleMatches(p, r, Tcp("10.0.0.5", "10.0.1.5", 22), true));
  EXPECT_TRUE(SecurityGroupRuleMatches(p, r, Icmp("10.0.0.5", "10.0.1.5", 8, 0), true));
  EXPECT_FALSE(SecurityGroupRuleMatches(p, r, Tcp("10.0.0.5", "10.0.1.5", 22), false));  // other direction
}

TEST(SecurityGroupRule, TcpPortRangeIsTheDestinationPort) {  // M9: no source-port filtering
  Partition p;
  SecurityGroupRule r{.ip_protocol = "tcp", .from_port = 80, .to_port = 443, .cidr_ipv4 = "10.0.0.0/16"};
  EXPECT_TRUE(SecurityGroupRuleMatches(p, r, Tcp("10.0.3.4", "10.0.1.5", 80), false));
  EXPECT_TRUE(SecurityGroupRuleMatches(p, r, Tcp("10.0.3.4", "10.0.1.5", 443), false));
  EXPECT_FALSE(SecurityGroupRuleMatches(p, r, Tcp("10.0.3.4", "10.0.1.5", 444), false));
  Flow udp = Tcp("10.0.3.4", "10.0.1.5", 80);
  udp.protocol = 17;
  EXPECT_FALSE(SecurityGroupRuleMatches(p, r, udp, false));
  EXPECT_FALSE(SecurityGroupRuleMatches(p, r, Tcp("10.1.3.4", "10.0.1.5", 80), false));  // peer outside the CIDR
}

TEST(SecurityGroupRule, IcmpTypeAndCodeWithWildcards) {  // M8
  Partition p;
  SecurityGroupRule echo{.ip_protocol = "icmp", .from_port = 8, .to_port = -1, .cidr_ipv4 = "0.0.0.0/0"};
  EXPECT_TRUE(SecurityGroupRuleMatches(p, echo, Icmp("1.2.3.4", "10.0.0.5", 8, 0), false));
  EXPECT_FALSE(SecurityGroupRuleMatches(p, echo, Icmp("1.2.3.4", "10.0.0.5", 0, 0), false));
  SecurityGroupRule frag{.ip_protocol = "icmp", .from_port = 3, .to_port = 4, .cidr_ipv4 = "0.0.0.0/0"};
  EXPECT_TRUE(SecurityGroupRuleMatches(p, frag, Icmp("1.2.3.4", "10.0.0.5", 3, 4), false));
  EXPECT_FALSE(SecurityGroupRuleMatches(p, frag, Icmp("1.2.3.4", "10.0.0.5", 3, 1), false));
  SecurityGroupRule all{.ip_protocol = "icmp", .from_port = -1, .to_port = -1, .cidr_ipv4 = "0.0.0.0/0"};
  EXPECT_TRUE(SecurityGroupRuleMatches(p, all, Icmp("1.2.3.4", "10.0.0.5", 11, 0), false));
  SecurityGroupRule v6{.ip_protocol = "icmpv6", .from_port = -1, .to_port = -1, .cidr_ipv4 = "0.0.0.0/0"};
  EXPECT_FALSE(SecurityGroupRuleMatches(p, v6, Icmp("1.2.3.4", "10.0.0.5", 8, 0), false));
}

TEST(SecurityGroupRule, OtherProtocolNumbersHaveNoPorts) {  // M8: any IANA number
  Partition p;
  SecurityGroupRule gre{.ip_protocol = "47", .cidr_ipv4 = "0.0.0.0/0"};
  Flow f = Tcp("1.2.3.4", "10.0.0.5", 0);
  f.protocol = 47;
  EXPECT_TRUE(SecurityGroupRuleMatches(p, gre, f, false));
  f.protocol = 50;
  EXPECT_FALSE(SecurityGroupRuleMatches(p, gre, f, false));
}

TEST(SecurityGroupRule, Ipv6PeersNeverMatchIpv4) {  // C8
  Partition p;
  SecurityGroupRule r{.ip_protocol = "-1", .cidr_ipv6 = "::/0"};
  EXPECT_FALSE(SecurityGroupRuleMatches(p, r, Tcp("1.2.3.4", "10.0.0.5", 22), false));
}

TEST(SecurityGroupRule, ReferencedGroupMatchesMembersAddresses) {  // M10, M6
  Partition p;
  NetworkInterface a{.id = "eni-a", .private_ips = {{"10.0.0.5", true}, {"10.0.0.6", false}}, .group_ids = {"sg-web"}};
  NetworkInterface b{.id = "eni-b", .private_ips = {{"10.0.0.7", true}}, .group_ids = {"sg-db"}};
  p.network_interfaces[a.id] = a;
  p.network_interfaces[b.id] = b;
  SecurityGroupRule r{.ip_protocol = "tcp", .from_port = 5432, .to_port = 5432, .referenced_group_id = "sg-web"};
  EXPECT_TRUE(SecurityGroupRuleMatches(p, r, Tcp("10.0.0.5", "10.0.0.7", 5432), false));
  EXPECT_TRUE(SecurityGroupRuleMatches(p, r, Tcp("10.0.0.6", "10.0.0.7", 5432), false));  // a secondary address
  EXPECT_FALSE(SecurityGroupRuleMatches(p, r, Tcp("10.0.0.7", "10.0.0.5", 5432), false));
  EXPECT_FALSE(SecurityGroupRuleMatches(p, r, Tcp("10.0.0.9", "10.0.0.7", 5432), false));
}

NetworkAcl GoldenAcl() {  // N12: the guide's inbound example
  NetworkAcl acl{.id = "acl-1"};
  auto add = [&](int n, const char* proto, const char* action, const char* cidr, int from, int to) {
    acl.entries.push_back({.rule_number = n, .protocol = proto, .rule_action = action, .egress = false,
                           .cidr_block = cidr, .port_from = from, .port_to = to});
  };
  add(130, "6", "allow", "0.0.0.0/0", 3389, 3389);  // out of order on purpose
  add(100, "6", "allow", "0.0.0.0/0", 80, 80);
  add(110, "6", "allow", "0.0.0.0/0", 443, 443);
  add(120, "6", "allow", "192.0.2.0/24", 22, 22);
  add(140, "6", "allow", "0.0.0.0/0", 32768, 65535);
  add(32767, "-1", "deny", "0.0.0.0/0", -1, -1);
  acl.entries.push_back({.rule_number = 101, .protocol = "-1", .rule_action = "allow", .ipv6_cidr_block = "::/0"});
  return acl;
}

TEST(NetworkAclEntry, GoldenExampleFirstMatch) {  // N2, N12
  NetworkAcl acl = GoldenAcl();
  const auto* e = FirstMatchingEntry(acl, Tcp("1.2.3.4", "10.0.0.5", 443), false);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->rule_number, 110);
  e = FirstMatchingEntry(acl, Tcp("1.2.3.4", "10.0.0.5", 139), false);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->rule_number, 32767);  // N3: the * rule
  EXPECT_EQ(e->rule_action, "deny");
  e = FirstMatchingEntry(acl, Tcp("198.51.100.1", "10.0.0.5", 22), false);
  EXPECT_EQ(e->rule_number, 32767);  // 120 is for 192.0.2.0/24 only
  e = FirstMatchingEntry(acl, Tcp("192.0.2.9", "10.0.0.5", 22), false);
  EXPECT_EQ(e->rule_number, 120);
  EXPECT_EQ(FirstMatchingEntry(acl, Tcp("1.2.3.4", "10.0.0.5", 80), true), nullptr);  // no egress entries
}

TEST(NetworkAclEntry, LowerNumberedDenyWinsOverLaterAllow) {  // N2
  NetworkAcl acl{.id = "acl-1"};
  acl.entries.push_back({.rule_number = 200, .protocol = "-1", .rule_action = "allow", .egress = true,
                         .cidr_block = "0.0.0.0/0"});
  acl.entries.push_back({.rule_number = 90, .protocol = "17", .rule_action = "deny", .egress = true,
                         .cidr_block = "10.0.2.0/24", .port_from = 53, .port_to = 53});
  Flow dns{.protocol = 17, .src = Ip("10.0.1.5"), .dst = Ip("10.0.2.9"), .src_port = 3000, .dst_port = 53};
  EXPECT_EQ(FirstMatchingEntry(acl, dns, true)->rule_number, 90);
  dns.dst_port = 54;
  EXPECT_EQ(FirstMatchingEntry(acl, dns, true)->rule_number, 200);
  dns.dst_port = 53;
  dns.dst = Ip("10.0.3.9");  // egress entries match the destination
  EXPECT_EQ(FirstMatchingEntry(acl, dns, true)->rule_number, 200);
}

TEST(NetworkAclEntry, IcmpTypeCodeAndIpv6EntriesIgnored) {  // N9, C8
  NetworkAcl acl{.id = "acl-1"};
  acl.entries.push_back({.rule_number = 10, .protocol = "-1", .rule_action = "deny", .ipv6_cidr_block = "::/0"});
  acl.entries.push_back({.rule_number = 20, .protocol = "1", .rule_action = "allow", .cidr_block = "0.0.0.0/0",
                         .icmp_type = 3, .icmp_code = 4});
  EXPECT_EQ(FirstMatchingEntry(acl, Icmp("1.2.3.4", "10.0.0.5", 3, 4), false)->rule_number, 20);
  EXPECT_EQ(FirstMatchingEntry(acl, Icmp("1.2.3.4", "10.0.0.5", 3, 1), false), nullptr);
}

TEST(Routes, LongestPrefixMatch) {  // G2, G3
  Partition p;
  RouteTable rt{.id = "rtb-1", .vpc_id = "vpc-1"};
  rt.routes.push_back({.destination_cidr_block = "10.0.0.0/16", .target_member = "GatewayId", .target_id = "local"});
  rt.routes.push_back({.destination_cidr_block = "0.0.0.0/0", .target_member = "GatewayId", .target_id = "igw-1"});
  rt.routes.push_back({.destination_cidr_block = "172.16.0.0/12", .target_member = "NatGatewayId", .target_id = "nat-1"});
  rt.routes.push_back({.destination_cidr_block = "172.16.5.0/24", .target_member = "VpcPeeringConnectionId",
                       .target_id = "pcx-1"});
  rt.routes.push_back({.destination_ipv6_cidr_block = "::/0", .target_member = "GatewayId", .target_id = "igw-6"});
  EXPECT_TRUE(LongestPrefixMatch(p, rt, Ip("10.0.9.9"))->IsLocal());
  EXPECT_EQ(LongestPrefixMatch(p, rt, Ip("8.8.8.8"))->target_id, "igw-1");
  EXPECT_EQ(LongestPrefixMatch(p, rt, Ip("172.16.4.1"))->target_id, "nat-1");
  EXPECT_EQ(LongestPrefixMatch(p, rt, Ip("172.16.5.1"))->target_id, "pcx-1");
  rt.routes.erase(rt.routes.begin() + 1);
  EXPECT_EQ(LongestPrefixMatch(p, rt, Ip("8.8.8.8")), nullptr);  // ::/0 never carries IPv4 (G3)
}

TEST(Routes, ProtocolNumbers) {
  EXPECT_EQ(ProtocolNumber("-1"), -1);
  EXPECT_EQ(ProtocolNumber("tcp"), 6);
  EXPECT_EQ(ProtocolNumber("17"), 17);
  EXPECT_EQ(ProtocolNumber("icmpv6"), 58);
  EXPECT_EQ(ProtocolNumber("bogus"), -2);
}

}  // namespace
