// AWS Signature Version 4, as AWS verifies it: the Authorization header or a presigned query
// string, the credential scope (date, Region, service), clock skew of at most 15 minutes, and
// the signature over exactly the signed headers. One verifier for every service: the caller
// decides whether it serves the scope's service.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "api/shape_model.h"
#include "model/error.h"

namespace openvpc::api {

struct Credential {
  std::string access_key, secret, account_id;
  // Temporary credentials: the session token every request must carry (X-Amz-Security-Token,
  // signed), and when they stop working. Empty and unset for an account's long-term keys, with
  // which a request must carry no token.
  std::string session_token;
  std::optional<std::chrono::system_clock::time_point> expiration;
};

// ACCESS_KEY SECRET ACCOUNT_ID [SESSION_TOKEN [EXPIRATION]] per line (EXPIRATION in ISO 8601,
// 2026-12-31T00:00:00Z), # comments. Throws std::runtime_error when malformed.
std::map<std::string, Credential> LoadCredentials(const std::string& path);

// Where a request came from, as the front that took it knows: the AWS services network's fronts
// (http_server.h's HttpsFront) say whether it came from the internet or through an interface
// endpoint, and which (the endpoint policy and the aws:SourceVpce, aws:SourceVpc and
// aws:VpcSourceIp condition keys need it).
struct RequestOrigin {
  std::string peer;                  // the client's address as the front saw it
  bool services_network = false;     // through the AWS services network (not the endpoint URL)
  std::string service;               // the AWS service whose address the listener has ("s3"), "" for any
  std::string address;               // the listener's own address
  std::string vpc_endpoint_id, vpc_id, endpoint_account, endpoint_region;  // through an interface endpoint
};

struct HttpRequestView {
  RequestOrigin origin;
  std::string method;
  std::string path;       // without the query string, as sent
  std::string raw_query;  // after '?', as sent
  std::vector<std::pair<std::string, std::string>> headers;  // names as sent
  std::string body;
  // A large S3 upload's body is spooled to this file by the front instead (body stays empty);
  // the handler owns the file from then on.
  std::string body_path;
};

struct AuthResult {
  std::string account_id, region, access_key;
  std::string service;  // the credential scope's: which AWS service the request is for
  // An instance role's temporary credentials: the assumed role's session and the role; both
  // empty for an account's own keys (its root user).
  std::string principal_arn, role_arn;
  // What signed the request (S3's aws-chunked bodies sign their chunks with the same key, chained
  // from this signature): the signing key, DATE/REGION/SERVICE/aws4_request, X-Amz-Date.
  std::string signing_key, scope, amz_date, signature;
  // The payload hash the signature covers (x-amz-content-sha256), still to be checked by the
  // handler: for a body in a file, and for STREAMING-… bodies. "" when it was checked here.
  std::string unchecked_payload_hash;
  std::string PrincipalArn() const {
    return principal_arn.empty() ? "arn:aws:iam::" + account_id + ":root" : principal_arn;
  }
};

// The service named by the request's credential scope (Authorization header or presigned
// X-Amz-Credential), read without verifying anything; "" when there is none. It decides the
// protocol in which even a request that fails verification is answered.
std::string ScopeService(const HttpRequestView& req);

// Credentials that do not validate, as EC2 words it (AuthFailure, 401). Each other service has
// words of its own for the two cases (an unknown access key, a wrong signature): WordedFor.
struct CredentialsRefused : model::Error {
  enum class Reason {
    kUnknownKey,    // no such access key, or a session token that is not the key's
    kBadSignature,  // the signature does not match
    kExpired,       // temporary credentials past their expiration
  };
  explicit CredentialsRefused(Reason reason)
      : model::Error("AuthFailure", "AWS was not able to validate the provided access credentials", 401),
        reason(reason) {}
  Reason reason;
  // The refusal in the words of a service of PROTOCOL (Query: InvalidClientTokenId,
  // SignatureDoesNotMatch, ExpiredToken; JSON: UnrecognizedClientException,
  // InvalidSignatureException, ExpiredTokenException).
  model::Error WordedFor(Protocol protocol) const;
};

class SessionIssuer;
// Throws model::Error with AWS's codes: MissingAuthenticationToken, IncompleteSignature,
// AuthFailure (CredentialsRefused), SignatureDoesNotMatch, RequestExpired. SESSIONS, when given,
// also accepts the temporary credentials it issued (session_credentials.h).
AuthResult VerifySigV4(const HttpRequestView& req, const std::map<std::string, Credential>& creds,
                       std::chrono::system_clock::time_point now, const SessionIssuer* sessions = nullptr);

// Exposed for tests and for the benchmark's client.
std::string Sha256Hex(const std::string& data);
std::string HexOf(const std::string& bytes);  // lower case
std::string HmacSha256(const std::string& key, const std::string& data);
std::string UriEncode(const std::string& s, bool encode_slash = true);
// %XX decoding; '+' becomes a space, as in forms, unless PLUS_IS_SPACE is false (a path's).
std::string UriDecode(const std::string& s, bool plus_is_space = true);
std::string CanonicalQueryString(const std::string& raw_query, bool drop_signature);
// A query string's parameters, decoded (the last of a repeated name wins; "a" alone is "a"="").
std::map<std::string, std::string> SplitQuery(const std::string& raw_query);

}  // namespace openvpc::api
