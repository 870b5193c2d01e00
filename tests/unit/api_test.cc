// The wire layer: shape-driven decode/encode, SigV4 and the Describe engine.
#include <gtest/gtest.h>

#include "error_code.h"

#include <nlohmann/json.hpp>

#include "api/describe.h"
#include "api/shape_model.h"
#include "api/sigv4.h"
#include "model/error.h"

using namespace openvpc::api;
using nlohmann::json;

namespace {

using openvpc::testing::CodeOf;


TEST(ShapeModel, DecodesFlattenedListsAndStructures) {
  const ShapeModel& m = ShapeModel::Builtin();
  json in = m.Decode("DescribeVpcs", {{"Action", "DescribeVpcs"},
                                      {"Version", "2016-11-15"},
                                      {"Filter.1.Name", "tag:Name"},
                                      {"Filter.1.Value.1", "a"},
                                      {"Filter.1.Value.2", "b"},
                                      {"VpcId.1", "vpc-1"},
                                      {"MaxResults", "5"}});
  EXPECT_EQ(in["VpcIds"], json::array({"vpc-1"}));
  EXPECT_EQ(in["Filters"][0]["Name"], "tag:Name");
  EXPECT_EQ(in["Filters"][0]["Values"], json::array({"a", "b"}));
  EXPECT_EQ(in["MaxResults"], 5);
  json tags = m.Decode("CreateVpc", {{"CidrBlock", "10.0.0.0/16"},
                                     {"TagSpecification.1.ResourceType", "vpc"},
                                     {"TagSpecification.1.Tag.1.Key", "Name"},
                                     {"TagSpecification.1.Tag.1.Value", "x"},
                                     {"AmazonProvidedIpv6CidrBlock", "true"}});
  EXPECT_EQ(tags["TagSpecifications"][0]["Tags"][0]["Value"], "x");
  EXPECT_EQ(tags["AmazonProvidedIpv6CidrBlock"], true);
}

TEST(ShapeModel, RefusesWhatTheShapeDoesNotAllow) {
  const ShapeModel& m = ShapeModel::Builtin();
  EXPECT_EQ(CodeOf([&] { m.Decode("DescribeVpcs", {{"Foo", "1"}}); }), "UnknownParameter");
  EXPECT_EQ(CodeOf([&] { m.Decode("DeleteVpc", {}); }), "MissingParameter");
  EXPECT_EQ(CodeOf([&] { m.Decode("DescribeVpcs", {{"MaxResults", "abc"}}); }), "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { m.Decode("DescribeVpcs", {{"MaxResults", "4"}}); }), "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { m.Decode("DescribeVpcs", {{"MaxResults", "1001"}}); }), "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { m.Decode("CreateVpc", {{"InstanceTenancy", "shared"}}); }), "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { m.Decode("CreateVpc", {{"DryRun", "maybe"}}); }), "InvalidParameterValue");
}

TEST(ShapeModel, EncodesLocationNamesItemsAndBooleans) {
  const ShapeModel& m = ShapeModel::Builtin();
  json out = {{"Vpcs", json::array({{{"VpcId", "vpc-1"}, {"IsDefault", false}, {"Tags", json::array({{{"Key", "a&b"}, {"Value", "<"}}})}}})}};
  std::string xml = m.Encode("DescribeVpcs", out, "req-1", true);
  EXPECT_NE(xml.find("<DescribeVpcsResponse xmlns=\"http://ec2.amazonaws.com/doc/2016-11-15/\"><requestId>req-1</requestId>"),
            std::string::npos);
  EXPECT_NE(xml.find("<vpcSet><item><isDefault>false</isDefault><tagSet><item><key>a&amp;b</key><value>&lt;</value></item></tagSet><vpcId>vpc-1</vpcId></item></vpcSet>"),
            std::string::npos)
      << xml;
  // A member outside the output shape is a bug, refused in strict mode.
  json bad = {{"Vpcs", json::array({{{"NotAMember", 1}}})}};
  EXPECT_EQ(CodeOf([&] { m.Encode("DescribeVpcs", bad, "r", true); }), "InternalError");
}

TEST(Describe, WildcardsAsAwsHasThem) {
  EXPECT_TRUE(WildcardMatch("*", ""));
  EXPECT_TRUE(WildcardMatch("web-*", "web-1"));
  EXPECT_TRUE(WildcardMatch("?b?", "abc"));
  EXPECT_FALSE(WildcardMatch("?b?", "abcd"));
  EXPECT_TRUE(WildcardMatch("a*c*e", "abcde"));
  EXPECT_TRUE(WildcardMatch("a\\*", "a*"));
  EXPECT_FALSE(WildcardMatch("a\\*", "ab"));
  EXPECT_FALSE(WildcardMatch("10.0.0.0/16", "10.0.0.0/24"));
}

