// The hop through a Gateway Load Balancer endpoint for a route to it (GLB-01, GLB-15; issue
// 13): stage 7 gateway-load-balancer-endpoint (available, accepted: GLB-04), the ACL of its
// subnet inbound when the packet comes from another subnet (an endpoint has no security groups:
// GLB-09), then stage 7 gateway-load-balancer: the load balancer of the endpoint's service that
// has a node in the endpoint's zone (GLB-06), its listener's GENEVE target group, and the
// appliance for the flow (model::RoutableTargets of that zone; model::ApplianceFlowHash: both
// directions of a flow to one appliance, by the group's stickiness). The packet then travels in
// Geneve from the node to the appliance's port 6081 (UDP): the node subnet's ACL outbound, the
// appliance's ACL inbound and groups. What the appliance sends back goes on from the endpoint
// (the engine's GeneveFromAppliance, through the endpoint subnet's route table). A route to a
// gateway endpoint (the same route target, VpcEndpointId) goes to hops/gateway_endpoint.cc.
// IPv6 goes the same way (GLB-13): the inner packet is IPv6, the tunnel IPv4 (appliances may
// stay IPv4-only).
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "dataplane/wire/geneve.h"
#include "model/load_balancer.h"
#include "model/target_group.h"
#include "model/vpc_endpoint.h"

namespace openvpc::dataplane {

namespace {

bool Forward(const HopInput& in, TraceResult& t) {
  const model::Partition& p = in.p;
  const model::Flow& f = in.f;
  StageResult r{.stage = 7, .name = "gateway-load-balancer-endpoint", .allowed = false, .component = in.route.target_id};
  auto e = p.vpc_endpoints.find(in.route.target_id);
  if (e != p.vpc_endpoints.end() && e->second.type == "Gateway") return ToGatewayEndpoint(in, e->second, t);
  if (e == p.vpc_endpoints.end() || e->second.state != "available" || e->second.network_interface_ids.empty()) {
    r.explanation_code = "BAD_STATE";
    r.note = "the endpoint is not available (accepted by its service's owner: GLB-04)";
    return Append(t, std::move(r));
  }
  auto eni = p.network_interfaces.find(e->second.network_interface_ids.front());
  if (eni == p.network_interfaces.end()) {
    r.explanation_code = "BAD_STATE";
    return Append(t, std::move(r));
  }
  if (eni->second.subnet_id != in.src.subnet_id && !Append(t, SubnetAclInbound(p, eni->second.subnet_id, f))) return false;
  r.allowed = true;
  r.rule = f.SrcText() + " -> " + f.DstText();
  Append(t, std::move(r));

  // The service and its Gateway Load Balancer with a node in the endpoint's zone.
  StageResult g{.stage = 7, .name = "gateway-load-balancer", .allowed = false};
  const model::Partition* owner = nullptr;
  const model::VpcEndpointService* svc = nullptr;
  if (in.ct.state) svc = model::ServiceOf(*in.ct.state, p, e->second, &owner);
  else if (e->second.service_owner_id == p.account_id)
    if (auto it = p.vpc_endpoint_services.find(e->second.service_id); it != p.vpc_endpoint_services.end())
      svc = &it->second, owner = &p;
  const std::string& zone = eni->second.availability_zone;
  const model::GatewayLoadBalancerPath path =
      svc ? model::GatewayLoadBalancerIn(*owner, *svc, zone) : model::GatewayLoadBalancerPath{};
  if (!path.target_group) {
    g.component = svc ? svc->id : e->second.service_id;
    g.explanation_code = "NO_ROUTE_TO_DESTINATION";
    g.note = "the service has no Gateway Load Balancer with a listener in " + zone;
    return Append(t, std::move(g));
  }
  const model::LoadBalancer* lb = path.lb;
  const model::LoadBalancerNode* node = path.node;
  const model::TargetGroup* tg = path.target_group;
  g.component = lb->arn;
  const auto targets = model::RoutableTargets(*owner, *lb, *tg, zone, std::chrono::system_clock::now());
  const uint64_t hash = model::ApplianceFlowHash(*tg, f.protocol, f.SrcText(), f.src_port, f.DstText(), f.dst_port);
  const model::ResolvedTarget* appliance = model::ChooseTarget(targets, hash);
  auto appliance_eni =
      appliance ? owner->network_interfaces.find(appliance->network_interface_id) : owner->network_interfaces.end();
  auto node_eni = owner->network_interfaces.find(node->network_interface_id);
  if (!appliance || appliance_eni == owner->network_interfaces.end() || node_eni == owner->network_interfaces.end()) {
    g.explanation_code = "NO_HEALTHY_TARGET";  // openvpc's name
    g.note = "target group " + tg->name + " has no appliance to send to in " + zone;
    return Append(t, std::move(g));
  }
  g.allowed = true;
  g.rule = "Geneve " + node->private_ip + " -> " + appliance->target->id + " " + appliance->ip + ":6081 (" +
           appliance->state + ")";
  Append(t, std::move(g));

  // Node to appliance: Geneve over UDP, through the provider's ACLs and the appliance's groups.
  model::Flow leg;
  leg.protocol = 17;
  leg.src = net::ParseIpv4(node->private_ip).value();
  leg.dst = net::ParseIpv4(appliance->ip).value();
  leg.src_port = static_cast<int>(49152 + hash % 16384);
  leg.dst_port = kGenevePort;
  if (appliance_eni->second.subnet_id != node_eni->second.subnet_id &&
      !Append(t, SubnetAclOutbound(*owner, node_eni->second.subnet_id, leg)))
    return false;
  if (owner != &p) t.partition = owner;
  if (!ArriveAt(*owner, node_eni->second.subnet_id, appliance_eni->second, leg, t, in.ct)) return false;
  t.appliance = TraceResult::ApplianceLeg{.endpoint_id = e->first,
                                          .endpoint_eni = eni->first,
                                          .account = p.account_id,
                                          .region = p.region,
                                          .node_ip = leg.src,
                                          .appliance_ip = leg.dst,
                                          .sport = static_cast<uint16_t>(leg.src_port)};
  return true;
}

}  // namespace

Hop GatewayLoadBalancerEndpointHop() { return {.forward = Forward}; }

}  // namespace openvpc::dataplane
