// Temporary credentials of instance roles (issue 14): what an instance launched with an
// IamInstanceProfile finds in its metadata (iam/security-credentials/ROLE), and what openvpc's
// APIs accept from it (with its session token, until it expires), acting for the instance's
// account as an assumed role (arn:aws:sts::ACCOUNT:assumed-role/ROLE/INSTANCE).
//
// Nothing is stored: the access key, secret and token are derived with HMAC from a key that
// every API server computes from the same long-term credentials file, so any of them accepts
// what another issued, and a token says by itself who it is for and until when.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>

#include "api/sigv4.h"

namespace openvpc::api {

struct SessionCredentials {
  Credential credential;     // access key (ASIA…), secret, account, session token, expiration
  std::string role_arn;      // arn:aws:iam::ACCOUNT:role/NAME
  std::string session_name;  // the instance id
};

class SessionIssuer {
 public:
  // Keyed by LONG_TERM's secrets (all of them, in order of their access keys).
  explicit SessionIssuer(const std::map<std::string, Credential>& long_term);
  // The credentials of ROLE_ARN for SESSION_NAME in ACCOUNT: the same within each hour, valid for
  // six hours after its start (instances renew them well before, as AWS's do).
  SessionCredentials Issue(const std::string& account, const std::string& role_arn, const std::string& session_name,
                           std::chrono::system_clock::time_point now) const;
  // What ACCESS_KEY and TOKEN stand for when this issuer (or one with the same key) made them;
  // nullopt otherwise. Expiry is the verifier's to check.
  std::optional<SessionCredentials> Recover(const std::string& access_key, const std::string& token) const;

 private:
  std::string key_;
};

}  // namespace openvpc::api
