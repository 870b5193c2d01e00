// The instance metadata service (dataplane/imds.h) against EC2's documented behaviour (User
// Guide: "Instance metadata categories", "Use IMDSv2"), and its HTTP server over a real socket.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "dataplane/services/imds.h"
#include "dataplane/services/imds_server.h"

using namespace openvpc::dataplane;

namespace {

using Headers = std::map<std::string, std::string>;

InstanceMetadata Instance(bool public_ip = true, bool key = true) {
  InstanceMetadata m;
  m.instance_id = "i-0123456789abcdef0";
  m.instance_type = "t3.micro";
  m.ami_id = "ami-0abcdef1234567890";
  m.reservation_id = "r-0fedcba9876543210";
  m.account_id = "123456789012";
  m.ami_launch_index = 2;
  m.region = "us-east-1";
  m.availability_zone = "us-east-1a";
  m.availability_zone_id = "use1-az1";
  m.local_ipv4 = "10.0.1.10";
  m.local_hostname = "ip-10-0-1-10.ec2.internal";
  m.mac = "0e:11:22:33:44:55";
  m.security_groups = {"web", "default"};
  if (public_ip) {
    m.public_ipv4 = "54.1.2.3";
    m.public_hostname = "ec2-54-1-2-3.compute-1.amazonaws.com";
  }
  if (key) {
    m.key_name = "my-key";
    m.openssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample my-key";
  }
  MetadataInterface eth0;
  eth0.mac = m.mac;
  eth0.interface_id = "eni-0aaaaaaaaaaaaaaaa";
  eth0.subnet_id = "subnet-0bbbbbbbbbbbbbbbb";
  eth0.vpc_id = "vpc-0cccccccccccccccc";
  eth0.owner_id = m.account_id;
  eth0.device_number = 0;
  eth0.local_ipv4s = {"10.0.1.10", "10.0.1.11"};
  eth0.subnet_ipv4_cidr_block = "10.0.1.0/24";
  eth0.vpc_ipv4_cidr_block = "10.0.0.0/16";
  eth0.vpc_ipv4_cidr_blocks = {"10.0.0.0/16", "10.1.0.0/16"};
  eth0.security_group_ids = {"sg-01111111111111111", "sg-02222222222222222"};
  eth0.security_groups = {"web", "default"};
  eth0.local_hostname = m.local_hostname;
  if (public_ip) {
    eth0.public_ipv4s = {"54.1.2.3"};
    eth0.public_hostname = m.public_hostname;
  }
  MetadataInterface eth1;
  eth1.mac = "0e:66:77:88:99:aa";
  eth1.interface_id = "eni-0dddddddddddddddd";
  eth1.subnet_id = "subnet-0eeeeeeeeeeeeeeee";
  eth1.vpc_id = eth0.vpc_id;
  eth1.owner_id = m.account_id;
  eth1.device_number = 1;
  eth1.local_ipv4s = {"10.0.2.20"};
  eth1.subnet_ipv4_cidr_block = "10.0.2.0/24";
  eth1.vpc_ipv4_cidr_block = "10.0.0.0/16";
  eth1.security_group_ids = {"sg-01111111111111111"};
  eth1.security_groups = {"web"};
  eth1.ipv6s = {"2600:1f18::10"};
  eth1.local_hostname = "ip-10-0-2-20.ec2.internal";
  m.interfaces = {eth0, eth1};
  return m;
}

MetadataResponse Get(MetadataService& s, const std::string& path, const InstanceMetadata& m, double now = 100,
                     Headers h = {}) {
  return s.Handle("GET", path, h, &m, now);
}

std::string PutToken(MetadataService& s, const InstanceMetadata& m, double now, const std::string& ttl = "21600") {
  MetadataResponse r = s.Handle("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", ttl}}, &m, now);
  EXPECT_EQ(r.status, 200);
  return r.body;
}

