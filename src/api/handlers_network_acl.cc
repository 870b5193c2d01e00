// Network ACLs, their entries and subnet associations.
#include <algorithm>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/network_acl.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeNetworkAcls = {
    .ids_member = "NetworkAclIds", .id_path = "NetworkAclId", .list_member = "NetworkAcls",
    .not_found_code = "InvalidNetworkAclID.NotFound", .not_found_noun = "networkAcl",
    .filters = {
        {"association.association-id", {"Associations.NetworkAclAssociationId"}},
        {"association.network-acl-id", {"Associations.NetworkAclId"}},
        {"association.subnet-id", {"Associations.SubnetId"}},
        {"default", {"IsDefault"}},
        {"entry.cidr", {"Entries.CidrBlock"}},
        {"entry.icmp.code", {"Entries.IcmpTypeCode.Code"}},
        {"entry.icmp.type", {"Entries.IcmpTypeCode.Type"}},
        {"entry.ipv6-cidr", {"Entries.Ipv6CidrBlock"}},
        {"entry.port-range.from", {"Entries.PortRange.From"}},
        {"entry.port-range.to", {"Entries.PortRange.To"}},
        {"entry.protocol", {"Entries.Protocol"}},
        {"entry.rule-action", {"Entries.RuleAction"}},
        {"entry.egress", {"Entries.Egress"}},
        {"entry.rule-number", {"Entries.RuleNumber"}},
        {"network-acl-id", {"NetworkAclId"}},
        {"owner-id", {"OwnerId"}},
        {"vpc-id", {"VpcId"}},
    }};

json NetworkAclView(const model::NetworkAcl& acl) {
  std::vector<const model::NetworkAclEntry*> sorted;
  for (const auto& e : acl.entries) sorted.push_back(&e);
  // Outbound entries first, each direction by rule number, as AWS lists them.
  std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) {
    return std::make_pair(!a->egress, a->rule_number) < std::make_pair(!b->egress, b->rule_number);
  });
  json entries = json::array(), assocs = json::array();
  for (const auto* e : sorted) {
    json v = {{"RuleNumber", e->rule_number}, {"Protocol", e->protocol}, {"RuleAction", e->rule_action},
              {"Egress", e->egress}};
    if (!e->cidr_block.empty()) v["CidrBlock"] = e->cidr_block;
    if (!e->ipv6_cidr_block.empty()) v["Ipv6CidrBlock"] = e->ipv6_cidr_block;
    if (e->port_from >= 0) v["PortRange"] = {{"From", e->port_from}, {"To", e->port_to}};
    if (e->protocol == "1" || e->protocol == "58") v["IcmpTypeCode"] = {{"Type", e->icmp_type}, {"Code", e->icmp_code}};
    entries.push_back(v);
  }
  for (const auto& a : acl.associations)
    assocs.push_back({{"NetworkAclAssociationId", a.id}, {"NetworkAclId", acl.id}, {"SubnetId", a.subnet_id}});
  return {{"NetworkAclId", acl.id}, {"VpcId", acl.vpc_id},     {"OwnerId", acl.owner_id},
          {"IsDefault", acl.is_default}, {"Entries", entries}, {"Associations", assocs},
          {"Tags", TagsView(acl.tags)}};
}

std::optional<int> OptInt(const json& in, const char* outer, const char* member) {
  auto o = in.find(outer);
  if (o == in.end() || !o->contains(member)) return std::nullopt;
  return (*o)[member].get<int>();
}

model::NetworkAclEntryArgs EntryArgsOf(const json& in) {
  return {.network_acl_id = Str(in, "NetworkAclId"),
          .rule_number = in.value("RuleNumber", 0),
          .egress = Bool(in, "Egress"),
          .protocol = Str(in, "Protocol"),
          .rule_action = Str(in, "RuleAction"),
          .cidr_block = Str(in, "CidrBlock"),
          .ipv6_cidr_block = Str(in, "Ipv6CidrBlock"),
          .port_from = OptInt(in, "PortRange", "From"),
          .port_to = OptInt(in, "PortRange", "To"),
          .icmp_type = OptInt(in, "IcmpTypeCode", "Type"),
          .icmp_code = OptInt(in, "IcmpTypeCode", "Code")};
}

json CreateNetworkAcl(Call& c) {
  const auto& acl = model::CreateNetworkAcl(c.tx, Str(c.in, "VpcId"), CreateTagsFor(c, "network-acl"));
  json out = {{"NetworkAcl", NetworkAclView(acl)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json DeleteNetworkAcl(Call& c) {
  model::DeleteNetworkAcl(c.tx, Str(c.in, "NetworkAclId"));
  return json::object();
}

json DescribeNetworkAcls(Call& c) {
  std::vector<json> items;
  for (const auto& [id, acl] : c.p().network_acls) items.push_back(NetworkAclView(acl));
  return Describe(kDescribeNetworkAcls, c.in, std::move(items));
}

json CreateNetworkAclEntry(Call& c) {
  model::CreateNetworkAclEntry(c.tx, EntryArgsOf(c.in));
  return json::object();
}

json ReplaceNetworkAclEntry(Call& c) {
  model::ReplaceNetworkAclEntry(c.tx, EntryArgsOf(c.in));
  return json::object();
}

json DeleteNetworkAclEntry(Call& c) {
  model::DeleteNetworkAclEntry(c.tx, Str(c.in, "NetworkAclId"), c.in.value("RuleNumber", 0), Bool(c.in, "Egress"));
  return json::object();
}

json ReplaceNetworkAclAssociation(Call& c) {
  return {{"NewAssociationId",
           model::ReplaceNetworkAclAssociation(c.tx, Str(c.in, "AssociationId"), Str(c.in, "NetworkAclId"))}};
}

}  // namespace

void RegisterNetworkAclHandlers() {
  Register("CreateNetworkAcl", CreateNetworkAcl, true);
  Register("DeleteNetworkAcl", DeleteNetworkAcl, true);
  Register("DescribeNetworkAcls", DescribeNetworkAcls, false);
  Register("CreateNetworkAclEntry", CreateNetworkAclEntry, true);
  Register("ReplaceNetworkAclEntry", ReplaceNetworkAclEntry, true);
  Register("DeleteNetworkAclEntry", DeleteNetworkAclEntry, true);
  Register("ReplaceNetworkAclAssociation", ReplaceNetworkAclAssociation, true);
}

}  // namespace openvpc::api
