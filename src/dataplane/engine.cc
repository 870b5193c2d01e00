#include "dataplane/engine.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "dataplane/local_services.h"
#include "dataplane/pipeline.h"

namespace openvpc::dataplane {

namespace {

constexpr uint32_t kWakeToken = 0, kServiceToken = 0xffffffff;
constexpr uint32_t kAliasBase = 0x64400000;  // 100.64.0.0/10: one address per port at the metadata service
constexpr size_t kBatch = 64;                // frames read from one device per wake-up
constexpr size_t kMaxFlows = 1 << 20;        // the flow cache starts over beyond this
constexpr size_t kBufferSize = 65536 + 256;  // a GSO frame of 64 KiB, its vnet and Ethernet headers

uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

}  // namespace

struct Engine::Port {
  uint32_t id = 0;
  std::string eni_id, account, region;
  int fd = -1;
  MacAddress mac{};
  net::Ipv4 metadata_client;  // the address the instance last used toward the metadata service
};

size_t Engine::FlowKeyHash::operator()(const FlowKey& k) const {
  uint64_t a = uint64_t{k.src} << 32 | k.dst;
  uint64_t b = uint64_t{k.port} << 40 | uint64_t{k.sport} << 24 | uint64_t{k.dport} << 8 | k.proto;
  a ^= b * 0x9e3779b97f4a7c15ULL;
  a ^= a >> 29;
  return static_cast<size_t>(a * 0xbf58476d1ce4e5b9ULL);
}

Engine::Engine(ModelSource& model) : model_(model) {
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  epoll_event ev{.events = EPOLLIN, .data = {.u32 = kWakeToken}};
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

Engine::~Engine() {
  Stop();
  close(epoll_fd_);
  close(wake_fd_);
}

void Engine::Start() {
  if (running_.exchange(true)) return;
  thread_ = std::thread([this] { Loop(); });
}

void Engine::Stop() {
  if (!running_.exchange(false)) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  thread_.join();
}

double Engine::Now() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
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
  model_.Read([&](const model::State& s) {
    if (const model::Partition* p = s.Find(spec.account, spec.region)) {
      auto it = p->network_interfaces.find(spec.eni_id);
      if (it != p->network_interfaces.end())
        if (auto mac = ParseMac(it->second.mac_address)) port->mac = *mac;
    }
  });
  std::lock_guard lock(mu_);
  if (by_eni_.count(spec.eni_id)) return;
  port->id = next_port_id_++;
  if (port->fd >= 0) {
    epoll_event ev{.events = EPOLLIN, .data = {.u32 = port->id}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, port->fd, &ev);
  }
  by_eni_[port->eni_id] = port.get();
  ports_[port->id] = std::move(port);
  ++port_epoch_;
}

void Engine::RemovePort(const std::string& eni_id) {
  std::lock_guard lock(mu_);
  auto it = by_eni_.find(eni_id);
  if (it == by_eni_.end()) return;
  Port* port = it->second;
  if (port->fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, port->fd, nullptr);
  by_eni_.erase(it);
  ++port_epoch_;
  flows_.clear();  // entries point at the port
  ports_.erase(port->id);
}

void Engine::SetServicePort(const ServicePortSpec& spec) {
  std::lock_guard lock(mu_);
  if (service_.fd >= 0) epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, service_.fd, nullptr);
  service_ = spec;
  if (service_.fd >= 0) {
    epoll_event ev{.events = EPOLLIN, .data = {.u32 = kServiceToken}};
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, service_.fd, &ev);
  }
}

std::optional<net::Ipv4> Engine::ServiceAlias(const std::string& eni_id) const {
  std::lock_guard lock(mu_);
  auto it = by_eni_.find(eni_id);
  if (it == by_eni_.end()) return std::nullopt;
  return net::Ipv4{kAliasBase + it->second->id};
}

