// The local route's hop: delivery to the interface of the VPC that holds the destination
// address (stage 7, G1), then its subnet's ACL inbound (8, not crossed inside one subnet) and its
// security groups (9). A NAT gateway's address takes only replies to its translations (K12).
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"

namespace openvpc::dataplane {

namespace {

bool Forward(const HopInput& in, TraceResult& t) {
  const model::NetworkInterface* d = nullptr;
  if (!Append(t, LocalDelivery(in.p, in.src, in.f, &d))) return false;
  return ArriveAt(in.p, in.src.subnet_id, *d, in.f, t, in.ct);
}

// Inside the subnet when the address is the subnet's, whether an interface holds it or not.
bool StaysInSubnet(const HopInput& in) { return model::DestinationInSubnet(in.p.subnets.at(in.src.subnet_id), in.f); }

}  // namespace

Hop LocalDeliveryHop() { return {.forward = Forward, .stays_in_subnet = StaysInSubnet}; }

}  // namespace openvpc::dataplane
