// The hops of stage 7: where a route takes a packet, one kind of route target each (the local
// route's delivery, an internet gateway, a NAT gateway, a peering connection, …). A hop is
// registered under the name the model's route target kind gives (model/route_target.h's
// RouteTargetKind::hop), so that the pipeline finds it from the route alone; it appends its
// stages to the trace, the destination's ACL and groups included where the packet reaches an
// interface. The engine and `openvpc trace` run the same hops.
//
// Adding a hop: a file in hops/ with its forward function, and one line in hops/registry.cc.
#pragma once

#include <string>

#include "dataplane/pipeline.h"

namespace openvpc::dataplane {

// The packet a hop forwards: F, leaving SRC (of partition P) by ROUTE, past stages 3-6.
struct HopInput {
  const model::Partition& p;
  const model::NetworkInterface& src;
  const model::Route& route;
  const model::Flow& f;
  Tracking ct;
};

struct Hop {
  // Appends the hop's stages to T and returns whether the packet goes on. It sets T.destination
  // (delivered to an interface, also in a peer VPC, with T.partition when that is another
  // partition), T.exit_target (left the VPC) or T.nat_gateway (for a NAT gateway's address),
  // and opens the connection at the destination; the source's is opened by the caller.
  bool (*forward)(const HopInput& in, TraceResult& t) = nullptr;
  // Whether the packet stays inside the source's subnet (the local route to an address of the
  // subnet, a route to an interface in it): stage 5 looks ahead, since traffic that stays inside
  // a subnet crosses none of its ACLs (O1, N6). nullptr: the hop always leaves the subnet.
  bool (*stays_in_subnet)(const HopInput& in) = nullptr;
};

// The hop registered under NAME, or nullptr.
const Hop* FindHop(const std::string& name);
// The hop that forwards along ROUTE: the local route's delivery, or the hop its target kind
// names; nullptr for a target this data plane does not forward (yet).
const Hop* HopOf(const model::Route& route);

// One per hop file (hops/registry.cc lists them).
Hop LocalDeliveryHop();
Hop InternetGatewayHop();
Hop EgressOnlyInternetGatewayHop();
Hop NatGatewayHop();
Hop VpcPeeringHop();
Hop NetworkInterfaceHop();
Hop GatewayLoadBalancerEndpointHop();
// The VpcEndpointId hop's for a gateway endpoint E (hops/gateway_endpoint.cc).
bool ToGatewayEndpoint(const HopInput& in, const model::VpcEndpoint& e, TraceResult& t);

}  // namespace openvpc::dataplane
