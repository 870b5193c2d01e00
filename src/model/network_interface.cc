#include "model/network_interface.h"

#include <algorithm>
#include <random>
#include <set>

#include "model/address.h"
#include "model/internal.h"
#include "model/security_group.h"

namespace openvpc::model {
using namespace internal;

namespace {

std::function<std::optional<InstanceNetworkLimits>(const Partition&, const std::string&)>& Resolver() {
  static std::function<std::optional<InstanceNetworkLimits>(const Partition&, const std::string&)> f;
  return f;
}

std::optional<InstanceNetworkLimits> ResolveInstance(const Partition& p, const std::string& instance_id) {
  if (Resolver())
    if (auto limits = Resolver()(p, instance_id)) return limits;
  FailUnknownInstance(instance_id);
}

std::set<uint32_t> UsedIpv4(const Partition& p, const std::string& subnet_id) {
  std::set<uint32_t> used;
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.subnet_id == subnet_id)
      for (const auto& ip : eni.private_ips) used.insert(net::ParseIpv4(ip.address).value().value);
  return used;
}

std::set<std::string> UsedIpv6(const Partition& p, const std::string& subnet_id) {
  std::set<std::string> used;
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.subnet_id == subnet_id) used.insert(eni.ipv6_addresses.begin(), eni.ipv6_addresses.end());
  return used;
}

// A5: the network address, the router's three (+1..+3) and the last address.
bool Reserved(const net::Cidr4& c, uint32_t ip) {
  return ip == c.Network().value || IsRouterAddress(c, net::Ipv4{ip}) || ip == c.Last().value;
}

// An IPv6-only subnet has no IPv4 address to give.
void RefuseIpv4InIpv6OnlySubnet(const Subnet& s) {
  if (s.ipv6_native)
    Fail("InvalidParameterValue", "Subnet " + s.id + " is IPv6-only: it has no IPv4 addresses to assign.");
}

// The requested address, checked against the subnet and the addresses in use.
// IN_USE_CODE: CreateNetworkInterface answers InvalidIPAddress.InUse, AssignPrivateIpAddresses
// InvalidParameterValue.
std::string TakeIpv4(const Partition& p, const Subnet& s, const std::string& text, std::set<uint32_t>& used,
                     const char* in_use_code = "InvalidIPAddress.InUse") {
  RefuseIpv4InIpv6OnlySubnet(s);
  auto ip = net::ParseIpv4(text);
  if (!ip) Fail("InvalidParameterValue", "Value (" + text + ") for parameter privateIpAddress is invalid.");
  net::Cidr4 c = net::ParseCidr4(s.cidr_block).value();
  if (!c.Contains(*ip))
    Fail("InvalidParameterValue", "Address " + text + " does not fall within the subnet's address range");
  if (Reserved(c, ip->value))
    Fail("InvalidParameterValue", "Address " + text + " is in subnet's reserved address range");
  if (!used.insert(ip->value).second) Fail(in_use_code, "Address " + text + " is in use.");
  (void)p;
  return ip->ToString();
}

// The lowest free address of the subnet outside its CIDR reservations.
std::string NextIpv4(const Subnet& s, std::set<uint32_t>& used) {
  RefuseIpv4InIpv6OnlySubnet(s);
  net::Cidr4 c = net::ParseCidr4(s.cidr_block).value();
  for (uint32_t ip = c.Network().value + 4; ip < c.Last().value; ++ip) {
    if (used.count(ip) || InCidrReservation(s, net::Ipv4{ip}.ToString())) continue;  // kept for asking by name
    used.insert(ip);
    return net::Ipv4{ip}.ToString();
  }
  Fail("InsufficientFreeAddressesInSubnet",
       "There are not enough free addresses in subnet '" + s.id + "' to satisfy the requested number of addresses.");
}

net::Cidr6 SubnetIpv6Block(const Subnet& s) {
  if (s.ipv6_cidr_blocks.empty())
    Fail("InvalidParameterValue", "The subnet " + s.id + " has no IPv6 CIDR block: no IPv6 addresses can be assigned.");
  return net::ParseCidr6(s.ipv6_cidr_blocks.front().cidr).value();
}

