// VPCs: create (A1-A4 block sizes and ranges), default VPC (P1-P4), attributes, tenancy,
// secondary IPv4 and IPv6 blocks (B1-B11, C1-C9), delete with its dependencies (AA1).
// Each operation validates fully before it changes anything, so a refused request leaves the
// partition as it was; errors carry AWS's codes (model/error.h). Rule ids refer to the inventory
// in shared/spec/inventory-vpc-guide.md.
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "model/state.h"

namespace openvpc::model {

Vpc& GetVpc(Partition& p, const std::string& id);

struct CreateVpcArgs {
  std::string cidr_block;
  bool amazon_provided_ipv6 = false;
  std::string instance_tenancy = "default";
  TagList tags;
};
Vpc& CreateVpc(Tx& tx, const CreateVpcArgs& a);
void DeleteVpc(Tx& tx, const std::string& vpc_id);
Vpc& CreateDefaultVpc(Tx& tx);
void ModifyVpcAttribute(Tx& tx, const std::string& vpc_id, const std::string& attribute, bool value);
void ModifyVpcTenancy(Tx& tx, const std::string& vpc_id, const std::string& tenancy);
// Returns the new association. Exactly one of cidr_block / amazon_provided_ipv6.
CidrBlockAssociation AssociateVpcCidrBlock(Tx& tx, const std::string& vpc_id,
                                           const std::string& cidr_block, bool amazon_provided_ipv6);
// Returns the VPC id and the association, now in state "disassociating".
std::pair<std::string, CidrBlockAssociation> DisassociateVpcCidrBlock(Tx& tx, const std::string& association_id);


// Later issues add checks to DetachInternetGateway (AA5: no public addresses in the VPC) and to
// DeleteVpc/DeleteSubnet (instances, interfaces, NAT gateways, peering) through these hooks.
void RegisterDependencyCheck(std::function<void(const Partition&, const std::string& resource_id)> check);

}  // namespace openvpc::model
