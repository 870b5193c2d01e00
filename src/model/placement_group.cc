// Placement groups: rules PG-2, PG-3 and PG-8 (placement_group.h).
#include "model/placement_group.h"

#include <utility>

#include "model/catalogue.h"
#include "model/error.h"

namespace openvpc::model {
namespace {

std::function<int(const Partition&, const std::string&)>& MembershipCounter() {
  static std::function<int(const Partition&, const std::string&)> count;
  return count;
}

[[noreturn]] void Unknown(const std::string& group_name) {
  Fail("InvalidPlacementGroup.Unknown", "The Placement Group '" + group_name + "' is unknown.");
}

void ValidateGroupName(const std::string& group_name) {
  if (group_name.empty()) Fail("MissingParameter", "The request must contain the parameter groupName");
  if (group_name.size() > 255)
    Fail("InvalidParameterValue", "Value (" + group_name + ") for parameter groupName is invalid. "
                                  "Length exceeds maximum of 255.");
  for (unsigned char c : group_name)
    if (c < 0x20 || c > 0x7e)
      Fail("InvalidParameterValue", "Value (" + group_name + ") for parameter groupName is invalid. "
                                    "Placement group names may contain only ASCII characters.");
}

}  // namespace

PlacementGroup* FindPlacementGroupByName(Partition& p, const std::string& group_name) {
  for (auto& [id, g] : p.placement_groups)
    if (g.group_name == group_name) return &g;
  return nullptr;
}

const PlacementGroup* FindPlacementGroupByName(const Partition& p, const std::string& group_name) {
  return FindPlacementGroupByName(const_cast<Partition&>(p), group_name);
}

PlacementGroup& GetPlacementGroupByName(Partition& p, const std::string& group_name) {
  PlacementGroup* g = FindPlacementGroupByName(p, group_name);
  if (!g) Unknown(group_name);
  return *g;
}

const PlacementGroup& GetPlacementGroupByName(const Partition& p, const std::string& group_name) {
  return GetPlacementGroupByName(const_cast<Partition&>(p), group_name);
}

const PlacementGroup& CreatePlacementGroup(Tx& tx, const std::string& group_name, const std::string& strategy,
                                           int partition_count, const std::string& spread_level, TagList tags) {
  ValidateGroupName(group_name);
  if (strategy.empty()) Fail("MissingParameter", "The request must contain the parameter strategy");
  if (strategy != "cluster" && strategy != "spread" && strategy != "partition")
    Fail("InvalidParameterValue", "Value (" + strategy + ") for parameter strategy is invalid. "
                                  "Unknown placement group strategy.");
  PlacementGroup g;
  g.group_name = group_name;
  g.strategy = strategy;
  if (partition_count != 0) {
    if (strategy != "partition")
      Fail("InvalidParameterCombination", "The parameter partitionCount is only valid for the partition strategy.");
    if (partition_count < 1 || partition_count > 7)
      Fail("InvalidParameterValue", "Value (" + std::to_string(partition_count) +
                                        ") for parameter partitionCount is invalid. Expecting a value between 1 "
                                        "and 7.");
    g.partition_count = partition_count;
  } else if (strategy == "partition") {
    g.partition_count = 2;
  }
  if (!spread_level.empty()) {
    if (strategy != "spread")
      Fail("InvalidParameterCombination", "The parameter spreadLevel is only valid for the spread strategy.");
    if (spread_level != "rack")
      Fail("InvalidParameterValue", "Value (" + spread_level + ") for parameter spreadLevel is invalid. "
                                    "Host-level spread placement groups are available only on AWS Outposts.");
  }
  if (strategy == "spread") g.spread_level = "rack";
  if (FindPlacementGroupByName(tx.p, group_name))
    Fail("InvalidPlacementGroup.Duplicate", "The Placement Group '" + group_name + "' already exists.");
  if (static_cast<int>(tx.p.placement_groups.size()) >= tx.quotas.Get("placement-groups-per-region"))
    Fail("PlacementGroupLimitExceeded", "You have reached the limit of placement groups in this Region.");
  g.group_id = NewId("pg");
  g.owner_id = tx.p.account_id;
  g.tags = std::move(tags);
  PlacementGroup& stored = tx.p.placement_groups[g.group_id] = std::move(g);
  tx.Touch(stored.group_id);
  return stored;
}

void DeletePlacementGroup(Tx& tx, const std::string& group_name) {
  if (group_name.empty()) Fail("MissingParameter", "The request must contain the parameter groupName");
  PlacementGroup& g = GetPlacementGroupByName(tx.p, group_name);
  if (PlacementGroupMembers(tx.p, group_name) > 0)
    Fail("InvalidPlacementGroup.InUse", "The placement group '" + group_name + "' is in use and may not be deleted.");
  std::string id = g.group_id;
  tx.p.placement_groups.erase(id);
  tx.Touch(id);
}

void RegisterPlacementGroupMembership(std::function<int(const Partition&, const std::string&)> count) {
  MembershipCounter() = std::move(count);
}

int PlacementGroupMembers(const Partition& p, const std::string& group_name) {
  const auto& count = MembershipCounter();
  return count ? count(p, group_name) : 0;
}

void CheckPlacement(const Partition& p, const std::string& group_name, const std::string& instance_type) {
  const PlacementGroup& g = GetPlacementGroupByName(p, group_name);
  if (g.strategy != "cluster") return;
  const InstanceTypeInfo* t = FindInstanceType(instance_type);
  if (t && !t->cluster_placement)  // PG-3
    Fail("InvalidParameterCombination", "Cluster placement groups are not supported by the '" + instance_type +
                                            "' instance type. Specify a supported instance type or change the "
                                            "placement group strategy, and try again.");
}

}  // namespace openvpc::model
