// The DHCPv6 server of the VPC router (RFC 8415), as pure wire-format functions: the packet
// engine hands in the UDP payload a client sent from port 546 to ff02::1:2 port 547 and sends
// whatever Dhcp6Reply returns back to the client's (link-local) source address and port, from
// the router's link-local address (BuildUdp6Frame). No sockets, no state: as in DHCPv4
// (dhcp.h), an interface's addresses are fixed by the model, so there is no pool, no binding to
// remember and nothing to release.
//
// The server answers on the link only: relayed messages (RELAY-FORW) are not for it. Clients
// only unicast to a server that sent them a Server Unicast option (RFC 8415 section 18.4),
// which this one never does, so the engine may drop DHCPv6 sent to any other address.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dataplane/wire/packet.h"
#include "net/ip.h"

namespace openvpc::dataplane {

inline constexpr uint16_t kDhcp6ClientPort = 546;
inline constexpr uint16_t kDhcp6ServerPort = 547;

// Message types (RFC 8415 section 7.3).
inline constexpr uint8_t kDhcp6Solicit = 1;
inline constexpr uint8_t kDhcp6Advertise = 2;
inline constexpr uint8_t kDhcp6Request = 3;
inline constexpr uint8_t kDhcp6Confirm = 4;
inline constexpr uint8_t kDhcp6Renew = 5;
inline constexpr uint8_t kDhcp6Rebind = 6;
inline constexpr uint8_t kDhcp6Reply = 7;
inline constexpr uint8_t kDhcp6Release = 8;
inline constexpr uint8_t kDhcp6Decline = 9;
inline constexpr uint8_t kDhcp6InformationRequest = 11;

// Status codes (RFC 8415 section 21.13) the server sends.
inline constexpr uint16_t kDhcp6StatusSuccess = 0;
inline constexpr uint16_t kDhcp6StatusNoAddrsAvail = 2;
inline constexpr uint16_t kDhcp6StatusNotOnLink = 4;

struct Dhcp6Lease {
  MacAddress router_mac{};           // the server's DUID is the DUID-LL of it (ServerDuid)
  std::vector<net::Ipv6> addresses;  // the interface's IPv6 addresses, all in one IA_NA
  // AWS's lifetimes, as its instances see them; T1 and T2 are 0.5 and 0.8 of the preferred
  // lifetime (RFC 8415 section 21.4's recommendation). preferred is sent as at most valid.
  uint32_t preferred_lifetime = 140;
  uint32_t valid_lifetime = 450;
  std::vector<net::Ipv6> dns_servers;         // option 23 (omitted when empty)
  std::vector<std::string> domain_search;     // option 24 (omitted when empty; invalid names skipped)
  uint32_t information_refresh_time = 86400;  // option 32 in answers to INFORMATION-REQUEST; 0: omitted
};

// What the client's message was (for logs and tests).
struct Dhcp6MessageInfo {
  uint8_t type = 0;
  uint32_t transaction_id = 0;                      // 24 bits
  std::vector<uint8_t> client_duid;                 // option 1; empty when absent
  std::optional<std::vector<uint8_t>> server_duid;  // option 2
  std::optional<uint32_t> iaid;                     // of the first IA_NA (option 3)
  bool rapid_commit = false;                        // option 14
  std::vector<net::Ipv6> ia_addresses;              // the IAADDRs (option 5) of the first IA_NA
  std::vector<uint16_t> requested_options;          // option 6 (ORO), in the client's order
};

// nullopt unless UDP_PAYLOAD is a DHCPv6 message (not a relay message) whose options, and the
// options nested in IA_NA, IA_TA, IA_PD, IAADDR and IAPREFIX, all lie inside their parents;
// whose fixed-size options (IA_NA, IAADDR, ORO, elapsed time, rapid commit) have legal sizes;
// with at most one client and one server identifier, each a DUID of 3 to 130 bytes. A message
// a client sends to servers must carry a client identifier, except INFORMATION-REQUEST.
std::optional<Dhcp6MessageInfo> ParseDhcp6Message(std::span<const uint8_t> udp_payload);

// The DUID the server identifies itself with: DUID-LL (type 3), hardware type 1 (Ethernet), MAC.
std::vector<uint8_t> ServerDuid(const MacAddress& router_mac);

// The UDP payload of the server's answer to a client's message (RFC 8415 sections 16 and 18.3),
// the transaction id and client identifier echoed, the server identifier always included:
//   SOLICIT -> ADVERTISE with preference 255 (clients need not wait for other servers), or
//     REPLY with rapid commit when the client asked for it (option 14);
//   REQUEST, RENEW (naming this server) and REBIND -> REPLY.
//   These carry, for the client's first IA_NA (its IAID), T1, T2 and one IAADDR per lease
//   address, or status NoAddrsAvail when the lease has none; RENEW and REBIND also give back
//   the other addresses the client listed (the first 64) with lifetimes 0, so it stops using
//   them. Other IAs (IA_TA, IA_PD, further IA_NAs) are not answered. DNS servers (23) and the
//   search list (24) come with every one of these answers.
//   CONFIRM -> REPLY with status Success when every address the client lists is a lease
//     address, NotOnLink otherwise; no answer to a CONFIRM listing no address (section 18.3.3);
//   RELEASE, DECLINE (naming this server) -> REPLY with status Success (nothing to free);
//   INFORMATION-REQUEST -> REPLY with options 23, 24 and the information refresh time (32).
// nullopt for anything else, and for what section 16 says to discard: a SOLICIT, CONFIRM or
// REBIND naming a server; a REQUEST, RENEW, RELEASE or DECLINE not naming this one; an
// INFORMATION-REQUEST naming another server or carrying an IA; any message that does not parse.
std::optional<std::vector<uint8_t>> Dhcp6Reply(std::span<const uint8_t> udp_payload, const Dhcp6Lease& lease);

// A minimal client message, for tests and the benchmark: the client identifier (when
// CLIENT_DUID is not empty), the server identifier (when given), elapsed time 0, an IA_NA with
// IAID, T1 = T2 = 0 and one IAADDR (lifetimes 0) per address (not for INFORMATION-REQUEST),
// rapid commit when asked, and an ORO for options 23 and 24 (SOLICIT, REQUEST, RENEW, REBIND,
// INFORMATION-REQUEST).
std::vector<uint8_t> BuildDhcp6ClientMessage(uint8_t type, uint32_t xid, const std::vector<uint8_t>& client_duid,
                                             std::optional<std::vector<uint8_t>> server_duid, uint32_t iaid,
                                             bool rapid_commit, std::vector<net::Ipv6> addresses);

}  // namespace openvpc::dataplane