// C4: ::, the router's three (::1..::3) and the last address of the /64 are reserved.
bool Reserved6(const net::Cidr6& c, const net::Ipv6& ip) {
  bool last = std::all_of(ip.bytes.begin() + 8, ip.bytes.end(), [](uint8_t b) { return b == 0xff; });
  return ip == c.Network() || IsRouterAddress(c, ip) || last;
}

std::string TakeIpv6(const Subnet& s, const std::string& text, std::set<std::string>& used) {
  net::Cidr6 c = SubnetIpv6Block(s);
  auto ip = net::ParseIpv6(text);
  if (!ip) Fail("InvalidParameterValue", "Value (" + text + ") for parameter ipv6Address is invalid.");
  if (!c.Contains(*ip)) Fail("InvalidParameterValue", "Address " + text + " does not fall within the subnet's IPv6 range");
  if (Reserved6(c, *ip)) Fail("InvalidParameterValue", "Address " + text + " is in subnet's reserved address range");
  std::string canon = ip->ToString();
  if (!used.insert(canon).second) Fail("InvalidIPAddress.InUse", "Address " + text + " is in use.");
  return canon;
}

std::string NextIpv6(const Subnet& s, std::set<std::string>& used) {
  net::Cidr6 c = SubnetIpv6Block(s);
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  // A random interface identifier, as AWS hands out. The /64 cannot run out of addresses, but
  // its reservations may cover it: give up rather than search forever.
  for (int tries = 0; tries < 4096; ++tries) {
    net::Ipv6 ip = c.Network();
    uint64_t low = rng();
    for (int i = 0; i < 8; ++i) ip.bytes[8 + i] = static_cast<uint8_t>(low >> (56 - 8 * i));
    if (Reserved6(c, ip) || InCidrReservation(s, ip.ToString())) continue;
    if (used.insert(ip.ToString()).second) return ip.ToString();
  }
  Fail("InsufficientFreeAddressesInSubnet", "There are not enough free IPv6 addresses in subnet '" + s.id +
                                                "' to satisfy the requested number of addresses.");
}

std::string NewMac(const Tx& tx) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  for (;;) {
    uint64_t r = rng();
    char buf[18];
    snprintf(buf, sizeof buf, "02:%02x:%02x:%02x:%02x:%02x", unsigned(r & 255), unsigned((r >> 8) & 255),
             unsigned((r >> 16) & 255), unsigned((r >> 24) & 255), unsigned((r >> 32) & 255));
    bool taken = false;
    if (tx.state)
      for (const auto& [key, part] : tx.state->partitions)
        for (const auto& [id, eni] : part.network_interfaces) taken |= eni.mac_address == buf;
    for (const auto& [id, eni] : tx.p.network_interfaces) taken |= eni.mac_address == buf;
    if (!taken) return buf;
  }
}

std::vector<std::string> CheckGroups(Partition& p, const std::string& vpc_id, const std::string& subnet_id,
                                     const std::vector<std::string>& requested, const Quotas& q) {
  std::vector<std::string> out;
  if (requested.empty()) {
    for (const auto& [id, sg] : p.security_groups)
      if (sg.vpc_id == vpc_id && sg.group_name == "default") out.push_back(id);
    return out;
  }
  for (const auto& id : requested) {
    const SecurityGroup& sg = GetSecurityGroup(p, id);
    if (sg.vpc_id != vpc_id)
      Fail("InvalidParameter", "Security group " + id + " and subnet " + subnet_id + " belong to different networks.");
    if (std::find(out.begin(), out.end(), id) == out.end()) out.push_back(id);
  }
  if (static_cast<int>(out.size()) > q.Get("security-groups-per-interface"))  // §3.1 L11428
    Fail("SecurityGroupsPerInterfaceLimitExceeded",
         "You have exceeded the maximum number of security groups allowed per network interface.");
  return out;
}

