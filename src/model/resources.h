// The VPC resources, as AWS names them. Plain data: the rules that keep them consistent
// live in each concept's operations (vpc.h, subnet.h, route_table.h, …); derived values (route state, available address
// count) are computed there too, never stored.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace openvpc::model {

struct Tag {
  std::string key, value;
};
using TagList = std::vector<Tag>;

struct CidrBlockAssociation {  // an IPv4 or IPv6 block of a VPC or subnet
  std::string association_id;
  std::string cidr;
  std::string state = "associated";
  std::string network_border_group;  // IPv6 only
};

struct Vpc {
  std::string id, owner_id;
  std::string cidr_block;  // the primary IPv4 block; never disassociated (rule B12)
  std::vector<CidrBlockAssociation> cidr_blocks;  // primary first
  std::vector<CidrBlockAssociation> ipv6_cidr_blocks;  // at most one /56 (rule C1)
  std::string dhcp_options_id = "default";
  std::string instance_tenancy = "default";
  bool is_default = false;
  bool enable_dns_support = true;
  bool enable_dns_hostnames = false;
  bool enable_network_address_usage_metrics = false;
  TagList tags;
};

// A range of a subnet that automatic address assignment leaves alone
// (CreateSubnetCidrReservation): "explicit" ranges are assigned only when an address is asked
// for by name, "prefix" ranges are kept for prefix delegation.
struct SubnetCidrReservation {
  std::string id;  // scr-…
  std::string cidr, reservation_type, description;
  TagList tags;
};

struct Subnet {
  std::string id, owner_id, vpc_id;
  std::string cidr_block;  // empty in an IPv6-only subnet
  bool ipv6_native = false;  // IPv6-only: no IPv4 block, interfaces with IPv6 addresses only
  std::string availability_zone, availability_zone_id;
  std::vector<CidrBlockAssociation> ipv6_cidr_blocks;  // at most one /64 (rule C2)
  bool default_for_az = false;
  bool map_public_ip_on_launch = false;
  bool assign_ipv6_address_on_creation = false;
  bool enable_dns64 = false;
  std::string hostname_type = "ip-name";
  bool enable_resource_name_dns_a_record = false;
  bool enable_resource_name_dns_aaaa_record = false;
  std::vector<SubnetCidrReservation> cidr_reservations;
  TagList tags;
};

// A route's target is the output member that names it (GatewayId, NatGatewayId,
// EgressOnlyInternetGatewayId, ...) and the resource id it holds; "local" is a GatewayId.
struct Route {
  std::string destination_cidr_block;
  std::string destination_ipv6_cidr_block;
  std::string destination_prefix_list_id;
  std::string target_member;
  std::string target_id;
  std::string origin = "CreateRoute";  // or CreateRouteTable for local routes

  const std::string& Destination() const {
    return !destination_cidr_block.empty()        ? destination_cidr_block
           : !destination_ipv6_cidr_block.empty() ? destination_ipv6_cidr_block
                                                  : destination_prefix_list_id;
  }
  bool IsLocal() const { return target_member == "GatewayId" && target_id == "local"; }
};

struct RouteTableAssociation {
  std::string id;
  bool main = false;
  std::string subnet_id;   // a subnet association
  std::string gateway_id;  // an edge association (igw-, vgw-)
};

struct RouteTable {
  std::string id, owner_id, vpc_id;
  std::vector<Route> routes;
  std::vector<RouteTableAssociation> associations;
  TagList tags;
};

struct Attachment {
  std::string vpc_id;
  std::string state;
};

struct InternetGateway {
  std::string id, owner_id;
  std::vector<Attachment> attachments;  // at most one
  TagList tags;
};

struct EgressOnlyInternetGateway {
  std::string id, owner_id;
  std::vector<Attachment> attachments;
  TagList tags;
};

struct DhcpOptions {
  std::string id, owner_id;
  std::vector<std::pair<std::string, std::vector<std::string>>> configurations;  // key -> values
  TagList tags;
};

struct NetworkAclEntry {
  int rule_number = 0;
  std::string protocol = "-1";  // protocol number as a string, or -1 for all
  std::string rule_action;      // allow | deny
  bool egress = false;
  std::string cidr_block, ipv6_cidr_block;
  int icmp_type = -1, icmp_code = -1;
  int port_from = -1, port_to = -1;  // -1: not set
};

