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
  uint64_t h = 0xcbf29ce484222325ULL;  // FNV-1a of the endpoint name: stable across runs and hosts
  for (unsigned char c : AwsServiceEndpointName(s, region)) h = (h ^ c) * 0x100000001b3ULL;
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

const AwsService* AwsServiceAt(const std::string& pool, net::Ipv4 addr) {
  for (const auto& s : AwsServices())
    if (auto a = AwsServiceAddress(pool, s); a && *a == addr) return &s;
  return nullptr;
}

}  // namespace openvpc::model
