// Amazon S3's rules: model/s3.h.
#include "model/s3.h"

#include <array>
#include <string_view>

#include "model/error.h"
#include "model/regions.h"
#include "model/text.h"
#include "net/ip.h"

namespace openvpc::model {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

void ValidateBucketName(const std::string& name) {
  auto invalid = [] { throw Error("InvalidBucketName", "The specified bucket is not valid.", 400); };
  if (name.size() < 3 || name.size() > 63) invalid();
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-')) invalid();
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) invalid();
  if (name.find("..") != std::string::npos) invalid();
  if (net::ParseIpv4(name)) invalid();  // "must not be formatted as an IP address"
  for (std::string_view prefix : {"xn--", "sthree-", "amzn-s3-demo-"})
    if (std::string_view(name).substr(0, prefix.size()) == prefix) invalid();
  for (std::string_view suffix : {"-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"})
    if (EndsWith(name, suffix)) invalid();
}

void ValidateObjectKey(const std::string& key) {
  if (key.empty()) throw Error("InvalidArgument", "Object key must not be empty.", 400);
  if (key.size() > 1024) throw Error("KeyTooLongError", "Your key is too long", 400);
  if (!IsUtf8(key)) throw Error("InvalidArgument", "Object key is not valid UTF-8.", 400);
}

std::string S3BucketArn(const std::string& bucket) { return "arn:aws:s3:::" + bucket; }
std::string S3ObjectArn(const std::string& bucket, const std::string& key) {
  return "arn:aws:s3:::" + bucket + "/" + key;
}

std::string BucketRegion(const std::string& location, const std::string& endpoint_region) {
  if (location.empty() && endpoint_region != "us-east-1")
    throw Error("IllegalLocationConstraintException",
                "The unspecified location constraint is incompatible for the region specific endpoint this request "
                "was sent to.",
                400);
  if (!location.empty() && (!FindRegion(location) || location == "us-east-1"))
    throw Error("InvalidLocationConstraint", "The specified location-constraint is not valid", 400);
  if (!location.empty() && location != endpoint_region)
    throw Error("IllegalLocationConstraintException",
                "The " + location + " location constraint is incompatible for the region specific endpoint this "
                "request was sent to.",
                400);
  return location.empty() ? "us-east-1" : location;
}

PolicyDecision AuthorizeS3(const S3Access& a) {
  PolicyRequest req{.principal = a.principal, .action = a.action, .resource = a.resource, .context = a.context};
  if (!a.vpc_endpoint_id.empty()) {
    req.context["aws:SourceVpce"] = {a.vpc_endpoint_id};
    req.context["aws:SourceVpc"] = {a.vpc_id};
    if (!a.source_ip.empty()) req.context["aws:VpcSourceIp"] = {a.source_ip};
  } else if (!a.source_ip.empty()) {
    req.context["aws:SourceIp"] = {a.source_ip};
  }
  req.context["aws:SecureTransport"] = {a.secure_transport ? "true" : "false"};
  const std::string principal_account = a.principal.anonymous ? "" : a.principal.account_id;
  if (!principal_account.empty() && !req.context.count("aws:PrincipalAccount"))
    req.context["aws:PrincipalAccount"] = {principal_account};
  if (!a.principal.anonymous && !req.context.count("aws:PrincipalArn"))
    req.context["aws:PrincipalArn"] = {a.principal_role_arn.empty() ? a.principal.arn : a.principal_role_arn};
  PolicyDecision by_policy = PolicyDecision::kImplicitDeny;
  if (!a.bucket_policy.empty()) by_policy = Evaluate(ParsePolicy(a.bucket_policy), req);
  if (by_policy == PolicyDecision::kExplicitDeny) return by_policy;
  const bool owner = !a.principal.anonymous && (a.bucket_owner.empty() || principal_account == a.bucket_owner);
  static constexpr std::array<std::string_view, 3> kOwnerOnly = {"s3:GetBucketPolicy", "s3:PutBucketPolicy",
                                                                 "s3:DeleteBucketPolicy"};
  for (auto action : kOwnerOnly)
    if (a.action == action) return owner ? PolicyDecision::kAllow : PolicyDecision::kImplicitDeny;
  if (owner) return PolicyDecision::kAllow;
  return by_policy;
}

}  // namespace openvpc::model
