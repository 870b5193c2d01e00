// Subnets: rules A3-A5, C2, C4, D1, D3, P6, AA2, AA4.
#include <algorithm>

#include "model/internal.h"
#include "model/network_interface.h"
#include "model/regions.h"

namespace openvpc::model {
using namespace internal;

namespace {

const Zone* FindZone(const std::string& region, const std::string& name, const std::string& id) {
  const RegionInfo* r = FindRegion(region);
  if (!r) return nullptr;
  for (const auto& z : r->zones)
    if ((!name.empty() && z.name == name) || (name.empty() && z.id == id)) return &z;
  return nullptr;
}

std::string ZoneList(const std::string& region) {
  std::string out;
  if (const RegionInfo* r = FindRegion(region))
    for (const auto& z : r->zones) out += (out.empty() ? "" : ", ") + z.name;
  return out;
}

// The zone AWS would pick when the caller names none: the one with the fewest subnets of the VPC.
const Zone* PickZone(const Partition& p, const std::string& vpc_id) {
  const RegionInfo* r = FindRegion(p.region);
  if (!r || r->zones.empty()) return nullptr;
  const Zone* best = &r->zones.front();
  size_t best_count = SIZE_MAX;
  for (const auto& z : r->zones) {
    size_t n = std::count_if(p.subnets.begin(), p.subnets.end(), [&](const auto& kv) {
      return kv.second.vpc_id == vpc_id && kv.second.availability_zone == z.name;
    });
    if (n < best_count) best = &z, best_count = n;
  }
  return best;
}

void CheckIpv6Block(const Partition& p, const Vpc& v, const std::string& subnet_id, const net::Cidr6& c,
                    const std::string& text) {
  if (v.ipv6_cidr_blocks.empty())  // C2: the VPC needs an IPv6 block first
    Fail("InvalidSubnet.Range", "The IPv6 CIDR '" + text + "' is invalid: the VPC " + v.id +
                                    " has no IPv6 CIDR block.");
  if (c.prefix != 64 || !net::ParseCidr6(v.ipv6_cidr_blocks.front().cidr).value().Contains(c))
    Fail("InvalidSubnet.Range", "The IPv6 CIDR '" + text + "' is invalid.");
  for (const auto& [id, s] : p.subnets)
    for (const auto& a : s.ipv6_cidr_blocks)
      if (id != subnet_id && s.vpc_id == v.id && net::ParseCidr6(a.cidr).value().Overlaps(c))
        Fail("InvalidSubnet.Conflict", "The CIDR '" + text + "' conflicts with another subnet");
}

}  // namespace

int64_t AvailableIpAddressCount(const Partition& p, const Subnet& s) {
  auto c = net::ParseCidr4(s.cidr_block);
  if (!c) return 0;  // IPv6-only: no IPv4 addresses to hand out
  return static_cast<int64_t>(c->Size()) - 5 - UsedIpv4Addresses(p, s.id);  // A5
}

Subnet& CreateSubnet(Tx& tx, const CreateSubnetArgs& a) {
  Partition& p = tx.p;
  Vpc& v = GetVpc(p, a.vpc_id);
  std::optional<net::Cidr4> c;
  if (a.ipv6_native) {
    if (!a.cidr_block.empty())
      Fail("InvalidParameterCombination", "An IPv6-only subnet (ipv6Native) cannot have an IPv4 CIDR block.");
    if (a.ipv6_cidr_block.empty())
      Fail("InvalidParameterCombination", "An IPv6-only subnet (ipv6Native) needs an IPv6 CIDR block.");
  } else {
    if (a.cidr_block.empty()) Fail("MissingParameter", "The request must contain the parameter cidrBlock");
    c = ParseCidr4OrFail(a.cidr_block, "cidrBlock");
    bool inside = std::any_of(v.cidr_blocks.begin(), v.cidr_blocks.end(),
                              [&](const auto& b) { return net::ParseCidr4(b.cidr).value().Contains(*c); });
    if (c->prefix < 16 || c->prefix > 28 || !inside)  // A3
      Fail("InvalidSubnet.Range", "The CIDR '" + a.cidr_block + "' is invalid.");
    c = c->Canonical();
    for (const auto& [id, s] : p.subnets)  // A4
      if (auto other = net::ParseCidr4(s.cidr_block); s.vpc_id == v.id && other && other->Overlaps(*c))
        Fail("InvalidSubnet.Conflict", "The CIDR '" + a.cidr_block + "' conflicts with another subnet");
  }
  std::optional<net::Cidr6> c6;
  if (!a.ipv6_cidr_block.empty()) {
    c6 = ParseCidr6OrFail(a.ipv6_cidr_block, "ipv6CidrBlock");
    CheckIpv6Block(p, v, "", *c6, a.ipv6_cidr_block);
  }
  const Zone* zone = nullptr;
  if (!a.availability_zone.empty() || !a.availability_zone_id.empty()) {
    zone = FindZone(p.region, a.availability_zone, a.availability_zone_id);
    if (!zone || (!a.availability_zone_id.empty() && zone->id != a.availability_zone_id)) {
      bool by_name = !a.availability_zone.empty();
      Fail("InvalidParameterValue",
           "Value (" + (by_name ? a.availability_zone : a.availability_zone_id) + ") for parameter " +
               (by_name ? "availabilityZone" : "availabilityZoneId") +
               " is invalid. Subnets can currently only be created in the following availability zones: " +
               ZoneList(p.region) + ".");
    }
  } else {
    zone = PickZone(p, v.id);
  }
  int in_vpc = static_cast<int>(std::count_if(p.subnets.begin(), p.subnets.end(),
                                              [&](const auto& kv) { return kv.second.vpc_id == v.id; }));
  if (in_vpc >= tx.quotas.Get("subnets-per-vpc"))
    Fail("SubnetLimitExceeded", "The maximum number of subnets has been reached.");

  Subnet s;
  s.id = NewId("subnet");
  s.owner_id = p.account_id;
  s.vpc_id = v.id;
  if (c) s.cidr_block = c->ToString();
  if (a.ipv6_native) {  // interfaces get IPv6 addresses at creation, named after their resource
    s.ipv6_native = true;
    s.assign_ipv6_address_on_creation = true;
    s.hostname_type = "resource-name";
  }
  if (zone) s.availability_zone = zone->name, s.availability_zone_id = zone->id;
  if (c6) s.ipv6_cidr_blocks.push_back({NewId("subnet-cidr-assoc"), c6->Canonical().ToString(), "associated", ""});
  s.tags = a.tags;
  Subnet& stored = p.subnets[s.id] = std::move(s);
  tx.Touch(stored.id);
  AssociateDefaultNetworkAcl(tx, stored);
  return stored;
}

void DeleteSubnet(Tx& tx, const std::string& subnet_id) {
  Partition& p = tx.p;
  GetSubnet(p, subnet_id);
  for (const auto& [id, eni] : p.network_interfaces)  // AA2: instances and interfaces
    if (eni.subnet_id == subnet_id)
      Fail("DependencyViolation", "The subnet '" + subnet_id + "' has dependencies and cannot be deleted.");
  RunDependencyChecks(p, subnet_id);
  for (auto& [id, rt] : p.route_tables) {
    auto n = std::erase_if(rt.associations, [&](const auto& a) { return a.subnet_id == subnet_id; });
    if (n) tx.Touch(id);
  }
  RemoveNetworkAclAssociation(tx, subnet_id);
  p.subnets.erase(subnet_id);
  tx.Touch(subnet_id);
}

Subnet& CreateDefaultSubnet(Tx& tx, const std::string& availability_zone, const std::string& availability_zone_id) {
  Partition& p = tx.p;
  const Vpc* dv = nullptr;
  for (const auto& [id, v] : p.vpcs)
    if (v.is_default) dv = &v;
  if (!dv) Fail("DefaultVpcDoesNotExist", "No default VPC for this user");
  const Zone* zone = FindZone(p.region, availability_zone, availability_zone_id);
  if (!zone)
    Fail("InvalidParameterValue", "Value (" + availability_zone + availability_zone_id +
                                      ") for parameter availabilityZone is invalid. Subnets can currently only be "
                                      "created in the following availability zones: " +
                                      ZoneList(p.region) + ".");
  for (const auto& [id, s] : p.subnets)  // P6: one default subnet per zone
    if (s.vpc_id == dv->id && s.default_for_az && s.availability_zone == zone->name)
      Fail("DefaultSubnetAlreadyExistsInAvailabilityZone",
           "Default subnet already exists in availability zone " + zone->name + " with id " + id);
  // P6: the next free /20 of the default VPC's block.
  net::Cidr4 block = net::ParseCidr4(dv->cidr_block).value();
  for (uint64_t off = 0; off < block.Size(); off += 4096) {
    net::Cidr4 candidate{{static_cast<uint32_t>(block.Network().value + off)}, 20};
    bool used = std::any_of(p.subnets.begin(), p.subnets.end(), [&](const auto& kv) {
      auto other = net::ParseCidr4(kv.second.cidr_block);
      return kv.second.vpc_id == dv->id && other && other->Overlaps(candidate);
    });
    if (used) continue;
    Subnet& s = CreateSubnet(tx, {.vpc_id = dv->id, .cidr_block = candidate.ToString(),
                                  .availability_zone = zone->name});
    s.default_for_az = true;
    s.map_public_ip_on_launch = true;
    return s;
  }
  Fail("InsufficientFreeAddressesInSubnet",
       "There is no available /20 address space in the default VPC " + dv->id + " for a default subnet.");
}

void ModifySubnetAttribute(Tx& tx, const std::string& subnet_id, const std::string& attribute,
                           const std::string& value) {
  Subnet& s = GetSubnet(tx.p, subnet_id);
  const bool on = value == "true";
  if (s.ipv6_native && ((attribute == "MapPublicIpOnLaunch" && on) ||
                        (attribute == "PrivateDnsHostnameTypeOnLaunch" && value == "ip-name") ||
                        (attribute == "EnableResourceNameDnsARecordOnLaunch" && on) ||
                        (attribute == "AssignIpv6AddressOnCreation" && !on)))
    Fail("InvalidParameterValue", "Invalid value '" + value + "' for " + attribute + ": subnet " + subnet_id +
                                      " is IPv6-only.");
  if (attribute == "MapPublicIpOnLaunch") {
    s.map_public_ip_on_launch = on;
  } else if (attribute == "AssignIpv6AddressOnCreation") {
    if (on && s.ipv6_cidr_blocks.empty())
      Fail("InvalidParameterValue", "Invalid value 'true' for assignIpv6AddressOnCreation: the subnet " + subnet_id +
                                        " has no IPv6 CIDR block.");
    s.assign_ipv6_address_on_creation = on;
  } else if (attribute == "EnableDns64") {
    s.enable_dns64 = on;
  } else if (attribute == "PrivateDnsHostnameTypeOnLaunch") {
    if (value != "ip-name" && value != "resource-name")
      Fail("InvalidParameterValue", "Value (" + value + ") for parameter PrivateDnsHostnameTypeOnLaunch is invalid.");
    s.hostname_type = value;
  } else if (attribute == "EnableResourceNameDnsARecordOnLaunch") {
    s.enable_resource_name_dns_a_record = on;
  } else if (attribute == "EnableResourceNameDnsAAAARecordOnLaunch") {
    s.enable_resource_name_dns_aaaa_record = on;
  } else {
    Fail("InvalidParameterValue", "Value (" + attribute + ") for parameter attribute is invalid.");
  }
  tx.Touch(subnet_id);
}

CidrBlockAssociation AssociateSubnetCidrBlock(Tx& tx, const std::string& subnet_id,
                                              const std::string& ipv6_cidr_block) {
  Subnet& s = GetSubnet(tx.p, subnet_id);
  if (ipv6_cidr_block.empty()) Fail("MissingParameter", "The request must contain the parameter ipv6CidrBlock");
  net::Cidr6 c = ParseCidr6OrFail(ipv6_cidr_block, "ipv6CidrBlock");
  if (!s.ipv6_cidr_blocks.empty())  // C2: one IPv6 block per subnet
    Fail("InvalidParameterValue", "The subnet " + subnet_id + " already has an IPv6 CIDR block associated.");
  CheckIpv6Block(tx.p, GetVpc(tx.p, s.vpc_id), subnet_id, c, ipv6_cidr_block);
  CidrBlockAssociation a{NewId("subnet-cidr-assoc"), c.Canonical().ToString(), "associated", ""};
  s.ipv6_cidr_blocks.push_back(a);
  tx.Touch(subnet_id);
  a.state = "associating";
  return a;
}

std::pair<std::string, CidrBlockAssociation> DisassociateSubnetCidrBlock(Tx& tx, const std::string& association_id) {
  for (auto& [id, s] : tx.p.subnets) {
    for (auto it = s.ipv6_cidr_blocks.begin(); it != s.ipv6_cidr_blocks.end(); ++it) {
      if (it->association_id != association_id) continue;
      if (s.ipv6_native)  // its only block
        Fail("InvalidParameterValue", "The IPv6 CIDR block of IPv6-only subnet " + id + " cannot be disassociated.");
      for (const auto& [eid, eni] : tx.p.network_interfaces)  // AA4, C5: unassign IPv6 addresses first
        if (eni.subnet_id == id && !eni.ipv6_addresses.empty())
          Fail("InvalidParameterValue", "The subnet " + id + " has IPv6 addresses assigned to network interface " +
                                            eid + ": unassign them before disassociating the IPv6 CIDR block.");
      CidrBlockAssociation a = *it;
      s.ipv6_cidr_blocks.erase(it);
      s.assign_ipv6_address_on_creation = false;
      tx.Touch(id);
      a.state = "disassociating";
      return {id, a};
    }
  }
  Fail("InvalidSubnetCidrBlockAssociationID.NotFound",
       "The subnet CIDR block with association ID '" + association_id + "' does not exist");
}

// ---- subnet CIDR reservations ----

namespace {

// A reservation's range inside one of the subnet's blocks, either family.
struct ReservationRange {
  std::optional<net::Cidr4> v4;
  std::optional<net::Cidr6> v6;
  bool Overlaps(const ReservationRange& o) const {
    return (v4 && o.v4 && v4->Overlaps(*o.v4)) || (v6 && o.v6 && v6->Overlaps(*o.v6));
  }
};

std::optional<ReservationRange> RangeOf(const std::string& cidr) {
  if (auto c = net::ParseCidr4(cidr)) return ReservationRange{c->Canonical(), std::nullopt};
  if (auto c = net::ParseCidr6(cidr)) return ReservationRange{std::nullopt, c->Canonical()};
  return std::nullopt;
}

}  // namespace

const SubnetCidrReservation& CreateSubnetCidrReservation(Tx& tx, const CidrReservationArgs& a) {
  Subnet& s = GetSubnet(tx.p, a.subnet_id);
  if (a.reservation_type != "prefix" && a.reservation_type != "explicit")
    Fail("InvalidParameterValue", "Value (" + a.reservation_type + ") for parameter reservationType is invalid.");
  auto range = RangeOf(a.cidr);
  if (!range) Fail("InvalidParameterValue", "Value (" + a.cidr + ") for parameter cidr is invalid.");
  const auto block = net::ParseCidr4(s.cidr_block);  // none in an IPv6-only subnet
  bool inside = range->v4 && block && block->Contains(*range->v4);
  for (const auto& b : s.ipv6_cidr_blocks)
    if (range->v6 && net::ParseCidr6(b.cidr) && net::ParseCidr6(b.cidr)->Contains(*range->v6)) inside = true;
  if (!inside)
    Fail("InvalidParameterValue", "The CIDR " + a.cidr + " is not within a CIDR block of subnet " + s.id + ".");
  for (const auto& r : s.cidr_reservations)
    if (RangeOf(r.cidr)->Overlaps(*range))
      Fail("InvalidParameterValue", "The CIDR " + a.cidr + " overlaps the CIDR " + r.cidr + " of subnet CIDR "
                                    "reservation " + r.id + ".");
  SubnetCidrReservation r{.id = NewId("scr"),
                          .cidr = range->v4 ? range->v4->ToString() : range->v6->ToString(),
                          .reservation_type = a.reservation_type,
                          .description = a.description,
                          .tags = a.tags};
  s.cidr_reservations.push_back(std::move(r));
  tx.Touch(s.id);
  return s.cidr_reservations.back();
}

std::pair<std::string, SubnetCidrReservation> DeleteSubnetCidrReservation(Tx& tx, const std::string& id) {
  for (auto& [sid, s] : tx.p.subnets)
    for (auto it = s.cidr_reservations.begin(); it != s.cidr_reservations.end(); ++it)
      if (it->id == id) {
        SubnetCidrReservation gone = *it;
        s.cidr_reservations.erase(it);
        tx.Touch(sid);
        return {sid, gone};
      }
  Fail("InvalidSubnetCidrReservationID.NotFound", "The subnet CIDR reservation ID '" + id + "' does not exist");
}

bool InCidrReservation(const Subnet& s, const std::string& address) {
  if (s.cidr_reservations.empty()) return false;
  auto v4 = net::ParseIpv4(address);
  auto v6 = v4 ? std::nullopt : net::ParseIpv6(address);
  for (const auto& r : s.cidr_reservations) {
    auto range = RangeOf(r.cidr);
    if ((v4 && range->v4 && range->v4->Contains(*v4)) || (v6 && range->v6 && range->v6->Contains(*v6))) return true;
  }
  return false;
}

}  // namespace openvpc::model
