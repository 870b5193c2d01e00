#include "dataplane/engine/conntrack.h"

#include <cstring>
#include <functional>

namespace openvpc::dataplane {

size_t ConnectionKeyHash::operator()(const ConnectionKey& k) const {
  // splitmix64 over the numbers, then the interface: every input bit reaches every output bit.
  uint64_t w[4];
  std::memcpy(w, k.local_ip.bytes.data(), 16);
  std::memcpy(w + 2, k.remote_ip.bytes.data(), 16);
  uint64_t x = (w[0] ^ w[1] * 0xff51afd7ed558ccdULL ^ w[2] * 0xc4ceb9fe1a85ec53ULL ^ w[3]) ^
               ((uint64_t{k.local_port} << 24 | uint64_t{k.remote_port} << 8 | k.protocol) * 0x9e3779b97f4a7c15ULL);
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return static_cast<size_t>(x ^ std::hash<std::string>{}(k.eni_id));
}

double IdleTimeout(uint8_t protocol, const Connection& c) {
  const bool replied = c.replied;
  switch (protocol) {
    case 6: return c.rst ? 10 : c.fin ? 120 : replied ? 432000 : 60;
    case 17: return replied ? 180 : 30;
    case 1:
    case 58: return 60;
    default: return 600;
  }
}

ConnectionKey ConnectionTable::KeyOf(const std::string& eni_id, const model::Flow& f, bool egress) {
  ConnectionKey k{.eni_id = eni_id, .protocol = static_cast<uint8_t>(f.protocol)};
  bool ports = f.protocol == 6 || f.protocol == 17 || f.protocol == 1 || f.protocol == 58;
  auto address = [&](bool source) {
    if (f.ipv6) return source ? f.src6 : f.dst6;
    return net::Ipv4Mapped(source ? f.src : f.dst);
  };
  k.local_ip = address(egress);
  k.remote_ip = address(!egress);
  if (ports) {
    k.local_port = static_cast<uint16_t>(egress ? f.src_port : f.dst_port);
    k.remote_port = static_cast<uint16_t>(egress ? f.dst_port : f.src_port);
  }
  return k;
}

Connection* ConnectionTable::Find(const std::string& eni_id, const model::Flow& f, bool egress, double now) {
  auto it = table_.find(KeyOf(eni_id, f, egress));
  if (it == table_.end()) return nullptr;
  Connection& c = it->second;
  if (now - c.last_seen > IdleTimeout(it->first.protocol, c)) return nullptr;
  // An echo is a request one way and a reply the other: a request coming the way the replies
  // go belongs to no connection (CT-1, CT-2), even with the same identifier.
  if (f.protocol == 1 || f.protocol == 58) {
    const bool request = f.icmp_type == 8 || f.icmp_type == 128, reply = f.icmp_type == 0 || f.icmp_type == 129;
    if ((request || reply) && reply != (c.started_egress != egress)) return nullptr;
  }
  if (c.started_egress != egress) c.replied = true;
  c.last_seen = now;
  return &c;
}

Connection* ConnectionTable::Open(const std::string& eni_id, const model::Flow& f, bool egress, double now) {
  auto [it, fresh] = table_.try_emplace(KeyOf(eni_id, f, egress));
  if (fresh) {
    size_t& n = per_interface_[eni_id];
    if (n >= allowance_) {
      table_.erase(it);
      ++refused_;
      return nullptr;
    }
    ++n;
  }
  Connection& c = it->second;
  if (fresh || now - c.last_seen > IdleTimeout(it->first.protocol, c))
    c = {.last_seen = now, .started_egress = egress, .replied = false};
  else if (c.started_egress != egress)
    c.replied = true;
  c.last_seen = now;
  return &c;
}

size_t ConnectionTable::CountAt(const std::string& eni_id) const {
  auto it = per_interface_.find(eni_id);
  return it == per_interface_.end() ? 0 : it->second;
}

size_t ConnectionTable::Expire(double now) {
  size_t n = 0;
  for (auto it = table_.begin(); it != table_.end();) {
    if (now - it->second.last_seen > IdleTimeout(it->first.protocol, it->second)) {
      if (auto c = per_interface_.find(it->first.eni_id); c != per_interface_.end() && --c->second == 0)
        per_interface_.erase(c);
      it = table_.erase(it);
      ++n;
    } else {
      ++it;
    }
  }
  return n;
}

}  // namespace openvpc::dataplane
