// openvpc's S3: api/s3_service.h. One function per operation of the Amazon S3 API Reference,
// chosen by method, path and subresource as S3 routes them.
#include "api/s3_service.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "api/route53_service.h"
#include "api/s3_body.h"
#include "api/xml_reader.h"
#include "model/key_pair.h"
#include "model/regions.h"
#include "model/s3.h"
#include "model/text.h"
#include "model/vpc_endpoint.h"
#include "store/object_store.h"

namespace openvpc::api {

using json = nlohmann::json;
using model::Error;

namespace {

constexpr const char* kXmlns = "http://s3.amazonaws.com/doc/2006-03-01/";
constexpr uint64_t kMinPartSize = 5ull << 20;  // every part but the last (EntityTooSmall)
constexpr int kMaxParts = 10000;

// An S3 error: its code, message, status, and the members S3 adds (BucketName, Key, …).
struct S3Error : Error {
  S3Error(std::string code, std::string message, int status, std::vector<std::pair<std::string, std::string>> extra = {})
      : Error(std::move(code), std::move(message), status), extra(std::move(extra)) {}
  std::vector<std::pair<std::string, std::string>> extra;
};

[[noreturn]] void AccessDenied() { throw S3Error("AccessDenied", "Access Denied", 403); }
[[noreturn]] void NotImplemented() {
  throw S3Error("NotImplemented", "A header you provided implies functionality that is not implemented", 501);
}
[[noreturn]] void MalformedXml() {
  throw S3Error("MalformedXML",
                "The XML you provided was not well-formed or did not validate against our published schema", 400);
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// %XX decoding of a path: '+' stays '+' (only forms make it a space).
std::string PathDecode(const std::string& s) { return UriDecode(s, /*plus_is_space=*/false); }

std::string Xml(const std::string& tag, const std::string& text) { return "<" + tag + ">" + XmlEscape(text) + "</" + tag + ">"; }

std::string Document(const std::string& root, const std::string& inner) {
  return std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<") + root + " xmlns=\"" + kXmlns + "\">" + inner +
         "</" + root + ">";
}

std::string Iso(int64_t ms) {
  return model::FormatIso8601(std::chrono::system_clock::time_point(std::chrono::milliseconds(ms)));
}

// RFC 7231's IMF-fixdate (Last-Modified).
std::string HttpDate(int64_t ms) {
  const std::time_t t = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[40];
  std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return buf;
}

// An IMF-fixdate (If-Modified-Since, If-Unmodified-Since) in seconds; nullopt when it is not one
// (HTTP: such a condition is ignored).
std::optional<int64_t> ParseHttpDate(const std::string& text) {
  std::tm tm{};
  const char* end = strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (!end || *end != '\0') return std::nullopt;
  return static_cast<int64_t>(timegm(&tm));
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// S3's canonical user id of an account: 64 hex digits, the same every time.
std::string CanonicalUserId(const std::string& account) { return Sha256Hex("openvpc-canonical-user/" + account); }

std::string OwnerXml(const std::string& tag, const std::string& account) {
  return "<" + tag + ">" + Xml("ID", CanonicalUserId(account)) + Xml("DisplayName", account) + "</" + tag + ">";
}

// The stored headers of an object that GetObject and HeadObject answer with.
bool IsStoredHeader(const std::string& lower) {
  static const std::set<std::string> kStored = {"content-type",     "content-encoding", "content-disposition",
                                                "content-language", "cache-control",    "expires",
                                                "x-amz-website-redirect-location"};
  return kStored.count(lower) || lower.rfind("x-amz-meta-", 0) == 0;
}

// The members of a comma-separated header value (Content-Encoding, If-Match), trimmed, empty ones left out.
std::vector<std::string> CommaList(const std::string& value) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= value.size()) {
    const size_t comma = value.find(',', pos);
    std::string one = value.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    while (!one.empty() && one.front() == ' ') one.erase(0, 1);
    while (!one.empty() && one.back() == ' ') one.pop_back();
    if (!one.empty()) out.push_back(std::move(one));
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}

[[noreturn]] void NoSuchUpload(const std::string& id) {
  throw S3Error("NoSuchUpload",
                "The specified upload does not exist. The upload ID may be invalid, or the upload may have been "
                "aborted or completed.",
                404, {{"UploadId", id}});
}

std::string ETagOf(const std::string& md5) { return "\"" + HexOf(md5) + "\""; }

std::string RandomToken(size_t hex_digits) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string out;
  while (out.size() < hex_digits) {
    char buf[17];
    snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(rng()));
    out += buf;
  }
  return out.substr(0, hex_digits);
}

// A list's resume point, opaque to the client: where the next page starts, and whether at it.
std::string EncodeToken(const std::string& from, bool inclusive) {
  return model::EncodeBase64(std::string(inclusive ? "i" : "x") + from);
}
std::pair<std::string, bool> DecodeToken(const std::string& token) {
  auto raw = model::DecodeBase64(token);
  if (!raw || raw->empty() || ((*raw)[0] != 'i' && (*raw)[0] != 'x'))
    throw S3Error("InvalidArgument", "The continuation token provided is incorrect", 400,
                  {{"ArgumentName", "continuation-token"}});
  return {raw->substr(1), (*raw)[0] == 'i'};
}

int IntArgument(const std::map<std::string, std::string>& q, const std::string& name, int fallback, int low, int high) {
  auto it = q.find(name);
  if (it == q.end()) return fallback;
  try {
    size_t used = 0;
    long v = std::stol(it->second, &used);
    if (used != it->second.size()) throw std::invalid_argument(name);
    return static_cast<int>(std::clamp<long>(v, low, high));
  } catch (const std::exception&) {
    throw S3Error("InvalidArgument", "Provided " + name + " not an integer or within integer range", 400,
                  {{"ArgumentName", name}, {"ArgumentValue", it->second}});
  }
}

// The whole file FROM appended to OUT (a file descriptor).
void AppendFile(int out, const std::string& from) {
  const int in = open(from.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) throw std::runtime_error("cannot open " + from);
  for (;;) {
    ssize_t n = copy_file_range(in, nullptr, out, nullptr, 1 << 30, 0);
    if (n == 0) break;
    if (n < 0) {  // another file system, or no copy_file_range: copy by hand
      char buf[1 << 16];
      ssize_t r;
      while ((r = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, static_cast<size_t>(r)) != r) {
          close(in);
          throw std::runtime_error("cannot write a multipart upload's object");
        }
      break;
    }
  }
  close(in);
}

}  // namespace

struct S3Service::Request {
  const HttpRequestView& http;
  std::string request_id;
  std::map<std::string, std::string> headers;  // lower-case names
  std::map<std::string, std::string> query;
  std::string bucket, key;
  std::optional<AuthResult> who;  // nullopt: an anonymous request
  std::string region;             // the signing Region (us-east-1 for anonymous requests)

  const std::string* Header(const std::string& lower) const {
    auto it = headers.find(lower);
    return it == headers.end() ? nullptr : &it->second;
  }
  bool Has(const std::string& q) const { return query.count(q) > 0; }
  std::string Q(const std::string& q) const {
    auto it = query.find(q);
    return it == query.end() ? "" : it->second;
  }
};

S3Service::S3Service(const std::string& dir, Hooks hooks)
    : store_(std::make_unique<store::ObjectStore>(dir)), hooks_(std::move(hooks)) {}
S3Service::~S3Service() = default;

std::string S3Service::SpoolPath() const { return store_->TempPath(); }
void S3Service::Wipe() { store_->Wipe(); }

