// Instances, the networking side: RunInstances, DescribeInstances, Start/Stop/Reboot/Terminate,
// DescribeInstanceStatus, Describe/ModifyInstanceAttribute.
#include <map>

#include "api/describe.h"
#include "api/handlers.h"
#include "api/service.h"
#include "model/catalogue.h"
#include "model/error.h"
#include "model/host.h"
#include "model/instance.h"
#include "model/key_pair.h"
#include "model/network_interface.h"
#include "model/tags.h"

namespace openvpc::api {
namespace {

// Items are one reservation per instance, merged back by reservation after filtering and
// paging, so that filters and MaxResults count instances as AWS's do.
DescribeSpec DescribeInstancesSpec() {
  DescribeSpec spec{.ids_member = "InstanceIds", .id_path = "InstanceId", .list_member = "Instances",
                    .not_found_code = "InvalidInstanceID.NotFound", .not_found_noun = "instance",
                    .malformed_code = "InvalidInstanceID.Malformed", .id_prefix = "i-",
                    .max_results_excludes_ids = true, .ids_parameter = "instancesSet"};
  const std::pair<const char*, const char*> kFilters[] = {
      {"architecture", "Architecture"},
      {"availability-zone", "Placement.AvailabilityZone"},
      {"client-token", "ClientToken"},
      {"dns-name", "PublicDnsName"},
      {"iam-instance-profile.arn", "IamInstanceProfile.Arn"},
      {"image-id", "ImageId"},
      {"instance-id", "InstanceId"},
      {"instance-state-code", "State.Code"},
      {"instance-state-name", "State.Name"},
      {"instance-type", "InstanceType"},
      {"instance.group-id", "SecurityGroups.GroupId"},
      {"instance.group-name", "SecurityGroups.GroupName"},
      {"ip-address", "PublicIpAddress"},
      {"key-name", "KeyName"},
      {"launch-index", "AmiLaunchIndex"},
      {"launch-time", "LaunchTime"},
      {"network-interface.addresses.association.public-ip", "NetworkInterfaces.PrivateIpAddresses.Association.PublicIp"},
      {"network-interface.addresses.primary", "NetworkInterfaces.PrivateIpAddresses.Primary"},
      {"network-interface.addresses.private-ip-address", "NetworkInterfaces.PrivateIpAddresses.PrivateIpAddress"},
      {"network-interface.association.public-ip", "NetworkInterfaces.Association.PublicIp"},
      {"network-interface.attachment.attachment-id", "NetworkInterfaces.Attachment.AttachmentId"},
      {"network-interface.attachment.delete-on-termination", "NetworkInterfaces.Attachment.DeleteOnTermination"},
      {"network-interface.attachment.device-index", "NetworkInterfaces.Attachment.DeviceIndex"},
      {"network-interface.attachment.status", "NetworkInterfaces.Attachment.Status"},
      {"network-interface.description", "NetworkInterfaces.Description"},
      {"network-interface.group-id", "NetworkInterfaces.Groups.GroupId"},
      {"network-interface.group-name", "NetworkInterfaces.Groups.GroupName"},
      {"network-interface.ipv6-addresses.ipv6-address", "NetworkInterfaces.Ipv6Addresses.Ipv6Address"},
      {"network-interface.mac-address", "NetworkInterfaces.MacAddress"},
      {"network-interface.network-interface-id", "NetworkInterfaces.NetworkInterfaceId"},
      {"network-interface.owner-id", "NetworkInterfaces.OwnerId"},
      {"network-interface.private-dns-name", "NetworkInterfaces.PrivateDnsName"},
      {"network-interface.source-dest-check", "NetworkInterfaces.SourceDestCheck"},
      {"network-interface.status", "NetworkInterfaces.Status"},
      {"network-interface.subnet-id", "NetworkInterfaces.SubnetId"},
      {"network-interface.vpc-id", "NetworkInterfaces.VpcId"},
      {"placement-group-name", "Placement.GroupName"},
      {"platform-details", "PlatformDetails"},
      {"private-dns-name", "PrivateDnsName"},
      {"private-ip-address", "PrivateIpAddress"},
      {"reason", "StateTransitionReason"},
      {"root-device-type", "RootDeviceType"},
      {"source-dest-check", "SourceDestCheck"},
      {"subnet-id", "SubnetId"},
      {"tenancy", "Placement.Tenancy"},
      {"virtualization-type", "VirtualizationType"},
      {"vpc-id", "VpcId"},
  };
  for (auto [name, path] : kFilters) spec.filters.push_back({name, {path}});
  // The reservation's members ride on each instance item until the items are merged back.
  spec.filters.push_back({"owner-id", {"OwnerId"}});
  spec.filters.push_back({"reservation-id", {"ReservationId"}});
  spec.filters.push_back({"requester-id", {}});  // launched by a user: no requester
  return spec;
}

// The members of NetworkInterface that InstanceNetworkInterface also has.
json InstanceInterfaceView(const model::Partition& p, const model::NetworkInterface& eni) {
  json full = NetworkInterfaceView(p, eni);
  json out = json::object();
  for (const char* k : {"Association", "Attachment", "Description", "Groups", "Ipv6Addresses", "MacAddress",
                        "NetworkInterfaceId", "OwnerId", "PrivateDnsName", "PrivateIpAddress", "PrivateIpAddresses",
                        "SourceDestCheck", "Status", "SubnetId", "VpcId", "InterfaceType"})
    if (full.contains(k)) out[k] = full[k];
  if (out.contains("Attachment")) out["Attachment"].erase("InstanceId"), out["Attachment"].erase("InstanceOwnerId");
  // An instance's view of a public address names no allocation or association.
  auto strip = [](json& a) { a.erase("AllocationId"), a.erase("AssociationId"); };
  if (out.contains("Association")) strip(out["Association"]);
  for (auto& ip : out["PrivateIpAddresses"])
    if (ip.contains("Association")) strip(ip["Association"]);
  return out;
}

json StateView(const std::string& state) { return {{"Code", model::StateCode(state)}, {"Name", state}}; }

// The EBS volumes attached to the instance, as its BlockDeviceMappings (none once terminated).
json BlockDeviceMappingsView(const model::Instance& i) {
  json out = json::array();
  if (i.state == "terminated") return out;
  for (const model::EbsVolume& v : i.volumes)
    out.push_back({{"DeviceName", v.device_name},
                   {"Ebs", {{"AttachTime", v.create_time}, {"DeleteOnTermination", v.delete_on_termination},
                            {"Status", "attached"}, {"VolumeId", v.id}}}});
  return out;
}

json PlacementView(const model::Instance& i) {
  json v = {{"AvailabilityZone", i.availability_zone}, {"GroupName", i.placement_group}, {"Tenancy", i.tenancy}};
  if (i.partition_number > 0) v["PartitionNumber"] = i.partition_number;
  return v;
}

json InstanceView(const model::Partition& p, const model::Instance& i) {
  json v = {{"InstanceId", i.id},
            {"ImageId", i.image_id},
            {"InstanceType", i.instance_type},
            {"LaunchTime", i.launch_time},
            {"State", StateView(i.state)},
            {"StateTransitionReason", i.state_transition_reason},
            {"AmiLaunchIndex", i.ami_launch_index},
            {"Placement", PlacementView(i)},
            {"Monitoring", {{"State", "disabled"}}},
            {"Architecture", i.architecture},
            {"RootDeviceType", "ebs"},
            {"RootDeviceName", i.root_device_name},
            {"BlockDeviceMappings", BlockDeviceMappingsView(i)},
            {"MetadataOptions", MetadataOptionsView(i.metadata_options)},
            {"VirtualizationType", "hvm"},
            {"Hypervisor", "xen"},
            {"EbsOptimized", false},
            {"EnaSupport", true},
            {"PlatformDetails", "Linux/UNIX"},
            {"ClientToken", i.client_token},
            {"PrivateDnsName", ""},
            {"PublicDnsName", ""},
            {"Tags", TagsView(i.tags)}};
  if (!i.key_name.empty()) v["KeyName"] = i.key_name;
  if (!i.iam_instance_profile_arn.empty())
    v["IamInstanceProfile"] = {{"Arn", i.iam_instance_profile_arn}, {"Id", i.iam_instance_profile_id}};
  v["PrivateDnsNameOptions"] = {{"HostnameType", i.hostname_type},
                                {"EnableResourceNameDnsARecord", i.resource_name_dns_a},
                                {"EnableResourceNameDnsAAAARecord", i.resource_name_dns_aaaa}};
  if (const model::InstanceTypeInfo* t = model::FindInstanceType(i.instance_type))
    v["CpuOptions"] = {{"CoreCount", std::max(1, t->vcpus / 2)}, {"ThreadsPerCore", t->vcpus > 1 ? 2 : 1}};
  if (i.state != "terminated") {
    v["SubnetId"] = i.subnet_id;
    v["VpcId"] = i.vpc_id;
  }
  json enis = json::array();
  for (const auto* eni : model::InterfacesOf(p, i.id)) {
    enis.push_back(InstanceInterfaceView(p, *eni));
    if (eni->attachment->device_index != 0) continue;
    if (!eni->PrimaryIp().empty()) v["PrivateIpAddress"] = eni->PrimaryIp();
    v["PrivateDnsName"] = i.hostname_type == "resource-name" ? model::ResourceDnsName(p.region, i.id)
                                                             : model::PrivateDnsName(p.region, eni->PrimaryIp());
    v["SecurityGroups"] = GroupsView(p, eni->group_ids);
    v["SourceDestCheck"] = eni->source_dest_check;
    if (auto a = AssociationView(p, *eni, eni->PrimaryIp())) {
      v["PublicIpAddress"] = (*a)["PublicIp"];
      v["PublicDnsName"] = (*a)["PublicDnsName"];
    }
    if (!eni->ipv6_addresses.empty()) v["Ipv6Address"] = eni->ipv6_addresses.front();
  }
  v["NetworkInterfaces"] = enis;
  if (!v.contains("SecurityGroups")) v["SecurityGroups"] = json::array();
  return v;
}

json DescribeInstances(Call& c) {
  static const DescribeSpec spec = DescribeInstancesSpec();
  std::vector<json> items;
  for (const auto& [id, i] : c.p().instances)
    if (model::InstanceVisible(i)) {
      json inst = InstanceView(c.p(), i);
      inst["ReservationId"] = i.reservation_id;  // for filters and merging; removed before encoding
      inst["OwnerId"] = i.owner_id;
      items.push_back(std::move(inst));
    }
  json page = Describe(spec, c.in, std::move(items));
  json reservations = json::array();
  std::map<std::string, size_t> index;
  for (auto& inst : page["Instances"]) {
    std::string rid = inst["ReservationId"], owner = inst["OwnerId"];
    inst.erase("ReservationId");
    inst.erase("OwnerId");
    auto it = index.find(rid);
    if (it == index.end()) {
      index[rid] = reservations.size();
      reservations.push_back({{"ReservationId", rid}, {"OwnerId", owner}, {"Groups", json::array()},
                              {"Instances", json::array()}});
      it = index.find(rid);
    }
    reservations[it->second]["Instances"].push_back(inst);
  }
  json out = {{"Reservations", reservations}};
  if (page.contains("NextToken")) out["NextToken"] = page["NextToken"];
  return out;
}

std::optional<bool> OptBool(const json& in, const char* member) {
  if (!in.contains(member)) return std::nullopt;
  return in[member].get<bool>();
}

json RunInstances(Call& c) {
  model::RunInstancesArgs a{.image_id = Str(c.in, "ImageId"),
                            .instance_type = c.in.value("InstanceType", "m1.small"),
                            .key_name = Str(c.in, "KeyName"),
                            .user_data = Str(c.in, "UserData"),
                            .client_token = Str(c.in, "ClientToken"),
                            .min_count = c.in.value("MinCount", 1),
                            .max_count = c.in.value("MaxCount", 1),
                            .subnet_id = Str(c.in, "SubnetId"),
                            .group_ids = StrList(c.in, "SecurityGroupIds"),
                            .group_names = StrList(c.in, "SecurityGroups"),
                            .private_ip_address = Str(c.in, "PrivateIpAddress"),
                            .ipv6_address_count = c.in.value("Ipv6AddressCount", 0),
                            .disable_api_termination = Bool(c.in, "DisableApiTermination"),
                            .shutdown_behavior = c.in.value("InstanceInitiatedShutdownBehavior", "stop")};
  for (const auto& ip : c.in.value("Ipv6Addresses", json::array())) a.ipv6_addresses.push_back(ip.value("Ipv6Address", ""));
  if (c.in.contains("Placement")) {
    const json& pl = c.in["Placement"];
    a.availability_zone = pl.value("AvailabilityZone", "");
    a.placement_group = pl.value("GroupName", "");
    a.tenancy = pl.value("Tenancy", "default");
  }
  for (const auto& n : c.in.value("NetworkInterfaces", json::array())) {
    model::LaunchInterface li{.device_index = n.value("DeviceIndex", 0),
                              .network_interface_id = n.value("NetworkInterfaceId", ""),
                              .subnet_id = n.value("SubnetId", ""),
                              .description = n.value("Description", ""),
                              .group_ids = n.value("Groups", std::vector<std::string>{}),
                              .private_ip_address = n.value("PrivateIpAddress", ""),
                              .secondary_private_ip_count = n.value("SecondaryPrivateIpAddressCount", 0),
                              .ipv6_address_count = n.value("Ipv6AddressCount", 0),
                              .associate_public_ip = OptBool(n, "AssociatePublicIpAddress"),
                              .delete_on_termination = OptBool(n, "DeleteOnTermination")};
    for (const auto& ip : n.value("PrivateIpAddresses", json::array()))
      li.private_ips.emplace_back(ip.value("PrivateIpAddress", ""), ip.value("Primary", false));
    for (const auto& ip : n.value("Ipv6Addresses", json::array())) li.ipv6_addresses.push_back(ip.value("Ipv6Address", ""));
    a.interfaces.push_back(li);
  }
  if (c.in.contains("CreditSpecification")) a.cpu_credits = Str(c.in["CreditSpecification"], "CpuCredits");
  if (c.in.contains("MetadataOptions")) a.metadata_options = MetadataOptionsOf(c.in["MetadataOptions"]);
  if (c.in.contains("IamInstanceProfile")) {
    a.iam_instance_profile_arn = c.in["IamInstanceProfile"].value("Arn", "");
    a.iam_instance_profile_name = c.in["IamInstanceProfile"].value("Name", "");
  }
  for (const auto& m : c.in.value("BlockDeviceMappings", json::array())) {
    if (!m.contains("Ebs")) continue;  // instance store and NoDevice: no EBS volume
    const json& ebs = m["Ebs"];
    auto opt_int = [&](const char* k) { return ebs.contains(k) ? std::optional<int>(ebs[k].get<int>()) : std::nullopt; };
    a.block_devices.push_back({.device_name = Str(m, "DeviceName"),
                               .size = opt_int("VolumeSize"),
                               .iops = opt_int("Iops"),
                               .throughput = opt_int("Throughput"),
                               .volume_type = Str(ebs, "VolumeType"),
                               .snapshot_id = Str(ebs, "SnapshotId"),
                               .delete_on_termination = OptBool(ebs, "DeleteOnTermination"),
                               .encrypted = OptBool(ebs, "Encrypted")});
  }
  // TagSpecifications may tag the instance, the interfaces and the volumes it creates.
  for (const auto& s : c.in.value("TagSpecifications", json::array())) {
    std::string type = s.value("ResourceType", "");
    model::TagList tags = model::TagsFor({{type, TagListOf(s.value("Tags", json::array()))}}, type, c.tx.quotas);
    if (type == "instance") a.instance_tags = tags;
    else if (type == "network-interface") a.interface_tags = tags;
    else if (type == "volume") a.volume_tags = tags;
    else
      model::Fail("InvalidParameterValue", "'" + type + "' is not a valid taggable resource type for this operation.");
  }
  auto launched = model::RunInstances(c.tx, a);
  json instances = json::array();
  std::string reservation;
  for (const auto* i : launched) {
    json v = InstanceView(c.p(), *i);
    v["State"] = StateView("pending");  // running on the next Describe
    instances.push_back(v);
    reservation = i->reservation_id;
  }
  return {{"ReservationId", reservation}, {"OwnerId", c.p().account_id}, {"Groups", json::array()},
          {"Instances", instances}};
}

json StateChanges(const std::vector<model::StateChange>& changes) {
  json out = json::array();
  for (const auto& ch : changes)
    out.push_back({{"InstanceId", ch.instance_id}, {"PreviousState", StateView(ch.previous)},
                   {"CurrentState", StateView(ch.current)}});
  return out;
}

json StartInstances(Call& c) {
  return {{"StartingInstances", StateChanges(model::StartInstances(c.tx, StrList(c.in, "InstanceIds")))}};
}
json StopInstances(Call& c) {
  return {{"StoppingInstances", StateChanges(model::StopInstances(c.tx, StrList(c.in, "InstanceIds")))}};
}
json TerminateInstances(Call& c) {
  return {{"TerminatingInstances", StateChanges(model::TerminateInstances(c.tx, StrList(c.in, "InstanceIds")))}};
}
json RebootInstances(Call& c) {
  model::RebootInstances(c.tx, StrList(c.in, "InstanceIds"));
  return json::object();
}

const DescribeSpec kDescribeInstanceStatus = {
    .ids_member = "InstanceIds", .id_path = "InstanceId", .list_member = "InstanceStatuses",
    .not_found_code = "InvalidInstanceID.NotFound", .not_found_noun = "instance",
    .filters = {{"availability-zone", {"AvailabilityZone"}},
                {"instance-state-code", {"InstanceState.Code"}},
                {"instance-state-name", {"InstanceState.Name"}},
                {"instance-status.status", {"InstanceStatus.Status"}},
                {"instance-status.reachability", {"InstanceStatus.Details.Status"}},
                {"system-status.status", {"SystemStatus.Status"}},
                {"system-status.reachability", {"SystemStatus.Details.Status"}}},
    .taggable = false,
    .max_results_excludes_ids = true, .ids_parameter = "instancesSet"};

json DescribeInstanceStatus(Call& c) {
  bool all = Bool(c.in, "IncludeAllInstances");
  std::vector<json> items;
  for (const auto& [id, i] : c.p().instances) {
    if (!model::InstanceVisible(i) || (!all && i.state != "running")) continue;
    json ok = i.state == "running"
                  ? json{{"Status", "ok"}, {"Details", json::array({{{"Name", "reachability"}, {"Status", "passed"}}})}}
                  : json{{"Status", "not-applicable"}};
    json system = ok;
    if (i.state == "running" && model::HostImpaired(*c.tx.state, i)) {
      // The host under the instance is gone (its agent's lease expired): both checks fail, as
      // AWS reports an instance whose hardware failed.
      json failed = {{"Status", "impaired"},
                     {"Details", json::array({{{"Name", "reachability"}, {"Status", "failed"}}})}};
      system = failed;
      ok = failed;
    }
    items.push_back({{"InstanceId", id}, {"AvailabilityZone", i.availability_zone}, {"InstanceState", StateView(i.state)},
                     {"InstanceStatus", ok}, {"SystemStatus", system}});
  }
  return Describe(kDescribeInstanceStatus, c.in, std::move(items));
}

json DescribeInstanceAttribute(Call& c) {
  const model::Instance& i = model::GetInstance(c.p(), Str(c.in, "InstanceId"));
  std::string attr = Str(c.in, "Attribute");
  json out = {{"InstanceId", i.id}};
  auto interfaces = model::InterfacesOf(c.p(), i.id);
  const model::NetworkInterface* eth0 = interfaces.empty() ? nullptr : interfaces.front();
  if (attr == "instanceType") out["InstanceType"] = {{"Value", i.instance_type}};
  else if (attr == "userData") {
    out["UserData"] = json::object();
    if (!i.user_data.empty()) out["UserData"]["Value"] = i.user_data;
  } else if (attr == "groupSet") out["Groups"] = eth0 ? GroupsView(c.p(), eth0->group_ids) : json::array();
  else if (attr == "sourceDestCheck") out["SourceDestCheck"] = {{"Value", eth0 ? eth0->source_dest_check : true}};
  else if (attr == "disableApiTermination") out["DisableApiTermination"] = {{"Value", i.disable_api_termination}};
  else if (attr == "instanceInitiatedShutdownBehavior")
    out["InstanceInitiatedShutdownBehavior"] = {{"Value", i.shutdown_behavior}};
  else if (attr == "rootDeviceName") out["RootDeviceName"] = {{"Value", i.root_device_name}};
  else if (attr == "ebsOptimized") out["EbsOptimized"] = {{"Value", false}};
  else if (attr == "enaSupport") out["EnaSupport"] = {{"Value", true}};
  else if (attr == "disableApiStop") out["DisableApiStop"] = {{"Value", false}};
  else if (attr == "blockDeviceMapping") out["BlockDeviceMappings"] = BlockDeviceMappingsView(i);
  else model::Fail("InvalidParameterValue", "Value (" + attr + ") for parameter attribute is not supported.");
  return out;
}

json ModifyInstanceAttribute(Call& c) {
  std::string id = Str(c.in, "InstanceId");
  model::GetInstance(c.p(), id);
  // Either the Attribute/Value pair (Value is a plain string) or one of the typed members
  // (structures with a Value member).
  std::string attr = Str(c.in, "Attribute");
  std::string value = Str(c.in, "Value");
  auto value_bool = [&] {
    if (value != "true" && value != "false")
      model::Fail("InvalidParameterValue", "Value (" + value + ") for parameter value is invalid. Expecting a "
                                           "boolean value (true or false) for attribute " + attr + ".");
    return value == "true";
  };
  int n = 0;
  if (c.in.contains("Groups") || attr == "groupSet") model::SetInstanceGroups(c.tx, id, StrList(c.in, "Groups")), ++n;
  if (auto v = AttrBool(c.in, "SourceDestCheck")) model::SetInstanceSourceDestCheck(c.tx, id, *v), ++n;
  else if (attr == "sourceDestCheck") model::SetInstanceSourceDestCheck(c.tx, id, value_bool()), ++n;
  if (c.in.contains("UserData")) model::SetInstanceUserData(c.tx, id, c.in["UserData"].value("Value", "")), ++n;
  else if (attr == "userData") model::SetInstanceUserData(c.tx, id, value), ++n;
  if (c.in.contains("InstanceType")) model::SetInstanceType(c.tx, id, c.in["InstanceType"].value("Value", "")), ++n;
  else if (attr == "instanceType") model::SetInstanceType(c.tx, id, value), ++n;
  if (auto v = AttrBool(c.in, "DisableApiTermination")) model::SetInstanceDisableApiTermination(c.tx, id, *v), ++n;
  else if (attr == "disableApiTermination") model::SetInstanceDisableApiTermination(c.tx, id, value_bool()), ++n;
  if (c.in.contains("InstanceInitiatedShutdownBehavior"))
    model::SetInstanceShutdownBehavior(c.tx, id, c.in["InstanceInitiatedShutdownBehavior"].value("Value", "")), ++n;
  else if (attr == "instanceInitiatedShutdownBehavior") model::SetInstanceShutdownBehavior(c.tx, id, value), ++n;
  if (n == 0) model::Fail("InvalidParameterCombination", "No attributes specified");
  return json::object();
}

// What the instance's user data printed (the data plane keeps it), base64 as EC2 sends it;
// no Output member while there is none.
json GetConsoleOutput(Call& c) {
  const std::string id = c.in.value("InstanceId", "");
  const model::Instance& i = model::GetInstance(c.p(), id);
  json out = {{"InstanceId", id}, {"Timestamp", model::NowIso8601()}};
  std::string text = c.service ? c.service->ConsoleOutput(id) : "";
  if (text.empty()) text = i.console_output;  // another host runs it: what that host reported
  if (!text.empty()) out["Output"] = model::EncodeBase64(text);
  return out;
}

}  // namespace

void RegisterInstanceHandlers() {
  Register("RunInstances", RunInstances, true);
  Register("DescribeInstances", DescribeInstances, false);
  Register("StartInstances", StartInstances, true);
  Register("StopInstances", StopInstances, true);
  Register("TerminateInstances", TerminateInstances, true);
  Register("RebootInstances", RebootInstances, true);
  Register("GetConsoleOutput", GetConsoleOutput, false);
  Register("DescribeInstanceStatus", DescribeInstanceStatus, false);
  Register("DescribeInstanceAttribute", DescribeInstanceAttribute, false);
  Register("ModifyInstanceAttribute", ModifyInstanceAttribute, true);
}

}  // namespace openvpc::api
