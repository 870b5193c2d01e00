#include "model/security_group.h"


#include <algorithm>
#include <cctype>

#include "model/internal.h"
#include "model/prefix_list.h"
#include "model/vpc_peering.h"

namespace openvpc::model {
using namespace internal;

namespace {

const char kNameChars[] =
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ._-:/()#,@[]+=&;{}!$*";

void CheckText(const std::string& value, const char* parameter) {
  if (value.size() > 255)
    Fail("InvalidParameterValue", std::string("Value for parameter ") + parameter +
                                      " is invalid. Length exceeds maximum of 255 characters.");
  if (value.find_first_not_of(kNameChars) != std::string::npos)
    Fail("InvalidParameterValue", "Value (" + value + ") for parameter " + parameter +
                                      " is invalid. Character sets beyond ASCII are not supported.");
}

// AWS's names for the protocols it names, in lower case whatever case they came in (`TCP`,
// `Udp`: AWS accepts and stores them so); other protocol numbers stay numbers.
std::string NormalizeProtocol(const std::string& raw) {
  const std::string p = AsciiLower(raw);
  if (p == "-1" || p == "all") return "-1";
  if (p == "tcp" || p == "6") return "tcp";
  if (p == "udp" || p == "17") return "udp";
  if (p == "icmp" || p == "1") return "icmp";
  if (p == "icmpv6" || p == "58") return "icmpv6";
  if (auto n = ProtocolNumberOf(p)) return std::to_string(*n);
  Fail("InvalidParameterValue", "Invalid value '" + raw + "' for IP protocol. Unknown protocol.");
}

// The rule a spec asks for, validated, without an id.
SecurityGroupRule BuildRule(Tx& tx, const SecurityGroup& sg, bool egress, const RuleSpec& s) {
  Partition& p = tx.p;
  SecurityGroupRule r;
  r.egress = egress;
  r.ip_protocol = NormalizeProtocol(s.ip_protocol);
  if (r.ip_protocol == "tcp" || r.ip_protocol == "udp") {
    if (!s.from_port || !s.to_port)
      Fail("InvalidParameterValue", "Invalid value 'null' for portRange. Must specify both from and to ports "
                                    "with TCP/UDP.");
    if (*s.from_port < 0 || *s.from_port > 65535 || *s.to_port < 0 || *s.to_port > 65535 || *s.from_port > *s.to_port)
      Fail("InvalidParameterValue", "Invalid port range " + std::to_string(*s.from_port) + "-" +
                                        std::to_string(*s.to_port) + " for protocol " + r.ip_protocol + ".");
    r.from_port = *s.from_port;
    r.to_port = *s.to_port;
  } else if (r.ip_protocol == "icmp" || r.ip_protocol == "icmpv6") {
    r.from_port = s.from_port.value_or(-1);  // ICMP type, -1 for all
    r.to_port = s.to_port.value_or(-1);      // ICMP code, -1 for all
    if (r.from_port < -1 || r.from_port > 255 || r.to_port < -1 || r.to_port > 255 ||
        (r.from_port == -1 && r.to_port != -1))
      Fail("InvalidParameterValue", "Invalid value for portRange. ICMP type " + std::to_string(r.from_port) +
                                        " and code " + std::to_string(r.to_port) + " are not valid.");
  }
  int peers = !s.cidr_ipv4.empty() + !s.cidr_ipv6.empty() + !s.prefix_list_id.empty() + !s.referenced_group_id.empty();
  if (peers != 1)
    Fail(peers == 0 ? "MissingParameter" : "InvalidParameterCombination",
         "A rule must name exactly one of a CIDR block, an IPv6 CIDR block, a prefix list or a security group.");
  if (!s.cidr_ipv4.empty()) {
    auto c = net::ParseCidr4(s.cidr_ipv4);
    if (!c || !c->IsCanonical()) Fail("InvalidParameterValue", "CIDR block " + s.cidr_ipv4 + " is malformed");
    r.cidr_ipv4 = c->ToString();
  }
  if (!s.cidr_ipv6.empty()) {
    auto c = net::ParseCidr6(s.cidr_ipv6);
    if (!c || !c->IsCanonical()) Fail("InvalidParameterValue", "CIDR block " + s.cidr_ipv6 + " is malformed");
    r.cidr_ipv6 = c->ToString();
  }
  if (!s.prefix_list_id.empty()) {  // GW-12: a list of the account's (customer-managed)
    if (!FindPrefixList(p, s.prefix_list_id))
      Fail("InvalidPrefixListId.NotFound", "The prefix list ID '" + s.prefix_list_id + "' does not exist");
    r.prefix_list_id = s.prefix_list_id;
  }
  if (!s.referenced_group_id.empty()) {
    // A group of the same VPC, or of a VPC peered with it (same Region, any account).
    std::string owner = s.referenced_user_id.empty() ? p.account_id : s.referenced_user_id;
    Partition* home = owner == p.account_id ? &p : (tx.state ? tx.state->Find(owner, p.region) : nullptr);
    if (!home) Fail("InvalidGroup.NotFound", "The security group '" + s.referenced_group_id + "' does not exist");
    const SecurityGroup& peer = GetSecurityGroup(*home, s.referenced_group_id);
    if (peer.vpc_id != sg.vpc_id && !ActivelyPeered(tx, sg.vpc_id, owner, peer.vpc_id))
      Fail("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.");
    r.referenced_group_id = peer.id;
    r.referenced_user_id = peer.owner_id;
  }
  CheckText(s.description, "description");
  r.description = s.description;
  r.tags = s.tags;
  return r;
}

bool SameName(const std::string& a, const std::string& b) {  // group names are case-insensitive
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) { return std::tolower(x) == std::tolower(y); });
}

