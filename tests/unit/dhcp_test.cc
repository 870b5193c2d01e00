// The DHCPv4 server of the VPC router: rule Q5 of shared/spec/inventory-vpc-guide.md ("DP DHCP
// server MUST hand out: the ENI's primary private IPv4, subnet mask, router (base+1), DNS
// servers per option set (AmazonProvidedDNS => base+2 of primary CIDR), domain name, NTP/NetBIOS
// options"); RFC 2131 and 2132 for the wire format.
#include <gtest/gtest.h>

#include <map>

#include "dataplane/services/dhcp.h"

using namespace openvpc::dataplane;
using openvpc::net::Ipv4;
using openvpc::net::ParseIpv4;

namespace {

const std::array<uint8_t, 6> kMac = {0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};
const std::array<uint8_t, 6> kOtherMac = {0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5f};

Ipv4 Ip(const char* s) { return *ParseIpv4(s); }

// An interface 10.0.1.5 in subnet 10.0.1.0/24 of VPC 10.0.0.0/16 with AmazonProvidedDNS.
DhcpLease Lease() {
  DhcpLease l;
  l.mac = kMac;
  l.address = Ip("10.0.1.5");
  l.prefix_length = 24;
  l.router = Ip("10.0.1.1");                   // Q5: subnet base+1
  l.dns_servers = {Ip("10.0.0.2")};            // Q5, R1: AmazonProvidedDNS = primary CIDR base+2
  l.domain_name = "ec2.internal example.com";  // Q2: sent as is, spaces included
  l.ntp_servers = {Ip("169.254.169.123")};     // Q8
  l.netbios_name_servers = {Ip("10.0.0.10"), Ip("10.0.0.11")};
  l.netbios_node_type = 2;
  l.hostname = "ip-10-0-1-5";
  l.mtu = 9001;
  l.lease_seconds = 3600;
  l.broadcast = Ip("10.0.1.255");
  return l;
}

uint32_t U32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}
uint16_t U16(const std::vector<uint8_t>& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }

// The options of a server message, decoded independently of the server: code -> value
// (instances of one code concatenated, RFC 3396), and the order codes first appeared in.
struct Options {
  std::map<int, std::vector<uint8_t>> values;
  std::vector<int> order;
  bool Has(int code) const { return values.count(code) != 0; }
  uint32_t U32(int code) const { return ::U32(values.at(code), 0); }
  std::vector<Ipv4> Addresses(int code) const {
    std::vector<Ipv4> out;
    const auto& v = values.at(code);
    EXPECT_EQ(v.size() % 4, 0u) << "option " << code;
    for (size_t i = 0; i + 4 <= v.size(); i += 4) out.push_back(Ipv4{::U32(v, i)});
    return out;
  }
  std::string String(int code) const { return std::string(values.at(code).begin(), values.at(code).end()); }
};

Options ParseOptions(const std::vector<uint8_t>& m) {
  Options o;
  EXPECT_GE(m.size(), 241u);
  if (m.size() < 241) return o;
  EXPECT_EQ(m[236], 99);
  EXPECT_EQ(m[237], 130);
  EXPECT_EQ(m[238], 83);
  EXPECT_EQ(m[239], 99);
  size_t i = 240;
  bool ended = false;
  while (i < m.size()) {
    int code = m[i];
    if (code == 255) {
      ended = true;
      break;
    }
    if (code == 0) {
      ++i;
      continue;
    }
    EXPECT_LT(i + 1, m.size());
    if (i + 1 >= m.size()) break;
    size_t len = m[i + 1];
    EXPECT_LE(i + 2 + len, m.size());
    if (i + 2 + len > m.size()) break;
    if (!o.Has(code)) o.order.push_back(code);
    o.values[code].insert(o.values[code].end(), m.begin() + i + 2, m.begin() + i + 2 + len);
    i += 2 + len;
  }
  EXPECT_TRUE(ended) << "no end option";
  return o;
}

