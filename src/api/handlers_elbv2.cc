// Elastic Load Balancing (ELBv2, signing name "elasticloadbalancing", the query protocol):
// Network and Gateway Load Balancers, target groups, listeners, target health and tags (issue
// 13). Every rule is the model's (model/load_balancer.h, model/target_group.h).
#include <algorithm>

#include "api/handlers.h"
#include "model/error.h"
#include "model/load_balancer.h"
#include "model/target_group.h"

namespace openvpc::api {

namespace {

constexpr const char* kService = "elasticloadbalancing";

std::chrono::system_clock::time_point Now() { return std::chrono::system_clock::now(); }

std::optional<int> OptInt(const json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end() || !it->is_number_integer()) return std::nullopt;
  return it->get<int>();
}

std::optional<std::string> OptStr(const json& in, const char* member) {
  auto it = in.find(member);
  if (it == in.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

std::vector<std::pair<std::string, std::string>> AttributesOf(const json& in) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& a : in.value("Attributes", json::array())) out.emplace_back(a.value("Key", ""), a.value("Value", ""));
  return out;
}

json AttributesView(const std::map<std::string, std::string>& attributes) {
  json out = json::array();
  for (const auto& [k, v] : attributes) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

// A Modify…Attributes answer: the attributes the request set, with their new values.
json ChangesView(const std::vector<std::pair<std::string, std::string>>& changes) {
  json out = json::array();
  for (const auto& [k, v] : changes) out.push_back({{"Key", k}, {"Value", v}});
  return out;
}

// Marker/PageSize paging over ITEMS (already in a stable order): NextMarker is the index of
// the next item.
json Page(const json& in, const json& items, const char* member) {
  size_t start = 0;
  if (auto marker = OptStr(in, "Marker")) {
    if (!model::AllDigits(*marker) || marker->size() > 9) model::Fail("ValidationError", "The marker '" + *marker + "' is not valid");
    start = std::stoul(*marker);
  }
  size_t size = static_cast<size_t>(OptInt(in, "PageSize").value_or(400));
  json out = json::object();
  out[member] = json::array();
  for (size_t i = start; i < items.size() && i < start + size; ++i) out[member].push_back(items[i]);
  if (start + size < items.size()) out["NextMarker"] = std::to_string(start + size);
  return out;
}

// ---- views ----

json LoadBalancerView(const model::Partition& p, const model::LoadBalancer& lb, const std::string& state) {
  json zones = json::array();
  for (const auto& n : lb.nodes) {
    json z = {{"ZoneName", n.availability_zone}, {"SubnetId", n.subnet_id}, {"LoadBalancerAddresses", json::array()}};
    json address = json::object();
    if (!n.public_ip.empty()) address["IpAddress"] = n.public_ip;
    if (!n.allocation_id.empty()) address["AllocationId"] = n.allocation_id;
    if (lb.scheme == "internal") address["PrivateIPv4Address"] = n.private_ip;
    if (!n.ipv6_address.empty()) address["IPv6Address"] = n.ipv6_address;
    if (!address.empty()) z["LoadBalancerAddresses"].push_back(address);
    zones.push_back(z);
  }
  json v = {{"LoadBalancerArn", lb.arn},
            {"DNSName", model::LoadBalancerDnsName(lb, p.region)},
            {"CreatedTime", lb.created_time},
            {"LoadBalancerName", lb.name},
            {"Scheme", lb.scheme},
            {"VpcId", lb.vpc_id},
            {"State", {{"Code", state}}},
            {"Type", lb.type},
            {"AvailabilityZones", zones},
            {"IpAddressType", lb.ip_address_type}};
  std::string zone_id = model::CanonicalHostedZoneId(p.region);
  if (!zone_id.empty()) v["CanonicalHostedZoneId"] = zone_id;
  if (!lb.security_groups.empty()) {
    v["SecurityGroups"] = lb.security_groups;
    v["EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"] = lb.enforce_security_group_inbound_rules_on_private_link_traffic;
  }
  return v;
}

json TargetGroupView(const model::Partition& p, const model::TargetGroup& tg) {
  json v = {{"TargetGroupArn", tg.arn},
            {"TargetGroupName", tg.name},
            {"Protocol", tg.protocol},
            {"Port", tg.port},
            {"VpcId", tg.vpc_id},
            {"HealthCheckProtocol", tg.health_check_protocol},
            {"HealthCheckPort", tg.health_check_port},
            {"HealthCheckEnabled", tg.health_check_enabled},
            {"HealthCheckIntervalSeconds", tg.health_check_interval},
            {"HealthCheckTimeoutSeconds", tg.health_check_timeout},
            {"HealthyThresholdCount", tg.healthy_threshold},
            {"UnhealthyThresholdCount", tg.unhealthy_threshold},
            {"LoadBalancerArns", model::LoadBalancerArnsOf(p, tg.arn)},
            {"TargetType", tg.target_type},
            {"IpAddressType", tg.ip_address_type}};
  if (!tg.health_check_path.empty()) v["HealthCheckPath"] = tg.health_check_path;
  if (!tg.matcher.empty()) v["Matcher"] = {{"HttpCode", tg.matcher}};
  return v;
}

json ListenerView(const model::Listener& l) {
  json action = {{"Type", "forward"},
                 {"TargetGroupArn", l.target_group_arn},
                 {"ForwardConfig",
                  {{"TargetGroups", json::array({{{"TargetGroupArn", l.target_group_arn}, {"Weight", 1}}})},
                   {"TargetGroupStickinessConfig", {{"Enabled", false}}}}}};
  json v = {{"ListenerArn", l.arn}, {"LoadBalancerArn", l.load_balancer_arn}, {"DefaultActions", json::array({action})}};
  if (l.port) v["Port"] = l.port;
  if (!l.protocol.empty()) v["Protocol"] = l.protocol;
  return v;
}

// ---- load balancers ----

// SubnetMappings (and, with SUBNETS, Subnets as mappings without addresses).
std::vector<model::SubnetMapping> MappingsOf(const json& in, bool subnets = true) {
  std::vector<model::SubnetMapping> out;
  if (subnets)
    for (const auto& s : StrList(in, "Subnets")) out.push_back({.subnet_id = s});
  for (const auto& m : in.value("SubnetMappings", json::array()))
    out.push_back({.subnet_id = m.value("SubnetId", ""),
                   .allocation_id = m.value("AllocationId", ""),
                   .private_ipv4_address = m.value("PrivateIPv4Address", ""),
                   .ipv6_address = m.value("IPv6Address", "")});
  return out;
}

json CreateLoadBalancer(Call& c) {
  model::CreateLoadBalancerArgs a;
  a.name = Str(c.in, "Name");
  a.type = Str(c.in, "Type");
  a.scheme = Str(c.in, "Scheme");
  a.scheme_given = c.in.contains("Scheme");
  a.ip_address_type = Str(c.in, "IpAddressType");
  a.subnets = StrList(c.in, "Subnets");
  a.mappings = MappingsOf(c.in, /*subnets=*/false);
  a.security_groups = StrList(c.in, "SecurityGroups");
  a.security_groups_given = c.in.contains("SecurityGroups");
  a.tags = TagListOf(c.in.value("Tags", json::array()));
  if (c.in.contains("CustomerOwnedIpv4Pool") || c.in.contains("IpamPools"))
    model::Fail("InvalidConfigurationRequest", "CustomerOwnedIpv4Pool and IpamPools apply to Application Load Balancers only");
  const model::LoadBalancer& lb = model::CreateLoadBalancer(c.tx, a);
  // The answer of the request that made it says provisioning; Describe says active from then on.
  const bool made_now = c.tx.touched().count(lb.arn) > 0;
  return {{"LoadBalancers", json::array({LoadBalancerView(c.p(), lb, made_now ? "provisioning" : model::LoadBalancerState(lb, Now()))})}};
}

json DescribeLoadBalancers(Call& c) {
  auto arns = StrList(c.in, "LoadBalancerArns");
  auto names = StrList(c.in, "Names");
  if (!arns.empty() && !names.empty())
    model::Fail("ValidationError", "Load balancer names and load balancer ARNs cannot be specified at the same time");
  json items = json::array();
  auto& p = c.p();
  if (!arns.empty()) {
    for (const auto& arn : arns) {
      const auto& lb = model::GetLoadBalancer(p, arn);
      items.push_back(LoadBalancerView(p, lb, model::LoadBalancerState(lb, Now())));
    }
  } else if (!names.empty()) {
    std::vector<std::string> missing;
    for (const auto& name : names) {
      auto it = std::find_if(p.load_balancers.begin(), p.load_balancers.end(), [&](const auto& e) { return e.second.name == name; });
      if (it == p.load_balancers.end()) missing.push_back("'" + name + "'");
      else items.push_back(LoadBalancerView(p, it->second, model::LoadBalancerState(it->second, Now())));
    }
    if (!missing.empty()) {
      std::string list;
      for (const auto& m : missing) list += (list.empty() ? "" : ", ") + m;
      model::Fail("LoadBalancerNotFound", "Load balancers '[" + list + "]' not found");
    }
  } else {
    for (const auto& [arn, lb] : p.load_balancers) items.push_back(LoadBalancerView(p, lb, model::LoadBalancerState(lb, Now())));
  }
  return Page(c.in, items, "LoadBalancers");
}

json DeleteLoadBalancer(Call& c) {
  model::DeleteLoadBalancer(c.tx, Str(c.in, "LoadBalancerArn"));
  return json::object();
}

json DescribeLoadBalancerAttributes(Call& c) {
  return {{"Attributes", AttributesView(model::LoadBalancerAttributes(model::GetLoadBalancer(c.p(), Str(c.in, "LoadBalancerArn"))))}};
}

json ModifyLoadBalancerAttributes(Call& c) {
  const std::string arn = Str(c.in, "LoadBalancerArn");
  auto changes = AttributesOf(c.in);
  model::ModifyLoadBalancerAttributes(c.tx, arn, changes);
  return {{"Attributes", ChangesView(changes)}};
}

json SetSubnets(Call& c) {
  const std::string arn = Str(c.in, "LoadBalancerArn");
  model::SetLoadBalancerSubnets(c.tx, arn, MappingsOf(c.in));
  const auto& lb = model::GetLoadBalancer(c.p(), arn);
  json view = LoadBalancerView(c.p(), lb, "active");
  return {{"AvailabilityZones", view["AvailabilityZones"]}, {"IpAddressType", lb.ip_address_type}};
}

json SetSecurityGroups(Call& c) {
  const std::string arn = Str(c.in, "LoadBalancerArn");
  model::SetLoadBalancerSecurityGroups(c.tx, arn, StrList(c.in, "SecurityGroups"),
                                       Str(c.in, "EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic"));
  const auto& lb = model::GetLoadBalancer(c.p(), arn);
  return {{"SecurityGroupIds", lb.security_groups},
          {"EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic", lb.enforce_security_group_inbound_rules_on_private_link_traffic}};
}

json SetIpAddressType(Call& c) {
  model::SetLoadBalancerIpAddressType(c.tx, Str(c.in, "LoadBalancerArn"), Str(c.in, "IpAddressType"));
  return {{"IpAddressType", Str(c.in, "IpAddressType")}};
}

// ---- target groups ----

model::HealthCheckSettings HealthCheckOf(const json& in) {
  model::HealthCheckSettings h;
  h.protocol = OptStr(in, "HealthCheckProtocol");
  h.port = OptStr(in, "HealthCheckPort");
  h.path = OptStr(in, "HealthCheckPath");
  if (in.contains("Matcher")) {
    if (in["Matcher"].contains("GrpcCode")) model::Fail("InvalidConfigurationRequest", "gRPC matchers apply to Application Load Balancers only");
    h.matcher = in["Matcher"].value("HttpCode", "");
  }
  if (in.contains("HealthCheckEnabled")) h.enabled = Bool(in, "HealthCheckEnabled");
  h.interval = OptInt(in, "HealthCheckIntervalSeconds");
  h.timeout = OptInt(in, "HealthCheckTimeoutSeconds");
  h.healthy_threshold = OptInt(in, "HealthyThresholdCount");
  h.unhealthy_threshold = OptInt(in, "UnhealthyThresholdCount");
  return h;
}

json CreateTargetGroup(Call& c) {
  model::CreateTargetGroupArgs a;
  a.name = Str(c.in, "Name");
  a.protocol = Str(c.in, "Protocol");
  a.port = OptInt(c.in, "Port");
  a.vpc_id = Str(c.in, "VpcId");
  a.target_type = Str(c.in, "TargetType");
  a.ip_address_type = Str(c.in, "IpAddressType");
  if (c.in.contains("ProtocolVersion"))
    model::Fail("ValidationError", "A protocol version can be specified only for HTTP and HTTPS target groups of Application Load Balancers");
  a.health_check = HealthCheckOf(c.in);
  a.tags = TagListOf(c.in.value("Tags", json::array()));
  const auto& tg = model::CreateTargetGroup(c.tx, a);
  return {{"TargetGroups", json::array({TargetGroupView(c.p(), tg)})}};
}

json DescribeTargetGroups(Call& c) {
  auto& p = c.p();
  auto arns = StrList(c.in, "TargetGroupArns");
  auto names = StrList(c.in, "Names");
  const std::string lb_arn = Str(c.in, "LoadBalancerArn");
  if ((!arns.empty()) + (!names.empty()) + (!lb_arn.empty()) > 1)
    model::Fail("ValidationError", "Only one of target group ARNs, names or a load balancer ARN can be specified");
  json items = json::array();
  if (!arns.empty()) {
    for (const auto& arn : arns) items.push_back(TargetGroupView(p, model::GetTargetGroup(p, arn)));
  } else if (!names.empty()) {
    for (const auto& name : names) {
      auto it = std::find_if(p.target_groups.begin(), p.target_groups.end(), [&](const auto& e) { return e.second.name == name; });
      if (it == p.target_groups.end()) model::Fail("TargetGroupNotFound", "One or more target groups not found");
      items.push_back(TargetGroupView(p, it->second));
    }
  } else {
    if (!lb_arn.empty()) model::GetLoadBalancer(p, lb_arn);
    for (const auto& [arn, tg] : p.target_groups) {
      if (!lb_arn.empty()) {
        auto lbs = model::LoadBalancerArnsOf(p, arn);
        if (std::find(lbs.begin(), lbs.end(), lb_arn) == lbs.end()) continue;
      }
      items.push_back(TargetGroupView(p, tg));
    }
  }
  return Page(c.in, items, "TargetGroups");
}

json ModifyTargetGroup(Call& c) {
  const auto& tg = model::ModifyTargetGroup(c.tx, Str(c.in, "TargetGroupArn"), HealthCheckOf(c.in));
  return {{"TargetGroups", json::array({TargetGroupView(c.p(), tg)})}};
}

json DeleteTargetGroup(Call& c) {
  model::DeleteTargetGroup(c.tx, Str(c.in, "TargetGroupArn"));
  return json::object();
}

json DescribeTargetGroupAttributes(Call& c) {
  return {{"Attributes", AttributesView(model::TargetGroupAttributes(model::GetTargetGroup(c.p(), Str(c.in, "TargetGroupArn"))))}};
}

json ModifyTargetGroupAttributes(Call& c) {
  auto changes = AttributesOf(c.in);
  model::ModifyTargetGroupAttributes(c.tx, Str(c.in, "TargetGroupArn"), changes);
  return {{"Attributes", ChangesView(changes)}};
}

std::vector<model::TargetSpec> TargetsOf(const json& in) {
  std::vector<model::TargetSpec> out;
  for (const auto& t : in.value("Targets", json::array())) {
    model::TargetSpec s;
    s.id = t.value("Id", "");
    if (t.contains("Port") && t["Port"].is_number_integer()) s.port = t["Port"].get<int>();
    s.availability_zone = t.value("AvailabilityZone", "");
    if (t.contains("QuicServerId")) model::Fail("ValidationError", "QUIC server ids apply to QUIC target groups only");
    out.push_back(std::move(s));
  }
  return out;
}

json RegisterTargets(Call& c) {
  model::RegisterTargets(c.tx, Str(c.in, "TargetGroupArn"), TargetsOf(c.in));
  return json::object();
}

json DeregisterTargets(Call& c) {
  model::DeregisterTargets(c.tx, Str(c.in, "TargetGroupArn"), TargetsOf(c.in));
  return json::object();
}

json DescribeTargetHealth(Call& c) {
  auto& p = c.p();
  const auto& tg = model::GetTargetGroup(p, Str(c.in, "TargetGroupArn"));
  json out = json::array();
  for (const auto& d : model::DescribeTargetHealth(p, tg, TargetsOf(c.in), Now())) {
    json target = {{"Id", d.id}, {"Port", d.port}};
    if (!d.availability_zone.empty()) target["AvailabilityZone"] = d.availability_zone;
    json health = {{"State", d.state}};
    if (!d.reason.empty() && d.state != "healthy") health["Reason"] = d.reason;
    if (!d.description.empty() && d.state != "healthy") health["Description"] = d.description;
    out.push_back({{"Target", target}, {"HealthCheckPort", d.health_check_port}, {"TargetHealth", health}});
  }
  return {{"TargetHealthDescriptions", out}};
}

// ---- listeners ----

model::ListenerArgs ListenerArgsOf(const json& in, bool create) {
  model::ListenerArgs a;
  a.load_balancer_arn = Str(in, "LoadBalancerArn");
  a.port = OptInt(in, "Port");
  a.protocol = Str(in, "Protocol");
  a.has_certificates = !in.value("Certificates", json::array()).empty();
  a.tags = TagListOf(in.value("Tags", json::array()));
  if (in.contains("AlpnPolicy") || in.contains("SslPolicy")) {
    if (a.protocol != "TLS") model::Fail("ValidationError", "An SSL policy and ALPN policy can be specified only for TLS listeners");
  }
  if (in.contains("MutualAuthentication"))
    model::Fail("ValidationError", "Mutual authentication applies to HTTPS listeners of Application Load Balancers only");
  const json actions = in.value("DefaultActions", json::array());
  if (create && actions.empty()) model::Fail("ValidationError", "A default action must be specified");
  if (actions.size() > 1) model::Fail("TooManyActions", "A Network or Gateway Load Balancer listener has one default action");
  for (const auto& action : actions) {
    if (action.value("Type", "") != "forward")
      model::Fail("InvalidLoadBalancerAction", "Network and Gateway Load Balancers support only the forward action");
    std::string tg = action.value("TargetGroupArn", "");
    if (action.contains("ForwardConfig")) {
      const json groups = action["ForwardConfig"].value("TargetGroups", json::array());
      if (groups.size() > 1)
        model::Fail("InvalidLoadBalancerAction", "A Network Load Balancer's forward action has one target group");
      std::string from_config = groups.empty() ? "" : groups[0].value("TargetGroupArn", "");
      if (!tg.empty() && !from_config.empty() && tg != from_config)
        model::Fail("ValidationError", "The target group of TargetGroupArn and ForwardConfig must be the same");
      if (tg.empty()) tg = from_config;
    }
    if (tg.empty()) model::Fail("ValidationError", "A target group ARN must be specified for the forward action");
    a.target_group_arn = tg;
  }
  return a;
}

json CreateListener(Call& c) {
  const auto& l = model::CreateListener(c.tx, ListenerArgsOf(c.in, true));
  return {{"Listeners", json::array({ListenerView(l)})}};
}

json DescribeListeners(Call& c) {
  auto& p = c.p();
  const std::string lb_arn = Str(c.in, "LoadBalancerArn");
  auto arns = StrList(c.in, "ListenerArns");
  if (lb_arn.empty() == arns.empty())
    model::Fail("ValidationError", "You must specify either listener ARNs or a load balancer ARN");
  json items = json::array();
  if (!lb_arn.empty()) {
    model::GetLoadBalancer(p, lb_arn);
    for (const model::Listener* l : model::ListenersOf(p, lb_arn)) items.push_back(ListenerView(*l));
  } else {
    for (const auto& arn : arns) items.push_back(ListenerView(model::GetListener(p, arn)));
  }
  return Page(c.in, items, "Listeners");
}

json ModifyListener(Call& c) {
  model::ListenerArgs a = ListenerArgsOf(c.in, false);
  const auto& l = model::ModifyListener(c.tx, Str(c.in, "ListenerArn"), a);
  return {{"Listeners", json::array({ListenerView(l)})}};
}

json DeleteListener(Call& c) {
  model::DeleteListener(c.tx, Str(c.in, "ListenerArn"));
  return json::object();
}

// ---- tags and limits ----

json AddTags(Call& c) {
  model::AddElbTags(c.tx, StrList(c.in, "ResourceArns"), TagListOf(c.in.value("Tags", json::array())));
  return json::object();
}

json RemoveTags(Call& c) {
  model::RemoveElbTags(c.tx, StrList(c.in, "ResourceArns"), StrList(c.in, "TagKeys"));
  return json::object();
}

json DescribeTags(Call& c) {
  json out = json::array();
  for (const auto& arn : StrList(c.in, "ResourceArns"))
    out.push_back({{"ResourceArn", arn}, {"Tags", TagsView(model::ElbTagsOf(c.p(), arn))}});
  return {{"TagDescriptions", out}};
}

json DescribeAccountLimits(Call& c) {
  const auto& q = c.tx.quotas;
  json limits = json::array({
      {{"Name", "network-load-balancers"}, {"Max", std::to_string(q.Get("network-load-balancers-per-region"))}},
      {{"Name", "gateway-load-balancers"}, {"Max", std::to_string(q.Get("gateway-load-balancers-per-region"))}},
      {{"Name", "target-groups"}, {"Max", std::to_string(q.Get("target-groups-per-region"))}},
      {{"Name", "listeners-per-network-load-balancer"}, {"Max", std::to_string(q.Get("listeners-per-network-load-balancer"))}},
      {{"Name", "targets-per-target-group"}, {"Max", std::to_string(q.Get("targets-per-target-group"))}},
  });
  return Page(c.in, limits, "Limits");
}

}  // namespace

void RegisterElbv2Handlers() {
  Register("CreateLoadBalancer", CreateLoadBalancer, true, kService);
  Register("DescribeLoadBalancers", DescribeLoadBalancers, false, kService);
  Register("DeleteLoadBalancer", DeleteLoadBalancer, true, kService);
  Register("DescribeLoadBalancerAttributes", DescribeLoadBalancerAttributes, false, kService);
  Register("ModifyLoadBalancerAttributes", ModifyLoadBalancerAttributes, true, kService);
  Register("SetSubnets", SetSubnets, true, kService);
  Register("SetSecurityGroups", SetSecurityGroups, true, kService);
  Register("SetIpAddressType", SetIpAddressType, true, kService);
  Register("CreateTargetGroup", CreateTargetGroup, true, kService);
  Register("DescribeTargetGroups", DescribeTargetGroups, false, kService);
  Register("ModifyTargetGroup", ModifyTargetGroup, true, kService);
  Register("DeleteTargetGroup", DeleteTargetGroup, true, kService);
  Register("DescribeTargetGroupAttributes", DescribeTargetGroupAttributes, false, kService);
  Register("ModifyTargetGroupAttributes", ModifyTargetGroupAttributes, true, kService);
  Register("RegisterTargets", RegisterTargets, true, kService);
  Register("DeregisterTargets", DeregisterTargets, true, kService);
  Register("DescribeTargetHealth", DescribeTargetHealth, false, kService);
  Register("CreateListener", CreateListener, true, kService);
  Register("DescribeListeners", DescribeListeners, false, kService);
  Register("ModifyListener", ModifyListener, true, kService);
  Register("DeleteListener", DeleteListener, true, kService);
  Register("AddTags", AddTags, true, kService);
  Register("RemoveTags", RemoveTags, true, kService);
  Register("DescribeTags", DescribeTags, false, kService);
  Register("DescribeAccountLimits", DescribeAccountLimits, false, kService);
}

}  // namespace openvpc::api
