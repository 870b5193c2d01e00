// CreateVpc, DeleteVpc, DescribeVpcs, Describe/ModifyVpcAttribute, Associate/Disassociate
// VpcCidrBlock, ModifyVpcTenancy, CreateDefaultVpc.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/dhcp_options.h"
#include "model/vpc.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeVpcs = {
    .ids_member = "VpcIds", .id_path = "VpcId", .list_member = "Vpcs",
    .not_found_code = "InvalidVpcID.NotFound", .not_found_noun = "vpc",
    .filters = {
        {"cidr", {"CidrBlock"}},
        {"cidr-block-association.cidr-block", {"CidrBlockAssociationSet.CidrBlock"}},
        {"cidr-block-association.association-id", {"CidrBlockAssociationSet.AssociationId"}},
        {"cidr-block-association.state", {"CidrBlockAssociationSet.CidrBlockState.State"}},
        {"dhcp-options-id", {"DhcpOptionsId"}},
        {"ipv6-cidr-block-association.ipv6-cidr-block", {"Ipv6CidrBlockAssociationSet.Ipv6CidrBlock"}},
        {"ipv6-cidr-block-association.ipv6-pool", {"Ipv6CidrBlockAssociationSet.Ipv6Pool"}},
        {"ipv6-cidr-block-association.association-id", {"Ipv6CidrBlockAssociationSet.AssociationId"}},
        {"ipv6-cidr-block-association.state", {"Ipv6CidrBlockAssociationSet.Ipv6CidrBlockState.State"}},
        {"is-default", {"IsDefault"}},
        {"isDefault", {"IsDefault"}},
        {"owner-id", {"OwnerId"}},
        {"state", {"State"}},
        {"vpc-id", {"VpcId"}},
    }};

json CreateVpc(Call& c) {
  if (c.in.contains("Ipv4IpamPoolId") || c.in.contains("Ipv6IpamPoolId") || c.in.contains("Ipv6Pool"))
    model::Fail("InvalidParameterValue", "IPAM and BYOIP pools are not available in this Region.");
  model::CreateVpcArgs a{.cidr_block = Str(c.in, "CidrBlock"),
                         .amazon_provided_ipv6 = Bool(c.in, "AmazonProvidedIpv6CidrBlock"),
                         .instance_tenancy = c.in.value("InstanceTenancy", "default"),
                         .tags = CreateTagsFor(c, "vpc")};
  const model::Vpc& v = model::CreateVpc(c.tx, a);
  json view = VpcView(c.p(), v);
  view["State"] = "pending";  // a new VPC is pending in the create response, as in AWS's examples
  return {{"Vpc", view}};
}

json DeleteVpc(Call& c) {
  model::DeleteVpc(c.tx, Str(c.in, "VpcId"));
  return json::object();
}

json DescribeVpcs(Call& c) {
  std::vector<json> items;
  for (const auto& [id, v] : c.p().vpcs) items.push_back(VpcView(c.p(), v));
  return Describe(kDescribeVpcs, c.in, std::move(items));
}

json DescribeVpcAttribute(Call& c) {
  const model::Vpc& v = model::GetVpc(c.p(), Str(c.in, "VpcId"));
  std::string attr = Str(c.in, "Attribute");
  json out = {{"VpcId", v.id}};
  if (attr == "enableDnsSupport") out["EnableDnsSupport"] = {{"Value", v.enable_dns_support}};
  else if (attr == "enableDnsHostnames") out["EnableDnsHostnames"] = {{"Value", v.enable_dns_hostnames}};
  else out["EnableNetworkAddressUsageMetrics"] = {{"Value", v.enable_network_address_usage_metrics}};
  return out;
}

json ModifyVpcAttribute(Call& c) {
  std::vector<std::pair<std::string, bool>> changes;
  for (const char* m : {"EnableDnsSupport", "EnableDnsHostnames", "EnableNetworkAddressUsageMetrics"})
    if (auto v = AttrBool(c.in, m)) {
      std::string attr = m;
      attr[0] = 'e';
      changes.emplace_back(attr, *v);
    }
  if (changes.size() != 1)  // AWS takes exactly one attribute per request
    model::Fail("InvalidParameterCombination",
                "Fields for multiple attribute types specified: enableDnsSupport, enableDnsHostnames. Only one "
                "attribute can be modified per request.");
  model::ModifyVpcAttribute(c.tx, Str(c.in, "VpcId"), changes[0].first, changes[0].second);
  return json::object();
}

json AssociateVpcCidrBlock(Call& c) {
  for (const char* m : {"Ipv4IpamPoolId", "Ipv6IpamPoolId", "Ipv6Pool", "Ipv6CidrBlock"})
    if (c.in.contains(m))
      model::Fail("InvalidParameterValue", std::string("The parameter ") + m + " is not supported: use a CidrBlock "
                                           "or AmazonProvidedIpv6CidrBlock.");
  std::string vpc_id = Str(c.in, "VpcId");
  bool ipv6 = Bool(c.in, "AmazonProvidedIpv6CidrBlock");
  model::CidrBlockAssociation a = model::AssociateVpcCidrBlock(c.tx, vpc_id, Str(c.in, "CidrBlock"), ipv6);
  json out = {{"VpcId", vpc_id}};
  if (ipv6) out["Ipv6CidrBlockAssociation"] = VpcIpv6CidrView(a);
  else out["CidrBlockAssociation"] = VpcCidrView(a);
  return out;
}

json DisassociateVpcCidrBlock(Call& c) {
  auto [vpc_id, a] = model::DisassociateVpcCidrBlock(c.tx, Str(c.in, "AssociationId"));
  json out = {{"VpcId", vpc_id}};
  if (a.cidr.find(':') != std::string::npos) out["Ipv6CidrBlockAssociation"] = VpcIpv6CidrView(a);
  else out["CidrBlockAssociation"] = VpcCidrView(a);
  return out;
}

json ModifyVpcTenancy(Call& c) {
  model::ModifyVpcTenancy(c.tx, Str(c.in, "VpcId"), Str(c.in, "InstanceTenancy"));
  return {{"ReturnValue", true}};
}

json CreateDefaultVpc(Call& c) {
  json view = VpcView(c.p(), model::CreateDefaultVpc(c.tx));
  view["State"] = "pending";
  return {{"Vpc", view}};
}

}  // namespace

void RegisterVpcHandlers() {
  Register("CreateVpc", CreateVpc, true);
  Register("DeleteVpc", DeleteVpc, true);
  Register("DescribeVpcs", DescribeVpcs, false);
  Register("DescribeVpcAttribute", DescribeVpcAttribute, false);
  Register("ModifyVpcAttribute", ModifyVpcAttribute, true);
  Register("AssociateVpcCidrBlock", AssociateVpcCidrBlock, true);
  Register("DisassociateVpcCidrBlock", DisassociateVpcCidrBlock, true);
  Register("ModifyVpcTenancy", ModifyVpcTenancy, true);
  Register("CreateDefaultVpc", CreateDefaultVpc, true);
}

}  // namespace openvpc::api
