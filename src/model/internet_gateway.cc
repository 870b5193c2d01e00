// Internet gateways and egress-only internet gateways: rules AA5, quota table §3.1.
#include <algorithm>

#include "model/internal.h"
#include "model/route_target.h"

namespace openvpc::model {
using namespace internal;

InternetGateway& CreateInternetGateway(Tx& tx, TagList tags) {
  if (static_cast<int>(tx.p.internet_gateways.size()) >= tx.quotas.Get("internet-gateways-per-region"))
    Fail("InternetGatewayLimitExceeded", "The maximum number of internet gateways has been reached.");
  InternetGateway g;
  g.id = NewId("igw");
  g.owner_id = tx.p.account_id;
  g.tags = std::move(tags);
  InternetGateway& stored = tx.p.internet_gateways[g.id] = std::move(g);
  tx.Touch(stored.id);
  return stored;
}

void DeleteInternetGateway(Tx& tx, const std::string& igw_id) {
  InternetGateway& g = GetInternetGateway(tx.p, igw_id);
  if (!g.attachments.empty())  // AA5: detach first
    Fail("DependencyViolation", "The internetGateway '" + igw_id + "' has dependencies and cannot be deleted.");
  tx.p.internet_gateways.erase(igw_id);
  tx.Touch(igw_id);
}

namespace {

template <typename Gateways>
const typename Gateways::mapped_type* AttachedTo(const Gateways& gateways, const std::string& vpc_id) {
  for (const auto& [id, g] : gateways)
    for (const auto& a : g.attachments)
      if (a.vpc_id == vpc_id) return &g;
  return nullptr;
}

}  // namespace

const InternetGateway* AttachedInternetGateway(const Partition& p, const std::string& vpc_id) {
  return AttachedTo(p.internet_gateways, vpc_id);
}

const EgressOnlyInternetGateway* AttachedEgressOnlyInternetGateway(const Partition& p, const std::string& vpc_id) {
  return AttachedTo(p.egress_only_internet_gateways, vpc_id);
}

void AttachInternetGateway(Tx& tx, const std::string& igw_id, const std::string& vpc_id) {
  InternetGateway& g = GetInternetGateway(tx.p, igw_id);
  GetVpc(tx.p, vpc_id);
  if (!g.attachments.empty())
    Fail("Resource.AlreadyAssociated",
         "resource " + igw_id + " is already attached to network " + g.attachments.front().vpc_id);
  if (const InternetGateway* other = AttachedInternetGateway(tx.p, vpc_id))  // one internet gateway per VPC
    Fail("Resource.AlreadyAssociated", "resource " + vpc_id + " is already attached to network gateway " + other->id);
  g.attachments.push_back({vpc_id, "available"});
  tx.Touch(igw_id);
}

void DetachInternetGateway(Tx& tx, const std::string& igw_id, const std::string& vpc_id) {
  InternetGateway& g = GetInternetGateway(tx.p, igw_id);
  GetVpc(tx.p, vpc_id);
  if (g.attachments.empty() || g.attachments.front().vpc_id != vpc_id)
    Fail("Gateway.NotAttached", "resource " + igw_id + " is not attached to network " + vpc_id);
  RunDependencyChecks(tx.p, igw_id);  // AA5: public addresses in the VPC (later issues)
  g.attachments.clear();
  tx.Touch(igw_id);
}

EgressOnlyInternetGateway& CreateEgressOnlyInternetGateway(Tx& tx, const std::string& vpc_id, TagList tags) {
  GetVpc(tx.p, vpc_id);
  if (static_cast<int>(tx.p.egress_only_internet_gateways.size()) >=
      tx.quotas.Get("egress-only-internet-gateways-per-region"))
    Fail("EgressOnlyInternetGatewayLimitExceeded",
         "The maximum number of egress-only internet gateways has been reached.");
  EgressOnlyInternetGateway g;
  g.id = NewId("eigw");
  g.owner_id = tx.p.account_id;
  g.attachments.push_back({vpc_id, "attached"});  // §4.3: attached on create
  g.tags = std::move(tags);
  EgressOnlyInternetGateway& stored = tx.p.egress_only_internet_gateways[g.id] = std::move(g);
  tx.Touch(stored.id);
  return stored;
}

void DeleteEgressOnlyInternetGateway(Tx& tx, const std::string& eigw_id) {
  GetEgressOnlyInternetGateway(tx.p, eigw_id);
  tx.p.egress_only_internet_gateways.erase(eigw_id);  // routes to it turn blackhole (G13)
  tx.Touch(eigw_id);
}

namespace {

[[noreturn]] void GatewayNotFound(const std::string& id) {
  Fail("InvalidGatewayID.NotFound", "The gateway ID '" + id + "' does not exist");
}

[[noreturn]] void DifferentNetworks(const RouteTable& rt, const std::string& id) {
  Fail("InvalidParameterValue", "route table " + rt.id + " and network gateway " + id + " belong to different networks");
}

}  // namespace

void RegisterGatewayRules() {
  static bool done = [] {
    // GatewayId igw-…: the internet gateway attached to the table's VPC (I1-I4).
    RegisterRouteTarget({.member = "GatewayId",
                         .id_prefix = "igw",
                         .hop = "internet-gateway",
                         .validate =
                             [](Partition& p, const RouteTable& rt, const std::string& id) {
                               auto it = p.internet_gateways.find(id);
                               if (it == p.internet_gateways.end()) GatewayNotFound(id);
                               if (AttachedInternetGateway(p, rt.vpc_id) != &it->second) DifferentNetworks(rt, id);
                             },
                         .usable =
                             [](const Partition& p, const RouteTable& rt, const std::string& id, const State*) {
                               auto it = p.internet_gateways.find(id);
                               return it != p.internet_gateways.end() &&
                                      AttachedInternetGateway(p, rt.vpc_id) == &it->second;
                             }});
    // EgressOnlyInternetGatewayId: IPv6 out, replies back in (J1, J2).
    RegisterRouteTarget({.member = "EgressOnlyInternetGatewayId",
                         .hop = "egress-only-internet-gateway",
                         .validate =
                             [](Partition& p, const RouteTable& rt, const std::string& id) {
                               auto it = p.egress_only_internet_gateways.find(id);
                               if (it == p.egress_only_internet_gateways.end()) GatewayNotFound(id);
                               if (it->second.attachments.empty() || it->second.attachments[0].vpc_id != rt.vpc_id)
                                 DifferentNetworks(rt, id);
                             },
                         .usable = [](const Partition& p, const RouteTable&, const std::string& id,
                                      const State*) { return p.egress_only_internet_gateways.count(id) > 0; }});
    return true;
  }();
  (void)done;
}

}  // namespace openvpc::model