struct NetworkAclAssociation {
  std::string id, subnet_id;
};

struct NetworkAcl {
  std::string id, owner_id, vpc_id;
  bool is_default = false;
  std::vector<NetworkAclEntry> entries;
  std::vector<NetworkAclAssociation> associations;
  bool entries_modified = false;  // C9c: an IPv6 block adds rules 101/32768 only to an unmodified default ACL
  TagList tags;
};

struct SecurityGroupRule {
  std::string id;  // sgr-
  bool egress = false;
  std::string ip_protocol = "-1";
  int from_port = -1, to_port = -1;
  std::string cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_group_id;
  std::string referenced_user_id;  // the owner of referenced_group_id
  std::string description;
  TagList tags;
};

struct SecurityGroup {
  std::string id, owner_id, vpc_id;
  std::string group_name, description;
  std::vector<SecurityGroupRule> rules;
  bool egress_modified = false;  // C9b: an IPv6 block adds ::/0 egress only where egress was never changed
  TagList tags;
};

struct PrivateIpAddress {
  std::string address;
  bool primary = false;
};

struct NetworkInterfaceAttachment {
  std::string attachment_id;  // eni-attach-…
  std::string instance_id;
  std::string instance_owner_id;
  int device_index = 0;
  int network_card_index = 0;
  bool delete_on_termination = false;
  std::string status = "attached";  // attaching | attached | detaching | detached
  std::string attach_time;          // ISO 8601
};

struct NetworkInterface {
  std::string id, owner_id;  // eni-…
  std::string subnet_id, vpc_id, availability_zone;
  std::string description;
  std::string mac_address;                       // unique, locally administered 02:…
  std::vector<PrivateIpAddress> private_ips;     // the primary first
  std::vector<std::string> ipv6_addresses;
  std::vector<std::string> group_ids;            // at least one (the VPC's default group)
  bool source_dest_check = true;
  std::string interface_type = "interface";      // interface | nat_gateway | vpc_endpoint | …
  bool requester_managed = false;                // made by openvpc for its own resources
  std::string requester_id;                      // who made it, when requester-managed
  std::optional<NetworkInterfaceAttachment> attachment;
  std::string public_ip;  // the public IPv4 address AWS gives at launch (not an Elastic IP)
  TagList tags;

  // The primary private IPv4 address; empty for an interface of an IPv6-only subnet.
  const std::string& PrimaryIp() const {
    static const std::string kNone;
    return private_ips.empty() ? kNone : private_ips.front().address;
  }
  std::string Status() const { return attachment ? "in-use" : "available"; }
};

// An Elastic IP address (or the public IP AWS gives an instance at launch, which has no
// allocation and lives on its interface).
struct Address {
  std::string allocation_id;  // eipalloc-…
  std::string owner_id;
  std::string public_ip;
  std::string domain = "vpc";
  std::string network_border_group;
  std::string public_ipv4_pool = "amazon";
  std::string association_id;        // eipassoc-… while associated
  std::string network_interface_id;  // while associated
  std::string private_ip_address;    // while associated
  std::string instance_id;           // while associated with an instance's interface
  TagList tags;
};

// A NAT gateway (guide §1.8, K). Time-driven states are derived from the stored ones
// (model/nat_gateway.h): "pending" reads as available once created, "deleting" as deleted.
struct NatGateway {
  std::string id, owner_id;  // nat-…
  std::string subnet_id, vpc_id;
  std::string connectivity_type = "public";  // public | private
  std::string state = "pending";             // stored: pending | failed | deleting
  std::string failure_code, failure_message;
  std::string create_time, delete_time;      // ISO 8601; delete_time also when it failed
  // Its primary address: the requester-managed interface and, when public, the Elastic IP.
  std::string allocation_id, network_interface_id, private_ip, public_ip, association_id;
  TagList tags;
};

// A VPC peering connection lives in the requester's partition; the accepter's account and
// Region see it through AccepterVpcInfo (one record, two views).
struct VpcPeeringConnectionVpcInfo {
  std::string owner_id, region, vpc_id, cidr_block;
  std::vector<std::string> cidr_blocks, ipv6_cidr_blocks;
  bool allow_dns_resolution_from_remote_vpc = false;
};