namespace {

// The bucket a virtual-hosted-style Host names: BUCKET.s3.amazonaws.com,
// BUCKET.s3.REGION.amazonaws.com, BUCKET.s3-REGION.amazonaws.com, BUCKET.localhost; "" otherwise.
std::string VirtualHostBucket(std::string host) {
  host = model::AsciiLower(host);
  if (auto colon = host.rfind(':'); colon != std::string::npos && host.find(']') == std::string::npos)
    host = host.substr(0, colon);
  if (host.size() > 10 && host.compare(host.size() - 10, 10, ".localhost") == 0) return host.substr(0, host.size() - 10);
  // An interface endpoint's: BUCKET.vpce-….s3.REGION.vpce.amazonaws.com (the endpoint's own name: none).
  if (host.ends_with(".vpce.amazonaws.com")) {
    const auto below = model::SplitS3EndpointName(host);
    return below ? below->prefix : "";
  }
  const std::string suffix = ".amazonaws.com";
  if (host.size() <= suffix.size() || host.compare(host.size() - suffix.size(), suffix.size(), suffix) != 0) return "";
  const std::string name = host.substr(0, host.size() - suffix.size());  // BUCKET.s3[.REGION] or s3[.REGION]
  for (const std::string marker : {".s3.", ".s3-"}) {
    const size_t at = name.rfind(marker);
    if (at != std::string::npos && at > 0) return name.substr(0, at);
  }
  if (name.size() > 3 && name.compare(name.size() - 3, 3, ".s3") == 0) return name.substr(0, name.size() - 3);
  return "";
}

// S3's own names: a virtual-hosted bucket's, s3.amazonaws.com, s3.REGION.amazonaws.com.
bool IsS3Host(const std::string& host) {
  std::string h = model::AsciiLower(host);
  if (auto colon = h.rfind(':'); colon != std::string::npos) h = h.substr(0, colon);
  if (!VirtualHostBucket(h).empty()) return true;
  const bool amazonaws = h.size() > 14 && h.compare(h.size() - 14, 14, ".amazonaws.com") == 0;
  return amazonaws && (h.rfind("s3.", 0) == 0 || h.rfind("s3-", 0) == 0);
}

}  // namespace

bool S3Service::Claims(const HttpRequestView& req, const std::string& scope) {
  if (req.origin.service == "s3" || scope == "s3") return true;
  // Every other service's requests but Route 53's go to "/"; a path names a bucket (path-style,
  // even unsigned).
  if (Route53Service::Claims(req, scope)) return false;
  if (req.path.size() > 1 && req.path.rfind("/_openvpc/", 0) != 0 && req.path.rfind("/moto-api/", 0) != 0) return true;
  for (const auto& [name, value] : req.headers)
    if (model::AsciiLower(name) == "host") return IsS3Host(value);
  return false;
}

HttpResponse S3Service::Handle(const HttpRequestView& http) {
  Request r{.http = http, .request_id = RandomToken(16)};
  r.request_id = Upper(r.request_id);
  HttpResponse out;
  try {
    for (const auto& [name, value] : http.headers) {
      auto& slot = r.headers[model::AsciiLower(name)];
      slot = slot.empty() ? value : slot + "," + value;
    }
    r.query = SplitQuery(http.raw_query);  // subresources and parameters: ?uploads, ?list-type=2&prefix=…
    std::string path = http.path.empty() ? "/" : http.path;
    const std::string host_bucket = r.Header("host") ? VirtualHostBucket(*r.Header("host")) : "";
    if (!host_bucket.empty()) {
      r.bucket = host_bucket;
      r.key = PathDecode(path.substr(1));
    } else {
      const size_t slash = path.find('/', 1);
      r.bucket = PathDecode(path.substr(1, slash == std::string::npos ? std::string::npos : slash - 1));
      r.key = slash == std::string::npos ? "" : PathDecode(path.substr(slash + 1));
    }
    const bool signed_request = r.Header("authorization") || r.Has("X-Amz-Algorithm");
    if (signed_request) {
      try {
        r.who = hooks_.verify(http);
      } catch (const CredentialsRefused&) {
        throw;
      } catch (const Error& e) {
        // S3's words for a request out of time: a presigned URL past its expiry is AccessDenied
        // ("Request has expired"); a signed request too far from now is RequestTimeTooSkewed.
        if (e.code != "RequestExpired") throw;
        if (r.Has("X-Amz-Algorithm")) throw S3Error("AccessDenied", "Request has expired", 403);
        throw S3Error("RequestTimeTooSkewed",
                      "The difference between the request time and the current time is too large.", 403);
      }
      r.region = r.who->region;
      if (!model::FindRegion(r.region))
        throw S3Error("AuthorizationHeaderMalformed",
                      "The authorization header is malformed; the region '" + r.region + "' is wrong.", 400);
    } else {
      r.region = "us-east-1";
    }
    out = Dispatch(r);
  } catch (const CredentialsRefused& e) {
    const bool unknown = e.reason == CredentialsRefused::Reason::kUnknownKey;
    out = {403, "application/xml", "", {}};
    const std::string code = e.reason == CredentialsRefused::Reason::kExpired ? "ExpiredToken"
                             : unknown ? "InvalidAccessKeyId"
                                       : "SignatureDoesNotMatch";
    const std::string message =
        e.reason == CredentialsRefused::Reason::kExpired ? "The provided token has expired."
        : unknown ? "The AWS Access Key Id you provided does not exist in our records."
                  : "The request signature we calculated does not match the signature you provided. Check your key "
                    "and signing method.";
    out.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>" + Xml("Code", code) + Xml("Message", message) +
               Xml("RequestId", r.request_id) + Xml("HostId", r.request_id) + "</Error>";
  } catch (const Error& e) {
    out = {e.http_status, "application/xml", "", {}};
    std::string inner = Xml("Code", e.code) + Xml("Message", e.what());
    if (const auto* s3 = dynamic_cast<const S3Error*>(&e))
      for (const auto& [k, v] : s3->extra) inner += Xml(k, v);
    out.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error>" + inner + Xml("RequestId", r.request_id) +
               Xml("HostId", r.request_id) + "</Error>";
    if (const auto* s3 = dynamic_cast<const S3Error*>(&e))
      for (const auto& [k, v] : s3->extra)
        if (k == "Region") out.headers.emplace_back("x-amz-bucket-region", v);
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: S3 internal error: %s\n", e.what());
    out = {500, "application/xml",
           "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>InternalError</Code><Message>We encountered an "
           "internal error. Please try again.</Message>" + Xml("RequestId", r.request_id) + "</Error>",
           {}};
  }
  if (!http.body_path.empty()) {
    std::error_code ec;
    std::filesystem::remove(http.body_path, ec);
  }
  out.headers.emplace_back("x-amz-request-id", r.request_id);
  out.headers.emplace_back("x-amz-id-2", r.request_id);
  if (http.method == "HEAD") {  // HEAD answers carry no body, errors included
    if (!out.head_length) out.head_length = out.body_file ? out.body_file->length : 0;
    out.body.clear();
    out.body_file.reset();
  }
  return out;
}

// ---- the operations ----

namespace {

struct Ctx {
  store::ObjectStore& store;
  const S3Service::Hooks& hooks;
};

}  // namespace

