// Elastic IP addresses: allocation from the public IPv4 pool, association with a private IPv4
// address of a network interface, release and recovery. Rule ids: EIP-1 … EIP-18 of §6 of
// shared/spec/inventory-ec2-network-security.md, S1-S6 and AA5/AA10 of
// shared/spec/inventory-vpc-guide.md.
//
// An address is associated with one private IPv4 address of one interface at a time, and a
// private address holds at most one Elastic IP (MI-9, F5). Associating "with an instance" means
// its primary interface (EIP-6); instances plug in through RegisterAddressInstanceResolver.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

// By allocation id; InvalidAllocationID.NotFound otherwise.
Address& GetAddress(Partition& p, const std::string& allocation_id);
// By public IP in this partition, or nullptr.
Address* FindAddressByPublicIp(Partition& p, const std::string& public_ip);

// True when PUBLIC_IP is held by an Elastic IP of any account in any Region (public addresses
// are unique everywhere, like AWS's).
bool PublicIpv4InUse(const Tx& tx, const std::string& public_ip);
// A free public IPv4 address of the pool, as AWS gives one at launch (instances' interfaces,
// internet-facing load balancers' nodes): held by no Elastic IP and no interface, anywhere; the
// next one after the last handed out (IP-12: a released address is not reused at once).
// InsufficientAddressCapacity when the pool is exhausted.
std::string AllocatePublicIpv4(const Tx& tx);

struct AllocateAddressArgs {
  std::string domain;                // "" or "vpc"
  std::string address;               // EIP-13 / S6: recover this address if it is free
  std::string network_border_group;  // "" or the Region
  std::string public_ipv4_pool;      // "" or "amazon"
  TagList tags;                      // S6: a recovered address comes back without its old tags
};
// EIP-15 / S5 (quota elastic-ips-per-region → AddressLimitExceeded). Addresses come from the
// State's public_ipv4_pool, never its network or broadcast address, and are unique across all
// partitions.
Address& AllocateAddress(Tx& tx, const AllocateAddressArgs& a);

struct AssociateAddressArgs {
  std::string allocation_id;
  std::string public_ip;           // EC2-Classic's way; refused for VPC addresses
  std::string network_interface_id;
  std::string instance_id;         // its primary interface (EIP-6)
  std::string private_ip_address;  // one of the interface's; default its primary
  bool allow_reassociation = false;
};
// Returns the new association id (eipassoc-…). EIP-7/EIP-8: an address already associated, or a
// private address that already has one, is refused with Resource.AlreadyAssociated unless
// allow_reassociation (then it moves, and the address it displaces stays allocated, EIP-3).
// EIP-17: the interface's VPC must have an internet gateway attached (Gateway.NotAttached).
std::string AssociateAddress(Tx& tx, const AssociateAddressArgs& a);

// By association id (or, refused for VPC addresses, by public IP). EIP-3: stays allocated.
void DisassociateAddress(Tx& tx, const std::string& association_id, const std::string& public_ip = "");

// EIP-12 / AA10 / S4: refused while associated (InvalidIPAddress.InUse), except in the default
// VPC, where the API Reference says releasing disassociates first.
void ReleaseAddress(Tx& tx, const std::string& allocation_id, const std::string& public_ip = "",
                    const std::string& network_border_group = "");

// The public IPv4 address by which PRIVATE_IP of ENI is reached: the Elastic IP associated with
// it or, for the primary address, the public address AWS gave at launch; "" when none.
std::string PublicIpv4Of(const Partition& p, const NetworkInterface& eni, const std::string& private_ip);

// The other way: the interface and private address that PUBLIC_IP stands for (an Elastic IP's
// association, or the address given at launch for an interface's primary address), or nullopt.
// This is the internet gateway's 1:1 NAT table (I2): one public address, one private address.
struct PublicIpv4Holder {
  const NetworkInterface* eni = nullptr;
  std::string private_ip;
};
std::optional<PublicIpv4Holder> PublicIpv4HolderOf(const Partition& p, const std::string& public_ip);

// The reverse DNS name AWS gives a public address by default:
// ec2-198-51-100-7.compute-1.amazonaws.com (us-east-1), ec2-…REGION.compute.amazonaws.com elsewhere.
std::string DefaultPtrRecord(const std::string& region, const std::string& public_ip);

// The interface an Elastic IP on this address is associated with reports this instance, if any.
std::string InstanceIdOf(const Partition& p, const Address& a);

// ---- hooks for the code that owns interfaces and instances ----

// Deleting an interface disassociates its Elastic IPs (they stay allocated).
void OnNetworkInterfaceDeleted(Tx& tx, const std::string& eni_id);
// MI-9: unassigning a secondary private address disassociates its Elastic IP …
void OnPrivateIpAddressesUnassigned(Tx& tx, const std::string& eni_id, const std::vector<std::string>& addresses);
// … and a secondary address moved to another interface keeps it.
void OnPrivateIpAddressMoved(Tx& tx, const std::string& from_eni_id, const std::string& to_eni_id,
                             const std::string& address);

// Instances: the primary interface (device index 0) of an instance id, or "" when no such
// instance exists (InvalidInstanceID.NotFound). Until instances exist, none is found.
void RegisterAddressInstanceResolver(std::function<std::string(const Partition&, const std::string&)> f);

// IP-13 (c): after DisassociateAddress takes an Elastic IP off an interface's primary address,
// the owner of instances may give the interface a new public address.
void RegisterAddressUnmappedHook(std::function<void(Tx&, NetworkInterface&)> f);

// AA5: DetachInternetGateway is refused while the gateway's VPC has interfaces with Elastic IPs.
// A dependency check (RegisterDependencyCheck) that acts on internet gateway ids.
void CheckNoMappedAddresses(const Partition& p, const std::string& resource_id);

}  // namespace openvpc::model
