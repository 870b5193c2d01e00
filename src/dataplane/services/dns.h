// The wire side of the VPC resolver (RFC 1035), UDP only: parse a client's query, build the
// answer the resolver decided on. Which names resolve to what (rules R1-R13 of
// shared/spec/inventory-vpc-guide.md) is decided elsewhere; the packet engine serves these
// at primary-CIDR base+2 and 169.254.169.253 (rule R1).
//
// Names are in presentation form: lower case, no trailing dot, "" for the root. A label
// byte that is not a printable character, a '.' or a '\' inside a label is written as
// "\DDD", "\." or "\\" (RFC 1035 section 5.1), so every wire name has exactly one string.
//
// EDNS (RFC 6891) is not implemented: an OPT record in a query is ignored and the response
// carries none, which tells the client the 512-byte limit of RFC 1035 applies. A response
// that would exceed it keeps the answers that fit and sets TC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "net/ip.h"

namespace openvpc::dataplane {

// Resource record types (RFC 1035 section 3.2.2, RFC 3596).
inline constexpr uint16_t kDnsTypeA = 1;
inline constexpr uint16_t kDnsTypePtr = 12;
inline constexpr uint16_t kDnsTypeTxt = 16;
inline constexpr uint16_t kDnsTypeAaaa = 28;
inline constexpr uint16_t kDnsClassIn = 1;

// Response codes.
inline constexpr uint8_t kDnsNoError = 0;
inline constexpr uint8_t kDnsFormErr = 1;
inline constexpr uint8_t kDnsServFail = 2;
inline constexpr uint8_t kDnsNxDomain = 3;
inline constexpr uint8_t kDnsRefused = 5;

inline constexpr uint16_t kDnsPort = 53;
inline constexpr size_t kDnsMaxUdpPayload = 512;

struct DnsQuestion {
  uint16_t id = 0;
  std::string name;  // lower case, no trailing dot
  uint16_t qtype = 0;
  uint16_t qclass = 1;
  bool recursion_desired = false;
};

// nullopt unless UDP_PAYLOAD is a query (QR=0, opcode 0) with exactly one question whose
// name is well formed: labels of at most 63 bytes, at most 255 bytes in all, compression
// pointers only backwards of where the name being read started (so no loop). Never reads
// outside the span. Sections after the question are not looked at.
std::optional<DnsQuestion> ParseDnsQuery(std::span<const uint8_t> udp_payload);

struct DnsAnswer {
  uint8_t rcode = 0;         // 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, 5 REFUSED
  std::vector<net::Ipv4> a;  // A records for the question's name
  std::vector<net::Ipv6> aaaa;
  std::string ptr;  // PTR target (no trailing dot) when non-empty
  std::vector<std::vector<std::string>> txt;  // TXT records, each its character-strings (255 bytes at most)
  uint32_t ttl = 60;
  bool authoritative = false;
};

// The response: Q's id, QR=1, RD copied, RA=1, AA as told, the question echoed (in lower
// case), then for NOERROR and class IN the answers of A's matching Q's type: A for 1, AAAA
// for 28, PTR for 12, TXT for 16, nothing for any other type. The answers point back at the question's
// name (compression). A PTR target that is not a valid name turns the answer into SERVFAIL;
// a question name that is not one gives a header-only FORMERR.
std::vector<uint8_t> BuildDnsResponse(const DnsQuestion& q, const DnsAnswer& a);

// For PTR: "5.1.0.10.in-addr.arpa" -> 10.0.1.5 (suffix in any case); nullopt for anything
// else, including partial names ("1.0.10.in-addr.arpa") and octets with leading zeros.
std::optional<net::Ipv4> ParseReverseName(std::string_view name);

// A tiny client-side builder for tests: a query for NAME/QTYPE (class IN, RD set) with ID.
// NAME may end in a dot. Empty when NAME is not a valid name.
std::vector<uint8_t> BuildDnsQuery(uint16_t id, std::string_view name, uint16_t qtype);

}  // namespace openvpc::dataplane
