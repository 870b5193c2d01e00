// The PROXY protocol v2 and TCP stream insertion: wire/proxy_protocol.h.
#include "dataplane/wire/proxy_protocol.h"
#include "dataplane/wire/bytes.h"

#include "dataplane/wire/packet6.h"

#include <algorithm>
#include <cstring>

namespace openvpc::dataplane {

namespace {

// RFC 1624 for a 32-bit field: the checksum at SUM changes as FROM becomes TO.
void Adjust32(uint8_t* sum, uint32_t from, uint32_t to) {
  uint32_t s = static_cast<uint16_t>(~Get16(sum));
  s += static_cast<uint16_t>(~(from >> 16)) + static_cast<uint16_t>(~from & 0xffff);
  s += (to >> 16) + (to & 0xffff);
  Put16(sum, static_cast<uint16_t>(~ChecksumFold(s)));
}

// Sequence number A is after B (RFC 1982 serial arithmetic).
bool After(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

}  // namespace

std::vector<uint8_t> ProxyProtocolV2Header(const net::Ipv6& src, uint16_t sport, const net::Ipv6& dst, uint16_t dport,
                                           const std::string& vpce_id) {
  static const uint8_t kSignature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};
  std::vector<uint8_t> h(kSignature, kSignature + 12);
  h.push_back(0x21);  // version 2, PROXY
  const bool v4 = net::IsIpv4Mapped(src) && net::IsIpv4Mapped(dst);
  h.push_back(v4 ? 0x11 : 0x21);  // AF_INET or AF_INET6, STREAM
  std::vector<uint8_t> body;
  if (v4) {
    body.resize(12);
    Put32(body.data(), net::MappedIpv4(src).value);
    Put32(body.data() + 4, net::MappedIpv4(dst).value);
  } else {  // an IPv4 address beside an IPv6 one goes as mapped
    body.resize(36);
    memcpy(body.data(), src.bytes.data(), 16);
    memcpy(body.data() + 16, dst.bytes.data(), 16);
  }
  Put16(body.data() + body.size() - 4, sport);
  Put16(body.data() + body.size() - 2, dport);
  if (!vpce_id.empty()) {  // PP2_TYPE_AWS (0xEA), subtype PP2_SUBTYPE_AWS_VPCE_ID (0x01)
    body.push_back(0xea);
    const uint16_t len = static_cast<uint16_t>(1 + vpce_id.size());
    body.push_back(static_cast<uint8_t>(len >> 8));
    body.push_back(static_cast<uint8_t>(len));
    body.push_back(0x01);
    body.insert(body.end(), vpce_id.begin(), vpce_id.end());
  }
  h.push_back(static_cast<uint8_t>(body.size() >> 8));
  h.push_back(static_cast<uint8_t>(body.size()));
  h.insert(h.end(), body.begin(), body.end());
  return h;
}

uint32_t TcpSequence(std::span<const uint8_t> frame, const ParsedFrame& pf) {
  return pf.l4 + 8 <= frame.size() ? Get32(frame.data() + pf.l4 + 4) : 0;
}

uint32_t TcpAcknowledgement(std::span<const uint8_t> frame, const ParsedFrame& pf) {
  return pf.l4 + 12 <= frame.size() ? Get32(frame.data() + pf.l4 + 8) : 0;
}

size_t TcpPayloadLength(std::span<const uint8_t> frame, const ParsedFrame& pf) {
  if (pf.l4 + 20 > frame.size()) return 0;
  const size_t header = static_cast<size_t>(frame[pf.l4 + 12] >> 4) * 4;
  const size_t end = std::min(frame.size(), 14 + size_t{pf.ip_total_length});
  if (header < 20) return 0;  // a malformed data offset: no payload to speak of
  return end > pf.l4 + header ? end - pf.l4 - header : 0;
}

void ShiftTcpNumbers(std::span<uint8_t> frame, const ParsedFrame& pf, uint32_t seq_delta, uint32_t ack_delta,
                     uint32_t ack_after, const VnetHeader& vh) {
  if (pf.protocol != 6 || pf.fragment || pf.l4 + 20 > frame.size()) return;
  uint8_t* tcp = frame.data() + pf.l4;
  uint8_t* sum = tcp + 16;
  const bool partial = vh.flags & kVnetNeedsCsum;  // the device sums the segment: nothing to adjust
  auto shift = [&](uint8_t* field, uint32_t delta) {
    const uint32_t from = Get32(field), to = from + delta;
    Put32(field, to);
    if (!partial) Adjust32(sum, from, to);
  };
  if (seq_delta) shift(tcp + 4, seq_delta);
  if (!ack_delta || !(tcp[13] & kTcpAck)) return;
  if (After(Get32(tcp + 8), ack_after)) shift(tcp + 8, ack_delta);
  // SACK blocks (option 5): pairs of edges in the same sequence space.
  const size_t header = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (pf.l4 + header > frame.size()) return;
  for (size_t i = 20; i < header;) {
    const uint8_t kind = tcp[i];
    if (kind == 0) break;
    if (kind == 1) {
      ++i;
      continue;
    }
    if (i + 1 >= header || tcp[i + 1] < 2 || i + tcp[i + 1] > header) break;
    const uint8_t len = tcp[i + 1];
    if (kind == 5)
      for (size_t e = i + 2; e + 4 <= i + len; e += 4)
        if (After(Get32(tcp + e), ack_after)) shift(tcp + e, ack_delta);
    i += len;
  }
}

std::vector<uint8_t> BuildTcpSegmentLike(std::span<const uint8_t> frame, const ParsedFrame& pf,
                                         std::span<const uint8_t> payload) {
  if (pf.protocol != 6 || pf.fragment || pf.l4 + 20 > frame.size()) return {};
  const size_t header = static_cast<size_t>(frame[pf.l4 + 12] >> 4) * 4;
  if (header < 20 || pf.l4 + header > frame.size() || pf.l4 + header > 14 + size_t{pf.ip_total_length}) return {};
  std::vector<uint8_t> out(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(pf.l4 + header));
  out.insert(out.end(), payload.begin(), payload.end());
  uint8_t* ip = out.data() + pf.l3;
  out[pf.l4 + 13] = kTcpAck | 0x08;  // ACK | PSH
  if (pf.ether_type == kEtherTypeIpv6) {
    Put16(ip + 4, static_cast<uint16_t>(out.size() - pf.l3 - 40));  // payload length
    Put16(out.data() + pf.l4 + 16, 0);
    Put16(out.data() + pf.l4 + 16,
          Ipv6L4Checksum(pf.src6, pf.dst6, 6, std::span<const uint8_t>(out).subspan(pf.l4)));
    return out;
  }
  Put16(ip + 2, static_cast<uint16_t>(out.size() - pf.l3));  // total length
  ParsedFrame copy = pf;
  copy.ip_total_length = static_cast<uint16_t>(out.size() - pf.l3);
  SetIpv4Checksum(out, pf.l3);
  SetL4Checksum(out, copy);
  return out;
}

}  // namespace openvpc::dataplane