std::optional<std::string> Engine::InterfaceOfAlias(net::Ipv4 alias) const {
  std::lock_guard lock(mu_);
  auto it = ports_.find(alias.value - kAliasBase);
  if (alias.value < kAliasBase || it == ports_.end()) return std::nullopt;
  return it->second->eni_id;
}

EngineCounters Engine::Counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

size_t Engine::Connections() const {
  std::lock_guard lock(mu_);
  return conntrack_.size();
}

void Engine::Loop() {
  static thread_local std::vector<uint8_t> buffer(kBufferSize);
  epoll_event events[64];
  while (running_) {
    int n = epoll_wait(epoll_fd_, events, 64, 100);
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      uint32_t token = events[i].data.u32;
      if (token == kWakeToken) {
        uint64_t v;
        [[maybe_unused]] ssize_t r = read(wake_fd_, &v, sizeof v);
        continue;
      }
      int fd = -1;
      Port* port = nullptr;
      if (token == kServiceToken) {
        fd = service_.fd;
      } else {
        auto it = ports_.find(token);
        if (it == ports_.end()) continue;
        port = it->second.get();
        fd = port->fd;
      }
      for (size_t k = 0; k < kBatch && fd >= 0; ++k) {
        ssize_t len = read(fd, buffer.data(), buffer.size());
        if (len <= 0) break;
        if (port) HandleFrame(*port, buffer.data(), static_cast<size_t>(len));
        else HandleServiceFrame(buffer.data(), static_cast<size_t>(len));
      }
    }
    double now = Now();
    if (now - last_expire_ >= 1.0) {
      last_expire_ = now;
      if (conntrack_.Expire(now) > 0) ++ct_epoch_;  // cache entries may point at them
    }
  }
}

void Engine::Send(Port* out, const uint8_t* buf, size_t len) {
  ++counters_.tx;
  if (capture_) {
    capture_->emplace_back(out ? out->eni_id : "svc", std::vector<uint8_t>(buf + kVnetHeaderSize, buf + len));
    return;
  }
  int fd = out ? out->fd : service_.fd;
  if (fd < 0 || write(fd, buf, len) < 0) ++counters_.dropped;
}

void Engine::SendFrame(Port* out, std::span<const uint8_t> frame) {
  std::vector<uint8_t> buf(kVnetHeaderSize + frame.size());
  memcpy(buf.data() + kVnetHeaderSize, frame.data(), frame.size());
  Send(out, buf.data(), buf.size());
}

void Engine::HandleFrame(Port& in, uint8_t* buf, size_t len) {
  ++counters_.rx;
  if (len < kVnetHeaderSize + 14) {
    ++counters_.dropped;
    return;
  }
  VnetHeader vh;
  memcpy(&vh, buf, sizeof vh);
  std::span<uint8_t> frame(buf + kVnetHeaderSize, len - kVnetHeaderSize);
  ParsedFrame pf;
  if (!ParseFrame(frame, pf)) {  // stage 1
    ++counters_.dropped;
    return;
  }
  if (LocalService(in, vh, frame, pf)) {  // stage 2
    ++counters_.local_service;
    return;
  }
  if (pf.ether_type != kEtherTypeIpv4) {  // IPv6 forwarding comes with the gateways issue
    ++counters_.dropped;
    return;
  }
  FlowKey key{.port = in.id, .src = pf.src.value, .dst = pf.dst.value, .sport = pf.src_port, .dport = pf.dst_port,
              .proto = pf.protocol};
  const bool icmp = pf.protocol == 1 && pf.icmp_type >= 0;
  if (icmp) key.dport = static_cast<uint16_t>(pf.icmp_type << 8 | pf.icmp_code);  // rules tell ICMP types apart
  if (flows_.size() >= kMaxFlows) flows_.clear();
  FlowEntry& e = flows_[key];
  const uint64_t gen = Generation();
  if (e.generation != gen) {
    ++counters_.flow_misses;
    e = {};
    e.out = Decide(in, pf, e);  // stages 3-9
    e.generation = gen;
    if (e.out) {
      // The connection this flow opened lets its replies through: forget a drop cached for them.
      FlowKey reverse{.port = e.out->id, .src = key.dst, .dst = key.src, .sport = key.dport, .dport = key.sport,
                      .proto = key.proto};
      if (icmp) reverse.sport = key.sport, reverse.dport = pf.icmp_type == 8 ? 0 : key.dport;  // echo -> echo reply
      if (!(reverse == key)) flows_.erase(reverse);
    }
  } else {
    double now = Now();
    if (e.ct_src) e.ct_src->last_seen = now;
    if (e.ct_dst) e.ct_dst->last_seen = now;
  }
  if (!e.out) {
    ++counters_.dropped;
    return;
  }
  // Stage 10: the router hands the frame to the destination interface.
  memcpy(frame.data(), e.out->mac.data(), 6);
  memcpy(frame.data() + 6, kRouterMac.data(), 6);
  Send(e.out, buf, len);
}

