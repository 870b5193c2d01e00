#include "dataplane/pipeline.h"

#include "dataplane/local_services.h"
#include "dataplane/packet.h"
#include "model/address.h"
#include "model/instance.h"
#include "model/nat_gateway.h"
#include "model/network_acl.h"
#include "model/operations.h"
#include "model/vpc_peering.h"

namespace openvpc::dataplane {

using model::Flow;
using model::NetworkInterface;
using model::Partition;

namespace {

std::string AclRuleText(const model::NetworkAclEntry& e) {
  // The implicit entries (32767 IPv4, 32768 IPv6) are shown as AWS shows them: `*` (N3).
  return (e.rule_number > 32766 ? std::string("*") : std::to_string(e.rule_number)) + " " + e.rule_action;
}

StageResult AclStage(int stage, const char* name, const model::NetworkAcl& acl, const Flow& f, bool egress) {
  StageResult r{.stage = stage, .name = name, .component = acl.id};
  const model::NetworkAclEntry* e = model::FirstMatchingEntry(acl, f, egress);
  if (!e) {
    r.allowed = false;
    r.rule = "* deny";
    r.explanation_code = "SUBNET_ACL_RESTRICTION";
  } else {
    r.rule = AclRuleText(*e);
    r.allowed = e->rule_action == "allow";
    if (!r.allowed) r.explanation_code = "SUBNET_ACL_RESTRICTION";
  }
  return r;
}

StageResult GroupsStage(int stage, const char* name, const Partition& p, const NetworkInterface& eni, const Flow& f,
                        bool egress, Tracking ct) {
  StageResult r{.stage = stage, .name = name, .allowed = false};
  for (const auto& gid : eni.group_ids) {
    auto it = p.security_groups.find(gid);
    if (it == p.security_groups.end()) continue;
    for (const auto& rule : it->second.rules)
      if (model::SecurityGroupRuleMatches(p, rule, f, egress, ct.state)) {
        r.allowed = true;
        r.component = gid;
        r.rule = rule.id;
        return r;
      }
  }
  for (const auto& gid : eni.group_ids) r.component += (r.component.empty() ? "" : ",") + gid;
  if (ct.table && ct.table->Find(eni.id, f, egress, ct.now)) {
    r.allowed = true;
    r.rule = "tracked connection";
    return r;
  }
  r.explanation_code = "ENI_SG_RULES_MISMATCH";
  return r;
}

// The other direction of F: what a response to it looks like (an echo reply for an echo).
Flow Reversed(const Flow& f) {
  Flow r = f;
  std::swap(r.src, r.dst);
  std::swap(r.src_port, r.dst_port);
  std::swap(r.src6, r.dst6);
  if (f.protocol == 1 && (f.icmp_type == 8 || f.icmp_type == 0)) r.icmp_type = 8 - f.icmp_type;
  if (f.protocol == 58 && (f.icmp_type == 128 || f.icmp_type == 129)) r.icmp_type = 257 - f.icmp_type;
  return r;
}

// After an allowed packet: the connection it opens at ENI (leaving it when EGRESS), where the
// flow is tracked. A packet of a connection tracked already renewed it (Find in GroupsStage).
// Untracked flows are judged by the rules alone (CT-3), and so are their responses: a packet
// whose reverse the interface admits untracked is one.
void OpenConnection(const Partition& p, const NetworkInterface& eni, const Flow& f, bool egress,
                    const StageResult& stage, Tracking ct) {
  if (!ct.table || stage.rule == "tracked connection" || !model::FlowIsTracked(p, eni, f, egress)) return;
  // A TCP connection is opened by its first segment: one from the middle of a connection that
  // nobody tracks (an untracked one whose rule was revoked) is judged by the rules alone, so
  // the revocation cuts it whichever side sends next (CT-6).
  if (f.protocol == 6 && f.tcp_flags >= 0 && !(f.tcp_flags & kTcpSyn)) return;
  Flow r = Reversed(f);
  if (!model::FlowIsTracked(p, eni, r, !egress) && GroupsStage(0, "", p, eni, r, !egress, {}).allowed) return;
  ct.table->Open(eni.id, f, egress, ct.now);
}

const model::NatGateway* NatGatewayOfInterface(const Partition& p, const std::string& eni_id) {
  for (const auto& [id, g] : p.nat_gateways)
    if (g.network_interface_id == eni_id) return &g;
  return nullptr;
}

// For a packet that reached D past its subnet's ACL: when D is a NAT gateway's interface, the
// packet is for the gateway's own address, and only a reply to one of its translations goes on
// (K12), which the engine's table finds (T allowed, T.nat_gateway the gateway); a trace of a new
// flow has none, and the gateway answers nothing else (K11: not even pings). It has no
// security groups (K6). False when D is no NAT gateway's.
bool ToNatGateway(const Partition& p, const NetworkInterface& d, TraceResult& t, Tracking ct) {
  const model::NatGateway* g = NatGatewayOfInterface(p, d.id);
  if (!g) return false;
  t.nat_gateway = g->id;
  t.destination = nullptr;
  if (ct.table) {
    t.allowed = true;
    return true;
  }
  t.stages.push_back({.stage = 7, .name = "nat-gateway", .allowed = false, .component = g->id,
                      .explanation_code = "NO_ROUTE_TO_DESTINATION",
                      .note = "a NAT gateway lets in only the replies to connections made through it"});
  return true;
}


// The interface a route to an interface or an instance leads to (an instance's: its eth0).
const NetworkInterface* TargetInterface(const Partition& p, const model::Route& r) {
  if (r.target_member == "NetworkInterfaceId") {
    auto it = p.network_interfaces.find(r.target_id);
    return it == p.network_interfaces.end() ? nullptr : &it->second;
  }
  return r.target_member == "InstanceId" ? model::PrimaryInterfaceOf(p, r.target_id) : nullptr;
}

// Stage 7: the interface of VPC_ID that holds the destination address.
StageResult DeliverInVpc(const Partition& p, const std::string& vpc_id, const Flow& f, const NetworkInterface** dst) {
  StageResult r{.stage = 7, .name = "local-delivery"};
  std::string a = f.DstText();
  *dst = nullptr;
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.vpc_id == vpc_id && model::InterfaceHolds(eni, f, true)) *dst = &eni;
  if (!*dst) {
    r.allowed = false;
    r.rule = a;
    r.explanation_code = "NO_DESTINATION_INTERFACE";
    r.note = "no interface of " + vpc_id + " holds " + a;
    return r;
  }
  r.component = (*dst)->id;
  r.rule = a;
  return r;
}

}  // namespace

