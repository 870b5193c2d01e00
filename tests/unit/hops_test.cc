// The route target registry and the hops: every kind of route target the model registers names
// a hop the data plane has, and a route finds its hop from its target alone (issue 16).
#include <gtest/gtest.h>

#include "dataplane/hops/hop.h"
#include "model/route_target.h"
#include "model/rules.h"

namespace openvpc {
namespace {

TEST(Hops, EveryRegisteredRouteTargetKindNamesAHopThatExists) {
  model::RegisterAllRules();
  const auto kinds = model::RouteTargetKinds();
  ASSERT_GE(kinds.size(), 6u);
  for (const model::RouteTargetKind* kind : kinds) {
    SCOPED_TRACE(kind->member + " " + kind->id_prefix);
    EXPECT_TRUE(kind->validate);
    EXPECT_TRUE(kind->usable);
    ASSERT_FALSE(kind->hop.empty());
    const dataplane::Hop* hop = dataplane::FindHop(kind->hop);
    ASSERT_NE(hop, nullptr);
    EXPECT_NE(hop->forward, nullptr);
  }
}

TEST(Hops, ARouteFindsItsHopByItsTargetKind) {
  model::RegisterAllRules();
  auto hop_of = [](const std::string& member, const std::string& id) {
    return dataplane::HopOf(model::Route{.destination_cidr_block = "0.0.0.0/0", .target_member = member, .target_id = id});
  };
  EXPECT_EQ(hop_of("GatewayId", "local"), dataplane::FindHop("local-delivery"));
  EXPECT_EQ(hop_of("GatewayId", "igw-0123456789abcdef0"), dataplane::FindHop("internet-gateway"));
  EXPECT_EQ(hop_of("EgressOnlyInternetGatewayId", "eigw-0123456789abcdef0"),
            dataplane::FindHop("egress-only-internet-gateway"));
  EXPECT_EQ(hop_of("NatGatewayId", "nat-0123456789abcdef0"), dataplane::FindHop("nat-gateway"));
  EXPECT_EQ(hop_of("VpcPeeringConnectionId", "pcx-0123456789abcdef0"), dataplane::FindHop("vpc-peering"));
  EXPECT_EQ(hop_of("InstanceId", "i-0123456789abcdef0"), dataplane::FindHop("network-interface"));
  EXPECT_EQ(hop_of("NetworkInterfaceId", "eni-0123456789abcdef0"), dataplane::FindHop("network-interface"));
  // GatewayId names other kinds too: a virtual private gateway is no internet gateway.
  EXPECT_EQ(hop_of("GatewayId", "vgw-0123456789abcdef0"), nullptr);
  EXPECT_EQ(hop_of("TransitGatewayId", "tgw-0123456789abcdef0"), nullptr);
  EXPECT_NE(hop_of("GatewayId", "local"), nullptr);
}

}  // namespace
}  // namespace openvpc
