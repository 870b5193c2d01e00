// Paths out of the VPC are 1,500 bytes (ec2 guide MTU-2, MTU-3): the router fragments an
// IPv4 packet that is larger, and drops one that may not be fragmented (Don't Fragment set, or
// any IPv6 packet) with an ICMP message that tells the sender the path's MTU (MTU-4: type 3 code
// 4; ICMPv6 Packet Too Big), which reaches it only where its security groups let it in (A38).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/packet.h"
#include "net/ip.h"

namespace openvpc::dataplane {

inline constexpr uint16_t kInternetMtu = 1500;
// A peering connection between Regions carries 1,500 bytes too (guide CS-84), one within a Region
// jumbo frames (MTU-2).
inline constexpr uint16_t kInterRegionPeeringMtu = 1500;
// Through a Gateway Load Balancer: its MTU is 8,500 bytes (the inner packet; Geneve's 68 bytes
// around it stay within the appliances' 9,001).
inline constexpr uint16_t kGatewayLoadBalancerMtu = 8500;
// Through an interface endpoint: 8,500 bytes, and a larger packet is dropped without any ICMP
// message (Q-07, Q-08: no path MTU discovery); TCP's MSS is clamped to fit instead.
inline constexpr uint16_t kInterfaceEndpointMtu = 8500;

// True when the IPv4 packet of the frame has Don't Fragment set.
bool DontFragment(std::span<const uint8_t> frame, const ParsedFrame& pf);

// The IPv4 packet of FRAME (Ethernet + IPv4, full checksums) in fragments of at most MTU bytes
// (RFC 791: payloads of multiples of 8 but the last; a fragment's own offset and "more
// fragments" carried over), each with the frame's Ethernet header.
std::vector<std::vector<uint8_t>> FragmentIpv4(std::span<const uint8_t> frame, const ParsedFrame& pf, uint16_t mtu);

// ICMP Destination Unreachable, Fragmentation Needed (type 3 code 4, RFC 1191) from ROUTER to the
// sender of the IPv4 packet in FRAME, quoting its header and first 8 bytes: Ethernet + IPv4 +
// ICMP, full checksums, to the frame's source MAC from ROUTER_MAC.
std::vector<uint8_t> BuildFragmentationNeeded(std::span<const uint8_t> frame, const ParsedFrame& pf, net::Ipv4 router,
                                              const MacAddress& router_mac, uint16_t mtu);

// ICMPv6 Packet Too Big (type 2, RFC 4443 §3.2) from ROUTER to the sender of the IPv6 packet in
// FRAME, quoting as much of it as fits a 1,280-byte packet.
std::vector<uint8_t> BuildPacketTooBig(std::span<const uint8_t> frame, const ParsedFrame& pf, const net::Ipv6& router,
                                       const MacAddress& router_mac, uint16_t mtu);

}  // namespace openvpc::dataplane
