#include "dataplane/wire/vxlan.h"

namespace openvpc::dataplane {

namespace {
constexpr uint8_t kFlagI = 0x08;  // RFC 7348: the VNI is valid
constexpr uint8_t kFlagO = 0x01;  // openvpc: a virtio-net header precedes the frame
constexpr uint8_t kFlagD = 0x02;  // openvpc: decided and translated, to be delivered as it is
}  // namespace

uint32_t VniOf(const std::string& vpc_id) {
  uint32_t vni = 0;
  const size_t start = vpc_id.rfind('-') == std::string::npos ? 0 : vpc_id.rfind('-') + 1;
  for (size_t i = start; i < vpc_id.size(); ++i) {
    const char c = vpc_id[i];
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : 0;
    vni = (vni << 4 | static_cast<uint32_t>(d)) & 0xffffff;
  }
  return vni;
}

std::array<uint8_t, kVxlanHeaderSize> VxlanHeader(uint32_t vni, bool decided) {
  return {kFlagI, static_cast<uint8_t>(kFlagO | (decided ? kFlagD : 0)), 0, 0, static_cast<uint8_t>(vni >> 16), static_cast<uint8_t>(vni >> 8),
          static_cast<uint8_t>(vni), 0};
}

std::optional<VxlanInfo> ParseVxlanHeader(std::span<const uint8_t> d) {
  if (d.size() < kVxlanHeaderSize || d[0] != kFlagI || (d[1] & ~kFlagD) != kFlagO) return std::nullopt;
  return VxlanInfo{.vni = uint32_t{d[4]} << 16 | uint32_t{d[5]} << 8 | d[6], .decided = (d[1] & kFlagD) != 0};
}

}  // namespace openvpc::dataplane
