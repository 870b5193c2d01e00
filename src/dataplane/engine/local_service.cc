// Stage 2 as the engine runs it: ARP, DHCP, the Amazon DNS server, instance metadata, neighbour
// discovery and DHCPv6 answered by the router (LocalServiceOf picks the packets out, for trace
// alike), and the services namespace's replies back to the instances.
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "dataplane/engine/engine.h"
#include "dataplane/wire/bytes.h"
#include "dataplane/engine/port.h"
#include "dataplane/services/dhcp.h"
#include "dataplane/services/dhcp6.h"
#include "dataplane/services/dns.h"
#include "dataplane/services/local_services.h"
#include "dataplane/services/ndp.h"
#include "dataplane/wire/packet6.h"
#include "model/instance.h"

namespace openvpc::dataplane {

void Engine::WithInterface(
    const Port& in,
    const std::function<void(const model::State&, const model::Partition&, const model::NetworkInterface&)>& fn) {
  model_.Read([&](const model::State& s) {
    const model::Partition* p = s.Find(in.account, in.region);
    if (!p) return;
    auto it = p->network_interfaces.find(in.eni_id);
    if (it != p->network_interfaces.end()) fn(s, *p, it->second);
  });
}

Port* Engine::LocalService(Port& in, const VnetHeader& vh, std::span<uint8_t> frame, const ParsedFrame& pf,
                                   bool& handled) {
  handled = true;
  if (pf.ether_type == kEtherTypeArp) {
    if (pf.arp_op != 1) return nullptr;  // replies and announcements end here
    std::optional<MacAddress> mac;
    WithInterface(in, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
      mac = ArpAnswer(part, eni, pf.arp_target);
    });
    if (mac) SendFrame(&in, BuildArpReply(pf, *mac));
    return nullptr;
  }
  handled = false;
  if (pf.ether_type == kEtherTypeIpv6) return LocalService6(in, vh, frame, pf, handled);
  if (pf.ether_type != kEtherTypeIpv4 || pf.fragment) return nullptr;
  const LocalServiceKind kind = LocalServiceOf(PacketFlow(pf), in.resolver);  // the same test as trace's
  const uint8_t* l4 = frame.data() + pf.l4;
  const size_t l4_len = 14 + size_t{pf.ip_total_length} - pf.l4;
  if (kind == LocalServiceKind::kDhcp) {  // DHCP (Q5)
    std::optional<std::vector<uint8_t>> reply;
    WithInterface(in, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
      const std::optional<DhcpLease> lease = LeaseFor(part, eni);
      if (!lease) return;
      if (auto r = DhcpReply({l4 + 8, Get16(l4 + 4) >= 8 ? std::min<size_t>(Get16(l4 + 4), l4_len) - 8 : 0}, *lease))
        reply = BuildUdpFrame(kRouterMac, pf.src_mac, lease->router, net::Ipv4{0xffffffff}, 67, 68, *r);
    });
    if (reply) SendFrame(&in, *reply);
    handled = true;
    return nullptr;
  }
  // The Amazon resolver (R1); DNS to other servers is ordinary traffic and skips the lock here.
  const bool to_resolver = kind == LocalServiceKind::kAmazonDns;
  if (pf.protocol == 17 && to_resolver) {
    handled = true;
    if (!TakeDnsToken(in)) return nullptr;
    auto q = ParseDnsQuery({l4 + 8, l4_len >= 8 ? l4_len - 8 : 0});
    if (!q) return nullptr;
    std::optional<std::vector<uint8_t>> reply;
    WithInterface(in, [&](const model::State& s, const model::Partition& part, const model::NetworkInterface& eni) {
      if (auto answer = Resolve(s, part, eni, *q))
        reply = BuildUdpFrame(kRouterMac, pf.src_mac, pf.dst, pf.src, 53, pf.src_port, BuildDnsResponse(*q, *answer));
    });
    if (reply) SendFrame(&in, *reply);
    return nullptr;
  }
  if (pf.protocol == 6 && to_resolver) {  // over TCP, answered in the services namespace
    handled = true;
    bool enabled = false;
    WithInterface(in, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
      enabled = part.vpcs.at(eni.vpc_id).enable_dns_support;
    });
    if (!enabled || !service_) return nullptr;  // R2: no answer at all
    in.service_client = pf.src;
    in.dns_server = pf.dst;
    RewriteIpv4Address(frame, pf, true, net::Ipv4{kAliasBase + in.id}, vh);
    RewriteIpv4Address(frame, pf, false, kResolverLinkLocal, vh);
    memcpy(frame.data(), service_->mac.data(), 6);
    memcpy(frame.data() + 6, kRouterMac.data(), 6);
    return service_;
  }
  if (kind == LocalServiceKind::kMetadata) {  // instance metadata
    handled = true;
    if (!service_) return nullptr;
    in.service_client = pf.src;
    RewriteIpv4Address(frame, pf, true, net::Ipv4{kAliasBase + in.id}, vh);
    memcpy(frame.data(), service_->mac.data(), 6);
    memcpy(frame.data() + 6, kRouterMac.data(), 6);
    return service_;
  }
  handled = kind == LocalServiceKind::kLinkLocal;  // nothing answers, nothing is forwarded
  return nullptr;
}

