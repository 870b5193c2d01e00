#include "model/instance.h"

#include <algorithm>

#include "model/address.h"
#include "model/catalogue.h"
#include "model/internal.h"
#include "model/key_pair.h"
#include "model/network_interface.h"
#include "model/host.h"
#include "model/placement_group.h"
#include "model/security_group.h"

namespace openvpc::model {
using namespace internal;

namespace {

const InstanceTypeInfo& TypeOrFail(const std::string& type) {
  const InstanceTypeInfo* t = FindInstanceType(type);
  if (!t) Fail("InvalidParameterValue", "Invalid value '" + type + "' for InstanceType.");
  return *t;
}

bool Live(const Instance& i) { return i.state != "terminated"; }


bool HasElasticIp(const Partition& p, const NetworkInterface& eni) {
  return std::any_of(p.addresses.begin(), p.addresses.end(),
                     [&](const auto& kv) { return kv.second.network_interface_id == eni.id; });
}

NetworkInterface* PrimaryInterface(Partition& p, const std::string& instance_id) {
  return const_cast<NetworkInterface*>(PrimaryInterfaceOf(p, instance_id));
}

// AWS's answer when an instance-level call would have to pick one of several interfaces.
[[noreturn]] void FailMultipleInterfaces(const std::string& id) {
  Fail("InvalidInstanceID", "There are multiple interfaces attached to instance '" + id +
                                "'. Please specify an interface ID for the operation instead.");
}

// The only interface of an instance, for attributes that act on it.
NetworkInterface& SoleInterface(Tx& tx, const std::string& id) {
  GetInstance(tx.p, id);
  auto list = InterfacesOf(tx.p, id);
  if (list.size() != 1) FailMultipleInterfaces(id);
  return tx.p.network_interfaces.at(list.front()->id);
}

void RequireStopped(const Instance& i, const char* what) {
  if (i.state != "stopped")
    Fail("IncorrectInstanceState", "The instance '" + i.id + "' is not in the 'stopped' state; " + what +
                                       " can only be changed while it is stopped.");
}

// Checks every interface of a launch before anything is created; returns the subnet of eth0.
const Subnet& CheckLaunchInterfaces(Partition& p, const RunInstancesArgs& a, const InstanceTypeInfo& type) {
  if (a.interfaces.empty()) Fail("MissingParameter", "The request must name a subnet or a network interface.");
  if (static_cast<int>(a.interfaces.size()) > type.max_interfaces)
    Fail("AttachmentLimitExceeded", "Interface count " + std::to_string(a.interfaces.size()) +
                                        " exceeds the limit for " + type.name);
  std::set<int> indices;
  for (const auto& li : a.interfaces) {
    if (!indices.insert(li.device_index).second)
      Fail("InvalidParameterValue", "Each network interface requires a unique device index.");
    if (li.associate_public_ip && (a.interfaces.size() > 1 || li.device_index != 0))  // E4
      Fail("InvalidParameterCombination", "The associatePublicIPAddress parameter cannot be specified when launching "
                                          "with multiple network interfaces.");
    if (li.associate_public_ip && !li.network_interface_id.empty())  // E4, IP-11
      Fail("InvalidParameterCombination", "The associatePublicIPAddress parameter cannot be specified for a network "
                                          "interface with an ID.");
    if (!li.network_interface_id.empty()) {
      if (li.delete_on_termination.value_or(false))  // only an interface the launch creates
        Fail("InvalidParameterCombination", "The parameter deleteOnTermination cannot be true for an existing "
                                            "network interface; it is allowed only for an interface the launch "
                                            "creates.");
      const NetworkInterface& eni = GetNetworkInterface(p, li.network_interface_id);
      if (eni.attachment) Fail("InvalidNetworkInterface.InUse", "Interface: [" + eni.id + "] in use.");
      if (a.max_count > 1)
        Fail("InvalidParameterCombination", "Cannot launch more than one instance with an existing network interface.");
    }
    int ipv4 = 1 + static_cast<int>(li.private_ips.size()) + li.secondary_private_ip_count;
    int ipv6 = static_cast<int>(li.ipv6_addresses.size()) + li.ipv6_address_count;
    if (ipv4 > type.ipv4_per_interface)
      Fail("PrivateIpAddressLimitExceeded", "Number of private addresses will exceed limit for the instance type.");
    if (ipv6 > type.ipv6_per_interface)
      Fail(type.ipv6_per_interface == 0 ? "UnsupportedOperation" : "InvalidParameterValue",
           type.ipv6_per_interface == 0
               ? "IPv6 addresses are not supported on " + type.name
               : "Number of IPv6 addresses will exceed limit for instance type " + type.name + ".");
  }
  if (!indices.count(0)) Fail("InvalidParameterValue", "A network interface at device index 0 is required.");
  const LaunchInterface& eth0 = *std::find_if(a.interfaces.begin(), a.interfaces.end(),
                                              [](const LaunchInterface& li) { return li.device_index == 0; });
  const std::string subnet_id = eth0.network_interface_id.empty()
                                    ? eth0.subnet_id
                                    : GetNetworkInterface(p, eth0.network_interface_id).subnet_id;
  const Subnet& s = GetSubnet(p, subnet_id);
  for (const auto& li : a.interfaces) {  // all interfaces in the zone of eth0
    std::string sid = li.network_interface_id.empty() ? li.subnet_id : GetNetworkInterface(p, li.network_interface_id).subnet_id;
    if (GetSubnet(p, sid).availability_zone != s.availability_zone)
      Fail("InvalidParameterValue", "The network interfaces of an instance must be in the same availability zone.");
  }
  return s;
}

// MetadataOptions checked and applied to O (HttpPutResponseHopLimit 1-64; the enums are the
// shape's).
void ApplyMetadataOptions(InstanceMetadataOptions& o, const MetadataOptionsChange& c) {
  if (c.http_put_response_hop_limit && (*c.http_put_response_hop_limit < 1 || *c.http_put_response_hop_limit > 64))
    Fail("InvalidParameterValue", "Value (" + std::to_string(*c.http_put_response_hop_limit) +
                                      ") for parameter HttpPutResponseHopLimit is invalid. Expecting a value "
                                      "between 1 and 64.");
  if (c.http_tokens) o.http_tokens = *c.http_tokens;
  if (c.http_endpoint) o.http_endpoint = *c.http_endpoint;
  if (c.http_protocol_ipv6) o.http_protocol_ipv6 = *c.http_protocol_ipv6;
  if (c.instance_metadata_tags) o.instance_metadata_tags = *c.instance_metadata_tags;
  if (c.http_put_response_hop_limit) o.http_put_response_hop_limit = *c.http_put_response_hop_limit;
}

// The IOPS a volume of TYPE and SIZE GiB has unless told: gp2 3 per GiB (100 to 16,000), gp3 3,000.
int DefaultIops(const std::string& type, int size) {
  if (type == "gp2") return std::clamp(3 * size, 100, 16000);
  if (type == "gp3") return 3000;
  return 0;
}

// The volumes a launch creates: the image's root volume (as a mapping of its root device may
// change it), then one per other mapping with an Ebs volume.
std::vector<EbsVolume> LaunchVolumes(const RunInstancesArgs& a, const ImageInfo* image,
                                     const std::string& root_device) {
  EbsVolume root;
  root.device_name = root_device;
  root.size = image ? image->root_volume_size : 8;
  root.volume_type = image ? image->root_volume_type : "gp2";
  root.snapshot_id = "snap-" + a.image_id.substr(a.image_id.find('-') + 1);
  std::vector<EbsVolume> out = {root};
  for (const auto& b : a.block_devices) {
    const bool is_root = b.device_name == root_device;
    if (!is_root && !b.size && b.snapshot_id.empty())
      Fail("InvalidBlockDeviceMapping", "The request must contain a volume size or a snapshot for device '" +
                                            b.device_name + "'.");
    EbsVolume v = is_root ? root : EbsVolume{};
    v.device_name = b.device_name;
    if (!is_root) {
      v.volume_type = "gp2";
      v.snapshot_id = b.snapshot_id;
      v.delete_on_termination = true;
    }
    if (is_root && b.size && *b.size < root.size)
      Fail("InvalidBlockDeviceMapping", "Volume of size " + std::to_string(*b.size) + "GB is smaller than snapshot '" +
                                            root.snapshot_id + "', expect size >= " + std::to_string(root.size) + "GB");
    if (b.size) v.size = *b.size;
    if (!b.volume_type.empty()) v.volume_type = b.volume_type;
    if ((v.volume_type == "io1" || v.volume_type == "io2") && !b.iops)
      Fail("InvalidParameterCombination", "The parameter iops must be specified for " + v.volume_type + " volumes.");
    v.iops = b.iops.value_or(DefaultIops(v.volume_type, v.size));
    v.throughput = v.volume_type == "gp3" ? b.throughput.value_or(125) : 0;
    if (b.delete_on_termination) v.delete_on_termination = *b.delete_on_termination;
    if (b.encrypted) v.encrypted = *b.encrypted;
    if (is_root) out[0] = v;
    else out.push_back(v);
  }
  return out;
}

}  // namespace

Instance& GetInstance(Partition& p, const std::string& id) {
  auto it = p.instances.find(id);
  if (it == p.instances.end()) FailUnknownInstance(id);
  return it->second;
}

bool MetadataOverIpv6(const Partition& p, const NetworkInterface& eni) {
  if (!eni.attachment) return false;
  auto i = p.instances.find(eni.attachment->instance_id);
  return i != p.instances.end() && i->second.metadata_options.http_protocol_ipv6 == "enabled";
}

bool InstanceVisible(const Instance& i) { return Live(i) || SecondsSince(i.terminated_at) < 3600; }

int StateCode(const std::string& state) {
  static const std::pair<const char*, int> kCodes[] = {{"pending", 0},   {"running", 16},  {"shutting-down", 32},
                                                       {"terminated", 48}, {"stopping", 64}, {"stopped", 80}};
  for (auto [name, code] : kCodes)
    if (state == name) return code;
  return 0;
}

std::string PublicDnsName(const std::string& region, const std::string& public_ip) {
  std::string host = "ec2-" + public_ip;
  std::replace(host.begin(), host.end(), '.', '-');
  return host + (region == "us-east-1" ? ".compute-1.amazonaws.com" : "." + region + ".compute.amazonaws.com");
}

const NetworkInterface* PrimaryInterfaceOf(const Partition& p, const std::string& instance_id) {
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.attachment && eni.attachment->instance_id == instance_id && eni.attachment->device_index == 0) return &eni;
  return nullptr;
}

