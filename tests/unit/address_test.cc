// Elastic IP addresses, exercised on the model. Rule ids: EIP-… of §6 of
// shared/spec/inventory-ec2-network-security.md; S1-S6, AA5, AA10 of inventory-vpc-guide.md.
// Interfaces are placed straight into the partition (their operations are not under test here).
#include <gtest/gtest.h>

#include "error_code.h"

#include <set>

#include "model/address.h"
#include "model/error.h"
#include "model/dhcp_options.h"
#include "model/internet_gateway.h"
#include "model/subnet.h"
#include "model/tags.h"
#include "model/vpc.h"

using namespace openvpc::model;

namespace {

using openvpc::testing::CodeOf;

class AddressTest : public ::testing::Test {
 protected:
  AddressTest() {
    static bool registered = [] {
      RegisterDependencyCheck(CheckNoMappedAddresses);
      return true;
    }();
    (void)registered;
    p = &NewPartition("123456789012", "us-east-1");
    Tx tx = NewTx();
    vpc = CreateVpc(tx, {.cidr_block = "10.0.0.0/16"}).id;
    subnet = CreateSubnet(tx, {.vpc_id = vpc, .cidr_block = "10.0.0.0/24"}).id;
    igw = CreateInternetGateway(tx, {}).id;
    AttachInternetGateway(tx, igw, vpc);
    eni = AddInterface(*p, "eni-0aaaaaaaaaaaaaaa1", {"10.0.0.10", "10.0.0.11"});
  }

  Partition& NewPartition(const std::string& account, const std::string& region) {
    Partition& np = state.partitions[{account, region}];
    np.account_id = account;
    np.region = region;
    Tx tx(np, state.quotas, &state);
    InitializePartition(tx);
    return np;
  }
  Tx NewTx() { return Tx(*p, state.quotas, &state); }

  std::string AddInterface(Partition& part, const std::string& id, std::vector<std::string> ips,
                           const std::string& in_vpc = "") {
    NetworkInterface n;
    n.id = id;
    n.owner_id = part.account_id;
    n.vpc_id = in_vpc.empty() ? vpc : in_vpc;
    n.subnet_id = subnet;
    for (size_t i = 0; i < ips.size(); ++i) n.private_ips.push_back({ips[i], i == 0});
    part.network_interfaces[id] = n;
    return id;
  }

  std::string Allocate(const std::string& address = "") {
    Tx tx = NewTx();
    return AllocateAddress(tx, {.address = address}).allocation_id;
  }


  State state;
  Partition* p = nullptr;
  std::string vpc, subnet, igw, eni;
};

TEST_F(AddressTest, AllocateComesFromThePoolSkippingItsNetworkAddress) {
  Tx tx = NewTx();
  const Address& a = AllocateAddress(tx, {.domain = "vpc", .tags = {{"Name", "web"}}});
  EXPECT_EQ(a.allocation_id.rfind("eipalloc-", 0), 0u);
  EXPECT_EQ(a.public_ip, "198.51.100.1");  // never 198.51.100.0
  EXPECT_EQ(a.domain, "vpc");
  EXPECT_EQ(a.network_border_group, "us-east-1");
  EXPECT_EQ(a.public_ipv4_pool, "amazon");
  EXPECT_EQ(a.owner_id, "123456789012");
  ASSERT_EQ(a.tags.size(), 1u);
  EXPECT_TRUE(tx.touched().count(a.allocation_id));
  EXPECT_EQ(CodeOf([&] { AllocateAddress(tx, {.domain = "standard"}); }), "InvalidParameterValue");  // EIP-5
  EXPECT_EQ(CodeOf([&] { AllocateAddress(tx, {.network_border_group = "us-west-2"}); }),
            "InvalidParameterValue");  // EIP-4
}

TEST_F(AddressTest, PublicAddressesAreUniqueAcrossAccountsAndRegions) {
  Partition& other = NewPartition("210987654321", "eu-west-1");
  std::set<std::string> seen;
  for (int i = 0; i < 3; ++i) {
    Tx mine = NewTx();
    seen.insert(AllocateAddress(mine, {}).public_ip);
    Tx theirs(other, state.quotas, &state);
    seen.insert(AllocateAddress(theirs, {}).public_ip);
  }
  EXPECT_EQ(seen.size(), 6u);
  Tx tx = NewTx();
  EXPECT_TRUE(PublicIpv4InUse(tx, other.addresses.begin()->second.public_ip));
  EXPECT_FALSE(PublicIpv4InUse(tx, "198.51.100.200"));
  // Another account's address cannot be "recovered" (EIP-13, S6).
  EXPECT_EQ(CodeOf([&] { AllocateAddress(tx, {.address = other.addresses.begin()->second.public_ip}); }),
            "InvalidAddressID.NotFound");
}

TEST_F(AddressTest, PoolNeverHandsOutItsBroadcastAddress) {
  state.public_ipv4_pool = "203.0.113.0/30";  // .1 and .2 only
  state.quotas.Set("elastic-ips-per-region", 10);
  EXPECT_EQ(p->addresses.at(Allocate()).public_ip, "203.0.113.1");
  EXPECT_EQ(p->addresses.at(Allocate()).public_ip, "203.0.113.2");
  EXPECT_EQ(CodeOf([&] { Allocate(); }), "InsufficientAddressCapacity");
  EXPECT_EQ(CodeOf([&] { Allocate("203.0.113.3"); }), "InvalidAddressID.NotFound");  // the broadcast address
  EXPECT_EQ(CodeOf([&] { Allocate("203.0.113.0"); }), "InvalidAddressID.NotFound");  // the network address
}

TEST_F(AddressTest, QuotaIsFivePerRegion) {  // EIP-15, S5, A24
  for (int i = 0; i < 5; ++i) Allocate();
  try {
    Allocate();
    FAIL() << "a sixth address was allocated";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, "AddressLimitExceeded");
    EXPECT_STREQ(e.what(), "The maximum number of addresses has been reached.");
  }
  // Another Region has its own five.
  Partition& west = NewPartition("123456789012", "us-west-2");
  Tx tx(west, state.quotas, &state);
  EXPECT_EQ(CodeOf([&] { AllocateAddress(tx, {}); }), "");
  EXPECT_EQ(west.addresses.begin()->second.network_border_group, "us-west-2");
  state.quotas.Set("elastic-ips-per-region", 6);
  EXPECT_EQ(CodeOf([&] { Allocate(); }), "");
}

