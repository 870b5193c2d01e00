// The IPv6 frames the router sends (dataplane/packet6.h) and its Neighbor Discovery answers
// (dataplane/ndp.h): RFC 8200 for the header and checksum, RFC 4291 for the derived addresses,
// RFC 4861 for the messages. The "captured" frames below are real ones, as Wireshark decoded
// them (checksums marked correct): a Cisco router and a host on one link, a QEMU guest's
// Neighbor Advertisement, macOS and Linux solicitations.
#include "dataplane/services/ndp.h"

#include <gtest/gtest.h>

#include <string_view>

#include "dataplane/wire/packet6.h"
#include "dataplane_testing.h"

using namespace openvpc::dataplane;
using openvpc::net::Cidr6;
using openvpc::net::Ipv6;
using openvpc::net::ParseCidr6;
using openvpc::testing::Hex;
using openvpc::testing::Ip6;

namespace {

MacAddress Mac(const char* s) { return *ParseMac(s); }


void Append(std::vector<uint8_t>& out, const Ipv6& ip) { out.insert(out.end(), ip.bytes.begin(), ip.bytes.end()); }
void Append(std::vector<uint8_t>& out, const MacAddress& mac) { out.insert(out.end(), mac.begin(), mac.end()); }
uint16_t U16(const std::vector<uint8_t>& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t U32(const std::vector<uint8_t>& b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}
Ipv6 IpAt(const std::vector<uint8_t>& b, size_t at) {
  Ipv6 ip;
  std::copy_n(b.begin() + at, 16, ip.bytes.begin());
  return ip;
}

// The one's-complement sum of the pseudo-header and payload of the Ethernet + IPv6 frame F,
// computed here without the code under test: 0xffff when the L4 checksum is right.
uint16_t PseudoSum(const std::vector<uint8_t>& f) {
  uint64_t sum = 0;
  auto words = [&](size_t from, size_t to) {
    for (size_t i = from; i < to; i += 2) sum += uint32_t(f[i]) << 8 | (i + 1 < to ? f[i + 1] : 0);
  };
  words(22, 54);        // source and destination
  sum += U16(f, 18);    // upper-layer length (payload length: no extension headers)
  sum += f[20];         // next header
  words(54, f.size());  // the payload
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return uint16_t(sum);
}

// Checks the Ethernet and IPv6 headers of a frame the router built.
void ExpectIpv6Frame(const std::vector<uint8_t>& f, const MacAddress& src_mac, const MacAddress& dst_mac,
                     const Ipv6& src, const Ipv6& dst, uint8_t next_header, uint8_t hop_limit) {
  ASSERT_GE(f.size(), 54u);
  MacAddress d, s;
  std::copy_n(f.begin(), 6, d.begin());
  std::copy_n(f.begin() + 6, 6, s.begin());
  EXPECT_EQ(d, dst_mac);
  EXPECT_EQ(s, src_mac);
  EXPECT_EQ(U16(f, 12), 0x86dd);
  EXPECT_EQ(U32(f, 14), 0x60000000u);  // version 6, traffic class 0, flow label 0
  EXPECT_EQ(U16(f, 18), f.size() - 54);
  EXPECT_EQ(f[20], next_header);
  EXPECT_EQ(f[21], hop_limit);
  EXPECT_EQ(IpAt(f, 22), src);
  EXPECT_EQ(IpAt(f, 38), dst);
}

std::vector<uint8_t> Icmpv6Of(const std::vector<uint8_t>& frame) { return {frame.begin() + 54, frame.end()}; }

// --- Real captures ---------------------------------------------------------------------------

// A host (08:9e:01:43:f2:eb) asks for its Cisco router 2001:beba:baba:10::2.
const Ipv6 kHost = Ip6("2001:beba:baba:10:a9e:1ff:fe43:f2eb");
const Ipv6 kCiscoAddress = Ip6("2001:beba:baba:10::2");
const MacAddress kHostMac = {0x08, 0x9e, 0x01, 0x43, 0xf2, 0xeb};
const MacAddress kCiscoMac = {0x00, 0x15, 0x62, 0xbf, 0x79, 0x46};

std::vector<uint8_t> CapturedNs() {  // checksum 0x4bf4 [correct]
  std::vector<uint8_t> m = Hex("87 00 4b f4 00 00 00 00");
  Append(m, kCiscoAddress);
  m.insert(m.end(), {1, 1});
  Append(m, kHostMac);
  return m;
}

// RS with a source link-layer option, fe80::cc96:8bff:fe90:e5bb -> ff02::2 (checksum 0xff67).
std::vector<uint8_t> CapturedRs() { return Hex("85 00 ff 67 00 00 00 00 01 01 ce 96 8b 90 e5 bb"); }

// A valid NS with its checksum, from SRC to the solicited-node group of TARGET.
std::vector<uint8_t> MakeNs(const Ipv6& src, const Ipv6& target, std::optional<MacAddress> sll) {
  std::vector<uint8_t> m = {kNdNeighborSolicitation, 0, 0, 0, 0, 0, 0, 0};
  Append(m, target);
  if (sll) {
    m.insert(m.end(), {1, 1});
    Append(m, *sll);
  }
  uint16_t c = Ipv6L4Checksum(src, SolicitedNodeMulticast(target), kNextHeaderIcmpv6, m);
  m[2] = uint8_t(c >> 8);
  m[3] = uint8_t(c);
  return m;
}

RouterAdvertisementInfo VpcRouter() {
  RouterAdvertisementInfo info;
  info.router_mac = Mac("02:00:0a:00:01:01");
  info.router_link_local = LinkLocalFromMac(info.router_mac);
  info.on_link_prefix = *ParseCidr6("2600:1f18:abc:de01::/64");
  return info;
}

}  // namespace

// --- packet6 ---------------------------------------------------------------------------------

TEST(Packet6, Ipv6FrameCarriesTheHeadersAndTheL4BytesAsGiven) {
  const std::vector<uint8_t> l4 = {1, 2, 3, 4, 5};
  auto f = BuildIpv6Frame(kCiscoMac, kHostMac, kCiscoAddress, kHost, 59, 7, l4);  // 59: no next header
  ASSERT_EQ(f.size(), 14u + 40 + 5);
  ExpectIpv6Frame(f, kCiscoMac, kHostMac, kCiscoAddress, kHost, 59, 7);
  EXPECT_EQ(Icmpv6Of(f), l4);  // no checksum field to fill for an unknown next header

  // An ICMPv6 or UDP body too short to hold its checksum is copied as is too.
  auto stub = BuildIpv6Frame(kCiscoMac, kHostMac, kCiscoAddress, kHost, kNextHeaderUdp, 64, l4);
  EXPECT_EQ(Icmpv6Of(stub), l4);
  EXPECT_TRUE(BuildIpv6Frame(kCiscoMac, kHostMac, kCiscoAddress, kHost, kNextHeaderIcmpv6, 64, {}).size() == 54);
}

TEST(Packet6, Icmpv6AndUdpChecksumsVerify) {
  // An echo request with garbage where the checksum goes: it is overwritten.
  std::vector<uint8_t> echo = {128, 0, 0xde, 0xad, 0x61, 0x5b, 0, 2, 'h', 'e', 'l', 'l', 'o'};
  auto f = BuildIpv6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, kNextHeaderIcmpv6, 64, echo);
  ExpectIpv6Frame(f, kHostMac, kCiscoMac, kHost, kCiscoAddress, kNextHeaderIcmpv6, 64);
  EXPECT_EQ(PseudoSum(f), 0xffff);
  EXPECT_EQ(Ipv6L4Checksum(kHost, kCiscoAddress, kNextHeaderIcmpv6, Icmpv6Of(f)), 0);