std::vector<const NetworkInterface*> InterfacesOf(const Partition& p, const std::string& instance_id) {
  std::vector<const NetworkInterface*> out;
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.attachment && eni.attachment->instance_id == instance_id) out.push_back(&eni);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) {
    return a->attachment->device_index < b->attachment->device_index;
  });
  return out;
}

namespace {

// IamInstanceProfile: the caller's own profile, by ARN or by name (openvpc keeps no IAM, so any
// well-formed name is a profile); "" for neither.
std::string InstanceProfileArn(const Partition& p, const std::string& arn, const std::string& name) {
  if (!arn.empty()) {
    const std::string prefix = "arn:aws:iam::" + p.account_id + ":instance-profile/";
    if (arn.rfind(prefix, 0) != 0 || arn.size() == prefix.size() || arn.size() > prefix.size() + 128)
      Fail("InvalidParameterValue", "Value (" + arn + ") for parameter iamInstanceProfile.arn is invalid. Invalid IAM "
                                    "Instance Profile ARN");
    return arn;
  }
  if (name.empty()) return "";
  if (name.size() > 128 || name.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                                  "+=,.@-_/") != std::string::npos)
    Fail("InvalidParameterValue", "Value (" + name + ") for parameter iamInstanceProfile.name is invalid. Invalid IAM "
                                  "Instance Profile name");
  return "arn:aws:iam::" + p.account_id + ":instance-profile/" + name;
}

