// The IAM policy evaluator (model/policy.h). Each test names what it checks: an inventory rule of
// shared/spec/inventory-privatelink.md §9 (POL-*), or the IAM documentation page, by title.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "error_code.h"

#include "model/error.h"
#include "model/policy.h"

using namespace openvpc::model;
using openvpc::testing::CodeOf;

namespace {

const char* const kAlice = "arn:aws:iam::123456789012:user/alice";

PolicyRequest Req(std::string action, std::string resource, std::string arn = kAlice) {
  PolicyRequest r;
  r.principal.arn = std::move(arn);
  r.action = std::move(action);
  r.resource = std::move(resource);
  return r;
}

// One Allow statement for everyone on everything, with CONDITION (a JSON object).
Policy WithCondition(const std::string& condition, const std::string& version = "2012-10-17") {
  return ParsePolicy(R"({"Version":")" + version +
                     R"(","Statement":{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*","Condition":)" +
                     condition + "}}");
}

bool Holds(const Policy& p, PolicyContext context) {
  auto r = Req("s3:GetObject", "arn:aws:s3:::b/k");
  r.context = std::move(context);
  return Allows(p, r);
}
bool Holds(const std::string& condition, PolicyContext context) { return Holds(WithCondition(condition), std::move(context)); }

std::string Bad(const std::string& doc, PolicyParseOptions o = {}) {
  o.error_code = "TestCode";
  return CodeOf([&] { ParsePolicy(doc, o); });
}

const PolicyParseOptions kEndpoint{.error_code = "MalformedPolicy", .require_principal = true, .max_chars = 20480};

// ---- the document ----

TEST(PolicyDocument, DefaultEndpointPolicyIsTheApiFormAndAllowsEveryone) {  // POL-05
  EXPECT_EQ(DefaultEndpointPolicy(), R"({"Statement":[{"Action":"*","Effect":"Allow","Principal":"*","Resource":"*"}]})");
  Policy p = ParsePolicy(DefaultEndpointPolicy(), kEndpoint);
  EXPECT_EQ(p.version(), "");  // "no Version key in the default"
  EXPECT_TRUE(Allows(p, Req("s3:PutObject", "arn:aws:s3:::any/thing")));
  auto anon = Req("dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:1:table/t", "");
  anon.principal.anonymous = true;
  EXPECT_TRUE(Allows(p, anon));
}

TEST(PolicyDocument, StatementIsAnObjectOrAnArray) {  // IAM JSON policy language grammar
  Policy a = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"s3:*"}})");
  Policy b = ParsePolicy(R"({"Id":"x","Statement":[{"Sid":"1","Effect":"Allow","Action":"s3:*"},
                                                  {"Effect":"Deny","Action":"ec2:*"}]})");
  EXPECT_EQ(a.statement_count(), 1u);
  EXPECT_EQ(b.statement_count(), 2u);
  EXPECT_EQ(b.id(), "x");
}

TEST(PolicyDocument, VersionIsOneOfTwoOrAbsent) {  // IAM JSON policy elements: Version
  EXPECT_EQ(ParsePolicy(R"({"Version":"2008-10-17","Statement":{"Effect":"Allow","Action":"*"}})").version(),
            "2008-10-17");
  EXPECT_EQ(Bad(R"({"Version":"2013-01-01","Statement":{"Effect":"Allow","Action":"*"}})"), "TestCode");
  EXPECT_EQ(Bad(R"({"Version":20121017,"Statement":{"Effect":"Allow","Action":"*"}})"), "TestCode");
}

TEST(PolicyDocument, MalformedDocumentsThrowTheCallersCode) {  // POL-01: a JSON IAM policy
  for (const char* doc : {
           "", "{", "[]", "\"x\"", R"({"Statement":"x"})", R"({"Statement":[]})", R"({"Statement":{}})",
           R"({"Version":"2012-10-17"})", R"({"Statement":[1]})", R"({"Statment":{"Effect":"Allow","Action":"*"}})",
           R"({"Statement":{"Effect":"Allow","Action":"*","Actions":"*"}})",
           R"({"Statement":{"Effect":1,"Action":"*"}})", R"({"Statement":{"Effect":"Allow","Action":5}})",
           R"({"Statement":{"Effect":"Allow","Action":[]}})", R"({"Statement":{"Effect":"Allow","Action":[""]}})",
           R"({"Statement":{"Effect":"Allow","Action":"GetObject"}})",
           R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"bucket"}})",
           R"({"Statement":{"Effect":"Allow","Action":"*","Condition":[]}})",
           R"({"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":[]}}}})",
           R"({"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":{"a":1}}}}})",
           R"({"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEquals":{"k":null}}}})",
       }) {
    EXPECT_EQ(Bad(doc), "TestCode") << doc;
  }
}

TEST(PolicyDocument, EffectIsAllowOrDenyExactly) {  // IAM JSON policy elements: Effect
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"allow","Action":"*"}})"), "TestCode");
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Permit","Action":"*"}})"), "TestCode");
  EXPECT_EQ(Bad(R"({"Statement":{"Action":"*"}})"), "TestCode");
}

TEST(PolicyDocument, ExactlyOneOfActionAndNotAction) {  // IAM JSON policy elements: NotAction
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Allow","Action":"*","NotAction":"s3:*"}})"), "TestCode");
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Allow","Resource":"*"}})"), "TestCode");
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*","NotResource":"*"}})"), "TestCode");
}

TEST(PolicyDocument, PrincipalAndNotPrincipalExcludeEachOther) {  // AWS JSON policy elements: Principal
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":"*","NotPrincipal":{"AWS":"*"}}})"),
            "TestCode");
}

