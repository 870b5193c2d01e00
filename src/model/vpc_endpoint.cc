// Endpoint services, interface and Gateway Load Balancer endpoints: model/vpc_endpoint.h.
#include "model/vpc_endpoint.h"

#include <algorithm>
#include <random>
#include <set>

#include "model/aws_services.h"
#include "model/evaluate.h"
#include "model/hosted_zone.h"
#include "model/internal.h"
#include "model/load_balancer.h"
#include "model/network_interface.h"
#include "model/policy.h"
#include "model/prefix_list.h"
#include "model/regions.h"
#include "model/route_table.h"
#include "model/route_target.h"
#include "model/security_group.h"
#include "model/target_group.h"

namespace openvpc::model {

namespace {

const std::string kGatewayLoadBalancer = "GatewayLoadBalancer";
const std::string kInterface = "Interface";

[[noreturn]] void ServiceNameNotFound(const std::string& name) {
  Fail("InvalidServiceName", "The Vpc Endpoint Service '" + name + "' does not exist");
}

// The service named NAME in Region REGION, or nullptr; OWNER is its partition.
VpcEndpointService* FindServiceByName(State& s, const std::string& region, const std::string& name, Partition** owner) {
  for (auto& [key, part] : s.partitions) {
    if (key.second != region) continue;
    for (auto& [id, svc] : part.vpc_endpoint_services)
      if (svc.service_name == name) {
        *owner = &part;
        return &svc;
      }
  }
  return nullptr;
}

bool Allowed(const VpcEndpointService& svc, const std::string& account) {
  const std::string root = "arn:aws:iam::" + account + ":root";
  return std::any_of(svc.allowed_principals.begin(), svc.allowed_principals.end(),
                     [&](const std::string& p) { return p == "*" || p == root; });
}

bool Live(const VpcEndpoint& e) { return e.state == "available" || e.state == "pendingAcceptance"; }

void ValidateRouteTarget(Partition& p, const RouteTable& rt, const std::string& id) {
  auto it = p.vpc_endpoints.find(id);
  if (it == p.vpc_endpoints.end() || it->second.type != kGatewayLoadBalancer)
    Fail("InvalidVpcEndpointId.NotFound", "The vpcEndpoint ID '" + id + "' does not exist");
  if (it->second.vpc_id != rt.vpc_id)
    Fail("InvalidParameterValue",
         "route table " + rt.id + " and network gateway " + id + " belong to different networks");
}

bool RouteTargetUsable(const Partition& p, const RouteTable& rt, const std::string& id, const State*) {
  auto it = p.vpc_endpoints.find(id);
  return it != p.vpc_endpoints.end() && it->second.vpc_id == rt.vpc_id && it->second.state == "available";
}

// Every load balancer of the service, whatever its type.
std::vector<std::string> LoadBalancersOf(const VpcEndpointService& svc) {
  std::vector<std::string> out = svc.network_load_balancer_arns;
  out.insert(out.end(), svc.gateway_load_balancer_arns.begin(), svc.gateway_load_balancer_arns.end());
  return out;
}

// The load balancers ARNS exist in P, are of TYPE (network | gateway) and front no other service
// than SELF (SVC-01).
void CheckLoadBalancers(const Partition& p, const std::vector<std::string>& arns, const std::string& type,
                        const std::string& self) {
  for (const auto& arn : arns) {
    auto it = p.load_balancers.find(arn);
    if (it == p.load_balancers.end() || it->second.type != type)
      Fail("InvalidParameterValue", "The " + std::string(type == "network" ? "Network" : "Gateway") +
                                        " Load Balancer '" + arn + "' does not exist");
    for (const auto& [id, other] : p.vpc_endpoint_services) {
      if (id == self) continue;
      const auto lbs = LoadBalancersOf(other);
      if (std::count(lbs.begin(), lbs.end(), arn))
        Fail("InvalidParameterValue", "The load balancer '" + arn + "' is already associated with service " + id);
    }
  }
}

// SVC-12, SVC-13, ERR-26: ipv4 and/or ipv6; IPv6 needs every load balancer dualstack.
void CheckSupportedIpAddressTypes(const Partition& p, const VpcEndpointService& svc) {
  if (svc.supported_ip_address_types.empty())
    Fail("InvalidParameter", "The service must support at least one IP address type");
  for (const auto& t : svc.supported_ip_address_types)
    if (t != "ipv4" && t != "ipv6") Fail("InvalidParameterValue", "The IP address type '" + t + "' is not supported");
  if (!std::count(svc.supported_ip_address_types.begin(), svc.supported_ip_address_types.end(), "ipv6")) return;
  for (const auto& arn : LoadBalancersOf(svc))
    if (auto it = p.load_balancers.find(arn); it != p.load_balancers.end() && it->second.ip_address_type != "dualstack")
      Fail("InvalidParameter", "To support IPv6, every load balancer of the service must be dualstack: " + arn);
}

std::string DnsSuffix() {  // DNS-02: 8 characters after the endpoint id
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kChars = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string out;
  for (int i = 0; i < 8; ++i) out += kChars[rng() % 36];
  return out;
}

// NTF-02: EVENT of endpoint E (of partition EP) to the notifications of its service (in OWNER)
// and of the endpoint itself. openvpc runs no SNS: each notification keeps what it would have
// published.
void Notify(Tx& tx, Partition& ep, const VpcEndpoint& e, Partition* owner, const std::string& event) {
  auto deliver = [&](Partition& part, ConnectionNotification& n) {
    if (!std::count(n.events.begin(), n.events.end(), event)) return;
    n.deliveries.push_back(
        {.time = NowIso8601(), .event = event, .vpc_endpoint_id = e.id, .vpc_endpoint_state = e.state,
         .message = "{\"awsAccountId\":\"" + e.owner_id + "\",\"endpointServiceId\":\"" + e.service_id +
                    "\",\"vpcEndpointId\":\"" + e.id + "\",\"vpcEndpointState\":\"" + e.state +
                    "\",\"notificationType\":\"" + event + "\",\"topicArn\":\"" + n.topic_arn + "\"}"});
    if (n.deliveries.size() > kNotificationDeliveriesKept) n.deliveries.erase(n.deliveries.begin());
    if (&part == &tx.p) tx.Touch(n.id);
    else tx.TouchIn(part, n.id);
  };
  for (auto& [id, n] : ep.connection_notifications)
    if (n.vpc_endpoint_id == e.id) deliver(ep, n);
  if (owner)
    for (auto& [id, n] : owner->connection_notifications)
      if (n.service_id == e.service_id) deliver(*owner, n);
}

// The partition that owns service SERVICE_ID of endpoint E's Region (nullptr when gone).
Partition* OwnerOf(Tx& tx, const VpcEndpoint& e) {
  if (!tx.state) return e.service_owner_id == tx.p.account_id ? &tx.p : nullptr;
  return tx.state->Find(e.service_owner_id, tx.p.region);
}

// The default security group of VPC_ID, or the groups given, which must be of that VPC (IF-08).
std::vector<std::string> EndpointGroups(Partition& p, const std::string& vpc_id, const std::vector<std::string>& ids) {
  if (ids.empty()) return {GetSecurityGroupByName(p, "default", vpc_id).id};
  for (const auto& id : ids)
    if (GetSecurityGroup(p, id).vpc_id != vpc_id)
      Fail("InvalidParameter", "The security group " + id + " does not belong to the VPC " + vpc_id);
  return ids;
}

// A subnet of the endpoint's VPC in a zone of the service (IF-15).
const Subnet& EndpointSubnet(Partition& p, const VpcEndpoint& e, const std::vector<std::string>& zones,
                             const std::string& subnet_id) {
  const Subnet& subnet = GetSubnet(p, subnet_id);
  if (subnet.vpc_id != e.vpc_id)
    Fail("InvalidParameter", "The subnet " + subnet.id + " does not belong to the VPC " + e.vpc_id);
  if (!std::count(zones.begin(), zones.end(), subnet.availability_zone))
    Fail("InvalidParameter", "The VPC endpoint service " + e.service_name +
                                 " does not support the Availability Zone of the subnet: " + subnet.id + ".");
  return subnet;
}

// The interface of endpoint E in SUBNET (designated IPV4 and IPV6 when given: IF-05), with an
// IPv6 address when the endpoint's type has IPv6 (IP-02; an IPv6-only subnet's has no IPv4).
void AddEndpointInterface(Tx& tx, VpcEndpoint& e, const Subnet& subnet, const std::string& ipv4,
                          const std::string& ipv6 = "") {
  const bool gwlb = e.type == kGatewayLoadBalancer;
  const bool v6 = e.ip_address_type == "ipv6" || e.ip_address_type == "dualstack";
  NetworkInterface& eni = CreateNetworkInterface(
      tx, {.subnet_id = subnet.id,
           .description = "VPC Endpoint Interface " + e.id,
           .private_ip_address = ipv4,
           .ipv6_addresses = v6 && !ipv6.empty() ? std::vector<std::string>{ipv6} : std::vector<std::string>{},
           .ipv6_address_count = v6 && ipv6.empty() ? 1 : 0,
           .group_ids = gwlb ? std::vector<std::string>{} : e.security_group_ids,
           .interface_type = gwlb ? "gateway_load_balancer_endpoint" : "vpc_endpoint",
           .requester_managed = true,
           .requester_id = "AWS"});
  if (gwlb) {
    eni.group_ids.clear();          // GLB-09
    eni.source_dest_check = false;  // it forwards others' packets
  }
  e.subnet_ids.push_back(subnet.id);
  e.network_interface_ids.push_back(eni.id);
}

void RemoveEndpointInterface(Tx& tx, VpcEndpoint& e, const std::string& subnet_id) {
  for (size_t i = 0; i < e.subnet_ids.size(); ++i) {
    if (e.subnet_ids[i] != subnet_id) continue;
    if (i < e.network_interface_ids.size()) {
      if (tx.p.network_interfaces.count(e.network_interface_ids[i]))
        DeleteNetworkInterface(tx, e.network_interface_ids[i], /*by_requester=*/true);
      e.network_interface_ids.erase(e.network_interface_ids.begin() + static_cast<long>(i));
    }
    e.subnet_ids.erase(e.subnet_ids.begin() + static_cast<long>(i));
    return;
  }
  Fail("InvalidParameter", "The subnet " + subnet_id + " is not one of the endpoint " + e.id + "'s");
}

// IF-02: one subnet per zone.
void CheckOneSubnetPerZone(const Partition& p, const VpcEndpoint& e) {
  std::set<std::string> zones;
  for (const auto& sid : e.subnet_ids)
    if (auto s = p.subnets.find(sid); s != p.subnets.end() && !zones.insert(s->second.availability_zone).second)
      Fail("DuplicateSubnetsInSameZone",
           "Found another subnet in the Availability Zone " + s->second.availability_zone +
               ": an endpoint takes only one subnet per Availability Zone");
}

// DNS-09: private DNS needs both DNS attributes of the VPC.
void CheckPrivateDnsAttributes(const Vpc& vpc) {
  if (!vpc.enable_dns_support || !vpc.enable_dns_hostnames)  // DNS-09, ERR-09
    Fail("InvalidParameter", "Enabling private DNS requires both enableDnsSupport and enableDnsHostnames VPC "
                             "attributes set to true for " + vpc.id);
}

// POL-06, DNS-20: what an endpoint to a customer's service SVC may not ask for; PDN-05: private DNS
// only with the service's verified name, which the endpoint then keeps.
void SetCustomerServiceOptions(const Partition& p, VpcEndpoint& e, const VpcEndpointService* svc,
                               const std::optional<bool>& private_dns, const std::optional<std::string>& policy) {
  if (policy)
    Fail("InvalidParameter", "The VPC endpoint service " + e.service_name + " does not support endpoint policies");
  if (!private_dns) return;
  if (!*private_dns) {
    e.private_dns_enabled = false;
    e.private_dns_name.clear();
    return;
  }
  if (!svc || svc->private_dns_name.empty())
    Fail("InvalidParameter", "Private DNS can't be enabled because the service " + e.service_name +
                                 " does not provide a private DNS name.");
  if (svc->private_dns_state != "verified")  // PDN-05
    Fail("InvalidParameter", "Private DNS can't be enabled because the private DNS name " + svc->private_dns_name +
                                 " of the service " + e.service_name + " is not verified.");
  CheckPrivateDnsAttributes(p.vpcs.at(e.vpc_id));
  for (const auto& [id, other] : p.vpc_endpoints)
    if (id != e.id && other.vpc_id == e.vpc_id && other.private_dns_enabled &&
        other.private_dns_name == svc->private_dns_name)
      Fail("InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting DNS domain "
                               "for " + svc->private_dns_name + " in the VPC " + e.vpc_id);
  e.private_dns_enabled = true;
  e.private_dns_name = svc->private_dns_name;
}

// PDN-03, PDN-07: a private DNS name, and the TXT record that proves its domain's owner wants it.
void SetServicePrivateDnsName(VpcEndpointService& svc, const std::string& name) {
  if (svc.service_type == kGatewayLoadBalancer)  // PDN-04, GLB-10
    Fail("InvalidParameter", "Private DNS names are not supported for Gateway Load Balancer endpoint services");
  auto invalid = [&] { Fail("InvalidParameter", "The private DNS name " + name + " is not valid."); };
  if (name.empty() || name.size() > 255) invalid();
  for (char c : name)
    if (c >= 'A' && c <= 'Z') invalid();  // lower case only
  try {
    if (CanonicalDomainName(name) != name + ".") invalid();
  } catch (const Error&) {
    invalid();
  }
  if (name.find('.') == std::string::npos) invalid();
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kLower = "abcdefghijklmnopqrstuvwxyz0123456789";
  static const char* kMixed = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string label = "_", value = "vpce:";
  for (int i = 0; i < 20; ++i) label += kLower[rng() % 36], value += kMixed[rng() % 62];
  svc.private_dns_name = name;
  svc.private_dns_state = "pendingVerification";
  svc.private_dns_txt_name = label;
  svc.private_dns_txt_value = value;
}

// Every zone of REGION: AWS's services are in all of them.
std::vector<std::string> RegionZones(const std::string& region) {
  std::vector<std::string> out;
  if (const RegionInfo* r = FindRegion(region))
    for (const auto& z : r->zones) out.push_back(z.name);
  return out;
}

// An endpoint to an AWS service: private DNS (DNS-09, DNS-10: one endpoint of a service per VPC
// has it) and its policy (POL-01 … POL-05: a resource policy with a Principal, 20,480
// characters at most, full access by default).
void SetAwsServiceEndpointOptions(const Partition& p, VpcEndpoint& e, bool private_dns,
                                  const std::optional<std::string>& policy) {
  if (private_dns) {
    CheckPrivateDnsAttributes(p.vpcs.at(e.vpc_id));
    for (const auto& [id, other] : p.vpc_endpoints)
      if (id != e.id && other.vpc_id == e.vpc_id && other.service_name == e.service_name && other.private_dns_enabled)
        Fail("InvalidParameter", "private-dns-enabled cannot be set because there is already a conflicting DNS "
                                 "domain for " + e.service_name + " in the VPC " + e.vpc_id);
  }
  e.private_dns_enabled = private_dns;
  if (policy) {
    ParsePolicy(*policy, {.error_code = "InvalidPolicyDocument", .require_principal = true, .max_chars = 20480});
    e.policy_document = *policy;
  } else if (e.policy_document.empty()) {
    e.policy_document = DefaultEndpointPolicy();
  }
}

// GW-04, GW-07: the endpoint's route in RT_ID: its service's prefix list to the endpoint, one per
// service in a table.
void AddGatewayRoute(Tx& tx, VpcEndpoint& e, const std::string& rt_id, const std::string& prefix_list) {
  RouteTable& rt = GetRouteTable(tx.p, rt_id);
  if (rt.vpc_id != e.vpc_id)
    Fail("InvalidParameter", "The route table " + rt_id + " does not belong to the VPC " + e.vpc_id);
  for (const auto& r : rt.routes)
    if (r.destination_prefix_list_id == prefix_list)
      Fail("RouteAlreadyExists", "route table " + rt_id + " already has a route with destination-prefix-list-id " +
                                     prefix_list);
  CheckRouteTableQuota(tx, rt);
  rt.routes.push_back({.destination_prefix_list_id = prefix_list, .target_member = "VpcEndpointId",
                       .target_id = e.id, .origin = "CreateVpcEndpoint"});
  e.route_table_ids.push_back(rt_id);
  tx.Touch(rt_id);
}

void RemoveGatewayRoute(Tx& tx, VpcEndpoint& e, const std::string rt_id) {  // a copy: it may be one of E's
  if (!std::count(e.route_table_ids.begin(), e.route_table_ids.end(), rt_id))
    Fail("InvalidParameter", "The route table " + rt_id + " is not associated with the endpoint " + e.id);
  std::erase(e.route_table_ids, rt_id);
  auto rt = tx.p.route_tables.find(rt_id);
  if (rt == tx.p.route_tables.end()) return;
  std::erase_if(rt->second.routes, [&](const Route& r) { return r.target_id == e.id; });  // GW-06
  tx.Touch(rt_id);
}

VpcEndpoint& CreateGatewayEndpoint(Tx& tx, const CreateVpcEndpointArgs& a, const Vpc& vpc, const std::string& name) {
  Partition& p = tx.p;
  if (!a.subnet_ids.empty() || !a.subnet_configurations.empty() || !a.security_group_ids.empty())  // GW-03
    Fail("InvalidParameter", "Subnets and security groups are not supported for Gateway endpoints");
  if (a.private_dns_enabled.value_or(false))
    Fail("InvalidParameter", "Private DNS is not supported for Gateway endpoints");
  if (!a.ip_address_type.empty() && a.ip_address_type != "ipv4")  // GW-15
    Fail("InvalidParameter", "Gateway endpoints support the IP address type ipv4 only");
  int in_region = 0, in_vpc = 0;
  for (const auto& [id, e] : p.vpc_endpoints)
    if (e.type == "Gateway") ++in_region, in_vpc += e.vpc_id == vpc.id;
  if (in_region >= 20 || in_vpc >= 255)  // ERR-21
    Fail("VpcEndpointLimitExceeded", "The maximum number of VPC endpoints has been reached");
  VpcEndpoint e;
  e.id = NewId("vpce");
  e.owner_id = p.account_id;
  e.type = "Gateway";
  e.vpc_id = vpc.id;
  e.service_name = a.service_name;
  e.service_id = AwsServiceIdOfName(a.service_name);
  e.service_owner_id = "amazon";
  e.state = "available";
  e.creation_timestamp = NowIso8601();
  e.tags = a.tags;
  if (a.policy_document)
    ParsePolicy(*a.policy_document, {.error_code = "InvalidPolicyDocument", .require_principal = true, .max_chars = 20480});
  e.policy_document = a.policy_document.value_or(DefaultEndpointPolicy());  // GW-23, POL-05
  const std::string pl = AwsManagedPrefixListId(name, p.region);
  for (const auto& rt : a.route_table_ids) AddGatewayRoute(tx, e, rt, pl);
  const std::string id = e.id;
  tx.Touch(id);
  return p.vpc_endpoints[id] = std::move(e);
}

// IP-01, DNS-13, ERR-06, ERR-07: the endpoint's IP address type (the service must support it)
// and its DNS records' ("" keeps what it has; a new endpoint is ipv4, its records of its own type).
void SetIpAddressTypes(VpcEndpoint& e, const std::vector<std::string>& service_types, const std::string& ip_type,
                       const std::string& dns_type) {
  const std::string ip = !ip_type.empty() ? ip_type : !e.ip_address_type.empty() ? e.ip_address_type : "ipv4";
  const bool v4 = std::count(service_types.begin(), service_types.end(), "ipv4"),
             v6 = std::count(service_types.begin(), service_types.end(), "ipv6");
  if (ip != "ipv4" && ip != "ipv6" && ip != "dualstack")
    Fail("InvalidParameterValue", "The IP address type '" + ip + "' is not valid");
  if ((ip != "ipv6" && !v4) || (ip != "ipv4" && !v6))
    Fail("InvalidParameter", "The VPC endpoint service " + e.service_name + " does not support the IP address type " +
                                 ip + ".");
  // A new type of address takes records of its own type; a type kept keeps its records.
  const std::string dns = !dns_type.empty() ? dns_type : ip_type.empty() && !e.dns_record_ip_type.empty() ? e.dns_record_ip_type : ip;
  if (dns != "ipv4" && dns != "ipv6" && dns != "dualstack" && dns != "service-defined")
    Fail("InvalidParameterValue", "The DNS record IP type '" + dns + "' is not valid");
  const bool fits = dns == "ipv4" ? ip != "ipv6" : dns == "ipv6" ? ip != "ipv4" : ip == "dualstack";
  if (!fits)  // ERR-07: AAAA records need IPv6 addresses, A records IPv4 ones, both both
    Fail("InvalidParameter", "The DNS record IP type " + dns + " is not compatible with the IP address type " + ip + ".");
  e.ip_address_type = ip;
  e.dns_record_ip_type = dns;
}

// DNS-18, GW-S3-1, GW-S3-2, ERR-08: private DNS only for the inbound Resolver endpoint is S3's
// (a service with gateway and interface endpoints), on an interface endpoint with private DNS,
// beside a gateway endpoint of the service in the VPC. Private DNS turned off takes it along.
void SetInboundResolverOnly(const Partition& p, VpcEndpoint& e, std::optional<bool> value) {
  const bool on = value.value_or(e.private_dns_only_for_inbound_resolver_endpoint) && e.private_dns_enabled;
  if (value.value_or(false)) {
    if (e.type != kInterface || GatewayServiceOf(e.service_name, p.region).empty())
      Fail("InvalidParameter", "PrivateDnsOnlyForInboundResolverEndpoint is supported only for services that "
                               "support both gateway and interface endpoints");
    if (!e.private_dns_enabled)
      Fail("InvalidParameter", "PrivateDnsOnlyForInboundResolverEndpoint requires private DNS to be enabled");
    const bool gateway = std::any_of(p.vpc_endpoints.begin(), p.vpc_endpoints.end(), [&](const auto& kv) {
      return kv.second.vpc_id == e.vpc_id && kv.second.type == "Gateway" && kv.second.service_name == e.service_name;
    });
    if (!gateway)
      Fail("InvalidParameter", "To set PrivateDnsOnlyForInboundResolverEndpoint to true, the VPC " + e.vpc_id +
                                   " must have a Gateway endpoint for the service.");
  }
  e.private_dns_only_for_inbound_resolver_endpoint = on;
}

// IF-05: a designated address of each family the endpoint has, and of no other.
void CheckDesignatedAddresses(const VpcEndpoint& e, const SubnetConfiguration& c) {
  if (!c.ipv6.empty() && e.ip_address_type == "ipv4")
    Fail("InvalidParameter", "An IPv6 address can be designated only for an endpoint of IP address type ipv6 or dualstack");
  if (!c.ipv4.empty() && e.ip_address_type == "ipv6")
    Fail("InvalidParameter", "An IPv4 address can be designated only for an endpoint of IP address type ipv4 or dualstack");
}

// IP-01, ERR-06: ipv4 needs every subnet with an IPv4 block, ipv6 every subnet IPv6-only, and
// dualstack every subnet with both.
void CheckSubnetFamilies(const Partition& p, const VpcEndpoint& e) {
  for (const auto& sid : e.subnet_ids) {
    const Subnet& s = p.subnets.at(sid);
    const bool has4 = !s.ipv6_native, has6 = !s.ipv6_cidr_blocks.empty();
    const bool fits = e.ip_address_type == "ipv4" ? has4 : e.ip_address_type == "ipv6" ? !has4 && has6 : has4 && has6;
    if (!fits)
      Fail("InvalidParameter", "The subnet " + s.id + " does not support the IP address type " + e.ip_address_type +
                                   ": " + (e.ip_address_type == "ipv6" ? "it must be IPv6-only"
                                           : e.ip_address_type == "ipv4" ? "it has no IPv4 CIDR block"
                                                                         : "it needs IPv4 and IPv6 CIDR blocks") + ".");
  }
}

}  // namespace

bool IsAwsServiceEndpoint(const VpcEndpoint& e) { return e.service_owner_id == "amazon"; }

std::string S3PrivateDnsName(const std::string& region) { return "s3." + region + ".amazonaws.com"; }

std::optional<S3EndpointName> SplitS3EndpointName(std::string_view name) {
  const size_t at = name.find(".vpce-");
  if (at == std::string_view::npos || at == 0 || !name.ends_with(".vpce.amazonaws.com")) return std::nullopt;
  const std::string_view endpoint = name.substr(at + 1);
  if (endpoint.find(".s3.") == std::string_view::npos) return std::nullopt;
  for (char c : endpoint)
    if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '-' && c != '.') return std::nullopt;
  return S3EndpointName{std::string(name.substr(0, at)), std::string(endpoint)};
}

