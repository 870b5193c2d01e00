// Target groups, their targets and their health (issue 13; Elastic Load Balancing's API
// reference: CreateTargetGroup, RegisterTargets, DescribeTargetHealth).
//
// Health is observed by the data plane (real TCP or HTTP checks from the load balancer's nodes)
// and reported into the model only when a target's state changes (ReportTargetHealth), so any
// API server answers DescribeTargetHealth. What the model derives itself: "unused" (the group
// is not used by a listener, the target's zone has no node, the instance is not running),
// "draining" (deregistered, for the group's deregistration delay), and which targets a node may
// send a new flow to (RoutableTargets), which the data plane and trace share.
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

TargetGroup& GetTargetGroup(Partition& p, const std::string& arn);  // TargetGroupNotFound

struct HealthCheckSettings {  // what CreateTargetGroup and ModifyTargetGroup may set
  std::optional<std::string> protocol, port, path, matcher;
  std::optional<bool> enabled;
  std::optional<int> interval, timeout, healthy_threshold, unhealthy_threshold;
};
struct CreateTargetGroupArgs {
  std::string name, protocol, vpc_id, target_type, ip_address_type;
  std::optional<int> port;
  HealthCheckSettings health_check;
  TagList tags;
};
// Idempotent as AWS's: the same name with the same settings answers the existing group.
const TargetGroup& CreateTargetGroup(Tx& tx, const CreateTargetGroupArgs& a);
const TargetGroup& ModifyTargetGroup(Tx& tx, const std::string& arn, const HealthCheckSettings& h);
// ResourceInUse while a listener forwards to it.
void DeleteTargetGroup(Tx& tx, const std::string& arn);

// An HTTP health check's matcher ("200", "200,202", "200-299"): its code ranges, or nullopt when
// it is not one, or a code lies outside 200-599.
std::optional<std::vector<std::pair<int, int>>> ParseMatcher(const std::string& matcher);
// True when CODE is one MATCHER accepts (a health check passes).
bool MatcherAccepts(const std::string& matcher, int code);

std::map<std::string, std::string> TargetGroupAttributes(const TargetGroup& tg);
void ModifyTargetGroupAttributes(Tx& tx, const std::string& arn,
                                 const std::vector<std::pair<std::string, std::string>>& changes);
std::string TargetGroupAttribute(const TargetGroup& tg, const std::string& key);

// The load balancers whose listeners forward to the group.
std::vector<std::string> LoadBalancerArnsOf(const Partition& p, const std::string& tg_arn);

struct TargetSpec {
  std::string id;
  std::optional<int> port;
  std::string availability_zone;
};
void RegisterTargets(Tx& tx, const std::string& arn, const std::vector<TargetSpec>& targets);
void DeregisterTargets(Tx& tx, const std::string& arn, const std::vector<TargetSpec>& targets);

struct TargetHealthDescription {
  std::string id, availability_zone;
  int port = 0;
  std::string health_check_port;
  std::string state, reason, description;  // DescribeTargetHealth's TargetHealth
};
// The registered targets (TARGETS empty) or the ones asked for (an unknown one: "unused",
// Target.NotRegistered), as DescribeTargetHealth shows them at NOW.
std::vector<TargetHealthDescription> DescribeTargetHealth(const Partition& p, const TargetGroup& tg,
                                                          const std::vector<TargetSpec>& targets, TimePoint now);

// A target's check result, as the data plane reports it: healthy, or unhealthy with AWS's reason
// (Target.FailedHealthChecks, Target.Timeout, Target.ResponseCodeMismatch). Ignored when the
// target is no longer registered. Returns true when the stored state changed.
bool ReportTargetHealth(Tx& tx, const std::string& tg_arn, const std::string& target_id, int port,
                        const std::string& health, const std::string& reason);

// Draining targets whose delay has passed are removed (before a write reads the group).
void SweepDrainedTargets(Tx& tx, TimePoint now);

// A target the data plane checks or sends flows to: where, and in which state.
struct ResolvedTarget {
  const RegisteredTarget* target = nullptr;
  std::string ip;             // the address flows go to (an instance's primary private IPv4)
  std::string network_interface_id;  // the instance's primary interface, or the one holding the IP
  std::string state;          // as DescribeTargetHealth shows it
};
// Every registered target of the group with its address (instances that are not running have
// none and are "unused").
std::vector<ResolvedTarget> ResolveTargets(const Partition& p, const TargetGroup& tg, TimePoint now);
// The targets a node of LB in ZONE may send a new flow to: the healthy ones of its zone (of
// every zone with cross-zone load balancing on); when its zone has none, the healthy ones of the
// other zones (its node has left DNS); when none is healthy anywhere, every target of its zone
// that is not draining or unused (Elastic Load Balancing fails open). A zone with no target
// registered (draining ones count until they are gone) gets none without cross-zone (SVC-14).
std::vector<ResolvedTarget> RoutableTargets(const Partition& p, const LoadBalancer& lb, const TargetGroup& tg,
                                            const std::string& zone, TimePoint now);

// The target of a new flow whose 5-tuple hashes to FLOW_HASH (rendezvous hashing over target
// id and port): the same on every host that decides the flow, spread evenly, and a flow moves
// only when its target leaves TARGETS. nullptr when TARGETS is empty.
const ResolvedTarget* ChooseTarget(const std::vector<ResolvedTarget>& targets, uint64_t flow_hash);
// The hash of a flow's protocol, addresses and ports that ChooseTarget takes.
uint64_t FlowHash(int protocol, const std::string& src, int src_port, const std::string& dst, int dst_port);

// The hash a Gateway Load Balancer chooses an appliance of TG by: the same for both directions of
// a flow (its appliance sees both), over the 5-tuple by default (stickiness off, or five_tuple),
// the 3-tuple (addresses and protocol: source_ip_dest_ip_proto) or the 2-tuple (the addresses:
// source_ip_dest_ip) when stickiness is on.
uint64_t ApplianceFlowHash(const TargetGroup& tg, int protocol, const std::string& a, int a_port, const std::string& b,
                           int b_port);

}  // namespace openvpc::model
