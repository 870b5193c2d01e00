// The hop for a route to a network interface (NetworkInterfaceId, or InstanceId: the instance's
// eth0): a NAT instance or a middlebox (guide §1.9, L2, S17). Stage 7 network-interface, where
// the interface takes a packet that is not addressed to it only with its source/destination
// check off (F3), then the ACL of its subnet (8, when crossed) and its groups (9). What the
// instance does with the packet is its own business.
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "model/instance.h"

namespace openvpc::dataplane {

namespace {

const model::NetworkInterface* TargetInterface(const model::Partition& p, const model::Route& r) {
  if (r.target_member == "NetworkInterfaceId") {
    auto it = p.network_interfaces.find(r.target_id);
    return it == p.network_interfaces.end() ? nullptr : &it->second;
  }
  return r.target_member == "InstanceId" ? model::PrimaryInterfaceOf(p, r.target_id) : nullptr;
}

bool Forward(const HopInput& in, TraceResult& t) {
  StageResult r{.stage = 7, .name = "network-interface", .allowed = false, .component = in.route.target_id};
  const model::NetworkInterface* d = TargetInterface(in.p, in.route);
  if (!d) {
    r.explanation_code = "BAD_STATE";
    return Append(t, std::move(r));
  }
  r.component = d->id;
  r.rule = in.f.DstText() + " -> " + d->id;
  if (d->source_dest_check && !model::InterfaceHolds(*d, in.f, true)) {
    r.explanation_code = "ENI_SOURCE_DEST_CHECK_RESTRICTION";
    r.note = "its source/destination check is on: it takes only packets addressed to it";
    return Append(t, std::move(r));
  }
  r.allowed = true;
  Append(t, std::move(r));
  return ArriveAt(in.p, in.src.subnet_id, *d, in.f, t, in.ct);
}

bool StaysInSubnet(const HopInput& in) {
  const model::NetworkInterface* d = TargetInterface(in.p, in.route);
  return d && d->subnet_id == in.src.subnet_id;
}

}  // namespace

Hop NetworkInterfaceHop() { return {.forward = Forward, .stays_in_subnet = StaysInSubnet}; }

}  // namespace openvpc::dataplane
