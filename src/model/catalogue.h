// AWS's catalogues that instances draw on: instance types with their network limits
// (inventory-ec2-network-security.md §7.4), a small fixed set of images, and placement-group
// eligibility (§8, PG-3).
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace openvpc::model {

struct InstanceTypeInfo {
  std::string name;                 // "t2.micro"
  int max_interfaces = 0;           // §7.4
  int ipv4_per_interface = 0;       // includes the primary address
  int ipv6_per_interface = 0;       // 0: IPv6 not supported
  int vcpus = 1;
  int memory_mib = 1024;
  bool cluster_placement = false;   // PG-3
  std::string architecture = "x86_64";  // x86_64 | arm64
  // Burstable performance types earn CPU credits: T2 launch with "standard", T3, T3a and T4g with
  // "unlimited". Empty for every other type.
  std::string default_cpu_credits;
};

const std::vector<InstanceTypeInfo>& InstanceTypes();
const InstanceTypeInfo* FindInstanceType(std::string_view name);

struct ImageInfo {
  std::string image_id, name, description;
  std::string architecture = "x86_64";
  std::string platform_details = "Linux/UNIX";
  std::string root_device_name = "/dev/xvda";
  std::string owner_id = "137112412989";  // amazon
  std::string owner_alias = "amazon";
  std::string creation_date;
  // The root volume its block device mapping creates.
  std::string root_volume_type = "gp3";
  int root_volume_size = 8;  // GiB
  // "v2.0": instances launched from it require IMDSv2 (HttpTokens required, hop limit 2).
  std::string imds_support;
};
// The fixed catalogue DescribeImages serves (RunInstances takes any image id).
const std::vector<ImageInfo>& Images();
const ImageInfo* FindImage(std::string_view image_id);

// Systems Manager's public parameters that name the latest image of a family
// (/aws/service/ami-amazon-linux-latest/…, /aws/service/canonical/…, /aws/service/debian/…),
// where Terraform, CDK and users look an AMI up. Each names an image of Images(); sorted by name.
struct PublicParameter {
  std::string name, image_id;
  std::string data_type = "text";  // Canonical's say aws:ec2:image, Amazon's text
};
const std::vector<PublicParameter>& PublicImageParameters();

}  // namespace openvpc::model
