// The one Describe engine: ids, filters (with AWS's `*` and `?` wildcards), tag filters and
// MaxResults/NextToken paging, over items already rendered as output-shape values. A filter is
// a name and the member paths of the item it reads ("CidrBlockAssociationSet.CidrBlock"), so
// each operation's filters are a table, not code.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace openvpc::api {

struct FilterSpec {
  std::string name;
  std::vector<std::string> paths;
};

struct DescribeSpec {
  std::string ids_member;     // input member with the ids ("VpcIds"), or ""
  std::string id_path;        // item member holding the id ("VpcId")
  std::string list_member;    // output list member ("Vpcs")
  std::string not_found_code; // "InvalidVpcID.NotFound"
  std::string not_found_noun; // "vpc" as in "The vpc ID 'vpc-1' does not exist"
  std::vector<FilterSpec> filters;
  bool taggable = true;       // accepts tag:KEY, tag-key, tag-value
  bool paginated = true;
  std::vector<std::string> sort_paths;  // the unique order of items; default {id_path}
  std::string malformed_code;           // with it, an id that is not id_prefix + 8 or 17 hex digits is malformed
  std::string id_prefix;                // "i-": what malformed_code checks (model::WellFormedId)
  // AWS's MaxResults range for the operation, refused with InvalidParameterValue outside it.
  // (Where botocore's shape carries a range too, the decoder refuses first, with the same words.)
  struct Range {
    long long min = 5, max = 1000;
  } max_results;
  bool max_results_excludes_ids = false;  // MaxResults and ids in one request are refused
  std::string ids_parameter;              // the ids' name in that refusal ("instancesSet"); default ids_member
};

// True when VALUE matches PATTERN: `*` any run, `?` any one character, `\` escapes.
bool WildcardMatch(const std::string& pattern, const std::string& value);

// The values an item holds at a member path; lists are flattened at each step.
std::vector<std::string> ValuesAt(const nlohmann::json& item, const std::string& path);

// Applies the request's ids, filters and paging to ITEMS and returns the output value.
nlohmann::json Describe(const DescribeSpec& spec, const nlohmann::json& input, std::vector<nlohmann::json> items);

}  // namespace openvpc::api