TEST(PolicyDocument, EndpointPoliciesNeedAPrincipal) {  // POL-02
  std::string doc = R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"*"}})";
  EXPECT_EQ(CodeOf([&] { ParsePolicy(doc, kEndpoint); }), "MalformedPolicy");
  EXPECT_EQ(CodeOf([&] { ParsePolicy(doc); }), "");  // not required: a bucket-less, principal-less test policy
  EXPECT_EQ(CodeOf([&] {
              ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","NotPrincipal":{"AWS":"111111111111"}}})",
                          kEndpoint);
            }),
            "");
}

TEST(PolicyDocument, SizeLimitCountsCharactersIncludingWhitespace) {  // POL-03
  std::string head = R"({"Statement":{"Sid":")", tail = R"(","Effect":"Allow","Principal":"*","Action":"*"}})";
  std::string fits = head + std::string(20480 - head.size() - tail.size(), 'x') + tail;
  ASSERT_EQ(fits.size(), 20480u);
  EXPECT_EQ(CodeOf([&] { ParsePolicy(fits, kEndpoint); }), "");
  EXPECT_EQ(CodeOf([&] { ParsePolicy(fits + " ", kEndpoint); }), "MalformedPolicy");  // whitespace counts
  // Characters, not bytes: 20,480 'é' (2 bytes each in UTF-8) less the frame still fit.
  std::string wide = head;
  for (std::size_t i = 0; i < 20480 - head.size() - tail.size(); ++i) wide += "\xC3\xA9";
  wide += tail;
  EXPECT_EQ(CodeOf([&] { ParsePolicy(wide, kEndpoint); }), "");
  PolicyParseOptions unlimited;
  unlimited.max_chars = 0;
  EXPECT_EQ(CodeOf([&] { ParsePolicy(fits + std::string(50000, ' '), unlimited); }), "");
}

TEST(PolicyDocument, UnknownConditionOperatorIsNamedInTheError) {  // Condition operators
  try {
    ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","Condition":{"StringEqualz":{"k":"v"}}}})",
                {.error_code = "MalformedPolicyDocument"});
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, "MalformedPolicyDocument");
    EXPECT_NE(std::string(e.what()).find("StringEqualz"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("Statement 1"), std::string::npos) << e.what();
  }
  // "You can add IfExists to the end of any condition operator name except the Null condition."
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Allow","Action":"*","Condition":{"NullIfExists":{"k":"true"}}}})"),
            "TestCode");
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Allow","Action":"*","Condition":{"ForAnyValues:StringLike":{"k":"v"}}}})"),
            "TestCode");
  EXPECT_EQ(Bad(R"({"Statement":{"Effect":"Allow","Action":"*","Condition":{"IfExists":{"k":"v"}}}})"), "TestCode");
}

TEST(PolicyDocument, ConditionValuesMustSuitTheOperator) {  // Condition operators: each family's values
  for (const char* cond : {R"({"NumericEquals":{"k":"ten"}})", R"({"NumericLessThan":{"k":"inf"}})",
                           R"({"DateLessThan":{"k":"yesterday"}})", R"({"DateEquals":{"k":"2020-02-30T00:00:00Z"}})",
                           R"({"Bool":{"k":"yes"}})", R"({"Null":{"k":"maybe"}})", R"({"IpAddress":{"k":"10.0.0.0/33"}})",
                           R"({"NotIpAddress":{"k":"10.0.0"}})", R"({"BinaryEquals":{"k":"!!!!"}})"}) {
    EXPECT_EQ(Bad(std::string(R"({"Statement":{"Effect":"Allow","Action":"*","Condition":)") + cond + "}}"),
              "TestCode")
        << cond;
  }
}

TEST(PolicyDocument, PrincipalGrammar) {  // AWS JSON policy elements: Principal
  for (const char* pr : {R"("arn:aws:iam::123456789012:root")", R"({"AWS":"alice"})", R"({"Users":"*"})", R"({})",
                         R"({"AWS":[]})", R"(["*"])"}) {
    EXPECT_EQ(Bad(std::string(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":)") + pr + "}}"), "TestCode")
        << pr;
  }
}

// ---- evaluation logic ----

TEST(PolicyEvaluation, ExplicitDenyWinsOverAllow) {  // Policy evaluation logic
  Policy p = ParsePolicy(R"({"Statement":[
      {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
      {"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::b/*"}]})");
  EXPECT_EQ(Evaluate(p, Req("s3:GetObject", "arn:aws:s3:::b/k")), PolicyDecision::kAllow);
  EXPECT_EQ(Evaluate(p, Req("s3:DeleteObject", "arn:aws:s3:::b/k")), PolicyDecision::kExplicitDeny);
  EXPECT_EQ(Evaluate(p, Req("s3:DeleteObject", "arn:aws:s3:::c/k")), PolicyDecision::kAllow);
}

TEST(PolicyEvaluation, NoMatchingAllowIsAnImplicitDeny) {  // Policy evaluation logic
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}})");
  EXPECT_EQ(Evaluate(p, Req("s3:PutObject", "arn:aws:s3:::b/k")), PolicyDecision::kImplicitDeny);
  EXPECT_EQ(Evaluate(Policy(), Req("s3:GetObject", "arn:aws:s3:::b/k")), PolicyDecision::kImplicitDeny);
  Policy deny_only = ParsePolicy(R"({"Statement":{"Effect":"Deny","Principal":"*","Action":"ec2:*"}})");
  EXPECT_EQ(Evaluate(deny_only, Req("s3:GetObject", "arn:aws:s3:::b/k")), PolicyDecision::kImplicitDeny);
}

