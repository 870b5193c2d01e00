// Key pairs in the model: fingerprints (FP-1, FP-2, ed25519), the three import formats (KP-3),
// refusals (KP-4, KP-5), names (KP-7) and the operations' rules. Rule ids refer to §1 of
// shared/spec/inventory-ec2-network-security.md.
//
// The vectors were made with the command-line tools, not with this code:
//   ssh-keygen -t rsa -b 2048 -m PEM -f v            (kRsaPrivatePem, v.pub = kRsaOpenSsh)
//   openssl pkcs8 -in v -topk8 -nocrypt -outform DER | openssl sha1 -c     -> kRsaCreatedFingerprint
//   openssl rsa -in v -pubout -outform DER | openssl md5 -c                -> kRsaImportedFingerprint
//   ssh-keygen -e -m RFC4716 -f v.pub                                      -> kRsaRfc4716
//   openssl rsa -in v -pubout -outform DER | base64                        -> kRsaSpkiBase64
//   openssl rsa -in v -RSAPublicKey_out -outform DER | base64              -> kRsaPkcs1Base64
//   ssh-keygen -l -E md5 -f v.pub                                          -> kRsaOpenSshMd5 (must differ)
//   ssh-keygen -t ed25519; ssh-keygen -l -f e.pub                          -> kEd25519Fingerprint (+ '=')
//   openssl genpkey -algorithm DSA …; its SPKI and OpenSSH forms           -> kDsa*
#include <gtest/gtest.h>

#include "error_code.h"

#include "model/error.h"
#include "model/key_pair.h"
#include "model/vpc.h"

using namespace openvpc::model;