bool SameRule(const SecurityGroupRule& a, const SecurityGroupRule& b) {
  return a.egress == b.egress && a.ip_protocol == b.ip_protocol && a.from_port == b.from_port &&
         a.to_port == b.to_port && a.cidr_ipv4 == b.cidr_ipv4 && a.cidr_ipv6 == b.cidr_ipv6 &&
         a.prefix_list_id == b.prefix_list_id && a.referenced_group_id == b.referenced_group_id;
}

std::string Describe(const SecurityGroupRule& r) {
  std::string peer = !r.cidr_ipv4.empty()   ? r.cidr_ipv4
                     : !r.cidr_ipv6.empty() ? r.cidr_ipv6
                     : !r.prefix_list_id.empty() ? r.prefix_list_id
                                                 : r.referenced_group_id;
  std::string proto = r.ip_protocol;
  std::transform(proto.begin(), proto.end(), proto.begin(), [](unsigned char c) { return std::toupper(c); });
  return "peer: " + peer + ", " + proto + ", from port: " + std::to_string(r.from_port) +
         ", to port: " + std::to_string(r.to_port) + ", ALLOW";
}

// Rules per direction count per address family; references count in both (§3.1 L11424-11427),
// a prefix list's as many rules as its MaxEntries.
void CheckRuleLimit(const Tx& tx, const SecurityGroup& sg, bool egress) {
  int v4 = 0, v6 = 0;
  for (const auto& r : sg.rules) {
    if (r.egress != egress) continue;
    const int ref = !r.prefix_list_id.empty() ? PrefixListWeight(tx.p, r.prefix_list_id) : !r.referenced_group_id.empty();
    v4 += ref ? ref : !r.cidr_ipv4.empty();
    v6 += ref ? ref : !r.cidr_ipv6.empty();
  }
  int limit = tx.quotas.Get("rules-per-security-group");
  if (v4 > limit || v6 > limit)
    Fail("RulesPerSecurityGroupLimitExceeded", "The maximum number of rules per security group has been reached.");
}

}  // namespace

void CheckSecurityGroupRuleLimits(const Tx& tx, const SecurityGroup& sg) {
  CheckRuleLimit(tx, sg, false);
  CheckRuleLimit(tx, sg, true);
}

SecurityGroup& GetSecurityGroup(Partition& p, const std::string& id) {
  if (!WellFormedId(id, "sg-")) Fail("InvalidGroupId.Malformed", "Invalid id: \"" + id + "\" (expecting \"sg-...\")");
  auto it = p.security_groups.find(id);
  if (it == p.security_groups.end()) Fail("InvalidGroup.NotFound", "The security group '" + id + "' does not exist");
  return it->second;
}

SecurityGroup& GetSecurityGroupByName(Partition& p, const std::string& name, const std::string& vpc_id) {
  std::string vpc = vpc_id;
  if (vpc.empty())
    for (const auto& [id, v] : p.vpcs)
      if (v.is_default) vpc = id;
  for (auto& [id, sg] : p.security_groups)
    if (SameName(sg.group_name, name) && sg.vpc_id == vpc) return sg;
  Fail("InvalidGroup.NotFound",
       "The security group '" + name + "' does not exist in default VPC '" + (vpc.empty() ? "none" : vpc) + "'");
}

