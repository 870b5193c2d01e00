// A load balancer's connections (issue 13): which target each client connection went to, so that
// its later packets stay on that target (the connection's life, whatever the health checks say
// meanwhile), and its replies leave from the node's address and listener port, as the client
// expects. Idle connections are forgotten after 350 s, as Network Load Balancers do for TCP
// (and 120 s for UDP).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "net/ip.h"

namespace openvpc::dataplane {

struct LbBinding {
  std::string load_balancer, node_eni, client_eni;  // client_eni empty: a client on the internet
  net::Ipv4 node_ip, client, target;
  uint16_t listener_port = 0, client_port = 0, target_port = 0;
  // The address and port the target sees the client as (the client's own unless the target
  // group does not preserve it: then the node's address).
  net::Ipv4 seen_src;
  uint16_t seen_port = 0;
  uint8_t protocol = 0;
  double last_seen = 0;
  bool closing = false;  // a FIN or a reset went by: forgotten soon after its last packet
  // With proxy protocol v2: the header the target gets before the client's first byte, and the
  // client's initial sequence number (the header's bytes follow it; every later number of the
  // client's side moves by the header's length, and the target's acknowledgements back).
  std::vector<uint8_t> proxy_header;
  uint32_t isn = 0;
  bool isn_known = false;
};

inline constexpr double kLbTcpIdleTimeout = 350, kLbUdpIdleTimeout = 120;
// A closed connection is kept this long after its last packet (its last segments and their
// retransmissions), then forgotten, so that the same 5-tuple can be used anew.
inline constexpr double kLbClosedLinger = 10;

class LbTable {
 public:
  // The connection CLIENT:PORT -> NODE:LISTENER_PORT, or nullptr.
  LbBinding* Find(uint8_t protocol, net::Ipv4 client, uint16_t port, net::Ipv4 node, uint16_t listener_port) {
    auto it = forward_.find({protocol, client.value, port, node.value, listener_port});
    return it == forward_.end() ? nullptr : &it->second;
  }
  // The connection a packet TARGET:TPORT -> DST:DPORT answers, or nullptr.
  LbBinding* Reply(uint8_t protocol, net::Ipv4 target, uint16_t tport, net::Ipv4 dst, uint16_t dport) {
    auto it = replies_.find({protocol, target.value, tport, dst.value, dport});
    if (it == replies_.end()) return nullptr;
    auto fwd = forward_.find(it->second);
    return fwd == forward_.end() ? nullptr : &fwd->second;
  }
  LbBinding& Bind(const LbBinding& b) {
    Key fwd{b.protocol, b.client.value, b.client_port, b.node_ip.value, b.listener_port};
    auto old = forward_.find(fwd);
    if (old != forward_.end()) replies_.erase(ReplyKey(old->second));
    LbBinding& stored = forward_[fwd] = b;
    replies_[ReplyKey(stored)] = fwd;
    return stored;
  }
  size_t Expire(double now) {
    size_t n = 0;
    for (auto it = forward_.begin(); it != forward_.end();) {
      const double idle = it->second.closing           ? kLbClosedLinger
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
  using Key = std::tuple<uint8_t, uint32_t, uint16_t, uint32_t, uint16_t>;
  static Key ReplyKey(const LbBinding& b) { return {b.protocol, b.target.value, b.target_port, b.seen_src.value, b.seen_port}; }
  std::map<Key, LbBinding> forward_;
  std::map<Key, Key> replies_;
};

}  // namespace openvpc::dataplane
