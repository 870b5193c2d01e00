// The PROXY protocol, version 2 (HAProxy's specification), as Network Load Balancers send it to
// targets whose group has proxy_protocol_v2.enabled: a binary header in front of the client's
// first bytes that names the client and the address it connected to, with AWS's TLV 0xEA
// (subtype 0x01: the VPC endpoint id) when the connection came through an endpoint. And what
// inserting it in a TCP stream takes: the header's own segment, and sequence and
// acknowledgement numbers shifted by its length in both directions for the connection's life.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dataplane/wire/packet.h"
#include "net/ip.h"

namespace openvpc::dataplane {

// The header of a TCP connection from SRC:SPORT to DST:DPORT (IPv4 as net::Ipv4Mapped: AF_INET
// when both are IPv4, else AF_INET6); VPCE_ID (vpce-…) adds AWS's TLV.
std::vector<uint8_t> ProxyProtocolV2Header(const net::Ipv6& src, uint16_t sport, const net::Ipv6& dst, uint16_t dport,
                                           const std::string& vpce_id = "");

// The TCP sequence number and acknowledgement number of FRAME's segment.
uint32_t TcpSequence(std::span<const uint8_t> frame, const ParsedFrame& pf);
uint32_t TcpAcknowledgement(std::span<const uint8_t> frame, const ParsedFrame& pf);
// The TCP payload's length of FRAME's segment.
size_t TcpPayloadLength(std::span<const uint8_t> frame, const ParsedFrame& pf);

// Adds SEQ_DELTA to the segment's sequence number and ACK_DELTA to its acknowledgement number and
// its SACK blocks' edges (those after AFTER, in sequence space, only: what came before the
// inserted bytes keeps its numbers), updating the checksum incrementally (not for NEEDS_CSUM).
void ShiftTcpNumbers(std::span<uint8_t> frame, const ParsedFrame& pf, uint32_t seq_delta, uint32_t ack_delta,
                     uint32_t ack_after, const VnetHeader& vh);

// A segment with FRAME's Ethernet, IP (either family) and TCP headers (options included) and PAYLOAD in place
// of its own, flags ACK|PSH, checksums computed in full: the header's own segment. Empty when
// FRAME's TCP header is malformed (its data offset).
std::vector<uint8_t> BuildTcpSegmentLike(std::span<const uint8_t> frame, const ParsedFrame& pf,
                                         std::span<const uint8_t> payload);

}  // namespace openvpc::dataplane
