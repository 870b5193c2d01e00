// NAT gateways in the model: the lifecycle (pending -> available, deleting -> deleted, an hour of
// visibility), the asynchronous failures of §4.1 5-8, the §3.1 quota (§4.1 11), K1/K2/K7/K16,
// routes turning blackhole (G13) and the DeleteSubnet/DeleteVpc dependency (AA1, AA2). Rule ids
// refer to shared/spec/inventory-vpc-guide.md.
#include <gtest/gtest.h>

#include "error_code.h"

#include "model/rules.h"
#include "model/address.h"
#include "model/error.h"
#include "model/nat_gateway.h"
#include "model/network_interface.h"
#include "model/internet_gateway.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/vpc.h"

using namespace openvpc::model;
using namespace std::chrono_literals;

namespace {

using openvpc::testing::CodeOf;

class NatGatewayTest : public ::testing::Test {
 protected:
  NatGatewayTest() {
    RegisterAllRules();
    SetNatGatewayClock([this] { return now; });
    Partition& part = state.partitions[{"123456789012", "us-east-1"}];
    part.account_id = "123456789012";
    part.region = "us-east-1";
    p = &part;
    Tx tx = T();
    InitializePartition(tx);
    vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    pub = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.0/24", .availability_zone = "us-east-1a"}).id;
    priv = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.1.0/24", .availability_zone = "us-east-1a"}).id;
  }
  ~NatGatewayTest() override { SetNatGatewayClock(nullptr); }

  Tx T() { return Tx(*p, state.quotas, &state); }

  std::string AttachIgw() {
    Tx tx = T();
    std::string igw = CreateInternetGateway(tx, {}).id;
    AttachInternetGateway(tx, igw, vpc);
    return igw;
  }
  std::string Eip() {
    Tx tx = T();
    return AllocateAddress(tx, {}).allocation_id;
  }
  NatGateway Create(const CreateNatGatewayArgs& a) {
    Tx tx = T();
    return CreateNatGateway(tx, a);
  }
  const NatGateway& Stored(const std::string& id) { return p->nat_gateways.at(id); }
  std::string StateOf(const std::string& id) { return NatGatewayState(Stored(id), now); }


