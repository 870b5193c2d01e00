// The hop for a route to a VPC peering connection (guide T1-T4, G16): stage 7 vpc-peering (the
// connection active, the source's VPC one of its sides, the destination inside the other side's
// VPC: no transitive routing and no edge-to-edge routing through the peer's gateways), then
// local delivery in the peer VPC (7), the ACL of the destination's subnet (8) and its security
// groups (9). Sets T.destination, or, for a NAT gateway's address in the peer VPC (a reply to
// its translation), T.nat_gateway; and T.partition to the peer's when it is another partition.
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "model/vpc_peering.h"

namespace openvpc::dataplane {

namespace {

// The connection of a route's pcx- target, wherever it is stored (the requester's partition).
const model::VpcPeeringConnection* FindPeering(const model::Partition& p, const std::string& id,
                                               const model::State* state) {
  if (auto it = p.vpc_peering_connections.find(id); it != p.vpc_peering_connections.end()) return &it->second;
  if (!state) return nullptr;
  for (const auto& [key, other] : state->partitions)
    if (auto it = other.vpc_peering_connections.find(id); it != other.vpc_peering_connections.end()) return &it->second;
  return nullptr;
}

bool Forward(const HopInput& in, TraceResult& t) {
  const model::Partition& p = in.p;
  StageResult r{.stage = 7, .name = "vpc-peering", .allowed = false, .component = in.route.target_id};
  const model::VpcPeeringConnection* pcx = FindPeering(p, in.route.target_id, in.ct.state);
  if (!pcx || model::EffectivePeeringStatus(*pcx, model::PeeringNow()) != "active") {
    r.explanation_code = "BAD_STATE";
    return Append(t, std::move(r));
  }
  const bool from_requester = pcx->requester.vpc_id == in.src.vpc_id && pcx->requester.owner_id == p.account_id;
  const model::VpcPeeringConnectionVpcInfo& peer = from_requester ? pcx->accepter : pcx->requester;
  const model::Partition* pp = peer.owner_id == p.account_id && peer.region == p.region ? &p
                               : in.ct.state ? in.ct.state->Find(peer.owner_id, peer.region)
                                             : nullptr;
  if (!pp || !pp->vpcs.count(peer.vpc_id)) {
    r.explanation_code = "BAD_STATE";
    r.note = "the peer VPC " + peer.vpc_id + " is not here";
    return Append(t, std::move(r));
  }
  if (!model::DestinationInVpc(pp->vpcs.at(peer.vpc_id), in.f)) {  // T3, T4
    r.explanation_code = "CANNOT_ROUTE";
    r.note = in.f.DstText() + " is outside " + peer.vpc_id + ": peering is not transitive";
    return Append(t, std::move(r));
  }
  r.allowed = true;
  r.rule = in.src.vpc_id + " -> " + peer.vpc_id;
  Append(t, std::move(r));
  if (pp != &p) t.partition = pp;
  const model::NetworkInterface* d = nullptr;
  if (!Append(t, DeliverInVpc(*pp, peer.vpc_id, in.f, &d))) return false;
  return ArriveAt(*pp, in.src.subnet_id, *d, in.f, t, in.ct);
}

}  // namespace

Hop VpcPeeringHop() { return {.forward = Forward}; }

}  // namespace openvpc::dataplane