VpcEndpointService S3InterfaceService(const std::string& region) {
  VpcEndpointService s;
  s.service_name = "com.amazonaws." + region + ".s3";
  s.id = AwsServiceIdOfName(s.service_name + "/Interface");  // not the gateway service's id
  s.owner_id = "amazon";
  s.service_type = kInterface;
  s.acceptance_required = false;
  return s;
}

VpcEndpointService AwsServiceAsEndpointService(const AwsService& aws, const std::string& region) {
  VpcEndpointService svc;
  svc.id = AwsServiceId(aws, region);
  svc.owner_id = "amazon";
  svc.service_name = AwsServiceEndpointName(aws, region);
  svc.service_type = kInterface;
  svc.acceptance_required = false;
  svc.allowed_principals = {"*"};
  return svc;
}

VpcEndpointService& GetVpcEndpointService(Partition& p, const std::string& id) {
  auto it = p.vpc_endpoint_services.find(id);
  if (it == p.vpc_endpoint_services.end())
    Fail("InvalidVpcEndpointServiceId.NotFound", "The VpcEndpointService Id '" + id + "' does not exist");
  return it->second;
}

VpcEndpoint& GetVpcEndpoint(Partition& p, const std::string& id) {
  auto it = p.vpc_endpoints.find(id);
  if (it == p.vpc_endpoints.end()) Fail("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '" + id + "' does not exist");
  return it->second;
}