  State state;
  Partition* p = nullptr;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::now();
  std::string vpc, pub, priv;
};

TEST_F(NatGatewayTest, PublicGatewayGetsARequesterManagedInterfaceAndItsElasticIp) {  // K1, K7, S4
  AttachIgw();
  std::string eip = Eip();
  NatGateway shown = Create({.subnet_id = pub, .allocation_id = eip, .tags = {{"Name", "nat"}}});
  EXPECT_EQ(shown.state, "pending");  // the Create response
  EXPECT_EQ(shown.id.size(), 4u + 17u);
  EXPECT_EQ(StateOf(shown.id), "available");  // the next read
  const NatGateway& g = Stored(shown.id);
  EXPECT_EQ(g.vpc_id, vpc);
  EXPECT_EQ(g.connectivity_type, "public");
  const NetworkInterface& eni = p->network_interfaces.at(g.network_interface_id);
  EXPECT_EQ(eni.interface_type, "nat_gateway");
  EXPECT_TRUE(eni.requester_managed);
  EXPECT_EQ(eni.description, "Interface for NAT Gateway " + g.id);
  EXPECT_EQ(eni.subnet_id, pub);
  EXPECT_EQ(eni.PrimaryIp(), g.private_ip);
  const Address& a = p->addresses.at(eip);
  EXPECT_EQ(a.network_interface_id, eni.id);
  EXPECT_EQ(a.private_ip_address, g.private_ip);
  EXPECT_EQ(a.association_id, g.association_id);
  EXPECT_EQ(a.public_ip, g.public_ip);
  // F4/K7: the user cannot delete its interface.
  Tx tx = T();
  EXPECT_EQ(CodeOf([&] { DeleteNetworkInterface(tx, eni.id); }), "OperationNotPermitted");
}

TEST_F(NatGatewayTest, PrivateGatewayHasNoElasticIpAndMayChooseItsAddress) {
  NatGateway shown = Create({.subnet_id = priv, .connectivity_type = "private", .private_ip_address = "10.0.1.77"});
  const NatGateway& g = Stored(shown.id);
  EXPECT_EQ(StateOf(g.id), "available");  // K14 asks an internet gateway of public gateways only
  EXPECT_EQ(g.private_ip, "10.0.1.77");
  EXPECT_TRUE(g.allocation_id.empty());
  EXPECT_TRUE(g.public_ip.empty());
}

TEST_F(NatGatewayTest, SynchronousRefusals) {
  std::string eip = Eip();
  EXPECT_EQ(CodeOf([&] { Create({.subnet_id = "subnet-0123456789abcdef0", .allocation_id = eip}); }),
            "InvalidSubnetID.NotFound");
  EXPECT_EQ(CodeOf([&] { Create({.subnet_id = pub}); }), "MissingParameter");  // K1
  EXPECT_EQ(CodeOf([&] { Create({.subnet_id = pub, .connectivity_type = "private", .allocation_id = eip}); }),
            "InvalidParameterCombination");
  EXPECT_EQ(CodeOf([&] { Create({.subnet_id = pub, .allocation_id = "eipalloc-xyz"}); }),
            "InvalidElasticIpID.Malformed");
  EXPECT_TRUE(p->nat_gateways.empty());
}

TEST_F(NatGatewayTest, NoInternetGatewayFails) {  // K14, §4.1 6
  std::string eip = Eip();
  NatGateway shown = Create({.subnet_id = pub, .allocation_id = eip});
  EXPECT_EQ(shown.state, "pending");
  const NatGateway& g = Stored(shown.id);
  EXPECT_EQ(StateOf(g.id), "failed");
  EXPECT_EQ(g.failure_code, "Gateway.NotAttached");
  EXPECT_EQ(g.failure_message, "Network " + vpc + " has no internet gateway attached");
  EXPECT_FALSE(g.delete_time.empty());
  EXPECT_TRUE(g.network_interface_id.empty());
  for (const auto& [id, eni] : p->network_interfaces) EXPECT_NE(eni.interface_type, "nat_gateway");
  EXPECT_TRUE(p->addresses.at(eip).association_id.empty());
}

TEST_F(NatGatewayTest, UnknownElasticIpFails) {  // §4.1 7
  AttachIgw();
  NatGateway shown = Create({.subnet_id = pub, .allocation_id = "eipalloc-0123456789abcdef0"});
  const NatGateway& g = Stored(shown.id);
  EXPECT_EQ(StateOf(g.id), "failed");
  EXPECT_EQ(g.failure_code, "InvalidAllocationID.NotFound");
  EXPECT_EQ(g.failure_message,
            "Elastic IP address eipalloc-0123456789abcdef0 could not be associated with this NAT gateway");
}

TEST_F(NatGatewayTest, ElasticIpAlreadyAssociatedFails) {  // K2, §4.1 8
  AttachIgw();
  std::string eip = Eip();
  std::string first = Create({.subnet_id = pub, .allocation_id = eip}).id;
  std::string second = Create({.subnet_id = pub, .allocation_id = eip}).id;
  EXPECT_EQ(StateOf(first), "available");
  EXPECT_EQ(StateOf(second), "failed");
  EXPECT_EQ(Stored(second).failure_code, "Resource.AlreadyAssociated");
  EXPECT_EQ(Stored(second).failure_message, "Elastic IP address " + eip + " is already associated");
  EXPECT_EQ(p->addresses.at(eip).network_interface_id, Stored(first).network_interface_id);
}

TEST_F(NatGatewayTest, FullSubnetFails) {  // K14, §4.1 5
  Tx tx = T();
  std::string tiny = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.9.0/28", .availability_zone = "us-east-1b"}).id;
  for (int i = 0; i < 11; ++i) CreateNetworkInterface(tx, {.subnet_id = tiny});  // 16 - 5 reserved (A5)
  NatGateway shown = Create({.subnet_id = tiny, .connectivity_type = "private"});
  EXPECT_EQ(StateOf(shown.id), "failed");
  EXPECT_EQ(Stored(shown.id).failure_code, "InsufficientFreeAddressesInSubnet");
  EXPECT_EQ(Stored(shown.id).failure_message, "Subnet has insufficient free addresses to create this NAT gateway");
}

TEST_F(NatGatewayTest, FivePerAvailabilityZone) {  // §3.1, §4.1 11
  for (int i = 0; i < 5; ++i) Create({.subnet_id = priv, .connectivity_type = "private"});
  try {
    Create({.subnet_id = pub, .connectivity_type = "private"});
    FAIL() << "the sixth gateway in us-east-1a was created";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, "NatGatewayLimitExceeded");
    EXPECT_EQ(std::string(e.what()), "Performing this operation would exceed the limit of 5 NAT gateways");
  }
  Tx tx = T();  // another zone has its own five
  std::string other = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.2.0/24", .availability_zone = "us-east-1b"}).id;
  EXPECT_EQ(CodeOf([&] { Create({.subnet_id = other, .connectivity_type = "private"}); }), "");
  // A deleted one frees its place.
  std::string victim;  // one of the five in us-east-1a (ids are random: pick by subnet)
  for (const auto& [id, g] : p->nat_gateways)
    if (g.subnet_id == priv) victim = id;
  DeleteNatGateway(tx, victim);
  EXPECT_EQ(CodeOf([&] { Create({.subnet_id = pub, .connectivity_type = "private"}); }), "");
}

