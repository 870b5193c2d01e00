// Endpoint services and Gateway Load Balancer endpoints: model/vpc_endpoint.h.
#include "model/vpc_endpoint.h"

#include <algorithm>
#include <set>

#include "model/internal.h"
#include "model/load_balancer.h"
#include "model/network_interface.h"
#include "model/route_target.h"

namespace openvpc::model {

namespace {

const std::string kGatewayLoadBalancer = "GatewayLoadBalancer";

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

}  // namespace

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
  if (nlb)
    Fail("InvalidParameter",
         "openvpc serves endpoint services of Gateway Load Balancers so far; Network Load Balancer services come "
         "with interface endpoints");
  for (const auto& arn : a.gateway_load_balancer_arns) {
    auto it = p.load_balancers.find(arn);
    if (it == p.load_balancers.end() || it->second.type != "gateway")
      Fail("InvalidParameterValue", "The Gateway Load Balancer '" + arn + "' does not exist");
    for (const auto& [id, other] : p.vpc_endpoint_services)
      if (std::count(other.gateway_load_balancer_arns.begin(), other.gateway_load_balancer_arns.end(), arn))
        Fail("InvalidParameterValue", "The load balancer '" + arn + "' is already associated with service " + id);
  }
  for (const auto& t : a.supported_ip_address_types)
    if (t != "ipv4" && t != "ipv6")
      Fail("InvalidParameterValue", "The IP address type '" + t + "' is not supported");
  VpcEndpointService svc;
  svc.id = NewId("vpce-svc");
  svc.owner_id = p.account_id;
  svc.service_name = "com.amazonaws.vpce." + p.region + "." + svc.id;
  svc.service_type = kGatewayLoadBalancer;
  svc.acceptance_required = a.acceptance_required.value_or(true);
  svc.gateway_load_balancer_arns = a.gateway_load_balancer_arns;
  if (!a.supported_ip_address_types.empty()) svc.supported_ip_address_types = a.supported_ip_address_types;
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

void DeleteVpcEndpointServiceConfiguration(Tx& tx, const std::string& id) {
  GetVpcEndpointService(tx.p, id);
  for (auto [part, e] : EndpointsOfService(tx, id))
    if (Live(*e))  // SVC-11
      Fail("ExistingVpcEndpointConnections", "Service " + id + " has existing active VPC Endpoint connections");
  tx.p.vpc_endpoint_services.erase(id);
  tx.Touch(id);
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
    return;
  }
  Fail("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '" + endpoint_id + "' does not exist");
}

