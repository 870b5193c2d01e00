// An instance's options beyond its networking that Terraform reads and writes: CPU credits of
// burstable performance instances (Describe/ModifyInstanceCreditSpecification) and the metadata
// service's options (ModifyInstanceMetadataOptions), which the data plane's IMDS enforces.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/instance.h"

namespace openvpc::api {

json MetadataOptionsView(const model::InstanceMetadataOptions& o, const std::string& state) {
  return {{"State", state},
          {"HttpTokens", o.http_tokens},
          {"HttpPutResponseHopLimit", o.http_put_response_hop_limit},
          {"HttpEndpoint", o.http_endpoint},
          {"HttpProtocolIpv6", o.http_protocol_ipv6},
          {"InstanceMetadataTags", o.instance_metadata_tags}};
}

model::MetadataOptionsChange MetadataOptionsOf(const json& in) {
  model::MetadataOptionsChange c;
  auto str = [&](const char* k) { return in.contains(k) ? std::optional<std::string>(Str(in, k)) : std::nullopt; };
  c.http_tokens = str("HttpTokens");
  c.http_endpoint = str("HttpEndpoint");
  c.http_protocol_ipv6 = str("HttpProtocolIpv6");
  c.instance_metadata_tags = str("InstanceMetadataTags");
  if (in.contains("HttpPutResponseHopLimit")) c.http_put_response_hop_limit = in["HttpPutResponseHopLimit"].get<int>();
  return c;
}

namespace {

const DescribeSpec kDescribeCredits = {
    .ids_member = "InstanceIds", .id_path = "InstanceId", .list_member = "InstanceCreditSpecifications",
    .not_found_code = "InvalidInstanceID.NotFound", .not_found_noun = "instance",
    .filters = {{"instance-id", {"InstanceId"}}},
    .taggable = false,
    .malformed_code = "InvalidInstanceID.Malformed", .id_prefix = "i-",
    .max_results_excludes_ids = true};

// Without ids: the burstable performance instances whose credits are unlimited. With ids: those
// instances' credits; an instance that earns none is refused (UnsupportedOperation).
json DescribeInstanceCreditSpecifications(Call& c) {
  const std::vector<std::string> ids = StrList(c.in, "InstanceIds");
  std::vector<json> items;
  for (const auto& [id, i] : c.p().instances) {
    if (!model::InstanceVisible(i) || i.state == "terminated") continue;
    const bool asked = std::find(ids.begin(), ids.end(), id) != ids.end();
    if (asked && i.cpu_credits.empty())
      model::Fail("UnsupportedOperation", "The instance ID '" + id + "' is not a burstable performance instance: it "
                                          "does not use CPU credits.");
    if (asked || (ids.empty() && i.cpu_credits == "unlimited"))
      items.push_back({{"InstanceId", id}, {"CpuCredits", i.cpu_credits}});
  }
  return Describe(kDescribeCredits, c.in, std::move(items));
}

// Each instance succeeds or fails on its own: the failures are listed, not thrown.
json ModifyInstanceCreditSpecification(Call& c) {
  json ok = json::array(), failed = json::array();
  for (const auto& spec : c.in.value("InstanceCreditSpecifications", json::array())) {
    const std::string id = Str(spec, "InstanceId"), credits = Str(spec, "CpuCredits");
    model::CheckCpuCredits(credits);  // a bad value makes the whole request malformed
    try {
      model::SetInstanceCpuCredits(c.tx, id, credits);
      ok.push_back({{"InstanceId", id}});
    } catch (const model::Error& e) {
      failed.push_back({{"InstanceId", id}, {"Error", {{"Code", e.code}, {"Message", e.what()}}}});
    }
  }
  return {{"SuccessfulInstanceCreditSpecifications", ok}, {"UnsuccessfulInstanceCreditSpecifications", failed}};
}

// AWS answers "pending" and applies the change shortly; DescribeInstances then says "applied".
json ModifyInstanceMetadataOptions(Call& c) {
  const std::string id = Str(c.in, "InstanceId");
  const model::InstanceMetadataOptions& o = model::SetInstanceMetadataOptions(c.tx, id, MetadataOptionsOf(c.in));
  return {{"InstanceId", id}, {"InstanceMetadataOptions", MetadataOptionsView(o, "pending")}};
}

// ---- instance profile associations ----

const DescribeSpec kDescribeProfileAssociations = {
    .ids_member = "AssociationIds", .id_path = "AssociationId", .list_member = "IamInstanceProfileAssociations",
    .not_found_code = "InvalidAssociationID.NotFound", .not_found_noun = "association",
    .filters = {{"instance-id", {"InstanceId"}}, {"state", {"State"}}},
    .taggable = false};

json ProfileAssociationView(const model::Instance& i, const std::string& state) {
  return {{"AssociationId", i.iam_instance_profile_association_id},
          {"InstanceId", i.id},
          {"IamInstanceProfile", {{"Arn", i.iam_instance_profile_arn}, {"Id", i.iam_instance_profile_id}}},
          {"State", state},
          {"Timestamp", i.iam_instance_profile_associated_at}};
}

std::pair<std::string, std::string> ProfileOf(const json& in) {
  const json spec = in.value("IamInstanceProfile", json::object());
  return {spec.value("Arn", ""), spec.value("Name", "")};
}

json AssociateIamInstanceProfile(Call& c) {
  auto [arn, name] = ProfileOf(c.in);
  const auto& i = model::AssociateIamInstanceProfile(c.tx, Str(c.in, "InstanceId"), arn, name);
  return {{"IamInstanceProfileAssociation", ProfileAssociationView(i, "associating")}};
}

json ReplaceIamInstanceProfileAssociation(Call& c) {
  auto [arn, name] = ProfileOf(c.in);
  const auto& i = model::ReplaceIamInstanceProfileAssociation(c.tx, Str(c.in, "AssociationId"), arn, name);
  return {{"IamInstanceProfileAssociation", ProfileAssociationView(i, "associating")}};
}

json DisassociateIamInstanceProfile(Call& c) {
  const std::string id = Str(c.in, "AssociationId");
  json view;
  for (const auto& [iid, i] : c.p().instances)  // as it was, before it goes
    if (!id.empty() && i.iam_instance_profile_association_id == id) view = ProfileAssociationView(i, "disassociating");
  model::DisassociateIamInstanceProfile(c.tx, id);
  return {{"IamInstanceProfileAssociation", view}};
}

json DescribeIamInstanceProfileAssociations(Call& c) {
  std::vector<json> items;
  for (const auto& [id, i] : c.p().instances)
    if (!i.iam_instance_profile_association_id.empty()) items.push_back(ProfileAssociationView(i, "associated"));
  return Describe(kDescribeProfileAssociations, c.in, std::move(items));
}

}  // namespace

void RegisterInstanceOptionHandlers() {
  Register("AssociateIamInstanceProfile", AssociateIamInstanceProfile, true);
  Register("ReplaceIamInstanceProfileAssociation", ReplaceIamInstanceProfileAssociation, true);
  Register("DisassociateIamInstanceProfile", DisassociateIamInstanceProfile, true);
  Register("DescribeIamInstanceProfileAssociations", DescribeIamInstanceProfileAssociations, false);
  Register("DescribeInstanceCreditSpecifications", DescribeInstanceCreditSpecifications, false);
  Register("ModifyInstanceCreditSpecification", ModifyInstanceCreditSpecification, true);
  Register("ModifyInstanceMetadataOptions", ModifyInstanceMetadataOptions, true);
}

}  // namespace openvpc::api
