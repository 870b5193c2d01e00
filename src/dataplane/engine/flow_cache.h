// The engine's flow cache: what was decided for a flow (stages 3-9), by the port it came in on
// and its 5-tuple, so that the next packet of the flow costs a hash lookup. An entry holds for
// the generation it was decided in (model version + port epoch + connection epoch).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>

#include "dataplane/engine/conntrack.h"
#include "dataplane/engine/flow_log.h"
#include "dataplane/engine/lb_table.h"
#include "dataplane/engine/nat_table.h"
#include "net/ip.h"

namespace openvpc::dataplane {

struct Port;

inline constexpr size_t kMaxFlows = 1 << 20;  // the flow cache starts over beyond this

struct FlowKey {
  uint32_t port = 0;
  net::Ipv6 src, dst;  // IPv4 as ::ffff:a.b.c.d
  uint16_t sport = 0, dport = 0;  // ICMP: 0 and type << 8 | code (rules tell ICMP types apart)
  uint8_t proto = 0;
  bool first_fragment = false;  // decided apart: some stages treat fragments otherwise (K10)
  bool operator==(const FlowKey&) const = default;
};

// Inline: every packet hashes its key, and the cache's lookups are in another file.
struct FlowKeyHash {
  size_t operator()(const FlowKey& k) const {
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
};

// A flow through a Gateway Load Balancer endpoint: how its packets travel to the appliance, and
// (by its cookie) where what the appliance returns goes on from.
struct ApplianceFlow {
  std::string endpoint_eni, account, region;
  std::string appliance_eni;  // the appliance's interface: only it returns the flow's packets
  uint64_t endpoint_id = 0;  // as the Geneve option carries it
  net::Ipv4 node_ip, appliance_ip;
  uint16_t sport = 0;
  uint32_t cookie = 0;
  double last_seen = 0;  // forgotten after kApplianceFlowIdle without a packet either way
};
inline constexpr double kApplianceFlowIdle = 350;

struct FlowEntry {
  uint64_t generation = 0;
  std::unique_ptr<FlowAccounting> log;  // only with a flow log sink
  Port* out = nullptr;  // nullptr: dropped
  // The source and destination it leaves with, when translated (IPv4 mapped). Of the other
  // family than the packet's (a dualstack load balancer's), both are set and the packet leaves
  // with a header of that family (wire/translate.h).
  std::optional<net::Ipv6> snat, dnat;
  std::optional<uint16_t> sport, dport;  // the same for the ports (a NAT gateway's); ICMP: the echo id
  NatBinding* nat = nullptr;             // the NAT gateway's translation it renews
  LbBinding* lb = nullptr;               // the load balancer's connection it renews
  int8_t lb_direction = 0;               // 1: client to target; -1: the target's reply
  struct ApplianceFlow* appliance = nullptr;  // through a Gateway Load Balancer: sent in Geneve
  bool reset = false;                    // answered with a TCP reset (K9: a NAT binding gone idle)
  bool translated_here = false;          // to or from an interface's alias (the services network): this host's
  bool allowance_exceeded = false;       // allowed, but a connection it needed could not be tracked
  uint16_t mtu = 0;                      // the path's, where smaller than the interfaces' (another Region)
  Connection* ct_src = nullptr;
  Connection* ct_dst = nullptr;
};

}  // namespace openvpc::dataplane
