// The gateways on the data plane, as a property: random VPCs with an internet gateway (attached,
// never there, attached then detached, or replaced by another: routes to the old one stay as
// blackholes), a NAT gateway (public, private, deleted or none), public addresses (Elastic IPs,
// launch-time addresses), security groups and network ACLs; random first packets to and from the
// internet.
// The engine (Engine::Inject with an internet port), the pipeline (Trace, TraceFromInternet)
// and a reference evaluator written from the guide (shared/spec/inventory-vpc-guide.md G, I, K,
// M, N; reference_evaluator.h and below: plain loops over the model, no pipeline, no
// model/evaluate.h) must agree on every flow. Replies to the allowed outbound flows are checked
// on the engine, which holds the state, against the stateless part of the reference (N1, M3).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <sstream>

#include "dataplane/engine/engine.h"
#include "dataplane/pipeline.h"
#include "dataplane_testing.h"
#include "model/rules.h"
#include "model/address.h"
#include "model/error.h"
#include "model/instance.h"
#include "model/nat_gateway.h"
#include "model/network_acl.h"
#include "model/network_interface.h"
#include "model/dhcp_options.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/tags.h"
#include "model/vpc.h"
#include "model/security_group.h"
#include "reference_evaluator.h"

using namespace openvpc;
using namespace openvpc::model;
using namespace openvpc::testing::reference;
using dataplane::Engine;
using dataplane::MacAddress;
using dataplane::ParsedFrame;
using openvpc::testing::ChecksumsValid;
using openvpc::testing::FlowFrame;

