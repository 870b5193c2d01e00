// IPv4/IPv6 header translation for dualstack Network Load Balancers (wire/translate.h, RFC 7915):
// the other family's header with the addresses asked for, the TCP and UDP checksums valid for the
// new pseudo-header (complete, or left to offload), the vnet header following the frame, a round
// trip that gives the packet back, and what it refuses. Also the proxy protocol's AF_INET6 header.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dataplane/wire/packet.h"
#include "dataplane/wire/packet6.h"
#include "dataplane/wire/proxy_protocol.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/translate.h"
#include "dataplane_testing.h"

using namespace openvpc;
using namespace openvpc::dataplane;

namespace {

const net::Ipv6 kClient6 = *net::ParseIpv6("2001:db8:1::10"), kNode6 = *net::ParseIpv6("2001:db8:1::20");
const net::Ipv6 kNode4 = *net::ParseAddress("10.0.1.5"), kTarget4 = *net::ParseAddress("10.0.2.4");

uint16_t Get16(const std::vector<uint8_t>& f, size_t at) { return static_cast<uint16_t>(f[at] << 8 | f[at + 1]); }

// Ethernet + IPv6 + L4 (TCP, or UDP) from SRC:40000 to DST:80 carrying PAYLOAD, traffic class 0xb8,
// hop limit 61, the L4 checksum complete.
std::vector<uint8_t> Frame6(uint8_t protocol, const net::Ipv6& src, const net::Ipv6& dst, const std::string& payload) {
  std::vector<uint8_t> l4(protocol == 6 ? 20 : 8);
  l4[0] = 0x9c, l4[1] = 0x40, l4[2] = 0, l4[3] = 80;
  if (protocol == 6) {
    l4[4] = 1, l4[12] = 5 << 4, l4[13] = kTcpAck, l4[14] = 0xff;
  } else {
    l4[5] = static_cast<uint8_t>(8 + payload.size());
  }
  l4.insert(l4.end(), payload.begin(), payload.end());
  std::vector<uint8_t> f = BuildIpv6Frame({2, 0, 0, 0, 0, 1}, {2, 0, 0, 0, 0, 2}, src, dst, protocol, 61, l4);
  f[14] = 0x6b, f[15] = 0x80;  // traffic class 0xb8
  if (protocol != 6) return f;  // BuildIpv6Frame computed UDP's
  const uint16_t c = Ipv6L4Checksum(src, dst, protocol, std::span<const uint8_t>(f).subspan(54));
  const size_t at = 54 + 16;
  f[at] = static_cast<uint8_t>(c >> 8), f[at + 1] = static_cast<uint8_t>(c);
  return f;
}

ParsedFrame Parse(const std::vector<uint8_t>& f) {
  ParsedFrame pf;
  EXPECT_TRUE(ParseFrame(f, pf));
  return pf;
}

TEST(TranslateTest, Ipv6TcpBecomesIpv4WithTheAddressesAskedForAndValidChecksums) {
  const std::vector<uint8_t> f = Frame6(6, kClient6, kNode6, "hello over six");
  VnetHeader vh;
  std::vector<uint8_t> out = TranslateIpFamily(f, Parse(f), kNode4, kTarget4, vh);
  ASSERT_EQ(out.size(), f.size() - 20);
  ParsedFrame pf = Parse(out);
  EXPECT_EQ(pf.ether_type, kEtherTypeIpv4);
  EXPECT_EQ(pf.src.ToString(), "10.0.1.5");
  EXPECT_EQ(pf.dst.ToString(), "10.0.2.4");
  EXPECT_EQ(pf.protocol, 6);
  EXPECT_EQ(pf.ttl, 61);
  EXPECT_EQ(out[15], 0xb8);                   // the traffic class as TOS
  EXPECT_EQ(Get16(out, 20) & 0x4000, 0x4000);  // Don't Fragment
  EXPECT_EQ(pf.src_port, 40000);
  EXPECT_EQ(pf.dst_port, 80);
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(out));
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(out));
  EXPECT_EQ(std::string(out.end() - 14, out.end()), "hello over six");
}

TEST(TranslateTest, RoundTripGivesThePacketBack) {
  const std::vector<uint8_t> f = Frame6(6, kClient6, kNode6, std::string(1000, 'z'));
  VnetHeader vh;
  std::vector<uint8_t> four = TranslateIpFamily(f, Parse(f), kNode4, kTarget4, vh);
  std::vector<uint8_t> six = TranslateIpFamily(four, Parse(four), kClient6, kNode6, vh);
  EXPECT_EQ(six, f);
}