Engine::Port* Engine::Decide(Port& in, const ParsedFrame& pf, FlowEntry& entry) {
  Port* out = nullptr;
  const double now = Now();
  model_.Read([&](const model::State& s) {
    const model::Partition* p = s.Find(in.account, in.region);
    if (!p) return;
    auto it = p->network_interfaces.find(in.eni_id);
    if (it == p->network_interfaces.end()) return;
    model::Flow f{.protocol = pf.protocol, .src = pf.src, .dst = pf.dst, .src_port = pf.src_port,
                  .dst_port = pf.dst_port, .icmp_type = pf.icmp_type, .icmp_code = pf.icmp_code};
    TraceResult t = Trace(*p, it->second, pf.dst, f, {&conntrack_, now});
    if (!t.allowed || !t.destination) return;  // a gateway target: the gateways issue forwards it
    auto d = by_eni_.find(t.destination->id);
    if (d == by_eni_.end()) return;  // the destination's instance is not running
    out = d->second;
    entry.ct_src = conntrack_.Find(in.eni_id, f, true, now);
    entry.ct_dst = conntrack_.Find(out->eni_id, f, false, now);
  });
  return out;
}

bool Engine::LocalService(Port& in, const VnetHeader& vh, std::span<uint8_t> frame, const ParsedFrame& pf) {
  if (pf.ether_type == kEtherTypeArp) {
    if (pf.arp_op != 1) return true;  // replies and announcements end here
    std::optional<MacAddress> mac;
    model_.Read([&](const model::State& s) {
      const model::Partition* p = s.Find(in.account, in.region);
      if (!p) return;
      auto it = p->network_interfaces.find(in.eni_id);
      if (it != p->network_interfaces.end()) mac = ArpAnswer(*p, it->second, pf.arp_target);
    });
    if (mac) SendFrame(&in, BuildArpReply(pf, *mac));
    return true;
  }
  if (pf.ether_type != kEtherTypeIpv4 || pf.fragment) return false;
  const bool link_local = (pf.dst.value >> 16) == 0xa9fe;  // 169.254.0.0/16 (O3)
  const uint8_t* l4 = frame.data() + pf.l4;
  const size_t l4_len = 14 + size_t{pf.ip_total_length} - pf.l4;
  if (pf.protocol == 17 && pf.dst_port == 67 && pf.src_port == 68) {  // DHCP (Q5)
    std::optional<std::vector<uint8_t>> reply;
    model_.Read([&](const model::State& s) {
      const model::Partition* p = s.Find(in.account, in.region);
      if (!p) return;
      auto it = p->network_interfaces.find(in.eni_id);
      if (it == p->network_interfaces.end()) return;
      DhcpLease lease = LeaseFor(*p, it->second);
      if (auto r = DhcpReply({l4 + 8, Get16(l4 + 4) >= 8 ? std::min<size_t>(Get16(l4 + 4), l4_len) - 8 : 0}, lease))
        reply = BuildUdpFrame(kRouterMac, pf.src_mac, lease.router, net::Ipv4{0xffffffff}, 67, 68, *r);
    });
    if (reply) SendFrame(&in, *reply);
    return true;
  }
  if (pf.protocol == 17 && pf.dst_port == 53) {  // the Amazon resolver (R1)
    bool handled = false;
    std::optional<std::vector<uint8_t>> reply;
    model_.Read([&](const model::State& s) {
      const model::Partition* p = s.Find(in.account, in.region);
      if (!p) return;
      auto it = p->network_interfaces.find(in.eni_id);
      if (it == p->network_interfaces.end()) return;
      if (pf.dst != kResolverLinkLocal && pf.dst != ResolverAddress(*p, it->second)) return;
      handled = true;
      auto q = ParseDnsQuery({l4 + 8, l4_len >= 8 ? l4_len - 8 : 0});
      if (!q) return;
      if (auto answer = Resolve(*p, it->second, *q))
        reply = BuildUdpFrame(kRouterMac, pf.src_mac, pf.dst, pf.src, 53, pf.src_port, BuildDnsResponse(*q, *answer));
    });
    if (reply) SendFrame(&in, *reply);
    if (handled) return true;
  }
  if (pf.dst == kMetadataAddress && pf.protocol == 6 && pf.dst_port == 80) {  // instance metadata
    if (service_.fd < 0 && !capture_) return true;
    VnetHeader out_vh = vh;
    in.metadata_client = pf.src;
    RewriteIpv4Address(frame, pf, true, net::Ipv4{kAliasBase + in.id}, out_vh);
    memcpy(frame.data(), service_.mac.data(), 6);
    memcpy(frame.data() + 6, kRouterMac.data(), 6);
    uint8_t* buf = frame.data() - kVnetHeaderSize;
    memcpy(buf, &out_vh, sizeof out_vh);
    Send(nullptr, buf, frame.size() + kVnetHeaderSize);
    return true;
  }
  return link_local;  // other link-local addresses: nothing answers, nothing is forwarded
}

