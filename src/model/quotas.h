// Service quotas with AWS's defaults (inventory §3.1). An operator raises them as AWS's quota
// increases do: `openvpc serve --quota NAME=VALUE` or a `quotas` file in the data directory.
#pragma once

#include <map>
#include <string>

namespace openvpc::model {

struct Quotas {
  std::map<std::string, int> values = {
      {"vpcs-per-region", 5},                  // L11372
      {"subnets-per-vpc", 200},                // L11373
      {"ipv4-cidr-blocks-per-vpc", 5},         // L11374
      {"internet-gateways-per-region", 5},     // L11394
      {"egress-only-internet-gateways-per-region", 5},  // L11393
      {"route-tables-per-vpc", 200},           // L11416
      {"routes-per-route-table", 50},          // L11417, IPv4 and IPv6 counted apart
      {"network-acls-per-vpc", 200},           // L11401
      {"rules-per-network-acl", 20},           // L11402
      {"dhcp-options-sets-per-region", 50},
      {"active-vpc-peering-connections-per-vpc", 50},       // T5, L11433
      {"outstanding-vpc-peering-connection-requests", 25},  // T5, L11434
      {"tags-per-resource", 50},
      {"nat-gateways-per-availability-zone", 5},  // L11395, L8267: pending and available count
      {"elastic-ips-per-region", 5},           // L11384, EIP-15, S5
      {"placement-groups-per-region", 500},    // AWS default (§8 [EXT])
      {"key-pairs-per-region", 5000},          // KP-2 (inventory-ec2-network-security §1)
      {"security-groups-per-region", 2500},    // L11423
      {"rules-per-security-group", 60},        // L11424, each direction, per address family
      {"security-groups-per-interface", 5},    // L11428
      {"network-interfaces-per-region", 5000}, // L11411
      {"prefix-lists-per-region", 100},        // the VPC quotas page: customer-managed prefix lists
      {"entries-per-prefix-list", 1000},
      // Elastic Load Balancing's defaults (its Quotas pages): issue 13.
      {"network-load-balancers-per-region", 50},
      {"gateway-load-balancers-per-region", 100},
      {"target-groups-per-region", 3000},
      {"listeners-per-network-load-balancer", 50},
      {"targets-per-target-group", 1000},
  };

  int Get(const std::string& name) const { return values.at(name); }
  // AWS refuses quota increases whose product of groups per interface and rules per group
  // exceeds 1,000 (§3.1 L11424-11428); "" when the quotas are consistent.
  std::string Problem() const {
    if (Get("security-groups-per-interface") * Get("rules-per-security-group") > 1000)
      return "security-groups-per-interface x rules-per-security-group must not exceed 1000";
    return "";
  }

  // Returns false when NAME is not a quota.
  bool Set(const std::string& name, int value) {
    auto it = values.find(name);
    if (it == values.end()) return false;
    it->second = value;
    return true;
  }
};

}  // namespace openvpc::model
