// Hosts: the machines that run instances when openvpc spans several (issue 12). Each is an
// agent registered in the shared store with a lease (State::hosts holds the live ones); the
// model places instances on them as AWS places instances on hardware: placement groups decide
// (cluster: one host; spread: distinct hosts, at most seven running instances per zone per
// group; partition: disjoint sets of hosts per partition), otherwise the least loaded host. On
// one machine no host is registered and the server's own data plane runs every instance.
// Placement.HostId stays AWS's Dedicated Host id: the host shows in `openvpc hosts`.
#pragma once

#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

// A spread group's limit of running instances per Availability Zone (EC2 User Guide, rack
// spread level).
inline constexpr int kSpreadInstancesPerZone = 7;

struct Placement {
  std::string host;  // "" while no host is registered
  int partition_number = 0;
};

// Where COUNT instances of TYPE launched now into ZONE (and GROUP_NAME, if any) go, one each.
// InsufficientInstanceCapacity when the hosts cannot satisfy the group's strategy.
std::vector<Placement> PlaceInstances(const Tx& tx, const std::string& group_name, const std::string& type,
                                      const std::string& zone, int count);
// A stopped instance that starts goes back to its host while it lives, else to another one.
Placement PlaceRestart(const Tx& tx, const Instance& i);

// The host that runs the NAT gateways and the internet path for every host without them: the
// first live host started with --gateway (by name), so every host agrees on it, and when its
// lease expires the next one takes over (new connections through a NAT gateway work again; the
// ones it was translating are lost, as when an AWS NAT gateway fails). Null when none lives.
const Host* GatewayHost(const State& s);

// True when a data plane runs I and reports when it is gone (FinishTermination), so that its
// termination waits for that: the server's own for an instance no host was chosen for
// (State::instances_hosted), or I's host while it lives. A gone host reports nothing: its
// instances terminate at once (and a host that returns tears them down).
bool HostReportsTermination(const State& s, const Instance& i);

// Whether HOST runs the load balancers' nodes (their namespaces, whose own connections are the
// health checks): one machine's server ("" with no host registered), else the gateway host.
bool RunsLoadBalancerNodes(const State& s, const std::string& host);

// The instances running on HOST ("" : those the server's own data plane runs).
bool RunsOn(const Instance& i, const std::string& host);
// An instance whose host is gone (its lease expired): its system status check fails, as AWS's
// does when the hardware under an instance fails; it passes again when the host returns.
bool HostImpaired(const State& s, const Instance& i);

}  // namespace openvpc::model
