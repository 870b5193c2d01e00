#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "model/error.h"
#include "model/dhcp_options.h"
#include "model/instance.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/tags.h"
#include "model/vpc.h"
#include "model/security_group.h"

namespace openvpc::model {

Partition* State::Find(const std::string& account, const std::string& region) {
  auto it = partitions.find({account, region});
  return it == partitions.end() ? nullptr : &it->second;
}

const Partition* State::Find(const std::string& account, const std::string& region) const {
  auto it = partitions.find({account, region});
  return it == partitions.end() ? nullptr : &it->second;
}

Partition& OtherPartition(Tx& tx, const std::string& account, const std::string& region) {
  if (Partition* p = tx.state->Find(account, region)) return *p;
  Partition& p = tx.state->partitions[{account, region}];
  p.account_id = account;
  p.region = region;
  Tx inner(p, tx.quotas, tx.state);
  InitializePartition(inner);
  tx.TouchIn(p, "");
  for (const auto& id : inner.touched()) tx.TouchIn(p, id);
  return p;
}

std::string FormatIso8601(TimePoint t) {  // whole seconds, as EC2's timestamps are
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

std::optional<TimePoint> ParseIso8601(const std::string& s) {
  std::tm tm{};
  if (s.empty() || !strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm)) return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

std::string NowIso8601() { return FormatIso8601(std::chrono::system_clock::now()); }

int64_t SecondsSince(const std::string& iso8601) {
  auto t = ParseIso8601(iso8601);
  if (!t) return 0;
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now() - *t).count();
}

bool WellFormedId(const std::string& id, const std::string& prefix) {
  if (id.rfind(prefix, 0) != 0) return false;
  size_t digits = id.size() - prefix.size();
  return (digits == 8 || digits == 17) && id.find_first_not_of("0123456789abcdef", prefix.size()) == std::string::npos;
}

void FailUnknownInstance(const std::string& id) {
  if (!WellFormedId(id, "i-")) Fail("InvalidInstanceID.Malformed", "Invalid id: \"" + id + "\"");
  Fail("InvalidInstanceID.NotFound", "The instance ID '" + id + "' does not exist");
}

bool AllDigits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string AsciiLower(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

std::optional<int> ProtocolNumberOf(const std::string& p) {
  if (p.size() > 3 || !AllDigits(p) || std::stoi(p) > 255) return std::nullopt;
  return std::stoi(p);
}

std::string StableId(const std::string& prefix, const std::string& seed) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the seed, then a multiplicative sequence
  for (unsigned char c : seed) h = (h ^ c) * 0x100000001b3ULL;
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string id = prefix;
  for (int i = 0; i < 17; ++i, h = h * 0x9e3779b97f4a7c15ULL + 1) id += kChars[h >> 59];
  return id;
}

std::string NewId(const std::string& prefix) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kHex = "0123456789abcdef";
  std::string id = prefix + "-0";  // AWS's long ids start with 0
  uint64_t bits = rng();
  for (int i = 0; i < 16; ++i, bits >>= 4) id += kHex[bits & 15];
  return id;
}

namespace {
template <class M>
auto& Get(M& map, const std::string& id, const char* code, const char* noun) {
  auto it = map.find(id);
  if (it == map.end()) Fail(code, std::string("The ") + noun + " ID '" + id + "' does not exist");
  return it->second;
}
}  // namespace

Vpc& GetVpc(Partition& p, const std::string& id) {
  return Get(p.vpcs, id, "InvalidVpcID.NotFound", "vpc");
}
Subnet& GetSubnet(Partition& p, const std::string& id) {
  return Get(p.subnets, id, "InvalidSubnetID.NotFound", "subnet");
}
RouteTable& GetRouteTable(Partition& p, const std::string& id) {
  return Get(p.route_tables, id, "InvalidRouteTableID.NotFound", "routeTable");
}
InternetGateway& GetInternetGateway(Partition& p, const std::string& id) {
  return Get(p.internet_gateways, id, "InvalidInternetGatewayID.NotFound", "internetGateway");
}
EgressOnlyInternetGateway& GetEgressOnlyInternetGateway(Partition& p, const std::string& id) {
  return Get(p.egress_only_internet_gateways, id, "InvalidGatewayID.NotFound", "egressOnlyInternetGateway");
}
DhcpOptions& GetDhcpOptions(Partition& p, const std::string& id) {
  return Get(p.dhcp_options, id, "InvalidDhcpOptionID.NotFound", "dhcpOption");
}

