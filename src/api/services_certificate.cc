// The AWS services network's certificates: api/services_certificate.h.
#include "api/services_certificate.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <vector>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "model/aws_services.h"
#include "model/regions.h"

namespace openvpc::api {

namespace {

struct Free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
  void operator()(X509* x) const { X509_free(x); }
  void operator()(FILE* f) const { fclose(f); }
};
using Key = std::unique_ptr<EVP_PKEY, Free>;
using Cert = std::unique_ptr<X509, Free>;

void Check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("making the services certificate: ") + what);
}

// The names the services answer to: every Region's SERVICE.REGION.amazonaws.com (one wildcard
// per Region), the global names, S3's virtual-hosted buckets (BUCKET.s3.REGION.amazonaws.com),
// and the endpoints' DNS names (DNS-02, DNS-03).
std::string SubjectAltNames() {
  std::string out = "DNS:*.amazonaws.com,DNS:*.s3.amazonaws.com";
  for (const auto& r : model::Regions()) {
    out += ",DNS:*." + r.name + ".amazonaws.com";
    out += ",DNS:*.s3." + r.name + ".amazonaws.com";
    for (const auto& s : model::AwsServices()) out += ",DNS:*." + s.name + "." + r.name + ".vpce.amazonaws.com";
    out += ",DNS:*.s3." + r.name + ".vpce.amazonaws.com";  // S3's interface endpoints
  }
  return out;
}

void AddExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  Check(ext != nullptr, "an extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

Cert NewCertificate(EVP_PKEY* key, const std::string& common_name, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                    const std::string& alt_names = SubjectAltNames()) {
  Cert cert(X509_new());
  Check(cert != nullptr, "X509_new");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  Check(RAND_bytes(serial, sizeof serial) == 1, "a serial number");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -24 * 3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 10L * 365 * 24 * 3600);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("openvpc"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509* signer = issuer ? issuer : cert.get();
  X509_set_issuer_name(cert.get(), X509_get_subject_name(signer));
  AddExtension(cert.get(), signer, NID_subject_key_identifier, "hash");
  AddExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (ca) {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE");
    AddExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature");
    AddExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth");
    AddExtension(cert.get(), signer, NID_subject_alt_name, alt_names);
  }
  Check(X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) > 0, "signing");
  return cert;
}

void WriteCertificates(const std::string& path, const std::vector<X509*>& certs) {
  std::unique_ptr<FILE, Free> f(fopen(path.c_str(), "w"));
  Check(f != nullptr, path.c_str());
  for (X509* c : certs) Check(PEM_write_X509(f.get(), c) == 1, path.c_str());
}

void WritePrivateKey(const std::string& path, EVP_PKEY* key) {
  std::unique_ptr<FILE, Free> f(fopen(path.c_str(), "w"));
  Check(f != nullptr, path.c_str());
  chmod(path.c_str(), 0600);
  Check(PEM_write_PrivateKey(f.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "the key");
}

Key ReadPrivateKey(const std::string& path) {
  std::unique_ptr<FILE, Free> f(fopen(path.c_str(), "r"));
  Check(f != nullptr, path.c_str());
  Key key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
  Check(key != nullptr, path.c_str());
  return key;
}

std::string PemOf(const std::vector<X509*>& certs) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  Check(bio != nullptr, "a buffer");
  for (X509* c : certs) Check(PEM_write_bio_X509(bio.get(), c) == 1, "PEM");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

}  // namespace

std::string IssueCertificate(const ServicesCertificate& files, const std::string& dns_name) {
  Key ca_key = ReadPrivateKey(files.ca_key_path), key = ReadPrivateKey(files.key_path);
  std::unique_ptr<FILE, Free> f(fopen(files.ca_path.c_str(), "r"));
  Check(f != nullptr, files.ca_path.c_str());
  Cert ca(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  Check(ca != nullptr, files.ca_path.c_str());
  Cert leaf = NewCertificate(key.get(), dns_name, ca.get(), ca_key.get(), false, "DNS:" + dns_name);
  return PemOf({leaf.get(), ca.get()});
}

ServicesCertificate EnsureServicesCertificate(const std::string& data_dir) {
  namespace fs = std::filesystem;
  const std::string dir = fs::absolute(data_dir).string();
  // The certificate's files are named by the set of names it covers (4: with S3's buckets and its
  // interface endpoints, and the CA's key beside), so a directory with an older set makes a new one.
  ServicesCertificate out{dir + "/services-ca.pem", dir + "/services-ca-key.pem", dir + "/services-cert-4.pem",
                          dir + "/services-key-4.pem"};
  auto whole = [&] {
    return fs::exists(out.ca_path) && fs::exists(out.ca_key_path) && fs::exists(out.cert_path) &&
           fs::exists(out.key_path);
  };
  if (whole()) return out;
  // Hosts that share the directory make one set between them: the first to take the lock.
  fs::create_directories(dir);
  const int lock = open((dir + "/services-ca.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  Check(lock >= 0 && flock(lock, LOCK_EX) == 0, "locking the certificate directory");
  struct Unlock {
    int fd;
    ~Unlock() { close(fd); }
  } unlock{lock};
  if (whole()) return out;
  Key ca_key(EVP_EC_gen("P-256")), key(EVP_EC_gen("P-256"));
  Check(ca_key && key, "a key");
  Cert ca = NewCertificate(ca_key.get(), "openvpc AWS services network CA", nullptr, nullptr, true);
  Cert leaf = NewCertificate(key.get(), "*.amazonaws.com", ca.get(), ca_key.get(), false);
  WritePrivateKey(out.key_path + ".tmp", key.get());
  WritePrivateKey(out.ca_key_path + ".tmp", ca_key.get());
  WriteCertificates(out.cert_path + ".tmp", {leaf.get(), ca.get()});
  WriteCertificates(out.ca_path + ".tmp", {ca.get()});
  // The CA last: its presence says the set is whole.
  fs::rename(out.key_path + ".tmp", out.key_path);
  fs::rename(out.ca_key_path + ".tmp", out.ca_key_path);
  fs::rename(out.cert_path + ".tmp", out.cert_path);
  fs::rename(out.ca_path + ".tmp", out.ca_path);
  return out;
}

}  // namespace openvpc::api
