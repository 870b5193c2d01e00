// DHCP options sets: create, delete while unassociated, associate with a VPC (or `default`).
// Each operation validates fully before it changes anything, so a refused request leaves the
// partition as it was; errors carry AWS's codes (model/error.h). Rule ids refer to the inventory
// in shared/spec/inventory-vpc-guide.md.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

DhcpOptions& GetDhcpOptions(Partition& p, const std::string& id);

DhcpOptions& CreateDhcpOptions(Tx& tx,
                               const std::vector<std::pair<std::string, std::vector<std::string>>>& configurations,
                               TagList tags);
void DeleteDhcpOptions(Tx& tx, const std::string& dhcp_options_id);
void AssociateDhcpOptions(Tx& tx, const std::string& dhcp_options_id, const std::string& vpc_id);

}  // namespace openvpc::model