void SetInstanceProfile(Instance& inst, const std::string& arn) {
  inst.iam_instance_profile_arn = arn;
  inst.iam_instance_profile_id = StableId("AIPA", arn);
  inst.iam_instance_profile_association_id = NewId("iip-assoc");
  inst.iam_instance_profile_associated_at = NowIso8601();
}

Instance& InstanceOfProfileAssociation(Partition& p, const std::string& association_id) {
  for (auto& [id, inst] : p.instances)
    if (!association_id.empty() && inst.iam_instance_profile_association_id == association_id) return inst;
  Fail("InvalidAssociationID.NotFound", "An association ID '" + association_id + "' does not exist");
}

}  // namespace

std::vector<Instance*> RunInstances(Tx& tx, const RunInstancesArgs& args) {
  Partition& p = tx.p;
  RunInstancesArgs a = args;
  if (a.image_id.empty()) Fail("MissingParameter", "The request must contain the parameter ImageId");
  if (a.min_count < 1 || a.max_count < a.min_count)
    Fail("InvalidParameterValue", "Value (" + std::to_string(a.min_count) + ") for parameter minCount is invalid. "
                                  "minCount must be at least 1 and no more than maxCount.");
  const InstanceTypeInfo& type = TypeOrFail(a.instance_type);
  // The image decides the architecture and the root device; an image openvpc does not list is
  // taken as an x86_64 image with /dev/xvda.
  const ImageInfo* image = FindImage(a.image_id);
  const std::string architecture = image ? image->architecture : "x86_64";
  if (architecture != type.architecture)
    Fail("InvalidParameterValue", "The architecture '" + type.architecture + "' of the specified instance type does "
                                  "not match the architecture '" + architecture + "' of the specified AMI. Specify "
                                  "an instance type and an AMI that have matching architectures, and try again. You "
                                  "can use 'describe-instance-types' or 'describe-images' to discover the "
                                  "architecture of the instance type or AMI.");
  if (!a.cpu_credits.empty()) {
    CheckCpuCredits(a.cpu_credits);
    if (type.default_cpu_credits.empty())
      Fail("InvalidParameterCombination", "The " + type.name + " instance type does not support CPU credits.");
  }
  InstanceMetadataOptions metadata;
  if (image && image->imds_support == "v2.0") {  // IMDSv2 only, one hop more for containers
    metadata.http_tokens = "required";
    metadata.http_put_response_hop_limit = 2;
  }
  ApplyMetadataOptions(metadata, a.metadata_options);
  const std::string root_device = image ? image->root_device_name : "/dev/xvda";
  const std::vector<EbsVolume> volumes = LaunchVolumes(a, image, root_device);
  if (!a.key_name.empty()) GetKeyPairByName(p, a.key_name);  // KP-8
  const std::string profile_arn = InstanceProfileArn(p, a.iam_instance_profile_arn, a.iam_instance_profile_name);
  if (!a.placement_group.empty()) CheckPlacement(p, a.placement_group, type.name);  // PG-3

  if (a.interfaces.empty()) {
    // P3: no subnet means a default subnet of the default VPC (in the zone asked for, if any).
    std::string subnet_id = a.subnet_id;
    if (subnet_id.empty()) {
      for (const auto& [id, s] : p.subnets)
        if (s.default_for_az && (a.availability_zone.empty() || s.availability_zone == a.availability_zone)) {
          subnet_id = id;
          break;
        }
      if (subnet_id.empty()) Fail("VPCIdNotSpecified", "No default VPC for this user");
    }
    const Subnet& s = GetSubnet(p, subnet_id);
    if (!a.subnet_id.empty() && !a.group_names.empty())  // names only in the default VPC without a subnet
      Fail("InvalidParameterCombination", "The parameter groupName cannot be used with the parameter subnet");
    std::vector<std::string> groups = a.group_ids;
    for (const auto& name : a.group_names) groups.push_back(GetSecurityGroupByName(p, name, s.vpc_id).id);
    a.interfaces.push_back({.device_index = 0, .subnet_id = subnet_id, .group_ids = groups,
                            .private_ip_address = a.private_ip_address, .ipv6_addresses = a.ipv6_addresses,
                            .ipv6_address_count = a.ipv6_address_count});
  } else if (!a.subnet_id.empty() || !a.group_ids.empty() || !a.private_ip_address.empty()) {
    Fail("InvalidParameterCombination", "Network interfaces and an instance-level subnet, security groups or "
                                        "private IP address may not be specified on the same request.");
  }
  const Subnet& subnet = CheckLaunchInterfaces(p, a, type);
  if (!a.availability_zone.empty() && a.availability_zone != subnet.availability_zone)
    Fail("InvalidParameterValue", "The subnet " + subnet.id + " is not in availability zone " + a.availability_zone + ".");
  if (a.max_count > 1 && (!a.interfaces[0].private_ip_address.empty() || !a.interfaces[0].ipv6_addresses.empty()))
    Fail("InvalidParameterCombination", "Cannot specify a private IP address when launching more than one instance.");

  // As many as the subnet has room for, at least MinCount (InsufficientFreeAddressesInSubnet).
  int per_instance = 0;
  for (const auto& li : a.interfaces)
    if (li.network_interface_id.empty() && !subnet.ipv6_native)  // IPv6-only: no IPv4 address to count
      per_instance += 1 + static_cast<int>(li.private_ips.size()) + li.secondary_private_ip_count;
  int count = a.max_count;
  if (per_instance > 0) count = std::min<int64_t>(count, AvailableIpAddressCount(p, subnet) / per_instance);
  if (count < a.min_count)
    Fail("InsufficientFreeAddressesInSubnet", "There are not enough free addresses in subnet '" + subnet.id +
                                                  "' to satisfy the requested number of instances.");

  const std::vector<Placement> placements =
      PlaceInstances(tx, a.placement_group, type.name, subnet.availability_zone, count);
  std::string reservation = NewId("r");
  std::vector<Instance*> out;
  for (int n = 0; n < count; ++n) {
    Instance inst;
    inst.id = NewId("i");
    inst.owner_id = p.account_id;
    inst.reservation_id = reservation;
    inst.image_id = a.image_id;
    inst.instance_type = type.name;
    inst.key_name = a.key_name;
    inst.user_data = a.user_data;
    inst.client_token = a.client_token;
    inst.subnet_id = subnet.id;
    inst.vpc_id = subnet.vpc_id;
    inst.availability_zone = subnet.availability_zone;
    inst.placement_group = a.placement_group;
    inst.host = placements[n].host;
    inst.partition_number = placements[n].partition_number;
    inst.tenancy = a.tenancy;
    inst.launch_time = NowIso8601();
    inst.ami_launch_index = n;
    inst.disable_api_termination = a.disable_api_termination;
    inst.shutdown_behavior = a.shutdown_behavior;
    if (!profile_arn.empty()) SetInstanceProfile(inst, profile_arn);
    inst.architecture = architecture;
    inst.root_device_name = root_device;
    inst.cpu_credits = a.cpu_credits.empty() ? type.default_cpu_credits : a.cpu_credits;
    inst.hostname_type = subnet.hostname_type;
    inst.resource_name_dns_a = subnet.enable_resource_name_dns_a_record;
    inst.resource_name_dns_aaaa = subnet.enable_resource_name_dns_aaaa_record;
    inst.metadata_options = metadata;
    inst.volumes = volumes;
    for (EbsVolume& v : inst.volumes) {
      v.id = NewId("vol");
      v.create_time = inst.launch_time;
      v.tags = a.volume_tags;
    }
    inst.tags = a.instance_tags;
    Instance& stored = p.instances[inst.id] = std::move(inst);
    tx.Touch(stored.id);
    for (const auto& li : a.interfaces) {
      std::string eni_id = li.network_interface_id;
      bool created = eni_id.empty();
      if (created)
        eni_id = CreateNetworkInterface(tx, {.subnet_id = li.subnet_id,
                                             .description = li.description,
                                             .private_ip_address = li.private_ip_address,
                                             .private_ips = li.private_ips,
                                             .secondary_private_ip_count = li.secondary_private_ip_count,
                                             .ipv6_addresses = li.ipv6_addresses,
                                             .ipv6_address_count = li.ipv6_address_count,
                                             .group_ids = li.group_ids,
                                             .tags = a.interface_tags})
                     .id;
      AttachNetworkInterface(tx, eni_id, stored.id, li.device_index);
      NetworkInterface& eni = p.network_interfaces.at(eni_id);
      eni.attachment->delete_on_termination = li.delete_on_termination.value_or(created);
      if (li.device_index == 0) {
        const Subnet& s = p.subnets.at(eni.subnet_id);
        // ENI-16: no public address when an instance launches with several interfaces.
        if (s.ipv6_native && li.associate_public_ip.value_or(false))
          Fail("InvalidParameterCombination", "A public IPv4 address cannot be associated with an interface in "
                                              "IPv6-only subnet " + s.id + ".");
        stored.auto_public_ip = created && a.interfaces.size() == 1 && !s.ipv6_native &&
                                li.associate_public_ip.value_or(s.map_public_ip_on_launch);
        if (stored.auto_public_ip) eni.public_ip = AllocatePublicIpv4(tx);
      }
    }
    out.push_back(&stored);
  }
  return out;
}

