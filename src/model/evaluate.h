// The rules of the data plane as pure predicates over the model (guide M, N, G, C8): does a
// security group rule match a flow, which network ACL entry decides it, which route carries
// it. The packet engine, `openvpc trace` and the tests all call these; none re-implements them.
#pragma once

#include <cstdint>

#include "model/state.h"
#include "net/ip.h"

namespace openvpc::model {

// One direction of a new IPv4 flow, as its first packet shows it.
struct Flow {
  int protocol = 6;  // IANA number: 1 icmp, 6 tcp, 17 udp, …
  net::Ipv4 src, dst;
  int src_port = 0, dst_port = 0;     // tcp and udp
  int icmp_type = -1, icmp_code = -1;  // icmp
};

// IANA number of an SG rule's or ACL entry's protocol ("-1" for all gives -1; tcp 6, udp 17,
// icmp 1, icmpv6 58, or the number itself); -2 when unknown.
int ProtocolNumber(const std::string& protocol);

// True when RULE (of the direction EGRESS) lets FLOW out (egress: the peer is the destination)
// or in (ingress: the peer is the source). Protocol -1 matches all (M8); tcp/udp by destination
// port only (M9); icmp by type and code, -1 for all; an IPv4 CIDR peer by containment; an IPv6
// CIDR or a prefix list never matches an IPv4 flow (C8); a referenced group matches when the
// peer address belongs to an interface in P that is a member of that group (M10).
bool SecurityGroupRuleMatches(const Partition& p, const SecurityGroupRule& rule, const Flow& flow, bool egress);

// CT-3 (inventory-ec2-network-security §2.7): a TCP or UDP flow is *not* tracked at ENI when a
// rule of its groups in the direction the flow started (EGRESS: it left ENI first) permits it
// from or to 0.0.0.0/0 and a rule in the other direction permits all response traffic from or
// to 0.0.0.0/0 on all ports. ICMP and the other protocols are always tracked (CT-4, CT-7).
bool FlowIsTracked(const Partition& p, const NetworkInterface& eni, const Flow& flow, bool egress);

// The entry of ACL that decides FLOW in direction EGRESS: the lowest-numbered IPv4 entry that
// matches (N2, N9, C8), or nullptr (the implicit `*` deny, N3).
const NetworkAclEntry* FirstMatchingEntry(const NetworkAcl& acl, const Flow& flow, bool egress);

// The route of RT that carries traffic to DST: the IPv4 route with the longest prefix that
// contains DST (G2; IPv6 routes never match, G3). Routes in state blackhole take part, so that
// a blackhole route that wins drops the traffic (G13). nullptr when no route matches.
const Route* LongestPrefixMatch(const Partition& p, const RouteTable& rt, net::Ipv4 dst);

}  // namespace openvpc::model