VpcEndpointService& CreateVpcEndpointServiceConfiguration(Tx& tx, const CreateVpcEndpointServiceArgs& a) {
  Partition& p = tx.p;
  const bool nlb = !a.network_load_balancer_arns.empty(), gwlb = !a.gateway_load_balancer_arns.empty();
  if (nlb == gwlb)  // SVC-01: Network Load Balancers or Gateway Load Balancers
    Fail("InvalidParameter", "Specify either NetworkLoadBalancerArns or GatewayLoadBalancerArns.");
  if (gwlb && !a.private_dns_name.empty())  // PDN-04, GLB-10
    Fail("InvalidParameter", "Private DNS names are not supported for Gateway Load Balancer endpoint services");
  CheckLoadBalancers(p, a.network_load_balancer_arns, "network", "");
  CheckLoadBalancers(p, a.gateway_load_balancer_arns, "gateway", "");
  VpcEndpointService svc;
  svc.id = NewId("vpce-svc");
  svc.owner_id = p.account_id;
  svc.service_name = "com.amazonaws.vpce." + p.region + "." + svc.id;
  svc.service_type = nlb ? kInterface : kGatewayLoadBalancer;
  svc.acceptance_required = a.acceptance_required.value_or(true);
  svc.network_load_balancer_arns = a.network_load_balancer_arns;
  svc.gateway_load_balancer_arns = a.gateway_load_balancer_arns;
  if (!a.supported_ip_address_types.empty()) svc.supported_ip_address_types = a.supported_ip_address_types;
  CheckSupportedIpAddressTypes(p, svc);
  if (!a.private_dns_name.empty()) SetServicePrivateDnsName(svc, a.private_dns_name);
  svc.create_time = NowIso8601();
  svc.tags = a.tags;
  const std::string id = svc.id;
  tx.Touch(id);
  return p.vpc_endpoint_services[id] = std::move(svc);
}

