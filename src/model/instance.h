// Instances, the networking side (inventory-ec2-network-security.md §5, §7; guide E, P3, S):
// launch into a subnet with interfaces, addresses and groups; the state machine of start, stop,
// reboot and terminate; the public IPv4 address AWS gives at launch and takes back on stop.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

Instance& GetInstance(Partition& p, const std::string& id);

// One interface of a launch: a new one in SUBNET_ID, or the existing NETWORK_INTERFACE_ID.
struct LaunchInterface {
  int device_index = 0;
  std::string network_interface_id;
  std::string subnet_id;
  std::string description;
  std::vector<std::string> group_ids;
  std::string private_ip_address;
  std::vector<std::pair<std::string, bool>> private_ips;
  int secondary_private_ip_count = 0;
  std::vector<std::string> ipv6_addresses;
  int ipv6_address_count = 0;
  std::optional<bool> associate_public_ip;
  std::optional<bool> delete_on_termination;
};

// What ModifyInstanceMetadataOptions (and RunInstances' MetadataOptions) change; the rest stays.
struct MetadataOptionsChange {
  std::optional<std::string> http_tokens, http_endpoint, http_protocol_ipv6, instance_metadata_tags;
  std::optional<int> http_put_response_hop_limit;
};

// One BlockDeviceMappings entry with an Ebs volume: the image's root device (changing its root
// volume) or another device (a new empty volume).
struct BlockDeviceArgs {
  std::string device_name;
  std::optional<int> size, iops, throughput;
  std::string volume_type, snapshot_id;
  std::optional<bool> delete_on_termination, encrypted;
};

struct RunInstancesArgs {
  std::string image_id, instance_type = "m1.small", key_name, user_data, client_token;
  int min_count = 1, max_count = 1;
  std::string subnet_id, availability_zone, placement_group, tenancy = "default";
  std::vector<std::string> group_ids, group_names;
  std::string private_ip_address;
  std::vector<std::string> ipv6_addresses;
  int ipv6_address_count = 0;
  std::vector<LaunchInterface> interfaces;  // NetworkInterfaces; empty: one built from the above
  bool disable_api_termination = false;
  std::string shutdown_behavior = "stop";
  std::string cpu_credits;  // CreditSpecification; empty: the type's default
  MetadataOptionsChange metadata_options;
  std::string iam_instance_profile_arn, iam_instance_profile_name;  // IamInstanceProfile: one or the other
  std::vector<BlockDeviceArgs> block_devices;
  TagList instance_tags, interface_tags, volume_tags;
};
// Returns the launched instances (MaxCount when the subnet has room, at least MinCount).
std::vector<Instance*> RunInstances(Tx& tx, const RunInstancesArgs& a);
// The role an instance's profile stands for (arn:aws:iam::ACCOUNT:role/NAME), or "" without one.
std::string InstanceRoleArn(const Instance& i);
// An instance's profile association (AssociateIamInstanceProfile, …): one at most per instance;
// a profile is given by ARN (the caller's own) or by name. Each returns the instance.
Instance& AssociateIamInstanceProfile(Tx& tx, const std::string& instance_id, const std::string& arn,
                                      const std::string& name);
Instance& ReplaceIamInstanceProfileAssociation(Tx& tx, const std::string& association_id, const std::string& arn,
                                               const std::string& name);
Instance& DisassociateIamInstanceProfile(Tx& tx, const std::string& association_id);

// Each returns (previous state, current state) per instance, as the API reports them.
struct StateChange {
  std::string instance_id, previous, current;
};
std::vector<StateChange> StartInstances(Tx& tx, const std::vector<std::string>& ids);
std::vector<StateChange> StopInstances(Tx& tx, const std::vector<std::string>& ids);
// Terminating: the instance is shutting-down until FinishTermination; where no host runs
// instances (State::instances_hosted false), that happens in the same write.
std::vector<StateChange> TerminateInstances(Tx& tx, const std::vector<std::string>& ids);
// A shutting-down instance's host has ended its processes and removed its namespace: it is
// terminated, its interfaces deleted (DeleteOnTermination) or detached. No-op in any other state.
void FinishTermination(Tx& tx, const std::string& id);
void RebootInstances(Tx& tx, const std::vector<std::string>& ids);

// ModifyInstanceAttribute's networking attributes act on the primary interface, and only
// while it is the only one (AWS refuses otherwise and wants an interface id).
void SetInstanceGroups(Tx& tx, const std::string& id, const std::vector<std::string>& group_ids);
void SetInstanceSourceDestCheck(Tx& tx, const std::string& id, bool value);
void SetInstanceUserData(Tx& tx, const std::string& id, const std::string& base64);
// Its host reports what the instance's console printed: the most recent 64 KB (AWS's limit).
void SetConsoleOutput(Tx& tx, const std::string& id, const std::string& text);
inline constexpr size_t kConsoleOutputLimit = 64 * 1024;
void SetInstanceType(Tx& tx, const std::string& id, const std::string& type);
void SetInstanceDisableApiTermination(Tx& tx, const std::string& id, bool value);
void SetInstanceShutdownBehavior(Tx& tx, const std::string& id, const std::string& value);
// A CpuCredits value: "standard" or "unlimited", else InvalidCpuCredits.Malformed.
void CheckCpuCredits(const std::string& credits);
// CPU credits of a burstable performance instance: "standard" or "unlimited".
// InstanceCreditSpecification.NotSupported for other types, IncorrectInstanceState once terminated.
void SetInstanceCpuCredits(Tx& tx, const std::string& id, const std::string& cpu_credits);
// ModifyInstanceMetadataOptions: what CHANGE names, checked (hop limit 1-64), the rest kept.
const InstanceMetadataOptions& SetInstanceMetadataOptions(Tx& tx, const std::string& id,
                                                          const MetadataOptionsChange& change);

// An EBS volume and the instance whose launch created it. Attached while the instance is not
// terminated (in-use); after, a volume kept on termination is available.
struct VolumeRecord {
  const Instance* instance = nullptr;
  const EbsVolume* volume = nullptr;
  bool attached = false;
};
// Every volume that exists, sorted by id: those of terminated instances that were deleted on
// termination are gone.
std::vector<VolumeRecord> Volumes(const Partition& p);
// The volume ID as long as it exists (as Volumes() counts), with the instance that holds it.
std::pair<Instance*, EbsVolume*> FindVolume(Partition& p, const std::string& id);

// True when the metadata service answers ENI's instance at its IPv6 address (the instance's
// HttpProtocolIpv6 is enabled); IPv4 (169.254.169.254) is governed by HttpEndpoint alone.
bool MetadataOverIpv6(const Partition& p, const NetworkInterface& eni);

// Describe shows a terminated instance for about an hour after termination, as AWS does.
bool InstanceVisible(const Instance& i);

// The interfaces attached to an instance, by device index.
std::vector<const NetworkInterface*> InterfacesOf(const Partition& p, const std::string& instance_id);
// The instance's eth0 (device index 0), or nullptr.
const NetworkInterface* PrimaryInterfaceOf(const Partition& p, const std::string& instance_id);
// EC2's state codes: pending 0, running 16, shutting-down 32, terminated 48, stopping 64, stopped 80.
int StateCode(const std::string& state);
// The public DNS name of a public address: ec2-198-51-100-7.compute-1.amazonaws.com in
// us-east-1, ec2-…REGION.compute.amazonaws.com elsewhere.
std::string PublicDnsName(const std::string& region, const std::string& public_ip);
// Registers the instance hooks of interfaces, Elastic IPs and route targets (once, at start).
void RegisterInstanceRules();

}  // namespace openvpc::model
