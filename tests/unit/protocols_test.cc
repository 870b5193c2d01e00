// The Query and JSON protocols of ShapeModel, on a small model written here the way
// scripts/gen_shapes.py writes botocore's: lists as Key.member.N (or Key.N when flattened), maps
// as Key.entry.N.key/value, the <OpResult> wrapper and <ErrorResponse> of Query; JSON bodies, AWS's
// validation messages, epoch-second timestamps and {"__type"} errors of JSON. (STS's one
// operation has no input, so the service tests cannot exercise the Query decoder.) Members come in
// the order the model file lists them: gen_shapes.py writes them sorted by name.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "api/shape_model.h"
#include "error_code.h"
#include "model/error.h"

using namespace openvpc::api;
using nlohmann::json;
using openvpc::testing::CodeOf;

namespace {

json Shapes() {
  return {
      {"Input", {{"type", "structure"},
                 {"required", {"Name"}},
                 {"members", {{"Name", {{"shape", "Name"}}},
                              {"Names", {{"shape", "NameList"}}},
                              {"Flat", {{"shape", "FlatList"}}},
                              {"Attributes", {{"shape", "AttributeMap"}}},
                              {"Count", {{"shape", "Count"}}},
                              {"Kind", {{"shape", "Kind"}}},
                              {"When", {{"shape", "When"}}}}}}},
      {"Output", {{"type", "structure"},
                  {"members", {{"Names", {{"shape", "NameList"}}},
                               {"Attributes", {{"shape", "AttributeMap"}}},
                               {"When", {{"shape", "When"}}},
                               {"Count", {{"shape", "Count"}}}}}}},
      {"Name", {{"type", "string"}, {"min", 1}, {"max", 8}}},
      {"NameList", {{"type", "list"}, {"member", {{"shape", "Name"}}}, {"max", 2}}},
      {"FlatList", {{"type", "list"}, {"member", {{"shape", "Name"}}}, {"flattened", true}}},
      {"AttributeMap", {{"type", "map"}, {"key", {{"shape", "Name"}}}, {"value", {{"shape", "Name"}}}}},
      {"Count", {{"type", "integer"}, {"min", 1}, {"max", 10}}},
      {"Kind", {{"type", "string"}, {"enum", {"a", "b"}}}},
      {"When", {{"type", "timestamp"}}},
  };
}

ShapeModel Model(const std::string& protocol) {
  json m = {{"metadata", {{"protocol", protocol}, {"signingName", "test"}, {"targetPrefix", "Test_1"},
                          {"jsonVersion", "1.1"}, {"xmlNamespace", "https://test.example/doc/"}}},
            {"operations", {{"Op", {{"input", "Input"}, {"output", "Output"}, {"resultWrapper", "OpResult"}}}}},
            {"shapes", Shapes()}};
  return ShapeModel(m.dump());
}

TEST(QueryProtocol, DecodesMemberListsFlattenedListsAndMaps) {
  ShapeModel m = Model("query");
  json in = m.Decode("Op", {{"Action", "Op"},
                            {"Name", "n"},
                            {"Names.member.2", "y"},
                            {"Names.member.1", "x"},
                            {"Flat.1", "f"},
                            {"Attributes.entry.1.key", "k"},
                            {"Attributes.entry.1.value", "v"},
                            {"Count", "3"}});
  EXPECT_EQ(in["Names"], json::array({"x", "y"}));
  EXPECT_EQ(in["Flat"], json::array({"f"}));
  EXPECT_EQ(in["Attributes"], json({{"k", "v"}}));
  EXPECT_EQ(in["Count"], 3);
  // EC2's flattening is not Query's: Names.1 is no parameter of this operation.
  EXPECT_EQ(CodeOf([&] { m.Decode("Op", {{"Name", "n"}, {"Names.1", "x"}}); }), "UnknownParameter");
  // A required member missing: a query service's ValidationError, in AWS's words.
  try {
    m.Decode("Op", {{"Count", "3"}});
    ADD_FAILURE() << "a missing required member was accepted";
  } catch (const openvpc::model::Error& e) {
    EXPECT_EQ(e.code, "ValidationError");
    EXPECT_STREQ(e.what(), "1 validation error detected: Value null at 'name' failed to satisfy constraint: "
                           "Member must not be null");
  }
  EXPECT_EQ(CodeOf([&] { m.Decode("Op", {{"Name", "n"}, {"Attributes.entry.1.value", "v"}}); }), "MissingParameter");
}

TEST(QueryProtocol, EncodesTheResultWrapperMembersAndEntries) {
  ShapeModel m = Model("query");
  std::string xml = m.Encode("Op", {{"Names", {"a"}}, {"Attributes", {{"k", "v"}}}}, "req-1", true);
  EXPECT_EQ(xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<OpResponse xmlns=\"https://test.example/doc/\"><OpResult>"
            "<Attributes><entry><key>k</key><value>v</value></entry></Attributes><Names><member>a</member></Names>"
            "</OpResult><ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></OpResponse>");
  std::string error = m.ErrorBody("Throttling", "slow <down>", "req-2", 400);
  EXPECT_NE(error.find("<ErrorResponse xmlns=\"https://test.example/doc/\"><Error><Type>Sender</Type><Code>Throttling"
                       "</Code><Message>slow &lt;down&gt;</Message></Error><RequestId>req-2</RequestId>"),
            std::string::npos);
  EXPECT_NE(m.ErrorBody("InternalFailure", "x", "r", 500).find("<Type>Receiver</Type>"), std::string::npos);
  EXPECT_EQ(m.ContentType(), "text/xml");
}

TEST(JsonProtocol, DecodesABody) {
  ShapeModel m = Model("json");
  json in = m.DecodeJson("Op", R"({"Name": "n", "Names": ["x"], "Attributes": {"k": "v"}, "Count": 2,
                                   "Kind": "a", "Unknown": 1})");
  EXPECT_EQ(in, json({{"Name", "n"}, {"Names", {"x"}}, {"Attributes", {{"k", "v"}}}, {"Count", 2}, {"Kind", "a"}}));
  EXPECT_EQ(m.target_prefix(), "Test_1");
  EXPECT_EQ(m.ContentType(), "application/x-amz-json-1.1");
}