namespace {

const char* const kRsaPrivatePem = R"KEY(-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAp43mnhNRhSgglIG/DDqbeDmKUMonejMMAQd3cX3nm3mboDZC
LNeZZWGkcpu5ZIJiGAgflhBr4vZzgiYsG92tyN8WavEZGh3kYXy5CNnvFE1ExgYK
orhs8J2QNa7pnQeeOVYVaedC5nFp0iIK45iopiT9LgwFYXGXmw6mN1I5ZBbjer8U
8rIBIwzPh3GOqh1i3/Np2Nuj8xeJwagzknBmnF8egTBIqnaKThPL/X8Zdrky47Af
4awty8M6B8TvcxeExrissMqnvIfk7EbqIhWXELgVhjqTC7GiCGRMub7+SEKaB4xY
Eo5Yee8ULO+m3S6lTDaVUTainNKEeyHvkEbO+wIDAQABAoIBAADR4EJUad5dlzs4
H00vWY9kXgQ4g6pEvFb3nbf/xmBWX1KQsWYyxTIKdkQxSt5DsmMtDFUu+Lgq6InH
J17DiOl7XfVhVJ7HbVSkyEBTgKiixXwKj4bC9urTz97TX5qVwkpu3Lqgl7ffmjBI
W7FID/CFgc+giMOJ9hSbemi5jZpVwvVeqQ1kPokhHKfEdzugHxG+8DWvyACK387T
1YzX+vEtHx5YU6NLxs1GwhrOhGtEvpgOLPGA+ghB+GnQ5/OmqNOa+kxniT2b0pl9
FE3Gmk1UzN7R9iEu+EAtLU1bBKHrZAgOJ9wmKC9ycxBJiQUHLgXGO9KsA6A5mMZe
sL+gHWECgYEA64XgAC2rrTLOh6IVEMiD5R5d41MowiK33gARDSpm5znTNfkjfzSb
kFFgPSSCF2etcMqWa0BprfS/Q6Btg/gdouH0lCSgXn4gpvsu+jOC7Hd6YZhLujEs
cfwYKXIaxRoHyj88Mi2DHcyiDx+QohlXVJI0KJv4TCU6ABbE/5AuoYkCgYEAth84
sKuB3LAgHa4t6/qY78IcNrjMrWXC6sv9CSAHiiutNAA+TCgV+a3ASxH41g4d9q6S
yaSEVVdHjTGZEZ82LLnP4bB9EHI+oGvC8nFPAwAlDz4qwy7MbN77p+kunH2DO7vs
KFAB6hhNrS3kGIoznatvUefvVK34lXMo83lI32MCgYEAlonGSDbo0VZ1Hcpijoyr
iSnktuUzWwrX3STLwU+F4GtcbdYlcywL9q2cxtfr8svI1xwWEs1j/tU93xrOhRh0
0OR98KaMfnk9o51PRIriNwSTC4hNdt/xWZXZV7xgEfV2XzYV4rimYsimGOaDCqkJ
4btlbUNr7DerH91t4y+kLokCgYEAgM2H/HrvtzLhI9yiIbj0HO09ov4D08aamhB2
/tMmQfQt5Q8fACGBmTnnO7CUOl91lZdVvUKbTPgTZKplRW9Ck1M+0LFPYihKXo6Y
K3szlD2v+B3RhIU+kukJNnHWQ1sJS1/W35PmJrfVh9ti7HAhnSs36ceNHmiD3L67
gaaPgV0CgYBttW2PszI35CzUYXZxq94qPo9dogkf1OQUJhur5PocYEkHzKueWa41
j/Ix+6OGk3v+atGevXZLMXVj50Am8PnfwatmobUmLT/iO+B79AM39GjsbL8gHvoT
aMLs9R66RydENe9warUb/UcToXJIpInbXPnfoz20b3S8EtKP5YTjiw==
-----END RSA PRIVATE KEY-----
)KEY";
const char* const kRsaOpenSsh = R"KEY(ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQCnjeaeE1GFKCCUgb8MOpt4OYpQyid6MwwBB3dxfeebeZugNkIs15llYaRym7lkgmIYCB+WEGvi9nOCJiwb3a3I3xZq8RkaHeRhfLkI2e8UTUTGBgqiuGzwnZA1rumdB545VhVp50LmcWnSIgrjmKimJP0uDAVhcZebDqY3UjlkFuN6vxTysgEjDM+HcY6qHWLf82nY26PzF4nBqDOScGacXx6BMEiqdopOE8v9fxl2uTLjsB/hrC3LwzoHxO9zF4TGuKywyqe8h+TsRuoiFZcQuBWGOpMLsaIIZEy5vv5IQpoHjFgSjlh57xQs76bdLqVMNpVRNqKc0oR7Ie+QRs77 vector@test)KEY";
const char* const kRsaRfc4716 = R"KEY(---- BEGIN SSH2 PUBLIC KEY ----
Comment: "2048-bit RSA, converted by root@vm from OpenSSH"
AAAAB3NzaC1yc2EAAAADAQABAAABAQCnjeaeE1GFKCCUgb8MOpt4OYpQyid6MwwBB3dxfe
ebeZugNkIs15llYaRym7lkgmIYCB+WEGvi9nOCJiwb3a3I3xZq8RkaHeRhfLkI2e8UTUTG
BgqiuGzwnZA1rumdB545VhVp50LmcWnSIgrjmKimJP0uDAVhcZebDqY3UjlkFuN6vxTysg
EjDM+HcY6qHWLf82nY26PzF4nBqDOScGacXx6BMEiqdopOE8v9fxl2uTLjsB/hrC3LwzoH
xO9zF4TGuKywyqe8h+TsRuoiFZcQuBWGOpMLsaIIZEy5vv5IQpoHjFgSjlh57xQs76bdLq
VMNpVRNqKc0oR7Ie+QRs77
---- END SSH2 PUBLIC KEY ----
)KEY";
const char* const kRsaSpkiBase64 = R"KEY(MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAp43mnhNRhSgglIG/DDqb
eDmKUMonejMMAQd3cX3nm3mboDZCLNeZZWGkcpu5ZIJiGAgflhBr4vZzgiYsG92t
yN8WavEZGh3kYXy5CNnvFE1ExgYKorhs8J2QNa7pnQeeOVYVaedC5nFp0iIK45io
piT9LgwFYXGXmw6mN1I5ZBbjer8U8rIBIwzPh3GOqh1i3/Np2Nuj8xeJwagzknBm
nF8egTBIqnaKThPL/X8Zdrky47Af4awty8M6B8TvcxeExrissMqnvIfk7EbqIhWX
ELgVhjqTC7GiCGRMub7+SEKaB4xYEo5Yee8ULO+m3S6lTDaVUTainNKEeyHvkEbO
+wIDAQAB
)KEY";
const char* const kRsaPkcs1Base64 = R"KEY(MIIBCgKCAQEAp43mnhNRhSgglIG/DDqbeDmKUMonejMMAQd3cX3nm3mboDZCLNeZZWGkcpu5ZIJiGAgflhBr4vZzgiYsG92tyN8WavEZGh3kYXy5CNnvFE1ExgYKorhs8J2QNa7pnQeeOVYVaedC5nFp0iIK45iopiT9LgwFYXGXmw6mN1I5ZBbjer8U8rIBIwzPh3GOqh1i3/Np2Nuj8xeJwagzknBmnF8egTBIqnaKThPL/X8Zdrky47Af4awty8M6B8TvcxeExrissMqnvIfk7EbqIhWXELgVhjqTC7GiCGRMub7+SEKaB4xYEo5Yee8ULO+m3S6lTDaVUTainNKEeyHvkEbO+wIDAQAB)KEY";
const char* const kEd25519OpenSsh = R"KEY(ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7oxY9zkc0PEptK/Lv4gu1TAcdYkN+dSa2bKnav0ajy ed@test)KEY";
const char* const kEd25519SpkiBase64 = R"KEY(MCowBQYDK2VwAyEATujFj3ORzQ8Sm0r8u/iC7VMBx1iQ351JrZsqdq/RqPI=)KEY";
const char* const kDsaOpenSsh = R"KEY(ssh-dss AAAAB3NzaC1kc3MAAACBAMq6cRINiVpDRBPBLMApH2vhsuSetB8N1r/XDo07YjDrLEt48sTQzWkccEVzdW8zxAvdVjCBNngBeYrAfjlGp6f/vq55l3pln3RDwFmzGxqyVjODc6bxR+/9ZmAUlFGvN4yICdQFTe3dCGbAM+0I01MATrLbnrFCHeXwSqw52qQhAAAAHQDxcOlZpy1/lxdSQvXwxHfZht4xiHttrMDUjKftAAAAgGwKtIL8k7yrs8kdv9Sphp1V07HauiBSQOD7jFwyjbYdYxgBUqSAvoHUuyoklazGhp2psJ5BVznu7x3LujcVhntZ9eWH8oQ02Ad6TmFSN8RwfRXRfzXm6JzzQZN+Uk1EKiAi2ttksfQS3n19qk89y2+hDmp41Nq/E6bh/GsFmE23AAAAgQCBmi04ykIBJkuGs5WGhaQusGTrd1QScLXtZrgveGu2QpA1/s8KhBCipiZ1kGZiHb4+TUviv06954PYsD52NZXLGanPWl1hxNGlnYcLvi7Vc+djOC3jlVF6VVeXvegNabomMhUufDCRk+nxb+wGSuWnAbbyQTFsMfbNZy1hKh2N7Q==)KEY";
const char* const kDsaSpkiBase64 = R"KEY(MIIBvzCCATMGByqGSM44BAEwggEmAoGBAMq6cRINiVpDRBPBLMApH2vhsuSetB8N1r/XDo07YjDrLEt48sTQzWkccEVzdW8zxAvdVjCBNngBeYrAfjlGp6f/vq55l3pln3RDwFmzGxqyVjODc6bxR+/9ZmAUlFGvN4yICdQFTe3dCGbAM+0I01MATrLbnrFCHeXwSqw52qQhAh0A8XDpWactf5cXUkL18MR32YbeMYh7bazA1Iyn7QKBgGwKtIL8k7yrs8kdv9Sphp1V07HauiBSQOD7jFwyjbYdYxgBUqSAvoHUuyoklazGhp2psJ5BVznu7x3LujcVhntZ9eWH8oQ02Ad6TmFSN8RwfRXRfzXm6JzzQZN+Uk1EKiAi2ttksfQS3n19qk89y2+hDmp41Nq/E6bh/GsFmE23A4GFAAKBgQCBmi04ykIBJkuGs5WGhaQusGTrd1QScLXtZrgveGu2QpA1/s8KhBCipiZ1kGZiHb4+TUviv06954PYsD52NZXLGanPWl1hxNGlnYcLvi7Vc+djOC3jlVF6VVeXvegNabomMhUufDCRk+nxb+wGSuWnAbbyQTFsMfbNZy1hKh2N7Q==)KEY";
const char* const kEcdsaOpenSsh = R"KEY(ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBHGTbLCVUjDvyASOvYVQP7xQ8sFk6D7im4qTr4RRFcBCC4MYHZkQVcJiza1ntzxt33E776jzoxURL7JBtTK2n24=)KEY";

