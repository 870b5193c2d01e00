#include "dataplane/wire/packet6.h"
#include "dataplane/wire/bytes.h"

#include <algorithm>
#include <cstring>

namespace openvpc::dataplane {

namespace {

constexpr size_t kEthernet = 14, kIpv6Header = 40, kUdpHeader = 8;
constexpr size_t kMaxPayload = 0xffff;  // beyond it only a jumbogram (RFC 2675) would do


// Where NEXT_HEADER keeps its checksum in the L4 header, 0 when we do not compute one.
size_t ChecksumOffset(uint8_t next_header) {
  switch (next_header) {
    case kNextHeaderIcmpv6:
      return 2;
    case kNextHeaderUdp:
      return 6;
    default:
      return 0;
  }
}

}  // namespace

uint16_t Ipv6L4Checksum(const net::Ipv6& src, const net::Ipv6& dst, uint8_t next_header, std::span<const uint8_t> l4) {
  uint32_t sum = ChecksumAdd(0, src.bytes);
  sum = ChecksumAdd(sum, dst.bytes);
  // The pseudo-header's 32-bit length and 24 zero bits + next header, as 16-bit words.
  const uint64_t length = l4.size();
  sum += uint32_t(length >> 16 & 0xffff) + uint32_t(length & 0xffff);
  sum += next_header;
  // ChecksumAdd's 32-bit accumulator must not overflow: fold between large chunks.
  constexpr size_t kChunk = 1 << 16;
  for (size_t at = 0; at < l4.size(); at += kChunk) {
    sum = ChecksumFold(sum);
    sum = ChecksumAdd(sum, l4.subspan(at, std::min(kChunk, l4.size() - at)));
  }
  return uint16_t(~ChecksumFold(sum));
}

std::vector<uint8_t> BuildIpv6Frame(const MacAddress& src_mac, const MacAddress& dst_mac, const net::Ipv6& src,
                                    const net::Ipv6& dst, uint8_t next_header, uint8_t hop_limit,
                                    std::span<const uint8_t> l4) {
  if (l4.size() > kMaxPayload) return {};
  std::vector<uint8_t> out(kEthernet + kIpv6Header + l4.size());
  uint8_t* d = out.data();
  memcpy(d, dst_mac.data(), 6);
  memcpy(d + 6, src_mac.data(), 6);
  Put16(d + 12, kEtherTypeIpv6);
  uint8_t* ip = d + kEthernet;
  ip[0] = 0x60;  // version 6, traffic class 0, flow label 0
  Put16(ip + 4, uint16_t(l4.size()));
  ip[6] = next_header;
  ip[7] = hop_limit;
  memcpy(ip + 8, src.bytes.data(), 16);
  memcpy(ip + 24, dst.bytes.data(), 16);
  uint8_t* payload = ip + kIpv6Header;
  if (!l4.empty()) memcpy(payload, l4.data(), l4.size());

  size_t off = ChecksumOffset(next_header);
  if (off != 0 && l4.size() >= off + 2) {
    Put16(payload + off, 0);
    uint16_t c = Ipv6L4Checksum(src, dst, next_header, {payload, l4.size()});
    // RFC 8200 section 8.1: a computed UDP checksum of zero is sent as all ones.
    if (next_header == kNextHeaderUdp && c == 0) c = 0xffff;
    Put16(payload + off, c);
  }
  return out;
}

std::vector<uint8_t> BuildUdp6Frame(const MacAddress& src_mac, const MacAddress& dst_mac, const net::Ipv6& src,
                                    const net::Ipv6& dst, uint16_t src_port, uint16_t dst_port,
                                    std::span<const uint8_t> payload, uint8_t hop_limit) {
  if (payload.size() > kMaxPayload - kUdpHeader) return {};
  std::vector<uint8_t> udp(kUdpHeader + payload.size());
  Put16(udp.data(), src_port);
  Put16(udp.data() + 2, dst_port);
  Put16(udp.data() + 4, uint16_t(udp.size()));
  if (!payload.empty()) memcpy(udp.data() + kUdpHeader, payload.data(), payload.size());
  return BuildIpv6Frame(src_mac, dst_mac, src, dst, kNextHeaderUdp, hop_limit, udp);
}

net::Ipv6 LinkLocalFromMac(const MacAddress& mac) {
  net::Ipv6 ip;
  ip.bytes[0] = 0xfe;
  ip.bytes[1] = 0x80;
  ip.bytes[8] = mac[0] ^ 0x02;
  ip.bytes[9] = mac[1];
  ip.bytes[10] = mac[2];
  ip.bytes[11] = 0xff;
  ip.bytes[12] = 0xfe;
  ip.bytes[13] = mac[3];
  ip.bytes[14] = mac[4];
  ip.bytes[15] = mac[5];
  return ip;
}

MacAddress MulticastMacFor(const net::Ipv6& group) {
  return {0x33, 0x33, group.bytes[12], group.bytes[13], group.bytes[14], group.bytes[15]};
}

net::Ipv6 SolicitedNodeMulticast(const net::Ipv6& ip) {
  net::Ipv6 group{{0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0}};
  group.bytes[13] = ip.bytes[13];
  group.bytes[14] = ip.bytes[14];
  group.bytes[15] = ip.bytes[15];
  return group;
}

}  // namespace openvpc::dataplane
