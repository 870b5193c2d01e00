// The TLS identity of the AWS services network (issue 14): a certificate authority of openvpc's
// own, kept in the data directory (services-ca.pem: what instances trust, as AWS_CA_BUNDLE),
// and the certificate the services present, valid for AWS's names of every Region
// (SERVICE.REGION.amazonaws.com, sts.amazonaws.com, and the endpoints' vpce names). Made once
// with OpenSSL and reused, so that a CA bundle handed out stays good across restarts. The CA's key
// is kept too (mode 0600), for the names no certificate made in advance can cover: an S3
// interface endpoint's bucket names, BUCKET.vpce-ID-SUFFIX.s3.REGION.vpce.amazonaws.com, take a
// certificate of their endpoint's own wildcard, issued when first asked for (IssueCertificate).
#pragma once

#include <string>

namespace openvpc::api {

struct ServicesCertificate {
  std::string ca_path;      // DATA_DIR/services-ca.pem
  std::string ca_key_path;  // DATA_DIR/services-ca-key.pem (mode 0600)
  std::string cert_path;    // DATA_DIR/services-cert-4.pem (with the CA after it)
  std::string key_path;     // DATA_DIR/services-key-4.pem (mode 0600)
};

// The files under DATA_DIR, made now when any is missing. Throws when OpenSSL or the disk fail.
ServicesCertificate EnsureServicesCertificate(const std::string& data_dir);

// A certificate chain in PEM (the leaf, then the CA) for DNS_NAME (a wildcard may lead it), signed
// by FILES' CA for FILES' key (key_path): a TLS context takes it with that key. Throws when the
// files do not load or OpenSSL fails.
std::string IssueCertificate(const ServicesCertificate& files, const std::string& dns_name);

}  // namespace openvpc::api