TEST_F(AddressTest, ReleaseThenRecoverTheSameAddress) {  // EIP-13, S6, A24
  std::string id = Allocate();
  std::string ip = p->addresses.at(id).public_ip;
  {
    Tx tx = NewTx();
    CreateTags(tx, {id}, {{"k", "v"}});
    ReleaseAddress(tx, id);
    EXPECT_TRUE(tx.touched().count(id));
  }
  EXPECT_TRUE(p->addresses.empty());
  std::string again = Allocate(ip);
  EXPECT_NE(again, id);  // a new allocation id
  EXPECT_EQ(p->addresses.at(again).public_ip, ip);
  EXPECT_TRUE(p->addresses.at(again).tags.empty());  // S6: tags are not recovered
  EXPECT_EQ(CodeOf([&] { Allocate(ip); }), "InvalidAddressID.NotFound");  // now taken
  EXPECT_EQ(CodeOf([&] { Allocate("10.0.0.1"); }), "InvalidAddressID.NotFound");  // outside the pool
  EXPECT_EQ(CodeOf([&] { Allocate("not-an-ip"); }), "InvalidParameterValue");
  Tx tx = NewTx();
  EXPECT_EQ(CodeOf([&] { ReleaseAddress(tx, "eipalloc-0123456789abcdef0"); }), "InvalidAllocationID.NotFound");
  EXPECT_EQ(CodeOf([&] { ReleaseAddress(tx, again, "", "us-west-2"); }), "InvalidAddress.NotFound");
  EXPECT_EQ(CodeOf([&] { ReleaseAddress(tx, "", ip); }), "InvalidParameterValue");  // VPC: by allocation id
}

TEST_F(AddressTest, AssociateWithTheInterfacesPrimaryAddressByDefault) {  // EIP-6, S1
  std::string id = Allocate();
  Tx tx = NewTx();
  std::string assoc = AssociateAddress(tx, {.allocation_id = id, .network_interface_id = eni});
  EXPECT_EQ(assoc.rfind("eipassoc-", 0), 0u);
  const Address& a = p->addresses.at(id);
  EXPECT_EQ(a.association_id, assoc);
  EXPECT_EQ(a.network_interface_id, eni);
  EXPECT_EQ(a.private_ip_address, "10.0.0.10");
  EXPECT_TRUE(tx.touched().count(id));
  // EIP-10: another address may go on the secondary private address.
  std::string second = Allocate();
  AssociateAddress(tx, {.allocation_id = second, .network_interface_id = eni, .private_ip_address = "10.0.0.11"});
  EXPECT_EQ(p->addresses.at(second).private_ip_address, "10.0.0.11");
  // Only the interface's own addresses.
  std::string third = Allocate();
  EXPECT_EQ(CodeOf([&] {
              AssociateAddress(tx, {.allocation_id = third, .network_interface_id = eni,
                                    .private_ip_address = "10.0.0.99"});
            }),
            "InvalidParameterValue");
}

