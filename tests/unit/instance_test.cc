// Interfaces and instances in the model: addresses from the subnet (A5), limits by instance
// type (§7.4), public addresses at launch and on stop/start (§5.2), terminate (ENI-11).
#include <gtest/gtest.h>

#include "error_code.h"
#include "partition_fixture.h"

#include "model/rules.h"
#include "model/error.h"
#include "model/instance.h"
#include "model/network_interface.h"
#include "model/route_table.h"
#include "model/subnet.h"
#include "model/vpc.h"

using namespace openvpc::model;

namespace {

using openvpc::testing::CodeOf;

class InstanceTest : public openvpc::testing::PartitionFixture {
 protected:
  InstanceTest() : PartitionFixture("10.0.1.0/28") {}
};

TEST_F(InstanceTest, InterfacesNeverGetReservedAddresses) {  // A5
  Tx tx = NewTx();
  // 10.0.1.0/28: .0-.3 and .15 are reserved, so .4-.14 are the 11 addresses to hand out.
  EXPECT_EQ(CodeOf([&] { CreateNetworkInterface(tx, {.subnet_id = subnet, .private_ip_address = "10.0.1.1"}); }),
            "InvalidParameterValue");
  EXPECT_EQ(CodeOf([&] { CreateNetworkInterface(tx, {.subnet_id = subnet, .private_ip_address = "10.0.1.15"}); }),
            "InvalidParameterValue");
  for (int i = 0; i < 11; ++i) {
    const auto& eni = CreateNetworkInterface(tx, {.subnet_id = subnet});
    EXPECT_EQ(eni.PrimaryIp(), "10.0.1." + std::to_string(4 + i));
  }
  EXPECT_EQ(AvailableIpAddressCount(Part(), Part().subnets.at(subnet)), 0);
  EXPECT_EQ(CodeOf([&] { CreateNetworkInterface(tx, {.subnet_id = subnet}); }), "InsufficientFreeAddressesInSubnet");
}

TEST_F(InstanceTest, MacAddressesAreUniqueAndLocallyAdministered) {
  Tx tx = NewTx();
  std::set<std::string> macs;
  for (int i = 0; i < 5; ++i) {
    const auto& eni = CreateNetworkInterface(tx, {.subnet_id = subnet});
    EXPECT_EQ(eni.mac_address.substr(0, 3), "02:");
    EXPECT_TRUE(macs.insert(eni.mac_address).second);
  }
}

TEST_F(InstanceTest, TypeLimitsInterfacesAndAddresses) {  // §7.4: t2.micro 2 ENIs, 2 IPv4 each
  Tx tx = NewTx();
  auto launched = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet});
  ASSERT_EQ(launched.size(), 1u);
  std::string id = launched[0]->id;
  std::string eth0 = InterfacesOf(Part(), id).front()->id;
  EXPECT_EQ(CodeOf([&] { AssignPrivateIpAddresses(tx, eth0, {}, 1, false); }), "");
  EXPECT_EQ(CodeOf([&] { AssignPrivateIpAddresses(tx, eth0, {}, 1, false); }), "PrivateIpAddressLimitExceeded");
  std::string e1 = CreateNetworkInterface(tx, {.subnet_id = subnet}).id;
  std::string e2 = CreateNetworkInterface(tx, {.subnet_id = subnet}).id;
  EXPECT_EQ(CodeOf([&] { AttachNetworkInterface(tx, e1, id, 0); }), "InvalidParameterValue");  // index in use
  EXPECT_EQ(CodeOf([&] { AttachNetworkInterface(tx, e1, id, 1); }), "");
  EXPECT_EQ(CodeOf([&] { AttachNetworkInterface(tx, e2, id, 2); }), "AttachmentLimitExceeded");
}

TEST_F(InstanceTest, PublicAddressIsReleasedOnStopAndRenewedOnStart) {  // §5.2
  Tx tx = NewTx();
  auto launched = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro",
                                    .interfaces = {{.device_index = 0, .subnet_id = subnet,
                                                    .associate_public_ip = true}}});
  std::string id = launched[0]->id;
  const NetworkInterface* eth0 = InterfacesOf(Part(), id).front();
  EXPECT_EQ(eth0->public_ip.rfind("198.51.100.", 0), 0u);
  StopInstances(tx, {id});
  EXPECT_TRUE(InterfacesOf(Part(), id).front()->public_ip.empty());
  StartInstances(tx, {id});
  EXPECT_FALSE(InterfacesOf(Part(), id).front()->public_ip.empty());
}

TEST_F(InstanceTest, TerminateDeletesTheLaunchInterfaceAndDetachesOthers) {  // ENI-11
  Tx tx = NewTx();
  std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet})[0]->id;
  std::string extra = CreateNetworkInterface(tx, {.subnet_id = subnet}).id;
  AttachNetworkInterface(tx, extra, id, 1);
  EXPECT_EQ(CodeOf([&] { DeleteSubnet(tx, subnet); }), "DependencyViolation");  // AA2
  TerminateInstances(tx, {id});
  EXPECT_EQ(Part().instances.at(id).state, "terminated");
  EXPECT_EQ(Part().network_interfaces.size(), 1u);
  EXPECT_FALSE(Part().network_interfaces.at(extra).attachment.has_value());
  EXPECT_EQ(CodeOf([&] { StartInstances(tx, {id}); }), "IncorrectInstanceState");
}

TEST_F(InstanceTest, RouteToInstanceIsBlackholeOnceItStops) {  // G13
  Tx tx = NewTx();
  std::string id = RunInstances(tx, {.image_id = "ami-12345678", .instance_type = "t2.micro", .subnet_id = subnet})[0]->id;
  std::string rtb = CreateRouteTable(tx, vpc, {}).id;
  CreateRoute(tx, {.route_table_id = rtb, .destination_cidr_block = "0.0.0.0/0", .target_member = "InstanceId",
                   .target_id = id});
  const RouteTable& rt = Part().route_tables.at(rtb);
  EXPECT_EQ(RouteState(Part(), rt, rt.routes.back()), "active");
  TerminateInstances(tx, {id});
  EXPECT_EQ(RouteState(Part(), rt, rt.routes.back()), "blackhole");
}

}  // namespace