namespace {

const MacAddress kInternetMac{2, 0, 0, 0, 0, 0xfd};
constexpr int kEchoId = 0x1234;  // the identifier of FlowFrame's echo requests

bool StartsWith(const std::string& s, const char* prefix) { return s.rfind(prefix, 0) == 0; }

// ---------------------------------------------------------------------------------------------
// The reference: what the guide says about the first packet of a flow.

struct Verdict {
  bool allowed = false;
  std::string drop;                         // the rule that drops it; "" when allowed
  std::string exit_igw;                     // outbound: the internet gateway it leaves by
  std::optional<net::Ipv4> translated_src;  // outbound: the public source address (I1, K15)
  std::optional<net::Ipv4> translated_dst;  // inbound: the private destination address (I1)
  std::string nat;                          // the NAT gateway that translates (or stops) it
  std::string eni;                          // inbound: the interface it reaches
};

Verdict Drop(std::string why) { return Verdict{.drop = std::move(why)}; }

const InternetGateway* RefAttachedIgw(const Partition& p, const std::string& vpc) {
  for (const auto& [id, g] : p.internet_gateways)
    for (const auto& a : g.attachments)
      if (a.vpc_id == vpc) return &g;
  return nullptr;
}

// G13: a route whose target is gone stays in the table as a blackhole. A route to an internet
// gateway leads somewhere while the gateway is attached to the table's VPC (I2); one to a NAT
// gateway while the gateway routes (§1.8: pending reads as available — the NAT clock of these
// tests stands still at the creation time — and deleting ones route nothing, K16).
bool RefRouteActive(const Partition& p, const RouteTable& rt, const Route& r) {
  if (r.target_member == "GatewayId" && r.target_id == "local") return true;
  if (StartsWith(r.target_id, "igw-")) {
    auto g = p.internet_gateways.find(r.target_id);
    if (g == p.internet_gateways.end()) return false;
    for (const auto& a : g->second.attachments)
      if (a.vpc_id == rt.vpc_id) return true;
    return false;
  }
  if (StartsWith(r.target_id, "nat-")) {
    auto g = p.nat_gateways.find(r.target_id);
    return g != p.nat_gateways.end() && g->second.state == "pending";
  }
  return false;
}

const NetworkInterface* RefInterface(const Partition& p, const std::string& id) {
  auto it = p.network_interfaces.find(id);
  return it == p.network_interfaces.end() ? nullptr : &it->second;
}

bool RefHasElasticIpOn(const Partition& p, const NetworkInterface& eni, const std::string& private_ip) {
  for (const auto& [id, a] : p.addresses)
    if (a.network_interface_id == eni.id && a.private_ip_address == private_ip) return true;
  return false;
}

// I1/S1: the public address the internet gateway gives PRIVATE_IP of ENI: the Elastic IP
// associated with that private address, else, for the primary address, the public address from
// launch (IP-10; IP-13(b): an Elastic IP on eth0 releases it, so the Elastic IP comes first).
std::string RefPublicOf(const Partition& p, const NetworkInterface& eni, const std::string& private_ip) {
  for (const auto& [id, a] : p.addresses)
    if (a.network_interface_id == eni.id && a.private_ip_address == private_ip) return a.public_ip;
  return private_ip == eni.private_ips.front().address ? eni.public_ip : "";
}

// Outbound, F from SRC's primary address to an internet address.
Verdict RefOutbound(const Partition& p, const NetworkInterface& src, const Flow& f) {
  if (!RefSgAllows(p, src, f, true)) return Drop("M2/M4 security groups egress");
  const RouteTable* rt = RefRouteTableOf(p, src.subnet_id);
  const Route* r = rt ? RefLongestPrefixMatch(*rt, f.dst) : nullptr;
  const bool active = r && RefRouteActive(p, *rt, *r);
  const NatGateway* nat = nullptr;
  const NetworkInterface* nat_eni = nullptr;
  if (active && StartsWith(r->target_id, "nat-")) {
    nat = &p.nat_gateways.at(r->target_id);
    nat_eni = RefInterface(p, nat->network_interface_id);
  }
  // O1, N6: an ACL guards its subnet's border; the hop to a NAT gateway of the same subnet does
  // not cross it (the gateway's own way out does, below).
  const bool stays_in_subnet = nat_eni && nat_eni->subnet_id == src.subnet_id;
  if (!stays_in_subnet && !RefAclAllows(p, src.subnet_id, f, true)) return Drop("N2 source subnet ACL outbound");
  if (!r) return Drop("G2 no route");
  if (!active) return Drop("G13 blackhole route");
  Verdict v;
  if (StartsWith(r->target_id, "igw-")) {
    // I2: all four: the gateway attached (active route), the subnet's route, a public address, ACL and SG.
    std::string pub = RefPublicOf(p, src, f.src.ToString());
    if (pub.empty()) return Drop("I2 no public address");
    v.allowed = true;
    v.exit_igw = r->target_id;
    v.translated_src = RefIp(pub);
    return v;
  }
  if (!nat || !nat_eni) return Drop("unexpected route target " + r->target_id);
  // K5: TCP, UDP and ICMP only (all the flows here). K6, N13: no security groups, but the NAT
  // gateway's subnet ACL applies to its traffic: inbound from the client's subnet, outbound
  // from the gateway's private address.
  if (nat_eni->subnet_id != src.subnet_id && !RefAclAllows(p, nat_eni->subnet_id, f, false))
    return Drop("K6 NAT subnet ACL inbound");
  Flow out = f;
  out.src = RefIp(nat->private_ip);
  if (!RefAclAllows(p, nat_eni->subnet_id, out, true)) return Drop("K6 NAT subnet ACL outbound");
  // K14: the NAT gateway's subnet routes to the internet gateway.
  const RouteTable* nrt = RefRouteTableOf(p, nat_eni->subnet_id);
  const Route* nr = RefLongestPrefixMatch(*nrt, f.dst);
  if (!nr) return Drop("K14 NAT subnet: no route");
  if (!RefRouteActive(p, *nrt, *nr)) return Drop("K14 NAT subnet: blackhole route");
  if (!StartsWith(nr->target_id, "igw-")) return Drop("K14 NAT subnet: route not to an internet gateway");
  // "If you route traffic from the private NAT gateway to the internet gateway, the internet
  // gateway drops the traffic" (NAT gateways, Amazon VPC User Guide): it has no public address.
  if (nat->connectivity_type == "private") return Drop("private NAT gateway: no public address");
  v.allowed = true;
  v.exit_igw = nr->target_id;
  v.translated_src = RefIp(nat->public_ip);  // K15
  v.nat = nat->id;
  return v;
}

// Inbound, F from an internet address to a public address of the pool.
Verdict RefInbound(const Partition& p, const Flow& f) {
  // I1: the public address stands for one private address of one interface: an associated
  // Elastic IP (S1), or the address given at launch to the primary private address — released
  // when an Elastic IP is associated with eth0 (IP-13(b), inventory-ec2-network-security).
  const std::string dst = f.dst.ToString();
  const NetworkInterface* eni = nullptr;
  std::string priv;
  for (const auto& [id, a] : p.addresses)
    if (a.public_ip == dst && !a.network_interface_id.empty()) {
      eni = RefInterface(p, a.network_interface_id);
      priv = a.private_ip_address;
    }
  if (!eni)
    for (const auto& [id, e] : p.network_interfaces)
      if (e.public_ip == dst) {
        if (RefHasElasticIpOn(p, e, e.private_ips.front().address))
          return Drop("IP-13(b) launch-time address released by an Elastic IP on eth0");
        eni = &e;
        priv = e.private_ips.front().address;
      }
  if (!eni) return Drop("I1 no interface holds the address");
  if (!RefAttachedIgw(p, eni->vpc_id)) return Drop("I2 no internet gateway attached");
  Flow in = f;
  in.dst = RefIp(priv);
  Verdict v{.translated_dst = in.dst, .eni = eni->id};
  // O2: internet gateway -> subnet ACL inbound -> security groups inbound; N13: the ACL also
  // guards a NAT gateway's subnet.
  if (!RefAclAllows(p, eni->subnet_id, in, false)) {
    v.drop = "N2 destination subnet ACL inbound";
    return v;
  }
  for (const auto& [id, g] : p.nat_gateways)
    if (g.network_interface_id == eni->id) {
      v.nat = id;
      v.drop = "K11/K12 NAT gateway: nothing unsolicited";
      return v;
    }
  if (!RefSgAllows(p, *eni, in, false)) {
    v.drop = "M2 security groups ingress";
    return v;
  }
  v.allowed = true;
  return v;
}

// The reply to an allowed outbound flow F (V its verdict) as the internet host sends it: to the
// public address, to NAT_PORT for a NAT gateway's connection. Security groups are stateful
// (M3: "responses to allowed outbound are allowed in regardless of inbound rules"); ACLs are not
// (N1: "responses are evaluated against the opposite-direction rules"): the client's subnet
// inbound, and for a NAT gateway its subnet inbound (to the gateway's own address and port),
// then, toward a client of another subnet, its subnet outbound and the client's inbound (K6).
std::string RefReplyDrop(const Partition& p, const NetworkInterface& src, const Flow& f, const Verdict& v,
                         int nat_port) {
  Flow r = f;
  std::swap(r.src, r.dst);
  std::swap(r.src_port, r.dst_port);
  if (f.protocol == 1) r.icmp_type = 0;
  if (v.nat.empty())
    return RefAclAllows(p, src.subnet_id, r, false) ? "" : "N1 client subnet ACL inbound";
  const NatGateway& g = p.nat_gateways.at(v.nat);
  const NetworkInterface& nat_eni = p.network_interfaces.at(g.network_interface_id);
  Flow at_nat = r;
  at_nat.dst = RefIp(g.private_ip);
  if (f.protocol != 1) at_nat.dst_port = nat_port;
  if (!RefAclAllows(p, nat_eni.subnet_id, at_nat, false)) return "N1 NAT subnet ACL inbound";
  if (nat_eni.subnet_id == src.subnet_id) return "";
  if (!RefAclAllows(p, nat_eni.subnet_id, r, true)) return "N1 NAT subnet ACL outbound";
  if (!RefAclAllows(p, src.subnet_id, r, false)) return "N1 client subnet ACL inbound";
  return "";
}

// ---------------------------------------------------------------------------------------------
// Random configurations.

struct World {
  State state;
  Partition* p = nullptr;
  std::string vpc;
  std::vector<std::string> subnets;
  std::string igw_mode;  // none | attached | detached | replaced
  std::string nat_mode;  // none | live | private | deleted
  std::string nat;
  std::vector<std::string> enis;             // the instances' interfaces (each an engine port)
  std::vector<std::string> public_choice;    // per interface: none | launch | eip | launch+eip
  std::vector<std::string> pool_addresses;   // public addresses to aim at from the internet
};

constexpr const char* kCidrs[] = {"0.0.0.0/0",       "0.0.0.0/0",     "203.0.113.0/24", "203.0.113.0/25",
                                  "203.0.113.128/25", "10.0.0.0/16",   "10.0.1.0/24",    "10.0.2.0/24",
                                  "198.51.100.0/24",  "192.0.2.0/24"};
constexpr std::array<std::pair<int, int>, 8> kPortRanges = {
    {{80, 80}, {443, 443}, {22, 22}, {53, 53}, {1024, 65535}, {32768, 65535}, {0, 65535}, {8000, 8999}}};
constexpr int kDstPorts[] = {22, 53, 80, 443, 8080, 8443, 33000};

class Rng {
 public:
  explicit Rng(uint32_t seed) : g_(seed) {}
  int operator()(int n) { return static_cast<int>(g_() % static_cast<uint32_t>(n)); }
  bool Chance(int num, int den) { return (*this)(den) < num; }
  template <typename T, size_t N>
  const T& Of(const T (&a)[N]) { return a[(*this)(N)]; }

