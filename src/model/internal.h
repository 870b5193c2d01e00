// Helpers shared by the operation files of model/; not part of the model's contract.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/error.h"
// The model's operation files see every concept's operations.
#include "model/dhcp_options.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/tags.h"
#include "model/vpc.h"
#include "net/ip.h"

namespace openvpc::model::internal {

inline net::Cidr4 ParseCidr4OrFail(const std::string& s, const std::string& parameter) {
  auto c = net::ParseCidr4(s);
  if (!c)
    Fail("InvalidParameterValue",
         "Value (" + s + ") for parameter " + parameter + " is invalid. This is not a valid CIDR block.");
  return *c;
}

inline net::Cidr6 ParseCidr6OrFail(const std::string& s, const std::string& parameter) {
  auto c = net::ParseCidr6(s);
  if (!c)
    Fail("InvalidParameterValue",
         "Value (" + s + ") for parameter " + parameter + " is invalid. This is not a valid CIDR block.");
  return *c;
}

// Adds, to every route table of the VPC, the local route of a newly associated block (B11, C9a).
void AddLocalRoutes(Tx& tx, const std::string& vpc_id, const std::string& cidr, bool ipv6);
void RemoveLocalRoutes(Tx& tx, const std::string& vpc_id, const std::string& cidr);
// The main route table, default network ACL and default security group of a new VPC.
void CreateVpcDefaults(Tx& tx, const Vpc& vpc);
// C9b/C9c: a VPC's first IPv6 block opens ::/0 in its unmodified default ACL and security groups.
void OnIpv6BlockAssociated(Tx& tx, const std::string& vpc_id);
// Dependency checks registered by later issues.
void RunDependencyChecks(const Partition& p, const std::string& resource_id);
// Associates a new subnet with the VPC's default network ACL (D3).
void AssociateDefaultNetworkAcl(Tx& tx, const Subnet& s);
void RemoveNetworkAclAssociation(Tx& tx, const std::string& subnet_id);

}  // namespace openvpc::model::internal