const char* const kRsaCreatedFingerprint = "32:c3:36:97:9f:5d:28:56:4a:94:28:d2:ce:ae:fc:69:c6:48:79:86";
const char* const kRsaImportedFingerprint = "ca:b8:1c:91:35:65:55:4a:a7:a5:ed:77:70:f8:39:6f";
const char* const kRsaOpenSshMd5 = "2b:8b:59:f3:7f:99:50:bd:3a:0a:3e:69:22:2c:8b:ee";
const char* const kEd25519Fingerprint = "57EuD5ZBWSHuun8v6AEQ3U8aK5gjGTVsdbQzdFytKwE=";

using openvpc::testing::CodeOf;

// The OpenSSH line without its comment.
std::string KeyPart(const std::string& line) { return line.substr(0, line.rfind(' ')); }

// ---- fingerprints ----

TEST(KeyPairFingerprint, CreatedRsaIsSha1OfPkcs8Der) {  // FP-1
  EXPECT_EQ(CreatedKeyFingerprint(kRsaPrivatePem), kRsaCreatedFingerprint);
}

TEST(KeyPairFingerprint, ImportedRsaIsMd5OfSpkiDer) {  // FP-2
  PublicKeyInfo info = ParsePublicKeyMaterial(kRsaOpenSsh);
  EXPECT_EQ(info.fingerprint, kRsaImportedFingerprint);
  EXPECT_EQ(info.fingerprint.size(), 47u);
  EXPECT_NE(info.fingerprint, kRsaOpenSshMd5);  // FP-4: not OpenSSH's MD5 of the wire blob
}