struct VpcPeeringConnection {
  std::string id;  // pcx-…
  VpcPeeringConnectionVpcInfo requester, accepter;
  std::string status_code = "initiating-request";
  std::string status_message;
  std::string expiration_time;  // ISO 8601, while pending-acceptance
  TagList tags;
};

// How the instance metadata service answers an instance (ModifyInstanceMetadataOptions); the
// data plane's IMDS enforces it.
struct InstanceMetadataOptions {
  std::string http_tokens = "optional";         // optional (IMDSv1 and v2) | required (v2 only)
  int http_put_response_hop_limit = 1;           // the IP TTL of a token's reply, 1-64
  std::string http_endpoint = "enabled";        // enabled | disabled (IMDS answers 403)
  std::string http_protocol_ipv6 = "disabled";  // enabled | disabled
  std::string instance_metadata_tags = "disabled";  // enabled: the instance's tags under meta-data/tags/instance
};

// An EBS volume as a record (openvpc stores no disk data), created by an instance's launch (its
// image's root volume and the block device mappings asked for) and deleted with it when
// DeleteOnTermination.
struct EbsVolume {
  std::string id;           // vol-…
  std::string device_name;  // where the instance sees it (/dev/xvda)
  int size = 8;             // GiB
  std::string volume_type = "gp2";
  int iops = 100, throughput = 0;  // gp2: 3 IOPS per GiB (at least 100); gp3: 3,000 and 125 MiB/s
  bool encrypted = false;
  bool delete_on_termination = true;
  std::string snapshot_id, create_time;
  TagList tags;
};

// An instance, the networking side: its interfaces (attachment.instance_id == id) carry its
// addresses, groups and source/destination check.
struct Instance {
  std::string id, owner_id, reservation_id;  // i-…, r-…
  std::string image_id, instance_type, key_name;
  std::string user_data;  // base64, as sent
  std::string client_token;
  std::string subnet_id, vpc_id, availability_zone, placement_group, tenancy = "default";
  std::string state = "running";  // pending | running | stopping | stopped | shutting-down | terminated
  std::string state_transition_reason;
  std::string launch_time, terminated_at;  // ISO 8601
  int ami_launch_index = 0;
  bool auto_public_ip = false;  // the primary interface gets a public IPv4 address at each start
  bool disable_api_termination = false;
  std::string shutdown_behavior = "stop";
  std::string architecture = "x86_64", root_device_name = "/dev/xvda";  // its image's
  std::string cpu_credits;  // burstable performance types: standard | unlimited; others: none
  // Its subnet's PrivateDnsNameOptionsOnLaunch when it launched: which private name it has
  // (ip-name or resource-name) and whether the resolver answers its resource name with A and
  // AAAA records.
  std::string hostname_type = "ip-name";
  bool resource_name_dns_a = false, resource_name_dns_aaaa = false;
  InstanceMetadataOptions metadata_options;
  // IamInstanceProfile at launch: arn:aws:iam::ACCOUNT:instance-profile/NAME and its id (AIPA…).
  // openvpc has no IAM: the profile's role is named as the profile, and its temporary
  // credentials (instance metadata, api/session_credentials.h) act as the account.
  std::string iam_instance_profile_arn, iam_instance_profile_id;
  std::string iam_instance_profile_association_id, iam_instance_profile_associated_at;  // iip-assoc-…, ISO 8601
  std::vector<EbsVolume> volumes;  // its EBS volumes, the root volume first (none: launched before openvpc kept them)
  // The openvpc host that runs it (model/host.h); empty on one machine, where the server's own
  // data plane runs every instance. Not AWS's Placement.HostId (Dedicated Hosts).
  std::string host;
  int partition_number = 0;  // in a partition placement group: 1..partition count
  // What its console printed, as its host last reported it (many hosts: the API servers answer
  // GetConsoleOutput from here; one machine reads the data plane's file instead).
  std::string console_output;
  TagList tags;
};

struct KeyPair {
  std::string id;  // key-…
  std::string owner_id;
  std::string key_name;
  std::string key_type = "rsa";  // rsa | ed25519
  std::string fingerprint;
  std::string public_key;   // OpenSSH form ("ssh-rsa AAAA… name"), what instances receive
  std::string create_time;  // ISO 8601
  TagList tags;
};