VpcEndpoint& CreateVpcEndpoint(Tx& tx, const CreateVpcEndpointArgs& a) {
  Partition& p = tx.p;
  const Vpc& vpc = GetVpc(p, a.vpc_id);
  const std::string type = a.type.empty() ? "Gateway" : a.type;
  if (type != kGatewayLoadBalancer)
    Fail("InvalidParameter", "openvpc serves Gateway Load Balancer endpoints so far; " + type +
                                 " endpoints come with issue 14 of its road map");
  if (a.service_name.empty()) Fail("MissingParameter", "The request must contain the parameter ServiceName");
  Partition* owner = nullptr;
  VpcEndpointService* svc = tx.state ? FindServiceByName(*tx.state, p.region, a.service_name, &owner) : nullptr;
  if (!svc && !tx.state)
    for (auto& [id, s] : p.vpc_endpoint_services)
      if (s.service_name == a.service_name) svc = &s, owner = &p;
  // SVC-04, SVC-06: a service the caller may not use is one it cannot see.
  if (!svc || !Allowed(*svc, p.account_id)) ServiceNameNotFound(a.service_name);
  if (svc->service_type != type)
    Fail("InvalidParameter", "The VPC endpoint service " + a.service_name + " does not support the VPC endpoint type " +
                                 type + ".");
  if (!a.security_group_ids.empty())  // GLB-09
    Fail("InvalidParameter", "Security groups are not supported for Gateway Load Balancer endpoints");
  if (!a.route_table_ids.empty())
    Fail("InvalidParameter", "Route tables cannot be specified for Gateway Load Balancer endpoints");
  if (a.subnet_ids.size() != 1)  // GLB-02
    Fail("InvalidParameter", "A Gateway Load Balancer endpoint must be created in exactly one subnet");
  const Subnet& subnet = GetSubnet(p, a.subnet_ids.front());
  if (subnet.vpc_id != vpc.id)
    Fail("InvalidParameter", "The subnet " + subnet.id + " does not belong to the VPC " + vpc.id);
  // GLB-03: only in a zone of the load balancer, one per zone of the service in a VPC.
  std::set<std::string> zones;
  for (const auto& arn : svc->gateway_load_balancer_arns)
    if (auto lb = owner->load_balancers.find(arn); lb != owner->load_balancers.end())
      for (const auto& n : lb->second.nodes) zones.insert(n.availability_zone);
  if (!zones.count(subnet.availability_zone))
    Fail("InvalidParameter", "The VPC endpoint service " + a.service_name + " does not support the Availability Zone of "
                                 "the subnet: " + subnet.availability_zone);
  int in_vpc = 0;
  for (const auto& [id, e] : p.vpc_endpoints) {
    if (e.vpc_id != vpc.id || !Live(e)) continue;
    ++in_vpc;
    if (e.service_id == svc->id)
      for (const auto& sid : e.subnet_ids)
        if (auto s = p.subnets.find(sid); s != p.subnets.end() && s->second.availability_zone == subnet.availability_zone)
          Fail("InvalidParameter", "An endpoint of service " + a.service_name + " exists in " +
                                       subnet.availability_zone + " of " + vpc.id + " already: " + id);
  }
  if (in_vpc >= 50)  // ERR-21: interface and GWLB endpoints per VPC
    Fail("VpcEndpointLimitExceeded", "The maximum number of VPC endpoints per VPC has been reached");
  VpcEndpoint e;
  e.id = NewId("vpce");
  e.owner_id = p.account_id;
  e.type = type;
  e.vpc_id = vpc.id;
  e.service_name = svc->service_name;
  e.service_id = svc->id;
  e.service_owner_id = svc->owner_id;
  e.state = svc->acceptance_required ? "pendingAcceptance" : "available";  // GLB-04, SVC-05
  e.subnet_ids = {subnet.id};
  e.ip_address_type = a.ip_address_type.empty() ? "ipv4" : a.ip_address_type;
  if (e.ip_address_type != "ipv4")
    Fail("InvalidParameter", "openvpc serves IPv4 Gateway Load Balancer endpoints so far");
  e.creation_timestamp = NowIso8601();
  e.tags = a.tags;
  NetworkInterface& eni = CreateNetworkInterface(tx, {.subnet_id = subnet.id,
                                                      .description = "VPC Endpoint Interface " + e.id,
                                                      .interface_type = "gateway_load_balancer_endpoint",
                                                      .requester_managed = true,
                                                      .requester_id = "AWS"});
  eni.group_ids.clear();  // GLB-09
  eni.source_dest_check = false;  // it forwards others' packets
  e.network_interface_ids = {eni.id};
  const std::string id = e.id;
  tx.Touch(id);
  return p.vpc_endpoints[id] = std::move(e);
}

void DeleteVpcEndpoint(Tx& tx, const std::string& id) {
  Partition& p = tx.p;
  VpcEndpoint& e = GetVpcEndpoint(p, id);
  for (const auto& [rid, rt] : p.route_tables)
    for (const auto& r : rt.routes)
      if (r.target_member == "VpcEndpointId" && r.target_id == id)  // GLB-11
        Fail("DependencyViolation", "The Gateway Load Balancer endpoint " + id + " is the target of a route in " + rid);
  for (const auto& eni : e.network_interface_ids)  // GLB-12
    if (p.network_interfaces.count(eni)) DeleteNetworkInterface(tx, eni, /*by_requester=*/true);
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