  const std::vector<uint8_t> payload(333, 0x5a);  // odd length: the last byte is padded
  auto u = BuildUdp6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, 546, 547, payload);
  ExpectIpv6Frame(u, kHostMac, kCiscoMac, kHost, kCiscoAddress, kNextHeaderUdp, 64);
  ASSERT_EQ(u.size(), 54u + 8 + 333);
  EXPECT_EQ(U16(u, 54), 546);
  EXPECT_EQ(U16(u, 56), 547);
  EXPECT_EQ(U16(u, 58), 8 + 333);
  EXPECT_NE(U16(u, 60), 0);
  EXPECT_EQ(PseudoSum(u), 0xffff);
  EXPECT_TRUE(std::equal(payload.begin(), payload.end(), u.begin() + 62));
  EXPECT_EQ(BuildUdp6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, 1, 2, payload, 1)[21], 1);

  // A flipped bit anywhere in the pseudo-header or payload breaks the sum.
  auto bad = u;
  bad[30] ^= 0x10;
  EXPECT_NE(PseudoSum(bad), 0xffff);
  EXPECT_NE(Ipv6L4Checksum(kHost, Ip6("2001:beba:baba:10::3"), kNextHeaderUdp, Icmpv6Of(u)), 0);
}

TEST(Packet6, UdpChecksumOfZeroIsSentAsAllOnes) {
  // With a two-byte payload of 0 the checksum is C; with payload C the sum becomes 0xffff and
  // the computed checksum 0, which UDP must send as 0xffff (RFC 8200 section 8.1).
  const std::vector<uint8_t> zero = {0, 0};
  auto f = BuildUdp6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, 1000, 2000, zero);
  const std::vector<uint8_t> c = {f[60], f[61]};
  ASSERT_NE(U16(f, 60), 0);
  auto g = BuildUdp6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, 1000, 2000, c);
  EXPECT_EQ(U16(g, 60), 0xffff);
  EXPECT_EQ(PseudoSum(g), 0xffff);
  EXPECT_EQ(Ipv6L4Checksum(kHost, kCiscoAddress, kNextHeaderUdp, Icmpv6Of(g)), 0);
  // ICMPv6 has no such rule: a computed zero is sent as zero.
  auto h0 = BuildIpv6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, kNextHeaderIcmpv6, 64,
                           std::vector<uint8_t>{128, 0, 0, 0, 0, 0});
  auto h = BuildIpv6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, kNextHeaderIcmpv6, 64,
                          std::vector<uint8_t>{128, 0, 0, 0, h0[56], h0[57]});
  EXPECT_EQ(U16(h, 56), 0);
  EXPECT_EQ(PseudoSum(h), 0xffff);
}