TEST(Describe, FiltersIdsAndPages) {
  DescribeSpec spec{.ids_member = "VpcIds", .id_path = "VpcId", .list_member = "Vpcs",
                    .not_found_code = "InvalidVpcID.NotFound", .not_found_noun = "vpc",
                    .filters = {{"cidr-block-association.cidr-block", {"CidrBlockAssociationSet.CidrBlock"}}},
                    .max_results = {1, 1000}};  // pages of 3 below
  std::vector<json> items;
  for (int i = 0; i < 7; ++i)
    items.push_back({{"VpcId", "vpc-" + std::to_string(i)},
                     {"CidrBlockAssociationSet", json::array({{{"CidrBlock", "10." + std::to_string(i % 2) + ".0.0/16"}}})},
                     {"Tags", json::array({{{"Key", "Name"}, {"Value", i < 3 ? "web" : "db"}}})}});
  json r = Describe(spec, {{"Filters", json::array({{{"Name", "cidr-block-association.cidr-block"}, {"Values", {"10.1.*"}}}})}}, items);
  EXPECT_EQ(r["Vpcs"].size(), 3u);
  r = Describe(spec, {{"Filters", json::array({{{"Name", "tag:Name"}, {"Values", {"web"}}}})}}, items);
  EXPECT_EQ(r["Vpcs"].size(), 3u);
  EXPECT_EQ(CodeOf([&] { Describe(spec, {{"Filters", json::array({{{"Name", "nope"}, {"Values", {"x"}}}})}}, items); }),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { Describe(spec, {{"VpcIds", {"vpc-9"}}}, items); }), "InvalidVpcID.NotFound");
  // Pages of 3 visit every item once.
  std::set<std::string> seen;
  json page = {{"MaxResults", 3}};
  for (;;) {
    r = Describe(spec, page, items);
    for (const auto& v : r["Vpcs"]) EXPECT_TRUE(seen.insert(v["VpcId"].get<std::string>()).second);
    if (!r.contains("NextToken")) break;
    page["NextToken"] = r["NextToken"];
  }
  EXPECT_EQ(seen.size(), 7u);
}

// MaxResults outside the operation's range is refused before any paging: 0 and -1 (with a
// token) once read before the start of the list (issue 11's remote crash).
TEST(Describe, MaxResultsOutsideTheRangeIsInvalidParameterValue) {
  DescribeSpec spec{.ids_member = "InstanceIds", .id_path = "InstanceId", .list_member = "Instances",
                    .not_found_code = "InvalidInstanceID.NotFound", .not_found_noun = "instance",
                    .max_results_excludes_ids = true, .ids_parameter = "instancesSet"};
  std::vector<json> items;
  for (int i = 0; i < 7; ++i) items.push_back({{"InstanceId", "i-" + std::to_string(i)}});
  for (long long n : std::initializer_list<long long>{0, -1, 4, 1001, INT32_MAX + 1LL, INT64_MIN})
    EXPECT_EQ(CodeOf([&] { Describe(spec, {{"MaxResults", n}}, items); }), "InvalidParameterValue") << n;
  json first = Describe(spec, {{"MaxResults", 5}}, items);
  ASSERT_EQ(first["Instances"].size(), 5u);
  EXPECT_EQ(CodeOf([&] { Describe(spec, {{"MaxResults", -1}, {"NextToken", first["NextToken"]}}, items); }),
            "InvalidParameterValue");
  EXPECT_EQ(Describe(spec, {{"MaxResults", 5}, {"NextToken", first["NextToken"]}}, items)["Instances"].size(), 2u);
  EXPECT_EQ(CodeOf([&] { Describe(spec, {{"MaxResults", 5}, {"InstanceIds", {"i-1"}}}, items); }),
            "InvalidParameterCombination");
}

TEST(SigV4, MatchesTheAwsTestSuiteDerivation) {
  // The signing key chain of AWS's published example (the "iam" GET example in AWS's SigV4 docs).
  std::string k = HmacSha256("AWS4wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20150830");
  k = HmacSha256(k, "us-east-1");
  k = HmacSha256(k, "iam");
  k = HmacSha256(k, "aws4_request");
  std::string hex;
  for (unsigned char c : k) {
    static const char* d = "0123456789abcdef";
    hex += d[c >> 4];
    hex += d[c & 15];
  }
  EXPECT_EQ(hex, "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(CanonicalQueryString("b=2&a=1&c=%2F", false), "a=1&b=2&c=%2F");
}

TEST(SigV4, RefusesMissingAndMalformedAuthorization) {
  std::map<std::string, Credential> creds = {{"test", {"test", "test", "123456789012"}}};
  HttpRequestView req{.method = "POST", .path = "/", .headers = {{"Host", "localhost"}}, .body = "Action=DescribeVpcs"};
  auto now = std::chrono::system_clock::now();
  EXPECT_EQ(CodeOf([&] { VerifySigV4(req, creds, now); }), "MissingAuthenticationToken");
  req.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/ec2/aws4_request"});
  EXPECT_EQ(CodeOf([&] { VerifySigV4(req, creds, now); }), "IncompleteSignature");
}

}  // namespace
