// The DHCPv4 server of the VPC router (RFC 2131, options RFC 2132), as pure wire-format
// functions: the packet engine hands in the UDP payload a client sent from port 68 to 67 and
// sends back whatever DhcpReply returns. No sockets, no state: an interface has exactly one
// lease, fixed by the model, so there is no address pool and no offer to remember.
//
// Rule Q5 of shared/spec/inventory-vpc-guide.md: the server hands out the ENI's primary
// private IPv4, the subnet mask, the router (subnet base+1), the DNS servers of the VPC's
// DHCP option set (AmazonProvidedDNS => primary-CIDR base+2, rule R1), the domain name and
// the NTP/NetBIOS options. Building a DhcpLease from the model is the caller's job.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "net/ip.h"

namespace openvpc::dataplane {

// DHCP message types (option 53).
inline constexpr uint8_t kDhcpDiscover = 1;
inline constexpr uint8_t kDhcpOffer = 2;
inline constexpr uint8_t kDhcpRequest = 3;
inline constexpr uint8_t kDhcpDecline = 4;
inline constexpr uint8_t kDhcpAck = 5;
inline constexpr uint8_t kDhcpNak = 6;
inline constexpr uint8_t kDhcpRelease = 7;
inline constexpr uint8_t kDhcpInform = 8;

inline constexpr uint16_t kDhcpServerPort = 67;
inline constexpr uint16_t kDhcpClientPort = 68;

struct DhcpLease {
  std::array<uint8_t, 6> mac{};        // the interface's MAC (the only chaddr we answer)
  net::Ipv4 address;                   // the interface's primary private IPv4
  int prefix_length = 24;              // subnet mask (option 1)
  net::Ipv4 router;                    // subnet base+1 (option 3); also the server identifier (option 54) and siaddr
  std::vector<net::Ipv4> dns_servers;  // option 6 (omit when empty)
  std::string domain_name;             // option 15 (omit when empty; may contain spaces, sent as is)
  std::vector<net::Ipv4> ntp_servers;  // option 42
  std::vector<net::Ipv4> netbios_name_servers;  // option 44
  int netbios_node_type = 0;                    // option 46 when non-zero
  std::string hostname;                         // option 12 (e.g. "ip-10-0-1-5")
  uint16_t mtu = 9001;                          // option 26 (interface MTU)
  uint32_t lease_seconds = 3600;                // option 51; T1 (58) = half, T2 (59) = 7/8
  net::Ipv4 broadcast;                          // option 28 (subnet broadcast)
};

// What the client's message was (for logs and tests).
struct DhcpMessageInfo {
  uint8_t message_type = 0;  // option 53
  uint32_t xid = 0;
  std::array<uint8_t, 6> chaddr{};
  std::optional<net::Ipv4> requested_ip;  // option 50, else a non-zero ciaddr
  bool broadcast_flag = false;            // the B bit of 'flags'
};

// nullopt unless UDP_PAYLOAD is a BOOTREQUEST for Ethernet (htype 1, hlen 6) carrying the
// magic cookie and a one-byte option 53, with every option inside the packet and an end
// option (255) closing the options field. Options overloaded into sname/file (option 52)
// are read too.
std::optional<DhcpMessageInfo> ParseDhcpRequest(std::span<const uint8_t> udp_payload);

// The UDP payload of the server's answer to a client's message (from port 68 to 67):
//   DISCOVER -> OFFER of lease.address;
//   REQUEST for the lease's address (option 50, else ciaddr, or none at all) -> ACK;
//   REQUEST for any other address -> NAK;
//   REQUEST naming another server (option 54 != lease.router) -> nullopt (the client chose it);
//   INFORM -> ACK without yiaddr and without lease times (51, 58, 59);
//   RELEASE, DECLINE, anything else -> nullopt.
// A message that does not parse or whose chaddr is not lease.mac -> nullopt.
// xid, flags, giaddr and chaddr are echoed. Every option of DhcpLease that is set is sent;
// option 55 only orders them (requested ones first, RFC 2132 section 9.8). The reply fits
// the client's maximum message size (option 57, at least 576, RFC 2132 section 9.10): an
// option that would not fit is left out, the required ones (53, 54, 51, 58, 59) never are.
// Replies are padded to the 300 bytes of a BOOTP message for old clients (RFC 1542).
std::optional<std::vector<uint8_t>> DhcpReply(std::span<const uint8_t> udp_payload, const DhcpLease& lease);

// A minimal client message, for tests and the benchmark: BOOTREQUEST with option 53 and a
// parameter request list (55). REQUESTED goes in option 50, except for INFORM and RELEASE
// where RFC 2131 (table 5) puts the client's address in ciaddr.
std::vector<uint8_t> BuildDhcpClientMessage(uint8_t type, uint32_t xid, const std::array<uint8_t, 6>& mac,
                                            std::optional<net::Ipv4> requested);

}  // namespace openvpc::dataplane
