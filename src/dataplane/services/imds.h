// The instance metadata service (IMDS) as EC2 serves it at http://169.254.169.254, IMDSv1 and
// IMDSv2: the request -> response logic only, no I/O (imds_server.h puts it on a socket).
//
// The tree is EC2's: /latest/meta-data/..., /latest/user-data, /latest/dynamic/instance-identity/
// document; a directory lists its entries one a line (directories with a trailing "/"), a leaf
// is its value, and anything else is a 404 with EC2's HTML error page. Every version EC2 lists
// at "/" is an alias of "latest", since clients (cloud-init) probe dated versions.
//
// IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds (1..21600) returns an
// opaque token bound to the calling instance, in packets whose IP TTL is the instance's hop
// limit (so a container one hop further never gets it); a GET that carries
// X-aws-ec2-metadata-token must name an unexpired token of the same instance (else 401), and the
// response carries the remaining TTL. With http_tokens "required" (the service's or the
// instance's) a GET without a token is a 401 as well; with the endpoint disabled everything is a
// 403 ("the IMDS is turned off").
#pragma once

#include <map>
#include <optional>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace openvpc::dataplane {

struct MetadataInterface {  // one attached network interface
  std::string mac, interface_id, subnet_id, vpc_id, owner_id;
  int device_number = 0;
  std::vector<std::string> local_ipv4s;  // primary first
  std::string subnet_ipv4_cidr_block, vpc_ipv4_cidr_block;
  std::vector<std::string> vpc_ipv4_cidr_blocks;
  std::vector<std::string> security_group_ids, security_groups;  // ids; names
  std::vector<std::string> public_ipv4s;  // public addresses of its private addresses
  std::vector<std::string> ipv6s;
  std::string local_hostname, public_hostname;
};

struct InstanceMetadata {
  std::string instance_id, instance_type, ami_id, reservation_id, account_id;
  int ami_launch_index = 0;
  std::string region, availability_zone, availability_zone_id;
  std::string local_ipv4, public_ipv4, local_hostname, public_hostname, mac;  // of the primary interface
  std::vector<std::string> security_groups;  // names
  std::string openssh_key;  // empty when launched without a key pair
  std::string key_name;
  std::string user_data;  // raw bytes (already base64-decoded); empty = none
  std::string architecture = "x86_64";
  std::vector<MetadataInterface> interfaces;  // by device number
  // The instance's metadata options (ModifyInstanceMetadataOptions), enforced per request.
  std::string http_tokens = "optional";  // "required": a GET without a valid token is a 401
  bool http_endpoint = true;              // false: every request is a 403 (IMDS turned off)
  int http_put_response_hop_limit = 1;    // the IP TTL of a token's reply
  // With InstanceMetadataTags enabled, its tags, listed under meta-data/tags/instance.
  std::optional<std::vector<std::pair<std::string, std::string>>> tags;
  // Launched with an instance profile: meta-data/iam/info, and iam/security-credentials/ROLE with
  // the role's temporary credentials (the host fills them in: api/session_credentials.h).
  struct Iam {
    std::string profile_arn, profile_id, role_name;
    std::string access_key_id, secret_access_key, token, expiration, last_updated;  // ISO 8601 times
  };
  std::optional<Iam> iam;
};

struct MetadataResponse {
  int status = 200;
  std::string content_type = "text/plain";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beyond Content-Type
  int ip_ttl = 0;  // > 0: the IP TTL the response is sent with (a token's reply: the hop limit)
};

// Thread-safe: one service is shared by every connection, since a token issued on one
// connection is used on others.
class MetadataService {
 public:
  // http_tokens "optional" (IMDSv1 and v2) or "required" (v2 only: a GET without a valid token
  // gets 401). Anything but "required" is "optional".
  explicit MetadataService(std::string http_tokens = "optional");

  MetadataService(const MetadataService&) = delete;
  MetadataService& operator=(const MetadataService&) = delete;

  // METHOD, TARGET (path+query), lower-cased header names, the caller's instance (nullptr:
  // unknown caller -> 404), NOW in seconds (monotonic, injectable for tests).
  MetadataResponse Handle(std::string_view method, std::string_view target,
                          const std::map<std::string, std::string>& headers, const InstanceMetadata* instance,
                          double now);

  // Live tokens held (expired ones go lazily, on the next PUT).
  size_t token_count() const;

 private:
  struct Token {
    std::string instance_id;
    double expires = 0;  // valid while now < expires
  };

  MetadataResponse IssueToken(const std::map<std::string, std::string>& headers, const InstanceMetadata& instance,
                              double now);
  void DropToken(std::string token);  // by value: callers pass keys of the indexes it erases

  const bool tokens_required_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Token> tokens_;  // token -> binding
  std::set<std::pair<double, std::string>> by_expiry_;  // (expires, token): lazy expiry, oldest first
  // instance id -> its (expires, token), so one instance flooding PUTs only evicts its own.
  std::unordered_map<std::string, std::set<std::pair<double, std::string>>> by_instance_;
};

// EC2's error page for STATUS ("404 - Not Found" in an XHTML document).
MetadataResponse MetadataError(int status);

}  // namespace openvpc::dataplane
