// The model as output-shape values. Derived members (route state, available addresses) come
// from the model's functions, so Describe and the data plane see the same answer.
#include <map>

#include "api/handlers.h"
#include "model/instance.h"
#include "model/network_interface.h"
#include "model/internet_gateway.h"
#include "model/load_balancer.h"
#include "model/route_target.h"
#include "model/subnet.h"
#include "model/tags.h"

namespace openvpc::api {

namespace {
// (service, operation) -> handler
std::map<std::pair<std::string, std::string>, HandlerInfo>& Table() {
  static std::map<std::pair<std::string, std::string>, HandlerInfo> table;
  return table;
}
}  // namespace

const HandlerInfo* FindHandler(const std::string& service, const std::string& op) {
  auto it = Table().find({service, op});
  return it == Table().end() ? nullptr : &it->second;
}

void Register(const std::string& op, Handler fn, bool writes, const std::string& service) {
  Table()[{service, op}] = {fn, writes};
}

void RegisterAllHandlers() {
  static bool done = [] {
    RegisterVpcHandlers();
    RegisterSubnetHandlers();
    RegisterRouteTableHandlers();
    RegisterGatewayHandlers();
    RegisterDhcpOptionsHandlers();
    RegisterTagHandlers();
    RegisterAccountHandlers();
    RegisterKeyPairHandlers();
    RegisterSecurityGroupHandlers();
    RegisterNetworkAclHandlers();
    RegisterNetworkInterfaceHandlers();
    RegisterInstanceHandlers();
    RegisterAddressHandlers();
    RegisterVpcPeeringHandlers();
    RegisterCatalogueHandlers();
    RegisterPlacementGroupHandlers();
    RegisterNatGatewayHandlers();
    RegisterInstanceOptionHandlers();
    RegisterVolumeHandlers();
    RegisterStsHandlers();
    RegisterSsmHandlers();
    RegisterElbv2Handlers();
    RegisterVpcEndpointHandlers();
    RegisterPrefixListHandlers();
    return true;
  }();
  (void)done;
}

std::string Str(const json& in, const char* member) {
  auto it = in.find(member);
  return it != in.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool Bool(const json& in, const char* member, bool fallback) {
  auto it = in.find(member);
  return it != in.end() && it->is_boolean() ? it->get<bool>() : fallback;
}

std::optional<bool> AttrBool(const json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end()) return std::nullopt;
  auto v = it->find("Value");
  if (v == it->end()) return std::nullopt;
  return v->get<bool>();
}

std::vector<std::string> StrList(const json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end()) return {};
  return it->get<std::vector<std::string>>();
}

model::TagList TagListOf(const json& tags) {
  model::TagList out;
  for (const auto& t : tags) out.push_back({t.value("Key", ""), t.value("Value", "")});
  return out;
}

model::TagList CreateTagsFor(Call& c, const std::string& resource_type) {
  std::vector<model::TagSpecification> specs;
  for (const auto& s : c.in.value("TagSpecifications", json::array()))
    specs.push_back({s.value("ResourceType", ""), TagListOf(s.value("Tags", json::array()))});
  return model::TagsFor(specs, resource_type, c.tx.quotas);
}

json TagsView(const model::TagList& tags) {
  json out = json::array();
  for (const auto& t : tags) out.push_back({{"Key", t.key}, {"Value", t.value}});
  return out;
}

json VpcCidrView(const model::CidrBlockAssociation& a) {
  return {{"AssociationId", a.association_id}, {"CidrBlock", a.cidr}, {"CidrBlockState", {{"State", a.state}}}};
}

json VpcIpv6CidrView(const model::CidrBlockAssociation& a) {
  return {{"AssociationId", a.association_id},
          {"Ipv6CidrBlock", a.cidr},
          {"Ipv6CidrBlockState", {{"State", a.state}}},
          {"NetworkBorderGroup", a.network_border_group},
          {"Ipv6Pool", "Amazon"},
          {"Ipv6AddressAttribute", "public"},
          {"IpSource", "amazon"}};
}

json VpcView(const model::Partition&, const model::Vpc& v) {
  json cidrs = json::array(), ipv6 = json::array();
  for (const auto& a : v.cidr_blocks) cidrs.push_back(VpcCidrView(a));
  for (const auto& a : v.ipv6_cidr_blocks) ipv6.push_back(VpcIpv6CidrView(a));
  return {{"VpcId", v.id},
          {"OwnerId", v.owner_id},
          {"State", "available"},
          {"CidrBlock", v.cidr_block},
          {"CidrBlockAssociationSet", cidrs},
          {"Ipv6CidrBlockAssociationSet", ipv6},
          {"DhcpOptionsId", v.dhcp_options_id},
          {"InstanceTenancy", v.instance_tenancy},
          {"IsDefault", v.is_default},
          {"BlockPublicAccessStates", {{"InternetGatewayBlockMode", "off"}}},
          {"Tags", TagsView(v.tags)}};
}

