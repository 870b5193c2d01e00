// Through a Network Load Balancer's node (issue 13): a packet that arrived at a node's address
// (from the VPC, or from the internet through its public address) passes the node's security
// groups when the load balancer has some (a load balancer without groups filters nothing:
// the targets' groups do), then stage 7 "load-balancer": the listener of its port and protocol,
// the target chosen for the connection (model::RoutableTargets, model::ChooseTarget: healthy
// targets of the node's zone, or of every zone with cross-zone load balancing; a known
// connection keeps its target), and on to the target: the node subnet's ACL outbound, the
// target's ACL inbound and groups (8, 9), as the target sees the packet: from the client's
// address when the target group preserves it, else from the node's. A dualstack load
// balancer's nodes take IPv6 too (at their IPv6 addresses, from the VPC or the internet); the
// target group's IP address type decides the family the targets see, so an IPv6 client reaches
// an IPv4 target from the node's IPv4 address, translated by the engine.
// The way back is TraceLoadBalancerReply (pipeline.h), also here.
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "model/load_balancer.h"
#include "model/route_target.h"
#include "model/target_group.h"

namespace openvpc::dataplane {

bool ToLoadBalancer(const model::Partition& p, const model::NetworkInterface& d, const model::Flow& f, TraceResult& t,
                    Tracking ct) {
  const model::LoadBalancer* lb = model::LoadBalancerOfInterface(p, d.id);
  if (!lb) return false;
  // A reply to a connection the node opened itself (a health check): to the node.
  if (ct.table) {
    const Connection* own = ct.table->Find(d.id, f, false, ct.now);
    if (own && own->started_egress) {
      if (!lb->security_groups.empty() && !Append(t, SecurityGroupsIngress(p, d, f, ct))) return true;
      t.allowed = Append(t, {.stage = 7, .name = "load-balancer", .component = lb->arn,
                             .rule = "reply to the node's own connection (a health check)"});
      return true;
    }
  }
  t.destination = nullptr;
  t.load_balancer = lb->arn;
  t.lb_node = &d;
  t.allowed = false;
  // Through an interface endpoint, the endpoint's groups decided (IF-08); the node's groups do
  // not see PrivateLink traffic (openvpc's choice: AWS's EnforceSecurityGroupInboundRulesOn-
  // PrivateLinkTraffic, off, is not served yet).
  if (!lb->security_groups.empty() && !t.private_link && !Append(t, SecurityGroupsIngress(p, d, f, ct))) return true;
  StageResult r{.stage = 7, .name = "load-balancer", .allowed = false, .component = lb->arn};
  const model::LoadBalancerNode* node = nullptr;
  for (const auto& n : lb->nodes)
    if (n.network_interface_id == d.id) node = &n;
  if (lb->type != "network" || !node) {
    r.explanation_code = "NO_ROUTE_TO_DESTINATION";
    r.note = "a Gateway Load Balancer takes traffic only from its endpoints";
    Append(t, std::move(r));
    return true;
  }
  const model::Listener* listener = model::ListenerFor(p, lb->arn, f.protocol, f.dst_port);
  if (!listener) {
    r.explanation_code = "NO_LISTENER";  // openvpc's name: no listener on the port
    r.note = "no listener for " + std::string(f.protocol == 17 ? "UDP" : "TCP") + " port " + std::to_string(f.dst_port);
    Append(t, std::move(r));
    return true;
  }
  auto tg_it = p.target_groups.find(listener->target_group_arn);
  if (tg_it == p.target_groups.end()) {
    r.explanation_code = "NO_ROUTE_TO_DESTINATION";
    Append(t, std::move(r));
    return true;
  }
  const model::TargetGroup& tg = tg_it->second;
  const auto now = std::chrono::system_clock::now();
  std::vector<model::ResolvedTarget> targets = model::RoutableTargets(p, *lb, tg, node->availability_zone, now);
  // A connection the load balancer knows keeps its target while the target is registered,
  // also while it drains (deregistration lets existing connections finish; it takes no new ones).
  const model::ResolvedTarget* chosen = nullptr;
  std::vector<model::ResolvedTarget> all;
  LbBinding* known = ct.lb ? ct.lb->Find(static_cast<uint8_t>(f.protocol), f.Src(), static_cast<uint16_t>(f.src_port),
                                         f.Dst(), static_cast<uint16_t>(f.dst_port))
                           : nullptr;
  if (known) {
    all = model::ResolveTargets(p, tg, now);
    for (const auto& rt : all)
      if (net::ParseAddress(rt.ip) == known->target && rt.target->port == known->target_port && rt.state != "unused")
        chosen = &rt;
  }
  if (!chosen)
    chosen = model::ChooseTarget(targets, model::FlowHash(f.protocol, f.SrcText(), f.src_port, f.DstText(), f.dst_port));
  if (!chosen) {
    r.explanation_code = "NO_HEALTHY_TARGET";  // openvpc's name
    r.note = "target group " + tg.name + " has no target to send to in " + node->availability_zone;
    Append(t, std::move(r));
    return true;
  }
  auto target_eni = p.network_interfaces.find(chosen->network_interface_id);
  if (target_eni == p.network_interfaces.end() || chosen->ip.empty()) {
    r.explanation_code = "NO_DESTINATION_INTERFACE";
    r.note = "target " + chosen->target->id + " is outside this VPC: not yet forwarded by this data plane";
    Append(t, std::move(r));
    return true;
  }
  // The target's family is its group's (IpAddressType): an IPv6 client reaches an IPv4 target
  // translated, and the other way round, from the node's address of the target's family. The
  // client's address is kept only within one family (preserve_client_ip), and never through an
  // endpoint (SVC-08).
  const std::optional<net::Ipv6> target_ip = net::ParseAddress(chosen->ip);
  const bool v6_target = target_ip && !net::IsIpv4Mapped(*target_ip);
  const std::string& node_ip = v6_target ? node->ipv6_address : node->private_ip;
  const std::optional<net::Ipv6> node_address = net::ParseAddress(node_ip);
  if (!target_ip || !node_address) {
    r.explanation_code = "NO_ROUTE_TO_DESTINATION";
    r.note = "the node in " + node->availability_zone + " has no " + (v6_target ? "IPv6" : "IPv4") + " address for " +
             chosen->ip;
    Append(t, std::move(r));
    return true;
  }
  const bool preserve = !t.private_link && f.ipv6 == v6_target &&
                        model::TargetGroupAttribute(tg, "preserve_client_ip.enabled") == "true";
  model::Flow to = f;
  to.SetAddresses(preserve ? f.Src() : *node_address, *target_ip);  // the client's port is kept
  to.dst_port = chosen->target->port;
  r.allowed = true;
  r.rule = listener->protocol + ":" + std::to_string(listener->port) + " -> " + chosen->target->id + " " +
           chosen->ip + ":" + std::to_string(chosen->target->port) + " (" + chosen->state + ")";
  if (!preserve) r.note = "the target sees the node's address " + node_ip;
  Append(t, std::move(r));
  const model::NetworkInterface& target = target_eni->second;
  if (target.subnet_id != d.subnet_id && !Append(t, SubnetAclOutbound(p, d.subnet_id, to))) return true;
  t.lb_target = target_ip;
  t.translated_dport = static_cast<uint16_t>(to.dst_port);
  if (!preserve) t.lb_seen_src = node_address;
  t.proxy_protocol = f.protocol == 6 && model::TargetGroupAttribute(tg, "proxy_protocol_v2.enabled") == "true";
  if (!ArriveAt(p, d.subnet_id, target, to, t, ct)) return true;
  t.allowed = true;
  return true;
}

TraceResult TraceLoadBalancerReply(const model::Partition& p, const LbBinding& b, const model::NetworkInterface& target,
                                   const model::Flow& sent, const model::Flow& f, Tracking ct) {
  TraceResult t;
  auto node = p.network_interfaces.find(b.node_eni);
  if (node == p.network_interfaces.end()) {
    Append(t, {.stage = 7, .name = "load-balancer", .allowed = false, .component = b.load_balancer,
               .explanation_code = "BAD_STATE"});
    return t;
  }
  const std::string& node_subnet = node->second.subnet_id;
  if (target.subnet_id != node_subnet && !Append(t, SubnetAclOutbound(p, target.subnet_id, sent))) return t;
  Append(t, {.stage = 7, .name = "load-balancer", .component = b.load_balancer,
             .rule = "reply " + net::AddressText(b.target) + ":" + std::to_string(b.target_port) + " -> " +
                     net::AddressText(b.node_ip) + ":" + std::to_string(b.listener_port)});
  if (b.client_eni.empty()) {  // to the internet, from the node's public address, by its subnet's route
    if (!Append(t, SubnetAclOutbound(p, node_subnet, f))) return t;
    const model::Route* route = nullptr;
    if (!Append(t, RouteLookup(p, node->second, f, &route, ct.state))) return t;
    const model::RouteTargetKind* kind = model::RouteTargetKindOf(*route);
    if (!kind || kind->hop != "internet-gateway") {
      t.stages.back().allowed = false;
      t.stages.back().explanation_code = "NO_ROUTE_TO_DESTINATION";
      t.stages.back().note = "the node's subnet has no route to the internet gateway";
      return t;
    }
    t.allowed = true;
    t.to_internet = true;
    return t;
  }
  auto client = p.network_interfaces.find(b.client_eni);
  if (client == p.network_interfaces.end()) return t;
  if (client->second.subnet_id != node_subnet && !Append(t, SubnetAclOutbound(p, node_subnet, f))) return t;
  t.allowed = ArriveAt(p, node_subnet, client->second, f, t, ct);
  return t;
}

}  // namespace openvpc::dataplane
