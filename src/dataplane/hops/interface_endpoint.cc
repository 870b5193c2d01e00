// Through an interface endpoint (PrivateLink, issue 14): a packet that arrived at an endpoint's
// interface, past its subnet's ACL and its security groups (IF-08, IF-10), reaches stage 7
// "interface-endpoint": the endpoint must be available (ST-07) and the packet TCP (IF-01); the
// service's Network Load Balancer for this interface (model::NetworkLoadBalancerFor: one in the
// interface's zone, the same for all its connections, SVC-09) takes it at its node in that zone,
// as a connection of the node's own address and a port of its (SVC-08: the provider never sees
// the consumer's addresses; proxy protocol v2 carries them and the endpoint's id), and the
// load balancer's stage chooses the target (hops/load_balancer.cc). Nothing comes the other way
// but replies (IF-12, AT-23): the consumer's addresses are not the provider's to reach.
// The way back is TracePrivateLinkReply (pipeline.h), also here. An endpoint to an AWS service
// that openvpc serves (aws_services.h) is the destination itself: its interface's namespace runs
// the service's HTTPS front (host/services_network.h).
#include "dataplane/hops/hop.h"
#include "dataplane/stages.h"
#include "model/load_balancer.h"
#include "model/vpc_endpoint.h"

namespace openvpc::dataplane {

bool ToInterfaceEndpoint(const model::Partition& p, const model::NetworkInterface& d, const model::Flow& f,
                         TraceResult& t, Tracking ct) {
  if (d.interface_type != "vpc_endpoint") return false;
  const model::VpcEndpoint* e = model::VpcEndpointOfInterface(p, d.id);
  t.allowed = false;
  StageResult r{.stage = 7, .name = "interface-endpoint", .allowed = false, .component = e ? e->id : d.id};
  auto drop = [&](const char* code, std::string note) {
    r.explanation_code = code;
    r.note = std::move(note);
    Append(t, std::move(r));
    return true;
  };
  if (!e) return drop("NO_DESTINATION_INTERFACE", "no endpoint holds " + d.id);
  if (e->state != "available")  // ST-07: traffic flows only while available
    return drop("VPC_ENDPOINT_NOT_AVAILABLE", "the endpoint is " + e->state);  // openvpc's name
  if (f.protocol != 6)  // IF-01, SVC-03
    return drop("UNSUPPORTED_PROTOCOL", "an interface endpoint carries TCP only (IF-01)");  // openvpc's name
  if (model::IsAwsServiceEndpoint(*e)) {  // openvpc's own service answers at the interface itself
    r.allowed = true;
    r.rule = e->service_name + " at " + d.PrimaryIp();
    r.note = "the AWS services network: openvpc's API answers here over HTTPS";
    Append(t, std::move(r));
    t.destination = &d;
    t.allowed = true;
    return true;
  }
  const model::Partition* owner = nullptr;
  const model::VpcEndpointService* svc = nullptr;
  if (ct.state) {
    svc = model::ServiceOf(*ct.state, p, *e, &owner);
  } else if (e->service_owner_id == p.account_id) {  // `openvpc trace` without every partition
    if (auto it = p.vpc_endpoint_services.find(e->service_id); it != p.vpc_endpoint_services.end())
      svc = &it->second, owner = &p;
  }
  if (!svc) return drop("NO_ROUTE_TO_DESTINATION", "the endpoint service " + e->service_id + " is gone");
  const std::string& zone = p.subnets.at(d.subnet_id).availability_zone;
  const model::PrivateLinkPath path = model::NetworkLoadBalancerFor(*owner, *svc, d, zone);
  auto node_eni = path.node ? owner->network_interfaces.find(path.node->network_interface_id)
                            : owner->network_interfaces.end();
  // The node's address of the consumer's family (an IPv6 service's load balancers are dualstack:
  // SVC-12); the load balancer's stage then reaches the target in the target group's family.
  const std::string& node_text = path.node ? (f.ipv6 ? path.node->ipv6_address : path.node->private_ip) : "";
  const std::optional<net::Ipv6> node_ip = net::ParseAddress(node_text);
  if (node_eni == owner->network_interfaces.end() || !node_ip)
    return drop("NO_ROUTE_TO_DESTINATION", "service " + svc->id + " has no load balancer in " + zone +
                                               (f.ipv6 && path.node ? " with an IPv6 address" : ""));
  PrivateLinkLeg leg{.endpoint_id = e->id, .endpoint_eni = d.id,  // client_eni: the engine knows where it came from
                     .account = p.account_id, .region = p.region, .client = f.Src(), .endpoint_ip = f.Dst(),
                     .client_port = static_cast<uint16_t>(f.src_port),
                     .listener_port = static_cast<uint16_t>(f.dst_port), .node = *node_ip};
  // The node's port for this connection (the client's own in a trace, which keeps no table).
  leg.node_port = ct.lb ? ct.lb->PrivateLinkPort(6, *node_ip, leg.listener_port, leg) : leg.client_port;
  if (!leg.node_port) return drop("NO_ROUTE_TO_DESTINATION", "the node has no port left for a new connection");
  r.allowed = true;
  r.rule = svc->id + " -> " + path.lb->name + " " + node_text + ":" + std::to_string(f.dst_port);
  r.note = "the load balancer sees the connection from " + node_text + " port " + std::to_string(leg.node_port) +
           " (SVC-08)";
  Append(t, std::move(r));
  t.private_link = leg;
  t.partition = owner;
  model::Flow g = f;  // the connection as the provider's side has it: the node's own
  g.SetAddresses(*node_ip, *node_ip);
  g.src_port = leg.node_port;
  ToLoadBalancer(*owner, node_eni->second, g, t, ct);
  return true;
}

TraceResult TracePrivateLinkReply(const model::Partition& p, const LbBinding& b, const model::NetworkInterface& target,
                                  const model::Flow& sent, const model::Flow& f, Tracking ct) {
  TraceResult t;
  const PrivateLinkLeg& leg = *b.private_link;
  auto node = p.network_interfaces.find(b.node_eni);
  const model::Partition* consumer = ct.state ? ct.state->Find(leg.account, leg.region) : nullptr;
  if (node == p.network_interfaces.end() || !consumer) {
    Append(t, {.stage = 7, .name = "interface-endpoint", .allowed = false, .component = leg.endpoint_id,
               .explanation_code = "BAD_STATE"});
    return t;
  }
  if (target.subnet_id != node->second.subnet_id && !Append(t, SubnetAclOutbound(p, target.subnet_id, sent))) return t;
  auto endpoint = consumer->network_interfaces.find(leg.endpoint_eni);
  auto client = consumer->network_interfaces.find(leg.client_eni);
  if (endpoint == consumer->network_interfaces.end() || client == consumer->network_interfaces.end()) {
    Append(t, {.stage = 7, .name = "interface-endpoint", .allowed = false, .component = leg.endpoint_id,
               .explanation_code = "NO_DESTINATION_INTERFACE", .note = "the endpoint or its client is gone"});
    return t;
  }
  Append(t, {.stage = 7, .name = "interface-endpoint", .component = leg.endpoint_id,
             .rule = "reply " + net::AddressText(b.target) + ":" + std::to_string(b.target_port) + " -> " +
                     net::AddressText(leg.endpoint_ip) + ":" + std::to_string(leg.listener_port)});
  const std::string& subnet = endpoint->second.subnet_id;
  if (client->second.subnet_id != subnet && !Append(t, SubnetAclOutbound(*consumer, subnet, f))) return t;
  t.partition = consumer;
  t.allowed = ArriveAt(*consumer, subnet, client->second, f, t, ct);
  return t;
}

}  // namespace openvpc::dataplane