std::vector<StateChange> StartInstances(Tx& tx, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    const Instance& i = GetInstance(tx.p, id);
    if (i.state != "stopped" && i.state != "running")
      Fail("IncorrectInstanceState", "The instance '" + id + "' is not in a state from which it can be started.");
  }
  std::vector<StateChange> out;
  for (const auto& id : ids) {
    Instance& i = tx.p.instances.at(id);
    if (i.state == "running") {
      out.push_back({id, "running", "running"});
      continue;
    }
    const Placement pl = PlaceRestart(tx, i);
    i.host = pl.host;
    i.partition_number = pl.partition_number;
    i.state = "running";
    i.state_transition_reason.clear();
    NetworkInterface* eth0 = PrimaryInterface(tx.p, id);
    if (eth0 && i.auto_public_ip && !HasElasticIp(tx.p, *eth0)) {  // a new public address at each start
      eth0->public_ip = AllocatePublicIpv4(tx);
      tx.Touch(eth0->id);
    }
    tx.Touch(id);
    out.push_back({id, "stopped", "pending"});
  }
  return out;
}

std::vector<StateChange> StopInstances(Tx& tx, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    const Instance& i = GetInstance(tx.p, id);
    if (i.state == "terminated" || i.state == "shutting-down")
      Fail("IncorrectInstanceState", "The instance '" + id + "' is not in a state from which it can be stopped.");
  }
  std::vector<StateChange> out;
  for (const auto& id : ids) {
    Instance& i = tx.p.instances.at(id);
    if (i.state == "stopped") {
      out.push_back({id, "stopped", "stopped"});
      continue;
    }
    i.state = "stopped";
    i.state_transition_reason = "User initiated (" + NowIso8601().substr(0, 19) + " GMT)";
    if (NetworkInterface* eth0 = PrimaryInterface(tx.p, id); eth0 && !eth0->public_ip.empty()) {
      eth0->public_ip.clear();  // the launch-time public address is released; an Elastic IP stays
      tx.Touch(eth0->id);
    }
    tx.Touch(id);
    out.push_back({id, "running", "stopping"});
  }
  return out;
}