void Engine::HandleServiceFrame(uint8_t* buf, size_t len) {
  if (len < kVnetHeaderSize + 14) return;
  VnetHeader vh;
  memcpy(&vh, buf, sizeof vh);
  std::span<uint8_t> frame(buf + kVnetHeaderSize, len - kVnetHeaderSize);
  ParsedFrame pf;
  if (!ParseFrame(frame, pf)) return;
  if (pf.ether_type == kEtherTypeArp) {
    if (pf.arp_op == 1) SendFrame(nullptr, BuildArpReply(pf, kRouterMac));  // every alias is behind the router
    return;
  }
  if (pf.ether_type != kEtherTypeIpv4 || pf.src != kMetadataAddress) return;
  auto it = ports_.find(pf.dst.value - kAliasBase);
  if (pf.dst.value < kAliasBase || it == ports_.end()) return;
  Port& port = *it->second;
  RewriteIpv4Address(frame, pf, false, port.metadata_client, vh);
  memcpy(frame.data(), port.mac.data(), 6);
  memcpy(frame.data() + 6, kRouterMac.data(), 6);
  Send(&port, buf, len);
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> Engine::Inject(const std::string& eni_id,
                                                                         std::span<const uint8_t> frame) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> sent;
  std::vector<uint8_t> buf(kVnetHeaderSize + frame.size());
  memcpy(buf.data() + kVnetHeaderSize, frame.data(), frame.size());
  std::lock_guard lock(mu_);
  auto it = by_eni_.find(eni_id);
  if (it == by_eni_.end()) return sent;
  capture_ = &sent;
  HandleFrame(*it->second, buf.data(), buf.size());
  capture_ = nullptr;
  return sent;
}

}  // namespace openvpc::dataplane
