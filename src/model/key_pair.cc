// EC2 key pairs: rules KP-1 … KP-8, fingerprints FP-1 and FP-2 (key_pair.h), with OpenSSL 3's
// EVP interfaces only (the RSA_* and DSA_* calls are deprecated there).
#include "model/key_pair.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>

#include "model/error.h"

namespace openvpc::model {
namespace {

// ---- OpenSSL ownership ----

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(BIGNUM* p) const { BN_free(p); }
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
  void operator()(PKCS8_PRIV_KEY_INFO* p) const { PKCS8_PRIV_KEY_INFO_free(p); }
};
template <class T>
using Owned = std::unique_ptr<T, Free>;

[[noreturn]] void BadFormat() { Fail("InvalidKey.Format", "Key is not in valid OpenSSH public key format"); }

// Failures of OpenSSL itself (not of the caller's input) are the server's.
[[noreturn]] void CryptoFailure(const char* what) {
  throw Error("InternalError", std::string("key generation failed: ") + what, 500);
}

// ---- encodings ----

}  // namespace

std::string EncodeBase64(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(bytes.data()), static_cast<int>(bytes.size()));
  out.resize(n);
  return out;
}

std::optional<std::string> DecodeBase64(const std::string& text) {
  std::string clean;
  for (char c : text)
    if (!isspace(static_cast<unsigned char>(c))) clean += c;
  if (clean.empty() || clean.size() % 4) return std::nullopt;
  size_t pad = clean.size() - clean.find_last_not_of('=') - 1;
  if (pad > 2 || clean.find('=') < clean.size() - pad) return std::nullopt;
  std::string out(clean.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(clean.data()), static_cast<int>(clean.size()));
  if (n < 0) return std::nullopt;
  out.resize(n - pad);  // EVP_DecodeBlock counts the padding as zero bytes
  return out;
}

namespace {

// Base64 in lines of WIDTH characters, each ending in a newline (PEM, PPK).
std::string Wrapped(const std::string& bytes, size_t width) {
  std::string b64 = EncodeBase64(bytes), out;
  for (size_t i = 0; i < b64.size(); i += width) out += b64.substr(i, width) + "\n";
  return out;
}

std::string Hex(const std::string& bytes, const char* separator) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    if (!out.empty()) out += separator;
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

std::string Digest(const EVP_MD* md, const std::string& data) {
  unsigned char d[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(data.data(), data.size(), d, &n, md, nullptr)) CryptoFailure("digest");
  return std::string(reinterpret_cast<char*>(d), n);
}

// ---- the SSH wire format (RFC 4251 §5): what OpenSSH keys and PuTTY files are made of ----

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out += static_cast<char>((v >> shift) & 0xff);
}

