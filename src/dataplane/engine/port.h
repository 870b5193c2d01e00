// What the engine's translation units share of it: its ports and the constants they are made
// with. Not part of the engine's interface (engine.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "dataplane/engine/engine.h"
#include "dataplane/services/local_services.h"

namespace openvpc::dataplane {

inline constexpr uint32_t kServicePortId = 0xffffffff;
inline constexpr uint32_t kInternetPortId = 0xffffe;  // fits a Tag's 20 bits as it is
inline constexpr uint32_t kUnderlayPortId = 0xffffd;
inline constexpr uint32_t kAliasBase = 0x64400000;   // 100.64.0.0/10: one address per port at the metadata service
inline constexpr uint16_t kReadsPerPort = 32;        // reads kept in flight on each device
inline constexpr size_t kBufferSize = 65536 + 256;   // a GSO frame of 64 KiB, its vnet and Ethernet headers
// Reads land this far into a buffer: the bytes before a frame are the engine's, for headers that
// grow (an IPv4 packet written anew as IPv6, in place: wire/translate.h).
inline constexpr size_t kHeadroom = 64;

// The port's IPv6 alias at the services namespace: kServiceAlias6Prefix + its IPv4 alias.
inline net::Ipv6 ServiceAlias6(uint32_t port_id) {
  net::Ipv6 a = kServiceAlias6Prefix;
  const uint32_t v4 = kAliasBase + port_id;
  for (int i = 0; i < 4; ++i) a.bytes[12 + i] = static_cast<uint8_t>(v4 >> (24 - 8 * i));
  return a;
}

inline uint64_t MacKey(const MacAddress& m) {
  uint64_t k = 0;
  for (uint8_t b : m) k = k << 8 | b;
  return k;
}

struct Port {
  uint32_t id = 0;
  std::string eni_id, account, region;
  int fd = -1;
  MacAddress mac{};
  // A remote port (another host runs the interface): where its frames go, and its VPC's VNI.
  std::optional<net::Ipv4> remote_host;
  uint32_t vni = 0;
  // The addresses the instance last used toward the services namespace (metadata, DNS over TCP).
  net::Ipv4 service_client, dns_server;
  net::Ipv6 service_client6;  // the same for metadata at [fd00:ec2::254]
  net::Ipv4 resolver;  // base+2 of the VPC's primary block, fixed for the interface's life (A6)
  // R11: 1,024 packets a second per interface to the Amazon resolver, a token bucket.
  double dns_tokens = 1024, dns_refilled = 0;
  // The engine thread's: receive buffers, requests in flight that use this port's device or
  // buffers, and the removal handshake with RemovePort().
  std::unique_ptr<uint8_t[]> buffers;
  uint32_t in_flight = 0;
  bool armed = false, removing = false, cancelled = false;
  uint8_t* Buffer(uint16_t i) { return buffers.get() + size_t{i} * kBufferSize; }
};

}  // namespace openvpc::dataplane