std::vector<std::pair<Partition*, VpcEndpoint*>> EndpointsOfService(Tx& tx, const std::string& service_id) {
  std::vector<std::pair<Partition*, VpcEndpoint*>> out;
  auto visit = [&](Partition& part) {
    for (auto& [id, e] : part.vpc_endpoints)
      if (e.service_id == service_id) out.push_back({&part, &e});
  };
  if (!tx.state) {
    visit(tx.p);
    return out;
  }
  for (auto& [key, part] : tx.state->partitions)
    if (key.second == tx.p.region) visit(part);
  return out;
}

void ModifyVpcEndpointServiceConfiguration(Tx& tx, const std::string& id, const ModifyVpcEndpointServiceArgs& a) {
  Partition& p = tx.p;
  VpcEndpointService svc = GetVpcEndpointService(p, id);  // changed as a copy: nothing changes when refused
  const bool removing = !a.remove_network_load_balancer_arns.empty() || !a.remove_gateway_load_balancer_arns.empty();
  if (removing)
    for (auto [part, e] : EndpointsOfService(tx, id))
      if (Live(*e))  // SVC-10
        Fail("InvalidParameter", "Load balancers can't be removed from service " + id +
                                     " while it has connected endpoints: " + e->id);
  auto edit = [](std::vector<std::string>& list, const std::vector<std::string>& add,
                 const std::vector<std::string>& remove, const char* what) {
    for (const auto& x : remove) {
      if (!std::count(list.begin(), list.end(), x))
        Fail("InvalidParameter", std::string(what) + " " + x + " is not associated with the service");
      std::erase(list, x);
    }
    for (const auto& x : add)
      if (!std::count(list.begin(), list.end(), x)) list.push_back(x);
  };
  if (!a.add_network_load_balancer_arns.empty() && svc.service_type != kInterface)
    Fail("InvalidParameter", "Network Load Balancers can't be added to a Gateway Load Balancer endpoint service");
  if (!a.add_gateway_load_balancer_arns.empty() && svc.service_type != kGatewayLoadBalancer)
    Fail("InvalidParameter", "Gateway Load Balancers can't be added to an interface endpoint service");
  CheckLoadBalancers(p, a.add_network_load_balancer_arns, "network", id);
  CheckLoadBalancers(p, a.add_gateway_load_balancer_arns, "gateway", id);
  edit(svc.network_load_balancer_arns, a.add_network_load_balancer_arns, a.remove_network_load_balancer_arns,
       "Load balancer");
  edit(svc.gateway_load_balancer_arns, a.add_gateway_load_balancer_arns, a.remove_gateway_load_balancer_arns,
       "Load balancer");
  if (LoadBalancersOf(svc).empty())  // SVC-01
    Fail("InvalidParameter", "An endpoint service needs at least one load balancer");
  edit(svc.supported_ip_address_types, a.add_supported_ip_address_types, a.remove_supported_ip_address_types,
       "IP address type");
  CheckSupportedIpAddressTypes(p, svc);
  if (a.acceptance_required) svc.acceptance_required = *a.acceptance_required;
  if (a.private_dns_name && a.remove_private_dns_name)
    Fail("InvalidParameter", "Specify either PrivateDnsName or RemovePrivateDnsName, not both.");
  if (a.private_dns_name && *a.private_dns_name != svc.private_dns_name)  // PDN-02: a new name is verified anew
    SetServicePrivateDnsName(svc, *a.private_dns_name);
  if (a.remove_private_dns_name) {
    svc.private_dns_name.clear();
    svc.private_dns_state.clear();
    svc.private_dns_txt_name.clear();
    svc.private_dns_txt_value.clear();
  }
  p.vpc_endpoint_services[id] = std::move(svc);
  tx.Touch(id);
}

void StartVpcEndpointServicePrivateDnsVerification(Tx& tx, const std::string& id) {
  VpcEndpointService& svc = GetVpcEndpointService(tx.p, id);
  if (svc.private_dns_name.empty())
    Fail("InvalidParameter", "The service " + id + " does not have a private DNS name to verify.");
  if (!tx.state) Fail("InvalidParameter", "Public DNS cannot be reached to verify " + svc.private_dns_name);
  // The domain: the name without a wildcard label; a parent domain's record covers it (PDN-10).
  std::string domain = svc.private_dns_name.starts_with("*.") ? svc.private_dns_name.substr(2) : svc.private_dns_name;
  bool found = false;
  while (!found && domain.find('.') != std::string::npos) {
    for (const std::string& owner : {svc.private_dns_txt_name + "." + domain, domain}) {  // PDN-08: or the bare domain
      const PublicRecordLookup r = LookupPublicRecord(*tx.state, owner, "TXT");
      if (!r.set) continue;
      for (const auto& value : r.set->values)
        for (const auto& text : TxtStrings(value))
          found = found || text == svc.private_dns_txt_value;  // PDN-09: exactly, case and all
    }
    domain = domain.substr(domain.find('.') + 1);
  }
  svc.private_dns_state = found ? "verified" : "failed";
  tx.Touch(id);
}

