// botocore's EC2 service model (shapes only, src/api/ec2-shapes.json) drives both directions
// of the wire: Decode walks an operation's input shape over the flattened query parameters
// into a value tree keyed by member names; Encode walks the output shape over a handler's
// value tree and writes EC2's XML. Handlers never see parameter names or write XML.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace openvpc::api {

using Params = std::map<std::string, std::string>;  // decoded query/form parameters

class ShapeModel {
 public:
  // The model compiled into the binary.
  static const ShapeModel& Builtin();
  explicit ShapeModel(const std::string& json_text);
  ~ShapeModel();

  bool HasOperation(const std::string& op) const;
  bool HasInputMember(const std::string& op, const std::string& member) const;

  // Throws model::Error: UnknownParameter, MissingParameter, InvalidParameterValue.
  // Action, Version and presigned-URL auth parameters are ignored.
  nlohmann::json Decode(const std::string& op, const Params& params) const;

  // The XML body of a successful response. With `strict`, a member the output shape does not
  // define throws (a handler bug, caught by the tests) instead of being dropped.
  std::string Encode(const std::string& op, const nlohmann::json& output, const std::string& request_id,
                     bool strict) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string XmlEscape(const std::string& s);
std::string ErrorXml(const std::string& code, const std::string& message, const std::string& request_id);

}  // namespace openvpc::api
