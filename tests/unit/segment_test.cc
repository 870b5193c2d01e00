// TCP segmentation in software (wire/segment.h): what a GSO frame of an instance becomes before
// it enters a tunnel that carries one packet per datagram (Geneve to an appliance).
#include <gtest/gtest.h>

#include <vector>

#include "dataplane/wire/packet6.h"
#include "dataplane/wire/segment.h"

using namespace openvpc::dataplane;

namespace {

std::vector<uint8_t> BigSegment(size_t payload, uint8_t flags) {
  std::vector<uint8_t> f(14 + 20 + 20 + payload);
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45, ip[4] = 0x12, ip[5] = 0x34, ip[8] = 64, ip[9] = 6;
  ip[12] = 10, ip[15] = 5, ip[16] = 10, ip[19] = 9;
  const size_t total = f.size() - 14;
  ip[2] = static_cast<uint8_t>(total >> 8), ip[3] = static_cast<uint8_t>(total);
  uint8_t* tcp = f.data() + 34;
  tcp[1] = 80, tcp[3] = 81;
  tcp[4] = 0, tcp[5] = 0, tcp[6] = 0x10, tcp[7] = 0;  // seq 4096
  tcp[12] = 5 << 4;
  tcp[13] = flags;
  for (size_t i = 0; i < payload; ++i) f[54 + i] = static_cast<uint8_t>(i);
  return f;
}

uint32_t Seq(const std::vector<uint8_t>& f) {
  return uint32_t{f[38]} << 24 | uint32_t{f[39]} << 16 | uint32_t{f[40]} << 8 | f[41];
}

bool ChecksumsValid(const std::vector<uint8_t>& f) {
  ParsedFrame pf;
  if (!ParseFrame(f, pf)) return false;
  std::vector<uint8_t> copy = f;
  SetIpv4Checksum(copy, 14);
  SetL4Checksum(copy, pf);
  return copy == f;
}

TEST(SegmentTest, SplitsAtTheMssWithNumbersFlagsAndChecksums) {
  auto f = BigSegment(2500, kTcpAck | 0x08 | kTcpFin);  // ACK PSH FIN
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(f, pf));
  auto segments = SegmentTcp(f, pf, 1000);
  ASSERT_EQ(segments.size(), 3u);
  size_t payload = 0;
  for (size_t i = 0; i < segments.size(); ++i) {
    const auto& s = segments[i];
    EXPECT_TRUE(ChecksumsValid(s)) << i;
    EXPECT_EQ(Seq(s), 4096u + 1000 * i);
    EXPECT_EQ((s[18] << 8 | s[19]), 0x1234 + static_cast<int>(i));  // IP identification
    const bool last = i + 1 == segments.size();
    EXPECT_EQ(s[47] & (kTcpFin | 0x08), last ? (kTcpFin | 0x08) : 0) << i;
    EXPECT_TRUE(s[47] & kTcpAck);
    for (size_t b = 54; b < s.size(); ++b) ASSERT_EQ(s[b], static_cast<uint8_t>(payload + b - 54));
    payload += s.size() - 54;
  }
  EXPECT_EQ(payload, 2500u);
}

TEST(SegmentTest, RefusesWhatItCannotSegment) {
  auto f = BigSegment(10, kTcpAck);
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(f, pf));
  EXPECT_TRUE(SegmentTcp(f, pf, 0).empty());
  f[46] = 15 << 4;  // a data offset (60 bytes) past the packet's 30 TCP bytes
  EXPECT_TRUE(SegmentTcp(f, pf, 1000).empty());
  EXPECT_EQ(SegmentTcp(BigSegment(0, kTcpAck), pf, 1000).size(), 1u);  // a bare ACK stays one
}