std::vector<StateChange> TerminateInstances(Tx& tx, const std::vector<std::string>& ids) {
  for (const auto& id : ids) {
    const Instance& i = GetInstance(tx.p, id);
    if (i.disable_api_termination)
      Fail("OperationNotPermitted", "The instance '" + id + "' may not be terminated. Modify its "
                                    "'disableApiTermination' instance attribute and try again.");
  }
  // Where instances run on hosts, an instance is terminated once its host says its processes
  // and namespace are gone (FinishTermination); until then it is shutting-down.
  std::vector<StateChange> out;
  for (const auto& id : ids) {
    Instance& i = tx.p.instances.at(id);
    const bool hosted = tx.state && HostReportsTermination(*tx.state, i);
    if (i.state == "shutting-down" && !hosted) FinishTermination(tx, id);  // left by a run that had hosts
    if (i.state == "terminated" || i.state == "shutting-down") {
      out.push_back({id, i.state, i.state});
      continue;
    }
    std::string previous = i.state;
    i.state = "shutting-down";
    i.state_transition_reason = "User initiated (" + NowIso8601().substr(0, 19) + " GMT)";
    if (NetworkInterface* eth0 = PrimaryInterface(tx.p, id); eth0 && !eth0->public_ip.empty()) {
      eth0->public_ip.clear();  // the launch-time public address goes at once
      tx.Touch(eth0->id);
    }
    tx.Touch(id);
    if (!hosted) FinishTermination(tx, id);
    out.push_back({id, previous, "shutting-down"});
  }
  return out;
}

