// Geneve (RFC 8926) as Gateway Load Balancers speak it with their appliances (issue 13): UDP to
// port 6081; a header whose protocol type is the inner packet's (0x0800 IPv4, 0x86DD IPv6: the
// packet goes without its Ethernet header), VNI 0, and AWS's three options of class 0x0108:
// type 1 the Gateway Load Balancer endpoint's id (64 bits), type 2 the attachment's id (64
// bits; 0 for an endpoint), type 3 the flow cookie (32 bits), which an appliance sends back
// unchanged with the packet it returns. Appliances are outside openvpc's control: the parser
// takes any bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/wire/packet.h"
#include "net/ip.h"

namespace openvpc::dataplane {

inline constexpr uint16_t kGenevePort = 6081;
inline constexpr uint16_t kAwsGeneveOptionClass = 0x0108;

struct GeneveAwsOptions {
  uint64_t endpoint_id = 0;
  uint64_t attachment_id = 0;
  uint32_t flow_cookie = 0;
};

// The 64 bits of an endpoint id's hex number that fit the option (vpce-0123456789abcdef0 ->
// 0x123456789abcdef0); 0 for text that is no such id.
uint64_t GeneveEndpointId(const std::string& vpce_id);

// The Geneve header (with AWS's options) for an inner packet of PROTOCOL_TYPE.
std::vector<uint8_t> GeneveHeader(uint16_t protocol_type, const GeneveAwsOptions& options);

struct GeneveInfo {
  uint16_t protocol_type = 0;
  uint32_t vni = 0;
  GeneveAwsOptions aws;
  bool has_endpoint = false, has_attachment = false, has_cookie = false;
  size_t header_length = 0;  // where the inner packet starts in the UDP payload
};
// The header of a UDP payload to port 6081, or nullopt: not version 0, truncated, an option that
// runs past the header, a critical option (C bit) openvpc does not know, an inner protocol other
// than IPv4 and IPv6, or nothing after the header.
std::optional<GeneveInfo> ParseGeneve(std::span<const uint8_t> udp_payload);

// A whole frame: Ethernet (DST_MAC <- SRC_MAC), IPv4 SRC -> DST, UDP SPORT -> 6081, the Geneve
// header, INNER (an IP packet), checksums complete.
std::vector<uint8_t> BuildGeneveFrame(const MacAddress& dst_mac, const MacAddress& src_mac, net::Ipv4 src,
                                      net::Ipv4 dst, uint16_t sport, const GeneveAwsOptions& options,
                                      std::span<const uint8_t> inner);

}  // namespace openvpc::dataplane