// A placement group (inventory-ec2-network-security §8). Addressed by name in most calls; kept by id.
struct PlacementGroup {
  std::string group_id;  // pg-…
  std::string owner_id;
  std::string group_name;          // unique per account and Region (PG-2)
  std::string strategy = "cluster";  // cluster | spread | partition
  int partition_count = 0;         // partition groups only
  std::string spread_level;        // spread groups only: rack
  std::string state = "available";
  TagList tags;
};

// A machine of openvpc's that runs instances (issue 12): an agent registered in the shared store
// with a lease. Live while its lease is; not stored with the resources.
struct Host {
  std::string name;
  std::string underlay;          // the address other hosts send its instances' traffic to
  bool gateway = false;          // also runs NAT gateways and the internet gateway path
  std::string namespace_prefix;  // its instances' namespaces: PREFIX + instance id
  int64_t lease = 0;             // the store's lease that keeps it registered
};

// Elastic Load Balancing (ELBv2, issue 13): Network and Gateway Load Balancers, their target
// groups and listeners, in the partition of the account and Region that made them, kept by ARN.
// The rules are model/load_balancer.h and model/target_group.h.

// A load balancer's presence in one Availability Zone: a requester-managed interface in the
// subnet chosen for that zone, with its private address and, when internet-facing, its public
// address (an Elastic IP of the account's, or one of the pool's).
struct LoadBalancerNode {
  std::string subnet_id, availability_zone, network_interface_id;
  std::string private_ip, ipv6_address;
  std::string allocation_id;  // the Elastic IP asked for in SubnetMappings
  std::string public_ip;
};

struct LoadBalancer {
  std::string arn, owner_id;
  std::string name, id;              // the ARN's last two parts: NAME/ID (16 hex digits)
  std::string type = "network";      // network | gateway
  std::string scheme = "internet-facing";  // internet-facing | internal (gateway: none)
  std::string vpc_id, ip_address_type = "ipv4", created_time;
  std::vector<LoadBalancerNode> nodes;  // one per zone, in the order they were asked for
  std::vector<std::string> security_groups;  // network only; none when created without
  std::string enforce_security_group_inbound_rules_on_private_link_traffic = "on";
  std::map<std::string, std::string> attributes;  // the ones set; the rest are the type's defaults
  TagList tags;
};

// A target registered with a target group. Health is what the data plane's checks last
// reported (model::ReportTargetHealth); a deregistered target drains until deregistered_at +
// the group's deregistration delay.
struct RegisteredTarget {
  std::string id;        // an instance id, or an IP address
  int port = 0;
  std::string availability_zone;  // "all" for an ip target outside the VPC
  std::string health = "initial";  // initial | healthy | unhealthy
  std::string reason = "Elb.RegistrationInProgress";
  std::string deregistered_at;     // ISO 8601 while draining
};

struct TargetGroup {
  std::string arn, owner_id, name, id;
  std::string protocol, vpc_id, target_type = "instance", ip_address_type = "ipv4";
  int port = 0;
  std::string health_check_protocol, health_check_port = "traffic-port", health_check_path, matcher;
  bool health_check_enabled = true;
  int health_check_interval = 30, health_check_timeout = 10, healthy_threshold = 5, unhealthy_threshold = 2;
  std::vector<RegisteredTarget> targets;
  std::map<std::string, std::string> attributes;
  TagList tags;
};

// A listener: the port and protocol a load balancer accepts, forwarding to one target group.
struct Listener {
  std::string arn, owner_id, load_balancer_arn;
  int port = 0;
  std::string protocol;
  std::string target_group_arn;  // the default action: forward
  TagList tags;
};

