// AWS's catalogues: DescribeInstanceTypes (inventory-ec2-network-security §7.4) and
// DescribeImages (a small fixed set). Both read model/catalogue.h; neither writes.
#include <algorithm>
#include <cctype>
#include <set>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/catalogue.h"
#include "model/error.h"
#include "model/regions.h"

namespace openvpc::api {
namespace {

// ---- instance types ----

const DescribeSpec kDescribeInstanceTypes = {
    .id_path = "InstanceType", .list_member = "InstanceTypes",
    .filters = {
        {"instance-type", {"InstanceType"}},
        {"current-generation", {"CurrentGeneration"}},
        {"free-tier-eligible", {"FreeTierEligible"}},
        {"bare-metal", {"BareMetal"}},
        {"burstable-performance-supported", {"BurstablePerformanceSupported"}},
        {"hypervisor", {"Hypervisor"}},
        {"instance-storage-supported", {"InstanceStorageSupported"}},
        {"hibernation-supported", {"HibernationSupported"}},
        {"dedicated-hosts-supported", {"DedicatedHostsSupported"}},
        {"auto-recovery-supported", {"AutoRecoverySupported"}},
        {"memory-info.size-in-mib", {"MemoryInfo.SizeInMiB"}},
        {"network-info.maximum-network-interfaces", {"NetworkInfo.MaximumNetworkInterfaces"}},
        {"network-info.maximum-network-cards", {"NetworkInfo.MaximumNetworkCards"}},
        {"network-info.ipv4-addresses-per-interface", {"NetworkInfo.Ipv4AddressesPerInterface"}},
        {"network-info.ipv6-addresses-per-interface", {"NetworkInfo.Ipv6AddressesPerInterface"}},
        {"network-info.ipv6-supported", {"NetworkInfo.Ipv6Supported"}},
        {"network-info.ena-support", {"NetworkInfo.EnaSupport"}},
        {"network-info.efa-supported", {"NetworkInfo.EfaSupported"}},
        {"network-info.encryption-in-transit-supported", {"NetworkInfo.EncryptionInTransitSupported"}},
        {"placement-group-info.supported-strategies", {"PlacementGroupInfo.SupportedStrategies"}},
        {"processor-info.supported-architecture", {"ProcessorInfo.SupportedArchitectures"}},
        {"processor-info.manufacturer", {"ProcessorInfo.Manufacturer"}},
        {"supported-root-device-type", {"SupportedRootDeviceTypes"}},
        {"supported-usage-class", {"SupportedUsageClasses"}},
        {"supported-virtualization-type", {"SupportedVirtualizationTypes"}},
        {"vcpu-info.default-vcpus", {"VCpuInfo.DefaultVCpus"}},
    },
    .taggable = false};

bool In(const std::string& s, std::initializer_list<const char*> set) {
  return std::any_of(set.begin(), set.end(), [&](const char* x) { return s == x; });
}

// The informational members, from the type's family as AWS publishes them.
json InstanceTypeView(const model::InstanceTypeInfo& t) {
  std::string family = t.name.substr(0, t.name.find('.'));
  bool nitro = In(family, {"t3", "t3a", "t4g", "m5", "c5"});
  bool current = nitro || In(family, {"t2", "m4", "c4", "r4", "i3", "d2", "p2", "g3", "f1", "x1"});
  bool burstable = !t.default_cpu_credits.empty();
  bool instance_store =
      In(family, {"c1", "c3", "cc2", "cg1", "cr1", "d2", "f1", "g2", "hi1", "hs1", "i2", "i3", "m1", "m2", "m3", "r3", "x1"});
  bool paravirtual = In(family, {"c1", "c3", "hi1", "hs1", "m1", "m2", "m3", "t1"});
  std::string ena = nitro ? "required"
                    : (In(family, {"i3", "r4", "x1", "p2", "g3", "f1"}) || t.name == "m4.16xlarge") ? "supported"
                                                                                                     : "unsupported";
  json roots = json::array({"ebs"});
  if (instance_store) roots.push_back("instance-store");
  json virt = json::array({"hvm"});
  if (paravirtual) virt.push_back("paravirtual");
  json strategies = json::array();
  if (t.cluster_placement) strategies.push_back("cluster");
  strategies.push_back("partition");
  strategies.push_back("spread");
  return {
      {"InstanceType", t.name},
      {"CurrentGeneration", current},
      {"FreeTierEligible", t.name == "t2.micro" || t.name == "t3.micro"},
      {"SupportedUsageClasses", json::array({"on-demand", "spot"})},
      {"SupportedRootDeviceTypes", roots},
      {"SupportedVirtualizationTypes", virt},
      {"BareMetal", false},
      {"Hypervisor", nitro ? "nitro" : "xen"},
      {"ProcessorInfo",
       {{"SupportedArchitectures", json::array({t.architecture})},
        {"Manufacturer", family == "t3a" ? "AMD" : t.architecture == "arm64" ? "AWS" : "Intel"}}},
      {"VCpuInfo", {{"DefaultVCpus", t.vcpus}}},
      {"MemoryInfo", {{"SizeInMiB", t.memory_mib}}},
      {"InstanceStorageSupported", instance_store},
      {"NetworkInfo",
       {{"MaximumNetworkInterfaces", t.max_interfaces},
        {"MaximumNetworkCards", 1},
        {"DefaultNetworkCardIndex", 0},
        {"NetworkCards", json::array({{{"NetworkCardIndex", 0}, {"MaximumNetworkInterfaces", t.max_interfaces}}})},
        {"Ipv4AddressesPerInterface", t.ipv4_per_interface},
        {"Ipv6AddressesPerInterface", t.ipv6_per_interface},
        {"Ipv6Supported", t.ipv6_per_interface > 0},
        {"EnaSupport", ena},
        {"EfaSupported", false},
        {"EncryptionInTransitSupported", false}}},
      {"PlacementGroupInfo", {{"SupportedStrategies", strategies}}},
      {"HibernationSupported", false},
      {"BurstablePerformanceSupported", burstable},
      {"DedicatedHostsSupported", false},
      {"AutoRecoverySupported", !instance_store},
  };
}

json DescribeInstanceTypes(Call& c) {
  std::vector<std::string> wanted = StrList(c.in, "InstanceTypes");
  std::vector<std::string> missing;
  for (const auto& name : wanted)
    if (!model::FindInstanceType(name) && std::find(missing.begin(), missing.end(), name) == missing.end())
      missing.push_back(name);
  if (!missing.empty()) {
    std::string list;
    for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
    model::Fail("InvalidInstanceType", "The following supplied instance types do not exist: [" + list + "]");
  }
  std::vector<json> items;
  for (const auto& t : model::InstanceTypes())
    if (wanted.empty() || std::find(wanted.begin(), wanted.end(), t.name) != wanted.end())
      items.push_back(InstanceTypeView(t));
  return Describe(kDescribeInstanceTypes, c.in, std::move(items));
}

// ---- where the types are offered: every type in the Region and each of its zones ----

const DescribeSpec kDescribeInstanceTypeOfferings = {
    .id_path = "InstanceType", .list_member = "InstanceTypeOfferings",
    .filters = {{"instance-type", {"InstanceType"}}, {"location", {"Location"}}},
    .taggable = false,
    .sort_paths = {"Location", "InstanceType"}};

json DescribeInstanceTypeOfferings(Call& c) {
  const std::string type = c.in.value("LocationType", "region");
  std::vector<std::string> locations;
  if (type == "region") {
    locations.push_back(c.p().region);
  } else if (const model::RegionInfo* r = model::FindRegion(c.p().region)) {
    for (const auto& z : r->zones) locations.push_back(type == "availability-zone-id" ? z.id : z.name);
  }
  if (type == "outpost") locations.clear();  // openvpc has no Outposts
  std::vector<json> items;
  for (const auto& location : locations)
    for (const auto& t : model::InstanceTypes())
      items.push_back({{"InstanceType", t.name}, {"LocationType", type}, {"Location", location}});
  return Describe(kDescribeInstanceTypeOfferings, c.in, std::move(items));
}

// ---- images ----

const DescribeSpec kDescribeImages = {
    .ids_member = "ImageIds", .id_path = "ImageId", .list_member = "Images",
    .not_found_code = "InvalidAMIID.NotFound", .not_found_noun = "image",
    .filters = {
        {"architecture", {"Architecture"}},
        {"block-device-mapping.delete-on-termination", {"BlockDeviceMappings.Ebs.DeleteOnTermination"}},
        {"block-device-mapping.device-name", {"BlockDeviceMappings.DeviceName"}},
        {"block-device-mapping.snapshot-id", {"BlockDeviceMappings.Ebs.SnapshotId"}},
        {"block-device-mapping.volume-size", {"BlockDeviceMappings.Ebs.VolumeSize"}},
        {"block-device-mapping.volume-type", {"BlockDeviceMappings.Ebs.VolumeType"}},
        {"block-device-mapping.encrypted", {"BlockDeviceMappings.Ebs.Encrypted"}},
        {"creation-date", {"CreationDate"}},
        {"description", {"Description"}},
        {"ena-support", {"EnaSupport"}},
        {"hypervisor", {"Hypervisor"}},
        {"image-id", {"ImageId"}},
        {"image-type", {"ImageType"}},
        {"is-public", {"Public"}},
        {"manifest-location", {"ImageLocation"}},
        {"name", {"Name"}},
        {"owner-alias", {"ImageOwnerAlias"}},
        {"owner-id", {"OwnerId"}},
        {"platform", {"Platform"}},
        {"platform-details", {"PlatformDetails"}},
        {"root-device-name", {"RootDeviceName"}},
        {"root-device-type", {"RootDeviceType"}},
        {"state", {"State"}},
        {"sriov-net-support", {"SriovNetSupport"}},
        {"usage-operation", {"UsageOperation"}},
        {"virtualization-type", {"VirtualizationType"}},
    },
    .sort_paths = {"ImageId"},
    .max_results_excludes_ids = true, .ids_parameter = "imageIdsSet"};

json ImageView(const model::ImageInfo& i) {
  json ebs = {{"DeleteOnTermination", true},
              {"SnapshotId", "snap-" + i.image_id.substr(4)},
              {"VolumeSize", i.root_volume_size},
              {"VolumeType", i.root_volume_type},
              {"Encrypted", false}};
  if (i.root_volume_type == "gp3") ebs["Iops"] = 3000, ebs["Throughput"] = 125;
  json v = {{"ImageId", i.image_id},
            {"ImageLocation", (i.owner_alias.empty() ? i.owner_id : i.owner_alias) + "/" + i.name},
            {"State", "available"},
            {"OwnerId", i.owner_id},
            {"CreationDate", i.creation_date},
            {"Public", true},
            {"Architecture", i.architecture},
            {"ImageType", "machine"},
            {"Name", i.name},
            {"Description", i.description},
            {"RootDeviceName", i.root_device_name},
            {"RootDeviceType", "ebs"},
            {"VirtualizationType", "hvm"},
            {"Hypervisor", "xen"},
            {"EnaSupport", true},
            {"SriovNetSupport", "simple"},
            {"PlatformDetails", i.platform_details},
            {"UsageOperation", "RunInstances"},
            {"BlockDeviceMappings", json::array({{{"DeviceName", i.root_device_name}, {"Ebs", ebs}}})},
            {"Tags", json::array()}};
  if (!i.owner_alias.empty()) v["ImageOwnerAlias"] = i.owner_alias;
  if (!i.imds_support.empty()) v["ImdsSupport"] = i.imds_support;
  return v;
}

bool IsAccountId(const std::string& s) {
  return s.size() == 12 && std::all_of(s.begin(), s.end(), [](unsigned char ch) { return std::isdigit(ch); });
}

bool IsImageId(const std::string& s) { return model::WellFormedId(s, "ami-"); }

json DescribeImages(Call& c) {
  // MaxResults (its range, and not with ImageIds) is the Describe engine's.
  std::vector<std::string> ids = StrList(c.in, "ImageIds");
  for (const auto& id : ids)
    if (!IsImageId(id)) model::Fail("InvalidAMIID.Malformed", "Invalid id: \"" + id + "\" (expecting \"ami-...\")");
  for (const auto& id : ids) {
    const auto& images = model::Images();
    if (std::none_of(images.begin(), images.end(), [&](const model::ImageInfo& i) { return i.image_id == id; }))
      model::Fail("InvalidAMIID.NotFound", "The image id '[" + id + "]' does not exist");
  }
  // Owners: self (the caller's account), amazon, aws-marketplace, or account ids.
  std::vector<std::string> owners = StrList(c.in, "Owners");
  for (const auto& o : owners)
    if (!IsAccountId(o) && o != "self" && o != "amazon" && o != "aws-marketplace" && o != "aws-backup-vault")
      model::Fail("InvalidUserID.Malformed", "Invalid user id: \"" + o + "\"");
  auto owned = [&](const model::ImageInfo& i) {
    if (owners.empty()) return true;
    for (const auto& o : owners)
      if ((o == "self" && i.owner_id == c.p().account_id) || (o == i.owner_id) ||
          (!i.owner_alias.empty() && o == i.owner_alias))
        return true;
    return false;
  };
  std::vector<json> items;
  for (const auto& i : model::Images())
    if (owned(i))  // the Describe engine keeps the ImageIds asked for
      items.push_back(ImageView(i));
  return Describe(kDescribeImages, c.in, std::move(items));
}

}  // namespace

void RegisterCatalogueHandlers() {
  Register("DescribeInstanceTypes", DescribeInstanceTypes, false);
  Register("DescribeImages", DescribeImages, false);
  Register("DescribeInstanceTypeOfferings", DescribeInstanceTypeOfferings, false);
}

}  // namespace openvpc::api
