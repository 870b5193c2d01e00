#include <map>

#include "dataplane/hops/hop.h"
#include "model/route_target.h"

namespace openvpc::dataplane {

namespace {

const std::map<std::string, Hop>& Hops() {
  // The names are those the model's route target kinds give (RouteTargetKind::hop).
  static const std::map<std::string, Hop> hops = {
      {"local-delivery", LocalDeliveryHop()},
      {"internet-gateway", InternetGatewayHop()},
      {"egress-only-internet-gateway", EgressOnlyInternetGatewayHop()},
      {"nat-gateway", NatGatewayHop()},
      {"vpc-peering", VpcPeeringHop()},
      {"network-interface", NetworkInterfaceHop()},
      {"gateway-load-balancer-endpoint", GatewayLoadBalancerEndpointHop()},
  };
  return hops;
}

}  // namespace

const Hop* FindHop(const std::string& name) {
  auto it = Hops().find(name);
  return it == Hops().end() ? nullptr : &it->second;
}

const Hop* HopOf(const model::Route& route) {
  if (route.IsLocal()) return FindHop("local-delivery");
  const model::RouteTargetKind* kind = model::RouteTargetKindOf(route);
  return kind && !kind->hop.empty() ? FindHop(kind->hop) : nullptr;
}

}  // namespace openvpc::dataplane
