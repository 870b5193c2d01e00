// A load balancer's connections (issue 13): which target each client connection went to, so that
// its later packets stay on that target (the connection's life, whatever the health checks say
// meanwhile), and its replies leave from the node's address and listener port, as the client
// expects. Idle connections are forgotten after 350 s, as Network Load Balancers do for TCP
// (and 120 s for UDP). Addresses are of either family, IPv4 mapped (net::Ipv4Mapped): a
// dualstack load balancer takes IPv6 clients to IPv4 targets and the other way round.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "net/ip.h"

namespace openvpc::dataplane {

// A connection that came through an interface endpoint (PrivateLink): the consumer's side, which
// the provider never sees (SVC-08): its client and the endpoint's address it connected to. The
// provider's side is the node's address and a port of the node's that stands for it.
struct PrivateLinkLeg {
  std::string endpoint_id, endpoint_eni, client_eni, account, region;  // the consumer's partition
  net::Ipv6 client, endpoint_ip;
  uint16_t client_port = 0, listener_port = 0;
  // The node's address the provider's side of the connection is from and to (of the consumer's
  // family; the target may see the node's address of the other).
  net::Ipv6 node;
  // The node's port that stands for the consumer's connection (PrivateLinkPort).
  uint16_t node_port = 0;
};

struct LbBinding {
  std::string load_balancer, node_eni, client_eni;  // client_eni empty: a client on the internet
  net::Ipv6 node_ip, client, target;
  uint16_t listener_port = 0, client_port = 0, target_port = 0;
  // The address and port the target sees the client as (the client's own unless the target
  // group does not preserve it: then the node's address).
  net::Ipv6 seen_src;
  uint16_t seen_port = 0;
  uint8_t protocol = 0;
  double last_seen = 0;
  bool closing = false;  // a FIN or a reset went by: forgotten soon after its last packet
  bool reset = false;    // a reset went by: nothing more of it will come (no retransmissions)
  // With proxy protocol v2: the header the target gets before the client's first byte, and the
  // client's initial sequence number (the header's bytes follow it; every later number of the
  // client's side moves by the header's length, and the target's acknowledgements back).
  std::vector<uint8_t> proxy_header;
  uint32_t isn = 0;
  bool isn_known = false;
  std::optional<PrivateLinkLeg> private_link;  // through an interface endpoint: client is the node itself
};

inline constexpr double kLbTcpIdleTimeout = 350, kLbUdpIdleTimeout = 120;
// A closed connection is kept this long after its last packet (its last segments and their
// retransmissions), then forgotten, so that the same 5-tuple can be used anew; one reset, which
// nothing follows, a second (what may still be on its way).
inline constexpr double kLbClosedLinger = 10, kLbResetLinger = 1;

class LbTable {
 public:
  // The connection CLIENT:PORT -> NODE:LISTENER_PORT, or nullptr.
  LbBinding* Find(uint8_t protocol, const net::Ipv6& client, uint16_t port, const net::Ipv6& node,
                  uint16_t listener_port) {
    auto it = forward_.find({protocol, client, port, node, listener_port});
    return it == forward_.end() ? nullptr : &it->second;
  }
  // The connection a packet TARGET:TPORT -> DST:DPORT answers, or nullptr.
  LbBinding* Reply(uint8_t protocol, const net::Ipv6& target, uint16_t tport, const net::Ipv6& dst, uint16_t dport) {
    auto it = replies_.find({protocol, target, tport, dst, dport});
    if (it == replies_.end()) return nullptr;
    auto fwd = forward_.find(it->second);
    return fwd == forward_.end() ? nullptr : &fwd->second;
  }
  LbBinding& Bind(const LbBinding& b) {
    Key fwd{b.protocol, b.client, b.client_port, b.node_ip, b.listener_port};
    auto old = forward_.find(fwd);
    if (old != forward_.end()) replies_.erase(ReplyKey(old->second));
    LbBinding& stored = forward_[fwd] = b;
    replies_[ReplyKey(stored)] = fwd;
    return stored;
  }
  // The port of node NODE that stands for connection LEG through an interface endpoint to
  // LISTENER_PORT: the one its connection has, or a free one. The first choice is a hash of the
  // connection, so that every host that decides the connection picks the same port; below the
  // kernel's ephemeral ports, which the node's own health checks use.
  uint16_t PrivateLinkPort(uint8_t protocol, const net::Ipv6& node, uint16_t listener_port,
                           const PrivateLinkLeg& leg) const {
    uint64_t h = 0xcbf29ce484222325ULL;
    auto mix = [&](uint64_t v) { h = (h ^ v) * 0x100000001b3ULL; };
    for (char c : leg.endpoint_eni) mix(static_cast<unsigned char>(c));
    for (uint8_t b : leg.client.bytes) mix(b);
    mix(leg.client_port);
    constexpr uint32_t kFirst = 1024, kCount = 32768 - 1024;
    for (uint32_t i = 0; i < kCount; ++i) {
      const uint16_t port = static_cast<uint16_t>(kFirst + (h + i) % kCount);
      auto it = forward_.find({protocol, node, port, node, listener_port});
      if (it == forward_.end()) return port;
      const auto& other = it->second.private_link;
      if (other && other->endpoint_eni == leg.endpoint_eni && other->client == leg.client &&
          other->client_port == leg.client_port)
        return port;
    }
    return 0;  // every port is taken
  }
  size_t Expire(double now) {
    size_t n = 0;
    for (auto it = forward_.begin(); it != forward_.end();) {
      const double idle = it->second.reset             ? kLbResetLinger
                          : it->second.closing         ? kLbClosedLinger
                          : it->second.protocol == 17 ? kLbUdpIdleTimeout
                                                      : kLbTcpIdleTimeout;
      if (now - it->second.last_seen <= idle) {
        ++it;
        continue;
      }
      replies_.erase(ReplyKey(it->second));
      it = forward_.erase(it);
      ++n;
    }
    return n;
  }
  size_t size() const { return forward_.size(); }
  void Clear() {
    forward_.clear();
    replies_.clear();
  }

 private:
  using Key = std::tuple<uint8_t, net::Ipv6, uint16_t, net::Ipv6, uint16_t>;
  static Key ReplyKey(const LbBinding& b) { return {b.protocol, b.target, b.target_port, b.seen_src, b.seen_port}; }
  std::map<Key, LbBinding> forward_;
  std::map<Key, Key> replies_;
};

}  // namespace openvpc::dataplane
