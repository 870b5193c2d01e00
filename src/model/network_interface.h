// Elastic network interfaces: addresses from their subnet (never one of its five reserved
// ones, A5), unique MAC addresses, security groups of their VPC, attachment to instances
// (inventory-ec2-network-security.md §5, §7; guide E, F).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/state.h"
#include "net/ip.h"

namespace openvpc::model {

NetworkInterface& GetNetworkInterface(Partition& p, const std::string& id);

struct CreateNetworkInterfaceArgs {
  std::string subnet_id, description;
  std::string private_ip_address;                             // the primary, or "" to pick one
  std::vector<std::pair<std::string, bool>> private_ips;      // address, primary
  int secondary_private_ip_count = 0;
  std::vector<std::string> ipv6_addresses;
  int ipv6_address_count = 0;
  std::vector<std::string> group_ids;                         // empty: the VPC's default group
  std::string interface_type = "interface";
  bool requester_managed = false;                             // openvpc's own (NAT gateways, …)
  std::string requester_id;
  TagList tags;
};
NetworkInterface& CreateNetworkInterface(Tx& tx, const CreateNetworkInterfaceArgs& a);
// `by_requester` deletes a requester-managed interface (its owner resource is going away).
void DeleteNetworkInterface(Tx& tx, const std::string& eni_id, bool by_requester = false);

void SetNetworkInterfaceGroups(Tx& tx, const std::string& eni_id, const std::vector<std::string>& group_ids);
void SetNetworkInterfaceSourceDestCheck(Tx& tx, const std::string& eni_id, bool value);
void SetNetworkInterfaceDescription(Tx& tx, const std::string& eni_id, const std::string& value);
void SetNetworkInterfaceDeleteOnTermination(Tx& tx, const std::string& eni_id, const std::string& attachment_id,
                                            bool value);

// Returns the addresses assigned. Either ADDRESSES or COUNT.
std::vector<std::string> AssignPrivateIpAddresses(Tx& tx, const std::string& eni_id,
                                                  const std::vector<std::string>& addresses, int count,
                                                  bool allow_reassignment);
void UnassignPrivateIpAddresses(Tx& tx, const std::string& eni_id, const std::vector<std::string>& addresses);
std::vector<std::string> AssignIpv6Addresses(Tx& tx, const std::string& eni_id,
                                             const std::vector<std::string>& addresses, int count);
std::vector<std::string> UnassignIpv6Addresses(Tx& tx, const std::string& eni_id,
                                               const std::vector<std::string>& addresses);

// Attachments. Instances come with a later part of this issue; they register how an instance
// id is checked and how many interfaces and addresses its type allows.
struct InstanceNetworkLimits {
  std::string availability_zone;  // an interface attaches only to an instance in its zone
  int max_interfaces = 0;
  int max_ipv4_per_interface = 0;
  int max_ipv6_per_interface = 0;
};
void RegisterInstanceResolver(std::function<std::optional<InstanceNetworkLimits>(const Partition&, const std::string&)> f);
std::string AttachNetworkInterface(Tx& tx, const std::string& eni_id, const std::string& instance_id, int device_index);
void DetachNetworkInterface(Tx& tx, const std::string& attachment_id, bool force);

// The addresses of a subnet that the VPC router owns: base+1 (router), +2 (DNS), +3 (future
// use) of the IPv4 block (A5), ::1, ::2, ::3 of the IPv6 block (C4). No interface gets them
// (nor the network address or the last address), and the router answers ARP and neighbour
// solicitations for them.
bool IsRouterAddress(const net::Cidr4& subnet, net::Ipv4 ip);
bool IsRouterAddress(const net::Cidr6& subnet, const net::Ipv6& ip);

// "ip-10-0-0-5.ec2.internal" (us-east-1) or "ip-10-0-0-5.REGION.compute.internal".
// EC2's private DNS names: the domain (ec2.internal in us-east-1, REGION.compute.internal
// elsewhere), the IP name of an IPv4 address (ip-10-0-1-5.ec2.internal; "" for no address) and
// the resource name of an instance (i-0123456789abcdef0.ec2.internal), which is the only one an
// instance of an IPv6-only subnet has.
std::string PrivateDnsDomain(const std::string& region);
std::string PrivateDnsName(const std::string& region, const std::string& ipv4);
std::string ResourceDnsName(const std::string& region, const std::string& instance_id);
// How many IPv4 addresses of a subnet interfaces hold.
int UsedIpv4Addresses(const Partition& p, const std::string& subnet_id);

}  // namespace openvpc::model
