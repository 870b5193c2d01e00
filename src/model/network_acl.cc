#include "model/network_acl.h"

#include <algorithm>

#include "model/internal.h"

namespace openvpc::model {
using namespace internal;

namespace {

// Protocol numbers as AWS stores them for ACL entries: "-1" or the IANA number. Names are
// accepted in any case (`TCP`, `Udp`), as AWS does.
std::string NormalizeProtocol(const std::string& raw) {
  const std::string p = AsciiLower(raw);
  if (p == "-1" || p == "all") return "-1";
  if (p == "tcp") return "6";
  if (p == "udp") return "17";
  if (p == "icmp") return "1";
  if (p == "icmpv6") return "58";
  if (auto n = ProtocolNumberOf(p)) return std::to_string(*n);
  Fail("InvalidParameterValue", "Invalid value '" + raw + "' for protocol. Must be -1, a protocol number or a name.");
}

NetworkAclEntry BuildEntry(const NetworkAclEntryArgs& a) {
  if (a.rule_number < 1 || a.rule_number > 32766)  // N: user rules 1-32766
    Fail("InvalidParameterValue", "Invalid rule number " + std::to_string(a.rule_number) +
                                      ". Rule numbers must be between 1 and 32766.");
  if (a.rule_action != "allow" && a.rule_action != "deny")
    Fail("InvalidParameterValue", "Value (" + a.rule_action + ") for parameter ruleAction is invalid.");
  NetworkAclEntry e{.rule_number = a.rule_number, .protocol = NormalizeProtocol(a.protocol),
                    .rule_action = a.rule_action, .egress = a.egress};
  if (a.cidr_block.empty() == a.ipv6_cidr_block.empty())
    Fail(a.cidr_block.empty() ? "MissingParameter" : "InvalidParameterCombination",
         "Either 'cidrBlock' or 'ipv6CidrBlock' should be provided.");
  if (!a.cidr_block.empty()) e.cidr_block = ParseCidr4OrFail(a.cidr_block, "cidrBlock").Canonical().ToString();
  if (!a.ipv6_cidr_block.empty())
    e.ipv6_cidr_block = ParseCidr6OrFail(a.ipv6_cidr_block, "ipv6CidrBlock").Canonical().ToString();
  if (e.protocol == "6" || e.protocol == "17") {
    if (!a.port_from || !a.port_to)
      Fail("InvalidParameterValue", "TCP and UDP entries require a port range (PortRange.From and PortRange.To).");
    if (*a.port_from < 0 || *a.port_to > 65535 || *a.port_from > *a.port_to)
      Fail("InvalidParameterValue", "Invalid port range " + std::to_string(*a.port_from) + "-" +
                                        std::to_string(*a.port_to) + ".");
    e.port_from = *a.port_from;
    e.port_to = *a.port_to;
  }
  if (e.protocol == "1" || e.protocol == "58") {
    if (!a.icmp_type || !a.icmp_code)
      Fail("InvalidParameterValue", "ICMP entries require a type and a code (Icmp.Type and Icmp.Code; -1 for all).");
    if (*a.icmp_type < -1 || *a.icmp_type > 255 || *a.icmp_code < -1 || *a.icmp_code > 255)
      Fail("InvalidParameterValue", "Invalid ICMP type or code.");
    e.icmp_type = *a.icmp_type;
    e.icmp_code = *a.icmp_code;
  }
  return e;
}

std::vector<NetworkAclEntry>::iterator FindEntry(NetworkAcl& acl, int rule_number, bool egress) {
  return std::find_if(acl.entries.begin(), acl.entries.end(),
                      [&](const NetworkAclEntry& e) { return e.rule_number == rule_number && e.egress == egress; });
}

// The `*` entries (32767 IPv4, 32768 IPv6) can be neither changed nor removed.
void CheckNotStar(int rule_number) {
  if (rule_number > 32766)
    Fail("InvalidParameterValue", "The rule number " + std::to_string(rule_number) +
                                      " is reserved for the default deny rule and cannot be changed.");
}

void SortEntries(NetworkAcl& acl) {
  std::stable_sort(acl.entries.begin(), acl.entries.end(), [](const NetworkAclEntry& a, const NetworkAclEntry& b) {
    return std::tie(a.egress, a.rule_number) < std::tie(b.egress, b.rule_number);
  });
}

}  // namespace

NetworkAcl& GetNetworkAcl(Partition& p, const std::string& id) {
  auto it = p.network_acls.find(id);
  if (it == p.network_acls.end()) Fail("InvalidNetworkAclID.NotFound", "The networkAcl ID '" + id + "' does not exist");
  return it->second;
}

NetworkAcl& CreateNetworkAcl(Tx& tx, const std::string& vpc_id, TagList tags) {
  Partition& p = tx.p;
  const Vpc& v = GetVpc(p, vpc_id);
  int in_vpc = static_cast<int>(std::count_if(p.network_acls.begin(), p.network_acls.end(),
                                              [&](const auto& kv) { return kv.second.vpc_id == vpc_id; }));
  if (in_vpc >= tx.quotas.Get("network-acls-per-vpc"))
    Fail("NetworkAclLimitExceeded", "The maximum number of network ACLs has been reached.");
  NetworkAcl acl;
  acl.id = NewId("acl");
  acl.owner_id = p.account_id;
  acl.vpc_id = vpc_id;
  acl.tags = std::move(tags);
  for (bool egress : {false, true}) {  // §4.3: a new ACL denies everything
    acl.entries.push_back({.rule_number = 32767, .rule_action = "deny", .egress = egress, .cidr_block = "0.0.0.0/0"});
    if (!v.ipv6_cidr_blocks.empty())
      acl.entries.push_back({.rule_number = 32768, .rule_action = "deny", .egress = egress, .ipv6_cidr_block = "::/0"});
  }
  SortEntries(acl);
  NetworkAcl& stored = p.network_acls[acl.id] = std::move(acl);
  tx.Touch(stored.id);
  return stored;
}

void DeleteNetworkAcl(Tx& tx, const std::string& acl_id) {
  NetworkAcl& acl = GetNetworkAcl(tx.p, acl_id);
  if (acl.is_default)  // AA7
    Fail("InvalidParameterValue", "cannot delete default network ACL " + acl_id);
  if (!acl.associations.empty())
    Fail("DependencyViolation", "The networkAcl '" + acl_id + "' has dependencies and cannot be deleted.");
  tx.p.network_acls.erase(acl_id);
  tx.Touch(acl_id);
}

void CreateNetworkAclEntry(Tx& tx, const NetworkAclEntryArgs& a) {
  NetworkAcl& acl = GetNetworkAcl(tx.p, a.network_acl_id);
  NetworkAclEntry e = BuildEntry(a);
  if (FindEntry(acl, a.rule_number, a.egress) != acl.entries.end())
    Fail("NetworkAclEntryAlreadyExists",
         "The network acl entry identified by " + std::to_string(a.rule_number) + " already exists.");
  // §3.1 L11402: entries per direction, IPv4 and IPv6 and the `*` entries together.
  int in_direction = static_cast<int>(
      std::count_if(acl.entries.begin(), acl.entries.end(), [&](const auto& x) { return x.egress == a.egress; }));
  if (in_direction >= tx.quotas.Get("rules-per-network-acl"))
    Fail("NetworkAclEntryLimitExceeded", "The maximum number of network acl entries has been reached.");
  acl.entries.push_back(e);
  SortEntries(acl);
  acl.entries_modified = true;
  tx.Touch(acl.id);
}

void ReplaceNetworkAclEntry(Tx& tx, const NetworkAclEntryArgs& a) {
  NetworkAcl& acl = GetNetworkAcl(tx.p, a.network_acl_id);
  CheckNotStar(a.rule_number);
  NetworkAclEntry e = BuildEntry(a);
  auto it = FindEntry(acl, a.rule_number, a.egress);
  if (it == acl.entries.end())
    Fail("InvalidNetworkAclEntry.NotFound",
         "The network acl entry identified by " + std::to_string(a.rule_number) + " could not be found.");
  *it = e;
  acl.entries_modified = true;
  tx.Touch(acl.id);
}

void DeleteNetworkAclEntry(Tx& tx, const std::string& acl_id, int rule_number, bool egress) {
  NetworkAcl& acl = GetNetworkAcl(tx.p, acl_id);
  CheckNotStar(rule_number);
  auto it = FindEntry(acl, rule_number, egress);
  if (it == acl.entries.end())
    Fail("InvalidNetworkAclEntry.NotFound",
         "The network acl entry identified by " + std::to_string(rule_number) + " could not be found.");
  acl.entries.erase(it);
  acl.entries_modified = true;
  tx.Touch(acl.id);
}

std::string ReplaceNetworkAclAssociation(Tx& tx, const std::string& association_id, const std::string& acl_id) {
  Partition& p = tx.p;
  NetworkAcl& target = GetNetworkAcl(p, acl_id);
  for (auto& [id, acl] : p.network_acls) {
    auto it = std::find_if(acl.associations.begin(), acl.associations.end(),
                           [&](const auto& a) { return a.id == association_id; });
    if (it == acl.associations.end()) continue;
    if (acl.vpc_id != target.vpc_id)
      Fail("InvalidParameterValue", "Network ACL " + acl_id + " and association " + association_id +
                                        " belong to different networks");
    NetworkAclAssociation moved{NewId("aclassoc"), it->subnet_id};
    acl.associations.erase(it);
    target.associations.push_back(moved);
    tx.Touch(id);
    tx.Touch(acl_id);
    return moved.id;
  }
  Fail("InvalidAssociationID.NotFound", "The association ID '" + association_id + "' does not exist");
}

const NetworkAcl& NetworkAclOfSubnet(const Partition& p, const std::string& subnet_id) {
  for (const auto& [id, acl] : p.network_acls)
    for (const auto& a : acl.associations)
      if (a.subnet_id == subnet_id) return acl;
  Fail("InternalError", "subnet " + subnet_id + " has no network ACL");
}

}  // namespace openvpc::model