 private:
  std::mt19937 g_;
};

std::string AclAssociationOf(const Partition& p, const std::string& subnet) {
  for (const auto& [id, acl] : p.network_acls)
    for (const auto& as : acl.associations)
      if (as.subnet_id == subnet) return as.id;
  return "";
}

void BuildWorld(World& w, Rng& pick) {
  State& state = w.state;
  state.quotas.Set("elastic-ips-per-region", 20);
  Partition& p = state.partitions[{"123456789012", "us-east-1"}];
  w.p = &p;
  p.account_id = "123456789012";
  p.region = "us-east-1";
  Tx tx(p, state.quotas, &state);
  InitializePartition(tx);
  w.vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
  const int n_subnets = 2 + pick(2);
  std::vector<std::string> tables;  // per subnet; "" when the subnet keeps the main table
  for (int i = 0; i < n_subnets; ++i) {
    w.subnets.push_back(CreateSubnet(tx, {.vpc_id = w.vpc, .cidr_block = "10.0." + std::to_string(i + 1) + ".0/24",
                                          .availability_zone = "us-east-1a"})
                            .id);
    if (i > 0 && pick.Chance(1, 4)) {
      tables.push_back("");  // G7: implicitly on the main table
      continue;
    }
    tables.push_back(CreateRouteTable(tx, w.vpc, {}).id);
    AssociateRouteTable(tx, tables.back(), w.subnets.back(), "");
  }
  std::string main = MainRouteTable(p, w.vpc).id;
  auto table = [&](int i) { return tables[i].empty() ? main : tables[i]; };
  std::set<std::pair<std::string, std::string>> routed;  // (table, destination)
  auto route = [&](const std::string& rt, const std::string& dst, const std::string& target) {
    if (target.empty() || !routed.insert({rt, dst}).second) return;
    CreateRoute(tx, {.route_table_id = rt, .destination_cidr_block = dst,
                     .target_member = StartsWith(target, "nat-") ? "NatGatewayId" : "GatewayId", .target_id = target});
  };
  const char* kDestinations[] = {"0.0.0.0/0", "0.0.0.0/0", "203.0.113.0/25", "203.0.113.128/25"};

  // The internet gateway. Detaching it needs a VPC without public addresses (AA5): routes to
  // the old gateway are made first, the public addresses after.
  const int mode = pick(10);
  w.igw_mode = mode == 0 ? "none" : mode <= 6 ? "attached" : mode <= 8 ? "detached" : "replaced";
  std::string igw;
  if (w.igw_mode != "none") {
    igw = CreateInternetGateway(tx, {}).id;
    AttachInternetGateway(tx, igw, w.vpc);
  }
  if (w.igw_mode == "detached" || w.igw_mode == "replaced") {
    for (int i = 0; i < n_subnets; ++i)
      if (pick.Chance(2, 3)) route(table(i), kDestinations[pick(4)], igw);
    DetachInternetGateway(tx, igw, w.vpc);  // G13: its routes stay, as blackholes
    igw.clear();
    if (w.igw_mode == "replaced") {
      igw = CreateInternetGateway(tx, {}).id;
      AttachInternetGateway(tx, igw, w.vpc);
    }
  }

  // The NAT gateway (K14: only with an internet gateway attached, else it fails).
  int nat_subnet = -1;
  w.nat_mode = "none";
  if (!igw.empty() && pick.Chance(3, 4)) {
    nat_subnet = pick(n_subnets);
    if (pick.Chance(1, 5)) {  // a private NAT gateway: no Elastic IP
      w.nat = CreateNatGateway(tx, {.subnet_id = w.subnets[nat_subnet], .connectivity_type = "private"}).id;
      w.nat_mode = "private";
    } else {
      Address& eip = AllocateAddress(tx, {});
      w.pool_addresses.push_back(eip.public_ip);
      w.nat = CreateNatGateway(tx, {.subnet_id = w.subnets[nat_subnet], .allocation_id = eip.allocation_id}).id;
      w.nat_mode = "live";
    }
  }

  // Routes: each table's default route (and sometimes a narrower one, I3) to the internet
  // gateway, the NAT gateway or nowhere. The NAT gateway's own subnet mostly routes to the
  // internet gateway, as K14 asks.
  auto target = [&](int subnet) -> std::string {
    int t = pick(3);
    if (subnet == nat_subnet && pick.Chance(2, 3)) t = 0;
    return t == 0 ? igw : t == 1 ? w.nat : "";
  };
  std::set<std::string> done;
  for (int i = 0; i < n_subnets; ++i) {
    if (!done.insert(table(i)).second) continue;
    route(table(i), "0.0.0.0/0", target(i));
    if (pick.Chance(1, 4)) route(table(i), pick.Chance(1, 2) ? "203.0.113.0/25" : "203.0.113.128/25", target(i));
  }
  if (!w.nat.empty() && pick.Chance(1, 5)) {  // K16, G13: deleted, its routes blackholes
    DeleteNatGateway(tx, w.nat);
    w.nat_mode = "deleted";
  }

  // Security groups: the default egress rule (M4) kept or not, random rules both ways.
  std::vector<std::string> groups;
  const char* kProtocols[] = {"tcp", "tcp", "udp", "icmp", "-1"};
  for (int g = 0; g < 3; ++g) {
    std::string id =
        CreateSecurityGroup(tx, {.group_name = "g" + std::to_string(g), .description = "g", .vpc_id = w.vpc}).id;
    groups.push_back(id);
    if (pick.Chance(1, 3))
      RevokeSecurityGroupRules(tx, id, true, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"}}, {}, nullptr);
  }
  for (const auto& g : groups)
    for (int r = 0, n = pick(5); r < n; ++r) {
      RuleSpec s{.ip_protocol = pick.Of(kProtocols)};
      if (s.ip_protocol == "tcp" || s.ip_protocol == "udp") {
        auto [from, to] = kPortRanges[pick(kPortRanges.size())];
        s.from_port = from;
        s.to_port = to;
      } else if (s.ip_protocol == "icmp") {
        s.from_port = std::array{8, 0, -1}[pick(3)];
        s.to_port = -1;
      }
      if (pick.Chance(1, 10))
        s.referenced_group_id = groups[pick(static_cast<int>(groups.size()))];
      else
        s.cidr_ipv4 = pick.Of(kCidrs);
      try {
        AuthorizeSecurityGroupRules(tx, g, pick.Chance(2, 5), {s});
      } catch (const Error&) {  // a duplicate rule
      }
    }

  // Network ACLs: a custom one (N5: denies all until entries are added) on some subnets.
  const char* kAclProtocols[] = {"6", "6", "17", "1", "-1"};
  for (const auto& subnet : w.subnets) {
    if (pick.Chance(1, 2)) continue;  // the default ACL: rule 100 allows all (N4)
    std::string acl = CreateNetworkAcl(tx, w.vpc, {}).id;
    for (bool egress : {false, true}) {
      std::set<int> used;
      for (int e = 0, n = 1 + pick(4); e < n; ++e) {
        NetworkAclEntryArgs x{.network_acl_id = acl, .rule_number = 10 * (1 + pick(20)), .egress = egress,
                              .protocol = pick.Of(kAclProtocols), .rule_action = pick.Chance(3, 5) ? "allow" : "deny",
                              .cidr_block = pick.Of(kCidrs)};
        if (!used.insert(x.rule_number).second) continue;
        if (x.protocol == "6" || x.protocol == "17") {
          auto [from, to] = kPortRanges[pick(kPortRanges.size())];
          x.port_from = from;
          x.port_to = to;
        } else if (x.protocol == "1") {
          x.icmp_type = std::array{8, 0, -1}[pick(3)];
          x.icmp_code = -1;
        }
        CreateNetworkAclEntry(tx, x);
      }
      if (pick.Chance(1, 2))  // a catch-all after the random entries
        CreateNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = 500, .egress = egress, .protocol = "-1",
                                   .rule_action = "allow", .cidr_block = "0.0.0.0/0"});
    }
    ReplaceNetworkAclAssociation(tx, AclAssociationOf(p, subnet), acl);
  }

