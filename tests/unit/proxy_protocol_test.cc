// The PROXY protocol v2 header as Network Load Balancers send it, and the TCP stream insertion
// it takes (wire/proxy_protocol.h): sequence and acknowledgement numbers and SACK edges shifted
// with a checksum still valid, the header's own segment well formed, malformed data offsets
// refused.
#include <gtest/gtest.h>

#include <vector>

#include "dataplane/wire/packet.h"
#include "dataplane/wire/proxy_protocol.h"

using namespace openvpc;
using namespace openvpc::dataplane;

namespace {

// Ethernet + IPv4 + TCP with a SACK block (edges LEFT, RIGHT) + PAYLOAD, checksums complete.
std::vector<uint8_t> Segment(uint32_t seq, uint32_t ack, uint32_t left, uint32_t right, const std::string& payload) {
  std::vector<uint8_t> f(14 + 20 + 32 + payload.size());
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45;
  ip[8] = 64;
  ip[9] = 6;
  const uint32_t src = 0x0a000105, dst = 0x0a000164;
  for (int i = 0; i < 4; ++i) {
    ip[12 + i] = static_cast<uint8_t>(src >> (24 - 8 * i));
    ip[16 + i] = static_cast<uint8_t>(dst >> (24 - 8 * i));
  }
  uint8_t* tcp = f.data() + 34;
  tcp[0] = 0x9c, tcp[1] = 0x41, tcp[2] = 0, tcp[3] = 80;
  auto put32 = [](uint8_t* p, uint32_t v) {
    for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
  };
  put32(tcp + 4, seq);
  put32(tcp + 8, ack);
  tcp[12] = 8 << 4;  // 32 bytes: 20 + NOP NOP SACK(10)
  tcp[13] = kTcpAck;
  tcp[14] = 0xff;
  tcp[20] = 1, tcp[21] = 1, tcp[22] = 5, tcp[23] = 10;
  put32(tcp + 24, left);
  put32(tcp + 28, right);
  for (size_t i = 0; i < payload.size(); ++i) f[66 + i] = static_cast<uint8_t>(payload[i]);
  const size_t total = f.size() - 14;
  ip[2] = static_cast<uint8_t>(total >> 8), ip[3] = static_cast<uint8_t>(total);
  ParsedFrame pf;
  EXPECT_TRUE(ParseFrame(f, pf));
  SetIpv4Checksum(f, 14);
  SetL4Checksum(f, pf);
  return f;
}

uint32_t At(const std::vector<uint8_t>& f, size_t off) {
  return uint32_t{f[off]} << 24 | uint32_t{f[off + 1]} << 16 | uint32_t{f[off + 2]} << 8 | f[off + 3];
}

// True when the TCP checksum of F is what a full computation gives.
bool ChecksumValid(const std::vector<uint8_t>& f) {
  ParsedFrame pf;
  if (!ParseFrame(f, pf)) return false;
  std::vector<uint8_t> copy = f;
  SetL4Checksum(copy, pf);
  return copy == f;
}

TEST(ProxyProtocolTest, HeaderAsAwsSendsIt) {
  auto h = ProxyProtocolV2Header(*net::ParseAddress("10.0.1.5"), 40000, *net::ParseAddress("10.0.1.100"), 80);
  const std::vector<uint8_t> sig = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  ASSERT_EQ(h.size(), 28u);
  EXPECT_TRUE(std::equal(sig.begin(), sig.end(), h.begin()));
  EXPECT_EQ(h[12], 0x21);  // version 2, PROXY
  EXPECT_EQ(h[13], 0x11);  // TCP over IPv4
  EXPECT_EQ(h[14] << 8 | h[15], 12);
  EXPECT_EQ((std::vector<uint8_t>(h.begin() + 16, h.end())),
            (std::vector<uint8_t>{10, 0, 1, 5, 10, 0, 1, 100, 0x9c, 0x40, 0, 80}));
  // Through an endpoint: AWS's TLV 0xEA, subtype 0x01, the endpoint id.
  auto v = ProxyProtocolV2Header(*net::ParseAddress("10.0.1.5"), 40000, *net::ParseAddress("10.0.1.100"), 80,
                                 "vpce-0123456789abcdef0");
  ASSERT_EQ(v.size(), 28u + 3 + 1 + 22);
  EXPECT_EQ(v[14] << 8 | v[15], 12 + 3 + 1 + 22);
  EXPECT_EQ(v[28], 0xea);
  EXPECT_EQ(v[29] << 8 | v[30], 23);
  EXPECT_EQ(v[31], 0x01);
  EXPECT_EQ(std::string(v.begin() + 32, v.end()), "vpce-0123456789abcdef0");
}

TEST(ProxyProtocolTest, ShiftsNumbersAndSackEdgesKeepingTheChecksum) {
  VnetHeader vh{};
  auto f = Segment(1001, 7000, 1500, 1600, "data");
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(f, pf));
  ShiftTcpNumbers(f, pf, 28, 0, 0, vh);  // the client's side: sequence + 28
  EXPECT_EQ(At(f, 38), 1029u);
  EXPECT_EQ(At(f, 42), 7000u);
  EXPECT_TRUE(ChecksumValid(f));
  // The target's side: acknowledgements and SACK edges after the client's ISN + 1 (1000) move back.
  auto r = Segment(7000, 1029 + 100, 1200, 1300, "");
  ASSERT_TRUE(ParseFrame(r, pf));
  ShiftTcpNumbers(r, pf, 0, 0u - 28, 1000, vh);
  EXPECT_EQ(At(r, 42), 1101u);
  EXPECT_EQ(At(r, 58), 1172u);
  EXPECT_EQ(At(r, 62), 1272u);
  EXPECT_TRUE(ChecksumValid(r));
  // The SYN-ACK acknowledges the ISN + 1 itself: it keeps its number.
  auto synack = Segment(7000, 1000, 0, 0, "");
  ASSERT_TRUE(ParseFrame(synack, pf));
  ShiftTcpNumbers(synack, pf, 0, 0u - 28, 1000, vh);
  EXPECT_EQ(At(synack, 42), 1000u);
  EXPECT_TRUE(ChecksumValid(synack));
}

TEST(ProxyProtocolTest, HeaderSegmentAndMalformedOffsets) {
  auto f = Segment(1001, 7000, 0, 0, "hello");
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(f, pf));
  EXPECT_EQ(TcpPayloadLength(f, pf), 5u);
  auto h = ProxyProtocolV2Header(*net::ParseAddress("10.0.1.5"), 40000, *net::ParseAddress("10.0.1.100"), 80);
  auto seg = BuildTcpSegmentLike(f, pf, h);
  ASSERT_EQ(seg.size(), 14 + 20 + 32 + h.size());
  ParsedFrame spf;
  ASSERT_TRUE(ParseFrame(seg, spf));
  EXPECT_EQ(TcpPayloadLength(seg, spf), h.size());
  EXPECT_EQ(TcpSequence(seg, spf), 1001u);
  EXPECT_TRUE(ChecksumValid(seg));
  // A data offset beyond the packet: no payload, no segment built from it.
  f[34 + 12] = 15 << 4;
  EXPECT_EQ(TcpPayloadLength(f, pf), 0u);
  EXPECT_TRUE(BuildTcpSegmentLike(f, pf, h).empty());
  f[34 + 12] = 2 << 4;  // less than the 20 bytes of a TCP header
  EXPECT_EQ(TcpPayloadLength(f, pf), 0u);
  EXPECT_TRUE(BuildTcpSegmentLike(f, pf, h).empty());
}

}  // namespace
