// The stages of a new IPv4 flow (dataplane/pipeline.h) over a partition built with the model's
// own operations, and a property test against a reference evaluator written from the guide.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <random>
#include <set>

#include "dataplane/engine/engine.h"
#include "dataplane/pipeline.h"
#include "dataplane_testing.h"
#include "model/rules.h"
#include "model/address.h"
#include "model/error.h"
#include "model/instance.h"
#include "model/network_acl.h"
#include "model/network_interface.h"
#include "model/dhcp_options.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "model/security_group.h"
#include "reference_evaluator.h"

using namespace openvpc;
using namespace openvpc::model;
using dataplane::Trace;

namespace {

net::Ipv4 Ip(const std::string& s) { return *net::ParseIpv4(s); }

class PipelineTest : public ::testing::Test {
 protected:
  PipelineTest() {
    RegisterAllRules();
    Partition& p = Part();
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx = NewTx();
    InitializePartition(tx);
    vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    subnet_a = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .availability_zone = "us-east-1a"}).id;
    subnet_b = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .availability_zone = "us-east-1a"}).id;
    web = CreateSecurityGroup(tx, {.group_name = "web", .description = "web", .vpc_id = vpc}).id;
    AuthorizeSecurityGroupRules(tx, web, false, {RuleSpec{.ip_protocol = "tcp", .from_port = 80, .to_port = 80,
                                                          .cidr_ipv4 = "10.0.0.0/16"}});
    a = Launch(tx, subnet_a);
    b = Launch(tx, subnet_b);
    c = Launch(tx, subnet_b);
  }
  Partition& Part() { return state.partitions[{"123456789012", "us-east-1"}]; }
  Tx NewTx() { return Tx(Part(), state.quotas, &state); }
  std::string Launch(Tx& tx, const std::string& subnet) {
    std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet,
                                       .group_ids = {web}})[0]->id;
    return InterfacesOf(Part(), id)[0]->id;
  }
  const NetworkInterface& Eni(const std::string& id) { return Part().network_interfaces.at(id); }
  Flow TcpFlow(const std::string& from_eni, int port) {
    return Flow{.protocol = 6, .src = Ip(Eni(from_eni).PrimaryIp()), .src_port = 40000, .dst_port = port};
  }
  dataplane::TraceResult Run(const std::string& from, const std::string& to_ip, int port) {
    return Trace(Part(), Eni(from), Ip(to_ip), TcpFlow(from, port));
  }
  dataplane::TraceResult Run(const std::string& from, const std::string& to_eni_id, int port, bool) {
    return Run(from, Eni(to_eni_id).PrimaryIp(), port);
  }
  std::string AclAssociationOf(const std::string& subnet) {
    for (const auto& [id, acl] : Part().network_acls)
      for (const auto& as : acl.associations)
        if (as.subnet_id == subnet) return as.id;
    return "";
  }

  State state;
  std::string vpc, subnet_a, subnet_b, web, a, b, c;
};

TEST_F(PipelineTest, SecurityGroupOpensAPort) {  // M1, M2
  auto t = Run(a, b, 80, true);
  EXPECT_TRUE(t.allowed);
  ASSERT_EQ(t.stages.size(), 7u);
  std::vector<int> numbers;
  for (const auto& s : t.stages) numbers.push_back(s.stage);
  EXPECT_EQ(numbers, (std::vector<int>{3, 4, 5, 6, 7, 8, 9}));
  EXPECT_EQ(t.stages.back().component, web);
  EXPECT_EQ(t.destination->id, b);

  t = Run(a, b, 22, true);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 9);
  EXPECT_EQ(t.stages.back().explanation_code, "ENI_SG_RULES_MISMATCH");
  EXPECT_EQ(t.stages.back().component, web);
}

