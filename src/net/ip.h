// Value types for IPv4 and IPv6 addresses and CIDR blocks.
//
// Parsing is strict (AWS rejects "10.0.0.0/16x", "010.0.0.0/16", a missing prefix): Parse*
// return std::nullopt on anything malformed. A Cidr keeps the address as written; Canonical()
// clears the host bits, which is what AWS stores for routes (rule A10).
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace openvpc::net {

struct Ipv4 {
  uint32_t value = 0;  // host byte order
  auto operator<=>(const Ipv4&) const = default;
  std::string ToString() const;
};

struct Ipv6 {
  std::array<uint8_t, 16> bytes{};
  auto operator<=>(const Ipv6&) const = default;
  std::string ToString() const;  // RFC 5952 form: lower case, longest zero run as "::"
};

// ::ffff:a.b.c.d (RFC 4291 §2.5.5.2): one key type for tables that hold both families.
inline Ipv6 Ipv4Mapped(Ipv4 v) {
  return {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, static_cast<uint8_t>(v.value >> 24),
           static_cast<uint8_t>(v.value >> 16), static_cast<uint8_t>(v.value >> 8), static_cast<uint8_t>(v.value)}};
}

// True for ::ffff:a.b.c.d, which such tables use for an IPv4 address.
inline bool IsIpv4Mapped(const Ipv6& a) {
  for (int i = 0; i < 10; ++i)
    if (a.bytes[i]) return false;
  return a.bytes[10] == 0xff && a.bytes[11] == 0xff;
}
// The IPv4 address of ::ffff:a.b.c.d (the last four bytes of anything else).
inline Ipv4 MappedIpv4(const Ipv6& a) {
  return {uint32_t{a.bytes[12]} << 24 | uint32_t{a.bytes[13]} << 16 | uint32_t{a.bytes[14]} << 8 | a.bytes[15]};
}
// An address of either family held as an Ipv6 (IPv4 mapped) in its usual text: a.b.c.d or RFC 5952.
inline std::string AddressText(const Ipv6& a) { return IsIpv4Mapped(a) ? MappedIpv4(a).ToString() : a.ToString(); }
// Either family's text to the one key type (IPv4 mapped); nullopt when it is neither.
std::optional<Ipv6> ParseAddress(std::string_view s);

std::optional<Ipv4> ParseIpv4(std::string_view s);
std::optional<Ipv6> ParseIpv6(std::string_view s);

struct Cidr4 {
  Ipv4 addr;
  int prefix = 0;
  auto operator<=>(const Cidr4&) const = default;

  uint32_t Mask() const { return prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix); }
  Ipv4 Network() const { return {addr.value & Mask()}; }
  Ipv4 Last() const { return {Network().value | ~Mask()}; }
  uint64_t Size() const { return uint64_t{1} << (32 - prefix); }
  bool IsCanonical() const { return addr == Network(); }
  Cidr4 Canonical() const { return {Network(), prefix}; }
  bool Contains(Ipv4 ip) const { return (ip.value & Mask()) == Network().value; }
  // True when every address of `inner` lies inside this block.
  bool Contains(const Cidr4& inner) const { return inner.prefix >= prefix && Contains(inner.addr); }
  bool Overlaps(const Cidr4& o) const { return Contains(o.addr) || o.Contains(addr); }
  std::string ToString() const;
};

struct Cidr6 {
  Ipv6 addr;
  int prefix = 0;
  auto operator<=>(const Cidr6&) const = default;

  Ipv6 Network() const;
  bool IsCanonical() const { return addr == Network(); }
  Cidr6 Canonical() const { return {Network(), prefix}; }
  bool Contains(const Ipv6& ip) const;
  bool Contains(const Cidr6& inner) const { return inner.prefix >= prefix && Contains(inner.addr); }
  bool Overlaps(const Cidr6& o) const { return Contains(o.addr) || o.Contains(addr); }
  std::string ToString() const;
};

std::optional<Cidr4> ParseCidr4(std::string_view s);
std::optional<Cidr6> ParseCidr6(std::string_view s);

}  // namespace openvpc::net
