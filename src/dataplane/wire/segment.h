// TCP segmentation in software (what a NIC's TSO does), for a GSO frame of an instance that has
// to leave as separate packets: into Geneve toward an appliance, whose tunnel carries one inner
// packet per datagram.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dataplane/wire/packet.h"

namespace openvpc::dataplane {

inline constexpr uint8_t kGsoTcpv4 = 1;  // VIRTIO_NET_HDR_GSO_TCPV4
inline constexpr uint8_t kGsoTcpv6 = 4;  // VIRTIO_NET_HDR_GSO_TCPV6

// The TCP segments of FRAME (Ethernet, IPv4 or IPv6, TCP, a payload of any length) with at most
// MSS payload bytes each: headers copied, the IPv4 total length, identification (+1 a segment)
// and checksum or the IPv6 payload length, the TCP sequence number, the flags (FIN and PSH on
// the last segment only, CWR on the first only) and the TCP checksum computed in full. Empty
// when FRAME is not TCP, its headers are malformed, or MSS is 0.
std::vector<std::vector<uint8_t>> SegmentTcp(std::span<const uint8_t> frame, const ParsedFrame& pf, uint16_t mss);

}  // namespace openvpc::dataplane
