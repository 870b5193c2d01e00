// Placement groups (inventory-ec2-network-security §8).
#include <algorithm>
#include <set>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/placement_group.h"
#include "model/tags.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribePlacementGroups = {
    .id_path = "GroupId", .list_member = "PlacementGroups",
    .filters = {
        {"group-name", {"GroupName"}},
        {"group-id", {"GroupId"}},
        {"group-arn", {"GroupArn"}},
        {"state", {"State"}},
        {"strategy", {"Strategy"}},
        {"spread-level", {"SpreadLevel"}},
        {"partition-count", {"PartitionCount"}},
    },
    .paginated = false,  // DescribePlacementGroups has no MaxResults
    .sort_paths = {"GroupName"}};

json PlacementGroupView(const model::Partition& p, const model::PlacementGroup& g) {
  json v = {{"GroupName", g.group_name},
            {"GroupId", g.group_id},
            {"GroupArn", "arn:aws:ec2:" + p.region + ":" + p.account_id + ":placement-group/" + g.group_name},
            {"State", g.state},
            {"Strategy", g.strategy},
            {"Tags", TagsView(g.tags)}};
  if (g.strategy == "partition") v["PartitionCount"] = g.partition_count;
  if (!g.spread_level.empty()) v["SpreadLevel"] = g.spread_level;
  return v;
}

json CreatePlacementGroup(Call& c) {
  int partition_count = c.in.contains("PartitionCount") ? c.in["PartitionCount"].get<int>() : 0;
  if (c.in.contains("PartitionCount") && partition_count == 0)
    model::Fail("InvalidParameterValue",
                "Value (0) for parameter partitionCount is invalid. Expecting a value between 1 and 7.");
  const auto& g = model::CreatePlacementGroup(c.tx, Str(c.in, "GroupName"), Str(c.in, "Strategy"), partition_count,
                                              Str(c.in, "SpreadLevel"), CreateTagsFor(c, "placement-group"));
  return {{"PlacementGroup", PlacementGroupView(c.p(), g)}};
}

json DeletePlacementGroup(Call& c) {
  model::DeletePlacementGroup(c.tx, Str(c.in, "GroupName"));
  return json::object();
}

json DescribePlacementGroups(Call& c) {
  const model::Partition& p = c.p();
  std::vector<std::string> names = StrList(c.in, "GroupNames"), ids = StrList(c.in, "GroupIds");
  for (const auto& name : names) model::GetPlacementGroupByName(p, name);  // each must exist
  for (const auto& id : ids) {
    if (!model::WellFormedId(id, "pg-"))
      model::Fail("InvalidPlacementGroupId.Malformed", "The placement group ID '" + id + "' is malformed");
    if (!p.placement_groups.count(id))
      model::Fail("InvalidPlacementGroup.Unknown", "The Placement Group '" + id + "' is unknown.");
  }
  std::vector<json> items;
  for (const auto& [id, g] : p.placement_groups) {
    if (!names.empty() && std::find(names.begin(), names.end(), g.group_name) == names.end()) continue;
    if (!ids.empty() && std::find(ids.begin(), ids.end(), id) == ids.end()) continue;
    items.push_back(PlacementGroupView(p, g));
  }
  return Describe(kDescribePlacementGroups, c.in, std::move(items));
}

}  // namespace

void RegisterPlacementGroupHandlers() {
  Register("CreatePlacementGroup", CreatePlacementGroup, true);
  Register("DeletePlacementGroup", DeletePlacementGroup, true);
  Register("DescribePlacementGroups", DescribePlacementGroups, false);
}

}  // namespace openvpc::api