StageResult SourceDestCheck(const NetworkInterface& src, const Flow& f) {
  StageResult r{.stage = 3, .name = "source-dest-check", .component = src.id};
  if (!src.source_dest_check) {
    r.note = "check disabled";
    return r;
  }
  r.rule = f.SrcText();
  if (model::InterfaceHolds(src, f, false)) return r;
  r.allowed = false;
  r.explanation_code = "ENI_SOURCE_DEST_CHECK_RESTRICTION";
  return r;
}

StageResult SecurityGroupsEgress(const Partition& p, const NetworkInterface& src, const Flow& f, Tracking ct) {
  return GroupsStage(4, "security-groups-egress", p, src, f, true, ct);
}

StageResult NetworkAclOutbound(const Partition& p, const NetworkInterface& src, const Flow& f) {
  return AclStage(5, "network-acl-outbound", model::NetworkAclOfSubnet(p, src.subnet_id), f, true);
}

StageResult RouteLookup(const Partition& p, const NetworkInterface& src, const Flow& f, const model::Route** route) {
  const auto& rt = model::RouteTableOfSubnet(p, p.subnets.at(src.subnet_id));
  StageResult r{.stage = 6, .name = "route-table", .component = rt.id};
  const model::Route* best = model::LongestPrefixMatch(p, rt, f);
  *route = best;
  if (!best) {
    r.allowed = false;
    r.explanation_code = "NO_ROUTE_TO_DESTINATION";
    return r;
  }
  r.rule = best->Destination() + " -> " + best->target_id;
  if (model::RouteState(p, rt, *best) != "active") {
    r.allowed = false;
    r.explanation_code = "BAD_STATE_ROUTE";
    r.note = "blackhole";
  }
  return r;
}

