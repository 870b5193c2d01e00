// Stages 2-6, 8 and 9 of pipeline.h, and what the hops share of them (stages.h).
#include "dataplane/stages.h"

#include "dataplane/services/local_services.h"
#include "dataplane/wire/packet.h"
#include "model/instance.h"
#include "model/nat_gateway.h"
#include "model/network_acl.h"
#include "model/route_table.h"

namespace openvpc::dataplane {

using model::Flow;
using model::NetworkInterface;
using model::Partition;

namespace {

std::string AclRuleText(const model::NetworkAclEntry& e) {
  // The implicit entries (32767 IPv4, 32768 IPv6) are shown as AWS shows them: `*` (N3).
  return (e.rule_number > 32766 ? std::string("*") : std::to_string(e.rule_number)) + " " + e.rule_action;
}

StageResult GroupsStage(int stage, const char* name, const Partition& p, const NetworkInterface& eni, const Flow& f,
                        bool egress, Tracking ct) {
  StageResult r{.stage = stage, .name = name, .allowed = false};
  if (eni.group_ids.empty() && eni.requester_managed &&
      (eni.interface_type == "network_load_balancer" || eni.interface_type == "gateway_load_balancer" ||
       eni.interface_type == "gateway_load_balancer_endpoint")) {
    // A Network Load Balancer created without security groups filters nothing; Gateway Load
    // Balancers and their endpoints have none (GLB-09).
    r.allowed = true;
    r.component = eni.id;
    r.note = "no security groups: not filtered";
    return r;
  }
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

// A network ACL stage: ACL's first matching entry of direction EGRESS decides (N2, N3).
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

// For a packet that reached D past its subnet's ACL: when D is a NAT gateway's interface, the
// packet is for the gateway's own address, and only a reply to one of its translations goes on
// (K12), which the engine's table finds (T allowed, T.nat_gateway the gateway); a trace of a new
// flow has none, and the gateway answers nothing else (K11: not even pings). It has no
// security groups (K6). False when D is no NAT gateway's.
bool ToNatGateway(const Partition& p, const NetworkInterface& d, TraceResult& t, Tracking ct) {
  const model::NatGateway* g = model::NatGatewayOfInterface(p, d.id);
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

// Stage 8 at DST for a packet from SRC_SUBNET_ID: not crossed inside one subnet (O1, N6).
StageResult AclInboundFrom(const Partition& p, const std::string& src_subnet_id, const NetworkInterface& dst,
                           const Flow& f) {
  if (src_subnet_id == dst.subnet_id)
    return {.stage = 8, .name = "network-acl-inbound", .component = model::NetworkAclOfSubnet(p, dst.subnet_id).id,
            .note = "same subnet: not crossed"};
  return SubnetAclInbound(p, dst.subnet_id, f);
}

}  // namespace

bool Append(TraceResult& t, StageResult r) {
  t.stages.push_back(std::move(r));
  return t.stages.back().allowed;
}

StageResult SubnetAclInbound(const Partition& p, const std::string& subnet_id, const Flow& f) {
  return AclStage(8, "network-acl-inbound", model::NetworkAclOfSubnet(p, subnet_id), f, false);
}

StageResult SubnetAclOutbound(const Partition& p, const std::string& subnet_id, const Flow& f) {
  return AclStage(5, "network-acl-outbound", model::NetworkAclOfSubnet(p, subnet_id), f, true);
}

// A flow opens a connection where it is tracked; a packet of a connection tracked already
// renewed it (Find in GroupsStage). Untracked flows are judged by the rules alone (CT-3), and so
// are their responses: a packet whose reverse the interface admits untracked is one.
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

bool ArriveAt(const Partition& p, const std::string& src_subnet_id, const NetworkInterface& d, const Flow& f,
              TraceResult& t, Tracking ct) {
  t.destination = &d;
  if (!Append(t, AclInboundFrom(p, src_subnet_id, d, f))) return false;
  if (ToNatGateway(p, d, t, ct)) return t.allowed;  // the gateway's own address: only replies to its translations
  if (ToLoadBalancer(p, d, f, t, ct)) return t.allowed;  // a load balancer's node: on to a target
  if (!Append(t, SecurityGroupsIngress(p, d, f, ct))) return false;
  OpenConnection(p, d, f, false, t.stages.back(), ct);
  if (ToInterfaceEndpoint(p, d, f, t, ct)) return t.allowed;  // an endpoint's interface: on to its service
  return true;
}

// ---- the numbered stages (pipeline.h) ----

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
      if (f.ipv6 && !model::MetadataOverIpv6(p, src)) {
        r.allowed = false;
        r.explanation_code = "METADATA_IPV6_DISABLED";  // openvpc's name
        r.note = "the instance's HttpProtocolIpv6 is disabled: nothing answers at [fd00:ec2::254]";
        return r;
      }
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
  return SubnetAclOutbound(p, src.subnet_id, f);
}

StageResult RouteLookup(const Partition& p, const NetworkInterface& src, const Flow& f, const model::Route** route,
                        const model::State* state) {
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
  if (model::RouteState(p, rt, *best, state) != "active") {
    r.allowed = false;
    r.explanation_code = "BAD_STATE_ROUTE";
    r.note = "blackhole";
  }
  return r;
}

StageResult LocalDelivery(const Partition& p, const NetworkInterface& src, const Flow& f, const NetworkInterface** dst) {
  return DeliverInVpc(p, src.vpc_id, f, dst);
}

StageResult SecurityGroupsIngress(const Partition& p, const NetworkInterface& dst, const Flow& f, Tracking ct) {
  return GroupsStage(9, "security-groups-ingress", p, dst, f, false, ct);
}

}  // namespace openvpc::dataplane
