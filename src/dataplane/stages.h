// What the pipeline's entry points (pipeline.cc) and its hops (hops/) share: the stages in the
// forms the hops need them, connection tracking's opening of connections, and delivery inside
// a VPC. Not part of the pipeline's interface (pipeline.h).
#pragma once

#include <string>

#include "dataplane/pipeline.h"

namespace openvpc::dataplane {

// Appends R to T; R's verdict.
bool Append(TraceResult& t, StageResult r);

// The ACL of SUBNET_ID in P as stage 8 (inbound) or 5 (outbound).
StageResult SubnetAclInbound(const model::Partition& p, const std::string& subnet_id, const model::Flow& f);
StageResult SubnetAclOutbound(const model::Partition& p, const std::string& subnet_id, const model::Flow& f);

// After an allowed packet: the connection it opens at ENI (leaving it when EGRESS), where the
// flow is tracked (CT-3); STAGE is the groups stage that allowed it there.
void OpenConnection(const model::Partition& p, const model::NetworkInterface& eni, const model::Flow& f, bool egress,
                    const StageResult& stage, Tracking ct);

// Stage 7, local delivery: the interface of VPC_ID that holds the destination address.
StageResult DeliverInVpc(const model::Partition& p, const std::string& vpc_id, const model::Flow& f,
                         const model::NetworkInterface** dst);

// Stages 8 and 9 at D, which received F from SRC's subnet in P (the ACL is not crossed inside
// one subnet: O1, N6), and the connection F opens there. Sets T.destination.
bool ArriveAt(const model::Partition& p, const std::string& src_subnet_id, const model::NetworkInterface& d,
              const model::Flow& f, TraceResult& t, Tracking ct);

// Arrival at D when D is a load balancer's node (hops/load_balancer.cc): its groups, the
// listener, the target, and the way on to it, appended to T. False when D is no node.
bool ToLoadBalancer(const model::Partition& p, const model::NetworkInterface& d, const model::Flow& f, TraceResult& t,
                    Tracking ct);

// Arrival at D when D is an interface endpoint's interface (hops/interface_endpoint.cc), past
// its groups: the endpoint, the service's load balancer in D's zone, and on through its node to
// a target, appended to T. False when D is no endpoint's.
bool ToInterfaceEndpoint(const model::Partition& p, const model::NetworkInterface& d, const model::Flow& f,
                         TraceResult& t, Tracking ct);

}  // namespace openvpc::dataplane
