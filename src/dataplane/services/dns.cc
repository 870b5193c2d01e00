#include "dataplane/services/dns.h"

#include <algorithm>

namespace openvpc::dataplane {

namespace {

constexpr size_t kHeaderSize = 12;
constexpr size_t kMaxName = 255;  // wire octets, root label included (RFC 1035 section 2.3.4)
constexpr size_t kMaxLabel = 63;
constexpr uint16_t kQr = 0x8000, kAa = 0x0400, kTc = 0x0200, kRd = 0x0100, kRa = 0x0080;
constexpr uint8_t kPointer = 0xC0;
// Answers name the question by a pointer to it: it always starts right after the header.
constexpr uint8_t kQuestionPointer[2] = {kPointer, kHeaderSize};

uint16_t Get16(std::span<const uint8_t> b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
void Append16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}
void Append32(std::vector<uint8_t>& out, uint32_t v) {
  Append16(out, uint16_t(v >> 16));
  Append16(out, uint16_t(v));
}
void Put16(std::vector<uint8_t>& out, size_t at, uint16_t v) {
  out[at] = uint8_t(v >> 8);
  out[at + 1] = uint8_t(v);
}

// Appends one wire label byte in presentation form (lower case, escaped).
void AppendLabelByte(std::string& s, uint8_t c) {
  if (c >= 'A' && c <= 'Z') {
    s.push_back(char(c - 'A' + 'a'));
  } else if (c == '.' || c == '\\') {
    s.push_back('\\');
    s.push_back(char(c));
  } else if (c < 0x21 || c > 0x7E) {
    s.push_back('\\');
    s.push_back(char('0' + c / 100));
    s.push_back(char('0' + c / 10 % 10));
    s.push_back(char('0' + c % 10));
  } else {
    s.push_back(char(c));
  }
}

// Reads the name at POS of MSG into OUT. *END is where the name's bytes end at POS (after the
// first pointer, if any). Every pointer must go below the offset the current run of labels
// started at, so the offsets strictly decrease and the walk ends (RFC 1035 section 4.1.4
// only ever points at earlier names); the 255-octet limit bounds each run.
bool ReadName(std::span<const uint8_t> msg, size_t pos, std::string& out, size_t& end) {
  out.clear();
  size_t p = pos, run_start = pos, wire = 0;
  bool jumped = false;
  for (;;) {
    if (p >= msg.size()) return false;
    uint8_t len = msg[p];
    if ((len & kPointer) == kPointer) {
      if (p + 1 >= msg.size()) return false;
      size_t target = size_t(len & 0x3F) << 8 | msg[p + 1];
      if (target >= run_start) return false;
      if (!jumped) end = p + 2;
      jumped = true;
      p = run_start = target;
      continue;
    }
    if (len & kPointer) return false;  // 0x40 and 0x80: extended label types (RFC 6891 section 5)
    wire += 1 + len;
    if (wire > kMaxName) return false;
    if (len == 0) break;
    if (p + 1 + len > msg.size()) return false;
    if (!out.empty()) out.push_back('.');
    for (size_t i = 0; i < len; ++i) AppendLabelByte(out, msg[p + 1 + i]);
    p += 1 + len;
  }
  if (!jumped) end = p + 1;
  return true;
}

// Appends NAME (presentation form, an optional trailing dot, "" or "." for the root) in wire
// form. False, with OUT unchanged, for an empty label, a label over 63 bytes, a name over 255
// or a bad escape.
bool AppendName(std::string_view name, std::vector<uint8_t>& out) {
  const size_t start = out.size();
  auto fail = [&] {
    out.resize(start);
    return false;
  };
  if (name == ".") name = {};
  size_t label_at = out.size();
  out.push_back(0);  // length of the label being written
  size_t i = 0;
  while (i < name.size()) {
    char c = name[i];
    if (c == '.') {
      size_t n = out.size() - label_at - 1;
      if (n == 0) return fail();
      out[label_at] = uint8_t(n);
      label_at = out.size();
      out.push_back(0);
      ++i;
      continue;
    }
    uint8_t byte = uint8_t(c);
    if (c == '\\') {
      if (i + 1 >= name.size()) return fail();
      auto digit = [&](size_t k) { return k < name.size() && name[k] >= '0' && name[k] <= '9'; };
      if (digit(i + 1)) {
        if (!digit(i + 2) || !digit(i + 3)) return fail();
        int v = (name[i + 1] - '0') * 100 + (name[i + 2] - '0') * 10 + (name[i + 3] - '0');
        if (v > 255) return fail();
        byte = uint8_t(v);
        i += 4;
      } else {
        byte = uint8_t(name[i + 1]);
        i += 2;
      }
    } else {
      ++i;
    }
    if (out.size() - label_at - 1 == kMaxLabel || out.size() - start >= kMaxName) return fail();
    out.push_back(byte);
  }
  size_t n = out.size() - label_at - 1;
  out[label_at] = uint8_t(n);
  if (n > 0) out.push_back(0);  // the root label; already there after a trailing dot
  if (out.size() - start > kMaxName) return fail();
  return true;
}

}  // namespace

std::optional<DnsQuestion> ParseDnsQuery(std::span<const uint8_t> udp_payload) {
  if (udp_payload.size() < kHeaderSize) return std::nullopt;
  uint16_t flags = Get16(udp_payload, 2);
  if ((flags & kQr) || ((flags >> 11) & 0xF) != 0) return std::nullopt;
  if (Get16(udp_payload, 4) != 1) return std::nullopt;
  DnsQuestion q;
  size_t end = 0;
  if (!ReadName(udp_payload, kHeaderSize, q.name, end)) return std::nullopt;
  if (end + 4 > udp_payload.size()) return std::nullopt;
  q.id = Get16(udp_payload, 0);
  q.qtype = Get16(udp_payload, end);
  q.qclass = Get16(udp_payload, end + 2);
  q.recursion_desired = (flags & kRd) != 0;
  return q;
}

std::vector<uint8_t> BuildDnsResponse(const DnsQuestion& q, const DnsAnswer& a) {
  std::vector<uint8_t> out(kHeaderSize, 0);
  out.reserve(kDnsMaxUdpPayload);
  Put16(out, 0, q.id);
  uint16_t flags = kQr | kRa | (q.recursion_desired ? kRd : 0) | (a.authoritative ? kAa : 0);
  if (!AppendName(q.name, out)) {
    Put16(out, 2, flags | kDnsFormErr);
    return out;
  }
  Append16(out, q.qtype);
  Append16(out, q.qclass);
  Put16(out, 4, 1);

  uint8_t rcode = a.rcode & 0x0F;
  uint16_t count = 0;
  bool truncated = false;
  // RFC 2181 section 8: a TTL with the top bit set means zero to the reader; never send one.
  const uint32_t ttl = std::min<uint32_t>(a.ttl, 0x7FFFFFFF);
  // Writes one record's owner, type, class and TTL; the caller appends RDLENGTH and RDATA.
  auto begin_record = [&](uint16_t type) {
    out.insert(out.end(), std::begin(kQuestionPointer), std::end(kQuestionPointer));
    Append16(out, type);
    Append16(out, kDnsClassIn);
    Append32(out, ttl);
  };
  // Keeps the record started at BEFORE if the message still fits in 512 bytes.
  auto commit = [&](size_t before) {
    if (out.size() > kDnsMaxUdpPayload) {
      out.resize(before);
      truncated = true;
      return false;
    }
    ++count;
    return true;
  };

  if (rcode == kDnsNoError && q.qclass == kDnsClassIn) {
    if (q.qtype == kDnsTypeA) {
      for (net::Ipv4 ip : a.a) {
        size_t before = out.size();
        begin_record(kDnsTypeA);
        Append16(out, 4);
        Append32(out, ip.value);
        if (!commit(before)) break;
      }
    } else if (q.qtype == kDnsTypeAaaa) {
      for (const net::Ipv6& ip : a.aaaa) {
        size_t before = out.size();
        begin_record(kDnsTypeAaaa);
        Append16(out, 16);
        out.insert(out.end(), ip.bytes.begin(), ip.bytes.end());
        if (!commit(before)) break;
      }
    } else if (q.qtype == kDnsTypeTxt) {
      for (const auto& strings : a.txt) {
        size_t before = out.size();
        begin_record(kDnsTypeTxt);
        size_t rdlength_at = out.size();
        Append16(out, 0);
        for (const auto& text : strings) {
          const size_t n = std::min<size_t>(text.size(), 255);
          out.push_back(static_cast<uint8_t>(n));
          out.insert(out.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
        }
        if (strings.empty()) out.push_back(0);  // one empty string: RDATA is never empty
        Put16(out, rdlength_at, uint16_t(out.size() - rdlength_at - 2));
        if (!commit(before)) break;
      }
    } else if (q.qtype == kDnsTypePtr && !a.ptr.empty()) {
      size_t before = out.size();
      begin_record(kDnsTypePtr);
      size_t rdlength_at = out.size();
      Append16(out, 0);
      if (!AppendName(a.ptr, out)) {
        out.resize(before);
        rcode = kDnsServFail;
      } else {
        Put16(out, rdlength_at, uint16_t(out.size() - rdlength_at - 2));
        commit(before);
      }
    }
  }
  Put16(out, 2, flags | (truncated ? kTc : 0) | rcode);
  Put16(out, 6, count);
  return out;
}

std::optional<net::Ipv4> ParseReverseName(std::string_view name) {
  constexpr std::string_view kSuffix = ".in-addr.arpa";
  if (name.size() <= kSuffix.size()) return std::nullopt;
  std::string_view tail = name.substr(name.size() - kSuffix.size());
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
  if (!std::equal(tail.begin(), tail.end(), kSuffix.begin(), [&](char x, char y) { return lower(x) == y; }))
    return std::nullopt;
  // The labels are the octets, least significant first: parse them as an address, then swap.
  auto reversed = net::ParseIpv4(name.substr(0, name.size() - kSuffix.size()));
  if (!reversed) return std::nullopt;
  uint32_t v = reversed->value;
  return net::Ipv4{(v & 0xFF) << 24 | (v & 0xFF00) << 8 | (v >> 8 & 0xFF00) | v >> 24};
}

std::vector<uint8_t> BuildDnsQuery(uint16_t id, std::string_view name, uint16_t qtype) {
  std::vector<uint8_t> out(kHeaderSize, 0);
  Put16(out, 0, id);
  Put16(out, 2, kRd);
  Put16(out, 4, 1);
  if (!AppendName(name, out)) return {};
  Append16(out, qtype);
  Append16(out, kDnsClassIn);
  return out;
}

}  // namespace openvpc::dataplane
