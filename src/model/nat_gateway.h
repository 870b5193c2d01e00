// NAT gateways (issue 3): guide §1.8 and rules K1, K2, K7, K14, K16, G13, AA1/AA2 of
// shared/spec/inventory-vpc-guide.md, the §3.1 quota (5 per Availability Zone) and the
// asynchronous failures 5-8 of §4.1.
//
// Lifecycle, evaluated lazily from stored times so that reads never write:
//   - CreateNatGateway answers "pending"; the stored gateway reads as "available" from then on
//     (botocore's NatGatewayAvailable waiter succeeds on its first poll);
//   - a gateway that cannot be built is stored "failed" with AWS's FailureCode/FailureMessage
//     instead of an API error (§4.1 5-8): no free address in the subnet, no internet gateway on a
//     public gateway's VPC, an Elastic IP that cannot be associated or is already associated;
//   - DeleteNatGateway stores "deleting", read as "deleted"; its interface goes and its Elastic IP
//     is disassociated but stays allocated (K16);
//   - failed and deleted gateways stay visible for an hour (L7995, L8245), then disappear.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "model/evaluate.h"
#include "model/state.h"

namespace openvpc::model {

using NatGatewayClock = std::function<std::chrono::system_clock::time_point()>;
// The clock the lifecycle reads (system_clock by default); tests set their own. Empty restores it.
void SetNatGatewayClock(NatGatewayClock clock);
std::chrono::system_clock::time_point NatGatewayNow();

// How long failed and deleted gateways remain visible.
constexpr std::chrono::seconds kNatGatewayVisibility{3600};

// The state DescribeNatGateways shows at NOW: pending reads as available, deleting as deleted.
std::string NatGatewayState(const NatGateway& g, std::chrono::system_clock::time_point now);
// False once a failed or deleted gateway has outlived its visibility.
bool NatGatewayVisible(const NatGateway& g, std::chrono::system_clock::time_point now);
// Pending or available: it routes, it counts against the quota, it holds its subnet.
bool NatGatewayLive(const NatGateway& g, std::chrono::system_clock::time_point now);

// A visible gateway, or NatGatewayNotFound ("NAT gateway nat-… was not found"); an id that is
// not nat- and 8 or 17 hex digits is NatGatewayMalformed.
NatGateway& GetNatGateway(Partition& p, const std::string& id);
void CheckNatGatewayIdWellFormed(const std::string& id);

struct CreateNatGatewayArgs {
  std::string subnet_id;
  std::string connectivity_type;   // "" (public) | public | private
  std::string allocation_id;       // public only, required
  std::string private_ip_address;  // "" to pick the subnet's next free address
  TagList tags;
};
// Returns the gateway as the Create response shows it (pending, no failure); the stored one may
// be failed. Synchronous refusals: unknown subnet, a public gateway without an allocation id, a
// private one with one, a malformed allocation id, the per-zone quota (NatGatewayLimitExceeded).
NatGateway CreateNatGateway(Tx& tx, const CreateNatGatewayArgs& a);
// K16: the interface is deleted (as its requester), the Elastic IP disassociated, not released.
void DeleteNatGateway(Tx& tx, const std::string& id);

// What a NAT gateway translates (K5, K10, K18): TCP, UDP and ICMP over IPv4, and of fragmented
// datagrams UDP only. nullopt when it translates FLOW, else why not (for trace's note).
std::optional<std::string> NatGatewayRefusal(const Flow& flow);
// The gateway whose network interface ENI_ID is, or nullptr (a packet for that interface is for
// the gateway's own address).
const NatGateway* NatGatewayOfInterface(const Partition& p, const std::string& eni_id);

// Registers the NatGatewayId route target (G13: blackhole once the gateway is gone) and the
// DeleteSubnet/DeleteVpc dependency check (AA1, AA2). Idempotent.
void RegisterNatGatewayRules();

}  // namespace openvpc::model