TEST(KeyPairFingerprint, Ed25519IsBase64Sha256) {
  EXPECT_EQ(ParsePublicKeyMaterial(kEd25519OpenSsh).fingerprint, kEd25519Fingerprint);
}

// ---- the three import formats give one key and one fingerprint (KP-3) ----

TEST(KeyPairImport, ThreeFormatsOneFingerprint) {
  for (const char* material : {kRsaOpenSsh, kRsaRfc4716, kRsaSpkiBase64, kRsaPkcs1Base64}) {
    SCOPED_TRACE(std::string(material).substr(0, 40));
    PublicKeyInfo info = ParsePublicKeyMaterial(material);
    EXPECT_EQ(info.key_type, "rsa");
    EXPECT_EQ(info.bits, 2048);
    EXPECT_EQ(info.fingerprint, kRsaImportedFingerprint);
    EXPECT_EQ(info.public_key, KeyPart(kRsaOpenSsh));
  }
}

TEST(KeyPairImport, Ed25519FromOpenSshAndSpki) {
  for (const char* material : {kEd25519OpenSsh, kEd25519SpkiBase64}) {
    PublicKeyInfo info = ParsePublicKeyMaterial(material);
    EXPECT_EQ(info.key_type, "ed25519");
    EXPECT_EQ(info.fingerprint, kEd25519Fingerprint);
    EXPECT_EQ(info.public_key, KeyPart(kEd25519OpenSsh));
  }
}

TEST(KeyPairImport, OpenSshLineWithoutCommentAndWithTrailingNewline) {
  EXPECT_EQ(ParsePublicKeyMaterial(KeyPart(kRsaOpenSsh)).fingerprint, kRsaImportedFingerprint);
  EXPECT_EQ(ParsePublicKeyMaterial(std::string(kRsaOpenSsh) + "\r\n").fingerprint, kRsaImportedFingerprint);
}

TEST(KeyPairImport, DsaRefused) {  // KP-4
  EXPECT_EQ(CodeOf([] { ParsePublicKeyMaterial(kDsaOpenSsh); }), "InvalidKey.Format");
  EXPECT_EQ(CodeOf([] { ParsePublicKeyMaterial(kDsaSpkiBase64); }), "InvalidKey.Format");
}

TEST(KeyPairImport, EcdsaRefused) {
  EXPECT_EQ(CodeOf([] { ParsePublicKeyMaterial(kEcdsaOpenSsh); }), "InvalidKey.Format");
}