json SubnetIpv6CidrView(const model::CidrBlockAssociation& a) {
  return {{"AssociationId", a.association_id},
          {"Ipv6CidrBlock", a.cidr},
          {"Ipv6CidrBlockState", {{"State", a.state}}},
          {"Ipv6AddressAttribute", "public"},
          {"IpSource", "amazon"}};
}

json SubnetView(const model::Partition& p, const model::Subnet& s) {
  json ipv6 = json::array();
  for (const auto& a : s.ipv6_cidr_blocks) ipv6.push_back(SubnetIpv6CidrView(a));
  return {{"SubnetId", s.id},
          {"SubnetArn", "arn:aws:ec2:" + p.region + ":" + s.owner_id + ":subnet/" + s.id},
          {"OwnerId", s.owner_id},
          {"VpcId", s.vpc_id},
          {"State", "available"},
          {"CidrBlock", s.cidr_block.empty() ? json() : json(s.cidr_block)},
          {"AvailabilityZone", s.availability_zone},
          {"AvailabilityZoneId", s.availability_zone_id},
          {"AvailableIpAddressCount", model::AvailableIpAddressCount(p, s)},
          {"DefaultForAz", s.default_for_az},
          {"MapPublicIpOnLaunch", s.map_public_ip_on_launch},
          {"MapCustomerOwnedIpOnLaunch", false},
          {"AssignIpv6AddressOnCreation", s.assign_ipv6_address_on_creation},
          {"Ipv6CidrBlockAssociationSet", ipv6},
          {"Ipv6Native", s.ipv6_native},
          {"EnableDns64", s.enable_dns64},
          {"PrivateDnsNameOptionsOnLaunch",
           {{"HostnameType", s.hostname_type},
            {"EnableResourceNameDnsARecord", s.enable_resource_name_dns_a_record},
            {"EnableResourceNameDnsAAAARecord", s.enable_resource_name_dns_aaaa_record}}},
          {"BlockPublicAccessStates", {{"InternetGatewayBlockMode", "off"}}},
          {"Tags", TagsView(s.tags)}};
}

json RouteTableView(const model::Partition& p, const model::RouteTable& rt) {
  json routes = json::array(), assocs = json::array();
  for (const auto& r : rt.routes) {
    // A gateway endpoint's route is shown as one made by CreateRoute (the API's RouteOrigin has
    // no value of its own for it).
    json v = {{"Origin", r.origin == "CreateVpcEndpoint" ? "CreateRoute" : r.origin},
              {"State", model::RouteState(p, rt, r)}};
    for (const auto& [member, value] : model::RouteTargetMembers(p, rt, r)) v[member] = value;
    if (!r.destination_cidr_block.empty()) v["DestinationCidrBlock"] = r.destination_cidr_block;
    if (!r.destination_ipv6_cidr_block.empty()) v["DestinationIpv6CidrBlock"] = r.destination_ipv6_cidr_block;
    if (!r.destination_prefix_list_id.empty()) v["DestinationPrefixListId"] = r.destination_prefix_list_id;
    routes.push_back(std::move(v));
  }
  for (const auto& a : rt.associations) {
    json v = {{"Main", a.main},
              {"RouteTableAssociationId", a.id},
              {"RouteTableId", rt.id},
              {"AssociationState", {{"State", "associated"}}}};
    if (!a.subnet_id.empty()) v["SubnetId"] = a.subnet_id;
    if (!a.gateway_id.empty()) v["GatewayId"] = a.gateway_id;
    assocs.push_back(std::move(v));
  }
  return {{"RouteTableId", rt.id},     {"VpcId", rt.vpc_id},         {"OwnerId", rt.owner_id},
          {"Routes", routes},          {"Associations", assocs},     {"PropagatingVgws", json::array()},
          {"Tags", TagsView(rt.tags)}};
}

namespace {
json Attachments(const std::vector<model::Attachment>& list) {
  json out = json::array();
  for (const auto& a : list) out.push_back({{"VpcId", a.vpc_id}, {"State", a.state}});
  return out;
}
}  // namespace

json InternetGatewayView(const model::InternetGateway& g) {
  return {{"InternetGatewayId", g.id},
          {"OwnerId", g.owner_id},
          {"Attachments", Attachments(g.attachments)},
          {"Tags", TagsView(g.tags)}};
}

json EgressOnlyInternetGatewayView(const model::EgressOnlyInternetGateway& g) {
  return {{"EgressOnlyInternetGatewayId", g.id},
          {"Attachments", Attachments(g.attachments)},
          {"Tags", TagsView(g.tags)}};
}

json DhcpOptionsView(const model::DhcpOptions& d) {
  json configs = json::array();
  for (const auto& [key, values] : d.configurations) {
    json vs = json::array();
    for (const auto& v : values) vs.push_back({{"Value", v}});
    configs.push_back({{"Key", key}, {"Values", vs}});
  }
  return {{"DhcpOptionsId", d.id},
          {"OwnerId", d.owner_id},
          {"DhcpConfigurations", configs},
          {"Tags", TagsView(d.tags)}};
}

