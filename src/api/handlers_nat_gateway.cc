// NAT gateways (issue 3). The rules live in model/nat_gateway.cc; this file turns them into
// CreateNatGateway, DeleteNatGateway, DescribeNatGateways and the NatGateway output shape.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/nat_gateway.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeNatGateways = {
    .ids_member = "NatGatewayIds", .id_path = "NatGatewayId", .list_member = "NatGateways",
    .not_found_code = "NatGatewayNotFound", .not_found_noun = "natGateway",
    .filters = {
        {"nat-gateway-id", {"NatGatewayId"}},
        {"state", {"State"}},
        {"subnet-id", {"SubnetId"}},
        {"vpc-id", {"VpcId"}},
    }};

// STATE is the one to show: the Create response's "pending", or the lifecycle's at read time.
json NatGatewayView(const model::NatGateway& g, const std::string& state) {
  json addresses = json::array();
  if (!g.allocation_id.empty() || !g.network_interface_id.empty()) {
    json a = {{"IsPrimary", true}};
    if (!g.allocation_id.empty()) a["AllocationId"] = g.allocation_id;
    if (!g.network_interface_id.empty()) a["NetworkInterfaceId"] = g.network_interface_id;
    if (!g.private_ip.empty()) a["PrivateIp"] = g.private_ip;
    if (!g.public_ip.empty()) a["PublicIp"] = g.public_ip;
    if (!g.association_id.empty()) a["AssociationId"] = g.association_id;
    if (state == "failed") {
      a["Status"] = "failed";
      a["FailureMessage"] = g.failure_message;
    } else if (state == "pending") {
      a["Status"] = g.allocation_id.empty() ? "assigning" : "associating";
    } else {
      a["Status"] = "succeeded";
    }
    addresses.push_back(a);
  }
  json v = {{"NatGatewayId", g.id},
            {"SubnetId", g.subnet_id},
            {"VpcId", g.vpc_id},
            {"State", state},
            {"ConnectivityType", g.connectivity_type},
            {"CreateTime", g.create_time},
            {"NatGatewayAddresses", addresses},
            {"Tags", TagsView(g.tags)}};
  if (!g.delete_time.empty()) v["DeleteTime"] = g.delete_time;
  if (!g.failure_code.empty()) v["FailureCode"] = g.failure_code;
  if (!g.failure_message.empty()) v["FailureMessage"] = g.failure_message;
  return v;
}

json CreateNatGateway(Call& c) {
  if (c.in.value("AvailabilityMode", "zonal") != "zonal" || c.in.contains("VpcId") ||
      c.in.contains("AvailabilityZoneAddresses"))
    model::Fail("InvalidParameterValue", "Regional NAT gateways are not supported in this Region.");
  for (const char* m : {"SecondaryAllocationIds", "SecondaryPrivateIpAddresses", "SecondaryPrivateIpAddressCount"})
    if (c.in.contains(m))
      model::Fail("InvalidParameterValue", std::string("The parameter ") + m + " is not supported in this Region.");
  model::NatGateway g = model::CreateNatGateway(c.tx, {.subnet_id = Str(c.in, "SubnetId"),
                                                       .connectivity_type = Str(c.in, "ConnectivityType"),
                                                       .allocation_id = Str(c.in, "AllocationId"),
                                                       .private_ip_address = Str(c.in, "PrivateIpAddress"),
                                                       .tags = CreateTagsFor(c, "natgateway")});
  json out = {{"NatGateway", NatGatewayView(g, g.state)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json DeleteNatGateway(Call& c) {
  std::string id = Str(c.in, "NatGatewayId");
  model::DeleteNatGateway(c.tx, id);
  return {{"NatGatewayId", id}};
}

json DescribeNatGateways(Call& c) {
  json in = c.in;
  if (in.contains("Filter")) {  // this operation's filter member is singular
    in["Filters"] = in["Filter"];
    in.erase("Filter");
  }
  // Ids first, with this operation's own codes and message (NatGatewayMalformed, NatGatewayNotFound).
  for (const auto& id : StrList(c.in, "NatGatewayIds")) model::GetNatGateway(c.p(), id);
  const auto now = model::NatGatewayNow();
  std::vector<json> items;
  for (const auto& [id, g] : c.p().nat_gateways)
    if (model::NatGatewayVisible(g, now)) items.push_back(NatGatewayView(g, model::NatGatewayState(g, now)));
  return Describe(kDescribeNatGateways, in, std::move(items));
}

}  // namespace

void RegisterNatGatewayHandlers() {
  Register("CreateNatGateway", CreateNatGateway, true);
  Register("DeleteNatGateway", DeleteNatGateway, true);
  Register("DescribeNatGateways", DescribeNatGateways, false);
}

}  // namespace openvpc::api
