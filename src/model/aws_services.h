// The AWS services network (issue 14): the AWS services openvpc serves itself, reached from
// instances by their regional names over HTTPS at addresses of the services pool (192.0.2.0/24,
// AWS's public service addresses in this simulation; `--services-pool`): publicly through an
// internet or NAT gateway (the simulated internet routes the pool to openvpc's services), and
// privately through interface endpoints (inventory-privatelink §2: com.amazonaws.REGION.NAME).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "net/ip.h"

namespace openvpc::model {

struct AwsService {
  std::string name;  // its endpoint prefix: ec2, sts, elasticloadbalancing, ssm
  int host = 0;      // its address: the services pool's network address + HOST
};

// The services openvpc serves, in a fixed order.
const std::vector<AwsService>& AwsServices();
// com.amazonaws.REGION.NAME (a known Region) -> the service, or nullptr.
const AwsService* AwsServiceByEndpointName(const std::string& service_name, const std::string& region);
// com.amazonaws.REGION.NAME
std::string AwsServiceEndpointName(const AwsService& s, const std::string& region);
// NAME.REGION.amazonaws.com (DNS-01): the public name, and the private DNS name of its endpoints.
std::string AwsServiceDnsName(const AwsService& s, const std::string& region);
// The service's id, as DescribeVpcEndpointServices shows it: vpce-svc- and 17 hex digits, the
// same for a Region's service every time.
std::string AwsServiceId(const AwsService& s, const std::string& region);
// The same for any AWS service's endpoint name (com.amazonaws.REGION.NAME: also S3's, DynamoDB's).
std::string AwsServiceIdOfName(const std::string& service_name);
// The service's address in POOL (a CIDR); nullopt when POOL is malformed or too small.
std::optional<net::Ipv4> AwsServiceAddress(const std::string& pool, const AwsService& s);
// The service a public name (lower case) stands for, with its Region: NAME.REGION.amazonaws.com
// of a known Region, and STS's global sts.amazonaws.com (us-east-1); nullptr otherwise.
const AwsService* AwsServiceOfDnsName(const std::string& dns_name, std::string* region = nullptr);

// ---- the services of gateway endpoints (GW-01: S3 and DynamoDB) ----
// Each Region's service has its own address in the pool (GW-08: another Region's is not the
// endpoint's), named by its AWS-managed prefix list com.amazonaws.REGION.NAME (GW-26).
const std::vector<std::string>& GatewayServiceNames();  // s3, dynamodb
// com.amazonaws.REGION.NAME of a gateway service of a known Region -> NAME, else "".
std::string GatewayServiceOf(const std::string& service_name, const std::string& region);
// Its address in POOL: the pool's network + 64 (s3) or + 128 (dynamodb) + the Region's index.
std::optional<net::Ipv4> GatewayServiceAddress(const std::string& pool, const std::string& name,
                                               const std::string& region);
// Its AWS-managed prefix list's id: pl- and 8 hex digits, the same every time.
std::string AwsManagedPrefixListId(const std::string& name, const std::string& region);
// The gateway service a public name stands for (NAME.REGION.amazonaws.com, for S3 also
// BUCKET.s3.REGION.amazonaws.com, and its global name [BUCKET.]s3.amazonaws.com, us-east-1's), with
// its Region; "" otherwise.
std::string GatewayServiceOfDnsName(const std::string& dns_name, std::string* region = nullptr);

}  // namespace openvpc::model
