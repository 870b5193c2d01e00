// Route tables, routes and associations: rules A10, B11, D3, G1-G13, AA8.
#include <algorithm>
#include <map>
#include <string_view>

#include "model/internal.h"
#include "model/prefix_list.h"
#include "model/rules.h"

namespace openvpc::model {
using namespace internal;

namespace {

// Route target kinds by member, then by id prefix ("" for any id of the member). Looked up on
// every new flow (HopOf), so by string_view: no allocation.
using KindsByPrefix = std::map<std::string, RouteTargetKind, std::less<>>;
std::map<std::string, KindsByPrefix, std::less<>>& TargetKinds() {
  static std::map<std::string, KindsByPrefix, std::less<>> kinds;
  return kinds;
}

// What AWS answers for a target id that does not exist, by target member.
[[noreturn]] void TargetNotFound(const std::string& member, const std::string& id) {
  static const std::map<std::string, std::pair<const char*, const char*>> kCodes = {
      {"GatewayId", {"InvalidGatewayID.NotFound", "gateway"}},
      {"EgressOnlyInternetGatewayId", {"InvalidGatewayID.NotFound", "gateway"}},
      {"NatGatewayId", {"InvalidNatGatewayID.NotFound", "natGateway"}},
      {"NetworkInterfaceId", {"InvalidNetworkInterfaceID.NotFound", "networkInterface"}},
      {"VpcPeeringConnectionId", {"InvalidVpcPeeringConnectionID.NotFound", "vpcPeeringConnection"}},
      {"TransitGatewayId", {"InvalidTransitGatewayID.NotFound", "transitGateway"}},
      {"LocalGatewayId", {"InvalidLocalGatewayID.NotFound", "localGateway"}},
      {"CarrierGatewayId", {"InvalidCarrierGatewayID.NotFound", "carrierGateway"}},
      {"VpcEndpointId", {"InvalidVpcEndpointId.NotFound", "vpcEndpoint"}},
  };
  if (member == "InstanceId") FailUnknownInstance(id);
  auto it = kCodes.find(member);
  if (it == kCodes.end()) Fail("InvalidParameterValue", "Value (" + id + ") for parameter " + member + " is invalid.");
  Fail(it->second.first, std::string("The ") + it->second.second + " ID '" + id + "' does not exist");
}

void ValidateTarget(Partition& p, const RouteTable& rt, const std::string& member, const std::string& id) {
  const RouteTargetKind* kind = FindRouteTargetKind(member, id);
  if (!kind || !kind->validate) TargetNotFound(member, id);
  kind->validate(p, rt, id);
}

bool MayBeMoreSpecificThanLocal(const std::string& member, const std::string& id) {
  const RouteTargetKind* kind = FindRouteTargetKind(member, id);
  return kind && kind->may_be_more_specific_than_local;
}

// Which destination the request names, with AWS's parameter name, canonicalised (A10).
struct Destination {
  std::string v4, v6, prefix_list, text;
};

Destination ParseDestination(const RouteArgs& a) {
  int n = !a.destination_cidr_block.empty() + !a.destination_ipv6_cidr_block.empty() +
          !a.destination_prefix_list_id.empty();
  if (n != 1)
    Fail(n == 0 ? "MissingParameter" : "InvalidParameterCombination",
         "The request must contain exactly one of: destinationCidrBlock, destinationIpv6CidrBlock, "
         "destinationPrefixListId");
  Destination d;
  if (!a.destination_cidr_block.empty()) {
    d.v4 = ParseCidr4OrFail(a.destination_cidr_block, "destinationCidrBlock").Canonical().ToString();
    d.text = d.v4;
  } else if (!a.destination_ipv6_cidr_block.empty()) {
    d.v6 = ParseCidr6OrFail(a.destination_ipv6_cidr_block, "destinationIpv6CidrBlock").Canonical().ToString();
    d.text = d.v6;
  } else {
    d.prefix_list = d.text = a.destination_prefix_list_id;
  }
  return d;
}

Route* FindRoute(RouteTable& rt, const Destination& d) {
  for (auto& r : rt.routes)
    if ((!d.v4.empty() && r.destination_cidr_block == d.v4) ||
        (!d.v6.empty() && r.destination_ipv6_cidr_block == d.v6) ||
        (!d.prefix_list.empty() && r.destination_prefix_list_id == d.prefix_list))
      return &r;
  return nullptr;
}

// G11: in a subnet or main table, a route as specific as a VPC block must go to an interface.
void CheckNotMoreSpecificThanLocal(const Partition& p, const RouteTable& rt, const Destination& d,
                                   const RouteArgs& a) {
  if (MayBeMoreSpecificThanLocal(a.target_member, a.target_id)) return;
  const Vpc& v = p.vpcs.at(rt.vpc_id);
  bool inside = false;
  if (!d.v4.empty())
    for (const auto& b : v.cidr_blocks) inside |= net::ParseCidr4(b.cidr).value().Contains(net::ParseCidr4(d.v4).value());
  if (!d.v6.empty())
    for (const auto& b : v.ipv6_cidr_blocks) inside |= net::ParseCidr6(b.cidr).value().Contains(net::ParseCidr6(d.v6).value());
  if (inside)
    Fail("InvalidParameterValue", "The destination CIDR block " + d.text +
                                      " is equal to or more specific than one of this VPC's CIDR blocks. This "
                                      "route can target only an interface or an instance.");
}

bool AssociatedWithGateway(const RouteTable& rt) {
  for (const auto& a : rt.associations)
    if (!a.gateway_id.empty()) return true;
  return false;
}

// H2: a route of a table associated with a gateway goes to a whole CIDR block of the VPC or of
// one of its subnets, at an interface, an instance or a Gateway Load Balancer endpoint (or local).
void CheckGatewayTableRoute(const Partition& p, const RouteTable& rt, const Route& r) {
  const bool local = r.target_member == "GatewayId" && r.target_id == "local";
  if (!local && !MayBeMoreSpecificThanLocal(r.target_member, r.target_id))
    Fail("InvalidParameterValue",
         "Route target is not supported. This route only supports interface and instance targets.");
  bool whole = false;
  auto same = [](const std::string& block, const std::string& dest) { return !dest.empty() && block == dest; };
  const Vpc& v = p.vpcs.at(rt.vpc_id);
  for (const auto& b : v.cidr_blocks) whole |= same(b.cidr, r.destination_cidr_block);
  for (const auto& b : v.ipv6_cidr_blocks) whole |= same(b.cidr, r.destination_ipv6_cidr_block);
  for (const auto& [id, sub] : p.subnets) {
    if (sub.vpc_id != rt.vpc_id) continue;
    whole |= same(sub.cidr_block, r.destination_cidr_block);
    for (const auto& b : sub.ipv6_cidr_blocks) whole |= same(b.cidr, r.destination_ipv6_cidr_block);
  }
  if (!whole)
    Fail("InvalidParameterValue", "Route destination " + r.Destination() + " is not supported. A route table "
                                  "associated with a gateway routes only to a CIDR block of its VPC or of one of "
                                  "its subnets.");
}

// The family a route counts in: its block's, or its prefix list's.
bool RouteIsIpv6(const Partition& p, const Route& r) {
  if (!r.destination_prefix_list_id.empty()) {
    const ManagedPrefixList* pl = FindPrefixList(p, r.destination_prefix_list_id);
    return pl && pl->address_family == "IPv6";
  }
  return !r.destination_ipv6_cidr_block.empty();
}

// G15: routes per table, IPv4 and IPv6 apart; a route to a prefix list counts as its MaxEntries.
void CheckRouteFamilyQuota(const Tx& tx, const RouteTable& rt, bool ipv6, int adding) {
  int n = adding;
  for (const auto& r : rt.routes)
    if (!r.IsLocal() && RouteIsIpv6(tx.p, r) == ipv6)
      n += r.destination_prefix_list_id.empty() ? 1 : PrefixListWeight(tx.p, r.destination_prefix_list_id);
  if (n > tx.quotas.Get("routes-per-route-table"))
    Fail("RouteLimitExceeded", "The maximum number of routes has been reached.");
}

void CheckRouteQuota(const Tx& tx, const RouteTable& rt, const Destination& d) {
  if (d.prefix_list.empty()) return CheckRouteFamilyQuota(tx, rt, !d.v6.empty(), 1);
  const ManagedPrefixList* pl = FindPrefixList(tx.p, d.prefix_list);
  if (!pl) Fail("InvalidPrefixListId.NotFound", "The prefix list ID '" + d.prefix_list + "' does not exist");
  CheckRouteFamilyQuota(tx, rt, pl->address_family == "IPv6", pl->max_entries);
}

// GW-05: a gateway endpoint's route changes only with the endpoint (ModifyVpcEndpoint).
[[noreturn]] void VpcEndpointRoute(const RouteTable& rt, const Destination& d) {
  Fail("InvalidParameterValue", "The route " + d.text + " in route table " + rt.id + " belongs to a VPC endpoint: "
                                "change it with ModifyVpcEndpoint.");
}

std::string OneTarget(const RouteArgs& a) {
  if (a.target_member.empty())
    Fail("InvalidParameterCombination", "The request must contain exactly one of gatewayId, natGatewayId, "
                                        "egressOnlyInternetGatewayId, instanceId, networkInterfaceId, "
                                        "vpcPeeringConnectionId, transitGatewayId, localGatewayId, "
                                        "carrierGatewayId, vpcEndpointId or coreNetworkArn.");
  return a.target_member;
}

}  // namespace

const RouteTable* GatewayRouteTable(const Partition& p, const std::string& gateway_id) {
  for (const auto& [id, rt] : p.route_tables)
    for (const auto& a : rt.associations)
      if (a.gateway_id == gateway_id) return &rt;
  return nullptr;
}

void CheckRouteTableQuota(const Tx& tx, const RouteTable& rt) {
  CheckRouteFamilyQuota(tx, rt, false, 0);
  CheckRouteFamilyQuota(tx, rt, true, 0);
}

namespace {

RouteTableAssociation* FindAssociation(Partition& p, const std::string& association_id, RouteTable** owner) {
  for (auto& [id, rt] : p.route_tables)
    for (auto& a : rt.associations)
      if (a.id == association_id) {
        *owner = &rt;
        return &a;
      }
  Fail("InvalidAssociationID.NotFound", "The association ID '" + association_id + "' does not exist");
}

}  // namespace

void RegisterRouteTarget(RouteTargetKind kind) {
  RouteTargetKind& slot = TargetKinds()[kind.member][kind.id_prefix];
  slot = std::move(kind);
}

std::vector<const RouteTargetKind*> RouteTargetKinds() {
  RegisterAllRules();
  std::vector<const RouteTargetKind*> out;
  for (const auto& [member, by_prefix] : TargetKinds())
    for (const auto& [prefix, kind] : by_prefix) out.push_back(&kind);
  return out;
}

const RouteTargetKind* FindRouteTargetKind(const std::string& member, const std::string& id) {
  RegisterAllRules();  // the kinds are the model's own, whoever asks first
  auto by_member = TargetKinds().find(member);
  if (by_member == TargetKinds().end()) return nullptr;
  const KindsByPrefix& by_prefix = by_member->second;
  auto it = by_prefix.find(std::string_view(id).substr(0, id.find('-')));
  if (it == by_prefix.end()) it = by_prefix.find(std::string_view());
  return it == by_prefix.end() ? nullptr : &it->second;
}

const RouteTable& MainRouteTable(const Partition& p, const std::string& vpc_id) {
  for (const auto& [id, rt] : p.route_tables)
    if (rt.vpc_id == vpc_id)
      for (const auto& a : rt.associations)
        if (a.main) return rt;
  Fail("InternalError", "VPC " + vpc_id + " has no main route table");
}

const RouteTable& RouteTableOfSubnet(const Partition& p, const Subnet& s) {
  for (const auto& [id, rt] : p.route_tables)
    for (const auto& a : rt.associations)
      if (a.subnet_id == s.id) return rt;
  return MainRouteTable(p, s.vpc_id);
}

void internal::AddLocalRoutes(Tx& tx, const std::string& vpc_id, const std::string& cidr, bool ipv6) {
  for (auto& [id, rt] : tx.p.route_tables) {
    if (rt.vpc_id != vpc_id) continue;
    Route r;
    (ipv6 ? r.destination_ipv6_cidr_block : r.destination_cidr_block) = cidr;
    r.target_member = "GatewayId";
    r.target_id = "local";
    r.origin = "CreateRouteTable";
    rt.routes.push_back(r);
    tx.Touch(id);
  }
}

void internal::RemoveLocalRoutes(Tx& tx, const std::string& vpc_id, const std::string& cidr) {
  for (auto& [id, rt] : tx.p.route_tables) {
    if (rt.vpc_id != vpc_id) continue;
    std::erase_if(rt.routes, [&](const Route& r) { return r.origin == "CreateRouteTable" && r.Destination() == cidr; });
    tx.Touch(id);
  }
}

RouteTable& CreateRouteTable(Tx& tx, const std::string& vpc_id, TagList tags) {
  Partition& p = tx.p;
  Vpc& v = GetVpc(p, vpc_id);
  int in_vpc = static_cast<int>(std::count_if(p.route_tables.begin(), p.route_tables.end(),
                                              [&](const auto& kv) { return kv.second.vpc_id == vpc_id; }));
  if (in_vpc >= tx.quotas.Get("route-tables-per-vpc"))
    Fail("RouteTableLimitExceeded", "The maximum number of route tables has been reached.");
  RouteTable rt;
  rt.id = NewId("rtb");
  rt.owner_id = p.account_id;
  rt.vpc_id = vpc_id;
  rt.tags = std::move(tags);
  for (const auto& b : v.cidr_blocks)  // G1, G5: local routes only
    rt.routes.push_back({.destination_cidr_block = b.cidr, .target_member = "GatewayId", .target_id = "local",
                         .origin = "CreateRouteTable"});
  for (const auto& b : v.ipv6_cidr_blocks)
    rt.routes.push_back({.destination_ipv6_cidr_block = b.cidr, .target_member = "GatewayId",
                         .target_id = "local", .origin = "CreateRouteTable"});
  RouteTable& stored = p.route_tables[rt.id] = std::move(rt);
  tx.Touch(stored.id);
  return stored;
}

void DeleteRouteTable(Tx& tx, const std::string& route_table_id) {
  RouteTable& rt = GetRouteTable(tx.p, route_table_id);
  const bool endpoint_routes = std::any_of(rt.routes.begin(), rt.routes.end(),
                                           [](const Route& r) { return r.origin == "CreateVpcEndpoint"; });
  if (!rt.associations.empty() || endpoint_routes)  // G10, AA8: the main table and tables in use stay
    Fail("DependencyViolation",
         "The routeTable '" + route_table_id + "' has dependencies and cannot be deleted.");
  tx.p.route_tables.erase(route_table_id);
  tx.Touch(route_table_id);
}

std::string AssociateRouteTable(Tx& tx, const std::string& route_table_id, const std::string& subnet_id,
                                const std::string& gateway_id) {
  Partition& p = tx.p;
  RouteTable& rt = GetRouteTable(p, route_table_id);
  if (subnet_id.empty() == gateway_id.empty())
    Fail("InvalidParameterCombination", "The request must contain exactly one of subnetId or gatewayId");
  RouteTableAssociation a{NewId("rtbassoc"), false, subnet_id, gateway_id};
  if (!subnet_id.empty()) {
    Subnet& s = GetSubnet(p, subnet_id);
    if (s.vpc_id != rt.vpc_id)
      Fail("InvalidParameterValue",
           "Route table " + route_table_id + " and subnet " + subnet_id + " belong to different networks");
    for (const auto& [id, other] : p.route_tables)  // G9: one explicit association per subnet
      for (const auto& o : other.associations)
        if (o.subnet_id == subnet_id)
          Fail("Resource.AlreadyAssociated", "the specified association for route table " + id +
                                                 " conflicts with an existing association");
  } else {
    // An edge association (H): the gateway must be attached to the table's VPC, and the table's
    // routes must be a gateway table's (H3).
    auto igw = p.internet_gateways.find(gateway_id);
    if (igw == p.internet_gateways.end()) TargetNotFound("GatewayId", gateway_id);
    if (AttachedInternetGateway(p, rt.vpc_id) != &igw->second)
      Fail("InvalidParameterValue",
           "route table " + route_table_id + " and network gateway " + gateway_id + " belong to different networks");
    for (const auto& [id, other] : p.route_tables)
      for (const auto& o : other.associations)
        if (o.gateway_id == gateway_id)
          Fail("Resource.AlreadyAssociated", "the specified association for route table " + id +
                                                 " conflicts with an existing association");
    for (const auto& r : rt.routes) CheckGatewayTableRoute(p, rt, r);
  }
  rt.associations.push_back(a);
  tx.Touch(route_table_id);
  return a.id;
}

void DisassociateRouteTable(Tx& tx, const std::string& association_id) {
  RouteTable* rt = nullptr;
  RouteTableAssociation* a = FindAssociation(tx.p, association_id, &rt);
  if (a->main)  // G6: the main association is only ever replaced
    Fail("InvalidParameterValue", "cannot disassociate the main route table association " + association_id);
  std::erase_if(rt->associations, [&](const auto& x) { return x.id == association_id; });
  tx.Touch(rt->id);  // G8: the subnet falls back to the main table
}

std::string ReplaceRouteTableAssociation(Tx& tx, const std::string& association_id, const std::string& route_table_id) {
  Partition& p = tx.p;
  RouteTable& target = GetRouteTable(p, route_table_id);
  RouteTable* from = nullptr;
  RouteTableAssociation a = *FindAssociation(p, association_id, &from);
  if (target.vpc_id != from->vpc_id)
    Fail("InvalidParameterValue", "Route table " + route_table_id + " and association " + association_id +
                                      " belong to different networks");
  std::erase_if(from->associations, [&](const auto& x) { return x.id == association_id; });
  a.id = NewId("rtbassoc");
  target.associations.push_back(a);
  tx.Touch(from->id);
  tx.Touch(target.id);
  return a.id;
}

void CreateRoute(Tx& tx, const RouteArgs& a) {
  RouteTable& rt = GetRouteTable(tx.p, a.route_table_id);
  Destination d = ParseDestination(a);
  OneTarget(a);
  if (a.target_member == "GatewayId" && a.target_id == "local")
    Fail("InvalidParameterValue", "Value (local) for parameter gatewayId is invalid. Use ReplaceRoute with "
                                  "LocalTarget to restore a local route.");
  if (FindRoute(rt, d))
    Fail("RouteAlreadyExists", "The route identified by " + d.text + " already exists.");
  if (const ManagedPrefixList* pl = d.prefix_list.empty() ? nullptr : FindPrefixList(tx.p, d.prefix_list);
      pl && pl->owner_id == "AWS")  // GW-05: only a gateway endpoint puts a route to its service's list
    Fail("InvalidParameterValue", "The prefix list " + d.prefix_list + " is AWS-managed: its routes are made by "
                                  "associating the route table with a gateway endpoint (ModifyVpcEndpoint).");
  ValidateTarget(tx.p, rt, a.target_member, a.target_id);
  const Route route{d.v4, d.v6, d.prefix_list, a.target_member, a.target_id, "CreateRoute"};
  if (AssociatedWithGateway(rt)) CheckGatewayTableRoute(tx.p, rt, route);  // H2
  CheckNotMoreSpecificThanLocal(tx.p, rt, d, a);
  CheckRouteQuota(tx, rt, d);
  rt.routes.push_back(route);
  tx.Touch(rt.id);
}

void ReplaceRoute(Tx& tx, const RouteArgs& a) {
  RouteTable& rt = GetRouteTable(tx.p, a.route_table_id);
  Destination d = ParseDestination(a);
  Route* r = FindRoute(rt, d);
  if (!r)
    Fail("InvalidParameterValue",
         "There is no route defined for '" + d.text + "' in the route table. Use CreateRoute instead.");
  if (r->origin == "CreateVpcEndpoint") VpcEndpointRoute(rt, d);  // GW-05
  if (a.local_target) {
    if (r->origin != "CreateRouteTable")
      Fail("InvalidParameterValue", "LocalTarget can only restore the local route of a VPC CIDR block.");
    r->target_member = "GatewayId";
    r->target_id = "local";
    tx.Touch(rt.id);
    return;
  }
  OneTarget(a);
  if (r->origin == "CreateRouteTable" && !MayBeMoreSpecificThanLocal(a.target_member, a.target_id))
    Fail("InvalidParameterValue", "The local route " + d.text + " in route table " + rt.id +
                                      " can only be replaced with a network interface target.");
  ValidateTarget(tx.p, rt, a.target_member, a.target_id);
  if (AssociatedWithGateway(rt)) {  // H2
    Route replaced = *r;
    replaced.target_member = a.target_member;
    replaced.target_id = a.target_id;
    CheckGatewayTableRoute(tx.p, rt, replaced);
  }
  if (r->origin != "CreateRouteTable") CheckNotMoreSpecificThanLocal(tx.p, rt, d, a);
  r->target_member = a.target_member;
  r->target_id = a.target_id;
  tx.Touch(rt.id);
}

void DeleteRoute(Tx& tx, const RouteArgs& a) {
  RouteTable& rt = GetRouteTable(tx.p, a.route_table_id);
  Destination d = ParseDestination(a);
  Route* r = FindRoute(rt, d);
  const char* param = !d.v4.empty() ? "destination-cidr-block"
                      : !d.v6.empty() ? "destination-ipv6-cidr-block"
                                      : "destination-prefix-list-id";
  if (!r)
    Fail("InvalidRoute.NotFound",
         std::string("no route with ") + param + " " + d.text + " in route table " + rt.id);
  if (r->origin == "CreateRouteTable")  // G1
    Fail("InvalidParameterValue", "cannot remove local route " + d.text + " in route table " + rt.id);
  if (r->origin == "CreateVpcEndpoint") VpcEndpointRoute(rt, d);  // GW-05
  rt.routes.erase(rt.routes.begin() + (r - rt.routes.data()));
  tx.Touch(rt.id);
}

std::string RouteState(const Partition& p, const RouteTable& rt, const Route& r, const State* state) {
  if (r.IsLocal()) return "active";
  const RouteTargetKind* kind = RouteTargetKindOf(r);
  return kind && kind->usable && kind->usable(p, rt, r.target_id, state) ? "active" : "blackhole";
}

std::vector<std::pair<std::string, std::string>> RouteTargetMembers(const Partition& p, const RouteTable& rt,
                                                                    const Route& r) {
  const RouteTargetKind* kind = r.IsLocal() ? nullptr : RouteTargetKindOf(r);
  std::vector<std::pair<std::string, std::string>> members{
      {kind && !kind->shown_as.empty() ? kind->shown_as : r.target_member, r.target_id}};
  if (kind && kind->describe)
    for (auto& m : kind->describe(p, rt, r)) members.push_back(std::move(m));
  return members;
}

}  // namespace openvpc::model