// Stage 2 (O3, R1, R13): what the router answers itself is judged by no group, ACL or route,
// as the engine answers it; other link-local addresses end there (nothing is forwarded).
TEST_F(PipelineTest, TheRoutersOwnServicesAreStageTwoAndUnfiltered) {
  Tx tx = NewTx();  // nothing may leave a's groups, and a's subnet ACL denies everything out
  RevokeSecurityGroupRules(tx, web, true, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"}}, {}, nullptr);
  std::string acl = CreateNetworkAcl(tx, vpc, {}).id;
  ReplaceNetworkAclAssociation(tx, AclAssociationOf(subnet_a), acl);
  auto udp = [&](const std::string& to, int port) {
    Flow f{.protocol = 17, .src = Ip(Eni(a).PrimaryIp()), .src_port = 40000, .dst_port = port};
    return Trace(Part(), Eni(a), Ip(to), f);
  };
  for (const char* resolver : {"10.0.0.2", "169.254.169.253"}) {
    auto t = udp(resolver, 53);
    EXPECT_TRUE(t.allowed) << resolver;
    ASSERT_EQ(t.stages.size(), 1u);
    EXPECT_EQ(t.stages[0].stage, 2);
    EXPECT_EQ(t.stages[0].name, "local-services");
    EXPECT_EQ(t.stages[0].rule, "Amazon DNS server (R1)");
  }
  auto md = Run(a, "169.254.169.254", 80);
  EXPECT_TRUE(md.allowed);
  EXPECT_EQ(md.stages.back().rule, "instance metadata service (O3)");
  auto other = Run(a, "169.254.10.10", 80);  // no service there, and no route takes it anywhere
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.stages.back().stage, 2);
  EXPECT_EQ(other.stages.back().explanation_code, "LINK_LOCAL_NOT_FORWARDED");
  // The positive control of the filters: ordinary traffic on the same path is stopped by them.
  EXPECT_FALSE(Run(a, b, 80, true).allowed);
  EXPECT_EQ(Run(a, b, 80, true).stages.back().stage, 4);
  // R2: without enableDnsSupport the Amazon DNS server does not answer.
  ModifyVpcAttribute(tx, vpc, "enableDnsSupport", false);
  auto off = udp("10.0.0.2", 53);
  EXPECT_FALSE(off.allowed);
  EXPECT_EQ(off.stages.back().explanation_code, "DNS_SUPPORT_DISABLED");
}

// O1, N6: traffic to an address of the source's own subnet crosses none of its ACLs, whether or
// not an interface holds the address: stage 5 says so, and delivery finds nobody.
TEST_F(PipelineTest, SameSubnetIsDecidedByTheAddress) {
  Tx tx = NewTx();
  std::string acl = CreateNetworkAcl(tx, vpc, {}).id;  // denies everything
  ReplaceNetworkAclAssociation(tx, AclAssociationOf(subnet_a), acl);
  auto t = Run(a, "10.0.1.200", 80);  // in a's subnet, held by no interface
  EXPECT_FALSE(t.allowed);
  ASSERT_GE(t.stages.size(), 3u);
  EXPECT_EQ(t.stages[2].stage, 5);
  EXPECT_EQ(t.stages[2].note, "same subnet: not crossed");
  EXPECT_EQ(t.stages.back().stage, 7);
  EXPECT_EQ(t.stages.back().explanation_code, "NO_DESTINATION_INTERFACE");
  auto other = Run(a, "10.0.2.200", 80);  // another subnet: the deny-all ACL stops it at stage 5
  EXPECT_FALSE(other.allowed);
  EXPECT_EQ(other.stages.back().stage, 5);
}

TEST_F(PipelineTest, EgressNeedsARule) {  // M4: a group without outbound rules lets nothing out
  Tx tx = NewTx();
  RevokeSecurityGroupRules(tx, web, true, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"}}, {}, nullptr);
  auto t = Run(a, b, 80, true);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 4);
  EXPECT_EQ(t.stages.back().explanation_code, "ENI_SG_RULES_MISMATCH");
}

