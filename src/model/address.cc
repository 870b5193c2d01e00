// Elastic IP addresses (inventory-ec2-network-security.md §6; guide S, AA5, AA10).
#include "model/address.h"

#include <algorithm>
#include <set>

#include "model/internal.h"

namespace openvpc::model {
using namespace internal;

namespace {

std::function<void(Tx&, NetworkInterface&)>& UnmappedHook() {
  static std::function<void(Tx&, NetworkInterface&)> f;
  return f;
}

std::function<std::string(const Partition&, const std::string&)>& InstanceResolver() {
  static std::function<std::string(const Partition&, const std::string&)> f;
  return f;
}

NetworkInterface& GetInterface(Partition& p, const std::string& id) {
  auto it = p.network_interfaces.find(id);
  if (it == p.network_interfaces.end())
    Fail("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '" + id + "' does not exist");
  return it->second;
}

std::string PoolOf(const Tx& tx) { return tx.state ? tx.state->public_ipv4_pool : State().public_ipv4_pool; }

// Every public address held by an Elastic IP, in every partition.
std::set<uint32_t> AddressesInUse(const Tx& tx) {
  std::set<uint32_t> out;
  auto add = [&](const Partition& p) {
    for (const auto& [id, a] : p.addresses)
      if (auto ip = net::ParseIpv4(a.public_ip)) out.insert(ip->value);
    for (const auto& [id, eni] : p.network_interfaces)  // public addresses given at launch
      if (auto ip = net::ParseIpv4(eni.public_ip)) out.insert(ip->value);
  };
  if (tx.state) {
    for (const auto& [key, p] : tx.state->partitions) add(p);
    bool in_state = false;  // a partition not (yet) in the State still counts
    for (const auto& [key, p] : tx.state->partitions) in_state |= &p == &tx.p;
    if (!in_state) add(tx.p);
  } else {
    add(tx.p);
  }
  return out;
}


void Unmap(Tx& tx, Address& a) {
  a.association_id.clear();
  a.network_interface_id.clear();
  a.private_ip_address.clear();
  a.instance_id.clear();
  tx.Touch(a.allocation_id);
}

// The Elastic IP on this private address of this interface, or nullptr.
Address* AddressOn(Partition& p, const std::string& eni_id, const std::string& private_ip) {
  for (auto& [id, a] : p.addresses)
    if (a.network_interface_id == eni_id && a.private_ip_address == private_ip) return &a;
  return nullptr;
}

}  // namespace

Address& GetAddress(Partition& p, const std::string& allocation_id) {
  auto it = p.addresses.find(allocation_id);
  if (it == p.addresses.end())
    Fail("InvalidAllocationID.NotFound", "The allocation ID '" + allocation_id + "' does not exist");
  return it->second;
}

Address* FindAddressByPublicIp(Partition& p, const std::string& public_ip) {
  for (auto& [id, a] : p.addresses)
    if (a.public_ip == public_ip) return &a;
  return nullptr;
}

bool PublicIpv4InUse(const Tx& tx, const std::string& public_ip) {
  auto ip = net::ParseIpv4(public_ip);
  return ip && AddressesInUse(tx).count(ip->value) > 0;
}

Address& AllocateAddress(Tx& tx, const AllocateAddressArgs& a) {
  if (!a.domain.empty() && a.domain != "vpc")  // EIP-5: EC2-Classic is gone; this account is VPC-only
    Fail("InvalidParameterValue", "Invalid value '" + a.domain + "' for domain. Only 'vpc' is supported.");
  if (!a.network_border_group.empty() && a.network_border_group != tx.p.region)  // EIP-4: regional
    Fail("InvalidParameterValue", "Invalid network border group '" + a.network_border_group + "'.");
  if (!a.public_ipv4_pool.empty() && a.public_ipv4_pool != "amazon")
    Fail("InvalidParameterValue", "Invalid public IPv4 pool '" + a.public_ipv4_pool + "'.");
  // EIP-15 / S5: five per Region by default; a recovery counts too (EIP-13).
  if (static_cast<int>(tx.p.addresses.size()) >= tx.quotas.Get("elastic-ips-per-region"))
    Fail("AddressLimitExceeded", "The maximum number of addresses has been reached.");

  net::Cidr4 pool = ParseCidr4OrFail(PoolOf(tx), "PublicIpv4Pool");
  // The pool's network and broadcast addresses are never handed out (unless the pool is that small).
  uint32_t first = pool.Network().value, last = pool.Last().value;
  if (pool.prefix <= 30) ++first, --last;
  std::set<uint32_t> used = AddressesInUse(tx);

  uint32_t chosen = 0;
  if (!a.address.empty()) {  // EIP-13 / S6: recover a released address
    auto ip = net::ParseIpv4(a.address);
    if (!ip)
      Fail("InvalidParameterValue", "Value (" + a.address + ") for parameter Address is invalid. "
                                    "This is not a valid IPv4 address.");
    if (ip->value < first || ip->value > last || used.count(ip->value))
      Fail("InvalidAddressID.NotFound", "The requested IP address " + a.address + " does not exist or is unavailable");
    chosen = ip->value;
  } else {
    bool found = false;
    for (uint64_t v = first; v <= last; ++v)
      if (!used.count(static_cast<uint32_t>(v))) {
        chosen = static_cast<uint32_t>(v);
        found = true;
        break;
      }
    if (!found) Fail("InsufficientAddressCapacity", "There are not enough free addresses in the address pool.");
  }

  Address addr;
  addr.allocation_id = NewId("eipalloc");
  addr.owner_id = tx.p.account_id;
  addr.public_ip = net::Ipv4{chosen}.ToString();
  addr.domain = "vpc";
  addr.network_border_group = tx.p.region;
  addr.public_ipv4_pool = "amazon";
  addr.tags = a.tags;
  Address& stored = tx.p.addresses[addr.allocation_id] = std::move(addr);
  tx.Touch(stored.allocation_id);
  return stored;
}

std::string AssociateAddress(Tx& tx, const AssociateAddressArgs& a) {
  Partition& p = tx.p;
  if (a.allocation_id.empty()) {
    if (a.public_ip.empty())
      Fail("MissingParameter", "Either public IP or allocation id must be specified");
    if (!FindAddressByPublicIp(p, a.public_ip))
      Fail("InvalidAddress.NotFound", "Address '" + a.public_ip + "' not found.");
    Fail("InvalidParameterValue", "You must specify an allocation id when mapping an address to a VPC instance");
  }
  Address& addr = GetAddress(p, a.allocation_id);
  if (!a.public_ip.empty() && a.public_ip != addr.public_ip)
    Fail("InvalidParameterCombination", "The public IP " + a.public_ip + " does not belong to allocation " +
                                            a.allocation_id);

  // EIP-6: the target is a private IPv4 address of an interface; an instance means its primary one.
  if (a.network_interface_id.empty() && a.instance_id.empty())
    Fail("MissingParameter", "Either an instance ID or a network interface ID must be specified");
  if (!a.network_interface_id.empty() && !a.instance_id.empty())
    Fail("InvalidParameterCombination", "Specify either an instance ID or a network interface ID, not both");
  std::string eni_id = a.network_interface_id;
  if (!a.instance_id.empty()) {
    auto& resolve = InstanceResolver();
    eni_id = resolve ? resolve(p, a.instance_id) : "";
    if (eni_id.empty()) FailUnknownInstance(a.instance_id);
  }
  NetworkInterface& eni = GetInterface(p, eni_id);
  if (eni.private_ips.empty())
    Fail("InvalidParameterValue", "The network interface " + eni_id + " has no private IPv4 address");
  std::string private_ip = a.private_ip_address.empty() ? eni.PrimaryIp() : a.private_ip_address;
  if (std::none_of(eni.private_ips.begin(), eni.private_ips.end(),
                   [&](const PrivateIpAddress& ip) { return ip.address == private_ip; }))
    Fail("InvalidParameterValue",
         "The private IP address " + private_ip + " is not assigned to the network interface " + eni_id);
  // EIP-17 / S1: only a VPC with an internet gateway can carry public addresses.
  if (!AttachedInternetGateway(p, eni.vpc_id))
    Fail("Gateway.NotAttached", "Network " + eni.vpc_id + " is not attached to any internet gateway");

  // EIP-7: the address is associated elsewhere; EIP-8 / MI-9 / F5: the target already has one.
  Address* occupant = AddressOn(p, eni_id, private_ip);
  if (!a.allow_reassociation) {
    if (!addr.association_id.empty())
      Fail("Resource.AlreadyAssociated",
           "resource " + addr.allocation_id + " is already associated with associate-id " + addr.association_id);
    if (occupant)
      Fail("Resource.AlreadyAssociated", "resource " + eni_id + " (" + private_ip +
                                             ") is already associated with associate-id " + occupant->association_id);
  }
  if (occupant && occupant != &addr) Unmap(tx, *occupant);  // EIP-3/EIP-8: it stays allocated

  addr.association_id = NewId("eipassoc");
  addr.network_interface_id = eni_id;
  addr.private_ip_address = private_ip;
  addr.instance_id = !a.instance_id.empty() ? a.instance_id : eni.attachment ? eni.attachment->instance_id : "";
  tx.Touch(addr.allocation_id);
  // IP-13 (b), EIP-2: an Elastic IP on the primary address releases the public address given at
  // launch for good; from now on the internet gateway knows only the Elastic IP for it.
  if (private_ip == eni.PrimaryIp() && !eni.public_ip.empty()) {
    eni.public_ip.clear();
    tx.Touch(eni.id);
  }
  return addr.association_id;
}

void DisassociateAddress(Tx& tx, const std::string& association_id, const std::string& public_ip) {
  if (association_id.empty()) {
    if (public_ip.empty()) Fail("MissingParameter", "Either public IP or association id must be specified");
    if (!FindAddressByPublicIp(tx.p, public_ip))
      Fail("InvalidAddress.NotFound", "Address '" + public_ip + "' not found.");
    Fail("InvalidParameterValue", "You must specify an association id when unmapping an address from a VPC instance");
  }
  for (auto& [id, a] : tx.p.addresses)
    if (a.association_id == association_id) {
      auto eni = tx.p.network_interfaces.find(a.network_interface_id);
      if (eni != tx.p.network_interfaces.end() && eni->second.interface_type == "nat_gateway")  // K1
        Fail("OperationNotPermitted", "The Elastic IP address " + a.public_ip +
                                          " is in use by a NAT gateway and cannot be disassociated.");
      const std::string private_ip = a.private_ip_address;
      Unmap(tx, a);  // EIP-3: stays allocated until released
      if (eni != tx.p.network_interfaces.end() && private_ip == eni->second.PrimaryIp() && UnmappedHook())
        UnmappedHook()(tx, eni->second);
      return;
    }
  Fail("InvalidAssociationID.NotFound", "The association ID '" + association_id + "' does not exist");
}

void ReleaseAddress(Tx& tx, const std::string& allocation_id, const std::string& public_ip,
                    const std::string& network_border_group) {
  if (allocation_id.empty()) {
    if (public_ip.empty()) Fail("MissingParameter", "Either public IP or allocation id must be specified");
    if (!FindAddressByPublicIp(tx.p, public_ip))
      Fail("InvalidAddress.NotFound", "Address '" + public_ip + "' not found.");
    Fail("InvalidParameterValue", "You must specify an allocation id when releasing a VPC elastic IP address");
  }
  Address& a = GetAddress(tx.p, allocation_id);
  if (!public_ip.empty() && public_ip != a.public_ip)
    Fail("InvalidAddress.NotFound", "Address '" + public_ip + "' not found.");
  if (!network_border_group.empty() && network_border_group != a.network_border_group)
    Fail("InvalidAddress.NotFound", "Address '" + allocation_id + "' not found in network border group '" +
                                        network_border_group + "'.");
  if (!a.association_id.empty()) {
    // EIP-12 / AA10 / S4: refused while associated — except in the default VPC, where releasing
    // disassociates first (API Reference, ReleaseAddress).
    bool default_vpc = false;
    auto eni = tx.p.network_interfaces.find(a.network_interface_id);
    if (eni != tx.p.network_interfaces.end()) {
      auto vpc = tx.p.vpcs.find(eni->second.vpc_id);
      default_vpc = vpc != tx.p.vpcs.end() && vpc->second.is_default;
    }
    if (!default_vpc)
      Fail("InvalidIPAddress.InUse", "Address " + a.public_ip + " (" + allocation_id + ") is in use by " +
                                         a.association_id + "; disassociate it first.");
  }
  tx.p.addresses.erase(allocation_id);
  tx.Touch(allocation_id);
}

std::string PublicIpv4Of(const Partition& p, const NetworkInterface& eni, const std::string& private_ip) {
  for (const auto& [id, a] : p.addresses)
    if (a.network_interface_id == eni.id && a.private_ip_address == private_ip) return a.public_ip;
  return private_ip == eni.PrimaryIp() ? eni.public_ip : "";
}

std::optional<PublicIpv4Holder> PublicIpv4HolderOf(const Partition& p, const std::string& public_ip) {
  for (const auto& [id, a] : p.addresses) {
    if (a.public_ip != public_ip) continue;
    auto eni = p.network_interfaces.find(a.network_interface_id);
    if (eni == p.network_interfaces.end()) return std::nullopt;  // allocated, not associated
    return PublicIpv4Holder{&eni->second, a.private_ip_address};
  }
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.public_ip == public_ip) return PublicIpv4Holder{&eni, eni.PrimaryIp()};
  return std::nullopt;
}

