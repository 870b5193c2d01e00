// Neighbor Discovery (ndp.h): an ICMPv6 message with the IPv6 header's source, destination and
// hop limit, as the engine hands it in. Input: 16 bytes of source, 16 of destination, the hop
// limit, then the ICMPv6 message. An accepted solicitation is answered as the engine answers it.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "dataplane/services/ndp.h"
#include "dataplane/wire/packet6.h"

using namespace openvpc::dataplane;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 33) return 0;
  openvpc::net::Ipv6 src, dst;
  memcpy(src.bytes.data(), data, 16);
  memcpy(dst.bytes.data(), data + 16, 16);
  const uint8_t hop_limit = data[32];
  std::span<const uint8_t> icmpv6(data + 33, size - 33);
  ParseNdMessage(icmpv6, hop_limit);
  auto m = ParseNdMessage(src, dst, hop_limit, icmpv6);
  if (!m) return 0;
  const MacAddress router_mac{0x02, 0, 0, 0, 0, 1};
  const MacAddress to = m->source_link_layer.value_or(MacAddress{0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e});
  if (m->type == kNdNeighborSolicitation)
    BuildNeighborAdvertisement(router_mac, IsUnspecified6(src) ? MulticastMacFor(kAllNodes) : to, m->target,
                               IsUnspecified6(src) ? kAllNodes : src, m->target, router_mac, true);
  return 0;
}
