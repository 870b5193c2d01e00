#include "dataplane/wire/packet.h"
#include "dataplane/wire/bytes.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace openvpc::dataplane {

namespace {

// The offset of the L4 checksum field for PROTOCOL, or 0 when it has none we maintain.
size_t L4ChecksumOffset(uint8_t protocol) {
  switch (protocol) {
    case 6: return 16;
    case 17: return 6;
    default: return 0;
  }
}

bool ParseTransport(std::span<const uint8_t> f, ParsedFrame& out);
bool ParseIpv6(std::span<const uint8_t> f, ParsedFrame& out);

}  // namespace

std::optional<MacAddress> ParseMac(std::string_view text) {
  MacAddress m{};
  unsigned v[6];
  if (text.size() != 17) return std::nullopt;
  std::string s(text);
  if (sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6) return std::nullopt;
  for (int i = 0; i < 6; ++i) m[i] = static_cast<uint8_t>(v[i]);
  return m;
}

std::string MacToString(const MacAddress& m) {
  char buf[18];
  snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
  return buf;
}

bool ParseFrame(std::span<const uint8_t> f, ParsedFrame& out) {
  if (f.size() < 14) return false;
  const uint8_t* d = f.data();
  memcpy(out.dst_mac.data(), d, 6);
  memcpy(out.src_mac.data(), d + 6, 6);
  out.ether_type = Get16(d + 12);
  out.l3 = 14;
  if (out.ether_type == kEtherTypeArp) {
    if (f.size() < 14 + 28) return false;
    const uint8_t* a = d + 14;
    if (Get16(a) != 1 || Get16(a + 2) != kEtherTypeIpv4 || a[4] != 6 || a[5] != 4) return false;
    out.arp_op = Get16(a + 6);
    out.arp_sender = {Get32(a + 14)};
    out.arp_target = {Get32(a + 24)};
    return true;
  }
  if (out.ether_type == kEtherTypeIpv6) return ParseIpv6(f, out);
  if (out.ether_type != kEtherTypeIpv4) return true;  // others: the caller decides
  if (f.size() < 14 + 20) return false;
  const uint8_t* ip = d + 14;
  if ((ip[0] >> 4) != 4) return false;
  size_t ihl = size_t{ip[0] & 0xfu} * 4;
  if (ihl < 20 || f.size() < 14 + ihl) return false;
  out.ip_total_length = Get16(ip + 2);
  if (out.ip_total_length < ihl || 14 + size_t{out.ip_total_length} > f.size()) return false;
  out.ttl = ip[8];
  out.protocol = ip[9];
  out.src = {Get32(ip + 12)};
  out.dst = {Get32(ip + 16)};
  uint16_t frag = Get16(ip + 6);
  out.fragment = (frag & 0x1fff) != 0;  // a later fragment: no ports to read
  out.first_fragment = (frag & 0x3fff) == 0x2000;
  if (frag & 0x3fff) out.fragment_id = Get16(ip + 4);
  out.l4 = 14 + ihl;
  if (out.fragment) return true;
  return ParseTransport(f, out);
}