// ---- tags ----

namespace {
void ValidateTag(const Tag& t) {
  if (t.key.empty() || t.key.size() > 128)
    Fail("InvalidParameterValue", "Tag key must be between 1 and 128 characters: '" + t.key + "'");
  if (t.value.size() > 256)
    Fail("InvalidParameterValue", "Tag value exceeds the maximum length of 256 characters: '" + t.key + "'");
  if (t.key.rfind("aws:", 0) == 0)
    Fail("InvalidParameterValue", "Tag keys starting with 'aws:' are reserved for internal use");
}

// Sets KEY=VALUE on a tag list, replacing the value of an existing key.
void Upsert(TagList& tags, const Tag& t) {
  for (auto& e : tags)
    if (e.key == t.key) {
      e.value = t.value;
      return;
    }
  tags.push_back(t);
}

void CheckTagLimit(const TagList& current, const TagList& added, const Quotas& q) {
  TagList merged = current;
  for (const auto& t : added) Upsert(merged, t);
  if (static_cast<int>(merged.size()) > q.Get("tags-per-resource"))
    Fail("TagLimitExceeded", "The maximum number of Tags for a resource has been reached.");
}
}  // namespace

std::string StoredIdOf(Partition& p, const std::string& id) {
  if (id.rfind("sgr-", 0) == 0)
    if (SecurityGroup* sg = FindGroupOfRule(p, id)) return sg->id;
  if (id.rfind("vol-", 0) == 0)  // a volume is kept with the instance whose launch made it
    if (Instance* i = FindVolume(p, id).first) return i->id;
  if (id.rfind("scr-", 0) == 0)  // a reservation is kept with its subnet
    for (const auto& [sid, s] : p.subnets)
      for (const auto& r : s.cidr_reservations)
        if (r.id == id) return sid;
  return id;
}

TagList TagsFor(const std::vector<TagSpecification>& specs, const std::string& resource_type, const Quotas& q) {
  TagList out;
  for (const auto& s : specs) {
    if (s.resource_type != resource_type)
      Fail("InvalidParameterValue",
           "'" + s.resource_type + "' is not a valid taggable resource type for this operation.");
    for (const auto& t : s.tags) {
      ValidateTag(t);
      Upsert(out, t);
    }
  }
  CheckTagLimit({}, out, q);
  return out;
}

std::string ResourceTypeOf(const std::string& id) {
  static const std::pair<const char*, const char*> kTypes[] = {
      {"vpc-", "vpc"},           {"subnet-", "subnet"},
      {"rtb-", "route-table"},   {"igw-", "internet-gateway"},
      {"eigw-", "egress-only-internet-gateway"}, {"dopt-", "dhcp-options"},
      {"acl-", "network-acl"},   {"sg-", "security-group"},
      {"key-", "key-pair"},      {"sgr-", "security-group-rule"},
      {"eni-", "network-interface"}, {"eipalloc-", "elastic-ip"}, {"i-", "instance"},
      {"pcx-", "vpc-peering-connection"}, {"pg-", "placement-group"},
      {"nat-", "natgateway"},    {"vol-", "volume"},
      {"scr-", "subnet-cidr-reservation"},
      {"vpce-svc-", "vpc-endpoint-service"}, {"vpce-", "vpc-endpoint"},
      {"pl-", "prefix-list"},
  };
  for (auto [prefix, type] : kTypes)
    if (id.rfind(prefix, 0) == 0) return type;
  return "";
}

