// The NAT gateway's translations (guide K5, K6, K8, K9): each connection from behind it gets a
// port of the gateway's own address, chosen from 1024-65535; a reply to that port finds the
// connection again. At most 55,000 connections to one destination (address, port, protocol)
// at a time; a connection idle for 350 s is forgotten.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

#include "net/ip.h"

namespace openvpc::dataplane {

// One translated connection: the client behind the gateway, and the gateway's port for it.
struct NatBinding {
  std::string eni_id;  // the client's interface
  net::Ipv4 client;
  uint16_t client_port = 0;  // ICMP echo: the identifier
  uint16_t nat_port = 0;
  double last_seen = 0;
  bool closing = false;  // a FIN or RST went by: the port is free again soon after the last packet
};

inline constexpr double kNatIdleTimeout = 350;               // K9
// K8 counts simultaneous connections: a closed one gives its port back after this linger (for
// the last segments and retransmissions), not after the idle timeout.
inline constexpr double kNatClosedLinger = 10;
inline constexpr size_t kNatConnectionsPerDestination = 55000;  // K8
inline constexpr uint16_t kNatFirstPort = 1024;                // K6

class NatTable {
 public:
  // The binding of the connection CLIENT:PORT -> DST:DPORT through gateway NAT_ID, made on
  // first use; nullptr when the destination has 55,000 connections already (K8's port
  // allocation error). ICMP passes DPORT 0.
  NatBinding* Outbound(const std::string& nat_id, uint8_t protocol, net::Ipv4 client, uint16_t port, net::Ipv4 dst,
                       uint16_t dport, const std::string& eni_id, double now);
  // The live binding that a packet from DST:DPORT to the gateway's NAT_PORT answers, or nullptr.
  NatBinding* Inbound(const std::string& nat_id, uint8_t protocol, net::Ipv4 dst, uint16_t dport, uint16_t nat_port,
                      double now);
  // True when CLIENT:PORT -> DST:DPORT had a binding that went idle past 350 s and was
  // forgotten (K9: the gateway answers further packets of it with a reset).
  bool Expired(const std::string& nat_id, uint8_t protocol, net::Ipv4 client, uint16_t port, net::Ipv4 dst,
               uint16_t dport) const;
  // Forgets bindings idle past 350 s; returns how many.
  size_t Expire(double now);
  size_t size() const { return bindings_.size(); }
  void Clear();

 private:
  struct Key {  // a connection as one side names it: the gateway, protocol, two endpoints
    std::string nat_id;
    uint8_t protocol = 0;
    uint32_t a = 0, b = 0;
    uint16_t a_port = 0, b_port = 0;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    size_t operator()(const Key& k) const;
  };
  struct Destination {
    size_t connections = 0;
    uint16_t next_port = kNatFirstPort;
  };
  std::unordered_map<Key, NatBinding, KeyHash> bindings_;  // client side: (client, port, dst, dport)
  std::unordered_map<Key, Key, KeyHash> replies_;           // internet side: (dst, dport, nat port) -> client side
  std::unordered_map<Key, Destination, KeyHash> destinations_;  // (dst, dport) -> ports in use
  std::unordered_map<Key, double, KeyHash> expired_;       // client side keys forgotten after K9, for the reset
};

}  // namespace openvpc::dataplane
