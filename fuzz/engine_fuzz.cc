// The packet engine end to end (Engine::Inject): frames from guests, the internet and the
// services namespace through stage 1 to 10 over a real model (a VPC with IPv6, a public subnet
// routed to an internet gateway, a private one behind a NAT gateway, an Elastic IP, groups that
// admit everything), with connection tracking, NAT translations and fragments living across
// the frames of one input, and a fourth instance that another host runs (a remote port: frames
// to it leave for the underlay, datagrams from the underlay come as from it), and an internal
// Network Load Balancer, dualstack (node 10.0.1.100 and 2001:db8:1:100::100: TCP 80 to ip targets
// with proxy protocol v2, the node's address seen; UDP 53 to the server instance; TCP 81 to the
// server's IPv6 address: across families both ways, written in place), and a Gateway Load Balancer (node
// 10.0.2.200) whose appliance is the peer, behind an endpoint that the public subnet's route
// table sends 10.0.2.128/25 to (Geneve both ways: what the peer sends the node is parsed). Input: records of
// one byte (port: % 5 picks server, client, peer, the services port, the internet; bit 2: the
// frame's source MAC becomes the port's; bits 3-7: seconds that pass before it), two bytes of
// length, the Ethernet frame. A length with its top bit set makes the record a datagram from
// the underlay instead (VXLAN header, virtio-net header, frame; bit 2: the header made valid and
// the remote instance's MAC put in as the source, or for a decided one a local MAC as the
// destination). A frame whose decision throws (the engine drops and counts it:
// internal_errors) is a crash here.
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dataplane/engine/engine.h"
#include "model/address.h"
#include "model/instance.h"
#include "model/load_balancer.h"
#include "model/target_group.h"
#include "model/vpc_endpoint.h"
#include "model/nat_gateway.h"
#include "model/network_interface.h"
#include "model/dhcp_options.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/vpc.h"
#include "model/rules.h"
#include "model/security_group.h"
#include "model/state.h"

using namespace openvpc;
using namespace openvpc::model;

namespace {

class StaticSource : public dataplane::ModelSource {
 public:
  explicit StaticSource(const State& s) : state_(s) {}
  void Read(const std::function<void(const State&)>& fn) override { fn(state_); }
  uint64_t Version() const override { return 1; }

 private:
  const State& state_;
};

struct Lab {
  State state;
  // server (public subnet, Elastic IP), client (private), peer (public), remote (public, on another host)
  std::vector<std::string> enis;
  std::vector<dataplane::MacAddress> macs;

