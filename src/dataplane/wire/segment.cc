// TCP segmentation in software: wire/segment.h.
#include "dataplane/wire/segment.h"

#include <algorithm>

#include "dataplane/wire/packet6.h"

namespace openvpc::dataplane {

std::vector<std::vector<uint8_t>> SegmentTcp(std::span<const uint8_t> frame, const ParsedFrame& pf, uint16_t mss) {
  std::vector<std::vector<uint8_t>> out;
  const bool v6 = pf.ether_type == kEtherTypeIpv6;
  if (mss == 0 || pf.protocol != 6 || pf.fragment || (!v6 && pf.ether_type != kEtherTypeIpv4) ||
      pf.l4 + 20 > frame.size())
    return out;
  const size_t header = static_cast<size_t>(frame[pf.l4 + 12] >> 4) * 4;
  const size_t end = std::min(frame.size(), 14 + size_t{pf.ip_total_length});
  if (header < 20 || pf.l4 + header > end) return out;
  const size_t headers = pf.l4 + header, payload = end - headers;
  const uint8_t* ip = frame.data() + pf.l3;
  const uint16_t id = v6 ? 0 : static_cast<uint16_t>(ip[4] << 8 | ip[5]);
  const uint8_t* tcp = frame.data() + pf.l4;
  const uint32_t seq = uint32_t{tcp[4]} << 24 | uint32_t{tcp[5]} << 16 | uint32_t{tcp[6]} << 8 | tcp[7];
  const uint8_t flags = tcp[13];
  size_t count = 0;
  for (size_t off = 0; off < payload || (payload == 0 && count == 0); off += mss, ++count) {
    const size_t len = std::min<size_t>(mss, payload - off);
    std::vector<uint8_t> s(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(headers));
    s.insert(s.end(), frame.begin() + static_cast<std::ptrdiff_t>(headers + off),
             frame.begin() + static_cast<std::ptrdiff_t>(headers + off + len));
    uint8_t* sip = s.data() + pf.l3;
    const size_t total = s.size() - pf.l3;
    if (v6) {  // the payload length (extension headers included); IPv6 has no identification
      sip[4] = static_cast<uint8_t>((total - 40) >> 8), sip[5] = static_cast<uint8_t>(total - 40);
    } else {
      sip[2] = static_cast<uint8_t>(total >> 8), sip[3] = static_cast<uint8_t>(total);
      const uint16_t sid = static_cast<uint16_t>(id + count);
      sip[4] = static_cast<uint8_t>(sid >> 8), sip[5] = static_cast<uint8_t>(sid);
    }
    uint8_t* stcp = s.data() + pf.l4;
    const uint32_t sseq = seq + static_cast<uint32_t>(off);
    for (int i = 0; i < 4; ++i) stcp[4 + i] = static_cast<uint8_t>(sseq >> (24 - 8 * i));
    const bool last = off + len >= payload;
    uint8_t f = flags;
    if (!last) f &= static_cast<uint8_t>(~(kTcpFin | 0x08));  // FIN and PSH: the last segment's
    if (count > 0) f &= static_cast<uint8_t>(~0x80);          // CWR: the first's
    stcp[13] = f;
    if (v6) {
      stcp[16] = stcp[17] = 0;
      const uint16_t c = Ipv6L4Checksum(pf.src6, pf.dst6, 6, std::span<const uint8_t>(s).subspan(pf.l4));
      stcp[16] = static_cast<uint8_t>(c >> 8), stcp[17] = static_cast<uint8_t>(c);
    } else {
      ParsedFrame spf = pf;
      spf.ip_total_length = static_cast<uint16_t>(total);
      SetIpv4Checksum(s, pf.l3);
      SetL4Checksum(s, spf);
    }
    out.push_back(std::move(s));
    if (payload == 0) break;
  }
  return out;
}

}  // namespace openvpc::dataplane
