// Internet gateways and egress-only internet gateways: one of each per VPC, attach and detach
// (AA5), and their route target kinds.
// Each operation validates fully before it changes anything, so a refused request leaves the
// partition as it was; errors carry AWS's codes (model/error.h). Rule ids refer to the inventory
// in shared/spec/inventory-vpc-guide.md.
#pragma once

#include <string>

#include "model/state.h"

namespace openvpc::model {

InternetGateway& GetInternetGateway(Partition& p, const std::string& id);
EgressOnlyInternetGateway& GetEgressOnlyInternetGateway(Partition& p, const std::string& id);

InternetGateway& CreateInternetGateway(Tx& tx, TagList tags);
void DeleteInternetGateway(Tx& tx, const std::string& igw_id);
void AttachInternetGateway(Tx& tx, const std::string& igw_id, const std::string& vpc_id);
void DetachInternetGateway(Tx& tx, const std::string& igw_id, const std::string& vpc_id);
// The gateway attached to VPC_ID (at most one of each kind), or nullptr.
const InternetGateway* AttachedInternetGateway(const Partition& p, const std::string& vpc_id);
const EgressOnlyInternetGateway* AttachedEgressOnlyInternetGateway(const Partition& p, const std::string& vpc_id);
EgressOnlyInternetGateway& CreateEgressOnlyInternetGateway(Tx& tx, const std::string& vpc_id, TagList tags);
void DeleteEgressOnlyInternetGateway(Tx& tx, const std::string& eigw_id);
// The route target kinds GatewayId igw-… and EgressOnlyInternetGatewayId (RegisterAllRules).
void RegisterGatewayRules();

}  // namespace openvpc::model