StageResult LocalDelivery(const Partition& p, const NetworkInterface& src, const Flow& f, const NetworkInterface** dst) {
  return DeliverInVpc(p, src.vpc_id, f, dst);
}

StageResult NetworkAclInbound(const Partition& p, const NetworkInterface& src, const NetworkInterface& dst,
                              const Flow& f) {
  const auto& acl = model::NetworkAclOfSubnet(p, dst.subnet_id);
  if (src.subnet_id == dst.subnet_id)
    return {.stage = 8, .name = "network-acl-inbound", .component = acl.id, .note = "same subnet: not crossed"};
  return AclStage(8, "network-acl-inbound", acl, f, false);
}

StageResult SecurityGroupsIngress(const Partition& p, const NetworkInterface& dst, const Flow& f, Tracking ct) {
  return GroupsStage(9, "security-groups-ingress", p, dst, f, false, ct);
}

std::optional<StageResult> LocalServicesStage(const Partition& p, const NetworkInterface& src, const Flow& f) {
  const model::Vpc& vpc = p.vpcs.at(src.vpc_id);
  StageResult r{.stage = 2, .name = "local-services", .component = src.subnet_id};
  auto unanswered = [&] {
    r.allowed = false;
    r.explanation_code = "LINK_LOCAL_NOT_FORWARDED";  // openvpc's name: no Reachability Analyzer code for it
    r.note = "no service answers at " + f.DstText() + ", and the router forwards no link-local traffic";
    return r;
  };
  switch (LocalServiceOf(f, f.ipv6 ? net::Ipv4{} : ResolverAddress(p, src))) {
    case LocalServiceKind::kNone:
      return std::nullopt;
    case LocalServiceKind::kDhcp:
      r.rule = "DHCP server (Q5)";
      return r;
    case LocalServiceKind::kAmazonDns:
      r.component = vpc.id;
      if (!vpc.enable_dns_support) {
        r.allowed = false;
        r.explanation_code = "DNS_SUPPORT_DISABLED";  // openvpc's name for R2
        r.note = "enableDnsSupport is off: the Amazon DNS server does not answer (R2)";
        return r;
      }
      r.rule = "Amazon DNS server (R1)";
      return r;
    case LocalServiceKind::kMetadata:
      r.rule = "instance metadata service (O3)";
      return r;
    case LocalServiceKind::kNeighborDiscovery:
      r.rule = "neighbour discovery (RFC 4861)";
      return r;
    case LocalServiceKind::kDhcp6:
      r.rule = "DHCPv6 server (C11)";
      return r;
    case LocalServiceKind::kLinkLocal:
    case LocalServiceKind::kLinkLocal6:
      return unanswered();
  }
  return std::nullopt;
}

TraceResult Trace(const Partition& p, const NetworkInterface& src, net::Ipv4 dst, const Flow& flow, Tracking ct) {
  Flow f = flow;
  f.dst = dst;
  return Trace(p, src, f, ct);
}

