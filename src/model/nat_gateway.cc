// NAT gateways: guide §1.8, K1, K2, K7, K14, K16, G13, AA1/AA2, §3.1 and §4.1 (5-8, 11).
#include "model/nat_gateway.h"

#include <algorithm>
#include <ctime>
#include <optional>

#include "model/address.h"
#include "model/internal.h"
#include "model/network_interface.h"

namespace openvpc::model {
using namespace internal;

namespace {

NatGatewayClock& ClockRef() {
  static NatGatewayClock clock;
  return clock;
}

void MarkFailed(NatGateway& g, const std::string& code, const std::string& message, TimePoint now) {
  g.state = "failed";
  g.failure_code = code;
  g.failure_message = message;
  g.delete_time = FormatIso8601(now);  // the hour of visibility runs from here
}

// The end of the visibility of failed and deleted gateways, made real before a write.
void Sweep(Tx& tx, TimePoint now) {
  for (auto it = tx.p.nat_gateways.begin(); it != tx.p.nat_gateways.end();) {
    if (NatGatewayVisible(it->second, now)) {
      ++it;
      continue;
    }
    tx.Touch(it->first);
    it = tx.p.nat_gateways.erase(it);
  }
}

// K14/§4.1: what a failed association of the Elastic IP leaves in FailureCode/FailureMessage.
std::optional<std::pair<std::string, std::string>> AssociationFailure(const Error& e, const NatGateway& g) {
  if (e.code == "Gateway.NotAttached")
    return std::pair{e.code, "Network " + g.vpc_id + " has no internet gateway attached"};
  if (e.code == "InvalidAllocationID.NotFound")
    return std::pair{e.code, "Elastic IP address " + g.allocation_id + " could not be associated with this NAT gateway"};
  if (e.code == "Resource.AlreadyAssociated")
    return std::pair{e.code, "Elastic IP address " + g.allocation_id + " is already associated"};
  return std::nullopt;
}

[[noreturn]] void RouteTargetNotFound(const std::string& id) {
  Fail("InvalidNatGatewayID.NotFound", "The natGateway ID '" + id + "' does not exist");
}

void ValidateRouteTarget(Partition& p, const RouteTable& rt, const std::string& id) {
  auto it = p.nat_gateways.find(id);
  const TimePoint now = NatGatewayNow();
  if (it == p.nat_gateways.end() || !NatGatewayLive(it->second, now)) RouteTargetNotFound(id);
  if (it->second.vpc_id != rt.vpc_id)
    Fail("InvalidParameterValue",
         "route table " + rt.id + " and network gateway " + id + " belong to different networks");
}

bool RouteTargetUsable(const Partition& p, const RouteTable& rt, const std::string& id, const State*) {
  auto it = p.nat_gateways.find(id);
  return it != p.nat_gateways.end() && it->second.vpc_id == rt.vpc_id && NatGatewayLive(it->second, NatGatewayNow());
}

// AA1, AA2: no DeleteSubnet or DeleteVpc under a live NAT gateway.
void CheckNoLiveNatGateway(const Partition& p, const std::string& resource_id) {
  bool subnet = resource_id.rfind("subnet-", 0) == 0, vpc = resource_id.rfind("vpc-", 0) == 0;
  if (!subnet && !vpc) return;
  const TimePoint now = NatGatewayNow();
  for (const auto& [id, g] : p.nat_gateways)
    if ((subnet ? g.subnet_id : g.vpc_id) == resource_id && NatGatewayLive(g, now))
      Fail("DependencyViolation", std::string("The ") + (subnet ? "subnet" : "vpc") + " '" + resource_id +
                                      "' has dependencies and cannot be deleted.");
}

}  // namespace

void SetNatGatewayClock(NatGatewayClock clock) { ClockRef() = std::move(clock); }

TimePoint NatGatewayNow() { return ClockRef() ? ClockRef()() : std::chrono::system_clock::now(); }

std::string NatGatewayState(const NatGateway& g, TimePoint now) {
  if (g.state == "pending") {
    auto created = ParseIso8601(g.create_time);
    return !created || now >= *created ? "available" : "pending";
  }
  if (g.state == "deleting") {
    auto deleted = ParseIso8601(g.delete_time);
    return !deleted || now >= *deleted ? "deleted" : "deleting";
  }
  return g.state;
}

bool NatGatewayVisible(const NatGateway& g, TimePoint now) {
  std::string state = NatGatewayState(g, now);
  if (state != "failed" && state != "deleted") return true;
  auto since = ParseIso8601(g.delete_time);
  return since && now < *since + kNatGatewayVisibility;
}

bool NatGatewayLive(const NatGateway& g, TimePoint now) {
  std::string state = NatGatewayState(g, now);
  return state == "pending" || state == "available";
}

void CheckNatGatewayIdWellFormed(const std::string& id) {
  if (!WellFormedId(id, "nat-")) Fail("NatGatewayMalformed", "The natGateway ID '" + id + "' is malformed");
}

NatGateway& GetNatGateway(Partition& p, const std::string& id) {
  CheckNatGatewayIdWellFormed(id);
  auto it = p.nat_gateways.find(id);
  if (it == p.nat_gateways.end() || !NatGatewayVisible(it->second, NatGatewayNow()))
    Fail("NatGatewayNotFound", "NAT gateway " + id + " was not found");
  return it->second;
}

NatGateway CreateNatGateway(Tx& tx, const CreateNatGatewayArgs& a) {
  Partition& p = tx.p;
  if (a.subnet_id.empty()) Fail("MissingParameter", "The request must contain the parameter SubnetId");
  const Subnet& s = GetSubnet(p, a.subnet_id);
  if (s.ipv6_native)  // a NAT gateway translates to and from IPv4 addresses of its subnet
    Fail("InvalidSubnet", "Subnet " + s.id + " is IPv6-only: a NAT gateway needs a subnet with an IPv4 CIDR block.");
  std::string type = a.connectivity_type.empty() ? "public" : a.connectivity_type;
  if (type != "public" && type != "private")
    Fail("InvalidParameterValue", "Value (" + type + ") for parameter ConnectivityType is invalid.");
  if (type == "public" && a.allocation_id.empty())  // K1: exactly one Elastic IP, chosen at creation
    Fail("MissingParameter", "The request must contain the parameter AllocationId");
  if (type == "private" && !a.allocation_id.empty())
    Fail("InvalidParameterCombination",
         "AllocationId cannot be specified for a NAT gateway with private connectivity.");
  if (!a.allocation_id.empty() && !WellFormedId(a.allocation_id, "eipalloc-"))
    Fail("InvalidElasticIpID.Malformed", "The elastic-ip ID '" + a.allocation_id + "' is malformed");

  const TimePoint now = NatGatewayNow();
  Sweep(tx, now);
  // §3.1: 5 per Availability Zone; pending and available gateways count (§4.1 11).
  const int limit = tx.quotas.Get("nat-gateways-per-availability-zone");
  int in_zone = 0;
  for (const auto& [id, g] : p.nat_gateways) {
    auto sub = p.subnets.find(g.subnet_id);
    if (sub != p.subnets.end() && sub->second.availability_zone == s.availability_zone && NatGatewayLive(g, now))
      ++in_zone;
  }
  if (in_zone >= limit)
    Fail("NatGatewayLimitExceeded",
         "Performing this operation would exceed the limit of " + std::to_string(limit) + " NAT gateways");

  NatGateway g;
  g.id = NewId("nat");
  g.owner_id = p.account_id;
  g.subnet_id = s.id;
  g.vpc_id = s.vpc_id;
  g.connectivity_type = type;
  g.create_time = FormatIso8601(now);
  g.allocation_id = a.allocation_id;
  g.tags = a.tags;

  // K7: a requester-managed interface with an address of the subnet.
  NetworkInterface* eni = nullptr;
  try {
    eni = &CreateNetworkInterface(tx, {.subnet_id = s.id,
                                       .description = "Interface for NAT Gateway " + g.id,
                                       .private_ip_address = a.private_ip_address,
                                       .interface_type = "nat_gateway",
                                       .requester_managed = true,
                                       .requester_id = "AWS"});
  } catch (const Error& e) {  // §4.1 5; a bad PrivateIpAddress is refused synchronously
    if (e.code != "InsufficientFreeAddressesInSubnet") throw;
    MarkFailed(g, "InsufficientFreeAddressesInSubnet", "Subnet has insufficient free addresses to create this NAT gateway",
               now);
  }
  if (eni) {
    eni->group_ids.clear();        // K6: no security groups
    eni->ipv6_addresses.clear();   // K18: no IPv6
    eni->source_dest_check = false;
    g.network_interface_id = eni->id;
    g.private_ip = eni->PrimaryIp();
    if (type == "public") {
      try {  // K2, K14: the Address rules (an internet gateway attached, not associated yet)
        g.association_id = AssociateAddress(tx, {.allocation_id = g.allocation_id, .network_interface_id = eni->id});
        g.public_ip = GetAddress(p, g.allocation_id).public_ip;
      } catch (const Error& e) {  // §4.1 6-8
        auto failure = AssociationFailure(e, g);
        if (!failure) throw;
        DeleteNetworkInterface(tx, g.network_interface_id, /*by_requester=*/true);
        g.network_interface_id.clear();
        g.private_ip.clear();
        MarkFailed(g, failure->first, failure->second, now);
      }
    }
  }

  NatGateway shown = g;  // the Create response: pending, whatever comes next
  shown.state = "pending";
  shown.failure_code.clear();
  shown.failure_message.clear();
  shown.delete_time.clear();
  p.nat_gateways[g.id] = std::move(g);
  tx.Touch(shown.id);
  return shown;
}

void DeleteNatGateway(Tx& tx, const std::string& id) {
  CheckNatGatewayIdWellFormed(id);
  const TimePoint now = NatGatewayNow();
  Sweep(tx, now);
  NatGateway& g = GetNatGateway(tx.p, id);
  if (NatGatewayState(g, now) == "deleted") Fail("NatGatewayNotFound", "NAT gateway " + id + " was not found");
  // K16: the interface goes (its Elastic IP is disassociated, stays allocated); routes blackhole (G13).
  if (!g.network_interface_id.empty() && tx.p.network_interfaces.count(g.network_interface_id))
    DeleteNetworkInterface(tx, g.network_interface_id, /*by_requester=*/true);
  g.association_id.clear();
  g.state = "deleting";
  g.delete_time = FormatIso8601(now);
  tx.Touch(id);
}

std::optional<std::string> NatGatewayRefusal(const Flow& f) {
  const bool translated = f.protocol == 1 || f.protocol == 6 || f.protocol == 17;
  if (f.ipv6 || !translated) return "a NAT gateway translates TCP, UDP and ICMP over IPv4 only";  // K5, K18
  if (f.fragmented && f.protocol != 17) return "a NAT gateway forwards fragmented UDP, not fragmented TCP or ICMP";  // K10
  return std::nullopt;
}

const NatGateway* NatGatewayOfInterface(const Partition& p, const std::string& eni_id) {
  for (const auto& [id, g] : p.nat_gateways)
    if (g.network_interface_id == eni_id) return &g;
  return nullptr;
}

void RegisterNatGatewayRules() {
  static bool done = [] {
    RegisterRouteTarget(
        {.member = "NatGatewayId", .hop = "nat-gateway", .validate = ValidateRouteTarget, .usable = RouteTargetUsable});
    RegisterDependencyCheck(CheckNoLiveNatGateway);
    return true;
  }();
  (void)done;
}

}  // namespace openvpc::model
