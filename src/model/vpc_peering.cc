// VPC peering connections: rules T1-T6, B7, B8, G13, G16, AA1 (see vpc_peering.h).
//
// Error codes come from the EC2 API Reference's error list (errors-overview):
// InvalidVpcPeeringConnectionID.NotFound, InvalidStateTransition ("not in the correct state for
// the request, e.g. accepting a request that has failed or was rejected"),
// VpcPeeringConnectionAlreadyExists, OutstandingVpcPeeringConnectionLimitExceeded,
// ActiveVpcPeeringConnectionPerVpcLimitExceeded, InvalidVpcPeeringConnectionState.DnsHostnamesDisabled.
// Messages marked "unverified" are our best rendering where no AWS sample was found.
#include "model/vpc_peering.h"

#include <algorithm>
#include <atomic>
#include <ctime>
#include <map>

#include "model/internal.h"
#include "model/regions.h"

namespace openvpc::model {
using namespace internal;

namespace {

constexpr auto kPendingLifetime = std::chrono::hours(168);  // T5: 1 week, not adjustable
constexpr auto kTwoHours = std::chrono::hours(2);
constexpr auto kTwoDays = std::chrono::hours(48);

PeeringClock& ClockRef() {
  static PeeringClock clock;
  return clock;
}

std::atomic<State*>& AttachedState() {
  static std::atomic<State*> state{nullptr};
  return state;
}

bool IsRequesterSide(const Partition& p, const VpcPeeringConnection& c) {
  return c.requester.owner_id == p.account_id && c.requester.region == p.region;
}
bool IsAccepterSide(const Partition& p, const VpcPeeringConnection& c) {
  return c.accepter.owner_id == p.account_id && c.accepter.region == p.region;
}

bool IsTerminal(const std::string& status) {
  return status == "failed" || status == "rejected" || status == "expired" || status == "deleted";
}
bool IsLive(const std::string& status) { return status == "pending-acceptance" || status == "active"; }

// How long after it reached STATUS a connection stays visible to one side (VPC Peering Guide,
// "VPC peering connection lifecycle"); nullopt: for as long as the status lasts.
std::optional<std::chrono::hours> VisibleFor(const VpcPeeringConnection& c, const std::string& status,
                                             bool requester_side, const std::string& caller_account) {
  const bool same_account = c.requester.owner_id == c.accepter.owner_id;
  if (status == "failed") return requester_side ? kTwoHours : std::chrono::hours(0);  // requester only
  if (status == "expired") return kTwoDays;
  if (status == "rejected") return same_account ? kTwoHours : requester_side ? kTwoDays : kTwoHours;
  if (status == "deleted") {
    if (same_account) return kTwoHours;
    // The party that deleted it sees it for 2 hours, the other for 2 days.
    return c.status_message == "Deleted by " + caller_account ? kTwoHours : kTwoDays;
  }
  return std::nullopt;
}

bool VisibleAt(const VpcPeeringConnection& c, const std::string& status, bool requester_side,
               const std::string& caller_account, TimePoint now) {
  auto window = VisibleFor(c, status, requester_side, caller_account);
  if (!window) return true;
  auto since = ParseIso8601(c.expiration_time);
  return since && now < *since + *window;
}

// The partitions a hook or an operation can reach: all of the attached State's when SELF is one
// of them, else SELF alone.
State* StateOf(const Partition& self) {
  State* s = AttachedState().load();
  return s && s->Find(self.account_id, self.region) == &self ? s : nullptr;
}

template <class Fn>
void ForEachPartition(State* s, Partition& self, Fn&& fn) {
  if (!s) {
    fn(self);
    return;
  }
  for (auto& [key, p] : s->partitions) fn(p);
}

State* StateOf(const Tx& tx) {
  if (tx.state) AttachPeeringState(tx.state);
  return tx.state;
}

const Partition* FindPartition(State* s, const Partition& self, const std::string& account,
                               const std::string& region) {
  if (self.account_id == account && self.region == region) return &self;
  return s ? s->Find(account, region) : nullptr;
}

const Vpc* FindVpc(State* s, const Partition& self, const VpcPeeringConnectionVpcInfo& side) {
  const Partition* p = FindPartition(s, self, side.owner_id, side.region);
  if (!p) return nullptr;
  auto it = p->vpcs.find(side.vpc_id);
  return it == p->vpcs.end() ? nullptr : &it->second;
}

std::vector<std::string> Ipv4Blocks(State* s, const Partition& self, const VpcPeeringConnectionVpcInfo& side) {
  std::vector<std::string> out;
  if (const Vpc* v = FindVpc(s, self, side)) {
    for (const auto& b : v->cidr_blocks) out.push_back(b.cidr);
  } else {
    out = side.cidr_blocks;
    if (out.empty() && !side.cidr_block.empty()) out.push_back(side.cidr_block);
  }
  return out;
}

std::vector<std::string> Ipv6Blocks(State* s, const Partition& self, const VpcPeeringConnectionVpcInfo& side) {
  if (const Vpc* v = FindVpc(s, self, side)) {
    std::vector<std::string> out;
    for (const auto& b : v->ipv6_cidr_blocks) out.push_back(b.cidr);
    return out;
  }
  return side.ipv6_cidr_blocks;
}

bool AnyOverlap4(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    for (const auto& y : b) {
      auto cx = net::ParseCidr4(x), cy = net::ParseCidr4(y);
      if (cx && cy && cx->Overlaps(*cy)) return true;
    }
  return false;
}

bool AnyOverlap6(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    for (const auto& y : b) {
      auto cx = net::ParseCidr6(x), cy = net::ParseCidr6(y);
      if (cx && cy && (cx->Contains(*cy) || cy->Contains(*cx))) return true;
    }
  return false;
}

void Snapshot(VpcPeeringConnectionVpcInfo& side, const Vpc& v) {
  side.cidr_block = v.cidr_block;
  side.cidr_blocks.clear();
  side.ipv6_cidr_blocks.clear();
  for (const auto& b : v.cidr_blocks) side.cidr_blocks.push_back(b.cidr);
  for (const auto& b : v.ipv6_cidr_blocks) side.ipv6_cidr_blocks.push_back(b.cidr);
}

void TouchPcx(Tx& tx, Partition& owner, const std::string& id) {
  if (&owner == &tx.p) tx.Touch(id);
  else tx.TouchIn(owner, id);
}

// AWS's status message for overlapping IPv4 blocks (unverified wording).
const char* kOverlapMessage = "Overlapping CIDR range";

void SetFailed(VpcPeeringConnection& c, const std::string& message, TimePoint now) {
  c.status_code = "failed";
  c.status_message = message;
  c.expiration_time = FormatIso8601(now);  // the time it failed: visible 2 hours from here
}

// Materialises the time-driven transitions before a write: expiry of unaccepted requests and
// the end of the visibility of finished connections.
void Sweep(Tx& tx) {
  State* s = StateOf(tx);
  const TimePoint now = PeeringNow();
  ForEachPartition(s, tx.p, [&](Partition& p) {
    for (auto it = p.vpc_peering_connections.begin(); it != p.vpc_peering_connections.end();) {
      VpcPeeringConnection& c = it->second;
      if (c.status_code == "pending-acceptance" && EffectivePeeringStatus(c, now) == "expired") {
        c.status_code = "expired";
        c.status_message = "Expired";  // unverified wording
        TouchPcx(tx, p, c.id);
      }
      if (IsTerminal(c.status_code) && !VisibleAt(c, c.status_code, true, c.requester.owner_id, now) &&
          !VisibleAt(c, c.status_code, false, c.accepter.owner_id, now)) {
        TouchPcx(tx, p, c.id);
        it = p.vpc_peering_connections.erase(it);
        continue;
      }
      ++it;
    }
  });
}

struct Found {
  Partition* owner;
  VpcPeeringConnection* pcx;
};

[[noreturn]] void NotFound(const std::string& id) {
  Fail("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '" + id + "' does not exist");
}

// The connection ID as the caller's partition sees it, or AWS's NotFound error.
Found FindForCaller(Tx& tx, const std::string& id) {
  if (id.empty()) Fail("MissingParameter", "The request must contain the parameter vpcPeeringConnectionId");
  State* s = StateOf(tx);
  const TimePoint now = PeeringNow();
  Found found{nullptr, nullptr};
  ForEachPartition(s, tx.p, [&](Partition& p) {
    auto it = p.vpc_peering_connections.find(id);
    if (it == p.vpc_peering_connections.end()) return;
    VpcPeeringConnection& c = it->second;
    std::string status = EffectivePeeringStatus(c, now);
    bool req = IsRequesterSide(tx.p, c), acc = IsAccepterSide(tx.p, c);
    if ((req && VisibleAt(c, status, true, tx.p.account_id, now)) ||
        (acc && VisibleAt(c, status, false, tx.p.account_id, now)))
      found = {&p, &c};
  });
  if (!found.pcx) NotFound(id);
  return found;
}

[[noreturn]] void WrongState(const VpcPeeringConnection& c, const std::string& status) {
  Fail("InvalidStateTransition", "Invalid state transition for " + c.id + ": the VPC peering connection is " +
                                     status + ".");  // unverified wording
}

// Accept and Reject: the accepter's account, in the accepter's Region.
void CheckAccepter(const Tx& tx, const VpcPeeringConnection& c, const std::string& verb) {
  if (tx.p.account_id != c.accepter.owner_id)
    Fail("OperationNotPermitted", "User (" + tx.p.account_id + ") cannot " + verb + " peering " + c.id);
  if (tx.p.region != c.accepter.region)
    Fail("OperationNotPermitted", "Incorrect region (" + tx.p.region + ") specified for this request. VPC peering "
                                  "connection " + c.id + " must be " + (verb == "accept" ? "accepted" : "accepted or rejected") +
                                  " in region " + c.accepter.region);
}

int CountActiveFor(State* s, Partition& self, const VpcPeeringConnectionVpcInfo& side, TimePoint now) {
  int n = 0;
  ForEachPartition(s, self, [&](Partition& p) {
    for (const auto& [id, c] : p.vpc_peering_connections) {
      if (EffectivePeeringStatus(c, now) != "active") continue;
      for (const auto* x : {&c.requester, &c.accepter})
        if (x->vpc_id == side.vpc_id && x->owner_id == side.owner_id && x->region == side.region) ++n;
    }
  });
  return n;
}

bool SameVpc(const VpcPeeringConnectionVpcInfo& a, const VpcPeeringConnectionVpcInfo& b) {
  return a.vpc_id == b.vpc_id && a.owner_id == b.owner_id && a.region == b.region;
}

// ---- hooks ----

const VpcPeeringConnection* FindAnywhere(State* s, const Partition& self, const std::string& id) {
  const VpcPeeringConnection* out = nullptr;
  ForEachPartition(s, const_cast<Partition&>(self), [&](Partition& p) {
    auto it = p.vpc_peering_connections.find(id);
    if (it != p.vpc_peering_connections.end()) out = &it->second;
  });
  return out;
}

// The route table's VPC is one side of the connection, seen from the table's partition.
bool RouteTableOnSide(const Partition& p, const RouteTable& rt, const VpcPeeringConnection& c) {
  return (IsRequesterSide(p, c) && c.requester.vpc_id == rt.vpc_id) ||
         (IsAccepterSide(p, c) && c.accepter.vpc_id == rt.vpc_id);
}

void ValidateRouteTarget(Partition& p, const RouteTable& rt, const std::string& id) {
  const TimePoint now = PeeringNow();
  const VpcPeeringConnection* c = FindAnywhere(StateOf(p), p, id);
  if (!c || !(IsRequesterSide(p, *c) || IsAccepterSide(p, *c))) NotFound(id);
  std::string status = EffectivePeeringStatus(*c, now);
  // G16: a route may name a connection that is active, or pending-acceptance (the route is a
  // blackhole until it is accepted, VPC Peering Guide "Update your route tables").
  if (!IsLive(status)) NotFound(id);  // unverified: AWS's code for a finished connection
  if (!RouteTableOnSide(p, rt, *c))
    Fail("InvalidParameterValue",
         "route table " + rt.id + " and peering connection " + id + " belong to different networks");
}

bool RouteTargetUsable(const Partition& p, const RouteTable& rt, const std::string& id, const State* state) {
  // Another account's or Region's partition holds the connection when this side accepted it.
  const VpcPeeringConnection* c = FindAnywhere(state ? const_cast<State*>(state) : StateOf(p), p, id);
  return c && EffectivePeeringStatus(*c, PeeringNow()) == "active" && RouteTableOnSide(p, rt, *c);
}

// AA1, T6: no DeleteVpc while the VPC has an active or pending peering connection.
void CheckVpcHasNoPeering(const Partition& p, const std::string& resource_id) {
  if (resource_id.rfind("vpc-", 0) != 0) return;
  const TimePoint now = PeeringNow();
  ForEachPartition(StateOf(p), const_cast<Partition&>(p), [&](Partition& other) {
    for (const auto& [id, c] : other.vpc_peering_connections) {
      if (!IsLive(EffectivePeeringStatus(c, now))) continue;
      if ((IsRequesterSide(p, c) && c.requester.vpc_id == resource_id) ||
          (IsAccepterSide(p, c) && c.accepter.vpc_id == resource_id))
        Fail("DependencyViolation", "The vpc '" + resource_id + "' has dependencies and cannot be deleted.");
    }
  });
}

}  // namespace

void SetPeeringClock(PeeringClock clock) { ClockRef() = std::move(clock); }

TimePoint PeeringNow() { return ClockRef() ? ClockRef()() : std::chrono::system_clock::now(); }

void AttachPeeringState(State* state) { AttachedState().store(state); }

void RegisterVpcPeeringRules() {
  static bool done = [] {
    RegisterRouteTarget({.member = "VpcPeeringConnectionId",
                         .hop = "vpc-peering",
                         .validate = ValidateRouteTarget,
                         .usable = RouteTargetUsable});
    RegisterDependencyCheck(CheckVpcHasNoPeering);
    return true;
  }();
  (void)done;
}

std::string EffectivePeeringStatus(const VpcPeeringConnection& pcx, TimePoint now) {
  if (pcx.status_code == "pending-acceptance") {
    auto expires = ParseIso8601(pcx.expiration_time);
    if (expires && now >= *expires) return "expired";
  }
  return pcx.status_code;
}

VpcPeeringConnection CreateVpcPeeringConnection(Tx& tx, const CreateVpcPeeringArgs& a) {
  Sweep(tx);
  State* s = StateOf(tx);
  Partition& p = tx.p;
  const TimePoint now = PeeringNow();
  Vpc& v = GetVpc(p, a.vpc_id);
  if (a.peer_vpc_id.empty()) Fail("MissingParameter", "The request must contain the parameter peerVpcId");
  const std::string owner = a.peer_owner_id.empty() ? p.account_id : a.peer_owner_id;
  const std::string region = a.peer_region.empty() ? p.region : a.peer_region;
  if (!FindRegion(region))
    Fail("InvalidParameterValue", "Value (" + region + ") for parameter peerRegion is invalid.");
  const bool local = owner == p.account_id && region == p.region;
  // Same account and Region: the peer VPC is checked at once. Another account's or Region's VPC
  // is looked up by the request, which then fails when it is not there (unverified: AWS may
  // refuse some of these synchronously as well).
  if (local) GetVpc(p, a.peer_vpc_id);

  VpcPeeringConnection c;
  c.id = NewId("pcx");
  c.requester = {.owner_id = p.account_id, .region = p.region, .vpc_id = v.id};
  Snapshot(c.requester, v);
  c.accepter = {.owner_id = owner, .region = region, .vpc_id = a.peer_vpc_id};
  c.tags = a.tags;

  // One active or pending connection per pair of VPCs, in either direction.
  ForEachPartition(s, p, [&](Partition& other) {
    for (const auto& [id, x] : other.vpc_peering_connections) {
      if (!IsLive(EffectivePeeringStatus(x, now))) continue;
      if ((SameVpc(x.requester, c.requester) && SameVpc(x.accepter, c.accepter)) ||
          (SameVpc(x.requester, c.accepter) && SameVpc(x.accepter, c.requester)))
        Fail("VpcPeeringConnectionAlreadyExists", "A VPC peering connection between " + c.requester.vpc_id +
                                                      " and " + c.accepter.vpc_id + " already exists: " + id + ".");
    }
  });
  int outstanding = 0;  // T5: outstanding (pending-acceptance) requests made by this account
  for (const auto& [id, x] : p.vpc_peering_connections)
    if (x.requester.owner_id == p.account_id && EffectivePeeringStatus(x, now) == "pending-acceptance") ++outstanding;
  if (outstanding >= tx.quotas.Get("outstanding-vpc-peering-connection-requests"))
    Fail("OutstandingVpcPeeringConnectionLimitExceeded",
         "You have reached the limit on the number of VPC peering connection requests you can create.");

  const Vpc* peer = FindVpc(s, p, c.accepter);
  if (!peer) {
    SetFailed(c, "VPC " + a.peer_vpc_id + " does not exist in account " + owner + " in region " + region +
                     ".",  // unverified wording
              now);
  } else if (AnyOverlap4(Ipv4Blocks(s, p, c.requester), Ipv4Blocks(s, p, c.accepter)) ||
             AnyOverlap6(Ipv6Blocks(s, p, c.requester), Ipv6Blocks(s, p, c.accepter))) {
    SetFailed(c, kOverlapMessage, now);  // the request is created and fails (API Reference)
  } else {
    c.status_code = "pending-acceptance";
    c.status_message = "Pending Acceptance by " + owner;
    c.expiration_time = FormatIso8601(now + kPendingLifetime);
  }
  VpcPeeringConnection& stored = p.vpc_peering_connections[c.id] = c;
  tx.Touch(stored.id);

  // The response shows the request as it starts (initiating-request); DescribeVpcPeeringConnections
  // shows where it went.
  VpcPeeringConnection shown = stored;
  if (shown.status_code == "pending-acceptance") {
    shown.status_code = "initiating-request";
    shown.status_message = "Initiating Request to " + owner;
  }
  return shown;
}

const VpcPeeringConnection& AcceptVpcPeeringConnection(Tx& tx, const std::string& id) {
  Sweep(tx);
  State* s = StateOf(tx);
  const TimePoint now = PeeringNow();
  auto [owner, c] = FindForCaller(tx, id);
  CheckAccepter(tx, *c, "accept");
  std::string status = EffectivePeeringStatus(*c, now);
  if (status != "pending-acceptance") WrongState(*c, status);
  const Vpc* req = FindVpc(s, tx.p, c->requester);
  const Vpc* acc = FindVpc(s, tx.p, c->accepter);
  if (!req || !acc) NotFound(id);  // AA1 keeps both VPCs while the request is pending
  for (const auto* side : {&c->requester, &c->accepter})  // T5: 50 active per VPC, for both VPCs
    if (CountActiveFor(s, tx.p, *side, now) >= tx.quotas.Get("active-vpc-peering-connections-per-vpc"))
      Fail("ActiveVpcPeeringConnectionPerVpcLimitExceeded",
           "The maximum number of active VPC peering connections has been reached for " + side->vpc_id + ".");
  Snapshot(c->requester, *req);
  Snapshot(c->accepter, *acc);
  c->status_code = "active";
  c->status_message = "Active";
  c->expiration_time.clear();
  TouchPcx(tx, *owner, c->id);
  return *c;
}

void RejectVpcPeeringConnection(Tx& tx, const std::string& id) {
  Sweep(tx);
  const TimePoint now = PeeringNow();
  auto [owner, c] = FindForCaller(tx, id);
  CheckAccepter(tx, *c, "reject");
  std::string status = EffectivePeeringStatus(*c, now);
  if (status != "pending-acceptance") WrongState(*c, status);
  c->status_code = "rejected";
  c->status_message = "Inactive";
  c->expiration_time = FormatIso8601(now);  // the time it was rejected
  TouchPcx(tx, *owner, c->id);
}

void DeleteVpcPeeringConnection(Tx& tx, const std::string& id) {
  Sweep(tx);
  const TimePoint now = PeeringNow();
  auto [owner, c] = FindForCaller(tx, id);
  std::string status = EffectivePeeringStatus(*c, now);
  if (status == "pending-acceptance") {
    // Only the requester withdraws a request; the accepter rejects it.
    if (!IsRequesterSide(tx.p, *c))
      Fail("OperationNotPermitted", "User (" + tx.p.account_id + ") cannot delete peering " + id +
                                        " in state pending-acceptance; reject it instead.");  // unverified wording
  } else if (status != "active") {
    WrongState(*c, status);  // failed, rejected, expired and deleted connections cannot be deleted
  }
  c->status_code = "deleted";
  c->status_message = "Deleted by " + tx.p.account_id;
  c->expiration_time = FormatIso8601(now);  // G13: routes to it turn blackhole
  TouchPcx(tx, *owner, c->id);
}

PeeringOptionsResult ModifyVpcPeeringConnectionOptions(Tx& tx, const std::string& id,
                                                       const std::optional<PeeringOptionsRequest>& requester,
                                                       const std::optional<PeeringOptionsRequest>& accepter) {
  Sweep(tx);
  State* s = StateOf(tx);
  auto [owner, c] = FindForCaller(tx, id);
  std::string status = EffectivePeeringStatus(*c, PeeringNow());
  if (status != "active") WrongState(*c, status);
  // Each owner changes its own side's options, in its own Region (API Reference).
  if (requester && !IsRequesterSide(tx.p, *c))
    Fail("OperationNotPermitted", "User (" + tx.p.account_id + ") in region " + tx.p.region +
                                      " cannot modify the requester options of peering " + id + ".");
  if (accepter && !IsAccepterSide(tx.p, *c))
    Fail("OperationNotPermitted", "User (" + tx.p.account_id + ") in region " + tx.p.region +
                                      " cannot modify the accepter options of peering " + id + ".");
  auto enabling = [](const std::optional<PeeringOptionsRequest>& r) {
    return r && r->allow_dns_resolution_from_remote_vpc.value_or(false);
  };
  if (enabling(requester) || enabling(accepter)) {
    // DNS resolution across the connection needs DNS hostnames and resolution in both VPCs.
    for (const auto* side : {&c->requester, &c->accepter}) {
      const Vpc* v = FindVpc(s, tx.p, *side);
      if (v && !(v->enable_dns_hostnames && v->enable_dns_support))
        Fail("InvalidVpcPeeringConnectionState.DnsHostnamesDisabled",
             "To enable DNS hostname resolution for the VPC peering connection, DNS hostname support must be "
             "enabled for the VPCs.");
    }
  }
  PeeringOptionsResult out;
  if (requester) {
    if (requester->allow_dns_resolution_from_remote_vpc)
      c->requester.allow_dns_resolution_from_remote_vpc = *requester->allow_dns_resolution_from_remote_vpc;
    out.requester_dns = c->requester.allow_dns_resolution_from_remote_vpc;
  }
  if (accepter) {
    if (accepter->allow_dns_resolution_from_remote_vpc)
      c->accepter.allow_dns_resolution_from_remote_vpc = *accepter->allow_dns_resolution_from_remote_vpc;
    out.accepter_dns = c->accepter.allow_dns_resolution_from_remote_vpc;
  }
  TouchPcx(tx, *owner, c->id);
  return out;
}

std::vector<PeeringView> VisiblePeeringConnections(const Tx& tx) {
  State* s = StateOf(tx);
  const TimePoint now = PeeringNow();
  std::vector<PeeringView> out;
  ForEachPartition(s, tx.p, [&](Partition& p) {
    for (const auto& [id, c] : p.vpc_peering_connections) {
      std::string status = EffectivePeeringStatus(c, now);
      PeeringView v;
      v.caller_is_requester = IsRequesterSide(tx.p, c) && VisibleAt(c, status, true, tx.p.account_id, now);
      v.caller_is_accepter = IsAccepterSide(tx.p, c) && VisibleAt(c, status, false, tx.p.account_id, now);
      if (!v.caller_is_requester && !v.caller_is_accepter) continue;
      v.pcx = c;
      if (status != c.status_code) {
        v.pcx.status_code = status;
        v.pcx.status_message = "Expired";  // unverified wording
      }
      out.push_back(std::move(v));
    }
  });
  std::sort(out.begin(), out.end(), [](const auto& x, const auto& y) { return x.pcx.id < y.pcx.id; });
  return out;
}

std::vector<std::string> PeeringSideIpv4Blocks(const Tx& tx, const VpcPeeringConnectionVpcInfo& side) {
  return Ipv4Blocks(tx.state, tx.p, side);
}

std::vector<std::string> PeeringSideIpv6Blocks(const Tx& tx, const VpcPeeringConnectionVpcInfo& side) {
  return Ipv6Blocks(tx.state, tx.p, side);
}

void CheckPeeringForNewVpcCidr(Tx& tx, const std::string& vpc_id, const std::string& cidr) {
  State* s = StateOf(tx);
  const TimePoint now = PeeringNow();
  const std::vector<std::string> added{cidr};
  struct Change {
    Partition* owner;
    VpcPeeringConnection* pcx;
  };
  std::vector<Change> to_fail;
  ForEachPartition(s, tx.p, [&](Partition& p) {
    for (auto& [id, c] : p.vpc_peering_connections) {
      std::string status = EffectivePeeringStatus(c, now);
      const bool req = IsRequesterSide(tx.p, c) && c.requester.vpc_id == vpc_id;
      const bool acc = IsAccepterSide(tx.p, c) && c.accepter.vpc_id == vpc_id;
      if (!req && !acc) continue;
      if (status == "active") {
        const auto& peer = req ? c.accepter : c.requester;
        if (AnyOverlap4(added, Ipv4Blocks(s, tx.p, peer)))  // B7 (unverified code)
          Fail("InvalidVpc.Range", "The CIDR '" + cidr + "' overlaps with a CIDR block of " + peer.vpc_id +
                                       ", peered with " + vpc_id + " through " + id + ".");
      } else if (status == "pending-acceptance") {
        if (req)  // B8: the requester adds no block while its request is pending (unverified code)
          Fail("OperationNotPermitted", "The CIDR '" + cidr + "' cannot be associated with " + vpc_id +
                                            " while its VPC peering connection request " + id +
                                            " is pending acceptance.");
        if (AnyOverlap4(added, Ipv4Blocks(s, tx.p, c.requester))) to_fail.push_back({&p, &c});  // B8
      }
    }
  });
  for (auto& [owner, c] : to_fail) {
    SetFailed(*c, kOverlapMessage, now);
    TouchPcx(tx, *owner, c->id);
  }
}

}  // namespace openvpc::model

namespace openvpc::model {

bool ActivelyPeered(const Tx& tx, const std::string& vpc_id, const std::string& peer_owner,
                    const std::string& peer_vpc_id) {
  const auto now = PeeringNow();
  bool found = false;
  ForEachPartition(StateOf(tx), tx.p, [&](const Partition& p) {
    for (const auto& [id, c] : p.vpc_peering_connections) {
      if (EffectivePeeringStatus(c, now) != "active") continue;
      auto is = [&](const VpcPeeringConnectionVpcInfo& side, const std::string& owner, const std::string& vpc) {
        return side.owner_id == owner && side.vpc_id == vpc && side.region == tx.p.region;
      };
      found |= (is(c.requester, tx.p.account_id, vpc_id) && is(c.accepter, peer_owner, peer_vpc_id)) ||
               (is(c.accepter, tx.p.account_id, vpc_id) && is(c.requester, peer_owner, peer_vpc_id));
    }
  });
  return found;
}

}  // namespace openvpc::model