TEST(PolicyEvaluation, BucketRestrictionExample) {  // POL-12, AT-14
  Policy p = ParsePolicy(R"({"Statement":[{"Sid":"Access-to-specific-bucket-only","Principal":"*",
      "Action":["s3:GetObject"],"Effect":"Allow","Resource":["arn:aws:s3:::bucket-x","arn:aws:s3:::bucket-x/*"]}]})",
                         kEndpoint);
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::bucket-x/a/b.txt")));
  EXPECT_FALSE(Allows(p, Req("s3:PutObject", "arn:aws:s3:::bucket-x/a/b.txt")));
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::bucket-y/a/b.txt")));
}

TEST(PolicyEvaluation, ActionsCompareWithoutCaseAndWithWildcards) {  // IAM JSON policy elements: Action
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":["S3:get*","dynamodb:?escribeTable"]}})");
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k")));
  EXPECT_TRUE(Allows(p, Req("s3:GETOBJECTACL", "arn:aws:s3:::b/k")));
  EXPECT_TRUE(Allows(p, Req("DynamoDB:DescribeTable", "arn:aws:dynamodb:us-east-1:1:table/t")));
  EXPECT_FALSE(Allows(p, Req("dynamodb:DDescribeTable", "arn:aws:dynamodb:us-east-1:1:table/t")));
  EXPECT_FALSE(Allows(p, Req("s3:PutObject", "arn:aws:s3:::b/k")));
  EXPECT_FALSE(Allows(p, Req("s3x:GetObject", "arn:aws:s3:::b/k")));
}

TEST(PolicyEvaluation, ResourcesCompareWithCaseAndWithWildcards) {  // IAM JSON policy elements: Resource
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*",
      "Resource":["arn:aws:s3:::Bucket/*","arn:aws:dynamodb:*:123456789012:table/t?"]}})");
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::Bucket/x/y")));
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::bucket/x/y")));
  EXPECT_FALSE(Allows(p, Req("s3:ListBucket", "arn:aws:s3:::Bucket")));
  EXPECT_TRUE(Allows(p, Req("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/t1")));
  EXPECT_FALSE(Allows(p, Req("dynamodb:GetItem", "arn:aws:dynamodb:eu-west-1:123456789012:table/t12")));
}

TEST(PolicyEvaluation, AbsentResourceMatchesEveryResource) {  // the brief: lenient, no restriction
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Principal":"*","Action":"s3:GetObject"}})");
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::anything")));
}

TEST(PolicyEvaluation, NotActionMatchesEveryOtherAction) {  // IAM JSON policy elements: NotAction
  Policy p = ParsePolicy(R"({"Statement":[{"Effect":"Allow","Action":"*"},
      {"Effect":"Deny","NotAction":["s3:Get*","s3:List*"],"Resource":"*"}]})");
  EXPECT_EQ(Evaluate(p, Req("s3:GetObject", "arn:aws:s3:::b/k")), PolicyDecision::kAllow);
  EXPECT_EQ(Evaluate(p, Req("s3:PutObject", "arn:aws:s3:::b/k")), PolicyDecision::kExplicitDeny);
}

TEST(PolicyEvaluation, NotResourceMatchesEveryOtherResource) {  // IAM JSON policy elements: NotResource
  Policy p = ParsePolicy(R"({"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},
      {"Effect":"Deny","Action":"s3:*","NotResource":["arn:aws:s3:::mine","arn:aws:s3:::mine/*"]}]})");
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::mine/k")));
  EXPECT_EQ(Evaluate(p, Req("s3:GetObject", "arn:aws:s3:::theirs/k")), PolicyDecision::kExplicitDeny);
}

// ---- principals ----

TEST(PolicyPrincipals, StarAndAwsStarMatchEveryoneIncludingAnonymous) {  // Principal: all principals
  auto anon = Req("s3:GetObject", "arn:aws:s3:::b/k", "");
  anon.principal.anonymous = true;
  for (const char* pr : {R"("*")", R"({"AWS":"*"})", R"({"AWS":["*"]})"}) {
    Policy p = ParsePolicy(std::string(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":)") + pr + "}}");
    EXPECT_TRUE(Allows(p, anon)) << pr;
    EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k"))) << pr;
  }
  Policy acct = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":"123456789012"}}})");
  EXPECT_FALSE(Allows(acct, anon));
}

TEST(PolicyPrincipals, AccountIdMeansTheAccountsRootAndAdmitsItsPrincipals) {  // Principal: AWS account principals
  for (const char* pr : {R"("123456789012")", R"("arn:aws:iam::123456789012:root")"}) {
    Policy p = ParsePolicy(std::string(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":)") + pr +
                           "}}}");
    EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::123456789012:root"))) << pr;
    EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", kAlice))) << pr;
    EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:sts::123456789012:assumed-role/r/s")));
    EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::210987654321:user/alice"))) << pr;
  }
  // The account may come from the request rather than the ARN.
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":"123456789012"}}})");
  PolicyRequest r = Req("s3:GetObject", "arn:aws:s3:::b/k", "");
  r.principal.account_id = "123456789012";
  EXPECT_TRUE(Allows(p, r));
}

TEST(PolicyPrincipals, GatewayEndpointAccountPrincipalAdmitsOnlyRoot) {  // POL-09
  PolicyParseOptions o = kEndpoint;
  o.account_principal_is_root_only = true;
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":"123456789012"}}})", o);
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::123456789012:root")));
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", kAlice)));
}

