// The decoders over any operation of the services openvpc serves: ShapeModel::Decode (form and
// query parameters) for EC2's operations, ShapeModel::DecodeJson (a JSON body) for SSM's.
// Input: one byte choosing the operation (index into EC2's operation names, sorted, then SSM's,
// sorted), then for EC2 "name=value" lines (the request's parameters after URL decoding), for SSM
// the body. A refusal is a model::Error (AWS's 400s); anything else escaping is a crash.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/shape_model.h"
#include "model/error.h"

namespace {

using openvpc::api::ShapeModel;

// (model, operation), EC2's first.
const std::vector<std::pair<const ShapeModel*, std::string>>& Operations() {
  static const auto ops = [] {
    std::vector<std::pair<const ShapeModel*, std::string>> v;
    for (const char* service : {"ec2", "ssm"}) {
      const ShapeModel* m = ShapeModel::ForService(service);
      std::vector<std::string> names = m->Operations();
      std::sort(names.begin(), names.end());
      for (auto& n : names) v.emplace_back(m, std::move(n));
    }
    return v;
  }();
  return ops;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const auto& [model, op] = Operations()[data[0] % Operations().size()];
  std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (model->protocol() == openvpc::api::Protocol::kJson) {
    try {
      model->DecodeJson(op, std::string(rest));
    } catch (const openvpc::model::Error&) {
    }
    return 0;
  }
  openvpc::api::Params params;
  while (!rest.empty()) {
    std::string_view line = rest.substr(0, rest.find('\n'));
    rest.remove_prefix(std::min(rest.size(), line.size() + 1));
    size_t eq = line.find('=');
    params[std::string(line.substr(0, eq))] = eq == std::string_view::npos ? "" : std::string(line.substr(eq + 1));
  }
  try {
    model->Decode(op, params);
  } catch (const openvpc::model::Error&) {
  }
  return 0;
}
