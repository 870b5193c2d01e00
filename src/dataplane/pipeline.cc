#include "dataplane/pipeline.h"

#include "model/network_acl.h"
#include "model/operations.h"

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
      if (model::SecurityGroupRuleMatches(p, rule, f, egress)) {
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
  StageResult r{.stage = 7, .name = "local-delivery"};
  std::string a = f.DstText();
  *dst = nullptr;
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.vpc_id == src.vpc_id && model::InterfaceHolds(eni, f, true)) *dst = &eni;
  if (!*dst) {
    r.allowed = false;
    r.rule = a;
    r.explanation_code = "NO_DESTINATION_INTERFACE";
    r.note = "no interface of " + src.vpc_id + " holds " + a;
    return r;
  }
  r.component = (*dst)->id;
  r.rule = a;
  return r;
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
  if (!step(SourceDestCheck(src, f))) return t;
  if (!step(SecurityGroupsEgress(p, src, f, ct))) return t;
  // The ACL sits at the subnet's border: traffic that stays inside the subnet crosses neither
  // of its ACLs (O1, N6), so stage 5 looks ahead at where the route delivers.
  const model::Route* route = nullptr;
  const NetworkInterface* ahead = nullptr;
  RouteLookup(p, src, f, &route);
  if (route && route->IsLocal()) LocalDelivery(p, src, f, &ahead);
  if (ahead && ahead->subnet_id == src.subnet_id) {
    step({.stage = 5, .name = "network-acl-outbound", .component = model::NetworkAclOfSubnet(p, src.subnet_id).id,
          .note = "same subnet: not crossed"});
  } else if (!step(NetworkAclOutbound(p, src, f))) {
    return t;
  }
  if (!step(RouteLookup(p, src, f, &route))) return t;
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
  if (!step(SecurityGroupsIngress(p, *d, f, ct))) return t;
  t.allowed = true;
  if (ct.table) {
    // A packet of a connection tracked at either end renews it (Find above); a new one opens
    // it where the flow is tracked. Untracked flows are judged by the rules alone (CT-3), and
    // so are their responses: a packet whose reverse the interface admits untracked is one.
    auto open = [&](const NetworkInterface& eni, bool egress, const StageResult& stage) {
      if (stage.rule == "tracked connection" || !model::FlowIsTracked(p, eni, f, egress)) return;
      Flow r = Reversed(f);
      if (!model::FlowIsTracked(p, eni, r, !egress) && GroupsStage(0, "", p, eni, r, !egress, {}).allowed) return;
      ct.table->Open(eni.id, f, egress, ct.now);
    };
    open(src, true, t.stages[1]);
    open(*d, false, t.stages.back());
  }
  return t;
}

}  // namespace openvpc::dataplane
