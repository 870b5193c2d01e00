// Amazon S3's rules, for the small S3 openvpc serves (issue 14; the service behind gateway
// endpoints): what names a bucket and an object may have, which IAM action each operation is,
// and who may do it.
//
// Sources, by title: "General purpose bucket naming rules", "Creating object key names",
// "Actions, resources, and condition keys for Amazon S3", "How Amazon S3 authorizes a request",
// "Bucket policy examples"; endpoint policies: inventory-privatelink.md §9 (POL-08, POL-12).
#pragma once

#include <string>

#include "model/policy.h"

namespace openvpc::model {

// 3 to 63 characters of lower-case letters, digits, dots and hyphens, beginning and ending with a
// letter or digit, no two adjacent dots, not an IPv4 address, none of the reserved prefixes
// (xn--, sthree-, amzn-s3-demo-) and suffixes (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3).
// Throws Error{"InvalidBucketName", "The specified bucket is not valid.", 400}.
void ValidateBucketName(const std::string& name);

// "CreateBucket": the Region a new bucket is in, from its LocationConstraint ("" for none) as
// sent to ENDPOINT_REGION's endpoint: us-east-1 takes none (naming it is InvalidLocationConstraint),
// every other Region its own name (IllegalLocationConstraintException otherwise).
std::string BucketRegion(const std::string& location_constraint, const std::string& endpoint_region);

// An object key: 1 to 1,024 bytes of UTF-8. Throws KeyTooLongError (400) beyond, and
// InvalidArgument for an empty key or bytes that are not UTF-8.
void ValidateObjectKey(const std::string& key);

// arn:aws:s3:::BUCKET and arn:aws:s3:::BUCKET/KEY: the Resource of bucket and object actions.
std::string S3BucketArn(const std::string& bucket);
std::string S3ObjectArn(const std::string& bucket, const std::string& key);

// One request to S3, as its authorization sees it.
struct S3Access {
  PolicyPrincipal principal;      // anonymous when the request was not signed
  std::string principal_role_arn; // an assumed role's role (aws:PrincipalArn), "" otherwise
  std::string action;             // s3:GetObject, …
  std::string resource;           // S3BucketArn / S3ObjectArn; "*" for ListBuckets and CreateBucket
  std::string bucket_owner;       // the account that owns the bucket; "" for no bucket yet
  std::string bucket_policy;      // the bucket's policy document; "" for none
  // The path it came by: through a VPC endpoint (its id and VPC) or not, from SOURCE_IP (the
  // interface's own address through an endpoint), over TLS or not.
  std::string vpc_endpoint_id, vpc_id, source_ip;
  bool secure_transport = false;
  PolicyContext context;          // the operation's own keys (s3:prefix, …)
};

// "How Amazon S3 authorizes a request", without identity policies (openvpc has no IAM: every
// principal of an account may do what its account may), with the keys of the path: through an
// endpoint aws:SourceVpce, aws:SourceVpc and aws:VpcSourceIp, else aws:SourceIp (GW-20), and
// aws:SecureTransport, aws:PrincipalAccount, aws:PrincipalArn. An explicit Deny in the bucket policy
// refuses anyone, the owner's principals included; the bucket owner's principals are allowed;
// another account's principals and anonymous requests only when the bucket policy allows them.
// The bucket policy's own actions (Get/Put/DeleteBucketPolicy) are the owner's alone.
// The endpoint policy of the path the request came by is the caller's to ask (POL-08: every layer
// must allow).
PolicyDecision AuthorizeS3(const S3Access& a);

}  // namespace openvpc::model
