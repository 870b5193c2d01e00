// AWS's catalogues: instance types (inventory-ec2-network-security.md §7.4, the seed's table at
// L6438-6677, plus a few current types [EXT]) and the fixed images DescribeImages serves.
#include "model/catalogue.h"

#include <algorithm>

namespace openvpc::model {
namespace {

// One row: name, max interfaces, IPv4 per interface, IPv6 per interface (0: not supported),
// vCPUs, memory (MiB), cluster placement (PG-3).
InstanceTypeInfo Row(const char* name, int enis, int ipv4, int ipv6, int vcpus, int memory_mib, bool cluster) {
  InstanceTypeInfo t;
  t.name = name;
  t.max_interfaces = enis;
  t.ipv4_per_interface = ipv4;
  t.ipv6_per_interface = ipv6;
  t.vcpus = vcpus;
  t.memory_mib = memory_mib;
  t.cluster_placement = cluster;
  return t;
}

std::vector<InstanceTypeInfo> BuildInstanceTypes() {
  constexpr bool C = true;   // allowed in a cluster placement group (PG-3, seed L7193-7198)
  constexpr bool N = false;  // not allowed
  std::vector<InstanceTypeInfo> types = {
      // ---- §7.4, in the seed's order (line of each row in 001_884b62970d70074c.txt) ----
      Row("c1.medium", 2, 6, 0, 2, 1740, N),          // L6443
      Row("c1.xlarge", 4, 15, 0, 8, 7168, N),         // L6447
      Row("c3.large", 3, 10, 10, 2, 3840, C),         // L6451
      Row("c3.xlarge", 4, 15, 15, 4, 7680, C),        // L6455
      Row("c3.2xlarge", 4, 15, 15, 8, 15360, C),      // L6459
      Row("c3.4xlarge", 8, 30, 30, 16, 30720, C),     // L6463
      Row("c3.8xlarge", 8, 30, 30, 32, 61440, C),     // L6467
      Row("c4.large", 3, 10, 10, 2, 3840, C),         // L6471
      Row("c4.xlarge", 4, 15, 15, 4, 7680, C),        // L6475
      Row("c4.2xlarge", 4, 15, 15, 8, 15360, C),      // L6479
      Row("c4.4xlarge", 8, 30, 30, 16, 30720, C),     // L6483
      Row("c4.8xlarge", 8, 30, 30, 36, 61440, C),     // L6487
      Row("cc2.8xlarge", 8, 30, 0, 32, 61952, C),     // L6491
      Row("cg1.4xlarge", 8, 30, 0, 16, 23040, C),     // L6495
      Row("cr1.8xlarge", 8, 30, 0, 32, 249856, C),    // L6499
      Row("d2.xlarge", 4, 15, 15, 4, 31232, C),       // L6503
      Row("d2.2xlarge", 4, 15, 15, 8, 62464, C),      // L6507
      Row("d2.4xlarge", 8, 30, 30, 16, 124928, C),    // L6511
      Row("d2.8xlarge", 8, 30, 30, 36, 249856, C),    // L6515
      Row("f1.2xlarge", 4, 15, 15, 8, 124928, C),     // L6519
      Row("f1.16xlarge", 8, 50, 50, 64, 999424, C),   // L6520
      Row("g2.2xlarge", 4, 15, 0, 8, 15360, C),       // L6521
      Row("g2.8xlarge", 8, 30, 0, 32, 61440, C),      // L6525
      Row("g3.4xlarge", 8, 30, 30, 16, 124928, C),    // L6529
      Row("g3.8xlarge", 8, 30, 30, 32, 249856, C),    // L6530
      Row("g3.16xlarge", 15, 50, 50, 64, 499712, C),  // L6531
      Row("hi1.4xlarge", 8, 30, 0, 16, 61952, C),     // L6532
      Row("hs1.8xlarge", 8, 30, 0, 16, 119808, C),    // L6536
      Row("i2.xlarge", 4, 15, 15, 4, 31232, C),       // L6540
      Row("i2.2xlarge", 4, 15, 15, 8, 62464, C),      // L6544
      Row("i2.4xlarge", 8, 30, 30, 16, 124928, C),    // L6548
      Row("i2.8xlarge", 8, 30, 30, 32, 249856, C),    // L6552
      Row("i3.large", 3, 10, 10, 2, 15616, C),        // L6556
      Row("i3.xlarge", 4, 15, 15, 4, 31232, C),       // L6560
      Row("i3.2xlarge", 4, 15, 15, 8, 62464, C),      // L6564
      Row("i3.4xlarge", 8, 30, 30, 16, 124928, C),    // L6568
      Row("i3.8xlarge", 8, 30, 30, 32, 249856, C),    // L6572
      Row("i3.16xlarge", 15, 50, 50, 64, 499712, C),  // L6576
      Row("m1.small", 2, 4, 0, 1, 1740, N),           // L6580
      Row("m1.medium", 2, 6, 0, 1, 3840, N),          // L6584
      Row("m1.large", 3, 10, 0, 2, 7680, N),          // L6588
      Row("m1.xlarge", 4, 15, 0, 4, 15360, N),        // L6592
      Row("m2.xlarge", 4, 15, 0, 2, 17510, N),        // L6596
      Row("m2.2xlarge", 4, 30, 0, 4, 35020, N),       // L6600
      Row("m2.4xlarge", 8, 30, 0, 8, 70041, N),       // L6604
      Row("m3.medium", 2, 6, 0, 1, 3840, N),          // L6608
      Row("m3.large", 3, 10, 0, 2, 7680, N),          // L6612
      Row("m3.xlarge", 4, 15, 0, 4, 15360, N),        // L6616
      Row("m3.2xlarge", 4, 30, 0, 8, 30720, N),       // L6620
      Row("m4.large", 2, 10, 10, 2, 8192, C),         // L6624 (2 interfaces, as printed: D11)
      Row("m4.xlarge", 4, 15, 15, 4, 16384, C),       // L6625
      Row("m4.2xlarge", 4, 15, 15, 8, 32768, C),      // L6626
      Row("m4.4xlarge", 8, 30, 30, 16, 65536, C),     // L6627
      Row("m4.10xlarge", 8, 30, 30, 40, 163840, C),   // L6628
      Row("m4.16xlarge", 8, 30, 30, 64, 262144, C),   // L6629
      Row("p2.xlarge", 4, 15, 15, 4, 62464, C),       // L6630
      Row("p2.8xlarge", 8, 30, 30, 32, 499712, C),    // L6631
      Row("p2.16xlarge", 8, 30, 30, 64, 749568, C),   // L6632
      Row("r3.large", 3, 10, 10, 2, 15616, C),        // L6633
      Row("r3.xlarge", 4, 15, 15, 4, 31232, C),       // L6634
      Row("r3.2xlarge", 4, 15, 15, 8, 62464, C),      // L6635
      Row("r3.4xlarge", 8, 30, 30, 16, 124928, C),    // L6636
      Row("r3.8xlarge", 8, 30, 30, 32, 249856, C),    // L6637
      Row("r4.large", 3, 10, 10, 2, 15616, C),        // L6638
      Row("r4.xlarge", 4, 15, 15, 4, 31232, C),       // L6639
      Row("r4.2xlarge", 4, 15, 15, 8, 62464, C),      // L6640
      Row("r4.4xlarge", 8, 30, 30, 16, 124928, C),    // L6641
      Row("r4.8xlarge", 8, 30, 30, 32, 249856, C),    // L6642
      Row("r4.16xlarge", 15, 50, 50, 64, 499712, C),  // L6643
      Row("t1.micro", 2, 2, 0, 1, 627, N),            // L6644
      Row("t2.nano", 2, 2, 2, 1, 512, N),             // L6648
      Row("t2.micro", 2, 2, 2, 1, 1024, N),           // L6652
      Row("t2.small", 2, 4, 4, 1, 2048, N),           // L6656
      Row("t2.medium", 3, 6, 6, 2, 4096, N),          // L6660
      Row("t2.large", 3, 12, 12, 2, 8192, N),         // L6664
      Row("t2.xlarge", 3, 15, 15, 4, 16384, N),       // L6668
      Row("t2.2xlarge", 3, 15, 15, 8, 32768, N),      // L6672
      Row("x1.16xlarge", 8, 30, 30, 64, 999424, C),   // L6676
      Row("x1.32xlarge", 8, 30, 30, 128, 1998848, C), // L6677

      // ---- current types [EXT]: AWS's published limits; burstable types are not allowed in
      // cluster groups, m5 and c5 are ----
      Row("t3.nano", 2, 2, 2, 2, 512, N),
      Row("t3.micro", 2, 2, 2, 2, 1024, N),
      Row("t3.small", 3, 4, 4, 2, 2048, N),
      Row("t3.medium", 3, 6, 6, 2, 4096, N),
      Row("t3.large", 3, 12, 12, 2, 8192, N),
      Row("t3.xlarge", 4, 15, 15, 4, 16384, N),
      Row("t3.2xlarge", 4, 15, 15, 8, 32768, N),
      Row("t3a.nano", 2, 2, 2, 2, 512, N),
      Row("t3a.micro", 2, 2, 2, 2, 1024, N),
      Row("t3a.small", 2, 4, 4, 2, 2048, N),
      Row("t3a.medium", 3, 6, 6, 2, 4096, N),
      Row("t3a.large", 3, 12, 12, 2, 8192, N),
      Row("t3a.xlarge", 4, 15, 15, 4, 16384, N),
      Row("t3a.2xlarge", 4, 15, 15, 8, 32768, N),
      Row("m5.large", 3, 10, 10, 2, 8192, C),
      Row("m5.xlarge", 4, 15, 15, 4, 16384, C),
      Row("m5.2xlarge", 4, 15, 15, 8, 32768, C),
      Row("m5.4xlarge", 8, 30, 30, 16, 65536, C),
      Row("c5.large", 3, 10, 10, 2, 4096, C),
      Row("c5.xlarge", 4, 15, 15, 4, 8192, C),
      Row("c5.2xlarge", 4, 15, 15, 8, 16384, C),
      Row("c5.4xlarge", 8, 30, 30, 16, 32768, C),
      // Graviton (arm64) burstable types.
      Row("t4g.nano", 2, 2, 2, 2, 512, N),
      Row("t4g.micro", 2, 2, 2, 2, 1024, N),
      Row("t4g.small", 3, 4, 4, 2, 2048, N),
      Row("t4g.medium", 3, 6, 6, 2, 4096, N),
      Row("t4g.large", 3, 12, 12, 2, 8192, N),
      Row("t4g.xlarge", 4, 15, 15, 4, 16384, N),
      Row("t4g.2xlarge", 4, 15, 15, 8, 32768, N),
  };
  for (auto& t : types) {
    const std::string family = t.name.substr(0, t.name.find('.'));
    if (family == "t2") t.default_cpu_credits = "standard";
    if (family == "t3" || family == "t3a" || family == "t4g") t.default_cpu_credits = "unlimited";
    if (family == "t4g") t.architecture = "arm64";
  }
  return types;
}

ImageInfo Image(const char* id, const char* name, const char* description, const char* architecture,
                const char* owner_id, const char* owner_alias, const char* root_device, const char* created) {
  ImageInfo i;
  i.image_id = id;
  i.name = name;
  i.description = description;
  i.architecture = architecture;
  i.owner_id = owner_id;
  i.owner_alias = owner_alias;
  i.root_device_name = root_device;
  i.creation_date = created;
  // Images whose name says gp2 (or Canonical's older hvm-ssd) map a gp2 root volume; the rest gp3.
  const std::string n = name;
  if (n.find("gp2") != std::string::npos || n.find("/hvm-ssd/") != std::string::npos) i.root_volume_type = "gp2";
  if (n.rfind("al2023-", 0) == 0) i.imds_support = "v2.0";  // Amazon Linux 2023 requires IMDSv2
  return i;
}

}  // namespace

const std::vector<InstanceTypeInfo>& InstanceTypes() {
  static const std::vector<InstanceTypeInfo> types = BuildInstanceTypes();
  return types;
}

const InstanceTypeInfo* FindInstanceType(std::string_view name) {
  const auto& types = InstanceTypes();
  auto it = std::find_if(types.begin(), types.end(), [&](const InstanceTypeInfo& t) { return t.name == name; });
  return it == types.end() ? nullptr : &*it;
}

const std::vector<ImageInfo>& Images() {
  // Amazon's images are owned by 137112412989 (alias amazon); Canonical's by 099720109477 and
  // Debian's by 136693071363, neither with an alias.
  static const std::vector<ImageInfo> images = {
      Image("ami-0a3c3a20c09d6f377", "al2023-ami-2023.6.20241212.0-kernel-6.1-x86_64",
            "Amazon Linux 2023 AMI 2023.6.20241212.0 x86_64 HVM kernel-6.1", "x86_64", "137112412989", "amazon",
            "/dev/xvda", "2024-12-12T19:04:41.000Z"),
      Image("ami-0b5c6e1c8e8c2a4d1", "al2023-ami-2023.6.20241212.0-kernel-6.1-arm64",
            "Amazon Linux 2023 AMI 2023.6.20241212.0 arm64 HVM kernel-6.1", "arm64", "137112412989", "amazon",
            "/dev/xvda", "2024-12-12T19:04:44.000Z"),
      Image("ami-0c1f5e2b8a3d47e60", "amzn2-ami-kernel-5.10-hvm-2.0.20241217.0-x86_64-gp2",
            "Amazon Linux 2 Kernel 5.10 AMI 2.0.20241217.0 x86_64 HVM gp2", "x86_64", "137112412989", "amazon",
            "/dev/xvda", "2024-12-17T23:21:06.000Z"),
      Image("ami-0d7a109bf30624c99", "ubuntu/images/hvm-ssd/ubuntu-jammy-22.04-amd64-server-20241206",
            "Canonical, Ubuntu, 22.04 LTS, amd64 jammy image build on 2024-12-06", "x86_64", "099720109477", "",
            "/dev/sda1", "2024-12-06T08:36:01.000Z"),
      Image("ami-0e2c8caa4b6378d8c", "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20241206",
            "Canonical, Ubuntu, 24.04, amd64 noble image", "x86_64", "099720109477", "", "/dev/sda1",
            "2024-12-06T07:54:35.000Z"),
      Image("ami-064519b8c76274859", "debian-12-amd64-20241201-1948", "Debian 12 (20241201-1948)", "x86_64",
            "136693071363", "", "/dev/xvda", "2024-12-01T20:10:29.000Z"),
  };
  return images;
}

const ImageInfo* FindImage(std::string_view image_id) {
  const auto& images = Images();
  auto it = std::find_if(images.begin(), images.end(), [&](const ImageInfo& i) { return i.image_id == image_id; });
  return it == images.end() ? nullptr : &*it;
}

const std::vector<PublicParameter>& PublicImageParameters() {
  static const std::vector<PublicParameter> parameters = [] {
    const std::string al = "/aws/service/ami-amazon-linux-latest/";
    const std::string ubuntu = "/aws/service/canonical/ubuntu/server/";
    std::vector<PublicParameter> v = {
        {al + "al2023-ami-kernel-default-x86_64", "ami-0a3c3a20c09d6f377"},
        {al + "al2023-ami-kernel-6.1-x86_64", "ami-0a3c3a20c09d6f377"},
        {al + "al2023-ami-kernel-default-arm64", "ami-0b5c6e1c8e8c2a4d1"},
        {al + "al2023-ami-kernel-6.1-arm64", "ami-0b5c6e1c8e8c2a4d1"},
        {al + "amzn2-ami-hvm-x86_64-gp2", "ami-0c1f5e2b8a3d47e60"},
        {al + "amzn2-ami-kernel-5.10-hvm-x86_64-gp2", "ami-0c1f5e2b8a3d47e60"},
        {ubuntu + "22.04/stable/current/amd64/hvm/ebs-gp2/ami-id", "ami-0d7a109bf30624c99", "aws:ec2:image"},
        {ubuntu + "jammy/stable/current/amd64/hvm/ebs-gp2/ami-id", "ami-0d7a109bf30624c99", "aws:ec2:image"},
        {ubuntu + "24.04/stable/current/amd64/hvm/ebs-gp3/ami-id", "ami-0e2c8caa4b6378d8c", "aws:ec2:image"},
        {ubuntu + "noble/stable/current/amd64/hvm/ebs-gp3/ami-id", "ami-0e2c8caa4b6378d8c", "aws:ec2:image"},
        {"/aws/service/debian/release/12/latest/amd64", "ami-064519b8c76274859"},
        {"/aws/service/debian/release/bookworm/latest/amd64", "ami-064519b8c76274859"},
    };
    std::sort(v.begin(), v.end(), [](const PublicParameter& a, const PublicParameter& b) { return a.name < b.name; });
    return v;
  }();
  return parameters;
}

}  // namespace openvpc::model
