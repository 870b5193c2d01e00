// The hop for a route to an egress-only internet gateway (guide J1, J2; the route is active, so
// the gateway is attached), stage 7 egress-only-internet-gateway: IPv6 only. With a connection
// table, the gateway remembers the flows instances start, so that their replies come back in
// and nothing else does, and refuses to carry the answers to flows the internet started through
// an internet gateway. The packet leaves the VPC (T.exit_target).
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"

namespace openvpc::dataplane {

namespace {

bool Forward(const HopInput& in, TraceResult& t) {
  const model::Flow& f = in.f;
  StageResult r{.stage = 7, .name = "egress-only-internet-gateway", .component = in.route.target_id};
  if (!f.ipv6) {
    r.allowed = false;
    r.explanation_code = "CANNOT_ROUTE";
    r.note = "an egress-only internet gateway carries IPv6 only";
    return Append(t, std::move(r));
  }
  r.rule = f.SrcText() + " out";
  Tracking ct = in.ct;
  if (ct.table && !ct.table->Find(in.route.target_id, f, true, ct.now)) {
    if (model::FlowIsAnswer(f)) {  // J1: an answer to a flow the internet started is no flow of its own
      r.allowed = false;
      r.explanation_code = "EGRESS_ONLY_IGW_RESTRICTION";  // openvpc's name for J1
      r.note = "an egress-only internet gateway forwards only flows that start inside";
      return Append(t, std::move(r));
    }
    ct.table->Open(in.route.target_id, f, true, ct.now);
  }
  Append(t, std::move(r));
  t.exit_target = in.route.target_id;
  t.to_internet = true;
  return true;
}

}  // namespace

Hop EgressOnlyInternetGatewayHop() { return {.forward = Forward}; }

}  // namespace openvpc::dataplane
