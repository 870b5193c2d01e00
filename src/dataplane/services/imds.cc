#include "dataplane/services/imds.h"

#include <sys/random.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <stdexcept>
#include <system_error>

namespace openvpc::dataplane {

namespace {

constexpr long kMaxTtlSeconds = 21600;  // six hours, EC2's ceiling
// Caps on the token table: an instance flooding PUTs evicts its own oldest tokens first.
constexpr size_t kMaxTokens = 65536;
constexpr size_t kMaxTokensPerInstance = 1024;

constexpr const char* kTokenHeader = "x-aws-ec2-metadata-token";
constexpr const char* kTtlHeader = "x-aws-ec2-metadata-token-ttl-seconds";
constexpr const char* kTtlResponseHeader = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds";

// The versions EC2 lists at "/", oldest first; each is served as "latest".
constexpr const char* kVersions[] = {
    "1.0",        "2007-01-19", "2007-03-01", "2007-08-29", "2007-10-10", "2007-12-15", "2008-02-01",
    "2008-09-01", "2009-04-04", "2011-01-01", "2011-05-01", "2012-01-12", "2014-02-25", "2014-11-05",
    "2015-10-20", "2016-04-19", "2016-06-30", "2016-09-02", "2018-03-28", "2018-08-17", "2018-09-24",
    "2019-10-01", "2020-10-27", "2021-01-03", "2021-03-23", "2021-07-15", "2022-09-24", "latest",
};

const char* StatusText(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    default: return "Error";
  }
}

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += '\n';
    out += s;
  }
  return out;
}

// A node of the metadata tree. Built per request from the caller's metadata, so a listing and
// the entries it names cannot disagree.
struct Node {
  std::string name;
  std::string label;  // how the parent lists it when not NAME (public-keys: "0=KEYNAME")
  bool dir = false;
  std::string value;
  std::string content_type = "text/plain";
  std::vector<Node> children;
};

Node Leaf(std::string name, std::string value) {
  Node n;
  n.name = std::move(name);
  n.value = std::move(value);
  return n;
}

Node Dir(std::string name, std::vector<Node> children) {
  Node n;
  n.name = std::move(name);
  n.dir = true;
  n.children = std::move(children);
  return n;
}

std::string Listing(const Node& dir) {
  std::string out;
  for (const auto& c : dir.children) {
    if (!out.empty()) out += '\n';
    out += !c.label.empty() ? c.label : c.dir ? c.name + "/" : c.name;
  }
  return out;
}

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

// EC2's layout (" : ", its key order); unsigned, so no pkcs7/signature beside it.
std::string IdentityDocument(const InstanceMetadata& m) {
  std::string d = "{\n";
  d += "  \"accountId\" : " + JsonString(m.account_id) + ",\n";
  d += "  \"architecture\" : " + JsonString(m.architecture) + ",\n";
  d += "  \"availabilityZone\" : " + JsonString(m.availability_zone) + ",\n";
  d += "  \"billingProducts\" : null,\n";
  d += "  \"devpayProductCodes\" : null,\n";
  d += "  \"marketplaceProductCodes\" : null,\n";
  d += "  \"imageId\" : " + JsonString(m.ami_id) + ",\n";
  d += "  \"instanceId\" : " + JsonString(m.instance_id) + ",\n";
  d += "  \"instanceType\" : " + JsonString(m.instance_type) + ",\n";
  d += "  \"kernelId\" : null,\n";
  d += "  \"privateIp\" : " + JsonString(m.local_ipv4) + ",\n";
  d += "  \"ramdiskId\" : null,\n";
  d += "  \"region\" : " + JsonString(m.region) + ",\n";
  d += "  \"version\" : \"2017-09-30\"\n";
  d += "}";
  return d;
}