bool Engine::TakeDnsToken(Port& in) {
  const double now = Now();
  in.dns_tokens = std::min(1024.0, in.dns_tokens + (now - in.dns_refilled) * 1024);
  in.dns_refilled = now;
  if (in.dns_tokens < 1) return false;  // over the limit: dropped, as AWS does (R11)
  in.dns_tokens -= 1;
  return true;
}

Port* Engine::LocalService6(Port& in, const VnetHeader& vh, std::span<uint8_t> frame, const ParsedFrame& pf,
                            bool& handled) {
  // Neighbour discovery never crosses the router (RFC 4861: hop limit 255), and neither does
  // anything to or from a link-local or multicast address (a router does not forward them).
  const LocalServiceKind kind = LocalServiceOf(PacketFlow(pf), {});
  handled = kind != LocalServiceKind::kNone;
  if (!handled || pf.fragment) return nullptr;
  if (kind == LocalServiceKind::kMetadata) {
    // [fd00:ec2::254]: to the services namespace from the interface's IPv6 alias, as IPv4
    // requests go from its IPv4 alias; only while the instance's HttpProtocolIpv6 is enabled.
    bool enabled = false;
    WithInterface(in, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
      enabled = model::MetadataOverIpv6(part, eni);
    });
    if (!enabled || !service_) return nullptr;
    in.service_client6 = pf.src6;
    RewriteIpv6Address(frame, pf, true, ServiceAlias6(in.id), vh);
    memcpy(frame.data(), service_->mac.data(), 6);
    memcpy(frame.data() + 6, kRouterMac.data(), 6);
    return service_;
  }
  const uint8_t* l4 = frame.data() + pf.l4;
  const size_t l4_len = 14 + size_t{pf.ip_total_length} - pf.l4;
  std::optional<std::vector<uint8_t>> reply;
  if (pf.protocol == 17 && pf.dst_port == 53 && pf.dst6 == kResolverIpv6) {  // the Amazon resolver over IPv6
    if (!TakeDnsToken(in)) return nullptr;
    auto q = ParseDnsQuery({l4 + 8, l4_len >= 8 ? l4_len - 8 : 0});
    if (!q) return nullptr;
    WithInterface(in, [&](const model::State& s, const model::Partition& part, const model::NetworkInterface& eni) {
      if (auto answer = Resolve(s, part, eni, *q))
        reply = BuildUdp6Frame(kRouterMac, pf.src_mac, kResolverIpv6, pf.src6, 53, pf.src_port,
                               BuildDnsResponse(*q, *answer));
    });
  } else if (pf.protocol == 58 && (pf.icmp_type == kNdRouterSolicitation || pf.icmp_type == kNdNeighborSolicitation)) {
    auto m = ParseNdMessage(pf.src6, pf.dst6, pf.ttl, {l4, l4_len});
    if (!m) return nullptr;
    const bool dad = IsUnspecified6(pf.src6);
    const MacAddress to_mac = m->source_link_layer ? *m->source_link_layer : pf.src_mac;
    WithInterface(in, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
      if (m->type == kNdRouterSolicitation) {
        if (auto ra = RouterAdvertisementFor(part, eni)) reply = BuildRouterAdvertisement(*ra, MulticastMacFor(kAllNodes), kAllNodes);
        return;
      }
      auto mac = NeighborAnswer(part, eni, m->target);
      if (!mac || (dad && *mac != kRouterMac)) return;  // DAD: only for the router's own addresses
      reply = BuildNeighborAdvertisement(kRouterMac, dad ? MulticastMacFor(kAllNodes) : to_mac, m->target,
                                         dad ? kAllNodes : pf.src6, m->target, *mac, *mac == kRouterMac);
    });
  } else if (pf.protocol == 17 && pf.dst_port == kDhcp6ServerPort && pf.src_port == kDhcp6ClientPort &&
             l4_len >= 8) {  // DHCPv6 (C11)
    WithInterface(in, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
      if (auto r = Dhcp6Reply({l4 + 8, l4_len - 8}, Lease6For(part, eni)))
        reply = BuildUdp6Frame(kRouterMac, pf.src_mac, RouterLinkLocal(), pf.src6, kDhcp6ServerPort, kDhcp6ClientPort, *r);
    });
  }
  if (reply && !reply->empty()) SendFrame(&in, *reply);
  return nullptr;
}