namespace s3ops {

using Request = S3Service::Request;

// "How Amazon S3 authorizes a request" (model/s3.h), and POL-08: a request through a VPC
// endpoint needs its policy's allow too.
void Authorize(Ctx& c, const Request& r, const std::string& action, const std::string& resource,
               const store::BucketRow* bucket, model::PolicyContext extra = {}) {
  model::S3Access a{.action = action, .resource = resource};
  if (r.who) {
    a.principal = {.type = model::PrincipalType::kAws, .arn = r.who->PrincipalArn(), .account_id = r.who->account_id};
    a.principal_role_arn = r.who->role_arn;
  } else {
    a.principal = {.anonymous = true};
  }
  if (bucket) {
    a.bucket_owner = bucket->account;
    a.bucket_policy = bucket->policy;
  }
  a.context = std::move(extra);
  const RequestOrigin& o = r.http.origin;
  a.vpc_endpoint_id = o.vpc_endpoint_id;
  a.vpc_id = o.vpc_id;
  a.source_ip = o.peer;
  a.secure_transport = o.services_network;
  if (!o.vpc_endpoint_id.empty()) {
    AuthResult who = r.who ? *r.who : AuthResult{};
    if (c.hooks.endpoint_policy(o, who, action, resource) != 1) AccessDenied();
  }
  if (model::AuthorizeS3(a) != model::PolicyDecision::kAllow) AccessDenied();
}

store::BucketRow RequireBucket(Ctx& c, const Request& r, bool any_region = false) {
  auto b = c.store.Bucket(r.bucket);
  if (!b) throw S3Error("NoSuchBucket", "The specified bucket does not exist", 404, {{"BucketName", r.bucket}});
  // A request signed for another Region than the bucket's (GW-18: an endpoint serves its own
  // Region): the SDKs read the bucket's Region from this answer and sign again.
  if (!any_region && r.who && b->region != r.region)
    throw S3Error("AuthorizationHeaderMalformed",
                  "The authorization header is malformed; the region '" + r.region + "' is wrong; expecting '" +
                      b->region + "'",
                  400, {{"Region", b->region}});
  return *b;
}

HttpResponse Xml200(const std::string& root, const std::string& inner) {
  return {200, "application/xml", Document(root, inner), {}};
}
HttpResponse NoContent() { return {204, "application/xml", "", {}}; }

HttpResponse ListBuckets(Ctx& c, const Request& r) {
  if (!r.who) AccessDenied();
  Authorize(c, r, "s3:ListAllMyBuckets", "*", nullptr);
  std::string buckets;
  for (const auto& b : c.store.Buckets(r.who->account_id))
    buckets += "<Bucket>" + Xml("Name", b.name) + Xml("CreationDate", Iso(b.created_ms)) +
               Xml("BucketRegion", b.region) + "</Bucket>";
  return Xml200("ListAllMyBucketsResult", OwnerXml("Owner", r.who->account_id) + "<Buckets>" + buckets + "</Buckets>");
}

HttpResponse CreateBucket(Ctx& c, const Request& r) {
  if (!r.who) AccessDenied();
  model::ValidateBucketName(r.bucket);
  std::string location;
  if (!r.http.body.empty()) {
    if (XmlRoot(r.http.body) != "CreateBucketConfiguration") MalformedXml();
    location = FirstElement(r.http.body, "LocationConstraint");
  }
  const std::string region = model::BucketRegion(location, r.region);
  Authorize(c, r, "s3:CreateBucket", model::S3BucketArn(r.bucket), nullptr);
  if (!c.store.CreateBucket({.name = r.bucket, .account = r.who->account_id, .region = region, .created_ms = NowMs()})) {
    auto existing = c.store.Bucket(r.bucket);
    // us-east-1 answers its owner's repeated create with success (legacy); other Regions refuse.
    if (existing && existing->account == r.who->account_id) {
      if (existing->region == "us-east-1" && region == "us-east-1")
        return {200, "application/xml", "", {{"Location", "/" + r.bucket}}};
      throw S3Error("BucketAlreadyOwnedByYou",
                    "Your previous request to create the named bucket succeeded and you already own it.", 409,
                    {{"BucketName", r.bucket}});
    }
    throw S3Error("BucketAlreadyExists",
                  "The requested bucket name is not available. The bucket namespace is shared by all users of the "
                  "system. Please select a different name and try again.",
                  409, {{"BucketName", r.bucket}});
  }
  return {200, "application/xml", "", {{"Location", "/" + r.bucket}}};
}

HttpResponse DeleteBucket(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:DeleteBucket", model::S3BucketArn(r.bucket), &b);
  switch (c.store.DeleteBucket(r.bucket)) {
    case store::ObjectStore::DeleteOutcome::kNotEmpty:
      throw S3Error("BucketNotEmpty", "The bucket you tried to delete is not empty", 409, {{"BucketName", r.bucket}});
    case store::ObjectStore::DeleteOutcome::kMissing:
      throw S3Error("NoSuchBucket", "The specified bucket does not exist", 404, {{"BucketName", r.bucket}});
    default:
      return NoContent();
  }
}

HttpResponse HeadBucket(Ctx& c, const Request& r) {
  auto b = c.store.Bucket(r.bucket);
  if (!b) throw S3Error("NotFound", "Not Found", 404);
  HttpResponse ok{200, "application/xml", "", {{"x-amz-bucket-region", b->region}}};
  if (r.who && b->region != r.region) throw S3Error("AuthorizationHeaderMalformed", "Bad Request", 400, {{"Region", b->region}});
  try {
    Authorize(c, r, "s3:ListBucket", model::S3BucketArn(r.bucket), &*b);
  } catch (const S3Error&) {
    throw S3Error("Forbidden", "Forbidden", 403, {{"Region", b->region}});
  }
  return ok;
}

HttpResponse GetBucketLocation(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r, /*any_region=*/true);
  Authorize(c, r, "s3:GetBucketLocation", model::S3BucketArn(r.bucket), &b);
  // us-east-1 is the empty constraint (GW-18: "US Standard").
  return {200, "application/xml",
          std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<LocationConstraint xmlns=\"") + kXmlns + "\">" +
              (b.region == "us-east-1" ? "" : XmlEscape(b.region)) + "</LocationConstraint>",
          {}};
}

HttpResponse PutBucketPolicy(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:PutBucketPolicy", model::S3BucketArn(r.bucket), &b);
  std::string text = r.http.body;
  if (!r.http.body_path.empty()) MalformedXml();  // a policy is at most 20 KiB, never spooled
  // "Bucket policies are limited to 20 KB"; every statement names its Principal.
  model::ParsePolicy(text, {.error_code = "MalformedPolicy", .require_principal = true, .max_chars = 20480});
  c.store.SetBucketPolicy(r.bucket, text);
  return NoContent();
}

HttpResponse GetBucketPolicy(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:GetBucketPolicy", model::S3BucketArn(r.bucket), &b);
  if (b.policy.empty())
    throw S3Error("NoSuchBucketPolicy", "The bucket policy does not exist", 404, {{"BucketName", r.bucket}});
  return {200, "application/json", b.policy, {}};
}

HttpResponse DeleteBucketPolicy(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:DeleteBucketPolicy", model::S3BucketArn(r.bucket), &b);
  c.store.SetBucketPolicy(r.bucket, "");
  return NoContent();
}

std::string ObjectXml(const store::ObjectRow& o, bool url, bool owner, const std::string& account) {
  return "<Contents>" + Xml("Key", url ? UriEncode(o.key, false) : o.key) + Xml("LastModified", Iso(o.modified_ms)) +
         Xml("ETag", o.etag) + Xml("Size", std::to_string(o.size)) + (owner ? OwnerXml("Owner", account) : "") +
         Xml("StorageClass", "STANDARD") + "</Contents>";
}

// ListObjects and ListObjectsV2: keys after a point, PREFIX filtered, rolled up at DELIMITER.
struct Listing {
  std::vector<store::ObjectRow> contents;
  std::vector<std::string> prefixes;
  bool truncated = false;
  std::string resume;        // where the next page starts
  bool resume_inclusive = false;
  std::string last;          // the last key or common prefix listed
};