Node InterfaceNode(const MetadataInterface& i) {
  std::vector<Node> c;
  c.push_back(Leaf("device-number", std::to_string(i.device_number)));
  c.push_back(Leaf("interface-id", i.interface_id));
  if (!i.ipv6s.empty()) c.push_back(Leaf("ipv6s", Join(i.ipv6s)));
  c.push_back(Leaf("local-hostname", i.local_hostname));
  c.push_back(Leaf("local-ipv4s", Join(i.local_ipv4s)));
  c.push_back(Leaf("mac", i.mac));
  c.push_back(Leaf("owner-id", i.owner_id));
  if (!i.public_ipv4s.empty() && !i.public_hostname.empty()) c.push_back(Leaf("public-hostname", i.public_hostname));
  if (!i.public_ipv4s.empty()) c.push_back(Leaf("public-ipv4s", Join(i.public_ipv4s)));
  c.push_back(Leaf("security-group-ids", Join(i.security_group_ids)));
  c.push_back(Leaf("security-groups", Join(i.security_groups)));
  c.push_back(Leaf("subnet-id", i.subnet_id));
  c.push_back(Leaf("subnet-ipv4-cidr-block", i.subnet_ipv4_cidr_block));
  c.push_back(Leaf("vpc-id", i.vpc_id));
  c.push_back(Leaf("vpc-ipv4-cidr-block", i.vpc_ipv4_cidr_block));
  // A VPC always has its primary block; fall back to it when the list was left empty.
  c.push_back(Leaf("vpc-ipv4-cidr-blocks", i.vpc_ipv4_cidr_blocks.empty() ? i.vpc_ipv4_cidr_block
                                                                          : Join(i.vpc_ipv4_cidr_blocks)));
  return Dir(i.mac, std::move(c));
}

Node MetaDataNode(const InstanceMetadata& m) {
  std::vector<Node> macs;
  for (const auto& i : m.interfaces) macs.push_back(InterfaceNode(i));
  const bool china = m.region.rfind("cn-", 0) == 0;
  const bool govcloud = m.region.rfind("us-gov-", 0) == 0;

  std::vector<Node> c;  // in EC2's (alphabetical) order
  c.push_back(Leaf("ami-id", m.ami_id));
  c.push_back(Leaf("ami-launch-index", std::to_string(m.ami_launch_index)));
  c.push_back(Leaf("hostname", m.local_hostname));
  if (m.iam) {  // EC2's documents, JSON as text
    const auto& iam = *m.iam;
    std::string info = "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"" + iam.last_updated +
                       "\",\n  \"InstanceProfileArn\" : \"" + iam.profile_arn + "\",\n  \"InstanceProfileId\" : \"" +
                       iam.profile_id + "\"\n}";
    std::vector<Node> roles;
    if (!iam.access_key_id.empty())
      roles.push_back(Leaf(iam.role_name, "{\n  \"Code\" : \"Success\",\n  \"LastUpdated\" : \"" + iam.last_updated +
                                              "\",\n  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"" + iam.access_key_id +
                                              "\",\n  \"SecretAccessKey\" : \"" + iam.secret_access_key +
                                              "\",\n  \"Token\" : \"" + iam.token + "\",\n  \"Expiration\" : \"" +
                                              iam.expiration + "\"\n}"));
    c.push_back(Dir("iam", {Leaf("info", info), Dir("security-credentials", std::move(roles))}));
  }
  c.push_back(Leaf("instance-id", m.instance_id));
  c.push_back(Leaf("instance-type", m.instance_type));
  c.push_back(Leaf("local-hostname", m.local_hostname));
  c.push_back(Leaf("local-ipv4", m.local_ipv4));
  c.push_back(Leaf("mac", m.mac));
  c.push_back(Dir("network", {Dir("interfaces", {Dir("macs", std::move(macs))})}));
  c.push_back(Dir("placement", {Leaf("availability-zone", m.availability_zone),
                                Leaf("availability-zone-id", m.availability_zone_id), Leaf("region", m.region)}));
  if (!m.public_ipv4.empty()) {
    if (!m.public_hostname.empty()) c.push_back(Leaf("public-hostname", m.public_hostname));
    c.push_back(Leaf("public-ipv4", m.public_ipv4));
  }
  if (!m.openssh_key.empty()) {
    Node key = Dir("0", {Leaf("openssh-key", m.openssh_key)});
    key.label = "0=" + m.key_name;
    c.push_back(Dir("public-keys", {std::move(key)}));
  }
  c.push_back(Leaf("reservation-id", m.reservation_id));
  c.push_back(Leaf("security-groups", Join(m.security_groups)));
  c.push_back(Dir("services", {Leaf("domain", china ? "amazonaws.com.cn" : "amazonaws.com"),
                               Leaf("partition", china ? "aws-cn" : govcloud ? "aws-us-gov" : "aws")}));
  if (m.tags) {  // InstanceMetadataTags enabled: each key a leaf holding its value
    std::vector<Node> keys;
    for (const auto& [k, v] : *m.tags) keys.push_back(Leaf(k, v));
    c.push_back(Dir("tags", {Dir("instance", std::move(keys))}));
  }
  return Dir("meta-data", std::move(c));
}

