// IPv4/IPv6 header translation: wire/translate.h.
#include "dataplane/wire/translate.h"
#include "dataplane/wire/bytes.h"

#include <algorithm>
#include <cstring>
#include <optional>

#include "dataplane/wire/packet6.h"

namespace openvpc::dataplane {

namespace {

// The one's-complement sum of an address's 16-bit words as the pseudo-header has them (4 bytes
// of an IPv4 address, 16 of an IPv6 one).
uint32_t AddressWords(const net::Ipv6& a, bool v4) {
  uint32_t s = 0;
  for (int i = v4 ? 12 : 0; i < 16; i += 2) s += static_cast<uint32_t>(a.bytes[i] << 8 | a.bytes[i + 1]);
  return s;
}

}  // namespace

std::optional<std::span<uint8_t>> TranslateIpFamilyInPlace(std::span<uint8_t> room, size_t at, const ParsedFrame& pf,
                                                            const net::Ipv6& src, const net::Ipv6& dst, VnetHeader& vh) {
  if (at > room.size()) return std::nullopt;
  const std::span<uint8_t> frame = room.subspan(at);
  const bool from_v6 = pf.ether_type == kEtherTypeIpv6;
  if (!from_v6 && pf.ether_type != kEtherTypeIpv4) return std::nullopt;
  const bool to_v4 = net::IsIpv4Mapped(dst);
  if (to_v4 != from_v6 || net::IsIpv4Mapped(src) != to_v4) return std::nullopt;  // not a change of family
  if (pf.fragment || pf.first_fragment || (pf.protocol != 6 && pf.protocol != 17)) return std::nullopt;
  const size_t end = std::min(frame.size(), 14 + size_t{pf.ip_total_length});
  const size_t sum_off = pf.protocol == 6 ? 16 : 6;
  if (pf.l4 + sum_off + 2 > end) return std::nullopt;
  const size_t l4_size = end - pf.l4;
  const size_t header = to_v4 ? 20 : 40;
  if (header + l4_size > 65535 + (to_v4 ? 0 : 40)) return std::nullopt;  // IPv4's total length, IPv6's payload length
  // The transport header stays where it is; the new IP header ends where the old one ended, and
  // the Ethernet header goes before it: the frame starts SHIFT bytes later (earlier when it grows).
  const std::ptrdiff_t shift = static_cast<std::ptrdiff_t>(pf.l4) - static_cast<std::ptrdiff_t>(14 + header);
  if (static_cast<std::ptrdiff_t>(at) + shift < 0) return std::nullopt;  // no room before the frame
  uint8_t old_ip[60];  // what the new header takes from the old one, before it is overwritten
  memcpy(old_ip, frame.data() + pf.l3, std::min<size_t>(sizeof old_ip, pf.l4 - pf.l3));
  uint8_t macs[12];
  memcpy(macs, frame.data(), 12);
  const net::Ipv6 old_src = from_v6 ? pf.src6 : net::Ipv4Mapped(pf.src);
  const net::Ipv6 old_dst = from_v6 ? pf.dst6 : net::Ipv4Mapped(pf.dst);
  const std::span<uint8_t> out = room.subspan(static_cast<size_t>(static_cast<std::ptrdiff_t>(at) + shift),
                                              14 + header + l4_size);
  memcpy(out.data(), macs, 12);
  uint8_t* ip = out.data() + 14;
  memset(ip, 0, header);
  if (to_v4) {
    Put16(out.data() + 12, kEtherTypeIpv4);
    ip[0] = 0x45;
    ip[1] = static_cast<uint8_t>((old_ip[0] & 0x0f) << 4 | old_ip[1] >> 4);  // the traffic class
    Put16(ip + 2, static_cast<uint16_t>(header + l4_size));
    Put16(ip + 6, 0x4000);  // Don't Fragment (RFC 7915 section 5.1)
    ip[8] = pf.ttl;
    ip[9] = pf.protocol;
    memcpy(ip + 12, src.bytes.data() + 12, 4);
    memcpy(ip + 16, dst.bytes.data() + 12, 4);
    SetIpv4Checksum(out, 14);
  } else {
    Put16(out.data() + 12, kEtherTypeIpv6);
    const uint8_t tos = old_ip[1];
    ip[0] = static_cast<uint8_t>(0x60 | tos >> 4);
    ip[1] = static_cast<uint8_t>((tos & 0x0f) << 4);
    Put16(ip + 4, static_cast<uint16_t>(l4_size));
    ip[6] = pf.protocol;
    ip[7] = pf.ttl;
    memcpy(ip + 8, src.bytes.data(), 16);
    memcpy(ip + 24, dst.bytes.data(), 16);
  }
  uint8_t* t = out.data() + 14 + header;

  // The checksum: the pseudo-header's addresses change; its length and protocol do not.
  const bool partial = vh.flags & kVnetNeedsCsum;  // the field holds the pseudo-header sum, not inverted
  uint8_t* sum = t + sum_off;
  if (!partial && pf.protocol == 17 && Get16(sum) == 0) {  // UDP over IPv4 without a checksum
    if (!to_v4) {
      uint16_t c = Ipv6L4Checksum(src, dst, 17, {t, l4_size});
      Put16(sum, c == 0 ? 0xffff : c);
    }
  } else {
    // RFC 1624 eqn. 3 over the address words: ~HC + ~m + m' (the field itself when partial).
    uint32_t s = partial ? Get16(sum) : static_cast<uint16_t>(~Get16(sum));
    const uint32_t old_words = ChecksumFold(AddressWords(old_src, !from_v6) + AddressWords(old_dst, !from_v6));
    const uint32_t new_words = ChecksumFold(AddressWords(src, to_v4) + AddressWords(dst, to_v4));
    s += static_cast<uint16_t>(~old_words) + new_words;
    const uint16_t folded = ChecksumFold(s);
    Put16(sum, partial ? folded : static_cast<uint16_t>(~folded));
  }

  if (partial) vh.csum_start = static_cast<uint16_t>(14 + header);
  if (vh.hdr_len) vh.hdr_len = static_cast<uint16_t>(std::max<std::ptrdiff_t>(0, std::ptrdiff_t{vh.hdr_len} - shift));
  const uint8_t gso = vh.gso_type & 0x7f, ecn = vh.gso_type & 0x80;
  if (gso == kGsoTcpv4 || gso == kGsoTcpv6) vh.gso_type = static_cast<uint8_t>((to_v4 ? kGsoTcpv4 : kGsoTcpv6) | ecn);
  return out;
}

std::vector<uint8_t> TranslateIpFamily(std::span<const uint8_t> frame, const ParsedFrame& pf, const net::Ipv6& src,
                                       const net::Ipv6& dst, VnetHeader& vh) {
  constexpr size_t kRoom = 40;  // the most a frame grows: an IPv4 header of 20 bytes becomes 40
  std::vector<uint8_t> buf(kRoom + frame.size());
  if (!frame.empty()) memcpy(buf.data() + kRoom, frame.data(), frame.size());
  VnetHeader changed = vh;
  auto out = TranslateIpFamilyInPlace(buf, kRoom, pf, src, dst, changed);
  if (!out) return {};
  vh = changed;
  return std::vector<uint8_t>(out->begin(), out->end());
}

}  // namespace openvpc::dataplane