TEST(SegmentTest, Ipv6SegmentsCarryTheirPayloadLengthAndAValidChecksum) {
  // The IPv6 twin of BigSegment: 2001:db8::5 -> 2001:db8::9, 2500 bytes, FIN|PSH|ACK.
  const size_t payload = 2500;
  std::vector<uint8_t> f(14 + 40 + 20 + payload);
  f[12] = 0x86, f[13] = 0xdd;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x60, ip[4] = static_cast<uint8_t>((20 + payload) >> 8), ip[5] = static_cast<uint8_t>(20 + payload);
  ip[6] = 6, ip[7] = 64;
  ip[8] = 0x20, ip[9] = 0x01, ip[10] = 0x0d, ip[11] = 0xb8, ip[23] = 5;
  ip[24] = 0x20, ip[25] = 0x01, ip[26] = 0x0d, ip[27] = 0xb8, ip[39] = 9;
  uint8_t* tcp = f.data() + 54;
  tcp[1] = 80, tcp[3] = 81, tcp[6] = 0x10, tcp[12] = 5 << 4, tcp[13] = kTcpAck | kTcpFin | 0x08;
  for (size_t i = 0; i < payload; ++i) f[74 + i] = static_cast<uint8_t>(i);
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(f, pf));
  auto pieces = SegmentTcp(f, pf, 1000);
  ASSERT_EQ(pieces.size(), 3u);
  size_t seen = 0;
  for (size_t i = 0; i < pieces.size(); ++i) {
    const auto& s = pieces[i];
    ParsedFrame spf;
    ASSERT_TRUE(ParseFrame(s, spf));
    const size_t len = s.size() - 74;
    EXPECT_EQ(size_t{s[18]} << 8 | s[19], 20 + len);  // the payload length
    EXPECT_EQ(Ipv6L4Checksum(spf.src6, spf.dst6, 6, std::span<const uint8_t>(s).subspan(54)), 0);
    const uint32_t seq = uint32_t{s[58]} << 24 | uint32_t{s[59]} << 16 | uint32_t{s[60]} << 8 | s[61];
    EXPECT_EQ(seq, 4096u + seen);
    EXPECT_EQ((s[67] & kTcpFin) != 0, i + 1 == pieces.size());  // FIN on the last one only
    for (size_t b = 0; b < len; ++b) ASSERT_EQ(s[74 + b], static_cast<uint8_t>(seen + b));
    seen += len;
  }
  EXPECT_EQ(seen, payload);
}

}  // namespace

// MSS clamping (wire/packet.h ClampTcpMss; an interface endpoint's Q-09): a SYN's MSS option
// lowered, at an even or an odd offset of the header, with a checksum still right.
namespace {

std::vector<uint8_t> SynWithMss(uint16_t mss, bool odd, uint8_t flags = kTcpSyn) {
  // Options: [NOP] MSS(4) then NOPs to a multiple of 4 bytes.
  std::vector<uint8_t> options;
  if (odd) options.push_back(1);
  options.insert(options.end(), {2, 4, static_cast<uint8_t>(mss >> 8), static_cast<uint8_t>(mss)});
  while (options.size() % 4) options.push_back(1);
  std::vector<uint8_t> f(14 + 20 + 20 + options.size() + 3);  // and 3 bytes of data
  f[12] = 0x08;
  uint8_t* ip = f.data() + 14;
  ip[0] = 0x45, ip[8] = 64, ip[9] = 6, ip[12] = 10, ip[15] = 5, ip[16] = 10, ip[19] = 9;
  const size_t total = f.size() - 14;
  ip[2] = static_cast<uint8_t>(total >> 8), ip[3] = static_cast<uint8_t>(total);
  uint8_t* tcp = f.data() + 34;
  tcp[1] = 80, tcp[3] = 81;
  tcp[12] = static_cast<uint8_t>(((20 + options.size()) / 4) << 4);
  tcp[13] = flags;
  std::copy(options.begin(), options.end(), tcp + 20);
  f[f.size() - 3] = 0xab, f[f.size() - 2] = 0xcd, f[f.size() - 1] = 0xef;
  ParsedFrame pf;
  EXPECT_TRUE(ParseFrame(f, pf));
  SetIpv4Checksum(f, 14);
  SetL4Checksum(f, pf);
  return f;
}

uint16_t MssOf(const std::vector<uint8_t>& f, bool odd) {
  const size_t at = 34 + 20 + (odd ? 1 : 0) + 2;
  return static_cast<uint16_t>(f[at] << 8 | f[at + 1]);
}

}  // namespace

TEST(ClampTcpMss, LowersALargerMssWithTheChecksumRight) {
  for (bool odd : {false, true}) {
    auto f = SynWithMss(8961, odd);
    ParsedFrame pf;
    ASSERT_TRUE(ParseFrame(f, pf));
    EXPECT_TRUE(ClampTcpMss(f, pf, 8460, VnetHeader{}));
    EXPECT_EQ(MssOf(f, odd), 8460) << odd;
    EXPECT_TRUE(ChecksumsValid(f)) << odd;
  }
}

TEST(ClampTcpMss, LeavesSmallerMssAndOtherSegmentsAlone) {
  auto small = SynWithMss(1460, false);
  auto copy = small;
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(small, pf));
  EXPECT_FALSE(ClampTcpMss(small, pf, 8460, VnetHeader{}));
  EXPECT_EQ(small, copy);
  auto ack = SynWithMss(8961, false, kTcpAck);  // not a SYN: its options are not an MSS to agree on
  copy = ack;
  ASSERT_TRUE(ParseFrame(ack, pf));
  EXPECT_FALSE(ClampTcpMss(ack, pf, 8460, VnetHeader{}));
  EXPECT_EQ(ack, copy);
}
