// What AWS creates by itself: each VPC's main route table, default network ACL and default
// security group (§4.3), and each account's default DHCP options set and default VPC (§1.4).
#include "model/internal.h"
#include "model/regions.h"

namespace openvpc::model {
using namespace internal;

namespace {

void AddIpv6DefaultEntries(NetworkAcl& acl) {  // C9c: rule 101 allows ::/0, `*` 32768 denies it
  for (const auto& e : acl.entries)
    if (e.rule_number == 32768) return;  // kept from an earlier IPv6 block (C5)
  for (bool egress : {false, true}) {
    acl.entries.push_back({.rule_number = 101, .rule_action = "allow", .egress = egress, .ipv6_cidr_block = "::/0"});
    acl.entries.push_back({.rule_number = 32768, .rule_action = "deny", .egress = egress, .ipv6_cidr_block = "::/0"});
  }
}

void AddIpv6Egress(SecurityGroup& sg) {  // C9b
  for (const auto& r : sg.rules)
    if (r.egress && r.cidr_ipv6 == "::/0") return;
  sg.rules.push_back({.id = NewId("sgr"), .egress = true, .cidr_ipv6 = "::/0"});
}

NetworkAcl DefaultNetworkAcl(const Partition& p, const Vpc& v) {
  NetworkAcl acl;
  acl.id = NewId("acl");
  acl.owner_id = p.account_id;
  acl.vpc_id = v.id;
  acl.is_default = true;
  for (bool egress : {false, true}) {  // §4.3: rule 100 allows all, `*` denies (N)
    acl.entries.push_back({.rule_number = 100, .rule_action = "allow", .egress = egress, .cidr_block = "0.0.0.0/0"});
    acl.entries.push_back({.rule_number = 32767, .rule_action = "deny", .egress = egress, .cidr_block = "0.0.0.0/0"});
  }
  if (!v.ipv6_cidr_blocks.empty()) AddIpv6DefaultEntries(acl);
  return acl;
}

SecurityGroup DefaultSecurityGroup(const Partition& p, const Vpc& v) {
  SecurityGroup sg;
  sg.id = NewId("sg");
  sg.owner_id = p.account_id;
  sg.vpc_id = v.id;
  sg.group_name = "default";
  sg.description = "default VPC security group";
  // §4.3: in, all traffic from members of the group; out, all traffic (+ ::/0 with IPv6).
  sg.rules.push_back({.id = NewId("sgr"), .egress = false, .referenced_group_id = sg.id,
                      .referenced_user_id = p.account_id});
  sg.rules.push_back({.id = NewId("sgr"), .egress = true, .cidr_ipv4 = "0.0.0.0/0"});
  if (!v.ipv6_cidr_blocks.empty()) AddIpv6Egress(sg);
  return sg;
}

}  // namespace

void internal::OnIpv6BlockAssociated(Tx& tx, const std::string& vpc_id) {
  for (auto& [id, acl] : tx.p.network_acls)
    if (acl.vpc_id == vpc_id && acl.is_default && !acl.entries_modified) {
      AddIpv6DefaultEntries(acl);
      tx.Touch(id);
    }
  for (auto& [id, sg] : tx.p.security_groups)
    if (sg.vpc_id == vpc_id && !sg.egress_modified) {
      AddIpv6Egress(sg);
      tx.Touch(id);
    }
}

void internal::CreateVpcDefaults(Tx& tx, const Vpc& v) {
  RouteTable& main = CreateRouteTable(tx, v.id, {});
  main.associations.push_back({NewId("rtbassoc"), true, "", ""});
  NetworkAcl acl = DefaultNetworkAcl(tx.p, v);
  tx.Touch(acl.id);
  tx.p.network_acls[acl.id] = std::move(acl);
  SecurityGroup sg = DefaultSecurityGroup(tx.p, v);
  tx.Touch(sg.id);
  tx.p.security_groups[sg.id] = std::move(sg);
}

void internal::AssociateDefaultNetworkAcl(Tx& tx, const Subnet& s) {
  for (auto& [id, acl] : tx.p.network_acls)
    if (acl.vpc_id == s.vpc_id && acl.is_default) {
      acl.associations.push_back({NewId("aclassoc"), s.id});
      tx.Touch(id);
      return;
    }
}

void internal::RemoveNetworkAclAssociation(Tx& tx, const std::string& subnet_id) {
  for (auto& [id, acl] : tx.p.network_acls)
    if (std::erase_if(acl.associations, [&](const auto& a) { return a.subnet_id == subnet_id; })) tx.Touch(id);
}

void InitializePartition(Tx& tx) {
  Partition& p = tx.p;
  DhcpOptions& d = CreateDhcpOptions(tx, {{"domain-name", {DefaultDomainName(p.region)}},
                                          {"domain-name-servers", {"AmazonProvidedDNS"}}},
                                     {});
  p.default_dhcp_options_id = d.id;
  tx.partition_touched = true;
  CreateDefaultVpc(tx);
}

}  // namespace openvpc::model
