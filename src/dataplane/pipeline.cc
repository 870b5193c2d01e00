// The pipeline's entry points: a flow from an interface (Trace), from the internet
// (TraceFromInternet). Stages 2-6, 8 and 9 are in stages.cc, stage 7's hops in hops/.
#include "dataplane/pipeline.h"

#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "model/address.h"
#include "model/network_acl.h"
#include "model/internet_gateway.h"
#include "model/load_balancer.h"
#include "model/route_table.h"

namespace openvpc::dataplane {

using model::Flow;
using model::NetworkInterface;
using model::Partition;

TraceResult Trace(const Partition& p, const NetworkInterface& src, net::Ipv4 dst, const Flow& flow, Tracking ct) {
  Flow f = flow;
  f.dst = dst;
  return Trace(p, src, f, ct);
}

TraceResult Trace(const Partition& p, const NetworkInterface& src, const Flow& f, Tracking ct) {
  TraceResult t;
  if (auto local = LocalServicesStage(p, src, f)) {  // stage 2: the router's own, or nobody's
    t.allowed = local->allowed;
    t.stages.push_back(std::move(*local));
    return t;
  }
  if (!Append(t, SourceDestCheck(src, f))) return t;
  if (!Append(t, SecurityGroupsEgress(p, src, f, ct))) return t;
  // The ACL sits at the subnet's border: traffic that stays inside the subnet crosses neither
  // of its ACLs (O1, N6), so stage 5 looks ahead at where the route's hop takes the packet.
  const model::Route* route = nullptr;
  StageResult route_stage = RouteLookup(p, src, f, &route, ct.state);  // stage 6, appended after 5
  const Hop* hop = route ? HopOf(*route) : nullptr;
  if (hop && hop->stays_in_subnet && hop->stays_in_subnet({p, src, *route, f, ct})) {
    Append(t, {.stage = 5, .name = "network-acl-outbound", .component = model::NetworkAclOfSubnet(p, src.subnet_id).id,
               .note = "same subnet: not crossed"});
  } else if (!Append(t, NetworkAclOutbound(p, src, f))) {
    return t;
  }
  if (!Append(t, std::move(route_stage))) return t;
  if (!hop) {  // a transit gateway, a virtual private gateway, …: stored, not forwarded yet
    t.stages.back().note = "target " + route->target_id + ": not yet forwarded by this data plane";
    t.exit_target = route->target_id;
    t.allowed = true;
    return t;
  }
  if (!hop->forward({p, src, *route, f, ct}, t)) return t;  // stage 7 and on, by the route's target
  t.allowed = true;
  OpenConnection(p, src, f, true, t.stages[1], ct);
  return t;
}

namespace {

// Stage 7 for IPv6 from the internet to D's address (I4, J2).
StageResult GatewayInbound6(const Partition& p, const NetworkInterface& d, const Flow& f, Tracking ct) {
  StageResult r{.stage = 7, .name = "internet-gateway", .allowed = false, .rule = f.DstText()};
  if (const model::InternetGateway* igw = model::AttachedInternetGateway(p, d.vpc_id)) {
    r.component = igw->id;
    if (model::DeniesIgwTraffic(p, d)) {
      r.allowed = false;
      r.explanation_code = "NO_ROUTE_TO_DESTINATION";
      r.note = d.id + " denies all traffic from the internet gateway (DenyAllIgwTraffic)";
      return r;
    }
    r.allowed = true;
    r.note = "IPv6 passes unchanged";
    return r;
  }
  const model::EgressOnlyInternetGateway* eigw = model::AttachedEgressOnlyInternetGateway(p, d.vpc_id);
  if (!eigw) {
    r.component = d.vpc_id;
    r.explanation_code = "NO_ROUTE_TO_DESTINATION";
    r.note = d.vpc_id + " has no internet gateway attached";
    return r;
  }
  r.name = "egress-only-internet-gateway";
  r.component = eigw->id;
  if (ct.table && ct.table->Find(eigw->id, f, false, ct.now)) {
    r.allowed = true;
    r.rule = "reply to " + f.DstText();
    return r;
  }
  r.explanation_code = "EGRESS_ONLY_IGW_RESTRICTION";  // openvpc's name for J2
  r.note = "an egress-only internet gateway lets in only replies to what went out";
  return r;
}

// H1, H4, S17: the gateway's own route table routes what enters through it: a route to a
// middlebox's interface or a Gateway Load Balancer endpoint takes the packet there first. True
// when one did (T holds the verdict); false when the packet goes on to the interface that holds
// its destination.
bool ThroughGatewayRouteTable(const Partition& p, const model::InternetGateway& igw, const std::string& vpc_id,
                              const Flow& f, TraceResult& t, Tracking ct) {
  const model::RouteTable* edge = model::GatewayRouteTable(p, igw.id);
  const model::Route* route = edge ? model::LongestPrefixMatch(p, *edge, f) : nullptr;
  if (!route || route->IsLocal()) return false;
  StageResult r{.stage = 6, .name = "route-table", .component = edge->id,
                .rule = route->Destination() + " -> " + route->target_id, .note = "the gateway's route table (H1)"};
  const Hop* hop = HopOf(*route);
  if (!hop) {
    r.allowed = false;
    r.explanation_code = "NO_ROUTE_TO_DESTINATION";
    Append(t, std::move(r));
    return true;
  }
  Append(t, std::move(r));
  NetworkInterface outside;  // the gateway: no subnet, no groups of its own
  outside.vpc_id = vpc_id;
  t.destination = nullptr;
  t.allowed = hop->forward({p, outside, *route, f, ct}, t);
  return true;
}

}  // namespace

TraceResult TraceFromServicesNetwork(const Partition& p, const NetworkInterface& d, const Flow& f, Tracking ct) {
  TraceResult t;
  t.allowed = ArriveAt(p, "", d, f, t, ct);
  return t;
}

TraceResult TraceFromInternet(const Partition& p, const Flow& flow, Tracking ct) {
  TraceResult t;
  if (flow.ipv6) {
    const NetworkInterface* d = nullptr;
    for (const auto& [id, eni] : p.network_interfaces)
      if (model::InterfaceHolds(eni, flow, true)) d = &eni;
    if (!d) {
      Append(t, {.stage = 7, .name = "internet-gateway", .allowed = false, .rule = flow.DstText(),
                 .explanation_code = "NO_DESTINATION_INTERFACE"});
      return t;
    }
    if (!Append(t, GatewayInbound6(p, *d, flow, ct))) return t;
    if (const model::InternetGateway* igw = model::AttachedInternetGateway(p, d->vpc_id))
      if (ThroughGatewayRouteTable(p, *igw, d->vpc_id, flow, t, ct)) return t;
    t.allowed = ArriveAt(p, "", *d, flow, t, ct);
    return t;
  }
  StageResult gw{.stage = 7, .name = "internet-gateway", .allowed = false, .rule = flow.dst.ToString()};
  auto holder = model::PublicIpv4HolderOf(p, flow.dst.ToString());
  const model::InternetGateway* igw = holder ? model::AttachedInternetGateway(p, holder->eni->vpc_id) : nullptr;
  if (!holder) {
    gw.explanation_code = "NO_DESTINATION_INTERFACE";
    gw.note = "no interface holds " + flow.dst.ToString();
  } else if (!igw) {
    gw.component = holder->eni->vpc_id;
    gw.explanation_code = "NO_ROUTE_TO_DESTINATION";
    gw.note = holder->eni->vpc_id + " has no internet gateway attached";
  } else {
    gw.allowed = true;
    gw.component = igw->id;
    gw.rule = flow.dst.ToString() + " -> " + holder->private_ip;
  }
  if (!Append(t, std::move(gw))) return t;
  Flow f = flow;
  f.dst = net::ParseIpv4(holder->private_ip).value();
  t.translated_dst = f.dst;
  if (ThroughGatewayRouteTable(p, *igw, holder->eni->vpc_id, f, t, ct)) return t;
  t.allowed = ArriveAt(p, "", *holder->eni, f, t, ct);  // a NAT gateway's address: a reply to it, or nothing
  return t;
}

}  // namespace openvpc::dataplane
