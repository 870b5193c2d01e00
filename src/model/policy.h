// IAM policy documents for resource policies (VPC endpoint policies, S3 bucket policies): parsing
// with AWS's grammar and evaluation with AWS's logic, for one request at a time.
//
// Sources, by title: "IAM JSON policy elements: Condition operators", "IAM JSON policy elements:
// Condition", "AWS JSON policy elements: Principal", "IAM policy elements: Variables and tags",
// "Policy evaluation logic", "Single-valued vs. multivalued context keys"; endpoint policies:
// inventory-privatelink.md §9 (POL-01…POL-14).
//
// The header is the contract: JSON stays inside policy.cc; a parsed Policy is immutable and cheap
// to copy (it shares its statements).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace openvpc::model {

// What a caller's kind of policy demands. A document that breaks any rule throws
// model::Error{error_code, message}: the code differs between services, so the caller names it.
struct PolicyParseOptions {
  std::string error_code = "MalformedPolicy";
  // Every statement needs Principal or NotPrincipal (endpoint policies: POL-02).
  bool require_principal = false;
  // Characters (UTF-8 code points, whitespace included); 0: no limit. 20,480 for endpoint
  // policies (POL-03) and for bucket policies (20 KiB).
  std::size_t max_chars = 20480;
  // POL-09 (gateway endpoints): an account in Principal ("AWS":"A" or arn:…:A:root) admits only
  // that account's root user. Otherwise (IAM's resource-policy rule) every principal of A.
  bool account_principal_is_root_only = false;
};

// The kinds of Principal entries ("AWS JSON policy elements: Principal").
enum class PrincipalType { kAws, kService, kFederated, kCanonicalUser };

// Who asks. For kAws, arn is an IAM or STS ARN (arn:aws:iam::A:root, …:user/alice,
// arn:aws:sts::A:assumed-role/R/session); for the other types the service principal name
// (ec2.amazonaws.com), identity provider, or canonical user id.
struct PolicyPrincipal {
  PrincipalType type = PrincipalType::kAws;
  std::string arn;
  std::string account_id;  // empty: taken from the ARN's account field
  bool anonymous = false;  // unsigned request: only "*" (or {"AWS":"*"}) matches it
};

// Condition keys compare without regard to ASCII case ("Context key names are not
// case-sensitive"): aws:SourceVpce and aws:sourcevpce are one key.
struct ConditionKeyLess {
  using is_transparent = void;
  bool operator()(std::string_view a, std::string_view b) const;
};
// Key -> the request's values. A key with no values counts as absent.
using PolicyContext = std::map<std::string, std::vector<std::string>, ConditionKeyLess>;

struct PolicyRequest {
  PolicyPrincipal principal;
  std::string action;    // service:Action, e.g. s3:GetObject (compared without regard to case)
  std::string resource;  // ARN (compared with case)
  PolicyContext context;
};

enum class PolicyDecision { kImplicitDeny, kAllow, kExplicitDeny };

class Policy {
 public:
  Policy() = default;  // no statements: denies everything (implicitly)
  const std::string& version() const;  // "2012-10-17", "2008-10-17" or "" (absent)
  const std::string& id() const;
  std::size_t statement_count() const;

  struct Rep;  // defined in policy.cc

 private:
  explicit Policy(std::shared_ptr<const Rep> rep) : rep_(std::move(rep)) {}
  std::shared_ptr<const Rep> rep_;
  friend Policy ParsePolicy(const std::string&, const PolicyParseOptions&);
  friend PolicyDecision Evaluate(const Policy&, const PolicyRequest&);
};

// Validates the whole document (JSON, element names and types, Effect, operators, the values each
// operator needs: numbers, dates, booleans, base64, IP blocks) so that evaluation never fails.
// Throws model::Error{opts.error_code, message naming the fault}.
Policy ParsePolicy(const std::string& json_text, const PolicyParseOptions& opts = {});

// "Policy evaluation logic": a statement applies when its principal, action, resource and every
// condition match; an applicable Deny wins over any Allow; no applicable Allow is an implicit deny.
// Statements without Principal/NotPrincipal (allowed unless required) apply to every principal;
// without Resource/NotResource to every resource.
PolicyDecision Evaluate(const Policy& policy, const PolicyRequest& request);
inline bool Allows(const Policy& policy, const PolicyRequest& request) {
  return Evaluate(policy, request) == PolicyDecision::kAllow;
}

// The policy an endpoint gets when none is given (POL-05): no Version, keys in the order the API
// returns them.
std::string DefaultEndpointPolicy();

}  // namespace openvpc::model
