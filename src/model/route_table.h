// Route tables, their routes and associations (D3, G1-G13, H): the main table, explicit and
// edge associations, CreateRoute/ReplaceRoute/DeleteRoute. Route targets: route_target.h.
// Each operation validates fully before it changes anything, so a refused request leaves the
// partition as it was; errors carry AWS's codes (model/error.h). Rule ids refer to the inventory
// in shared/spec/inventory-vpc-guide.md.
#pragma once

#include <string>

#include "model/route_target.h"
#include "model/state.h"

namespace openvpc::model {

RouteTable& GetRouteTable(Partition& p, const std::string& id);

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
// H1, H4: the route table associated with gateway GATEWAY_ID (an edge association), which
// routes the traffic entering the VPC through it; nullptr when none is.
const RouteTable* GatewayRouteTable(const Partition& p, const std::string& gateway_id);
// G15 for every route of RT as it is (after a prefix list it routes to grew).
void CheckRouteTableQuota(const Tx& tx, const RouteTable& rt);
void ReplaceRoute(Tx& tx, const RouteArgs& a);
void DeleteRoute(Tx& tx, const RouteArgs& a);

}  // namespace openvpc::model