TEST(TranslateTest, UdpBothWaysAndAnIpv4DatagramWithoutChecksumGetsOne) {
  const std::vector<uint8_t> f = Frame6(17, kClient6, kNode6, "dns-ish");
  VnetHeader vh;
  std::vector<uint8_t> four = TranslateIpFamily(f, Parse(f), kNode4, kTarget4, vh);
  ASSERT_FALSE(four.empty());
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(four));
  four[34 + 6] = four[34 + 7] = 0;  // IPv4 allows "no checksum"; IPv6 does not (RFC 8200 section 8.1)
  std::vector<uint8_t> six = TranslateIpFamily(four, Parse(four), kNode6, kClient6, vh);
  ASSERT_FALSE(six.empty());
  EXPECT_NE(Get16(six, 54 + 6), 0);
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(six));
}

TEST(TranslateTest, AChecksumLeftToOffloadStaysThePseudoHeaderSumAndTheVnetHeaderFollows) {
  std::vector<uint8_t> f = Frame6(6, kClient6, kNode6, std::string(3000, 'g'));
  // As a sender with TSO leaves it: the field holds the pseudo-header sum (not inverted).
  ParsedFrame pf = Parse(f);
  uint32_t sum = ChecksumAdd(0, kClient6.bytes);
  sum = ChecksumAdd(sum, kNode6.bytes);
  sum += static_cast<uint32_t>(f.size() - 54) + 6;
  const uint16_t partial = ChecksumFold(sum);
  f[54 + 16] = static_cast<uint8_t>(partial >> 8), f[54 + 17] = static_cast<uint8_t>(partial);
  VnetHeader vh{.flags = kVnetNeedsCsum, .gso_type = kGsoTcpv6, .hdr_len = 74, .gso_size = 1400, .csum_start = 54,
                .csum_offset = 16};
  std::vector<uint8_t> out = TranslateIpFamily(f, pf, kNode4, kTarget4, vh);
  ASSERT_FALSE(out.empty());
  EXPECT_EQ(vh.gso_type, kGsoTcpv4);
  EXPECT_EQ(vh.csum_start, 34);
  EXPECT_EQ(vh.hdr_len, 54);
  EXPECT_EQ(vh.gso_size, 1400);
  EXPECT_EQ(vh.flags, kVnetNeedsCsum);
  // What the device would compute: the sum over the segment from csum_start, field included.
  CompleteChecksum(vh, out);
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(out));
}

TEST(TranslateTest, RefusesWhatIsNotAChangeOfFamilyOrNotTcpOrUdp) {
  const std::vector<uint8_t> f = Frame6(6, kClient6, kNode6, "x");
  VnetHeader vh{.gso_type = kGsoTcpv6};
  EXPECT_TRUE(TranslateIpFamily(f, Parse(f), kClient6, kNode6, vh).empty());   // the frame's own family
  EXPECT_TRUE(TranslateIpFamily(f, Parse(f), kClient6, kTarget4, vh).empty());  // two families
  EXPECT_EQ(vh.gso_type, kGsoTcpv6);                                           // untouched
  std::vector<uint8_t> icmp = Frame6(6, kClient6, kNode6, "x");
  icmp[20] = kNextHeaderIcmpv6;
  EXPECT_TRUE(TranslateIpFamily(icmp, Parse(icmp), kNode4, kTarget4, vh).empty());
  ParsedFrame fragment = Parse(f);
  fragment.fragment = true;
  EXPECT_TRUE(TranslateIpFamily(f, fragment, kNode4, kTarget4, vh).empty());
}

TEST(TranslateTest, ProxyProtocolHeaderOfAnIpv6ClientIsAfInet6) {
  // HAProxy's PROXY protocol v2: family 0x21 (AF_INET6, STREAM), 36 address bytes.
  auto h = ProxyProtocolV2Header(kClient6, 40000, kNode6, 80);
  ASSERT_EQ(h.size(), 16u + 36u);
  EXPECT_EQ(h[13], 0x21);
  EXPECT_EQ(Get16(h, 14), 36);
  EXPECT_TRUE(std::equal(kClient6.bytes.begin(), kClient6.bytes.end(), h.begin() + 16));
  EXPECT_TRUE(std::equal(kNode6.bytes.begin(), kNode6.bytes.end(), h.begin() + 32));
  EXPECT_EQ(Get16(h, 48), 40000);
  EXPECT_EQ(Get16(h, 50), 80);
  // The header's own segment over IPv6 is well formed: its TCP checksum verifies.
  const std::vector<uint8_t> f = Frame6(6, kNode6, kClient6, "");
  auto segment = BuildTcpSegmentLike(f, Parse(f), h);
  ASSERT_EQ(segment.size(), f.size() + h.size());
  EXPECT_EQ(Get16(segment, 18), 20 + h.size());  // the payload length
  EXPECT_TRUE(openvpc::testing::ChecksumsRight(segment));
}

}  // namespace