void PutString(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

// An mpint: big-endian two's complement, so a set top bit needs a leading zero byte.
void PutMpint(std::string& out, const BIGNUM* bn) {
  std::string bytes(BN_num_bytes(bn), '\0');
  BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
  if (!bytes.empty() && (static_cast<unsigned char>(bytes[0]) & 0x80)) bytes.insert(bytes.begin(), '\0');
  PutString(out, bytes);
}

// Reads a wire blob; any overrun means the key is malformed.
class WireReader {
 public:
  explicit WireReader(const std::string& data) : data_(data) {}
  std::string String() {
    if (data_.size() - pos_ < 4) BadFormat();
    uint32_t n = 0;
    for (int i = 0; i < 4; ++i) n = (n << 8) | static_cast<unsigned char>(data_[pos_++]);
    if (data_.size() - pos_ < n) BadFormat();
    std::string s = data_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  Owned<BIGNUM> Mpint() {
    std::string s = String();
    if (!s.empty() && (static_cast<unsigned char>(s[0]) & 0x80)) BadFormat();  // negative
    return Owned<BIGNUM>(BN_bin2bn(reinterpret_cast<const unsigned char*>(s.data()), static_cast<int>(s.size()), nullptr));
  }
  bool AtEnd() const { return pos_ == data_.size(); }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

// ---- keys ----

Owned<BIGNUM> BnParam(const EVP_PKEY* key, const char* name) {
  BIGNUM* bn = nullptr;
  if (!EVP_PKEY_get_bn_param(key, name, &bn)) CryptoFailure(name);
  return Owned<BIGNUM>(bn);
}

std::string RawKey(const EVP_PKEY* key, bool private_part) {
  size_t n = 0;
  auto get = private_part ? EVP_PKEY_get_raw_private_key : EVP_PKEY_get_raw_public_key;
  if (!get(key, nullptr, &n)) CryptoFailure("raw key size");
  std::string out(n, '\0');
  if (!get(key, reinterpret_cast<unsigned char*>(out.data()), &n)) CryptoFailure("raw key");
  return out;
}

bool IsRsa(const EVP_PKEY* key) { return EVP_PKEY_is_a(key, "RSA"); }
bool IsEd25519(const EVP_PKEY* key) { return EVP_PKEY_is_a(key, "ED25519"); }

// The SSH public key blob: string type, then mpint e, mpint n (rsa) or string key (ed25519).
std::string SshPublicBlob(const EVP_PKEY* key) {
  std::string blob;
  if (IsRsa(key)) {
    PutString(blob, "ssh-rsa");
    PutMpint(blob, BnParam(key, OSSL_PKEY_PARAM_RSA_E).get());
    PutMpint(blob, BnParam(key, OSSL_PKEY_PARAM_RSA_N).get());
  } else {
    PutString(blob, "ssh-ed25519");
    PutString(blob, RawKey(key, false));
  }
  return blob;
}

std::string SshType(const EVP_PKEY* key) { return IsRsa(key) ? "ssh-rsa" : "ssh-ed25519"; }

std::string OpenSshPublicKey(const EVP_PKEY* key) { return SshType(key) + " " + EncodeBase64(SshPublicBlob(key)); }

// OpenSSH's SHA256 fingerprint, but with base64's padding as AWS shows it.
std::string Ed25519Fingerprint(const EVP_PKEY* key) { return EncodeBase64(Digest(EVP_sha256(), SshPublicBlob(key))); }

// FP-2: MD5 of the DER SubjectPublicKeyInfo.
std::string ImportedRsaFingerprint(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  int n = i2d_PUBKEY(key, &der);
  if (n <= 0) CryptoFailure("SubjectPublicKeyInfo");
  std::string spki(reinterpret_cast<char*>(der), n);
  OPENSSL_free(der);
  return Hex(Digest(EVP_md5(), spki), ":");
}

// FP-1: SHA-1 of the DER PKCS#8 PrivateKeyInfo.
std::string CreatedRsaFingerprint(const EVP_PKEY* key) {
  Owned<PKCS8_PRIV_KEY_INFO> p8(EVP_PKEY2PKCS8(key));
  if (!p8) CryptoFailure("PKCS#8");
  unsigned char* der = nullptr;
  int n = i2d_PKCS8_PRIV_KEY_INFO(p8.get(), &der);
  if (n <= 0) CryptoFailure("PKCS#8 DER");
  std::string info(reinterpret_cast<char*>(der), n);
  OPENSSL_clear_free(der, n);
  return Hex(Digest(EVP_sha1(), info), ":");
}

Owned<EVP_PKEY> RsaFromParts(const BIGNUM* n, const BIGNUM* e) {
  Owned<OSSL_PARAM_BLD> bld(OSSL_PARAM_BLD_new());
  if (!bld || !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, n) ||
      !OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, e))
    CryptoFailure("RSA parameters");
  Owned<OSSL_PARAM> params(OSSL_PARAM_BLD_to_param(bld.get()));
  Owned<EVP_PKEY_CTX> ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  EVP_PKEY* key = nullptr;
  if (!ctx || EVP_PKEY_fromdata_init(ctx.get()) <= 0 ||
      EVP_PKEY_fromdata(ctx.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) <= 0)
    BadFormat();
  return Owned<EVP_PKEY>(key);
}

// A key from its SSH blob; DSA and ECDSA are refused (KP-4) like any unknown type.
Owned<EVP_PKEY> FromSshBlob(const std::string& blob, const std::string& expected_type) {
  WireReader r(blob);
  std::string type = r.String();
  if (!expected_type.empty() && type != expected_type) BadFormat();
  Owned<EVP_PKEY> key;
  if (type == "ssh-rsa") {
    auto e = r.Mpint();
    auto n = r.Mpint();
    if (!e || !n || BN_is_zero(n.get())) BadFormat();
    key = RsaFromParts(n.get(), e.get());
  } else if (type == "ssh-ed25519") {
    std::string pk = r.String();
    if (pk.size() != 32) BadFormat();
    key.reset(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                          reinterpret_cast<const unsigned char*>(pk.data()), pk.size()));
  }
  if (!key || !r.AtEnd()) BadFormat();
  return key;
}

// ---- the three import formats (KP-3) ----

