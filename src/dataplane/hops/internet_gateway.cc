// The hop for a route to an internet gateway (guide I1-I4), stage 7 internet-gateway: the
// gateway stands in for the source's private IPv4 address with its public one (the Elastic IP
// associated with it, or the public address given at launch), so an interface without one gets
// no internet; a packet forwarded on an instance's behalf (a middlebox, a Gateway Load Balancer
// endpoint) gets that instance's. IPv6 passes unchanged (I4). The packet leaves the VPC
// (T.exit_target). The way back in is TraceFromInternet's (pipeline.h), through the gateway's
// route table when one is associated with it (H1, S17).
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "model/address.h"

namespace openvpc::dataplane {

namespace {

// The public IPv4 address of the interface of the VPC whose private address the packet comes
// from: the source interface's own, or, for a packet that a middlebox or a Gateway Load Balancer
// endpoint forwards on an instance's behalf (S17, GLB-15), that instance's.
std::string PublicAddressOf(const HopInput& in) {
  const std::string src = in.f.src.ToString();
  if (model::InterfaceHolds(in.src, in.f, false)) return model::PublicIpv4Of(in.p, in.src, src);
  for (const auto& [id, eni] : in.p.network_interfaces)
    if (eni.vpc_id == in.src.vpc_id && model::InterfaceHolds(eni, in.f, false)) return model::PublicIpv4Of(in.p, eni, src);
  return "";
}

bool Forward(const HopInput& in, TraceResult& t) {
  StageResult r{.stage = 7, .name = "internet-gateway", .component = in.route.target_id};
  if (in.f.ipv6) {
    r.note = "IPv6 passes unchanged";
  } else if (std::string pub = PublicAddressOf(in); pub.empty()) {
    r.allowed = false;
    r.rule = in.f.src.ToString();
    // Reachability Analyzer has no code of its own for this; openvpc names it.
    r.explanation_code = "NO_PUBLIC_IPV4_ADDRESS";
    r.note = in.f.src.ToString() + " of " + in.src.id + " has no public IPv4 address or Elastic IP";
  } else {
    r.rule = in.f.src.ToString() + " -> " + pub;
    t.translated_src = net::ParseIpv4(pub);
  }
  if (!Append(t, std::move(r))) return false;
  t.exit_target = in.route.target_id;
  t.to_internet = true;
  return true;
}

}  // namespace

Hop InternetGatewayHop() { return {.forward = Forward}; }

}  // namespace openvpc::dataplane
