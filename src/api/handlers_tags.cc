// CreateTags, DeleteTags, DescribeTags.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/instance.h"
#include "model/error.h"
#include "model/tags.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeTags = {
    .id_path = "ResourceId", .list_member = "Tags",
    .filters = {
        {"key", {"Key"}},
        {"resource-id", {"ResourceId"}},
        {"resource-type", {"ResourceType"}},
        {"value", {"Value"}},
    },
    .taggable = false,
    .sort_paths = {"ResourceId", "Key"}};

json CreateTags(Call& c) {
  model::CreateTags(c.tx, StrList(c.in, "Resources"), TagListOf(c.in.value("Tags", json::array())));
  return json::object();
}

json DeleteTags(Call& c) {
  std::vector<std::pair<std::string, std::optional<std::string>>> tags;
  for (const auto& t : c.in.value("Tags", json::array())) {
    std::optional<std::string> value;
    if (t.contains("Value")) value = t["Value"].get<std::string>();
    tags.emplace_back(t.value("Key", ""), value);
  }
  model::DeleteTags(c.tx, StrList(c.in, "Resources"), tags);
  return json::object();
}

template <class Map>
void AddTagItems(const Map& map, std::vector<json>& items) {
  for (const auto& [id, r] : map)
    for (const auto& t : r.tags)
      items.push_back({{"ResourceId", id}, {"ResourceType", model::ResourceTypeOf(id)}, {"Key", t.key},
                       {"Value", t.value}});
}

json DescribeTags(Call& c) {
  const model::Partition& p = c.p();
  std::vector<json> items;
  AddTagItems(p.vpcs, items);
  AddTagItems(p.subnets, items);
  AddTagItems(p.route_tables, items);
  AddTagItems(p.internet_gateways, items);
  AddTagItems(p.egress_only_internet_gateways, items);
  AddTagItems(p.dhcp_options, items);
  AddTagItems(p.network_acls, items);
  AddTagItems(p.security_groups, items);
  AddTagItems(p.key_pairs, items);
  AddTagItems(p.placement_groups, items);
  AddTagItems(p.network_interfaces, items);
  AddTagItems(p.instances, items);
  AddTagItems(p.addresses, items);
  AddTagItems(p.vpc_peering_connections, items);
  AddTagItems(p.nat_gateways, items);
  AddTagItems(p.vpc_endpoint_services, items);
  AddTagItems(p.vpc_endpoints, items);
  AddTagItems(p.managed_prefix_lists, items);
  auto add = [&](const std::string& id, const model::TagList& tags) {
    for (const auto& t : tags)
      items.push_back({{"ResourceId", id}, {"ResourceType", model::ResourceTypeOf(id)}, {"Key", t.key},
                       {"Value", t.value}});
  };
  for (const auto& v : model::Volumes(p)) add(v.volume->id, v.volume->tags);
  for (const auto& [id, s] : p.subnets)
    for (const auto& r : s.cidr_reservations) add(r.id, r.tags);
  return Describe(kDescribeTags, c.in, std::move(items));
}

}  // namespace

void RegisterTagHandlers() {
  Register("CreateTags", CreateTags, true);
  Register("DeleteTags", DeleteTags, true);
  Register("DescribeTags", DescribeTags, false);
}

}  // namespace openvpc::api
