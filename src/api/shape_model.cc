#include "api/shape_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <chrono>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "model/error.h"
#include "model/state.h"

extern const char* const kShapeModelsJson[];  // generated from src/api/shapes/*.json, null-terminated

namespace openvpc::api {

using json = nlohmann::json;
using model::Fail;

// The model compiled once into a graph of shapes, so a request walks pointers, not JSON.
namespace {

enum class Type { kStructure, kList, kMap, kString, kBoolean, kInteger, kLong, kDouble, kTimestamp, kBlob };

struct Shape;

struct Member {
  std::string name;        // member name: the key of the value tree
  std::string query_name;  // the name in the query string (botocore's EC2 and Query serializers)
  std::string xml_name;    // the element name in XML responses, the key in JSON
  const Shape* shape = nullptr;
};

struct Shape {
  Type type = Type::kStructure;
  std::vector<Member> members;          // structure, in the model's order
  std::vector<std::string> required;    // structure
  const Shape* item = nullptr;          // list
  std::string item_name;                // list: the element of an item (XML), its query name (query)
  const Shape* key = nullptr;           // map
  const Shape* value = nullptr;         // map
  std::string key_name = "key", value_name = "value";  // map
  bool flattened = false;               // list, map
  std::vector<std::string> enum_values; // string
  std::optional<long long> min, max;    // integer, long: the value; string, list: the length
};

Type TypeOf(const std::string& t) {
  static const std::unordered_map<std::string, Type> kTypes = {
      {"structure", Type::kStructure}, {"list", Type::kList},       {"map", Type::kMap},
      {"string", Type::kString},       {"boolean", Type::kBoolean}, {"integer", Type::kInteger},
      {"long", Type::kLong},           {"double", Type::kDouble},   {"float", Type::kDouble},
      {"timestamp", Type::kTimestamp}, {"blob", Type::kBlob}};
  auto it = kTypes.find(t);
  if (it == kTypes.end()) throw std::runtime_error("unsupported shape type " + t);
  return it->second;
}

Protocol ProtocolOf(const std::string& p) {
  if (p == "ec2") return Protocol::kEc2;
  if (p == "query") return Protocol::kQuery;
  if (p == "json") return Protocol::kJson;
  throw std::runtime_error("unsupported protocol " + p);
}

// The query name of a member. EC2: queryName, else locationName with its first letter upper
// cased, else the member name. Query: locationName, else the member name.
std::string QueryName(Protocol protocol, const std::string& member, const json& ref) {
  if (protocol != Protocol::kEc2) return ref.value("locationName", member);
  if (ref.contains("queryName")) return ref["queryName"];
  if (ref.contains("locationName")) {
    std::string n = ref["locationName"];
    if (!n.empty()) n[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(n[0])));
    return n;
  }
  return member;
}

bool HasPrefix(const Params& params, const std::string& prefix) {
  auto it = params.lower_bound(prefix);
  return it != params.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

[[noreturn]] void BadValue(const std::string& key, const std::string& value, const std::string& why = "") {
  Fail("InvalidParameterValue", "Value (" + value + ") for parameter " + key + " is invalid." + why);
}

// The indices N of PREFIX.N… present, in order (1-based; gaps allowed).
std::set<long> Indices(const Params& params, const std::string& prefix) {
  std::set<long> indices;
  for (auto it = params.lower_bound(prefix); it != params.end() && it->first.compare(0, prefix.size(), prefix) == 0;
       ++it) {
    std::string rest = it->first.substr(prefix.size());
    std::string digits = rest.substr(0, rest.find('.'));
    long n = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && p == digits.data() + digits.size() && n >= 1) indices.insert(n);
  }
  return indices;
}

// A response member the output shape does not define is a handler bug (strict encoding).
void CheckMembers(const Shape& shape, const json& value, const std::string& path) {
  for (const auto& [k, v] : value.items())
    if (std::none_of(shape.members.begin(), shape.members.end(), [&](const Member& m) { return m.name == k; }))
      Fail("InternalError", "response member " + k + " of " + path + " is not in its output shape");
}

// The member names of AWS's validation messages: lower camel case (MaxResults -> maxResults).
std::string LowerCamel(std::string s) {
  if (!s.empty()) s[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[0])));
  return s;
}

