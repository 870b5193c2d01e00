// Through a gateway endpoint (GW-01 … GW-17; issue 14): a route to its service's AWS-managed prefix
// list (GW-04) takes the packet, at stage 7 gateway-endpoint, straight to the AWS services network
// (the service's address in the services pool) with no internet gateway, NAT or public address:
// the service sees the private side of the instance (GW-16; here the interface's alias, which
// the services' fronts map back to it). Only this VPC's own route tables lead here: traffic that
// came through a peering connection, a VPN or a transit gateway never does (GW-17, AT-13), since
// they deliver only to the peer VPC's own addresses. Called by the VpcEndpointId hop for
// endpoints of type Gateway.
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "model/vpc_endpoint.h"

namespace openvpc::dataplane {

bool ToGatewayEndpoint(const HopInput& in, const model::VpcEndpoint& e, TraceResult& t) {
  StageResult r{.stage = 7, .name = "gateway-endpoint", .allowed = false, .component = e.id};
  if (e.state != "available") {
    r.explanation_code = "BAD_STATE";
    return Append(t, std::move(r));
  }
  if (in.f.ipv6) {  // GW-15
    r.explanation_code = "NO_ROUTE_TO_DESTINATION";
    r.note = "gateway endpoints carry IPv4 only";
    return Append(t, std::move(r));
  }
  r.allowed = true;
  r.rule = in.route.destination_prefix_list_id + " -> " + e.service_name;
  r.note = "to the AWS services network, from the interface's alias";
  Append(t, std::move(r));
  t.exit_target = e.id;
  t.services_network = true;
  return true;
}

}  // namespace openvpc::dataplane
