#include "dataplane/engine.h"

#include <fcntl.h>
#include <liburing.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

#include "dataplane/engine_port.h"
#include "dataplane/local_services.h"
#include "dataplane/packet6.h"
#include "dataplane/path_mtu.h"
#include "dataplane/pipeline.h"
#include "model/address.h"

namespace openvpc::dataplane {

namespace {

constexpr unsigned kRingEntries = 4096;

// What a completion was for: the operation, the port whose buffer or device it used, the
// buffer, and for a forward the destination port.
enum Op : uint64_t { kRead = 1, kWrite = 2, kWake = 3, kCancel = 4 };
uint64_t Tag(Op op, uint32_t port, uint16_t buffer, uint32_t out = 0) {
  return uint64_t{op} << 60 | uint64_t{buffer} << 44 | uint64_t{port & 0xfffff} << 24 | (out & 0xffffff);
}
Op TagOp(uint64_t t) { return static_cast<Op>(t >> 60); }
uint16_t TagBuffer(uint64_t t) { return static_cast<uint16_t>((t >> 44) & 0xffff); }
uint32_t TagPort(uint64_t t) {
  uint32_t p = static_cast<uint32_t>((t >> 24) & 0xfffff);
  return p == 0xfffff ? kServicePortId : p;
}
uint32_t TagOut(uint64_t t) {
  uint32_t p = static_cast<uint32_t>(t & 0xffffff);
  return p == 0xffffff ? kServicePortId : p;
}


uint16_t Get16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }

}  // namespace


size_t Engine::FlowKeyHash::operator()(const FlowKey& k) const {
  uint64_t w[4];
  memcpy(w, k.src.bytes.data(), 16);
  memcpy(w + 2, k.dst.bytes.data(), 16);
  uint64_t a = w[0] ^ w[1] * 0xff51afd7ed558ccdULL ^ w[2] * 0xc4ceb9fe1a85ec53ULL ^ w[3];
  uint64_t b = uint64_t{k.first_fragment} << 63 | uint64_t{k.port} << 40 | uint64_t{k.sport} << 24 |
               uint64_t{k.dport} << 8 | k.proto;
  a ^= b * 0x9e3779b97f4a7c15ULL;
  a ^= a >> 29;
  return static_cast<size_t>(a * 0xbf58476d1ce4e5b9ULL);
}

Engine::Engine(ModelSource& model) : model_(model) { wake_fd_ = eventfd(0, EFD_CLOEXEC); }

Engine::~Engine() {
  Stop();
  close(wake_fd_);
}

