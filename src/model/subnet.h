// Subnets: create inside the VPC without overlap (A5-A9), default subnets, attributes, IPv6
// blocks, the addresses a subnet can still hand out.
// Each operation validates fully before it changes anything, so a refused request leaves the
// partition as it was; errors carry AWS's codes (model/error.h). Rule ids refer to the inventory
// in shared/spec/inventory-vpc-guide.md.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include "model/state.h"

namespace openvpc::model {

Subnet& GetSubnet(Partition& p, const std::string& id);

struct CreateSubnetArgs {
  std::string vpc_id, cidr_block, ipv6_cidr_block;
  // IPv6-only (Ipv6Native): an IPv6 block and no IPv4 block; its interfaces get IPv6 addresses
  // at creation and resource-based hostnames.
  bool ipv6_native = false;
  std::string availability_zone, availability_zone_id;
  TagList tags;
};
Subnet& CreateSubnet(Tx& tx, const CreateSubnetArgs& a);
void DeleteSubnet(Tx& tx, const std::string& subnet_id);
Subnet& CreateDefaultSubnet(Tx& tx, const std::string& availability_zone,
                            const std::string& availability_zone_id);
void ModifySubnetAttribute(Tx& tx, const std::string& subnet_id, const std::string& attribute,
                           const std::string& value);
CidrBlockAssociation AssociateSubnetCidrBlock(Tx& tx, const std::string& subnet_id,
                                              const std::string& ipv6_cidr_block);
std::pair<std::string, CidrBlockAssociation> DisassociateSubnetCidrBlock(Tx& tx, const std::string& association_id);
// Subnet CIDR reservations: a range inside one of the subnet's blocks, overlapping none of its
// other reservations (InvalidParameterValue otherwise). Automatic assignment (an interface's
// primary address, secondary address counts, IPv6 address counts) never picks a reserved
// address; an address asked for by name may lie in one.
struct CidrReservationArgs {
  std::string subnet_id, cidr, reservation_type, description;
  TagList tags;
};
const SubnetCidrReservation& CreateSubnetCidrReservation(Tx& tx, const CidrReservationArgs& a);
// Returns the reservation deleted and its subnet's id. InvalidSubnetCidrReservationID.NotFound.
std::pair<std::string, SubnetCidrReservation> DeleteSubnetCidrReservation(Tx& tx, const std::string& id);
// True when ADDRESS (IPv4 or IPv6 text) lies in one of S's reservations.
bool InCidrReservation(const Subnet& s, const std::string& address);

// Addresses a subnet can still hand out: its size less the 5 reserved (rule A5) and those in use.
int64_t AvailableIpAddressCount(const Partition& p, const Subnet& s);

}  // namespace openvpc::model
