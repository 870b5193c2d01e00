// EBS volumes as records (model::Volumes): DescribeVolumes lists the volumes instances' launches
// created, so the Terraform provider's root_block_device reads what RunInstances made.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/instance.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeVolumes = {
    .ids_member = "VolumeIds", .id_path = "VolumeId", .list_member = "Volumes",
    .not_found_code = "InvalidVolume.NotFound", .not_found_noun = "volume",
    .filters = {{"attachment.attach-time", {"Attachments.AttachTime"}},
                {"attachment.delete-on-termination", {"Attachments.DeleteOnTermination"}},
                {"attachment.device", {"Attachments.Device"}},
                {"attachment.instance-id", {"Attachments.InstanceId"}},
                {"attachment.status", {"Attachments.State"}},
                {"availability-zone", {"AvailabilityZone"}},
                {"create-time", {"CreateTime"}},
                {"encrypted", {"Encrypted"}},
                {"multi-attach-enabled", {"MultiAttachEnabled"}},
                {"size", {"Size"}},
                {"snapshot-id", {"SnapshotId"}},
                {"status", {"State"}},
                {"volume-id", {"VolumeId"}},
                {"volume-type", {"VolumeType"}}},
    .max_results_excludes_ids = true};  // ids are checked by DescribeVolumes, in AWS's words

json VolumeView(const model::VolumeRecord& r) {
  const model::EbsVolume& v = *r.volume;
  json out = {{"VolumeId", v.id},
              {"Size", v.size},
              {"SnapshotId", v.snapshot_id},
              {"AvailabilityZone", r.instance->availability_zone},
              {"State", r.attached ? "in-use" : "available"},
              {"CreateTime", v.create_time},
              {"Attachments", json::array()},
              {"VolumeType", v.volume_type},
              {"Encrypted", v.encrypted},
              {"MultiAttachEnabled", false},
              {"Tags", TagsView(v.tags)}};
  if (v.iops) out["Iops"] = v.iops;
  if (v.throughput) out["Throughput"] = v.throughput;
  if (r.attached)
    out["Attachments"].push_back({{"AttachTime", v.create_time},
                                  {"Device", v.device_name},
                                  {"InstanceId", r.instance->id},
                                  {"State", "attached"},
                                  {"VolumeId", v.id},
                                  {"DeleteOnTermination", v.delete_on_termination}});
  return out;
}

json DescribeVolumes(Call& c) {
  const std::vector<model::VolumeRecord> volumes = model::Volumes(c.p());
  // AWS names a missing volume without "ID": "The volume 'vol-…' does not exist."
  for (const auto& id : StrList(c.in, "VolumeIds")) {
    if (!model::WellFormedId(id, "vol-"))
      model::Fail("InvalidVolumeID.Malformed", "Invalid id: \"" + id + "\" (expecting \"vol-...\")");
    if (std::none_of(volumes.begin(), volumes.end(), [&](const model::VolumeRecord& r) { return r.volume->id == id; }))
      model::Fail("InvalidVolume.NotFound", "The volume '" + id + "' does not exist.");
  }
  std::vector<json> items;
  for (const auto& r : volumes) items.push_back(VolumeView(r));
  return Describe(kDescribeVolumes, c.in, std::move(items));
}

}  // namespace

void RegisterVolumeHandlers() { Register("DescribeVolumes", DescribeVolumes, false); }

}  // namespace openvpc::api
