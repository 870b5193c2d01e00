#include <gtest/gtest.h>

#include "net/ip.h"

using namespace openvpc::net;

TEST(Ipv4, ParsesAndPrints) {
  EXPECT_EQ(ParseIpv4("10.0.0.1")->ToString(), "10.0.0.1");
  EXPECT_EQ(ParseIpv4("255.255.255.255")->value, 0xffffffffu);
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "10.0.0.01", "a.b.c.d", "10.0.0.1 ", "1.2.3.4.5", "-1.0.0.0"})
    EXPECT_FALSE(ParseIpv4(bad)) << bad;
}

TEST(Cidr4, RejectsMalformedBlocks) {
  for (const char* bad : {"10.0.0.0", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/016", "10.0.0.0/1x", "10.0.0/16"})
    EXPECT_FALSE(ParseCidr4(bad)) << bad;
}

TEST(Cidr4, CanonicalClearsHostBits) {
  // Rule A10: CreateRoute stores 100.68.0.18/18 as 100.68.0.0/18.
  auto c = ParseCidr4("100.68.0.18/18");
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->IsCanonical());
  EXPECT_EQ(c->Canonical().ToString(), "100.68.0.0/18");
}

TEST(Cidr4, ContainmentAndOverlap) {
  auto vpc = *ParseCidr4("10.0.0.0/16");
  EXPECT_TRUE(vpc.Contains(*ParseCidr4("10.0.1.0/24")));
  EXPECT_TRUE(vpc.Contains(vpc));
  EXPECT_FALSE(vpc.Contains(*ParseCidr4("10.1.0.0/24")));
  EXPECT_FALSE(ParseCidr4("10.0.1.0/24")->Contains(vpc));
  // Rule A4's example: 10.0.0.0/24 splits into two /25 that do not overlap.
  EXPECT_FALSE(ParseCidr4("10.0.0.0/25")->Overlaps(*ParseCidr4("10.0.0.128/25")));
  EXPECT_TRUE(ParseCidr4("10.0.0.0/24")->Overlaps(*ParseCidr4("10.0.0.128/25")));
  EXPECT_EQ(ParseCidr4("10.0.0.0/24")->Size(), 256u);
  EXPECT_EQ(ParseCidr4("0.0.0.0/0")->Size(), 1ull << 32);
  EXPECT_TRUE(ParseCidr4("0.0.0.0/0")->Contains(*ParseIpv4("203.0.113.10")));
}

TEST(Cidr6, ParsesCanonicalisesAndContains) {
  auto vpc = ParseCidr6("2001:db8:1234:1a00::/56");
  ASSERT_TRUE(vpc);
  EXPECT_TRUE(vpc->Contains(*ParseCidr6("2001:db8:1234:1a01::/64")));
  EXPECT_FALSE(vpc->Contains(*ParseCidr6("2001:db8:1234:1b00::/64")));
  EXPECT_EQ(ParseCidr6("2001:DB8:1234:1A00:0:0:0:1/56")->Canonical().ToString(), "2001:db8:1234:1a00::/56");
  EXPECT_FALSE(ParseCidr6("2001:db8::/129"));
  EXPECT_FALSE(ParseCidr6("10.0.0.0/8"));
  EXPECT_TRUE(ParseCidr6("::/0")->Contains(*ParseIpv6("2001:1900:3001:11::2c")));
}