void DeleteVpcEndpointServiceConfiguration(Tx& tx, const std::string& id) {
  GetVpcEndpointService(tx.p, id);
  for (auto [part, e] : EndpointsOfService(tx, id))
    if (Live(*e))  // SVC-11
      Fail("ExistingVpcEndpointConnections", "Service " + id + " has existing active VPC Endpoint connections");
  tx.p.vpc_endpoint_services.erase(id);
  tx.Touch(id);
  for (auto it = tx.p.connection_notifications.begin(); it != tx.p.connection_notifications.end();)
    if (it->second.service_id == id) {
      tx.Touch(it->first);
      it = tx.p.connection_notifications.erase(it);
    } else {
      ++it;
    }
}

void ModifyVpcEndpointServicePermissions(Tx& tx, const std::string& id, const std::vector<std::string>& add,
                                         const std::vector<std::string>& remove) {
  VpcEndpointService& svc = GetVpcEndpointService(tx.p, id);
  for (const auto& principal : add)
    if (principal != "*" && principal.rfind("arn:aws:", 0) != 0)
      Fail("InvalidParameterValue", "The principal '" + principal + "' is not an ARN or '*'");
  for (const auto& principal : add)
    if (!std::count(svc.allowed_principals.begin(), svc.allowed_principals.end(), principal))
      svc.allowed_principals.push_back(principal);
  std::erase_if(svc.allowed_principals,
                [&](const std::string& x) { return std::count(remove.begin(), remove.end(), x) > 0; });
  tx.Touch(id);
}

void DecideVpcEndpointConnection(Tx& tx, const std::string& service_id, const std::string& endpoint_id, bool accept) {
  GetVpcEndpointService(tx.p, service_id);
  for (auto [part, e] : EndpointsOfService(tx, service_id)) {
    if (e->id != endpoint_id) continue;
    if (e->state != "pendingAcceptance" && !(e->state == "available" && !accept))
      Fail("InvalidState", "Endpoint " + endpoint_id + " is in the state " + e->state);
    e->state = accept ? "available" : "rejected";
    if (part == &tx.p) tx.Touch(endpoint_id);
    else tx.TouchIn(*part, endpoint_id);
    Notify(tx, *part, *e, &tx.p, accept ? "Accept" : "Reject");  // NTF-02
    return;
  }
  Fail("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '" + endpoint_id + "' does not exist");
}

std::vector<std::string> ServiceAvailabilityZones(const Partition& owner, const VpcEndpointService& svc) {
  std::set<std::string> zones;
  for (const auto& arn : LoadBalancersOf(svc))
    if (auto lb = owner.load_balancers.find(arn); lb != owner.load_balancers.end())
      for (const auto& n : lb->second.nodes) zones.insert(n.availability_zone);
  return {zones.begin(), zones.end()};
}

std::string BaseEndpointDnsName(const VpcEndpointService& svc, const std::string& region) {
  return svc.id + "." + region + ".vpce.amazonaws.com";
}

std::vector<std::pair<const Partition*, const VpcEndpointService*>> VisibleServices(const State& s,
                                                                                 const std::string& region,
                                                                                 const std::string& caller) {
  std::vector<std::pair<const Partition*, const VpcEndpointService*>> out;
  for (const auto& [key, part] : s.partitions) {
    if (key.second != region) continue;
    for (const auto& [id, svc] : part.vpc_endpoint_services)
      if (svc.owner_id == caller || Allowed(svc, caller)) out.push_back({&part, &svc});
  }
  return out;
}

VpcEndpoint& CreateVpcEndpoint(Tx& tx, const CreateVpcEndpointArgs& a) {
  Partition& p = tx.p;
  const Vpc& vpc = GetVpc(p, a.vpc_id);
  const std::string type = a.type.empty() ? "Gateway" : a.type;  // the API's default
  if (a.service_name.empty()) Fail("MissingParameter", "The request must contain the parameter ServiceName");
  VpcEndpointService aws_service;  // an AWS service openvpc serves: amazon's, open to all, accepted at once
  const std::string gateway = GatewayServiceOf(a.service_name, p.region);
  if (!gateway.empty() && type == "Gateway") return CreateGatewayEndpoint(tx, a, vpc, gateway);
  if (!gateway.empty()) {  // GW-01: S3 also takes interface endpoints; DynamoDB is not served
    if (gateway != "s3" || type != kInterface)
      Fail("InvalidParameter", "openvpc serves " + a.service_name + " through gateway endpoints only");
    aws_service = S3InterfaceService(p.region);
  }
  Partition* owner = nullptr;
  VpcEndpointService* svc = tx.state ? FindServiceByName(*tx.state, p.region, a.service_name, &owner) : nullptr;
  if (!svc && !tx.state)
    for (auto& [id, s] : p.vpc_endpoint_services)
      if (s.service_name == a.service_name) svc = &s, owner = &p;
  // An AWS service openvpc serves (aws_services.h): amazon's, open to everyone, accepted at once.
  if (const AwsService* aws = AwsServiceByEndpointName(a.service_name, p.region))
    aws_service = AwsServiceAsEndpointService(*aws, p.region);
  if (!aws_service.id.empty()) svc = &aws_service;
  // SVC-04, SVC-06: a service the caller may not use is one it cannot see.
  if (!svc || (svc != &aws_service && !Allowed(*svc, p.account_id))) ServiceNameNotFound(a.service_name);
  if (svc->service_type != type)
    Fail("InvalidParameter", "The VPC endpoint service " + a.service_name + " does not support the VPC endpoint type " +
                                 type + ".");
  const bool gwlb = type == kGatewayLoadBalancer;
  if (!a.route_table_ids.empty())
    Fail("InvalidParameter", "Route tables can be specified for Gateway endpoints only");
  VpcEndpoint e;
  e.id = NewId("vpce");
  e.owner_id = p.account_id;
  e.type = type;
  e.vpc_id = vpc.id;
  e.service_name = svc->service_name;
  e.service_id = svc->id;
  e.service_owner_id = svc->owner_id;
  e.state = svc->acceptance_required ? "pendingAcceptance" : "available";  // ST-01, SVC-05 (no "pending" here)
  SetIpAddressTypes(e, svc->supported_ip_address_types, a.ip_address_type, a.dns_record_ip_type);
  e.creation_timestamp = NowIso8601();
  e.tags = a.tags;
  if (gwlb) {
    if (!a.security_group_ids.empty())  // GLB-09
      Fail("InvalidParameter", "Security groups are not supported for Gateway Load Balancer endpoints");
    if (a.policy_document)
      Fail("InvalidParameter", "Endpoint policies are not supported for Gateway Load Balancer endpoints");
    if (a.private_dns_enabled.value_or(false))  // GLB-10
      Fail("InvalidParameter", "Private DNS is not supported for Gateway Load Balancer endpoints");
    if (a.subnet_ids.size() + a.subnet_configurations.size() != 1)  // GLB-02
      Fail("InvalidParameter", "A Gateway Load Balancer endpoint must be created in exactly one subnet");
  } else {
    if (svc == &aws_service) {  // DNS-17: private DNS on by default, but for S3 (no private name here)
      SetAwsServiceEndpointOptions(p, e, a.private_dns_enabled.value_or(gateway.empty()), a.policy_document);
    } else {
      SetCustomerServiceOptions(p, e, svc, a.private_dns_enabled, a.policy_document);
    }
    SetInboundResolverOnly(p, e, a.private_dns_only_for_inbound_resolver_endpoint);
    e.security_group_ids = EndpointGroups(p, vpc.id, a.security_group_ids);
    e.dns_suffix = DnsSuffix();
  }
  // The subnets, with their designated addresses (IF-05).
  std::vector<SubnetConfiguration> subnets = a.subnet_configurations;
  for (const auto& sid : a.subnet_ids)
    if (std::none_of(subnets.begin(), subnets.end(), [&](const SubnetConfiguration& c) { return c.subnet_id == sid; }))
      subnets.push_back({.subnet_id = sid});
  const std::vector<std::string> zones = svc == &aws_service ? RegionZones(p.region) : ServiceAvailabilityZones(*owner, *svc);
  for (const auto& c : subnets) {
    CheckDesignatedAddresses(e, c);
    const Subnet& subnet = EndpointSubnet(p, e, zones, c.subnet_id);
    e.subnet_ids.push_back(subnet.id);
  }
  CheckOneSubnetPerZone(p, e);
  CheckSubnetFamilies(p, e);
  int in_vpc = 0;
  for (const auto& [id, other] : p.vpc_endpoints) {
    if (other.vpc_id != vpc.id || !Live(other) || other.type == "Gateway") continue;
    ++in_vpc;
    if (gwlb && other.service_id == svc->id)  // GLB-03
      for (const auto& sid : other.subnet_ids)
        if (auto s = p.subnets.find(sid); s != p.subnets.end() && !e.subnet_ids.empty() &&
                                          s->second.availability_zone == p.subnets.at(e.subnet_ids[0]).availability_zone)
          Fail("InvalidParameter", "An endpoint of service " + a.service_name + " exists in " +
                                       s->second.availability_zone + " of " + vpc.id + " already: " + id);
  }
  if (in_vpc >= 50)  // Q-01, ERR-21: interface and GWLB endpoints per VPC
    Fail("VpcEndpointLimitExceeded", "The maximum number of VPC endpoints per VPC has been reached");
  e.subnet_ids.clear();
  for (const auto& c : subnets) AddEndpointInterface(tx, e, p.subnets.at(c.subnet_id), c.ipv4, c.ipv6);
  const std::string id = e.id;
  tx.Touch(id);
  VpcEndpoint& stored = p.vpc_endpoints[id] = std::move(e);
  Notify(tx, p, stored, owner, "Connect");  // NTF-02
  return stored;
}