TagList& TagsOf(Partition& p, const std::string& id) {
  std::string type = ResourceTypeOf(id);
  if (type == "vpc") return GetVpc(p, id).tags;
  if (type == "subnet") return GetSubnet(p, id).tags;
  if (type == "route-table") return GetRouteTable(p, id).tags;
  if (type == "internet-gateway") return GetInternetGateway(p, id).tags;
  if (type == "egress-only-internet-gateway") return GetEgressOnlyInternetGateway(p, id).tags;
  if (type == "dhcp-options") return GetDhcpOptions(p, id).tags;
  if (type == "network-acl") {
    auto it = p.network_acls.find(id);
    if (it == p.network_acls.end()) Fail("InvalidNetworkAclID.NotFound", "The networkAcl ID '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "security-group") {
    auto it = p.security_groups.find(id);
    if (it == p.security_groups.end()) Fail("InvalidGroup.NotFound", "The security group '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "security-group-rule") {
    SecurityGroup* sg = FindGroupOfRule(p, id);
    if (!sg)
      Fail("InvalidSecurityGroupRuleId.NotFound", "The security group rule ID '" + id + "' does not exist");
    for (auto& r : sg->rules)
      if (r.id == id) return r.tags;
  }
  if (type == "instance") {
    auto it = p.instances.find(id);
    if (it == p.instances.end()) FailUnknownInstance(id);
    return it->second.tags;
  }
  if (type == "network-interface") {
    auto it = p.network_interfaces.find(id);
    if (it == p.network_interfaces.end())
      Fail("InvalidNetworkInterfaceID.NotFound", "The networkInterface ID '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "elastic-ip") {
    auto it = p.addresses.find(id);
    if (it == p.addresses.end())
      Fail("InvalidAllocationID.NotFound", "The allocation ID '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "vpc-peering-connection") {
    auto it = p.vpc_peering_connections.find(id);
    if (it == p.vpc_peering_connections.end())
      Fail("InvalidVpcPeeringConnectionID.NotFound", "The vpcPeeringConnection ID '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "natgateway") {
    auto it = p.nat_gateways.find(id);
    if (it == p.nat_gateways.end()) Fail("NatGatewayNotFound", "NAT gateway " + id + " was not found");
    return it->second.tags;
  }
  if (type == "vpc-endpoint-service") {
    auto it = p.vpc_endpoint_services.find(id);
    if (it == p.vpc_endpoint_services.end())
      Fail("InvalidVpcEndpointServiceId.NotFound", "The VpcEndpointService Id '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "vpc-endpoint") {
    auto it = p.vpc_endpoints.find(id);
    if (it == p.vpc_endpoints.end()) Fail("InvalidVpcEndpointId.NotFound", "The Vpc Endpoint Id '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "prefix-list") {
    auto it = p.managed_prefix_lists.find(id);
    if (it == p.managed_prefix_lists.end())
      Fail("InvalidPrefixListID.NotFound", "The prefix list ID '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "placement-group") {
    auto it = p.placement_groups.find(id);
    if (it == p.placement_groups.end())
      Fail("InvalidPlacementGroup.Unknown", "The Placement Group '" + id + "' is unknown.");
    return it->second.tags;
  }
  if (type == "key-pair") {
    auto it = p.key_pairs.find(id);
    if (it == p.key_pairs.end()) Fail("InvalidKeyPair.NotFound", "The key pair '" + id + "' does not exist");
    return it->second.tags;
  }
  if (type == "volume") {
    if (EbsVolume* v = FindVolume(p, id).second) return v->tags;
    Fail("InvalidVolume.NotFound", "The volume '" + id + "' does not exist.");
  }
  if (type == "subnet-cidr-reservation") {
    for (auto& [sid, s] : p.subnets)
      for (auto& r : s.cidr_reservations)
        if (r.id == id) return r.tags;
    Fail("InvalidSubnetCidrReservationID.NotFound", "The subnet CIDR reservation ID '" + id + "' does not exist");
  }
  Fail("InvalidID", "The ID '" + id + "' is not valid");
}

void CreateTags(Tx& tx, const std::vector<std::string>& ids, const TagList& tags) {
  if (ids.empty()) Fail("MissingParameter", "The request must contain the parameter resourceIdSet");
  for (const auto& t : tags) ValidateTag(t);
  for (const auto& id : ids) CheckTagLimit(TagsOf(tx.p, id), tags, tx.quotas);
  for (const auto& id : ids) {
    TagList& list = TagsOf(tx.p, id);
    for (const auto& t : tags) Upsert(list, t);
    tx.Touch(StoredIdOf(tx.p, id));
  }
}

void DeleteTags(Tx& tx, const std::vector<std::string>& ids,
                const std::vector<std::pair<std::string, std::optional<std::string>>>& tags) {
  if (ids.empty()) Fail("MissingParameter", "The request must contain the parameter resourceIdSet");
  for (const auto& id : ids) TagsOf(tx.p, id);  // every id must exist before anything changes
  for (const auto& id : ids) {
    TagList& list = TagsOf(tx.p, id);
    if (tags.empty()) {
      list.clear();  // no Tag parameter: every tag of the resource goes
    } else {
      std::erase_if(list, [&](const Tag& t) {
        for (const auto& [key, value] : tags)
          if (t.key == key && (!value || *value == t.value)) return true;
        return false;
      });
    }
    tx.Touch(StoredIdOf(tx.p, id));
  }
}

}  // namespace openvpc::model
