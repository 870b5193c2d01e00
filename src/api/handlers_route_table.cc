// Route tables, their associations and routes.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeRouteTables = {
    .ids_member = "RouteTableIds", .id_path = "RouteTableId", .list_member = "RouteTables",
    .not_found_code = "InvalidRouteTableID.NotFound", .not_found_noun = "routeTable",
    .filters = {
        {"association.gateway-id", {"Associations.GatewayId"}},
        {"association.route-table-association-id", {"Associations.RouteTableAssociationId"}},
        {"association.route-table-id", {"Associations.RouteTableId"}},
        {"association.subnet-id", {"Associations.SubnetId"}},
        {"association.main", {"Associations.Main"}},
        {"owner-id", {"OwnerId"}},
        {"route-table-id", {"RouteTableId"}},
        {"route.destination-cidr-block", {"Routes.DestinationCidrBlock"}},
        {"route.destination-ipv6-cidr-block", {"Routes.DestinationIpv6CidrBlock"}},
        {"route.destination-prefix-list-id", {"Routes.DestinationPrefixListId"}},
        {"route.egress-only-internet-gateway-id", {"Routes.EgressOnlyInternetGatewayId"}},
        {"route.gateway-id", {"Routes.GatewayId"}},
        {"route.instance-id", {"Routes.InstanceId"}},
        {"route.nat-gateway-id", {"Routes.NatGatewayId"}},
        {"route.transit-gateway-id", {"Routes.TransitGatewayId"}},
        {"route.origin", {"Routes.Origin"}},
        {"route.state", {"Routes.State"}},
        {"route.vpc-peering-connection-id", {"Routes.VpcPeeringConnectionId"}},
        {"vpc-id", {"VpcId"}},
    },
    .max_results = {5, 100}};

// The members of CreateRoute/ReplaceRoute that name a target.
const char* const kTargetMembers[] = {"GatewayId",        "EgressOnlyInternetGatewayId", "NatGatewayId",
                                      "InstanceId",       "NetworkInterfaceId",          "VpcPeeringConnectionId",
                                      "TransitGatewayId", "LocalGatewayId",              "CarrierGatewayId",
                                      "VpcEndpointId",    "CoreNetworkArn",              "OdbNetworkArn"};

model::RouteArgs RouteArgsOf(const json& in, bool with_target) {
  model::RouteArgs a{.route_table_id = Str(in, "RouteTableId"),
                     .destination_cidr_block = Str(in, "DestinationCidrBlock"),
                     .destination_ipv6_cidr_block = Str(in, "DestinationIpv6CidrBlock"),
                     .destination_prefix_list_id = Str(in, "DestinationPrefixListId"),
                     .local_target = Bool(in, "LocalTarget")};
  if (!with_target) return a;
  for (const char* m : kTargetMembers) {
    if (!in.contains(m)) continue;
    if (!a.target_member.empty() || a.local_target)
      model::Fail("InvalidParameterCombination", "The parameter " + a.target_member + " cannot be used with the "
                                                 "parameter " + m + ".");
    a.target_member = m;
    a.target_id = Str(in, m);
  }
  return a;
}

json CreateRouteTable(Call& c) {
  const model::RouteTable& rt = model::CreateRouteTable(c.tx, Str(c.in, "VpcId"), CreateTagsFor(c, "route-table"));
  json out = {{"RouteTable", RouteTableView(c.p(), rt)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json DeleteRouteTable(Call& c) {
  model::DeleteRouteTable(c.tx, Str(c.in, "RouteTableId"));
  return json::object();
}

json DescribeRouteTables(Call& c) {
  std::vector<json> items;
  for (const auto& [id, rt] : c.p().route_tables) items.push_back(RouteTableView(c.p(), rt));
  return Describe(kDescribeRouteTables, c.in, std::move(items));
}

json AssociateRouteTable(Call& c) {
  if (c.in.contains("PublicIpv4Pool"))
    model::Fail("InvalidParameterValue", "The parameter PublicIpv4Pool is not supported in this Region.");
  std::string id =
      model::AssociateRouteTable(c.tx, Str(c.in, "RouteTableId"), Str(c.in, "SubnetId"), Str(c.in, "GatewayId"));
  return {{"AssociationId", id}, {"AssociationState", {{"State", "associated"}}}};
}

json DisassociateRouteTable(Call& c) {
  model::DisassociateRouteTable(c.tx, Str(c.in, "AssociationId"));
  return json::object();
}

json ReplaceRouteTableAssociation(Call& c) {
  std::string id = model::ReplaceRouteTableAssociation(c.tx, Str(c.in, "AssociationId"), Str(c.in, "RouteTableId"));
  return {{"NewAssociationId", id}, {"AssociationState", {{"State", "associated"}}}};
}

json CreateRoute(Call& c) {
  model::CreateRoute(c.tx, RouteArgsOf(c.in, true));
  return {{"Return", true}};
}

json ReplaceRoute(Call& c) {
  model::ReplaceRoute(c.tx, RouteArgsOf(c.in, true));
  return json::object();
}

json DeleteRoute(Call& c) {
  model::DeleteRoute(c.tx, RouteArgsOf(c.in, false));
  return json::object();
}

}  // namespace

void RegisterRouteTableHandlers() {
  Register("CreateRouteTable", CreateRouteTable, true);
  Register("DeleteRouteTable", DeleteRouteTable, true);
  Register("DescribeRouteTables", DescribeRouteTables, false);
  Register("AssociateRouteTable", AssociateRouteTable, true);
  Register("DisassociateRouteTable", DisassociateRouteTable, true);
  Register("ReplaceRouteTableAssociation", ReplaceRouteTableAssociation, true);
  Register("CreateRoute", CreateRoute, true);
  Register("ReplaceRoute", ReplaceRoute, true);
  Register("DeleteRoute", DeleteRoute, true);
}

}  // namespace openvpc::api
