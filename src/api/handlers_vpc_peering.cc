// VPC peering connections (issue 3). The rules live in model/vpc_peering.cc; this file turns
// them into the six operations and the VpcPeeringConnection output shape.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/vpc_peering.h"
#include "model/dhcp_options.h"
#include "model/tags.h"
#include "model/vpc.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeVpcPeeringConnections = {
    .ids_member = "VpcPeeringConnectionIds", .id_path = "VpcPeeringConnectionId",
    .list_member = "VpcPeeringConnections",
    .not_found_code = "InvalidVpcPeeringConnectionID.NotFound", .not_found_noun = "vpcPeeringConnection",
    .filters = {
        {"accepter-vpc-info.cidr-block", {"AccepterVpcInfo.CidrBlock", "AccepterVpcInfo.CidrBlockSet.CidrBlock"}},
        {"accepter-vpc-info.owner-id", {"AccepterVpcInfo.OwnerId"}},
        {"accepter-vpc-info.vpc-id", {"AccepterVpcInfo.VpcId"}},
        {"expiration-time", {"ExpirationTime"}},
        {"requester-vpc-info.cidr-block", {"RequesterVpcInfo.CidrBlock", "RequesterVpcInfo.CidrBlockSet.CidrBlock"}},
        {"requester-vpc-info.owner-id", {"RequesterVpcInfo.OwnerId"}},
        {"requester-vpc-info.vpc-id", {"RequesterVpcInfo.VpcId"}},
        {"status-code", {"Status.Code"}},
        {"status-message", {"Status.Message"}},
        {"vpc-peering-connection-id", {"VpcPeeringConnectionId"}},
    },
    .malformed_code = "InvalidVpcPeeringConnectionId.Malformed", .id_prefix = "pcx-"};

json OptionsView(const model::VpcPeeringConnectionVpcInfo& side) {
  return {{"AllowDnsResolutionFromRemoteVpc", side.allow_dns_resolution_from_remote_vpc},
          {"AllowEgressFromLocalClassicLinkToRemoteVpc", false},
          {"AllowEgressFromLocalVpcToRemoteClassicLink", false}};
}

// One side's VPC. The accepter's blocks and both sides' options show once the connection is
// active: a request does not reveal the accepter's addresses (API Reference, boto/boto3#326).
json SideView(const model::Tx& tx, const model::VpcPeeringConnectionVpcInfo& side, bool show_blocks,
              bool active) {
  json v = {{"OwnerId", side.owner_id}, {"VpcId", side.vpc_id}, {"Region", side.region}};
  if (show_blocks) {
    auto v4 = model::PeeringSideIpv4Blocks(tx, side);
    auto v6 = model::PeeringSideIpv6Blocks(tx, side);
    json set4 = json::array(), set6 = json::array();
    for (const auto& c : v4) set4.push_back({{"CidrBlock", c}});
    for (const auto& c : v6) set6.push_back({{"Ipv6CidrBlock", c}});
    v["CidrBlock"] = side.cidr_block.empty() && !v4.empty() ? v4.front() : side.cidr_block;
    v["CidrBlockSet"] = set4;
    v["Ipv6CidrBlockSet"] = set6;
  }
  if (active) v["PeeringOptions"] = OptionsView(side);
  return v;
}

json PeeringView(const model::Tx& tx, const model::VpcPeeringConnection& c, bool caller_is_requester) {
  const bool active = c.status_code == "active";
  json v = {{"VpcPeeringConnectionId", c.id},
            {"Status", {{"Code", c.status_code}, {"Message", c.status_message}}},
            {"RequesterVpcInfo", SideView(tx, c.requester, true, active)},
            {"AccepterVpcInfo", SideView(tx, c.accepter, active, active)},
            // Tags apply only in the account and Region that created them (Peering Guide).
            {"Tags", caller_is_requester ? TagsView(c.tags) : json::array()}};
  if ((c.status_code == "pending-acceptance" || c.status_code == "initiating-request") && !c.expiration_time.empty())
    v["ExpirationTime"] = c.expiration_time;
  return v;
}