// A query service's (STS, ELBv2) refusal of a value: ValidationError in AWS's words, the member
// path in lower camel case ("Subnets.member.1" -> "subnets.member.1").
[[noreturn]] void QueryValidationError(const std::string& key, const std::string& value, const std::string& constraint) {
  std::string path;
  size_t pos = 0;
  while (pos <= key.size()) {
    size_t dot = key.find('.', pos);
    path += (path.empty() ? "" : ".") + LowerCamel(key.substr(pos, dot == std::string::npos ? std::string::npos : dot - pos));
    if (dot == std::string::npos) break;
    pos = dot + 1;
  }
  Fail("ValidationError", "1 validation error detected: Value " + value + " at '" + path +
                              "' failed to satisfy constraint: " + constraint);
}

}  // namespace

struct ShapeModel::Impl {
  std::string service, target_prefix, xml_namespace, json_version;
  Protocol protocol = Protocol::kEc2;
  std::unordered_map<std::string, Shape> shapes;
  struct Operation {
    const Shape* input = nullptr;
    const Shape* output = nullptr;
    std::string result_wrapper;  // query: <OpResult>
  };
  std::unordered_map<std::string, Operation> operations;

  json DecodeValue(const Shape& shape, const std::string& key, const Params& params, std::set<std::string>& used) const;
  json DecodeStructure(const Shape& shape, const std::string& prefix, const Params& params,
                       std::set<std::string>& used) const;
  json DecodeJsonValue(const Shape& shape, const json& v, const std::string& path,
                       std::vector<std::string>& errors) const;
  void EncodeValue(std::string& out, const Shape& shape, const std::string& element, const json& value, bool strict,
                   const std::string& path) const;
  void EncodeStructure(std::string& out, const Shape& shape, const json& value, bool strict,
                       const std::string& path) const;
  json EncodeJsonValue(const Shape& shape, const json& value, bool strict, const std::string& path) const;
};

ShapeModel::ShapeModel(const std::string& json_text) : impl_(std::make_unique<Impl>()) {
  json doc = json::parse(json_text);
  const json& meta = doc["metadata"];
  impl_->protocol = ProtocolOf(meta.value("protocol", "ec2"));
  impl_->service = meta.value("signingName", meta.value("endpointPrefix", ""));
  impl_->target_prefix = meta.value("targetPrefix", "");
  impl_->json_version = meta.value("jsonVersion", "1.0");
  impl_->xml_namespace = meta.value("xmlNamespace", "");
  // EC2's answers name its namespace with a final slash, which its model leaves out.
  if (impl_->protocol == Protocol::kEc2 && !impl_->xml_namespace.empty() && impl_->xml_namespace.back() != '/')
    impl_->xml_namespace += '/';
  const Protocol protocol = impl_->protocol;
  auto& shapes = impl_->shapes;
  for (const auto& [name, s] : doc["shapes"].items()) shapes[name];  // addresses are stable from here on
  for (const auto& [name, s] : doc["shapes"].items()) {
    Shape& shape = shapes[name];
    shape.type = TypeOf(s["type"]);
    if (s.contains("members"))
      for (const auto& [member, ref] : s["members"].items())
        shape.members.push_back({member, QueryName(protocol, member, ref), ref.value("locationName", member),
                                 &shapes.at(ref["shape"].get<std::string>())});
    if (s.contains("required")) shape.required = s["required"].get<std::vector<std::string>>();
    if (s.contains("member")) {
      shape.item = &shapes.at(s["member"]["shape"].get<std::string>());
      shape.item_name = s["member"].value("locationName", protocol == Protocol::kEc2 ? "item" : "member");
    }
    if (s.contains("key")) {
      shape.key = &shapes.at(s["key"]["shape"].get<std::string>());
      shape.key_name = s["key"].value("locationName", "key");
    }
    if (s.contains("value")) {
      shape.value = &shapes.at(s["value"]["shape"].get<std::string>());
      shape.value_name = s["value"].value("locationName", "value");
    }
    shape.flattened = s.value("flattened", false);
    if (s.contains("enum")) shape.enum_values = s["enum"].get<std::vector<std::string>>();
    if (s.contains("min") && s["min"].is_number_integer()) shape.min = s["min"].get<long long>();
    if (s.contains("max") && s["max"].is_number_integer()) shape.max = s["max"].get<long long>();
  }
  for (const auto& [name, o] : doc["operations"].items()) {
    Impl::Operation op;
    if (o.contains("input")) op.input = &shapes.at(o["input"].get<std::string>());
    if (o.contains("output")) op.output = &shapes.at(o["output"].get<std::string>());
    op.result_wrapper = o.value("resultWrapper", name + "Result");
    impl_->operations[name] = op;
  }
}