std::string Header(const MetadataResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers)
    if (k == name) return v;
  return "<none>";
}

}  // namespace

TEST(Imds, V1ServesEveryLeaf) {
  MetadataService s;
  InstanceMetadata m = Instance();
  const std::string eth0 = "/latest/meta-data/network/interfaces/macs/0e:11:22:33:44:55/";
  const std::string eth1 = "/latest/meta-data/network/interfaces/macs/0e:66:77:88:99:aa/";
  const std::map<std::string, std::string> want = {
      {"/latest/meta-data/ami-id", "ami-0abcdef1234567890"},
      {"/latest/meta-data/ami-launch-index", "2"},
      {"/latest/meta-data/hostname", "ip-10-0-1-10.ec2.internal"},
      {"/latest/meta-data/instance-id", "i-0123456789abcdef0"},
      {"/latest/meta-data/instance-type", "t3.micro"},
      {"/latest/meta-data/local-hostname", "ip-10-0-1-10.ec2.internal"},
      {"/latest/meta-data/local-ipv4", "10.0.1.10"},
      {"/latest/meta-data/mac", "0e:11:22:33:44:55"},
      {"/latest/meta-data/placement/availability-zone", "us-east-1a"},
      {"/latest/meta-data/placement/availability-zone-id", "use1-az1"},
      {"/latest/meta-data/placement/region", "us-east-1"},
      {"/latest/meta-data/public-hostname", "ec2-54-1-2-3.compute-1.amazonaws.com"},
      {"/latest/meta-data/public-ipv4", "54.1.2.3"},
      {"/latest/meta-data/public-keys/0/openssh-key", "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample my-key"},
      {"/latest/meta-data/reservation-id", "r-0fedcba9876543210"},
      {"/latest/meta-data/security-groups", "web\ndefault"},
      {"/latest/meta-data/services/domain", "amazonaws.com"},
      {"/latest/meta-data/services/partition", "aws"},
      {eth0 + "device-number", "0"},
      {eth0 + "interface-id", "eni-0aaaaaaaaaaaaaaaa"},
      {eth0 + "local-hostname", "ip-10-0-1-10.ec2.internal"},
      {eth0 + "local-ipv4s", "10.0.1.10\n10.0.1.11"},
      {eth0 + "mac", "0e:11:22:33:44:55"},
      {eth0 + "owner-id", "123456789012"},
      {eth0 + "public-hostname", "ec2-54-1-2-3.compute-1.amazonaws.com"},
      {eth0 + "public-ipv4s", "54.1.2.3"},
      {eth0 + "security-group-ids", "sg-01111111111111111\nsg-02222222222222222"},
      {eth0 + "security-groups", "web\ndefault"},
      {eth0 + "subnet-id", "subnet-0bbbbbbbbbbbbbbbb"},
      {eth0 + "subnet-ipv4-cidr-block", "10.0.1.0/24"},
      {eth0 + "vpc-id", "vpc-0cccccccccccccccc"},
      {eth0 + "vpc-ipv4-cidr-block", "10.0.0.0/16"},
      {eth0 + "vpc-ipv4-cidr-blocks", "10.0.0.0/16\n10.1.0.0/16"},
      {eth1 + "device-number", "1"},
      {eth1 + "ipv6s", "2600:1f18::10"},
      {eth1 + "local-ipv4s", "10.0.2.20"},
      {eth1 + "vpc-ipv4-cidr-blocks", "10.0.0.0/16"},  // falls back to the primary block
  };
  for (const auto& [path, body] : want) {
    MetadataResponse r = Get(s, path, m);
    EXPECT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, body) << path;
    EXPECT_EQ(r.content_type, "text/plain") << path;
    EXPECT_EQ(Header(r, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"), "<none>") << path;  // v1: no token
  }
  EXPECT_EQ(Get(s, "/latest/meta-data/instance-id?x=1", m).body, "i-0123456789abcdef0");  // query ignored
  EXPECT_EQ(Get(s, "/latest/meta-data/network/interfaces/macs/0e%3A11%3A22%3A33%3A44%3A55/mac", m).body,
            "0e:11:22:33:44:55");
  EXPECT_EQ(Get(s, eth1 + "public-ipv4s", m).status, 404);  // eth1 has no public address
}

TEST(Imds, ListingsWithPublicIpAndKey) {
  MetadataService s;
  InstanceMetadata m = Instance(true, true);
  EXPECT_EQ(Get(s, "/latest/meta-data/", m).body,
            "ami-id\nami-launch-index\nhostname\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\n"
            "network/\nplacement/\npublic-hostname\npublic-ipv4\npublic-keys/\nreservation-id\nsecurity-groups\n"
            "services/");
  EXPECT_EQ(Get(s, "/latest/meta-data", m).body, Get(s, "/latest/meta-data/", m).body);
  EXPECT_EQ(Get(s, "/latest/meta-data/public-keys/", m).body, "0=my-key");
  EXPECT_EQ(Get(s, "/latest/meta-data/public-keys/0/", m).body, "openssh-key");
  EXPECT_EQ(Get(s, "/latest/meta-data/placement/", m).body, "availability-zone\navailability-zone-id\nregion");
  EXPECT_EQ(Get(s, "/latest/meta-data/services/", m).body, "domain\npartition");
  EXPECT_EQ(Get(s, "/latest/meta-data/network/", m).body, "interfaces/");
  EXPECT_EQ(Get(s, "/latest/meta-data/network/interfaces/", m).body, "macs/");
  EXPECT_EQ(Get(s, "/latest/meta-data/network/interfaces/macs/", m).body, "0e:11:22:33:44:55/\n0e:66:77:88:99:aa/");
  EXPECT_EQ(Get(s, "/latest/meta-data/network/interfaces/macs/0e:11:22:33:44:55/", m).body,
            "device-number\ninterface-id\nlocal-hostname\nlocal-ipv4s\nmac\nowner-id\npublic-hostname\n"
            "public-ipv4s\nsecurity-group-ids\nsecurity-groups\nsubnet-id\nsubnet-ipv4-cidr-block\nvpc-id\n"
            "vpc-ipv4-cidr-block\nvpc-ipv4-cidr-blocks");
  EXPECT_EQ(Get(s, "/latest/meta-data/network/interfaces/macs/0e:66:77:88:99:aa", m).body,
            "device-number\ninterface-id\nipv6s\nlocal-hostname\nlocal-ipv4s\nmac\nowner-id\n"
            "security-group-ids\nsecurity-groups\nsubnet-id\nsubnet-ipv4-cidr-block\nvpc-id\n"
            "vpc-ipv4-cidr-block\nvpc-ipv4-cidr-blocks");
}

TEST(Imds, ListingsWithoutPublicIpOrKey) {
  MetadataService s;
  InstanceMetadata m = Instance(false, false);
  EXPECT_EQ(Get(s, "/latest/meta-data/", m).body,
            "ami-id\nami-launch-index\nhostname\ninstance-id\ninstance-type\nlocal-hostname\nlocal-ipv4\nmac\n"
            "network/\nplacement/\nreservation-id\nsecurity-groups\nservices/");
  for (const char* path : {"/latest/meta-data/public-ipv4", "/latest/meta-data/public-hostname",
                           "/latest/meta-data/public-keys/", "/latest/meta-data/public-keys/0/openssh-key",
                           "/latest/meta-data/network/interfaces/macs/0e:11:22:33:44:55/public-ipv4s"})
    EXPECT_EQ(Get(s, path, m).status, 404) << path;
  EXPECT_EQ(Get(s, "/latest/meta-data/network/interfaces/macs/0e:11:22:33:44:55/", m).body.find("public"),
            std::string::npos);
}

TEST(Imds, VersionsAndUserData) {
  MetadataService s;
  InstanceMetadata m = Instance();
  MetadataResponse root = Get(s, "/", m);
  EXPECT_EQ(root.status, 200);
  EXPECT_EQ(root.body.substr(0, 4), "1.0\n");
  EXPECT_EQ(root.body.substr(root.body.size() - 7), "\nlatest");
  // Dated versions (probed by cloud-init) serve the same tree.
  EXPECT_EQ(Get(s, "/2009-04-04/meta-data/instance-id", m).body, "i-0123456789abcdef0");
  EXPECT_EQ(Get(s, "/1999-01-01/meta-data/instance-id", m).status, 404);

  EXPECT_EQ(Get(s, "/latest/", m).body, "dynamic\nmeta-data");
  EXPECT_EQ(Get(s, "/latest/user-data", m).status, 404);

  m.user_data = std::string("#!/bin/sh\necho hi\n\0\xff", 20);
  EXPECT_EQ(Get(s, "/latest/", m).body, "dynamic\nmeta-data\nuser-data");
  EXPECT_EQ(Get(s, "/latest", m).body, "dynamic\nmeta-data\nuser-data");
  MetadataResponse u = Get(s, "/latest/user-data", m);
  EXPECT_EQ(u.status, 200);
  EXPECT_EQ(u.body, m.user_data);  // raw bytes, NUL included
  EXPECT_EQ(u.content_type, "application/octet-stream");
}

TEST(Imds, IdentityDocumentIsJson) {
  MetadataService s;
  InstanceMetadata m = Instance();
  EXPECT_EQ(Get(s, "/latest/dynamic/", m).body, "instance-identity/");
  EXPECT_EQ(Get(s, "/latest/dynamic/instance-identity/", m).body, "document");
  MetadataResponse r = Get(s, "/latest/dynamic/instance-identity/document", m);
  ASSERT_EQ(r.status, 200);
  nlohmann::json d = nlohmann::json::parse(r.body);
  EXPECT_EQ(d["accountId"], "123456789012");
  EXPECT_EQ(d["architecture"], "x86_64");
  EXPECT_EQ(d["availabilityZone"], "us-east-1a");
  EXPECT_EQ(d["imageId"], "ami-0abcdef1234567890");
  EXPECT_EQ(d["instanceId"], "i-0123456789abcdef0");
  EXPECT_EQ(d["instanceType"], "t3.micro");
  EXPECT_EQ(d["privateIp"], "10.0.1.10");
  EXPECT_EQ(d["region"], "us-east-1");
  EXPECT_EQ(d["version"], "2017-09-30");
  EXPECT_TRUE(d["kernelId"].is_null());

  m.instance_type = "weird\"type\n";  // escaped, still JSON
  EXPECT_EQ(nlohmann::json::parse(Get(s, "/latest/dynamic/instance-identity/document", m).body)["instanceType"],
            "weird\"type\n");
}

TEST(Imds, UnknownPathAndCaller) {
  MetadataService s;
  InstanceMetadata m = Instance();
  for (const char* path : {"/latest/meta-data/nope", "/latest/meta-data/instance-id/extra", "/nope",
                           "/latest/meta-data/network/interfaces/macs/00:00:00:00:00:00/", "/latest/%zz"}) {
    MetadataResponse r = Get(s, path, m);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.content_type, "text/html") << path;
    EXPECT_NE(r.body.find("<title>404 - Not Found</title>"), std::string::npos) << path;
  }
  EXPECT_EQ(s.Handle("GET", "/latest/meta-data/instance-id", {}, nullptr, 0).status, 404);
  EXPECT_EQ(s.Handle("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}}, nullptr, 0).status,
            404);
}

TEST(Imds, OtherMethodsAre405) {
  MetadataService s;
  InstanceMetadata m = Instance();
  const Headers ttl = {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}};
  for (const char* method : {"POST", "DELETE", "HEAD", "PATCH", "OPTIONS"})
    EXPECT_EQ(s.Handle(method, "/latest/meta-data/", {}, &m, 0).status, 405) << method;
  EXPECT_EQ(s.Handle("POST", "/latest/api/token", ttl, &m, 0).status, 405);
  EXPECT_EQ(s.Handle("GET", "/latest/api/token", ttl, &m, 0).status, 405);
  EXPECT_EQ(s.Handle("PUT", "/latest/meta-data/instance-id", ttl, &m, 0).status, 405);
  EXPECT_EQ(s.Handle("PUT", "/latest/api/token/", ttl, &m, 0).status, 200);  // ohai adds the slash
}