void ModifyVpcEndpoint(Tx& tx, const std::string& id, const ModifyVpcEndpointArgs& a) {
  Partition& p = tx.p;
  VpcEndpoint& e = GetVpcEndpoint(p, id);
  if (e.type == "Gateway") {  // GW-04, GW-06: its route tables and its policy
    if (!a.add_subnet_ids.empty() || !a.remove_subnet_ids.empty() || !a.subnet_configurations.empty() ||
        !a.add_security_group_ids.empty() || !a.remove_security_group_ids.empty() || a.private_dns_enabled.value_or(false))
      Fail("InvalidParameter", "Subnets, security groups and private DNS are not supported for Gateway endpoints");
    if (a.policy_document)
      ParsePolicy(*a.policy_document,
                  {.error_code = "InvalidPolicyDocument", .require_principal = true, .max_chars = 20480});
    tx.Touch(id);
    for (const auto& rt : a.remove_route_table_ids) RemoveGatewayRoute(tx, e, rt);
    const std::string name = GatewayServiceOf(e.service_name, p.region);
    for (const auto& rt : a.add_route_table_ids)
      if (!std::count(e.route_table_ids.begin(), e.route_table_ids.end(), rt))
        AddGatewayRoute(tx, e, rt, AwsManagedPrefixListId(name, p.region));
    if (a.reset_policy) e.policy_document = DefaultEndpointPolicy();  // POL-11
    else if (a.policy_document) e.policy_document = *a.policy_document;
    return;
  }
  const bool gwlb = e.type == kGatewayLoadBalancer;
  if (gwlb && (!a.add_subnet_ids.empty() || !a.remove_subnet_ids.empty() || !a.subnet_configurations.empty()))
    Fail("InvalidParameter", "The subnet of a Gateway Load Balancer endpoint can't be changed");  // GLB-02
  if (gwlb && (!a.add_security_group_ids.empty() || !a.remove_security_group_ids.empty()))
    Fail("InvalidParameter", "Security groups are not supported for Gateway Load Balancer endpoints");  // GLB-09
  if (!a.add_route_table_ids.empty() || !a.remove_route_table_ids.empty())
    Fail("InvalidParameter", "Route tables can be specified for Gateway endpoints only");
  if (gwlb && (a.policy_document || a.private_dns_enabled.value_or(false)))
    Fail("InvalidParameter", "Endpoint policies and private DNS are not supported for Gateway Load Balancer endpoints");
  const bool aws = IsAwsServiceEndpoint(e);
  // Checked on a copy first: a refused change changes nothing.
  const Partition* owner_part = OwnerOf(tx, e);
  const VpcEndpointService* svc = nullptr;
  if (owner_part)
    if (auto it = owner_part->vpc_endpoint_services.find(e.service_id); it != owner_part->vpc_endpoint_services.end())
      svc = &it->second;
  if (!gwlb && !aws) {
    VpcEndpoint options = e;  // the endpoint changes below, once every check has passed
    SetCustomerServiceOptions(p, options, svc, a.private_dns_enabled, a.policy_document);
  }
  std::vector<std::string> zones = aws   ? RegionZones(tx.p.region)
                                   : svc ? ServiceAvailabilityZones(*owner_part, *svc)
                                         : std::vector<std::string>{};
  VpcEndpoint check = e;
  for (const auto& sid : a.remove_subnet_ids)
    if (!std::count(check.subnet_ids.begin(), check.subnet_ids.end(), sid))
      Fail("InvalidParameter", "The subnet " + sid + " is not one of the endpoint " + id + "'s");
  std::erase_if(check.subnet_ids, [&](const std::string& s) { return std::count(a.remove_subnet_ids.begin(), a.remove_subnet_ids.end(), s) > 0; });
  std::vector<SubnetConfiguration> added;
  for (const auto& sid : a.add_subnet_ids) added.push_back({.subnet_id = sid});
  if (a.ip_address_type || a.dns_record_ip_type)
    SetIpAddressTypes(check, svc ? svc->supported_ip_address_types : std::vector<std::string>{"ipv4"},
                      a.ip_address_type.value_or(""), a.dns_record_ip_type.value_or(""));
  std::vector<SubnetConfiguration> replaced;  // IF-06: a new address for a subnet it has
  for (const auto& c : a.subnet_configurations) {
    CheckDesignatedAddresses(check, c);
    if (std::count(check.subnet_ids.begin(), check.subnet_ids.end(), c.subnet_id)) replaced.push_back(c);
    else added.push_back(c);
  }
  for (const auto& c : added) {
    if (std::count(check.subnet_ids.begin(), check.subnet_ids.end(), c.subnet_id)) continue;
    check.subnet_ids.push_back(EndpointSubnet(p, e, zones, c.subnet_id).id);
  }
  CheckOneSubnetPerZone(p, check);
  CheckSubnetFamilies(p, check);
  std::vector<std::string> groups = e.security_group_ids;
  for (const auto& g : a.remove_security_group_ids) std::erase(groups, g);
  if (!a.add_security_group_ids.empty())
    for (const auto& g : EndpointGroups(p, e.vpc_id, a.add_security_group_ids))
      if (!std::count(groups.begin(), groups.end(), g)) groups.push_back(g);
  if (!gwlb && groups.empty())
    Fail("InvalidParameter", "An interface endpoint needs at least one security group");
  // Then changed (touched first: a refusal below puts back what the store holds).
  tx.Touch(id);
  for (const auto& sid : a.remove_subnet_ids) RemoveEndpointInterface(tx, e, sid);
  if (!gwlb && groups != e.security_group_ids) {
    e.security_group_ids = groups;
    for (const auto& eni : e.network_interface_ids) SetNetworkInterfaceGroups(tx, eni, groups);
  }
  // IP-02: the interfaces it keeps gain or lose their IPv6 address with the type (ipv4 <->
  // dualstack; the subnets' families rule out the rest).
  const bool had6 = e.ip_address_type != "ipv4", has6 = check.ip_address_type != "ipv4";
  e.ip_address_type = check.ip_address_type;
  e.dns_record_ip_type = check.dns_record_ip_type;
  if (had6 != has6)
    for (const auto& eni_id : e.network_interface_ids) {
      const NetworkInterface& eni = p.network_interfaces.at(eni_id);
      if (has6 && eni.ipv6_addresses.empty()) AssignIpv6Addresses(tx, eni_id, {}, 1);
      if (!has6 && !eni.ipv6_addresses.empty()) UnassignIpv6Addresses(tx, eni_id, eni.ipv6_addresses);
    }
  for (const auto& c : replaced) {
    const size_t i = static_cast<size_t>(
        std::find(e.subnet_ids.begin(), e.subnet_ids.end(), c.subnet_id) - e.subnet_ids.begin());
    const NetworkInterface& eni = p.network_interfaces.at(e.network_interface_ids.at(i));
    const bool same4 = c.ipv4.empty() || eni.PrimaryIp() == c.ipv4;
    const bool same6 = c.ipv6.empty() || std::count(eni.ipv6_addresses.begin(), eni.ipv6_addresses.end(), c.ipv6);
    if (same4 && same6) continue;  // IF-04: otherwise it never changes
    RemoveEndpointInterface(tx, e, c.subnet_id);
    AddEndpointInterface(tx, e, p.subnets.at(c.subnet_id), c.ipv4, c.ipv6);
  }
  for (const auto& c : added)
    if (!std::count(e.subnet_ids.begin(), e.subnet_ids.end(), c.subnet_id))
      AddEndpointInterface(tx, e, p.subnets.at(c.subnet_id), c.ipv4, c.ipv6);
  if (aws) {
    std::optional<std::string> policy = a.policy_document;
    if (a.reset_policy) policy = DefaultEndpointPolicy();  // POL-11
    SetAwsServiceEndpointOptions(p, e, a.private_dns_enabled.value_or(e.private_dns_enabled), policy);
  } else if (a.private_dns_enabled && !gwlb) {
    SetCustomerServiceOptions(p, e, svc, a.private_dns_enabled, std::nullopt);
  }
  if (!gwlb) SetInboundResolverOnly(p, e, a.private_dns_only_for_inbound_resolver_endpoint);
}

