// The rules of the data plane as pure predicates over the model (guide M, N, G, C8): does a
// security group rule match a flow, which network ACL entry decides it, which route carries
// it. The packet engine, `openvpc trace` and the tests all call these; none re-implements them.
#pragma once

#include <cstdint>

#include "model/state.h"
#include "net/ip.h"

namespace openvpc::model {

// One direction of a new flow, as its first packet shows it: IPv4 (src, dst) or IPv6 (src6,
// dst6). The two families never meet: IPv4 rules, entries and routes judge IPv4 flows, IPv6
// ones IPv6 flows (C8, N9, G3).
struct Flow {
  int protocol = 6;  // IANA number: 1 icmp, 6 tcp, 17 udp, 58 icmpv6, …
  net::Ipv4 src, dst;
  bool ipv6 = false;
  net::Ipv6 src6, dst6;
  int src_port = 0, dst_port = 0;     // tcp and udp
  int icmp_type = -1, icmp_code = -1;  // icmp and icmpv6
  int tcp_flags = -1;  // the packet's TCP flags where one is at hand (the engine); -1: a first packet
  bool fragmented = false;  // the packet is a fragment of a larger datagram (NAT gateways drop TCP, ICMP: K10)

  std::string SrcText() const { return ipv6 ? src6.ToString() : src.ToString(); }
  std::string DstText() const { return ipv6 ? dst6.ToString() : dst.ToString(); }
  // Either address as the one type of both families (IPv4 mapped: net::Ipv4Mapped).
  net::Ipv6 Src() const { return ipv6 ? src6 : net::Ipv4Mapped(src); }
  net::Ipv6 Dst() const { return ipv6 ? dst6 : net::Ipv4Mapped(dst); }
  // Both addresses at once, and the family with them (a load balancer may change it: an IPv6
  // client's connection reaches an IPv4 target as IPv4). SRC and DST are of one family.
  void SetAddresses(const net::Ipv6& s, const net::Ipv6& d) {
    ipv6 = !net::IsIpv4Mapped(d);
    if (ipv6) {
      src6 = s;
      dst6 = d;
    } else {
      src = net::MappedIpv4(s);
      dst = net::MappedIpv4(d);
    }
  }
};

// True when ENI holds the address (a private IPv4 or an IPv6 address, by the flow's family).
bool InterfaceHolds(const NetworkInterface& eni, const Flow& flow, bool destination);

// True when the flow's destination lies in subnet S's block of its family, whether or not an
// interface holds it: such traffic stays inside the subnet and crosses none of its network
// ACLs (O1, N6).
bool DestinationInSubnet(const Subnet& s, const Flow& flow);

// True when the flow's destination lies in one of VPC's blocks of its family. A peering
// connection carries only such traffic into the peer VPC: it is not transitive, and there is no
// edge-to-edge routing through the peer's gateways (T3, T4).
bool DestinationInVpc(const Vpc& vpc, const Flow& flow);

// True when the packet answers a flow the other side started rather than starting one: a TCP
// segment other than a bare SYN, an ICMPv6 echo reply. An egress-only internet gateway carries
// such a packet out only for a flow it remembers (J1).
bool FlowIsAnswer(const Flow& flow);

// IANA number of an SG rule's or ACL entry's protocol ("-1" for all gives -1; tcp 6, udp 17,
// icmp 1, icmpv6 58, or the number itself); -2 when unknown.
int ProtocolNumber(const std::string& protocol);

// True when RULE (of the direction EGRESS) lets FLOW out (egress: the peer is the destination)
// or in (ingress: the peer is the source). Protocol -1 matches all (M8); tcp/udp by destination
// port only (M9); icmp and icmpv6 by type and code, -1 for all; a CIDR peer of the flow's
// family by containment, never one of the other family (C8); a prefix list when an entry holds
// the peer (prefix_list.h); a referenced group matches when the peer address belongs to an interface in P
// that is a member of that group (M10), or, for a group of another account (a peer VPC's, T6
// of the peering guide's rules), an interface of that account's partition in P's Region in
// STATE (never without it).
bool SecurityGroupRuleMatches(const Partition& p, const SecurityGroupRule& rule, const Flow& flow, bool egress,
                              const State* state = nullptr);

// CT-3 (inventory-ec2-network-security §2.7): a TCP or UDP flow is *not* tracked at ENI when a
// rule of its groups in the direction the flow started (EGRESS: it left ENI first) permits it
// from or to 0.0.0.0/0 (::/0 for IPv6) and a rule in the other direction permits all response
// traffic from or to that block on all ports. ICMP and the other protocols are always tracked (CT-4, CT-7).
bool FlowIsTracked(const Partition& p, const NetworkInterface& eni, const Flow& flow, bool egress);

// The entry of ACL that decides FLOW in direction EGRESS: the lowest-numbered IPv4 entry that
// matches (N2, N9, C8) among the entries of the flow's family, or nullptr (the implicit `*`
// deny, N3).
const NetworkAclEntry* FirstMatchingEntry(const NetworkAcl& acl, const Flow& flow, bool egress);

// The route of RT that carries traffic to DST: the IPv4 route with the longest prefix that
// contains DST (G2; IPv6 routes never match, G3); a route to a prefix list is a route to each of
// its entries, and loses to a route to a CIDR block as specific (GW-09). Routes in state blackhole take part, so that
// a blackhole route that wins drops the traffic (G13). nullptr when no route matches.
const Route* LongestPrefixMatch(const Partition& p, const RouteTable& rt, net::Ipv4 dst);
// The same among the IPv6 routes (destination_ipv6_cidr_block).
const Route* LongestPrefixMatch(const Partition& p, const RouteTable& rt, const net::Ipv6& dst);
// The route of RT for FLOW's destination, by its family.
const Route* LongestPrefixMatch(const Partition& p, const RouteTable& rt, const Flow& flow);

}  // namespace openvpc::model
