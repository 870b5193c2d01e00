// The hop through a NAT gateway for a route to it (guide K5, K6, K8-K12, K15, K18): stage 7
// nat-gateway (available; what it translates: model::NatGatewayRefusal), the ACL of its subnet
// inbound when the packet comes from another subnet (a NAT gateway has no security groups),
// then the gateway sends it on from its private address and a port of its own: its subnet's ACL
// outbound (5) and route table (6), then the hop of that route, which may be the internet
// gateway, which stands in with a public gateway's Elastic IP (a private gateway has none:
// dropped), or a VPC peering connection into the peer VPC (the translation to the gateway's
// private address is what a private NAT gateway is for). The replies' way back is
// TraceNatReply (pipeline.h), also here.
#include "dataplane/hops/hop.h"
#include "dataplane/wire/packet.h"
#include "dataplane/stages.h"
#include "model/nat_gateway.h"
#include "model/route_target.h"

namespace openvpc::dataplane {

namespace {

bool Forward(const HopInput& in, TraceResult& t) {
  const model::Partition& p = in.p;
  const model::Flow& f = in.f;
  StageResult r{.stage = 7, .name = "nat-gateway", .component = in.route.target_id};
  auto it = p.nat_gateways.find(in.route.target_id);
  auto eni = it == p.nat_gateways.end() ? p.network_interfaces.end()
                                        : p.network_interfaces.find(it->second.network_interface_id);
  if (eni == p.network_interfaces.end() ||
      model::NatGatewayState(it->second, model::NatGatewayNow()) != "available") {
    r.allowed = false;
    r.explanation_code = "BAD_STATE";
    return Append(t, std::move(r));
  }
  const model::NatGateway& g = it->second;
  const model::NetworkInterface& nat = eni->second;
  if (auto refusal = model::NatGatewayRefusal(f)) {  // K5, K10, K18
    r.allowed = false;
    r.explanation_code = "NAT_GATEWAY_PROTOCOL_RESTRICTION";  // openvpc's name for K5/K10/K18
    r.note = *refusal;
    return Append(t, std::move(r));
  }
  r.rule = f.src.ToString() + " -> " + g.private_ip;
  if (!Append(t, std::move(r))) return false;
  if (nat.subnet_id != in.src.subnet_id && !Append(t, SubnetAclInbound(p, nat.subnet_id, f))) return false;
  model::Flow out = f;
  out.src = net::ParseIpv4(g.private_ip).value();
  t.nat_gateway = g.id;
  if (!Append(t, SubnetAclOutbound(p, nat.subnet_id, out))) return false;
  const model::Route* next = nullptr;
  if (!Append(t, RouteLookup(p, nat, out, &next, in.ct.state))) return false;
  // On to the internet or into a peer VPC; a transit gateway, a virtual private gateway, … not yet.
  const model::RouteTargetKind* kind = model::RouteTargetKindOf(*next);
  const std::string next_hop = kind ? kind->hop : "";
  const Hop* hop = next_hop == "internet-gateway" || next_hop == "vpc-peering" ? FindHop(next_hop) : nullptr;
  if (!hop) {
    t.stages.back().allowed = false;
    t.stages.back().note = "target " + next->target_id + ": not yet forwarded by this data plane";
    t.stages.back().explanation_code = "NO_ROUTE_TO_DESTINATION";
    return false;
  }
  const bool to_internet = next_hop == "internet-gateway";
  if (to_internet) {
    if (!hop->forward({p, nat, *next, out, in.ct}, t)) {
      if (g.connectivity_type != "public")
        t.stages.back().note = "the internet gateway drops what a private NAT gateway sends: it has no public address";
      return false;
    }
  } else {
    t.translated_src = out.src;  // on through the peering connection from the gateway's private address
  }
  if (Tracking ct = in.ct; ct.nat) {  // the gateway's port for the connection (K6, K8)
    StageResult port{.stage = 7, .name = "nat-gateway", .allowed = false, .component = g.id};
    const uint16_t dport = f.protocol == 1 ? 0 : static_cast<uint16_t>(f.dst_port);
    const auto client_port = static_cast<uint16_t>(f.src_port);  // ICMP echo: the identifier
    if (f.protocol == 6 && f.tcp_flags >= 0 && !(f.tcp_flags & kTcpSyn) &&
        ct.nat->Expired(g.id, 6, f.src, client_port, f.dst, dport)) {
      port.note = "the connection was idle for 350 s and is forgotten: the gateway answers with a reset";
      t.reset = true;  // K9
      return Append(t, std::move(port));
    }
    NatBinding* b = ct.nat->Outbound(g.id, static_cast<uint8_t>(f.protocol), f.src, client_port, f.dst, dport,
                                     in.src.id, ct.now);
    if (!b) {
      port.note = "no port left toward " + f.dst.ToString() + ":" + std::to_string(dport) + " (ErrorPortAllocation)";
      return Append(t, std::move(port));  // K8
    }
    t.nat_binding = b;
    out.src_port = b->nat_port;
    if (f.protocol == 1) out.dst_port = b->nat_port;  // the echo identifier stands for both ports
  }
  if (!to_internet) {
    if (!hop->forward({p, nat, *next, out, in.ct}, t)) return false;
    if (!t.destination) {  // another NAT gateway's address: it answers nothing it did not ask for (K11)
      const std::string other = t.nat_gateway;
      t.nat_gateway = g.id;
      t.allowed = false;
      return Append(t, {.stage = 7, .name = "nat-gateway", .allowed = false, .component = other,
                        .explanation_code = "NO_ROUTE_TO_DESTINATION",
                        .note = "a NAT gateway lets in only the replies to connections made through it"});
    }
  }
  return true;
}

}  // namespace

Hop NatGatewayHop() { return {.forward = Forward}; }

TraceResult TraceNatReply(const model::Partition& p, const std::string& nat_id, const model::NetworkInterface& client,
                          const model::Flow& f, Tracking ct) {
  TraceResult t;
  auto g = p.nat_gateways.find(nat_id);
  auto eni = g == p.nat_gateways.end() ? p.network_interfaces.end()
                                       : p.network_interfaces.find(g->second.network_interface_id);
  if (eni == p.network_interfaces.end()) {
    Append(t, {.stage = 7, .name = "nat-gateway", .allowed = false, .component = nat_id, .explanation_code = "BAD_STATE"});
    return t;
  }
  Append(t, {.stage = 7, .name = "nat-gateway", .component = nat_id, .rule = g->second.private_ip + " -> " + f.DstText()});
  const std::string& nat_subnet = eni->second.subnet_id;
  if (nat_subnet != client.subnet_id) {
    if (!Append(t, SubnetAclOutbound(p, nat_subnet, f))) return t;
    if (!Append(t, SubnetAclInbound(p, client.subnet_id, f))) return t;
  }
  if (!Append(t, SecurityGroupsIngress(p, client, f, ct))) return t;
  t.allowed = true;
  t.destination = &client;
  OpenConnection(p, client, f, false, t.stages.back(), ct);
  return t;
}

}  // namespace openvpc::dataplane
