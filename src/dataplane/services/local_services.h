// Stage 2: what the VPC router answers itself (guide O3, Q5, R1-R9): ARP for the router and for
// the interfaces of the subnet, DHCP leases, the Amazon resolver's names. Pure functions of the
// model; the engine turns them into frames. None of this is filtered by security groups or
// network ACLs, as the guide says (O3, R13).
#pragma once

#include <optional>
#include <string>

#include "dataplane/services/dhcp.h"
#include "dataplane/services/dhcp6.h"
#include "dataplane/services/dns.h"
#include "dataplane/services/imds.h"
#include "dataplane/services/ndp.h"
#include "dataplane/wire/packet.h"
#include "model/evaluate.h"
#include "model/state.h"

namespace openvpc::dataplane {

// The MAC the subnet router answers with (base+1, base+2, base+3 and link-local services).
inline constexpr MacAddress kRouterMac{0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
inline constexpr net::Ipv4 kMetadataAddress{0xa9fea9fe};  // 169.254.169.254
inline constexpr net::Ipv4 kResolverLinkLocal{0xa9fea9fd};  // 169.254.169.253
// The Amazon DNS server's IPv6 address (Nitro instances), fd00:ec2::253: what DHCPv6 hands out
// as the DNS server. Answered over UDP.
inline constexpr net::Ipv6 kResolverIpv6{{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x53}};
// The instance metadata service's IPv6 address (Nitro instances), fd00:ec2::254, answered when
// the instance's HttpProtocolIpv6 is enabled.
inline constexpr net::Ipv6 kMetadataIpv6{{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54}};
// fd00:ec2:0:a11a::/96: a request to fd00:ec2::254 reaches the services namespace from this
// prefix with the interface's IPv4 alias (100.64.0.0/10 + port id) in its last 32 bits, as a
// request to 169.254.169.254 comes from that alias itself.
inline constexpr net::Ipv6 kServiceAlias6Prefix{{0xfd, 0x00, 0x0e, 0xc2, 0, 0, 0xa1, 0x1a, 0, 0, 0, 0, 0, 0, 0, 0}};

// Which of the router's own services a packet from an instance is for, by its addresses and
// ports alone: the engine takes these packets out of stages 3-9 at stage 2, and `openvpc trace`
// stops at the same stage for the same packets, since neither groups nor ACLs filter them (O3,
// R1, R13) and the router forwards no link-local traffic.
enum class LocalServiceKind {
  kNone,               // not the router's: stages 3-9 decide
  kDhcp,               // DHCP, client port 68 to server port 67 (Q5)
  kAmazonDns,          // port 53, UDP or TCP, at the VPC's resolver (base+2) or 169.254.169.253 (R1)
  kMetadata,           // TCP port 80 at 169.254.169.254 (O3)
  kLinkLocal,          // any other packet to 169.254.0.0/16: nothing answers, nothing is forwarded
  kNeighborDiscovery,  // ICMPv6 133-137 (RFC 4861): answered for the router and the subnet
  kDhcp6,              // DHCPv6 to port 547 at a multicast or link-local address (C11)
  kLinkLocal6,         // any other IPv6 packet to a link-local or multicast address, or from fe80::/10 or ::
};
// RESOLVER: the VPC's base+2 (ResolverAddress).
LocalServiceKind LocalServiceOf(const model::Flow& f, net::Ipv4 resolver);

// The flow of a parsed frame, as the stages see it.
model::Flow PacketFlow(const ParsedFrame& pf);

// The subnet router's address (base+1) of ENI's subnet.
// The router's IPv4 address on ENI's subnet (its network + 1); none in an IPv6-only subnet.
std::optional<net::Ipv4> RouterAddress(const model::Partition& p, const model::NetworkInterface& eni);
// The Amazon resolver of ENI's VPC: base+2 of the VPC's primary block (A6).
net::Ipv4 ResolverAddress(const model::Partition& p, const model::NetworkInterface& eni);

// Who answers an ARP request from ENI for TARGET: the router for the subnet's reserved
// addresses and link-local services, an interface of the subnet for its own addresses.
std::optional<MacAddress> ArpAnswer(const model::Partition& p, const model::NetworkInterface& eni, net::Ipv4 target);

// The subnet router's IPv6 link-local address (from kRouterMac): the instances' default IPv6
// gateway, which its router advertisements announce.
net::Ipv6 RouterLinkLocal();

// Who answers a neighbour solicitation from ENI for TARGET: the router for its link-local
// address and the subnet's ::1..::3 (C4), an interface of the subnet for its IPv6 addresses.
std::optional<MacAddress> NeighborAnswer(const model::Partition& p, const model::NetworkInterface& eni,
                                         const net::Ipv6& target);

// What the router advertises on ENI's subnet: itself as default router, the subnet's IPv6 block
// on-link, addresses by DHCPv6 (M). nullopt when the subnet has no IPv6 block.
std::optional<RouterAdvertisementInfo> RouterAdvertisementFor(const model::Partition& p,
                                                              const model::NetworkInterface& eni);

// The DHCPv6 lease of ENI: its IPv6 addresses (C11), and the domain names of the VPC's DHCP
// options set as the search list.
Dhcp6Lease Lease6For(const model::Partition& p, const model::NetworkInterface& eni);

// The lease of ENI's primary address with the options of its VPC's DHCP options set (Q5).
// None for an interface without an IPv4 address (an IPv6-only subnet's).
std::optional<DhcpLease> LeaseFor(const model::Partition& p, const model::NetworkInterface& eni);

// The resolver's answer to a question from ENI (of P, in S), or nullopt when it does not answer
// at all (enableDnsSupport off, R2).
std::optional<DnsAnswer> Resolve(const model::State& s, const model::Partition& p, const model::NetworkInterface& eni,
                                 const DnsQuestion& q);

// The simulated internet's public DNS (host::kInternetDns): Amazon's public names, authoritatively
// (a load balancer's name: its nodes' public addresses when internet-facing, private ones when
// internal; an instance's public name: its public address), the public hosted zones' names (Route
// 53: A, AAAA and TXT records), SERVFAIL for any other name. The VPC resolver answers the
// hosted zones' names the same way.
DnsAnswer ResolvePublic(const model::State& s, const DnsQuestion& q);

// What the instance metadata service tells the instance that ENI_ID is attached to, or nullopt
// when no running instance has it.
std::optional<InstanceMetadata> MetadataFor(const model::State& s, const std::string& eni_id);

}  // namespace openvpc::dataplane
