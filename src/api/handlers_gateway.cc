// Internet gateways and egress-only internet gateways.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/internet_gateway.h"
#include "model/vpc.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeInternetGateways = {
    .ids_member = "InternetGatewayIds", .id_path = "InternetGatewayId", .list_member = "InternetGateways",
    .not_found_code = "InvalidInternetGatewayID.NotFound", .not_found_noun = "internetGateway",
    .filters = {
        {"attachment.state", {"Attachments.State"}},
        {"attachment.vpc-id", {"Attachments.VpcId"}},
        {"internet-gateway-id", {"InternetGatewayId"}},
        {"owner-id", {"OwnerId"}},
    }};

const DescribeSpec kDescribeEgressOnlyInternetGateways = {
    .ids_member = "EgressOnlyInternetGatewayIds", .id_path = "EgressOnlyInternetGatewayId",
    .list_member = "EgressOnlyInternetGateways",
    .not_found_code = "InvalidGatewayID.NotFound", .not_found_noun = "egressOnlyInternetGateway",
    .filters = {},
    .max_results = {5, 255}};

json CreateInternetGateway(Call& c) {
  return {{"InternetGateway",
           InternetGatewayView(model::CreateInternetGateway(c.tx, CreateTagsFor(c, "internet-gateway")))}};
}

json DeleteInternetGateway(Call& c) {
  model::DeleteInternetGateway(c.tx, Str(c.in, "InternetGatewayId"));
  return json::object();
}

json DescribeInternetGateways(Call& c) {
  std::vector<json> items;
  for (const auto& [id, g] : c.p().internet_gateways) items.push_back(InternetGatewayView(g));
  return Describe(kDescribeInternetGateways, c.in, std::move(items));
}

json AttachInternetGateway(Call& c) {
  model::AttachInternetGateway(c.tx, Str(c.in, "InternetGatewayId"), Str(c.in, "VpcId"));
  return json::object();
}

json DetachInternetGateway(Call& c) {
  model::DetachInternetGateway(c.tx, Str(c.in, "InternetGatewayId"), Str(c.in, "VpcId"));
  return json::object();
}

json CreateEgressOnlyInternetGateway(Call& c) {
  const auto& g = model::CreateEgressOnlyInternetGateway(c.tx, Str(c.in, "VpcId"),
                                                         CreateTagsFor(c, "egress-only-internet-gateway"));
  json out = {{"EgressOnlyInternetGateway", EgressOnlyInternetGatewayView(g)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json DeleteEgressOnlyInternetGateway(Call& c) {
  model::DeleteEgressOnlyInternetGateway(c.tx, Str(c.in, "EgressOnlyInternetGatewayId"));
  return {{"ReturnCode", true}};
}

json DescribeEgressOnlyInternetGateways(Call& c) {
  std::vector<json> items;
  for (const auto& [id, g] : c.p().egress_only_internet_gateways) items.push_back(EgressOnlyInternetGatewayView(g));
  return Describe(kDescribeEgressOnlyInternetGateways, c.in, std::move(items));
}

}  // namespace

void RegisterGatewayHandlers() {
  Register("CreateInternetGateway", CreateInternetGateway, true);
  Register("DeleteInternetGateway", DeleteInternetGateway, true);
  Register("DescribeInternetGateways", DescribeInternetGateways, false);
  Register("AttachInternetGateway", AttachInternetGateway, true);
  Register("DetachInternetGateway", DetachInternetGateway, true);
  Register("CreateEgressOnlyInternetGateway", CreateEgressOnlyInternetGateway, true);
  Register("DeleteEgressOnlyInternetGateway", DeleteEgressOnlyInternetGateway, true);
  Register("DescribeEgressOnlyInternetGateways", DescribeEgressOnlyInternetGateways, false);
}

}  // namespace openvpc::api
