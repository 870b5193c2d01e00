// The stages of ARCHITECTURE.md ("A packet, end to end") that decide a new IPv4 or IPv6 flow.
// Each stage is a small function over the model, whose predicates hold every rule; stage 7 is
// the hop of the route's target kind (hops/hop.h). The packet engine, `openvpc trace` and the
// tests call the same ones. Explanation codes are those of AWS's Reachability Analyzer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dataplane/engine/conntrack.h"
#include "dataplane/engine/lb_table.h"
#include "dataplane/engine/nat_table.h"
#include "model/evaluate.h"
#include "model/state.h"

namespace openvpc::dataplane {

struct StageResult {
  int stage = 0;
  std::string name;       // "security-groups-egress", …
  bool allowed = true;
  std::string component;  // the resource that decided: sg-…, acl-…, rtb-…, eni-…
  std::string rule;       // the rule, entry or route: sgr-…, "100", "10.0.0.0/16 -> local"
  std::string explanation_code;  // when dropped: ENI_SG_RULES_MISMATCH, …
  std::string note;              // information (a skipped stage, a target not forwarded yet)
};

struct TraceResult {
  std::vector<StageResult> stages;
  bool allowed = false;
  // Set when the packet leaves the VPC for the internet (igw-…, eigw-…: also after a NAT
  // gateway), or through a target whose kind has no hop yet (tgw-, vgw-, …:
  // the verdict covers the stages up to the route only). Empty when delivered to an interface,
  // also in a peer VPC.
  std::string exit_target;
  bool to_internet = false;  // the exit is the internet (through an internet or egress-only gateway)
  const model::NetworkInterface* destination = nullptr;
  // The addresses the packet leaves with where a gateway translates them (the internet
  // gateway's 1:1 NAT, I2): the public source going out, the private destination coming in.
  std::optional<net::Ipv4> translated_src, translated_dst;
  // The NAT gateway that translates the flow (with translated_src), or, without it, whose own
  // address the packet is for: its translations (the engine's NatTable) say where it continues.
  std::string nat_gateway;
  // With Tracking.nat: the NAT gateway's translation of the flow, its port (K6, K8); and when
  // the gateway dropped a TCP segment of a connection it forgot after 350 s idle, that it
  // answers it with a reset (K9).
  NatBinding* nat_binding = nullptr;
  bool reset = false;
  // Where destination and nat_gateway are, when not in the source's partition (a peer's).
  const model::Partition* partition = nullptr;
  // Through a load balancer's node (hops/load_balancer.cc): the load balancer, its node's
  // interface, and the target it chose (destination, lb_target and translated_dport; with
  // lb_seen_src, the node's address, when the target does not see the client's). Addresses of
  // either family, IPv4 mapped: the target's family may differ from the client's.
  std::string load_balancer;
  const model::NetworkInterface* lb_node = nullptr;
  std::optional<net::Ipv6> lb_target, lb_seen_src;
  std::optional<uint16_t> translated_dport;
  bool proxy_protocol = false;  // the target group sends the PROXY protocol v2 header (TCP)
  // Through a Gateway Load Balancer endpoint (hops/gateway_load_balancer_endpoint.cc): the packet
  // leaves in Geneve from the load balancer's node to the appliance (destination) it chose.
  struct ApplianceLeg {
    std::string endpoint_id, endpoint_eni, account, region;  // the endpoint the packet came through
    net::Ipv4 node_ip, appliance_ip;
    uint16_t sport = 0;  // the outer UDP source port: the flow's, so that a flow keeps one path
  };
  std::optional<ApplianceLeg> appliance;
  // Through an interface endpoint (hops/interface_endpoint.cc): the consumer's side of the
  // connection, which goes on from the node (lb_node) as the node's own, to the target chosen.
  std::optional<PrivateLinkLeg> private_link;
  // Through a gateway endpoint (hops/gateway_endpoint.cc): to the AWS services network, from the
  // source interface's alias (the engine's: what the services' fronts map back to it).
  bool services_network = false;
};

// Stage 2: a packet for one of the router's own services (LocalServiceOf: DHCP, the Amazon DNS
// server, instance metadata, neighbour discovery, DHCPv6) is answered there, and any other
// link-local packet ends there: neither security groups nor network ACLs filter them and no
// route applies (O3, R1, R13). nullopt for every other packet, which stages 3-9 decide.
std::optional<StageResult> LocalServicesStage(const model::Partition& p, const model::NetworkInterface& src,
                                              const model::Flow& f);
// Stage 3: the source address must be one of SRC's addresses unless its check is off.
StageResult SourceDestCheck(const model::NetworkInterface& src, const model::Flow& f);
// Connection tracking as stages 4 and 9 see it: the engine passes its table, `openvpc trace`
// none (every flow it is asked about is a new one). STATE lets a flow cross into another
// account's or Region's partition (a peering connection's other side); without it, only the
// source's partition is seen.
// NAT, likewise, is the engine's table of NAT gateway translations: with it, a flow through a
// NAT gateway gets the gateway's port for its connection before it goes on.
struct Tracking {
  ConnectionTable* table = nullptr;
  double now = 0;
  const model::State* state = nullptr;
  NatTable* nat = nullptr;
  // The load balancers' connections: a flow of a known one stays on its target.
  LbTable* lb = nullptr;
};

// Stage 4: allowed when any egress rule of any of SRC's groups matches (M2), or when the packet
// belongs to a connection tracked at SRC (CT-1).
StageResult SecurityGroupsEgress(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f,
                                 Tracking ct = {});
// Stage 5: the outbound entries of the ACL of SRC's subnet, first match (N2).
StageResult NetworkAclOutbound(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f);
// Stage 6: the route table of SRC's subnet, longest prefix match (G2); a blackhole route drops
// (G13). STATE: every partition, for routes whose target is in another (a peering connection).
StageResult RouteLookup(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f,
                        const model::Route** route, const model::State* state = nullptr);
// Stage 7, local delivery: the interface of the VPC that holds the destination address.
StageResult LocalDelivery(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f,
                          const model::NetworkInterface** dst);
// Stage 8, the inbound entries of the ACL of the destination's subnet (not crossed inside one
// subnet), is part of a hop's arrival at an interface (stages.h's ArriveAt).
// Stage 9: allowed when any ingress rule of any of DST's groups matches (M2), or when the
// packet belongs to a connection tracked at DST (CT-1).
StageResult SecurityGroupsIngress(const model::Partition& p, const model::NetworkInterface& dst, const model::Flow& f,
                                  Tracking ct = {});

// Stage 7 is the route's hop (hops/hop.h): local delivery, an internet gateway, an egress-only
// internet gateway, a NAT gateway, a VPC peering connection, a network interface, a Gateway Load
// Balancer endpoint; a load balancer's node is reached by arrival (stages.h's ToLoadBalancer).

// A reply that NAT gateway NAT_ID translated back to CLIENT (F as the client sees it): the ACL
// of the gateway's subnet outbound and of the client's inbound when they differ, then the
// client's security groups (9), with connection tracking.
TraceResult TraceNatReply(const model::Partition& p, const std::string& nat_id, const model::NetworkInterface& client,
                          const model::Flow& f, Tracking ct = {});

// A reply of load balancer target TARGET to the client of binding B (F as the client sees it:
// from the node's address and listener port): the target subnet's ACL outbound and the client
// subnet's inbound where they differ from the node's, then the client's security groups (9).
// A client on the internet (B.client_eni empty) gets it through the internet gateway.
// SENT is the reply as the target sent it (its subnet's ACL sees that one).
TraceResult TraceLoadBalancerReply(const model::Partition& p, const LbBinding& b, const model::NetworkInterface& target,
                                   const model::Flow& sent, const model::Flow& f, Tracking ct = {});

// A reply of load balancer target TARGET (in P) to a connection B that came through an interface
// endpoint (B.private_link), F as the consumer sees it (from the endpoint's address and
// listener port): the target subnet's ACL outbound where it differs from the node's, then, in
// the consumer's partition (CT.state), the endpoint subnet's ACL outbound and the client's
// arrival (its subnet's ACL inbound, its groups) where they differ.
TraceResult TracePrivateLinkReply(const model::Partition& p, const LbBinding& b, const model::NetworkInterface& target,
                                  const model::Flow& sent, const model::Flow& f, Tracking ct);

// A packet from the AWS services network back to interface D (F as D sees it: to its private
// address): the ACL of D's subnet inbound and D's groups (a reply to what D sent through a
// gateway endpoint passes them as tracked).
TraceResult TraceFromServicesNetwork(const model::Partition& p, const model::NetworkInterface& d, const model::Flow& f,
                                     Tracking ct = {});

// Traffic from the internet to a public IPv4 address F.dst of P (or, for IPv6, to an
// interface's IPv6 address, which passes the internet gateway unchanged (I4), and an
// egress-only gateway only as the reply to a flow that left through it (J2)): the internet gateway attached
// to the VPC of the interface that holds the address translates the destination to its private
// address (stage 7, internet-gateway), then the ACL of the interface's subnet (8) and its
// security groups (9) decide, with connection tracking as for any other inbound flow.
TraceResult TraceFromInternet(const model::Partition& p, const model::Flow& f, Tracking ct = {});

// Runs the stages in order for F (from SRC to DST), stopping at the first drop. With a
// connection table, an allowed flow opens a connection at each end where it is tracked (CT-3).
TraceResult Trace(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f,
                  Tracking ct = {});
// The same for an IPv4 flow to DST (F's own destination is ignored).
TraceResult Trace(const model::Partition& p, const model::NetworkInterface& src, net::Ipv4 dst, const model::Flow& f,
                  Tracking ct = {});

}  // namespace openvpc::dataplane