std::string DefaultPtrRecord(const std::string& region, const std::string& public_ip) {
  std::string dashed = public_ip;
  std::replace(dashed.begin(), dashed.end(), '.', '-');
  return "ec2-" + dashed + (region == "us-east-1" ? ".compute-1.amazonaws.com" : "." + region + ".compute.amazonaws.com");
}

std::string InstanceIdOf(const Partition& p, const Address& a) {
  if (a.network_interface_id.empty()) return "";
  auto it = p.network_interfaces.find(a.network_interface_id);
  if (it == p.network_interfaces.end()) return a.instance_id;
  return it->second.attachment ? it->second.attachment->instance_id : "";
}

void OnNetworkInterfaceDeleted(Tx& tx, const std::string& eni_id) {
  for (auto& [id, a] : tx.p.addresses)
    if (a.network_interface_id == eni_id) Unmap(tx, a);
}

void OnPrivateIpAddressesUnassigned(Tx& tx, const std::string& eni_id, const std::vector<std::string>& addresses) {
  for (auto& [id, a] : tx.p.addresses)
    if (a.network_interface_id == eni_id &&
        std::find(addresses.begin(), addresses.end(), a.private_ip_address) != addresses.end())
      Unmap(tx, a);
}

void OnPrivateIpAddressMoved(Tx& tx, const std::string& from_eni_id, const std::string& to_eni_id,
                             const std::string& address) {
  Address* a = AddressOn(tx.p, from_eni_id, address);
  if (!a) return;
  a->network_interface_id = to_eni_id;
  auto eni = tx.p.network_interfaces.find(to_eni_id);
  a->instance_id = eni != tx.p.network_interfaces.end() && eni->second.attachment
                       ? eni->second.attachment->instance_id
                       : "";
  tx.Touch(a->allocation_id);
}