Listing List(Ctx& c, const std::string& bucket, const std::string& prefix, const std::string& delimiter,
             std::string from, bool inclusive, int max_keys) {
  Listing l;
  int count = 0;
  for (;;) {
    auto batch = c.store.ListObjects(bucket, prefix, from, inclusive, 1000);
    if (batch.empty()) return l;
    bool jumped = false;
    for (const auto& o : batch) {
      if (count >= max_keys) {
        l.truncated = true;
        return l;
      }
      const size_t at = delimiter.empty() ? std::string::npos : o.key.find(delimiter, prefix.size());
      if (at != std::string::npos) {
        const std::string common = o.key.substr(0, at + delimiter.size());
        l.prefixes.push_back(common);
        ++count;
        l.last = common;
        // On past every key under it: the first key that does not start with it.
        const std::string end = store::ObjectStore::PrefixEnd(common);
        if (end.empty()) return l;
        from = l.resume = end;
        inclusive = l.resume_inclusive = true;
        jumped = true;
        break;
      }
      l.contents.push_back(o);
      ++count;
      l.last = o.key;
      from = l.resume = o.key;
      inclusive = l.resume_inclusive = false;
    }
    if (!jumped && batch.size() < 1000) return l;
  }
}

HttpResponse ListObjects(Ctx& c, const Request& r, bool v2) {
  auto b = RequireBucket(c, r);
  const std::string prefix = r.Q("prefix"), delimiter = r.Q("delimiter");
  model::PolicyContext extra;
  extra["s3:prefix"] = {prefix};
  if (!delimiter.empty()) extra["s3:delimiter"] = {delimiter};
  Authorize(c, r, "s3:ListBucket", model::S3BucketArn(r.bucket), &b, extra);
  const int max_keys = IntArgument(r.query, "max-keys", 1000, 0, 1000);
  const bool url = r.Has("encoding-type");
  if (url && r.Q("encoding-type") != "url")
    throw S3Error("InvalidArgument", "Invalid Encoding Method specified in Request", 400,
                  {{"ArgumentName", "encoding-type"}, {"ArgumentValue", r.Q("encoding-type")}});
  auto enc = [&](const std::string& s) { return url ? UriEncode(s, false) : s; };
  std::string from;
  bool inclusive = false;
  if (v2 && r.Has("continuation-token")) std::tie(from, inclusive) = DecodeToken(r.Q("continuation-token"));
  else if (v2) from = r.Q("start-after");
  else from = r.Q("marker");
  Listing l = List(c, r.bucket, prefix, delimiter, from, inclusive, max_keys);
  std::string inner = Xml("Name", r.bucket) + Xml("Prefix", enc(prefix));
  if (v2) {
    inner += Xml("KeyCount", std::to_string(l.contents.size() + l.prefixes.size()));
    if (r.Has("continuation-token")) inner += Xml("ContinuationToken", r.Q("continuation-token"));
    if (l.truncated) inner += Xml("NextContinuationToken", EncodeToken(l.resume, l.resume_inclusive));
    if (r.Has("start-after")) inner += Xml("StartAfter", enc(r.Q("start-after")));
  } else {
    inner += Xml("Marker", enc(r.Q("marker")));
    if (l.truncated && !delimiter.empty()) inner += Xml("NextMarker", enc(l.last));
  }
  inner += Xml("MaxKeys", std::to_string(max_keys));
  if (!delimiter.empty()) inner += Xml("Delimiter", enc(delimiter));
  if (url) inner += Xml("EncodingType", "url");
  inner += Xml("IsTruncated", l.truncated ? "true" : "false");
  const bool owner = !v2 || r.Q("fetch-owner") == "true";
  for (const auto& o : l.contents) inner += ObjectXml(o, url, owner, b.account);
  for (const auto& p : l.prefixes) inner += "<CommonPrefixes>" + Xml("Prefix", enc(p)) + "</CommonPrefixes>";
  return Xml200("ListBucketResult", inner);
}

// The headers an upload asks to store with its object.
json StoredHeaders(const Request& r) {
  json h = json::object();
  for (const auto& [name, value] : r.headers) {
    if (!IsStoredHeader(name)) continue;
    // User-defined metadata over REST is US-ASCII ("Working with object metadata").
    if (!model::IsPrintableAscii(name) || name.find_first_of(" \t") != std::string::npos)
      throw S3Error("InvalidArgument", "A metadata header's name must be printable US-ASCII.", 400);
    if (!model::IsPrintableAscii(value))
      throw S3Error("InvalidArgument", "The value of header " + name + " must be printable US-ASCII.", 400,
                    {{"ArgumentName", name}});
    h[name] = value;
  }
  if (!h.contains("content-type")) h["content-type"] = "binary/octet-stream";
  // aws-chunked is the transfer's encoding, not the object's.
  if (h.contains("content-encoding")) {
    std::string kept;
    for (const auto& part : CommaList(h["content-encoding"].get<std::string>()))
      if (part != "aws-chunked") kept += (kept.empty() ? "" : ",") + part;
    if (kept.empty()) h.erase("content-encoding");
    else h["content-encoding"] = kept;
  }
  return h;
}

// An upload's body (PutObject, UploadPart), received, checked and adopted as a blob.
struct Upload {
  std::string blob;
  ReceivedBody body;
  std::string algorithm;  // lower case, "" for none
};

Upload Receive(Ctx& c, const Request& r, const std::string& algorithm_of_upload = "") {
  const std::string sha = r.Header("x-amz-content-sha256") ? *r.Header("x-amz-content-sha256") : "UNSIGNED-PAYLOAD";
  BodyOptions o;
  const bool streaming = sha.rfind("STREAMING-", 0) == 0;
  o.aws_chunked = streaming || (r.Header("content-encoding") && r.Header("content-encoding")->find("aws-chunked") !=
                                                                    std::string::npos);
  if (streaming && sha != "STREAMING-UNSIGNED-PAYLOAD-TRAILER" && sha != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" &&
      sha != "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
    throw S3Error("InvalidArgument", "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-… or a SHA-256 hex digest",
                  400, {{"ArgumentName", "x-amz-content-sha256"}, {"ArgumentValue", sha}});
  if (streaming && sha.find("HMAC") != std::string::npos) {
    if (!r.who) AccessDenied();
    o.signing = ChunkSigning{r.who->signing_key, r.who->scope, r.who->amz_date, r.who->signature};
  }
  o.trailer = sha.size() > 8 && sha.compare(sha.size() - 8, 8, "-TRAILER") == 0;
  if (auto* d = r.Header("x-amz-decoded-content-length")) {
    try {
      o.decoded_length = std::stoull(*d);
    } catch (const std::exception&) {
      throw S3Error("InvalidArgument", "x-amz-decoded-content-length is not a number", 400);
    }
  }
  o.sha256 = !streaming && sha != "UNSIGNED-PAYLOAD";
  // Which checksum: the SDK's algorithm header, a checksum header, the trailer it announces, the
  // multipart upload's.
  std::string algorithm = algorithm_of_upload;
  if (auto* a = r.Header("x-amz-sdk-checksum-algorithm")) algorithm = model::AsciiLower(*a);
  if (auto* t = r.Header("x-amz-trailer"); t && model::AsciiLower(*t).rfind("x-amz-checksum-", 0) == 0)
    algorithm = model::AsciiLower(*t).substr(15);
  for (const auto& [name, value] : r.headers)
    if (name.rfind("x-amz-checksum-", 0) == 0 && IsChecksumAlgorithm(name.substr(15))) algorithm = name.substr(15);
  if (!algorithm.empty() && !IsChecksumAlgorithm(algorithm))
    throw S3Error("InvalidRequest", "Checksum algorithm provided is unsupported. Please try again with any of the valid "
                  "types: [CRC32, CRC32C, CRC64NVME, SHA1, SHA256]", 400);
  o.checksum_algorithm = algorithm;
  const std::string out = c.store.TempPath();
  Upload u;
  try {
    u.body = ReceiveBody(r.http.body_path, r.http.body, out, o);
    if (o.sha256 && u.body.sha256_hex != sha)
      throw S3Error("XAmzContentSHA256Mismatch",
                    "The provided 'x-amz-content-sha256' header does not match what was computed.", 400,
                    {{"ClientComputedContentSHA256", sha}, {"S3ComputedContentSHA256", u.body.sha256_hex}});
    if (auto* md5 = r.Header("content-md5")) {
      auto want = model::DecodeBase64(*md5);
      if (!want || want->size() != 16) throw S3Error("InvalidDigest", "The Content-MD5 you specified was invalid.", 400);
      if (*want != u.body.md5)
        throw S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400);
    }
    if (!algorithm.empty()) {
      std::string want;
      if (auto* h = r.Header("x-amz-checksum-" + algorithm)) want = *h;
      else if (auto t = u.body.trailers.find("x-amz-checksum-" + algorithm); t != u.body.trailers.end()) want = t->second;
      if (!want.empty() && want != u.body.checksum) {
        throw S3Error("BadDigest", "The " + Upper(algorithm) + " you specified did not match the calculated checksum.", 400);
      }
    }
    u.algorithm = algorithm;
    u.blob = c.store.Adopt(out);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(out, ec);
    throw;
  }
  return u;
}