// The address limits of the instance an interface is attached to (§7.4).
void CheckAddressLimits(const Partition& p, const NetworkInterface& eni) {
  if (!eni.attachment) return;
  auto limits = ResolveInstance(p, eni.attachment->instance_id);
  if (static_cast<int>(eni.private_ips.size()) > limits->max_ipv4_per_interface)
    Fail("PrivateIpAddressLimitExceeded", "Number of private addresses will exceed limit for the instance type.");
  if (static_cast<int>(eni.ipv6_addresses.size()) > limits->max_ipv6_per_interface)
    Fail("InvalidParameterValue", "Number of IPv6 addresses will exceed limit for the instance type.");
}


}  // namespace

void RegisterInstanceResolver(
    std::function<std::optional<InstanceNetworkLimits>(const Partition&, const std::string&)> f) {
  Resolver() = std::move(f);
}

std::string PrivateDnsDomain(const std::string& region) {
  return region == "us-east-1" ? "ec2.internal" : region + ".compute.internal";
}

std::string PrivateDnsName(const std::string& region, const std::string& ipv4) {
  if (ipv4.empty()) return "";
  std::string host = "ip-" + ipv4;
  std::replace(host.begin(), host.end(), '.', '-');
  return host + "." + PrivateDnsDomain(region);
}

std::string ResourceDnsName(const std::string& region, const std::string& instance_id) {
  return instance_id + "." + PrivateDnsDomain(region);
}

int UsedIpv4Addresses(const Partition& p, const std::string& subnet_id) {
  return static_cast<int>(UsedIpv4(p, subnet_id).size());
}

bool IsRouterAddress(const net::Cidr4& subnet, net::Ipv4 ip) {
  uint32_t offset = ip.value - subnet.Network().value;
  return subnet.Contains(ip) && offset >= 1 && offset <= 3;
}

bool IsRouterAddress(const net::Cidr6& subnet, const net::Ipv6& ip) {
  net::Ipv6 base = subnet.Network();
  return std::equal(ip.bytes.begin(), ip.bytes.begin() + 15, base.bytes.begin()) && ip.bytes[15] >= 1 &&
         ip.bytes[15] <= 3;
}

NetworkInterface& GetNetworkInterface(Partition& p, const std::string& id) {
  auto it = p.network_interfaces.find(id);
  if (it == p.network_interfaces.end())
    Fail("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '" + id + "' does not exist");
  return it->second;
}