TEST(KeyPairImport, MalformedRefused) {
  std::string line = kRsaOpenSsh;
  for (std::string bad : {std::string(""), std::string("garbage"), std::string("ssh-rsa"), std::string("ssh-rsa !!!!"),
                          "ssh-ed25519" + line.substr(7),  // type and blob disagree
                          line.substr(0, 200),             // truncated blob
                          std::string("---- BEGIN SSH2 PUBLIC KEY ----\nAAAA\n"),  // no END line
                          std::string(kRsaSpkiBase64) + "AAAA"}) {                 // DER with trailing bytes
    SCOPED_TRACE(bad.substr(0, 40));
    EXPECT_EQ(CodeOf([&] { ParsePublicKeyMaterial(bad); }), "InvalidKey.Format");
  }
}

TEST(KeyPairImport, Rfc4716ContinuedHeaders) {
  std::string rfc = kRsaRfc4716;
  std::string with_headers = "---- BEGIN SSH2 PUBLIC KEY ----\nSubject: me\nComment: \"a long \\\ncomment\"\n" +
                             rfc.substr(rfc.find('\n', rfc.find("Comment:")) + 1);
  EXPECT_EQ(ParsePublicKeyMaterial(with_headers).fingerprint, kRsaImportedFingerprint);
}

TEST(KeyPairBase64, StrictDecoding) {
  EXPECT_EQ(DecodeBase64("aGVsbG8="), "hello");
  EXPECT_EQ(DecodeBase64("aGVs\nbG8h"), "hello!");
  EXPECT_FALSE(DecodeBase64("aGVsbG8"));
  EXPECT_FALSE(DecodeBase64("aG=sbG8="));
  EXPECT_FALSE(DecodeBase64("ssh-rsa AAAA"));
}

// ---- generation ----

TEST(KeyPairGenerate, RsaPemIsPkcs1AndItsFingerprintIsFp1) {  // KP-1, FP-1
  GeneratedKey g = GenerateKey("rsa", "pem", "k1");
  EXPECT_EQ(g.key_material.rfind("-----BEGIN RSA PRIVATE KEY-----\n", 0), 0u);
  EXPECT_EQ(CreatedKeyFingerprint(g.key_material), g.fingerprint);
  EXPECT_EQ(g.fingerprint.size(), 59u);
  PublicKeyInfo pub = ParsePublicKeyMaterial(g.public_key);
  EXPECT_EQ(pub.bits, 2048);
  EXPECT_NE(pub.fingerprint, g.fingerprint);  // FP-3: the entry path decides
}

TEST(KeyPairGenerate, RsaPpkIsPuttyVersion2) {
  GeneratedKey g = GenerateKey("rsa", "ppk", "k1");
  EXPECT_EQ(g.key_material.rfind("PuTTY-User-Key-File-2: ssh-rsa\nEncryption: none\nComment: k1\n", 0), 0u);
  EXPECT_NE(g.key_material.find("\nPrivate-MAC: "), std::string::npos);
  EXPECT_EQ(g.fingerprint.size(), 59u);
}

TEST(KeyPairGenerate, Ed25519PemIsOpenSshFormat) {
  GeneratedKey g = GenerateKey("ed25519", "pem", "k2");
  EXPECT_EQ(g.key_material.rfind("-----BEGIN OPENSSH PRIVATE KEY-----\n", 0), 0u);
  EXPECT_EQ(g.public_key.rfind("ssh-ed25519 ", 0), 0u);
  EXPECT_EQ(ParsePublicKeyMaterial(g.public_key).fingerprint, g.fingerprint);
  EXPECT_EQ(g.fingerprint.size(), 44u);
}

TEST(KeyPairGenerate, Ed25519Ppk) {
  GeneratedKey g = GenerateKey("ed25519", "ppk", "k2");
  EXPECT_EQ(g.key_material.rfind("PuTTY-User-Key-File-2: ssh-ed25519\n", 0), 0u);
}

// ---- operations ----

class KeyPairOps : public ::testing::Test {
 protected:
  KeyPairOps() {
    p.account_id = "123456789012";
    p.region = "us-east-1";
  }
  Quotas q;
  Partition p;
};

