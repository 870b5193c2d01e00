#include "model/evaluate.h"


#include <algorithm>
#include <cctype>

#include "model/prefix_list.h"

namespace openvpc::model {

int ProtocolNumber(const std::string& protocol) {
  // On every rule of every new flow: one comparison by the first character, not five.
  const std::string& p = protocol;
  switch (p.empty() ? '\0' : p[0]) {
    case '-': return p == "-1" ? -1 : -2;
    case 'a': return p == "all" ? -1 : -2;
    case 't': return p == "tcp" ? 6 : -2;
    case 'u': return p == "udp" ? 17 : -2;
    case 'i': return p == "icmp" ? 1 : p == "icmpv6" ? 58 : -2;
    default: break;
  }
  if (p.empty() || p.size() > 3 || !std::all_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c); }))
    return -2;
  int n = std::stoi(p);
  return n <= 255 ? n : -2;
}

namespace {

// Ports (tcp/udp: FROM-TO of the destination port, -1 for all) or ICMP type/code (-1 for all).
bool PortsMatch(int protocol, int from, int to, const Flow& f) {
  if (protocol == 6 || protocol == 17) {
    if (from == -1 && to == -1) return true;
    return f.dst_port >= from && f.dst_port <= to;
  }
  if (protocol == 1 || protocol == 58) {
    if (from != -1 && from != f.icmp_type) return false;
    if (to != -1 && to != f.icmp_code) return false;
    return true;
  }
  return true;  // other protocols have no ports
}

bool CidrContains(const std::string& cidr, net::Ipv4 ip) {
  auto c = net::ParseCidr4(cidr);
  return c && c->Contains(ip);
}

bool CidrContains(const std::string& cidr, const net::Ipv6& ip) {
  auto c = net::ParseCidr6(cidr);
  return c && c->Contains(ip);
}

// The peer's address (the destination leaving, the source entering) inside the IPv4 block
// CIDR4 or the IPv6 block CIDR6, whichever is of the flow's family.
bool PeerIn(const std::string& cidr4, const std::string& cidr6, const Flow& f, bool egress) {
  if (f.ipv6) return !cidr6.empty() && CidrContains(cidr6, egress ? f.dst6 : f.src6);
  return !cidr4.empty() && CidrContains(cidr4, egress ? f.dst : f.src);
}

bool AddressInGroup(const Partition& own, const Flow& f, bool egress, const SecurityGroupRule& rule,
                    const State* state) {
  const std::string& group_id = rule.referenced_group_id;
  const Partition* p = &own;
  if (!rule.referenced_user_id.empty() && rule.referenced_user_id != own.account_id)
    p = state ? state->Find(rule.referenced_user_id, own.region) : nullptr;
  if (!p) return false;
  for (const auto& [id, eni] : p->network_interfaces) {
    if (std::find(eni.group_ids.begin(), eni.group_ids.end(), group_id) == eni.group_ids.end()) continue;
    if (InterfaceHolds(eni, f, egress)) return true;
  }
  return false;
}

}  // namespace

bool DestinationInSubnet(const Subnet& s, const Flow& f) {
  if (f.ipv6) {
    for (const auto& b : s.ipv6_cidr_blocks)
      if (auto c = net::ParseCidr6(b.cidr); c && c->Contains(f.dst6)) return true;
    return false;
  }
  auto c = net::ParseCidr4(s.cidr_block);
  return c && c->Contains(f.dst);
}

bool DestinationInVpc(const Vpc& vpc, const Flow& f) {
  if (f.ipv6) {
    for (const auto& b : vpc.ipv6_cidr_blocks)
      if (auto c = net::ParseCidr6(b.cidr); c && c->Contains(f.dst6)) return true;
    return false;
  }
  if (auto c = net::ParseCidr4(vpc.cidr_block); c && c->Contains(f.dst)) return true;
  for (const auto& b : vpc.cidr_blocks)
    if (auto c = net::ParseCidr4(b.cidr); c && c->Contains(f.dst)) return true;
  return false;
}

bool FlowIsAnswer(const Flow& f) {
  constexpr int kSyn = 0x02, kAck = 0x10;  // TCP header flags (RFC 9293)
  return (f.protocol == 6 && f.tcp_flags >= 0 && (f.tcp_flags & (kSyn | kAck)) != kSyn) ||
         (f.protocol == 58 && f.icmp_type == 129);
}

bool InterfaceHolds(const NetworkInterface& eni, const Flow& f, bool destination) {
  if (f.ipv6) {
    const net::Ipv6& ip = destination ? f.dst6 : f.src6;
    for (const auto& a : eni.ipv6_addresses)
      if (auto parsed = net::ParseIpv6(a); parsed && *parsed == ip) return true;
    return false;
  }
  std::string addr = (destination ? f.dst : f.src).ToString();
  for (const auto& a : eni.private_ips)
    if (a.address == addr) return true;
  return false;
}

