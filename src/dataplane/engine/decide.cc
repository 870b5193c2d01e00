// Stages 3-9 for a new flow, as the engine runs them: the pipeline's verdict (pipeline.h), then
// where the frame goes and what the gateways translate on its way (FlowEntry), with the
// engine's connection tracking and NAT tables.
#include "dataplane/engine/engine.h"
#include "dataplane/engine/port.h"
#include "dataplane/services/local_services.h"
#include "dataplane/engine/path_mtu.h"
#include "dataplane/pipeline.h"
#include "dataplane/wire/geneve.h"
#include "dataplane/wire/proxy_protocol.h"
#include "model/target_group.h"
#include "model/address.h"

namespace openvpc::dataplane {

namespace {

std::optional<net::Ipv6> Mapped(const std::optional<net::Ipv4>& a) {
  if (!a) return std::nullopt;
  return net::Ipv4Mapped(*a);
}

}  // namespace

Port* Engine::Decide(Port& in, const ParsedFrame& pf, FlowEntry& entry) {
  Port* out = nullptr;
  const double now = Now();
  model_.Read([&](const model::State& s) {
    const model::Partition* p = s.Find(in.account, in.region);
    if (!p) return;
    auto it = p->network_interfaces.find(in.eni_id);
    if (it == p->network_interfaces.end()) return;
    const model::Partition& part = *p;
    const model::NetworkInterface& eni = it->second;
    const model::Flow f = PacketFlow(pf);
    if (pf.protocol == 6 || pf.protocol == 17)  // a load balancer target's reply
      if (LbBinding* b = lb_.Reply(pf.protocol, f.Src(), pf.src_port, f.Dst(), pf.dst_port)) {
        out = LoadBalancerReply(s, part, eni, *b, pf, entry);
        return;
      }
    // NAT gateways run on the gateway host: a host without them passes no table (nothing is
    // translated here) and sends what goes through one there (below).
    NatTable* nat = RunsNatGateways() ? &nat_ : nullptr;
    TraceResult t = Trace(part, eni, f, {.table = &conntrack_, .now = now, .state = &s, .nat = nat, .lb = &lb_});
    if (t.partition && t.partition->region != part.region) entry.mtu = kInterRegionPeeringMtu;
    // As the destination sees the flow: from the NAT gateway's address and port when one
    // translated it on the way (into a peer VPC).
    model::Flow arrived = f;
    if (t.nat_binding && t.translated_src) {
      arrived.src = *t.translated_src;
      arrived.src_port = t.nat_binding->nat_port;
      if (f.protocol == 1) arrived.dst_port = t.nat_binding->nat_port;  // the echo identifier
    }
    // Flow logs: the source accepted what passed its own stages (3-5), the destination the rest.
    const bool left = t.stages.size() >= 3 && t.stages[0].allowed && t.stages[1].allowed && t.stages[2].allowed;
    LogAt(entry, in.eni_id, true, f, left);
    if (t.destination) LogAt(entry, t.destination->id, false, arrived, t.allowed);
    if (!t.allowed) {
      entry.reset = t.reset;  // K9: the NAT gateway forgot the connection after 350 s idle
      return;
    }
    entry.ct_src = conntrack_.Find(in.eni_id, f, true, now);
    if (t.appliance && t.destination) {  // through a Gateway Load Balancer endpoint: in Geneve to the appliance
      out = ToApplianceFlow(t, f, entry);
      return;
    }
    if (!t.load_balancer.empty()) {  // through a load balancer's node to a target
      out = ToTarget(t, f, in.eni_id, entry);
      return;
    }
    if (t.nat_binding) {  // through a NAT gateway: its address and a port of its own (K6, K8)
      entry.snat = Mapped(t.translated_src);
      entry.sport = t.nat_binding->nat_port;
      entry.nat = t.nat_binding;
      if (!t.destination) {  // to the internet
        out = internet_;
        return;
      }
      auto d = by_eni_.find(t.destination->id);  // into a peer VPC
      if (d == by_eni_.end()) return;
      out = d->second;
      entry.ct_dst = conntrack_.Find(out->eni_id, arrived, false, now);
      return;
    }
    if (!nat && !t.nat_gateway.empty()) {  // through a NAT gateway, or to its address: to the gateway host
      out = internet_;
      return;
    }
    if (t.services_network) {  // through a gateway endpoint: from the interface's alias (on the gateway host)
      out = internet_;
      if (!nat) return;  // as it came: the gateway host decides it again with its alias
      entry.snat = net::Ipv4Mapped(net::Ipv4{kAliasBase + in.id});
      entry.translated_here = true;
      return;
    }
    if (!t.nat_gateway.empty()) {  // to a NAT gateway's own address: only a reply to a translation goes on (K12)
      out = NatReply(t.partition ? *t.partition : part, t.nat_gateway, pf, f, entry);
      return;
    }
    if (t.to_internet) {  // with the internet gateway's translation; an egress-only gateway remembers the flow (J2)
      out = internet_;
      entry.snat = Mapped(t.translated_src);
      entry.ct_dst = conntrack_.Find(t.exit_target, f, true, now);
      return;
    }
    if (!t.destination) return;  // a gateway this data plane does not forward yet
    auto d = by_eni_.find(t.destination->id);
    if (d == by_eni_.end()) return;  // the destination's instance is not running
    out = d->second;
    entry.ct_dst = conntrack_.Find(out->eni_id, f, false, now);
  });
  return out;
}

Port* Engine::DecideFromInternet(const ParsedFrame& pf, FlowEntry& entry) {
  Port* out = nullptr;
  const double now = Now();
  const bool v6 = pf.ether_type == kEtherTypeIpv6;
  model_.Read([&](const model::State& s) {
    model::Flow f = PacketFlow(pf);
    if (!v6 && pf.dst.value >= kAliasBase && pf.dst.value < kAliasBase + (1u << 22)) {
      out = FromServicesNetwork(s, pf, f, entry);  // to an interface's alias: a gateway endpoint's reply
      return;
    }
    const std::string dst = pf.dst.ToString();
    for (const auto& [key, part] : s.partitions) {  // public addresses are unique across partitions
      if (v6) {  // IPv6 addresses are public themselves (I4)
        TraceResult t = TraceFromInternet(part, f, {.table = &conntrack_, .now = now, .lb = &lb_});
        if (!t.load_balancer.empty()) {  // a dualstack internet-facing load balancer's node: on to a target
          if (t.allowed) out = ToTarget(t, f, "", entry);
          return;
        }
        if (t.allowed && t.appliance && t.destination) {  // the gateway's route table: a GWLB endpoint (S17)
          out = ToApplianceFlow(t, f, entry);
          return;
        }
        if (!t.destination) continue;
        LogAt(entry, t.destination->id, false, f, t.allowed);
        auto d = by_eni_.find(t.destination->id);
        if (!t.allowed || d == by_eni_.end()) return;
        out = d->second;
        entry.ct_dst = conntrack_.Find(out->eni_id, f, false, now);
        return;
      }
      if (!model::PublicIpv4HolderOf(part, dst)) continue;
      TraceResult t = TraceFromInternet(part, f, {.table = &conntrack_, .now = now, .lb = &lb_});
      if (!t.load_balancer.empty()) {  // an internet-facing load balancer's node: on to a target
        if (t.allowed) out = ToTarget(t, f, "", entry);
        return;
      }
      if (t.allowed && !t.nat_gateway.empty()) {  // a reply to a NAT gateway's connection, or nothing
        out = NatReply(part, t.nat_gateway, pf, f, entry);
        return;
      }
      if (t.allowed && t.appliance && t.destination && t.translated_dst) {
        // The gateway's route table sent it to a Gateway Load Balancer endpoint (S17, GLB-15):
        // translated to the private address first, then in Geneve to the appliance.
        model::Flow inside = f;
        inside.dst = *t.translated_dst;
        entry.dnat = Mapped(t.translated_dst);
        out = ToApplianceFlow(t, inside, entry);
        return;
      }
      if (t.destination && t.translated_dst) {
        model::Flow seen = f;
        seen.dst = *t.translated_dst;
        LogAt(entry, t.destination->id, false, seen, t.allowed);
      }
      if (!t.allowed || !t.destination || !t.translated_dst) return;
      auto d = by_eni_.find(t.destination->id);
      if (d == by_eni_.end()) return;  // its instance is not running
      out = d->second;
      entry.dnat = Mapped(t.translated_dst);
      f.dst = *t.translated_dst;
      entry.ct_dst = conntrack_.Find(out->eni_id, f, false, now);
      return;
    }
  });
  return out;
}

Port* Engine::FromServicesNetwork(const model::State& s, const ParsedFrame& pf, model::Flow f, FlowEntry& entry) {
  auto port = ports_.find(pf.dst.value - kAliasBase);
  if (port == ports_.end() || port->second->eni_id.empty() || port->second->removing) return nullptr;
  Port* d = port->second.get();
  const model::Partition* p = s.Find(d->account, d->region);
  if (!p) return nullptr;
  auto eni = p->network_interfaces.find(d->eni_id);
  if (eni == p->network_interfaces.end()) return nullptr;
  auto ip = net::ParseIpv4(eni->second.PrimaryIp());
  if (!ip) return nullptr;
  f.dst = *ip;
  const TraceResult t = TraceFromServicesNetwork(*p, eni->second, f, {.table = &conntrack_, .now = Now(), .state = &s});
  LogAt(entry, d->eni_id, false, f, t.allowed);
  if (!t.allowed) return nullptr;
  entry.dnat = net::Ipv4Mapped(*ip);
  entry.translated_here = true;
  entry.ct_dst = conntrack_.Find(d->eni_id, f, false, Now());
  return d;
}

Port* Engine::ToApplianceFlow(const TraceResult& t, const model::Flow& f, FlowEntry& entry) {
  auto d = by_eni_.find(t.destination->id);
  if (d == by_eni_.end()) return nullptr;
  const uint32_t cookie = static_cast<uint32_t>(model::FlowHash(f.protocol, f.SrcText(), f.src_port, f.DstText(),
                                                                f.dst_port) ^
                                                GeneveEndpointId(t.appliance->endpoint_id));
  ApplianceFlow& a = appliance_flows_[cookie];
  a = {.endpoint_eni = t.appliance->endpoint_eni, .account = t.appliance->account, .region = t.appliance->region,
       .appliance_eni = t.destination->id,
       .endpoint_id = GeneveEndpointId(t.appliance->endpoint_id), .node_ip = t.appliance->node_ip,
       .appliance_ip = t.appliance->appliance_ip, .sport = t.appliance->sport, .cookie = cookie, .last_seen = Now()};
  entry.appliance = &a;
  entry.mtu = kGatewayLoadBalancerMtu;
  return d->second;
}

Port* Engine::ToTarget(const TraceResult& t, const model::Flow& f, const std::string& client_eni, FlowEntry& entry) {
  if (!t.destination || !t.lb_target || !t.translated_dport || !t.lb_node) return nullptr;
  auto d = by_eni_.find(t.destination->id);
  if (d == by_eni_.end()) return nullptr;  // the target's instance is not running here
  LbBinding b;
  b.load_balancer = t.load_balancer;
  b.node_eni = t.lb_node->id;
  b.client_eni = client_eni;
  b.node_ip = f.Dst();  // as the client addressed it: a node's private address, its public one, or its IPv6 one
  b.listener_port = static_cast<uint16_t>(f.dst_port);
  b.client = f.Src();
  b.client_port = static_cast<uint16_t>(f.src_port);
  if (t.private_link) {  // through an interface endpoint: the node's own connection, from a port of its
    b.private_link = t.private_link;
    b.private_link->client_eni = client_eni;
    b.client_eni.clear();
    b.node_ip = b.client = t.private_link->node;
    b.client_port = t.private_link->node_port;
  }
  b.target = *t.lb_target;
  b.target_port = *t.translated_dport;
  b.seen_src = t.lb_seen_src.value_or(b.client);
  b.seen_port = b.client_port;
  b.protocol = static_cast<uint8_t>(f.protocol);
  b.last_seen = Now();
  if (t.proxy_protocol)  // the client as it connected; through an endpoint, the consumer's side and the endpoint (SVC-08)
    b.proxy_header = b.private_link ? ProxyProtocolV2Header(f.Src(), static_cast<uint16_t>(f.src_port), f.Dst(),
                                                            static_cast<uint16_t>(f.dst_port), b.private_link->endpoint_id)
                                    : ProxyProtocolV2Header(b.client, b.client_port, b.node_ip, b.listener_port);
  // Decided again (the model moved): the connection it is keeps its state (the proxy header's
  // place in the stream).
  LbBinding* known = lb_.Find(b.protocol, b.client, b.client_port, b.node_ip, b.listener_port);
  const bool same = known && known->target == b.target && known->target_port == b.target_port &&
                    known->seen_src == b.seen_src && known->proxy_header.empty() == b.proxy_header.empty();
  entry.lb = same ? known : &lb_.Bind(b);
  entry.lb->last_seen = b.last_seen;
  entry.lb_direction = 1;
  entry.dnat = b.target;
  entry.dport = b.target_port;
  // The source changes with the node's address, and whenever the family does (both are set then).
  if (t.lb_seen_src || net::IsIpv4Mapped(b.target) != !f.ipv6) entry.snat = b.seen_src;
  if (b.private_link) {
    entry.sport = b.seen_port;
    entry.mtu = kInterfaceEndpointMtu;  // Q-07 … Q-09
  }
  model::Flow arrived = f;
  arrived.SetAddresses(b.seen_src, b.target);
  arrived.src_port = b.seen_port;
  arrived.dst_port = b.target_port;
  entry.ct_dst = conntrack_.Find(d->second->eni_id, arrived, false, Now());
  return d->second;
}

Port* Engine::LoadBalancerReply(const model::State& s, const model::Partition& part,
                                const model::NetworkInterface& target, LbBinding& b,
                                const ParsedFrame& pf, FlowEntry& entry) {
  const double now = Now();
  b.last_seen = now;
  entry.lb = &b;
  entry.lb_direction = -1;
  const model::Flow sent = PacketFlow(pf);
  model::Flow back = sent;  // as the client sees it: from the node's address and listener port
  back.SetAddresses(b.node_ip, b.client);
  back.src_port = b.listener_port;
  back.dst_port = b.client_port;
  if (b.private_link) {  // to the consumer, from the endpoint's address and listener port
    const PrivateLinkLeg& leg = *b.private_link;
    back.SetAddresses(leg.endpoint_ip, leg.client);
    back.src_port = leg.listener_port;
    back.dst_port = leg.client_port;
    if (!TracePrivateLinkReply(part, b, target, sent, back, {.table = &conntrack_, .now = now, .state = &s}).allowed)
      return nullptr;
    auto d = by_eni_.find(leg.client_eni);
    if (d == by_eni_.end()) return nullptr;
    entry.snat = leg.endpoint_ip;
    entry.sport = leg.listener_port;
    entry.dnat = leg.client;
    entry.dport = leg.client_port;
    entry.mtu = kInterfaceEndpointMtu;  // Q-07 … Q-09, both ways
    LogAt(entry, leg.client_eni, false, back, true);
    entry.ct_dst = conntrack_.Find(d->second->eni_id, back, false, now);
    return d->second;
  }
  TraceResult t = TraceLoadBalancerReply(part, b, target, sent, back, {&conntrack_, now});
  if (!t.allowed) return nullptr;
  entry.snat = b.node_ip;
  entry.sport = b.listener_port;
  // The destination changes back to the client where the target saw another address (the
  // node's), and whenever the family does (both are set then).
  if (!(b.seen_src == b.client) || sent.ipv6 != back.ipv6) entry.dnat = b.client;
  if (b.client_eni.empty()) return internet_;
  auto d = by_eni_.find(b.client_eni);
  if (d == by_eni_.end()) return nullptr;
  LogAt(entry, b.client_eni, false, back, true);
  entry.ct_dst = conntrack_.Find(d->second->eni_id, back, false, now);
  return d->second;
}

Port* Engine::NatReply(const model::Partition& part, const std::string& nat_id,
                               const ParsedFrame& pf, const model::Flow& f, FlowEntry& entry) {
  if (pf.protocol == 1 && pf.icmp_type != 0) return nullptr;  // of ICMP, only echo replies (K11, K12)
  const double now = Now();
  const uint16_t sport = pf.protocol == 1 ? 0 : pf.src_port;
  NatBinding* b = nat_.Inbound(nat_id, pf.protocol, pf.src, sport, pf.dst_port, now);
  if (!b) return nullptr;
  auto client = part.network_interfaces.find(b->eni_id);
  auto d = by_eni_.find(b->eni_id);
  if (client == part.network_interfaces.end() || d == by_eni_.end()) return nullptr;
  model::Flow back = f;
  back.dst = b->client;
  back.dst_port = b->client_port;
  if (pf.protocol == 1) back.src_port = b->client_port;  // the echo id is both "ports"
  const bool allowed = TraceNatReply(part, nat_id, client->second, back, {&conntrack_, now}).allowed;
  LogAt(entry, b->eni_id, false, back, allowed);
  if (!allowed) return nullptr;
  entry.dnat = net::Ipv4Mapped(b->client);
  entry.dport = b->client_port;
  entry.nat = b;
  entry.ct_dst = conntrack_.Find(d->second->eni_id, back, false, now);
  return d->second;
}

}  // namespace openvpc::dataplane
