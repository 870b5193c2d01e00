// The operations on VPC resources and every rule they enforce. Each validates fully before it
// changes anything, so a refused request leaves the partition as it was. Errors carry AWS's
// codes (model/error.h). Rule ids (A1, B10, G11, AA1 …) refer to the inventory in
// shared/spec/inventory-vpc-guide.md.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/route_target.h"
#include "model/state.h"

namespace openvpc::model {

// ---- lookups: the resource or AWS's NotFound error ----
Vpc& GetVpc(Partition& p, const std::string& id);
Subnet& GetSubnet(Partition& p, const std::string& id);
RouteTable& GetRouteTable(Partition& p, const std::string& id);
InternetGateway& GetInternetGateway(Partition& p, const std::string& id);
EgressOnlyInternetGateway& GetEgressOnlyInternetGateway(Partition& p, const std::string& id);
DhcpOptions& GetDhcpOptions(Partition& p, const std::string& id);

// ---- tags ----
struct TagSpecification {
  std::string resource_type;
  TagList tags;
};
// The tags of TagSpecifications meant for `resource_type`; a specification for another type
// is refused, as AWS does.
TagList TagsFor(const std::vector<TagSpecification>& specs, const std::string& resource_type,
                const Quotas& q);
// EC2's resource type of an id ("vpc", "subnet", "route-table" …), or "" when unknown.
std::string ResourceTypeOf(const std::string& id);
// The tags of any taggable resource; InvalidID or the kind's NotFound error otherwise.
TagList& TagsOf(Partition& p, const std::string& id);
// The id whose stored row holds ID (a security group rule lives in its group's row).
std::string StoredIdOf(Partition& p, const std::string& id);
void CreateTags(Tx& tx, const std::vector<std::string>& ids, const TagList& tags);
// A tag with no value deletes the key; with a value, only when the value matches.
void DeleteTags(Tx& tx, const std::vector<std::string>& ids,
                const std::vector<std::pair<std::string, std::optional<std::string>>>& tags);

// ---- VPCs ----
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

// ---- subnets ----
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

// ---- route tables ----
RouteTable& CreateRouteTable(Tx& tx, const std::string& vpc_id, TagList tags);
void DeleteRouteTable(Tx& tx, const std::string& route_table_id);
// Returns the new association id. Exactly one of subnet_id / gateway_id.
std::string AssociateRouteTable(Tx& tx, const std::string& route_table_id, const std::string& subnet_id,
                                const std::string& gateway_id);
void DisassociateRouteTable(Tx& tx, const std::string& association_id);
std::string ReplaceRouteTableAssociation(Tx& tx, const std::string& association_id,
                                         const std::string& route_table_id);
const RouteTable& MainRouteTable(const Partition& p, const std::string& vpc_id);
// The table that routes a subnet's traffic: its explicit association, else the main table (D3, G7).
const RouteTable& RouteTableOfSubnet(const Partition& p, const Subnet& s);

struct RouteArgs {
  std::string route_table_id;
  std::string destination_cidr_block, destination_ipv6_cidr_block, destination_prefix_list_id;
  std::string target_member, target_id;  // e.g. {"GatewayId", "igw-…"}; empty with local_target
  bool local_target = false;             // ReplaceRoute's LocalTarget
};
void CreateRoute(Tx& tx, const RouteArgs& a);
void ReplaceRoute(Tx& tx, const RouteArgs& a);
void DeleteRoute(Tx& tx, const RouteArgs& a);
// Route targets, their state and their Describe view: model/route_target.h.

// ---- internet gateways ----
InternetGateway& CreateInternetGateway(Tx& tx, TagList tags);
void DeleteInternetGateway(Tx& tx, const std::string& igw_id);
void AttachInternetGateway(Tx& tx, const std::string& igw_id, const std::string& vpc_id);
void DetachInternetGateway(Tx& tx, const std::string& igw_id, const std::string& vpc_id);
// The gateway attached to VPC_ID (at most one of each kind), or nullptr.
const InternetGateway* AttachedInternetGateway(const Partition& p, const std::string& vpc_id);
const EgressOnlyInternetGateway* AttachedEgressOnlyInternetGateway(const Partition& p, const std::string& vpc_id);
EgressOnlyInternetGateway& CreateEgressOnlyInternetGateway(Tx& tx, const std::string& vpc_id, TagList tags);
void DeleteEgressOnlyInternetGateway(Tx& tx, const std::string& eigw_id);
// The route target kinds GatewayId igw-… and EgressOnlyInternetGatewayId (RegisterAllRules).
void RegisterGatewayRules();

// Later issues add checks to DetachInternetGateway (AA5: no public addresses in the VPC) and to
// DeleteVpc/DeleteSubnet (instances, interfaces, NAT gateways, peering) through these hooks.
void RegisterDependencyCheck(std::function<void(const Partition&, const std::string& resource_id)> check);

// ---- DHCP options ----
DhcpOptions& CreateDhcpOptions(Tx& tx,
                               const std::vector<std::pair<std::string, std::vector<std::string>>>& configurations,
                               TagList tags);
void DeleteDhcpOptions(Tx& tx, const std::string& dhcp_options_id);
void AssociateDhcpOptions(Tx& tx, const std::string& dhcp_options_id, const std::string& vpc_id);

}  // namespace openvpc::model