TraceResult Trace(const Partition& p, const NetworkInterface& src, const Flow& f, Tracking ct) {
  TraceResult t;
  auto step = [&](StageResult r) {
    t.stages.push_back(std::move(r));
    return t.stages.back().allowed;
  };
  if (auto local = LocalServicesStage(p, src, f)) {  // stage 2: the router's own, or nobody's
    t.allowed = local->allowed;
    t.stages.push_back(std::move(*local));
    return t;
  }
  if (!step(SourceDestCheck(src, f))) return t;
  if (!step(SecurityGroupsEgress(p, src, f, ct))) return t;
  // The ACL sits at the subnet's border: traffic that stays inside the subnet crosses neither
  // of its ACLs (O1, N6), so stage 5 looks ahead at where the route delivers: by the local
  // route, inside the subnet when the address is the subnet's (held by an interface or not);
  // by another route, when its target interface is in the subnet.
  const model::Route* route = nullptr;
  RouteLookup(p, src, f, &route);
  bool same_subnet = false;
  if (route && route->IsLocal()) {
    same_subnet = model::DestinationInSubnet(p.subnets.at(src.subnet_id), f);
  } else if (route) {
    const NetworkInterface* ahead = TargetInterface(p, *route);
    same_subnet = ahead && ahead->subnet_id == src.subnet_id;
  }
  if (same_subnet) {
    step({.stage = 5, .name = "network-acl-outbound", .component = model::NetworkAclOfSubnet(p, src.subnet_id).id,
          .note = "same subnet: not crossed"});
  } else if (!step(NetworkAclOutbound(p, src, f))) {
    return t;
  }
  if (!step(RouteLookup(p, src, f, &route))) return t;
  if (route->target_id.rfind("pcx-", 0) == 0) {
    if (!VpcPeeringHop(p, src, *route, f, t, ct)) return t;
    t.allowed = true;
    OpenConnection(p, src, f, true, t.stages[1], ct);
    return t;
  }
  if (route->target_id.rfind("nat-", 0) == 0) {
    if (!NatGatewayHop(p, src, *route, f, t, ct)) return t;
    t.allowed = true;
    OpenConnection(p, src, f, true, t.stages[1], ct);
    return t;
  }
  if (route->target_member == "NetworkInterfaceId" || route->target_member == "InstanceId") {
    if (!InterfaceTargetHop(p, src, *route, f, t, ct)) return t;
    t.allowed = true;
    OpenConnection(p, src, f, true, t.stages[1], ct);
    return t;
  }
  if (route->target_id.rfind("eigw-", 0) == 0) {
    if (!step(EgressOnlyGatewayEgress(*route, f, ct))) return t;
    t.exit_target = route->target_id;
    t.allowed = true;
    OpenConnection(p, src, f, true, t.stages[1], ct);
    return t;
  }
  if (route->target_id.rfind("igw-", 0) == 0) {
    if (!step(InternetGatewayEgress(p, src, *route, f, &t.translated_src))) return t;
    t.exit_target = route->target_id;
    t.allowed = true;
    OpenConnection(p, src, f, true, t.stages[1], ct);
    return t;
  }
  if (!route->IsLocal()) {
    t.stages.back().note = "target " + route->target_id + ": not yet forwarded by this data plane";
    t.exit_target = route->target_id;
    t.allowed = true;
    return t;
  }
  const NetworkInterface* d = nullptr;
  if (!step(LocalDelivery(p, src, f, &d))) return t;
  t.destination = d;
  if (!step(NetworkAclInbound(p, src, *d, f))) return t;
  if (ToNatGateway(p, *d, t, ct)) {  // to a NAT gateway's own address from inside
    if (t.allowed) OpenConnection(p, src, f, true, t.stages[1], ct);
    return t;
  }
  if (!step(SecurityGroupsIngress(p, *d, f, ct))) return t;
  t.allowed = true;
  OpenConnection(p, src, f, true, t.stages[1], ct);
  OpenConnection(p, *d, f, false, t.stages.back(), ct);
  return t;
}

StageResult InternetGatewayEgress(const Partition& p, const NetworkInterface& src, const model::Route& route,
                                  const Flow& f, std::optional<net::Ipv4>* public_src) {
  StageResult r{.stage = 7, .name = "internet-gateway", .component = route.target_id};
  if (f.ipv6) {
    r.note = "IPv6 passes unchanged";
    return r;
  }
  std::string pub = model::PublicIpv4Of(p, src, f.src.ToString());
  if (pub.empty()) {
    r.allowed = false;
    r.rule = f.src.ToString();
    // Reachability Analyzer has no code of its own for this; openvpc names it.
    r.explanation_code = "NO_PUBLIC_IPV4_ADDRESS";
    r.note = f.src.ToString() + " of " + src.id + " has no public IPv4 address or Elastic IP";
    return r;
  }
  r.rule = f.src.ToString() + " -> " + pub;
  *public_src = net::ParseIpv4(pub);
  return r;
}

