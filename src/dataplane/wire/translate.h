// IPv4/IPv6 header translation (RFC 7915, SIIT) for what a dualstack Network Load Balancer
// carries between a client of one family and a target of the other: its IPv6 clients reach the
// targets of an IPv4 target group as IPv4 from the node's IPv4 address, and the targets' replies
// go back as IPv6 (Elastic Load Balancing: "the load balancer communicates with targets based on
// the IP address type of the target group"). TCP and UDP only, which is what a Network Load
// Balancer forwards; the transport header and payload are kept as they are, the checksum
// adjusted for the new pseudo-header.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dataplane/wire/packet.h"
#include "dataplane/wire/segment.h"
#include "net/ip.h"

namespace openvpc::dataplane {

// FRAME's packet (Ethernet + IPv4 or IPv6, parsed as PF) with an IP header of the other family,
// from SRC to DST (IPv4 as net::Ipv4Mapped; both of the family translated to): the traffic
// class and TOS, the hop limit and TTL carried over; IPv4 gets Don't Fragment and a header
// checksum; IPv6 extension headers and IPv4 options are dropped (RFC 7915 sections 4.1, 5.1).
// The TCP or UDP checksum is adjusted for the new pseudo-header, also when it is left to offload
// (VH's NEEDS_CSUM: then it holds the pseudo-header sum); a UDP datagram over IPv4 without a
// checksum gets one, as IPv6 requires. VH follows the frame: its checksum start, header length
// and GSO type (TCPV4 <-> TCPV6). Empty (VH untouched) for anything else: a fragment, another
// protocol, SRC and DST of the frame's own family or of two families, a result over 65,535 bytes.
std::vector<uint8_t> TranslateIpFamily(std::span<const uint8_t> frame, const ParsedFrame& pf, const net::Ipv6& src,
                                       const net::Ipv6& dst, VnetHeader& vh);

// The same in place, as the engine does it: the frame at ROOM[AT…] (parsed as PF) keeps its
// transport header and payload where they are, and gets the new IP and Ethernet headers right
// before them, so it starts 20 bytes later (IPv6 to IPv4; more with IPv6 extension headers or
// fewer with IPv4 options) or 20 bytes earlier (IPv4 to IPv6: ROOM must have them before AT).
// Returns the new frame within ROOM, or nullopt (ROOM and VH untouched) as above.
std::optional<std::span<uint8_t>> TranslateIpFamilyInPlace(std::span<uint8_t> room, size_t at, const ParsedFrame& pf,
                                                            const net::Ipv6& src, const net::Ipv6& dst, VnetHeader& vh);

}  // namespace openvpc::dataplane