std::string Trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// "ssh-rsa AAAA… comment": the type, the base64 blob, an optional comment.
Owned<EVP_PKEY> FromOpenSshLine(const std::string& line) {
  std::istringstream in(line);
  std::string type, b64;
  in >> type >> b64;
  auto blob = DecodeBase64(b64);
  if (!blob) BadFormat();
  return FromSshBlob(*blob, type);
}

// RFC 4716: BEGIN line, headers ("Tag: value", continued by a trailing backslash), base64 body.
Owned<EVP_PKEY> FromRfc4716(const std::string& text) {
  std::istringstream in(text);
  std::string line, body;
  bool begun = false, ended = false, continued = false;
  while (std::getline(in, line)) {
    line = Trim(line);
    if (!begun) {
      if (line != "---- BEGIN SSH2 PUBLIC KEY ----") BadFormat();
      begun = true;
    } else if (line == "---- END SSH2 PUBLIC KEY ----") {
      ended = true;
      break;
    } else if (continued || (body.empty() && line.find(':') != std::string::npos)) {
      continued = !line.empty() && line.back() == '\\';  // a header, maybe continued
    } else {
      body += line;
    }
  }
  if (!ended || !Trim(std::string(std::istreambuf_iterator<char>(in), {})).empty()) BadFormat();
  auto blob = DecodeBase64(body);
  if (!blob) BadFormat();
  return FromSshBlob(*blob, "");
}

// Base64 of DER: a SubjectPublicKeyInfo (any algorithm) or a PKCS#1 RSAPublicKey.
Owned<EVP_PKEY> FromBase64Der(const std::string& text) {
  auto der = DecodeBase64(text);
  if (!der) BadFormat();
  const auto* begin = reinterpret_cast<const unsigned char*>(der->data());
  const auto* end = begin + der->size();
  const unsigned char* p = begin;
  Owned<EVP_PKEY> key(d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size())));
  if (!key || p != end) {
    p = begin;
    key.reset(d2i_PublicKey(EVP_PKEY_RSA, nullptr, &p, static_cast<long>(der->size())));
  }
  if (!key || p != end) BadFormat();
  return key;
}

Owned<EVP_PKEY> ParseAnyFormat(const std::string& material) {
  std::string text = Trim(material);
  if (text.rfind("---- BEGIN SSH2 PUBLIC KEY ----", 0) == 0) return FromRfc4716(text);
  if (text.rfind("ssh-", 0) == 0 || text.rfind("ecdsa-", 0) == 0) return FromOpenSshLine(text);
  return FromBase64Der(text);
}

// ---- private key files ----

// PKCS#1 "-----BEGIN RSA PRIVATE KEY-----", the form AWS returns for rsa pem.
std::string RsaPkcs1Pem(EVP_PKEY* key) {
  Owned<BIO> bio(BIO_new(BIO_s_mem()));
  if (!bio || !PEM_write_bio_PrivateKey_traditional(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr))
    CryptoFailure("PEM");
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, n);
}

// OpenSSH's "openssh-key-v1" file (PROTOCOL.key), unencrypted: what ssh-keygen writes for
// ed25519 and what AWS returns for ed25519 pem.
std::string OpenSshPrivateKey(const EVP_PKEY* key, const std::string& comment) {
  std::string pk = RawKey(key, false), seed = RawKey(key, true);
  uint32_t check = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&check), sizeof check) != 1) CryptoFailure("random");
  std::string priv;
  PutU32(priv, check);
  PutU32(priv, check);
  PutString(priv, "ssh-ed25519");
  PutString(priv, pk);
  PutString(priv, seed + pk);  // OpenSSH keeps the 64-byte secret: seed then public key
  PutString(priv, comment);
  for (char pad = 1; priv.size() % 8; ++pad) priv += pad;  // cipher "none" has 8-byte blocks
  std::string file = std::string("openssh-key-v1") + '\0';
  PutString(file, "none");
  PutString(file, "none");
  PutString(file, "");
  PutU32(file, 1);
  PutString(file, SshPublicBlob(key));
  PutString(file, priv);
  return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + Wrapped(file, 70) + "-----END OPENSSH PRIVATE KEY-----\n";
}