json GroupsView(const model::Partition& p, const std::vector<std::string>& ids) {
  json out = json::array();
  for (const auto& id : ids) {
    auto it = p.security_groups.find(id);
    out.push_back({{"GroupId", id}, {"GroupName", it == p.security_groups.end() ? "" : it->second.group_name}});
  }
  return out;
}

json AttachmentView(const model::NetworkInterfaceAttachment& a) {
  return {{"AttachmentId", a.attachment_id},   {"InstanceId", a.instance_id},
          {"InstanceOwnerId", a.instance_owner_id}, {"DeviceIndex", a.device_index},
          {"NetworkCardIndex", a.network_card_index}, {"DeleteOnTermination", a.delete_on_termination},
          {"Status", a.status},                {"AttachTime", a.attach_time}};
}

// Public DNS names exist only in VPCs with DNS hostnames enabled.
std::string PublicDnsNameIfEnabled(const model::Partition& p, const model::NetworkInterface& eni,
                                   const std::string& public_ip) {
  auto v = p.vpcs.find(eni.vpc_id);
  if (v == p.vpcs.end() || !v->second.enable_dns_hostnames) return "";
  return model::PublicDnsName(p.region, public_ip);
}

// The public address mapped to PRIVATE_IP of ENI, if an Elastic IP is associated with it.
std::optional<json> AssociationView(const model::Partition& p, const model::NetworkInterface& eni,
                                    const std::string& private_ip) {
  for (const auto& [id, a] : p.addresses)
    if (a.network_interface_id == eni.id && a.private_ip_address == private_ip)
      return json{{"AllocationId", a.allocation_id}, {"AssociationId", a.association_id},
                  {"IpOwnerId", a.owner_id},         {"PublicIp", a.public_ip},
                  {"PublicDnsName", PublicDnsNameIfEnabled(p, eni, a.public_ip)}};
  if (!eni.public_ip.empty() && private_ip == eni.PrimaryIp())  // the public address given at launch
    return json{{"IpOwnerId", "amazon"}, {"PublicIp", eni.public_ip},
                {"PublicDnsName", PublicDnsNameIfEnabled(p, eni, eni.public_ip)}};
  return std::nullopt;
}

json NetworkInterfaceView(const model::Partition& p, const model::NetworkInterface& eni) {
  json ips = json::array(), ipv6 = json::array();
  for (const auto& ip : eni.private_ips) {
    json v = {{"PrivateIpAddress", ip.address}, {"Primary", ip.primary},
              {"PrivateDnsName", model::PrivateDnsName(p.region, ip.address)}};
    if (auto a = AssociationView(p, eni, ip.address)) v["Association"] = *a;
    ips.push_back(v);
  }
  for (const auto& ip : eni.ipv6_addresses) ipv6.push_back({{"Ipv6Address", ip}, {"IsPrimaryIpv6", false}});
  std::string zone_id;
  if (auto s = p.subnets.find(eni.subnet_id); s != p.subnets.end()) zone_id = s->second.availability_zone_id;
  json v = {{"NetworkInterfaceId", eni.id},
            {"OwnerId", eni.owner_id},
            {"SubnetId", eni.subnet_id},
            {"VpcId", eni.vpc_id},
            {"AvailabilityZone", eni.availability_zone},
            {"AvailabilityZoneId", zone_id},
            {"Description", eni.description},
            {"Groups", GroupsView(p, eni.group_ids)},
            {"InterfaceType", eni.interface_type},
            {"Ipv6Addresses", ipv6},
            {"MacAddress", eni.mac_address},
            {"PrivateDnsName", model::PrivateDnsName(p.region, eni.PrimaryIp())},
            {"PrivateIpAddresses", ips},
            {"RequesterManaged", eni.requester_managed},
            {"SourceDestCheck", eni.source_dest_check},
            {"Status", eni.Status()},
            {"TagSet", TagsView(eni.tags)}};
  if (!eni.PrimaryIp().empty()) v["PrivateIpAddress"] = eni.PrimaryIp();  // none in an IPv6-only subnet
  if (eni.PrimaryIp().empty() && eni.attachment)  // the instance's resource name
    v["PrivateDnsName"] = model::ResourceDnsName(p.region, eni.attachment->instance_id);
  if (eni.requester_managed) v["RequesterId"] = eni.requester_id;
  // SG-04: whether the internet gateway carries anything in to its IPv6 addresses.
  if (!eni.ipv6_addresses.empty()) v["DenyAllIgwTraffic"] = model::DeniesIgwTraffic(p, eni);
  if (eni.attachment) v["Attachment"] = AttachmentView(*eni.attachment);
  if (auto a = AssociationView(p, eni, eni.PrimaryIp())) v["Association"] = *a;
  return v;
}

}  // namespace openvpc::api