  // Instances: none, a launch-time public address, an Elastic IP, or both (IP-13(b)).
  for (int i = 0, n = 3 + pick(3); i < n; ++i) {
    std::vector<std::string> gs = {groups[pick(3)]};
    if (pick.Chance(1, 3) && gs[0] != groups[0]) gs.push_back(groups[0]);
    const std::string subnet = w.subnets[pick(n_subnets)];
    const int c = pick(4);
    std::string choice = c == 0 ? "none" : c == 1 ? "launch" : c == 2 ? "eip" : "launch+eip";
    if (igw.empty() && choice == "eip") choice = "none";  // EIP-17: no association without a gateway
    if (igw.empty() && choice == "launch+eip") choice = "launch";
    RunInstancesArgs args{.image_id = "ami-12345678", .instance_type = "t2.micro"};
    if (StartsWith(choice, "launch"))
      args.interfaces = {LaunchInterface{.subnet_id = subnet, .group_ids = gs, .associate_public_ip = true}};
    else {
      args.subnet_id = subnet;
      args.group_ids = gs;
    }
    std::string inst = RunInstances(tx, args)[0]->id;
    const NetworkInterface& eni = *InterfacesOf(p, inst)[0];
    w.enis.push_back(eni.id);
    w.public_choice.push_back(choice);
    if (!eni.public_ip.empty()) w.pool_addresses.push_back(eni.public_ip);
    if (choice == "eip" || choice == "launch+eip") {
      Address& eip = AllocateAddress(tx, {});
      AssociateAddress(tx, {.allocation_id = eip.allocation_id, .network_interface_id = eni.id});
      w.pool_addresses.push_back(eip.public_ip);
    }
  }
  if (pick.Chance(1, 3)) w.pool_addresses.push_back(AllocateAddress(tx, {}).public_ip);  // allocated, not associated
}