// PuTTY's private blob: mpint d, p, q, iqmp for rsa; the 32-byte secret for ed25519.
std::string PuttyPrivateBlob(const EVP_PKEY* key) {
  std::string blob;
  if (IsRsa(key)) {
    PutMpint(blob, BnParam(key, OSSL_PKEY_PARAM_RSA_D).get());
    PutMpint(blob, BnParam(key, OSSL_PKEY_PARAM_RSA_FACTOR1).get());
    PutMpint(blob, BnParam(key, OSSL_PKEY_PARAM_RSA_FACTOR2).get());
    PutMpint(blob, BnParam(key, OSSL_PKEY_PARAM_RSA_COEFFICIENT1).get());
  } else {
    PutString(blob, RawKey(key, true));
  }
  return blob;
}

// PuTTY-User-Key-File-2, unencrypted: the MAC is HMAC-SHA1 keyed by SHA-1 of the fixed string
// (an empty passphrase) over the algorithm, encryption, comment and both blobs.
std::string PuttyPrivateKey(const EVP_PKEY* key, const std::string& comment) {
  std::string algorithm = SshType(key), pub = SshPublicBlob(key), priv = PuttyPrivateBlob(key);
  std::string mac_data;
  PutString(mac_data, algorithm);
  PutString(mac_data, "none");
  PutString(mac_data, comment);
  PutString(mac_data, pub);
  PutString(mac_data, priv);
  std::string mac_key = Digest(EVP_sha1(), "putty-private-key-file-mac-key");
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  if (!HMAC(EVP_sha1(), mac_key.data(), static_cast<int>(mac_key.size()),
            reinterpret_cast<const unsigned char*>(mac_data.data()), mac_data.size(), mac, &mac_len))
    CryptoFailure("HMAC");
  std::string pub_lines = Wrapped(pub, 64), priv_lines = Wrapped(priv, 64);
  auto count = [](const std::string& s) { return std::to_string(std::count(s.begin(), s.end(), '\n')); };
  return "PuTTY-User-Key-File-2: " + algorithm + "\nEncryption: none\nComment: " + comment +
         "\nPublic-Lines: " + count(pub_lines) + "\n" + pub_lines + "Private-Lines: " + count(priv_lines) + "\n" +
         priv_lines + "Private-MAC: " + Hex(std::string(reinterpret_cast<char*>(mac), mac_len), "") + "\n";
}

Owned<EVP_PKEY> NewKey(const std::string& key_type) {
  EVP_PKEY* key = key_type == "ed25519" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                                        : EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (!key) CryptoFailure("keygen");
  return Owned<EVP_PKEY>(key);
}


}  // namespace

// ---- key material ----

GeneratedKey GenerateKey(const std::string& key_type, const std::string& key_format, const std::string& comment) {
  if (key_type != "rsa" && key_type != "ed25519")
    Fail("InvalidParameterValue", "Value (" + key_type + ") for parameter KeyType is invalid.");
  if (key_format != "pem" && key_format != "ppk")
    Fail("InvalidParameterValue", "Value (" + key_format + ") for parameter KeyFormat is invalid.");
  Owned<EVP_PKEY> key = NewKey(key_type);
  GeneratedKey g;
  g.public_key = OpenSshPublicKey(key.get());
  g.fingerprint = IsRsa(key.get()) ? CreatedRsaFingerprint(key.get()) : Ed25519Fingerprint(key.get());
  if (key_format == "ppk") g.key_material = PuttyPrivateKey(key.get(), comment);
  else if (IsRsa(key.get())) g.key_material = RsaPkcs1Pem(key.get());
  else g.key_material = OpenSshPrivateKey(key.get(), comment);
  return g;
}

PublicKeyInfo ParsePublicKeyMaterial(const std::string& material) {
  Owned<EVP_PKEY> key = ParseAnyFormat(material);
  PublicKeyInfo info;
  if (IsRsa(key.get())) {
    info.bits = EVP_PKEY_get_bits(key.get());
    if (info.bits != 1024 && info.bits != 2048 && info.bits != 4096)  // KP-5, a strict reading
      Fail("InvalidKey.Format", "Invalid RSA key length " + std::to_string(info.bits) +
                                    ": the supported lengths are 1024, 2048 and 4096");
    info.key_type = "rsa";
    info.fingerprint = ImportedRsaFingerprint(key.get());
  } else if (IsEd25519(key.get())) {
    info.bits = 256;
    info.key_type = "ed25519";
    info.fingerprint = Ed25519Fingerprint(key.get());
  } else {
    BadFormat();  // DSA, ECDSA … from a SubjectPublicKeyInfo (KP-4)
  }
  info.public_key = OpenSshPublicKey(key.get());
  return info;
}