void Engine::AdvertiseRouter() {
  for (auto& [id, port] : ports_) {
    if (port.get() == service_ || port.get() == internet_ || port->removing) continue;
    std::optional<std::vector<uint8_t>> ra;
    WithInterface(*port, [&](const model::State&, const model::Partition& part, const model::NetworkInterface& eni) {
      if (auto info = RouterAdvertisementFor(part, eni))
        ra = BuildRouterAdvertisement(*info, MulticastMacFor(kAllNodes), kAllNodes);
    });
    if (ra) SendFrame(port.get(), *ra);
  }
}

Port* Engine::HandleServiceFrame(uint8_t* buf, size_t len) {
  if (len < kVnetHeaderSize + 14) return nullptr;
  VnetHeader vh;
  memcpy(&vh, buf, sizeof vh);
  std::span<uint8_t> frame(buf + kVnetHeaderSize, len - kVnetHeaderSize);
  ParsedFrame pf;
  if (!ParseFrame(frame, pf)) return nullptr;
  if (pf.ether_type == kEtherTypeArp) {
    if (pf.arp_op == 1) SendFrame(service_, BuildArpReply(pf, kRouterMac));  // every alias is behind the router
    return nullptr;
  }
  if (pf.ether_type == kEtherTypeIpv6) {  // a metadata reply to an IPv6 alias
    if (pf.src6 != kMetadataIpv6 || pf.protocol != 6 || pf.src_port != 80 ||
        !std::equal(kServiceAlias6Prefix.bytes.begin(), kServiceAlias6Prefix.bytes.begin() + 12, pf.dst6.bytes.begin()))
      return nullptr;
    const uint32_t alias = uint32_t{pf.dst6.bytes[12]} << 24 | uint32_t{pf.dst6.bytes[13]} << 16 |
                           uint32_t{pf.dst6.bytes[14]} << 8 | pf.dst6.bytes[15];
    auto it = ports_.find(alias - kAliasBase);
    if (alias < kAliasBase || it == ports_.end() || it->second.get() == service_ || it->second.get() == internet_ ||
        it->second->removing)
      return nullptr;
    Port& port = *it->second;
    RewriteIpv6Address(frame, pf, false, port.service_client6, vh);
    memcpy(frame.data(), port.mac.data(), 6);
    memcpy(frame.data() + 6, kRouterMac.data(), 6);
    return &port;
  }
  const bool dns = pf.src == kResolverLinkLocal && pf.protocol == 6 && pf.src_port == 53;
  if (pf.ether_type != kEtherTypeIpv4 || (pf.src != kMetadataAddress && !dns)) return nullptr;
  auto it = ports_.find(pf.dst.value - kAliasBase);
  if (pf.dst.value < kAliasBase || it == ports_.end() || it->second.get() == service_ ||
      it->second.get() == internet_ || it->second->removing)
    return nullptr;
  Port& port = *it->second;
  RewriteIpv4Address(frame, pf, false, port.service_client, vh);
  if (dns) RewriteIpv4Address(frame, pf, true, port.dns_server, vh);  // the address the instance asked
  memcpy(frame.data(), port.mac.data(), 6);
  memcpy(frame.data() + 6, kRouterMac.data(), 6);
  return &port;
}


}  // namespace openvpc::dataplane