std::vector<uint8_t> Reply(const std::vector<uint8_t>& msg, const DhcpLease& lease = Lease()) {
  auto r = DhcpReply(msg, lease);
  EXPECT_TRUE(r);
  return r ? *r : std::vector<uint8_t>{};
}

// Checks the fixed header of a reply to a message with XID from kMac.
void ExpectHeader(const std::vector<uint8_t>& r, uint32_t xid) {
  ASSERT_GE(r.size(), 300u);  // RFC 1542: at least a BOOTP message
  EXPECT_EQ(r[0], 2);         // BOOTREPLY
  EXPECT_EQ(r[1], 1);
  EXPECT_EQ(r[2], 6);
  EXPECT_EQ(r[3], 0);
  EXPECT_EQ(U32(r, 4), xid);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(r[28 + i], kMac[i]);
  for (int i = 6; i < 16; ++i) EXPECT_EQ(r[28 + i], 0);
}

// Every option Q5 asks for, with the values of Lease().
void ExpectConfiguration(const Options& o) {
  ASSERT_TRUE(o.Has(1) && o.Has(3) && o.Has(6) && o.Has(15) && o.Has(42) && o.Has(44) && o.Has(46) && o.Has(12) &&
              o.Has(26) && o.Has(28));
  EXPECT_EQ(Ipv4{o.U32(1)}.ToString(), "255.255.255.0");
  EXPECT_EQ(o.Addresses(3), std::vector<Ipv4>{Ip("10.0.1.1")});
  EXPECT_EQ(o.Addresses(6), std::vector<Ipv4>{Ip("10.0.0.2")});
  EXPECT_EQ(o.String(15), "ec2.internal example.com");
  EXPECT_EQ(o.Addresses(42), std::vector<Ipv4>{Ip("169.254.169.123")});
  EXPECT_EQ(o.Addresses(44), (std::vector<Ipv4>{Ip("10.0.0.10"), Ip("10.0.0.11")}));
  EXPECT_EQ(o.values.at(46), std::vector<uint8_t>{2});
  EXPECT_EQ(o.String(12), "ip-10-0-1-5");
  EXPECT_EQ(o.values.at(26), (std::vector<uint8_t>{0x23, 0x29}));  // 9001
  EXPECT_EQ(o.Addresses(28), std::vector<Ipv4>{Ip("10.0.1.255")});
}

void SetCiaddr(std::vector<uint8_t>& m, Ipv4 ip) {
  for (int i = 0; i < 4; ++i) m[12 + i] = uint8_t(ip.value >> (24 - 8 * i));
}

// A client message with the given options (code, value) and nothing else.
std::vector<uint8_t> RawMessage(const std::vector<std::pair<int, std::vector<uint8_t>>>& options) {
  std::vector<uint8_t> m = BuildDhcpClientMessage(kDhcpDiscover, 7, kMac, std::nullopt);
  m.resize(240);
  for (const auto& [code, value] : options) {
    m.push_back(uint8_t(code));
    m.push_back(uint8_t(value.size()));
    m.insert(m.end(), value.begin(), value.end());
  }
  m.push_back(255);
  return m;
}

}  // namespace

TEST(Dhcp, DiscoverGetsOfferWithEveryOption) {  // Q5
  auto r = Reply(BuildDhcpClientMessage(kDhcpDiscover, 0xdeadbeef, kMac, std::nullopt));
  ExpectHeader(r, 0xdeadbeef);
  EXPECT_EQ(U16(r, 10), 0);                            // flags echoed
  EXPECT_EQ(U32(r, 12), 0u);                           // ciaddr
  EXPECT_EQ(Ipv4{U32(r, 16)}.ToString(), "10.0.1.5");  // yiaddr: the ENI's primary private IPv4
  EXPECT_EQ(Ipv4{U32(r, 20)}.ToString(), "10.0.1.1");  // siaddr: the router
  EXPECT_EQ(U32(r, 24), 0u);                           // giaddr
  Options o = ParseOptions(r);
  EXPECT_EQ(o.values.at(53), std::vector<uint8_t>{kDhcpOffer});
  EXPECT_EQ(o.order.front(), 53);
  EXPECT_EQ(Ipv4{o.U32(54)}.ToString(), "10.0.1.1");
  EXPECT_EQ(o.U32(51), 3600u);
  EXPECT_EQ(o.U32(58), 1800u);  // T1 = half
  EXPECT_EQ(o.U32(59), 3150u);  // T2 = 7/8
  ExpectConfiguration(o);
  EXPECT_FALSE(o.Has(56));
}