// What a version ("latest", "2009-04-04", …) holds for M.
Node VersionNode(const InstanceMetadata& m) {
  std::vector<Node> c;
  c.push_back(Dir("dynamic", {Dir("instance-identity", {Leaf("document", IdentityDocument(m))})}));
  c.push_back(MetaDataNode(m));
  for (auto& n : c) n.label = n.name;  // EC2 lists these two without the "/" of a directory
  if (!m.user_data.empty()) {
    Node u = Leaf("user-data", m.user_data);
    u.content_type = "application/octet-stream";
    c.push_back(std::move(u));
  }
  return Dir("latest", std::move(c));
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The path of TARGET as decoded segments; empty ones dropped, so "/latest/meta-data" and
// "/latest/meta-data/" name the same directory. False on a bad escape.
bool Segments(std::string_view target, std::vector<std::string>* out) {
  target = target.substr(0, target.find_first_of("?#"));
  std::string seg;
  auto flush = [&] {
    if (!seg.empty()) out->push_back(std::move(seg));
    seg.clear();
  };
  for (size_t i = 0; i < target.size(); ++i) {
    char c = target[i];
    if (c == '/') {
      flush();
    } else if (c == '%') {
      if (i + 2 >= target.size()) return false;
      int hi = HexDigit(target[i + 1]), lo = HexDigit(target[i + 2]);
      if (hi < 0 || lo < 0) return false;
      char d = static_cast<char>(hi * 16 + lo);
      if (d == '/' || d == '\0') return false;  // an encoded slash would make a segment a path
      seg += d;
      i += 2;
    } else {
      seg += c;
    }
  }
  flush();
  return true;
}

bool IsVersion(const std::string& s) {
  for (const char* v : kVersions)
    if (s == v) return true;
  return false;
}

bool IsTokenPath(const std::vector<std::string>& segs) {
  return segs.size() == 3 && segs[0] == "latest" && segs[1] == "api" && segs[2] == "token";
}

MetadataResponse Serve(const std::vector<std::string>& segs, const InstanceMetadata& m) {
  if (segs.empty()) {
    MetadataResponse r;
    r.body = Join(std::vector<std::string>(std::begin(kVersions), std::end(kVersions)));
    return r;
  }
  if (!IsVersion(segs[0])) return MetadataError(404);
  Node root = VersionNode(m);
  const Node* n = &root;
  for (size_t i = 1; i < segs.size(); ++i) {
    const Node* next = nullptr;
    if (n->dir)
      for (const auto& c : n->children)
        if (c.name == segs[i]) next = &c;
    if (next == nullptr) return MetadataError(404);
    n = next;
  }
  MetadataResponse r;
  r.content_type = n->content_type;
  r.body = n->dir ? Listing(*n) : n->value;
  return r;
}

// A decimal 1..21600 and nothing else (no sign, no spaces): EC2 answers 400 otherwise.
bool ParseTtl(const std::string& s, long* ttl) {
  if (s.empty() || s.size() > 5) return false;
  long v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  if (v < 1 || v > kMaxTtlSeconds) return false;
  *ttl = v;
  return true;
}

// 256 random bits, base64url without padding: unguessable, and safe in a header or a shell.
std::string NewToken() {
  unsigned char raw[32];
  size_t got = 0;
  while (got < sizeof raw) {
    ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "getrandom");
    }
    got += static_cast<size_t>(n);
  }
  static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (unsigned char b : raw) {
    acc = (acc << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += kAlphabet[(acc >> bits) & 63];
    }
  }
  if (bits > 0) out += kAlphabet[(acc << (6 - bits)) & 63];
  return out;
}

}  // namespace

