// AWS Systems Manager Parameter Store, read only: the public parameters that name the latest
// image of each family (model/catalogue.h), as GetParameter, GetParameters and
// GetParametersByPath serve them.
#include <algorithm>
#include <charconv>

#include "api/handlers.h"
#include "model/catalogue.h"
#include "model/error.h"

namespace openvpc::api {

namespace {

[[noreturn]] void Validation(const std::string& message) { throw model::Error("ValidationException", message, 400); }

const model::PublicParameter* FindParameter(const std::string& name) {
  for (const auto& p : model::PublicImageParameters())
    if (p.name == name) return &p;
  return nullptr;
}

// Every public parameter is at its first version.
constexpr long long kVersion = 1;

json ParameterView(const Call& c, const model::PublicParameter& p, const std::string& selector = "") {
  const model::ImageInfo* image = model::FindImage(p.image_id);
  json v = {{"Name", p.name},
            {"Type", "String"},
            {"Value", p.image_id},
            {"Version", kVersion},
            {"ARN", "arn:aws:ssm:" + c.who->region + "::parameter" + p.name},
            {"DataType", p.data_type}};
  if (image) v["LastModifiedDate"] = image->creation_date;  // every public parameter names a listed image
  if (!selector.empty()) v["Selector"] = selector;
  return v;
}

// NAME or NAME:VERSION (a version selector; labels name no public parameter). Nullptr when
// there is no such parameter; throws ParameterVersionNotFound for a version it never had.
const model::PublicParameter* Lookup(const std::string& requested, std::string& selector) {
  std::string name = requested;
  selector.clear();
  if (size_t colon = requested.rfind(':'); colon != std::string::npos) {
    name = requested.substr(0, colon);
    selector = requested.substr(colon);
  }
  const model::PublicParameter* p = FindParameter(name);
  if (!p || selector.empty()) return p;
  long long version = 0;
  const std::string digits = selector.substr(1);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), version);
  if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) return nullptr;  // a label
  if (version != kVersion)
    throw model::Error("ParameterVersionNotFound",
                       "Systems Manager could not find version " + digits + " of " + name +
                           ". Verify the version and try again.",
                       400);
  return p;
}

json GetParameter(Call& c) {
  std::string selector;
  const model::PublicParameter* p = Lookup(Str(c.in, "Name"), selector);
  if (!p) throw model::Error("ParameterNotFound", "", 400);
  return {{"Parameter", ParameterView(c, *p, selector)}};
}

json GetParameters(Call& c) {
  json found = json::array(), invalid = json::array();
  for (const auto& name : StrList(c.in, "Names")) {
    std::string selector;
    if (const model::PublicParameter* p = Lookup(name, selector)) found.push_back(ParameterView(c, *p, selector));
    else invalid.push_back(name);
  }
  return {{"Parameters", found}, {"InvalidParameters", invalid}};
}

json GetParametersByPath(Call& c) {
  std::string path = Str(c.in, "Path");
  if (path.empty() || path[0] != '/')
    Validation("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a "
               "forward slash \"/\".");
  if (path.size() > 1 && path.back() == '/') path.pop_back();
  const bool recursive = Bool(c.in, "Recursive");
  // The only filter that can narrow public parameters is their Type (all String).
  std::vector<std::string> types;
  if (c.in.contains("ParameterFilters"))
    for (const auto& f : c.in["ParameterFilters"]) {
      const std::string key = Str(f, "Key"), option = Str(f, "Option");
      if (key != "Type")
        throw model::Error("InvalidFilterKey", "The following filter key is not valid: " + key, 400);
      if (!option.empty() && option != "Equals")
        throw model::Error("InvalidFilterOption", "The following filter option is not valid: " + option +
                                                      ". Valid options include: [Equals].",
                           400);
      for (const auto& t : StrList(f, "Values")) types.push_back(t);
    }
  const long long max_results = c.in.value("MaxResults", 10LL);
  size_t start = 0;
  if (const std::string token = Str(c.in, "NextToken"); !token.empty()) {
    auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), start);
    if (ec != std::errc() || end != token.data() + token.size())
      throw model::Error("InvalidNextToken", "The specified token isn't valid.", 400);
  }
  const std::string prefix = path == "/" ? "/" : path + "/";
  std::vector<const model::PublicParameter*> matches;
  for (const auto& p : model::PublicImageParameters()) {
    if (p.name.compare(0, prefix.size(), prefix) != 0) continue;
    if (!recursive && p.name.find('/', prefix.size()) != std::string::npos) continue;  // one level down only
    if (!types.empty() && std::find(types.begin(), types.end(), "String") == types.end()) continue;
    matches.push_back(&p);
  }
  if (start > matches.size()) throw model::Error("InvalidNextToken", "The specified token isn't valid.", 400);
  json out = {{"Parameters", json::array()}};
  size_t i = start;
  for (; i < matches.size() && static_cast<long long>(i - start) < max_results; ++i)
    out["Parameters"].push_back(ParameterView(c, *matches[i]));
  if (i < matches.size()) out["NextToken"] = std::to_string(i);
  return out;
}

}  // namespace

void RegisterSsmHandlers() {
  Register("GetParameter", GetParameter, false, "ssm");
  Register("GetParameters", GetParameters, false, "ssm");
  Register("GetParametersByPath", GetParametersByPath, false, "ssm");
}

}  // namespace openvpc::api
