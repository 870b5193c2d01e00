#include "api/shape_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "model/error.h"

extern const char kEc2ShapesJson[];  // generated from src/api/ec2-shapes.json

namespace openvpc::api {

using json = nlohmann::json;
using model::Fail;

// The model compiled once into a graph of shapes, so a request walks pointers, not JSON.
namespace {

enum class Type { kStructure, kList, kString, kBoolean, kInteger, kLong, kDouble, kTimestamp, kBlob };

struct Shape;

struct Member {
  std::string name;        // member name: the key of the value tree
  std::string query_name;  // the name in the query string (botocore's EC2Serializer)
  std::string xml_name;    // the element name in responses
  const Shape* shape = nullptr;
};

struct Shape {
  Type type = Type::kString;
  std::vector<Member> members;          // structure, in the model's order
  std::vector<std::string> required;    // structure
  const Shape* item = nullptr;          // list
  std::string item_xml_name = "item";   // list
  std::vector<std::string> enum_values; // string
  std::optional<long long> min, max;    // integer, long
};

Type TypeOf(const std::string& t) {
  static const std::unordered_map<std::string, Type> kTypes = {
      {"structure", Type::kStructure}, {"list", Type::kList},       {"string", Type::kString},
      {"boolean", Type::kBoolean},     {"integer", Type::kInteger}, {"long", Type::kLong},
      {"double", Type::kDouble},       {"float", Type::kDouble},    {"timestamp", Type::kTimestamp},
      {"blob", Type::kBlob}};
  auto it = kTypes.find(t);
  if (it == kTypes.end()) throw std::runtime_error("unsupported shape type " + t);
  return it->second;
}

// The query name of a member: queryName, else locationName with its first letter upper cased,
// else the member name.
std::string QueryName(const std::string& member, const json& ref) {
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

}  // namespace

struct ShapeModel::Impl {
  std::unordered_map<std::string, Shape> shapes;
  struct Operation {
    const Shape* input = nullptr;
    const Shape* output = nullptr;
  };
  std::unordered_map<std::string, Operation> operations;

  json DecodeValue(const Shape& shape, const std::string& key, const Params& params, std::set<std::string>& used) const;
  json DecodeStructure(const Shape& shape, const std::string& prefix, const Params& params,
                       std::set<std::string>& used) const;
  void EncodeValue(std::string& out, const Shape& shape, const std::string& element, const json& value, bool strict,
                   const std::string& path) const;
  void EncodeStructure(std::string& out, const Shape& shape, const json& value, bool strict,
                       const std::string& path) const;
};

ShapeModel::ShapeModel(const std::string& json_text) : impl_(std::make_unique<Impl>()) {
  json doc = json::parse(json_text);
  auto& shapes = impl_->shapes;
  for (const auto& [name, s] : doc["shapes"].items()) shapes[name];  // addresses are stable from here on
  for (const auto& [name, s] : doc["shapes"].items()) {
    Shape& shape = shapes[name];
    shape.type = TypeOf(s["type"]);
    if (s.contains("members"))
      for (const auto& [member, ref] : s["members"].items())
        shape.members.push_back({member, QueryName(member, ref), ref.value("locationName", member),
                                 &shapes.at(ref["shape"].get<std::string>())});
    if (s.contains("required")) shape.required = s["required"].get<std::vector<std::string>>();
    if (s.contains("member")) {
      shape.item = &shapes.at(s["member"]["shape"].get<std::string>());
      shape.item_xml_name = s["member"].value("locationName", "item");
    }
    if (s.contains("enum")) shape.enum_values = s["enum"].get<std::vector<std::string>>();
    if (shape.type == Type::kInteger || shape.type == Type::kLong) {
      if (s.contains("min")) shape.min = s["min"].get<long long>();
      if (s.contains("max")) shape.max = s["max"].get<long long>();
    }
  }
  for (const auto& [name, o] : doc["operations"].items()) {
    Impl::Operation op;
    if (o.contains("input")) op.input = &shapes.at(o["input"].get<std::string>());
    if (o.contains("output")) op.output = &shapes.at(o["output"].get<std::string>());
    impl_->operations[name] = op;
  }
}

ShapeModel::~ShapeModel() = default;

const ShapeModel& ShapeModel::Builtin() {
  static const ShapeModel model(kEc2ShapesJson);
  return model;
}

bool ShapeModel::HasOperation(const std::string& op) const { return impl_->operations.count(op) > 0; }

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
    // Flattened and 1-based: Key.1, Key.2.Sub … Indices need not be contiguous; order kept.
    std::set<long> indices;
    std::string prefix = key + ".";
    for (auto it = params.lower_bound(prefix); it != params.end() && it->first.compare(0, prefix.size(), prefix) == 0;
         ++it) {
      std::string rest = it->first.substr(prefix.size());
      std::string digits = rest.substr(0, rest.find('.'));
      long n = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
      if (ec == std::errc() && p == digits.data() + digits.size() && n >= 1) indices.insert(n);
    }
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
  auto it = params.find(key);
  if (it == params.end()) return nullptr;
  used.insert(key);
  const std::string& s = it->second;
  switch (shape.type) {
    case Type::kString:
      if (!shape.enum_values.empty() &&
          std::find(shape.enum_values.begin(), shape.enum_values.end(), s) == shape.enum_values.end())
        BadValue(key, s);
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
  if (strict)
    for (const auto& [k, v] : value.items())
      if (std::none_of(shape.members.begin(), shape.members.end(), [&](const Member& m) { return m.name == k; }))
        Fail("InternalError", "response member " + k + " of " + path + " is not in its output shape");
  for (const auto& m : shape.members) {
    auto it = value.find(m.name);
    if (it == value.end() || it->is_null()) continue;
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
      for (const auto& v : value) EncodeValue(out, *shape.item, shape.item_xml_name, v, strict, path);
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

std::string ShapeModel::Encode(const std::string& op, const json& output, const std::string& request_id,
                               bool strict) const {
  std::string out;
  out.reserve(64 * 1024);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + op +
         "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>" + request_id + "</requestId>";
  const Impl::Operation& o = impl_->operations.at(op);
  if (o.output) impl_->EncodeStructure(out, *o.output, output, strict, op);
  out += "</" + op + "Response>";
  return out;
}

std::string ErrorXml(const std::string& code, const std::string& message, const std::string& request_id) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + XmlEscape(code) +
         "</Code><Message>" + XmlEscape(message) + "</Message></Error></Errors><RequestID>" + request_id +
         "</RequestID></Response>";
}

}  // namespace openvpc::api
