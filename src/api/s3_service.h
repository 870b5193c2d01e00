// openvpc's S3 (issue 14): the service behind gateway endpoints, small and real. The REST-XML
// wire of the Amazon S3 API Reference, path-style and virtual-hosted-style, over the same
// endpoint as every other service and over the AWS services network
// (BUCKET.s3.REGION.amazonaws.com at S3's address in the services pool).
//
// Buckets (Create, Delete, List, Head, GetBucketLocation, Put/Get/DeleteBucketPolicy), objects
// (Put with aws-chunked bodies and checksums, Get with ranges and conditions, Head, Delete,
// DeleteObjects, ListObjects and ListObjectsV2, Copy) and multipart uploads (Create, UploadPart,
// ListParts, Complete, Abort, ListMultipartUploads), kept by store::ObjectStore.
//
// Every request is authorized as S3 does it (model/s3.h: the owner's account, the bucket policy),
// and one that came through a VPC endpoint also by the endpoint's policy (POL-08), with the
// condition keys of its path: aws:SourceIp from the internet; aws:SourceVpce, aws:SourceVpc and
// aws:VpcSourceIp through an endpoint; aws:SecureTransport.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "api/service.h"
#include "api/sigv4.h"

namespace openvpc::store {
class ObjectStore;
}

namespace openvpc::api {

class S3Service {
 public:
  // What S3 asks of the rest of openvpc: SigV4 verification (Service's credentials and sessions),
  // and what the policy of the endpoint a request came through says (1 allow, 0 implicit deny,
  // 2 explicit deny; model::EvaluateEndpointPolicy).
  struct Hooks {
    std::function<AuthResult(const HttpRequestView&)> verify;
    std::function<int(const RequestOrigin&, const AuthResult&, const std::string& action, const std::string& resource)>
        endpoint_policy;
  };
  // Opens (creating) the object store in DIR. Throws std::runtime_error when it cannot.
  S3Service(const std::string& dir, Hooks hooks);
  ~S3Service();

  // True for a request meant for S3: its credential scope's service (SCOPE, ScopeService's) is
  // s3, its Host is one of S3's names (s3.REGION.amazonaws.com, BUCKET.s3.REGION.amazonaws.com,
  // BUCKET.localhost), its path names a bucket, or it came to S3's address in the services network.
  static bool Claims(const HttpRequestView& req, const std::string& scope);
  HttpResponse Handle(const HttpRequestView& req);
  // Where the HTTP front spools a large upload's body (a fresh name each call).
  std::string SpoolPath() const;
  void Wipe();  // the API's reset

  struct Request;  // one request, as the operations see it (s3_service.cc)

 private:
  HttpResponse Dispatch(Request& r);
  std::unique_ptr<store::ObjectStore> store_;
  Hooks hooks_;
};

}  // namespace openvpc::api