TEST(Dhcp, RequestForTheLeaseGetsAck) {  // Q5
  auto r = Reply(BuildDhcpClientMessage(kDhcpRequest, 42, kMac, Ip("10.0.1.5")));
  ExpectHeader(r, 42);
  EXPECT_EQ(Ipv4{U32(r, 16)}.ToString(), "10.0.1.5");
  EXPECT_EQ(Ipv4{U32(r, 20)}.ToString(), "10.0.1.1");
  Options o = ParseOptions(r);
  EXPECT_EQ(o.values.at(53), std::vector<uint8_t>{kDhcpAck});
  EXPECT_EQ(Ipv4{o.U32(54)}.ToString(), "10.0.1.1");
  EXPECT_EQ(o.U32(51), 3600u);
  EXPECT_EQ(o.U32(58), 1800u);
  EXPECT_EQ(o.U32(59), 3150u);
  ExpectConfiguration(o);
}

TEST(Dhcp, RenewingRequestGetsAckWithCiaddrEchoed) {
  // RENEWING: no option 50, the address in ciaddr (RFC 2131 section 4.3.2).
  auto m = BuildDhcpClientMessage(kDhcpRequest, 43, kMac, std::nullopt);
  SetCiaddr(m, Ip("10.0.1.5"));
  auto r = Reply(m);
  ExpectHeader(r, 43);
  EXPECT_EQ(Ipv4{U32(r, 12)}.ToString(), "10.0.1.5");
  EXPECT_EQ(Ipv4{U32(r, 16)}.ToString(), "10.0.1.5");
  EXPECT_EQ(ParseOptions(r).values.at(53), std::vector<uint8_t>{kDhcpAck});

  // No address at all: the only address this client can have.
  auto bare = Reply(BuildDhcpClientMessage(kDhcpRequest, 44, kMac, std::nullopt));
  EXPECT_EQ(ParseOptions(bare).values.at(53), std::vector<uint8_t>{kDhcpAck});
  EXPECT_EQ(Ipv4{U32(bare, 16)}.ToString(), "10.0.1.5");
}

TEST(Dhcp, RequestForAnotherAddressGetsNak) {
  auto r = Reply(BuildDhcpClientMessage(kDhcpRequest, 9, kMac, Ip("10.0.1.6")));
  ExpectHeader(r, 9);
  EXPECT_EQ(U32(r, 12), 0u);
  EXPECT_EQ(U32(r, 16), 0u);
  EXPECT_EQ(U32(r, 20), 0u);
  Options o = ParseOptions(r);
  EXPECT_EQ(o.values.at(53), std::vector<uint8_t>{kDhcpNak});
  EXPECT_EQ(Ipv4{o.U32(54)}.ToString(), "10.0.1.1");
  // RFC 2131 table 3: a NAK carries no lease and no configuration.
  for (int code : {1, 3, 6, 12, 15, 26, 28, 42, 44, 46, 51, 58, 59}) EXPECT_FALSE(o.Has(code)) << code;

  // A renewing client with the wrong ciaddr, and one behind a relay (broadcast bit set, RFC 2131 section 4.3.2).
  auto m = BuildDhcpClientMessage(kDhcpRequest, 10, kMac, std::nullopt);
  SetCiaddr(m, Ip("10.0.2.5"));
  m[24] = 10, m[25] = 0, m[26] = 9, m[27] = 1;
  auto relayed = Reply(m);
  EXPECT_EQ(ParseOptions(relayed).values.at(53), std::vector<uint8_t>{kDhcpNak});
  EXPECT_EQ(U16(relayed, 10), 0x8000);
  EXPECT_EQ(Ipv4{U32(relayed, 24)}.ToString(), "10.0.9.1");
}