SecurityGroup* FindGroupOfRule(Partition& p, const std::string& rule_id) {
  for (auto& [id, sg] : p.security_groups)
    for (const auto& r : sg.rules)
      if (r.id == rule_id) return &sg;
  return nullptr;
}

SecurityGroup& CreateSecurityGroup(Tx& tx, const CreateSecurityGroupArgs& a) {
  Partition& p = tx.p;
  std::string vpc_id = a.vpc_id;
  if (vpc_id.empty()) {
    for (const auto& [id, v] : p.vpcs)
      if (v.is_default) vpc_id = id;
    if (vpc_id.empty()) Fail("VPCIdNotSpecified", "No default VPC for this user");
  }
  GetVpc(p, vpc_id);
  CheckText(a.group_name, "GroupName");
  CheckText(a.description, "GroupDescription");
  if (a.group_name.empty()) Fail("MissingParameter", "The request must contain the parameter GroupName");
  if (a.group_name.rfind("sg-", 0) == 0)
    Fail("InvalidParameterValue", "Group names may not be in the format sg-*.");
  if (SameName(a.group_name, "default")) Fail("InvalidGroup.Reserved", "The security group 'default' is reserved.");
  for (const auto& [id, sg] : p.security_groups)
    if (sg.vpc_id == vpc_id && SameName(sg.group_name, a.group_name))
      Fail("InvalidGroup.Duplicate", "The security group '" + a.group_name + "' already exists for VPC '" + vpc_id + "'");
  if (static_cast<int>(p.security_groups.size()) >= tx.quotas.Get("security-groups-per-region"))
    Fail("SecurityGroupLimitExceeded", "The maximum number of security groups has been reached.");
  SecurityGroup sg;
  sg.id = NewId("sg");
  sg.owner_id = p.account_id;
  sg.vpc_id = vpc_id;
  sg.group_name = a.group_name;
  sg.description = a.description;
  sg.tags = a.tags;
  // §4.3: no inbound rules; outbound allows all IPv4 (and IPv6 in a VPC with an IPv6 block).
  sg.rules.push_back({.id = NewId("sgr"), .egress = true, .cidr_ipv4 = "0.0.0.0/0"});
  if (!p.vpcs.at(vpc_id).ipv6_cidr_blocks.empty())
    sg.rules.push_back({.id = NewId("sgr"), .egress = true, .cidr_ipv6 = "::/0"});
  SecurityGroup& stored = p.security_groups[sg.id] = std::move(sg);
  tx.Touch(stored.id);
  return stored;
}

void DeleteSecurityGroup(Tx& tx, const std::string& group_id) {
  Partition& p = tx.p;
  SecurityGroup& sg = GetSecurityGroup(p, group_id);
  if (sg.group_name == "default")  // AA6, seed error #1
    Fail("CannotDelete", "the specified group: \"" + group_id + "\" name: \"default\" cannot be deleted by a user");
  // Other groups' rules that reference it are dependencies; its own are not. (The seed's SG-32
  // says they are; AWS verified that a group referencing itself is deleted, rules and all.)
  for (const auto& [id, other] : p.security_groups)
    for (const auto& r : other.rules)
      if (id != group_id && r.referenced_group_id == group_id)
        Fail("DependencyViolation", "resource " + group_id + " has a dependent object");
  for (const auto& [id, eni] : p.network_interfaces)  // AA6: interfaces (and so instances) using it
    if (std::find(eni.group_ids.begin(), eni.group_ids.end(), group_id) != eni.group_ids.end())
      Fail("DependencyViolation", "resource " + group_id + " has a dependent object");
  RunDependencyChecks(p, group_id);
  p.security_groups.erase(group_id);
  tx.Touch(group_id);
}

std::vector<SecurityGroupRule> AuthorizeSecurityGroupRules(Tx& tx, const std::string& group_id, bool egress,
                                                           const std::vector<RuleSpec>& rules) {
  SecurityGroup& sg = GetSecurityGroup(tx.p, group_id);
  if (rules.empty()) Fail("MissingParameter", "The request must contain the parameter ipPermissions");
  std::vector<SecurityGroupRule> added;
  for (const auto& spec : rules) {
    SecurityGroupRule r = BuildRule(tx, sg, egress, spec);
    for (const auto& existing : sg.rules)
      if (SameRule(existing, r))
        Fail("InvalidPermission.Duplicate", "the specified rule \"" + Describe(r) + "\" already exists");
    for (const auto& other : added)
      if (SameRule(other, r))
        Fail("InvalidPermission.Duplicate", "the specified rule \"" + Describe(r) + "\" already exists");
    r.id = NewId("sgr");
    added.push_back(r);
  }
  SecurityGroup copy = sg;
  copy.rules.insert(copy.rules.end(), added.begin(), added.end());
  CheckRuleLimit(tx, copy, egress);
  sg.rules = std::move(copy.rules);
  if (egress) sg.egress_modified = true;
  tx.Touch(group_id);
  return added;
}