MetadataResponse MetadataError(int status) {
  const std::string title = std::to_string(status) + " - " + StatusText(status);
  MetadataResponse r;
  r.status = status;
  r.content_type = "text/html";
  r.body =
      "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n"
      "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n"
      "\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n"
      "<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n"
      " <head>\n"
      "  <title>" + title + "</title>\n"
      " </head>\n"
      " <body>\n"
      "  <h1>" + title + "</h1>\n"
      " </body>\n"
      "</html>\n";
  return r;
}

MetadataService::MetadataService(std::string http_tokens) : tokens_required_(http_tokens == "required") {}

size_t MetadataService::token_count() const {
  std::lock_guard<std::mutex> l(mu_);
  return tokens_.size();
}

MetadataResponse MetadataService::Handle(std::string_view method, std::string_view target,
                                         const std::map<std::string, std::string>& headers,
                                         const InstanceMetadata* instance, double now) {
  if (method != "GET" && method != "PUT") return MetadataError(405);
  if (instance == nullptr) return MetadataError(404);
  if (!instance->http_endpoint) return MetadataError(403);
  std::vector<std::string> segs;
  if (!Segments(target, &segs)) return MetadataError(404);

  // The token endpoint takes PUT only, and PUT is for the token endpoint only.
  if (IsTokenPath(segs) != (method == "PUT")) return MetadataError(405);
  if (method == "PUT") return IssueToken(headers, *instance, now);

  long remaining = -1;
  auto h = headers.find(kTokenHeader);
  if (h != headers.end()) {
    // A token that is present must be good even in "optional" mode, as in EC2.
    std::lock_guard<std::mutex> l(mu_);
    auto t = tokens_.find(h->second);
    if (t == tokens_.end() || t->second.instance_id != instance->instance_id) return MetadataError(401);
    if (now >= t->second.expires) {
      DropToken(t->first);
      return MetadataError(401);
    }
    remaining = static_cast<long>(std::ceil(t->second.expires - now));
  } else if (tokens_required_ || instance->http_tokens == "required") {
    return MetadataError(401);
  }

  MetadataResponse r = Serve(segs, *instance);
  if (remaining >= 0) r.headers.emplace_back(kTtlResponseHeader, std::to_string(remaining));
  return r;
}

MetadataResponse MetadataService::IssueToken(const std::map<std::string, std::string>& headers,
                                             const InstanceMetadata& instance, double now) {
  // A proxy in the path (SSRF through a reverse proxy) must not obtain a token.
  if (headers.count("x-forwarded-for")) return MetadataError(403);
  auto h = headers.find(kTtlHeader);
  long ttl = 0;
  if (h == headers.end() || !ParseTtl(h->second, &ttl)) return MetadataError(400);

  std::string token = NewToken();
  {
    std::lock_guard<std::mutex> l(mu_);
    while (!by_expiry_.empty() && by_expiry_.begin()->first <= now) DropToken(by_expiry_.begin()->second);
    for (;;) {
      auto mine = by_instance_.find(instance.instance_id);
      if (mine == by_instance_.end() || mine->second.size() < kMaxTokensPerInstance) break;
      DropToken(mine->second.begin()->second);
    }
    while (tokens_.size() >= kMaxTokens) DropToken(by_expiry_.begin()->second);
    while (tokens_.count(token)) token = NewToken();
    const double expires = now + static_cast<double>(ttl);
    tokens_[token] = Token{instance.instance_id, expires};
    by_expiry_.emplace(expires, token);
    by_instance_[instance.instance_id].emplace(expires, token);
  }

  MetadataResponse r;
  r.body = token;
  r.headers.emplace_back(kTtlResponseHeader, std::to_string(ttl));
  r.ip_ttl = instance.http_put_response_hop_limit;
  return r;
}

void MetadataService::DropToken(std::string token) {
  auto t = tokens_.find(token);
  if (t == tokens_.end()) return;
  const auto key = std::make_pair(t->second.expires, token);
  by_expiry_.erase(key);
  auto mine = by_instance_.find(t->second.instance_id);
  if (mine != by_instance_.end()) {
    mine->second.erase(key);
    if (mine->second.empty()) by_instance_.erase(mine);
  }
  tokens_.erase(t);
}

}  // namespace openvpc::dataplane