TEST_F(PipelineTest, NaclDenyWinsOverLaterAllowAndIsNotCrossedInsideASubnet) {  // N2, N6
  Tx tx = NewTx();
  std::string acl = CreateNetworkAcl(tx, vpc, {}).id;
  CreateNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = 100, .egress = false, .protocol = "6",
                             .rule_action = "deny", .cidr_block = "10.0.0.0/16", .port_from = 80, .port_to = 80});
  CreateNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = 200, .egress = false, .protocol = "-1",
                             .rule_action = "allow", .cidr_block = "0.0.0.0/0"});
  CreateNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = 100, .egress = true, .protocol = "-1",
                             .rule_action = "allow", .cidr_block = "0.0.0.0/0"});
  ReplaceNetworkAclAssociation(tx, AclAssociationOf(subnet_b), acl);

  auto t = Run(a, b, 80, true);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 8);
  EXPECT_EQ(t.stages.back().component, acl);
  EXPECT_EQ(t.stages.back().rule, "100 deny");
  EXPECT_EQ(t.stages.back().explanation_code, "SUBNET_ACL_RESTRICTION");

  t = Run(c, b, 80, true);  // both in subnet b: the ACL is not crossed
  EXPECT_TRUE(t.allowed);
  EXPECT_EQ(t.stages[5].stage, 8);
  EXPECT_FALSE(t.stages[5].note.empty());

  // The way back out of subnet b: outbound 100 allows, but subnet a's default ACL is crossed inbound.
  t = Run(b, a, 80, true);
  EXPECT_TRUE(t.allowed);

  // A deny on the way out (N: outbound entries of the source subnet).
  CreateNetworkAclEntry(tx, {.network_acl_id = acl, .rule_number = 50, .egress = true, .protocol = "6",
                             .rule_action = "deny", .cidr_block = "10.0.1.0/24", .port_from = 80, .port_to = 80});
  t = Run(b, a, 80, true);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 5);
  EXPECT_EQ(t.stages.back().rule, "50 deny");

  // A new custom ACL without entries denies everything (N5): the `*` rule.
  std::string empty = CreateNetworkAcl(tx, vpc, {}).id;
  ReplaceNetworkAclAssociation(tx, AclAssociationOf(subnet_b), empty);
  t = Run(a, b, 80, true);
  EXPECT_EQ(t.stages.back().stage, 8);
  EXPECT_EQ(t.stages.back().rule, "* deny");
  // Inside subnet b even a deny-all ACL is not crossed, on the way out either (O1, N6).
  t = Run(c, b, 80, true);
  EXPECT_TRUE(t.allowed);
  EXPECT_EQ(t.stages[2].stage, 5);
  EXPECT_EQ(t.stages[2].note, "same subnet: not crossed");
}

TEST_F(PipelineTest, RoutesNoRouteTargetAndBlackhole) {  // G2, G13
  auto t = Run(a, "192.168.0.1", 80);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 6);
  EXPECT_EQ(t.stages.back().explanation_code, "NO_ROUTE_TO_DESTINATION");

  Tx tx = NewTx();
  std::string igw = CreateInternetGateway(tx, {}).id;
  AttachInternetGateway(tx, igw, vpc);
  std::string rtb = MainRouteTable(Part(), vpc).id;
  CreateRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "0.0.0.0/0", .target_member = "GatewayId",
                   .target_id = igw});
  t = Run(a, "192.168.0.1", 80);  // I3: no public address, no internet
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 7);
  EXPECT_EQ(t.stages.back().component, igw);
  EXPECT_EQ(t.stages.back().explanation_code, "NO_PUBLIC_IPV4_ADDRESS");
  EXPECT_EQ(t.stages[t.stages.size() - 2].component, rtb);
  Address& eip = AllocateAddress(tx, {});
  AssociateAddress(tx, {.allocation_id = eip.allocation_id, .network_interface_id = a});
  t = Run(a, "192.168.0.1", 80);  // I2: the gateway stands in with the Elastic IP
  EXPECT_TRUE(t.allowed);
  EXPECT_EQ(t.exit_target, igw);
  EXPECT_EQ(t.stages.back().rule, Eni(a).PrimaryIp() + " -> " + eip.public_ip);
  ASSERT_TRUE(t.translated_src);
  EXPECT_EQ(t.translated_src->ToString(), eip.public_ip);
  DisassociateAddress(tx, Part().addresses.at(eip.allocation_id).association_id);

  DetachInternetGateway(tx, igw, vpc);  // the route stays, now a blackhole
  t = Run(a, "192.168.0.1", 80);
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 6);
  EXPECT_EQ(t.stages.back().explanation_code, "BAD_STATE_ROUTE");

  t = Run(a, "10.0.2.250", 80);  // local route, but no interface holds the address
  EXPECT_FALSE(t.allowed);
  EXPECT_EQ(t.stages.back().stage, 7);
}

