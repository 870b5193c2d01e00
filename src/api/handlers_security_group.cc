// Security groups and their rules.
#include <algorithm>
#include <set>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/security_group.h"
#include "model/dhcp_options.h"
#include "model/vpc.h"

namespace openvpc::api {
namespace {

std::vector<FilterSpec> PermissionFilters(const std::string& prefix, const std::string& member) {
  return {{prefix + "ip-permission.cidr", {member + ".IpRanges.CidrIp"}},
          {prefix + "ip-permission.from-port", {member + ".FromPort"}},
          {prefix + "ip-permission.group-id", {member + ".UserIdGroupPairs.GroupId"}},
          {prefix + "ip-permission.group-name", {member + ".UserIdGroupPairs.GroupName"}},
          {prefix + "ip-permission.ipv6-cidr", {member + ".Ipv6Ranges.CidrIpv6"}},
          {prefix + "ip-permission.prefix-list-id", {member + ".PrefixListIds.PrefixListId"}},
          {prefix + "ip-permission.protocol", {member + ".IpProtocol"}},
          {prefix + "ip-permission.to-port", {member + ".ToPort"}},
          {prefix + "ip-permission.user-id", {member + ".UserIdGroupPairs.UserId"}}};
}

DescribeSpec DescribeSecurityGroupsSpec() {
  DescribeSpec spec{.ids_member = "GroupIds", .id_path = "GroupId", .list_member = "SecurityGroups",
                    .not_found_code = "InvalidGroup.NotFound", .not_found_noun = "security group",
                    .filters = {{"description", {"Description"}},
                                {"group-id", {"GroupId"}},
                                {"group-name", {"GroupName"}},
                                {"owner-id", {"OwnerId"}},
                                {"vpc-id", {"VpcId"}}},
                    .malformed_code = "InvalidGroupId.Malformed", .id_prefix = "sg-"};
  for (auto& f : PermissionFilters("", "IpPermissions")) spec.filters.push_back(f);
  for (auto& f : PermissionFilters("egress.", "IpPermissionsEgress")) spec.filters.push_back(f);
  return spec;
}

const DescribeSpec kDescribeSecurityGroupRules = {
    .ids_member = "SecurityGroupRuleIds", .id_path = "SecurityGroupRuleId", .list_member = "SecurityGroupRules",
    .not_found_code = "InvalidSecurityGroupRuleId.NotFound", .not_found_noun = "security group rule",
    .filters = {{"group-id", {"GroupId"}}, {"security-group-rule-id", {"SecurityGroupRuleId"}}}};

json RuleView(const model::SecurityGroup& sg, const model::SecurityGroupRule& r) {
  json v = {{"SecurityGroupRuleId", r.id}, {"GroupId", sg.id},         {"GroupOwnerId", sg.owner_id},
            {"IsEgress", r.egress},        {"IpProtocol", r.ip_protocol}, {"FromPort", r.from_port},
            {"ToPort", r.to_port},         {"Tags", TagsView(r.tags)}};
  if (!r.cidr_ipv4.empty()) v["CidrIpv4"] = r.cidr_ipv4;
  if (!r.cidr_ipv6.empty()) v["CidrIpv6"] = r.cidr_ipv6;
  if (!r.prefix_list_id.empty()) v["PrefixListId"] = r.prefix_list_id;
  if (!r.referenced_group_id.empty())
    v["ReferencedGroupInfo"] = {{"GroupId", r.referenced_group_id}, {"UserId", r.referenced_user_id}};
  if (!r.description.empty()) v["Description"] = r.description;
  return v;
}

// The older shape: rules grouped by protocol and ports into IpPermissions.
json PermissionsView(const model::SecurityGroup& sg, bool egress) {
  json out = json::array();
  for (const auto& r : sg.rules) {
    if (r.egress != egress) continue;
    auto same = std::find_if(out.begin(), out.end(), [&](const json& p) {
      return p["IpProtocol"] == r.ip_protocol && p.value("FromPort", -1) == r.from_port &&
             p.value("ToPort", -1) == r.to_port;
    });
    if (same == out.end()) {
      json p = {{"IpProtocol", r.ip_protocol},      {"IpRanges", json::array()},   {"Ipv6Ranges", json::array()},
                {"PrefixListIds", json::array()},   {"UserIdGroupPairs", json::array()}};
      if (r.ip_protocol != "-1") p["FromPort"] = r.from_port, p["ToPort"] = r.to_port;
      out.push_back(p);
      same = out.end() - 1;
    }
    auto with_description = [&](json v) {
      if (!r.description.empty()) v["Description"] = r.description;
      return v;
    };
    if (!r.cidr_ipv4.empty()) (*same)["IpRanges"].push_back(with_description({{"CidrIp", r.cidr_ipv4}}));
    if (!r.cidr_ipv6.empty()) (*same)["Ipv6Ranges"].push_back(with_description({{"CidrIpv6", r.cidr_ipv6}}));
    if (!r.prefix_list_id.empty())
      (*same)["PrefixListIds"].push_back(with_description({{"PrefixListId", r.prefix_list_id}}));
    if (!r.referenced_group_id.empty())
      (*same)["UserIdGroupPairs"].push_back(
          with_description({{"GroupId", r.referenced_group_id}, {"UserId", r.referenced_user_id}}));
  }
  return out;
}

json SecurityGroupView(const model::Partition& p, const model::SecurityGroup& sg) {
  return {{"GroupId", sg.id},
          {"GroupName", sg.group_name},
          {"Description", sg.description},
          {"VpcId", sg.vpc_id},
          {"OwnerId", sg.owner_id},
          {"SecurityGroupArn", "arn:aws:ec2:" + p.region + ":" + sg.owner_id + ":security-group/" + sg.id},
          {"IpPermissions", PermissionsView(sg, false)},
          {"IpPermissionsEgress", PermissionsView(sg, true)},
          {"Tags", TagsView(sg.tags)}};
}

// The group a request names by GroupId or, in the default VPC, by GroupName.
model::SecurityGroup& GroupOf(Call& c) {
  if (c.in.contains("GroupId")) return model::GetSecurityGroup(c.p(), Str(c.in, "GroupId"));
  if (c.in.contains("GroupName")) return model::GetSecurityGroupByName(c.p(), Str(c.in, "GroupName"));
  model::Fail("MissingParameter", "The request must contain the parameter groupName or groupId");
}

std::optional<int> OptInt(const json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end()) return std::nullopt;
  return it->get<int>();
}

// IpPermissions (or the single-rule shorthand members) as one spec per peer.
std::vector<model::RuleSpec> RuleSpecsOf(Call& c, const model::SecurityGroup& sg) {
  std::vector<model::RuleSpec> out;
  for (const auto& perm : c.in.value("IpPermissions", json::array())) {
    model::RuleSpec base{.ip_protocol = perm.value("IpProtocol", ""),
                         .from_port = OptInt(perm, "FromPort"),
                         .to_port = OptInt(perm, "ToPort")};
    size_t before = out.size();
    for (const auto& r : perm.value("IpRanges", json::array())) {
      auto s = base;
      s.cidr_ipv4 = r.value("CidrIp", "");
      s.description = r.value("Description", "");
      out.push_back(s);
    }
    for (const auto& r : perm.value("Ipv6Ranges", json::array())) {
      auto s = base;
      s.cidr_ipv6 = r.value("CidrIpv6", "");
      s.description = r.value("Description", "");
      out.push_back(s);
    }
    for (const auto& r : perm.value("PrefixListIds", json::array())) {
      auto s = base;
      s.prefix_list_id = r.value("PrefixListId", "");
      s.description = r.value("Description", "");
      out.push_back(s);
    }
    for (const auto& r : perm.value("UserIdGroupPairs", json::array())) {
      auto s = base;
      s.referenced_group_id = r.contains("GroupId")
                                  ? r.value("GroupId", "")
                                  : model::GetSecurityGroupByName(c.p(), r.value("GroupName", ""), sg.vpc_id).id;
      s.referenced_user_id = r.value("UserId", "");
      s.description = r.value("Description", "");
      out.push_back(s);
    }
    if (out.size() == before) out.push_back(base);  // no peer: refused by the model
  }
  if (c.in.contains("IpProtocol") || c.in.contains("CidrIp") || c.in.contains("SourceSecurityGroupName")) {
    model::RuleSpec s{.ip_protocol = c.in.value("IpProtocol", "-1"),
                      .from_port = OptInt(c.in, "FromPort"),
                      .to_port = OptInt(c.in, "ToPort"),
                      .cidr_ipv4 = Str(c.in, "CidrIp")};
    if (c.in.contains("SourceSecurityGroupName")) {
      s.referenced_group_id = model::GetSecurityGroupByName(c.p(), Str(c.in, "SourceSecurityGroupName"), sg.vpc_id).id;
      s.referenced_user_id = Str(c.in, "SourceSecurityGroupOwnerId");
      if (!c.in.contains("IpProtocol")) s.from_port = s.to_port = std::nullopt;
    }
    out.push_back(s);
  }
  return out;
}

json CreateSecurityGroup(Call& c) {
  const auto& sg = model::CreateSecurityGroup(c.tx, {.group_name = Str(c.in, "GroupName"),
                                                     .description = Str(c.in, "Description"),
                                                     .vpc_id = Str(c.in, "VpcId"),
                                                     .tags = CreateTagsFor(c, "security-group")});
  json v = SecurityGroupView(c.p(), sg);
  return {{"GroupId", sg.id}, {"SecurityGroupArn", v["SecurityGroupArn"]}, {"Tags", v["Tags"]}};
}

json DeleteSecurityGroup(Call& c) {
  std::string id = GroupOf(c).id;
  model::DeleteSecurityGroup(c.tx, id);
  return {{"Return", true}, {"GroupId", id}};
}

json DescribeSecurityGroups(Call& c) {
  static const DescribeSpec spec = DescribeSecurityGroupsSpec();
  std::set<std::string> named;  // GroupNames name groups of the default VPC
  for (const auto& name : StrList(c.in, "GroupNames")) named.insert(model::GetSecurityGroupByName(c.p(), name).id);
  std::vector<json> items;
  for (const auto& [id, sg] : c.p().security_groups)
    if (named.empty() || named.count(id)) items.push_back(SecurityGroupView(c.p(), sg));
  return Describe(spec, c.in, std::move(items));
}

json Authorize(Call& c, bool egress) {
  model::SecurityGroup& sg = GroupOf(c);
  auto specs = RuleSpecsOf(c, sg);
  model::TagList tags = CreateTagsFor(c, "security-group-rule");
  for (auto& s : specs) s.tags = tags;
  auto added = model::AuthorizeSecurityGroupRules(c.tx, sg.id, egress, specs);
  json rules = json::array();
  for (const auto& r : added) rules.push_back(RuleView(sg, r));
  return {{"Return", true}, {"SecurityGroupRules", rules}};
}

json Revoke(Call& c, bool egress) {
  model::SecurityGroup& sg = GroupOf(c);
  std::vector<model::RuleSpec> unknown;
  auto removed = model::RevokeSecurityGroupRules(c.tx, sg.id, egress, RuleSpecsOf(c, sg),
                                                 StrList(c.in, "SecurityGroupRuleIds"), &unknown);
  json rules = json::array();
  for (const auto& r : removed) {
    json v = RuleView(sg, r);
    v.erase("GroupOwnerId");
    v.erase("Tags");
    if (v.contains("ReferencedGroupInfo")) {
      v["ReferencedGroupId"] = v["ReferencedGroupInfo"]["GroupId"];
      v.erase("ReferencedGroupInfo");
    }
    rules.push_back(v);
  }
  json out = {{"Return", true}, {"RevokedSecurityGroupRules", rules}};
  if (!unknown.empty()) {
    json perms = json::array();
    for (const auto& u : unknown) {
      json p = {{"IpProtocol", u.ip_protocol}};
      if (u.from_port) p["FromPort"] = *u.from_port;
      if (u.to_port) p["ToPort"] = *u.to_port;
      if (!u.cidr_ipv4.empty()) p["IpRanges"] = json::array({{{"CidrIp", u.cidr_ipv4}}});
      if (!u.cidr_ipv6.empty()) p["Ipv6Ranges"] = json::array({{{"CidrIpv6", u.cidr_ipv6}}});
      if (!u.prefix_list_id.empty()) p["PrefixListIds"] = json::array({{{"PrefixListId", u.prefix_list_id}}});
      if (!u.referenced_group_id.empty()) p["UserIdGroupPairs"] = json::array({{{"GroupId", u.referenced_group_id}}});
      perms.push_back(p);
    }
    out["UnknownIpPermissions"] = perms;
  }
  return out;
}

json AuthorizeIngress(Call& c) { return Authorize(c, false); }
json AuthorizeEgress(Call& c) { return Authorize(c, true); }
json RevokeIngress(Call& c) { return Revoke(c, false); }
json RevokeEgress(Call& c) { return Revoke(c, true); }

json UpdateDescriptions(Call& c, bool egress) {
  model::SecurityGroup& sg = GroupOf(c);
  std::vector<std::pair<std::string, std::string>> by_id;
  for (const auto& d : c.in.value("SecurityGroupRuleDescriptions", json::array()))
    by_id.emplace_back(d.value("SecurityGroupRuleId", ""), d.value("Description", ""));
  std::vector<model::RuleSpec> specs;
  if (c.in.contains("IpPermissions")) specs = RuleSpecsOf(c, sg);
  model::UpdateSecurityGroupRuleDescriptions(c.tx, sg.id, egress, specs, by_id);
  return {{"Return", true}};
}
json UpdateDescriptionsIngress(Call& c) { return UpdateDescriptions(c, false); }
json UpdateDescriptionsEgress(Call& c) { return UpdateDescriptions(c, true); }

json DescribeSecurityGroupRules(Call& c) {
  // A group-id filter value that is no group id is refused, not matched against nothing.
  for (const auto& f : c.in.value("Filters", json::array()))
    if (Str(f, "Name") == "group-id")
      for (const auto& v : StrList(f, "Values"))
        if (v.find_first_of("*?") == std::string::npos && !model::WellFormedId(v, "sg-"))
          model::Fail("InvalidGroupId.Malformed", "The security group ID '" + v + "' is malformed");
  std::vector<json> items;
  for (const auto& [id, sg] : c.p().security_groups)
    for (const auto& r : sg.rules) items.push_back(RuleView(sg, r));
  return Describe(kDescribeSecurityGroupRules, c.in, std::move(items));
}

json ModifySecurityGroupRules(Call& c) {
  std::string group_id = Str(c.in, "GroupId");
  for (const auto& u : c.in.value("SecurityGroupRules", json::array())) {
    const json r = u.value("SecurityGroupRule", json::object());
    model::ModifySecurityGroupRule(c.tx, group_id, u.value("SecurityGroupRuleId", ""),
                                   {.ip_protocol = r.value("IpProtocol", ""),
                                    .from_port = OptInt(r, "FromPort"),
                                    .to_port = OptInt(r, "ToPort"),
                                    .cidr_ipv4 = r.value("CidrIpv4", ""),
                                    .cidr_ipv6 = r.value("CidrIpv6", ""),
                                    .prefix_list_id = r.value("PrefixListId", ""),
                                    .referenced_group_id = r.value("ReferencedGroupId", ""),
                                    .description = r.value("Description", "")});
  }
  return {{"Return", true}};
}

}  // namespace

void RegisterSecurityGroupHandlers() {
  Register("CreateSecurityGroup", CreateSecurityGroup, true);
  Register("DeleteSecurityGroup", DeleteSecurityGroup, true);
  Register("DescribeSecurityGroups", DescribeSecurityGroups, false);
  Register("AuthorizeSecurityGroupIngress", AuthorizeIngress, true);
  Register("AuthorizeSecurityGroupEgress", AuthorizeEgress, true);
  Register("RevokeSecurityGroupIngress", RevokeIngress, true);
  Register("RevokeSecurityGroupEgress", RevokeEgress, true);
  Register("UpdateSecurityGroupRuleDescriptionsIngress", UpdateDescriptionsIngress, true);
  Register("UpdateSecurityGroupRuleDescriptionsEgress", UpdateDescriptionsEgress, true);
  Register("DescribeSecurityGroupRules", DescribeSecurityGroupRules, false);
  Register("ModifySecurityGroupRules", ModifySecurityGroupRules, true);
}

}  // namespace openvpc::api
