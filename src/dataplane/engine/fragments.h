// The fragments of a datagram after the first carry no transport header: no ports to look up a
// flow by, and nothing for a gateway to translate but addresses. The engine decides a
// fragmented datagram once, by its first fragment, and lets the later ones follow that
// decision ("shallow virtual reassembly", as VPP's ip4-sv-reassembly does): this table
// remembers, per datagram, the ports its first fragment had. Fragments that come before their
// first one find nothing and are dropped, as a router that does not reassemble would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "net/ip.h"

namespace openvpc::dataplane {

// A datagram: where it came in, its addresses (IPv4 as ::ffff:a.b.c.d), protocol and
// identification.
struct DatagramKey {
  uint32_t port = 0;
  net::Ipv6 src, dst;
  uint8_t protocol = 0;
  uint32_t id = 0;
  bool operator==(const DatagramKey&) const = default;
};

// The ports the first fragment was decided with (as the flow cache keys them).
struct FirstFragment {
  uint16_t sport = 0, dport = 0;
  double seen = 0;
};

// RFC 791 suggests a reassembly timer of 15 s; Linux waits 30 s (ipfrag_time). A datagram's
// fragments follow each other within that or not at all.
inline constexpr double kFragmentTimeout = 30;
inline constexpr size_t kMaxDatagrams = 1 << 16;  // the table starts over beyond this

class FragmentTable {
 public:
  void Remember(const DatagramKey& key, uint16_t sport, uint16_t dport, double now);
  // The first fragment of KEY's datagram, when it came less than 30 s ago.
  std::optional<FirstFragment> Find(const DatagramKey& key, double now) const;
  // Forgets datagrams older than 30 s.
  void Expire(double now);
  size_t size() const { return datagrams_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const DatagramKey& k) const;
  };
  std::unordered_map<DatagramKey, FirstFragment, KeyHash> datagrams_;
};

}  // namespace openvpc::dataplane
