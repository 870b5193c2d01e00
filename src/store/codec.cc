#include "store/codec.h"

#include <type_traits>

#include <nlohmann/json.hpp>

namespace openvpc::model {
// JSON forms of the resources; defaults fill members that older rows lack.
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Tag, key, value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(CidrBlockAssociation, association_id, cidr, state, network_border_group)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Vpc, id, owner_id, cidr_block, cidr_blocks, ipv6_cidr_blocks,
                                                dhcp_options_id, instance_tenancy, is_default, enable_dns_support,
                                                enable_dns_hostnames, enable_network_address_usage_metrics, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SubnetCidrReservation, id, cidr, reservation_type, description, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Subnet, id, owner_id, vpc_id, cidr_block, ipv6_native, availability_zone,
                                                availability_zone_id, ipv6_cidr_blocks, default_for_az,
                                                map_public_ip_on_launch, assign_ipv6_address_on_creation,
                                                enable_dns64, hostname_type, enable_resource_name_dns_a_record,
                                                enable_resource_name_dns_aaaa_record, cidr_reservations, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Route, destination_cidr_block, destination_ipv6_cidr_block,
                                                destination_prefix_list_id, target_member, target_id, origin)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RouteTableAssociation, id, main, subnet_id, gateway_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RouteTable, id, owner_id, vpc_id, routes, associations, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Attachment, vpc_id, state)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InternetGateway, id, owner_id, attachments, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EgressOnlyInternetGateway, id, owner_id, attachments, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(DhcpOptions, id, owner_id, configurations, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkAclEntry, rule_number, protocol, rule_action, egress,
                                                cidr_block, ipv6_cidr_block, icmp_type, icmp_code, port_from, port_to)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkAclAssociation, id, subnet_id)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkAcl, id, owner_id, vpc_id, is_default, entries, associations,
                                                entries_modified, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SecurityGroupRule, id, egress, ip_protocol, from_port, to_port,
                                                cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_group_id,
                                                referenced_user_id, description, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(SecurityGroup, id, owner_id, vpc_id, group_name, description, rules,
                                                egress_modified, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(KeyPair, id, owner_id, key_name, key_type, fingerprint, public_key,
                                                create_time, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PlacementGroup, group_id, owner_id, group_name, strategy,
                                                partition_count, spread_level, state, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PrivateIpAddress, address, primary)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkInterfaceAttachment, attachment_id, instance_id,
                                                instance_owner_id, device_index, network_card_index,
                                                delete_on_termination, status, attach_time)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Address, allocation_id, owner_id, public_ip, domain,
                                                network_border_group, public_ipv4_pool, association_id,
                                                network_interface_id, private_ip_address, instance_id, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VpcPeeringConnectionVpcInfo, owner_id, region, vpc_id, cidr_block,
                                                cidr_blocks, ipv6_cidr_blocks, allow_dns_resolution_from_remote_vpc)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VpcPeeringConnection, id, requester, accepter, status_code,
                                                status_message, expiration_time, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NatGateway, id, owner_id, subnet_id, vpc_id, connectivity_type, state,
                                                failure_code, failure_message, create_time, delete_time,
                                                allocation_id, network_interface_id, private_ip, public_ip,
                                                association_id, tags)
}  // namespace openvpc::model

// std::optional members: absent or null in JSON.
namespace nlohmann {
template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& o) { j = o ? json(*o) : json(nullptr); }
  static void from_json(const json& j, std::optional<T>& o) { o = j.is_null() ? std::nullopt : std::optional<T>(j.get<T>()); }
};
}  // namespace nlohmann