ShapeModel::~ShapeModel() = default;

namespace {
// Every model compiled in, by signing name; parsed once, on first use.
const std::map<std::string, std::unique_ptr<ShapeModel>, std::less<>>& Models() {
  static const auto models = [] {
    std::map<std::string, std::unique_ptr<ShapeModel>, std::less<>> m;
    for (const char* const* text = kShapeModelsJson; *text; ++text) {
      auto model = std::make_unique<ShapeModel>(*text);
      std::string name = model->service();
      m.emplace(std::move(name), std::move(model));
    }
    return m;
  }();
  return models;
}
}  // namespace

const ShapeModel& ShapeModel::Builtin() {
  static const ShapeModel& ec2 = *ForService("ec2");
  return ec2;
}

const ShapeModel* ShapeModel::ForService(std::string_view signing_name) {
  auto it = Models().find(signing_name);
  return it == Models().end() ? nullptr : it->second.get();
}

const std::vector<std::string>& ShapeModel::Services() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (const auto& [name, model] : Models()) n.push_back(name);
    return n;
  }();
  return names;
}

const std::string& ShapeModel::service() const { return impl_->service; }
Protocol ShapeModel::protocol() const { return impl_->protocol; }
const std::string& ShapeModel::target_prefix() const { return impl_->target_prefix; }

bool ShapeModel::HasOperation(const std::string& op) const { return impl_->operations.count(op) > 0; }

std::vector<std::string> ShapeModel::Operations() const {
  std::vector<std::string> out;
  for (const auto& [name, op] : impl_->operations) out.push_back(name);
  return out;
}

bool ShapeModel::HasInputMember(const std::string& op, const std::string& member) const {
  auto it = impl_->operations.find(op);
  if (it == impl_->operations.end() || !it->second.input) return false;
  const auto& ms = it->second.input->members;
  return std::any_of(ms.begin(), ms.end(), [&](const Member& m) { return m.name == member; });
}

json ShapeModel::Impl::DecodeStructure(const Shape& shape, const std::string& prefix, const Params& params,
                                       std::set<std::string>& used) const {
  json out = json::object();
  for (const auto& m : shape.members) {
    json v = DecodeValue(*m.shape, prefix + m.query_name, params, used);
    if (!v.is_null()) out[m.name] = std::move(v);
  }
  for (const auto& r : shape.required)
    if (!out.contains(r)) {
      auto m = std::find_if(shape.members.begin(), shape.members.end(), [&](const Member& x) { return x.name == r; });
      if (protocol == Protocol::kQuery) QueryValidationError(prefix + m->query_name, "null", "Member must not be null");
      Fail("MissingParameter", "The request must contain the parameter " + prefix + m->query_name);
    }
  return out;
}

