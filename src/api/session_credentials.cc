// Temporary credentials of instance roles: api/session_credentials.h.
#include "api/session_credentials.h"

#include <sstream>
#include <vector>

#include "model/key_pair.h"
#include "model/state.h"

namespace openvpc::api {

namespace {

constexpr auto kLifetime = std::chrono::hours(6);

// "ASIA" and 16 characters of AWS's access key alphabet, from a MAC.
std::string AccessKeyOf(const std::string& mac) {
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out = "ASIA";
  for (int i = 0; i < 16; ++i) out += kChars[static_cast<unsigned char>(mac[static_cast<size_t>(i)]) & 31];
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string part;
  std::istringstream in(s);
  while (std::getline(in, part, sep)) out.push_back(part);
  return out;
}

}  // namespace

SessionIssuer::SessionIssuer(const std::map<std::string, Credential>& long_term) {
  std::string material = "openvpc instance role credentials";
  for (const auto& [access_key, c] : long_term)
    if (c.session_token.empty()) material += "\n" + access_key + " " + c.secret;
  key_ = HmacSha256("openvpc session key", material);
}

SessionCredentials SessionIssuer::Issue(const std::string& account, const std::string& role_arn,
                                        const std::string& session_name,
                                        std::chrono::system_clock::time_point now) const {
  const auto hour = std::chrono::floor<std::chrono::hours>(now);
  const auto expiration = hour + kLifetime;
  const long long expires = std::chrono::duration_cast<std::chrono::seconds>(expiration.time_since_epoch()).count();
  // What the token says: account, role, session, expiry (none of them contains '|').
  const std::string payload = account + "|" + role_arn + "|" + session_name + "|" + std::to_string(expires);
  const std::string access_key = AccessKeyOf(HmacSha256(key_, "access key|" + payload));
  const std::string token = model::EncodeBase64(payload) + "." + HexOf(HmacSha256(key_, "token|" + access_key + "|" + payload));
  SessionCredentials out;
  out.credential.access_key = access_key;
  out.credential.secret = model::EncodeBase64(HmacSha256(key_, "secret|" + access_key)).substr(0, 40);
  out.credential.account_id = account;
  out.credential.session_token = token;
  out.credential.expiration = std::chrono::system_clock::time_point(expiration);
  out.role_arn = role_arn;
  out.session_name = session_name;
  return out;
}

std::optional<SessionCredentials> SessionIssuer::Recover(const std::string& access_key, const std::string& token) const {
  if (access_key.rfind("ASIA", 0) != 0) return std::nullopt;
  const auto dot = token.find('.');
  if (dot == std::string::npos) return std::nullopt;
  auto payload = model::DecodeBase64(token.substr(0, dot));
  if (!payload || token.substr(dot + 1) != HexOf(HmacSha256(key_, "token|" + access_key + "|" + *payload)))
    return std::nullopt;
  const auto fields = Split(*payload, '|');
  if (fields.size() != 4 || fields[3].empty() || fields[3].size() > 18 || !model::AllDigits(fields[3]))
    return std::nullopt;
  const auto expiration = std::chrono::system_clock::time_point(std::chrono::seconds(std::stoll(fields[3])));
  if (AccessKeyOf(HmacSha256(key_, "access key|" + *payload)) != access_key) return std::nullopt;
  SessionCredentials out;
  out.credential = {.access_key = access_key,
                    .secret = model::EncodeBase64(HmacSha256(key_, "secret|" + access_key)).substr(0, 40),
                    .account_id = fields[0],
                    .session_token = token,
                    .expiration = expiration};
  out.role_arn = fields[1];
  out.session_name = fields[2];
  return out;
}

}  // namespace openvpc::api