NetworkInterface& CreateNetworkInterface(Tx& tx, const CreateNetworkInterfaceArgs& a) {
  Partition& p = tx.p;
  const Subnet& s = GetSubnet(p, a.subnet_id);
  if (static_cast<int>(p.network_interfaces.size()) >= tx.quotas.Get("network-interfaces-per-region"))
    Fail("NetworkInterfaceLimitExceeded", "The maximum number of network interfaces has been reached.");
  if (a.secondary_private_ip_count < 0 || a.ipv6_address_count < 0)
    Fail("InvalidParameterValue", "Address counts must not be negative.");
  if (!a.ipv6_addresses.empty() && a.ipv6_address_count)
    Fail("InvalidParameterCombination", "Specify either Ipv6Addresses or Ipv6AddressCount, not both.");
  NetworkInterface eni;
  eni.id = NewId("eni");
  eni.owner_id = p.account_id;
  eni.subnet_id = s.id;
  eni.vpc_id = s.vpc_id;
  eni.availability_zone = s.availability_zone;
  eni.description = a.description;
  eni.interface_type = a.interface_type;
  eni.requester_managed = a.requester_managed;
  eni.requester_id = a.requester_id;
  eni.group_ids = CheckGroups(p, s.vpc_id, s.id, a.group_ids, tx.quotas);

  std::set<uint32_t> used = UsedIpv4(p, s.id);
  std::vector<std::pair<std::string, bool>> wanted = a.private_ips;
  if (!a.private_ip_address.empty()) {
    for (auto& w : wanted)
      if (w.second) Fail("InvalidParameterCombination", "Specify the primary address once.");
    wanted.insert(wanted.begin(), {a.private_ip_address, true});
  }
  if (std::count_if(wanted.begin(), wanted.end(), [](const auto& w) { return w.second; }) > 1)
    Fail("InvalidParameterValue", "Only one private IP address can be primary.");
  std::string primary;
  std::vector<std::string> secondaries;
  for (const auto& [addr, is_primary] : wanted) {
    std::string ip = TakeIpv4(p, s, addr, used);
    (is_primary && primary.empty() ? primary : secondaries.emplace_back()) = ip;
  }
  if (primary.empty()) {
    if (!secondaries.empty()) {  // the first listed address becomes the primary
      primary = secondaries.front();
      secondaries.erase(secondaries.begin());
    } else if (!s.ipv6_native) {  // an IPv6-only subnet's interfaces have no IPv4 address
      primary = NextIpv4(s, used);
    }
  }
  if (!primary.empty()) eni.private_ips.push_back({primary, true});
  for (const auto& ip : secondaries) eni.private_ips.push_back({ip, false});
  for (int i = 0; i < a.secondary_private_ip_count; ++i) eni.private_ips.push_back({NextIpv4(s, used), false});

  std::set<std::string> used6 = UsedIpv6(p, s.id);
  for (const auto& addr : a.ipv6_addresses) eni.ipv6_addresses.push_back(TakeIpv6(s, addr, used6));
  for (int i = 0; i < a.ipv6_address_count; ++i) eni.ipv6_addresses.push_back(NextIpv6(s, used6));
  if (eni.ipv6_addresses.empty() && s.assign_ipv6_address_on_creation)  // E2
    eni.ipv6_addresses.push_back(NextIpv6(s, used6));

  eni.mac_address = NewMac(tx);
  eni.tags = a.tags;
  NetworkInterface& stored = p.network_interfaces[eni.id] = std::move(eni);
  tx.Touch(stored.id);
  return stored;
}

void DeleteNetworkInterface(Tx& tx, const std::string& eni_id, bool by_requester) {
  NetworkInterface& eni = GetNetworkInterface(tx.p, eni_id);
  if (eni.requester_managed && !by_requester)
    Fail("OperationNotPermitted", "The network interface " + eni_id + " is managed by " +
                                      (eni.requester_id.empty() ? "AWS" : eni.requester_id) +
                                      " and cannot be deleted by the user.");
  if (eni.attachment && !by_requester)  // AWS's code, not InvalidNetworkInterface.InUse
    Fail("InvalidParameterValue", "Network interface '" + eni_id + "' is currently in use.");
  RunDependencyChecks(tx.p, eni_id);
  OnNetworkInterfaceDeleted(tx, eni_id);  // its Elastic IPs stay allocated, unassociated
  tx.p.network_interfaces.erase(eni_id);
  tx.Touch(eni_id);
}

void SetNetworkInterfaceGroups(Tx& tx, const std::string& eni_id, const std::vector<std::string>& group_ids) {
  NetworkInterface& eni = GetNetworkInterface(tx.p, eni_id);
  if (group_ids.empty()) Fail("MissingParameter", "The request must contain the parameter groupId");
  eni.group_ids = CheckGroups(tx.p, eni.vpc_id, eni.subnet_id, group_ids, tx.quotas);
  tx.Touch(eni_id);
}

void SetNetworkInterfaceSourceDestCheck(Tx& tx, const std::string& eni_id, bool value) {
  GetNetworkInterface(tx.p, eni_id).source_dest_check = value;
  tx.Touch(eni_id);
}

void SetNetworkInterfaceDescription(Tx& tx, const std::string& eni_id, const std::string& value) {
  GetNetworkInterface(tx.p, eni_id).description = value;
  tx.Touch(eni_id);
}