json ShapeModel::Impl::DecodeValue(const Shape& shape, const std::string& key, const Params& params,
                                   std::set<std::string>& used) const {
  if (shape.type == Type::kStructure) {
    if (!HasPrefix(params, key + ".")) return nullptr;
    return DecodeStructure(shape, key + ".", params, used);
  }
  if (shape.type == Type::kList) {
    // 1-based, indices need not be contiguous, order kept. EC2: Key.N; Query: Key.member.N
    // (Key.N when the list is flattened).
    const std::string prefix =
        key + "." + (protocol == Protocol::kQuery && !shape.flattened ? shape.item_name + "." : "");
    std::set<long> indices = Indices(params, prefix);
    if (indices.empty()) {
      // "Key=" with no elements: an empty list, as botocore sends for [].
      auto it = params.find(key);
      if (it != params.end() && it->second.empty()) {
        used.insert(key);
        return json::array();
      }
      return nullptr;
    }
    json out = json::array();
    for (long i : indices) {
      json v = DecodeValue(*shape.item, prefix + std::to_string(i), params, used);
      if (!v.is_null()) out.push_back(std::move(v));
    }
    return out;
  }
  if (shape.type == Type::kMap) {
    // Key.entry.N.key and Key.entry.N.value (Key.N.… when flattened).
    const std::string prefix = key + "." + (shape.flattened ? "" : "entry.");
    json out = json::object();
    for (long i : Indices(params, prefix)) {
      const std::string entry = prefix + std::to_string(i) + ".";
      json k = DecodeValue(*shape.key, entry + shape.key_name, params, used);
      json v = DecodeValue(*shape.value, entry + shape.value_name, params, used);
      if (!k.is_string()) Fail("MissingParameter", "The request must contain the parameter " + entry + shape.key_name);
      out[k.get<std::string>()] = std::move(v);
    }
    return out.empty() ? json() : out;
  }
  auto it = params.find(key);
  if (it == params.end()) return nullptr;
  used.insert(key);
  const std::string& s = it->second;
  switch (shape.type) {
    case Type::kString:
      if (!shape.enum_values.empty() &&
          std::find(shape.enum_values.begin(), shape.enum_values.end(), s) == shape.enum_values.end()) {
        if (protocol == Protocol::kQuery) {
          std::string set;
          for (const auto& e : shape.enum_values) set += (set.empty() ? "" : ", ") + e;
          QueryValidationError(key, "'" + s + "'", "Member must satisfy enum value set: [" + set + "]");
        }
        BadValue(key, s);
      }
      return s;
    case Type::kBoolean:
      if (s == "true" || s == "True" || s == "TRUE") return true;
      if (s == "false" || s == "False" || s == "FALSE") return false;
      BadValue(key, s);
    case Type::kInteger:
    case Type::kLong: {
      long long n = 0;
      auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
      if (s.empty() || ec != std::errc() || p != s.data() + s.size()) BadValue(key, s);
      if (shape.type == Type::kInteger && (n < INT32_MIN || n > INT32_MAX)) BadValue(key, s);
      if (protocol == Protocol::kQuery && shape.min && n < *shape.min)
        QueryValidationError(key, "'" + s + "'", "Member must have value greater than or equal to " + std::to_string(*shape.min));
      if (protocol == Protocol::kQuery && shape.max && n > *shape.max)
        QueryValidationError(key, "'" + s + "'", "Member must have value less than or equal to " + std::to_string(*shape.max));
      if ((shape.min && n < *shape.min) || (shape.max && n > *shape.max))
        BadValue(key, s,
                 " Expecting a value between " + (shape.min ? std::to_string(*shape.min) : std::string("-")) +
                     " and " + (shape.max ? std::to_string(*shape.max) : std::string("-")) + ".");
      return n;
    }
    case Type::kDouble: {
      char* end = nullptr;
      double d = std::strtod(s.c_str(), &end);
      if (s.empty() || *end != '\0' || !std::isfinite(d)) BadValue(key, s);
      return d;
    }
    default:
      return s;  // timestamp, blob: kept as sent
  }
}

namespace {
void AppendEscaped(std::string& out, const std::string& s) {
  if (s.find_first_of("&<>\"'") == std::string::npos) {
    out += s;
    return;
  }
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
}
}  // namespace

std::string XmlEscape(const std::string& s) {
  std::string out;
  AppendEscaped(out, s);
  return out;
}