namespace {

bool ParseTransport(std::span<const uint8_t> f, ParsedFrame& out) {
  const uint8_t* l4 = f.data() + out.l4;
  size_t l4len = 14 + out.ip_total_length - out.l4;
  switch (out.protocol) {
    case 6:
      if (l4len < 20) return false;
      out.src_port = Get16(l4);
      out.dst_port = Get16(l4 + 2);
      out.tcp_flags = l4[13];
      break;
    case 17:
      if (l4len < 8) return false;
      out.src_port = Get16(l4);
      out.dst_port = Get16(l4 + 2);
      break;
    case 1:
      if (l4len < 8) return false;
      out.icmp_type = l4[0];
      out.icmp_code = l4[1];
      if (out.icmp_type == 0 || out.icmp_type == 8) out.src_port = out.dst_port = Get16(l4 + 4);  // echo id
      break;
    case 58:
      if (l4len < 4) return false;
      out.icmp_type = l4[0];
      out.icmp_code = l4[1];
      if (out.icmp_type == 128 || out.icmp_type == 129) {  // echo request, reply: the identifier
        if (l4len < 8) return false;
        out.src_port = out.dst_port = Get16(l4 + 4);
      }
      break;
    default:
      break;
  }
  return true;
}

bool ParseIpv6(std::span<const uint8_t> f, ParsedFrame& out) {
  if (f.size() < 14 + 40) return false;
  const uint8_t* ip = f.data() + 14;
  if ((ip[0] >> 4) != 6) return false;
  out.ip_total_length = static_cast<uint16_t>(std::min<size_t>(40 + size_t{Get16(ip + 4)}, 0xffff));
  if (40 + size_t{Get16(ip + 4)} > 0xffff || 14 + size_t{out.ip_total_length} > f.size()) return false;
  out.ttl = ip[7];
  memcpy(out.src6.bytes.data(), ip + 8, 16);
  memcpy(out.dst6.bytes.data(), ip + 24, 16);
  // The extension headers (RFC 8200 §4): hop-by-hop, routing, fragment, destination options,
  // authentication; the protocol is the first next header that is none of them.
  uint8_t next = ip[6];
  size_t off = 14 + 40;
  const size_t end = 14 + size_t{out.ip_total_length};
  for (int n = 0; n < 8; ++n) {
    if (next != 0 && next != 43 && next != 44 && next != 60 && next != 51) break;
    if (off + 8 > end) return false;
    const uint8_t* h = f.data() + off;
    size_t len = next == 44 ? 8 : next == 51 ? (size_t{h[1]} + 2) * 4 : (size_t{h[1]} + 1) * 8;
    if (next == 44) {
      const uint16_t offset_flags = Get16(h + 2);
      out.fragment |= (offset_flags & 0xfff8) != 0;  // not the first fragment
      out.first_fragment = (offset_flags & 0xfff9) == 1;  // offset 0, more to come (not an atomic fragment)
      if (offset_flags & 0xfff9) out.fragment_id = Get32(h + 4);
    }
    next = h[0];
    off += len;
    if (off > end) return false;
  }
  if (next == 0 || next == 43 || next == 44 || next == 60 || next == 51) return false;  // a chain too long
  out.protocol = next;
  out.l3 = 14;
  out.l4 = off;
  if (out.fragment) return true;
  return ParseTransport(f, out);
}

}  // namespace

uint32_t ChecksumAdd(uint32_t sum, std::span<const uint8_t> data) {
  size_t i = 0;
  for (; i + 1 < data.size(); i += 2) sum += Get16(&data[i]);
  if (i < data.size()) sum += uint32_t{data[i]} << 8;
  return sum;
}

uint16_t ChecksumFold(uint32_t sum) {
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<uint16_t>(sum);
}

void SetIpv4Checksum(std::span<uint8_t> f, size_t l3) {
  uint8_t* ip = f.data() + l3;
  size_t ihl = size_t{ip[0] & 0xfu} * 4;
  Put16(ip + 10, 0);
  Put16(ip + 10, static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(0, {ip, ihl}))));
}

void SetL4Checksum(std::span<uint8_t> f, const ParsedFrame& pf) {
  uint8_t* ip = f.data() + pf.l3;
  size_t len = 14 + pf.ip_total_length - pf.l4;
  uint8_t* l4 = f.data() + pf.l4;
  size_t off = pf.protocol == 1 ? 2 : L4ChecksumOffset(pf.protocol);
  if (off == 0 || len < off + 2) return;
  Put16(l4 + off, 0);
  uint32_t sum = 0;
  if (pf.protocol != 1) {  // ICMP has no pseudo-header
    sum = ChecksumAdd(sum, {ip + 12, 8});
    sum += pf.protocol;
    sum += static_cast<uint32_t>(len);
  }
  sum = ChecksumAdd(sum, {l4, len});
  uint16_t c = static_cast<uint16_t>(~ChecksumFold(sum));
  if (pf.protocol == 17 && c == 0) c = 0xffff;  // UDP: zero means "no checksum"
  Put16(l4 + off, c);
}

void CompleteChecksum(VnetHeader& vh, std::span<uint8_t> f) {
  if (!(vh.flags & kVnetNeedsCsum)) return;
  size_t start = vh.csum_start, field = size_t{vh.csum_start} + vh.csum_offset;
  if (start > f.size() || field + 2 > f.size()) return;
  // The field holds the pseudo-header sum already: summing the whole span includes it.
  uint16_t c = static_cast<uint16_t>(~ChecksumFold(ChecksumAdd(0, f.subspan(start))));
  Put16(f.data() + field, c);
  vh.flags &= static_cast<uint8_t>(~kVnetNeedsCsum);
}

