// The AWS services network's catalogue: model/aws_services.h.
#include "model/aws_services.h"

#include <cstdio>

#include "model/regions.h"

namespace openvpc::model {

const std::vector<AwsService>& AwsServices() {
  // The APIs openvpc serves (README); a service's address never changes, so new ones go last.
  static const std::vector<AwsService> services = {
      {"ec2", 10}, {"sts", 11}, {"elasticloadbalancing", 12}, {"ssm", 13}};
  return services;
}

const AwsService* AwsServiceByEndpointName(const std::string& service_name, const std::string& region) {
  if (!FindRegion(region)) return nullptr;
  for (const auto& s : AwsServices())
    if (service_name == AwsServiceEndpointName(s, region)) return &s;
  return nullptr;
}

std::string AwsServiceEndpointName(const AwsService& s, const std::string& region) {
  return "com.amazonaws." + region + "." + s.name;
}

std::string AwsServiceDnsName(const AwsService& s, const std::string& region) {
  return s.name + "." + region + ".amazonaws.com";
}

std::string AwsServiceId(const AwsService& s, const std::string& region) {
  return AwsServiceIdOfName(AwsServiceEndpointName(s, region));
}

std::string AwsServiceIdOfName(const std::string& service_name) {
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the endpoint name: stable across runs and hosts
  for (unsigned char c : service_name) h = (h ^ c) * 0x100000001b3ULL;
  char hex[17];
  snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
  return std::string("vpce-svc-0") + hex;
}

std::optional<net::Ipv4> AwsServiceAddress(const std::string& pool, const AwsService& s) {
  auto c = net::ParseCidr4(pool);
  if (!c || c->prefix > 24) return std::nullopt;
  return net::Ipv4{c->Network().value + static_cast<uint32_t>(s.host)};
}

const AwsService* AwsServiceOfDnsName(const std::string& dns_name, std::string* region) {
  for (const auto& s : AwsServices()) {
    const std::string head = s.name + ".", tail = ".amazonaws.com";
    if (s.name == "sts" && dns_name == "sts.amazonaws.com") {  // STS's global endpoint
      if (region) *region = "us-east-1";
      return &s;
    }
    if (!dns_name.starts_with(head) || !dns_name.ends_with(tail) || dns_name.size() <= head.size() + tail.size())
      continue;
    const std::string r = dns_name.substr(head.size(), dns_name.size() - head.size() - tail.size());
    if (!FindRegion(r)) continue;
    if (region) *region = r;
    return &s;
  }
  return nullptr;
}

const std::vector<std::string>& GatewayServiceNames() {
  static const std::vector<std::string> names = {"s3", "dynamodb"};
  return names;
}

namespace {

int RegionIndex(const std::string& region) {
  const auto& regions = Regions();
  for (size_t i = 0; i < regions.size(); ++i)
    if (regions[i].name == region) return static_cast<int>(i);
  return -1;
}

}  // namespace

std::string GatewayServiceOf(const std::string& service_name, const std::string& region) {
  if (!FindRegion(region)) return "";
  for (const auto& name : GatewayServiceNames())
    if (service_name == "com.amazonaws." + region + "." + name) return name;
  return "";
}

std::optional<net::Ipv4> GatewayServiceAddress(const std::string& pool, const std::string& name,
                                               const std::string& region) {
  auto c = net::ParseCidr4(pool);
  const int index = RegionIndex(region);
  if (!c || c->prefix > 24 || index < 0 || index >= 64) return std::nullopt;
  const uint32_t base = name == "s3" ? 64 : name == "dynamodb" ? 128 : 0;
  if (!base) return std::nullopt;
  return net::Ipv4{c->Network().value + base + static_cast<uint32_t>(index)};
}

std::string AwsManagedPrefixListId(const std::string& name, const std::string& region) {
  uint32_t h = 2166136261u;  // FNV-1a of the list's name
  for (unsigned char c : "com.amazonaws." + region + "." + name) h = (h ^ c) * 16777619u;
  char hex[9];
  snprintf(hex, sizeof hex, "%08x", h);
  return std::string("pl-") + hex;
}

std::string GatewayServiceOfDnsName(const std::string& dns_name, std::string* region) {
  const std::string tail = ".amazonaws.com";
  if (!dns_name.ends_with(tail)) return "";
  const std::string head = dns_name.substr(0, dns_name.size() - tail.size());  // [bucket.]NAME.REGION
  // S3's global name, s3.amazonaws.com (and BUCKET.s3.amazonaws.com), is us-east-1's (GW-18:
  // "US Standard"); the SDKs use it there by default.
  if (head == "s3" || head.ends_with(".s3")) {
    if (region) *region = "us-east-1";
    return "s3";
  }
  const auto dot = head.rfind('.');
  if (dot == std::string::npos) return "";
  const std::string r = head.substr(dot + 1), rest = head.substr(0, dot);
  if (!FindRegion(r)) return "";
  for (const auto& name : GatewayServiceNames())
    if (rest == name || (name == "s3" && rest.ends_with(".s3"))) {
      if (region) *region = r;
      return name;
    }
  return "";
}

}  // namespace openvpc::model