TEST(Dhcp, InformGetsAckWithoutLease) {
  auto r = Reply(BuildDhcpClientMessage(kDhcpInform, 77, kMac, Ip("10.0.1.5")));
  ExpectHeader(r, 77);
  EXPECT_EQ(Ipv4{U32(r, 12)}.ToString(), "10.0.1.5");  // ciaddr echoed
  EXPECT_EQ(U32(r, 16), 0u);                           // no yiaddr
  Options o = ParseOptions(r);
  EXPECT_EQ(o.values.at(53), std::vector<uint8_t>{kDhcpAck});
  EXPECT_EQ(Ipv4{o.U32(54)}.ToString(), "10.0.1.1");
  for (int code : {51, 58, 59}) EXPECT_FALSE(o.Has(code)) << code;
  ExpectConfiguration(o);
}

TEST(Dhcp, ReleaseDeclineAndOtherServersGetNoReply) {
  auto lease = Lease();
  EXPECT_FALSE(DhcpReply(BuildDhcpClientMessage(kDhcpRelease, 1, kMac, Ip("10.0.1.5")), lease));
  EXPECT_FALSE(DhcpReply(BuildDhcpClientMessage(kDhcpDecline, 1, kMac, Ip("10.0.1.5")), lease));
  // Server messages sent to the server port, and an unknown type.
  for (uint8_t t : {kDhcpOffer, kDhcpAck, kDhcpNak, uint8_t(200)})
    EXPECT_FALSE(DhcpReply(BuildDhcpClientMessage(t, 1, kMac, std::nullopt), lease)) << int(t);

  // SELECTING: option 54 names the server the client chose.
  auto other = RawMessage({{53, {kDhcpRequest}}, {50, {10, 0, 1, 5}}, {54, {10, 0, 1, 2}}});
  EXPECT_FALSE(DhcpReply(other, lease));
  auto ours = RawMessage({{53, {kDhcpRequest}}, {50, {10, 0, 1, 5}}, {54, {10, 0, 1, 1}}});
  EXPECT_EQ(ParseOptions(Reply(ours)).values.at(53), std::vector<uint8_t>{kDhcpAck});
}

TEST(Dhcp, ForeignMacAndGarbageGetNoReply) {
  auto lease = Lease();
  EXPECT_FALSE(DhcpReply(BuildDhcpClientMessage(kDhcpDiscover, 1, kOtherMac, std::nullopt), lease));
  EXPECT_FALSE(DhcpReply(BuildDhcpClientMessage(kDhcpRequest, 1, kOtherMac, Ip("10.0.1.5")), lease));
  EXPECT_FALSE(DhcpReply(std::vector<uint8_t>{}, lease));
  EXPECT_FALSE(DhcpReply(std::vector<uint8_t>(400, 0xff), lease));
  EXPECT_FALSE(DhcpReply(std::vector<uint8_t>(400, 0x00), lease));

  auto good = BuildDhcpClientMessage(kDhcpDiscover, 1, kMac, std::nullopt);
  ASSERT_TRUE(DhcpReply(good, lease));
  auto bootreply = good;
  bootreply[0] = 2;
  EXPECT_FALSE(DhcpReply(bootreply, lease));
  auto token_ring = good;
  token_ring[1] = 6;
  EXPECT_FALSE(DhcpReply(token_ring, lease));
  auto no_cookie = good;
  no_cookie[239] = 0;
  EXPECT_FALSE(DhcpReply(no_cookie, lease));
  EXPECT_FALSE(DhcpReply(RawMessage({{50, {10, 0, 1, 5}}}), lease));  // no option 53
  EXPECT_FALSE(DhcpReply(RawMessage({{53, {1, 1}}}), lease));         // 53 of the wrong length
  EXPECT_FALSE(DhcpReply(RawMessage({{53, {0}}}), lease));            // type 0
  auto overrun = RawMessage({{53, {kDhcpDiscover}}});
  overrun.back() = 12;  // an option whose length byte is missing
  EXPECT_FALSE(DhcpReply(overrun, lease));
  overrun.push_back(40);  // a length past the end
  overrun.push_back('x');
  EXPECT_FALSE(DhcpReply(overrun, lease));
}