// ---------------------------------------------------------------------------------------------
// What the mismatches print: the configuration and the flow.

std::string FlowText(const Flow& f) {
  std::ostringstream o;
  o << (f.protocol == 6 ? "tcp" : f.protocol == 17 ? "udp" : "icmp") << " " << f.src.ToString();
  if (f.protocol != 1) o << ":" << f.src_port;
  o << " -> " << f.dst.ToString();
  if (f.protocol != 1) o << ":" << f.dst_port;
  else o << " type " << f.icmp_type << " code " << f.icmp_code;
  return o.str();
}

std::string Describe(const World& w) {
  const Partition& p = *w.p;
  std::ostringstream o;
  o << "  internet gateway: " << w.igw_mode;
  for (const auto& [id, g] : p.internet_gateways)
    for (const auto& a : g.attachments)
      if (a.vpc_id == w.vpc) o << " (" << id << " attached)";
  o << "\n  NAT gateway: " << w.nat_mode;
  if (!w.nat.empty()) {
    const NatGateway& g = p.nat_gateways.at(w.nat);
    o << " " << g.id << " in " << g.subnet_id << " " << g.private_ip << " / " << g.public_ip << " state " << g.state;
  }
  o << "\n";
  for (const auto& s : w.subnets) {
    o << "  " << s << " " << p.subnets.at(s).cidr_block << " routes (" << RefRouteTableOf(p, s)->id << "):";
    const RouteTable& rt = *RefRouteTableOf(p, s);
    for (const auto& r : rt.routes)
      o << " " << r.destination_cidr_block << "->" << r.target_id << (RefRouteActive(p, rt, r) ? "" : "(blackhole)");
    o << "\n    acl";
    for (const auto& [id, acl] : p.network_acls)
      for (const auto& as : acl.associations)
        if (as.subnet_id == s) {
          o << " " << id << ":";
          for (const auto& e : acl.entries) {
            if (e.cidr_block.empty()) continue;
            o << " [" << (e.egress ? "out " : "in ") << e.rule_number << " " << e.rule_action << " p" << e.protocol;
            if (e.protocol == "6" || e.protocol == "17") o << " " << e.port_from << "-" << e.port_to;
            if (e.protocol == "1") o << " t" << e.icmp_type << "/c" << e.icmp_code;
            o << " " << e.cidr_block << "]";
          }
        }
    o << "\n";
  }
  std::set<std::string> groups;
  for (size_t i = 0; i < w.enis.size(); ++i) {
    const NetworkInterface& e = p.network_interfaces.at(w.enis[i]);
    o << "  " << e.id << " in " << e.subnet_id << " " << e.PrimaryIp() << " public " << w.public_choice[i] << ":";
    if (!e.public_ip.empty()) o << " launch " << e.public_ip;
    for (const auto& [id, a] : p.addresses)
      if (a.network_interface_id == e.id) o << " eip " << a.public_ip;
    o << " groups";
    for (const auto& g : e.group_ids) {
      o << " " << g;
      groups.insert(g);
    }
    o << "\n";
  }
  for (const auto& g : groups) {
    o << "  " << g << ":";
    for (const auto& r : p.security_groups.at(g).rules)
      o << " [" << (r.egress ? "out " : "in ") << r.ip_protocol << " " << r.from_port << "-" << r.to_port << " "
        << (r.cidr_ipv4.empty() ? r.referenced_group_id : r.cidr_ipv4) << "]";
    o << "\n";
  }
  return o.str();
}

std::string TraceText(const dataplane::TraceResult& t) {
  std::ostringstream o;
  o << (t.allowed ? "allowed" : "dropped");
  for (const auto& s : t.stages)
    o << " | " << s.stage << " " << s.name << (s.allowed ? "" : " DROP") << " " << s.component << " " << s.rule
      << (s.note.empty() ? "" : " (" + s.note + ")");
  if (!t.exit_target.empty()) o << " exit " << t.exit_target;
  if (t.translated_src) o << " src->" << t.translated_src->ToString();
  if (t.translated_dst) o << " dst->" << t.translated_dst->ToString();
  if (!t.nat_gateway.empty()) o << " nat " << t.nat_gateway;
  return o.str();
}

