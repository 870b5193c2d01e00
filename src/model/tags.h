// Tags on any taggable resource: TagSpecifications at create time, CreateTags, DeleteTags,
// AWS's limits (50 per resource, key and value lengths, the aws: prefix).
// Each operation validates fully before it changes anything, so a refused request leaves the
// partition as it was; errors carry AWS's codes (model/error.h). Rule ids refer to the inventory
// in shared/spec/inventory-vpc-guide.md.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

struct TagSpecification {
  std::string resource_type;
  TagList tags;
};
// The tags of TagSpecifications meant for `resource_type`; a specification for another type
// is refused, as AWS does.
TagList TagsFor(const std::vector<TagSpecification>& specs, const std::string& resource_type,
                const Quotas& q);
// EC2's resource type of an id ("vpc", "subnet", "route-table" …), or "" when unknown.
std::string ResourceTypeOf(const std::string& id);
// The tags of any taggable resource; InvalidID or the kind's NotFound error otherwise.
TagList& TagsOf(Partition& p, const std::string& id);
// The id whose stored row holds ID (a security group rule lives in its group's row).
std::string StoredIdOf(Partition& p, const std::string& id);
void CreateTags(Tx& tx, const std::vector<std::string>& ids, const TagList& tags);
// A tag with no value deletes the key; with a value, only when the value matches.
void DeleteTags(Tx& tx, const std::vector<std::string>& ids,
                const std::vector<std::pair<std::string, std::optional<std::string>>>& tags);

}  // namespace openvpc::model