TEST(Packet6, PayloadsPastTheLengthFieldGiveNoFrame) {
  std::vector<uint8_t> big(65536, 0);
  EXPECT_TRUE(BuildIpv6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, kNextHeaderIcmpv6, 64, big).empty());
  big.resize(65535);
  auto f = BuildIpv6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, kNextHeaderIcmpv6, 64, big);
  ASSERT_EQ(f.size(), 54u + 65535);
  EXPECT_EQ(U16(f, 18), 65535);
  EXPECT_EQ(PseudoSum(f), 0xffff);
  EXPECT_TRUE(BuildUdp6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, 1, 2, std::vector<uint8_t>(65528)).empty());
  EXPECT_EQ(BuildUdp6Frame(kHostMac, kCiscoMac, kHost, kCiscoAddress, 1, 2, std::vector<uint8_t>(65527)).size(),
            54u + 65535);
}

TEST(Packet6, LinkLocalFromMacIsTheModifiedEui64) {
  // Addresses the hosts of the captures made for themselves.
  EXPECT_EQ(LinkLocalFromMac(Mac("ce:96:8b:90:e5:bb")), Ip6("fe80::cc96:8bff:fe90:e5bb"));
  EXPECT_EQ(LinkLocalFromMac(kCiscoMac), Ip6("fe80::215:62ff:febf:7946"));
  EXPECT_EQ(LinkLocalFromMac(kHostMac).ToString(), "fe80::a9e:1ff:fe43:f2eb");
  // The universal/local bit flips both ways.
  EXPECT_EQ(LinkLocalFromMac(Mac("02:00:00:00:00:01")), Ip6("fe80::ff:fe00:1"));
  EXPECT_TRUE(IsLinkLocal6(LinkLocalFromMac(kHostMac)));
  EXPECT_FALSE(IsLinkLocal6(kHost));
  EXPECT_TRUE(IsLinkLocal6(Ip6("febf::1")));
  EXPECT_FALSE(IsLinkLocal6(Ip6("fec0::1")));
}

