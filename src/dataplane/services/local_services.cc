#include "dataplane/services/local_services.h"

#include <algorithm>
#include <sstream>

#include "model/address.h"
#include "model/aws_services.h"
#include "model/evaluate.h"
#include "model/hosted_zone.h"
#include "model/instance.h"
#include "model/key_pair.h"
#include "model/load_balancer.h"
#include "model/vpc_endpoint.h"
#include "model/network_interface.h"
#include "dataplane/wire/packet6.h"

namespace openvpc::dataplane {

namespace {

// The subnet's IPv4 block; none for an IPv6-only subnet.
std::optional<net::Cidr4> SubnetBlock(const model::Partition& p, const model::NetworkInterface& eni) {
  return net::ParseCidr4(p.subnets.at(eni.subnet_id).cidr_block);
}

const std::vector<std::string>* Option(const model::Partition& p, const model::Vpc& vpc, const std::string& key) {
  auto it = p.dhcp_options.find(vpc.dhcp_options_id);
  if (it == p.dhcp_options.end()) return nullptr;
  for (const auto& [k, values] : it->second.configurations)
    if (k == key) return &values;
  return nullptr;
}

std::vector<net::Ipv4> Ipv4List(const std::vector<std::string>* values, net::Ipv4 amazon) {
  std::vector<net::Ipv4> out;
  if (!values) return out;
  for (const auto& v : *values) {
    if (v == "AmazonProvidedDNS") out.push_back(amazon);
    else if (auto ip = net::ParseIpv4(v)) out.push_back(*ip);
  }
  return out;
}

}  // namespace

LocalServiceKind LocalServiceOf(const model::Flow& f, net::Ipv4 resolver) {
  if (f.ipv6) {
    if (f.protocol == 58 && f.icmp_type >= kNdRouterSolicitation && f.icmp_type <= 137)
      return LocalServiceKind::kNeighborDiscovery;
    if (f.protocol == 17 && f.dst_port == 53 && f.dst6 == kResolverIpv6) return LocalServiceKind::kAmazonDns;
    if (f.protocol == 6 && f.dst_port == 80 && f.dst6 == kMetadataIpv6) return LocalServiceKind::kMetadata;
    const bool local = IsMulticast6(f.dst6) || IsLinkLocal6(f.dst6) || IsLinkLocal6(f.src6) || IsUnspecified6(f.src6);
    if (!local) return LocalServiceKind::kNone;
    return f.protocol == 17 && f.dst_port == kDhcp6ServerPort ? LocalServiceKind::kDhcp6 : LocalServiceKind::kLinkLocal6;
  }
  if (f.protocol == 17 && f.src_port == 68 && f.dst_port == 67) return LocalServiceKind::kDhcp;
  if ((f.protocol == 6 || f.protocol == 17) && f.dst_port == 53 && (f.dst == kResolverLinkLocal || f.dst == resolver))
    return LocalServiceKind::kAmazonDns;
  if (f.protocol == 6 && f.dst_port == 80 && f.dst == kMetadataAddress) return LocalServiceKind::kMetadata;
  if ((f.dst.value >> 16) == 0xa9fe) return LocalServiceKind::kLinkLocal;  // 169.254.0.0/16
  return LocalServiceKind::kNone;
}

model::Flow PacketFlow(const ParsedFrame& pf) {
  return {.protocol = pf.protocol, .src = pf.src, .dst = pf.dst, .ipv6 = pf.ether_type == kEtherTypeIpv6,
          .src6 = pf.src6, .dst6 = pf.dst6, .src_port = pf.src_port, .dst_port = pf.dst_port,
          .icmp_type = pf.icmp_type, .icmp_code = pf.icmp_code, .tcp_flags = pf.tcp_flags,
          .fragmented = pf.first_fragment || pf.fragment};
}

std::optional<net::Ipv4> RouterAddress(const model::Partition& p, const model::NetworkInterface& eni) {
  auto block = SubnetBlock(p, eni);
  if (!block) return std::nullopt;
  return net::Ipv4{block->Network().value + 1};
}

net::Ipv4 ResolverAddress(const model::Partition& p, const model::NetworkInterface& eni) {
  return {net::ParseCidr4(p.vpcs.at(eni.vpc_id).cidr_block).value().Network().value + 2};
}

std::optional<MacAddress> ArpAnswer(const model::Partition& p, const model::NetworkInterface& eni, net::Ipv4 target) {
  auto subnet_block = SubnetBlock(p, eni);
  if (!subnet_block) return std::nullopt;  // IPv6-only: no IPv4 neighbours, not even the router
  const net::Cidr4 block = *subnet_block;
  // The router answers for its own addresses (A5) and for the link-local services (O3).
  if (model::IsRouterAddress(block, target) || (target.value >> 16) == 0xa9fe) return kRouterMac;
  if (!block.Contains(target)) return std::nullopt;
  std::string t = target.ToString();
  for (const auto& [id, other] : p.network_interfaces) {
    if (other.subnet_id != eni.subnet_id) continue;
    for (const auto& ip : other.private_ips)
      if (ip.address == t) return ParseMac(other.mac_address);
  }
  return std::nullopt;
}

std::optional<DhcpLease> LeaseFor(const model::Partition& p, const model::NetworkInterface& eni) {
  const auto block = SubnetBlock(p, eni);
  const auto address = net::ParseIpv4(eni.PrimaryIp());
  if (!block || !address) return std::nullopt;  // IPv6-only: DHCP (v4) has nothing to offer
  const model::Vpc& vpc = p.vpcs.at(eni.vpc_id);
  DhcpLease l;
  l.mac = ParseMac(eni.mac_address).value();
  l.address = *address;
  l.prefix_length = block->prefix;
  l.router = net::Ipv4{block->Network().value + 1};
  l.broadcast = block->Last();
  l.dns_servers = Ipv4List(Option(p, vpc, "domain-name-servers"), ResolverAddress(p, eni));
  if (const auto* names = Option(p, vpc, "domain-name")) {
    for (const auto& n : *names) l.domain_name += (l.domain_name.empty() ? "" : " ") + n;
  }
  l.ntp_servers = Ipv4List(Option(p, vpc, "ntp-servers"), {});
  l.netbios_name_servers = Ipv4List(Option(p, vpc, "netbios-name-servers"), {});
  if (const auto* t = Option(p, vpc, "netbios-node-type"); t && !t->empty()) l.netbios_node_type = std::stoi(t->front());
  std::string host = model::PrivateDnsName(p.region, eni.PrimaryIp());
  l.hostname = host.substr(0, host.find('.'));  // ip-10-0-0-202 (Q5)
  return l;
}

net::Ipv6 RouterLinkLocal() { return LinkLocalFromMac(kRouterMac); }

namespace {

std::optional<net::Cidr6> SubnetBlock6(const model::Partition& p, const model::NetworkInterface& eni) {
  const model::Subnet& s = p.subnets.at(eni.subnet_id);
  if (s.ipv6_cidr_blocks.empty()) return std::nullopt;
  return net::ParseCidr6(s.ipv6_cidr_blocks.front().cidr);
}

}  // namespace

std::optional<MacAddress> NeighborAnswer(const model::Partition& p, const model::NetworkInterface& eni,
                                         const net::Ipv6& target) {
  if (target == RouterLinkLocal()) return kRouterMac;
  auto block = SubnetBlock6(p, eni);
  if (!block || !block->Contains(target)) return std::nullopt;
  if (model::IsRouterAddress(*block, target)) return kRouterMac;
  model::Flow probe{.ipv6 = true, .dst6 = target};
  for (const auto& [id, other] : p.network_interfaces)
    if (other.subnet_id == eni.subnet_id && model::InterfaceHolds(other, probe, true)) return ParseMac(other.mac_address);
  return std::nullopt;
}

std::optional<RouterAdvertisementInfo> RouterAdvertisementFor(const model::Partition& p,
                                                              const model::NetworkInterface& eni) {
  auto block = SubnetBlock6(p, eni);
  if (!block) return std::nullopt;
  return RouterAdvertisementInfo{.router_mac = kRouterMac, .router_link_local = RouterLinkLocal(),
                                 .on_link_prefix = block->Canonical()};
}

Dhcp6Lease Lease6For(const model::Partition& p, const model::NetworkInterface& eni) {
  Dhcp6Lease l{.router_mac = kRouterMac};
  for (const auto& a : eni.ipv6_addresses)
    if (auto ip = net::ParseIpv6(a)) l.addresses.push_back(*ip);
  // The Amazon DNS server at its IPv6 address, unless the DHCP options name other servers only.
  const auto* servers = Option(p, p.vpcs.at(eni.vpc_id), "domain-name-servers");
  if (!servers || std::find(servers->begin(), servers->end(), "AmazonProvidedDNS") != servers->end())
    l.dns_servers.push_back(kResolverIpv6);
  if (const auto* names = Option(p, p.vpcs.at(eni.vpc_id), "domain-name"))
    for (const auto& value : *names) {  // one value may hold several names, space-separated (Q2)
      std::istringstream words(value);
      for (std::string n; words >> n;) l.domain_search.push_back(n);
    }
  return l;
}

namespace {

// TEXTS (addresses as the model keeps them) as the answer's records of QTYPE (1: A, 28: AAAA).
void AddAddresses(DnsAnswer& a, const std::vector<std::string>& texts, uint16_t qtype) {
  for (const auto& text : texts) {
    if (qtype == 1)
      if (auto v4 = net::ParseIpv4(text)) a.a.push_back(*v4);
    if (qtype == 28)
      if (auto v6 = net::ParseIpv6(text)) a.aaaa.push_back(*v6);
  }
}

// An AWS service's public name (DNS-01), S3's and DynamoDB's of each Region too (GW-14: clients
// of gateway endpoints use the public names): its address in the services pool.
bool AwsServiceAnswer(const model::State& s, const std::string& name, uint16_t qtype, DnsAnswer& a) {
  std::optional<net::Ipv4> ip;
  std::string region;
  if (const model::AwsService* svc = model::AwsServiceOfDnsName(name)) ip = model::AwsServiceAddress(s.services_pool, *svc);
  else if (std::string gw = model::GatewayServiceOfDnsName(name, &region); !gw.empty())
    ip = model::GatewayServiceAddress(s.services_pool, gw, region);
  else
    return false;
  a.rcode = 0;
  if (qtype == 1 && ip) a.a.push_back(*ip);
  return true;
}

// A name of a public hosted zone (model/hosted_zone.h), the internet's DNS for every domain that is
// not Amazon's: its A, AAAA or TXT records, NOERROR without records for a name with none of
// the type, NXDOMAIN (authoritative) for a name the zone does not have. False when no zone holds it.
bool PublicZoneAnswer(const model::State& s, const std::string& name, uint16_t qtype, DnsAnswer& a) {
  const char* type = qtype == 1 ? "A" : qtype == 28 ? "AAAA" : qtype == 16 ? "TXT" : "";
  const model::PublicRecordLookup r = model::LookupPublicRecord(s, name, type);
  if (!r.zone) return false;
  a.authoritative = true;
  a.rcode = r.exists ? 0 : 3;
  if (!r.set) return true;
  a.ttl = static_cast<uint32_t>(std::clamp<int64_t>(r.set->ttl, 0, 86400));
  for (const auto& v : r.set->values) {
    if (qtype == 1) {
      if (auto ip = net::ParseIpv4(v)) a.a.push_back(*ip);
    } else if (qtype == 28) {
      if (auto ip = net::ParseIpv6(v)) a.aaaa.push_back(*ip);
    } else if (qtype == 16) {
      a.txt.push_back(model::TxtStrings(v));
    }
  }
  return true;
}

// The answer to NAME (lower case) of QTYPE, as the resolver knows it from the model.
DnsAnswer Lookup(const model::State& s, const model::Partition& p, const model::NetworkInterface& eni,
                 const std::string& name, uint16_t qtype) {
  const model::Vpc& vpc = p.vpcs.at(eni.vpc_id);
  DnsAnswer a;
  // R4: Amazon's private (and, from inside, public) hostnames resolve when both attributes are on.
  const bool hostnames = vpc.enable_dns_hostnames;
  const std::string internal = "." + model::PrivateDnsDomain(p.region);
  const bool ours = name.ends_with(internal) || name.ends_with(".amazonaws.com") || name.ends_with(".in-addr.arpa");
  a.rcode = ours ? 3 : 2;  // NXDOMAIN for our names; SERVFAIL for the rest (no upstream yet)
  // A load balancer's name is public DNS: its nodes' addresses, whatever the VPC's hostnames.
  if (const model::LoadBalancer* lb = model::LoadBalancerByDnsName(p, name)) {
    a.rcode = 0;
    if (qtype == 1 || qtype == 28) AddAddresses(a, model::LoadBalancerDnsAddresses(p, *lb, qtype == 28), qtype);
    return a;
  }
  if (auto addresses = model::VpcEndpointDnsAddresses(p, name, qtype == 28)) {  // DNS-07: public names
    a.rcode = 0;
    if (qtype == 1 || qtype == 28) AddAddresses(a, *addresses, qtype);
    return a;
  }
  if (auto addresses = model::PrivateDnsAddresses(p, eni.vpc_id, name, qtype == 28)) {  // DNS-10: an endpoint's private DNS
    a.rcode = 0;
    if (qtype == 1 || qtype == 28) AddAddresses(a, *addresses, qtype);
    return a;
  }
  if (AwsServiceAnswer(s, name, qtype, a)) return a;
  if (!ours && PublicZoneAnswer(s, name, qtype, a)) return a;  // the internet's names, through the resolver
  if (!hostnames) return a;
  if (qtype == 12) {
    if (auto ip = ParseReverseName(name)) {
      std::string text = ip->ToString();
      for (const auto& [id, other] : p.network_interfaces) {
        if (other.vpc_id != eni.vpc_id) continue;
        for (const auto& pip : other.private_ips)
          if (pip.address == text) {
            a.rcode = 0;
            a.ptr = model::PrivateDnsName(p.region, text);  // R8
            return a;
          }
      }
    }
    return a;
  }
  for (const auto& [id, other] : p.network_interfaces) {
    if (other.vpc_id != eni.vpc_id) continue;
    for (const auto& pip : other.private_ips) {
      bool match = model::AsciiLower(model::PrivateDnsName(p.region, pip.address)) == name;  // R8
      if (!match && pip.primary) {
        // R7: inside the VPC, the public name means the private address.
        std::string pub = model::PublicIpv4Of(p, other, other.PrimaryIp());
        match = !pub.empty() && model::AsciiLower(model::PublicDnsName(p.region, pub)) == name;
      }
      if (match) {
        a.rcode = 0;
        if (qtype == 1) a.a.push_back(net::ParseIpv4(pip.address).value());
        return a;
      }
    }
  }
  // An instance's resource name (i-0123456789abcdef0.ec2.internal): A and AAAA records as its
  // launch's PrivateDnsNameOptions say (EnableResourceNameDnsARecord, …AAAARecord).
  if (name.ends_with(internal)) {
    auto it = p.instances.find(name.substr(0, name.size() - internal.size()));
    const model::NetworkInterface* eth0 =
        it == p.instances.end() ? nullptr : model::PrimaryInterfaceOf(p, it->first);
    if (eth0 && eth0->vpc_id == eni.vpc_id) {
      const model::Instance& inst = it->second;
      a.rcode = 0;  // the name exists, with or without records of the type asked
      if (qtype == 1 && inst.resource_name_dns_a)
        if (auto ip = net::ParseIpv4(eth0->PrimaryIp())) a.a.push_back(*ip);
      if (qtype == 28 && inst.resource_name_dns_aaaa && !eth0->ipv6_addresses.empty())
        if (auto ip = net::ParseIpv6(eth0->ipv6_addresses.front())) a.aaaa.push_back(*ip);
    }
  }
  return a;
}

// 64:ff9b::/96, the well-known prefix of DNS64 and NAT64 (RFC 6052), with IP in its last 32 bits.
net::Ipv6 Nat64Address(net::Ipv4 ip) {
  net::Ipv6 out{{0x00, 0x64, 0xff, 0x9b}};
  for (int i = 0; i < 4; ++i) out.bytes[12 + i] = static_cast<uint8_t>(ip.value >> (24 - 8 * i));
  return out;
}

}  // namespace

std::optional<DnsAnswer> Resolve(const model::State& s, const model::Partition& p, const model::NetworkInterface& eni,
                                 const DnsQuestion& q) {
  if (!p.vpcs.at(eni.vpc_id).enable_dns_support) return std::nullopt;  // R2: the resolver does not answer
  const std::string name = model::AsciiLower(q.name);
  DnsAnswer a = Lookup(s, p, eni, name, q.qtype);
  // DNS64 (EnableDns64 on the asking interface's subnet): an AAAA question about a name that has
  // A records only is answered with their addresses inside 64:ff9b::/96.
  auto subnet = p.subnets.find(eni.subnet_id);
  if (q.qtype == 28 && a.rcode == 0 && a.aaaa.empty() && subnet != p.subnets.end() && subnet->second.enable_dns64)
    for (net::Ipv4 ip : Lookup(s, p, eni, name, 1).a) a.aaaa.push_back(Nat64Address(ip));
  return a;
}

DnsAnswer ResolvePublic(const model::State& s, const DnsQuestion& q) {
  const std::string name = model::AsciiLower(q.name);
  DnsAnswer a;
  a.rcode = name.ends_with(".amazonaws.com") ? 3 : 2;  // NXDOMAIN for Amazon's names; no upstream for the rest
  a.authoritative = a.rcode == 3;
  if (AwsServiceAnswer(s, name, q.qtype, a)) return a;
  for (const auto& [key, p] : s.partitions) {
    if (const model::LoadBalancer* lb = model::LoadBalancerByDnsName(p, name)) {
      a.rcode = 0;
      AddAddresses(a, model::LoadBalancerDnsAddresses(p, *lb, q.qtype == 28), q.qtype);
      return a;
    }
    if (auto addresses = model::VpcEndpointDnsAddresses(p, name, q.qtype == 28)) {  // DNS-07
      a.rcode = 0;
      if (q.qtype == 1 || q.qtype == 28) AddAddresses(a, *addresses, q.qtype);
      return a;
    }
    for (const auto& [id, eni] : p.network_interfaces) {
      const std::string pub = model::PublicIpv4Of(p, eni, eni.PrimaryIp());
      if (pub.empty() || model::AsciiLower(model::PublicDnsName(p.region, pub)) != name) continue;
      a.rcode = 0;
      if (q.qtype == 1) a.a.push_back(net::ParseIpv4(pub).value());
      return a;
    }
  }
  if (!name.ends_with(".amazonaws.com")) PublicZoneAnswer(s, name, q.qtype, a);
  return a;
}

std::optional<InstanceMetadata> MetadataFor(const model::State& s, const std::string& eni_id) {
  for (const auto& [key, p] : s.partitions) {
    auto e = p.network_interfaces.find(eni_id);
    if (e == p.network_interfaces.end() || !e->second.attachment) continue;
    auto i = p.instances.find(e->second.attachment->instance_id);
    if (i == p.instances.end() || i->second.state != "running") return std::nullopt;
    const model::Instance& inst = i->second;
    InstanceMetadata md{.instance_id = inst.id, .instance_type = inst.instance_type, .ami_id = inst.image_id,
                        .reservation_id = inst.reservation_id, .account_id = p.account_id,
                        .ami_launch_index = inst.ami_launch_index, .region = p.region,
                        .availability_zone = inst.availability_zone, .key_name = inst.key_name};
    if (!inst.user_data.empty())
      if (auto raw = model::DecodeBase64(inst.user_data)) md.user_data = *raw;
    md.architecture = inst.architecture;
    if (!inst.iam_instance_profile_arn.empty()) {  // the credentials are the host's to add
      const std::string role = model::InstanceRoleArn(inst);
      md.iam = InstanceMetadata::Iam{.profile_arn = inst.iam_instance_profile_arn,
                                     .profile_id = inst.iam_instance_profile_id,
                                     .role_name = role.substr(role.rfind('/') + 1)};
    }
    md.http_tokens = inst.metadata_options.http_tokens;
    md.http_endpoint = inst.metadata_options.http_endpoint == "enabled";
    md.http_put_response_hop_limit = inst.metadata_options.http_put_response_hop_limit;
    if (inst.metadata_options.instance_metadata_tags == "enabled") {
      md.tags.emplace();
      for (const auto& t : inst.tags) md.tags->emplace_back(t.key, t.value);
    }
    for (const auto& [kid, k] : p.key_pairs)
      if (k.key_name == inst.key_name) md.openssh_key = k.public_key;
    for (const model::NetworkInterface* eni : model::InterfacesOf(p, inst.id)) {
      const model::Vpc& vpc = p.vpcs.at(eni->vpc_id);
      MetadataInterface mi{.mac = eni->mac_address, .interface_id = eni->id, .subnet_id = eni->subnet_id,
                           .vpc_id = eni->vpc_id, .owner_id = eni->owner_id,
                           .device_number = eni->attachment->device_index};
      for (const auto& ip : eni->private_ips) mi.local_ipv4s.push_back(ip.address);
      mi.subnet_ipv4_cidr_block = p.subnets.at(eni->subnet_id).cidr_block;
      mi.vpc_ipv4_cidr_block = vpc.cidr_block;
      for (const auto& c : vpc.cidr_blocks) mi.vpc_ipv4_cidr_blocks.push_back(c.cidr);
      if (mi.vpc_ipv4_cidr_blocks.empty()) mi.vpc_ipv4_cidr_blocks.push_back(vpc.cidr_block);
      for (const auto& gid : eni->group_ids) {
        mi.security_group_ids.push_back(gid);
        if (auto g = p.security_groups.find(gid); g != p.security_groups.end())
          mi.security_groups.push_back(g->second.group_name);
      }
      if (std::string pub = model::PublicIpv4Of(p, *eni, eni->PrimaryIp()); !pub.empty()) {
        mi.public_ipv4s.push_back(pub);
        if (vpc.enable_dns_support && vpc.enable_dns_hostnames) mi.public_hostname = model::PublicDnsName(p.region, pub);
      }
      mi.ipv6s = eni->ipv6_addresses;
      mi.local_hostname = model::PrivateDnsName(p.region, eni->PrimaryIp());
      if (mi.device_number == 0) {
        md.local_ipv4 = eni->PrimaryIp();
        md.mac = eni->mac_address;
        md.local_hostname = mi.local_hostname;
        md.public_ipv4 = mi.public_ipv4s.empty() ? "" : mi.public_ipv4s.front();
        md.public_hostname = mi.public_hostname;
        md.security_groups = mi.security_groups;
      }
      md.interfaces.push_back(std::move(mi));
    }
    return md;
  }
  return std::nullopt;
}

}  // namespace openvpc::dataplane
