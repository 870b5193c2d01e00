// TCP segmentation in software (wire/segment.h): what a GSO frame of an instance becomes before
// it enters a tunnel that carries one packet per datagram (Geneve to an appliance).
#include <gtest/gtest.h>

#include <vector>

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

}  // namespace
