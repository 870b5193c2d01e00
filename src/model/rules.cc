#include "model/rules.h"

#include "model/instance.h"
#include "model/nat_gateway.h"
#include "model/internet_gateway.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "model/vpc_endpoint.h"
#include "model/vpc_peering.h"

namespace openvpc::model {

void RegisterAllRules() {
  static const bool done = [] {
    RegisterGatewayRules();     // GatewayId igw-… and EgressOnlyInternetGatewayId routes
    RegisterInstanceRules();    // interfaces of instances, placement groups, Elastic IPs, InstanceId routes
    RegisterNatGatewayRules();  // NatGatewayId routes (G13), no DeleteSubnet/DeleteVpc under a live gateway
    RegisterVpcPeeringRules();  // VpcPeeringConnectionId routes (G13, G16), no DeleteVpc while peered
    RegisterVpcEndpointRules();  // VpcEndpointId routes (Gateway Load Balancer endpoints: GLB-01)
    return true;
  }();
  (void)done;
}

}  // namespace openvpc::model