void RegisterAddressUnmappedHook(std::function<void(Tx&, NetworkInterface&)> f) { UnmappedHook() = std::move(f); }

void RegisterAddressInstanceResolver(std::function<std::string(const Partition&, const std::string&)> f) {
  InstanceResolver() = std::move(f);
}

void CheckNoMappedAddresses(const Partition& p, const std::string& resource_id) {
  if (resource_id.rfind("igw-", 0) != 0) return;
  auto g = p.internet_gateways.find(resource_id);
  if (g == p.internet_gateways.end()) return;
  for (const auto& att : g->second.attachments)
    for (const auto& [id, eni] : p.network_interfaces) {  // Elastic IPs and public addresses from launch
      bool mapped = !eni.public_ip.empty() ||
                    std::any_of(p.addresses.begin(), p.addresses.end(),
                                [&](const auto& kv) { return kv.second.network_interface_id == id; });
      if (mapped && eni.vpc_id == att.vpc_id)
        Fail("DependencyViolation", "Network " + att.vpc_id +
                                        " has some mapped public address(es). Please unmap those public "
                                        "address(es) before detaching the gateway.");
    }
}

std::string AllocatePublicIpv4(const Tx& tx) {
  net::Cidr4 pool = net::ParseCidr4(tx.state->public_ipv4_pool).value();
  std::set<uint32_t> used;
  for (const auto& [key, part] : tx.state->partitions)
    for (const auto& [id, eni] : part.network_interfaces)
      if (!eni.public_ip.empty()) used.insert(net::ParseIpv4(eni.public_ip).value().value);
  const uint32_t first = pool.Network().value + 1;
  const uint32_t count = pool.prefix >= 31 ? 0 : pool.Last().value - first;  // neither end of the block
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t ip = first + (tx.state->public_ipv4_cursor + i) % count;
    std::string text = net::Ipv4{ip}.ToString();
    if (used.count(ip) || PublicIpv4InUse(tx, text)) continue;
    tx.state->public_ipv4_cursor = ip - first + 1;
    return text;
  }
  Fail("InsufficientAddressCapacity", "There are no public IPv4 addresses left in the pool " +
                                          tx.state->public_ipv4_pool + ".");
}

}  // namespace openvpc::model