TEST(Packet6, MulticastGroupsAndTheirMacs) {
  EXPECT_EQ(SolicitedNodeMulticast(kCiscoAddress), Ip6("ff02::1:ff00:2"));
  EXPECT_EQ(SolicitedNodeMulticast(Ip6("fe80::14e5:ff56:308f:bd1c")), Ip6("ff02::1:ff8f:bd1c"));
  EXPECT_EQ(MulticastMacFor(Ip6("ff02::1:ff00:2")), Mac("33:33:ff:00:00:02"));
  EXPECT_EQ(MulticastMacFor(kAllNodes), Mac("33:33:00:00:00:01"));
  EXPECT_EQ(MulticastMacFor(kAllRouters), Mac("33:33:00:00:00:02"));
  EXPECT_EQ(MulticastMacFor(kAllDhcpRelayAgentsAndServers), Mac("33:33:00:01:00:02"));
  EXPECT_EQ(kAllNodes, Ip6("ff02::1"));
  EXPECT_EQ(kAllRouters, Ip6("ff02::2"));
  EXPECT_EQ(kAllDhcpRelayAgentsAndServers, Ip6("ff02::1:2"));
  EXPECT_TRUE(IsMulticast6(kAllNodes));
  EXPECT_FALSE(IsMulticast6(kHost));
  EXPECT_TRUE(IsUnspecified6(Ip6("::")));
  EXPECT_FALSE(IsUnspecified6(Ip6("::1")));
}

// --- Neighbor Discovery: solicitations -------------------------------------------------------

TEST(Ndp, CapturedNeighborSolicitationParses) {
  auto m = CapturedNs();
  auto ns = ParseNdMessage(kHost, SolicitedNodeMulticast(kCiscoAddress), 255, m);
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->type, kNdNeighborSolicitation);
  EXPECT_EQ(ns->target, kCiscoAddress);
  EXPECT_EQ(ns->source_link_layer, kHostMac);

  // fd63::1 (00:00:00:00:00:04) asks for fd63::2, checksum 0x7ece.
  auto other = Hex("87 00 7e ce 00 00 00 00 fd 63 00 00 00 00 00 00 00 00 00 00 00 00 00 02 01 01 00 00 00 00 00 04");
  auto ns2 = ParseNdMessage(Ip6("fd63::1"), Ip6("ff02::1:ff00:2"), 255, other);
  ASSERT_TRUE(ns2);
  EXPECT_EQ(ns2->target, Ip6("fd63::2"));
  EXPECT_EQ(ns2->source_link_layer, Mac("00:00:00:00:00:04"));
}

TEST(Ndp, CapturedDuplicateAddressDetectionParses) {
  // macOS checks fe80::14e5:ff56:308f:bd1c from :: with a nonce option (RFC 7527), checksum 0xd8bb.
  auto m = Hex("87 00 d8 bb 00 00 00 00 fe 80 00 00 00 00 00 00 14 e5 ff 56 30 8f bd 1c 0e 01 30 48 0a 0a 9b 7c");
  auto ns = ParseNdMessage(Ip6("::"), Ip6("ff02::1:ff8f:bd1c"), 255, m);
  ASSERT_TRUE(ns);
  EXPECT_EQ(ns->type, kNdNeighborSolicitation);
  EXPECT_EQ(ns->target, Ip6("fe80::14e5:ff56:308f:bd1c"));
  EXPECT_FALSE(ns->source_link_layer);
  // From the unspecified address it must go to a solicited-node group...
  auto to_all = m;
  uint16_t c = Ipv6L4Checksum(Ip6("::"), kAllNodes, kNextHeaderIcmpv6, [&] {
    auto z = to_all;
    z[2] = z[3] = 0;
    return z;
  }());
  to_all[2] = uint8_t(c >> 8), to_all[3] = uint8_t(c);
  EXPECT_FALSE(ParseNdMessage(Ip6("::"), kAllNodes, 255, to_all));
  EXPECT_TRUE(ParseNdMessage(to_all, 255));  // (the short check does not know the addresses)
  // ... and carry no source link-layer option.
  auto dad_with_sll = MakeNs(Ip6("::"), Ip6("fe80::14e5:ff56:308f:bd1c"), kHostMac);
  EXPECT_FALSE(ParseNdMessage(Ip6("::"), Ip6("ff02::1:ff8f:bd1c"), 255, dad_with_sll));
  EXPECT_TRUE(ParseNdMessage(Ip6("fe80::1"), Ip6("ff02::1:ff8f:bd1c"), 255,
                             MakeNs(Ip6("fe80::1"), Ip6("fe80::14e5:ff56:308f:bd1c"), kHostMac)));
}

