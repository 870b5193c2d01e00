#include "dataplane/services/ndp.h"

#include <algorithm>

#include "dataplane/wire/packet6.h"

namespace openvpc::dataplane {

namespace {

// ND option types (RFC 4861 section 4.6).
constexpr uint8_t kSourceLinkLayer = 1, kTargetLinkLayer = 2, kPrefixInformation = 3, kMtu = 5;
constexpr size_t kRsSize = 8, kNsSize = 24, kNaSize = 24, kRaSize = 16;
constexpr uint8_t kRouterFlag = 0x80, kSolicitedFlag = 0x40, kOverrideFlag = 0x20;  // NA
constexpr uint8_t kManagedFlag = 0x80, kOtherFlag = 0x40;                           // RA
constexpr uint8_t kOnLinkFlag = 0x80;                                               // prefix information
constexpr uint8_t kCurHopLimit = 64;
constexpr uint32_t kValidLifetime = 2592000, kPreferredLifetime = 604800;  // RFC 4861 section 6.2.1
constexpr uint32_t kMinMtu = 1280;                                         // RFC 8200 section 5

void Put16(std::vector<uint8_t>& out, size_t at, uint16_t v) {
  out[at] = uint8_t(v >> 8);
  out[at + 1] = uint8_t(v);
}
void Put32(std::vector<uint8_t>& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = uint8_t(v >> (24 - 8 * i));
}

// A link-layer address option (source or target) for Ethernet: 8 bytes, length 1.
void AppendLinkLayerOption(std::vector<uint8_t>& out, uint8_t type, const MacAddress& mac) {
  out.push_back(type);
  out.push_back(1);
  out.insert(out.end(), mac.begin(), mac.end());
}

}  // namespace

std::optional<NdMessage> ParseNdMessage(std::span<const uint8_t> m, uint8_t hop_limit) {
  if (hop_limit != kNdHopLimit || m.size() < kRsSize || m[1] != 0) return std::nullopt;
  NdMessage out;
  out.type = m[0];
  size_t options;
  if (out.type == kNdRouterSolicitation) {
    options = kRsSize;
  } else if (out.type == kNdNeighborSolicitation) {
    if (m.size() < kNsSize) return std::nullopt;
    std::copy_n(m.begin() + 8, 16, out.target.bytes.begin());
    if (IsMulticast6(out.target)) return std::nullopt;
    options = kNsSize;
  } else {
    return std::nullopt;
  }
  // Options tile the rest exactly; a zero length would loop forever (section 4.6).
  for (size_t i = options; i < m.size();) {
    if (m.size() - i < 2) return std::nullopt;
    size_t len = size_t{m[i + 1]} * 8;
    if (len == 0 || len > m.size() - i) return std::nullopt;
    if (m[i] == kSourceLinkLayer && !out.source_link_layer) {
      MacAddress mac;
      std::copy_n(m.begin() + i + 2, 6, mac.begin());
      out.source_link_layer = mac;
    }
    i += len;
  }
  return out;
}

std::optional<NdMessage> ParseNdMessage(const net::Ipv6& src, const net::Ipv6& dst, uint8_t hop_limit,
                                        std::span<const uint8_t> icmpv6) {
  auto m = ParseNdMessage(icmpv6, hop_limit);
  if (!m || Ipv6L4Checksum(src, dst, kNextHeaderIcmpv6, icmpv6) != 0) return std::nullopt;
  if (IsUnspecified6(src)) {
    // Nobody can be answered at the link-layer address of a host that has no address yet.
    if (m->source_link_layer) return std::nullopt;
    // ff02::1:ffXX:XXXX is exactly what SolicitedNodeMulticast makes of itself.
    if (m->type == kNdNeighborSolicitation && SolicitedNodeMulticast(dst) != dst) return std::nullopt;
  }
  return m;
}

std::vector<uint8_t> BuildNeighborAdvertisement(const MacAddress& router_mac, const MacAddress& dst_mac,
                                                const net::Ipv6& src, const net::Ipv6& dst, const net::Ipv6& target,
                                                const MacAddress& target_mac, bool router_flag) {
  std::vector<uint8_t> na(kNaSize, 0);
  na[0] = kNdNeighborAdvertisement;
  na[4] = uint8_t((router_flag ? kRouterFlag : 0) | (IsMulticast6(dst) ? 0 : kSolicitedFlag) | kOverrideFlag);
  std::copy(target.bytes.begin(), target.bytes.end(), na.begin() + 8);
  AppendLinkLayerOption(na, kTargetLinkLayer, target_mac);
  return BuildIpv6Frame(router_mac, dst_mac, src, dst, kNextHeaderIcmpv6, kNdHopLimit, na);
}

std::vector<uint8_t> BuildRouterAdvertisement(const RouterAdvertisementInfo& info, const MacAddress& dst_mac,
                                              const net::Ipv6& dst) {
  std::vector<uint8_t> ra(kRaSize, 0);
  ra[0] = kNdRouterAdvertisement;
  ra[4] = kCurHopLimit;
  ra[5] = uint8_t((info.managed ? kManagedFlag : 0) | (info.other ? kOtherFlag : 0));
  Put16(ra, 6, info.router_lifetime);
  // Reachable time (8) and retransmission timer (12) stay 0: the hosts keep their own.
  AppendLinkLayerOption(ra, kSourceLinkLayer, info.router_mac);
  if (info.mtu >= kMinMtu) {
    size_t at = ra.size();
    ra.resize(at + 8, 0);
    ra[at] = kMtu;
    ra[at + 1] = 1;
    Put32(ra, at + 4, info.mtu);
  }
  if (info.on_link_prefix) {
    const net::Cidr6 prefix{info.on_link_prefix->addr, std::clamp(info.on_link_prefix->prefix, 0, 128)};
    size_t at = ra.size();
    ra.resize(at + 32, 0);
    ra[at] = kPrefixInformation;
    ra[at + 1] = 4;
    ra[at + 2] = uint8_t(prefix.prefix);
    ra[at + 3] = kOnLinkFlag;  // A (0x40) clear: no SLAAC
    Put32(ra, at + 4, kValidLifetime);
    Put32(ra, at + 8, kPreferredLifetime);
    // 4 reserved bytes, then the prefix with its host bits cleared (section 4.6.2).
    const net::Ipv6 network = prefix.Network();
    std::copy(network.bytes.begin(), network.bytes.end(), ra.begin() + at + 16);
  }
  return BuildIpv6Frame(info.router_mac, dst_mac, info.router_link_local, dst, kNextHeaderIcmpv6, kNdHopLimit, ra);
}

}  // namespace openvpc::dataplane
