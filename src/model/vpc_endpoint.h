// PrivateLink's endpoint services and VPC endpoints (inventory-privatelink.md: SVC-*, IF-*, GLB-*,
// DNS-*, NTF-*).
//
// Endpoint services front Network Load Balancers (interface endpoints) or Gateway Load Balancers
// (GWLB endpoints) (SVC-01), with their allowed principals (SVC-04: nobody by default) and
// acceptance (SVC-05). A consumer's endpoint is one requester-managed interface per subnet:
// interface endpoints take one subnet per zone of the service (IF-02, IF-15), security groups
// (IF-08) and designated addresses (IF-05, IF-06); GWLB endpoints one subnet (GLB-02), one per
// zone of the service per VPC (GLB-03), no security groups (GLB-09), and are route targets
// (GLB-01, also more specific than the local route: G11), not deletable while a route targets
// them (GLB-11). Gateway endpoints come with the AWS services network (issue 14's rest).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/state.h"
#include "net/ip.h"

namespace openvpc::model {

VpcEndpointService& GetVpcEndpointService(Partition& p, const std::string& id);
VpcEndpoint& GetVpcEndpoint(Partition& p, const std::string& id);

// ---- endpoint services (the provider's side) ----

struct CreateVpcEndpointServiceArgs {
  std::optional<bool> acceptance_required;
  std::vector<std::string> network_load_balancer_arns, gateway_load_balancer_arns;
  std::vector<std::string> supported_ip_address_types;
  std::string private_dns_name;  // "": none
  TagList tags;
};
VpcEndpointService& CreateVpcEndpointServiceConfiguration(Tx& tx, const CreateVpcEndpointServiceArgs& a);

struct ModifyVpcEndpointServiceArgs {
  std::optional<bool> acceptance_required;
  std::vector<std::string> add_network_load_balancer_arns, remove_network_load_balancer_arns;
  std::vector<std::string> add_gateway_load_balancer_arns, remove_gateway_load_balancer_arns;
  std::vector<std::string> add_supported_ip_address_types, remove_supported_ip_address_types;
  std::optional<std::string> private_dns_name;  // a new name: verification starts again (PDN-02)
  bool remove_private_dns_name = false;
};
// A load balancer leaves only while no endpoint is connected (SVC-10); one always stays (SVC-01).
// A private DNS name (PDN-01 … PDN-04: one, lower case, wildcards allowed, not for Gateway Load
// Balancer services) is pendingVerification, with the TXT record's name and value to publish.
void ModifyVpcEndpointServiceConfiguration(Tx& tx, const std::string& id, const ModifyVpcEndpointServiceArgs& a);
// PDN-06, PDN-08 … PDN-10: looks for the service's TXT record in public DNS, the public hosted
// zones of every account (model/hosted_zone.h: what the simulated internet's DNS answers), at
// NAME.D and at D for the private DNS name's domain D and each parent domain of it; the value
// must match exactly, case and all. verified when found, failed otherwise.
void StartVpcEndpointServicePrivateDnsVerification(Tx& tx, const std::string& id);
// Refused (ExistingVpcEndpointConnections) while an endpoint is available or pending (SVC-11).
void DeleteVpcEndpointServiceConfiguration(Tx& tx, const std::string& id);
void ModifyVpcEndpointServicePermissions(Tx& tx, const std::string& id, const std::vector<std::string>& add,
                                         const std::vector<std::string>& remove);
// The endpoints of service ID in every partition of its Region, with their partitions.
std::vector<std::pair<Partition*, VpcEndpoint*>> EndpointsOfService(Tx& tx, const std::string& service_id);
// ACCEPT: available; else rejected (also an available one: ACC-04). Others answer an error.
void DecideVpcEndpointConnection(Tx& tx, const std::string& service_id, const std::string& endpoint_id, bool accept);

// The zones of the service's load balancers (names as the Region's catalogue gives them).
std::vector<std::string> ServiceAvailabilityZones(const Partition& owner, const VpcEndpointService& svc);
// DNS-04: vpce-svc-….REGION.vpce.amazonaws.com
std::string BaseEndpointDnsName(const VpcEndpointService& svc, const std::string& region);
// The services CALLER_ACCOUNT may see in REGION (DescribeVpcEndpointServices): its own and those
// that allow it (SVC-04), with their owners' partitions.
std::vector<std::pair<const Partition*, const VpcEndpointService*>> VisibleServices(const State& s,
                                                                                 const std::string& region,
                                                                                 const std::string& caller_account);

// ---- endpoints (the consumer's side) ----

struct SubnetConfiguration {
  std::string subnet_id, ipv4, ipv6;  // IF-05: the interface's addresses there ("" to pick one)
};
struct CreateVpcEndpointArgs {
  std::string type, vpc_id, service_name, ip_address_type, dns_record_ip_type;
  std::vector<std::string> subnet_ids, security_group_ids, route_table_ids;
  std::vector<SubnetConfiguration> subnet_configurations;
  std::optional<bool> private_dns_enabled, private_dns_only_for_inbound_resolver_endpoint;
  std::optional<std::string> policy_document;
  TagList tags;
};
VpcEndpoint& CreateVpcEndpoint(Tx& tx, const CreateVpcEndpointArgs& a);

struct ModifyVpcEndpointArgs {
  std::vector<std::string> add_subnet_ids, remove_subnet_ids;
  std::vector<std::string> add_security_group_ids, remove_security_group_ids;
  std::vector<std::string> add_route_table_ids, remove_route_table_ids;
  std::vector<SubnetConfiguration> subnet_configurations;  // IF-06: a new interface where an address changes
  std::optional<bool> private_dns_enabled;
  std::optional<std::string> policy_document;
  bool reset_policy = false;
  std::optional<std::string> ip_address_type, dns_record_ip_type;
  std::optional<bool> private_dns_only_for_inbound_resolver_endpoint;
};
void ModifyVpcEndpoint(Tx& tx, const std::string& id, const ModifyVpcEndpointArgs& a);
void DeleteVpcEndpoint(Tx& tx, const std::string& id);

// The endpoint whose interface ENI_ID is, or nullptr.
const VpcEndpoint* VpcEndpointOfInterface(const Partition& p, const std::string& eni_id);
// The service an endpoint connects to, and its owner's partition (nullptr when gone).
const VpcEndpointService* ServiceOf(const State& s, const Partition& p, const VpcEndpoint& e,
                                    const Partition** owner);

// DNS-02, DNS-03, DNS-05, DNS-06: the endpoint's names, Regional first, then one per zone of its
// interfaces; every one in the Region's vpce hosted zone.
struct DnsEntry {
  std::string dns_name, hosted_zone_id;
};
std::vector<DnsEntry> DnsEntriesOf(const Partition& p, const VpcEndpoint& e);
// DNS-07: the addresses an endpoint's name stands for, in P (public: anyone may resolve them):
// the Regional name, its interfaces' addresses; a zonal name, its zone's. IPV6 asks for AAAA
// records, which the endpoint has when its DNS record IP type is ipv6, dualstack or
// service-defined, as it has A records unless it is ipv6 (DNS-13). nullopt when NAME (lower
// case) is no endpoint's of P.
std::optional<std::vector<std::string>> VpcEndpointDnsAddresses(const Partition& p, const std::string& name,
                                                                bool ipv6);

// ---- endpoints to AWS services (aws_services.h) ----

// True for an endpoint to one of the AWS services openvpc serves (amazon's).
bool IsAwsServiceEndpoint(const VpcEndpoint& e);
// An AWS service as the endpoint service consumers see (amazon's, open to all, accepted at once).
struct AwsService;
VpcEndpointService AwsServiceAsEndpointService(const AwsService& aws, const std::string& region);
// S3 as an interface endpoint's service (com.amazonaws.REGION.s3 of type Interface, GW-01): its
// interfaces serve openvpc's S3, with the endpoint's policy; no private DNS name here.
VpcEndpointService S3InterfaceService(const std::string& region);
// DNS-18: the name an S3 interface endpoint's private DNS answers inside its VPC (and every name
// below it: BUCKET.s3.REGION.amazonaws.com), the Region's own (us-east-1's global
// s3.amazonaws.com stays public, as on AWS).
std::string S3PrivateDnsName(const std::string& region);
// A name below an S3 interface endpoint's own (lower case: BUCKET.vpce-ID-SUFFIX[-ZONE].s3.REGION.
// vpce.amazonaws.com): what is in front (the bucket) and the endpoint's name; nullopt for any
// other name, the endpoint's own included. Its DNS names answer such names (DNS-07), S3 reads the
// bucket from them, and TLS needs a certificate of the endpoint's name's wildcard for them.
struct S3EndpointName {
  std::string prefix, endpoint_name;
};
std::optional<S3EndpointName> SplitS3EndpointName(std::string_view name);
// DNS-10, DNS-11: what an AWS service's public name (lower case) stands for inside VPC_ID when an
// available endpoint of the VPC has private DNS on: its interfaces' addresses (IPV6: the AAAA
// records, which a private name has for ipv6 and dualstack records, not service-defined ones:
// DNS-13); else nullopt.
std::optional<std::vector<std::string>> PrivateDnsAddresses(const Partition& p, const std::string& vpc_id,
                                                            const std::string& name, bool ipv6 = false);

// POL-01, POL-08: what the policy of endpoint VPC_ENDPOINT_ID (of ACCOUNT in REGION) says of a
// request that came through it: PRINCIPAL_ARN (of PRINCIPAL_ACCOUNT) calling ACTION (service:Operation) on
// RESOURCE, with the condition keys such a request carries (aws:SourceVpce, aws:SourceVpc,
// aws:VpcSourceIp, aws:PrincipalAccount, aws:PrincipalArn; never aws:SourceIp: GW-20). An
// endpoint that is gone allows nothing. 0: implicit deny, 1: allow, 2: explicit deny.
struct EndpointRequest {
  std::string account, region, vpc_endpoint_id;
  std::string principal_account, action, resource = "*", source_ip;
  std::string principal_arn;       // "": the account's root user
  std::string principal_role_arn;  // an assumed role's role (aws:PrincipalArn), "" for a root user
};
int EvaluateEndpointPolicy(const State& s, const EndpointRequest& r);

// GW-16: the gateway endpoint a connection from interface ENI_ID to DST (a gateway service's
// address) left its VPC by: the route its subnet's table has for DST, when that route is a
// gateway endpoint's (what S3 needs for the endpoint policy and aws:SourceVpce). With the
// partition the endpoint is in; both null otherwise.
struct GatewayEndpointPath {
  const Partition* partition = nullptr;
  const VpcEndpoint* endpoint = nullptr;
  const NetworkInterface* eni = nullptr;
};
GatewayEndpointPath GatewayEndpointOf(const State& s, const std::string& eni_id, net::Ipv4 dst);

// ---- what the data plane follows ----

// SVC-09: where an interface endpoint's interface ENI (in its consumer's zone ZONE) sends its
// connections: a Network Load Balancer of SVC (in OWNER) with a node in the same zone (by zone
// id, IF-13), the same one for every connection of that interface, and that node; both null
// when the service has none there.
struct PrivateLinkPath {
  const LoadBalancer* lb = nullptr;
  const LoadBalancerNode* node = nullptr;
};
PrivateLinkPath NetworkLoadBalancerFor(const Partition& owner, const VpcEndpointService& svc,
                                       const NetworkInterface& eni, const std::string& zone);

// GLB-06: where an endpoint in ZONE sends its traffic: the first Gateway Load Balancer of SVC
// (in its owner's partition OWNER) with a node in ZONE, that node, and the target group its
// listener forwards to; all null when there is none.
struct GatewayLoadBalancerPath {
  const LoadBalancer* lb = nullptr;
  const LoadBalancerNode* node = nullptr;
  const TargetGroup* target_group = nullptr;
};
GatewayLoadBalancerPath GatewayLoadBalancerIn(const Partition& owner, const VpcEndpointService& svc,
                                              const std::string& zone);

// ---- connection notifications (NTF-*) ----

struct CreateConnectionNotificationArgs {
  std::string service_id, vpc_endpoint_id, topic_arn;
  std::vector<std::string> events;
};
ConnectionNotification& CreateVpcEndpointConnectionNotification(Tx& tx, const CreateConnectionNotificationArgs& a);
void ModifyVpcEndpointConnectionNotification(Tx& tx, const std::string& id, const std::string& topic_arn,
                                             const std::vector<std::string>& events);
void DeleteVpcEndpointConnectionNotification(Tx& tx, const std::string& id);
// How many deliveries a notification keeps (openvpc runs no SNS: they are shown, not sent).
inline constexpr size_t kNotificationDeliveriesKept = 100;

// Registers the VpcEndpointId route target (GWLB endpoints). Idempotent.
void RegisterVpcEndpointRules();

}  // namespace openvpc::model
