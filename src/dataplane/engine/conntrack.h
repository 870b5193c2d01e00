// Connection tracking of security groups (inventory-ec2-network-security §2.7, CT-1..CT-7): per
// interface, the connections it started or accepted, so that their other direction passes
// whatever the rules say now, until the connection has been idle for AWS's timeout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "model/evaluate.h"

namespace openvpc::dataplane {

// A connection as one interface sees it: its own address and port, and the peer's.
struct ConnectionKey {
  std::string eni_id;
  uint8_t protocol = 0;
  net::Ipv6 local_ip, remote_ip;  // IPv4 as ::ffff:a.b.c.d (RFC 4291 §2.5.5.2)
  uint16_t local_port = 0, remote_port = 0;  // ICMP echo: the identifier on both; other protocols: 0 (CT-7)
  bool operator==(const ConnectionKey&) const = default;
};

struct ConnectionKeyHash {
  size_t operator()(const ConnectionKey& k) const;
};

struct Connection {
  double last_seen = 0;
  bool started_egress = false;  // the interface opened it (else it accepted it)
  bool replied = false;         // packets have gone both ways
  bool fin = false, rst = false;  // TCP: a FIN or a reset has passed, either way
};

// Idle timeouts, AWS's defaults (ConnectionTrackingSpecification; shared/spec/dataplane-anchors.md §0):
// established TCP 432,000 s; UDP 30 s until a reply, 180 s as a stream; other protocols 600 s
// (CT-7). ICMP and unanswered TCP: 60 s (AWS says "a few minutes" at most, CT-5). A TCP
// connection that is closing lasts as Linux's conntrack keeps it, whose defaults AWS's mirror:
// 120 s after a FIN (FIN_WAIT, TIME_WAIT), 10 s after a reset (CLOSE); otherwise every closed
// connection would hold its place in the interface's allowance for 5 days.
double IdleTimeout(uint8_t protocol, const Connection& c);

// How many connections one interface (or gateway) may track at once. AWS bounds tracked
// connections per instance by its size and drops the packets of new connections beyond the
// bound, counting them as `conntrack_allowance_exceeded` (ENA's statistics); openvpc gives
// every interface this allowance.
inline constexpr size_t kConnectionAllowance = 32768;

class ConnectionTable {
 public:
  // The key of FLOW as ENI sees it: leaving ENI (EGRESS) or entering it.
  static ConnectionKey KeyOf(const std::string& eni_id, const model::Flow& flow, bool egress);

  // The live connection of FLOW at ENI, or nullptr. A packet in the direction opposite to the
  // one that opened the connection marks it replied.
  Connection* Find(const std::string& eni_id, const model::Flow& flow, bool egress, double now);
  // Opens the connection of FLOW at ENI, or renews the live one it belongs to; nullptr when
  // ENI tracks its allowance of connections already (counted in refused()).
  Connection* Open(const std::string& eni_id, const model::Flow& flow, bool egress, double now);
  // Forgets connections idle past their timeout; returns how many.
  size_t Expire(double now);
  size_t size() const { return table_.size(); }
  size_t CountAt(const std::string& eni_id) const;
  void Clear() {
    table_.clear();
    per_interface_.clear();
  }
  // New connections refused for want of allowance, since the table was made.
  uint64_t refused() const { return refused_; }
  void SetAllowance(size_t allowance) { allowance_ = allowance; }

 private:
  std::unordered_map<ConnectionKey, Connection, ConnectionKeyHash> table_;
  std::unordered_map<std::string, size_t> per_interface_;  // live entries by interface
  size_t allowance_ = kConnectionAllowance;
  uint64_t refused_ = 0;
};

}  // namespace openvpc::dataplane