TEST(JsonProtocol, RefusesInAwsWords) {
  ShapeModel m = Model("json");
  auto message = [&](const std::string& body) {
    try {
      m.DecodeJson("Op", body);
    } catch (const openvpc::model::Error& e) {
      return e.code + ": " + e.what();
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("{}"), "ValidationException: 1 validation error detected: Value null at 'name' failed to satisfy "
                           "constraint: Member must not be null");
  EXPECT_EQ(message(R"({"Name": "", "Count": 11})"),
            "ValidationException: 2 validation errors detected: Value '11' at 'count' failed to satisfy constraint: "
            "Member must have value less than or equal to 10; Value '' at 'name' failed to satisfy constraint: "
            "Member must have length greater than or equal to 1");
  EXPECT_EQ(message(R"({"Name": "n", "Kind": "c"})"),
            "ValidationException: 1 validation error detected: Value 'c' at 'kind' failed to satisfy constraint: "
            "Member must satisfy enum value set: [a, b]");
  EXPECT_EQ(message(R"({"Name": "n", "Names": ["a", "b", "c"]})"),
            "ValidationException: 1 validation error detected: Value '[a, b, c]' at 'names' failed to satisfy "
            "constraint: Member must have length less than or equal to 2");
  EXPECT_EQ(CodeOf([&] { m.DecodeJson("Op", R"({"Name": 5})"); }), "SerializationException");
  EXPECT_EQ(CodeOf([&] { m.DecodeJson("Op", "{not json"); }), "SerializationException");
  EXPECT_EQ(CodeOf([&] { m.DecodeJson("Op", "[]"); }), "SerializationException");
  EXPECT_EQ(message(R"({"Name": "n"})"), "accepted");  // the control: the same path, valid
}

TEST(JsonProtocol, EncodesEpochSecondsAndErrors) {
  ShapeModel m = Model("json");
  json out = json::parse(m.Encode("Op", {{"When", "2024-12-12T19:04:41.000Z"}, {"Count", 4}}, "r", true));
  EXPECT_EQ(out, json({{"When", 1734030281.0}, {"Count", 4}}));
  EXPECT_EQ(CodeOf([&] { m.Encode("Op", {{"Extra", 1}}, "r", true); }), "InternalError");
  EXPECT_EQ(json::parse(m.ErrorBody("ParameterNotFound", "", "r", 400)),
            json({{"__type", "ParameterNotFound"}, {"message", ""}}));
}

TEST(ShapeModels, EveryServiceCompiledInIsFoundByItsSigningName) {
  EXPECT_EQ(ShapeModel::Services(), (std::vector<std::string>{"ec2", "elasticloadbalancing", "ssm", "sts"}));
  EXPECT_EQ(ShapeModel::ForService("elasticloadbalancing")->protocol(), Protocol::kQuery);
  EXPECT_EQ(ShapeModel::ForService("sts")->protocol(), Protocol::kQuery);
  EXPECT_EQ(ShapeModel::ForService("ssm")->protocol(), Protocol::kJson);
  EXPECT_EQ(&ShapeModel::Builtin(), ShapeModel::ForService("ec2"));
  EXPECT_EQ(ShapeModel::ForService("rds"), nullptr);
}

}  // namespace