namespace {

// The connection of a route's pcx- target, wherever it is stored (the requester's partition).
const model::VpcPeeringConnection* FindPeering(const Partition& p, const std::string& id, const model::State* state) {
  if (auto it = p.vpc_peering_connections.find(id); it != p.vpc_peering_connections.end()) return &it->second;
  if (!state) return nullptr;
  for (const auto& [key, other] : state->partitions)
    if (auto it = other.vpc_peering_connections.find(id); it != other.vpc_peering_connections.end()) return &it->second;
  return nullptr;
}

}  // namespace

bool VpcPeeringHop(const Partition& p, const NetworkInterface& src, const model::Route& route, const Flow& f,
                   TraceResult& t, Tracking ct) {
  auto step = [&](StageResult r) {
    t.stages.push_back(std::move(r));
    return t.stages.back().allowed;
  };
  StageResult r{.stage = 7, .name = "vpc-peering", .allowed = false, .component = route.target_id};
  const model::VpcPeeringConnection* pcx = FindPeering(p, route.target_id, ct.state);
  if (!pcx || model::EffectivePeeringStatus(*pcx, model::PeeringNow()) != "active") {
    r.explanation_code = "BAD_STATE";
    return step(r);
  }
  const bool from_requester = pcx->requester.vpc_id == src.vpc_id && pcx->requester.owner_id == p.account_id;
  const model::VpcPeeringConnectionVpcInfo& peer = from_requester ? pcx->accepter : pcx->requester;
  const model::Partition* pp = peer.owner_id == p.account_id && peer.region == p.region ? &p
                               : ct.state ? ct.state->Find(peer.owner_id, peer.region) : nullptr;
  if (!pp || !pp->vpcs.count(peer.vpc_id)) {
    r.explanation_code = "BAD_STATE";
    r.note = "the peer VPC " + peer.vpc_id + " is not here";
    return step(r);
  }
  // No transitive or edge-to-edge routing: only addresses of the peer VPC itself cross (T3, T4).
  const model::Vpc& vpc = pp->vpcs.at(peer.vpc_id);
  bool inside = false;
  if (f.ipv6) {
    for (const auto& b : vpc.ipv6_cidr_blocks)
      if (auto c = net::ParseCidr6(b.cidr)) inside |= c->Contains(f.dst6);
  } else {
    if (auto c = net::ParseCidr4(vpc.cidr_block)) inside |= c->Contains(f.dst);
    for (const auto& b : vpc.cidr_blocks)
      if (auto c = net::ParseCidr4(b.cidr)) inside |= c->Contains(f.dst);
  }
  if (!inside) {
    r.explanation_code = "CANNOT_ROUTE";
    r.note = f.DstText() + " is outside " + peer.vpc_id + ": peering is not transitive";
    return step(r);
  }
  r.allowed = true;
  r.rule = src.vpc_id + " -> " + peer.vpc_id;
  step(r);
  const NetworkInterface* d = nullptr;
  if (pp != &p) t.partition = pp;
  if (!step(DeliverInVpc(*pp, peer.vpc_id, f, &d))) return false;
  t.destination = d;
  if (!step(AclStage(8, "network-acl-inbound", model::NetworkAclOfSubnet(*pp, d->subnet_id), f, false))) return false;
  if (ToNatGateway(*pp, *d, t, ct)) return t.allowed;  // a reply to a peer NAT gateway's translation
  if (!step(SecurityGroupsIngress(*pp, *d, f, ct))) return false;
  OpenConnection(*pp, *d, f, false, t.stages.back(), ct);
  return true;
}

