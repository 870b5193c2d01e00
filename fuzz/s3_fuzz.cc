// openvpc's S3 past authentication (api/s3_service.h): routing by method, path and subresource,
// the XML bodies (CreateBucketConfiguration, Delete, CompleteMultipartUpload), aws-chunked upload
// bodies, ranges, listing with prefixes, delimiters and continuation tokens, multipart uploads and
// bucket policies, over one object store that lives across inputs (as a server's does). Input:
// "METHOD TARGET" on the first line, "Name: value" header lines, an empty line, the body. Every
// request is the same account's, signed (verification itself is sigv4_fuzz's). A refusal is an
// S3 error answer; a crash, a leak or an InternalError (500) is a finding.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "api/s3_service.h"

namespace {

openvpc::api::S3Service& Service() {
  static openvpc::api::S3Service* service = [] {
    const std::string dir = std::filesystem::temp_directory_path() / ("openvpc-s3-fuzz-" + std::to_string(getpid()));
    std::filesystem::remove_all(dir);
    static std::string cleanup = dir;
    std::atexit([] { std::filesystem::remove_all(cleanup); });
    return new openvpc::api::S3Service(
        dir, {.verify = [](const openvpc::api::HttpRequestView&) {
                return openvpc::api::AuthResult{"123456789012", "us-east-1", "AKID", "s3"};
              },
              .endpoint_policy = [](const openvpc::api::RequestOrigin&, const openvpc::api::AuthResult&,
                                    const std::string&, const std::string&) { return 1; }});
  }();
  return *service;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static int runs = 0;
  if (++runs % 2000 == 0) Service().Wipe();  // the store stays small
  const std::string in(reinterpret_cast<const char*>(data), size);
  openvpc::api::HttpRequestView req;
  size_t pos = in.find('\n');
  const std::string first = in.substr(0, pos);
  const size_t space = first.find(' ');
  if (space == std::string::npos) return 0;
  req.method = first.substr(0, space);
  const std::string target = first.substr(space + 1);
  req.path = target.substr(0, target.find('?'));
  req.raw_query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
  req.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20250115/us-east-1/s3/aws4_request");
  while (pos != std::string::npos) {
    const size_t end = in.find('\n', pos + 1);
    const std::string line = in.substr(pos + 1, end == std::string::npos ? std::string::npos : end - pos - 1);
    pos = end;
    if (line.empty()) break;
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    req.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1 + (line.size() > colon + 1 && line[colon + 1] == ' ')));
  }
  if (pos != std::string::npos) req.body = in.substr(pos + 1);
  const openvpc::api::HttpResponse r = Service().Handle(req);
  if (r.status == 500) {
    fprintf(stderr, "InternalError for:\n%s\n", in.c_str());
    abort();
  }
  return 0;
}