void SetNetworkInterfaceDeleteOnTermination(Tx& tx, const std::string& eni_id, const std::string& attachment_id,
                                            bool value) {
  NetworkInterface& eni = GetNetworkInterface(tx.p, eni_id);
  if (!eni.attachment || eni.attachment->attachment_id != attachment_id)
    Fail("InvalidAttachmentID.NotFound", "The attachment ID '" + attachment_id + "' does not exist");
  eni.attachment->delete_on_termination = value;
  tx.Touch(eni_id);
}

std::vector<std::string> AssignPrivateIpAddresses(Tx& tx, const std::string& eni_id,
                                                  const std::vector<std::string>& addresses, int count,
                                                  bool allow_reassignment) {
  Partition& p = tx.p;
  NetworkInterface& eni = GetNetworkInterface(p, eni_id);
  if (addresses.empty() == (count == 0))
    Fail("InvalidParameterCombination",
         "Specify either privateIpAddress or secondaryPrivateIpAddressCount, but not both.");
  if (count < 0) Fail("InvalidParameterValue", "Value (" + std::to_string(count) +
                                                   ") for parameter secondaryPrivateIpAddressCount is invalid.");
  const Subnet& s = GetSubnet(p, eni.subnet_id);
  std::set<uint32_t> used = UsedIpv4(p, s.id);
  std::vector<std::pair<NetworkInterface*, std::string>> moves;  // reassigned from another interface
  std::vector<std::string> out;
  for (const auto& addr : addresses) {
    auto ip = net::ParseIpv4(addr);
    if (ip && used.count(ip->value) && allow_reassignment) {
      for (auto& [id, other] : p.network_interfaces)
        for (const auto& pip : other.private_ips)
          if (pip.address == ip->ToString()) {
            if (pip.primary || id == eni_id)
              Fail("InvalidIPAddress.InUse", "Address " + addr + " is the primary address of " + id + ".");
            moves.emplace_back(&other, pip.address);
          }
      out.push_back(ip->ToString());
      continue;
    }
    out.push_back(TakeIpv4(p, s, addr, used, "InvalidParameterValue"));
  }
  for (int i = 0; i < count; ++i) out.push_back(NextIpv4(s, used));
  NetworkInterface after = eni;
  for (const auto& ip : out) after.private_ips.push_back({ip, false});
  CheckAddressLimits(p, after);
  for (auto& [other, ip] : moves) {
    std::erase_if(other->private_ips, [&](const PrivateIpAddress& x) { return x.address == ip; });
    tx.Touch(other->id);
    OnPrivateIpAddressMoved(tx, other->id, eni_id, ip);  // MI-5: the address keeps its Elastic IP
  }
  eni.private_ips = std::move(after.private_ips);
  tx.Touch(eni_id);
  return out;
}

void UnassignPrivateIpAddresses(Tx& tx, const std::string& eni_id, const std::vector<std::string>& addresses) {
  NetworkInterface& eni = GetNetworkInterface(tx.p, eni_id);
  if (addresses.empty()) Fail("MissingParameter", "The request must contain the parameter privateIpAddress");
  for (const auto& addr : addresses) {
    auto it = std::find_if(eni.private_ips.begin(), eni.private_ips.end(),
                           [&](const PrivateIpAddress& x) { return x.address == addr; });
    if (it == eni.private_ips.end())
      Fail("InvalidParameterValue", "Some of the specified addresses are not assigned to interface " + eni_id);
    if (it->primary)
      Fail("InvalidParameterValue", "The primary private IP address " + addr + " of an interface cannot be unassigned.");
  }
  std::erase_if(eni.private_ips, [&](const PrivateIpAddress& x) {
    return std::find(addresses.begin(), addresses.end(), x.address) != addresses.end();
  });
  OnPrivateIpAddressesUnassigned(tx, eni_id, addresses);  // MI-9
  tx.Touch(eni_id);
}