bool InterfaceTargetHop(const Partition& p, const NetworkInterface& src, const model::Route& route, const Flow& f,
                        TraceResult& t, Tracking ct) {
  auto step = [&](StageResult r) {
    t.stages.push_back(std::move(r));
    return t.stages.back().allowed;
  };
  StageResult r{.stage = 7, .name = "network-interface", .allowed = false, .component = route.target_id};
  const NetworkInterface* d = TargetInterface(p, route);
  if (!d) {
    r.explanation_code = "BAD_STATE";
    return step(r);
  }
  r.component = d->id;
  r.rule = f.DstText() + " -> " + d->id;
  if (d->source_dest_check && !model::InterfaceHolds(*d, f, true)) {
    r.explanation_code = "ENI_SOURCE_DEST_CHECK_RESTRICTION";
    r.note = "its source/destination check is on: it takes only packets addressed to it";
    return step(r);
  }
  r.allowed = true;
  step(r);
  t.destination = d;
  if (!step(NetworkAclInbound(p, src, *d, f))) return false;
  if (!step(SecurityGroupsIngress(p, *d, f, ct))) return false;
  OpenConnection(p, *d, f, false, t.stages.back(), ct);
  return true;
}

bool NatGatewayHop(const Partition& p, const NetworkInterface& src, const model::Route& route, const Flow& f,
                   TraceResult& t, Tracking ct) {
  auto step = [&](StageResult r) {
    t.stages.push_back(std::move(r));
    return t.stages.back().allowed;
  };
  StageResult r{.stage = 7, .name = "nat-gateway", .component = route.target_id};
  auto it = p.nat_gateways.find(route.target_id);
  auto eni = it == p.nat_gateways.end() ? p.network_interfaces.end()
                                        : p.network_interfaces.find(it->second.network_interface_id);
  if (eni == p.network_interfaces.end() ||
      model::NatGatewayState(it->second, model::NatGatewayNow()) != "available") {
    r.allowed = false;
    r.explanation_code = "BAD_STATE";
    return step(r);
  }
  const model::NatGateway& g = it->second;
  const NetworkInterface& nat = eni->second;
  if (f.ipv6 || (f.protocol != 1 && f.protocol != 6 && f.protocol != 17) || (f.fragmented && f.protocol != 17)) {
    r.allowed = false;
    r.explanation_code = "NAT_GATEWAY_PROTOCOL_RESTRICTION";  // openvpc's name for K5/K10/K18
    r.note = f.fragmented && !f.ipv6 && (f.protocol == 1 || f.protocol == 6)
                 ? "a NAT gateway forwards fragmented UDP, not fragmented TCP or ICMP"
                 : "a NAT gateway translates TCP, UDP and ICMP over IPv4 only";
    return step(r);
  }
  r.rule = f.src.ToString() + " -> " + g.private_ip;
  if (!step(r)) return false;
  if (nat.subnet_id != src.subnet_id &&
      !step(AclStage(8, "network-acl-inbound", model::NetworkAclOfSubnet(p, nat.subnet_id), f, false)))
    return false;
  Flow out = f;
  out.src = net::ParseIpv4(g.private_ip).value();
  t.nat_gateway = g.id;
  if (!step(AclStage(5, "network-acl-outbound", model::NetworkAclOfSubnet(p, nat.subnet_id), out, true))) return false;
  const model::Route* next = nullptr;
  if (!step(RouteLookup(p, nat, out, &next))) return false;
  const bool to_internet = next->target_id.rfind("igw-", 0) == 0, to_peer = next->target_id.rfind("pcx-", 0) == 0;
  if (!to_internet && !to_peer) {  // a transit gateway, a virtual private gateway, …
    t.stages.back().allowed = false;
    t.stages.back().note = "target " + next->target_id + ": not yet forwarded by this data plane";
    t.stages.back().explanation_code = "NO_ROUTE_TO_DESTINATION";
    return false;
  }
  if (to_internet) {
    StageResult igw = InternetGatewayEgress(p, nat, *next, out, &t.translated_src);
    if (!igw.allowed && g.connectivity_type != "public")
      igw.note = "the internet gateway drops what a private NAT gateway sends: it has no public address";
    if (!step(igw)) return false;
  } else {
    t.translated_src = out.src;  // on through the peering connection from the gateway's private address
  }
  if (ct.nat) {  // the gateway's port for the connection (K6, K8)
    StageResult port{.stage = 7, .name = "nat-gateway", .allowed = false, .component = g.id};
    const uint16_t dport = f.protocol == 1 ? 0 : static_cast<uint16_t>(f.dst_port);
    const auto client_port = static_cast<uint16_t>(f.src_port);  // ICMP echo: the identifier
    if (f.protocol == 6 && f.tcp_flags >= 0 && !(f.tcp_flags & kTcpSyn) &&
        ct.nat->Expired(g.id, 6, f.src, client_port, f.dst, dport)) {
      port.note = "the connection was idle for 350 s and is forgotten: the gateway answers with a reset";
      t.reset = true;  // K9
      return step(port);
    }
    NatBinding* b = ct.nat->Outbound(g.id, static_cast<uint8_t>(f.protocol), f.src, client_port, f.dst, dport,
                                     src.id, ct.now);
    if (!b) {
      port.note = "no port left toward " + f.dst.ToString() + ":" + std::to_string(dport) + " (ErrorPortAllocation)";
      return step(port);  // K8
    }
    t.nat_binding = b;
    out.src_port = b->nat_port;
    if (f.protocol == 1) out.dst_port = b->nat_port;  // the echo identifier stands for both ports
  }
  if (to_peer) {
    if (!VpcPeeringHop(p, nat, *next, out, t, ct)) return false;
    if (!t.destination) {  // another NAT gateway's address: it answers nothing it did not ask for (K11)
      const std::string other = t.nat_gateway;
      t.nat_gateway = g.id;
      t.allowed = false;
      return step({.stage = 7, .name = "nat-gateway", .allowed = false, .component = other,
                   .explanation_code = "NO_ROUTE_TO_DESTINATION",
                   .note = "a NAT gateway lets in only the replies to connections made through it"});
    }
  }
  if (to_internet) t.exit_target = next->target_id;
  return true;
}