  Lab() {
    RegisterAllRules();
    SetNatGatewayClock([] { return std::chrono::system_clock::now() + std::chrono::hours(1); });  // available
    Partition& p = state.partitions[{"123456789012", "us-east-1"}];
    p.account_id = "123456789012";
    p.region = "us-east-1";
    Tx tx(p, state.quotas, &state);
    InitializePartition(tx);
    std::string vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16", .amazon_provided_ipv6 = true}).id;
    ModifyVpcAttribute(tx, vpc, "enableDnsHostnames", true);
    // A block of its own instead of Amazon's random one, so that the seeds can name the addresses.
    {
      std::string& block = p.vpcs.at(vpc).ipv6_cidr_blocks.at(0).cidr;
      for (auto& [id, rt] : p.route_tables)  // the local route follows
        for (auto& r : rt.routes)
          if (r.destination_ipv6_cidr_block == block) r.destination_ipv6_cidr_block = "2001:db8:1:100::/56";
      block = "2001:db8:1:100::/56";
    }
    net::Cidr6 block = *net::ParseCidr6(p.vpcs.at(vpc).ipv6_cidr_blocks.at(0).cidr);
    net::Cidr6 first = {block.Network(), 64}, second = first;
    second.addr.bytes[7] = 1;
    std::string pub = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .ipv6_cidr_block = first.ToString(),
                                        .availability_zone = "us-east-1a"}).id;
    std::string priv = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24",
                                         .ipv6_cidr_block = second.ToString(), .availability_zone = "us-east-1a"}).id;
    std::string igw = CreateInternetGateway(tx, {}).id;
    AttachInternetGateway(tx, igw, vpc);
    std::string pub_rt = CreateRouteTable(tx, vpc, {}).id;
    CreateRoute(tx, {.route_table_id = pub_rt, .destination_cidr_block = "0.0.0.0/0", .target_member = "GatewayId",
                     .target_id = igw});
    CreateRoute(tx, {.route_table_id = pub_rt, .destination_ipv6_cidr_block = "::/0", .target_member = "GatewayId",
                     .target_id = igw});
    AssociateRouteTable(tx, pub_rt, pub, "");
    std::string open = CreateSecurityGroup(tx, {.group_name = "open", .description = "open", .vpc_id = vpc}).id;
    AuthorizeSecurityGroupRules(tx, open, false,
                                {RuleSpec{.ip_protocol = "-1", .cidr_ipv4 = "0.0.0.0/0"},
                                 RuleSpec{.ip_protocol = "-1", .cidr_ipv6 = "::/0"}});
    auto launch = [&](const std::string& subnet, const std::string& ipv6) {
      std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet,
                                         .group_ids = {open}, .ipv6_addresses = {ipv6}})[0]->id;
      return InterfacesOf(p, id)[0]->id;
    };
    enis = {launch(pub, "2001:db8:1:100::10"), launch(priv, "2001:db8:1:101::11"), launch(pub, "2001:db8:1:100::12"),
            launch(pub, "2001:db8:1:100::13")};
    Address& eip = AllocateAddress(tx, {});
    AssociateAddress(tx, {.allocation_id = eip.allocation_id, .network_interface_id = enis[0]});
    Address& nat_eip = AllocateAddress(tx, {});
    std::string nat = CreateNatGateway(tx, {.subnet_id = pub, .allocation_id = nat_eip.allocation_id}).id;
    CreateRoute(tx, {.route_table_id = MainRouteTable(p, vpc).id, .destination_cidr_block = "0.0.0.0/0",
                     .target_member = "NatGatewayId", .target_id = nat});
    const std::string lb = CreateLoadBalancer(tx, {.name = "fuzz", .type = "network", .scheme = "internal",
                                                   .ip_address_type = "dualstack",
                                                   .mappings = {{.subnet_id = pub, .private_ipv4_address = "10.0.1.100",
                                                                 .ipv6_address = "2001:db8:1:100::100"}}})
                               .arn;
    const std::string tcp = CreateTargetGroup(tx, {.name = "tcp", .protocol = "TCP", .vpc_id = vpc, .target_type = "ip",
                                                   .port = 80}).arn;
    ModifyTargetGroupAttributes(tx, tcp, {{"proxy_protocol_v2.enabled", "true"}});
    RegisterTargets(tx, tcp, {{.id = p.network_interfaces.at(enis[0]).PrimaryIp()},
                              {.id = p.network_interfaces.at(enis[2]).PrimaryIp()}});
    CreateListener(tx, {.load_balancer_arn = lb, .port = 80, .protocol = "TCP", .target_group_arn = tcp});
    const std::string udp = CreateTargetGroup(tx, {.name = "udp", .protocol = "UDP", .vpc_id = vpc, .port = 53}).arn;
    RegisterTargets(tx, udp, {{.id = p.network_interfaces.at(enis[0]).attachment->instance_id}});
    CreateListener(tx, {.load_balancer_arn = lb, .port = 53, .protocol = "UDP", .target_group_arn = udp});
    const std::string six = CreateTargetGroup(tx, {.name = "six", .protocol = "TCP", .vpc_id = vpc, .target_type = "ip",
                                                   .ip_address_type = "ipv6", .port = 8080}).arn;
    RegisterTargets(tx, six, {{.id = "2001:db8:1:100::10"}});
    CreateListener(tx, {.load_balancer_arn = lb, .port = 81, .protocol = "TCP", .target_group_arn = six});
    const std::string gwlb = CreateLoadBalancer(tx, {.name = "gw", .type = "gateway",
                                                     .mappings = {{.subnet_id = priv, .private_ipv4_address = "10.0.2.200"}}})
                                 .arn;
    const std::string geneve = CreateTargetGroup(tx, {.name = "appliances", .protocol = "GENEVE", .vpc_id = vpc,
                                                      .target_type = "ip", .port = 6081}).arn;
    RegisterTargets(tx, geneve, {{.id = p.network_interfaces.at(enis[2]).PrimaryIp()}});
    CreateListener(tx, {.load_balancer_arn = gwlb, .target_group_arn = geneve});
    const auto& svc = CreateVpcEndpointServiceConfiguration(tx, {.acceptance_required = false,
                                                                 .gateway_load_balancer_arns = {gwlb}});
    ModifyVpcEndpointServicePermissions(tx, svc.id, {"arn:aws:iam::123456789012:root"}, {});
    const std::string vpce = CreateVpcEndpoint(tx, {.type = "GatewayLoadBalancer", .vpc_id = vpc,
                                                    .service_name = svc.service_name, .subnet_ids = {priv}}).id;
    CreateRoute(tx, {.route_table_id = pub_rt, .destination_cidr_block = "10.0.2.128/25",
                     .target_member = "VpcEndpointId", .target_id = vpce});
    // An interface endpoint (10.0.1.50) to a service of the NLB above (PrivateLink).
    const auto& nlb_svc = CreateVpcEndpointServiceConfiguration(tx, {.acceptance_required = false,
                                                                     .network_load_balancer_arns = {lb}});
    ModifyVpcEndpointServicePermissions(tx, nlb_svc.id, {"arn:aws:iam::123456789012:root"}, {});
    CreateVpcEndpoint(tx, {.type = "Interface", .vpc_id = vpc, .service_name = nlb_svc.service_name,
                           .security_group_ids = {open},
                           .subnet_configurations = {{.subnet_id = pub, .ipv4 = "10.0.1.50"}}});
    // A gateway endpoint to S3 on the public subnet's table: S3's address (192.0.2.64 in us-east-1)
    // goes to the services network from the interface's alias, whose replies come back by it.
    CreateVpcEndpoint(tx, {.vpc_id = vpc, .service_name = "com.amazonaws.us-east-1.s3", .route_table_ids = {pub_rt}});
    for (const auto& id : enis) macs.push_back(*dataplane::ParseMac(p.network_interfaces.at(id).mac_address));
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Lab* lab = new Lab;  // one model for the process; a fresh engine per input
  static StaticSource source(lab->state);
  static const dataplane::MacAddress kServiceMac{2, 0, 0, 0, 0, 0xfe}, kInternetMac{2, 0, 0, 0, 0, 0xfd};
  dataplane::Engine engine(source);
  double now = 1000;
  engine.SetClockForTesting([&now] { return now; });
  for (size_t i = 0; i < lab->enis.size(); ++i) {
    dataplane::PortSpec port{.eni_id = lab->enis[i], .account = "123456789012", .region = "us-east-1"};
    if (i == 3) port.remote_host = net::Ipv4{0x0aff0002};  // 10.255.0.2
    engine.AddPort(port);
  }
  engine.SetServicePort({.fd = -1, .mac = kServiceMac});
  engine.SetInternetPort({.fd = -1, .mac = kInternetMac});

  std::vector<uint8_t> frame;
  while (size >= 3) {
    const uint8_t b = data[0];
    const bool underlay = data[1] & 0x80;
    const size_t len = std::min<size_t>(size - 3, size_t{data[1] & 0x7fu} << 8 | data[2]);
    frame.assign(data + 3, data + 3 + len);
    data += 3 + len, size -= 3 + len;
    const unsigned port = b % 5;
    now += b >> 3;
    if (frame.empty()) continue;  // a TAP read never is (and Inject copies from its data())
    if (underlay) {
      const size_t inner = 8 + dataplane::kVnetHeaderSize;
      if ((b & 4) && frame.size() >= inner + 14) {
        frame[0] = 0x08;                            // I
        frame[1] = 0x01 | (frame[1] & 0x02);        // O, and D as it came
        if (frame[1] & 0x02) memcpy(frame.data() + inner, lab->macs[port % 3].data(), 6);
        else memcpy(frame.data() + inner + 6, lab->macs[3].data(), 6);
      }
      engine.InjectUnderlay(frame);
      continue;
    }
    if ((b & 4) && frame.size() >= 12)
      memcpy(frame.data() + 6, (port < 3 ? lab->macs[port] : port == 3 ? kServiceMac : kInternetMac).data(), 6);
    engine.Inject(port < 3 ? lab->enis[port] : port == 3 ? "svc" : "internet", frame);
  }
  // The engine drops a frame whose decision threw and goes on; for the fuzzer that is a bug.
  if (engine.Counters().internal_errors) {
    fprintf(stderr, "engine_fuzz: a frame's decision threw (internal_errors)\n");
    abort();
  }
  return 0;
}