void RewriteIpv4Address(std::span<uint8_t> f, const ParsedFrame& pf, bool source, net::Ipv4 to, const VnetHeader& vh) {
  uint8_t* ip = f.data() + pf.l3;
  uint8_t* field = ip + (source ? 12 : 16);
  uint32_t from = Get32(field);
  Put32(field, to.value);
  // RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), over the two 16-bit halves.
  auto update = [&](uint8_t* sum_field, bool partial) {
    uint32_t s = partial ? Get16(sum_field) : static_cast<uint16_t>(~Get16(sum_field));
    s += static_cast<uint16_t>(~(from >> 16)) + static_cast<uint16_t>(~from);
    s += (to.value >> 16) + (to.value & 0xffff);
    uint16_t folded = ChecksumFold(s);
    Put16(sum_field, partial ? folded : static_cast<uint16_t>(~folded));
  };
  update(ip + 10, false);
  size_t off = L4ChecksumOffset(pf.protocol);
  if (off == 0 || pf.fragment) return;
  uint8_t* l4 = f.data() + pf.l4;
  if (pf.l4 + off + 2 > f.size()) return;
  bool partial = vh.flags & kVnetNeedsCsum;  // the field holds the pseudo-header sum, not inverted
  if (pf.protocol == 17 && !partial && Get16(l4 + off) == 0) return;  // UDP without checksum
  update(l4 + off, partial);
}

void RewriteIpv6Address(std::span<uint8_t> f, const ParsedFrame& pf, bool source, const net::Ipv6& to,
                        const VnetHeader& vh) {
  uint8_t* field = f.data() + pf.l3 + (source ? 8 : 24);
  uint32_t s_old = 0, s_new = 0;  // the 16-bit words before and after, summed (RFC 1624)
  for (int i = 0; i < 16; i += 2) {
    s_old += static_cast<uint16_t>(~Get16(field + i));
    s_new += static_cast<uint16_t>(to.bytes[i] << 8 | to.bytes[i + 1]);
  }
  std::memcpy(field, to.bytes.data(), 16);
  size_t off = L4ChecksumOffset(pf.protocol);
  if (off == 0 || pf.fragment || pf.l4 + off + 2 > f.size()) return;
  uint8_t* sum_field = f.data() + pf.l4 + off;
  const bool partial = vh.flags & kVnetNeedsCsum;  // the field holds the pseudo-header sum, not inverted
  uint32_t s = partial ? Get16(sum_field) : static_cast<uint16_t>(~Get16(sum_field));
  s += s_old + s_new;
  const uint16_t folded = ChecksumFold(s);
  Put16(sum_field, partial ? folded : static_cast<uint16_t>(~folded));
}

void RewritePort(std::span<uint8_t> f, const ParsedFrame& pf, bool source, uint16_t to, const VnetHeader& vh) {
  if (pf.fragment) return;
  uint8_t* l4 = f.data() + pf.l4;
  size_t field_off, sum_off;
  if (pf.protocol == 6 || pf.protocol == 17) {
    field_off = source ? 0 : 2;
    sum_off = L4ChecksumOffset(pf.protocol);
  } else if (pf.protocol == 1 && (pf.icmp_type == 0 || pf.icmp_type == 8)) {
    field_off = 4;  // the echo identifier stands for both ports
    sum_off = 2;
  } else {
    return;
  }
  if (pf.l4 + std::max(field_off, sum_off) + 2 > f.size()) return;
  uint16_t from = Get16(l4 + field_off);
  Put16(l4 + field_off, to);
  if (vh.flags & kVnetNeedsCsum) return;
  if (pf.protocol == 17 && Get16(l4 + sum_off) == 0) return;  // UDP without checksum
  uint32_t s = static_cast<uint16_t>(~Get16(l4 + sum_off));
  s += static_cast<uint16_t>(~from) + uint32_t{to};
  uint16_t c = static_cast<uint16_t>(~ChecksumFold(s));
  if (pf.protocol == 17 && c == 0) c = 0xffff;
  Put16(l4 + sum_off, c);
}

bool ClampTcpMss(std::span<uint8_t> f, const ParsedFrame& pf, uint16_t max_mss, const VnetHeader& vh) {
  if (pf.protocol != 6 || pf.fragment || !(pf.tcp_flags & kTcpSyn) || pf.l4 + 20 > f.size()) return false;
  uint8_t* tcp = f.data() + pf.l4;
  const size_t header = static_cast<size_t>(tcp[12] >> 4) * 4;
  if (header < 20 || pf.l4 + header > f.size()) return false;
  for (size_t i = 20; i < header;) {
    const uint8_t kind = tcp[i];
    if (kind == 0) break;  // end of options
    if (kind == 1) {       // no-operation
      ++i;
      continue;
    }
    if (i + 1 >= header || tcp[i + 1] < 2 || i + tcp[i + 1] > header) break;  // malformed: leave it
    if (kind == 2 && tcp[i + 1] == 4) {
      const size_t at = i + 2;
      if (Get16(tcp + at) <= max_mss) return false;
      // The checksum's 16-bit words the value touches (it may start at an odd offset), before and after.
      const size_t first = at & ~size_t{1}, last = (at + 2 + 1) & ~size_t{1};  // [first, last) even-aligned
      uint8_t before[4] = {}, after[4] = {};  // a byte past the segment's end counts as 0, as its padding
      const size_t span = std::min(last - first, f.size() - pf.l4 - first);
      memcpy(before, tcp + first, span);
      Put16(tcp + at, max_mss);
      memcpy(after, tcp + first, span);
      if (vh.flags & kVnetNeedsCsum) return true;
      uint32_t s = static_cast<uint16_t>(~Get16(tcp + 16));
      for (size_t w = 0; w < last - first; w += 2)
        s += static_cast<uint16_t>(~Get16(before + w)) + uint32_t{Get16(after + w)};
      Put16(tcp + 16, static_cast<uint16_t>(~ChecksumFold(s)));
      return true;
    }
    i += tcp[i + 1];
  }
  return false;
}

