// Target groups, targets and their health: model/target_group.h.
#include "model/target_group.h"

#include <algorithm>
#include <set>
#include <tuple>
#include <unordered_map>

#include "model/instance.h"
#include "model/internal.h"
#include "model/load_balancer.h"
#include "net/ip.h"

namespace openvpc::model {

namespace {

TimePoint NowTime() { return std::chrono::system_clock::now(); }

const std::set<std::string>& Protocols() {
  static const std::set<std::string> s = {"TCP", "UDP", "TCP_UDP", "TLS", "GENEVE", "HTTP", "HTTPS"};
  return s;
}

bool IsGeneve(const TargetGroup& tg) { return tg.protocol == "GENEVE"; }

// The attributes of a group of this protocol and target type, and their defaults.
std::map<std::string, std::string> DefaultAttributes(const TargetGroup& tg) {
  std::map<std::string, std::string> a = {
      {"deregistration_delay.timeout_seconds", "300"},
      {"deregistration_delay.connection_termination.enabled", "false"},
      {"stickiness.enabled", "false"},
      {"load_balancing.cross_zone.enabled", "use_load_balancer_configuration"},
      {"target_group_health.dns_failover.minimum_healthy_targets.count", "1"},
      {"target_group_health.dns_failover.minimum_healthy_targets.percentage", "off"},
      {"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count", "1"},
      {"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage", "off"},
  };
  if (IsGeneve(tg)) {
    a["stickiness.type"] = "source_ip_dest_ip_proto";
    a["target_failover.on_deregistration"] = "no_rebalance";
    a["target_failover.on_unhealthy"] = "no_rebalance";
  } else {
    a["stickiness.type"] = "source_ip";
    a["proxy_protocol_v2.enabled"] = "false";
    // Instance targets see the client's address; ip targets the node's, except over UDP.
    a["preserve_client_ip.enabled"] =
        tg.target_type == "instance" || tg.protocol == "UDP" || tg.protocol == "TCP_UDP" ? "true" : "false";
    a["target_health_state.unhealthy.connection_termination.enabled"] = "true";
    a["target_health_state.unhealthy.draining_interval_seconds"] = "0";
  }
  return a;
}

int IntOr(const std::string& s, int fallback) {
  if (!AllDigits(s) || s.size() > 9) return fallback;
  return std::stoi(s);
}

void CheckRange(const std::optional<int>& v, int lo, int hi, const std::string& member) {
  if (v && (*v < lo || *v > hi))
    Fail("ValidationError", "1 validation error detected: Value '" + std::to_string(*v) + "' at '" + member +
                                "' failed to satisfy constraint: Member must have value between " + std::to_string(lo) +
                                " and " + std::to_string(hi));
}

// Applies H to TG with AWS's rules (ranges, protocols a check may use, a timeout shorter than
// the interval).
void ApplyHealthCheck(TargetGroup& tg, const HealthCheckSettings& h) {
  CheckRange(h.interval, 5, 300, "healthCheckIntervalSeconds");
  CheckRange(h.timeout, 2, 120, "healthCheckTimeoutSeconds");
  CheckRange(h.healthy_threshold, 2, 10, "healthyThresholdCount");
  CheckRange(h.unhealthy_threshold, 2, 10, "unhealthyThresholdCount");
  if (h.enabled && !*h.enabled)
    Fail("InvalidConfigurationRequest", "Health checks cannot be disabled for target groups with the target type '" +
                                            tg.target_type + "'");
  if (h.protocol) {
    const std::string& p = *h.protocol;
    if (p != "TCP" && p != "HTTP" && p != "HTTPS")
      Fail("InvalidConfigurationRequest", "Health check protocol '" + p + "' is not supported for target groups with the protocol '" +
                                              tg.protocol + "'");
    if (p == "TCP" && (tg.protocol == "HTTP" || tg.protocol == "HTTPS"))
      Fail("InvalidConfigurationRequest", "Health check protocol 'TCP' is not supported for target groups with the protocol '" +
                                              tg.protocol + "'");
    tg.health_check_protocol = p;
  }
  if (h.port) {
    if (*h.port != "traffic-port") {
      int port = IntOr(*h.port, -1);
      if (port < 1 || port > 65535) Fail("ValidationError", "Health check port '" + *h.port + "' is not valid");
    } else if (IsGeneve(tg)) {
      Fail("InvalidConfigurationRequest", "The health check port of a GENEVE target group cannot be the traffic port");
    }
    tg.health_check_port = *h.port;
  }
  const bool http = tg.health_check_protocol == "HTTP" || tg.health_check_protocol == "HTTPS";
  if ((h.path || h.matcher) && !http)
    Fail("InvalidConfigurationRequest", "A health check path and matcher can be specified only for HTTP and HTTPS health checks");
  if (h.path) {
    if (h.path->empty() || h.path->front() != '/' || h.path->size() > 1024)
      Fail("ValidationError", "Health check path '" + *h.path + "' must begin with '/' and be at most 1024 characters");
    tg.health_check_path = *h.path;
  }
  if (h.matcher) {
    if (!ParseMatcher(*h.matcher))
      Fail("ValidationError", "Health check matcher HTTP code '" + *h.matcher + "' must be within 200-599");
    tg.matcher = *h.matcher;
  }
  if (http && tg.health_check_path.empty()) tg.health_check_path = "/";
  if (http && tg.matcher.empty()) tg.matcher = "200-399";
  if (!http) {
    tg.health_check_path.clear();
    tg.matcher.clear();
  }
  if (h.interval) tg.health_check_interval = *h.interval;
  if (h.timeout) tg.health_check_timeout = *h.timeout;
  if (h.healthy_threshold) tg.healthy_threshold = *h.healthy_threshold;
  if (h.unhealthy_threshold) tg.unhealthy_threshold = *h.unhealthy_threshold;
  if (tg.health_check_timeout >= tg.health_check_interval)
    Fail("InvalidConfigurationRequest", "Health check timeout '" + std::to_string(tg.health_check_timeout) +
                                            "' must be smaller than the interval '" +
                                            std::to_string(tg.health_check_interval) + "'");
}

bool Draining(const RegisteredTarget& t) { return !t.deregistered_at.empty(); }

// An address AWS accepts as an ip target: in the VPC, or of RFC 1918 or RFC 6598 (through
// peering or a VPN, then of zone "all"); never a public one.
bool PrivateRange(net::Ipv4 ip) {
  for (const char* c : {"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"})
    if (net::ParseCidr4(c)->Contains(ip)) return true;
  return false;
}

// The subnet of VPC_ID whose block holds IP, or nullptr.
const Subnet* SubnetHolding(const Partition& p, const std::string& vpc_id, const std::string& ip) {
  auto v4 = net::ParseIpv4(ip);
  auto v6 = v4 ? std::nullopt : net::ParseIpv6(ip);
  for (const auto& [id, s] : p.subnets) {
    if (s.vpc_id != vpc_id) continue;
    if (v4 && !s.cidr_block.empty() && net::ParseCidr4(s.cidr_block)->Contains(*v4)) return &s;
    if (v6)
      for (const auto& b : s.ipv6_cidr_blocks)
        if (net::ParseCidr6(b.cidr)->Contains(*v6)) return &s;
  }
  return nullptr;
}

bool VpcHolds(const Partition& p, const std::string& vpc_id, net::Ipv4 ip) {
  auto it = p.vpcs.find(vpc_id);
  if (it == p.vpcs.end()) return false;
  for (const auto& b : it->second.cidr_blocks)
    if (net::ParseCidr4(b.cidr)->Contains(ip)) return true;
  return false;
}

// A target of TG as the caller names it: checked, with its zone and port.
RegisteredTarget CheckedTarget(const Partition& p, const TargetGroup& tg, const TargetSpec& spec) {
  RegisteredTarget t;
  t.id = spec.id;
  if (IsGeneve(tg)) {
    if (spec.port && *spec.port != 6081) Fail("ValidationError", "The port of a GENEVE target must be 6081");
    t.port = 6081;
  } else {
    if (!spec.port && tg.port == 0) Fail("ValidationError", "A port must be specified for target '" + spec.id + "'");
    t.port = spec.port.value_or(tg.port);
  }
  if (t.port < 1 || t.port > 65535) Fail("ValidationError", "Port '" + std::to_string(t.port) + "' is not valid");
  if (tg.target_type == "instance") {
    auto it = p.instances.find(spec.id);
    if (it == p.instances.end() || !InstanceVisible(it->second) || it->second.state == "terminated")
      Fail("InvalidTarget", "The following targets are not valid instances: '" + spec.id + "'");
    const Instance& i = it->second;
    if (i.vpc_id != tg.vpc_id)
      Fail("InvalidTarget", "The following targets are not in the target group VPC '" + tg.vpc_id + "': '" + spec.id + "'");
    if (i.state != "running" && i.state != "pending")
      Fail("InvalidTarget", "The following targets are not in a running state and cannot be registered: '" + spec.id + "'");
    if (!spec.availability_zone.empty() && spec.availability_zone != i.availability_zone)
      Fail("ValidationError", "An Availability Zone cannot be specified for instance targets");
    t.availability_zone = i.availability_zone;
    return t;
  }
  // ip targets
  auto v4 = net::ParseIpv4(spec.id);
  auto v6 = v4 ? std::nullopt : net::ParseIpv6(spec.id);
  if (!v4 && !v6) Fail("ValidationError", "The IP address '" + spec.id + "' is not a valid IP address");
  if ((v4 && tg.ip_address_type == "ipv6") || (v6 && tg.ip_address_type != "ipv6"))  // AWS's words for it
    Fail("ValidationError", "The IP address '" + spec.id + "' is not a valid " +
                                (tg.ip_address_type == "ipv6" ? "IPv6" : "IPv4") + " address");
  const Subnet* s = SubnetHolding(p, tg.vpc_id, spec.id);
  if (s) {
    if (!spec.availability_zone.empty() && spec.availability_zone != "all" && spec.availability_zone != s->availability_zone)
      Fail("ValidationError", "The Availability Zone '" + spec.availability_zone + "' is not the zone of IP address '" +
                                  spec.id + "'");
    t.availability_zone = spec.availability_zone.empty() ? s->availability_zone : spec.availability_zone;
    return t;
  }
  if (v4 && (VpcHolds(p, tg.vpc_id, *v4) || PrivateRange(*v4))) {
    if (spec.availability_zone != "all")
      Fail("ValidationError", "The IP address '" + spec.id +
                                  "' is outside the VPC's subnets: its Availability Zone must be specified as 'all'");
    t.availability_zone = "all";
    return t;
  }
  Fail("InvalidTarget", "The IP address '" + spec.id + "' is not a valid target IP address: it must be in the VPC or a private range");
}

std::vector<RegisteredTarget>::iterator FindTarget(TargetGroup& tg, const std::string& id, int port) {
  return std::find_if(tg.targets.begin(), tg.targets.end(),
                      [&](const RegisteredTarget& t) { return t.id == id && t.port == port; });
}

int DeregistrationDelay(const TargetGroup& tg) {
  return IntOr(TargetGroupAttribute(tg, "deregistration_delay.timeout_seconds"), 300);
}

bool DrainingOver(const TargetGroup& tg, const RegisteredTarget& t, TimePoint now) {
  auto since = ParseIso8601(t.deregistered_at);
  return !since || now >= *since + std::chrono::seconds(DeregistrationDelay(tg));
}

// A zone where LB has a node.
bool ZoneEnabled(const LoadBalancer& lb, const std::string& zone) {
  return zone == "all" || std::any_of(lb.nodes.begin(), lb.nodes.end(),
                                      [&](const LoadBalancerNode& n) { return n.availability_zone == zone; });
}

const LoadBalancer* FirstLoadBalancerOf(const Partition& p, const TargetGroup& tg) {
  for (const auto& arn : LoadBalancerArnsOf(p, tg.arn)) {
    auto it = p.load_balancers.find(arn);
    if (it != p.load_balancers.end()) return &it->second;
  }
  return nullptr;
}

// What DescribeTargetHealth says of a registered target at NOW; LB is the group's load balancer
// (FirstLoadBalancerOf), or nullptr.
TargetHealthDescription Describe(const Partition& p, const TargetGroup& tg, const RegisteredTarget& t, TimePoint now,
                                 const LoadBalancer* lb) {
  TargetHealthDescription d;
  d.id = t.id;
  d.port = t.port;
  d.availability_zone = t.availability_zone;
  d.health_check_port = tg.health_check_port == "traffic-port" ? std::to_string(t.port) : tg.health_check_port;
  if (Draining(t)) {
    if (DrainingOver(tg, t, now)) {
      d.state = "unused";
      d.reason = "Target.NotRegistered";
      d.description = "Target is not registered to the target group";
    } else {
      d.state = "draining";
      d.reason = "Target.DeregistrationInProgress";
      d.description = "Target deregistration is in progress";
    }
    return d;
  }
  if (!lb) {
    d.state = "unused";
    d.reason = "Target.NotInUse";
    d.description = "Target group is not configured to receive traffic from the load balancer";
    return d;
  }
  if (tg.target_type == "instance") {
    auto it = p.instances.find(t.id);
    if (it == p.instances.end() || it->second.state != "running") {
      d.state = "unused";
      d.reason = "Target.InvalidState";
      d.description = "Target is in the " + (it == p.instances.end() ? std::string("terminated") : it->second.state) + " state";
      return d;
    }
  }
  if (!ZoneEnabled(*lb, t.availability_zone)) {
    d.state = "unused";
    d.reason = "Target.NotInUse";
    d.description = "Target is in an Availability Zone that is not enabled for the load balancer";
    return d;
  }
  d.state = t.health;
  d.reason = t.reason;
  if (t.health == "initial")
    d.description = t.reason == "Elb.InitialHealthChecking" ? "Initial health checks in progress"
                                                            : "Target registration is in progress";
  else if (t.reason == "Target.Timeout")
    d.description = "Request timed out";
  else if (t.reason == "Target.FailedHealthChecks")
    d.description = "Health checks failed";
  else if (t.reason == "Target.ResponseCodeMismatch")
    d.description = "Health checks failed with these codes: [unexpected]";
  return d;
}

}  // namespace

TargetGroup& GetTargetGroup(Partition& p, const std::string& arn) {
  CheckElbArn(arn, "targetgroup");
  auto it = p.target_groups.find(arn);
  if (it == p.target_groups.end()) Fail("TargetGroupNotFound", "One or more target groups not found");
  return it->second;
}

const TargetGroup& CreateTargetGroup(Tx& tx, const CreateTargetGroupArgs& a) {
  Partition& p = tx.p;
  CheckElbName(a.name, "Target group");
  TargetGroup tg;
  tg.target_type = a.target_type.empty() ? "instance" : a.target_type;
  if (tg.target_type == "lambda" || tg.target_type == "alb")
    Fail("InvalidConfigurationRequest", "Target type '" + tg.target_type +
                                            "' is not implemented by openvpc: use instance or ip targets");
  if (a.protocol.empty()) Fail("ValidationError", "A protocol must be specified");
  if (!Protocols().count(a.protocol)) Fail("UnsupportedProtocol", "Protocol '" + a.protocol + "' is not supported");
  tg.protocol = a.protocol;
  if (!a.port) Fail("ValidationError", "A port must be specified");
  if (*a.port < 1 || *a.port > 65535) Fail("ValidationError", "Port '" + std::to_string(*a.port) + "' is not valid");
  if (IsGeneve(tg) && *a.port != 6081) Fail("ValidationError", "The port of a GENEVE target group must be 6081");
  tg.port = *a.port;
  if (a.vpc_id.empty()) Fail("ValidationError", "A VPC ID must be specified");
  auto vpc = p.vpcs.find(a.vpc_id);
  if (vpc == p.vpcs.end()) Fail("ValidationError", "The VPC ID '" + a.vpc_id + "' is not found");
  tg.vpc_id = a.vpc_id;
  tg.ip_address_type = a.ip_address_type.empty() ? "ipv4" : a.ip_address_type;
  if (tg.ip_address_type != "ipv4" && tg.ip_address_type != "ipv6")
    Fail("ValidationError", "IP address type '" + tg.ip_address_type + "' is not valid");
  if (tg.ip_address_type == "ipv6" && tg.target_type != "ip")
    Fail("InvalidConfigurationRequest", "IPv6 target groups must have the target type 'ip'");

  // The protocol's defaults, then what the request sets.
  const bool http = tg.protocol == "HTTP" || tg.protocol == "HTTPS";
  tg.health_check_protocol = http ? tg.protocol : "TCP";
  tg.health_check_port = IsGeneve(tg) ? "80" : "traffic-port";
  if (IsGeneve(tg)) {
    tg.health_check_interval = 10;
    tg.health_check_timeout = 5;
  } else if (tg.protocol == "HTTP") {
    tg.health_check_timeout = 6;
  }
  HealthCheckSettings h = a.health_check;
  if (h.protocol && (*h.protocol == "HTTP" || *h.protocol == "HTTPS") && !h.timeout && !IsGeneve(tg))
    tg.health_check_timeout = *h.protocol == "HTTP" ? 6 : 10;
  ApplyHealthCheck(tg, h);

  for (const auto& [arn, other] : p.target_groups)
    if (other.name == a.name) {
      bool same = other.protocol == tg.protocol && other.port == tg.port && other.vpc_id == tg.vpc_id &&
                  other.target_type == tg.target_type && other.health_check_protocol == tg.health_check_protocol &&
                  other.health_check_port == tg.health_check_port &&
                  other.health_check_interval == tg.health_check_interval &&
                  other.health_check_timeout == tg.health_check_timeout &&
                  other.healthy_threshold == tg.healthy_threshold && other.unhealthy_threshold == tg.unhealthy_threshold;
      if (same) return other;
      Fail("DuplicateTargetGroupName", "A target group with the same name '" + a.name + "' exists, but with different settings");
    }
  if (static_cast<int>(p.target_groups.size()) >= tx.quotas.Get("target-groups-per-region"))
    Fail("TooManyTargetGroups", "The quota for the number of target groups has been reached");
  CheckElbTags(a.tags, tx.quotas);
  tg.owner_id = p.account_id;
  tg.name = a.name;
  tg.id = NewElbId();
  tg.arn = "arn:aws:elasticloadbalancing:" + p.region + ":" + p.account_id + ":targetgroup/" + tg.name + "/" + tg.id;
  tg.tags = a.tags;
  const std::string arn = tg.arn;
  tx.Touch(arn);
  return p.target_groups[arn] = std::move(tg);
}

const TargetGroup& ModifyTargetGroup(Tx& tx, const std::string& arn, const HealthCheckSettings& h) {
  TargetGroup& tg = GetTargetGroup(tx.p, arn);
  TargetGroup changed = tg;
  ApplyHealthCheck(changed, h);
  tg = std::move(changed);
  tx.Touch(arn);
  return tg;
}

void DeleteTargetGroup(Tx& tx, const std::string& arn) {
  TargetGroup& tg = GetTargetGroup(tx.p, arn);
  for (const auto& [larn, l] : tx.p.listeners)
    if (l.target_group_arn == arn)
      Fail("ResourceInUse", "Target group '" + arn + "' is currently in use by a listener or a rule");
  (void)tg;
  tx.p.target_groups.erase(arn);
  tx.Touch(arn);
}

std::optional<std::vector<std::pair<int, int>>> ParseMatcher(const std::string& matcher) {
  std::vector<std::pair<int, int>> ranges;
  size_t pos = 0;
  for (;;) {
    size_t comma = matcher.find(',', pos);
    std::string part = matcher.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    size_t dash = part.find('-');
    int lo = IntOr(part.substr(0, dash), -1), hi = dash == std::string::npos ? lo : IntOr(part.substr(dash + 1), -1);
    if (lo < 200 || hi > 599 || hi < lo) return std::nullopt;
    ranges.emplace_back(lo, hi);
    if (comma == std::string::npos) return ranges;
    pos = comma + 1;
  }
}

bool MatcherAccepts(const std::string& matcher, int code) {
  auto ranges = ParseMatcher(matcher);
  return ranges && std::any_of(ranges->begin(), ranges->end(),
                               [&](const std::pair<int, int>& r) { return code >= r.first && code <= r.second; });
}

std::map<std::string, std::string> TargetGroupAttributes(const TargetGroup& tg) {
  auto out = DefaultAttributes(tg);
  for (const auto& [k, v] : tg.attributes) out[k] = v;
  return out;
}

std::string TargetGroupAttribute(const TargetGroup& tg, const std::string& key) {
  auto it = tg.attributes.find(key);
  if (it != tg.attributes.end()) return it->second;
  auto defaults = DefaultAttributes(tg);
  auto d = defaults.find(key);
  return d == defaults.end() ? "" : d->second;
}

void ModifyTargetGroupAttributes(Tx& tx, const std::string& arn,
                                 const std::vector<std::pair<std::string, std::string>>& changes) {
  TargetGroup& tg = GetTargetGroup(tx.p, arn);
  const auto known = DefaultAttributes(tg);
  auto invalid = [](const std::string& key, const std::string& value) {
    Fail("InvalidConfigurationRequest", "Target group attribute value '" + value + "' for key '" + key + "' is not valid");
  };
  for (const auto& [key, value] : changes) {
    if (!known.count(key)) Fail("InvalidConfigurationRequest", "Target group attribute key '" + key + "' is not recognized");
    if (key.ends_with(".enabled") && key != "load_balancing.cross_zone.enabled" && value != "true" && value != "false")
      invalid(key, value);
    if (key == "load_balancing.cross_zone.enabled" && value != "true" && value != "false" &&
        value != "use_load_balancer_configuration")
      invalid(key, value);
    if (key == "deregistration_delay.timeout_seconds" && (IntOr(value, -1) < 0 || IntOr(value, -1) > 3600))
      invalid(key, value);
    if (key == "stickiness.type") {
      const bool ok = IsGeneve(tg) ? value == "source_ip_dest_ip_proto" || value == "source_ip_dest_ip" ||
                                         value == "five_tuple"
                                   : value == "source_ip";
      if (!ok) invalid(key, value);
    }
    if ((key == "target_failover.on_deregistration" || key == "target_failover.on_unhealthy") &&
        value != "rebalance" && value != "no_rebalance")
      invalid(key, value);
    if (key == "target_health_state.unhealthy.draining_interval_seconds" &&
        (IntOr(value, -1) < 0 || IntOr(value, -1) > 360000))
      invalid(key, value);
    if (key.ends_with(".minimum_healthy_targets.count") && value != "off" && IntOr(value, -1) < 1) invalid(key, value);
    if (key.ends_with(".minimum_healthy_targets.percentage") && value != "off" &&
        (IntOr(value, -1) < 1 || IntOr(value, -1) > 100))
      invalid(key, value);
    if (key == "preserve_client_ip.enabled" && value == "false" && (tg.protocol == "UDP" || tg.protocol == "TCP_UDP"))
      Fail("InvalidConfigurationRequest", "Client IP preservation cannot be disabled for UDP and TCP_UDP target groups");
  }
  for (const auto& [key, value] : changes) tg.attributes[key] = value;
  tx.Touch(arn);
}

std::vector<std::string> LoadBalancerArnsOf(const Partition& p, const std::string& tg_arn) {
  std::vector<std::string> out;
  for (const auto& [arn, l] : p.listeners)
    if (l.target_group_arn == tg_arn && std::find(out.begin(), out.end(), l.load_balancer_arn) == out.end())
      out.push_back(l.load_balancer_arn);
  return out;
}

void RegisterTargets(Tx& tx, const std::string& arn, const std::vector<TargetSpec>& targets) {
  SweepDrainedTargets(tx, NowTime());
  TargetGroup& tg = GetTargetGroup(tx.p, arn);
  if (targets.empty()) Fail("ValidationError", "At least one target must be specified");
  std::vector<RegisteredTarget> checked;
  for (const auto& spec : targets) checked.push_back(CheckedTarget(tx.p, tg, spec));
  for (auto& t : checked) {
    auto it = FindTarget(tg, t.id, t.port);
    if (it != tg.targets.end()) {
      if (Draining(*it)) *it = t;  // registered again while draining: checked afresh
      continue;                    // already registered: nothing changes
    }
    if (static_cast<int>(tg.targets.size()) >= tx.quotas.Get("targets-per-target-group"))
      Fail("TooManyTargets", "You've reached the limit on the number of targets per target group");
    tg.targets.push_back(t);
  }
  tx.Touch(arn);
}

void DeregisterTargets(Tx& tx, const std::string& arn, const std::vector<TargetSpec>& targets) {
  SweepDrainedTargets(tx, NowTime());
  TargetGroup& tg = GetTargetGroup(tx.p, arn);
  if (targets.empty()) Fail("ValidationError", "At least one target must be specified");
  for (const auto& spec : targets) {
    int port = IsGeneve(tg) ? 6081 : spec.port.value_or(tg.port);
    auto it = FindTarget(tg, spec.id, port);
    if (it == tg.targets.end() || Draining(*it))
      Fail("InvalidTarget", "The target '" + spec.id + "' on port " + std::to_string(port) + " is not registered");
  }
  const int delay = DeregistrationDelay(tg);
  const bool used = !LoadBalancerArnsOf(tx.p, arn).empty();
  for (const auto& spec : targets) {
    int port = IsGeneve(tg) ? 6081 : spec.port.value_or(tg.port);
    auto it = FindTarget(tg, spec.id, port);
    if (delay == 0 || !used) tg.targets.erase(it);  // nothing to drain
    else it->deregistered_at = FormatIso8601(NowTime());
  }
  tx.Touch(arn);
}

std::vector<TargetHealthDescription> DescribeTargetHealth(const Partition& p, const TargetGroup& tg,
                                                          const std::vector<TargetSpec>& targets, TimePoint now) {
  std::vector<TargetHealthDescription> out;
  if (targets.empty()) {
    for (const auto& t : tg.targets) {
      auto d = Describe(p, tg, t, now, FirstLoadBalancerOf(p, tg));
      if (d.reason != "Target.NotRegistered") out.push_back(std::move(d));
    }
    return out;
  }
  for (const auto& spec : targets) {
    int port = IsGeneve(tg) ? 6081 : spec.port.value_or(tg.port);
    auto it = std::find_if(tg.targets.begin(), tg.targets.end(),
                           [&](const RegisteredTarget& t) { return t.id == spec.id && t.port == port; });
    if (it != tg.targets.end()) {
      out.push_back(Describe(p, tg, *it, now, FirstLoadBalancerOf(p, tg)));
      continue;
    }
    if (tg.target_type == "instance") {  // an instance that does not exist is refused (the waiter's InvalidInstance)
      auto i = p.instances.find(spec.id);
      if (i == p.instances.end()) Fail("InvalidTarget", "The following targets are not valid instances: '" + spec.id + "'");
    }
    TargetHealthDescription d;
    d.id = spec.id;
    d.port = port;
    d.health_check_port = tg.health_check_port == "traffic-port" ? std::to_string(port) : tg.health_check_port;
    d.state = "unused";
    d.reason = "Target.NotRegistered";
    d.description = "Target is not registered to the target group";
    out.push_back(std::move(d));
  }
  return out;
}

bool ReportTargetHealth(Tx& tx, const std::string& tg_arn, const std::string& target_id, int port,
                        const std::string& health, const std::string& reason) {
  auto tg = tx.p.target_groups.find(tg_arn);
  if (tg == tx.p.target_groups.end()) return false;
  auto it = FindTarget(tg->second, target_id, port);
  if (it == tg->second.targets.end() || Draining(*it)) return false;
  if (it->health == health && it->reason == reason) return false;
  it->health = health;
  it->reason = reason;
  tx.Touch(tg_arn);
  return true;
}

void SweepDrainedTargets(Tx& tx, TimePoint now) {
  for (auto& [arn, tg] : tx.p.target_groups) {
    auto n = std::erase_if(tg.targets, [&](const RegisteredTarget& t) { return Draining(t) && DrainingOver(tg, t, now); });
    if (n) tx.Touch(arn);
  }
}

std::vector<ResolvedTarget> ResolveTargets(const Partition& p, const TargetGroup& tg, TimePoint now) {
  // Every new flow through a load balancer reads this: one pass over the interfaces finds every
  // target's (an instance's eth0, or the interface that holds an address), not one per target.
  std::unordered_map<std::string, const NetworkInterface*> found;
  for (const auto& t : tg.targets) found.emplace(t.id, nullptr);
  const bool instances = tg.target_type == "instance";
  for (const auto& [id, eni] : p.network_interfaces) {
    if (instances) {
      if (eni.attachment && eni.attachment->device_index == 0)
        if (auto it = found.find(eni.attachment->instance_id); it != found.end()) it->second = &eni;
      continue;
    }
    if (eni.vpc_id != tg.vpc_id) continue;
    for (const auto& a : eni.private_ips)
      if (auto it = found.find(a.address); it != found.end()) it->second = &eni;
    for (const auto& a : eni.ipv6_addresses)
      if (auto it = found.find(a); it != found.end()) it->second = &eni;
  }
  const LoadBalancer* lb = FirstLoadBalancerOf(p, tg);
  std::vector<ResolvedTarget> out;
  for (const auto& t : tg.targets) {
    ResolvedTarget r;
    r.target = &t;
    r.state = Describe(p, tg, t, now, lb).state;
    const NetworkInterface* eni = found.at(t.id);
    if (instances) {
      if (eni) r.ip = eni->PrimaryIp();
    } else {
      r.ip = t.id;
    }
    if (eni) r.network_interface_id = eni->id;
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ResolvedTarget> RoutableTargets(const Partition& p, const LoadBalancer& lb, const TargetGroup& tg,
                                            const std::string& zone, TimePoint now) {
  std::string tg_cross = TargetGroupAttribute(tg, "load_balancing.cross_zone.enabled");
  const bool cross = tg_cross == "use_load_balancer_configuration" ? CrossZoneEnabled(lb) : tg_cross == "true";
  std::vector<ResolvedTarget> candidates, healthy, healthy_elsewhere;
  bool zone_has_targets = false;  // registered ones, also those draining
  for (auto& r : ResolveTargets(p, tg, now)) {
    if (r.ip.empty() || r.state == "unused") continue;
    const bool here = cross || r.target->availability_zone == zone || r.target->availability_zone == "all";
    zone_has_targets |= here;
    if (r.state == "draining") continue;
    if (!here) {
      if (r.state == "healthy") healthy_elsewhere.push_back(std::move(r));
      continue;
    }
    if (r.state == "healthy") healthy.push_back(r);
    candidates.push_back(std::move(r));
  }
  // The node's own zone first; a zone without a healthy target leaves DNS and what still comes
  // to its node goes to the healthy targets of the others; with none healthy anywhere, the
  // load balancer fails open.
  // A zone with no target of its own sends nowhere, whatever the others have: that is why
  // endpoint services whose zones lack targets need cross-zone load balancing (SVC-14).
  if (!zone_has_targets) return {};
  if (!healthy.empty()) return healthy;
  if (!healthy_elsewhere.empty()) return healthy_elsewhere;
  return candidates;
}

namespace {
uint64_t Mix(uint64_t x) {  // splitmix64's finalizer
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
uint64_t HashText(const std::string& s, uint64_t seed) {  // FNV-1a, then mixed
  uint64_t h = 0xcbf29ce484222325ULL ^ seed;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ULL;
  return Mix(h);
}
}  // namespace

uint64_t FlowHash(int protocol, const std::string& src, int src_port, const std::string& dst, int dst_port) {
  return Mix(HashText(src, static_cast<uint64_t>(src_port) << 8 | static_cast<uint64_t>(protocol)) ^
             HashText(dst, static_cast<uint64_t>(dst_port) << 32));
}

const ResolvedTarget* ChooseTarget(const std::vector<ResolvedTarget>& targets, uint64_t flow_hash) {
  const ResolvedTarget* best = nullptr;
  uint64_t best_score = 0;
  for (const auto& t : targets) {
    uint64_t score = Mix(flow_hash ^ HashText(t.target->id, static_cast<uint64_t>(t.target->port)));
    if (!best || score > best_score) {
      best = &t;
      best_score = score;
    }
  }
  return best;
}

uint64_t ApplianceFlowHash(const TargetGroup& tg, int protocol, const std::string& a, int a_port, const std::string& b,
                           int b_port) {
  std::string tuple = "five_tuple";
  if (TargetGroupAttribute(tg, "stickiness.enabled") == "true") tuple = TargetGroupAttribute(tg, "stickiness.type");
  if (tuple != "five_tuple") a_port = b_port = 0;
  if (tuple == "source_ip_dest_ip") protocol = 0;
  // Both directions alike: the two ends in one order.
  if (std::tie(b, b_port) < std::tie(a, a_port)) return FlowHash(protocol, b, b_port, a, a_port);
  return FlowHash(protocol, a, a_port, b, b_port);
}

}  // namespace openvpc::model
