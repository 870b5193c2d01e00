#include "dataplane/engine/path_mtu.h"
#include "dataplane/wire/bytes.h"

#include <algorithm>
#include <cstring>

#include "dataplane/wire/packet6.h"

namespace openvpc::dataplane {

bool DontFragment(std::span<const uint8_t> frame, const ParsedFrame& pf) {
  return pf.ether_type == kEtherTypeIpv4 && (frame[pf.l3 + 6] & 0x40);
}

std::vector<std::vector<uint8_t>> FragmentIpv4(std::span<const uint8_t> frame, const ParsedFrame& pf, uint16_t mtu) {
  std::vector<std::vector<uint8_t>> out;
  const uint8_t* ip = frame.data() + pf.l3;
  const size_t ihl = size_t{ip[0] & 0xfu} * 4, total = pf.ip_total_length;
  if (mtu < ihl + 8 || total <= mtu) return out;
  const uint16_t flags = Get16(ip + 6);
  const size_t first_offset = size_t{flags & 0x1fffu} * 8;
  const bool more_after = flags & 0x2000;
  const size_t step = (mtu - ihl) / 8 * 8;
  for (size_t from = 0; from < total - ihl; from += step) {
    const size_t len = std::min(step, total - ihl - from);
    const bool last = from + len == total - ihl;
    std::vector<uint8_t> f(pf.l3 + ihl + len);
    memcpy(f.data(), frame.data(), pf.l3 + ihl);  // Ethernet and the IP header with its options
    memcpy(f.data() + pf.l3 + ihl, ip + ihl + from, len);
    uint8_t* h = f.data() + pf.l3;
    Put16(h + 2, static_cast<uint16_t>(ihl + len));
    const uint16_t more = !last || more_after ? 0x2000 : 0;
    Put16(h + 6, static_cast<uint16_t>((flags & 0x4000) | more | ((first_offset + from) / 8)));
    SetIpv4Checksum(f, pf.l3);
    out.push_back(std::move(f));
  }
  return out;
}

std::vector<uint8_t> BuildFragmentationNeeded(std::span<const uint8_t> frame, const ParsedFrame& pf, net::Ipv4 router,
                                              const MacAddress& router_mac, uint16_t mtu) {
  const uint8_t* ip = frame.data() + pf.l3;
  const size_t ihl = size_t{ip[0] & 0xfu} * 4;
  const size_t quoted = std::min<size_t>(ihl + 8, pf.ip_total_length);
  std::vector<uint8_t> out(14 + 20 + 8 + quoted);
  uint8_t* d = out.data();
  memcpy(d, pf.src_mac.data(), 6);
  memcpy(d + 6, router_mac.data(), 6);
  Put16(d + 12, kEtherTypeIpv4);
  uint8_t* h = d + 14;
  h[0] = 0x45;
  h[1] = 0xc0;  // internetwork control, as routers send their ICMP
  Put16(h + 2, static_cast<uint16_t>(20 + 8 + quoted));
  h[8] = 64;
  h[9] = 1;
  for (int i = 0; i < 4; ++i) {
    h[12 + i] = static_cast<uint8_t>(router.value >> (24 - 8 * i));
    h[16 + i] = static_cast<uint8_t>(pf.src.value >> (24 - 8 * i));
  }
  uint8_t* icmp = h + 20;
  icmp[0] = 3;  // destination unreachable
  icmp[1] = 4;  // fragmentation needed and DF set
  Put16(icmp + 6, mtu);
  memcpy(icmp + 8, ip, quoted);
  SetIpv4Checksum(out, 14);
  Put16(icmp + 2, static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(0, {icmp, 8 + quoted}))));
  return out;
}

std::vector<uint8_t> BuildPacketTooBig(std::span<const uint8_t> frame, const ParsedFrame& pf, const net::Ipv6& router,
                                       const MacAddress& router_mac, uint16_t mtu) {
  // The invoking packet, "as much as possible without the ICMPv6 packet exceeding the minimum
  // IPv6 MTU" (1,280 = 40 + 8 + 1,232).
  const size_t quoted = std::min<size_t>(size_t{pf.ip_total_length}, 1280 - 40 - 8);
  std::vector<uint8_t> l4(8 + quoted);
  l4[0] = 2;  // packet too big
  l4[4] = l4[5] = 0;
  Put16(l4.data() + 6, mtu);
  memcpy(l4.data() + 8, frame.data() + pf.l3, quoted);
  return BuildIpv6Frame(router_mac, pf.src_mac, router, pf.src6, kNextHeaderIcmpv6, 64, l4);
}

}  // namespace openvpc::dataplane