TEST(Ndp, CapturedRouterSolicitationsParse) {
  auto rs = ParseNdMessage(Ip6("fe80::cc96:8bff:fe90:e5bb"), kAllRouters, 255, CapturedRs());
  ASSERT_TRUE(rs);
  EXPECT_EQ(rs->type, kNdRouterSolicitation);
  EXPECT_EQ(rs->target, Ipv6{});
  EXPECT_EQ(rs->source_link_layer, Mac("ce:96:8b:90:e5:bb"));
  // Without options (macOS, checksum 0x8c5a; Linux, 0x7f22).
  auto mac_os = ParseNdMessage(Ip6("fe80::14a4:8e99:8a23:c37b"), kAllRouters, 255, Hex("85 00 8c 5a 00 00 00 00"));
  ASSERT_TRUE(mac_os);
  EXPECT_FALSE(mac_os->source_link_layer);
  EXPECT_TRUE(ParseNdMessage(Ip6("fe80::1b53:b797:c803:6326"), kAllRouters, 255, Hex("85 00 7f 22 00 00 00 00")));
  // From the unspecified address an RS carries no source link-layer option (section 6.1.1).
  auto m = CapturedRs();
  m[2] = m[3] = 0;
  uint16_t c = Ipv6L4Checksum(Ip6("::"), kAllRouters, kNextHeaderIcmpv6, m);
  m[2] = uint8_t(c >> 8), m[3] = uint8_t(c);
  EXPECT_FALSE(ParseNdMessage(Ip6("::"), kAllRouters, 255, m));
  auto bare = Hex("85 00 00 00 00 00 00 00");
  c = Ipv6L4Checksum(Ip6("::"), kAllRouters, kNextHeaderIcmpv6, bare);
  bare[2] = uint8_t(c >> 8), bare[3] = uint8_t(c);
  EXPECT_TRUE(ParseNdMessage(Ip6("::"), kAllRouters, 255, bare));
}

TEST(Ndp, ChecksumIsCheckedByTheFullParseOnly) {
  auto m = CapturedNs();
  m[3] ^= 1;
  EXPECT_FALSE(ParseNdMessage(kHost, SolicitedNodeMulticast(kCiscoAddress), 255, m));
  EXPECT_TRUE(ParseNdMessage(m, 255));
  // The checksum covers the addresses: the right bytes from another source fail.
  EXPECT_FALSE(ParseNdMessage(Ip6("2001:beba:baba:10::9"), SolicitedNodeMulticast(kCiscoAddress), 255, CapturedNs()));
}

TEST(Ndp, InvalidSolicitationsAreRejected) {
  const auto ns = CapturedNs();
  const auto rs = CapturedRs();
  ASSERT_TRUE(ParseNdMessage(ns, 255));
  ASSERT_TRUE(ParseNdMessage(rs, 255));
  // Hop limit: anything but 255 crossed a router.
  for (int hl : {0, 1, 64, 254}) {
    EXPECT_FALSE(ParseNdMessage(ns, uint8_t(hl))) << hl;
    EXPECT_FALSE(ParseNdMessage(rs, uint8_t(hl))) << hl;
  }
  // Code.
  auto code = ns;
  code[1] = 1;
  EXPECT_FALSE(ParseNdMessage(code, 255));
  // Other ICMPv6 types, Router and Neighbor Advertisements included.
  for (int type : {1, 128, 129, int{kNdRouterAdvertisement}, int{kNdNeighborAdvertisement}, 137}) {
    auto other = ns;
    other[0] = uint8_t(type);
    EXPECT_FALSE(ParseNdMessage(other, 255)) << type;
  }
  // A multicast target.
  auto mcast = ns;
  mcast[8] = 0xff;
  EXPECT_FALSE(ParseNdMessage(mcast, 255));
  // An option of length 0, one running past the end, a stray byte after the options.
  auto zero = ns;
  zero[25] = 0;
  EXPECT_FALSE(ParseNdMessage(zero, 255));
  auto past = rs;
  past[9] = 2;
  EXPECT_FALSE(ParseNdMessage(past, 255));
  auto stray = rs;
  stray.push_back(1);
  EXPECT_FALSE(ParseNdMessage(stray, 255));
  // Unknown options are skipped; the first source link-layer option counts.
  auto extra = rs;
  extra.insert(extra.end(), {14, 1, 1, 2, 3, 4, 5, 6, 1, 1, 9, 9, 9, 9, 9, 9});
  auto parsed = ParseNdMessage(extra, 255);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->source_link_layer, Mac("ce:96:8b:90:e5:bb"));
  // The reserved field is not looked at (section 4.3: ignored on receipt).
  auto reserved = ns;
  reserved[5] = 0xaa;
  EXPECT_TRUE(ParseNdMessage(reserved, 255));
}

