// Key pairs (inventory-ec2-network-security §1).
#include <algorithm>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/key_pair.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeKeyPairs = {
    .ids_member = "KeyPairIds", .id_path = "KeyPairId", .list_member = "KeyPairs",
    .not_found_code = "InvalidKeyPair.NotFound", .not_found_noun = "key pair",
    .filters = {
        {"key-pair-id", {"KeyPairId"}},
        {"key-name", {"KeyName"}},
        {"fingerprint", {"KeyFingerprint"}},
        {"key-type", {"KeyType"}},
    },
    .paginated = false,  // DescribeKeyPairs has no MaxResults
    .sort_paths = {"KeyName"}};

json KeyPairView(const model::KeyPair& k, bool include_public_key) {
  json v = {{"KeyPairId", k.id},
            {"KeyName", k.key_name},
            {"KeyType", k.key_type},
            {"KeyFingerprint", k.fingerprint},
            {"CreateTime", k.create_time},
            {"Tags", TagsView(k.tags)}};
  if (include_public_key) v["PublicKey"] = k.public_key;
  return v;
}

// PublicKeyMaterial is a blob: botocore sends it base64-encoded, whatever its own format.
std::string DecodeBlob(const std::string& b64) {
  auto bytes = model::DecodeBase64(b64);
  if (!bytes) model::Fail("InvalidKey.Format", "Key is not in valid OpenSSH public key format");
  return *bytes;
}

json CreateKeyPair(Call& c) {
  std::string type = c.in.value("KeyType", "rsa"), format = c.in.value("KeyFormat", "pem");
  auto created = model::CreateKeyPair(c.tx, Str(c.in, "KeyName"), type, format, CreateTagsFor(c, "key-pair"));
  const model::KeyPair& k = created.key_pair;
  return {{"KeyPairId", k.id},
          {"KeyName", k.key_name},
          {"KeyFingerprint", k.fingerprint},
          {"KeyMaterial", created.key_material},
          {"Tags", TagsView(k.tags)}};
}

json ImportKeyPair(Call& c) {
  std::string material = DecodeBlob(Str(c.in, "PublicKeyMaterial"));
  const auto& k = model::ImportKeyPair(c.tx, Str(c.in, "KeyName"), material, CreateTagsFor(c, "key-pair"));
  return {{"KeyPairId", k.id}, {"KeyName", k.key_name}, {"KeyFingerprint", k.fingerprint}, {"Tags", TagsView(k.tags)}};
}

json DescribeKeyPairs(Call& c) {
  bool include_public_key = Bool(c.in, "IncludePublicKey");
  std::vector<std::string> names = StrList(c.in, "KeyNames");
  for (const auto& name : names) model::GetKeyPairByName(c.p(), name);  // each must exist
  std::vector<json> items;
  for (const auto& [id, k] : c.p().key_pairs)
    if (names.empty() || std::find(names.begin(), names.end(), k.key_name) != names.end())
      items.push_back(KeyPairView(k, include_public_key));
  return Describe(kDescribeKeyPairs, c.in, std::move(items));
}

json DeleteKeyPair(Call& c) {
  std::string id = model::DeleteKeyPair(c.tx, Str(c.in, "KeyName"), Str(c.in, "KeyPairId"));
  json out = {{"Return", true}};
  if (!id.empty()) out["KeyPairId"] = id;
  return out;
}

}  // namespace

void RegisterKeyPairHandlers() {
  Register("CreateKeyPair", CreateKeyPair, true);
  Register("ImportKeyPair", ImportKeyPair, true);
  Register("DescribeKeyPairs", DescribeKeyPairs, false);
  Register("DeleteKeyPair", DeleteKeyPair, true);
}

}  // namespace openvpc::api