void Engine::Start() {
  if (running_) return;
  ring_ = std::make_unique<io_uring>();
  if (int rc = io_uring_queue_init(kRingEntries, ring_.get(), 0); rc < 0) {
    ring_.reset();
    throw std::runtime_error(std::string("io_uring: ") + strerror(-rc));
  }
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void Engine::Stop() {
  if (!running_.exchange(false)) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  thread_.join();
  io_uring_queue_exit(ring_.get());  // cancels what is still in flight
  ring_.reset();
  std::lock_guard lock(mu_);
  for (auto it = ports_.begin(); it != ports_.end();) {
    it->second->armed = false;
    it->second->in_flight = 0;
    if (it->second->removing) it = ports_.erase(it);
    else ++it;
  }
  removed_.notify_all();
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
  if (conntrack_.Expire(now) + nat_.Expire(now) > 0) ++ct_epoch_;  // cache entries may point at them
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
  model_.Read([&](const model::State& s) {
    if (const model::Partition* p = s.Find(spec.account, spec.region)) {
      auto it = p->network_interfaces.find(spec.eni_id);
      if (it == p->network_interfaces.end()) return;
      if (auto mac = ParseMac(it->second.mac_address)) port->mac = *mac;
      port->resolver = ResolverAddress(*p, it->second);
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
  if (port->fd >= 0) {
    fcntl(port->fd, F_SETFL, fcntl(port->fd, F_GETFL) & ~O_NONBLOCK);
    port->buffers.reset(new uint8_t[size_t{kReadsPerPort} * kBufferSize]);
  }
  {
    std::lock_guard lock(mu_);
    slot = port.get();
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
  if (!e.log || !flow_log_ || e.log->packets == 0) return;
  for (int i = 0; i < e.log->interfaces; ++i) {
    FlowLogRecord r = e.log->at[i];
    r.packets = e.log->packets;
    r.bytes = e.log->bytes;
    r.start = e.log->start;
    r.end = e.log->end;
    flow_log_(r);
  }
  e.log->packets = e.log->bytes = 0;
}

void Engine::LogAt(FlowEntry& e, const std::string& eni_id, bool egress, const model::Flow& f, bool accepted) {
  if (!e.log || e.log->interfaces == 2) return;
  e.log->at[e.log->interfaces++] = {.eni_id = eni_id, .egress = egress, .flow = f, .accepted = accepted};
}

EngineCounters Engine::Counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

size_t Engine::Connections() const {
  std::lock_guard lock(mu_);
  return conntrack_.size();
}

// ---- the loop: io_uring completions in, batched submissions out ----

namespace {

io_uring_sqe* GetSqe(io_uring* ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  while (!sqe) {  // the submission queue is full: hand it to the kernel and go on
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  return sqe;
}

}  // namespace

void Engine::Arm(Port& port, uint16_t buffer) {
  io_uring_sqe* sqe = GetSqe(ring_.get());
  io_uring_prep_read(sqe, port.fd, port.Buffer(buffer), kBufferSize, 0);
  io_uring_sqe_set_data64(sqe, Tag(kRead, port.id, buffer));
  ++port.in_flight;
}

void Engine::Forward(Port& in, uint16_t buffer, Port& out, size_t len) {
  io_uring_sqe* sqe = GetSqe(ring_.get());
  io_uring_prep_write(sqe, out.fd, in.Buffer(buffer), static_cast<unsigned>(len), 0);
  io_uring_sqe_set_data64(sqe, Tag(kWrite, in.id, buffer, out.id));
  ++in.in_flight;
  ++out.in_flight;
}

void Engine::Control() {
  // New ports get their reads; ports on their way out get their requests cancelled, and are
  // freed once nothing is in flight on them.
  bool freed = false;
  for (auto it = ports_.begin(); it != ports_.end();) {
    Port& port = *it->second;
    if (port.removing) {
      if (port.in_flight == 0) {
        it = ports_.erase(it);
        freed = true;
        continue;
      }
      if (!port.cancelled) {
        io_uring_sqe* sqe = GetSqe(ring_.get());
        io_uring_prep_cancel_fd(sqe, port.fd, IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, Tag(kCancel, 0, 0));
        port.cancelled = true;
      }
    } else if (!port.armed && port.fd >= 0) {
      for (uint16_t b = 0; b < kReadsPerPort; ++b) Arm(port, b);
      port.armed = true;
    }
    ++it;
  }
  if (freed) removed_.notify_all();
}

void Engine::Complete(uint64_t tag, int res) {
  switch (TagOp(tag)) {
    case kWake: {
      io_uring_sqe* sqe = GetSqe(ring_.get());
      io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
      io_uring_sqe_set_data64(sqe, Tag(kWake, 0, 0));
      return;
    }
    case kCancel:
      return;
    case kRead: {
      auto it = ports_.find(TagPort(tag));
      if (it == ports_.end()) return;
      Port& in = *it->second;
      --in.in_flight;
      const uint16_t b = TagBuffer(tag);
      if (in.removing) return;
      if (res <= 0) {
        if (res == -ECANCELED || res == -EBADF || res == -EIO) return;  // the device is going away
        Arm(in, b);
        return;
      }
      Port* out = Process(in, in.Buffer(b), static_cast<size_t>(res));
      if (out && !out->removing && out->fd >= 0) Forward(in, b, *out, static_cast<size_t>(res));
      else Arm(in, b);
      return;
    }
    case kWrite: {
      auto in = ports_.find(TagPort(tag));
      auto out = ports_.find(TagOut(tag));
      if (out != ports_.end()) --out->second->in_flight;
      if (res < 0) ++counters_.dropped;
      else ++counters_.tx;
      if (in == ports_.end()) return;
      --in->second->in_flight;
      if (!in->second->removing) Arm(*in->second, TagBuffer(tag));  // the buffer can take the next frame
      return;
    }
  }
}

void Engine::Loop() {
  io_uring* ring = ring_.get();
  {
    io_uring_sqe* sqe = GetSqe(ring);
    io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, Tag(kWake, 0, 0));
  }
  while (running_) {
    try {
      LoopOnce(ring);
    } catch (const std::exception& e) {
      // The barrier of the engine's thread: log, and go on forwarding.
      std::lock_guard lock(mu_);
      ++counters_.internal_errors;
      if (logged_errors_.size() < 64 && logged_errors_.insert(e.what()).second)
        fprintf(stderr, "openvpc: data plane: internal error (logged once): %s\n", e.what());
    }
  }
}

void Engine::LoopOnce(io_uring* ring) {
  {
    std::lock_guard lock(mu_);
    Control();
  }
  __kernel_timespec timeout{.tv_sec = 0, .tv_nsec = 100'000'000};
  io_uring_cqe* cqe = nullptr;
  // One system call hands the kernel every read and write queued since the last one and
  // waits for the next completions.
  int rc = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &timeout, nullptr);
  if (rc < 0 && rc != -ETIME && rc != -EINTR) return;
  std::lock_guard lock(mu_);
  // The completions are taken off the ring before they are handled, so that one whose handling
  // throws is not seen again.
  completions_.clear();
  unsigned head;
  io_uring_for_each_cqe(ring, head, cqe) completions_.emplace_back(io_uring_cqe_get_data64(cqe), cqe->res);
  io_uring_cq_advance(ring, static_cast<unsigned>(completions_.size()));
  for (const auto& [tag, res] : completions_) Complete(tag, res);
  const double now = Now();
  ExpireIdle(now);
  // Hosts drop the default route when the router lifetime (1800 s) runs out; RFC 4861 §6.2.1
  // advises advertising at least three times per lifetime.
  if (now - last_advertised_ >= 200) {
    last_advertised_ = now;
    AdvertiseRouter();
  }
}

Engine::Port* Engine::Process(Port& in, uint8_t* buf, size_t len) {
  std::string what;
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
  ++counters_.tx;
  if (out->fd < 0 || write(out->fd, buf.data(), buf.size()) < 0) ++counters_.dropped;
}

Engine::Port* Engine::HandleFrame(Port& in, uint8_t* buf, size_t len) {
  ++counters_.rx;
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
  FlowEntry* entry = FlowOf(in, pf);
  if (!entry) {
    ++counters_.dropped;
    return nullptr;
  }
  FlowEntry& e = *entry;
  if (pf.protocol == 6 && (pf.tcp_flags & (kTcpFin | kTcpRst))) {  // the connection is closing
    if (e.nat) e.nat->closing = true;
    for (Connection* c : {e.ct_src, e.ct_dst})
      if (c) (pf.tcp_flags & kTcpRst ? c->rst : c->fin) = true;
  }
  if (e.log) {
    const double now = Now();
    if (e.log->packets++ == 0) e.log->start = now;
    e.log->bytes += len - kVnetHeaderSize - 14;  // IP bytes, as flow logs count them
    e.log->end = now;
  }
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
  // Toward the internet and into another Region, paths are 1,500 bytes (MTU-2, MTU-3): a larger
  // packet that may not be fragmented goes back as ICMP (MTU-4). GSO frames are segments of their
  // gso_size already.
  const uint16_t mtu = e.out == internet_ ? kInternetMtu : e.mtu;
  const bool too_big = mtu && vh.gso_type == 0 && pf.ip_total_length > mtu;
  if (too_big && (pf.ether_type == kEtherTypeIpv6 || DontFragment(frame, pf))) {
    PathTooSmall(in, frame, pf, mtu);
    ++counters_.dropped;
    return nullptr;
  }
  // The gateways' address translation, then stage 10: the router hands the frame on.
  if (e.snat) RewriteIpv4Address(frame, pf, true, *e.snat, vh);
  if (e.dnat) RewriteIpv4Address(frame, pf, false, *e.dnat, vh);
  if (e.sport) RewritePort(frame, pf, true, *e.sport, vh);
  if (e.dport) RewritePort(frame, pf, false, *e.dport, vh);
  memcpy(frame.data(), e.out->mac.data(), 6);
  memcpy(frame.data() + 6, kRouterMac.data(), 6);
  if (too_big) {  // fragmented here, its checksum complete first: fragments carry no offload
    CompleteChecksum(vh, frame);
    for (const auto& piece : FragmentIpv4(frame.first(14 + size_t{pf.ip_total_length}), pf, mtu))
      SendFrame(e.out, piece);
    return nullptr;
  }
  return e.out;
}

void Engine::PathTooSmall(Port& in, std::span<const uint8_t> frame, const ParsedFrame& pf, uint16_t mtu) {
  const bool v6 = pf.ether_type == kEtherTypeIpv6;
  std::optional<std::vector<uint8_t>> icmp;
  WithInterface(in, [&](const model::Partition& part, const model::NetworkInterface& eni) {
    model::Flow f{.protocol = v6 ? 58 : 1, .ipv6 = v6, .icmp_type = v6 ? 2 : 3, .icmp_code = v6 ? 0 : 4};
    if (v6) {
      f.src6 = RouterLinkLocal();
      f.dst6 = pf.src6;
    } else {
      f.src = RouterAddress(part, eni);  // the first hop, as tracepath shows it (MTU-6)
      f.dst = pf.src;
    }
    if (!SecurityGroupsIngress(part, eni, f).allowed) return;  // A38: only where a rule admits it
    icmp = v6 ? BuildPacketTooBig(frame, pf, f.src6, kRouterMac, mtu)
              : BuildFragmentationNeeded(frame, pf, f.src, kRouterMac, mtu);
  });
  if (icmp) SendFrame(&in, *icmp);
}

Engine::FlowEntry* Engine::FlowOf(Port& in, const ParsedFrame& pf) {
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
      FlowKey reverse{.port = e.out->id, .src = e.dnat ? net::Ipv4Mapped(*e.dnat) : key.dst,
                      .dst = e.snat ? net::Ipv4Mapped(*e.snat) : key.src, .sport = dport, .dport = sport,
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
  }
  if (pf.first_fragment) fragments_.Remember(datagram, key.sport, key.dport, Now());
  return &e;
}

void Engine::WithInterface(const Port& in,
                           const std::function<void(const model::Partition&, const model::NetworkInterface&)>& fn) {
  model_.Read([&](const model::State& s) {
    const model::Partition* p = s.Find(in.account, in.region);
    if (!p) return;
    auto it = p->network_interfaces.find(in.eni_id);
    if (it != p->network_interfaces.end()) fn(*p, it->second);
  });
}

Engine::Port* Engine::LocalService(Port& in, const VnetHeader& vh, std::span<uint8_t> frame, const ParsedFrame& pf,
                                   bool& handled) {
  handled = true;
  if (pf.ether_type == kEtherTypeArp) {
    if (pf.arp_op != 1) return nullptr;  // replies and announcements end here
    std::optional<MacAddress> mac;
    WithInterface(in, [&](const model::Partition& part, const model::NetworkInterface& eni) {
      mac = ArpAnswer(part, eni, pf.arp_target);
    });
    if (mac) SendFrame(&in, BuildArpReply(pf, *mac));
    return nullptr;
  }
  handled = false;
  if (pf.ether_type == kEtherTypeIpv6) {
    LocalService6(in, frame, pf, handled);
    return nullptr;
  }
  if (pf.ether_type != kEtherTypeIpv4 || pf.fragment) return nullptr;
  const LocalServiceKind kind = LocalServiceOf(PacketFlow(pf), in.resolver);  // the same test as trace's
  const uint8_t* l4 = frame.data() + pf.l4;
  const size_t l4_len = 14 + size_t{pf.ip_total_length} - pf.l4;
  if (kind == LocalServiceKind::kDhcp) {  // DHCP (Q5)
    std::optional<std::vector<uint8_t>> reply;
    WithInterface(in, [&](const model::Partition& part, const model::NetworkInterface& eni) {
      DhcpLease lease = LeaseFor(part, eni);
      if (auto r = DhcpReply({l4 + 8, Get16(l4 + 4) >= 8 ? std::min<size_t>(Get16(l4 + 4), l4_len) - 8 : 0}, lease))
        reply = BuildUdpFrame(kRouterMac, pf.src_mac, lease.router, net::Ipv4{0xffffffff}, 67, 68, *r);
    });
    if (reply) SendFrame(&in, *reply);
    handled = true;
    return nullptr;
  }
  // The Amazon resolver (R1); DNS to other servers is ordinary traffic and skips the lock here.
  const bool to_resolver = kind == LocalServiceKind::kAmazonDns;
  if (pf.protocol == 17 && to_resolver) {
    handled = true;
    const double now = Now();
    in.dns_tokens = std::min(1024.0, in.dns_tokens + (now - in.dns_refilled) * 1024);
    in.dns_refilled = now;
    if (in.dns_tokens < 1) return nullptr;  // over the limit: dropped, as AWS does (R11)
    in.dns_tokens -= 1;
    auto q = ParseDnsQuery({l4 + 8, l4_len >= 8 ? l4_len - 8 : 0});
    if (!q) return nullptr;
    std::optional<std::vector<uint8_t>> reply;
    WithInterface(in, [&](const model::Partition& part, const model::NetworkInterface& eni) {
      if (auto answer = Resolve(part, eni, *q))
        reply = BuildUdpFrame(kRouterMac, pf.src_mac, pf.dst, pf.src, 53, pf.src_port, BuildDnsResponse(*q, *answer));
    });
    if (reply) SendFrame(&in, *reply);
    return nullptr;
  }
  if (pf.protocol == 6 && to_resolver) {  // over TCP, answered in the services namespace
    handled = true;
    bool enabled = false;
    WithInterface(in, [&](const model::Partition& part, const model::NetworkInterface& eni) {
      enabled = part.vpcs.at(eni.vpc_id).enable_dns_support;
    });
    if (!enabled || !service_) return nullptr;  // R2: no answer at all
    in.service_client = pf.src;
    in.dns_server = pf.dst;
    RewriteIpv4Address(frame, pf, true, net::Ipv4{kAliasBase + in.id}, vh);
    RewriteIpv4Address(frame, pf, false, kResolverLinkLocal, vh);
    memcpy(frame.data(), service_->mac.data(), 6);
    memcpy(frame.data() + 6, kRouterMac.data(), 6);
    return service_;
  }
  if (kind == LocalServiceKind::kMetadata) {  // instance metadata
    handled = true;
    if (!service_) return nullptr;
    in.service_client = pf.src;
    RewriteIpv4Address(frame, pf, true, net::Ipv4{kAliasBase + in.id}, vh);
    memcpy(frame.data(), service_->mac.data(), 6);
    memcpy(frame.data() + 6, kRouterMac.data(), 6);
    return service_;
  }
  handled = kind == LocalServiceKind::kLinkLocal;  // nothing answers, nothing is forwarded
  return nullptr;
}

void Engine::LocalService6(Port& in, std::span<uint8_t> frame, const ParsedFrame& pf, bool& handled) {
  // Neighbour discovery never crosses the router (RFC 4861: hop limit 255), and neither does
  // anything to or from a link-local or multicast address (a router does not forward them).
  handled = LocalServiceOf(PacketFlow(pf), {}) != LocalServiceKind::kNone;
  if (!handled || pf.fragment) return;
  const uint8_t* l4 = frame.data() + pf.l4;
  const size_t l4_len = 14 + size_t{pf.ip_total_length} - pf.l4;
  std::optional<std::vector<uint8_t>> reply;
  if (pf.protocol == 58 && (pf.icmp_type == kNdRouterSolicitation || pf.icmp_type == kNdNeighborSolicitation)) {
    auto m = ParseNdMessage(pf.src6, pf.dst6, pf.ttl, {l4, l4_len});
    if (!m) return;
    const bool dad = IsUnspecified6(pf.src6);
    const MacAddress to_mac = m->source_link_layer ? *m->source_link_layer : pf.src_mac;
    WithInterface(in, [&](const model::Partition& part, const model::NetworkInterface& eni) {
      if (m->type == kNdRouterSolicitation) {
        if (auto ra = RouterAdvertisementFor(part, eni)) reply = BuildRouterAdvertisement(*ra, MulticastMacFor(kAllNodes), kAllNodes);
        return;
      }
      auto mac = NeighborAnswer(part, eni, m->target);
      if (!mac || (dad && *mac != kRouterMac)) return;  // DAD: only for the router's own addresses
      reply = BuildNeighborAdvertisement(kRouterMac, dad ? MulticastMacFor(kAllNodes) : to_mac, m->target,
                                         dad ? kAllNodes : pf.src6, m->target, *mac, *mac == kRouterMac);
    });
  } else if (pf.protocol == 17 && pf.dst_port == kDhcp6ServerPort && pf.src_port == kDhcp6ClientPort &&
             l4_len >= 8) {  // DHCPv6 (C11)
    WithInterface(in, [&](const model::Partition& part, const model::NetworkInterface& eni) {
      if (auto r = Dhcp6Reply({l4 + 8, l4_len - 8}, Lease6For(part, eni)))
        reply = BuildUdp6Frame(kRouterMac, pf.src_mac, RouterLinkLocal(), pf.src6, kDhcp6ServerPort, kDhcp6ClientPort, *r);
    });
  }
  if (reply && !reply->empty()) SendFrame(&in, *reply);
}

void Engine::AdvertiseRouter() {
  for (auto& [id, port] : ports_) {
    if (port.get() == service_ || port.get() == internet_ || port->removing) continue;
    std::optional<std::vector<uint8_t>> ra;
    WithInterface(*port, [&](const model::Partition& part, const model::NetworkInterface& eni) {
      if (auto info = RouterAdvertisementFor(part, eni))
        ra = BuildRouterAdvertisement(*info, MulticastMacFor(kAllNodes), kAllNodes);
    });
    if (ra) SendFrame(port.get(), *ra);
  }
}

Engine::Port* Engine::HandleServiceFrame(uint8_t* buf, size_t len) {
  if (len < kVnetHeaderSize + 14) return nullptr;
  VnetHeader vh;
  memcpy(&vh, buf, sizeof vh);
  std::span<uint8_t> frame(buf + kVnetHeaderSize, len - kVnetHeaderSize);
  ParsedFrame pf;
  if (!ParseFrame(frame, pf)) return nullptr;
  if (pf.ether_type == kEtherTypeArp) {
    if (pf.arp_op == 1) SendFrame(service_, BuildArpReply(pf, kRouterMac));  // every alias is behind the router
    return nullptr;
  }
  const bool dns = pf.src == kResolverLinkLocal && pf.protocol == 6 && pf.src_port == 53;
  if (pf.ether_type != kEtherTypeIpv4 || (pf.src != kMetadataAddress && !dns)) return nullptr;
  auto it = ports_.find(pf.dst.value - kAliasBase);
  if (pf.dst.value < kAliasBase || it == ports_.end() || it->second.get() == service_ ||
      it->second.get() == internet_ || it->second->removing)
    return nullptr;
  Port& port = *it->second;
  RewriteIpv4Address(frame, pf, false, port.service_client, vh);
  if (dns) RewriteIpv4Address(frame, pf, true, port.dns_server, vh);  // the address the instance asked
  memcpy(frame.data(), port.mac.data(), 6);
  memcpy(frame.data() + 6, kRouterMac.data(), 6);
  return &port;
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> Engine::Inject(const std::string& eni_id,
                                                                         std::span<const uint8_t> frame) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> sent;
  std::vector<uint8_t> buf(kVnetHeaderSize + frame.size());
  if (!frame.empty()) memcpy(buf.data() + kVnetHeaderSize, frame.data(), frame.size());
  std::lock_guard lock(mu_);
  Port* in = eni_id == "svc" ? service_ : eni_id == "internet" ? internet_ : nullptr;
  if (auto it = by_eni_.find(eni_id); it != by_eni_.end()) in = it->second;
  if (!in) return sent;
  capture_ = &sent;
  ExpireIdle(Now());
  Port* out = Process(*in, buf.data(), buf.size());
  if (out) Capture(out, buf.data(), buf.size());
  capture_ = nullptr;
  return sent;
}

}  // namespace openvpc::dataplane