TEST(Ndp, EveryTruncationIsHandled) {
  const auto ns = CapturedNs();  // 24 bytes of message, then one 8-byte option
  for (size_t n = 0; n <= ns.size(); ++n) {
    std::span<const uint8_t> cut(ns.data(), n);
    EXPECT_EQ(bool(ParseNdMessage(cut, 255)), n == 24 || n == 32) << n;
    EXPECT_EQ(bool(ParseNdMessage(kHost, SolicitedNodeMulticast(kCiscoAddress), 255, cut)), n == 32) << n;
  }
  const auto rs = CapturedRs();
  for (size_t n = 0; n <= rs.size(); ++n)
    EXPECT_EQ(bool(ParseNdMessage(std::span<const uint8_t>(rs.data(), n), 255)), n == 8 || n == 16) << n;
}

TEST(Ndp, MutatedMessagesNeverCrash) {
  std::vector<std::vector<uint8_t>> bases = {CapturedNs(), CapturedRs()};
  auto long_rs = CapturedRs();
  long_rs.insert(long_rs.end(),
                 {3, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0});
  bases.push_back(long_rs);
  uint32_t seed = 4861;
  auto next = [&] { return seed = seed * 1103515245 + 12345, seed >> 16; };
  int accepted = 0;
  for (int round = 0; round < 30000; ++round) {
    auto m = bases[next() % bases.size()];
    int flips = 1 + int(next() % 6);
    for (int k = 0; k < flips; ++k) m[next() % m.size()] = uint8_t(next());
    if (next() % 4 == 0) m.resize(next() % (m.size() + 1));
    if (next() % 8 == 0) m.resize(m.size() + next() % 16, uint8_t(next()));
    auto r = ParseNdMessage(m, 255);
    if (r) {
      ++accepted;
      EXPECT_TRUE(r->type == kNdRouterSolicitation || r->type == kNdNeighborSolicitation);
      EXPECT_FALSE(IsMulticast6(r->target));
    }
    ParseNdMessage(Ip6("::"), SolicitedNodeMulticast(kCiscoAddress), 255, m);
  }
  EXPECT_GT(accepted, 0);
}

// --- Neighbor Discovery: advertisements ------------------------------------------------------

TEST(Ndp, NeighborAdvertisementMatchesTheCapturedOne) {
  // A QEMU guest's answer (checksum 0x9638), byte for byte: S and O set, R clear.
  const auto expected =
      Hex("52 54 00 12 34 01 52 54 00 12 34 02 86 dd 60 00 00 00 00 20 3a ff 20 01 0d b8 20 00 af f0 00 00"
          "00 00 00 00 00 02 20 01 0d b8 20 00 af f0 00 00 00 00 00 00 00 01 88 00 96 38 60 00 00 00 20 01"
          "0d b8 20 00 af f0 00 00 00 00 00 00 00 02 02 01 52 54 00 12 34 02");
  const MacAddress guest = Mac("52:54:00:12:34:02");
  auto f = BuildNeighborAdvertisement(guest, Mac("52:54:00:12:34:01"), Ip6("2001:db8:2000:aff0::2"),
                                      Ip6("2001:db8:2000:aff0::1"), Ip6("2001:db8:2000:aff0::2"), guest, false);
  EXPECT_EQ(f, expected);
}

