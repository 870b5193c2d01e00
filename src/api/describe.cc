#include "api/describe.h"

#include <algorithm>
#include <set>

#include "model/error.h"
#include "model/state.h"

namespace openvpc::api {

using nlohmann::json;
using model::Fail;

bool WildcardMatch(const std::string& pattern, const std::string& value) {
  // Iterative glob with backtracking to the last `*`.
  size_t p = 0, v = 0, star = std::string::npos, mark = 0;
  while (v < value.size()) {
    if (p < pattern.size() && pattern[p] == '\\' && p + 1 < pattern.size() && pattern[p + 1] == value[v]) {
      p += 2, ++v;
    } else if (p < pattern.size() && pattern[p] != '*' && pattern[p] != '\\' &&
               (pattern[p] == '?' || pattern[p] == value[v])) {
      ++p, ++v;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++, mark = v;
    } else if (star != std::string::npos) {
      p = star + 1, v = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

namespace {

void Collect(const json& node, const std::vector<std::string>& parts, size_t i, std::vector<std::string>& out) {
  if (node.is_array()) {
    for (const auto& e : node) Collect(e, parts, i, out);
    return;
  }
  if (i == parts.size()) {
    if (node.is_string()) out.push_back(node.get<std::string>());
    else if (node.is_boolean()) out.push_back(node.get<bool>() ? "true" : "false");
    else if (node.is_number()) out.push_back(node.dump());
    return;
  }
  if (!node.is_object()) return;
  auto it = node.find(parts[i]);
  if (it != node.end()) Collect(*it, parts, i + 1, out);
}

std::string ToHex(const std::string& s) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += k[c >> 4], out += k[c & 15];
  return out;
}

std::string FromHex(const std::string& s) {
  if (s.size() % 2 || s.find_first_not_of("0123456789abcdef") != std::string::npos)
    Fail("InvalidParameterValue", "Value (" + s + ") for parameter NextToken is invalid.");
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) out += static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16));
  return out;
}

std::vector<std::string> TagValues(const json& item, const std::string& filter) {
  std::vector<std::string> out;
  auto tags = item.find("Tags");
  if (tags == item.end()) tags = item.find("TagSet");  // the member's name in NetworkInterface
  if (tags == item.end()) return out;
  for (const auto& t : *tags) {
    std::string key = t.value("Key", ""), value = t.value("Value", "");
    if (filter == "tag-key") out.push_back(key);
    else if (filter == "tag-value") out.push_back(value);
    else if (filter.substr(4) == key) out.push_back(value);  // tag:KEY
  }
  return out;
}

}  // namespace

std::vector<std::string> ValuesAt(const json& item, const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot; (dot = path.find('.', start)) != std::string::npos; start = dot + 1)
    parts.push_back(path.substr(start, dot - start));
  parts.push_back(path.substr(start));
  std::vector<std::string> out;
  Collect(item, parts, 0, out);
  return out;
}

json Describe(const DescribeSpec& spec, const json& input, std::vector<json> items) {
  // Filters: every named filter must be one the operation documents.
  struct Active {
    std::string name;
    const FilterSpec* spec;
    std::vector<std::string> values;
  };
  std::vector<Active> active;
  for (const auto& f : input.value("Filters", json::array())) {
    std::string name = f.value("Name", "");
    const FilterSpec* fs = nullptr;
    for (const auto& s : spec.filters)
      if (s.name == name) fs = &s;
    bool tag = spec.taggable && (name.rfind("tag:", 0) == 0 || name == "tag-key" || name == "tag-value");
    if (!fs && !tag) Fail("InvalidParameterValue", "The filter '" + name + "' is invalid");
    active.push_back({name, fs, f.value("Values", std::vector<std::string>{})});
  }

  if (spec.paginated && input.contains("MaxResults")) {
    long long n = input["MaxResults"].get<long long>();
    if (n < spec.max_results.min || n > spec.max_results.max)
      Fail("InvalidParameterValue", "Value ( " + std::to_string(n) + " ) for parameter maxResults is invalid. "
                                    "Expecting a value between " + std::to_string(spec.max_results.min) + " and " +
                                    std::to_string(spec.max_results.max) + ".");
    if (spec.max_results_excludes_ids && input.contains(spec.ids_member))
      Fail("InvalidParameterCombination",
           "The parameter " + (spec.ids_parameter.empty() ? spec.ids_member : spec.ids_parameter) +
               " cannot be used with the parameter maxResults");
  }
  if (!spec.ids_member.empty() && input.contains(spec.ids_member)) {
    std::set<std::string> wanted;
    for (const auto& id : input[spec.ids_member]) wanted.insert(id.get<std::string>());
    if (!spec.malformed_code.empty())
      for (const auto& id : wanted)
        if (!model::WellFormedId(id, spec.id_prefix)) Fail(spec.malformed_code, "Invalid id: \"" + id + "\"");
    std::set<std::string> found;
    std::erase_if(items, [&](const json& item) {
      std::string id = item.value(spec.id_path, "");
      if (!wanted.count(id)) return true;
      found.insert(id);
      return false;
    });
    for (const auto& id : wanted)
      if (!found.count(id))
        Fail(spec.not_found_code, "The " + spec.not_found_noun + " ID '" + id + "' does not exist");
  }

  std::erase_if(items, [&](const json& item) {
    for (const auto& a : active) {
      std::vector<std::string> have;
      if (a.spec) {
        for (const auto& path : a.spec->paths) {
          auto v = ValuesAt(item, path);
          have.insert(have.end(), v.begin(), v.end());
        }
      } else {
        have = TagValues(item, a.name);
      }
      bool any = std::any_of(a.values.begin(), a.values.end(), [&](const std::string& pattern) {
        return std::any_of(have.begin(), have.end(), [&](const std::string& v) { return WildcardMatch(pattern, v); });
      });
      if (!any) return true;
    }
    return false;
  });

  // Items are paged in a stable order; the token is the hex form of the last key returned.
  auto key_of = [&](const json& item) {
    std::string key;
    for (const auto& path : spec.sort_paths.empty() ? std::vector<std::string>{spec.id_path} : spec.sort_paths)
      key += item.value(path, "") + '\n';
    return key;
  };
  std::vector<std::pair<std::string, json>> keyed;
  for (auto& item : items) keyed.emplace_back(key_of(item), std::move(item));
  std::sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  json out = json::object();
  size_t begin = 0, end = keyed.size();
  if (spec.paginated) {
    if (input.contains("NextToken")) {
      std::string after = FromHex(input["NextToken"]);
      while (begin < keyed.size() && keyed[begin].first <= after) ++begin;
    }
    if (input.contains("MaxResults")) {
      // In range (checked above), so at least one item per page: the token is the last one's key.
      size_t max = static_cast<size_t>(std::max(1LL, input["MaxResults"].get<long long>()));
      if (max < keyed.size() - begin) {
        end = begin + max;
        out["NextToken"] = ToHex(keyed[end - 1].first);
      }
    }
  }
  json list = json::array();
  for (size_t i = begin; i < end; ++i) list.push_back(std::move(keyed[i].second));
  out[spec.list_member] = std::move(list);
  return out;
}

}  // namespace openvpc::api
