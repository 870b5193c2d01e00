// Network ACLs: numbered, stateless entries per direction, evaluated first match (guide N,
// C9c, D3, AA7). Every subnet is associated with exactly one ACL of its VPC.
#pragma once

#include <optional>
#include <string>

#include "model/state.h"

namespace openvpc::model {

NetworkAcl& GetNetworkAcl(Partition& p, const std::string& id);
NetworkAcl& CreateNetworkAcl(Tx& tx, const std::string& vpc_id, TagList tags);
void DeleteNetworkAcl(Tx& tx, const std::string& acl_id);

struct NetworkAclEntryArgs {
  std::string network_acl_id;
  int rule_number = 0;
  bool egress = false;
  std::string protocol;     // number, -1, or tcp/udp/icmp/icmpv6/all
  std::string rule_action;  // allow | deny
  std::string cidr_block, ipv6_cidr_block;
  std::optional<int> port_from, port_to;
  std::optional<int> icmp_type, icmp_code;
};
void CreateNetworkAclEntry(Tx& tx, const NetworkAclEntryArgs& a);
void ReplaceNetworkAclEntry(Tx& tx, const NetworkAclEntryArgs& a);
void DeleteNetworkAclEntry(Tx& tx, const std::string& acl_id, int rule_number, bool egress);
// Moves a subnet's association to ACL_ID; returns the new association id.
std::string ReplaceNetworkAclAssociation(Tx& tx, const std::string& association_id, const std::string& acl_id);

// The ACL a subnet's traffic crosses (D3).
const NetworkAcl& NetworkAclOfSubnet(const Partition& p, const std::string& subnet_id);

}  // namespace openvpc::model
