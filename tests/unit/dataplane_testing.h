// Engine tests without devices: a model source over a plain State, and the frames an
// instance's kernel would put on its TAP.
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <string_view>
#include <vector>

#include "dataplane/engine/engine.h"
#include "dataplane/wire/packet.h"
#include "dataplane/wire/packet6.h"
#include "model/evaluate.h"

namespace openvpc::testing {

// True when FRAME parses and its transport checksum (and an IPv4 header's) is what a full
// computation gives.
inline bool ChecksumsRight(const std::vector<uint8_t>& frame) {
  dataplane::ParsedFrame pf;
  if (!dataplane::ParseFrame(frame, pf)) return false;
  if (pf.ether_type == dataplane::kEtherTypeIpv6)
    return dataplane::Ipv6L4Checksum(pf.src6, pf.dst6, pf.protocol, std::span<const uint8_t>(frame).subspan(pf.l4)) == 0;
  std::vector<uint8_t> copy = frame;
  dataplane::SetIpv4Checksum(copy, pf.l3);
  dataplane::SetL4Checksum(copy, pf);
  return copy == frame;
}

// An IPv6 address written in a test (a failed expectation when it is malformed).
inline net::Ipv6 Ip6(const char* s) {
  auto ip = net::ParseIpv6(s);
  EXPECT_TRUE(ip) << s;
  return ip ? *ip : net::Ipv6{};
}

// "86 dd 60 00" -> bytes, as captures print them; spaces and line breaks ignored.
inline std::vector<uint8_t> Hex(std::string_view s) {
  std::vector<uint8_t> out;
  int nibble = -1;
  for (char c : s) {
    int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (v < 0) continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(static_cast<uint8_t>(nibble << 4 | v));
      nibble = -1;
    }
  }
  EXPECT_EQ(nibble, -1) << "odd number of hex digits";
  return out;
}

// The model as the engine reads it; Changed() stands for a committed write.
class StateSource : public dataplane::ModelSource {
 public:
  explicit StateSource(model::State& s) : state_(s) {}
  void Read(const std::function<void(const model::State&)>& fn) override { fn(state_); }
  uint64_t Version() const override { return version_; }
  void Changed() { ++version_; }

 private:
  model::State& state_;
  uint64_t version_ = 1;
};

// Ethernet + IPv4 + TCP (SYN unless FLAGS), UDP or ICMP for FLOW, full checksums.
inline std::vector<uint8_t> FlowFrame(const model::Flow& f, const dataplane::MacAddress& src_mac,
                                      uint8_t tcp_flags = dataplane::kTcpSyn, size_t payload = 0) {
  using namespace dataplane;
  if (f.protocol == 17) {
    std::vector<uint8_t> data(payload, 'x');
    return BuildUdpFrame(src_mac, {0x02, 0, 0, 0, 0, 1}, f.src, f.dst, static_cast<uint16_t>(f.src_port),
                         static_cast<uint16_t>(f.dst_port), data);
  }
  size_t l4 = f.protocol == 6 ? 20 : 8;
  std::vector<uint8_t> out(14 + 20 + l4 + payload);
  uint8_t* d = out.data();
  const uint8_t router[6] = {0x02, 0, 0, 0, 0, 1};
  memcpy(d, router, 6);
  memcpy(d + 6, src_mac.data(), 6);
  d[12] = 0x08;
  uint8_t* ip = d + 14;
  ip[0] = 0x45;
  size_t total = 20 + l4 + payload;
  ip[2] = static_cast<uint8_t>(total >> 8);
  ip[3] = static_cast<uint8_t>(total);
  ip[8] = 64;
  ip[9] = static_cast<uint8_t>(f.protocol);
  for (int i = 0; i < 4; ++i) {
    ip[12 + i] = static_cast<uint8_t>(f.src.value >> (24 - 8 * i));
    ip[16 + i] = static_cast<uint8_t>(f.dst.value >> (24 - 8 * i));
  }
  uint8_t* t = ip + 20;
  if (f.protocol == 6) {
    t[0] = static_cast<uint8_t>(f.src_port >> 8);
    t[1] = static_cast<uint8_t>(f.src_port);
    t[2] = static_cast<uint8_t>(f.dst_port >> 8);
    t[3] = static_cast<uint8_t>(f.dst_port);
    t[12] = 0x50;
    t[13] = tcp_flags;
  } else {
    t[0] = static_cast<uint8_t>(f.icmp_type);
    t[1] = static_cast<uint8_t>(f.icmp_code);
    t[4] = 0x12;  // echo identifier
    t[5] = 0x34;
  }
  SetIpv4Checksum(out, 14);
  ParsedFrame pf;
  ParseFrame(out, pf);
  SetL4Checksum(out, pf);
  return out;
}

