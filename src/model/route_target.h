// Route target kinds: what a route may point at (an internet gateway, a NAT gateway, a peering
// connection, an interface, …). Each kind is registered once, by the file of its resource
// (model::RegisterAllRules calls them all), and declares everything the rest of openvpc needs
// to know about it:
//   - how CreateRoute and ReplaceRoute validate a target id of the kind (AWS's error when not),
//   - whether a route to it is active or a blackhole (G13),
//   - what DescribeRouteTables shows beside the target's own member,
//   - which data plane hop forwards to it (dataplane/hops/: the hop registered under that name).
// Adding a route target is its model file's RegisterRouteTarget call and its hop's files.
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

struct RouteTargetKind {
  // The route's member ("GatewayId", "NatGatewayId", …) and, for members that name several
  // kinds (GatewayId: internet gateways, virtual private gateways, gateway endpoints), the id
  // prefix of this one ("igw"); empty for any id of the member.
  std::string member, id_prefix;
  // The data plane hop that forwards packets to the target (dataplane/hops/hop.h); empty when
  // openvpc stores such routes but does not forward through them yet.
  std::string hop;
  // Throws AWS's error unless ID names a target of this kind that a route in RT may point at.
  std::function<void(Partition&, const RouteTable& rt, const std::string& id)> validate;
  // Whether a route to ID is active (else a blackhole, G13). STATE holds every partition, for
  // targets that reach across accounts or Regions (a peering connection); may be null.
  std::function<bool(const Partition&, const RouteTable& rt, const std::string& id, const State* state)> usable;
  // Members DescribeRouteTables shows besides {member: id}, as (name, value) pairs.
  std::function<std::vector<std::pair<std::string, std::string>>(const Partition&, const RouteTable&, const Route&)>
      describe;
  bool may_be_more_specific_than_local = false;  // interfaces, instances, GWLB endpoints (G11)
  // The member DescribeRouteTables shows the target under when it is not MEMBER (a route made
  // with VpcEndpointId to a Gateway Load Balancer endpoint is shown as GatewayId).
  std::string shown_as;
};

// Registers KIND (a later registration of the same member and prefix replaces it).
void RegisterRouteTarget(RouteTargetKind kind);
// The kind of a route's target, or nullptr for members openvpc does not know (and for the local
// route, which is no target kind: model/route_table.h's Route::IsLocal).
const RouteTargetKind* FindRouteTargetKind(const std::string& member, const std::string& id);
inline const RouteTargetKind* RouteTargetKindOf(const Route& r) {
  return FindRouteTargetKind(r.target_member, r.target_id);
}
// Every registered kind (for checks that each has what it declares, e.g. its hop).
std::vector<const RouteTargetKind*> RouteTargetKinds();

// "active", or "blackhole" when the target is gone or no longer usable (G13). STATE as for
// RouteTargetKind::usable; null: the partitions of the state the API serves (AttachPeeringState).
std::string RouteState(const Partition& p, const RouteTable& rt, const Route& r, const State* state = nullptr);
// The route's target as DescribeRouteTables shows it: {member, id} and the kind's extra members.
std::vector<std::pair<std::string, std::string>> RouteTargetMembers(const Partition& p, const RouteTable& rt,
                                                                    const Route& r);

}  // namespace openvpc::model