void ShapeModel::Impl::EncodeStructure(std::string& out, const Shape& shape, const json& value, bool strict,
                                       const std::string& path) const {
  if (strict) CheckMembers(shape, value, path);
  for (const auto& m : shape.members) {
    auto it = value.find(m.name);
    if (it == value.end() || it->is_null()) continue;
    if (m.shape->type == Type::kList && m.shape->flattened) {  // the items, each named as the member
      if (!it->is_array()) Fail("InternalError", "response element <" + m.xml_name + "> of " + path + " is not a list");
      for (const auto& v : *it) EncodeValue(out, *m.shape->item, m.xml_name, v, strict, path);
      continue;
    }
    EncodeValue(out, *m.shape, m.xml_name, *it, strict, path);
  }
}

void ShapeModel::Impl::EncodeValue(std::string& out, const Shape& shape, const std::string& element, const json& value,
                                   bool strict, const std::string& path) const {
  auto wrong = [&](const char* what) {
    Fail("InternalError", "response element <" + element + "> of " + path + " is not " + what);
  };
  out += '<';
  out += element;
  out += '>';
  switch (shape.type) {
    case Type::kStructure:
      if (!value.is_object()) wrong("a structure");
      EncodeStructure(out, shape, value, strict, path);
      break;
    case Type::kList:
      if (!value.is_array()) wrong("a list");
      for (const auto& v : value) EncodeValue(out, *shape.item, shape.item_name, v, strict, path);
      break;
    case Type::kMap:
      if (!value.is_object()) wrong("a map");
      for (const auto& [k, v] : value.items()) {
        out += "<entry>";
        EncodeValue(out, *shape.key, shape.key_name, k, strict, path);
        EncodeValue(out, *shape.value, shape.value_name, v, strict, path);
        out += "</entry>";
      }
      break;
    case Type::kBoolean:
      if (!value.is_boolean()) wrong("a boolean");
      out += value.get<bool>() ? "true" : "false";
      break;
    case Type::kInteger:
    case Type::kLong:
      if (!value.is_number_integer()) wrong("an integer");
      out += std::to_string(value.get<long long>());
      break;
    case Type::kDouble:
      out += value.dump();
      break;
    default:
      if (!value.is_string()) wrong("a string");
      AppendEscaped(out, value.get_ref<const std::string&>());
  }
  out += "</";
  out += element;
  out += '>';
}

json ShapeModel::Impl::EncodeJsonValue(const Shape& shape, const json& value, bool strict,
                                       const std::string& path) const {
  auto wrong = [&](const char* what) { Fail("InternalError", "response member of " + path + " is not " + what); };
  switch (shape.type) {
    case Type::kStructure: {
      if (!value.is_object()) wrong("a structure");
      if (strict) CheckMembers(shape, value, path);
      json out = json::object();
      for (const auto& m : shape.members) {
        auto it = value.find(m.name);
        if (it != value.end() && !it->is_null()) out[m.xml_name] = EncodeJsonValue(*m.shape, *it, strict, path);
      }
      return out;
    }
    case Type::kList: {
      if (!value.is_array()) wrong("a list");
      json out = json::array();
      for (const auto& v : value) out.push_back(EncodeJsonValue(*shape.item, v, strict, path));
      return out;
    }
    case Type::kMap: {
      if (!value.is_object()) wrong("a map");
      json out = json::object();
      for (const auto& [k, v] : value.items()) out[k] = EncodeJsonValue(*shape.value, v, strict, path);
      return out;
    }
    case Type::kBoolean:
      if (!value.is_boolean()) wrong("a boolean");
      return value;
    case Type::kInteger:
    case Type::kLong:
      if (!value.is_number_integer()) wrong("an integer");
      return value;
    case Type::kDouble:
      if (!value.is_number()) wrong("a number");
      return value;
    case Type::kTimestamp: {  // seconds since the epoch
      if (value.is_number()) return value;
      // Handlers write ISO 8601 (model::FormatIso8601: whole seconds).
      auto t = value.is_string() ? model::ParseIso8601(value.get<std::string>()) : std::nullopt;
      if (!t) wrong("a timestamp");
      return static_cast<double>(std::chrono::system_clock::to_time_t(*t));
    }
    default:
      if (!value.is_string()) wrong("a string");
      return value;
  }
}