std::vector<SecurityGroupRule> RevokeSecurityGroupRules(Tx& tx, const std::string& group_id, bool egress,
                                                        const std::vector<RuleSpec>& rules,
                                                        const std::vector<std::string>& rule_ids,
                                                        std::vector<RuleSpec>* unknown) {
  SecurityGroup& sg = GetSecurityGroup(tx.p, group_id);
  std::vector<std::string> remove;
  for (const auto& id : rule_ids) {
    auto it = std::find_if(sg.rules.begin(), sg.rules.end(),
                           [&](const SecurityGroupRule& r) { return r.id == id && r.egress == egress; });
    if (it == sg.rules.end())
      Fail("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '" + id + "' does not exist");
    remove.push_back(id);
  }
  for (const auto& spec : rules) {
    SecurityGroupRule want = BuildRule(tx, sg, egress, spec);
    auto it = std::find_if(sg.rules.begin(), sg.rules.end(), [&](const SecurityGroupRule& r) { return SameRule(r, want); });
    if (it != sg.rules.end()) {
      remove.push_back(it->id);
    } else if (tx.p.vpcs.at(sg.vpc_id).is_default) {
      unknown->push_back(spec);
    } else {
      Fail("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
    }
  }
  if (remove.empty() && unknown->empty()) Fail("MissingParameter", "The request must contain the parameter ipPermissions");
  std::vector<SecurityGroupRule> removed;
  std::erase_if(sg.rules, [&](const SecurityGroupRule& r) {
    if (std::find(remove.begin(), remove.end(), r.id) == remove.end()) return false;
    removed.push_back(r);
    return true;
  });
  if (egress) sg.egress_modified = true;
  tx.Touch(group_id);
  return removed;
}

void ModifySecurityGroupRule(Tx& tx, const std::string& group_id, const std::string& rule_id, const RuleSpec& spec) {
  SecurityGroup& sg = GetSecurityGroup(tx.p, group_id);
  auto it = std::find_if(sg.rules.begin(), sg.rules.end(), [&](const SecurityGroupRule& r) { return r.id == rule_id; });
  if (it == sg.rules.end())
    Fail("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '" + rule_id + "' does not exist");
  if (spec.ip_protocol.empty())
    Fail("InvalidParameterValue", "Invalid value 'null' for protocol. VPC security group rules must specify "
                                  "protocols explicitly.");
  SecurityGroupRule r = BuildRule(tx, sg, it->egress, spec);
  for (const auto& other : sg.rules)
    if (other.id != rule_id && SameRule(other, r))
      Fail("InvalidPermission.Duplicate", "the specified rule \"" + Describe(r) + "\" already exists");
  r.id = rule_id;
  r.tags = it->tags;
  *it = r;
  if (r.egress) sg.egress_modified = true;
  tx.Touch(group_id);
}

void UpdateSecurityGroupRuleDescriptions(Tx& tx, const std::string& group_id, bool egress,
                                         const std::vector<RuleSpec>& rules,
                                         const std::vector<std::pair<std::string, std::string>>& by_id) {
  SecurityGroup& sg = GetSecurityGroup(tx.p, group_id);
  std::vector<std::pair<SecurityGroupRule*, std::string>> changes;
  for (const auto& spec : rules) {
    SecurityGroupRule want = BuildRule(tx, sg, egress, spec);
    auto it = std::find_if(sg.rules.begin(), sg.rules.end(), [&](const SecurityGroupRule& r) { return SameRule(r, want); });
    if (it == sg.rules.end())
      Fail("InvalidPermission.NotFound", "The specified rule does not exist in this security group.");
    changes.emplace_back(&*it, want.description);
  }
  for (const auto& [id, description] : by_id) {
    auto it = std::find_if(sg.rules.begin(), sg.rules.end(),
                           [&](const SecurityGroupRule& r) { return r.id == id && r.egress == egress; });
    if (it == sg.rules.end())
      Fail("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '" + id + "' does not exist");
    CheckText(description, "description");
    changes.emplace_back(&*it, description);
  }
  for (auto& [rule, description] : changes) rule->description = description;
  tx.Touch(group_id);
}

}  // namespace openvpc::model
