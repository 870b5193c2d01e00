// Placement groups (inventory-ec2-network-security.md §8, rules PG-1 … PG-10). The seed knows
// only cluster groups; spread and partition groups, their ids (pg-…) and the wire error codes
// are [EXT], from the EC2 API Reference.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

PlacementGroup* FindPlacementGroupByName(Partition& p, const std::string& group_name);
const PlacementGroup* FindPlacementGroupByName(const Partition& p, const std::string& group_name);
// InvalidPlacementGroup.Unknown when there is none.
PlacementGroup& GetPlacementGroupByName(Partition& p, const std::string& group_name);
const PlacementGroup& GetPlacementGroupByName(const Partition& p, const std::string& group_name);

// Names: 1 to 255 ASCII characters (InvalidParameterValue); unique per account and Region
// (PG-2, InvalidPlacementGroup.Duplicate). STRATEGY cluster | spread | partition (MissingParameter
// when empty). PARTITION_COUNT (0: not given) 1–7, partition groups only (default 2);
// SPREAD_LEVEL (empty: not given) rack, spread groups only (default rack; host needs Outposts).
// Quota placement-groups-per-region (500): PlacementGroupLimitExceeded.
const PlacementGroup& CreatePlacementGroup(Tx& tx, const std::string& group_name, const std::string& strategy,
                                           int partition_count, const std::string& spread_level, TagList tags);

// PG-8: refused while instances are members (InvalidPlacementGroup.InUse).
void DeletePlacementGroup(Tx& tx, const std::string& group_name);

// The instances of the partition that are members of GROUP_NAME and not terminated; instances
// register the count when they arrive (default: none).
void RegisterPlacementGroupMembership(std::function<int(const Partition&, const std::string& group_name)> count);
int PlacementGroupMembers(const Partition& p, const std::string& group_name);

// What RunInstances checks before it launches TYPE into GROUP_NAME: the group exists
// (InvalidPlacementGroup.Unknown) and, for a cluster group, the type is one PG-3 allows
// (InvalidParameterCombination). A type missing from the catalogue is the caller's to refuse.
void CheckPlacement(const Partition& p, const std::string& group_name, const std::string& instance_type);

}  // namespace openvpc::model