json ShapeModel::Impl::DecodeJsonValue(const Shape& shape, const json& v, const std::string& path,
                                       std::vector<std::string>& errors) const {
  // A value of the wrong JSON type cannot be read at all (SerializationException); a value that
  // reads but breaks a constraint is one of the validation errors reported together.
  auto unreadable = [&](const char* what) {
    throw model::Error("SerializationException", "Expected " + std::string(what) + " at '" + path + "'", 400);
  };
  auto violates = [&](const std::string& shown, const std::string& constraint) {
    errors.push_back("Value " + shown + " at '" + path + "' failed to satisfy constraint: " + constraint);
  };
  auto length = [&](size_t n, const std::string& shown) {
    if (shape.min && static_cast<long long>(n) < *shape.min)
      violates(shown, "Member must have length greater than or equal to " + std::to_string(*shape.min));
    if (shape.max && static_cast<long long>(n) > *shape.max)
      violates(shown, "Member must have length less than or equal to " + std::to_string(*shape.max));
  };
  switch (shape.type) {
    case Type::kStructure: {
      if (!v.is_object()) unreadable("a structure");
      json out = json::object();
      for (const auto& m : shape.members) {
        auto it = v.find(m.xml_name);
        if (it == v.end() || it->is_null()) continue;
        const std::string child = path.empty() ? LowerCamel(m.name) : path + "." + LowerCamel(m.name);
        out[m.name] = DecodeJsonValue(*m.shape, *it, child, errors);
      }
      for (const auto& r : shape.required)
        if (!out.contains(r))
          errors.push_back("Value null at '" + (path.empty() ? LowerCamel(r) : path + "." + LowerCamel(r)) +
                           "' failed to satisfy constraint: Member must not be null");
      return out;
    }
    case Type::kList: {
      if (!v.is_array()) unreadable("a list");
      json out = json::array();
      for (size_t i = 0; i < v.size(); ++i)
        out.push_back(DecodeJsonValue(*shape.item, v[i], path + "." + std::to_string(i + 1) + ".member", errors));
      std::string shown = "[";
      for (size_t i = 0; i < v.size(); ++i) shown += (i ? ", " : "") + (v[i].is_string() ? v[i].get<std::string>() : v[i].dump());
      length(v.size(), "'" + shown + "]'");
      return out;
    }
    case Type::kMap: {
      if (!v.is_object()) unreadable("a map");
      json out = json::object();
      for (const auto& [k, item] : v.items()) out[k] = DecodeJsonValue(*shape.value, item, path + "." + k, errors);
      return out;
    }
    case Type::kBoolean:
      if (!v.is_boolean()) unreadable("a boolean");
      return v;
    case Type::kInteger:
    case Type::kLong: {
      if (!v.is_number_integer()) unreadable("an integer");
      const long long n = v.get<long long>();
      if (shape.min && n < *shape.min)
        violates("'" + std::to_string(n) + "'", "Member must have value greater than or equal to " + std::to_string(*shape.min));
      if (shape.max && n > *shape.max)
        violates("'" + std::to_string(n) + "'", "Member must have value less than or equal to " + std::to_string(*shape.max));
      return v;
    }
    case Type::kDouble:
      if (!v.is_number()) unreadable("a number");
      return v;
    case Type::kTimestamp:
      if (!v.is_number() && !v.is_string()) unreadable("a timestamp");
      return v;
    default: {
      if (!v.is_string()) unreadable("a string");
      const std::string& s = v.get_ref<const std::string&>();
      length(s.size(), "'" + s + "'");
      if (!shape.enum_values.empty() &&
          std::find(shape.enum_values.begin(), shape.enum_values.end(), s) == shape.enum_values.end()) {
        std::string set;
        for (const auto& e : shape.enum_values) set += (set.empty() ? "" : ", ") + e;
        violates("'" + s + "'", "Member must satisfy enum value set: [" + set + "]");
      }
      return v;
    }
  }
}