TEST_F(NatGatewayTest, DeleteReleasesTheInterfaceNotTheElasticIp) {  // K16, G13
  AttachIgw();
  std::string eip = Eip();
  std::string id = Create({.subnet_id = pub, .allocation_id = eip}).id;
  std::string eni = Stored(id).network_interface_id;
  Tx tx = T();
  std::string rtb = CreateRouteTable(tx, vpc, {}).id;
  CreateRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "0.0.0.0/0", .target_member = "NatGatewayId",
                   .target_id = id});
  const RouteTable& rt = p->route_tables.at(rtb);
  EXPECT_EQ(RouteState(*p, rt, rt.routes.back()), "active");

  DeleteNatGateway(tx, id);
  EXPECT_EQ(StateOf(id), "deleted");
  EXPECT_FALSE(p->network_interfaces.count(eni));
  ASSERT_TRUE(p->addresses.count(eip));  // stays allocated …
  EXPECT_TRUE(p->addresses.at(eip).association_id.empty());  // … but disassociated
  EXPECT_EQ(RouteState(*p, rt, rt.routes.back()), "blackhole");  // G13
  // A deleted gateway is no target, and cannot be deleted twice.
  EXPECT_EQ(CodeOf([&] {
              CreateRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "8.8.8.0/24",
                               .target_member = "NatGatewayId", .target_id = id});
            }),
            "InvalidNatGatewayID.NotFound");
  EXPECT_EQ(CodeOf([&] { DeleteNatGateway(tx, id); }), "NatGatewayNotFound");
  // The Elastic IP serves a new gateway.
  std::string again = Create({.subnet_id = pub, .allocation_id = eip}).id;
  EXPECT_EQ(StateOf(again), "available");
}

TEST_F(NatGatewayTest, FailedAndDeletedGatewaysVanishAfterAnHour) {  // §1.8, L7995, L8245
  std::string failed = Create({.subnet_id = pub, .allocation_id = Eip()}).id;  // no internet gateway
  std::string deleted = Create({.subnet_id = priv, .connectivity_type = "private"}).id;
  std::string live = Create({.subnet_id = priv, .connectivity_type = "private"}).id;
  {
    Tx tx = T();
    DeleteNatGateway(tx, deleted);
  }
  now += 59min;
  EXPECT_EQ(CodeOf([&] { GetNatGateway(*p, failed); }), "");
  EXPECT_EQ(CodeOf([&] { GetNatGateway(*p, deleted); }), "");
  now += 2min;
  EXPECT_EQ(CodeOf([&] { GetNatGateway(*p, failed); }), "NatGatewayNotFound");
  EXPECT_EQ(CodeOf([&] { GetNatGateway(*p, deleted); }), "NatGatewayNotFound");
  EXPECT_EQ(CodeOf([&] { GetNatGateway(*p, live); }), "");
  EXPECT_EQ(CodeOf([&] { GetNatGateway(*p, "nat-123"); }), "NatGatewayMalformed");
  // The next write forgets them for good.
  Tx tx = T();
  CreateNatGateway(tx, {.subnet_id = priv, .connectivity_type = "private"});
  EXPECT_FALSE(p->nat_gateways.count(failed));
  EXPECT_FALSE(p->nat_gateways.count(deleted));
  EXPECT_TRUE(tx.touched().count(failed));
}

TEST_F(NatGatewayTest, RouteTargetMustBeInTheTablesVpc) {
  std::string id = Create({.subnet_id = priv, .connectivity_type = "private"}).id;
  Tx tx = T();
  std::string other = CreateVpc(tx, {.cidr_block = "10.1.0.0/16"}).id;
  std::string rtb = CreateRouteTable(tx, other, {}).id;
  EXPECT_EQ(CodeOf([&] {
              CreateRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "0.0.0.0/0",
                               .target_member = "NatGatewayId", .target_id = id});
            }),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] {
              CreateRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "0.0.0.0/0",
                               .target_member = "NatGatewayId", .target_id = "nat-0123456789abcdef0"});
            }),
            "InvalidNatGatewayID.NotFound");
}

TEST_F(NatGatewayTest, SubnetAndVpcWaitForTheGateway) {  // AA1, AA2
  std::string id = Create({.subnet_id = priv, .connectivity_type = "private"}).id;
  Tx tx = T();
  EXPECT_EQ(CodeOf([&] { DeleteSubnet(tx, priv); }), "DependencyViolation");
  DeleteSubnet(tx, pub);
  EXPECT_EQ(CodeOf([&] { DeleteVpc(tx, vpc); }), "DependencyViolation");
  DeleteNatGateway(tx, id);
  DeleteSubnet(tx, priv);
  DeleteVpc(tx, vpc);
  EXPECT_FALSE(p->vpcs.count(vpc));
}

}  // namespace
