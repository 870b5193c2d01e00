// Frames as the engine sees them on a TAP device opened with IFF_VNET_HDR: a virtio-net
// header, then Ethernet. Parsing reads only what the stages need (stage 1 of ARCHITECTURE.md);
// the builders make the few frames the router itself sends (ARP replies, UDP answers).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip.h"

namespace openvpc::dataplane {

using MacAddress = std::array<uint8_t, 6>;
std::optional<MacAddress> ParseMac(std::string_view text);  // "02:a1:…"
std::string MacToString(const MacAddress& mac);

// struct virtio_net_hdr (linux/virtio_net.h), native byte order as TAP uses it on x86.
struct VnetHeader {
  uint8_t flags = 0;  // 1: NEEDS_CSUM (the L4 checksum holds only the pseudo-header sum)
  uint8_t gso_type = 0;
  uint16_t hdr_len = 0, gso_size = 0, csum_start = 0, csum_offset = 0;
};
static_assert(sizeof(VnetHeader) == 10);
inline constexpr size_t kVnetHeaderSize = sizeof(VnetHeader);
inline constexpr uint8_t kVnetNeedsCsum = 1;

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800, kEtherTypeArp = 0x0806, kEtherTypeIpv6 = 0x86dd;

// What stage 1 finds in a frame. Offsets are from the start of the Ethernet header.
struct ParsedFrame {
  MacAddress dst_mac{}, src_mac{};
  uint16_t ether_type = 0;
  // ARP (request/reply for IPv4 over Ethernet)
  uint16_t arp_op = 0;
  net::Ipv4 arp_sender, arp_target;
  // IPv4 or IPv6 (ether_type tells which)
  size_t l3 = 14, l4 = 0;
  uint8_t protocol = 0, ttl = 0;  // IPv6: the last next header (past the extension headers), hop limit
  net::Ipv4 src, dst;
  net::Ipv6 src6, dst6;
  uint16_t ip_total_length = 0;  // IPv6: 40 + payload length, so that 14 + this is the frame's end too
  bool fragment = false;        // not the first fragment: no transport header
  bool first_fragment = false;  // the first of several fragments (more follow, offset 0)
  uint32_t fragment_id = 0;     // a fragment's datagram: the IPv4 identification, IPv6's fragment header's
  uint16_t src_port = 0, dst_port = 0;  // tcp/udp; for ICMP and ICMPv6 echo both hold the identifier
  uint8_t tcp_flags = 0;
  int icmp_type = -1, icmp_code = -1;
};

// False for frames too short or malformed to forward (runt, bad IHL, truncated header or
// extension header chain).
bool ParseFrame(std::span<const uint8_t> frame, ParsedFrame& out);

inline constexpr uint8_t kTcpFin = 0x01, kTcpSyn = 0x02, kTcpRst = 0x04, kTcpAck = 0x10;

// One's-complement sum over DATA added to SUM (not folded, not inverted).
uint32_t ChecksumAdd(uint32_t sum, std::span<const uint8_t> data);
uint16_t ChecksumFold(uint32_t sum);

// Fills in the IPv4 header checksum of the packet at FRAME[l3].
void SetIpv4Checksum(std::span<uint8_t> frame, size_t l3);
// Computes the full TCP/UDP/ICMP checksum of the IPv4 packet in FRAME (l3/l4 from ParsedFrame).
void SetL4Checksum(std::span<uint8_t> frame, const ParsedFrame& pf);
// Finishes a checksum the sender left to the device (VnetHeader NEEDS_CSUM) and clears the flag.
void CompleteChecksum(VnetHeader& vh, std::span<uint8_t> frame);
// Rewrites the IPv4 source or destination address of the packet, updating the IP and L4
// checksums incrementally (RFC 1624); a NEEDS_CSUM packet keeps a valid pseudo-header sum.
void RewriteIpv4Address(std::span<uint8_t> frame, const ParsedFrame& pf, bool source, net::Ipv4 to,
                        const VnetHeader& vh);
// The IPv6 twin: the source (or destination) address of an IPv6 packet becomes TO, and the
// TCP/UDP checksum (which covers it through the pseudo-header) is updated incrementally, also
// when the checksum is left to offload (VH says so). IPv6 has no header checksum.
void RewriteIpv6Address(std::span<uint8_t> frame, const ParsedFrame& pf, bool source, const net::Ipv6& to,
                        const VnetHeader& vh);

// Rewrites the TCP/UDP source or destination port, or the ICMP echo identifier (either way),
// of the IPv4 packet, updating the L4 checksum incrementally. A NEEDS_CSUM packet's field holds
// only the pseudo-header sum, which has no ports in it: left alone. A later fragment: nothing.
void RewritePort(std::span<uint8_t> frame, const ParsedFrame& pf, bool source, uint16_t to, const VnetHeader& vh);
// A TCP SYN's Maximum Segment Size option lowered to MAX_MSS when it is larger (MSS clamping,
// RFC 879), the TCP checksum updated incrementally (a NEEDS_CSUM packet's needs nothing). Other
// packets, and SYNs without the option, are left alone. True when it changed the packet.
bool ClampTcpMss(std::span<uint8_t> frame, const ParsedFrame& pf, uint16_t max_mss, const VnetHeader& vh);

// The reset a router sends for the TCP segment in FRAME (RFC 9293 §3.10.7.1): from its
// destination back to its source, seq = the segment's ack (or ack = its seq + length when it had
// none). Ethernet + IPv4 + TCP with full checksums, MACs swapped, no vnet header.
std::vector<uint8_t> BuildTcpReset(std::span<const uint8_t> frame, const ParsedFrame& pf);

// An ARP reply to REQUEST (parsed) saying that TARGET is at MAC: Ethernet + ARP, no vnet header.
std::vector<uint8_t> BuildArpReply(const ParsedFrame& request, const MacAddress& mac);
// An Ethernet + IPv4 + UDP frame with full checksums, no vnet header.
std::vector<uint8_t> BuildUdpFrame(const MacAddress& src_mac, const MacAddress& dst_mac, net::Ipv4 src, net::Ipv4 dst,
                                   uint16_t src_port, uint16_t dst_port, std::span<const uint8_t> payload);

}  // namespace openvpc::dataplane