void DeleteVpcEndpoint(Tx& tx, const std::string& id) {
  Partition& p = tx.p;
  VpcEndpoint& e = GetVpcEndpoint(p, id);
  if (e.type == "Gateway")  // GW-S3-4: an interface endpoint's private DNS for the inbound Resolver relies on it
    for (const auto& [oid, other] : p.vpc_endpoints)
      if (other.vpc_id == e.vpc_id && other.service_name == e.service_name &&
          other.private_dns_only_for_inbound_resolver_endpoint)
        Fail("InvalidParameter", "You can't delete a gateway endpoint if private DNS is enabled: " + oid +
                                     " has private DNS only for the inbound Resolver endpoint");
  if (e.type == "Gateway")  // GW-06: its routes go with it
    while (!e.route_table_ids.empty()) RemoveGatewayRoute(tx, e, e.route_table_ids.front());
  for (const auto& [rid, rt] : p.route_tables)
    for (const auto& r : rt.routes)
      if (r.target_member == "VpcEndpointId" && r.target_id == id)  // GLB-11
        Fail("DependencyViolation", "The Gateway Load Balancer endpoint " + id + " is the target of a route in " + rid);
  for (const auto& eni : e.network_interface_ids)  // IF-20, GLB-12
    if (p.network_interfaces.count(eni)) DeleteNetworkInterface(tx, eni, /*by_requester=*/true);
  e.state = "deleted";
  Notify(tx, p, e, OwnerOf(tx, e), "Delete");  // NTF-02
  for (auto it = p.connection_notifications.begin(); it != p.connection_notifications.end();)
    if (it->second.vpc_endpoint_id == id) {
      tx.Touch(it->first);
      it = p.connection_notifications.erase(it);
    } else {
      ++it;
    }
  p.vpc_endpoints.erase(id);
  tx.Touch(id);
}

const VpcEndpoint* VpcEndpointOfInterface(const Partition& p, const std::string& eni_id) {
  for (const auto& [id, e] : p.vpc_endpoints)
    if (std::count(e.network_interface_ids.begin(), e.network_interface_ids.end(), eni_id)) return &e;
  return nullptr;
}

const VpcEndpointService* ServiceOf(const State& s, const Partition& p, const VpcEndpoint& e, const Partition** owner) {
  const Partition* o = s.Find(e.service_owner_id, p.region);
  if (!o) return nullptr;
  auto it = o->vpc_endpoint_services.find(e.service_id);
  if (it == o->vpc_endpoint_services.end()) return nullptr;
  *owner = o;
  return &it->second;
}

GatewayLoadBalancerPath GatewayLoadBalancerIn(const Partition& owner, const VpcEndpointService& svc,
                                              const std::string& zone) {
  for (const auto& arn : svc.gateway_load_balancer_arns) {
    auto lb = owner.load_balancers.find(arn);
    if (lb == owner.load_balancers.end()) continue;
    for (const auto& n : lb->second.nodes) {
      if (n.availability_zone != zone) continue;
      const auto listeners = ListenersOf(owner, arn);
      if (listeners.empty()) return {};
      auto tg = owner.target_groups.find(listeners.front()->target_group_arn);
      if (tg == owner.target_groups.end()) return {};
      return {.lb = &lb->second, .node = &n, .target_group = &tg->second};
    }
  }
  return {};
}

namespace {

// DNS-06: the hosted zone of the Region's vpce names (the guides give these two).
std::string VpceHostedZoneId(const std::string& region) {
  if (region == "us-east-1") return "Z7HUB22UULQXV";
  if (region == "us-east-2") return "ZC8PG0KIFKBRI";
  return "";
}

// DNS-02, DNS-05: endpoint_id-suffix.SERVICE.region.vpce.amazonaws.com, with -ZONE for a zonal
// one; SERVICE is an AWS service's name (ec2) or a customer's service id.
std::string EndpointDnsName(const Partition& p, const VpcEndpoint& e, const std::string& zone) {
  const std::string label = IsAwsServiceEndpoint(e) ? e.service_name.substr(e.service_name.rfind('.') + 1) : e.service_id;
  return e.id + "-" + e.dns_suffix + (zone.empty() ? "" : "-" + zone) + "." + label + "." + p.region +
         ".vpce.amazonaws.com";
}

}  // namespace

std::vector<DnsEntry> DnsEntriesOf(const Partition& p, const VpcEndpoint& e) {
  std::vector<DnsEntry> out;
  if (e.type != kInterface || e.dns_suffix.empty()) return out;
  const std::string zone_id = VpceHostedZoneId(p.region);
  // S3's names take a bucket (or anything) in front: *.vpce-….s3.REGION.vpce.amazonaws.com.
  const std::string any = GatewayServiceOf(e.service_name, p.region) == "s3" ? "*." : "";
  out.push_back({any + EndpointDnsName(p, e, ""), zone_id});
  for (const auto& sid : e.subnet_ids)
    if (auto s = p.subnets.find(sid); s != p.subnets.end())
      out.push_back({any + EndpointDnsName(p, e, s->second.availability_zone), zone_id});
  if (e.private_dns_enabled) {  // DNS-06: the private name last, in a zone of its own
    if (const AwsService* aws = AwsServiceByEndpointName(e.service_name, p.region)) {
      out.push_back({AwsServiceDnsName(*aws, p.region), ""});
    } else if (!any.empty()) {  // S3's, with anything in front
      out.push_back({S3PrivateDnsName(p.region), ""});
      out.push_back({"*." + S3PrivateDnsName(p.region), ""});
    } else if (!e.private_dns_name.empty()) {
      out.push_back({e.private_dns_name, ""});
    }
  }
  return out;
}

std::optional<std::vector<std::string>> PrivateDnsAddresses(const Partition& p, const std::string& vpc_id,
                                                            const std::string& name, bool ipv6) {
  for (const auto& [id, e] : p.vpc_endpoints) {
    if (e.vpc_id != vpc_id || !e.private_dns_enabled || e.state != "available") continue;
    const AwsService* aws = AwsServiceByEndpointName(e.service_name, p.region);
    // A customer's service: its private DNS name, or with a wildcard any name below it (PDN-03).
    // S3's: the Region's name and any name below it, unless the VPC's queries are to get S3's
    // public addresses (GW-S3-1: private DNS only for the inbound Resolver endpoint).
    const bool s3 = GatewayServiceOf(e.service_name, p.region) == "s3";
    if (s3 && e.private_dns_only_for_inbound_resolver_endpoint) continue;
    const std::string own = aws ? AwsServiceDnsName(*aws, p.region) : s3 ? "*." + S3PrivateDnsName(p.region)
                                                                        : e.private_dns_name;
    const bool match = own == name || (own.starts_with("*.") && name.size() > own.size() - 1 &&
                                       name.ends_with(own.substr(1))) || (s3 && name == own.substr(2));
    if (own.empty() || !match) continue;
    std::vector<std::string> out;
    const std::string& records = e.dns_record_ip_type;
    if (ipv6 ? records != "ipv6" && records != "dualstack" : records == "ipv6") return out;  // DNS-13
    for (const auto& eni : e.network_interface_ids)
      if (auto it = p.network_interfaces.find(eni); it != p.network_interfaces.end()) {
        if (!ipv6 && !it->second.PrimaryIp().empty()) out.push_back(it->second.PrimaryIp());
        if (ipv6) out.insert(out.end(), it->second.ipv6_addresses.begin(), it->second.ipv6_addresses.end());
      }
    return out;
  }
  return std::nullopt;
}