std::string VerdictText(const Verdict& v) {
  std::ostringstream o;
  o << (v.allowed ? "allowed" : "dropped: " + v.drop);
  if (!v.exit_igw.empty()) o << " exit " << v.exit_igw;
  if (v.translated_src) o << " src->" << v.translated_src->ToString();
  if (v.translated_dst) o << " dst->" << v.translated_dst->ToString();
  if (!v.nat.empty()) o << " nat " << v.nat;
  if (!v.eni.empty()) o << " at " << v.eni;
  return o.str();
}

// ---------------------------------------------------------------------------------------------
// The engine's side: what comes out of Inject.

struct Out {
  std::string port;  // "" when nothing came out
  ParsedFrame pf;
  size_t frames = 0;
  bool checksums = true;
};

Out Send(Engine& engine, const std::string& from, const std::vector<uint8_t>& frame) {
  Out o;
  auto sent = engine.Inject(from, frame);
  o.frames = sent.size();
  if (sent.empty()) return o;
  o.port = sent.front().first;
  o.checksums = ChecksumsValid(sent.front().second);
  dataplane::ParseFrame(sent.front().second, o.pf);
  return o;
}

std::string OutText(const Out& o) {
  if (o.port.empty()) return "dropped";
  std::ostringstream s;
  s << o.frames << " frame(s), to " << o.port << ": " << o.pf.src.ToString() << ":" << o.pf.src_port << " -> "
    << o.pf.dst.ToString() << ":" << o.pf.dst_port << (o.checksums ? "" : " BAD CHECKSUMS");
  return s.str();
}

// A first packet of F as the engine sees it: a TCP SYN, a UDP datagram, an ICMP echo (request
// or reply) with identifier ID.
std::vector<uint8_t> FirstPacket(const Flow& f, const MacAddress& mac, int id = kEchoId,
                                 uint8_t tcp_flags = dataplane::kTcpSyn) {
  auto frame = FlowFrame(f, mac, tcp_flags);
  if (f.protocol == 1 && id != kEchoId) {
    frame[14 + 20 + 4] = static_cast<uint8_t>(id >> 8);
    frame[14 + 20 + 5] = static_cast<uint8_t>(id);
    ParsedFrame pf;
    dataplane::ParseFrame(frame, pf);
    dataplane::SetL4Checksum(frame, pf);
  }
  return frame;
}

class NatClock {  // NAT gateways available at once, and the clock restored afterwards
 public:
  NatClock() {
    auto t = std::chrono::system_clock::now();
    SetNatGatewayClock([t] { return t; });
  }
  ~NatClock() { SetNatGatewayClock({}); }
};

struct Counts {
  int configs = 0, flows = 0, mismatches = 0;
  int outbound = 0, outbound_igw = 0, outbound_nat = 0, inbound = 0, inbound_allowed = 0;
  int replies = 0, replies_delivered = 0, nat_replies = 0, nat_replies_delivered = 0;
  std::map<std::string, int> dropped;  // by the reference's rule
  std::map<std::string, int> mismatch_kinds;  // direction, what disagreed, the reference's verdict
  std::map<std::string, int> configs_by;
};