void FinishTermination(Tx& tx, const std::string& id) {
  Instance& i = GetInstance(tx.p, id);
  if (i.state != "shutting-down") return;  // already done (a host reporting twice)
  for (const auto* eni : InterfacesOf(tx.p, id)) {
    std::string eni_id = eni->id;
    NetworkInterface& e = tx.p.network_interfaces.at(eni_id);
    e.public_ip.clear();
    if (e.attachment->delete_on_termination) {
      DeleteNetworkInterface(tx, eni_id, /*by_requester=*/true);
    } else {
      e.attachment.reset();
      tx.Touch(eni_id);
    }
  }
  i.state = "terminated";
  i.terminated_at = NowIso8601();
  tx.Touch(id);
}

void RebootInstances(Tx& tx, const std::vector<std::string>& ids) {
  for (const auto& id : ids)
    if (GetInstance(tx.p, id).state == "terminated")
      Fail("IncorrectInstanceState", "The instance '" + id + "' is not in a state from which it can be rebooted.");
}

void SetInstanceGroups(Tx& tx, const std::string& id, const std::vector<std::string>& group_ids) {
  SetNetworkInterfaceGroups(tx, SoleInterface(tx, id).id, group_ids);
}

void SetInstanceSourceDestCheck(Tx& tx, const std::string& id, bool value) {
  SetNetworkInterfaceSourceDestCheck(tx, SoleInterface(tx, id).id, value);
}

void SetInstanceUserData(Tx& tx, const std::string& id, const std::string& base64) {
  Instance& i = GetInstance(tx.p, id);
  RequireStopped(i, "user data");
  i.user_data = base64;
  tx.Touch(id);
}

void SetConsoleOutput(Tx& tx, const std::string& id, const std::string& text) {
  Instance& i = GetInstance(tx.p, id);
  i.console_output = text.size() > kConsoleOutputLimit ? text.substr(text.size() - kConsoleOutputLimit) : text;
  tx.Touch(id);
}

void SetInstanceType(Tx& tx, const std::string& id, const std::string& type) {
  Instance& i = GetInstance(tx.p, id);
  RequireStopped(i, "the instance type");
  const InstanceTypeInfo& t = TypeOrFail(type);
  auto list = InterfacesOf(tx.p, id);
  if (static_cast<int>(list.size()) > t.max_interfaces)
    Fail("InvalidParameterValue", "The instance type " + type + " supports fewer network interfaces than are attached.");
  i.instance_type = t.name;
  tx.Touch(id);
}

void SetInstanceDisableApiTermination(Tx& tx, const std::string& id, bool value) {
  GetInstance(tx.p, id).disable_api_termination = value;
  tx.Touch(id);
}

