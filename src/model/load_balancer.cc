// Network and Gateway Load Balancers and their listeners: model/load_balancer.h.
#include "model/load_balancer.h"

#include <algorithm>
#include <random>
#include <set>

#include "model/address.h"
#include "model/internal.h"
#include "model/network_interface.h"
#include "model/target_group.h"

namespace openvpc::model {

namespace {

[[noreturn]] void NotFound() { Fail("LoadBalancerNotFound", "One or more load balancers not found"); }

// The attributes of each type and their defaults (DescribeLoadBalancerAttributes of a new one).
const std::map<std::string, std::string>& DefaultAttributes(const std::string& type) {
  static const std::map<std::string, std::string> network = {
      {"access_logs.s3.enabled", "false"},
      {"access_logs.s3.bucket", ""},
      {"access_logs.s3.prefix", ""},
      {"deletion_protection.enabled", "false"},
      {"load_balancing.cross_zone.enabled", "false"},
      {"dns_record.client_routing_policy", "any_availability_zone"},
      {"ipv6.deny_all_igw_traffic", "false"},
      {"zonal_shift.config.enabled", "false"},
  };
  static const std::map<std::string, std::string> gateway = {
      {"deletion_protection.enabled", "false"},
      {"load_balancing.cross_zone.enabled", "false"},
  };
  return type == "gateway" ? gateway : network;
}

bool IsBooleanAttribute(const std::string& key) {
  return key.size() > 8 && (key.ends_with(".enabled") || key == "ipv6.deny_all_igw_traffic");
}

// The subnets asked for, as mappings, checked against each other (one per zone, one VPC).
struct ResolvedMapping {
  SubnetMapping m;
  const Subnet* subnet;
};

std::vector<ResolvedMapping> ResolveMappings(Partition& p, const std::vector<SubnetMapping>& mappings) {
  std::vector<ResolvedMapping> out;
  std::set<std::string> zones;
  std::string vpc;
  for (const auto& m : mappings) {
    auto it = p.subnets.find(m.subnet_id);
    if (it == p.subnets.end()) Fail("SubnetNotFound", "The subnet ID '" + m.subnet_id + "' is not valid");
    const Subnet& s = it->second;
    if (!zones.insert(s.availability_zone).second)
      Fail("InvalidConfigurationRequest", "A load balancer cannot be attached to multiple subnets in the same Availability Zone");
    if (!vpc.empty() && s.vpc_id != vpc)
      Fail("InvalidConfigurationRequest", "All subnets of a load balancer must belong to the same VPC");
    vpc = s.vpc_id;
    out.push_back({m, &s});
  }
  return out;
}

std::string InterfaceType(const LoadBalancer& lb) {
  return lb.type == "gateway" ? "gateway_load_balancer" : "network_load_balancer";
}

// A node in the zone of R: its interface, its addresses, its public address.
LoadBalancerNode CreateNode(Tx& tx, const LoadBalancer& lb, const ResolvedMapping& r) {
  Partition& p = tx.p;
  const Subnet& s = *r.subnet;
  if (s.ipv6_native) Fail("InvalidSubnet", "Subnet " + s.id + " is IPv6-only; a load balancer needs an IPv4 CIDR block");
  if (!r.m.private_ipv4_address.empty()) {
    if (lb.scheme != "internal")
      Fail("InvalidConfigurationRequest", "Private IPv4 addresses can be specified only for internal load balancers");
    auto ip = net::ParseIpv4(r.m.private_ipv4_address);
    if (!ip || !net::ParseCidr4(s.cidr_block)->Contains(*ip))
      Fail("InvalidConfigurationRequest", "The private IPv4 address '" + r.m.private_ipv4_address +
                                              "' is not in the CIDR block of subnet '" + s.id + "'");
  }
  if (!r.m.allocation_id.empty() && lb.scheme == "internal")
    Fail("InvalidConfigurationRequest", "Elastic IP addresses can be specified only for internet-facing load balancers");
  const bool dualstack = lb.ip_address_type == "dualstack";
  if (dualstack && s.ipv6_cidr_blocks.empty())
    Fail("InvalidSubnet", "Subnet '" + s.id + "' has no IPv6 CIDR block: a dualstack load balancer needs one in every subnet");
  if (!r.m.ipv6_address.empty() && !dualstack)
    Fail("InvalidConfigurationRequest", "IPv6 addresses can be specified only for dualstack load balancers");

  NetworkInterface* eni = nullptr;
  try {
    eni = &CreateNetworkInterface(
        tx, {.subnet_id = s.id,
             .description = "ELB " + LoadBalancerTypeTag(lb) + "/" + lb.name + "/" + lb.id,
             .private_ip_address = r.m.private_ipv4_address,
             .ipv6_addresses = r.m.ipv6_address.empty() ? std::vector<std::string>{}
                                                        : std::vector<std::string>{r.m.ipv6_address},
             .ipv6_address_count = dualstack && r.m.ipv6_address.empty() ? 1 : 0,
             .group_ids = lb.security_groups,
             .interface_type = InterfaceType(lb),
             .requester_managed = true,
             .requester_id = "amazon-elb"});
  } catch (const Error& e) {
    if (e.code == "InsufficientFreeAddressesInSubnet")
      Fail("InvalidSubnet", "Not enough IP space available in " + s.id + ". ELB requires at least 8 free IP addresses in each subnet.");
    if (e.code == "InvalidIPAddress.InUse")
      Fail("InvalidConfigurationRequest", "The private IPv4 address '" + r.m.private_ipv4_address + "' is in use");
    throw;
  }
  // A node has the load balancer's groups, or none: a load balancer without security groups
  // admits everything its listeners accept (its interface is not given the VPC's default group).
  eni->group_ids = lb.security_groups;
  eni->source_dest_check = false;
  LoadBalancerNode node;
  node.subnet_id = s.id;
  node.availability_zone = s.availability_zone;
  node.network_interface_id = eni->id;
  node.private_ip = eni->PrimaryIp();
  if (!eni->ipv6_addresses.empty()) node.ipv6_address = eni->ipv6_addresses.front();
  if (lb.scheme == "internet-facing") {
    if (!r.m.allocation_id.empty()) {
      auto a = p.addresses.find(r.m.allocation_id);
      if (a == p.addresses.end())
        Fail("AllocationIdNotFound", "The allocation ID '" + r.m.allocation_id + "' was not found");
      if (!a->second.association_id.empty())
        Fail("InvalidConfigurationRequest", "The Elastic IP address '" + r.m.allocation_id + "' is already associated");
      AssociateAddress(tx, {.allocation_id = r.m.allocation_id, .network_interface_id = eni->id});
      node.allocation_id = r.m.allocation_id;
      node.public_ip = a->second.public_ip;
    } else {
      eni->public_ip = AllocatePublicIpv4(tx);
      node.public_ip = eni->public_ip;
    }
  }
  tx.Touch(eni->id);
  return node;
}

void DeleteNode(Tx& tx, const LoadBalancerNode& node) {
  auto it = tx.p.network_interfaces.find(node.network_interface_id);
  if (it == tx.p.network_interfaces.end()) return;
  // Its Elastic IP is disassociated with the interface, and stays allocated.
  DeleteNetworkInterface(tx, node.network_interface_id, /*by_requester=*/true);
}

std::vector<std::string> CheckedSecurityGroups(Partition& p, const std::vector<std::string>& groups,
                                               const std::string& vpc_id) {
  std::vector<std::string> out;
  for (const auto& g : groups) {
    auto it = p.security_groups.find(g);
    if (it == p.security_groups.end() || (!vpc_id.empty() && it->second.vpc_id != vpc_id))
      Fail("InvalidSecurityGroup", "Security group '" + g + "' does not exist in VPC '" + vpc_id + "'");
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(g);
  }
  if (static_cast<int>(out.size()) > 5)
    Fail("InvalidConfigurationRequest", "A load balancer can have at most 5 security groups");
  return out;
}

int CountOfType(const Partition& p, const std::string& type) {
  int n = 0;
  for (const auto& [arn, lb] : p.load_balancers) n += lb.type == type;
  return n;
}

// The settings that make two CreateLoadBalancer requests of one name the same request.
bool SameSettings(const LoadBalancer& lb, const CreateLoadBalancerArgs& a, const std::vector<ResolvedMapping>& m) {
  if (lb.type != a.type || lb.scheme != a.scheme || lb.ip_address_type != a.ip_address_type) return false;
  if (lb.nodes.size() != m.size()) return false;
  for (size_t i = 0; i < m.size(); ++i)
    if (lb.nodes[i].subnet_id != m[i].m.subnet_id) return false;
  std::vector<std::string> want = a.security_groups, have = lb.security_groups;
  std::sort(want.begin(), want.end());
  std::sort(have.begin(), have.end());
  return want == have;
}

const std::set<std::string>& NetworkListenerProtocols() {
  static const std::set<std::string> s = {"TCP", "UDP", "TCP_UDP", "TLS"};
  return s;
}

}  // namespace

std::string LoadBalancerArn(const std::string& region, const std::string& account, const std::string& type,
                            const std::string& name, const std::string& id) {
  return "arn:aws:elasticloadbalancing:" + region + ":" + account + ":loadbalancer/" +
         (type == "gateway" ? "gwy" : "net") + "/" + name + "/" + id;
}

std::string LoadBalancerTypeTag(const LoadBalancer& lb) { return lb.type == "gateway" ? "gwy" : "net"; }

std::string LoadBalancerDnsName(const LoadBalancer& lb, const std::string& region) {
  return lb.name + "-" + lb.id + ".elb." + region + ".amazonaws.com";
}

std::string CanonicalHostedZoneId(const std::string& region) {
  // Elastic Load Balancing's endpoints page: the hosted zones of Network Load Balancers' names.
  static const std::map<std::string, std::string> zones = {
      {"us-east-1", "Z26RNL4JYFTOTI"},      {"us-east-2", "ZLMOA37VPKANP"},
      {"us-west-1", "Z24FKFUX50B4VW"},      {"us-west-2", "Z18D5FSROUN65G"},
      {"ca-central-1", "Z2EPGBW3API2WT"},   {"ap-east-1", "Z12Y7K3UBGUAD1"},
      {"ap-south-1", "ZVDDRBQ08TROA"},      {"ap-northeast-1", "Z31USIVHYNEOWT"},
      {"ap-northeast-2", "ZIBE1TIR4HY56"},  {"ap-southeast-1", "ZKVM4W9LS7TM"},
      {"ap-southeast-2", "ZCT6FZBF4DROD"},  {"eu-central-1", "Z3F0SRJ5LGBH90"},
      {"eu-west-1", "Z2IFOLAFXWLO4F"},      {"eu-west-2", "ZD4D7Y8KGAS4G"},
      {"eu-west-3", "Z1CMS0P5QUZ6D5"},      {"eu-north-1", "Z1UDT6IFJ4EJM"},
      {"eu-south-1", "Z23146JA1KNAFP"},     {"me-south-1", "Z3QSRYVP46NYYV"},
      {"af-south-1", "Z203XCE67M25HM"},
  };
  auto it = zones.find(region);
  return it == zones.end() ? "" : it->second;
}

void CheckElbName(const std::string& name, const std::string& what) {
  if (name.empty()) Fail("ValidationError", what + " name cannot be empty");
  if (name.size() > 32) Fail("ValidationError", what + " name '" + name + "' cannot be longer than 32 characters");
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-')
      Fail("ValidationError", what + " name '" + name + "' can contain only alphanumeric characters and hyphens");
  if (name.front() == '-' || name.back() == '-')
    Fail("ValidationError", what + " name '" + name + "' cannot begin or end with a hyphen");
}

std::string NewElbId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[17];
  snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

void CheckElbArn(const std::string& arn, const std::string& kind) {
  // arn:aws:elasticloadbalancing:REGION:ACCOUNT:KIND/…
  const std::string prefix = "arn:aws:elasticloadbalancing:";
  size_t colon1 = arn.find(':', prefix.size());
  size_t colon2 = colon1 == std::string::npos ? colon1 : arn.find(':', colon1 + 1);
  const std::string noun = kind == "loadbalancer" ? "load balancer" : kind == "targetgroup" ? "target group" : kind;
  if (arn.rfind(prefix, 0) != 0 || colon2 == std::string::npos || arn.compare(colon2 + 1, kind.size() + 1, kind + "/") != 0)
    Fail("ValidationError", "'" + arn + "' is not a valid " + noun + " ARN");
}

LoadBalancer& GetLoadBalancer(Partition& p, const std::string& arn) {
  CheckElbArn(arn, "loadbalancer");
  auto it = p.load_balancers.find(arn);
  if (it == p.load_balancers.end()) NotFound();
  return it->second;
}

std::string LoadBalancerState(const LoadBalancer& lb, TimePoint now) {
  auto created = ParseIso8601(lb.created_time);
  return !created || now >= *created ? "active" : "provisioning";
}

const LoadBalancer& CreateLoadBalancer(Tx& tx, const CreateLoadBalancerArgs& in) {
  Partition& p = tx.p;
  CreateLoadBalancerArgs a = in;
  CheckElbName(a.name, "Load balancer");
  if (a.name.rfind("internal-", 0) == 0)
    Fail("ValidationError", "Load balancer name '" + a.name + "' cannot begin with 'internal-'");
  if (a.type.empty()) a.type = "application";
  if (a.type == "application")
    Fail("InvalidConfigurationRequest",
         "openvpc serves Network Load Balancers (Type network) and Gateway Load Balancers (Type gateway); "
         "Application Load Balancers are not implemented");
  if (a.type == "gateway") {
    if (a.scheme_given) Fail("InvalidConfigurationRequest", "A scheme cannot be specified for a Gateway Load Balancer");
    if (a.security_groups_given)
      Fail("InvalidConfigurationRequest", "Security groups cannot be specified for a Gateway Load Balancer");
    a.scheme = "internal";  // its nodes have private addresses only
  } else if (a.scheme.empty()) {
    a.scheme = "internet-facing";
  }
  if (a.ip_address_type.empty()) a.ip_address_type = "ipv4";
  if (a.ip_address_type != "ipv4" && a.ip_address_type != "dualstack")
    Fail("ValidationError", "IP address type '" + a.ip_address_type + "' is not supported by " + a.type + " load balancers");
  if (!a.subnets.empty() && !a.mappings.empty())
    Fail("ValidationError", "You can specify subnets or subnet mappings, not both");
  std::vector<SubnetMapping> wanted = a.mappings;
  for (const auto& s : a.subnets) wanted.push_back({.subnet_id = s});
  if (wanted.empty()) Fail("ValidationError", "At least one subnet must be specified");
  std::vector<ResolvedMapping> mappings = ResolveMappings(p, wanted);
  const std::string vpc_id = mappings.front().subnet->vpc_id;
  a.security_groups = CheckedSecurityGroups(p, a.security_groups, vpc_id);

  for (const auto& [arn, lb] : p.load_balancers)
    if (lb.name == a.name) {
      if (SameSettings(lb, a, mappings)) return lb;
      Fail("DuplicateLoadBalancerName", "A load balancer with the same name '" + a.name + "' exists, but with different settings");
    }
  const std::string quota = a.type == "gateway" ? "gateway-load-balancers-per-region" : "network-load-balancers-per-region";
  if (CountOfType(p, a.type) >= tx.quotas.Get(quota))
    Fail("TooManyLoadBalancers", "The quota for the number of load balancers has been reached");
  if (a.scheme == "internet-facing" && !AttachedInternetGateway(p, vpc_id))
    Fail("InvalidSubnet", "VPC " + vpc_id + " has no internet gateway");
  CheckElbTags(a.tags, tx.quotas);

  LoadBalancer lb;
  lb.owner_id = p.account_id;
  lb.name = a.name;
  lb.id = NewElbId();
  lb.type = a.type;
  lb.arn = LoadBalancerArn(p.region, p.account_id, lb.type, lb.name, lb.id);
  lb.scheme = a.scheme;
  lb.vpc_id = vpc_id;
  lb.ip_address_type = a.ip_address_type;
  lb.created_time = NowIso8601();
  lb.security_groups = a.security_groups;
  lb.tags = a.tags;
  for (const auto& m : mappings) lb.nodes.push_back(CreateNode(tx, lb, m));
  const std::string arn = lb.arn;
  tx.Touch(arn);
  return p.load_balancers[arn] = std::move(lb);
}

void DeleteLoadBalancer(Tx& tx, const std::string& arn) {
  Partition& p = tx.p;
  LoadBalancer& lb = GetLoadBalancer(p, arn);
  if (LoadBalancerAttributes(lb)["deletion_protection.enabled"] == "true")
    Fail("OperationNotPermitted", "Load balancer '" + arn + "' cannot be deleted because deletion protection is enabled");
  for (const auto& [id, svc] : p.vpc_endpoint_services)  // the service's load balancer stays while the service does
    if (std::count(svc.gateway_load_balancer_arns.begin(), svc.gateway_load_balancer_arns.end(), arn) ||
        std::count(svc.network_load_balancer_arns.begin(), svc.network_load_balancer_arns.end(), arn))
      Fail("ResourceInUse", "Load balancer '" + arn + "' cannot be deleted because it is associated with endpoint service " + id);
  for (const Listener* l : ListenersOf(p, arn)) {
    tx.Touch(l->arn);
    p.listeners.erase(l->arn);
  }
  for (const auto& node : lb.nodes) DeleteNode(tx, node);
  p.load_balancers.erase(arn);
  tx.Touch(arn);
}

std::map<std::string, std::string> LoadBalancerAttributes(const LoadBalancer& lb) {
  std::map<std::string, std::string> out = DefaultAttributes(lb.type);
  // Elastic Load Balancing: ipv6.deny_all_igw_traffic is false for internet-facing load
  // balancers and true for internal ones.
  if (lb.type == "network" && lb.scheme == "internal") out["ipv6.deny_all_igw_traffic"] = "true";
  for (const auto& [k, v] : lb.attributes) out[k] = v;
  return out;
}

bool DeniesIgwTraffic(const Partition& p, const NetworkInterface& eni) {
  if (const LoadBalancer* lb = LoadBalancerOfInterface(p, eni.id))
    return lb->type == "network" && LoadBalancerAttributes(*lb).at("ipv6.deny_all_igw_traffic") == "true";
  return eni.interface_type == "vpc_endpoint";  // SG-04: an endpoint's IPv6 addresses are not the internet's
}

bool CrossZoneEnabled(const LoadBalancer& lb) {
  auto it = lb.attributes.find("load_balancing.cross_zone.enabled");
  return it != lb.attributes.end() && it->second == "true";
}

void ModifyLoadBalancerAttributes(Tx& tx, const std::string& arn,
                                  const std::vector<std::pair<std::string, std::string>>& changes) {
  LoadBalancer& lb = GetLoadBalancer(tx.p, arn);
  const auto& known = DefaultAttributes(lb.type);
  for (const auto& [key, value] : changes) {
    if (!known.count(key)) Fail("InvalidConfigurationRequest", "Load balancer attribute key '" + key + "' is not recognized");
    if (IsBooleanAttribute(key) && value != "true" && value != "false")
      Fail("InvalidConfigurationRequest", "Load balancer attribute value '" + value + "' for key '" + key +
                                              "' is not valid: it must be true or false");
    if (key == "dns_record.client_routing_policy" && value != "availability_zone_affinity" &&
        value != "partial_availability_zone_affinity" && value != "any_availability_zone")
      Fail("InvalidConfigurationRequest", "Load balancer attribute value '" + value + "' for key '" + key + "' is not valid");
    if (key == "access_logs.s3.enabled" && value == "true")  // openvpc has no S3 to deliver logs to yet
      Fail("InvalidConfigurationRequest", "Access Denied for bucket: the access logs bucket must exist and grant Elastic Load Balancing write access");
  }
  for (const auto& [key, value] : changes) lb.attributes[key] = value;
  tx.Touch(arn);
}

void SetLoadBalancerSubnets(Tx& tx, const std::string& arn, const std::vector<SubnetMapping>& mappings) {
  Partition& p = tx.p;
  LoadBalancer& lb = GetLoadBalancer(p, arn);
  if (mappings.empty()) Fail("ValidationError", "At least one subnet must be specified");
  std::vector<ResolvedMapping> resolved = ResolveMappings(p, mappings);
  if (resolved.front().subnet->vpc_id != lb.vpc_id)
    Fail("InvalidConfigurationRequest", "The subnets must belong to the load balancer's VPC '" + lb.vpc_id + "'");
  for (const auto& node : lb.nodes) {  // a zone that has a node keeps it, in its subnet
    auto kept = std::find_if(resolved.begin(), resolved.end(), [&](const ResolvedMapping& r) {
      return r.subnet->availability_zone == node.availability_zone;
    });
    if (kept == resolved.end())
      Fail("InvalidConfigurationRequest", "Availability Zone '" + node.availability_zone + "' of load balancer '" + arn +
                                              "' cannot be removed");
    if (kept->subnet->id != node.subnet_id)
      Fail("InvalidConfigurationRequest", "The subnet of Availability Zone '" + node.availability_zone + "' cannot be changed");
  }
  for (const auto& r : resolved) {
    bool present = std::any_of(lb.nodes.begin(), lb.nodes.end(),
                               [&](const LoadBalancerNode& n) { return n.subnet_id == r.subnet->id; });
    if (!present) lb.nodes.push_back(CreateNode(tx, lb, r));
  }
  tx.Touch(arn);
}

void SetLoadBalancerSecurityGroups(Tx& tx, const std::string& arn, const std::vector<std::string>& groups,
                                   const std::string& enforce_on_private_link) {
  Partition& p = tx.p;
  LoadBalancer& lb = GetLoadBalancer(p, arn);
  if (lb.type == "gateway") Fail("InvalidConfigurationRequest", "A Gateway Load Balancer does not have security groups");
  if (lb.security_groups.empty())
    Fail("InvalidConfigurationRequest",
         "You cannot set security groups on a Network Load Balancer which was created without any security groups.");
  if (groups.empty())
    Fail("InvalidConfigurationRequest",
         "You cannot remove all security groups from a Network Load Balancer which was created with security groups.");
  if (!enforce_on_private_link.empty() && enforce_on_private_link != "on" && enforce_on_private_link != "off")
    Fail("ValidationError", "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic must be on or off");
  lb.security_groups = CheckedSecurityGroups(p, groups, lb.vpc_id);
  if (!enforce_on_private_link.empty()) lb.enforce_security_group_inbound_rules_on_private_link_traffic = enforce_on_private_link;
  for (const auto& node : lb.nodes) {
    auto it = p.network_interfaces.find(node.network_interface_id);
    if (it == p.network_interfaces.end()) continue;
    it->second.group_ids = lb.security_groups;
    tx.Touch(it->first);
  }
  tx.Touch(arn);
}

void SetLoadBalancerIpAddressType(Tx& tx, const std::string& arn, const std::string& type) {
  Partition& p = tx.p;
  LoadBalancer& lb = GetLoadBalancer(p, arn);
  if (type != "ipv4" && type != "dualstack")
    Fail("ValidationError", "IP address type '" + type + "' is not supported by " + lb.type + " load balancers");
  if (type == lb.ip_address_type) return;
  if (type == "dualstack") {
    for (const auto& node : lb.nodes)
      if (GetSubnet(p, node.subnet_id).ipv6_cidr_blocks.empty())
        Fail("InvalidSubnet", "Subnet '" + node.subnet_id + "' has no IPv6 CIDR block: a dualstack load balancer needs one in every subnet");
    for (auto& node : lb.nodes) node.ipv6_address = AssignIpv6Addresses(tx, node.network_interface_id, {}, 1).front();
  } else {
    for (const Listener* l : ListenersOf(p, arn))
      if (auto tg = p.target_groups.find(l->target_group_arn); tg != p.target_groups.end() &&
                                                              tg->second.ip_address_type == "ipv6")
        Fail("InvalidConfigurationRequest", "You cannot set the IP address type of a load balancer with IPv6 target "
                                            "groups to 'ipv4': " + tg->first);
    for (auto& node : lb.nodes) {
      if (!node.ipv6_address.empty()) UnassignIpv6Addresses(tx, node.network_interface_id, {node.ipv6_address});
      node.ipv6_address.clear();
    }
  }
  lb.ip_address_type = type;
  tx.Touch(arn);
}

Listener& GetListener(Partition& p, const std::string& arn) {
  CheckElbArn(arn, "listener");
  auto it = p.listeners.find(arn);
  if (it == p.listeners.end()) Fail("ListenerNotFound", "One or more listeners not found");
  return it->second;
}

std::vector<const Listener*> ListenersOf(const Partition& p, const std::string& lb_arn) {
  std::vector<const Listener*> out;
  for (const auto& [arn, l] : p.listeners)
    if (l.load_balancer_arn == lb_arn) out.push_back(&l);
  return out;
}

const Listener* ListenerFor(const Partition& p, const std::string& lb_arn, int ip_protocol, int port) {
  for (const Listener* l : ListenersOf(p, lb_arn)) {
    if (l->port != port) continue;
    const bool tcp = l->protocol == "TCP" || l->protocol == "TLS" || l->protocol == "TCP_UDP";
    const bool udp = l->protocol == "UDP" || l->protocol == "TCP_UDP";
    if ((ip_protocol == 6 && tcp) || (ip_protocol == 17 && udp)) return l;
  }
  return nullptr;
}

const LoadBalancer* LoadBalancerOfInterface(const Partition& p, const std::string& eni_id) {
  for (const auto& [arn, lb] : p.load_balancers)
    for (const auto& node : lb.nodes)
      if (node.network_interface_id == eni_id) return &lb;
  return nullptr;
}

namespace {

// The listener's settings checked against its load balancer and target group; fills the
// defaults a Gateway Load Balancer's listener has.
void CheckListener(Partition& p, const LoadBalancer& lb, ListenerArgs& a, const std::string& own_arn) {
  TargetGroup& tg = GetTargetGroup(p, a.target_group_arn);
  if (lb.type == "gateway") {
    if (a.port || !a.protocol.empty())
      Fail("ValidationError", "A protocol and port cannot be specified for a listener of a Gateway Load Balancer");
    if (tg.protocol != "GENEVE")
      Fail("IncompatibleProtocols", "A Gateway Load Balancer's listener forwards to GENEVE target groups only");
  } else {
    if (a.protocol.empty()) Fail("ValidationError", "A listener protocol must be specified");
    if (!a.port) Fail("ValidationError", "A listener port must be specified");
    if (!NetworkListenerProtocols().count(a.protocol))
      Fail("ValidationError", "Listener protocol '" + a.protocol + "' must be one of 'TCP, TLS, UDP, TCP_UDP'");
    if (a.protocol == "TLS") {
      if (!a.has_certificates) Fail("ValidationError", "A certificate must be specified for TLS listeners");
      Fail("CertificateNotFound", "Certificate not found: openvpc has no certificate manager to hold it");
    }
    if (a.protocol != tg.protocol)
      Fail("IncompatibleProtocols", "Listener protocol '" + a.protocol +
                                        "' is not supported with a target group with the protocol '" + tg.protocol + "'");
    if (*a.port < 1 || *a.port > 65535) Fail("ValidationError", "Listener port must be between 1 and 65535");
    for (const Listener* other : ListenersOf(p, lb.arn))
      if (other->arn != own_arn && other->port == *a.port)
        Fail("DuplicateListener", "A listener already exists on this port for this load balancer '" + lb.arn + "'");
  }
  if (tg.ip_address_type == "ipv6" && lb.ip_address_type != "dualstack")  // IPv6 target groups: dualstack only
    Fail("InvalidConfigurationRequest", "You cannot associate an IPv6 target group with a load balancer that has an '" +
                                            lb.ip_address_type + "' IP address type");
  if (tg.vpc_id != lb.vpc_id)
    Fail("InvalidConfigurationRequest", "The target group '" + tg.arn + "' is in VPC '" + tg.vpc_id +
                                            "', not in the load balancer's VPC '" + lb.vpc_id + "'");
  for (const auto& lb_arn : LoadBalancerArnsOf(p, tg.arn))
    if (lb_arn != lb.arn)
      Fail("TargetGroupAssociationLimit",
           "The following target groups cannot be associated with more than one load balancer: " + tg.arn);
}

}  // namespace

const Listener& CreateListener(Tx& tx, const ListenerArgs& in) {
  Partition& p = tx.p;
  ListenerArgs a = in;
  LoadBalancer& lb = GetLoadBalancer(p, a.load_balancer_arn);
  if (a.target_group_arn.empty()) Fail("ValidationError", "A default action of type forward with a target group must be specified");
  const bool gateway = lb.type == "gateway";
  if (!gateway)  // idempotent: the same port with the same settings answers the existing listener
    for (const Listener* l : ListenersOf(p, lb.arn))
      if (a.port && l->port == *a.port && l->protocol == a.protocol && l->target_group_arn == a.target_group_arn)
        return *l;
  CheckListener(p, lb, a, "");
  const auto existing = ListenersOf(p, lb.arn);
  if (gateway && !existing.empty())
    Fail("TooManyListeners", "A Gateway Load Balancer can have only one listener");
  if (!gateway && static_cast<int>(existing.size()) >= tx.quotas.Get("listeners-per-network-load-balancer"))
    Fail("TooManyListeners", "The quota for the number of listeners per load balancer has been reached");
  CheckElbTags(a.tags, tx.quotas);
  Listener l;
  l.owner_id = p.account_id;
  l.load_balancer_arn = lb.arn;
  l.arn = "arn:aws:elasticloadbalancing:" + p.region + ":" + p.account_id + ":listener/" + LoadBalancerTypeTag(lb) +
          "/" + lb.name + "/" + lb.id + "/" + NewElbId();
  l.port = a.port.value_or(0);
  l.protocol = a.protocol;
  l.target_group_arn = a.target_group_arn;
  l.tags = a.tags;
  tx.Touch(l.arn);
  const std::string arn = l.arn;
  return p.listeners[arn] = std::move(l);
}

const Listener& ModifyListener(Tx& tx, const std::string& arn, const ListenerArgs& in) {
  Partition& p = tx.p;
  Listener& l = GetListener(p, arn);
  LoadBalancer& lb = GetLoadBalancer(p, l.load_balancer_arn);
  ListenerArgs a = in;
  if (lb.type == "gateway") {
    if (a.port || !a.protocol.empty())
      Fail("ValidationError", "A protocol and port cannot be specified for a listener of a Gateway Load Balancer");
  } else {
    if (!a.port) a.port = l.port;
    if (a.protocol.empty()) a.protocol = l.protocol;
  }
  if (a.target_group_arn.empty()) a.target_group_arn = l.target_group_arn;
  a.load_balancer_arn = lb.arn;
  CheckListener(p, lb, a, arn);
  if (lb.type != "gateway") {
    l.port = *a.port;
    l.protocol = a.protocol;
  }
  l.target_group_arn = a.target_group_arn;
  tx.Touch(arn);
  return l;
}

void DeleteListener(Tx& tx, const std::string& arn) {
  GetListener(tx.p, arn);
  tx.p.listeners.erase(arn);
  tx.Touch(arn);
}

std::vector<std::string> LoadBalancerDnsAddresses(const Partition& p, const LoadBalancer& lb, bool ipv6) {
  std::set<std::string> healthy_zones;
  bool cross = CrossZoneEnabled(lb);
  const auto now = std::chrono::system_clock::now();
  for (const Listener* l : ListenersOf(p, lb.arn)) {
    auto tg = p.target_groups.find(l->target_group_arn);
    if (tg == p.target_groups.end()) continue;
    for (const auto& r : ResolveTargets(p, tg->second, now))
      if (r.state == "healthy") {
        if (cross || r.target->availability_zone == "all")
          for (const auto& n : lb.nodes) healthy_zones.insert(n.availability_zone);
        healthy_zones.insert(r.target->availability_zone);
      }
  }
  std::vector<std::string> out;
  for (const auto& n : lb.nodes) {
    if (!healthy_zones.empty() && !healthy_zones.count(n.availability_zone)) continue;
    const std::string& a = ipv6 ? n.ipv6_address : lb.scheme == "internet-facing" ? n.public_ip : n.private_ip;
    if (!a.empty()) out.push_back(a);
  }
  return out;
}

const LoadBalancer* LoadBalancerByDnsName(const Partition& p, const std::string& name) {
  for (const auto& [arn, lb] : p.load_balancers)
    if (AsciiLower(LoadBalancerDnsName(lb, p.region)) == name) return &lb;
  return nullptr;
}

TagList& ElbTagsOf(Partition& p, const std::string& arn) {
  if (arn.find(":targetgroup/") != std::string::npos) return GetTargetGroup(p, arn).tags;
  if (arn.find(":listener/") != std::string::npos) return GetListener(p, arn).tags;
  return GetLoadBalancer(p, arn).tags;
}

void CheckElbTags(const TagList& tags, const Quotas& q) {
  std::set<std::string> keys;
  for (const auto& t : tags) {
    if (t.key.empty() || t.key.size() > 128) Fail("ValidationError", "Tag key '" + t.key + "' must be 1 to 128 characters long");
    if (t.value.size() > 256) Fail("ValidationError", "Tag value of key '" + t.key + "' cannot be longer than 256 characters");
    if (t.key.rfind("aws:", 0) == 0) Fail("ValidationError", "Tag keys starting with 'aws:' are reserved for internal use");
    if (!keys.insert(t.key).second) Fail("DuplicateTagKeys", "Tag key was specified more than once: " + t.key);
  }
  if (static_cast<int>(tags.size()) > q.Get("tags-per-resource"))
    Fail("TooManyTags", "The quota for the number of tags that can be assigned to a resource has been reached");
}

void AddElbTags(Tx& tx, const std::vector<std::string>& arns, const TagList& tags) {
  if (arns.empty()) Fail("ValidationError", "At least one resource ARN must be specified");
  CheckElbTags(tags, tx.quotas);
  for (const auto& arn : arns) {  // every resource is checked before any changes
    TagList merged = ElbTagsOf(tx.p, arn);
    for (const auto& t : tags) {
      auto it = std::find_if(merged.begin(), merged.end(), [&](const Tag& m) { return m.key == t.key; });
      if (it != merged.end()) it->value = t.value;
      else merged.push_back(t);
    }
    if (static_cast<int>(merged.size()) > tx.quotas.Get("tags-per-resource"))
      Fail("TooManyTags", "The quota for the number of tags that can be assigned to a resource has been reached");
  }
  for (const auto& arn : arns) {
    TagList& have = ElbTagsOf(tx.p, arn);
    for (const auto& t : tags) {
      auto it = std::find_if(have.begin(), have.end(), [&](const Tag& m) { return m.key == t.key; });
      if (it != have.end()) it->value = t.value;
      else have.push_back(t);
    }
    tx.Touch(arn);
  }
}

void RemoveElbTags(Tx& tx, const std::vector<std::string>& arns, const std::vector<std::string>& keys) {
  if (arns.empty()) Fail("ValidationError", "At least one resource ARN must be specified");
  for (const auto& arn : arns) ElbTagsOf(tx.p, arn);
  for (const auto& arn : arns) {
    std::erase_if(ElbTagsOf(tx.p, arn), [&](const Tag& t) { return std::find(keys.begin(), keys.end(), t.key) != keys.end(); });
    tx.Touch(arn);
  }
}

}  // namespace openvpc::model