TEST(GatewaysProperty, EngineTraceAndReferenceEvaluatorAgree) {
  RegisterAllRules();
  NatClock clock;
  Rng pick(20261123);
  Counts n;
  constexpr int kConfigs = 500, kOutbound = 40, kInbound = 24;
  const auto started = std::chrono::steady_clock::now();
  int printed = 0;
  for (int config = 0; config < kConfigs; ++config) {
    World w;
    BuildWorld(w, pick);
    const Partition& p = *w.p;
    ++n.configs;
    ++n.configs_by["igw " + w.igw_mode + ", nat " + w.nat_mode];
    openvpc::testing::StateSource source(w.state);
    auto fresh_engine = [&] {  // no connections, no NAT bindings, no cached flows from other flows
      auto e = std::make_unique<Engine>(source);
      for (const auto& id : w.enis) e->AddPort({.eni_id = id, .account = p.account_id, .region = p.region});
      e->SetInternetPort({.fd = -1, .mac = kInternetMac});
      return e;
    };
    auto report = [&](const std::string& what, const Flow& f, const std::vector<std::string>& problems,
                      const std::string& reference, const std::string& details) {
      ++n.mismatches;
      std::string kind = what + " (reference " + reference + "):";
      for (const auto& s : problems) kind += " " + s + ";";
      if (++n.mismatch_kinds[kind] > 2 || printed++ >= 12) return;  // the first two of each kind
      std::ostringstream o;
      o << what << " mismatch, config " << config << ", flow " << FlowText(f) << ":\n";
      for (const auto& s : problems) o << "  * " << s << "\n";
      o << details << Describe(w);
      ADD_FAILURE() << o.str();
    };
    auto random_flow = [&](net::Ipv4 src, net::Ipv4 dst) {
      Flow f{.protocol = std::array{6, 6, 17, 1}[pick(4)], .src = src, .dst = dst};
      if (f.protocol == 1) {
        f.icmp_type = 8;
        f.icmp_code = 0;
      } else {
        f.src_port = 1024 + pick(64512);
        f.dst_port = pick.Chance(1, 6) ? 1024 + pick(64512) : pick.Of(kDstPorts);
      }
      return f;
    };
    auto internet_host = [&] {
      return pick.Chance(1, 10) ? RefIp("192.0.2." + std::to_string(1 + pick(254)))
                                : RefIp("203.0.113." + std::to_string(1 + pick(254)));
    };

    // (a) From an instance to the internet.
    for (int i = 0; i < kOutbound; ++i) {
      const NetworkInterface& src = p.network_interfaces.at(w.enis[pick(static_cast<int>(w.enis.size()))]);
      Flow f = random_flow(RefIp(src.PrimaryIp()), internet_host());
      Verdict want = RefOutbound(p, src, f);
      dataplane::TraceResult t = dataplane::Trace(p, src, f);
      auto engine = fresh_engine();
      Out out = Send(*engine, src.id, FirstPacket(f, *dataplane::ParseMac(src.mac_address)));
      ++n.flows;
      ++n.outbound;
      std::vector<std::string> problems;
      if (t.allowed != want.allowed) problems.push_back("trace and reference disagree");
      if (!out.port.empty() != want.allowed) problems.push_back("engine and reference disagree");
      if (want.allowed) {
        ++(want.nat.empty() ? n.outbound_igw : n.outbound_nat);
        if (t.allowed && (t.exit_target != want.exit_igw || t.translated_src != want.translated_src ||
                          t.nat_gateway != want.nat))
          problems.push_back("trace's exit, translated source or NAT gateway differ");
        if (!out.port.empty()) {
          const bool port_ok = want.nat.empty() ? out.pf.src_port == (f.protocol == 1 ? kEchoId : f.src_port)
                                                : out.pf.src_port >= 1024;  // K6
          if (out.port != "internet" || out.frames != 1 || !out.checksums || out.pf.src != *want.translated_src ||
              out.pf.dst != f.dst || !port_ok || (f.protocol != 1 && out.pf.dst_port != f.dst_port))
            problems.push_back("the engine's frame differs");
        }
      } else {
        ++n.dropped["out: " + want.drop];
      }
      if (!problems.empty()) {
        report("outbound", f, problems, want.allowed ? "allowed" : want.drop,
               "  reference: " + VerdictText(want) + "\n  trace: " + TraceText(t) + "\n  engine: " + OutText(out) +
                   "\n  from " + src.id + "\n");
        continue;
      }
      if (!want.allowed || out.port.empty()) continue;
      // The reply, on the same engine: back to the instance's own address and port (I1, K12).
      Flow r{.protocol = f.protocol, .src = f.dst, .dst = out.pf.src, .src_port = f.dst_port,
             .dst_port = out.pf.src_port};
      if (f.protocol == 1) {
        r.icmp_type = 0;
        r.icmp_code = 0;
      }
      const std::string drop = RefReplyDrop(p, src, f, want, out.pf.src_port);
      Out back = Send(*engine, "internet",
                      FirstPacket(r, kInternetMac, out.pf.src_port, dataplane::kTcpSyn | dataplane::kTcpAck));
      ++n.replies;
      n.nat_replies += !want.nat.empty();
      std::vector<std::string> reply_problems;
      if (!back.port.empty() != drop.empty()) reply_problems.push_back("engine and reference disagree on the reply");
      if (!back.port.empty()) {
        ++n.replies_delivered;
        n.nat_replies_delivered += !want.nat.empty();
        const int port = f.protocol == 1 ? kEchoId : f.src_port;
        if (back.port != src.id || back.frames != 1 || !back.checksums || back.pf.dst != f.src ||
            back.pf.dst_port != port || back.pf.src != f.dst)
          reply_problems.push_back("the reply's frame differs: not to the instance's own address and port");
      } else {
        ++n.dropped["reply: " + drop];
      }
      if (!reply_problems.empty()) {
        report("reply", r, reply_problems, drop.empty() ? "delivered" : drop,
               "  to the flow " + FlowText(f) + " (" + VerdictText(want) + ")\n  reference: " +
                   (drop.empty() ? "delivered" : "dropped: " + drop) + "\n  engine: " + OutText(back) + "\n");
      }
    }

    // (b) From the internet to a public address of the pool: held or not.
    for (int i = 0; i < kInbound; ++i) {
      net::Ipv4 dst = w.pool_addresses.empty() || pick.Chance(1, 6)
                          ? RefIp("198.51.100." + std::to_string(1 + pick(254)))
                          : RefIp(w.pool_addresses[pick(static_cast<int>(w.pool_addresses.size()))]);
      Flow f = random_flow(internet_host(), dst);
      Verdict want = RefInbound(p, f);
      dataplane::TraceResult t = dataplane::TraceFromInternet(p, f);
      auto engine = fresh_engine();
      Out out = Send(*engine, "internet", FirstPacket(f, kInternetMac));
      ++n.flows;
      ++n.inbound;
      std::vector<std::string> problems;
      if (t.allowed != want.allowed) problems.push_back("trace and reference disagree");
      if (!out.port.empty() != want.allowed) problems.push_back("engine and reference disagree");
      if (t.nat_gateway != want.nat) problems.push_back("trace's NAT gateway differs");
      if (want.allowed) {
        ++n.inbound_allowed;
        if (t.allowed && (t.translated_dst != want.translated_dst || !t.destination || t.destination->id != want.eni))
          problems.push_back("trace's destination or translated destination differ");
        if (!out.port.empty() &&
            (out.port != want.eni || out.frames != 1 || !out.checksums || out.pf.dst != *want.translated_dst ||
             out.pf.src != f.src || (f.protocol != 1 && out.pf.dst_port != f.dst_port)))
          problems.push_back("the engine's frame differs");
      } else {
        ++n.dropped["in: " + want.drop];
      }
      if (!problems.empty())
        report("inbound", f, problems, want.allowed ? "allowed" : want.drop,
               "  reference: " + VerdictText(want) + "\n  trace: " + TraceText(t) + "\n  engine: " + OutText(out) +
                   "\n");
    }
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::ostringstream summary;
  summary << "[gateways property] " << n.configs << " configurations, " << n.flows << " flows in " << seconds
          << " s: outbound " << n.outbound << " (allowed " << n.outbound_igw << " by the internet gateway, "
          << n.outbound_nat << " through the NAT gateway), inbound " << n.inbound << " (allowed " << n.inbound_allowed
          << "), replies " << n.replies << " (delivered " << n.replies_delivered << "; through the NAT gateway "
          << n.nat_replies_delivered << " of " << n.nat_replies << "); mismatches " << n.mismatches
          << "\n  dropped:";
  for (const auto& [why, count] : n.dropped) summary << " [" << why << ": " << count << "]";
  for (const auto& [kind, count] : n.mismatch_kinds) summary << "\n  MISMATCH " << count << " x " << kind;
  summary << "\n  configurations:";
  for (const auto& [what, count] : n.configs_by) summary << " [" << what << ": " << count << "]";
  std::cout << summary.str() << std::endl;
  RecordProperty("flows", n.flows);
  RecordProperty("mismatches", n.mismatches);

  EXPECT_EQ(n.flows, kConfigs * (kOutbound + kInbound));
  EXPECT_EQ(n.mismatches, 0);
  // Every outcome occurs.
  EXPECT_GT(n.outbound_igw, 50);
  EXPECT_GT(n.outbound_nat, 50);
  EXPECT_GT(n.inbound_allowed, 50);
  EXPECT_GT(n.replies_delivered, 50);
  EXPECT_GT(n.nat_replies_delivered, 50);
  for (const char* why : {"out: M2/M4 security groups egress", "out: N2 source subnet ACL outbound",
                          "out: G2 no route", "out: G13 blackhole route", "out: I2 no public address",
                          "out: K6 NAT subnet ACL inbound", "out: K6 NAT subnet ACL outbound",
                          "out: K14 NAT subnet: no route", "in: I1 no interface holds the address",
                          "in: I2 no internet gateway attached", "in: N2 destination subnet ACL inbound",
                          "in: K11/K12 NAT gateway: nothing unsolicited", "in: M2 security groups ingress",
                          "reply: N1 client subnet ACL inbound", "reply: N1 NAT subnet ACL inbound"})
    EXPECT_GT(n.dropped[why], 0) << why;
}

// The one configuration behind the property test's IP-13(b) mismatches, on its own:
// inventory-ec2-network-security IP-13(b) "Associating an EIP … with eth0 (VPC) releases [the
// launch-time public IP]" (and A23: "Associate an EIP to eth0 → the public IP is released").
// Once released, the old address stands for nobody (I1), so the internet reaches the instance
// by its Elastic IP only.
TEST(GatewaysProperty, AnElasticIpOnEth0ReleasesTheLaunchTimeAddress) {
  RegisterAllRules();
  State state;
  Partition& p = state.partitions[{"123456789012", "us-east-1"}];
  p.account_id = "123456789012";
  p.region = "us-east-1";
  Tx tx(p, state.quotas, &state);
  InitializePartition(tx);
  std::string vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
  std::string subnet =
      CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .availability_zone = "us-east-1a"}).id;
  std::string igw = CreateInternetGateway(tx, {}).id;
  AttachInternetGateway(tx, igw, vpc);
  CreateRoute(tx, {.route_table_id = MainRouteTable(p, vpc).id, .destination_cidr_block = "0.0.0.0/0",
                   .target_member = "GatewayId", .target_id = igw});
  std::string web = CreateSecurityGroup(tx, {.group_name = "web", .description = "web", .vpc_id = vpc}).id;
  AuthorizeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 22, .to_port = 22,
                                                        .cidr_ipv4 = "0.0.0.0/0"}});
  std::string inst = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro",
                                       .interfaces = {LaunchInterface{.subnet_id = subnet, .group_ids = {web},
                                                                      .associate_public_ip = true}}})[0]->id;
  const NetworkInterface& eni = *InterfacesOf(p, inst)[0];
  const std::string launch_ip = eni.public_ip;
  ASSERT_FALSE(launch_ip.empty());
  Address& eip = AllocateAddress(tx, {});
  AssociateAddress(tx, {.allocation_id = eip.allocation_id, .network_interface_id = eni.id});

  openvpc::testing::StateSource source(state);
  for (const std::string& to : {eip.public_ip, launch_ip}) {
    Flow f{.protocol = 6, .src = RefIp("203.0.113.10"), .dst = RefIp(to), .src_port = 40000, .dst_port = 22};
    Engine engine(source);
    engine.AddPort({.eni_id = eni.id, .account = p.account_id, .region = p.region});
    engine.SetInternetPort({.fd = -1, .mac = kInternetMac});
    const bool want = to == eip.public_ip;
    const std::string what = to + (want ? " (the Elastic IP)" : " (the released launch-time address)");
    EXPECT_EQ(RefInbound(p, f).allowed, want) << "reference, to " << what;
    EXPECT_EQ(dataplane::TraceFromInternet(p, f).allowed, want) << "trace, to " << what;
    EXPECT_EQ(!engine.Inject("internet", FirstPacket(f, kInternetMac)).empty(), want) << "engine, to " << what;
  }
}

}  // namespace
