// A deliberately simple reference evaluator of the data plane's rules, written from the guide's
// words (shared/spec/inventory-vpc-guide.md M, N, G, I, K) as plain loops over the model structs:
// it calls neither the pipeline (dataplane/pipeline.h) nor model/evaluate.h, so that the property
// tests compare two independent readings of the rules.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "model/evaluate.h"
#include "model/state.h"
#include "net/ip.h"

namespace openvpc::testing::reference {

inline net::Ipv4 RefIp(const std::string& s) { return *net::ParseIpv4(s); }

// "Protocol = any IANA number; -1 = all" (M8); "only destination ports are filtered" (M9).
// For ICMP, FROM and TO are the type and the code, -1 for all.
inline bool RefProtoPorts(const std::string& proto, int from, int to, const model::Flow& f) {
  if (proto == "-1") return true;
  int n = proto == "tcp" ? 6 : proto == "udp" ? 17 : proto == "icmp" ? 1 : std::stoi(proto);
  if (n != f.protocol) return false;
  if (n == 6 || n == 17) return (from == -1 && to == -1) || (f.dst_port >= from && f.dst_port <= to);
  if (n == 1) return (from == -1 || from == f.icmp_type) && (to == -1 || to == f.icmp_code);
  return true;
}

inline bool RefInCidr(const std::string& cidr, net::Ipv4 ip) {
  if (cidr.empty()) return false;
  auto c = *net::ParseCidr4(cidr);
  uint32_t mask = c.prefix == 0 ? 0 : 0xffffffffu << (32 - c.prefix);
  return (ip.value & mask) == (c.addr.value & mask);
}

// "All rules of all SGs on the ENI are evaluated; traffic allowed if any rule allows" (M2);
// "an SG reference allows traffic from (to) ENIs associated with the referenced SG" (M10).
inline bool RefSgAllows(const model::Partition& p, const model::NetworkInterface& eni, const model::Flow& f,
                        bool egress) {
  net::Ipv4 peer = egress ? f.dst : f.src;
  for (const auto& g : eni.group_ids)
    for (const auto& r : p.security_groups.at(g).rules) {
      if (r.egress != egress || !RefProtoPorts(r.ip_protocol, r.from_port, r.to_port, f)) continue;
      if (RefInCidr(r.cidr_ipv4, peer)) return true;
      if (!r.referenced_group_id.empty())
        for (const auto& [id, other] : p.network_interfaces)
          for (const auto& ip : other.private_ips)
            if (RefIp(ip.address) == peer &&
                std::count(other.group_ids.begin(), other.group_ids.end(), r.referenced_group_id))
              return true;
    }
  return false;
}

// "Rules evaluated in ascending rule number; first match decides" (N2); no match: `*` deny (N3).
// The entry that decided is left in *RULE (0 for `*`).
inline bool RefAclAllows(const model::Partition& p, const std::string& subnet, const model::Flow& f, bool egress,
                         int* rule = nullptr) {
  std::vector<model::NetworkAclEntry> entries;
  for (const auto& [id, acl] : p.network_acls)
    for (const auto& as : acl.associations)
      if (as.subnet_id == subnet) entries = acl.entries;
  std::sort(entries.begin(), entries.end(), [](auto& x, auto& y) { return x.rule_number < y.rule_number; });
  if (rule) *rule = 0;
  for (const auto& e : entries) {
    if (e.egress != egress || e.cidr_block.empty()) continue;
    bool icmp = e.protocol == "1";
    if (!RefProtoPorts(e.protocol, icmp ? e.icmp_type : e.port_from, icmp ? e.icmp_code : e.port_to, f)) continue;
    if (!RefInCidr(e.cidr_block, egress ? f.dst : f.src)) continue;
    if (rule) *rule = e.rule_number;
    return e.rule_action == "allow";
  }
  return false;
}

// The route table of SUBNET: its explicit association, else the VPC's main table (G7, G9).
inline const model::RouteTable* RefRouteTableOf(const model::Partition& p, const std::string& subnet) {
  const model::RouteTable* main = nullptr;
  const std::string& vpc = p.subnets.at(subnet).vpc_id;
  for (const auto& [id, rt] : p.route_tables)
    for (const auto& a : rt.associations) {
      if (a.subnet_id == subnet) return &rt;
      if (a.main && rt.vpc_id == vpc) main = &rt;
    }
  return main;
}

// "Forwarding decision = longest prefix match" (G2) among the IPv4 routes (G3); a route to a
// target that is gone stays and wins as a blackhole (G13), so state is the caller's business.
inline const model::Route* RefLongestPrefixMatch(const model::RouteTable& rt, net::Ipv4 dst) {
  const model::Route* best = nullptr;
  int best_len = -1;
  for (const auto& r : rt.routes) {
    if (r.destination_cidr_block.empty() || !RefInCidr(r.destination_cidr_block, dst)) continue;
    int len = net::ParseCidr4(r.destination_cidr_block)->prefix;
    if (len > best_len) {
      best = &r;
      best_len = len;
    }
  }
  return best;
}

}  // namespace openvpc::testing::reference
