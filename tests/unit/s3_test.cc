// openvpc's S3 below the wire: bucket and key rules and authorization (model/s3.h), upload bodies
// (api/s3_body.h: aws-chunked, checksums) and the object store (store/object_store.h).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "api/s3_body.h"
#include "api/sigv4.h"
#include "model/error.h"
#include "model/key_pair.h"
#include "model/s3.h"
#include "model/text.h"
#include "model/vpc_endpoint.h"
#include "store/object_store.h"

namespace openvpc {
namespace {

namespace fs = std::filesystem;

std::string CodeOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const model::Error& e) {
    return e.code;
  }
  return "";
}

// ---- "General purpose bucket naming rules" ----

TEST(S3Rules, BucketNames) {
  for (const std::string& ok : {std::string("abc"), std::string("my-bucket"), std::string("my.bucket.1"),
                               std::string("a1b"), std::string(63, 'a')})
    EXPECT_EQ(CodeOf([&] { model::ValidateBucketName(ok); }), "") << ok;
  std::vector<std::string> bad_names = {"ab", "Upper", "under_score", "-lead", "trail-", "two..dots", "192.168.5.4",
                                       "xn--abc", "sthree-x", "amzn-s3-demo-x", "name-s3alias", "name--ol-s3",
                                       "name.mrap", "name--x-s3", "name--table-s3", "spa ce", std::string(64, 'a')};
  for (const std::string& bad : bad_names)
    EXPECT_EQ(CodeOf([&] { model::ValidateBucketName(bad); }), "InvalidBucketName") << bad;
}

TEST(S3Rules, NamesBelowAnInterfaceEndpoint) {  // GW-01, DNS-07: a bucket in front of the endpoint's name
  const std::string endpoint = "vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com";
  auto below = model::SplitS3EndpointName("my.bucket." + endpoint);
  ASSERT_TRUE(below);
  EXPECT_EQ(below->prefix, "my.bucket");
  EXPECT_EQ(below->endpoint_name, endpoint);
  EXPECT_FALSE(model::SplitS3EndpointName(endpoint));  // the endpoint's own name
  EXPECT_FALSE(model::SplitS3EndpointName("b.vpce-0123456789abcdef0-abcdefgh.ec2.us-east-1.vpce.amazonaws.com"));
  EXPECT_FALSE(model::SplitS3EndpointName("b.s3.us-east-1.amazonaws.com"));
  EXPECT_FALSE(model::SplitS3EndpointName("b.vpce-x_y.s3.us-east-1.vpce.amazonaws.com"));  // not a name's characters
}

TEST(S3Rules, ObjectKeys) {
  EXPECT_EQ(CodeOf([] { model::ValidateObjectKey("a/b c/ü"); }), "");
  EXPECT_EQ(CodeOf([] { model::ValidateObjectKey(std::string(1024, 'k')); }), "");
  EXPECT_EQ(CodeOf([] { model::ValidateObjectKey(std::string(1025, 'k')); }), "KeyTooLongError");
  EXPECT_EQ(CodeOf([] { model::ValidateObjectKey(""); }), "InvalidArgument");
  EXPECT_EQ(CodeOf([] { model::ValidateObjectKey("\xff\xfe"); }), "InvalidArgument");
}

// ---- "How Amazon S3 authorizes a request" (no identity policies) ----

model::S3Access Access(const std::string& account, const std::string& action, const std::string& policy = "") {
  model::S3Access a{.action = action, .resource = "arn:aws:s3:::b/k", .bucket_owner = "111111111111",
                    .bucket_policy = policy};
  if (account.empty()) a.principal = {.anonymous = true};
  else a.principal = {.arn = "arn:aws:iam::" + account + ":root", .account_id = account};
  return a;
}

TEST(S3Rules, OwnerIsAllowedOthersNeedTheBucketPolicy) {
  using D = model::PolicyDecision;
  EXPECT_EQ(model::AuthorizeS3(Access("111111111111", "s3:GetObject")), D::kAllow);
  EXPECT_EQ(model::AuthorizeS3(Access("222222222222", "s3:GetObject")), D::kImplicitDeny);
  EXPECT_EQ(model::AuthorizeS3(Access("", "s3:GetObject")), D::kImplicitDeny);
  const std::string grant = R"({"Statement":[{"Effect":"Allow","Principal":{"AWS":"222222222222"},
      "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]})";
  EXPECT_EQ(model::AuthorizeS3(Access("222222222222", "s3:GetObject", grant)), D::kAllow);
  EXPECT_EQ(model::AuthorizeS3(Access("222222222222", "s3:PutObject", grant)), D::kImplicitDeny);
  EXPECT_EQ(model::AuthorizeS3(Access("", "s3:GetObject", grant)), D::kImplicitDeny);
  const std::string anyone = R"({"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",
      "Resource":"arn:aws:s3:::b/*"}]})";
  EXPECT_EQ(model::AuthorizeS3(Access("", "s3:GetObject", anyone)), D::kAllow);
}