json ShapeModel::Decode(const std::string& op, const Params& params) const {
  const Impl::Operation& o = impl_->operations.at(op);
  std::set<std::string> used = {"Action", "Version"};
  json out = o.input ? impl_->DecodeStructure(*o.input, "", params, used) : json::object();
  for (const auto& [k, v] : params) {
    if (used.count(k) || k.rfind("X-Amz-", 0) == 0) continue;
    Fail("UnknownParameter", "The parameter " + k + " is not recognized");
  }
  return out;
}

json ShapeModel::DecodeJson(const std::string& op, const std::string& body) const {
  const Impl::Operation& o = impl_->operations.at(op);
  json doc = json::object();
  if (!body.empty()) {
    doc = json::parse(body, nullptr, false);
    if (doc.is_discarded()) throw model::Error("SerializationException", "The request body is not valid JSON", 400);
  }
  if (!o.input) return json::object();
  std::vector<std::string> errors;
  json out = impl_->DecodeJsonValue(*o.input, doc, "", errors);
  if (!errors.empty()) {
    std::string message = std::to_string(errors.size()) + " validation error" + (errors.size() > 1 ? "s" : "") +
                          " detected: ";
    for (size_t i = 0; i < errors.size(); ++i) message += (i ? "; " : "") + errors[i];
    throw model::Error("ValidationException", message, 400);
  }
  return out;
}

std::string ShapeModel::Encode(const std::string& op, const json& output, const std::string& request_id,
                               bool strict) const {
  const Impl::Operation& o = impl_->operations.at(op);
  if (impl_->protocol == Protocol::kJson)
    return o.output ? impl_->EncodeJsonValue(*o.output, output, strict, op).dump() : "{}";
  std::string out;
  out.reserve(64 * 1024);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + op + "Response xmlns=\"" + impl_->xml_namespace + "\">";
  if (impl_->protocol == Protocol::kEc2) {
    out += "<requestId>" + request_id + "</requestId>";
    if (o.output) impl_->EncodeStructure(out, *o.output, output, strict, op);
  } else {  // query
    out += "<" + o.result_wrapper + ">";
    if (o.output) impl_->EncodeStructure(out, *o.output, output, strict, op);
    out += "</" + o.result_wrapper + "><ResponseMetadata><RequestId>" + request_id + "</RequestId></ResponseMetadata>";
  }
  out += "</" + op + "Response>";
  return out;
}

std::string ShapeModel::ContentType() const {
  switch (impl_->protocol) {
    case Protocol::kJson: return "application/x-amz-json-" + impl_->json_version;
    case Protocol::kQuery: return "text/xml";
    default: return "text/xml;charset=UTF-8";
  }
}

std::string ShapeModel::ErrorBody(const std::string& code, const std::string& message, const std::string& request_id,
                                  int http_status) const {
  switch (impl_->protocol) {
    case Protocol::kJson:
      return json{{"__type", code}, {"message", message}}.dump(-1, ' ', false, json::error_handler_t::replace);
    case Protocol::kQuery:
      return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ErrorResponse xmlns=\"" + impl_->xml_namespace +
             "\"><Error><Type>" + (http_status >= 500 ? "Receiver" : "Sender") + "</Type><Code>" + XmlEscape(code) +
             "</Code><Message>" + XmlEscape(message) + "</Message></Error><RequestId>" + request_id +
             "</RequestId></ErrorResponse>";
    default:
      return ErrorXml(code, message, request_id);
  }
}

std::string ErrorXml(const std::string& code, const std::string& message, const std::string& request_id) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + XmlEscape(code) +
         "</Code><Message>" + XmlEscape(message) + "</Message></Error></Errors><RequestID>" + request_id +
         "</RequestID></Response>";
}

}  // namespace openvpc::api
