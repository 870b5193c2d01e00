// VPC peering connections (issue 3): rules T1-T6, B7, B8, G13, G16, AA1 of
// shared/spec/inventory-vpc-guide.md, and the lifecycle of the VPC Peering Guide
// ("VPC peering connection lifecycle").
//
// One record per connection, in the requester's partition; the accepter's account and Region
// see the same record. Time-driven transitions are evaluated lazily from stored times:
//   - pending-acceptance becomes expired at expiration_time (168 h after the request, T5);
//   - a connection that reached failed, rejected, expired or deleted stays visible for the
//     Guide's windows and then disappears. For those states `expiration_time` holds the time the
//     status was reached (an expired connection's expiration time is that time anyway); the view
//     shows ExpirationTime only while the request is pending-acceptance.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

using PeeringClock = std::function<std::chrono::system_clock::time_point()>;
// The clock the lifecycle reads (system_clock by default); tests set their own. Empty restores it.
void SetPeeringClock(PeeringClock clock);
std::chrono::system_clock::time_point PeeringNow();

// The route-target and DeleteVpc hooks receive only a partition, but a connection lives in the
// requester's partition and must be seen from the accepter's too: they read every partition of
// the State attached here. Every peering operation attaches tx.state; the service may attach it
// once at start so that the hooks work before the first peering request after a restart.
void AttachPeeringState(State* state);

// Registers the VpcPeeringConnectionId route target (G13, G16) and the DeleteVpc dependency
// check (AA1, T6). Idempotent.
void RegisterVpcPeeringRules();

struct CreateVpcPeeringArgs {
  std::string vpc_id, peer_vpc_id;
  std::string peer_owner_id;  // default: the caller's account
  std::string peer_region;    // default: the caller's Region
  TagList tags;
};
// Returns the connection as the Create response shows it (status initiating-request); stored, it
// is pending-acceptance, or failed when the VPCs' IPv4 blocks overlap or the peer VPC of another
// account or Region does not exist.
VpcPeeringConnection CreateVpcPeeringConnection(Tx& tx, const CreateVpcPeeringArgs& a);
// Only by the accepter's account, in the accepter's Region.
const VpcPeeringConnection& AcceptVpcPeeringConnection(Tx& tx, const std::string& id);
void RejectVpcPeeringConnection(Tx& tx, const std::string& id);
// Either side, when active; only the requester while pending-acceptance.
void DeleteVpcPeeringConnection(Tx& tx, const std::string& id);

struct PeeringOptionsRequest {
  std::optional<bool> allow_dns_resolution_from_remote_vpc;
};
struct PeeringOptionsResult {
  std::optional<bool> requester_dns, accepter_dns;  // set for the sides the request changed
};
PeeringOptionsResult ModifyVpcPeeringConnectionOptions(Tx& tx, const std::string& id,
                                                       const std::optional<PeeringOptionsRequest>& requester,
                                                       const std::optional<PeeringOptionsRequest>& accepter);

// A connection as the caller's partition sees it now: the status after lazy expiry, and
// whether the caller is its requester side, its accepter side, or both.
struct PeeringView {
  VpcPeeringConnection pcx;  // a copy with the effective status
  bool caller_is_requester = false, caller_is_accepter = false;
};
// Every connection visible to the partition of TX (sorted by id), in every partition of tx.state.
std::vector<PeeringView> VisiblePeeringConnections(const Tx& tx);

// The live IPv4/IPv6 blocks of one side's VPC (empty when the VPC is gone), for the view.
std::vector<std::string> PeeringSideIpv4Blocks(const Tx& tx, const VpcPeeringConnectionVpcInfo& side);
std::vector<std::string> PeeringSideIpv6Blocks(const Tx& tx, const VpcPeeringConnectionVpcInfo& side);

// B7/B8, called by AssociateVpcCidrBlock after its own checks, before the block is added:
// refuses a block overlapping the peer of an active connection (B7) and any block while the VPC
// has a pending-acceptance request it made (B8); an accepter's block overlapping the requester
// of a pending request makes that request fail (B8).
void CheckPeeringForNewVpcCidr(Tx& tx, const std::string& vpc_id, const std::string& cidr);

// True when VPC_ID (of the caller's partition) and PEER_VPC_ID of PEER_OWNER (in the caller's
// Region) are the two sides of an active connection: security groups may then reference each
// other's groups.
bool ActivelyPeered(const Tx& tx, const std::string& vpc_id, const std::string& peer_owner,
                    const std::string& peer_vpc_id);

// The effective status code of a connection at NOW (pending-acceptance past its expiration
// time is expired).
std::string EffectivePeeringStatus(const VpcPeeringConnection& pcx, std::chrono::system_clock::time_point now);

}  // namespace openvpc::model
