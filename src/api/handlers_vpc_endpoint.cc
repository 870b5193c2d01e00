// VPC endpoint services, endpoints and connection notifications (EC2 API): the views of
// model/vpc_endpoint.h.
#include <functional>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/aws_services.h"
#include "model/regions.h"
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

const DescribeSpec kDescribeServiceDetails = {
    .ids_member = "ServiceNames", .id_path = "ServiceName", .list_member = "ServiceDetails",
    .not_found_code = "InvalidServiceName", .not_found_noun = "Vpc Endpoint Service",
    .filters = {
        {"owner", {"Owner"}},
        {"service-name", {"ServiceName"}},
        {"service-type", {"ServiceType.ServiceType"}},
        {"supported-ip-address-types", {"SupportedIpAddressTypes"}},
    }};

const DescribeSpec kDescribeNotifications = {
    .ids_member = "ConnectionNotificationId", .id_path = "ConnectionNotificationId",
    .list_member = "ConnectionNotificationSet", .not_found_code = "InvalidConnectionNotification",
    .not_found_noun = "connection notification",
    .filters = {
        {"connection-notification-arn", {"ConnectionNotificationArn"}},
        {"connection-notification-id", {"ConnectionNotificationId"}},
        {"connection-notification-state", {"ConnectionNotificationState"}},
        {"connection-notification-type", {"ConnectionNotificationType"}},
        {"service-id", {"ServiceId"}},
        {"vpc-endpoint-id", {"VpcEndpointId"}},
    },
    .taggable = false};

json ZoneIds(const model::Partition& p, const std::vector<std::string>& zones) {
  json out = json::array();
  if (const model::RegionInfo* r = model::FindRegion(p.region))
    for (const auto& name : zones)
      for (const auto& z : r->zones)
        if (z.name == name) out.push_back(z.id);
  return out;
}

json ServiceView(const model::Partition& p, const model::VpcEndpointService& s) {
  const auto zones = model::ServiceAvailabilityZones(p, s);
  json out = {{"ServiceType", json::array({{{"ServiceType", s.service_type}}})},
              {"ServiceId", s.id},
              {"ServiceName", s.service_name},
              {"ServiceState", "Available"},
              {"AvailabilityZones", zones},
              {"AvailabilityZoneIds", ZoneIds(p, zones)},
              {"AcceptanceRequired", s.acceptance_required},
              {"ManagesVpcEndpoints", false},
              {"SupportedIpAddressTypes", s.supported_ip_address_types},
              {"PayerResponsibility", "ServiceOwner"},
              {"Tags", TagsView(s.tags)}};
  if (!s.private_dns_name.empty()) {  // PDN-06, PDN-16: what the provider publishes, and how far it got
    out["PrivateDnsName"] = s.private_dns_name;
    out["PrivateDnsNameConfiguration"] = {{"State", s.private_dns_state},
                                          {"Type", "TXT"},
                                          {"Value", s.private_dns_txt_value},
                                          {"Name", s.private_dns_txt_name}};
  }
  if (s.service_type == "Interface") {
    out["NetworkLoadBalancerArns"] = s.network_load_balancer_arns;
    out["BaseEndpointDnsNames"] = json::array({model::BaseEndpointDnsName(s, p.region)});  // DNS-04
  } else {
    out["GatewayLoadBalancerArns"] = s.gateway_load_balancer_arns;
  }
  return out;
}

// DescribeVpcEndpointServices' view of a service (in its owner's partition OWNER).
json ServiceDetailView(const model::Partition& owner, const model::VpcEndpointService& s) {
  const auto zones = model::ServiceAvailabilityZones(owner, s);  // IF-14: the same zone ids in every account
  json out = {{"ServiceName", s.service_name},
              {"ServiceId", s.id},
              {"ServiceType", json::array({{{"ServiceType", s.service_type}}})},
              {"AvailabilityZones", zones},
              {"AvailabilityZoneIds", ZoneIds(owner, zones)},
              {"Owner", s.owner_id},
              {"VpcEndpointPolicySupported", false},  // POL-06: a customer's service allows everything
              {"AcceptanceRequired", s.acceptance_required},
              {"ManagesVpcEndpoints", false},
              {"SupportedIpAddressTypes", s.supported_ip_address_types},
              {"Tags", TagsView(s.tags)}};
  if (s.service_type == "Interface")
    out["BaseEndpointDnsNames"] = json::array({model::BaseEndpointDnsName(s, owner.region)});
  if (!s.private_dns_name.empty()) {
    out["PrivateDnsName"] = s.private_dns_name;
    out["PrivateDnsNames"] = json::array({{{"PrivateDnsName", s.private_dns_name}}});
    out["PrivateDnsNameVerificationState"] = s.private_dns_state;
  }
  return out;
}