void SetInstanceShutdownBehavior(Tx& tx, const std::string& id, const std::string& value) {
  if (value != "stop" && value != "terminate")
    Fail("InvalidParameterValue", "Value (" + value + ") for parameter instanceInitiatedShutdownBehavior is invalid.");
  GetInstance(tx.p, id).shutdown_behavior = value;
  tx.Touch(id);
}

void CheckCpuCredits(const std::string& credits) {
  if (credits != "standard" && credits != "unlimited")
    Fail("InvalidCpuCredits.Malformed", "The specified CpuCredit value is invalid. Valid values are standard and "
                                        "unlimited.");
}

void SetInstanceCpuCredits(Tx& tx, const std::string& id, const std::string& cpu_credits) {
  CheckCpuCredits(cpu_credits);
  Instance& i = GetInstance(tx.p, id);
  if (i.state == "terminated")
    Fail("IncorrectInstanceState", "The instance '" + id + "' is not in a state from which its credit "
                                   "specification can be modified.");
  if (TypeOrFail(i.instance_type).default_cpu_credits.empty())
    Fail("InstanceCreditSpecification.NotSupported", "The specified instance does not use CPU credits for CPU "
                                                     "usage; only burstable performance instances do.");
  i.cpu_credits = cpu_credits;
  tx.Touch(id);
}

const InstanceMetadataOptions& SetInstanceMetadataOptions(Tx& tx, const std::string& id,
                                                          const MetadataOptionsChange& change) {
  Instance& i = GetInstance(tx.p, id);
  if (i.state == "terminated")
    Fail("IncorrectInstanceState", "The instance '" + id + "' is not in a state from which its metadata options "
                                   "can be modified.");
  ApplyMetadataOptions(i.metadata_options, change);
  tx.Touch(id);
  return i.metadata_options;
}

namespace {
// A volume lives while attached, and after its instance's termination unless deleted on it.
bool VolumeExists(const Instance& i, const EbsVolume& v) { return Live(i) || !v.delete_on_termination; }
}  // namespace

std::vector<VolumeRecord> Volumes(const Partition& p) {
  std::vector<VolumeRecord> out;
  for (const auto& [id, i] : p.instances)
    for (const EbsVolume& v : i.volumes)
      if (VolumeExists(i, v)) out.push_back({&i, &v, Live(i)});
  std::sort(out.begin(), out.end(), [](const VolumeRecord& a, const VolumeRecord& b) { return a.volume->id < b.volume->id; });
  return out;
}

std::pair<Instance*, EbsVolume*> FindVolume(Partition& p, const std::string& id) {
  for (auto& [iid, i] : p.instances)
    for (EbsVolume& v : i.volumes)
      if (v.id == id && VolumeExists(i, v)) return {&i, &v};
  return {nullptr, nullptr};
}