TEST(Ndp, RouterAnswersTheCapturedSolicitationLikeTheCiscoRouter) {
  auto ns = ParseNdMessage(kHost, SolicitedNodeMulticast(kCiscoAddress), 255, CapturedNs());
  ASSERT_TRUE(ns);
  auto f =
      BuildNeighborAdvertisement(kCiscoMac, *ns->source_link_layer, kCiscoAddress, kHost, ns->target, kCiscoMac, true);
  ExpectIpv6Frame(f, kCiscoMac, kHostMac, kCiscoAddress, kHost, kNextHeaderIcmpv6, 255);
  // The Cisco router's answer: flags 0xe0 (R, S, O), checksum 0xef23 (its traffic class of
  // 0xe0 is outside the checksum).
  auto icmp = Icmpv6Of(f);
  std::vector<uint8_t> cisco = Hex("88 00 ef 23 e0 00 00 00");
  Append(cisco, kCiscoAddress);
  cisco.insert(cisco.end(), {2, 1});
  Append(cisco, kCiscoMac);
  EXPECT_EQ(icmp, cisco);
  EXPECT_EQ(PseudoSum(f), 0xffff);
}

TEST(Ndp, AnswerToDuplicateAddressDetectionIsNotSolicited) {
  const Ipv6 router_ll = LinkLocalFromMac(kCiscoMac);
  auto f = BuildNeighborAdvertisement(kCiscoMac, MulticastMacFor(kAllNodes), router_ll, kAllNodes, router_ll, kCiscoMac,
                                      true);
  ExpectIpv6Frame(f, kCiscoMac, Mac("33:33:00:00:00:01"), router_ll, kAllNodes, kNextHeaderIcmpv6, 255);
  ASSERT_EQ(f.size(), 54u + 32);
  EXPECT_EQ(f[54], kNdNeighborAdvertisement);
  EXPECT_EQ(f[55], 0);
  EXPECT_EQ(f[58], 0xa0);  // R and O, no S
  EXPECT_EQ(f[59] | f[60] | f[61], 0);
  EXPECT_EQ(IpAt(f, 62), router_ll);
  EXPECT_EQ(f[78], 2);
  EXPECT_EQ(f[79], 1);
  EXPECT_TRUE(std::equal(kCiscoMac.begin(), kCiscoMac.end(), f.begin() + 80));
  EXPECT_EQ(PseudoSum(f), 0xffff);
  // Not a router (an answer for another interface): O alone.
  auto g =
      BuildNeighborAdvertisement(kCiscoMac, MulticastMacFor(kAllNodes), router_ll, kAllNodes, kHost, kHostMac, false);
  EXPECT_EQ(g[58], 0x20);
  EXPECT_EQ(IpAt(g, 62), kHost);
  EXPECT_TRUE(std::equal(kHostMac.begin(), kHostMac.end(), g.begin() + 80));
  EXPECT_EQ(PseudoSum(g), 0xffff);
}

TEST(Ndp, RouterAdvertisementOfTheVpcRouter) {
  const RouterAdvertisementInfo info = VpcRouter();
  auto f = BuildRouterAdvertisement(info, MulticastMacFor(kAllNodes), kAllNodes);
  ExpectIpv6Frame(f, info.router_mac, Mac("33:33:00:00:00:01"), Ip6("fe80::aff:fe00:101"), kAllNodes, kNextHeaderIcmpv6,
                  255);
  ASSERT_EQ(f.size(), 54u + 16 + 8 + 8 + 32);
  EXPECT_EQ(PseudoSum(f), 0xffff);
  const size_t ra = 54;
  EXPECT_EQ(f[ra], kNdRouterAdvertisement);
  EXPECT_EQ(f[ra + 1], 0);
  EXPECT_EQ(f[ra + 4], 64);         // current hop limit
  EXPECT_EQ(f[ra + 5], 0xc0);       // M and O
  EXPECT_EQ(U16(f, ra + 6), 1800);  // router lifetime
  EXPECT_EQ(U32(f, ra + 8), 0u);    // reachable time
  EXPECT_EQ(U32(f, ra + 12), 0u);   // retransmission timer
  // Source link-layer address.
  EXPECT_EQ(f[ra + 16], 1);
  EXPECT_EQ(f[ra + 17], 1);
  EXPECT_TRUE(std::equal(info.router_mac.begin(), info.router_mac.end(), f.begin() + ra + 18));
  // MTU.
  EXPECT_EQ(f[ra + 24], 5);
  EXPECT_EQ(f[ra + 25], 1);
  EXPECT_EQ(U16(f, ra + 26), 0);
  EXPECT_EQ(U32(f, ra + 28), 9001u);
  // Prefix information: on-link, no autonomous configuration.
  const size_t pio = ra + 32;
  EXPECT_EQ(f[pio], 3);
  EXPECT_EQ(f[pio + 1], 4);
  EXPECT_EQ(f[pio + 2], 64);
  EXPECT_EQ(f[pio + 3], 0x80);
  EXPECT_EQ(U32(f, pio + 4), 2592000u);
  EXPECT_EQ(U32(f, pio + 8), 604800u);
  EXPECT_EQ(U32(f, pio + 12), 0u);
  EXPECT_EQ(IpAt(f, pio + 16), Ip6("2600:1f18:abc:de01::"));
}

