// Security groups and their rules (inventory-ec2-network-security.md §2; guide M, C9b, AA6).
// A rule is one protocol, one port range and one peer (a CIDR, a prefix list or a group), as
// AWS's sgr- rules are; IpPermissions are the same rules grouped for the older API shape.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

SecurityGroup& GetSecurityGroup(Partition& p, const std::string& id);
// A group by name: in VPC_ID, or in the default VPC when VPC_ID is empty (AWS's GroupName rules).
SecurityGroup& GetSecurityGroupByName(Partition& p, const std::string& name, const std::string& vpc_id = "");

struct CreateSecurityGroupArgs {
  std::string group_name, description, vpc_id;  // vpc_id empty: the default VPC
  TagList tags;
};
SecurityGroup& CreateSecurityGroup(Tx& tx, const CreateSecurityGroupArgs& a);
// The rules quota of each direction (a prefix list counting as its MaxEntries rules).
void CheckSecurityGroupRuleLimits(const Tx& tx, const SecurityGroup& sg);
void DeleteSecurityGroup(Tx& tx, const std::string& group_id);

// One requested rule, as it arrives: protocol by name or number, ports, exactly one peer.
struct RuleSpec {
  std::string ip_protocol;
  std::optional<int> from_port, to_port;
  std::string cidr_ipv4, cidr_ipv6, prefix_list_id, referenced_group_id, referenced_user_id;
  std::string description;
  TagList tags;
};

// Adds rules in one direction, all or none; returns the rules as stored (with sgr- ids).
std::vector<SecurityGroupRule> AuthorizeSecurityGroupRules(Tx& tx, const std::string& group_id, bool egress,
                                                           const std::vector<RuleSpec>& rules);
// Removes rules that match RULES (or by id); returns the removed rules. A rule that is not
// there refuses the whole request (InvalidPermission.NotFound), except in the default VPC,
// where AWS revokes the rest and lists the unmatched specs in *unknown.
std::vector<SecurityGroupRule> RevokeSecurityGroupRules(Tx& tx, const std::string& group_id, bool egress,
                                                        const std::vector<RuleSpec>& rules,
                                                        const std::vector<std::string>& rule_ids,
                                                        std::vector<RuleSpec>* unknown);
void ModifySecurityGroupRule(Tx& tx, const std::string& group_id, const std::string& rule_id, const RuleSpec& spec);
// Sets the description of the rules matching each spec (its description is the new one).
void UpdateSecurityGroupRuleDescriptions(Tx& tx, const std::string& group_id, bool egress,
                                         const std::vector<RuleSpec>& rules,
                                         const std::vector<std::pair<std::string, std::string>>& by_id);

// The group that holds rule RULE_ID, or nullptr.
SecurityGroup* FindGroupOfRule(Partition& p, const std::string& rule_id);

}  // namespace openvpc::model