std::string ChecksumHeaderName(const std::string& algorithm) { return "x-amz-checksum-" + algorithm; }

HttpResponse PutObject(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  model::ValidateObjectKey(r.key);
  Authorize(c, r, "s3:PutObject", model::S3ObjectArn(r.bucket, r.key), &b);
  const std::string headers = StoredHeaders(r).dump();  // refused before the body is kept
  Upload u = Receive(c, r);
  json checksum = json::object();
  if (!u.algorithm.empty()) checksum = {{u.algorithm, u.body.checksum}, {"type", "FULL_OBJECT"}};
  store::ObjectRow o{.bucket = r.bucket, .key = r.key, .blob = u.blob, .size = u.body.size, .etag = ETagOf(u.body.md5),
                     .modified_ms = NowMs(), .headers = headers, .checksum = checksum.dump()};
  c.store.PutObject(o);
  HttpResponse ok{200, "application/xml", "", {{"ETag", o.etag}}};
  if (!u.algorithm.empty()) {
    ok.headers.emplace_back(ChecksumHeaderName(u.algorithm), u.body.checksum);
    ok.headers.emplace_back("x-amz-checksum-type", "FULL_OBJECT");
  }
  return ok;
}

store::ObjectRow RequireObject(Ctx& c, const std::string& bucket, const std::string& key) {
  auto o = c.store.Object(bucket, key);
  if (!o) throw S3Error("NoSuchKey", "The specified key does not exist.", 404, {{"Key", key}});
  return *o;
}

bool EtagMatches(const std::string& list, const std::string& etag) {
  if (list == "*") return true;
  for (auto one : CommaList(list)) {
    if (one.size() >= 2 && one.front() != '"') one = "\"" + one + "\"";
    if (one == etag) return true;
  }
  return false;
}

HttpResponse GetObject(Ctx& c, const Request& r, bool head) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:GetObject", model::S3ObjectArn(r.bucket, r.key), &b);
  const store::ObjectRow o = RequireObject(c, r.bucket, r.key);
  // Conditions ("GetObject"): If-Match, else If-Unmodified-Since, may fail it (412); If-None-Match,
  // else If-Modified-Since, may make it 304. Times compare in whole seconds.
  const int64_t modified = o.modified_ms / 1000;
  auto since = [&](const char* header) { return r.Header(header) ? ParseHttpDate(*r.Header(header)) : std::nullopt; };
  const char* failed = nullptr;
  if (auto* m = r.Header("if-match")) failed = EtagMatches(*m, o.etag) ? nullptr : "If-Match";
  else if (auto t = since("if-unmodified-since"); t && modified > *t) failed = "If-Unmodified-Since";
  if (failed)
    throw S3Error("PreconditionFailed", "At least one of the pre-conditions you specified did not hold", 412,
                  {{"Condition", failed}});
  bool not_modified = false;
  if (auto* m = r.Header("if-none-match")) not_modified = EtagMatches(*m, o.etag);
  else if (auto t = since("if-modified-since"); t && modified <= *t) not_modified = true;
  if (not_modified)
    return {304, "application/xml", "", {{"ETag", o.etag}, {"Last-Modified", HttpDate(o.modified_ms)}}};
  HttpResponse ok{200, "binary/octet-stream", "", {}};
  const json stored = json::parse(o.headers.empty() ? "{}" : o.headers);
  std::map<std::string, std::string> headers;
  for (const auto& [name, value] : stored.items()) headers[name] = value.get<std::string>();
  // response-content-type and its kin override what is stored, for signed requests only.
  for (const char* name : {"content-type", "content-language", "expires", "cache-control", "content-disposition",
                           "content-encoding"}) {
    const std::string param = std::string("response-") + name;
    if (!r.Has(param)) continue;
    if (!r.who)
      throw S3Error("InvalidRequest", "Request specific response headers cannot be used for anonymous GET requests.",
                    400);
    if (!model::IsPrintableAscii(r.Q(param)))
      throw S3Error("InvalidArgument", "The value of " + param + " must be printable US-ASCII.", 400,
                    {{"ArgumentName", param}});
    headers[name] = r.Q(param);
  }
  for (const auto& [name, value] : headers) {
    if (name == "content-type") ok.content_type = value;
    else ok.headers.emplace_back(name, value);
  }
  ok.headers.emplace_back("ETag", o.etag);
  ok.headers.emplace_back("Last-Modified", HttpDate(o.modified_ms));
  ok.headers.emplace_back("Accept-Ranges", "bytes");
  uint64_t first = 0, length = o.size;
  bool ranged = false;
  if (auto* range = r.Header("range"); range && range->rfind("bytes=", 0) == 0 && range->find(',') == std::string::npos) {
    // bytes=A-B, bytes=A-, bytes=-N ("GetObject": one range; a malformed one is ignored, as HTTP says).
    const std::string spec = range->substr(6);
    const size_t dash = spec.find('-');
    auto num = [](const std::string& s) -> std::optional<uint64_t> {
      if (s.empty() || s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
      return std::stoull(s);
    };
    if (dash != std::string::npos) {
      auto a = num(spec.substr(0, dash)), z = num(spec.substr(dash + 1));
      std::optional<std::pair<uint64_t, uint64_t>> want;
      if (a && (z || dash + 1 == spec.size())) {
        if (z && *z < *a) a.reset();  // not a range: ignored
        else if (*a >= o.size)
          throw S3Error("InvalidRange", "The requested range is not satisfiable", 416,
                        {{"RangeRequested", *range}, {"ActualObjectSize", std::to_string(o.size)}});
        else want = std::pair{*a, z ? std::min(*z, o.size - 1) : o.size - 1};
      } else if (!a && dash == 0 && z) {
        if (*z == 0)
          throw S3Error("InvalidRange", "The requested range is not satisfiable", 416,
                        {{"RangeRequested", *range}, {"ActualObjectSize", std::to_string(o.size)}});
        want = std::pair{o.size - std::min(*z, o.size), o.size - 1};
      }
      if (want && o.size > 0) {
        first = want->first;
        length = want->second - want->first + 1;
        ranged = true;
        ok.status = 206;
        ok.headers.emplace_back("Content-Range", "bytes " + std::to_string(want->first) + "-" +
                                                     std::to_string(want->second) + "/" + std::to_string(o.size));
      }
    }
  }
  // "Checking object integrity": the stored checksum, for the whole object only.
  const json checksum = json::parse(o.checksum.empty() ? "{}" : o.checksum);
  if (auto* mode = r.Header("x-amz-checksum-mode"); mode && model::AsciiLower(*mode) == "enabled" && !ranged) {
    for (const auto& [name, value] : checksum.items())
      if (name == "type") ok.headers.emplace_back("x-amz-checksum-type", value.get<std::string>());
      else if (IsChecksumAlgorithm(name)) ok.headers.emplace_back(ChecksumHeaderName(name), value.get<std::string>());
  }
  if (const int parts = checksum.value("parts", 0); parts > 0)
    ok.headers.emplace_back("x-amz-mp-parts-count", std::to_string(parts));
  if (head) ok.head_length = length;
  else ok.body_file = HttpResponse::File{c.store.BlobPath(o.blob), first, length};
  return ok;
}