TEST(Imds, V2PutTokenThenGet) {
  MetadataService s;
  InstanceMetadata m = Instance();
  MetadataResponse put = s.Handle("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "300"}}, &m, 1000);
  ASSERT_EQ(put.status, 200);
  EXPECT_GE(put.body.size(), 40u);
  EXPECT_EQ(Header(put, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"), "300");
  EXPECT_NE(PutToken(s, m, 1000), put.body);  // random, never reused

  MetadataResponse r = Get(s, "/latest/meta-data/instance-id", m, 1100.5, {{"x-aws-ec2-metadata-token", put.body}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "i-0123456789abcdef0");
  EXPECT_EQ(Header(r, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"), "200");  // remaining, rounded up
  // A valid token also rides on a 404.
  EXPECT_EQ(Get(s, "/latest/nope", m, 1100, {{"x-aws-ec2-metadata-token", put.body}}).status, 404);
}

TEST(Imds, ExpiredTokenIs401) {
  MetadataService s;
  InstanceMetadata m = Instance();
  std::string token = PutToken(s, m, 50, "10");
  EXPECT_EQ(Get(s, "/latest/meta-data/instance-id", m, 59.9, {{"x-aws-ec2-metadata-token", token}}).status, 200);
  MetadataResponse r = Get(s, "/latest/meta-data/instance-id", m, 60, {{"x-aws-ec2-metadata-token", token}});
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(r.content_type, "text/html");
  EXPECT_NE(r.body.find("401 - Unauthorized"), std::string::npos);
  EXPECT_EQ(Get(s, "/latest/meta-data/instance-id", m, 1e6, {{"x-aws-ec2-metadata-token", token}}).status, 401);
}

TEST(Imds, TokenOfAnotherInstanceIs401) {
  MetadataService s;
  InstanceMetadata a = Instance();
  InstanceMetadata b = Instance();
  b.instance_id = "i-0bbbbbbbbbbbbbbbb";
  std::string token = PutToken(s, a, 0);
  EXPECT_EQ(Get(s, "/latest/meta-data/instance-id", b, 1, {{"x-aws-ec2-metadata-token", token}}).status, 401);
  EXPECT_EQ(Get(s, "/latest/meta-data/instance-id", a, 1, {{"x-aws-ec2-metadata-token", token}}).status, 200);
}

TEST(Imds, BadTokenIs401EvenWhenOptional) {
  MetadataService s("optional");
  InstanceMetadata m = Instance();
  EXPECT_EQ(Get(s, "/latest/meta-data/", m, 0, {{"x-aws-ec2-metadata-token", "forged"}}).status, 401);
  EXPECT_EQ(Get(s, "/latest/meta-data/", m, 0, {{"x-aws-ec2-metadata-token", ""}}).status, 401);
}

TEST(Imds, MissingOrInvalidTtlIs400) {
  MetadataService s;
  InstanceMetadata m = Instance();
  EXPECT_EQ(s.Handle("PUT", "/latest/api/token", {}, &m, 0).status, 400);
  for (const char* ttl : {"", "0", "21601", "-1", "+5", " 5", "5s", "abc", "1e3", "99999999999999999999"}) {
    MetadataResponse r = s.Handle("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", ttl}}, &m, 0);
    EXPECT_EQ(r.status, 400) << ttl;
    EXPECT_NE(r.body.find("400 - Bad Request"), std::string::npos);
  }
  EXPECT_EQ(s.Handle("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "1"}}, &m, 0).status, 200);
  EXPECT_EQ(s.Handle("PUT", "/latest/api/token", {{"x-aws-ec2-metadata-token-ttl-seconds", "21600"}}, &m, 0).status,
            200);
}

TEST(Imds, PutWithXForwardedForIs403) {
  MetadataService s;
  InstanceMetadata m = Instance();
  MetadataResponse r = s.Handle(
      "PUT", "/latest/api/token",
      {{"x-aws-ec2-metadata-token-ttl-seconds", "60"}, {"x-forwarded-for", "203.0.113.9"}}, &m, 0);
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("403 - Forbidden"), std::string::npos);
  EXPECT_EQ(s.token_count(), 0u);
}

TEST(Imds, RequiredModeNeedsToken) {
  MetadataService s("required");
  InstanceMetadata m = Instance();
  EXPECT_EQ(Get(s, "/latest/meta-data/instance-id", m).status, 401);
  EXPECT_EQ(Get(s, "/", m).status, 401);
  std::string token = PutToken(s, m, 0);
  MetadataResponse r = Get(s, "/latest/meta-data/instance-id", m, 1, {{"x-aws-ec2-metadata-token", token}});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "i-0123456789abcdef0");
  EXPECT_EQ(Header(r, "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"), "21599");
}

TEST(Imds, TokenTableIsBounded) {
  MetadataService s;
  InstanceMetadata a = Instance();
  InstanceMetadata b = Instance();
  b.instance_id = "i-0bbbbbbbbbbbbbbbb";
  std::string b_token = PutToken(s, b, 0);
  std::string first = PutToken(s, a, 0, "100");
  for (int i = 0; i < 1100; ++i) PutToken(s, a, 1, "21600");
  // A flooding instance evicts its own oldest tokens, never another instance's.
  EXPECT_LE(s.token_count(), 1025u);
  EXPECT_EQ(Get(s, "/latest/meta-data/", a, 2, {{"x-aws-ec2-metadata-token", first}}).status, 401);
  EXPECT_EQ(Get(s, "/latest/meta-data/", b, 2, {{"x-aws-ec2-metadata-token", b_token}}).status, 200);
  // Expired tokens go on the next PUT.
  PutToken(s, b, 30000, "60");
  EXPECT_EQ(s.token_count(), 1u);
}

// --- The server, over a real socket. ---

namespace {

// Binds 127.0.0.1:0 and listens; returns the fd and sets *port.
int ListenLoopback(uint16_t* port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || ::listen(fd, 16) != 0) return -1;
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

int Connect(uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{5, 0};  // a hung server fails the test instead of hanging it
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

bool SendAll(int fd, const std::string& s) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<size_t>(n);
  }
  return true;
}

// Reads one response (headers, then Content-Length bytes); "" on EOF or timeout first.
std::string ReadResponse(int fd) {
  std::string in;
  char buf[4096];
  for (;;) {
    size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos) {
      std::string head = in.substr(0, end);
      size_t cl = 0;
      size_t at = head.find("Content-Length: ");
      if (at != std::string::npos) cl = std::stoul(head.substr(at + 16));
      if (in.size() >= end + 4 + cl) return in.substr(0, end + 4 + cl);
    }
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return "";
    in.append(buf, static_cast<size_t>(n));
  }
}

std::string Body(const std::string& response) { return response.substr(response.find("\r\n\r\n") + 4); }

// True when the server closed FD (EOF, or a reset when it closed with input unread; not a timeout).
bool Closed(int fd) {
  char c;
  ssize_t n = ::recv(fd, &c, 1, 0);
  return n == 0 || (n < 0 && errno == ECONNRESET);
}

}  // namespace

TEST(Imds, ServerOverSocket) {
  uint16_t port = 0;
  int lfd = ListenLoopback(&port);
  ASSERT_GE(lfd, 0);
  MetadataServer server(lfd, [](uint32_t peer) -> std::optional<InstanceMetadata> {
    if (peer == INADDR_LOOPBACK) return Instance();
    return std::nullopt;
  });

  int fd = Connect(port);
  ASSERT_GE(fd, 0);
  ASSERT_TRUE(SendAll(fd, "GET /latest/meta-data/instance-id HTTP/1.1\r\nHost: 169.254.169.254\r\n\r\n"));
  std::string r = ReadResponse(fd);
  EXPECT_EQ(r.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("Server: EC2ws"), std::string::npos);
  EXPECT_NE(r.find("Content-Type: text/plain"), std::string::npos);
  EXPECT_EQ(Body(r), "i-0123456789abcdef0");

  // IMDSv2 on the same keep-alive connection; header names are case-insensitive.
  ASSERT_TRUE(SendAll(fd, "PUT /latest/api/token HTTP/1.1\r\nHost: x\r\nX-AWS-EC2-Metadata-Token-TTL-Seconds: 60\r\n\r\n"));
  r = ReadResponse(fd);
  EXPECT_EQ(r.substr(0, 15), "HTTP/1.1 200 OK");
  EXPECT_NE(r.find("X-Aws-Ec2-Metadata-Token-Ttl-Seconds: 60"), std::string::npos);
  std::string token = Body(r);
  ASSERT_TRUE(SendAll(fd, "GET /latest/meta-data/local-ipv4 HTTP/1.1\r\nHost: x\r\nX-aws-ec2-metadata-token: " +
                              token + "\r\nConnection: close\r\n\r\n"));
  r = ReadResponse(fd);
  EXPECT_EQ(Body(r), "10.0.1.10");
  EXPECT_NE(r.find("X-Aws-Ec2-Metadata-Token-Ttl-Seconds: "), std::string::npos);
  EXPECT_TRUE(Closed(fd));  // Connection: close honoured
  ::close(fd);

  server.Stop();
  EXPECT_LT(Connect(port), 0);  // the listening socket is gone
}

TEST(Imds, ServerSurvivesBadInputAndStopsWithIdleConnections) {
  uint16_t port = 0;
  int lfd = ListenLoopback(&port);
  ASSERT_GE(lfd, 0);
  auto server = std::make_unique<MetadataServer>(lfd, [](uint32_t) { return std::nullopt; });

  int bad = Connect(port);  // malformed: closed, nothing else happens
  ASSERT_TRUE(SendAll(bad, "THIS IS NOT HTTP\r\n\r\n"));
  EXPECT_TRUE(Closed(bad));
  ::close(bad);

  int big = Connect(port);  // headers beyond the limit: closed
  SendAll(big, "GET / HTTP/1.1\r\nX-Pad: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(Closed(big));
  ::close(big);

  int unknown = Connect(port);  // an unidentified caller gets EC2's 404
  ASSERT_TRUE(SendAll(unknown, "GET /latest/meta-data/ HTTP/1.1\r\nHost: x\r\n\r\n"));
  std::string r = ReadResponse(unknown);
  EXPECT_EQ(r.substr(0, 22), "HTTP/1.1 404 Not Found");
  EXPECT_NE(r.find("404 - Not Found"), std::string::npos);

  int idle = Connect(port);  // connected, never sends
  int partial = Connect(port);
  ASSERT_TRUE(SendAll(partial, "GET /latest/meta-data/ HTTP/1.1\r\nHo"));
  server.reset();  // Stop(): wakes and joins every connection thread (it returns: no client holds it)
  EXPECT_TRUE(Closed(unknown));
  EXPECT_TRUE(Closed(idle));
  EXPECT_TRUE(Closed(partial));
  ::close(unknown);
  ::close(idle);
  ::close(partial);
}
