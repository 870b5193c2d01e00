#include "net/ip.h"

#include <arpa/inet.h>

#include <charconv>

namespace openvpc::net {

std::string Ipv4::ToString() const {
  return std::to_string(value >> 24) + "." + std::to_string((value >> 16) & 255) + "." +
         std::to_string((value >> 8) & 255) + "." + std::to_string(value & 255);
}

std::optional<Ipv4> ParseIpv4(std::string_view s) {
  uint32_t v = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (s.empty() || s.front() != '.') return std::nullopt;
      s.remove_prefix(1);
    }
    size_t n = 0;
    while (n < s.size() && n < 4 && s[n] >= '0' && s[n] <= '9') ++n;
    if (n == 0 || n > 3 || (n > 1 && s[0] == '0')) return std::nullopt;
    unsigned octet = 0;
    std::from_chars(s.data(), s.data() + n, octet);
    if (octet > 255) return std::nullopt;
    v = (v << 8) | octet;
    s.remove_prefix(n);
  }
  if (!s.empty()) return std::nullopt;
  return Ipv4{v};
}

std::optional<Ipv6> ParseAddress(std::string_view s) {
  if (auto v4 = ParseIpv4(s)) return Ipv4Mapped(*v4);
  return ParseIpv6(s);
}

std::optional<Ipv6> ParseIpv6(std::string_view s) {
  if (s.empty() || s.size() > 45 || s.find('%') != std::string_view::npos) return std::nullopt;
  std::string z(s);
  Ipv6 ip;
  if (inet_pton(AF_INET6, z.c_str(), ip.bytes.data()) != 1) return std::nullopt;
  return ip;
}

std::string Ipv6::ToString() const {
  char buf[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, bytes.data(), buf, sizeof buf);
  return buf;
}

Ipv6 Cidr6::Network() const {
  Ipv6 n = addr;
  for (int i = 0; i < 16; ++i) {
    int bits = prefix - i * 8;
    if (bits >= 8) continue;
    n.bytes[i] &= bits <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - bits));
  }
  return n;
}

bool Cidr6::Contains(const Ipv6& ip) const { return Cidr6{ip, prefix}.Network() == Network(); }

std::string Cidr4::ToString() const { return addr.ToString() + "/" + std::to_string(prefix); }
std::string Cidr6::ToString() const { return addr.ToString() + "/" + std::to_string(prefix); }

namespace {
std::optional<int> ParsePrefix(std::string_view s, int max) {
  if (s.empty() || s.size() > 3 || (s.size() > 1 && s[0] == '0')) return std::nullopt;
  int p = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), p);
  if (ec != std::errc() || ptr != s.data() + s.size() || p < 0 || p > max) return std::nullopt;
  return p;
}
}  // namespace

std::optional<Cidr4> ParseCidr4(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = ParseIpv4(s.substr(0, slash));
  auto p = ParsePrefix(s.substr(slash + 1), 32);
  if (!ip || !p) return std::nullopt;
  return Cidr4{*ip, *p};
}

std::optional<Cidr6> ParseCidr6(std::string_view s) {
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto ip = ParseIpv6(s.substr(0, slash));
  auto p = ParsePrefix(s.substr(slash + 1), 128);
  if (!ip || !p) return std::nullopt;
  return Cidr6{*ip, *p};
}

}  // namespace openvpc::net