json FindView(Call& c, const std::string& id) {
  for (const auto& v : model::VisiblePeeringConnections(c.tx))
    if (v.pcx.id == id) return PeeringView(c.tx, v.pcx, v.caller_is_requester);
  model::Fail("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '" + id + "' does not exist");
}

json CreateVpcPeeringConnection(Call& c) {
  model::CreateVpcPeeringArgs a{Str(c.in, "VpcId"), Str(c.in, "PeerVpcId"), Str(c.in, "PeerOwnerId"),
                                Str(c.in, "PeerRegion"), CreateTagsFor(c, "vpc-peering-connection")};
  auto pcx = model::CreateVpcPeeringConnection(c.tx, a);
  return {{"VpcPeeringConnection", PeeringView(c.tx, pcx, true)}};
}

json AcceptVpcPeeringConnection(Call& c) {
  const std::string id = Str(c.in, "VpcPeeringConnectionId");
  model::AcceptVpcPeeringConnection(c.tx, id);
  return {{"VpcPeeringConnection", FindView(c, id)}};
}

json RejectVpcPeeringConnection(Call& c) {
  model::RejectVpcPeeringConnection(c.tx, Str(c.in, "VpcPeeringConnectionId"));
  return {{"Return", true}};
}

json DeleteVpcPeeringConnection(Call& c) {
  model::DeleteVpcPeeringConnection(c.tx, Str(c.in, "VpcPeeringConnectionId"));
  return {{"Return", true}};
}

json DescribeVpcPeeringConnections(Call& c) {
  std::vector<json> items;
  for (const auto& v : model::VisiblePeeringConnections(c.tx))
    items.push_back(PeeringView(c.tx, v.pcx, v.caller_is_requester));
  return Describe(kDescribeVpcPeeringConnections, c.in, std::move(items));
}

std::optional<model::PeeringOptionsRequest> OptionsIn(const json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end()) return std::nullopt;
  model::PeeringOptionsRequest r;
  auto dns = it->find("AllowDnsResolutionFromRemoteVpc");
  if (dns != it->end() && dns->is_boolean()) r.allow_dns_resolution_from_remote_vpc = dns->get<bool>();
  return r;
}

json ModifyVpcPeeringConnectionOptions(Call& c) {
  auto r = model::ModifyVpcPeeringConnectionOptions(c.tx, Str(c.in, "VpcPeeringConnectionId"),
                                                    OptionsIn(c.in, "RequesterPeeringConnectionOptions"),
                                                    OptionsIn(c.in, "AccepterPeeringConnectionOptions"));
  auto options = [](bool dns) {
    return json{{"AllowDnsResolutionFromRemoteVpc", dns},
                {"AllowEgressFromLocalClassicLinkToRemoteVpc", false},
                {"AllowEgressFromLocalVpcToRemoteClassicLink", false}};
  };
  json out = json::object();
  if (r.requester_dns) out["RequesterPeeringConnectionOptions"] = options(*r.requester_dns);
  if (r.accepter_dns) out["AccepterPeeringConnectionOptions"] = options(*r.accepter_dns);
  return out;
}

}  // namespace

void RegisterVpcPeeringHandlers() {
  Register("CreateVpcPeeringConnection", CreateVpcPeeringConnection, true);
  Register("AcceptVpcPeeringConnection", AcceptVpcPeeringConnection, true);
  Register("RejectVpcPeeringConnection", RejectVpcPeeringConnection, true);
  Register("DeleteVpcPeeringConnection", DeleteVpcPeeringConnection, true);
  Register("DescribeVpcPeeringConnections", DescribeVpcPeeringConnections, false);
  Register("ModifyVpcPeeringConnectionOptions", ModifyVpcPeeringConnectionOptions, true);
}

}  // namespace openvpc::api