HttpResponse DeleteObject(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:DeleteObject", model::S3ObjectArn(r.bucket, r.key), &b);
  c.store.DeleteObject(r.bucket, r.key);  // a key that is not there is deleted all the same
  return NoContent();
}

HttpResponse DeleteObjects(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  const std::string& body = r.http.body;
  if (XmlRoot(body) != "Delete") MalformedXml();
  if (!r.Header("content-md5")) {
    bool any = false;
    for (const auto& [name, value] : r.headers) any = any || name.rfind("x-amz-checksum-", 0) == 0;
    if (!any) throw S3Error("InvalidRequest", "Missing required header for this request: Content-MD5", 400);
  } else if (auto want = model::DecodeBase64(*r.Header("content-md5")); !want || *want != Md5(body)) {
    throw S3Error("BadDigest", "The Content-MD5 you specified did not match what we received.", 400);
  }
  const bool quiet = FirstElement(body, "Quiet") == "true";
  const auto objects = XmlElements(body, "Object");
  if (objects.empty() || objects.size() > 1000) MalformedXml();
  std::string inner;
  for (const auto& obj : objects) {
    const std::string key = FirstElement(obj, "Key");
    if (key.empty() || !model::IsXmlText(key)) MalformedXml();  // it is answered in XML
    try {
      Authorize(c, r, "s3:DeleteObject", model::S3ObjectArn(r.bucket, key), &b);
      c.store.DeleteObject(r.bucket, key);
      if (!quiet) inner += "<Deleted>" + Xml("Key", key) + "</Deleted>";
    } catch (const Error& e) {
      inner += "<Error>" + Xml("Key", key) + Xml("Code", e.code) + Xml("Message", e.what()) + "</Error>";
    }
  }
  return Xml200("DeleteResult", inner);
}

HttpResponse CopyObject(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  model::ValidateObjectKey(r.key);
  std::string source = *r.Header("x-amz-copy-source");
  if (auto q = source.find('?'); q != std::string::npos) source = source.substr(0, q);  // versionId: one version here
  source = PathDecode(source);
  if (!source.empty() && source.front() == '/') source.erase(0, 1);
  const size_t slash = source.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == source.size())
    throw S3Error("InvalidArgument", "Copy Source must mention the source bucket and key: sourcebucket/sourcekey", 400,
                  {{"ArgumentName", "x-amz-copy-source"}});
  const std::string src_bucket = source.substr(0, slash), src_key = source.substr(slash + 1);
  auto sb = c.store.Bucket(src_bucket);
  if (!sb) throw S3Error("NoSuchBucket", "The specified bucket does not exist", 404, {{"BucketName", src_bucket}});
  Authorize(c, r, "s3:GetObject", model::S3ObjectArn(src_bucket, src_key), &*sb);
  Authorize(c, r, "s3:PutObject", model::S3ObjectArn(r.bucket, r.key), &b);
  const store::ObjectRow src = RequireObject(c, src_bucket, src_key);
  const std::string directive = r.Header("x-amz-metadata-directive") ? *r.Header("x-amz-metadata-directive") : "COPY";
  if (directive != "COPY" && directive != "REPLACE")
    throw S3Error("InvalidArgument", "Unknown metadata directive.", 400,
                  {{"ArgumentName", "x-amz-metadata-directive"}, {"ArgumentValue", directive}});
  if (src_bucket == r.bucket && src_key == r.key && directive == "COPY")
    throw S3Error("InvalidRequest",
                  "This copy request is illegal because it is trying to copy an object to itself without changing "
                  "the object's metadata, storage class, website redirect location or encryption attributes.",
                  400);
  store::ObjectRow o = src;
  if (directive == "REPLACE") o.headers = StoredHeaders(r).dump();  // refused before the body is shared
  o.bucket = r.bucket;
  o.key = r.key;
  o.blob = c.store.Share(src.blob);
  o.modified_ms = NowMs();
  c.store.PutObject(o);
  return Xml200("CopyObjectResult", Xml("LastModified", Iso(o.modified_ms)) + Xml("ETag", o.etag));
}

// ---- multipart uploads ----

store::UploadRow RequireUpload(Ctx& c, const Request& r) {
  auto u = c.store.Upload(r.Q("uploadId"));
  if (!u || u->bucket != r.bucket || u->key != r.key) NoSuchUpload(r.Q("uploadId"));
  return *u;
}

HttpResponse CreateMultipartUpload(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  model::ValidateObjectKey(r.key);
  Authorize(c, r, "s3:PutObject", model::S3ObjectArn(r.bucket, r.key), &b);
  std::string algorithm;
  if (auto* a = r.Header("x-amz-checksum-algorithm")) algorithm = model::AsciiLower(*a);
  if (!algorithm.empty() && !IsChecksumAlgorithm(algorithm))
    throw S3Error("InvalidRequest", "Checksum algorithm provided is unsupported.", 400);
  const std::string type = r.Header("x-amz-checksum-type") ? *r.Header("x-amz-checksum-type") : "";
  if (!type.empty() && type != "FULL_OBJECT" && type != "COMPOSITE")
    throw S3Error("InvalidRequest", "Value for x-amz-checksum-type header is invalid.", 400);
  const store::UploadRow u{.id = RandomToken(64), .bucket = r.bucket, .key = r.key,
                           .account = r.who ? r.who->account_id : "", .initiated_ms = NowMs(),
                           .headers = StoredHeaders(r).dump(), .checksum_algorithm = algorithm, .checksum_type = type};
  c.store.CreateUpload(u);
  HttpResponse ok = Xml200("InitiateMultipartUploadResult", Xml("Bucket", r.bucket) + Xml("Key", r.key) +
                                                                 Xml("UploadId", u.id));
  if (!algorithm.empty()) ok.headers.emplace_back("x-amz-checksum-algorithm", Upper(algorithm));
  return ok;
}

int PartNumber(const Request& r) {
  const std::string& text = r.Q("partNumber");
  int n = 0;
  try {
    size_t used = 0;
    n = std::stoi(text, &used);
    if (used != text.size()) n = 0;
  } catch (const std::exception&) {
    n = 0;
  }
  if (n < 1 || n > kMaxParts)
    throw S3Error("InvalidArgument", "Part number must be an integer between 1 and 10000, inclusive", 400,
                  {{"ArgumentName", "partNumber"}, {"ArgumentValue", text}});
  return n;
}

HttpResponse UploadPart(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  const int number = PartNumber(r);
  const store::UploadRow u = RequireUpload(c, r);
  Authorize(c, r, "s3:PutObject", model::S3ObjectArn(r.bucket, r.key), &b);
  if (r.Header("x-amz-copy-source")) NotImplemented();  // UploadPartCopy
  Upload body = Receive(c, r, u.checksum_algorithm);
  const store::PartRow part{.number = number, .blob = body.blob, .size = body.body.size, .etag = ETagOf(body.body.md5),
                            .modified_ms = NowMs(), .checksum = body.body.checksum};
  if (!c.store.PutPart(u.id, part)) NoSuchUpload(u.id);
  HttpResponse ok{200, "application/xml", "", {{"ETag", part.etag}}};
  if (!body.algorithm.empty()) ok.headers.emplace_back(ChecksumHeaderName(body.algorithm), body.body.checksum);
  return ok;
}

