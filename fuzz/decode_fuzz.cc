// The form and query decoder (ShapeModel::Decode) over any of the model's operations.
// Input: one byte choosing the operation (index into the sorted operation names of
// ec2-shapes.json), then "name=value" lines: the request's parameters after URL decoding.
// A refusal is a model::Error (AWS's 400s); anything else escaping Decode is a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/shape_model.h"
#include "model/error.h"

extern const char kEc2ShapesJson[];  // the model compiled into openvpc_api

namespace {

const std::vector<std::string>& Operations() {
  static const std::vector<std::string> ops = [] {
    std::vector<std::string> v;
    const auto model = nlohmann::json::parse(kEc2ShapesJson);
    for (const auto& [name, op] : model["operations"].items()) v.push_back(name);
    std::sort(v.begin(), v.end());
    return v;
  }();
  return ops;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& ops = Operations();
  const std::string& op = ops[data[0] % ops.size()];
  openvpc::api::Params params;
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    size_t eq = line.find('=');
    params[std::string(line.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(line.substr(eq + 1));
  }
  try {
    openvpc::api::ShapeModel::Builtin().Decode(op, params);
  } catch (const openvpc::model::Error&) {
  }
  return 0;
}