// PrivateLink (issue 14; the PrivateLink guides, inventory-privatelink.md): an endpoint service
// in its owner's partition, endpoints in their owners'. Gateway Load Balancer endpoints come
// first (issue 13: what steers traffic to a Gateway Load Balancer).
struct VpcEndpointService {
  std::string id, owner_id;      // vpce-svc-…
  std::string service_name;      // com.amazonaws.vpce.REGION.vpce-svc-…
  std::string service_type;      // Interface | GatewayLoadBalancer
  bool acceptance_required = true;
  std::vector<std::string> network_load_balancer_arns, gateway_load_balancer_arns;
  std::vector<std::string> allowed_principals;  // ARNs, or "*" (SVC-04: nobody by default)
  std::vector<std::string> supported_ip_address_types = {"ipv4"};
  std::string create_time;
  TagList tags;
  // The private DNS name consumers' endpoints may use (PDN-01), once verified by the TXT record
  // NAME.domain = VALUE in public DNS (PDN-06): pendingVerification | verified | failed.
  std::string private_dns_name, private_dns_state, private_dns_txt_name, private_dns_txt_value;
};

// A Route 53 public hosted zone (Z…): the records the simulated internet's DNS answers for a
// domain (model/hosted_zone.h). Global in AWS; kept in the partition of its account's requests
// (us-east-1, where Route 53's endpoint signs).
struct ResourceRecordSet {
  std::string name;  // lower case, with the trailing dot
  std::string type;  // A | AAAA | CNAME | TXT | MX | NS | SOA | SRV | CAA | PTR | SPF | NAPTR | DS
  int64_t ttl = 300;
  std::vector<std::string> values;
};
struct HostedZone {
  std::string id;    // Z and 20 characters of [A-Z0-9]
  std::string name;  // lower case, with the trailing dot
  std::string caller_reference, comment, created;
  std::vector<ResourceRecordSet> record_sets;  // the apex SOA and NS first
  // The changes made to it (C…, submitted at), the latest 100: GetChange finds them.
  std::vector<std::pair<std::string, std::string>> changes;
};

// A managed prefix list (pl-…): CIDR blocks of one address family, at most max_entries, that
// security group rules and routes reference by id; every change of its entries is a new version.
struct PrefixListEntry {
  std::string cidr, description;
};
struct ManagedPrefixList {
  std::string id, owner_id;
  std::string name, address_family;  // IPv4 | IPv6
  int max_entries = 0;
  int64_t version = 1;
  std::string state = "create-complete";
  std::vector<PrefixListEntry> entries;
  std::vector<std::vector<PrefixListEntry>> versions;  // versions[v - 1]: the entries of version v
  TagList tags;
};

// A connection notification (NTF-01): events of one endpoint or of one service to an SNS topic.
struct ConnectionNotification {
  std::string id, owner_id;     // vpce-nfn-…
  std::string service_id, vpc_endpoint_id;  // one of the two
  std::string topic_arn;
  std::vector<std::string> events;  // Connect | Accept | Reject | Delete
  // openvpc runs no SNS: the messages it would have published, the latest kept (newest last).
  struct Delivery {
    std::string time, event, vpc_endpoint_id, vpc_endpoint_state, message;
  };
  std::vector<Delivery> deliveries;
};

struct VpcEndpoint {
  std::string id, owner_id;      // vpce-…
  std::string type;              // Interface | Gateway | GatewayLoadBalancer
  std::string vpc_id, service_name, service_id, service_owner_id;
  std::string state = "pendingAcceptance";  // pendingAcceptance | available | rejected
  std::vector<std::string> subnet_ids, network_interface_ids;
  std::string ip_address_type = "ipv4";
  std::string creation_timestamp;
  TagList tags;
  // Interface endpoints: the groups of its interfaces (IF-08), the suffix of its DNS names
  // (DNS-02: vpce-…-SUFFIX.…), private DNS (DNS-10, DNS-20) and the record types (DNS-13).
  std::vector<std::string> security_group_ids;
  std::string dns_suffix;
  bool private_dns_enabled = false;
  // An endpoint to a customer's service with private DNS: the service's verified private DNS name
  // it answers inside its VPC (PDN-05: kept when the service's verification fails later).
  std::string private_dns_name;
  std::string dns_record_ip_type = "ipv4";
  // An S3 interface endpoint's private DNS only for the inbound Resolver endpoint (GW-S3-1): the
  // VPC's own queries get S3's public addresses (and its gateway endpoint) instead.
  bool private_dns_only_for_inbound_resolver_endpoint = false;
  std::string policy_document;  // interface and gateway endpoints of AWS services (POL-01)
  std::vector<std::string> route_table_ids;  // gateway endpoints: the tables with its route (GW-04)
};

}  // namespace openvpc::model