HttpResponse ListParts(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:ListMultipartUploadParts", model::S3ObjectArn(r.bucket, r.key), &b);
  const store::UploadRow u = RequireUpload(c, r);
  const int max_parts = IntArgument(r.query, "max-parts", 1000, 0, 1000);
  const int marker = IntArgument(r.query, "part-number-marker", 0, 0, kMaxParts);
  std::string parts;
  int listed = 0, next = marker;
  bool truncated = false;
  for (const auto& p : c.store.Parts(u.id)) {
    if (p.number <= marker) continue;
    if (listed == max_parts) {
      truncated = true;
      break;
    }
    parts += "<Part>" + Xml("PartNumber", std::to_string(p.number)) + Xml("LastModified", Iso(p.modified_ms)) +
             Xml("ETag", p.etag) + Xml("Size", std::to_string(p.size));
    if (!u.checksum_algorithm.empty() && !p.checksum.empty()) parts += Xml("Checksum" + Upper(u.checksum_algorithm), p.checksum);
    parts += "</Part>";
    ++listed;
    next = p.number;
  }
  return Xml200("ListPartsResult",
                Xml("Bucket", r.bucket) + Xml("Key", r.key) + Xml("UploadId", u.id) +
                    Xml("PartNumberMarker", std::to_string(marker)) + Xml("NextPartNumberMarker", std::to_string(next)) +
                    Xml("MaxParts", std::to_string(max_parts)) + Xml("IsTruncated", truncated ? "true" : "false") +
                    parts + OwnerXml("Initiator", u.account) + OwnerXml("Owner", b.account) +
                    Xml("StorageClass", "STANDARD"));
}

HttpResponse AbortMultipartUpload(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:AbortMultipartUpload", model::S3ObjectArn(r.bucket, r.key), &b);
  const store::UploadRow u = RequireUpload(c, r);
  c.store.DeleteUpload(u.id);
  return NoContent();
}

HttpResponse CompleteMultipartUpload(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:PutObject", model::S3ObjectArn(r.bucket, r.key), &b);
  const store::UploadRow u = RequireUpload(c, r);
  const std::string& body = r.http.body;
  if (XmlRoot(body) != "CompleteMultipartUpload") MalformedXml();
  const auto requested = XmlElements(body, "Part");
  if (requested.empty()) MalformedXml();
  std::map<int, store::PartRow> stored;
  for (auto& p : c.store.Parts(u.id)) stored[p.number] = p;
  const std::string invalid_part =
      "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified "
      "entity tag may not match the part's entity tag.";
  std::vector<const store::PartRow*> chosen;
  int previous = 0;
  for (const auto& p : requested) {
    int n = 0;
    try {
      n = std::stoi(FirstElement(p, "PartNumber"));
    } catch (const std::exception&) {
      MalformedXml();
    }
    if (n <= previous)
      throw S3Error("InvalidPartOrder", "The list of parts was not in ascending order. Parts must be ordered by part number.",
                    400, {{"UploadId", u.id}});
    previous = n;
    std::string etag = FirstElement(p, "ETag");
    if (!etag.empty() && etag.front() != '"') etag = "\"" + etag + "\"";
    auto it = stored.find(n);
    if (it == stored.end() || it->second.etag != etag)
      throw S3Error("InvalidPart", invalid_part, 400, {{"UploadId", u.id}, {"PartNumber", std::to_string(n)}, {"ETag", etag}});
    chosen.push_back(&it->second);
  }
  for (size_t i = 0; i + 1 < chosen.size(); ++i)
    if (chosen[i]->size < kMinPartSize)
      throw S3Error("EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size", 400,
                    {{"ProposedSize", std::to_string(chosen[i]->size)}, {"MinSizeAllowed", std::to_string(kMinPartSize)},
                     {"PartNumber", std::to_string(chosen[i]->number)}, {"ETag", chosen[i]->etag}});
  // The object: the parts' bytes in order; its ETag the MD5 of their MD5s, and their count.
  const std::string out = c.store.TempPath();
  std::string md5s, checksums;
  uint64_t size = 0;
  std::string blob;
  try {
    const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) throw std::runtime_error("cannot create " + out);
    try {
      for (const auto* p : chosen) {
        AppendFile(fd, c.store.BlobPath(p->blob));
        size += p->size;
        std::string hex = p->etag.substr(1, 32), bin;
        for (size_t i = 0; i + 1 < hex.size(); i += 2) bin += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
        md5s += bin;
        if (!p->checksum.empty())
          if (auto raw = model::DecodeBase64(p->checksum)) checksums += *raw;
      }
    } catch (...) {
      close(fd);
      throw;
    }
    close(fd);
    blob = c.store.Adopt(out);
  } catch (...) {
    std::error_code ec;
    std::filesystem::remove(out, ec);
    throw;
  }
  json checksum = json::object();
  const std::string n = std::to_string(chosen.size());
  checksum["parts"] = static_cast<int>(chosen.size());
  if (!u.checksum_algorithm.empty()) {
    // "Checking object integrity": a composite checksum (of the parts' checksums, and their
    // count), or the whole object's when the upload asked for FULL_OBJECT.
    if (u.checksum_type == "FULL_OBJECT") {
      checksum[u.checksum_algorithm] = ChecksumOfFile(c.store.BlobPath(blob), u.checksum_algorithm);
      checksum["type"] = "FULL_OBJECT";
    } else {
      checksum[u.checksum_algorithm] = ChecksumOfBytes(checksums, u.checksum_algorithm) + "-" + n;
      checksum["type"] = "COMPOSITE";
    }
  }
  store::ObjectRow o{.bucket = r.bucket, .key = r.key, .blob = blob, .size = size,
                     .etag = "\"" + HexOf(Md5(md5s)) + "-" + n + "\"", .modified_ms = NowMs(),
                     .headers = u.headers, .checksum = checksum.dump()};
  if (!c.store.CompleteUpload(u.id, o)) {
    c.store.Discard({blob});
    NoSuchUpload(u.id);
  }
  const std::string host = r.Header("host") ? *r.Header("host") : "localhost";
  return Xml200("CompleteMultipartUploadResult", Xml("Location", "http://" + host + "/" + r.bucket + "/" + r.key) +
                                                     Xml("Bucket", r.bucket) + Xml("Key", r.key) + Xml("ETag", o.etag));
}

// The configurations openvpc's S3 does not keep, read as S3 answers them for a bucket that has none
// (what the Terraform AWS provider reads of every aws_s3_bucket): an empty document, or the
// configuration's "not found" error. Setting them is NotImplemented.
struct UnkeptConfiguration {
  const char* subresource;
  const char* action;
  const char* document;  // the empty document's root, or null
  const char* code;      // the "not found" error, or null
  const char* message;
};
constexpr UnkeptConfiguration kUnkept[] = {
    {"cors", "s3:GetBucketCORS", nullptr, "NoSuchCORSConfiguration", "The CORS configuration does not exist"},
    {"website", "s3:GetBucketWebsite", nullptr, "NoSuchWebsiteConfiguration",
     "The specified bucket does not have a website configuration"},
    {"versioning", "s3:GetBucketVersioning", "VersioningConfiguration", nullptr, nullptr},
    {"accelerate", "s3:GetAccelerateConfiguration", "AccelerateConfiguration", nullptr, nullptr},
    {"logging", "s3:GetBucketLogging", "BucketLoggingStatus", nullptr, nullptr},
    {"lifecycle", "s3:GetLifecycleConfiguration", nullptr, "NoSuchLifecycleConfiguration",
     "The lifecycle configuration does not exist"},
    {"replication", "s3:GetReplicationConfiguration", nullptr, "ReplicationConfigurationNotFoundError",
     "The replication configuration was not found"},
    {"encryption", "s3:GetEncryptionConfiguration", nullptr, "ServerSideEncryptionConfigurationNotFoundError",
     "The server side encryption configuration was not found"},
    {"object-lock", "s3:GetBucketObjectLockConfiguration", nullptr, "ObjectLockConfigurationNotFoundError",
     "Object Lock configuration does not exist for this bucket"},
    {"tagging", "s3:GetBucketTagging", nullptr, "NoSuchTagSet", "The TagSet does not exist"},
    {"ownershipControls", "s3:GetBucketOwnershipControls", nullptr, "OwnershipControlsNotFoundError",
     "The bucket ownership controls were not found"},
    {"publicAccessBlock", "s3:GetBucketPublicAccessBlock", nullptr, "NoSuchPublicAccessBlockConfiguration",
     "The public access block configuration was not found"},
};