TEST(PolicyPrincipals, OtherArnsMatchExactlyAndRolesNameTheirSessions) {  // Principal: IAM users, roles, sessions
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":{"AWS":[
      "arn:aws:iam::123456789012:user/alice","arn:aws:iam::123456789012:role/ops/deployer","arn:aws:iam::1:user/*"]}}})");
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", kAlice)));
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::123456789012:user/Alice")));
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::123456789012:user/bob")));
  EXPECT_TRUE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:sts::123456789012:assumed-role/deployer/s1")));
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:sts::123456789012:assumed-role/other/s1")));
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:sts::999999999999:assumed-role/deployer/s")));
  // No wildcards inside a principal ARN: "user/*" is literal.
  EXPECT_FALSE(Allows(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::1:user/carol")));
}

TEST(PolicyPrincipals, ServicePrincipalsMatchTheirType) {  // Principal: AWS service principals
  Policy p = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","Principal":{"Service":"ec2.amazonaws.com"}}})");
  PolicyRequest svc = Req("sts:AssumeRole", "arn:aws:iam::1:role/r", "ec2.amazonaws.com");
  svc.principal.type = PrincipalType::kService;
  EXPECT_TRUE(Allows(p, svc));
  EXPECT_FALSE(Allows(p, Req("sts:AssumeRole", "arn:aws:iam::1:role/r", "ec2.amazonaws.com")));  // not an AWS type
  svc.principal.arn = "lambda.amazonaws.com";
  EXPECT_FALSE(Allows(p, svc));
}

