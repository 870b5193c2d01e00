// Network and Gateway Load Balancers and their listeners (issue 13; Elastic Load Balancing's
// API reference and user guides, the provider side of PrivateLink: seeds 003/004 SVC-01).
//
// A load balancer lives in one VPC with a node per Availability Zone: a requester-managed
// network interface in the subnet chosen for that zone ("ELB net/NAME/ID"), which users cannot
// delete and which holds its subnet (DeleteSubnet and DeleteVpc are refused while it lives).
// Internet-facing nodes have a public IPv4 address: the Elastic IP given in SubnetMappings, or
// one of the pool's. Its state is evaluated lazily, as NAT gateways' are: "provisioning" in the
// Create response, "active" from then on (botocore's load_balancer_available waiter succeeds on
// its first poll).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

// ARNs and names as AWS forms them.
std::string LoadBalancerArn(const std::string& region, const std::string& account, const std::string& type,
                            const std::string& name, const std::string& id);
// NAME-ID.elb.REGION.amazonaws.com
std::string LoadBalancerDnsName(const LoadBalancer& lb, const std::string& region);
// The Route 53 zone of the Region's Network Load Balancer names; "" where openvpc does not know it.
std::string CanonicalHostedZoneId(const std::string& region);
// "net" or "gwy", as the ARN and the nodes' interface descriptions say.
std::string LoadBalancerTypeTag(const LoadBalancer& lb);

// A name as CreateLoadBalancer and CreateTargetGroup take it: 1-32 alphanumerics or hyphens,
// not beginning or ending with a hyphen (ValidationError). WHAT is "Load balancer" or
// "Target group", as the message says.
void CheckElbName(const std::string& name, const std::string& what);
// The 16 hex digits that end a new ARN.
std::string NewElbId();
// Fails with ValidationError unless ARN has the form of KIND's ARN (loadbalancer, targetgroup,
// listener), with the message AWS gives.
void CheckElbArn(const std::string& arn, const std::string& kind);

LoadBalancer& GetLoadBalancer(Partition& p, const std::string& arn);  // LoadBalancerNotFound
std::string LoadBalancerState(const LoadBalancer& lb, std::chrono::system_clock::time_point now);

struct SubnetMapping {
  std::string subnet_id, allocation_id, private_ipv4_address, ipv6_address;
};
struct CreateLoadBalancerArgs {
  std::string name, type, scheme, ip_address_type;
  bool scheme_given = false;
  std::vector<std::string> subnets;         // Subnets
  std::vector<SubnetMapping> mappings;      // SubnetMappings
  std::vector<std::string> security_groups;
  bool security_groups_given = false;
  TagList tags;
};
// Idempotent as AWS's: the same name with the same settings answers the existing one; with
// other settings DuplicateLoadBalancerName.
const LoadBalancer& CreateLoadBalancer(Tx& tx, const CreateLoadBalancerArgs& a);
// Its listeners go, its nodes' interfaces are deleted and their Elastic IPs disassociated (not
// released). OperationNotPermitted under deletion protection.
void DeleteLoadBalancer(Tx& tx, const std::string& arn);

// Every attribute of the load balancer's type, with the value set or the default.
std::map<std::string, std::string> LoadBalancerAttributes(const LoadBalancer& lb);
// True when the internet gateway carries nothing in to ENI's IPv6 addresses (EC2's
// DenyAllIgwTraffic): a node of a Network Load Balancer whose ipv6.deny_all_igw_traffic is true
// (internal ones, by default), and an interface endpoint's interface (SG-04).
bool DeniesIgwTraffic(const Partition& p, const NetworkInterface& eni);
void ModifyLoadBalancerAttributes(Tx& tx, const std::string& arn,
                                  const std::vector<std::pair<std::string, std::string>>& changes);
bool CrossZoneEnabled(const LoadBalancer& lb);

// SetSubnets: zones may be added (a node each); a zone that has a node keeps it.
void SetLoadBalancerSubnets(Tx& tx, const std::string& arn, const std::vector<SubnetMapping>& mappings);
// SetSecurityGroups on a Network Load Balancer created with security groups (at least one stays).
void SetLoadBalancerSecurityGroups(Tx& tx, const std::string& arn, const std::vector<std::string>& groups,
                                   const std::string& enforce_on_private_link);
// SetIpAddressType: ipv4 | dualstack (the subnets need IPv6 blocks; nodes get IPv6 addresses).
void SetLoadBalancerIpAddressType(Tx& tx, const std::string& arn, const std::string& type);

Listener& GetListener(Partition& p, const std::string& arn);  // ListenerNotFound
struct ListenerArgs {
  std::string load_balancer_arn;
  std::optional<int> port;
  std::string protocol;
  std::string target_group_arn;
  bool has_certificates = false;
  TagList tags;
};
const Listener& CreateListener(Tx& tx, const ListenerArgs& a);
// Changes what ARGS sets (port, protocol, target group).
const Listener& ModifyListener(Tx& tx, const std::string& arn, const ListenerArgs& a);
void DeleteListener(Tx& tx, const std::string& arn);

// Tags of ELBv2 resources (load balancers, target groups, listeners), by ARN: at most 50 a
// resource (TooManyTags), a key once a request (DuplicateTagKeys), no "aws:" keys.
TagList& ElbTagsOf(Partition& p, const std::string& arn);
void CheckElbTags(const TagList& tags, const Quotas& q);
void AddElbTags(Tx& tx, const std::vector<std::string>& arns, const TagList& tags);
void RemoveElbTags(Tx& tx, const std::vector<std::string>& arns, const std::vector<std::string>& keys);

// What the load balancer's DNS name resolves to (A: IPV6 false, AAAA: true): its nodes'
// public addresses when internet-facing, else their private ones; only the nodes of zones
// where a target group of its listeners has a healthy target, all of them when none has
// (Elastic Load Balancing fails open).
std::vector<std::string> LoadBalancerDnsAddresses(const Partition& p, const LoadBalancer& lb, bool ipv6);
// The load balancer of P whose DNS name is NAME (lower case), or nullptr.
const LoadBalancer* LoadBalancerByDnsName(const Partition& p, const std::string& name);

// The listener of LB that takes packets of IP_PROTOCOL (6, 17) to PORT (TCP and TLS listeners
// carry TCP, UDP ones UDP, TCP_UDP ones both), or nullptr.
const Listener* ListenerFor(const Partition& p, const std::string& lb_arn, int ip_protocol, int port);

// The listeners of a load balancer, in ARN order.
std::vector<const Listener*> ListenersOf(const Partition& p, const std::string& lb_arn);
// The load balancer whose node interface ENI_ID is, or nullptr.
const LoadBalancer* LoadBalancerOfInterface(const Partition& p, const std::string& eni_id);

}  // namespace openvpc::model
