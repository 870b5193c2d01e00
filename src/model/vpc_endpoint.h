// PrivateLink's endpoint services and VPC endpoints (inventory-privatelink.md: SVC-*, GLB-*).
// This first part serves what steers traffic to a Gateway Load Balancer (issue 13): endpoint
// services in front of Gateway Load Balancers, with their allowed principals (SVC-04: nobody
// by default) and acceptance (SVC-05), and Gateway Load Balancer endpoints: one subnet (GLB-02),
// one per zone of the service per VPC (GLB-03), only in the load balancer's zones, no security
// groups (GLB-09), a requester-managed interface that is a route target (GLB-01, also more
// specific than the local route: G11), not deletable while a route targets it (GLB-11), whose
// interface goes with it (GLB-12). Interface and gateway endpoints come with issue 14.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

VpcEndpointService& GetVpcEndpointService(Partition& p, const std::string& id);
VpcEndpoint& GetVpcEndpoint(Partition& p, const std::string& id);

struct CreateVpcEndpointServiceArgs {
  std::optional<bool> acceptance_required;
  std::vector<std::string> network_load_balancer_arns, gateway_load_balancer_arns;
  std::vector<std::string> supported_ip_address_types;
  TagList tags;
};
VpcEndpointService& CreateVpcEndpointServiceConfiguration(Tx& tx, const CreateVpcEndpointServiceArgs& a);
// Refused (ExistingVpcEndpointConnections) while an endpoint is available or pending (SVC-11).
void DeleteVpcEndpointServiceConfiguration(Tx& tx, const std::string& id);
void ModifyVpcEndpointServicePermissions(Tx& tx, const std::string& id, const std::vector<std::string>& add,
                                         const std::vector<std::string>& remove);
// The endpoints of service ID in every partition of its Region, with their partitions.
std::vector<std::pair<Partition*, VpcEndpoint*>> EndpointsOfService(Tx& tx, const std::string& service_id);
// ACCEPT: available; else rejected. Only pending endpoints change (others answer an error).
void DecideVpcEndpointConnection(Tx& tx, const std::string& service_id, const std::string& endpoint_id, bool accept);

struct CreateVpcEndpointArgs {
  std::string type, vpc_id, service_name, ip_address_type;
  std::vector<std::string> subnet_ids, security_group_ids, route_table_ids;
  TagList tags;
};
VpcEndpoint& CreateVpcEndpoint(Tx& tx, const CreateVpcEndpointArgs& a);
void DeleteVpcEndpoint(Tx& tx, const std::string& id);

// The endpoint whose interface ENI_ID is, or nullptr.
const VpcEndpoint* VpcEndpointOfInterface(const Partition& p, const std::string& eni_id);
// The service an endpoint connects to, and its owner's partition (nullptr when gone).
const VpcEndpointService* ServiceOf(const State& s, const Partition& p, const VpcEndpoint& e,
                                    const Partition** owner);

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

// Registers the VpcEndpointId route target (GWLB endpoints). Idempotent.
void RegisterVpcEndpointRules();

}  // namespace openvpc::model
