// The body of an S3 upload (PutObject, UploadPart), received as the client sent it and written
// out as the object's bytes: plain, or in aws-chunked encoding (the SDKs' streaming uploads:
// "Signature Calculations for the Authorization Header: Transferring Payload in Multiple Chunks
// (Chunked Upload)", with chunk signatures, trailing headers and the trailer's signature), with
// the digests S3 answers or checks on the way: MD5 (the ETag, Content-MD5), SHA-256 (a signed
// payload's x-amz-content-sha256) and the flexible checksums ("Checking object integrity":
// CRC32, CRC32C, CRC64NVME, SHA1, SHA256, base64 of the big-endian value).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace openvpc::api {

// The checksum algorithms S3 knows, by the name of their header (x-amz-checksum-NAME, lower
// case): crc32, crc32c, crc64nvme, sha1, sha256.
bool IsChecksumAlgorithm(const std::string& lower_name);

// What signs the chunks of a signed aws-chunked body: the request's signing key, its scope
// (DATE/REGION/s3/aws4_request), X-Amz-Date, and the request's own signature (the seed).
struct ChunkSigning {
  std::string key, scope, amz_date, seed_signature;
};

struct BodyOptions {
  bool aws_chunked = false;
  std::optional<ChunkSigning> signing;  // chunks must carry valid signatures (STREAMING-AWS4-HMAC-SHA256-*)
  bool trailer = false;                  // …-TRAILER: trailing headers after the last chunk
  std::optional<uint64_t> decoded_length;  // x-amz-decoded-content-length
  std::string checksum_algorithm;         // lower case, "" for none: computed on the way
  bool sha256 = false;                    // compute the SHA-256 (a signed payload's hash)
};

struct ReceivedBody {
  uint64_t size = 0;
  std::string md5;         // 16 bytes
  std::string sha256_hex;  // when asked for
  std::string checksum;    // base64 of the asked algorithm's value
  std::map<std::string, std::string> trailers;  // lower-case names
};

// Reads the body from IN_PATH (a file) or, when IN_PATH is empty, from IN_BYTES, and writes the
// object's bytes to OUT_PATH. Throws model::Error with S3's codes for a malformed encoding
// (IncompleteBody, InvalidRequest) or a chunk signature that does not match
// (SignatureDoesNotMatch).
ReceivedBody ReceiveBody(const std::string& in_path, const std::string& in_bytes, const std::string& out_path,
                         const BodyOptions& options);

// The base64 checksum ALGORITHM (lower case) of the bytes of a file, and of the concatenation of
// binary checksums (multipart uploads' composite checksums).
std::string ChecksumOfFile(const std::string& path, const std::string& algorithm);
std::string ChecksumOfBytes(const std::string& bytes, const std::string& algorithm);
std::string Md5(const std::string& bytes);  // 16 bytes

}  // namespace openvpc::api
