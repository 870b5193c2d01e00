#include "api/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "api/session_credentials.h"
#include "model/error.h"
#include "model/state.h"

namespace openvpc::api {

using model::Error;

namespace {

std::string Hex(const unsigned char* d, size_t n) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) s += k[d[i] >> 4], s += k[d[i] & 15];
  return s;
}

std::string Trim(const std::string& s) {
  // Trim, and collapse inner runs of spaces, as the canonical header value requires.
  std::string out;
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\t') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

[[noreturn]] void Incomplete(const std::string& m) { throw Error("IncompleteSignature", m, 400); }

// Parses yyyymmddThhmmssZ as UTC, in seconds since 1970. (Seconds, not a time_point: a year
// like 0225 or 9999 is a well-formed date whose nanoseconds overflow the system clock.)
std::optional<int64_t> ParseAmzDate(const std::string& s) {
  std::tm tm{};
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  std::istringstream in(s);
  in >> std::get_time(&tm, "%Y%m%dT%H%M%SZ");
  if (in.fail()) return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

}  // namespace

std::map<std::string, std::string> SplitQuery(const std::string& raw) {
  std::map<std::string, std::string> out;
  size_t pos = 0;
  while (pos <= raw.size() && !raw.empty()) {
    size_t amp = raw.find('&', pos);
    std::string part = raw.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      out[UriDecode(part.substr(0, eq))] = eq == std::string::npos ? "" : UriDecode(part.substr(eq + 1));
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return out;
}

std::string HexOf(const std::string& bytes) {
  return Hex(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size());
}

std::string Sha256Hex(const std::string& data) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), d);
  return Hex(d, sizeof d);
}

std::string HmacSha256(const std::string& key, const std::string& data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), d, &n);
  return std::string(reinterpret_cast<char*>(d), n);
}

std::string UriEncode(const std::string& s, bool encode_slash) {
  static const char* k = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || (c == '/' && !encode_slash)) {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += k[c >> 4];
      out += k[c & 15];
    }
  }
  return out;
}

std::string UriDecode(const std::string& s, bool plus_is_space) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
               std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string CanonicalQueryString(const std::string& raw_query, bool drop_signature) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [k, v] : SplitQuery(raw_query)) {
    if (drop_signature && k == "X-Amz-Signature") continue;
    pairs.emplace_back(UriEncode(k), UriEncode(v));
  }
  std::sort(pairs.begin(), pairs.end());
  std::string out;
  for (const auto& [k, v] : pairs) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::map<std::string, Credential> LoadCredentials(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error("cannot read credentials file " + path);
  std::map<std::string, Credential> out;
  std::string line;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    auto hash = line.find('#');
    if (hash != std::string::npos) line.resize(hash);
    std::istringstream fields(line);
    Credential c;
    std::string extra;
    if (!(fields >> c.access_key)) continue;
    std::string expiration;
    const bool well_formed =
        (fields >> c.secret >> c.account_id) && c.account_id.size() == 12 &&
        std::all_of(c.account_id.begin(), c.account_id.end(), [](unsigned char ch) { return std::isdigit(ch); });
    if (well_formed && (fields >> c.session_token) && (fields >> expiration)) {
      c.expiration = model::ParseIso8601(expiration);
      if (!c.expiration || (fields >> extra)) c.session_token.clear();  // refused below
    }
    if (!well_formed || (!expiration.empty() && c.session_token.empty()))
      throw std::runtime_error(path + ":" + std::to_string(n) +
                               ": expected ACCESS_KEY SECRET ACCOUNT_ID (12 digits) [SESSION_TOKEN [EXPIRATION]]");
    out[c.access_key] = c;
  }
  if (out.empty()) throw std::runtime_error(path + ": no credentials");
  return out;
}

model::Error CredentialsRefused::WordedFor(Protocol protocol) const {
  static constexpr char kBadToken[] = "The security token included in the request is invalid.";
  static constexpr char kExpiredToken[] = "The security token included in the request is expired";
  static constexpr char kBadSignature[] =
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access "
      "Key and signing method. Consult the service documentation for details.";
  switch (protocol) {
    case Protocol::kQuery:
      if (reason == Reason::kExpired) return Error("ExpiredToken", kExpiredToken, 403);
      return reason == Reason::kUnknownKey ? Error("InvalidClientTokenId", kBadToken, 403)
                                           : Error("SignatureDoesNotMatch", kBadSignature, 403);
    case Protocol::kJson:
      if (reason == Reason::kExpired) return Error("ExpiredTokenException", kExpiredToken, 400);
      return reason == Reason::kUnknownKey ? Error("UnrecognizedClientException", kBadToken, 400)
                                           : Error("InvalidSignatureException", kBadSignature, 400);
    default:
      return *this;
  }
}

