// EC2 key pairs: the operations and the key material behind them. Rule ids (KP-1 … KP-13,
// FP-1, FP-2) refer to §1 of shared/spec/inventory-ec2-network-security.md.
//
// EC2 keeps only the public key (KP-8); the private key exists once, in CreateKeyPair's
// answer. A key pair's fingerprint depends on how it entered (FP-3): SHA-1 of the PKCS#8 DER
// private key for an rsa key EC2 made (FP-1), MD5 of the SubjectPublicKeyInfo DER for an
// imported rsa key (FP-2), and for ed25519 either way the base64 SHA-256 of the SSH public key
// blob, as OpenSSH prints it since 6.8 (with base64's '=' padding kept).
#pragma once

#include <optional>
#include <string>

#include "model/state.h"

namespace openvpc::model {

// ---- key material (no partition; pure functions of their input) ----

// Strict base64 (whitespace skipped), or nothing: blobs on the wire and base64 DER keys.
std::optional<std::string> DecodeBase64(const std::string& text);
std::string EncodeBase64(const std::string& bytes);

struct GeneratedKey {
  std::string key_material;  // the private key in the asked format: CreateKeyPair's KeyMaterial
  std::string public_key;    // OpenSSH form without comment: "ssh-rsa AAAA…"
  std::string fingerprint;
};

// A new key: rsa (2048-bit, KP-1) or ed25519, written as pem or ppk. pem is PKCS#1
// ("BEGIN RSA PRIVATE KEY") for rsa and OpenSSH's own format for ed25519, as AWS returns them;
// ppk is PuTTY's version 2 file, unencrypted. COMMENT goes into the formats that carry one.
GeneratedKey GenerateKey(const std::string& key_type, const std::string& key_format, const std::string& comment);

struct PublicKeyInfo {
  std::string key_type;     // rsa | ed25519
  std::string public_key;   // OpenSSH form without comment
  std::string fingerprint;  // FP-2 for rsa; base64 SHA-256 for ed25519
  int bits = 0;
};

// ImportKeyPair's material, already decoded from the wire's base64 (KP-3): an OpenSSH public
// key line, base64 of DER (SubjectPublicKeyInfo, or PKCS#1 RSAPublicKey), or an RFC 4716
// "---- BEGIN SSH2 PUBLIC KEY ----" block. Fails with InvalidKey.Format for anything else,
// for DSA and ECDSA keys (KP-4), and for rsa keys of other sizes than 1024, 2048, 4096 (KP-5).
PublicKeyInfo ParsePublicKeyMaterial(const std::string& material);

// FP-1: SHA-1 of the PKCS#8 PrivateKeyInfo DER of a private key in any PEM form OpenSSL reads
// (PKCS#1 or PKCS#8), as colon-separated lowercase hex. InvalidKey.Format when unreadable.
std::string CreatedKeyFingerprint(const std::string& private_key_pem);

// ---- operations ----

// Key names: 1 to 255 ASCII characters, no leading or trailing space (InvalidParameterValue).
void ValidateKeyName(const std::string& key_name);

KeyPair& GetKeyPair(Partition& p, const std::string& key_pair_id);  // by id (key-…)
KeyPair* FindKeyPairByName(Partition& p, const std::string& key_name);
KeyPair& GetKeyPairByName(Partition& p, const std::string& key_name);

struct CreatedKeyPair {
  const KeyPair& key_pair;
  std::string key_material;  // returned once, never stored (KP-6)
};
// KP-2 (quota key-pairs-per-region), KP-7 (InvalidKeyPair.Duplicate).
CreatedKeyPair CreateKeyPair(Tx& tx, const std::string& key_name, const std::string& key_type,
                             const std::string& key_format, TagList tags);
const KeyPair& ImportKeyPair(Tx& tx, const std::string& key_name, const std::string& public_key_material,
                             TagList tags);
// By name or by id (one of them). A missing key pair is no error, as in EC2: the answer is
// the deleted key pair's id, or "" when there was none.
std::string DeleteKeyPair(Tx& tx, const std::string& key_name, const std::string& key_pair_id);

}  // namespace openvpc::model
