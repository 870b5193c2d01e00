// DescribeAvailabilityZones, DescribeRegions, DescribeAccountAttributes.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/regions.h"
#include "model/dhcp_options.h"
#include "model/vpc.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeAvailabilityZones = {
    .id_path = "ZoneName", .list_member = "AvailabilityZones",
    .filters = {
        {"group-long-name", {"GroupLongName"}},
        {"group-name", {"GroupName"}},
        {"message", {"Messages.Message"}},
        {"network-border-group", {"NetworkBorderGroup"}},
        {"opt-in-status", {"OptInStatus"}},
        {"parent-zone-id", {"ParentZoneId"}},
        {"parent-zone-name", {"ParentZoneName"}},
        {"region-name", {"RegionName"}},
        {"state", {"State"}},
        {"zone-id", {"ZoneId"}},
        {"zone-name", {"ZoneName"}},
        {"zone-type", {"ZoneType"}},
    },
    .taggable = false, .paginated = false};

const DescribeSpec kDescribeRegions = {
    .id_path = "RegionName", .list_member = "Regions",
    .filters = {
        {"endpoint", {"Endpoint"}},
        {"opt-in-status", {"OptInStatus"}},
        {"region-name", {"RegionName"}},
    },
    .taggable = false, .paginated = false};

// Keeps the items whose MEMBER is among the request's NAMES; a name that matches none is refused.
void SelectByName(std::vector<json>& items, const std::vector<std::string>& names, const char* member,
                  const std::string& what) {
  if (names.empty()) return;
  for (const auto& n : names)
    if (std::none_of(items.begin(), items.end(), [&](const json& i) { return i.value(member, "") == n; }))
      model::Fail("InvalidParameterValue", "Invalid " + what + ": [" + n + "]");
  std::erase_if(items, [&](const json& i) {
    return std::find(names.begin(), names.end(), i.value(member, "")) == names.end();
  });
}

json DescribeAvailabilityZones(Call& c) {
  std::vector<json> items;
  if (const model::RegionInfo* r = model::FindRegion(c.p().region))
    for (const auto& z : r->zones)
      items.push_back({{"ZoneName", z.name},
                       {"ZoneId", z.id},
                       {"State", "available"},
                       {"OptInStatus", "opt-in-not-required"},
                       {"Messages", json::array()},
                       {"RegionName", r->name},
                       {"GroupName", r->name + "-zg-1"},
                       {"GroupLongName", r->name},
                       {"NetworkBorderGroup", r->name},
                       {"ZoneType", "availability-zone"}});
  std::vector<std::string> names = StrList(c.in, "ZoneNames"), ids = StrList(c.in, "ZoneIds");
  SelectByName(items, names, "ZoneName", "availability zone");
  SelectByName(items, ids, "ZoneId", "availability zone id");
  return Describe(kDescribeAvailabilityZones, c.in, std::move(items));
}

json DescribeRegions(Call& c) {
  std::vector<json> items;
  for (const auto& r : model::Regions())
    items.push_back({{"RegionName", r.name},
                     {"Endpoint", "ec2." + r.name + ".amazonaws.com"},
                     {"OptInStatus", r.opt_in_status}});
  SelectByName(items, StrList(c.in, "RegionNames"), "RegionName", "region");
  return Describe(kDescribeRegions, c.in, std::move(items));
}

json DescribeAccountAttributes(Call& c) {
  std::string default_vpc = "none";
  for (const auto& [id, v] : c.p().vpcs)
    if (v.is_default) default_vpc = id;
  const std::vector<std::pair<std::string, std::string>> all = {
      {"supported-platforms", "VPC"},
      {"default-vpc", default_vpc},
      {"max-instances", "20"},
      {"vpc-max-security-groups-per-interface", std::to_string(c.tx.quotas.Get("security-groups-per-interface"))},
      {"max-elastic-ips", std::to_string(c.tx.quotas.Get("elastic-ips-per-region"))},
      {"vpc-max-elastic-ips", std::to_string(c.tx.quotas.Get("elastic-ips-per-region"))},
  };
  std::vector<std::string> wanted = StrList(c.in, "AttributeNames");
  json out = json::array();
  for (const auto& [name, value] : all) {
    if (!wanted.empty() && std::find(wanted.begin(), wanted.end(), name) == wanted.end()) continue;
    out.push_back({{"AttributeName", name}, {"AttributeValues", json::array({{{"AttributeValue", value}}})}});
  }
  return {{"AccountAttributes", out}};
}

}  // namespace

void RegisterAccountHandlers() {
  Register("DescribeAvailabilityZones", DescribeAvailabilityZones, false);
  Register("DescribeRegions", DescribeRegions, false);
  Register("DescribeAccountAttributes", DescribeAccountAttributes, false);
}

}  // namespace openvpc::api