TEST(S3Rules, ExplicitDenyBindsTheOwnerAndPolicyActionsAreTheOwners) {
  using D = model::PolicyDecision;
  const std::string deny = R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject",
      "Resource":"arn:aws:s3:::b/*"},{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]})";
  EXPECT_EQ(model::AuthorizeS3(Access("111111111111", "s3:PutObject", deny)), D::kExplicitDeny);
  EXPECT_EQ(model::AuthorizeS3(Access("111111111111", "s3:GetObject", deny)), D::kAllow);
  // A policy that allows everyone everything still leaves the bucket policy to its owner.
  EXPECT_EQ(model::AuthorizeS3(Access("222222222222", "s3:PutBucketPolicy", deny)), D::kImplicitDeny);
  EXPECT_EQ(model::AuthorizeS3(Access("111111111111", "s3:PutBucketPolicy", deny)), D::kAllow);
}

TEST(S3Rules, ConditionKeysOfThePath) {
  const std::string only_vpce = R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
      "Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}}]})";
  auto a = Access("111111111111", "s3:GetObject", only_vpce);
  a.source_ip = "198.51.100.7";
  EXPECT_EQ(model::AuthorizeS3(a), model::PolicyDecision::kExplicitDeny);  // no endpoint on the path
  a.vpc_endpoint_id = "vpce-1";
  EXPECT_EQ(model::AuthorizeS3(a), model::PolicyDecision::kAllow);
  a.vpc_endpoint_id = "vpce-2";
  EXPECT_EQ(model::AuthorizeS3(a), model::PolicyDecision::kExplicitDeny);
  // GW-20: through an endpoint the address is aws:VpcSourceIp, never aws:SourceIp.
  const std::string from_the_internet = R"({"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*",
      "Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}}]})";
  auto b = Access("111111111111", "s3:GetObject", from_the_internet);
  b.source_ip = "198.51.100.7";
  EXPECT_EQ(model::AuthorizeS3(b), model::PolicyDecision::kExplicitDeny);
  b.vpc_endpoint_id = "vpce-1";
  EXPECT_EQ(model::AuthorizeS3(b), model::PolicyDecision::kAllow);
}

TEST(S3Rules, BucketRegionFromTheLocationConstraint) {
  EXPECT_EQ(model::BucketRegion("", "us-east-1"), "us-east-1");
  EXPECT_EQ(model::BucketRegion("eu-west-1", "eu-west-1"), "eu-west-1");
  EXPECT_EQ(CodeOf([] { model::BucketRegion("", "eu-west-1"); }), "IllegalLocationConstraintException");
  EXPECT_EQ(CodeOf([] { model::BucketRegion("eu-west-1", "us-east-1"); }), "IllegalLocationConstraintException");
  EXPECT_EQ(CodeOf([] { model::BucketRegion("us-east-1", "us-east-1"); }), "InvalidLocationConstraint");
  EXPECT_EQ(CodeOf([] { model::BucketRegion("mars-1", "us-east-1"); }), "InvalidLocationConstraint");
}

// ---- checksums: the check values of their catalogues ("123456789") ----

std::string Hex(const std::string& b64) { return api::HexOf(*model::DecodeBase64(b64)); }

TEST(S3Body, ChecksumCheckValues) {
  EXPECT_EQ(Hex(api::ChecksumOfBytes("123456789", "crc32")), "cbf43926");
  EXPECT_EQ(Hex(api::ChecksumOfBytes("123456789", "crc32c")), "e3069283");
  EXPECT_EQ(Hex(api::ChecksumOfBytes("123456789", "crc64nvme")), "ae8b14860a799888");
  EXPECT_EQ(Hex(api::ChecksumOfBytes("abc", "sha1")), "a9993e364706816aba3e25717850c26c9cd0d89d");
  EXPECT_EQ(api::HexOf(api::Md5("")), "d41d8cd98f00b204e9800998ecf8427e");
}