TEST_F(AddressTest, AssociateLooksEverythingUp) {
  std::string id = Allocate();
  Tx tx = NewTx();
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.allocation_id = "eipalloc-0123456789abcdef0", .network_interface_id = eni}); }),
            "InvalidAllocationID.NotFound");
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.allocation_id = id, .network_interface_id = "eni-0123456789abcdef0"}); }),
            "InvalidNetworkInterfaceID.NotFound");
  // Instances come later: until then no instance is found.
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.allocation_id = id, .instance_id = "i-0123456789abcdef0"}); }),
            "InvalidInstanceID.NotFound");
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.allocation_id = id}); }), "MissingParameter");
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.network_interface_id = eni}); }), "MissingParameter");
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.public_ip = p->addresses.at(id).public_ip, .network_interface_id = eni}); }),
            "InvalidParameterValue");  // VPC addresses go by allocation id
  EXPECT_TRUE(p->addresses.at(id).association_id.empty());
}

TEST_F(AddressTest, InstanceResolverNamesThePrimaryInterface) {  // EIP-6
  RegisterAddressInstanceResolver([this](const Partition&, const std::string& instance) {
    return instance == "i-0123456789abcdef0" ? eni : std::string();
  });
  p->network_interfaces.at(eni).attachment = NetworkInterfaceAttachment{.instance_id = "i-0123456789abcdef0"};
  std::string id = Allocate();
  Tx tx = NewTx();
  AssociateAddress(tx, {.allocation_id = id, .instance_id = "i-0123456789abcdef0"});
  EXPECT_EQ(p->addresses.at(id).network_interface_id, eni);
  EXPECT_EQ(p->addresses.at(id).private_ip_address, "10.0.0.10");
  EXPECT_EQ(InstanceIdOf(*p, p->addresses.at(id)), "i-0123456789abcdef0");
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.allocation_id = id, .instance_id = "i-0fffffffffffffff0",
                                               .allow_reassociation = true}); }),
            "InvalidInstanceID.NotFound");
  RegisterAddressInstanceResolver(nullptr);
}

TEST_F(AddressTest, VpcNeedsAnInternetGateway) {  // EIP-17
  Tx tx = NewTx();
  std::string lonely = CreateVpc(tx, {.cidr_block = "10.1.0.0/16"}).id;
  std::string n = AddInterface(*p, "eni-0aaaaaaaaaaaaaaa2", {"10.1.0.10"}, lonely);
  std::string id = Allocate();
  try {
    AssociateAddress(tx, {.allocation_id = id, .network_interface_id = n});
    FAIL() << "associated in a VPC without an internet gateway";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, "Gateway.NotAttached");
    EXPECT_EQ(std::string(e.what()), "Network " + lonely + " is not attached to any internet gateway");
  }
}

TEST_F(AddressTest, ReassociationNeedsAllowReassociation) {  // EIP-7, EIP-8, MI-9
  std::string other = AddInterface(*p, "eni-0aaaaaaaaaaaaaaa3", {"10.0.0.20"});
  std::string a = Allocate(), b = Allocate();
  Tx tx = NewTx();
  std::string first = AssociateAddress(tx, {.allocation_id = a, .network_interface_id = eni});
  // The address is associated already.
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.allocation_id = a, .network_interface_id = other}); }),
            "Resource.AlreadyAssociated");
  // The private address has an address already (one per private address, F5).
  EXPECT_EQ(CodeOf([&] { AssociateAddress(tx, {.allocation_id = b, .network_interface_id = eni}); }),
            "Resource.AlreadyAssociated");
  EXPECT_EQ(p->addresses.at(a).association_id, first);
  // With AllowReassociation the address moves, with a new association id …
  std::string moved = AssociateAddress(tx, {.allocation_id = a, .network_interface_id = other, .allow_reassociation = true});
  EXPECT_NE(moved, first);
  EXPECT_EQ(p->addresses.at(a).network_interface_id, other);
  EXPECT_EQ(p->addresses.at(a).private_ip_address, "10.0.0.20");
  // … and displaces the one on the target, which stays allocated (EIP-3).
  AssociateAddress(tx, {.allocation_id = b, .network_interface_id = other, .allow_reassociation = true});
  EXPECT_TRUE(p->addresses.at(a).association_id.empty());
  EXPECT_EQ(p->addresses.count(a), 1u);
  EXPECT_EQ(p->addresses.at(b).network_interface_id, other);
}

