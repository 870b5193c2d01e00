// The IPv6 frames the router itself sends (Neighbor Discovery answers, DHCPv6 replies), and the
// few address derivations they need. Ethernet + IPv6 only: no vnet header, no extension headers,
// no jumbograms. The IPv6 twin of BuildUdpFrame in packet.h.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/packet.h"
#include "net/ip.h"

namespace openvpc::dataplane {

// IPv6 next-header values the router sends.
inline constexpr uint8_t kNextHeaderUdp = 17, kNextHeaderIcmpv6 = 58;

// Link-scope multicast groups (RFC 4291 section 2.7.1, RFC 8415 section 7.1).
inline constexpr net::Ipv6 kAllNodes{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};    // ff02::1
inline constexpr net::Ipv6 kAllRouters{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2}};  // ff02::2
inline constexpr net::Ipv6 kAllDhcpRelayAgentsAndServers{
    {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2}};  // ff02::1:2

inline bool IsMulticast6(const net::Ipv6& ip) { return ip.bytes[0] == 0xff; }
inline bool IsUnspecified6(const net::Ipv6& ip) { return ip == net::Ipv6{}; }
inline bool IsLinkLocal6(const net::Ipv6& ip) { return ip.bytes[0] == 0xfe && (ip.bytes[1] & 0xc0) == 0x80; }

// The upper-layer checksum of RFC 8200 section 8.1: the one's complement of the one's-complement
// sum of the pseudo-header (SRC, DST, the length of L4, NEXT_HEADER) and of L4 as given.
// L4's checksum field is summed like any other bytes, so:
//   - with the field zeroed, the result is the value to store (for UDP, store 0xffff for 0);
//   - over a received packet, field in place, the result is 0 exactly when the checksum is right
//     (a UDP checksum field of 0 is not "no checksum" in IPv6: the caller must drop those).
uint16_t Ipv6L4Checksum(const net::Ipv6& src, const net::Ipv6& dst, uint8_t next_header, std::span<const uint8_t> l4);

// Ethernet (type 0x86dd) + IPv6 header (traffic class 0, flow label 0) + L4. When NEXT_HEADER
// is ICMPv6 (checksum at L4 offset 2) or UDP (offset 6) the checksum is computed and stored,
// whatever L4 held there. Empty when L4 does not fit a payload length (more than 65535 bytes).
std::vector<uint8_t> BuildIpv6Frame(const MacAddress& src_mac, const MacAddress& dst_mac, const net::Ipv6& src,
                                    const net::Ipv6& dst, uint8_t next_header, uint8_t hop_limit,
                                    std::span<const uint8_t> l4);

// Ethernet + IPv6 + UDP with the checksum. The hop limit is 64, the usual default for
// datagrams (Neighbor Discovery, which needs 255, builds its frames with BuildIpv6Frame).
// Empty when the datagram does not fit a payload length.
std::vector<uint8_t> BuildUdp6Frame(const MacAddress& src_mac, const MacAddress& dst_mac, const net::Ipv6& src,
                                    const net::Ipv6& dst, uint16_t src_port, uint16_t dst_port,
                                    std::span<const uint8_t> payload, uint8_t hop_limit = 64);

// fe80::/64 with the modified EUI-64 interface identifier of MAC (RFC 4291 appendix A): the
// universal/local bit (0x02 of the first byte) flipped and ff:fe inserted in the middle.
net::Ipv6 LinkLocalFromMac(const MacAddress& mac);
// The Ethernet address of an IPv6 multicast group: 33:33 + its last four bytes (RFC 2464 section 7).
MacAddress MulticastMacFor(const net::Ipv6& group);
// ff02::1:ff00:0/104 + the last three bytes of IP (RFC 4291 section 2.7.1): where a Neighbor
// Solicitation for IP is sent.
net::Ipv6 SolicitedNodeMulticast(const net::Ipv6& ip);

}  // namespace openvpc::dataplane
