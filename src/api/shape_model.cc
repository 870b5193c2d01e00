#include "api/shape_model.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <set>

#include <nlohmann/json.hpp>

#include "model/error.h"

extern const char kEc2ShapesJson[];  // generated from src/api/ec2-shapes.json

namespace openvpc::api {

using json = nlohmann::json;
using model::Fail;

struct ShapeModel::Impl {
  json doc;
  const json& shapes() const { return doc["shapes"]; }
  const json& Shape(const std::string& name) const { return doc["shapes"][name]; }

  // The query name of a member: queryName, else locationName with its first letter upper
  // cased, else the member name (botocore's EC2Serializer).
  static std::string QueryName(const std::string& member, const json& ref) {
    if (ref.contains("queryName")) return ref["queryName"];
    if (ref.contains("locationName")) {
      std::string n = ref["locationName"];
      if (!n.empty()) n[0] = static_cast<char>(toupper(n[0]));
      return n;
    }
    return member;
  }

  json DecodeValue(const json& shape, const std::string& key, const Params& params,
                   std::set<std::string>& used) const;
  json DecodeStructure(const json& shape, const std::string& prefix, const Params& params,
                       std::set<std::string>& used) const;
  void EncodeValue(std::string& out, const json& shape, const std::string& element, const json& value,
                   bool strict, const std::string& path) const;
  void EncodeStructure(std::string& out, const json& shape, const json& value, bool strict,
                       const std::string& path) const;
};

namespace {

bool HasPrefix(const Params& params, const std::string& prefix) {
  auto it = params.lower_bound(prefix);
  return it != params.end() && it->first.compare(0, prefix.size(), prefix) == 0;
}

[[noreturn]] void BadValue(const std::string& key, const std::string& value, const std::string& why = "") {
  Fail("InvalidParameterValue", "Value (" + value + ") for parameter " + key + " is invalid." + why);
}

}  // namespace

json ShapeModel::Impl::DecodeStructure(const json& shape, const std::string& prefix, const Params& params,
                                       std::set<std::string>& used) const {
  json out = json::object();
  for (const auto& [member, ref] : shape["members"].items()) {
    std::string key = prefix + QueryName(member, ref);
    json v = DecodeValue(Shape(ref["shape"]), key, params, used);
    if (!v.is_null()) out[member] = std::move(v);
  }
  if (shape.contains("required"))
    for (const auto& r : shape["required"]) {
      if (!out.contains(r.get<std::string>()))
        Fail("MissingParameter",
             "The request must contain the parameter " + prefix + QueryName(r, shape["members"][r.get<std::string>()]));
    }
  return out;
}

json ShapeModel::Impl::DecodeValue(const json& shape, const std::string& key, const Params& params,
                                   std::set<std::string>& used) const {
  const std::string type = shape["type"];
  if (type == "structure") {
    if (!HasPrefix(params, key + ".")) return nullptr;
    return DecodeStructure(shape, key + ".", params, used);
  }
  if (type == "list") {
    // Flattened and 1-based: Key.1, Key.2.Sub … Indices need not be contiguous; order kept.
    std::set<long> indices;
    std::string prefix = key + ".";
    for (auto it = params.lower_bound(prefix); it != params.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
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
    const json& member = Shape(shape["member"]["shape"]);
    for (long i : indices) {
      json v = DecodeValue(member, prefix + std::to_string(i), params, used);
      if (!v.is_null()) out.push_back(std::move(v));
    }
    return out;
  }
  auto it = params.find(key);
  if (it == params.end()) return nullptr;
  used.insert(key);
  const std::string& s = it->second;
  if (type == "string") {
    if (shape.contains("enum")) {
      const auto& e = shape["enum"];
      if (std::find(e.begin(), e.end(), s) == e.end()) BadValue(key, s);
    }
    return s;
  }
  if (type == "boolean") {
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    BadValue(key, s);
  }
  if (type == "integer" || type == "long") {
    long long n = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc() || p != s.data() + s.size()) BadValue(key, s);
    if (type == "integer" && (n < INT32_MIN || n > INT32_MAX)) BadValue(key, s);
    if ((shape.contains("min") && n < shape["min"].get<long long>()) ||
        (shape.contains("max") && n > shape["max"].get<long long>())) {
      std::string range = " Expecting a value between " +
                          (shape.contains("min") ? std::to_string(shape["min"].get<long long>()) : std::string("-")) +
                          " and " +
                          (shape.contains("max") ? std::to_string(shape["max"].get<long long>()) : std::string("-")) + ".";
      BadValue(key, s, range);
    }
    return n;
  }
  if (type == "double" || type == "float") {
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0' || !std::isfinite(d)) BadValue(key, s);
    return d;
  }
  return s;  // timestamp, blob: kept as sent
}

void ShapeModel::Impl::EncodeStructure(std::string& out, const json& shape, const json& value, bool strict,
                                       const std::string& path) const {
  const json& members = shape["members"];
  if (strict)
    for (const auto& [k, v] : value.items())
      if (!members.contains(k))
        Fail("InternalError", "response member " + path + "." + k + " is not in the output shape");
  for (const auto& [member, ref] : members.items()) {
    auto it = value.find(member);
    if (it == value.end() || it->is_null()) continue;
    std::string element = ref.contains("locationName") ? ref["locationName"].get<std::string>() : member;
    EncodeValue(out, Shape(ref["shape"]), element, *it, strict, path + "." + member);
  }
}

std::string XmlEscape(const std::string& s) {
  std::string out;
  out.reserve(s.size());
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
  return out;
}

void ShapeModel::Impl::EncodeValue(std::string& out, const json& shape, const std::string& element, const json& value,
                                   bool strict, const std::string& path) const {
  const std::string type = shape["type"];
  out += "<" + element + ">";
  if (type == "structure") {
    if (!value.is_object()) Fail("InternalError", "response member " + path + " is not a structure");
    EncodeStructure(out, shape, value, strict, path);
  } else if (type == "list") {
    if (!value.is_array()) Fail("InternalError", "response member " + path + " is not a list");
    const json& mref = shape["member"];
    std::string item = mref.contains("locationName") ? mref["locationName"].get<std::string>() : "item";
    for (const auto& v : value) EncodeValue(out, Shape(mref["shape"]), item, v, strict, path + "[]");
  } else if (type == "boolean") {
    if (!value.is_boolean()) Fail("InternalError", "response member " + path + " is not a boolean");
    out += value.get<bool>() ? "true" : "false";
  } else if (type == "integer" || type == "long") {
    if (!value.is_number_integer()) Fail("InternalError", "response member " + path + " is not an integer");
    out += std::to_string(value.get<long long>());
  } else if (type == "double" || type == "float") {
    out += value.dump();
  } else {
    if (!value.is_string()) Fail("InternalError", "response member " + path + " is not a string");
    out += XmlEscape(value.get<std::string>());
  }
  out += "</" + element + ">";
}

ShapeModel::ShapeModel(const std::string& json_text) : impl_(std::make_unique<Impl>()) {
  impl_->doc = json::parse(json_text);
}
ShapeModel::~ShapeModel() = default;

const ShapeModel& ShapeModel::Builtin() {
  static const ShapeModel model(kEc2ShapesJson);
  return model;
}

bool ShapeModel::HasOperation(const std::string& op) const { return impl_->doc["operations"].contains(op); }

bool ShapeModel::HasInputMember(const std::string& op, const std::string& member) const {
  const json& ops = impl_->doc["operations"];
  if (!ops.contains(op) || !ops[op].contains("input")) return false;
  return impl_->Shape(ops[op]["input"])["members"].contains(member);
}

json ShapeModel::Decode(const std::string& op, const Params& params) const {
  const json& o = impl_->doc["operations"][op];
  std::set<std::string> used = {"Action", "Version"};
  json out = o.contains("input") ? impl_->DecodeStructure(impl_->Shape(o["input"]), "", params, used) : json::object();
  for (const auto& [k, v] : params) {
    if (used.count(k) || k.rfind("X-Amz-", 0) == 0) continue;
    Fail("UnknownParameter", "The parameter " + k + " is not recognized");
  }
  return out;
}

std::string ShapeModel::Encode(const std::string& op, const json& output, const std::string& request_id,
                               bool strict) const {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<" + op +
                    "Response xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>" + request_id +
                    "</requestId>";
  const json& o = impl_->doc["operations"][op];
  if (o.contains("output")) impl_->EncodeStructure(out, impl_->Shape(o["output"]), output, strict, op);
  out += "</" + op + "Response>";
  return out;
}

std::string ErrorXml(const std::string& code, const std::string& message, const std::string& request_id) {
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response><Errors><Error><Code>" + XmlEscape(code) +
         "</Code><Message>" + XmlEscape(message) + "</Message></Error></Errors><RequestID>" + request_id +
         "</RequestID></Response>";
}

}  // namespace openvpc::api