TEST_F(AddressTest, DisassociateKeepsTheAllocation) {  // EIP-3
  std::string id = Allocate();
  Tx tx = NewTx();
  std::string assoc = AssociateAddress(tx, {.allocation_id = id, .network_interface_id = eni});
  DisassociateAddress(tx, assoc);
  const Address& a = p->addresses.at(id);
  EXPECT_TRUE(a.association_id.empty());
  EXPECT_TRUE(a.network_interface_id.empty());
  EXPECT_TRUE(a.private_ip_address.empty());
  EXPECT_EQ(CodeOf([&] { DisassociateAddress(tx, assoc); }), "InvalidAssociationID.NotFound");
  EXPECT_EQ(CodeOf([&] { DisassociateAddress(tx, ""); }), "MissingParameter");
}

TEST_F(AddressTest, ReleaseIsRefusedWhileAssociated) {  // EIP-12, AA10, S4, A24
  std::string id = Allocate();
  Tx tx = NewTx();
  std::string assoc = AssociateAddress(tx, {.allocation_id = id, .network_interface_id = eni});
  EXPECT_EQ(CodeOf([&] { ReleaseAddress(tx, id); }), "InvalidIPAddress.InUse");
  DisassociateAddress(tx, assoc);
  EXPECT_EQ(CodeOf([&] { ReleaseAddress(tx, id); }), "");
}

TEST_F(AddressTest, ReleaseInTheDefaultVpcDisassociatesFirst) {  // API Reference, ReleaseAddress
  std::string default_vpc;
  for (const auto& [id, v] : p->vpcs)
    if (v.is_default) default_vpc = id;
  std::string n = AddInterface(*p, "eni-0aaaaaaaaaaaaaaa4", {"172.31.0.10"}, default_vpc);
  std::string id = Allocate();
  Tx tx = NewTx();
  AssociateAddress(tx, {.allocation_id = id, .network_interface_id = n});  // the default VPC has its gateway
  EXPECT_EQ(CodeOf([&] { ReleaseAddress(tx, id); }), "");
  EXPECT_EQ(p->addresses.count(id), 0u);
}

TEST_F(AddressTest, DetachingTheGatewayIsRefusedWhileAddressesAreMapped) {  // AA5
  std::string id = Allocate();
  Tx tx = NewTx();
  std::string assoc = AssociateAddress(tx, {.allocation_id = id, .network_interface_id = eni});
  try {
    DetachInternetGateway(tx, igw, vpc);
    FAIL() << "detached with a mapped address";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, "DependencyViolation");
    EXPECT_EQ(std::string(e.what()), "Network " + vpc +
                                         " has some mapped public address(es). Please unmap those public "
                                         "address(es) before detaching the gateway.");
  }
  // An address in another VPC does not matter; an unassociated one neither.
  DisassociateAddress(tx, assoc);
  EXPECT_EQ(CodeOf([&] { DetachInternetGateway(tx, igw, vpc); }), "");
}

TEST_F(AddressTest, DeletingAnInterfaceDisassociatesItsAddresses) {
  std::string id = Allocate(), kept = Allocate();
  std::string other = AddInterface(*p, "eni-0aaaaaaaaaaaaaaa5", {"10.0.0.30"});
  Tx tx = NewTx();
  AssociateAddress(tx, {.allocation_id = id, .network_interface_id = eni});
  AssociateAddress(tx, {.allocation_id = kept, .network_interface_id = other});
  Tx del = NewTx();
  OnNetworkInterfaceDeleted(del, eni);
  EXPECT_TRUE(p->addresses.at(id).association_id.empty());
  EXPECT_TRUE(del.touched().count(id));
  EXPECT_FALSE(del.touched().count(kept));
  EXPECT_EQ(p->addresses.at(kept).network_interface_id, other);
}

TEST_F(AddressTest, SecondaryAddressesCarryTheirElasticIp) {  // MI-9
  std::string other = AddInterface(*p, "eni-0aaaaaaaaaaaaaaa6", {"10.0.0.40"});
  std::string id = Allocate();
  Tx tx = NewTx();
  AssociateAddress(tx, {.allocation_id = id, .network_interface_id = eni, .private_ip_address = "10.0.0.11"});
  OnPrivateIpAddressMoved(tx, eni, other, "10.0.0.11");
  EXPECT_EQ(p->addresses.at(id).network_interface_id, other);
  EXPECT_EQ(p->addresses.at(id).private_ip_address, "10.0.0.11");
  OnPrivateIpAddressesUnassigned(tx, other, {"10.0.0.11"});
  EXPECT_TRUE(p->addresses.at(id).association_id.empty());
}

TEST_F(AddressTest, DefaultPtrRecordFollowsAwsNaming) {  // IP-9
  EXPECT_EQ(DefaultPtrRecord("us-east-1", "198.51.100.7"), "ec2-198-51-100-7.compute-1.amazonaws.com");
  EXPECT_EQ(DefaultPtrRecord("eu-west-1", "198.51.100.7"), "ec2-198-51-100-7.eu-west-1.compute.amazonaws.com");
}

}  // namespace