std::vector<std::string> AssignIpv6Addresses(Tx& tx, const std::string& eni_id,
                                             const std::vector<std::string>& addresses, int count) {
  Partition& p = tx.p;
  NetworkInterface& eni = GetNetworkInterface(p, eni_id);
  if (addresses.empty() == (count == 0))
    Fail("InvalidParameterCombination", "Specify either ipv6Addresses or ipv6AddressCount, but not both.");
  const Subnet& s = GetSubnet(p, eni.subnet_id);
  std::set<std::string> used = UsedIpv6(p, s.id);
  std::vector<std::string> out;
  for (const auto& addr : addresses) out.push_back(TakeIpv6(s, addr, used));
  for (int i = 0; i < count; ++i) out.push_back(NextIpv6(s, used));
  NetworkInterface after = eni;
  after.ipv6_addresses.insert(after.ipv6_addresses.end(), out.begin(), out.end());
  CheckAddressLimits(p, after);
  eni.ipv6_addresses = std::move(after.ipv6_addresses);
  tx.Touch(eni_id);
  return out;
}

std::vector<std::string> UnassignIpv6Addresses(Tx& tx, const std::string& eni_id,
                                               const std::vector<std::string>& addresses) {
  NetworkInterface& eni = GetNetworkInterface(tx.p, eni_id);
  std::vector<std::string> out;
  for (const auto& addr : addresses) {
    auto ip = net::ParseIpv6(addr);
    std::string canon = ip ? ip->ToString() : addr;
    if (std::find(eni.ipv6_addresses.begin(), eni.ipv6_addresses.end(), canon) == eni.ipv6_addresses.end())
      Fail("InvalidParameterValue", "Some of the specified addresses are not assigned to interface " + eni_id);
    out.push_back(canon);
  }
  std::erase_if(eni.ipv6_addresses,
                [&](const std::string& x) { return std::find(out.begin(), out.end(), x) != out.end(); });
  tx.Touch(eni_id);
  return out;
}

std::string AttachNetworkInterface(Tx& tx, const std::string& eni_id, const std::string& instance_id, int device_index) {
  Partition& p = tx.p;
  NetworkInterface& eni = GetNetworkInterface(p, eni_id);
  auto limits = ResolveInstance(p, instance_id);
  if (eni.attachment)
    Fail("InvalidNetworkInterface.InUse", "Interface: [" + eni_id + "] in use.");
  if (limits->availability_zone != eni.availability_zone)
    Fail("InvalidParameterValue", "Interface " + eni_id + " is in a different availability zone than instance " +
                                      instance_id + ".");
  if (device_index < 0) Fail("InvalidParameterValue", "Invalid value for device index " + std::to_string(device_index));
  int attached = 0;
  for (const auto& [id, other] : p.network_interfaces) {
    if (!other.attachment || other.attachment->instance_id != instance_id) continue;
    ++attached;
    if (other.attachment->device_index == device_index)
      Fail("InvalidParameterValue", "Instance '" + instance_id + "' already has an interface attached at device index '" +
                                        std::to_string(device_index) + "'.");
  }
  if (attached + 1 > limits->max_interfaces)
    Fail("AttachmentLimitExceeded", "Interface count " + std::to_string(attached + 1) +
                                        " exceeds the limit for the instance type.");
  NetworkInterface after = eni;
  after.attachment = NetworkInterfaceAttachment{NewId("eni-attach"), instance_id, p.account_id, device_index, 0,
                                                false, "attached", NowIso8601()};
  CheckAddressLimits(p, after);
  eni.attachment = after.attachment;
  tx.Touch(eni_id);
  return eni.attachment->attachment_id;
}

void DetachNetworkInterface(Tx& tx, const std::string& attachment_id, bool force) {
  (void)force;
  for (auto& [id, eni] : tx.p.network_interfaces) {
    if (!eni.attachment || eni.attachment->attachment_id != attachment_id) continue;
    if (eni.attachment->device_index == 0)
      Fail("OperationNotPermitted", "The network interface at device index 0 cannot be detached.");
    eni.attachment.reset();
    tx.Touch(id);
    return;
  }
  Fail("InvalidAttachmentID.NotFound", "The attachment ID '" + attachment_id + "' does not exist");
}

}  // namespace openvpc::model
