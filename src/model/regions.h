// AWS's catalogue of Regions and their Availability Zones with zone ids (us-east-1a is
// use1-az6, ...). One endpoint serves every Region: the Region of a request comes from its
// SigV4 credential scope.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace openvpc::model {

struct Zone {
  std::string name, id;
};

struct RegionInfo {
  std::string name, opt_in_status;
  std::vector<Zone> zones;
};

const std::vector<RegionInfo>& Regions();
const RegionInfo* FindRegion(std::string_view name);

// The default DHCP options domain name: ec2.internal in us-east-1, REGION.compute.internal
// elsewhere (rule Q2).
std::string DefaultDomainName(std::string_view region);

}  // namespace openvpc::model