class S3BodyFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("openvpc-s3-test-" + std::to_string(getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Read(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
  std::string Out() { return (dir_ / "out").string(); }
  fs::path dir_;
};

TEST_F(S3BodyFiles, PlainBody) {
  api::ReceivedBody r = api::ReceiveBody("", "hello", Out(), {.checksum_algorithm = "crc32", .sha256 = true});
  EXPECT_EQ(Read(Out()), "hello");
  EXPECT_EQ(r.size, 5u);
  EXPECT_EQ(api::HexOf(r.md5), "5d41402abc4b2a76b9719d911017c592");
  EXPECT_EQ(r.sha256_hex, api::Sha256Hex("hello"));
  EXPECT_EQ(r.checksum, api::ChecksumOfBytes("hello", "crc32"));
}

TEST_F(S3BodyFiles, UnsignedChunksWithTrailer) {
  // botocore's STREAMING-UNSIGNED-PAYLOAD-TRAILER: chunks, a final empty one, the checksum trailer.
  const std::string crc = api::ChecksumOfBytes("hello world", "crc32");
  const std::string body = "6\r\nhello \r\n5\r\nworld\r\n0\r\nx-amz-checksum-crc32:" + crc + "\r\n\r\n";
  api::ReceivedBody r = api::ReceiveBody(
      "", body, Out(), {.aws_chunked = true, .trailer = true, .decoded_length = 11, .checksum_algorithm = "crc32"});
  EXPECT_EQ(Read(Out()), "hello world");
  EXPECT_EQ(r.checksum, crc);
  EXPECT_EQ(r.trailers.at("x-amz-checksum-crc32"), crc);
}

TEST_F(S3BodyFiles, MalformedChunksAreRefused) {
  const api::BodyOptions chunked{.aws_chunked = true};
  EXPECT_EQ(CodeOf([&] { api::ReceiveBody("", "zz\r\nabc", Out(), chunked); }), "InvalidRequest");
  EXPECT_EQ(CodeOf([&] { api::ReceiveBody("", "10\r\nshort", Out(), chunked); }), "IncompleteBody");
  EXPECT_EQ(CodeOf([&] { api::ReceiveBody("", "3\r\nabcdef\r\n0\r\n\r\n", Out(), chunked); }), "InvalidRequest");
  EXPECT_EQ(CodeOf([&] { api::ReceiveBody("", "3\r\nabc\r\n", Out(), chunked); }), "IncompleteBody");
  EXPECT_EQ(CodeOf([&] {
              api::ReceiveBody("", "3\r\nabc\r\n0\r\n\r\n", Out(), {.aws_chunked = true, .decoded_length = 4});
            }),
            "IncompleteBody");
}

TEST_F(S3BodyFiles, SignedChunksChainFromTheSeed) {
  const std::string key = "signing-key", scope = "20261203/us-east-1/s3/aws4_request", date = "20261203T000000Z";
  const std::string seed(64, 'a');
  const std::string empty = api::Sha256Hex("");
  auto sign = [&](const std::string& previous, const std::string& data) {
    return api::HexOf(api::HmacSha256(key, "AWS4-HMAC-SHA256-PAYLOAD\n" + date + "\n" + scope + "\n" + previous +
                                               "\n" + empty + "\n" + api::Sha256Hex(data)));
  };
  const std::string s1 = sign(seed, "abc"), s2 = sign(s1, "");
  const api::BodyOptions o{.aws_chunked = true, .signing = api::ChunkSigning{key, scope, date, seed}};
  const std::string good = "3;chunk-signature=" + s1 + "\r\nabc\r\n0;chunk-signature=" + s2 + "\r\n\r\n";
  EXPECT_EQ(CodeOf([&] { api::ReceiveBody("", good, Out(), o); }), "");
  EXPECT_EQ(Read(Out()), "abc");
  std::string tampered = good;
  tampered[tampered.find("abc")] = 'x';
  EXPECT_EQ(CodeOf([&] { api::ReceiveBody("", tampered, Out(), o); }), "SignatureDoesNotMatch");
  // The final chunk's signature chains from the one before: a chunk signed out of order fails.
  const std::string reordered = "3;chunk-signature=" + s1 + "\r\nabc\r\n0;chunk-signature=" + sign(seed, "") +
                                "\r\n\r\n";
  EXPECT_EQ(CodeOf([&] { api::ReceiveBody("", reordered, Out(), o); }), "SignatureDoesNotMatch");
}

// ---- the object store ----

TEST_F(S3BodyFiles, ObjectStoreListsInKeyOrderWithinAPrefix) {
  store::ObjectStore s((dir_ / "s3").string());
  ASSERT_TRUE(s.CreateBucket({.name = "b", .account = "1", .region = "us-east-1", .created_ms = 1}));
  EXPECT_FALSE(s.CreateBucket({.name = "b", .account = "2", .region = "us-east-1", .created_ms = 2}));
  for (const std::string key : {"a/1", "a/2", "a0", "b", "a/\xff"}) {
    const std::string tmp = s.TempPath();
    std::ofstream(tmp) << key;
    s.PutObject({.bucket = "b", .key = key, .blob = s.Adopt(tmp), .size = key.size(), .etag = "\"e\""});
  }
  std::vector<std::string> keys;
  for (const auto& o : s.ListObjects("b", "a/", "", false, 10)) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a/1", "a/2", "a/\xff"}));
  keys.clear();
  for (const auto& o : s.ListObjects("b", "", "a/2", false, 2)) keys.push_back(o.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"a/\xff", "a0"}));
  EXPECT_EQ(s.DeleteBucket("b"), store::ObjectStore::DeleteOutcome::kNotEmpty);
  // A replaced body's file goes with its row.
  const std::string old_blob = s.Object("b", "b")->blob;
  const std::string tmp = s.TempPath();
  std::ofstream(tmp) << "new";
  s.PutObject({.bucket = "b", .key = "b", .blob = s.Adopt(tmp), .size = 3, .etag = "\"n\""});
  EXPECT_FALSE(fs::exists(s.BlobPath(old_blob)));
  for (const std::string key : {"a/1", "a/2", "a0", "b", "a/\xff"}) EXPECT_TRUE(s.DeleteObject("b", key));
  EXPECT_FALSE(s.DeleteObject("b", "b"));
  EXPECT_EQ(s.DeleteBucket("b"), store::ObjectStore::DeleteOutcome::kDeleted);
  EXPECT_EQ(s.DeleteBucket("b"), store::ObjectStore::DeleteOutcome::kMissing);
}