TEST(Dhcp, EveryTruncationIsRejectedWithoutCrashing) {
  auto lease = Lease();
  for (auto type : {kDhcpDiscover, kDhcpRequest, kDhcpInform}) {
    auto m = BuildDhcpClientMessage(type, 5, kMac, Ip("10.0.1.5"));
    ASSERT_TRUE(DhcpReply(m, lease));
    for (size_t n = 0; n < m.size(); ++n) {
      std::span<const uint8_t> cut(m.data(), n);
      // The end option is the last byte: every shorter message is incomplete.
      EXPECT_FALSE(ParseDhcpRequest(cut)) << n;
      EXPECT_FALSE(DhcpReply(cut, lease)) << n;
    }
  }
}

TEST(Dhcp, MutatedMessagesNeverCrash) {
  auto lease = Lease();
  auto base = RawMessage({{53, {kDhcpRequest}}, {50, {10, 0, 1, 5}}, {55, {1, 3, 6, 15}}, {57, {5, 220}}, {52, {3}}});
  uint32_t seed = 12345;
  auto next = [&] { return seed = seed * 1103515245 + 12345, seed >> 16; };
  for (int round = 0; round < 20000; ++round) {
    auto m = base;
    int flips = 1 + int(next() % 8);
    for (int k = 0; k < flips; ++k) m[240 + next() % (m.size() - 240)] = uint8_t(next());
    if (next() % 4 == 0) m.resize(next() % (m.size() + 1));
    if (auto r = DhcpReply(m, lease)) {
      EXPECT_GE(r->size(), 300u);
    }
  }
}

TEST(Dhcp, EchoesXidFlagsGiaddrAndChaddr) {
  auto m = BuildDhcpClientMessage(kDhcpDiscover, 0x01020304, kMac, std::nullopt);
  m[10] = 0x80;  // broadcast
  m[24] = 10, m[25] = 0, m[26] = 9, m[27] = 1;
  auto info = ParseDhcpRequest(m);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->broadcast_flag);
  auto r = Reply(m);
  ExpectHeader(r, 0x01020304);
  EXPECT_EQ(U16(r, 10), 0x8000);
  EXPECT_EQ(Ipv4{U32(r, 24)}.ToString(), "10.0.9.1");
}

TEST(Dhcp, ParseReportsTheClientMessage) {
  auto info = ParseDhcpRequest(BuildDhcpClientMessage(kDhcpRequest, 99, kMac, Ip("10.0.1.5")));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->message_type, kDhcpRequest);
  EXPECT_EQ(info->xid, 99u);
  EXPECT_EQ(info->chaddr, kMac);
  EXPECT_EQ(info->requested_ip, Ip("10.0.1.5"));
  EXPECT_FALSE(info->broadcast_flag);

  // ciaddr stands in when option 50 is absent; neither -> nullopt.
  auto renew = BuildDhcpClientMessage(kDhcpRequest, 100, kMac, std::nullopt);
  EXPECT_FALSE(ParseDhcpRequest(renew)->requested_ip);
  SetCiaddr(renew, Ip("10.0.1.5"));
  EXPECT_EQ(ParseDhcpRequest(renew)->requested_ip, Ip("10.0.1.5"));
  EXPECT_EQ(ParseDhcpRequest(BuildDhcpClientMessage(kDhcpInform, 1, kMac, Ip("10.0.1.7")))->requested_ip,
            Ip("10.0.1.7"));
}