std::string ScopeService(const HttpRequestView& req) {
  // AKID/yyyymmdd/region/SERVICE/aws4_request, after "Credential=" (header) or
  // "X-Amz-Credential=" (query, percent-encoded).
  auto service_of = [](const std::string& credential) -> std::string {
    std::vector<std::string> scope;
    std::istringstream in(credential);
    std::string part;
    while (std::getline(in, part, '/')) scope.push_back(part);
    return scope.size() == 5 ? scope[3] : "";
  };
  for (const auto& [k, v] : req.headers) {
    if (model::AsciiLower(k) != "authorization") continue;
    size_t at = v.find("Credential=");
    if (at == std::string::npos) return "";
    size_t end = v.find_first_of(", ", at);
    return service_of(v.substr(at + 11, end == std::string::npos ? std::string::npos : end - at - 11));
  }
  const auto query = SplitQuery(req.raw_query);
  auto it = query.find("X-Amz-Credential");
  return it == query.end() ? "" : service_of(it->second);
}

AuthResult VerifySigV4(const HttpRequestView& req, const std::map<std::string, Credential>& creds,
                       std::chrono::system_clock::time_point now, const SessionIssuer* sessions) {
  std::map<std::string, std::string> headers;  // lower-case name -> values joined by ','
  int authorization_headers = 0;
  for (const auto& [k, v] : req.headers) {
    std::string name = model::AsciiLower(k);
    if (name == "authorization") ++authorization_headers;
    auto& slot = headers[name];
    slot = slot.empty() ? Trim(v) : slot + "," + Trim(v);
  }
  const auto query = SplitQuery(req.raw_query);
  const bool presigned = query.count("X-Amz-Algorithm") > 0;
  // One signature per request: a second Authorization header, or a header beside a presigned
  // query, would leave it open which one was verified.
  if (authorization_headers > 1) Incomplete("The request must contain exactly one Authorization header.");
  if (presigned && authorization_headers)
    Incomplete("Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization "
               "header should be specified");

  std::string credential, signed_headers, signature, amz_date;
  if (presigned) {
    if (query.at("X-Amz-Algorithm") != "AWS4-HMAC-SHA256")
      Incomplete("Unsupported AWS 'algorithm': '" + query.at("X-Amz-Algorithm") + "'");
    for (const char* k : {"X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Date"})
      if (!query.count(k)) Incomplete(std::string("AWS query-string parameters missing or malformed: ") + k);
    credential = query.at("X-Amz-Credential");
    signed_headers = query.at("X-Amz-SignedHeaders");
    signature = query.at("X-Amz-Signature");
    amz_date = query.at("X-Amz-Date");
  } else {
    auto auth = headers.find("authorization");
    if (auth == headers.end())
      throw Error("MissingAuthenticationToken", "The request must contain the parameter AWSAccessKeyId", 401);
    const std::string& h = auth->second;
    if (h.rfind("AWS4-HMAC-SHA256 ", 0) != 0)
      Incomplete("Unsupported Authorization Type");
    std::string rest = h.substr(17);
    size_t pos = 0;
    while (pos < rest.size()) {
      size_t comma = rest.find(',', pos);
      std::string part = Trim(rest.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos));
      size_t eq = part.find('=');
      if (eq != std::string::npos) {
        std::string k = part.substr(0, eq), v = part.substr(eq + 1);
        if (k == "Credential") credential = v;
        if (k == "SignedHeaders") signed_headers = v;
        if (k == "Signature") signature = v;
      }
      if (comma == std::string::npos) break;
      pos = comma + 1;
    }
    if (credential.empty() || signed_headers.empty() || signature.empty())
      Incomplete("Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters. "
                 "Authorization=" + h);
    amz_date = headers.count("x-amz-date") ? headers["x-amz-date"] : "";
    if (amz_date.empty())
      Incomplete("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.");
  }

  // Credential=AKID/yyyymmdd/region/ec2/aws4_request
  std::vector<std::string> scope;
  {
    std::istringstream in(credential);
    std::string part;
    while (std::getline(in, part, '/')) scope.push_back(part);
  }
  if (scope.size() != 5 || scope[4] != "aws4_request")
    Incomplete("Credential should be scoped to a valid region, not '" + credential + "'. ");
  const std::string& access_key = scope[0];
  // The request's session token (temporary credentials must carry theirs; long-term keys none).
  std::string token = headers.count("x-amz-security-token") ? headers["x-amz-security-token"] : "";
  if (presigned && query.count("X-Amz-Security-Token")) token = query.at("X-Amz-Security-Token");
  const Credential* cred = nullptr;
  std::optional<SessionCredentials> session;  // an instance role's (session_credentials.h)
  if (auto it = creds.find(access_key); it != creds.end()) cred = &it->second;
  else if (sessions && (session = sessions->Recover(access_key, token))) cred = &session->credential;
  if (!cred) throw CredentialsRefused(CredentialsRefused::Reason::kUnknownKey);
  if (scope[3].empty())
    throw Error("SignatureDoesNotMatch", "Credential should be scoped to correct service. ", 403);
  auto when = ParseAmzDate(amz_date);
  if (!when) Incomplete("Date must be in ISO-8601 'basic format'. Got '" + amz_date + "'.");
  if (amz_date.substr(0, 8) != scope[1])
    throw Error("SignatureDoesNotMatch",
                "Credential should be scoped to a valid date: '" + amz_date.substr(0, 8) + "'.", 403);
  // A header-signed request is valid within 15 minutes of its date either way; a presigned URL
  // with X-Amz-Expires (1 s to 7 days, SigV4's limit) from its date until it expires.
  const int64_t skew_limit = 15 * 60, now_s = static_cast<int64_t>(std::chrono::system_clock::to_time_t(now));
  if (presigned && query.count("X-Amz-Expires")) {
    const std::string& text = query.at("X-Amz-Expires");
    long long expires = -1;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), expires);
    const bool huge = ec == std::errc::result_out_of_range && text[0] != '-';
    if (text.empty() || (ec != std::errc() && !huge) || end != text.data() + text.size() || expires < 0)
      Incomplete("X-Amz-Expires must be non-negative");
    if (huge || expires > 604800)
      Incomplete("X-Amz-Expires must be less than a week (in seconds) that is 604800");
    if (*when > now_s + skew_limit || now_s > *when + expires)
      throw Error("RequestExpired", "Request has expired. Timestamp date is " + amz_date, 400);
  } else {
    if (*when > now_s + skew_limit || now_s > *when + skew_limit)
      throw Error("RequestExpired", "Request has expired. Timestamp date is " + amz_date, 400);
  }

  std::string canonical_headers;
  {
    std::istringstream in(signed_headers);
    std::string name;
    while (std::getline(in, name, ';')) {
      auto it = headers.find(name);
      if (it == headers.end()) Incomplete("Signed header '" + name + "' is missing from the request.");
      canonical_headers += name + ":" + it->second + "\n";
    }
  }
  if (headers.count("x-amz-security-token") && signed_headers.find("x-amz-security-token") == std::string::npos)
    Incomplete("The security token must be signed.");

  std::vector<std::string> payload_hashes;
  std::string unchecked;  // a hash the handler checks (a spooled body, a streaming one)
  if (headers.count("x-amz-content-sha256") && headers["x-amz-content-sha256"] != "UNSIGNED-PAYLOAD") {
    payload_hashes.push_back(headers["x-amz-content-sha256"]);
    if (payload_hashes[0].rfind("STREAMING-", 0) == 0 || !req.body_path.empty())
      unchecked = payload_hashes[0];
    else if (payload_hashes[0] != Sha256Hex(req.body))
      throw Error("SignatureDoesNotMatch", "The provided 'x-amz-content-sha256' header does not match what was computed.", 403);
  } else if (!req.body_path.empty()) {
    payload_hashes = {"UNSIGNED-PAYLOAD"};
  } else {
    payload_hashes = {Sha256Hex(req.body), "UNSIGNED-PAYLOAD"};
  }
  const std::string scope_str = scope[1] + "/" + scope[2] + "/" + scope[3] + "/" + scope[4];
  std::string key = HmacSha256("AWS4" + cred->secret, scope[1]);
  key = HmacSha256(key, scope[2]);
  key = HmacSha256(key, scope[3]);
  key = HmacSha256(key, "aws4_request");
  const std::string path = req.path.empty() ? "/" : req.path;
  for (const auto& payload_hash : payload_hashes) {
    std::string canonical = req.method + "\n" + path + "\n" + CanonicalQueryString(req.raw_query, presigned) + "\n" +
                            canonical_headers + "\n" + signed_headers + "\n" + payload_hash;
    std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope_str + "\n" + Sha256Hex(canonical);
    std::string mac = HmacSha256(key, to_sign);
    if (Hex(reinterpret_cast<const unsigned char*>(mac.data()), mac.size()) == signature)
    {
      // Temporary credentials need their own session token (and time); long-term keys none.
      if (token != cred->session_token) throw CredentialsRefused(CredentialsRefused::Reason::kUnknownKey);
      if (cred->expiration && now >= *cred->expiration) throw CredentialsRefused(CredentialsRefused::Reason::kExpired);
      AuthResult who{cred->account_id, scope[2], access_key, scope[3]};
      who.signing_key = key;
      who.scope = scope_str;
      who.amz_date = amz_date;
      who.signature = signature;
      who.unchecked_payload_hash = unchecked;
      if (session) {
        who.principal_arn = "arn:aws:sts::" + cred->account_id + ":assumed-role/" +
                            session->role_arn.substr(session->role_arn.rfind('/') + 1) + "/" + session->session_name;
        who.role_arn = session->role_arn;
      }
      return who;
    }
  }
  // EC2 answers a wrong signature as it answers an unknown key; other services do not.
  throw CredentialsRefused(CredentialsRefused::Reason::kBadSignature);
}

}  // namespace openvpc::api