TEST_F(KeyPairOps, CreateDescribeDeleteRecreate) {  // scenario A1
  Tx tx(p, q);
  auto created = CreateKeyPair(tx, "k1", "rsa", "pem", {{"team", "a"}});
  const KeyPair& k = created.key_pair;
  EXPECT_EQ(k.id.rfind("key-", 0), 0u);
  EXPECT_EQ(k.fingerprint, CreatedKeyFingerprint(created.key_material));
  EXPECT_EQ(k.public_key.substr(k.public_key.rfind(' ') + 1), "k1");  // KP-10
  EXPECT_EQ(k.create_time.back(), 'Z');
  EXPECT_TRUE(tx.touched().count(k.id));
  std::string id = k.id;
  EXPECT_EQ(&GetKeyPairByName(p, "k1"), &GetKeyPair(p, id));
  EXPECT_EQ(CodeOf([&] { CreateKeyPair(tx, "k1", "rsa", "pem", {}); }), "InvalidKeyPair.Duplicate");  // KP-7
  EXPECT_EQ(DeleteKeyPair(tx, "k1", ""), id);
  EXPECT_EQ(CodeOf([&] { GetKeyPairByName(p, "k1"); }), "InvalidKeyPair.NotFound");
  EXPECT_NE(CreateKeyPair(tx, "k1", "rsa", "pem", {}).key_pair.id, id);
}

TEST_F(KeyPairOps, ImportDuplicatesCreatedName) {
  Tx tx(p, q);
  CreateKeyPair(tx, "k1", "ed25519", "pem", {});
  EXPECT_EQ(CodeOf([&] { ImportKeyPair(tx, "k1", kRsaOpenSsh, {}); }), "InvalidKeyPair.Duplicate");
  const KeyPair& k = ImportKeyPair(tx, "k2", kRsaRfc4716, {});
  EXPECT_EQ(k.key_type, "rsa");
  EXPECT_EQ(k.fingerprint, kRsaImportedFingerprint);
  EXPECT_EQ(k.public_key, KeyPart(kRsaOpenSsh) + " k2");
}

TEST_F(KeyPairOps, RefusedImportChangesNothing) {
  Tx tx(p, q);
  EXPECT_EQ(CodeOf([&] { ImportKeyPair(tx, "dsa", kDsaOpenSsh, {}); }), "InvalidKey.Format");
  EXPECT_TRUE(p.key_pairs.empty());
  EXPECT_TRUE(tx.touched().empty());
}

TEST_F(KeyPairOps, DeleteMissingSucceeds) {
  Tx tx(p, q);
  EXPECT_EQ(DeleteKeyPair(tx, "nope", ""), "");
  EXPECT_EQ(DeleteKeyPair(tx, "", "key-0123456789abcdef0"), "");
  EXPECT_EQ(CodeOf([&] { DeleteKeyPair(tx, "", ""); }), "MissingParameter");
  std::string id = CreateKeyPair(tx, "k1", "rsa", "pem", {}).key_pair.id;
  EXPECT_EQ(DeleteKeyPair(tx, "", id), id);
  EXPECT_TRUE(p.key_pairs.empty());
}

TEST_F(KeyPairOps, LimitPerRegion) {  // KP-2
  q.Set("key-pairs-per-region", 2);
  Tx tx(p, q);
  ImportKeyPair(tx, "a", kRsaOpenSsh, {});
  ImportKeyPair(tx, "b", kEd25519OpenSsh, {});
  EXPECT_EQ(CodeOf([&] { ImportKeyPair(tx, "c", kRsaOpenSsh, {}); }), "KeyPairLimitExceeded");
  EXPECT_EQ(CodeOf([&] { CreateKeyPair(tx, "c", "rsa", "pem", {}); }), "KeyPairLimitExceeded");
  EXPECT_EQ(Quotas().Get("key-pairs-per-region"), 5000);
}

TEST_F(KeyPairOps, Names) {
  Tx tx(p, q);
  EXPECT_EQ(CodeOf([&] { CreateKeyPair(tx, std::string(255, 'k'), "rsa", "pem", {}); }), "");
  for (std::string bad : {std::string(256, 'k'), std::string(""), std::string(" lead"), std::string("trail "),
                          std::string("caf\xc3\xa9"), std::string("tab\there")}) {
    SCOPED_TRACE(bad);
    EXPECT_EQ(CodeOf([&] { ImportKeyPair(tx, bad, kRsaOpenSsh, {}); }), "InvalidParameterValue");
  }
  EXPECT_EQ(CodeOf([&] { ImportKeyPair(tx, "my key (1) & co.", kRsaOpenSsh, {}); }), "");
}

}  // namespace
