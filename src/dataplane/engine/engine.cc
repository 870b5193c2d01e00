// The engine's ports, its handling of a frame (stages 1-10: the flow cache, the gateways'
// translations, the path's MTU) and Inject. The io_uring loop is in loop.cc, stage 2 (the
// router's own services) in local_service.cc, stages 3-9 in decide.cc.
#include "dataplane/engine/engine.h"


#include <fcntl.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>

#include "dataplane/engine/port.h"
#include "dataplane/engine/path_mtu.h"
#include "dataplane/pipeline.h"
#include "dataplane/services/local_services.h"
#include "dataplane/wire/packet6.h"
#include "dataplane/wire/geneve.h"
#include "dataplane/wire/proxy_protocol.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/translate.h"
#include "dataplane/wire/vxlan.h"

namespace openvpc::dataplane {


Engine::Engine(ModelSource& model) : model_(model) { wake_fd_ = eventfd(0, EFD_CLOEXEC); }

Engine::~Engine() {
  Stop();
  close(wake_fd_);
}

double Engine::Now() const {
  if (clock_) return clock_();
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void Engine::SetClockForTesting(std::function<double()> clock) {
  std::lock_guard lock(mu_);
  clock_ = std::move(clock);
}

void Engine::SetConnectionAllowanceForTesting(size_t allowance) {
  std::lock_guard lock(mu_);
  conntrack_.SetAllowance(allowance);
}

void Engine::ExpireIdle(double now) {
  if (now - last_expire_ < 1.0) return;
  last_expire_ = now;
  size_t appliance = std::erase_if(appliance_flows_, [&](const auto& e) { return now - e.second.last_seen > kApplianceFlowIdle; });
  if (conntrack_.Expire(now) + nat_.Expire(now) + lb_.Expire(now) + appliance > 0) ++ct_epoch_;  // cache entries may point at them
  fragments_.Expire(now);
}

uint64_t Engine::Generation() const {
  // Each counter only grows, so their sum changes whenever one of them does.
  return model_.Version() + port_epoch_ + ct_epoch_;
}

void Engine::AddPort(const PortSpec& spec) {
  auto port = std::make_unique<Port>();
  port->eni_id = spec.eni_id;
  port->account = spec.account;
  port->region = spec.region;
  port->fd = spec.fd;
  port->remote_host = spec.remote_host;
  model_.Read([&](const model::State& s) {
    if (const model::Partition* p = s.Find(spec.account, spec.region)) {
      auto it = p->network_interfaces.find(spec.eni_id);
      if (it == p->network_interfaces.end()) return;
      if (auto mac = ParseMac(it->second.mac_address)) port->mac = *mac;
      port->resolver = ResolverAddress(*p, it->second);
      port->vni = VniOf(it->second.vpc_id);
    }
  });
  if (port->fd >= 0) {
    // io_uring waits for a blocking device by polling it; O_NONBLOCK would end reads in EAGAIN.
    fcntl(port->fd, F_SETFL, fcntl(port->fd, F_GETFL) & ~O_NONBLOCK);
    port->buffers.reset(new uint8_t[size_t{kReadsPerPort} * kBufferSize]);
  }
  {
    std::lock_guard lock(mu_);
    if (by_eni_.count(spec.eni_id)) return;
    port->id = next_port_id_++;
    by_eni_[port->eni_id] = port.get();
    (port->remote_host ? remote_by_mac_ : local_by_mac_)[MacKey(port->mac)] = port.get();
    ports_[port->id] = std::move(port);
    ++port_epoch_;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

void Engine::RemovePort(const std::string& eni_id) {
  std::unique_lock lock(mu_);
  auto it = by_eni_.find(eni_id);
  if (it == by_eni_.end()) return;
  Port* port = it->second;
  const uint32_t id = port->id;
  by_eni_.erase(it);
  auto& by_mac = port->remote_host ? remote_by_mac_ : local_by_mac_;
  if (auto r = by_mac.find(MacKey(port->mac)); r != by_mac.end() && r->second == port) by_mac.erase(r);
  port->removing = true;
  ++port_epoch_;
  ClearFlows();  // entries point at the port
  if (!running_ || !port->armed) {
    ports_.erase(id);
    return;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  // The engine cancels the port's requests; its buffers and fd are free once they are done.
  removed_.wait(lock, [&] { return !ports_.count(id); });
}

void Engine::RemoveServicePort() { RemoveSpecialPort(kServicePortId, service_); }
void Engine::SetServicePort(const ServicePortSpec& spec) { SetSpecialPort(kServicePortId, "svc", spec, service_); }
void Engine::RemoveInternetPort() { RemoveSpecialPort(kInternetPortId, internet_); }
void Engine::SetInternetPort(const ServicePortSpec& spec) {
  SetSpecialPort(kInternetPortId, "internet", spec, internet_);
}

void Engine::RemoveSpecialPort(uint32_t id, Port*& slot) {
  std::unique_lock lock(mu_);
  if (!slot) return;
  slot->removing = true;
  if (auto r = remote_by_mac_.find(MacKey(slot->mac)); r != remote_by_mac_.end() && r->second == slot)
    remote_by_mac_.erase(r);
  const bool in_flight = running_ && slot->armed;
  slot = nullptr;
  ++port_epoch_;
  ClearFlows();  // entries point at the port
  if (!in_flight) {
    ports_.erase(id);
    return;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  removed_.wait(lock, [&] { return !ports_.count(id); });
}

void Engine::SetSpecialPort(uint32_t id, const char* name, const ServicePortSpec& spec, Port*& slot) {
  RemoveSpecialPort(id, slot);
  auto port = std::make_unique<Port>();
  port->id = id;
  port->eni_id = name;
  port->fd = spec.fd;
  port->mac = spec.mac;
  port->remote_host = spec.remote_host;
  if (port->fd >= 0) {
    fcntl(port->fd, F_SETFL, fcntl(port->fd, F_GETFL) & ~O_NONBLOCK);
    port->buffers.reset(new uint8_t[size_t{kReadsPerPort} * kBufferSize]);
  }
  {
    std::lock_guard lock(mu_);
    slot = port.get();
    if (port->remote_host) remote_by_mac_[MacKey(port->mac)] = port.get();
    ports_[id] = std::move(port);
    ++port_epoch_;
  }
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
}

std::optional<net::Ipv4> Engine::ServiceAlias(const std::string& eni_id) const {
  std::lock_guard lock(mu_);
  auto it = by_eni_.find(eni_id);
  if (it == by_eni_.end()) return std::nullopt;
  return net::Ipv4{kAliasBase + it->second->id};
}

std::optional<std::string> Engine::InterfaceOfAlias(net::Ipv4 alias) const {
  std::lock_guard lock(mu_);
  if (alias.value < kAliasBase) return std::nullopt;
  auto it = ports_.find(alias.value - kAliasBase);
  if (it == ports_.end() || it->second->id == kServicePortId || it->second->id == kInternetPortId ||
      it->second->removing)
    return std::nullopt;
  return it->second->eni_id;
}

void Engine::SetFlowLogSink(FlowLogSink sink) {
  std::lock_guard lock(mu_);
  ClearFlows();
  flow_log_ = std::move(sink);
}

void Engine::FlushFlowLog() {
  std::lock_guard lock(mu_);
  for (auto& [key, e] : flows_) EmitFlowLog(e);
}

void Engine::ClearFlows() {
  for (auto& [key, e] : flows_) EmitFlowLog(e);
  flows_.clear();
}

void Engine::EmitFlowLog(FlowEntry& e) {
  if (e.log && flow_log_) e.log->Emit(flow_log_);
}

void Engine::LogAt(FlowEntry& e, const std::string& eni_id, bool egress, const model::Flow& f, bool accepted) {
  if (e.log) e.log->LogAt(eni_id, egress, f, accepted);
}

EngineCounters Engine::Counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

size_t Engine::Connections() const {
  std::lock_guard lock(mu_);
  return conntrack_.size();
}

Port* Engine::Process(Port& in, uint8_t* buf, size_t len) {
  std::string what;
  out_shift_ = 0;
  try {
    return &in == service_ ? HandleServiceFrame(buf, len) : HandleFrame(in, buf, len);
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  ++counters_.internal_errors;
  ++counters_.dropped;
  if (logged_errors_.size() < 64 && logged_errors_.insert(what).second)
    fprintf(stderr, "openvpc: data plane: a frame from %s was dropped: %s (logged once)\n", in.eni_id.c_str(),
            what.c_str());
  return nullptr;
}

void Engine::Capture(Port* out, const uint8_t* buf, size_t len) {
  ++counters_.tx;
  capture_->emplace_back(out->eni_id, std::vector<uint8_t>(buf + kVnetHeaderSize, buf + len));
}

void Engine::SendFrame(Port* out, std::span<const uint8_t> frame) {
  if (!out) return;
  std::vector<uint8_t> buf(kVnetHeaderSize + frame.size());
  if (!frame.empty()) memcpy(buf.data() + kVnetHeaderSize, frame.data(), frame.size());
  if (capture_) return Capture(out, buf.data(), buf.size());
  if (out->remote_host) return SendUnderlay(*out, buf.data(), buf.size(), true);  // the router's own: decided
  ++counters_.tx;
  if (out->fd < 0 || write(out->fd, buf.data(), buf.size()) < 0) ++counters_.dropped;
}

Port* Engine::HandleFrame(Port& in, uint8_t* buf, size_t len) {
  ++counters_.rx;
  decided_ = false;
  if (len < kVnetHeaderSize + 14) {
    ++counters_.dropped;
    return nullptr;
  }
  VnetHeader vh;
  memcpy(&vh, buf, sizeof vh);
  std::span<uint8_t> frame(buf + kVnetHeaderSize, len - kVnetHeaderSize);
  ParsedFrame pf;
  if (!ParseFrame(frame, pf)) {  // stage 1
    ++counters_.dropped;
    return nullptr;
  }
  bool handled = false;
  Port* service = nullptr;
  if (&in == internet_) {  // the internet's hosts only ask for their gateway, which is the router
    const bool v6 = pf.ether_type == kEtherTypeIpv6;
    handled = !v6 && pf.ether_type != kEtherTypeIpv4;
    if (pf.ether_type == kEtherTypeArp && pf.arp_op == 1 && pf.arp_target != pf.arp_sender)
      SendFrame(&in, BuildArpReply(pf, kRouterMac));
    const bool nd = pf.protocol == 58 && pf.icmp_type >= kNdRouterSolicitation && pf.icmp_type <= 137;
    if (v6 && (IsMulticast6(pf.dst6) || IsLinkLocal6(pf.dst6) || nd)) {
      handled = true;
      const uint8_t* l4 = frame.data() + pf.l4;
      auto m = pf.icmp_type == kNdNeighborSolicitation && !pf.fragment
                   ? ParseNdMessage(pf.src6, pf.dst6, pf.ttl, {l4, 14 + size_t{pf.ip_total_length} - pf.l4})
                   : std::nullopt;
      if (m && !IsUnspecified6(pf.src6))
        SendFrame(&in, BuildNeighborAdvertisement(kRouterMac, m->source_link_layer.value_or(pf.src_mac), m->target,
                                                  pf.src6, m->target, kRouterMac, true));
    }
  } else {
    service = LocalService(in, vh, frame, pf, handled);  // stage 2
  }
  if (handled) {
    ++counters_.local_service;
    return service;
  }
  const bool v6 = pf.ether_type == kEtherTypeIpv6;
  if (!v6 && pf.ether_type != kEtherTypeIpv4) {
    ++counters_.dropped;
    return nullptr;
  }
  // Geneve from an appliance to a Gateway Load Balancer's node: the packet inside goes on.
  if (!v6 && pf.protocol == 17 && pf.dst_port == kGenevePort && !pf.fragment && GeneveFromAppliance(in, frame, pf))
    return nullptr;
  FlowEntry* entry = FlowOf(in, pf);
  if (!entry) {
    ++counters_.dropped;
    return nullptr;
  }
  FlowEntry& e = *entry;
  if (pf.protocol == 6 && (pf.tcp_flags & (kTcpFin | kTcpRst))) {  // the connection is closing
    if (e.nat) e.nat->closing = true;
    if (e.lb) {
      e.lb->closing = true;
      e.lb->reset = e.lb->reset || (pf.tcp_flags & kTcpRst);
    }
    for (Connection* c : {e.ct_src, e.ct_dst})
      if (c) (pf.tcp_flags & kTcpRst ? c->rst : c->fin) = true;
  }
  if (e.log) e.log->Count(len - kVnetHeaderSize - 14, Now());  // IP bytes, as flow logs count them
  if (!e.out) {
    if (e.reset && !pf.fragment) {
      SendFrame(&in, BuildTcpReset(frame, pf));
      e.generation = 0;  // decided again next time: a SYN of the same addresses and ports opens a new one
    }
    if (e.allowance_exceeded) {
      ++counters_.conntrack_allowance_exceeded;
      e.generation = 0;  // decided again next time: a connection may have ended meanwhile
    }
    ++counters_.dropped;
    return nullptr;
  }
  // To another host: the frame as it came. That host's engine decides it again as arriving from
  // this interface (the same model, the same verdict), translates and delivers it, and tracks
  // its connection for the replies. Only what a NAT gateway translated here leaves decided
  // (its port is this host's choice): translated, for delivery as it is.
  // A load balancer target's reply is translated on the target's host, likewise. A flow to an
  // appliance on another host goes there as it came: that host sends it in Geneve and keeps
  // its cookie for what the appliance returns.
  decided_ = e.out->remote_host && (e.nat || e.lb_direction < 0 || e.translated_here);
  if (e.out->remote_host && !decided_) return e.out;
  // Toward the internet and into another Region, paths are 1,500 bytes (MTU-2, MTU-3), through
  // a Gateway Load Balancer 8,500: a larger packet that may not be fragmented goes back as ICMP
  // (MTU-4). GSO frames are segments of their gso_size already (or are segmented for a GWLB).
  const uint16_t mtu = e.out == internet_ ? kInternetMtu : e.mtu;
  const bool too_big = mtu && vh.gso_type == 0 && pf.ip_total_length > mtu;
  const bool through_endpoint = e.lb && e.lb->private_link;  // an interface endpoint's connection
  if (too_big && (through_endpoint || pf.ether_type == kEtherTypeIpv6 || DontFragment(frame, pf))) {
    if (!through_endpoint) PathTooSmall(in, frame, pf, mtu);  // an endpoint says nothing
    ++counters_.dropped;
    return nullptr;
  }
  // a connection through an interface endpoint agrees on segments that fit its MTU.
  if (through_endpoint && (pf.tcp_flags & kTcpSyn))
    ClampTcpMss(frame, pf, static_cast<uint16_t>(mtu - (pf.ether_type == kEtherTypeIpv6 ? 60 : 40)), vh);
  // A dualstack load balancer's connection between families: the packet gets a header of the
  // other family with both addresses, in place (the frame then starts elsewhere in its buffer:
  // out_shift_), then goes on as any other.
  if ((e.dnat && net::IsIpv4Mapped(*e.dnat) == v6) || (e.snat && net::IsIpv4Mapped(*e.snat) == v6)) {
    auto moved = e.snat && e.dnat ? TranslateIpFamilyInPlace({buf - kHeadroom, kHeadroom + len},
                                                             kHeadroom + kVnetHeaderSize, pf, *e.snat, *e.dnat, vh)
                                  : std::nullopt;
    if (!moved || !ParseFrame(*moved, pf)) {  // not TCP or UDP, a fragment: nothing a load balancer carries
      ++counters_.dropped;
      return nullptr;
    }
    out_shift_ = moved->data() - frame.data();
    frame = *moved;
    memcpy(frame.data() - kVnetHeaderSize, &vh, sizeof vh);  // what follows writes it again where it changes
  } else {
    // The gateways' address translation (also before a Gateway Load Balancer's tunnel: what the
    // internet gateway translated travels to the appliance translated), then stage 10.
    auto rewrite = [&](bool source, const net::Ipv6& to) {
      if (v6) RewriteIpv6Address(frame, pf, source, to, vh);
      else RewriteIpv4Address(frame, pf, source, net::MappedIpv4(to), vh);
    };
    if (e.snat) rewrite(true, *e.snat);
    if (e.dnat) rewrite(false, *e.dnat);
  }
  if (e.sport) RewritePort(frame, pf, true, *e.sport, vh);
  if (e.dport) RewritePort(frame, pf, false, *e.dport, vh);
  if (e.appliance) {  // through a Gateway Load Balancer endpoint: in Geneve to the appliance
    ToAppliance(e, frame, pf, vh, too_big ? mtu : 0);
    return nullptr;
  }
  memcpy(frame.data(), e.out->mac.data(), 6);
  memcpy(frame.data() + 6, kRouterMac.data(), 6);
  if (e.lb && !e.lb->proxy_header.empty() && pf.protocol == 6 && !pf.fragment) ProxyProtocol(*e.lb, e, frame, pf, vh);
  if (too_big) {  // fragmented here, its checksum complete first: fragments carry no offload
    CompleteChecksum(vh, frame);
    for (const auto& piece : FragmentIpv4(frame.first(14 + size_t{pf.ip_total_length}), pf, mtu))
      SendFrame(e.out, piece);
    return nullptr;
  }
  return e.out;
}

void Engine::ToAppliance(const FlowEntry& e, std::span<uint8_t> frame, const ParsedFrame& pf, VnetHeader& vh,
                         uint16_t fragment_at) {
  ApplianceFlow& a = *e.appliance;
  a.last_seen = Now();
  auto send = [&](std::span<const uint8_t> f, const ParsedFrame& p) {
    const size_t end = std::min(f.size(), 14 + size_t{p.ip_total_length});
    if (end <= 14) return;
    SendFrame(e.out, BuildGeneveFrame(e.out->mac, kRouterMac, a.node_ip, a.appliance_ip, a.sport,
                                      {.endpoint_id = a.endpoint_id, .flow_cookie = a.cookie}, f.subspan(14, end - 14)));
  };
  std::vector<std::vector<uint8_t>> pieces;
  if ((vh.gso_type & 0x7f) == kGsoTcpv4 || (vh.gso_type & 0x7f) == kGsoTcpv6) {
    // The tunnel carries one inner packet per datagram: segmented here, within the GWLB's MTU.
    const size_t headers = pf.l4 - pf.l3 + (pf.l4 + 13 < frame.size() ? static_cast<size_t>(frame[pf.l4 + 12] >> 4) * 4 : 20);
    const size_t room = kGatewayLoadBalancerMtu > headers ? kGatewayLoadBalancerMtu - headers : 0;
    pieces = SegmentTcp(frame, pf, static_cast<uint16_t>(std::min<size_t>(vh.gso_size, room)));
  } else if (vh.gso_type != 0) {
    ++counters_.dropped;  // UDP GSO: not yet (TAP devices here take no USO)
    return;
  } else {
    CompleteChecksum(vh, frame);  // the inner packet travels with its checksum complete
    if (!fragment_at) {
      send(frame, pf);
      return;
    }
    pieces = FragmentIpv4(frame.first(std::min(frame.size(), 14 + size_t{pf.ip_total_length})), pf, fragment_at);
  }
  if (pieces.empty()) ++counters_.dropped;
  for (const auto& piece : pieces) {
    ParsedFrame ppf;
    if (ParseFrame(piece, ppf)) send(piece, ppf);
  }
}

bool Engine::GeneveFromAppliance(Port& in, std::span<const uint8_t> frame, const ParsedFrame& pf) {
  // The flow the cookie names, when this packet comes from the appliance it was sent to and goes
  // to the node that sent it (no model lookup on this path: it is every returned packet's).
  const size_t end = std::min(frame.size(), 14 + size_t{pf.ip_total_length});
  std::optional<GeneveInfo> g;
  ApplianceFlow* a = nullptr;
  if (pf.l4 + 8 < end) g = ParseGeneve(frame.subspan(pf.l4 + 8, end - pf.l4 - 8));
  if (g && g->has_cookie)
    if (auto it = appliance_flows_.find(g->aws.flow_cookie);
        it != appliance_flows_.end() && it->second.endpoint_id == g->aws.endpoint_id && it->second.node_ip == pf.dst &&
        it->second.appliance_ip == pf.src && it->second.appliance_eni == in.eni_id)
      a = &it->second;
  bool to_node = a != nullptr;
  Port* out = nullptr;
  std::vector<uint8_t> inner_frame;
  const double now = Now();
  model_.Read([&](const model::State& s) {
    if (!a) {  // none of ours: a Gateway Load Balancer's node takes nothing else (dropped), others pass
      const model::Partition* p = s.Find(in.account, in.region);
      const std::string dst = pf.dst.ToString();
      if (p)
        for (const auto& [arn, l] : p->load_balancers)
          if (l.type == "gateway")
            for (const auto& n : l.nodes) to_node = to_node || n.private_ip == dst;
      return;
    }
    a->last_seen = now;
    const model::Partition* ep = s.Find(a->account, a->region);
    if (!ep) return;
    auto endpoint = ep->network_interfaces.find(a->endpoint_eni);
    if (endpoint == ep->network_interfaces.end()) return;
    const auto inner = frame.subspan(pf.l4 + 8 + g->header_length, end - pf.l4 - 8 - g->header_length);
    inner_frame.assign(14, 0);
    memcpy(inner_frame.data() + 6, kRouterMac.data(), 6);
    inner_frame[12] = static_cast<uint8_t>(g->protocol_type >> 8);
    inner_frame[13] = static_cast<uint8_t>(g->protocol_type);
    inner_frame.insert(inner_frame.end(), inner.begin(), inner.end());
    ParsedFrame ipf;
    if (!ParseFrame(inner_frame, ipf) || (ipf.ether_type != kEtherTypeIpv4 && ipf.ether_type != kEtherTypeIpv6)) return;
    // On from the endpoint, by its subnet's route table (GLB-14, GLB-15).
    TraceResult t = Trace(*ep, endpoint->second, PacketFlow(ipf), {.table = &conntrack_, .now = now, .state = &s});
    if (!t.allowed || t.appliance || !t.load_balancer.empty() || !t.nat_gateway.empty()) return;  // no loops
    if (t.to_internet) {
      if (t.translated_src) RewriteIpv4Address(inner_frame, ipf, true, *t.translated_src, VnetHeader{});
      out = internet_;
    } else if (t.destination) {
      auto d = by_eni_.find(t.destination->id);
      if (d != by_eni_.end()) out = d->second;
    }
  });
  if (!to_node) return false;
  if (out) {
    memcpy(inner_frame.data(), out->mac.data(), 6);
    SendFrame(out, inner_frame);
  } else {
    ++counters_.dropped;
  }
  return true;
}

void Engine::ProxyProtocol(LbBinding& b, const FlowEntry& e, std::span<uint8_t> frame, const ParsedFrame& pf,
                           const VnetHeader& vh) {
  const auto hlen = static_cast<uint32_t>(b.proxy_header.size());
  if (e.lb_direction > 0) {
    if (pf.tcp_flags & kTcpSyn) {  // the client's initial sequence number: the header follows it
      b.isn = TcpSequence(frame, pf);
      b.isn_known = true;
      return;
    }
    if (!b.isn_known) return;
    // The client's first bytes (or their retransmission): the header's own segment goes first.
    if (TcpSequence(frame, pf) == b.isn + 1 && TcpPayloadLength(frame, pf) > 0)
      if (auto segment = BuildTcpSegmentLike(frame, pf, b.proxy_header); !segment.empty()) SendFrame(e.out, segment);
    ShiftTcpNumbers(frame, pf, hlen, 0, 0, vh);
  } else if (b.isn_known) {
    ShiftTcpNumbers(frame, pf, 0, 0u - hlen, b.isn + 1, vh);
  }
}

void Engine::PathTooSmall(Port& in, std::span<const uint8_t> frame, const ParsedFrame& pf, uint16_t mtu) {
  const bool v6 = pf.ether_type == kEtherTypeIpv6;
  std::optional<std::vector<uint8_t>> icmp;
  WithInterface(in, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
    model::Flow f{.protocol = v6 ? 58 : 1, .ipv6 = v6, .icmp_type = v6 ? 2 : 3, .icmp_code = v6 ? 0 : 4};
    if (v6) {
      f.src6 = RouterLinkLocal();
      f.dst6 = pf.src6;
    } else {
      auto router = RouterAddress(part, eni);  // the first hop, as tracepath shows it (MTU-6)
      if (!router) return;                     // no IPv4 on an IPv6-only subnet
      f.src = *router;
      f.dst = pf.src;
    }
    if (!SecurityGroupsIngress(part, eni, f).allowed) return;  // A38: only where a rule admits it
    icmp = v6 ? BuildPacketTooBig(frame, pf, f.src6, kRouterMac, mtu)
              : BuildFragmentationNeeded(frame, pf, f.src, kRouterMac, mtu);
  });
  if (icmp) SendFrame(&in, *icmp);
}

FlowEntry* Engine::FlowOf(Port& in, const ParsedFrame& pf) {
  const bool v6 = pf.ether_type == kEtherTypeIpv6;
  FlowKey key{.port = in.id, .src = v6 ? pf.src6 : net::Ipv4Mapped(pf.src), .dst = v6 ? pf.dst6 : net::Ipv4Mapped(pf.dst),
              .sport = pf.src_port, .dport = pf.dst_port, .proto = pf.protocol};
  const bool icmp = (pf.protocol == 1 || pf.protocol == 58) && pf.icmp_type >= 0;
  if (icmp) key.dport = static_cast<uint16_t>(pf.icmp_type << 8 | pf.icmp_code);  // rules tell ICMP types apart
  const DatagramKey datagram{.port = in.id, .src = key.src, .dst = key.dst, .protocol = key.proto,
                             .id = pf.fragment_id};
  const uint64_t gen = Generation();
  if (pf.fragment) {  // no ports to read: its datagram's first fragment decided where it goes
    auto first = fragments_.Find(datagram, Now());
    if (!first) return nullptr;
    key.sport = first->sport;
    key.dport = first->dport;
    key.first_fragment = true;
    auto it = flows_.find(key);
    if (it == flows_.end() || it->second.generation != gen) return nullptr;
    return &it->second;
  }
  key.first_fragment = pf.first_fragment;
  if (flows_.size() >= kMaxFlows) ClearFlows();
  FlowEntry& e = flows_[key];
  if (e.generation != gen) {
    ++counters_.flow_misses;
    EmitFlowLog(e);
    e = {};
    if (flow_log_) e.log = std::make_unique<FlowAccounting>();
    const uint64_t refused = conntrack_.refused();
    e.out = &in == internet_ ? DecideFromInternet(pf, e) : Decide(in, pf, e);  // stages 3-9
    e.generation = gen;
    if (conntrack_.refused() != refused) {  // allowed, but its connection could not be tracked
      e.out = nullptr;
      e.allowance_exceeded = true;
    }
    if (e.out) {
      // The connection this flow opened lets its replies through: forget a drop cached for them.
      // It is keyed by what the packets leave with, after any translation.
      const uint16_t sport = e.sport.value_or(key.sport), dport = e.dport.value_or(key.dport);
      FlowKey reverse{.port = e.out->id, .src = e.dnat.value_or(key.dst), .dst = e.snat.value_or(key.src),
                      .sport = dport, .dport = sport,
                      .proto = key.proto};
      if (icmp) {  // echo -> echo reply; the identifier is one field, whichever side translated it
        reverse.sport = e.sport ? *e.sport : e.dport ? *e.dport : key.sport;
        reverse.dport = pf.icmp_type == 8 ? 0 : pf.icmp_type == 128 ? 129 << 8 : key.dport;
      }
      if (!(reverse == key)) flows_.erase(reverse);
    }
  } else {
    double now = Now();
    if (e.ct_src) e.ct_src->last_seen = now;
    if (e.ct_dst) e.ct_dst->last_seen = now;
    if (e.nat) e.nat->last_seen = now;
    if (e.lb) e.lb->last_seen = now;
  }
  if (pf.first_fragment) fragments_.Remember(datagram, key.sport, key.dport, Now());
  return &e;
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> Engine::Inject(const std::string& eni_id,
                                                                         std::span<const uint8_t> frame) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> sent;
  std::vector<uint8_t> buf(kHeadroom + kVnetHeaderSize + frame.size());  // as the loop reads it: after its headroom
  if (!frame.empty()) memcpy(buf.data() + kHeadroom + kVnetHeaderSize, frame.data(), frame.size());
  std::lock_guard lock(mu_);
  Port* in = eni_id == "svc" ? service_ : eni_id == "internet" ? internet_ : nullptr;
  if (auto it = by_eni_.find(eni_id); it != by_eni_.end()) in = it->second;
  if (!in) return sent;
  capture_ = &sent;
  ExpireIdle(Now());
  Port* out = Process(*in, buf.data() + kHeadroom, buf.size() - kHeadroom);
  const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(kHeadroom) + out_shift_;
  if (out) Capture(out, buf.data() + at, static_cast<size_t>(static_cast<std::ptrdiff_t>(buf.size()) - at));
  capture_ = nullptr;
  return sent;
}

}  // namespace openvpc::dataplane