TEST(PolicyPrincipals, NotPrincipalMatchesEveryoneElse) {  // AWS JSON policy elements: NotPrincipal
  Policy p = ParsePolicy(R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"*"},
      {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:user/alice"},"Action":"*"}]})");
  EXPECT_EQ(Evaluate(p, Req("s3:GetObject", "arn:aws:s3:::b/k", kAlice)), PolicyDecision::kAllow);
  EXPECT_EQ(Evaluate(p, Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:iam::123456789012:user/bob")),
            PolicyDecision::kExplicitDeny);
  auto anon = Req("s3:GetObject", "arn:aws:s3:::b/k", "");
  anon.principal.anonymous = true;
  EXPECT_EQ(Evaluate(p, anon), PolicyDecision::kExplicitDeny);
}

// ---- conditions ----

TEST(PolicyConditions, StringOperators) {  // Condition operators: String condition operators
  EXPECT_TRUE(Holds(R"({"StringEquals":{"aws:username":"johndoe"}})", {{"aws:username", {"johndoe"}}}));
  EXPECT_FALSE(Holds(R"({"StringEquals":{"aws:username":"johndoe"}})", {{"aws:username", {"JohnDoe"}}}));
  EXPECT_TRUE(Holds(R"({"StringEqualsIgnoreCase":{"aws:username":"johndoe"}})", {{"aws:username", {"JohnDoe"}}}));
  EXPECT_FALSE(Holds(R"({"StringNotEqualsIgnoreCase":{"aws:username":"johndoe"}})", {{"aws:username", {"JOHNDOE"}}}));
  EXPECT_TRUE(Holds(R"({"StringNotEquals":{"aws:username":"johndoe"}})", {{"aws:username", {"JohnDoe"}}}));
  EXPECT_TRUE(Holds(R"({"StringLike":{"s3:prefix":"home/*/docs?"}})", {{"s3:prefix", {"home/a/b/docs1"}}}));
  EXPECT_FALSE(Holds(R"({"StringLike":{"s3:prefix":"home/*/docs?"}})", {{"s3:prefix", {"Home/a/docs1"}}}));
  EXPECT_TRUE(Holds(R"({"StringNotLike":{"s3:prefix":"tmp/*"}})", {{"s3:prefix", {"home/x"}}}));
  // StringEquals takes no wildcards.
  EXPECT_FALSE(Holds(R"({"StringEquals":{"s3:prefix":"home/*"}})", {{"s3:prefix", {"home/x"}}}));
}

TEST(PolicyConditions, ValuesOfOneKeyAreOredKeysAndOperatorsAnded) {  // IAM JSON policy elements: Condition
  std::string c = R"({"StringEquals":{"aws:SourceVpce":["vpce-1","vpce-2"],"aws:PrincipalAccount":"111111111111"},
                      "IpAddress":{"aws:SourceIp":"10.0.0.0/8"}})";
  PolicyContext ok{{"aws:SourceVpce", {"vpce-2"}}, {"aws:PrincipalAccount", {"111111111111"}}, {"aws:SourceIp", {"10.1.2.3"}}};
  EXPECT_TRUE(Holds(c, ok));
  PolicyContext wrong_vpce = ok;
  wrong_vpce["aws:SourceVpce"] = {"vpce-3"};
  EXPECT_FALSE(Holds(c, wrong_vpce));
  PolicyContext wrong_ip = ok;
  wrong_ip["aws:SourceIp"] = {"192.168.0.1"};
  EXPECT_FALSE(Holds(c, wrong_ip));
  PolicyContext missing_account = ok;
  missing_account.erase("aws:PrincipalAccount");
  EXPECT_FALSE(Holds(c, missing_account));
}

TEST(PolicyConditions, KeyNamesIgnoreCase) {  // Condition: "Context key names are not case-sensitive"
  EXPECT_TRUE(Holds(R"({"StringEquals":{"AWS:SourceVpce":"vpce-1"}})", {{"aws:sourcevpce", {"vpce-1"}}}));
  PolicyContext ctx{{"aws:SourceVpce", {"vpce-1"}}};
  EXPECT_EQ(ctx.count("AWS:SOURCEVPCE"), 1u);
}

TEST(PolicyConditions, AbsentKeyIsFalseForPositiveOperators) {  // Condition operators: "Important"
  for (const char* c : {R"({"StringEquals":{"k":"v"}})", R"({"StringLike":{"k":"*"}})", R"({"NumericLessThan":{"k":5}})",
                        R"({"DateGreaterThan":{"k":"2020-01-01"}})", R"({"Bool":{"k":true}})",
                        R"({"IpAddress":{"k":"0.0.0.0/0"}})", R"({"ArnLike":{"k":"*"}})", R"({"BinaryEquals":{"k":"QQ=="}})"}) {
    EXPECT_FALSE(Holds(c, {})) << c;
    EXPECT_FALSE(Holds(c, {{"k", {}}})) << c;  // no values = absent
  }
}

// "If the policy condition requires that the key is not matched, such as StringNotLike or ArnNotLike, and the
// right key is not present, the condition is true." POL-14: a Deny unless aws:sourceVpce matches also blocks
// requests that carry no aws:sourceVpce (the console).
TEST(PolicyConditions, AbsentKeyIsTrueForNegatedOperators) {
  for (const char* c : {R"({"StringNotEquals":{"k":"v"}})", R"({"StringNotLike":{"k":"*"}})",
                        R"({"StringNotEqualsIgnoreCase":{"k":"v"}})", R"({"NumericNotEquals":{"k":1}})",
                        R"({"DateNotEquals":{"k":0}})", R"({"NotIpAddress":{"k":"10.0.0.0/8"}})",
                        R"({"ArnNotEquals":{"k":"arn:aws:s3:::b"}})", R"({"ArnNotLike":{"k":"*"}})"}) {
    EXPECT_TRUE(Holds(c, {})) << c;
  }
  Policy p = ParsePolicy(R"({"Version":"2012-10-17","Statement":[
      {"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"},
      {"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*",
       "Condition":{"StringNotEquals":{"aws:sourceVpce":"vpce-1a2b3c4d"}}}]})");
  auto r = Req("s3:GetObject", "arn:aws:s3:::b/k");
  EXPECT_EQ(Evaluate(p, r), PolicyDecision::kExplicitDeny);  // the console: no endpoint
  r.context["aws:SourceVpce"] = {"vpce-1a2b3c4d"};
  EXPECT_EQ(Evaluate(p, r), PolicyDecision::kAllow);
  r.context["aws:SourceVpce"] = {"vpce-99999999"};
  EXPECT_EQ(Evaluate(p, r), PolicyDecision::kExplicitDeny);
}

TEST(PolicyConditions, IfExistsPassesAbsentKeysAndChecksPresentOnes) {  // Condition operators: ...IfExists
  EXPECT_TRUE(Holds(R"({"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}})", {}));
  EXPECT_TRUE(Holds(R"({"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}})", {{"ec2:InstanceType", {"t2.micro"}}}));
  EXPECT_FALSE(Holds(R"({"StringEqualsIfExists":{"ec2:InstanceType":"t2.micro"}})", {{"ec2:InstanceType", {"m5.large"}}}));
  EXPECT_TRUE(Holds(R"({"NumericLessThanIfExists":{"n":3}})", {}));
  EXPECT_TRUE(Holds(R"({"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}})", {}));
  EXPECT_FALSE(Holds(R"({"NotIpAddressIfExists":{"aws:SourceIp":"10.0.0.0/8"}})", {{"aws:SourceIp", {"10.9.9.9"}}}));
  EXPECT_TRUE(Holds(R"({"ForAnyValue:StringEqualsIfExists":{"aws:TagKeys":"a"}})", {}));
}

TEST(PolicyConditions, NullChecksPresence) {  // Condition operators: condition operator to check existence
  EXPECT_TRUE(Holds(R"({"Null":{"aws:TokenIssueTime":"true"}})", {}));
  EXPECT_FALSE(Holds(R"({"Null":{"aws:TokenIssueTime":"true"}})", {{"aws:TokenIssueTime", {"2020-01-01T00:00:00Z"}}}));
  EXPECT_TRUE(Holds(R"({"Null":{"aws:TokenIssueTime":false}})", {{"aws:TokenIssueTime", {"x"}}}));
  EXPECT_FALSE(Holds(R"({"Null":{"aws:TokenIssueTime":false}})", {}));
}

TEST(PolicyConditions, ForAllValuesIsASubsetTestAndTrueWhenAbsent) {  // Single-valued vs. multivalued context keys
  std::string c = R"({"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}})";
  EXPECT_TRUE(Holds(c, {{"aws:TagKeys", {"environment"}}}));
  EXPECT_TRUE(Holds(c, {{"aws:TagKeys", {"cost-center", "environment"}}}));
  EXPECT_FALSE(Holds(c, {{"aws:TagKeys", {"environment", "owner"}}}));
  EXPECT_TRUE(Holds(c, {}));  // "It also returns true if there are no context keys in the request."
  EXPECT_TRUE(Holds(R"({"ForAllValues:StringLike":{"aws:TagKeys":"Created*"}})", {{"aws:TagKeys", {"CreatedBy", "CreatedAt"}}}));
}

TEST(PolicyConditions, ForAnyValueIsAnIntersectionTestAndFalseWhenAbsent) {  // Single-valued vs. multivalued keys
  std::string c = R"({"ForAnyValue:StringEquals":{"aws:TagKeys":["environment","cost-center"]}})";
  EXPECT_TRUE(Holds(c, {{"aws:TagKeys", {"owner", "environment"}}}));
  EXPECT_FALSE(Holds(c, {{"aws:TagKeys", {"owner"}}}));
  EXPECT_FALSE(Holds(c, {}));
}

TEST(PolicyConditions, SetOperatorsWithNegatedOperators) {  // Multivalued context key examples
  std::string all = R"({"ForAllValues:StringNotLike":{"aws:TagKeys":["key1*"]}})";
  EXPECT_TRUE(Holds(all, {{"aws:TagKeys", {"a", "b"}}}));
  EXPECT_FALSE(Holds(all, {{"aws:TagKeys", {"a", "key1x"}}}));
  EXPECT_TRUE(Holds(all, {}));
  std::string any = R"({"ForAnyValue:StringNotEquals":{"aws:TagKeys":["a","b"]}})";
  EXPECT_TRUE(Holds(any, {{"aws:TagKeys", {"a", "c"}}}));
  EXPECT_FALSE(Holds(any, {{"aws:TagKeys", {"a", "b"}}}));
  EXPECT_FALSE(Holds(any, {}));
}

TEST(PolicyConditions, SeveralRequestValuesWithoutSetOperatorMatchWhenAnyDoes) {  // documented choice, policy.cc
  EXPECT_TRUE(Holds(R"({"StringEquals":{"k":"b"}})", {{"k", {"a", "b"}}}));
  EXPECT_FALSE(Holds(R"({"StringEquals":{"k":"c"}})", {{"k", {"a", "b"}}}));
  // The negated form is the complement: true only when no request value matches.
  EXPECT_FALSE(Holds(R"({"StringNotEquals":{"k":"b"}})", {{"k", {"a", "b"}}}));
  EXPECT_TRUE(Holds(R"({"StringNotEquals":{"k":"c"}})", {{"k", {"a", "b"}}}));
}

TEST(PolicyConditions, NumericOperators) {  // Condition operators: Numeric condition operators
  PolicyContext ctx{{"s3:max-keys", {"10"}}};
  EXPECT_TRUE(Holds(R"({"NumericEquals":{"s3:max-keys":10}})", ctx));
  EXPECT_TRUE(Holds(R"({"NumericEquals":{"s3:max-keys":"10.0"}})", ctx));
  EXPECT_FALSE(Holds(R"({"NumericNotEquals":{"s3:max-keys":"10"}})", ctx));
  EXPECT_TRUE(Holds(R"({"NumericLessThan":{"s3:max-keys":"11"}})", ctx));
  EXPECT_FALSE(Holds(R"({"NumericLessThan":{"s3:max-keys":"10"}})", ctx));
  EXPECT_TRUE(Holds(R"({"NumericLessThanEquals":{"s3:max-keys":"10"}})", ctx));
  EXPECT_TRUE(Holds(R"({"NumericGreaterThan":{"s3:max-keys":9.5}})", ctx));
  EXPECT_FALSE(Holds(R"({"NumericGreaterThan":{"s3:max-keys":10}})", ctx));
  EXPECT_TRUE(Holds(R"({"NumericGreaterThanEquals":{"s3:max-keys":"-3"}})", ctx));
  EXPECT_FALSE(Holds(R"({"NumericEquals":{"s3:max-keys":10}})", {{"s3:max-keys", {"ten"}}}));  // not a number
}

TEST(PolicyConditions, DateOperatorsTakeIso8601AndEpochSeconds) {  // Condition operators: Date condition operators
  PolicyContext ctx{{"aws:CurrentTime", {"2020-05-01T12:00:00Z"}}};
  EXPECT_TRUE(Holds(R"({"DateGreaterThan":{"aws:CurrentTime":"2020-04-01T00:00:00Z"},
                        "DateLessThan":{"aws:CurrentTime":"2020-06-30T23:59:59Z"}})",
                    ctx));
  EXPECT_FALSE(Holds(R"({"DateLessThan":{"aws:CurrentTime":"2020-04-01"}})", ctx));
  EXPECT_TRUE(Holds(R"({"DateEquals":{"aws:CurrentTime":1588334400}})", ctx));            // epoch seconds
  EXPECT_TRUE(Holds(R"({"DateEquals":{"aws:CurrentTime":"2020-05-01T14:00:00+02:00"}})", ctx));  // offsets
  EXPECT_TRUE(Holds(R"({"DateEquals":{"aws:CurrentTime":"2020-05-01T12:00Z"}})", ctx));
  EXPECT_FALSE(Holds(R"({"DateNotEquals":{"aws:CurrentTime":"2020-05-01T12:00:00.000Z"}})", ctx));
  EXPECT_TRUE(Holds(R"({"DateLessThanEquals":{"aws:CurrentTime":"2020-05-01T12:00:00Z"}})", ctx));
  EXPECT_TRUE(Holds(R"({"DateGreaterThanEquals":{"aws:CurrentTime":"2020-05-01T11:59:59.5Z"}})", ctx));
  EXPECT_TRUE(Holds(R"({"DateLessThan":{"aws:EpochTime":"2000-01-01T00:00:01Z"}})", {{"aws:EpochTime", {"946684800"}}}));
  EXPECT_TRUE(Holds(R"({"DateEquals":{"d":"2024-02-29"}})", {{"d", {"2024-02-29T00:00:00Z"}}}));  // leap day
}

TEST(PolicyConditions, BoolAcceptsJsonBooleansAndStrings) {  // Condition operators: Boolean condition operators
  EXPECT_TRUE(Holds(R"({"Bool":{"aws:SecureTransport":true}})", {{"aws:SecureTransport", {"true"}}}));
  EXPECT_TRUE(Holds(R"({"Bool":{"aws:SecureTransport":"false"}})", {{"aws:SecureTransport", {"False"}}}));
  EXPECT_FALSE(Holds(R"({"Bool":{"aws:SecureTransport":"true"}})", {{"aws:SecureTransport", {"false"}}}));
}

TEST(PolicyConditions, BinaryEqualsComparesDecodedBase64) {  // Condition operators: Binary condition operators
  EXPECT_TRUE(Holds(R"({"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}})", {{"key", {"QmluYXJ5VmFsdWVJbkJhc2U2NA"}}}));
  EXPECT_FALSE(Holds(R"({"BinaryEquals":{"key":"QmluYXJ5VmFsdWVJbkJhc2U2NA=="}})", {{"key", {"QmluYXJ5"}}}));
  EXPECT_FALSE(Holds(R"({"BinaryEquals":{"key":"QQ=="}})", {{"key", {"not base64!"}}}));
}

TEST(PolicyConditions, IpAddressTakesV4AndV6BlocksAndSingleAddresses) {  // Condition operators: IP address operators
  std::string c = R"({"IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:DB8:1234:5678::/64","198.51.100.7"]}})";
  EXPECT_TRUE(Holds(c, {{"aws:SourceIp", {"203.0.113.200"}}}));
  EXPECT_FALSE(Holds(c, {{"aws:SourceIp", {"203.0.114.1"}}}));
  EXPECT_TRUE(Holds(c, {{"aws:SourceIp", {"2001:db8:1234:5678::1"}}}));
  EXPECT_FALSE(Holds(c, {{"aws:SourceIp", {"2001:db8:1234:5679::1"}}}));
  EXPECT_TRUE(Holds(c, {{"aws:SourceIp", {"198.51.100.7"}}}));
  EXPECT_FALSE(Holds(c, {{"aws:SourceIp", {"198.51.100.8"}}}));
  EXPECT_FALSE(Holds(c, {{"aws:SourceIp", {"not-an-ip"}}}));
  // The AWS example: a range with one address excluded.
  std::string ex = R"({"IpAddress":{"aws:SourceIp":"54.240.143.0/24"},"NotIpAddress":{"aws:SourceIp":"54.240.143.188/32"}})";
  EXPECT_TRUE(Holds(ex, {{"aws:SourceIp", {"54.240.143.1"}}}));
  EXPECT_FALSE(Holds(ex, {{"aws:SourceIp", {"54.240.143.188"}}}));
  EXPECT_TRUE(Holds(R"({"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}})", {{"aws:SourceIp", {"::1"}}}));  // other family
}

TEST(PolicyConditions, ArnOperatorsMatchFieldByField) {  // Condition operators: ARN condition operators
  PolicyContext ctx{{"aws:SourceArn", {"arn:aws:sns:us-east-1:123456789012:topic:extra"}}};
  EXPECT_TRUE(Holds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:123456789012:*"}})", ctx));
  EXPECT_TRUE(Holds(R"({"ArnEquals":{"aws:SourceArn":"arn:aws:sns:us-east-?:123456789012:topic:*"}})", ctx));
  // A '*' stays inside its field: it cannot swallow the region and the account.
  EXPECT_FALSE(Holds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:topic:extra"}})", ctx));
  EXPECT_FALSE(Holds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:SNS:*:123456789012:*"}})", ctx));  // case-sensitive
  EXPECT_TRUE(Holds(R"({"ArnLike":{"aws:SourceArn":"*"}})", ctx));
  EXPECT_TRUE(Holds(R"({"ArnNotLike":{"aws:SourceArn":"arn:aws:sqs:*:*:*"}})", ctx));
  EXPECT_FALSE(Holds(R"({"ArnNotEquals":{"aws:SourceArn":"arn:aws:sns:*:*:*"}})", ctx));
  EXPECT_FALSE(Holds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:sns:*:*:*"}})", {{"aws:SourceArn", {"not:an:arn"}}}));
}

TEST(PolicyConditions, PrincipalArnRestrictionExample) {  // POL-10, POL-12 (role restriction)
  Policy p = ParsePolicy(R"({"Statement":[{"Principal":"*","Action":"*","Effect":"Allow","Resource":"*",
      "Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/role_name"}}}]})",
                         kEndpoint);
  auto r = Req("s3:GetObject", "arn:aws:s3:::b/k", "arn:aws:sts::111122223333:assumed-role/role_name/s");
  r.context["aws:PrincipalArn"] = {"arn:aws:iam::111122223333:role/role_name"};
  EXPECT_TRUE(Allows(p, r));
  r.context["aws:PrincipalArn"] = {"arn:aws:iam::111122223333:role/other"};
  EXPECT_FALSE(Allows(p, r));
}

TEST(PolicyConditions, ConditionValuesAreNormalisedToStrings) {  // Condition: numbers and booleans
  EXPECT_TRUE(Holds(R"({"StringEquals":{"k":[10,true,"x"]}})", {{"k", {"10"}}}));
  EXPECT_TRUE(Holds(R"({"StringEquals":{"k":[10,true,"x"]}})", {{"k", {"true"}}}));
  EXPECT_TRUE(Holds(R"({"StringEquals":{"k":[1.5]}})", {{"k", {"1.5"}}}));
}

// ---- policy variables ----

TEST(PolicyVariables, ResourceTakesRequestValues) {  // IAM policy elements: Variables and tags
  Policy p = ParsePolicy(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*",
      "Resource":"arn:aws:s3:::b/home/${aws:username}/*"}})");
  auto r = Req("s3:GetObject", "arn:aws:s3:::b/home/alice/x");
  r.context["aws:username"] = {"alice"};
  EXPECT_TRUE(Allows(p, r));
  r.resource = "arn:aws:s3:::b/home/bob/x";
  EXPECT_FALSE(Allows(p, r));
  r.context.clear();  // unresolvable: matches nothing
  r.resource = "arn:aws:s3:::b/home/${aws:username}/x";
  EXPECT_FALSE(Allows(p, r));
}

TEST(PolicyVariables, OnlyVersion20121017HasVariables) {  // IAM JSON policy elements: Version
  std::string body = R"("Statement":{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}"}})";
  Policy old = ParsePolicy(R"({"Version":"2008-10-17",)" + body);
  Policy none = ParsePolicy("{" + body);
  auto r = Req("s3:GetObject", "arn:aws:s3:::b/alice");
  r.context["aws:username"] = {"alice"};
  EXPECT_FALSE(Allows(old, r));
  EXPECT_FALSE(Allows(none, r));
  r.resource = "arn:aws:s3:::b/${aws:username}";  // the literal text
  EXPECT_TRUE(Allows(old, r));
}

TEST(PolicyVariables, SpecialCharacterEscapesAreLiteral) {  // Variables: special characters ${*} ${?} ${$}
  std::string c = R"({"StringLike":{"k":"a${*}b${?}c${$}*"}})";
  EXPECT_TRUE(Holds(c, {{"k", {"a*b?c$anything"}}}));
  EXPECT_FALSE(Holds(c, {{"k", {"aXb?c$"}}}));  // ${*} is not a wildcard
  EXPECT_FALSE(Holds(c, {{"k", {"a*bXc$"}}}));  // nor is ${?}
  EXPECT_TRUE(Holds(R"({"StringEquals":{"k":"${*}"}})", {{"k", {"*"}}}));
}

TEST(PolicyVariables, ConditionValuesUseVariablesAndDefaults) {  // Variables: specifying default values
  EXPECT_TRUE(Holds(R"({"StringEquals":{"aws:PrincipalTag/team":"${aws:ResourceTag/team}"}})",
                    {{"aws:PrincipalTag/team", {"red"}}, {"aws:ResourceTag/team", {"red"}}}));
  EXPECT_FALSE(Holds(R"({"StringEquals":{"aws:PrincipalTag/team":"${aws:ResourceTag/team}"}})",
                     {{"aws:PrincipalTag/team", {"red"}}, {"aws:ResourceTag/team", {"blue"}}}));
  EXPECT_TRUE(Holds(R"({"StringLike":{"s3:prefix":"home/${aws:username, 'nobody'}/*"}})", {{"s3:prefix", {"home/nobody/x"}}}));
  EXPECT_TRUE(Holds(R"({"StringEquals":{"k":"${missing, 'it''s'}"}})", {{"k", {"it's"}}}));
  // A substituted value is literal text: a '*' in it is no wildcard.
  EXPECT_FALSE(Holds(R"({"StringLike":{"k":"${u}"}})", {{"k", {"abc"}}, {"u", {"*"}}}));
  // Multivalued keys cannot be variables.
  EXPECT_FALSE(Holds(R"({"StringEquals":{"k":"${u}"}})", {{"k", {"a"}}, {"u", {"a", "b"}}}));
  // Variables in ArnLike values.
  EXPECT_TRUE(Holds(R"({"ArnLike":{"aws:SourceArn":"arn:aws:s3:::${bucket}"}})",
                    {{"aws:SourceArn", {"arn:aws:s3:::mybucket"}}, {"bucket", {"mybucket"}}}));
  // Not in numeric operators: "${n}" stays text and the parser rejects it as a number.
  EXPECT_EQ(Bad(R"({"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*",
                   "Condition":{"NumericEquals":{"k":"${n}"}}}})"),
            "TestCode");
}

// ---- wildcards ----

TEST(PolicyWildcards, EdgeCases) {  // Condition operators: StringLike "*" and "?"
  EXPECT_TRUE(Holds(R"({"StringLike":{"k":"*"}})", {{"k", {""}}}));
  EXPECT_FALSE(Holds(R"({"StringLike":{"k":"?"}})", {{"k", {""}}}));
  EXPECT_TRUE(Holds(R"({"StringLike":{"k":"a**b"}})", {{"k", {"ab"}}}));
  EXPECT_TRUE(Holds(R"({"StringLike":{"k":"*a*b*"}})", {{"k", {"xxaxxbxx"}}}));
  EXPECT_FALSE(Holds(R"({"StringLike":{"k":"*a*b"}})", {{"k", {"xxbxxa"}}}));
  EXPECT_TRUE(Holds(R"({"StringLike":{"k":"a*b*c"}})", {{"k", {"abbbcbc"}}}));
}

TEST(PolicyWildcards, PathologicalPatternsStayFast) {  // the brief: greedy two-pointer matching
  std::string pattern;
  for (int i = 0; i < 40; ++i) pattern += "a*";
  pattern += "b";
  Policy p = WithCondition(R"({"StringLike":{"k":")" + pattern + R"("}})");
  std::string subject(100000, 'a');
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(Holds(p, {{"k", {subject}}}));
  EXPECT_TRUE(Holds(p, {{"k", {subject + "b"}}}));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(ms, 2000);  // exponential backtracking would never finish
  Policy res = ParsePolicy(R"({"Statement":{"Effect":"Allow","Action":"*","Resource":"arn:)" + pattern + R"("}})");
  EXPECT_FALSE(Allows(res, Req("s3:GetObject", "arn:" + subject)));
}

}  // namespace
