// VXLAN (RFC 7348) between the hosts' engines: UDP to port 4789, an 8-byte header with the
// I flag and a 24-bit VNI (one per VPC), then the frame. openvpc's engines also set bit 0 of
// the first reserved byte ("O": offload) and put the frame's virtio-net header (packet.h) before
// it, so that a GSO frame of an instance crosses as one datagram, with its checksum offload,
// instead of being segmented and checksummed in user space on both hosts. A datagram without
// the O flag (another VXLAN speaker) is refused.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace openvpc::dataplane {

inline constexpr uint16_t kVxlanPort = 4789;
inline constexpr size_t kVxlanHeaderSize = 8;

// A VPC's VNI: the low 24 bits of its id's hex number (vpc-0123456789abcdef0 -> 0xbcdef0).
uint32_t VniOf(const std::string& vpc_id);

// DECIDED (openvpc's D flag, bit 1 of the same byte): the sending host decided and translated the
// frame (a NAT gateway's); the receiver delivers it to the interface of its destination MAC.
// Otherwise the frame is as it left its source, and the receiver decides it again.
std::array<uint8_t, kVxlanHeaderSize> VxlanHeader(uint32_t vni, bool decided = false);
struct VxlanInfo {
  uint32_t vni = 0;
  bool decided = false;
};
// The header of a datagram of openvpc's (I and O flags set), else nothing.
std::optional<VxlanInfo> ParseVxlanHeader(std::span<const uint8_t> datagram);

}  // namespace openvpc::dataplane