std::string CreatedKeyFingerprint(const std::string& private_key_pem) {
  Owned<BIO> bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  Owned<EVP_PKEY> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key) Fail("InvalidKey.Format", "The private key is not a PEM key");
  return CreatedRsaFingerprint(key.get());
}

// ---- operations ----

void ValidateKeyName(const std::string& key_name) {
  auto bad = [&](const std::string& why) {
    Fail("InvalidParameterValue", "Value (" + key_name + ") for parameter KeyName is invalid. " + why);
  };
  if (key_name.empty()) bad("Key names must be between 1 and 255 characters long.");
  if (key_name.size() > 255) bad("Length exceeds maximum of 255.");
  for (unsigned char c : key_name)
    if (c < 0x20 || c > 0x7e) bad("Key names may contain only printable ASCII characters.");
  if (key_name.front() == ' ' || key_name.back() == ' ') bad("Key names cannot begin or end with a space.");
}

KeyPair& GetKeyPair(Partition& p, const std::string& key_pair_id) {
  auto it = p.key_pairs.find(key_pair_id);
  if (it == p.key_pairs.end()) Fail("InvalidKeyPair.NotFound", "The key pair ID '" + key_pair_id + "' does not exist");
  return it->second;
}

KeyPair* FindKeyPairByName(Partition& p, const std::string& key_name) {
  for (auto& [id, k] : p.key_pairs)
    if (k.key_name == key_name) return &k;
  return nullptr;
}

KeyPair& GetKeyPairByName(Partition& p, const std::string& key_name) {
  KeyPair* k = FindKeyPairByName(p, key_name);
  if (!k) Fail("InvalidKeyPair.NotFound", "The key pair '" + key_name + "' does not exist");
  return *k;
}

namespace {

// KP-7 and KP-2, checked before any key is made or parsed into the partition.
void CheckNewName(Tx& tx, const std::string& key_name) {
  ValidateKeyName(key_name);
  if (FindKeyPairByName(tx.p, key_name))
    Fail("InvalidKeyPair.Duplicate", "The keypair '" + key_name + "' already exists.");
  if (static_cast<int>(tx.p.key_pairs.size()) >= tx.quotas.Get("key-pairs-per-region"))
    Fail("KeyPairLimitExceeded", "The maximum number of key pairs has been reached.");
}

KeyPair& Store(Tx& tx, KeyPair k) {
  k.id = NewId("key");
  k.owner_id = tx.p.account_id;
  k.create_time = NowIso8601();
  KeyPair& stored = tx.p.key_pairs[k.id] = std::move(k);
  tx.Touch(stored.id);
  return stored;
}

}  // namespace

CreatedKeyPair CreateKeyPair(Tx& tx, const std::string& key_name, const std::string& key_type,
                             const std::string& key_format, TagList tags) {
  CheckNewName(tx, key_name);
  GeneratedKey g = GenerateKey(key_type, key_format, key_name);
  KeyPair k;
  k.key_name = key_name;
  k.key_type = key_type;
  k.fingerprint = g.fingerprint;
  k.public_key = g.public_key + " " + key_name;  // KP-10: "<public key> <key-pair-name>"
  k.tags = std::move(tags);
  return {Store(tx, std::move(k)), std::move(g.key_material)};
}

const KeyPair& ImportKeyPair(Tx& tx, const std::string& key_name, const std::string& public_key_material,
                             TagList tags) {
  CheckNewName(tx, key_name);
  PublicKeyInfo info = ParsePublicKeyMaterial(public_key_material);
  KeyPair k;
  k.key_name = key_name;
  k.key_type = info.key_type;
  k.fingerprint = info.fingerprint;
  k.public_key = info.public_key + " " + key_name;
  k.tags = std::move(tags);
  return Store(tx, std::move(k));
}

std::string DeleteKeyPair(Tx& tx, const std::string& key_name, const std::string& key_pair_id) {
  if (key_name.empty() && key_pair_id.empty())
    Fail("MissingParameter", "The request must contain the parameter KeyName or KeyPairId");
  KeyPair* k = nullptr;
  if (!key_pair_id.empty()) {
    auto it = tx.p.key_pairs.find(key_pair_id);
    if (it != tx.p.key_pairs.end()) k = &it->second;
    if (k && !key_name.empty() && k->key_name != key_name) k = nullptr;
  } else {
    k = FindKeyPairByName(tx.p, key_name);
  }
  if (!k) return "";  // EC2 answers a missing key pair with success
  std::string id = k->id;
  tx.p.key_pairs.erase(id);
  tx.Touch(id);
  return id;
}

}  // namespace openvpc::model