// One of amazon's services in REGION (com.amazonaws.REGION.NAME) as DescribeVpcEndpointServices
// shows it: in every zone, open to all, accepted at once, with policies.
json AmazonServiceDetail(const std::string& region, const std::string& name, const std::string& type,
                         const std::string& base_dns_name) {
  json zones = json::array(), zone_ids = json::array();
  if (const model::RegionInfo* r = model::FindRegion(region))
    for (const auto& z : r->zones) zones.push_back(z.name), zone_ids.push_back(z.id);
  const std::string service_name = "com.amazonaws." + region + "." + name;
  return {{"ServiceName", service_name},
          {"ServiceId", model::AwsServiceIdOfName(service_name)},
          {"ServiceType", json::array({{{"ServiceType", type}}})},
          {"AvailabilityZones", zones},
          {"AvailabilityZoneIds", zone_ids},
          {"Owner", "amazon"},
          {"BaseEndpointDnsNames", json::array({base_dns_name})},
          {"VpcEndpointPolicySupported", true},
          {"AcceptanceRequired", false},
          {"ManagesVpcEndpoints", false},
          {"SupportedIpAddressTypes", json::array({"ipv4"})},
          {"Tags", json::array()}};
}

json EndpointView(const model::Partition& p, const model::VpcEndpoint& e) {
  json groups = json::array();
  for (const auto& id : e.security_group_ids)
    if (auto g = p.security_groups.find(id); g != p.security_groups.end())
      groups.push_back({{"GroupId", id}, {"GroupName", g->second.group_name}});
  json dns = json::array();
  for (const auto& d : model::DnsEntriesOf(p, e)) dns.push_back({{"DnsName", d.dns_name}, {"HostedZoneId", d.hosted_zone_id}});
  json out = {{"VpcEndpointId", e.id},
              {"VpcEndpointType", e.type},
              {"VpcId", e.vpc_id},
              {"ServiceName", e.service_name},
              {"State", e.state},
              {"RouteTableIds", e.route_table_ids},
              {"SubnetIds", e.subnet_ids},
              {"Groups", groups},
              {"IpAddressType", e.ip_address_type},
              {"PrivateDnsEnabled", e.private_dns_enabled},
              {"RequesterManaged", false},
              {"NetworkInterfaceIds", e.network_interface_ids},
              {"DnsEntries", dns},
              {"CreationTimestamp", e.creation_timestamp},
              {"Tags", TagsView(e.tags)},
              {"OwnerId", e.owner_id}};
  if (e.type == "Interface") {
    out["DnsOptions"] = {{"DnsRecordIpType", e.dns_record_ip_type}};
    if (e.private_dns_enabled && model::GatewayServiceOf(e.service_name, p.region) == "s3")  // S3's option (GW-S3-1)
      out["DnsOptions"]["PrivateDnsOnlyForInboundResolverEndpoint"] = e.private_dns_only_for_inbound_resolver_endpoint;
  }
  if (!e.policy_document.empty()) out["PolicyDocument"] = e.policy_document;
  return out;
}

json NotificationView(const model::ConnectionNotification& n) {
  json out = {{"ConnectionNotificationId", n.id},
              {"ConnectionNotificationType", "Topic"},
              {"ConnectionNotificationArn", n.topic_arn},
              {"ConnectionEvents", n.events},
              {"ConnectionNotificationState", "Enabled"}};
  if (!n.service_id.empty()) out["ServiceId"] = n.service_id;
  if (!n.vpc_endpoint_id.empty()) out["VpcEndpointId"] = n.vpc_endpoint_id;
  return out;
}