TraceResult TraceNatReply(const Partition& p, const std::string& nat_id, const NetworkInterface& client,
                          const Flow& f, Tracking ct) {
  TraceResult t;
  auto step = [&](StageResult r) {
    t.stages.push_back(std::move(r));
    return t.stages.back().allowed;
  };
  auto g = p.nat_gateways.find(nat_id);
  auto eni = g == p.nat_gateways.end() ? p.network_interfaces.end()
                                       : p.network_interfaces.find(g->second.network_interface_id);
  if (eni == p.network_interfaces.end()) {
    step({.stage = 7, .name = "nat-gateway", .allowed = false, .component = nat_id, .explanation_code = "BAD_STATE"});
    return t;
  }
  step({.stage = 7, .name = "nat-gateway", .component = nat_id, .rule = g->second.private_ip + " -> " + f.DstText()});
  const std::string& nat_subnet = eni->second.subnet_id;
  if (nat_subnet != client.subnet_id) {
    if (!step(AclStage(5, "network-acl-outbound", model::NetworkAclOfSubnet(p, nat_subnet), f, true))) return t;
    if (!step(AclStage(8, "network-acl-inbound", model::NetworkAclOfSubnet(p, client.subnet_id), f, false))) return t;
  }
  if (!step(SecurityGroupsIngress(p, client, f, ct))) return t;
  t.allowed = true;
  t.destination = &client;
  OpenConnection(p, client, f, false, t.stages.back(), ct);
  return t;
}

