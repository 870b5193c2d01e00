// Geneve with AWS's options (wire/geneve.h), as Gateway Load Balancers and their appliances
// exchange it: the header built and parsed back, the endpoint id's 64 bits, and what the parser
// refuses (a version other than 0, options past the header, unknown critical options, no inner
// packet, an inner protocol other than IP).
#include <gtest/gtest.h>

#include "dataplane/wire/geneve.h"

using namespace openvpc;
using namespace openvpc::dataplane;

namespace {

std::vector<uint8_t> Inner() {  // an IPv4 header's first bytes are enough for the parser
  std::vector<uint8_t> p(20);
  p[0] = 0x45;
  return p;
}

TEST(GeneveTest, AwsOptionsRoundTrip) {
  GeneveAwsOptions o{.endpoint_id = GeneveEndpointId("vpce-0123456789abcdef0"), .flow_cookie = 0xdeadbeef};
  EXPECT_EQ(o.endpoint_id, 0x123456789abcdef0ull);
  auto h = GeneveHeader(0x0800, o);
  ASSERT_EQ(h.size(), 8u + 32);
  EXPECT_EQ(h[0], 8);  // version 0, 8 words of options
  EXPECT_EQ(h[4] | h[5] | h[6], 0);  // VNI 0
  EXPECT_EQ(h[8] << 8 | h[9], 0x0108);  // AWS's option class
  auto payload = h;
  auto inner = Inner();
  payload.insert(payload.end(), inner.begin(), inner.end());
  auto g = ParseGeneve(payload);
  ASSERT_TRUE(g);
  EXPECT_EQ(g->protocol_type, 0x0800);
  EXPECT_EQ(g->header_length, 40u);
  EXPECT_TRUE(g->has_endpoint && g->has_attachment && g->has_cookie);
  EXPECT_EQ(g->aws.endpoint_id, o.endpoint_id);
  EXPECT_EQ(g->aws.flow_cookie, 0xdeadbeefu);
  EXPECT_EQ(GeneveEndpointId("vpc-123"), 0u);
  EXPECT_EQ(GeneveEndpointId("vpce-xyz"), 0u);
}

TEST(GeneveTest, FrameToTheAppliance) {
  MacAddress a{2, 0, 0, 0, 0, 1}, b{2, 0, 0, 0, 0, 2};
  auto f = BuildGeneveFrame(a, b, *net::ParseIpv4("10.0.9.5"), *net::ParseIpv4("10.0.9.7"), 51000, {}, Inner());
  ParsedFrame pf;
  ASSERT_TRUE(ParseFrame(f, pf));
  EXPECT_EQ(pf.protocol, 17);
  EXPECT_EQ(pf.dst_port, kGenevePort);
  EXPECT_EQ(pf.src_port, 51000);
  EXPECT_TRUE(ParseGeneve(std::span<const uint8_t>(f).subspan(pf.l4 + 8)));
}

TEST(GeneveTest, RefusesWhatItCannotHonour) {
  auto good = GeneveHeader(0x0800, {});
  auto inner = Inner();
  auto with = [&](std::vector<uint8_t> h) {
    h.insert(h.end(), inner.begin(), inner.end());
    return ParseGeneve(h).has_value();
  };
  EXPECT_TRUE(with(good));
  auto v = good;
  v[0] |= 0x40;  // version 1
  EXPECT_FALSE(with(v));
  auto past = good;
  past[11] = 0x1f;  // the first option claims 124 bytes
  EXPECT_FALSE(with(past));
  auto critical = good;
  critical[8] = 0x01, critical[9] = 0x02, critical[10] = 0x81;  // another class's critical option
  EXPECT_FALSE(with(critical));
  auto ethernet = good;
  ethernet[2] = 0x65, ethernet[3] = 0x58;  // transparent Ethernet bridging
  EXPECT_FALSE(with(ethernet));
  EXPECT_FALSE(ParseGeneve(good).has_value());  // no inner packet
  EXPECT_FALSE(ParseGeneve(std::vector<uint8_t>(5)).has_value());
}

}  // namespace
