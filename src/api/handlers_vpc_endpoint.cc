// VPC endpoint services and endpoints (EC2 API): what model/vpc_endpoint.h serves so far,
// Gateway Load Balancer endpoint services and endpoints.
#include <functional>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/vpc_endpoint.h"

namespace openvpc::api {

namespace {

const DescribeSpec kDescribeServices = {
    .ids_member = "ServiceIds", .id_path = "ServiceId", .list_member = "ServiceConfigurations",
    .not_found_code = "InvalidVpcEndpointServiceId.NotFound", .not_found_noun = "VpcEndpointService",
    .filters = {
        {"service-name", {"ServiceName"}},
        {"service-id", {"ServiceId"}},
        {"service-state", {"ServiceState"}},
        {"service-type", {"ServiceType.ServiceType"}},
    }};

const DescribeSpec kDescribeEndpoints = {
    .ids_member = "VpcEndpointIds", .id_path = "VpcEndpointId", .list_member = "VpcEndpoints",
    .not_found_code = "InvalidVpcEndpointId.NotFound", .not_found_noun = "Vpc Endpoint",
    .filters = {
        {"ip-address-type", {"IpAddressType"}},
        {"service-name", {"ServiceName"}},
        {"vpc-id", {"VpcId"}},
        {"vpc-endpoint-id", {"VpcEndpointId"}},
        {"vpc-endpoint-state", {"State"}},
        {"vpc-endpoint-type", {"VpcEndpointType"}},
    }};

const DescribeSpec kDescribeConnections = {
    .id_path = "VpcEndpointId", .list_member = "VpcEndpointConnections",
    .filters = {
        {"service-id", {"ServiceId"}},
        {"vpc-endpoint-owner", {"VpcEndpointOwner"}},
        {"vpc-endpoint-state", {"VpcEndpointState"}},
        {"vpc-endpoint-id", {"VpcEndpointId"}},
    },
    .taggable = false};

json ServiceView(const model::Partition& p, const model::VpcEndpointService& s) {
  json zones = json::array();
  for (const auto& arn : s.gateway_load_balancer_arns)
    if (auto lb = p.load_balancers.find(arn); lb != p.load_balancers.end())
      for (const auto& n : lb->second.nodes)
        if (std::find(zones.begin(), zones.end(), n.availability_zone) == zones.end()) zones.push_back(n.availability_zone);
  return {{"ServiceType", json::array({{{"ServiceType", s.service_type}}})},
          {"ServiceId", s.id},
          {"ServiceName", s.service_name},
          {"ServiceState", "Available"},
          {"AvailabilityZones", zones},
          {"AcceptanceRequired", s.acceptance_required},
          {"ManagesVpcEndpoints", false},
          {"GatewayLoadBalancerArns", s.gateway_load_balancer_arns},
          {"SupportedIpAddressTypes", s.supported_ip_address_types},
          {"PayerResponsibility", "ServiceOwner"},
          {"Tags", TagsView(s.tags)}};
}

json EndpointView(const model::VpcEndpoint& e) {
  return {{"VpcEndpointId", e.id},
          {"VpcEndpointType", e.type},
          {"VpcId", e.vpc_id},
          {"ServiceName", e.service_name},
          {"State", e.state},
          {"RouteTableIds", json::array()},
          {"SubnetIds", e.subnet_ids},
          {"Groups", json::array()},
          {"IpAddressType", e.ip_address_type},
          {"PrivateDnsEnabled", false},
          {"RequesterManaged", false},
          {"NetworkInterfaceIds", e.network_interface_ids},
          {"DnsEntries", json::array()},
          {"CreationTimestamp", e.creation_timestamp},
          {"Tags", TagsView(e.tags)},
          {"OwnerId", e.owner_id}};
}

// FN for each of IDS; the ones it refuses are the answer's Unsuccessful items (the others are done).
json ForEach(const std::vector<std::string>& ids, const std::function<void(const std::string&)>& fn) {
  json failed = json::array();
  for (const auto& id : ids) {
    try {
      fn(id);
    } catch (const model::Error& e) {
      failed.push_back({{"Error", {{"Code", e.code}, {"Message", e.what()}}}, {"ResourceId", id}});
    }
  }
  return {{"Unsuccessful", failed}};
}

json CreateVpcEndpointServiceConfiguration(Call& c) {
  model::CreateVpcEndpointServiceArgs a;
  if (c.in.contains("AcceptanceRequired")) a.acceptance_required = Bool(c.in, "AcceptanceRequired");
  a.network_load_balancer_arns = StrList(c.in, "NetworkLoadBalancerArns");
  a.gateway_load_balancer_arns = StrList(c.in, "GatewayLoadBalancerArns");
  a.supported_ip_address_types = StrList(c.in, "SupportedIpAddressTypes");
  if (c.in.contains("PrivateDnsName"))  // GLB-10
    model::Fail("InvalidParameter", "Private DNS names are not supported for Gateway Load Balancer endpoint services");
  a.tags = CreateTagsFor(c, "vpc-endpoint-service");
  const auto& s = model::CreateVpcEndpointServiceConfiguration(c.tx, a);
  json out = {{"ServiceConfiguration", ServiceView(c.p(), s)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json DescribeVpcEndpointServiceConfigurations(Call& c) {
  std::vector<json> items;
  for (const auto& [id, s] : c.p().vpc_endpoint_services) items.push_back(ServiceView(c.p(), s));
  return Describe(kDescribeServices, c.in, std::move(items));
}

json DeleteVpcEndpointServiceConfigurations(Call& c) {
  return ForEach(StrList(c.in, "ServiceIds"),
                 [&](const std::string& id) { model::DeleteVpcEndpointServiceConfiguration(c.tx, id); });
}

json ModifyVpcEndpointServicePermissions(Call& c) {
  model::ModifyVpcEndpointServicePermissions(c.tx, Str(c.in, "ServiceId"), StrList(c.in, "AddAllowedPrincipals"),
                                             StrList(c.in, "RemoveAllowedPrincipals"));
  return {{"ReturnValue", true}};
}

json DescribeVpcEndpointServicePermissions(Call& c) {
  const auto& s = model::GetVpcEndpointService(c.p(), Str(c.in, "ServiceId"));
  json out = json::array();
  for (const auto& principal : s.allowed_principals)
    out.push_back({{"PrincipalType", principal == "*" ? "All" : "Account"}, {"Principal", principal}});
  return {{"AllowedPrincipals", out}};
}

json DecideConnections(Call& c, bool accept) {
  const std::string service = Str(c.in, "ServiceId");
  model::GetVpcEndpointService(c.p(), service);
  return ForEach(StrList(c.in, "VpcEndpointIds"),
                 [&](const std::string& id) { model::DecideVpcEndpointConnection(c.tx, service, id, accept); });
}

json AcceptVpcEndpointConnections(Call& c) { return DecideConnections(c, true); }
json RejectVpcEndpointConnections(Call& c) { return DecideConnections(c, false); }

json DescribeVpcEndpointConnections(Call& c) {
  std::vector<json> items;
  for (auto& [id, s] : c.p().vpc_endpoint_services)
    for (auto [part, e] : model::EndpointsOfService(c.tx, id))
      items.push_back({{"ServiceId", id},
                       {"VpcEndpointId", e->id},
                       {"VpcEndpointOwner", e->owner_id},
                       {"VpcEndpointState", e->state},
                       {"CreationTimestamp", e->creation_timestamp},
                       {"GatewayLoadBalancerArns", s.gateway_load_balancer_arns},
                       {"IpAddressType", e->ip_address_type}});
  return Describe(kDescribeConnections, c.in, std::move(items));
}

json CreateVpcEndpoint(Call& c) {
  model::CreateVpcEndpointArgs a{.type = Str(c.in, "VpcEndpointType"),
                                 .vpc_id = Str(c.in, "VpcId"),
                                 .service_name = Str(c.in, "ServiceName"),
                                 .ip_address_type = Str(c.in, "IpAddressType"),
                                 .subnet_ids = StrList(c.in, "SubnetIds"),
                                 .security_group_ids = StrList(c.in, "SecurityGroupIds"),
                                 .route_table_ids = StrList(c.in, "RouteTableIds"),
                                 .tags = CreateTagsFor(c, "vpc-endpoint")};
  if (c.in.contains("PolicyDocument"))  // GLB-09
    model::Fail("InvalidParameter", "Endpoint policies are not supported for Gateway Load Balancer endpoints");
  if (c.in.value("PrivateDnsEnabled", false))  // GLB-10
    model::Fail("InvalidParameter", "Private DNS is not supported for Gateway Load Balancer endpoints");
  const auto& e = model::CreateVpcEndpoint(c.tx, a);
  json out = {{"VpcEndpoint", EndpointView(e)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json DescribeVpcEndpoints(Call& c) {
  std::vector<json> items;
  for (const auto& [id, e] : c.p().vpc_endpoints) items.push_back(EndpointView(e));
  return Describe(kDescribeEndpoints, c.in, std::move(items));
}

json DeleteVpcEndpoints(Call& c) {
  return ForEach(StrList(c.in, "VpcEndpointIds"), [&](const std::string& id) { model::DeleteVpcEndpoint(c.tx, id); });
}

}  // namespace

void RegisterVpcEndpointHandlers() {
  Register("CreateVpcEndpointServiceConfiguration", CreateVpcEndpointServiceConfiguration, true);
  Register("DescribeVpcEndpointServiceConfigurations", DescribeVpcEndpointServiceConfigurations, false);
  Register("DeleteVpcEndpointServiceConfigurations", DeleteVpcEndpointServiceConfigurations, true);
  Register("ModifyVpcEndpointServicePermissions", ModifyVpcEndpointServicePermissions, true);
  Register("DescribeVpcEndpointServicePermissions", DescribeVpcEndpointServicePermissions, false);
  Register("AcceptVpcEndpointConnections", AcceptVpcEndpointConnections, true);
  Register("RejectVpcEndpointConnections", RejectVpcEndpointConnections, true);
  Register("DescribeVpcEndpointConnections", DescribeVpcEndpointConnections, false);
  Register("CreateVpcEndpoint", CreateVpcEndpoint, true);
  Register("DescribeVpcEndpoints", DescribeVpcEndpoints, false);
  Register("DeleteVpcEndpoints", DeleteVpcEndpoints, true);
}

}  // namespace openvpc::api