TEST(Ndp, RouterAdvertisementOptionsFollowTheInfo) {
  RouterAdvertisementInfo info = VpcRouter();
  info.on_link_prefix = *ParseCidr6("2600:1f18:abc:de01::77/56");  // host bits are cleared
  info.managed = false;
  info.other = true;
  info.router_lifetime = 0;
  info.mtu = 1280;
  const Ipv6 host = LinkLocalFromMac(kHostMac);
  auto f = BuildRouterAdvertisement(info, kHostMac, host);  // unicast to a soliciting host
  ExpectIpv6Frame(f, info.router_mac, kHostMac, info.router_link_local, host, kNextHeaderIcmpv6, 255);
  EXPECT_EQ(PseudoSum(f), 0xffff);
  EXPECT_EQ(f[59], 0x40);
  EXPECT_EQ(U16(f, 60), 0);
  EXPECT_EQ(U32(f, 82), 1280u);
  EXPECT_EQ(f[86], 3);
  EXPECT_EQ(f[86 + 2], 56);
  EXPECT_EQ(IpAt(f, 86 + 16), Ip6("2600:1f18:abc:de00::"));

  // No prefix, an MTU below IPv6's minimum: only the source link-layer option.
  info.on_link_prefix.reset();
  info.mtu = 1279;
  info.managed = info.other = false;
  auto g = BuildRouterAdvertisement(info, MulticastMacFor(kAllNodes), kAllNodes);
  ASSERT_EQ(g.size(), 54u + 16 + 8);
  EXPECT_EQ(g[59], 0);
  EXPECT_EQ(g[70], 1);
  EXPECT_EQ(PseudoSum(g), 0xffff);
}

TEST(Ndp, RouterAdvertisementMatchesTheCapturedOneUpToTheAutonomousFlag) {
  // The Cisco router's RA (118 bytes, checksum 0xcae8): flags 0, lifetime 1800, MTU 1500 and
  // 2001:beba:baba:10::/64 with IOS's defaults, L=1 and A=1 and lifetimes of 30 and 7 days.
  // Ours differs in A only: setting it and the captured checksum must give a valid message.
  RouterAdvertisementInfo info;
  info.router_mac = kCiscoMac;
  info.router_link_local = LinkLocalFromMac(kCiscoMac);
  info.on_link_prefix = *ParseCidr6("2001:beba:baba:10::/64");
  info.mtu = 1500;
  info.managed = info.other = false;
  auto f = BuildRouterAdvertisement(info, MulticastMacFor(kAllNodes), kAllNodes);
  ASSERT_EQ(f.size(), 118u);
  EXPECT_EQ(U16(f, 18), 64);
  auto icmp = Icmpv6Of(f);
  EXPECT_EQ(icmp[35], 0x80);
  icmp[35] |= 0x40;  // A
  icmp[2] = 0xca, icmp[3] = 0xe8;
  EXPECT_EQ(Ipv6L4Checksum(info.router_link_local, kAllNodes, kNextHeaderIcmpv6, icmp), 0);
}