std::vector<model::SubnetConfiguration> SubnetConfigurationsOf(const json& in) {
  std::vector<model::SubnetConfiguration> out;
  for (const auto& c : in.value("SubnetConfigurations", json::array()))
    out.push_back({.subnet_id = c.value("SubnetId", ""), .ipv4 = c.value("Ipv4", ""), .ipv6 = c.value("Ipv6", "")});
  return out;
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
  a.private_dns_name = Str(c.in, "PrivateDnsName");
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

json ModifyVpcEndpointServiceConfiguration(Call& c) {
  if (c.in.contains("AddSupportedRegions") || c.in.contains("RemoveSupportedRegions"))
    model::Fail("InvalidParameter", "openvpc serves endpoint services in their own Region only (SVC-02)");
  model::ModifyVpcEndpointServiceArgs a;
  if (c.in.contains("AcceptanceRequired")) a.acceptance_required = Bool(c.in, "AcceptanceRequired");
  a.add_network_load_balancer_arns = StrList(c.in, "AddNetworkLoadBalancerArns");
  a.remove_network_load_balancer_arns = StrList(c.in, "RemoveNetworkLoadBalancerArns");
  a.add_gateway_load_balancer_arns = StrList(c.in, "AddGatewayLoadBalancerArns");
  a.remove_gateway_load_balancer_arns = StrList(c.in, "RemoveGatewayLoadBalancerArns");
  a.add_supported_ip_address_types = StrList(c.in, "AddSupportedIpAddressTypes");
  a.remove_supported_ip_address_types = StrList(c.in, "RemoveSupportedIpAddressTypes");
  if (c.in.contains("PrivateDnsName")) a.private_dns_name = Str(c.in, "PrivateDnsName");
  if (c.in.contains("RemovePrivateDnsName")) a.remove_private_dns_name = Bool(c.in, "RemovePrivateDnsName");
  model::ModifyVpcEndpointServiceConfiguration(c.tx, Str(c.in, "ServiceId"), a);
  return {{"Return", true}};
}

json StartVpcEndpointServicePrivateDnsVerification(Call& c) {
  model::StartVpcEndpointServicePrivateDnsVerification(c.tx, Str(c.in, "ServiceId"));
  return {{"ReturnValue", true}};
}

json DescribeVpcEndpointServices(Call& c) {
  if (c.in.contains("ServiceRegions"))
    model::Fail("InvalidParameter", "openvpc serves endpoint services in their own Region only (SVC-02)");
  std::vector<json> items;
  const std::string& region = c.p().region;
  for (const auto& aws : model::AwsServices()) {  // inventory §2.2: the AWS services openvpc serves
    json d = AmazonServiceDetail(region, aws.name, "Interface", aws.name + "." + region + ".vpce.amazonaws.com");
    const std::string dns = model::AwsServiceDnsName(aws, region);
    d["PrivateDnsName"] = dns;
    d["PrivateDnsNames"] = json::array({{{"PrivateDnsName", dns}}});
    d["PrivateDnsNameVerificationState"] = "verified";
    items.push_back(std::move(d));
  }
  for (const auto& name : model::GatewayServiceNames())  // GW-01: S3 and DynamoDB, gateway endpoints
    items.push_back(AmazonServiceDetail(region, name, "Gateway", name + "." + region + ".amazonaws.com"));
  {  // S3 also takes interface endpoints (its own service id)
    json s3 = AmazonServiceDetail(region, "s3", "Interface", "s3." + region + ".vpce.amazonaws.com");
    s3["ServiceId"] = model::S3InterfaceService(region).id;
    items.push_back(std::move(s3));
  }
  if (c.tx.state) {
    for (auto [owner, svc] : model::VisibleServices(*c.tx.state, c.p().region, c.p().account_id))
      items.push_back(ServiceDetailView(*owner, *svc));
  } else {
    for (const auto& [id, svc] : c.p().vpc_endpoint_services) items.push_back(ServiceDetailView(c.p(), svc));
  }
  json out = Describe(kDescribeServiceDetails, c.in, std::move(items));
  json names = json::array();
  for (const auto& d : out["ServiceDetails"]) names.push_back(d["ServiceName"]);
  out["ServiceNames"] = names;
  return out;
}

json DeleteVpcEndpointServiceConfigurations(Call& c) {
  return ForEach(StrList(c.in, "ServiceIds"),
                 [&](const std::string& id) { model::DeleteVpcEndpointServiceConfiguration(c.tx, id); });
}

// PERM-01, PERM-03: an allowed principal as the API shows it, with a permission id of its own
// (the same for the same service and principal).
json PrincipalView(const std::string& service_id, const std::string& principal) {
  const std::string type = principal == "*"                                 ? "All"
                           : principal.find(":role/") != std::string::npos ? "Role"
                           : principal.find(":user/") != std::string::npos ? "User"
                                                                            : "Account";
  return {{"PrincipalType", type}, {"Principal", principal}, {"ServiceId", service_id},
          // vpce-svc-perm- and 17 hex digits: the same hash as an AWS service's id, of the pair
          {"ServicePermissionId",
           "vpce-svc-perm-" + model::AwsServiceIdOfName(service_id + " " + principal).substr(9)}};
}

const DescribeSpec kDescribePermissions = {
    .id_path = "ServicePermissionId", .list_member = "AllowedPrincipals",
    .filters = {{"principal", {"Principal"}}, {"principal-type", {"PrincipalType"}}},
    .taggable = false,
    .sort_paths = {"Principal"}};

json ModifyVpcEndpointServicePermissions(Call& c) {
  const std::string id = Str(c.in, "ServiceId");
  const std::vector<std::string> add = StrList(c.in, "AddAllowedPrincipals");
  model::ModifyVpcEndpointServicePermissions(c.tx, id, add, StrList(c.in, "RemoveAllowedPrincipals"));
  json added = json::array();
  for (const auto& principal : add) added.push_back(PrincipalView(id, principal));
  return {{"AddedPrincipals", added}, {"ReturnValue", true}};
}

json DescribeVpcEndpointServicePermissions(Call& c) {
  const auto& s = model::GetVpcEndpointService(c.p(), Str(c.in, "ServiceId"));
  std::vector<json> items;
  for (const auto& principal : s.allowed_principals) items.push_back(PrincipalView(s.id, principal));
  return Describe(kDescribePermissions, c.in, std::move(items));
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
                       {"NetworkLoadBalancerArns", s.network_load_balancer_arns},
                       {"GatewayLoadBalancerArns", s.gateway_load_balancer_arns},
                       {"DnsEntries", json::array()},
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
                                 .subnet_configurations = SubnetConfigurationsOf(c.in),
                                 .tags = CreateTagsFor(c, "vpc-endpoint")};
  if (c.in.contains("DnsOptions")) a.dns_record_ip_type = c.in["DnsOptions"].value("DnsRecordIpType", "");
  if (c.in.contains("DnsOptions") && c.in["DnsOptions"].contains("PrivateDnsOnlyForInboundResolverEndpoint"))
    a.private_dns_only_for_inbound_resolver_endpoint = Bool(c.in["DnsOptions"], "PrivateDnsOnlyForInboundResolverEndpoint");
  if (c.in.contains("PrivateDnsEnabled")) a.private_dns_enabled = Bool(c.in, "PrivateDnsEnabled");
  if (c.in.contains("PolicyDocument")) a.policy_document = Str(c.in, "PolicyDocument");
  if (c.in.contains("ServiceNetworkArn") || c.in.contains("ResourceConfigurationArn") || c.in.contains("ServiceRegion"))
    model::Fail("InvalidParameter", "openvpc serves endpoints to endpoint services of its own Region only");
  const auto& e = model::CreateVpcEndpoint(c.tx, a);
  json out = {{"VpcEndpoint", EndpointView(c.p(), e)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json ModifyVpcEndpoint(Call& c) {
  model::ModifyVpcEndpointArgs a{.add_subnet_ids = StrList(c.in, "AddSubnetIds"),
                                 .remove_subnet_ids = StrList(c.in, "RemoveSubnetIds"),
                                 .add_security_group_ids = StrList(c.in, "AddSecurityGroupIds"),
                                 .remove_security_group_ids = StrList(c.in, "RemoveSecurityGroupIds"),
                                 .add_route_table_ids = StrList(c.in, "AddRouteTableIds"),
                                 .remove_route_table_ids = StrList(c.in, "RemoveRouteTableIds"),
                                 .subnet_configurations = SubnetConfigurationsOf(c.in),
                                 .reset_policy = Bool(c.in, "ResetPolicy")};
  if (c.in.contains("PrivateDnsEnabled")) a.private_dns_enabled = Bool(c.in, "PrivateDnsEnabled");
  if (c.in.contains("PolicyDocument")) a.policy_document = Str(c.in, "PolicyDocument");
  if (c.in.contains("IpAddressType")) a.ip_address_type = Str(c.in, "IpAddressType");
  if (c.in.contains("DnsOptions")) a.dns_record_ip_type = c.in["DnsOptions"].value("DnsRecordIpType", "");
  if (c.in.contains("DnsOptions") && c.in["DnsOptions"].contains("PrivateDnsOnlyForInboundResolverEndpoint"))
    a.private_dns_only_for_inbound_resolver_endpoint = Bool(c.in["DnsOptions"], "PrivateDnsOnlyForInboundResolverEndpoint");
  const std::string id = Str(c.in, "VpcEndpointId");
  model::ModifyVpcEndpoint(c.tx, id, a);
  return {{"Return", true}};
}

json DescribeVpcEndpoints(Call& c) {
  std::vector<json> items;
  for (const auto& [id, e] : c.p().vpc_endpoints) items.push_back(EndpointView(c.p(), e));
  return Describe(kDescribeEndpoints, c.in, std::move(items));
}

json CreateVpcEndpointConnectionNotification(Call& c) {
  const auto& n = model::CreateVpcEndpointConnectionNotification(
      c.tx, {.service_id = Str(c.in, "ServiceId"),
             .vpc_endpoint_id = Str(c.in, "VpcEndpointId"),
             .topic_arn = Str(c.in, "ConnectionNotificationArn"),
             .events = StrList(c.in, "ConnectionEvents")});
  json out = {{"ConnectionNotification", NotificationView(n)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json ModifyVpcEndpointConnectionNotification(Call& c) {
  model::ModifyVpcEndpointConnectionNotification(c.tx, Str(c.in, "ConnectionNotificationId"),
                                                 Str(c.in, "ConnectionNotificationArn"),
                                                 StrList(c.in, "ConnectionEvents"));
  return {{"ReturnValue", true}};
}

json DescribeVpcEndpointConnectionNotifications(Call& c) {
  std::vector<json> items;
  for (const auto& [id, n] : c.p().connection_notifications) items.push_back(NotificationView(n));
  json in = c.in;  // one id, not a list
  if (in.contains("ConnectionNotificationId")) in["ConnectionNotificationId"] = json::array({in["ConnectionNotificationId"]});
  return Describe(kDescribeNotifications, in, std::move(items));
}

json DeleteVpcEndpointConnectionNotifications(Call& c) {
  return ForEach(StrList(c.in, "ConnectionNotificationIds"),
                 [&](const std::string& id) { model::DeleteVpcEndpointConnectionNotification(c.tx, id); });
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
  Register("ModifyVpcEndpoint", ModifyVpcEndpoint, true);
  Register("ModifyVpcEndpointServiceConfiguration", ModifyVpcEndpointServiceConfiguration, true);
  Register("DescribeVpcEndpointServices", DescribeVpcEndpointServices, false);
  Register("StartVpcEndpointServicePrivateDnsVerification", StartVpcEndpointServicePrivateDnsVerification, true);
  Register("CreateVpcEndpointConnectionNotification", CreateVpcEndpointConnectionNotification, true);
  Register("ModifyVpcEndpointConnectionNotification", ModifyVpcEndpointConnectionNotification, true);
  Register("DescribeVpcEndpointConnectionNotifications", DescribeVpcEndpointConnectionNotifications, false);
  Register("DeleteVpcEndpointConnectionNotifications", DeleteVpcEndpointConnectionNotifications, true);
}

}  // namespace openvpc::api