std::vector<uint8_t> BuildTcpReset(std::span<const uint8_t> frame, const ParsedFrame& pf) {
  std::vector<uint8_t> out(14 + 20 + 20);
  uint8_t* d = out.data();
  memcpy(d, pf.src_mac.data(), 6);
  memcpy(d + 6, pf.dst_mac.data(), 6);
  Put16(d + 12, kEtherTypeIpv4);
  uint8_t* ip = d + 14;
  ip[0] = 0x45;
  Put16(ip + 2, 40);
  ip[8] = 64;
  ip[9] = 6;
  Put32(ip + 12, pf.dst.value);
  Put32(ip + 16, pf.src.value);
  uint8_t* tcp = ip + 20;
  const uint8_t* in = frame.data() + pf.l4;
  Put16(tcp, pf.dst_port);
  Put16(tcp + 2, pf.src_port);
  if (pf.tcp_flags & kTcpAck) {
    Put32(tcp + 4, Get32(in + 8));
    tcp[13] = kTcpRst;
  } else {
    size_t header = static_cast<size_t>(in[12] >> 4) * 4;
    size_t length = 14 + pf.ip_total_length - pf.l4 - header + ((pf.tcp_flags & (kTcpSyn | kTcpFin)) ? 1 : 0);
    Put32(tcp + 8, Get32(in + 4) + static_cast<uint32_t>(length));
    tcp[13] = kTcpRst | kTcpAck;
  }
  tcp[12] = 0x50;
  SetIpv4Checksum(out, 14);
  ParsedFrame rp;
  ParseFrame(out, rp);
  SetL4Checksum(out, rp);
  return out;
}

std::vector<uint8_t> BuildArpReply(const ParsedFrame& req, const MacAddress& mac) {
  std::vector<uint8_t> out(14 + 28);
  uint8_t* d = out.data();
  memcpy(d, req.src_mac.data(), 6);
  memcpy(d + 6, mac.data(), 6);
  Put16(d + 12, kEtherTypeArp);
  uint8_t* a = d + 14;
  Put16(a, 1);
  Put16(a + 2, kEtherTypeIpv4);
  a[4] = 6;
  a[5] = 4;
  Put16(a + 6, 2);
  memcpy(a + 8, mac.data(), 6);
  Put32(a + 14, req.arp_target.value);
  memcpy(a + 18, req.src_mac.data(), 6);
  Put32(a + 24, req.arp_sender.value);
  return out;
}

std::vector<uint8_t> BuildUdpFrame(const MacAddress& src_mac, const MacAddress& dst_mac, net::Ipv4 src, net::Ipv4 dst,
                                   uint16_t src_port, uint16_t dst_port, std::span<const uint8_t> payload) {
  std::vector<uint8_t> out(14 + 20 + 8 + payload.size());
  uint8_t* d = out.data();
  memcpy(d, dst_mac.data(), 6);
  memcpy(d + 6, src_mac.data(), 6);
  Put16(d + 12, kEtherTypeIpv4);
  uint8_t* ip = d + 14;
  ip[0] = 0x45;
  Put16(ip + 2, static_cast<uint16_t>(20 + 8 + payload.size()));
  ip[8] = 64;
  ip[9] = 17;
  Put32(ip + 12, src.value);
  Put32(ip + 16, dst.value);
  uint8_t* udp = ip + 20;
  Put16(udp, src_port);
  Put16(udp + 2, dst_port);
  Put16(udp + 4, static_cast<uint16_t>(8 + payload.size()));
  if (!payload.empty()) memcpy(udp + 8, payload.data(), payload.size());
  SetIpv4Checksum(out, 14);
  ParsedFrame pf;
  ParseFrame(out, pf);
  SetL4Checksum(out, pf);
  return out;
}

}  // namespace openvpc::dataplane