StageResult EgressOnlyGatewayEgress(const model::Route& route, const Flow& f, Tracking ct) {
  StageResult r{.stage = 7, .name = "egress-only-internet-gateway", .component = route.target_id};
  if (!f.ipv6) {
    r.allowed = false;
    r.explanation_code = "CANNOT_ROUTE";
    r.note = "an egress-only internet gateway carries IPv6 only";
    return r;
  }
  r.rule = f.SrcText() + " out";
  // The gateway forwards the flows instances start (J1) and remembers them, to let their
  // replies back in. An answer to a flow the internet started (it came in through an internet
  // gateway) is no flow of its own: a TCP segment other than a SYN, an echo reply.
  const bool answer = (f.protocol == 6 && f.tcp_flags >= 0 && (f.tcp_flags & (kTcpSyn | kTcpAck)) != kTcpSyn) ||
                      (f.protocol == 58 && f.icmp_type == 129);
  if (ct.table && !ct.table->Find(route.target_id, f, true, ct.now)) {
    if (answer) {
      r.allowed = false;
      r.explanation_code = "EGRESS_ONLY_IGW_RESTRICTION";  // openvpc's name for J1
      r.note = "an egress-only internet gateway forwards only flows that start inside";
      return r;
    }
    ct.table->Open(route.target_id, f, true, ct.now);
  }
  return r;
}

namespace {

// Stage 7 for IPv6 from the internet to D's address (I4, J2).
StageResult GatewayInbound6(const Partition& p, const NetworkInterface& d, const Flow& f, Tracking ct) {
  StageResult r{.stage = 7, .name = "internet-gateway", .allowed = false, .rule = f.DstText()};
  if (const model::InternetGateway* igw = model::AttachedInternetGateway(p, d.vpc_id)) {
    r.allowed = true;
    r.component = igw->id;
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

}  // namespace

TraceResult TraceFromInternet(const Partition& p, const Flow& flow, Tracking ct) {
  TraceResult t;
  if (flow.ipv6) {
    const NetworkInterface* d = nullptr;
    for (const auto& [id, eni] : p.network_interfaces)
      if (model::InterfaceHolds(eni, flow, true)) d = &eni;
    if (!d) {
      t.stages.push_back({.stage = 7, .name = "internet-gateway", .allowed = false, .rule = flow.DstText(),
                          .explanation_code = "NO_DESTINATION_INTERFACE"});
      return t;
    }
    t.stages.push_back(GatewayInbound6(p, *d, flow, ct));
    if (!t.stages.back().allowed) return t;
    t.destination = d;
    t.stages.push_back(AclStage(8, "network-acl-inbound", model::NetworkAclOfSubnet(p, d->subnet_id), flow, false));
    if (!t.stages.back().allowed) return t;
    t.stages.push_back(SecurityGroupsIngress(p, *d, flow, ct));
    if (!t.stages.back().allowed) return t;
    t.allowed = true;
    OpenConnection(p, *d, flow, false, t.stages.back(), ct);
    return t;
  }
  StageResult gw{.stage = 7, .name = "internet-gateway", .allowed = false, .rule = flow.dst.ToString()};
  auto holder = flow.ipv6 ? std::nullopt : model::PublicIpv4HolderOf(p, flow.dst.ToString());
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
  t.stages.push_back(gw);
  if (!gw.allowed) return t;
  Flow f = flow;
  f.dst = net::ParseIpv4(holder->private_ip).value();
  t.translated_dst = f.dst;
  const NetworkInterface& d = *holder->eni;
  t.destination = &d;
  auto step = [&](StageResult r) {
    t.stages.push_back(std::move(r));
    return t.stages.back().allowed;
  };
  if (!step(AclStage(8, "network-acl-inbound", model::NetworkAclOfSubnet(p, d.subnet_id), f, false))) return t;
  if (ToNatGateway(p, d, t, ct)) return t;  // a reply to the NAT gateway's address
  if (!step(SecurityGroupsIngress(p, d, f, ct))) return t;
  t.allowed = true;
  OpenConnection(p, d, f, false, t.stages.back(), ct);
  return t;
}

}  // namespace openvpc::dataplane