const UnkeptConfiguration* UnkeptOf(const Request& r) {
  for (const auto& u : kUnkept)
    if (r.Has(u.subresource)) return &u;
  return nullptr;
}

HttpResponse GetUnkeptConfiguration(Ctx& c, const Request& r, const UnkeptConfiguration& u) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, u.action, model::S3BucketArn(r.bucket), &b);
  if (u.code) throw S3Error(u.code, u.message, 404, {{"BucketName", r.bucket}});
  return Xml200(u.document, "");
}

// GetBucketAcl, GetObjectAcl, GetBucketRequestPayment: the owner's full control, the owner pays.
HttpResponse GetAcl(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  const bool object = !r.key.empty();
  Authorize(c, r, object ? "s3:GetObjectAcl" : "s3:GetBucketAcl",
            object ? model::S3ObjectArn(r.bucket, r.key) : model::S3BucketArn(r.bucket), &b);
  if (object) RequireObject(c, r.bucket, r.key);
  const std::string id = CanonicalUserId(b.account);
  return Xml200("AccessControlPolicy",
                OwnerXml("Owner", b.account) +
                    "<AccessControlList><Grant><Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                    "xsi:type=\"CanonicalUser\">" + Xml("ID", id) + Xml("DisplayName", b.account) + "</Grantee>" +
                    Xml("Permission", "FULL_CONTROL") + "</Grant></AccessControlList>");
}

HttpResponse GetBucketRequestPayment(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:GetBucketRequestPayment", model::S3BucketArn(r.bucket), &b);
  return Xml200("RequestPaymentConfiguration", Xml("Payer", "BucketOwner"));
}

HttpResponse ListMultipartUploads(Ctx& c, const Request& r) {
  auto b = RequireBucket(c, r);
  Authorize(c, r, "s3:ListBucketMultipartUploads", model::S3BucketArn(r.bucket), &b);
  const std::string prefix = r.Q("prefix");
  const int max_uploads = IntArgument(r.query, "max-uploads", 1000, 0, 1000);
  std::string inner = Xml("Bucket", r.bucket) + Xml("KeyMarker", r.Q("key-marker")) +
                      Xml("UploadIdMarker", r.Q("upload-id-marker")) + Xml("Prefix", prefix) +
                      Xml("MaxUploads", std::to_string(max_uploads));
  std::string uploads;
  int listed = 0;
  bool truncated = false;
  std::string next_key, next_id;
  const std::string key_marker = r.Q("key-marker"), id_marker = r.Q("upload-id-marker");
  for (const auto& u : c.store.Uploads(r.bucket)) {
    if (u.key.compare(0, prefix.size(), prefix) != 0) continue;
    if (!key_marker.empty() && (u.key < key_marker || (u.key == key_marker && (id_marker.empty() || u.id <= id_marker))))
      continue;
    if (listed == max_uploads) {
      truncated = true;
      break;
    }
    uploads += "<Upload>" + Xml("Key", u.key) + Xml("UploadId", u.id) + OwnerXml("Initiator", u.account) +
               OwnerXml("Owner", b.account) + Xml("StorageClass", "STANDARD") + Xml("Initiated", Iso(u.initiated_ms)) +
               "</Upload>";
    ++listed;
    next_key = u.key;
    next_id = u.id;
  }
  if (truncated) inner += Xml("NextKeyMarker", next_key) + Xml("NextUploadIdMarker", next_id);
  inner += Xml("IsTruncated", truncated ? "true" : "false") + uploads;
  return Xml200("ListMultipartUploadsResult", inner);
}

}  // namespace s3ops

HttpResponse S3Service::Dispatch(Request& r) {
  using namespace s3ops;
  Ctx c{*store_, hooks_};
  const std::string& m = r.http.method;
  if (r.bucket.empty()) {
    if (m == "GET") return ListBuckets(c, r);
    throw S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405,
                  {{"Method", m}, {"ResourceType", "SERVICE"}});
  }
  // Subresources openvpc's S3 does not serve (S3 Select, inventory, analytics, …) are NotImplemented.
  static const std::set<std::string> kServed = {"policy", "location", "uploads", "uploadId", "partNumber", "delete",
                                                "list-type", "prefix", "delimiter", "max-keys", "encoding-type",
                                                "continuation-token", "start-after", "fetch-owner", "marker",
                                                "max-parts", "part-number-marker", "max-uploads", "key-marker",
                                                "upload-id-marker", "versionId", "x-id", "acl", "requestPayment"};
  for (const auto& [name, value] : r.query) {
    bool unkept = false;
    for (const auto& u : kUnkept) unkept = unkept || name == u.subresource;
    if (!kServed.count(name) && !unkept && name.rfind("X-Amz-", 0) != 0 && name.rfind("response-", 0) != 0)
      NotImplemented();
  }
  // Only reading the bucket's (or an object's) ACL and the configurations it has none of.
  if ((r.Has("acl") || r.Has("requestPayment") || UnkeptOf(r)) && m != "GET") NotImplemented();
  if (!r.key.empty() && UnkeptOf(r)) NotImplemented();  // an object's tagging, retention, …
  if (m == "GET" && r.Has("acl")) return GetAcl(c, r);
  if (m == "GET" && r.key.empty() && r.Has("requestPayment")) return GetBucketRequestPayment(c, r);
  if (m == "GET" && r.key.empty())
    if (const UnkeptConfiguration* u = UnkeptOf(r)) return GetUnkeptConfiguration(c, r, *u);
  if (r.key.empty()) {
    if (m == "PUT") return r.Has("policy") ? PutBucketPolicy(c, r) : CreateBucket(c, r);
    if (m == "DELETE") return r.Has("policy") ? DeleteBucketPolicy(c, r) : DeleteBucket(c, r);
    if (m == "HEAD") return HeadBucket(c, r);
    if (m == "POST" && r.Has("delete")) return DeleteObjects(c, r);
    if (m == "GET") {
      if (r.Has("location")) return GetBucketLocation(c, r);
      if (r.Has("policy")) return GetBucketPolicy(c, r);
      if (r.Has("uploads")) return ListMultipartUploads(c, r);
      return ListObjects(c, r, r.Q("list-type") == "2");
    }
  } else {
    if (m == "PUT") {
      if (r.Has("uploadId")) return UploadPart(c, r);
      if (r.Header("x-amz-copy-source")) return CopyObject(c, r);
      return PutObject(c, r);
    }
    if (m == "GET") return r.Has("uploadId") ? ListParts(c, r) : GetObject(c, r, false);
    if (m == "HEAD") return GetObject(c, r, true);
    if (m == "DELETE") return r.Has("uploadId") ? AbortMultipartUpload(c, r) : DeleteObject(c, r);
    if (m == "POST") {
      if (r.Has("uploads")) return CreateMultipartUpload(c, r);
      if (r.Has("uploadId")) return CompleteMultipartUpload(c, r);
    }
  }
  throw S3Error("MethodNotAllowed", "The specified method is not allowed against this resource.", 405,
                {{"Method", m}, {"ResourceType", r.key.empty() ? "BUCKET" : "OBJECT"}});
}

}  // namespace openvpc::api