// FRAME (Ethernet + IPv4) cut in two fragments of datagram ID: the first carries the first
// FIRST_LEN bytes of the IP payload (a multiple of 8) with "more fragments", the second the rest.
inline std::pair<std::vector<uint8_t>, std::vector<uint8_t>> Fragments(const std::vector<uint8_t>& frame,
                                                                       size_t first_len, uint16_t id) {
  using namespace dataplane;
  const size_t header = 14 + 20, payload = frame.size() - header;
  auto piece = [&](size_t from, size_t len, bool more) {
    std::vector<uint8_t> f(frame.begin(), frame.begin() + header);
    f.insert(f.end(), frame.begin() + header + from, frame.begin() + header + from + len);
    const size_t total = 20 + len;
    const uint16_t flags_offset = static_cast<uint16_t>((more ? 0x2000 : 0) | from / 8);
    f[14 + 2] = static_cast<uint8_t>(total >> 8);
    f[14 + 3] = static_cast<uint8_t>(total);
    f[14 + 4] = static_cast<uint8_t>(id >> 8);
    f[14 + 5] = static_cast<uint8_t>(id);
    f[14 + 6] = static_cast<uint8_t>(flags_offset >> 8);
    f[14 + 7] = static_cast<uint8_t>(flags_offset);
    SetIpv4Checksum(f, 14);
    return f;
  };
  return {piece(0, first_len, true), piece(first_len, payload - first_len, false)};
}

// The datagram of FRAGMENTS (in order) again: the first one's headers, every payload, no
// fragment fields.
inline std::vector<uint8_t> Reassembled(const std::vector<std::vector<uint8_t>>& fragments) {
  std::vector<uint8_t> f = fragments.front();
  for (size_t i = 1; i < fragments.size(); ++i) f.insert(f.end(), fragments[i].begin() + 14 + 20, fragments[i].end());
  const size_t total = f.size() - 14;
  f[14 + 2] = static_cast<uint8_t>(total >> 8);
  f[14 + 3] = static_cast<uint8_t>(total);
  f[14 + 6] = f[14 + 7] = 0;
  dataplane::SetIpv4Checksum(f, 14);
  return f;
}

// True when the IPv4 header and L4 checksums of FRAME verify.
inline bool ChecksumsValid(const std::vector<uint8_t>& frame) {
  using namespace dataplane;
  ParsedFrame pf;
  if (!ParseFrame(frame, pf) || pf.ether_type != kEtherTypeIpv4) return false;
  size_t ihl = size_t{frame[14] & 0xfu} * 4;
  if (ChecksumFold(ChecksumAdd(0, {frame.data() + 14, ihl})) != 0xffff) return false;
  size_t len = 14 + pf.ip_total_length - pf.l4;
  uint32_t sum = 0;
  if (pf.protocol != 1) {
    sum = ChecksumAdd(sum, {frame.data() + 14 + 12, 8});
    sum += pf.protocol;
    sum += static_cast<uint32_t>(len);
  }
  sum = ChecksumAdd(sum, {frame.data() + pf.l4, len});
  return ChecksumFold(sum) == 0xffff;
}

}  // namespace openvpc::testing