bool SecurityGroupRuleMatches(const Partition& p, const SecurityGroupRule& rule, const Flow& flow, bool egress,
                              const State* state) {
  if (rule.egress != egress) return false;
  int proto = ProtocolNumber(rule.ip_protocol);
  if (proto == -2) return false;
  if (proto != -1) {
    if (proto != flow.protocol) return false;
    if (!PortsMatch(proto, rule.from_port, rule.to_port, flow)) return false;
  }
  if (!rule.cidr_ipv4.empty() || !rule.cidr_ipv6.empty()) return PeerIn(rule.cidr_ipv4, rule.cidr_ipv6, flow, egress);
  if (!rule.referenced_group_id.empty()) return AddressInGroup(p, flow, egress, rule, state);
  if (!rule.prefix_list_id.empty())  // the peer in any entry of the list (of the flow's family)
    return flow.ipv6 ? LongestPrefixListMatch(p, rule.prefix_list_id, egress ? flow.dst6 : flow.src6) >= 0
                     : LongestPrefixListMatch(p, rule.prefix_list_id, egress ? flow.dst : flow.src) >= 0;
  return false;
}

bool FlowIsTracked(const Partition& p, const NetworkInterface& eni, const Flow& flow, bool egress) {
  if (flow.protocol != 6 && flow.protocol != 17) return true;
  bool open_start = false, open_response = false;
  for (const auto& gid : eni.group_ids) {
    auto g = p.security_groups.find(gid);
    if (g == p.security_groups.end()) continue;
    for (const auto& rule : g->second.rules) {
      if (flow.ipv6 ? rule.cidr_ipv6 != "::/0" : rule.cidr_ipv4 != "0.0.0.0/0") continue;
      if (rule.egress == egress) {
        open_start |= SecurityGroupRuleMatches(p, rule, flow, egress);
      } else {
        int proto = ProtocolNumber(rule.ip_protocol);
        open_response |= proto == -1 || (proto == flow.protocol && rule.from_port <= 0 && rule.to_port >= 65535);
      }
    }
  }
  return !(open_start && open_response);
}

const NetworkAclEntry* FirstMatchingEntry(const NetworkAcl& acl, const Flow& flow, bool egress) {
  const NetworkAclEntry* best = nullptr;
  for (const auto& e : acl.entries) {
    if (e.egress != egress || (flow.ipv6 ? e.ipv6_cidr_block : e.cidr_block).empty()) continue;  // N9, C8
    if (best && best->rule_number <= e.rule_number) continue;
    int proto = ProtocolNumber(e.protocol);
    if (proto == -2) continue;
    if (proto != -1) {
      if (proto != flow.protocol) continue;
      bool icmp = proto == 1 || proto == 58;
      int from = icmp ? e.icmp_type : e.port_from;
      int to = icmp ? e.icmp_code : e.port_to;
      if (!PortsMatch(proto, from, to, flow)) continue;
    }
    if (!PeerIn(e.cidr_block, e.ipv6_cidr_block, flow, egress)) continue;
    best = &e;
  }
  return best;
}

namespace {

// G2 with prefix lists: a route to a list is a route to each of its entries; of two routes as
// specific, the one to a CIDR block wins over the one to a list (GW-09).
template <class Addr, class Parse>
const Route* Longest(const Partition& p, const RouteTable& rt, const Addr& dst, bool v6, Parse parse) {
  const Route* best = nullptr;
  int best_prefix = -1;
  bool best_is_list = false;
  for (const auto& r : rt.routes) {
    int prefix = -1;
    const bool list = !r.destination_prefix_list_id.empty();
    if (list) {
      prefix = LongestPrefixListMatch(p, r.destination_prefix_list_id, dst);
    } else {
      const std::string& block = v6 ? r.destination_ipv6_cidr_block : r.destination_cidr_block;
      if (block.empty()) continue;  // the other family's (G3)
      auto c = parse(block);
      if (c && c->Contains(dst)) prefix = c->prefix;
    }
    if (prefix < 0 || prefix < best_prefix || (prefix == best_prefix && (list || !best_is_list))) continue;
    best = &r;
    best_prefix = prefix;
    best_is_list = list;
  }
  return best;
}

}  // namespace

const Route* LongestPrefixMatch(const Partition& p, const RouteTable& rt, net::Ipv4 dst) {
  return Longest(p, rt, dst, false, [](const std::string& s) { return net::ParseCidr4(s); });
}

const Route* LongestPrefixMatch(const Partition& p, const RouteTable& rt, const net::Ipv6& dst) {
  return Longest(p, rt, dst, true, [](const std::string& s) { return net::ParseCidr6(s); });
}

const Route* LongestPrefixMatch(const Partition& p, const RouteTable& rt, const Flow& flow) {
  return flow.ipv6 ? LongestPrefixMatch(p, rt, flow.dst6) : LongestPrefixMatch(p, rt, flow.dst);
}

}  // namespace openvpc::model
