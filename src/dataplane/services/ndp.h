// Neighbor Discovery (RFC 4861) as the subnet router speaks it, as pure wire-format functions:
// the packet engine hands in the ICMPv6 message of a Router or Neighbor Solicitation and sends
// back the frame a builder returns. No sockets, no state: the router has nothing to learn from
// its neighbours (the model knows every interface's addresses), so it only answers.
//
// Who gets what (the caller's job; RFC 4861 sections 6.2.6 and 7.2.4):
//   - Router Solicitation: a Router Advertisement to all nodes (ff02::1 at 33:33:00:00:00:01),
//     from the router's link-local address. Unsolicited ones go there too, every few minutes:
//     hosts drop the default route when router_lifetime runs out (RFC 4861 section 6.2.1
//     advises intervals of at most router_lifetime / 3, i.e. 600 s for 1800 s).
//   - Neighbor Solicitation for an address the router answers for, from a unicast source: a
//     Neighbor Advertisement back to that source, at the source link-layer option's MAC (or the
//     frame's source MAC when the option is absent, as in unicast reachability probes).
//   - Neighbor Solicitation from the unspecified address (duplicate address detection): only
//     for an address the router itself owns, and then to all nodes (ff02::1, 33:33:00:00:00:01),
//     which clears the Solicited flag.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "dataplane/wire/packet.h"
#include "net/ip.h"

namespace openvpc::dataplane {

// ICMPv6 types of Neighbor Discovery.
inline constexpr uint8_t kNdRouterSolicitation = 133;
inline constexpr uint8_t kNdRouterAdvertisement = 134;
inline constexpr uint8_t kNdNeighborSolicitation = 135;
inline constexpr uint8_t kNdNeighborAdvertisement = 136;

// Every ND message travels with hop limit 255: a smaller one crossed a router (RFC 4861 section 3.1).
inline constexpr uint8_t kNdHopLimit = 255;

struct NdMessage {
  uint8_t type = 0;                             // kNdRouterSolicitation or kNdNeighborSolicitation
  net::Ipv6 target;                             // the address asked about; unspecified in an RS
  std::optional<MacAddress> source_link_layer;  // option 1 (the first one)
};

// nullopt unless ICMPV6 (the ICMPv6 header and body, HOP_LIMIT from the IPv6 header) is a valid
// Router Solicitation (RFC 4861 section 6.1.1) or Neighbor Solicitation (section 7.1.1): hop
// limit 255, code 0, at least 8 (RS) or 24 (NS) bytes, an NS target that is not multicast, and
// options that tile the rest of the message exactly, each with a non-zero length. Unknown
// options are skipped. This overload does not look at the checksum or the IP addresses.
std::optional<NdMessage> ParseNdMessage(std::span<const uint8_t> icmpv6, uint8_t hop_limit);

// The full check, for an ICMPv6 message that came in an IPv6 packet from SRC to DST: the one
// above, plus the ICMPv6 checksum and the rules for an unspecified source (no source
// link-layer option; an NS then goes to a solicited-node multicast address).
std::optional<NdMessage> ParseNdMessage(const net::Ipv6& src, const net::Ipv6& dst, uint8_t hop_limit,
                                        std::span<const uint8_t> icmpv6);

// A Neighbor Advertisement (RFC 4861 section 4.4) in a full Ethernet frame with hop limit 255,
// from SRC at ROUTER_MAC to DST at DST_MAC: TARGET is at TARGET_MAC (the target link-layer
// option). Flags: Router when ROUTER_FLAG; Solicited unless DST is multicast (an answer to
// duplicate address detection is unsolicited, section 7.2.4); Override always, since the VPC
// has no other node that could hold a better answer for the addresses it answers for.
std::vector<uint8_t> BuildNeighborAdvertisement(const MacAddress& router_mac, const MacAddress& dst_mac,
                                                const net::Ipv6& src, const net::Ipv6& dst, const net::Ipv6& target,
                                                const MacAddress& target_mac, bool router_flag);

struct RouterAdvertisementInfo {
  MacAddress router_mac{};
  net::Ipv6 router_link_local;               // the source address (section 4.2: always link-local)
  std::optional<net::Cidr6> on_link_prefix;  // the subnet's IPv6 block (prefix information, option 3)
  uint32_t mtu = 9001;                       // option 5; omitted below IPv6's minimum of 1280
  uint16_t router_lifetime = 1800;           // seconds as the default router; 0: not a default router
  bool managed = true;                       // M: addresses come from DHCPv6
  bool other = true;                         // O: so do DNS servers and the search list
};

// A Router Advertisement (RFC 4861 section 4.2) in a full Ethernet frame with hop limit 255,
// from info.router_link_local at info.router_mac to DST at DST_MAC: current hop limit 64, M and
// O as given, reachable time and retransmission timer 0 (unspecified), then the source
// link-layer option (1), the MTU option (5) and the prefix information option (3) of the
// on-link prefix with L=1 and A=0: the prefix is on the link, but addresses are handed out by
// DHCPv6, never made by SLAAC (AWS assigns each interface's IPv6 addresses). The prefix's valid
// and preferred lifetimes are RFC 4861's defaults for AdvValidLifetime (30 days) and
// AdvPreferredLifetime (7 days); with A=0 they only bound how long the on-link route lives.
std::vector<uint8_t> BuildRouterAdvertisement(const RouterAdvertisementInfo& info, const MacAddress& dst_mac,
                                              const net::Ipv6& dst);

}  // namespace openvpc::dataplane
