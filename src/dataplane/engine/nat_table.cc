#include "dataplane/engine/nat_table.h"

#include <functional>

namespace openvpc::dataplane {

size_t NatTable::KeyHash::operator()(const Key& k) const {
  uint64_t x = (uint64_t{k.a} << 32 | k.b) ^
               ((uint64_t{k.a_port} << 24 | uint64_t{k.b_port} << 8 | k.protocol) * 0x9e3779b97f4a7c15ULL);
  x ^= x >> 31;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 29;
  return static_cast<size_t>(x ^ std::hash<std::string>{}(k.nat_id));
}

NatBinding* NatTable::Outbound(const std::string& nat_id, uint8_t protocol, net::Ipv4 client, uint16_t port,
                               net::Ipv4 dst, uint16_t dport, const std::string& eni_id, double now) {
  Key key{nat_id, protocol, client.value, dst.value, port, dport};
  if (auto it = bindings_.find(key); it != bindings_.end()) {
    if (now - it->second.last_seen <= kNatIdleTimeout) {
      it->second.last_seen = now;
      return &it->second;
    }
    Expire(now);
  }
  Key where{nat_id, protocol, dst.value, 0, dport, 0};
  Destination& d = destinations_[where];
  if (d.connections >= kNatConnectionsPerDestination) return nullptr;
  // The next port not in use toward this destination; 55,000 of 64,512 are at most in use.
  for (uint32_t tries = 0; tries < 65536 - kNatFirstPort; ++tries) {
    uint16_t candidate = d.next_port;
    d.next_port = d.next_port == 65535 ? kNatFirstPort : static_cast<uint16_t>(d.next_port + 1);
    Key reply{nat_id, protocol, dst.value, 0, dport, candidate};
    if (replies_.count(reply)) continue;
    replies_[reply] = key;
    ++d.connections;
    expired_.erase(key);
    NatBinding& b = bindings_[key];
    b = {.eni_id = eni_id, .client = client, .client_port = port, .nat_port = candidate, .last_seen = now};
    return &b;
  }
  return nullptr;
}

NatBinding* NatTable::Inbound(const std::string& nat_id, uint8_t protocol, net::Ipv4 dst, uint16_t dport,
                              uint16_t nat_port, double now) {
  auto r = replies_.find(Key{nat_id, protocol, dst.value, 0, dport, nat_port});
  if (r == replies_.end()) return nullptr;
  auto it = bindings_.find(r->second);
  if (it == bindings_.end() || now - it->second.last_seen > kNatIdleTimeout) return nullptr;
  it->second.last_seen = now;
  return &it->second;
}

bool NatTable::Expired(const std::string& nat_id, uint8_t protocol, net::Ipv4 client, uint16_t port, net::Ipv4 dst,
                       uint16_t dport) const {
  return expired_.count(Key{nat_id, protocol, client.value, dst.value, port, dport}) > 0;
}

size_t NatTable::Expire(double now) {
  size_t n = 0;
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    if (now - it->second.last_seen <= (it->second.closing ? kNatClosedLinger : kNatIdleTimeout)) {
      ++it;
      continue;
    }
    const Key& k = it->first;
    replies_.erase(Key{k.nat_id, k.protocol, k.b, 0, k.b_port, it->second.nat_port});
    auto d = destinations_.find(Key{k.nat_id, k.protocol, k.b, 0, k.b_port, 0});
    if (d != destinations_.end() && --d->second.connections == 0) destinations_.erase(d);
    if (!it->second.closing) expired_[k] = now;  // K9's reset is for idle connections, not closed ones
    it = bindings_.erase(it);
    ++n;
  }
  // What went idle is remembered for an hour, long enough for a client to come back to it.
  std::erase_if(expired_, [&](const auto& e) { return now - e.second > 3600; });
  return n;
}

void NatTable::Clear() {
  bindings_.clear();
  replies_.clear();
  destinations_.clear();
  expired_.clear();
}

}  // namespace openvpc::dataplane