TEST_F(PipelineTest, SourceDestCheck) {  // F: source/destination check
  Flow spoofed = TcpFlow(a, 80);
  spoofed.src = Ip("10.0.1.200");
  auto t = Trace(Part(), Eni(a), Ip(Eni(b).PrimaryIp()), spoofed);
  EXPECT_FALSE(t.allowed);
  ASSERT_EQ(t.stages.size(), 1u);
  EXPECT_EQ(t.stages[0].stage, 3);
  EXPECT_EQ(t.stages[0].component, a);

  Tx tx = NewTx();
  SetNetworkInterfaceSourceDestCheck(tx, a, false);
  t = Trace(Part(), Eni(a), Ip(Eni(b).PrimaryIp()), spoofed);
  EXPECT_TRUE(t.allowed);
}

// ---- property test: the engine, Trace and a reference evaluator written from the guide's words ----

using namespace openvpc::testing::reference;  // RefSgAllows, RefAclAllows, RefInCidr (M2, N2)

// The stage that drops F, or 0 when it is delivered. The VPC has only its local route here.
int Reference(const Partition& p, const NetworkInterface& src, const Flow& f, const std::string& vpc_cidr) {
  if (src.source_dest_check && std::none_of(src.private_ips.begin(), src.private_ips.end(),
                                            [&](auto& ip) { return Ip(ip.address) == f.src; }))
    return 3;
  if (!RefSgAllows(p, src, f, true)) return 4;
  // "NACLs control traffic in and out of a subnet" (O1, N6): inside one subnet neither is crossed,
  // whether or not an interface holds the destination address.
  const NetworkInterface* dst = nullptr;
  for (const auto& [id, eni] : p.network_interfaces)
    if (eni.vpc_id == src.vpc_id && Ip(eni.PrimaryIp()) == f.dst) dst = &eni;
  const bool same_subnet = RefInCidr(p.subnets.at(src.subnet_id).cidr_block, f.dst);
  if (!same_subnet && !RefAclAllows(p, src.subnet_id, f, true)) return 5;
  if (!RefInCidr(vpc_cidr, f.dst)) return 6;
  if (!dst) return 7;
  if (dst->subnet_id != src.subnet_id && !RefAclAllows(p, dst->subnet_id, f, false)) return 8;
  if (!RefSgAllows(p, *dst, f, false)) return 9;
  return 0;
}

