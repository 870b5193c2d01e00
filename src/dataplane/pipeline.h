// The stages of ARCHITECTURE.md ("A packet, end to end") that decide a new IPv4 or IPv6 flow between
// interfaces of one partition. Each stage is a small function over the model; the packet
// engine, `openvpc trace` and the tests call the same ones. Explanation codes are those of
// AWS's Reachability Analyzer.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dataplane/conntrack.h"
#include "dataplane/nat_table.h"
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
  // gateway), or through a target this data plane does not forward (tgw-, vgw-, an instance, …:
  // the verdict covers the stages up to the route only). Empty when delivered to an interface,
  // also in a peer VPC.
  std::string exit_target;
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
};

// Stage 4: allowed when any egress rule of any of SRC's groups matches (M2), or when the packet
// belongs to a connection tracked at SRC (CT-1).
StageResult SecurityGroupsEgress(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f,
                                 Tracking ct = {});
// Stage 5: the outbound entries of the ACL of SRC's subnet, first match (N2).
StageResult NetworkAclOutbound(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f);
// Stage 6: the route table of SRC's subnet, longest prefix match (G2).
StageResult RouteLookup(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f,
                        const model::Route** route);
// Stage 7, local delivery: the interface of the VPC that holds the destination address.
StageResult LocalDelivery(const model::Partition& p, const model::NetworkInterface& src, const model::Flow& f,
                          const model::NetworkInterface** dst);
// Stage 8: the inbound entries of the ACL of DST's subnet (not crossed inside one subnet).
StageResult NetworkAclInbound(const model::Partition& p, const model::NetworkInterface& src,
                              const model::NetworkInterface& dst, const model::Flow& f);
// Stage 9: allowed when any ingress rule of any of DST's groups matches (M2), or when the
// packet belongs to a connection tracked at DST (CT-1).
StageResult SecurityGroupsIngress(const model::Partition& p, const model::NetworkInterface& dst, const model::Flow& f,
                                  Tracking ct = {});

// Stage 7 for a route to an internet gateway (guide I1-I3): the gateway stands in for the
// source's private IPv4 address with its public one (the Elastic IP associated with it, or the
// public address given at launch), so an interface without one gets no internet. IPv6 passes
// unchanged (I4).
StageResult InternetGatewayEgress(const model::Partition& p, const model::NetworkInterface& src,
                                  const model::Route& route, const model::Flow& f, std::optional<net::Ipv4>* public_src);

// The hop through a NAT gateway for a route to it (guide K5, K6, K8-K12, K15, K18), appended to
// T: stage 7 nat-gateway (available; TCP, UDP or ICMP over IPv4 only, no fragmented TCP or
// ICMP), the ACL of its subnet inbound when the packet comes from another subnet (a NAT gateway
// has no security groups), then the gateway sends it on from its private address and a port of
// its own: its subnet's ACL outbound (5) and route table (6), then either the internet gateway,
// which stands in with a public gateway's Elastic IP (a private gateway has none: dropped), or a
// VPC peering connection into the peer VPC (the translation to the gateway's private address is
// what a private NAT gateway is for). False when the packet is dropped on the way.
bool NatGatewayHop(const model::Partition& p, const model::NetworkInterface& src, const model::Route& route,
                   const model::Flow& f, TraceResult& t, Tracking ct);

// The hop through a VPC peering connection for a route to it (guide T1-T4, G16), appended to T:
// stage 7 vpc-peering (the connection active, the source's VPC one of its sides, the
// destination inside the other side's VPC: no transitive routing and no edge-to-edge routing
// through the peer's gateways), then local delivery in the peer VPC (7), the ACL of the
// destination's subnet (8) and its security groups (9). Sets T.destination, or, for a NAT
// gateway's address in the peer VPC (a reply to its translation), T.nat_gateway; and
// T.partition to the peer's.
bool VpcPeeringHop(const model::Partition& p, const model::NetworkInterface& src, const model::Route& route,
                   const model::Flow& f, TraceResult& t, Tracking ct);

// The hop to the network interface a route targets (NetworkInterfaceId, or InstanceId: the
// instance's eth0), a NAT instance or a middlebox (guide §1.9, L2, S17), appended to T: stage 7
// network-interface, where the interface takes a packet that is not addressed to it only with
// its source/destination check off (F3), then the ACL of its subnet (8, when crossed) and its
// groups (9). Sets T.destination; what the instance does with the packet is its own business.
bool InterfaceTargetHop(const model::Partition& p, const model::NetworkInterface& src, const model::Route& route,
                        const model::Flow& f, TraceResult& t, Tracking ct);

// A reply that NAT gateway NAT_ID translated back to CLIENT (F as the client sees it): the ACL
// of the gateway's subnet outbound and of the client's inbound when they differ, then the
// client's security groups (9), with connection tracking.
TraceResult TraceNatReply(const model::Partition& p, const std::string& nat_id, const model::NetworkInterface& client,
                          const model::Flow& f, Tracking ct = {});

// Stage 7 for a route to an egress-only internet gateway (guide J1, J2; the route is active, so
// the gateway is attached): IPv6 only. With a connection table, the gateway remembers the flows
// instances start, so that their replies come back in and nothing else does, and refuses to
// carry the answers to flows the internet started through an internet gateway.
StageResult EgressOnlyGatewayEgress(const model::Route& route, const model::Flow& f, Tracking ct);

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