std::optional<std::vector<std::string>> VpcEndpointDnsAddresses(const Partition& p, const std::string& given,
                                                                bool ipv6) {
  if (!given.ends_with(".vpce.amazonaws.com")) return std::nullopt;
  // An S3 endpoint's names stand for any name below them (BUCKET.vpce-….s3.…).
  const auto below = SplitS3EndpointName(given);
  const std::string name = below ? below->endpoint_name : given;
  for (const auto& [id, e] : p.vpc_endpoints) {
    if (e.type != kInterface || !name.starts_with(id)) continue;
    const bool regional = AsciiLower(EndpointDnsName(p, e, "")) == name;
    std::vector<std::string> out;
    bool found = regional;
    // DNS-13: A records but for ipv6, AAAA records but for ipv4.
    const bool has_records = ipv6 ? e.dns_record_ip_type != "ipv4" : e.dns_record_ip_type != "ipv6";
    for (size_t i = 0; i < e.network_interface_ids.size() && i < e.subnet_ids.size(); ++i) {
      auto s = p.subnets.find(e.subnet_ids[i]);
      auto eni = p.network_interfaces.find(e.network_interface_ids[i]);
      if (s == p.subnets.end() || eni == p.network_interfaces.end()) continue;
      const bool zonal = AsciiLower(EndpointDnsName(p, e, s->second.availability_zone)) == name;
      found = found || zonal;
      if ((!regional && !zonal) || !has_records) continue;
      if (ipv6) out.insert(out.end(), eni->second.ipv6_addresses.begin(), eni->second.ipv6_addresses.end());
      else if (!eni->second.PrimaryIp().empty()) out.push_back(eni->second.PrimaryIp());
    }
    if (found) return out;
  }
  return std::nullopt;
}

int EvaluateEndpointPolicy(const State& s, const EndpointRequest& r) {
  const Partition* p = s.Find(r.account, r.region);
  if (!p) return 0;
  auto e = p->vpc_endpoints.find(r.vpc_endpoint_id);
  if (e == p->vpc_endpoints.end() || e->second.state != "available") return 0;
  if (e->second.policy_document.empty()) return 1;  // POL-06: a service without policies allows everything
  // POL-09: on a gateway endpoint, an account as Principal stands for its root user alone.
  const Policy policy = ParsePolicy(e->second.policy_document,
                                    {.error_code = "InvalidPolicyDocument",
                                     .account_principal_is_root_only = e->second.type == "Gateway"});
  const std::string arn = r.principal_arn.empty() ? "arn:aws:iam::" + r.principal_account + ":root" : r.principal_arn;
  PolicyRequest req{.principal = {.arn = arn, .account_id = r.principal_account}, .action = r.action,
                    .resource = r.resource};
  req.context["aws:SourceVpce"] = {e->second.id};
  req.context["aws:SourceVpc"] = {e->second.vpc_id};
  req.context["aws:PrincipalAccount"] = {r.principal_account};
  req.context["aws:PrincipalArn"] = {r.principal_role_arn.empty() ? arn : r.principal_role_arn};
  if (!r.source_ip.empty()) req.context["aws:VpcSourceIp"] = {r.source_ip};
  switch (Evaluate(policy, req)) {
    case PolicyDecision::kAllow:
      return 1;
    case PolicyDecision::kExplicitDeny:
      return 2;
    default:
      return 0;
  }
}

GatewayEndpointPath GatewayEndpointOf(const State& s, const std::string& eni_id, net::Ipv4 dst) {
  for (const auto& [key, p] : s.partitions) {
    auto eni = p.network_interfaces.find(eni_id);
    if (eni == p.network_interfaces.end()) continue;
    auto subnet = p.subnets.find(eni->second.subnet_id);
    if (subnet == p.subnets.end()) return {};
    const Route* route = LongestPrefixMatch(p, RouteTableOfSubnet(p, subnet->second), dst);
    if (!route || route->target_member != "VpcEndpointId") return {};
    auto e = p.vpc_endpoints.find(route->target_id);
    if (e == p.vpc_endpoints.end() || e->second.type != "Gateway") return {};
    return {.partition = &p, .endpoint = &e->second, .eni = &eni->second};
  }
  return {};
}

PrivateLinkPath NetworkLoadBalancerFor(const Partition& owner, const VpcEndpointService& svc,
                                       const NetworkInterface& eni, const std::string& zone) {
  // Zone names stand for the same zone ids in every account of openvpc, so the consumer's zone
  // is the provider's (IF-13).
  std::vector<PrivateLinkPath> in_zone;
  for (const auto& arn : svc.network_load_balancer_arns) {
    auto lb = owner.load_balancers.find(arn);
    if (lb == owner.load_balancers.end()) continue;
    for (const auto& n : lb->second.nodes)
      if (n.availability_zone == zone) in_zone.push_back({.lb = &lb->second, .node = &n});
  }
  if (in_zone.empty()) return {};
  // SVC-09: one of them for every connection of the interface (AWS picks at random on the first
  // connection and keeps it; a hash of the interface is the same choice, remembered by nobody).
  return in_zone[FlowHash(0, eni.id, 0, svc.id, 0) % in_zone.size()];
}

ConnectionNotification& CreateVpcEndpointConnectionNotification(Tx& tx, const CreateConnectionNotificationArgs& a) {
  Partition& p = tx.p;
  if (a.service_id.empty() == a.vpc_endpoint_id.empty())  // NTF-01
    Fail("InvalidParameter", "Specify either ServiceId or VpcEndpointId.");
  if (!a.service_id.empty()) GetVpcEndpointService(p, a.service_id);
  if (!a.vpc_endpoint_id.empty()) GetVpcEndpoint(p, a.vpc_endpoint_id);
  if (a.topic_arn.rfind("arn:aws:sns:", 0) != 0)
    Fail("InvalidParameter", "The connection notification ARN '" + a.topic_arn + "' is not an SNS topic ARN");
  for (const auto& ev : a.events)
    if (ev != "Connect" && ev != "Accept" && ev != "Reject" && ev != "Delete")
      Fail("InvalidParameter", "The connection event '" + ev + "' is not valid");
  if (a.events.empty()) Fail("MissingParameter", "The request must contain the parameter ConnectionEvents");
  ConnectionNotification n{.id = NewId("vpce-nfn"), .owner_id = p.account_id, .service_id = a.service_id,
                           .vpc_endpoint_id = a.vpc_endpoint_id, .topic_arn = a.topic_arn, .events = a.events};
  const std::string id = n.id;
  tx.Touch(id);
  return p.connection_notifications[id] = std::move(n);
}

void ModifyVpcEndpointConnectionNotification(Tx& tx, const std::string& id, const std::string& topic_arn,
                                             const std::vector<std::string>& events) {
  auto it = tx.p.connection_notifications.find(id);
  if (it == tx.p.connection_notifications.end())
    Fail("InvalidConnectionNotification", "The connection notification '" + id + "' does not exist");
  for (const auto& ev : events)
    if (ev != "Connect" && ev != "Accept" && ev != "Reject" && ev != "Delete")
      Fail("InvalidParameter", "The connection event '" + ev + "' is not valid");
  if (!topic_arn.empty()) {
    if (topic_arn.rfind("arn:aws:sns:", 0) != 0)
      Fail("InvalidParameter", "The connection notification ARN '" + topic_arn + "' is not an SNS topic ARN");
    it->second.topic_arn = topic_arn;
  }
  if (!events.empty()) it->second.events = events;
  tx.Touch(id);
}

void DeleteVpcEndpointConnectionNotification(Tx& tx, const std::string& id) {
  if (!tx.p.connection_notifications.erase(id))
    Fail("InvalidConnectionNotification", "The connection notification '" + id + "' does not exist");
  tx.Touch(id);
}

void RegisterVpcEndpointRules() {
  static bool done = [] {
    RegisterRouteTarget({.member = "VpcEndpointId",
                         .hop = "gateway-load-balancer-endpoint",
                         .validate = ValidateRouteTarget,
                         .usable = RouteTargetUsable,
                         .may_be_more_specific_than_local = true,
                         .shown_as = "GatewayId"});
    return true;
  }();
  (void)done;
}

}  // namespace openvpc::model