TEST(PipelineProperty, EngineTraceAndReferenceEvaluatorAgree) {
  RegisterAllRules();
  std::mt19937 rng(20261122);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  const char* protos[] = {"tcp", "udp", "icmp", "-1"};
  const char* acl_protos[] = {"6", "17", "1", "-1"};
  const char* cidrs[] = {"0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "10.0.1.0/26", "10.0.2.128/25"};
  const int ports[] = {22, 53, 80, 443, 8080};
  int flows = 0, mismatches = 0;
  std::map<int, int> by_stage;
  for (int config = 0; config < 20; ++config) {
    State state;
    Partition& p = state.partitions[{"123456789012", "us-east-1"}];
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx(p, state.quotas, &state);
    InitializePartition(tx);
    std::string vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    std::string subnets[] = {
        CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .availability_zone = "us-east-1a"}).id,
        CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .availability_zone = "us-east-1a"}).id};
    std::vector<std::string> groups;
    for (int g = 0; g < 3; ++g) {
      std::string id = CreateSecurityGroup(tx, {.group_name = "g" + std::to_string(g), .description = "g",
                                                .vpc_id = vpc}).id;
      groups.push_back(id);
      if (pick(3) == 0)
        RevokeSecurityGroupRules(tx, id, true, {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"}}, {},
                                 nullptr);
    }
    for (const auto& g : groups)
      for (int r = 0; r < 1 + pick(4); ++r) {
        RuleSpec s{.ip_protocol = protos[pick(4)]};
        if (s.ip_protocol == "tcp" || s.ip_protocol == "udp") {
          s.from_port = ports[pick(5)];
          s.to_port = *s.from_port + pick(2) * 500;
        } else if (s.ip_protocol == "icmp") {
          s.from_port = pick(2) ? 8 : -1;
          s.to_port = -1;
        }
        if (pick(4) == 0)
          s.referenced_group_id = groups[pick(3)];
        else
          s.cidr_ipv4 = cidrs[pick(6)];
        try {
          AuthorizeSecurityGroupRules(tx, g, pick(3) == 0, {s});
        } catch (const Error&) {  // a duplicate rule
        }
      }
    for (const auto& subnet : subnets) {
      if (pick(2)) continue;  // this subnet keeps the default ACL (rule 100 allows all, N4)
      std::string acl = CreateNetworkAcl(tx, vpc, {}).id;
      std::set<std::pair<int, bool>> used;
      for (int e = 0; e < 6; ++e) {
        NetworkAclEntryArgs x{.network_acl_id = acl, .rule_number = 10 * (1 + pick(20)), .egress = pick(2) == 1,
                              .protocol = acl_protos[pick(4)], .rule_action = pick(3) ? "allow" : "deny",
                              .cidr_block = cidrs[pick(6)]};
        if (!used.insert({x.rule_number, x.egress}).second) continue;
        if (x.protocol == "6" || x.protocol == "17") {
          x.port_from = ports[pick(5)];
          x.port_to = *x.port_from + pick(2) * 1000;
        } else if (x.protocol == "1") {
          x.icmp_type = pick(2) ? 8 : -1;
          x.icmp_code = -1;
        }
        CreateNetworkAclEntry(tx, x);
      }
      std::string assoc;
      for (const auto& [id, a] : p.network_acls)
        for (const auto& as : a.associations)
          if (as.subnet_id == subnet) assoc = as.id;
      ReplaceNetworkAclAssociation(tx, assoc, acl);
    }
    std::vector<std::string> enis;
    for (int i = 0; i < 4; ++i) {
      std::vector<std::string> gs = {groups[pick(3)]};
      if (pick(2) && gs[0] != groups[0]) gs.push_back(groups[0]);
      std::string inst = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro",
                                           .subnet_id = subnets[pick(2)], .group_ids = gs})[0]->id;
      enis.push_back(InterfacesOf(p, inst)[0]->id);
      if (pick(4) == 0) SetNetworkInterfaceSourceDestCheck(tx, enis.back(), false);
    }
    for (int i = 0; i < 100; ++i) {
      const NetworkInterface& src = p.network_interfaces.at(enis[pick(4)]);
      Flow f{.protocol = std::array{6, 17, 1}[pick(3)], .src = Ip(src.PrimaryIp())};
      if (pick(10) == 0) f.src = Ip("10.0." + std::to_string(1 + pick(2)) + "." + std::to_string(4 + pick(8)));
      int d = pick(10);
      net::Ipv4 dst = d < 8   ? Ip(p.network_interfaces.at(enis[pick(4)]).PrimaryIp())
                      : d < 9 ? Ip("10.0.2.200")
                              : Ip("172.16.0.1");
      if (f.protocol == 1) {
        f.icmp_type = pick(2) ? 8 : 0;
        f.icmp_code = 0;
      } else {
        f.src_port = 40000 + pick(1000);
        f.dst_port = ports[pick(5)] + pick(3) * 500;
      }
      f.dst = dst;
      auto t = Trace(p, src, dst, f);
      int got = t.allowed ? 0 : t.stages.back().stage;
      int want = Reference(p, src, f, "10.0.0.0/16");
      // The engine, with every interface a port and no connection from earlier flows.
      openvpc::testing::StateSource source(state);
      dataplane::Engine engine(source);
      for (const auto& e : enis) engine.AddPort({.eni_id = e, .account = p.account_id, .region = p.region});
      auto sent = engine.Inject(src.id, openvpc::testing::FlowFrame(f, *dataplane::ParseMac(src.mac_address)));
      const bool delivered = !sent.empty() && t.destination && sent[0].first == t.destination->id;
      ++flows;
      ++by_stage[got];
      if (got != want || delivered != (want == 0)) {
        ++mismatches;
        ADD_FAILURE() << "config " << config << " flow " << i << ": trace stage " << got << ", reference " << want
                      << ", engine " << (delivered ? "delivered" : "dropped");
      }
    }
  }
  EXPECT_EQ(flows, 2000);
  EXPECT_EQ(mismatches, 0);
  // The configurations exercise every outcome.
  for (int stage : {0, 3, 4, 5, 6, 7, 8, 9}) EXPECT_GT(by_stage[stage], 0) << "stage " << stage;
}

}  // namespace