namespace openvpc::model {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(NetworkInterface, id, owner_id, subnet_id, vpc_id, availability_zone,
                                                description, mac_address, private_ips, ipv6_addresses, group_ids,
                                                source_dest_check, interface_type, requester_managed, requester_id,
                                                attachment, public_ip, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(InstanceMetadataOptions, http_tokens, http_put_response_hop_limit,
                                                http_endpoint, http_protocol_ipv6, instance_metadata_tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(EbsVolume, id, device_name, size, volume_type, iops, throughput,
                                                encrypted, delete_on_termination, snapshot_id, create_time, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Host, name, underlay, gateway, namespace_prefix, lease)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Instance, id, owner_id, reservation_id, image_id, instance_type,
                                                key_name, user_data, client_token, subnet_id, vpc_id,
                                                availability_zone, placement_group, tenancy, state,
                                                state_transition_reason, launch_time, terminated_at,
                                                ami_launch_index, auto_public_ip, disable_api_termination,
                                                shutdown_behavior, architecture, root_device_name, cpu_credits,
                                                hostname_type, resource_name_dns_a, resource_name_dns_aaaa,
                                                metadata_options, volumes, tags, host, partition_number,
                                                console_output, iam_instance_profile_arn, iam_instance_profile_id,
                                                iam_instance_profile_association_id,
                                                iam_instance_profile_associated_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadBalancerNode, subnet_id, availability_zone, network_interface_id,
                                                private_ip, ipv6_address, allocation_id, public_ip)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(LoadBalancer, arn, owner_id, name, id, type, scheme, vpc_id,
                                                ip_address_type, created_time, nodes, security_groups,
                                                enforce_security_group_inbound_rules_on_private_link_traffic,
                                                attributes, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(RegisteredTarget, id, port, availability_zone, health, reason,
                                                deregistered_at)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(TargetGroup, arn, owner_id, name, id, protocol, vpc_id, target_type,
                                                ip_address_type, port, health_check_protocol, health_check_port,
                                                health_check_path, matcher, health_check_enabled,
                                                health_check_interval, health_check_timeout, healthy_threshold,
                                                unhealthy_threshold, targets, attributes, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(Listener, arn, owner_id, load_balancer_arn, port, protocol,
                                                target_group_arn, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VpcEndpointService, id, owner_id, service_name, service_type,
                                                acceptance_required, network_load_balancer_arns,
                                                gateway_load_balancer_arns, allowed_principals,
                                                supported_ip_address_types, create_time, tags, private_dns_name,
                                                private_dns_state, private_dns_txt_name, private_dns_txt_value)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(PrefixListEntry, cidr, description)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ManagedPrefixList, id, owner_id, name, address_family, max_entries,
                                                version, state, entries, versions, tags)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ResourceRecordSet, name, type, ttl, values)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(HostedZone, id, name, caller_reference, comment, created, record_sets,
                                                changes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ConnectionNotification::Delivery, time, event, vpc_endpoint_id,
                                                vpc_endpoint_state, message)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(ConnectionNotification, id, owner_id, service_id, vpc_endpoint_id,
                                                topic_arn, events, deliveries)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT(VpcEndpoint, id, owner_id, type, vpc_id, service_name, service_id,
                                                service_owner_id, state, subnet_ids, network_interface_ids,
                                                ip_address_type, creation_timestamp, tags, security_group_ids,
                                                dns_suffix, private_dns_enabled, dns_record_ip_type, policy_document,
                                                route_table_ids, private_dns_name,
                                                private_dns_only_for_inbound_resolver_endpoint)
}  // namespace openvpc::model

namespace openvpc::store {

using nlohmann::json;
using model::Partition;

namespace {

// Calls fn(map) with the partition's map that holds ids of this prefix.
template <class Fn>
bool WithMap(Partition& p, const std::string& id, Fn&& fn) {
  auto is = [&](const char* prefix) { return id.rfind(prefix, 0) == 0; };
  if (is("vpc-")) return fn(p.vpcs), true;
  if (is("subnet-")) return fn(p.subnets), true;
  if (is("rtb-")) return fn(p.route_tables), true;
  if (is("igw-")) return fn(p.internet_gateways), true;
  if (is("eigw-")) return fn(p.egress_only_internet_gateways), true;
  if (is("dopt-")) return fn(p.dhcp_options), true;
  if (is("acl-")) return fn(p.network_acls), true;
  if (is("sg-")) return fn(p.security_groups), true;
  if (is("key-")) return fn(p.key_pairs), true;
  if (is("pg-")) return fn(p.placement_groups), true;
  if (is("eni-")) return fn(p.network_interfaces), true;
  if (is("i-")) return fn(p.instances), true;
  if (is("eipalloc-")) return fn(p.addresses), true;
  if (is("pcx-")) return fn(p.vpc_peering_connections), true;
  if (is("nat-")) return fn(p.nat_gateways), true;
  if (is("pl-")) return fn(p.managed_prefix_lists), true;
  if (is("vpce-svc-")) return fn(p.vpc_endpoint_services), true;  // before vpce-
  if (is("vpce-nfn-")) return fn(p.connection_notifications), true;  // before vpce-
  if (is("vpce-")) return fn(p.vpc_endpoints), true;
  if (is("Z")) return fn(p.hosted_zones), true;  // Route 53's ids: upper case, no dash
  if (is("arn:")) {  // ELBv2 resources are kept by ARN: the resource type follows the Region and account
    if (id.find(":loadbalancer/") != std::string::npos) return fn(p.load_balancers), true;
    if (id.find(":targetgroup/") != std::string::npos) return fn(p.target_groups), true;
    if (id.find(":listener/") != std::string::npos) return fn(p.listeners), true;
  }
  return false;
}

}  // namespace

std::string PartitionKey(const std::string& account, const std::string& region) {
  return "partition/" + account + "/" + region;
}

std::optional<Row> EncodeResource(const Partition& p, const std::string& id) {
  std::optional<Row> out;
  WithMap(const_cast<Partition&>(p), id, [&](auto& map) {
    auto it = map.find(id);
    if (it != map.end()) out = Row{id, p.account_id, p.region, json(it->second).dump()};
  });
  return out;
}

Row EncodePartition(const Partition& p) {
  json body = {{"default_vpc_created", p.default_vpc_created}, {"default_dhcp_options_id", p.default_dhcp_options_id}};
  return {PartitionKey(p.account_id, p.region), p.account_id, p.region, body.dump()};
}

model::State DecodeState(const std::vector<Row>& rows) {
  model::State state;
  for (const auto& row : rows)
    if (row.key.rfind("token/", 0) != 0) DecodeRow(state, row);
  return state;
}

std::string EncodeHost(const model::Host& h) { return json(h).dump(); }

model::Host DecodeHost(const std::string& body) { return json::parse(body).get<model::Host>(); }

void DecodeRow(model::State& state, const Row& row) {
  if (row.key.rfind(kHostKeyPrefix, 0) == 0) {
    model::Host h = DecodeHost(row.body);
    h.name = row.key.substr(std::string(kHostKeyPrefix).size());
    state.hosts[h.name] = std::move(h);
    return;
  }
  Partition& p = state.partitions[{row.account, row.region}];
  p.account_id = row.account;
  p.region = row.region;
  json body = json::parse(row.body);
  if (row.key.rfind("partition/", 0) == 0) {
    p.default_vpc_created = body.value("default_vpc_created", false);
    p.default_dhcp_options_id = body.value("default_dhcp_options_id", "");
    return;
  }
  WithMap(p, row.key, [&](auto& map) {
    using T = typename std::decay_t<decltype(map)>::mapped_type;
    map[row.key] = body.get<T>();
  });
}

void EraseResource(Partition& p, const std::string& id) {
  WithMap(p, id, [&](auto& map) { map.erase(id); });
}

void CopyResource(const Partition& from, Partition& to, const std::string& id) {
  to.account_id = from.account_id;
  to.region = from.region;
  if (id.empty()) {  // what EncodePartition stores
    to.default_vpc_created = from.default_vpc_created;
    to.default_dhcp_options_id = from.default_dhcp_options_id;
    return;
  }
  WithMap(to, id, [&](auto& map) {
    using Map = std::decay_t<decltype(map)>;
    const Map* source = nullptr;  // FROM's map of the same kind
    WithMap(const_cast<Partition&>(from), id, [&](auto& m) {
      if constexpr (std::is_same_v<std::decay_t<decltype(m)>, Map>) source = &m;
    });
    auto it = source->find(id);
    if (it == source->end()) map.erase(id);
    else map[id] = it->second;
  });
}

}  // namespace openvpc::store