void RegisterInstanceRules() {
  static bool once = [] {
    // Interfaces attach only to live instances, within their type's limits (§7.4).
    RegisterInstanceResolver([](const Partition& p, const std::string& id) -> std::optional<InstanceNetworkLimits> {
      auto it = p.instances.find(id);
      if (it == p.instances.end() || !Live(it->second)) return std::nullopt;
      const InstanceTypeInfo* t = FindInstanceType(it->second.instance_type);
      if (!t) return std::nullopt;
      return InstanceNetworkLimits{it->second.availability_zone, t->max_interfaces, t->ipv4_per_interface,
                                   t->ipv6_per_interface};
    });
    // PG-8: a placement group with instances that are not terminated cannot be deleted.
    RegisterPlacementGroupMembership([](const Partition& p, const std::string& group_name) {
      return static_cast<int>(std::count_if(p.instances.begin(), p.instances.end(), [&](const auto& kv) {
        return kv.second.placement_group == group_name && Live(kv.second);
      }));
    });
    // IP-13 (c), (d): an Elastic IP taken off eth0 of a running instance that got a public address
    // at launch gives it a new one, unless it has more than one interface.
    RegisterAddressUnmappedHook([](Tx& tx, NetworkInterface& eni) {
      if (!eni.attachment || eni.attachment->device_index != 0 || !eni.public_ip.empty()) return;
      auto it = tx.p.instances.find(eni.attachment->instance_id);
      if (it == tx.p.instances.end() || it->second.state != "running" || !it->second.auto_public_ip) return;
      if (InterfacesOf(tx.p, it->first).size() != 1) return;
      eni.public_ip = AllocatePublicIpv4(tx);
      tx.Touch(eni.id);
    });
    // EIP-6: an Elastic IP associated "with an instance" goes to its primary interface.
    RegisterAddressInstanceResolver([](const Partition& p, const std::string& id) -> std::string {
      auto it = p.instances.find(id);
      if (it == p.instances.end() || !Live(it->second)) return "";
      if (InterfacesOf(p, id).size() > 1) FailMultipleInterfaces(id);  // EIP-6: which one is not for us to pick
      const NetworkInterface* eth0 = PrimaryInterfaceOf(p, id);
      return eth0 ? eth0->id : "";
    });
    // Routes may target an instance (with one interface) or an interface of the VPC (G11: also
    // more specific than the local route, for middleboxes).
    RegisterRouteTarget({.member = "InstanceId",
                         .hop = "network-interface",
                         .validate =
                             [](Partition& p, const RouteTable& rt, const std::string& id) {
                               const Instance& i = GetInstance(p, id);
                               if (i.vpc_id != rt.vpc_id || !Live(i))
                                 Fail("InvalidParameterValue", "route table " + rt.id + " and instance " + id +
                                                                   " belong to different networks");
                               if (InterfacesOf(p, id).size() != 1) FailMultipleInterfaces(id);
                             },
                         .usable =
                             [](const Partition& p, const RouteTable&, const std::string& id, const State*) {
                               auto it = p.instances.find(id);
                               return it != p.instances.end() && it->second.state == "running";
                             },
                         // AWS names the instance's owner and interface too.
                         .describe =
                             [](const Partition& p, const RouteTable& rt, const Route& r) {
                               std::vector<std::pair<std::string, std::string>> m{{"InstanceOwnerId", rt.owner_id}};
                               auto enis = InterfacesOf(p, r.target_id);
                               if (!enis.empty()) m.emplace_back("NetworkInterfaceId", enis.front()->id);
                               return m;
                             },
                         .may_be_more_specific_than_local = true});
    RegisterRouteTarget({.member = "NetworkInterfaceId",
                         .hop = "network-interface",
                         .validate =
                             [](Partition& p, const RouteTable& rt, const std::string& id) {
                               if (GetNetworkInterface(p, id).vpc_id != rt.vpc_id)
                                 Fail("InvalidParameterValue", "route table " + rt.id + " and network interface " +
                                                                   id + " belong to different networks");
                             },
                         .usable =
                             [](const Partition& p, const RouteTable&, const std::string& id, const State*) {
                               return p.network_interfaces.count(id) > 0;
                             },
                         .may_be_more_specific_than_local = true});
    return true;
  }();
  (void)once;
}

}  // namespace openvpc::model

namespace openvpc::model {

Instance& AssociateIamInstanceProfile(Tx& tx, const std::string& instance_id, const std::string& arn,
                                      const std::string& name) {
  Instance& inst = GetInstance(tx.p, instance_id);
  if (!inst.iam_instance_profile_arn.empty())
    Fail("IncorrectState", "There is an existing association for instance " + instance_id);
  if (inst.state == "terminated" || inst.state == "shutting-down")
    Fail("IncorrectInstanceState", "The instance '" + instance_id + "' is not in a valid state for this operation.");
  const std::string profile = InstanceProfileArn(tx.p, arn, name);
  if (profile.empty()) Fail("MissingParameter", "The request must contain the parameter IamInstanceProfile");
  SetInstanceProfile(inst, profile);
  tx.Touch(instance_id);
  return inst;
}

Instance& ReplaceIamInstanceProfileAssociation(Tx& tx, const std::string& association_id, const std::string& arn,
                                               const std::string& name) {
  Instance& inst = InstanceOfProfileAssociation(tx.p, association_id);
  const std::string profile = InstanceProfileArn(tx.p, arn, name);
  if (profile.empty()) Fail("MissingParameter", "The request must contain the parameter IamInstanceProfile");
  SetInstanceProfile(inst, profile);
  tx.Touch(inst.id);
  return inst;
}

Instance& DisassociateIamInstanceProfile(Tx& tx, const std::string& association_id) {
  Instance& inst = InstanceOfProfileAssociation(tx.p, association_id);
  inst.iam_instance_profile_arn.clear();
  inst.iam_instance_profile_id.clear();
  inst.iam_instance_profile_association_id.clear();
  tx.Touch(inst.id);
  return inst;
}

std::string InstanceRoleArn(const Instance& i) {
  const std::string& arn = i.iam_instance_profile_arn;
  const auto slash = arn.find(":instance-profile/");
  if (slash == std::string::npos) return "";
  const std::string name = arn.substr(arn.rfind('/') + 1);  // a path's last part
  return arn.substr(0, slash) + ":role/" + name;
}

}  // namespace openvpc::model
