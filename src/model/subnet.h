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
// Addresses a subnet can still hand out: its size less the 5 reserved (rule A5) and those in use.
int64_t AvailableIpAddressCount(const Partition& p, const Subnet& s);

}  // namespace openvpc::model