TEST_F(S3BodyFiles, ObjectStoreUploadsAndTheirParts) {
  store::ObjectStore s((dir_ / "s3").string());
  s.CreateBucket({.name = "b", .account = "1", .region = "us-east-1", .created_ms = 1});
  s.CreateUpload({.id = "u1", .bucket = "b", .key = "k", .account = "1"});
  std::vector<std::string> blobs;
  for (int n : {1, 2}) {
    const std::string tmp = s.TempPath();
    std::ofstream(tmp) << n;
    blobs.push_back(s.Adopt(tmp));
    EXPECT_TRUE(s.PutPart("u1", {.number = n, .blob = blobs.back(), .size = 1, .etag = "\"p\""}));
  }
  EXPECT_EQ(s.Parts("u1").size(), 2u);
  EXPECT_TRUE(s.DeleteUpload("u1"));
  for (const auto& b : blobs) EXPECT_FALSE(fs::exists(s.BlobPath(b)));  // the parts' files went with it
  const std::string tmp = s.TempPath();
  std::ofstream(tmp) << "late";
  const std::string late = s.Adopt(tmp);
  EXPECT_FALSE(s.PutPart("u1", {.number = 3, .blob = late, .size = 4, .etag = "\"p\""}));  // gone meanwhile
  EXPECT_FALSE(fs::exists(s.BlobPath(late)));
}

}  // namespace
}  // namespace openvpc

namespace openvpc {
namespace {

// model/text.h: the UTF-8 the store's JSON encoder takes (RFC 3629), and nothing else.
TEST(Text, Utf8AsRfc3629) {
  for (const char* ok : {"", "plain", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf"})
    EXPECT_TRUE(model::IsUtf8(ok)) << ok;
  for (const char* bad : {"\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                          "\xf5\x80\x80\x80", "\xc3", "\xe2\x82"})
    EXPECT_FALSE(model::IsUtf8(bad)) << bad;
  EXPECT_FALSE(model::IsXmlText("a\x01"));
  EXPECT_TRUE(model::IsXmlText("a\tb\nc"));
  EXPECT_FALSE(model::IsPrintableAscii("caf\xc3\xa9"));
  EXPECT_TRUE(model::IsPrintableAscii("text/plain; charset=utf-8"));
}

}  // namespace
}  // namespace openvpc
