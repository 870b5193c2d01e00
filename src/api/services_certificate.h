// The TLS identity of the AWS services network (issue 14): a certificate authority of openvpc's
// own, kept in the data directory (services-ca.pem: what instances trust, as AWS_CA_BUNDLE),
// and the certificate the services present, valid for AWS's names of every Region
// (SERVICE.REGION.amazonaws.com, sts.amazonaws.com, and the endpoints' vpce names). Made once
// with OpenSSL and reused, so that a CA bundle handed out stays good across restarts.
#pragma once

#include <string>

namespace openvpc::api {

struct ServicesCertificate {
  std::string ca_path;    // DATA_DIR/services-ca.pem
  std::string cert_path;  // DATA_DIR/services-cert-3.pem (with the CA after it)
  std::string key_path;   // DATA_DIR/services-key-3.pem (mode 0600)
};

// The files under DATA_DIR, made now when any is missing. Throws when OpenSSL or the disk fail.
ServicesCertificate EnsureServicesCertificate(const std::string& data_dir);

}  // namespace openvpc::api