TEST(Dhcp, OptionsInFileAndSnameAreRead) {
  // Option 52 = 3: option 53 lives in 'file', option 50 in 'sname' (RFC 2132 section 9.3).
  auto m = RawMessage({{52, {3}}});
  const uint8_t file[] = {53, 1, kDhcpRequest, 255};
  const uint8_t sname[] = {50, 4, 10, 0, 1, 6, 255};
  std::copy(std::begin(file), std::end(file), m.begin() + 108);
  std::copy(std::begin(sname), std::end(sname), m.begin() + 44);
  auto info = ParseDhcpRequest(m);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->message_type, kDhcpRequest);
  EXPECT_EQ(info->requested_ip, Ip("10.0.1.6"));
  EXPECT_EQ(ParseOptions(Reply(m)).values.at(53), std::vector<uint8_t>{kDhcpNak});
  // Without option 52 the same bytes are a server name and a boot file name.
  auto plain = RawMessage({});
  std::copy(std::begin(file), std::end(file), plain.begin() + 108);
  EXPECT_FALSE(ParseDhcpRequest(plain));
}

TEST(Dhcp, UnsetOptionsAreOmitted) {
  DhcpLease l;
  l.mac = kMac;
  l.address = Ip("172.31.16.20");
  l.prefix_length = 20;
  l.router = Ip("172.31.16.1");
  l.mtu = 0;
  auto r = Reply(BuildDhcpClientMessage(kDhcpDiscover, 3, kMac, std::nullopt), l);
  Options o = ParseOptions(r);
  EXPECT_EQ(Ipv4{o.U32(1)}.ToString(), "255.255.240.0");
  EXPECT_EQ(Ipv4{o.U32(3)}.ToString(), "172.31.16.1");
  for (int code : {6, 12, 15, 26, 28, 42, 44, 46}) EXPECT_FALSE(o.Has(code)) << code;
  EXPECT_EQ(o.U32(51), 3600u);
}

TEST(Dhcp, ParameterRequestListOrdersTheOptions) {
  auto r = Reply(RawMessage({{53, {kDhcpDiscover}}, {55, {15, 6, 1, 200}}}));
  Options o = ParseOptions(r);
  ASSERT_GE(o.order.size(), 9u);
  EXPECT_EQ(std::vector<int>(o.order.begin(), o.order.begin() + 8), (std::vector<int>{53, 54, 51, 58, 59, 15, 6, 1}));
  ExpectConfiguration(o);  // the unrequested ones still come
  EXPECT_FALSE(o.Has(200));
}

TEST(Dhcp, ReplyFitsTheClientsMaximumMessageSize) {
  DhcpLease l = Lease();
  l.domain_name = std::string(300, 'd');  // over one option's 255 bytes
  // Default 576-byte datagrams: the long option is dropped, the required ones stay.
  auto small = Reply(BuildDhcpClientMessage(kDhcpDiscover, 1, kMac, std::nullopt), l);
  EXPECT_LE(small.size(), 548u);
  Options s = ParseOptions(small);
  EXPECT_FALSE(s.Has(15));
  for (int code : {53, 54, 51, 58, 59, 1, 3, 6}) EXPECT_TRUE(s.Has(code)) << code;
  // Option 57 = 1500: it fits, split in two instances (RFC 3396).
  auto big = Reply(RawMessage({{53, {kDhcpDiscover}}, {57, {0x05, 0xdc}}}), l);
  EXPECT_GT(big.size(), 548u);
  EXPECT_EQ(ParseOptions(big).String(15), l.domain_name);
}
