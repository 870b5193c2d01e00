// VPC peering in the model: transitions, overlap, lazy expiry and visibility, routes turning
// blackhole. Rule ids (T1-T6, B7, B8, G13, G16, AA1) refer to shared/spec/inventory-vpc-guide.md.
#include <gtest/gtest.h>

#include "error_code.h"

#include "model/rules.h"
#include "model/error.h"
#include "model/dhcp_options.h"
#include "model/route_table.h"
#include "model/vpc.h"
#include "model/vpc_peering.h"

using namespace openvpc::model;
using namespace std::chrono_literals;

namespace {

using openvpc::testing::CodeOf;

class PeeringTest : public ::testing::Test {
 protected:
  PeeringTest() {
    RegisterAllRules();
    AttachPeeringState(&state);
    SetPeeringClock([this] { return now; });
    Ensure(kMe, "us-east-1");
    Ensure(kOther, "us-east-1");
    Ensure(kMe, "us-west-2");
  }
  ~PeeringTest() override {
    SetPeeringClock(nullptr);
    AttachPeeringState(nullptr);
  }

  Partition& Ensure(const std::string& account, const std::string& region) {
    if (Partition* p = state.Find(account, region)) return *p;
    Partition& p = state.partitions[{account, region}];
    p.account_id = account;
    p.region = region;
    Tx tx(p, state.quotas, &state);
    InitializePartition(tx);
    return p;
  }
  Partition& P(const std::string& account = kMe, const std::string& region = "us-east-1") {
    return *state.Find(account, region);
  }
  Tx TxIn(Partition& p) { return Tx(p, state.quotas, &state); }

  std::string NewVpc(Partition& p, const std::string& cidr) {
    Tx tx = TxIn(p);
    return CreateVpc(tx, {.cidr_block = cidr}).id;
  }


  // The status the partition P sees, or "" when it no longer sees the connection.
  std::string StatusSeenBy(Partition& p, const std::string& id) {
    Tx tx = TxIn(p);
    for (const auto& v : VisiblePeeringConnections(tx))
      if (v.pcx.id == id) return v.pcx.status_code;
    return "";
  }

  std::string Peer(Partition& p, const std::string& vpc, const std::string& peer_vpc, const std::string& owner = "",
                   const std::string& region = "") {
    Tx tx = TxIn(p);
    return CreateVpcPeeringConnection(tx, {vpc, peer_vpc, owner, region, {}}).id;
  }

  static constexpr const char* kMe = "123456789012";
  static constexpr const char* kOther = "210987654321";
  State state;
  std::chrono::system_clock::time_point now = std::chrono::system_clock::from_time_t(1700000000);
};

TEST_F(PeeringTest, CreateShowsInitiatingThenPendingThenActive) {  // T1
  Partition& p = P();
  std::string a = NewVpc(p, "10.0.0.0/16"), b = NewVpc(p, "10.1.0.0/16");
  Tx tx = TxIn(p);
  VpcPeeringConnection shown = CreateVpcPeeringConnection(tx, {a, b, "", "", {}});
  EXPECT_EQ(shown.status_code, "initiating-request");
  EXPECT_EQ(StatusSeenBy(p, shown.id), "pending-acceptance");
  EXPECT_TRUE(tx.touched().count(shown.id));
  Tx accept = TxIn(p);
  EXPECT_EQ(AcceptVpcPeeringConnection(accept, shown.id).status_code, "active");
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(p); AcceptVpcPeeringConnection(t, shown.id); }), "InvalidStateTransition");
}

TEST_F(PeeringTest, OverlappingBlocksFail) {  // T4, API Reference: status failed
  Partition& p = P();
  std::string a = NewVpc(p, "10.0.0.0/16"), b = NewVpc(p, "10.0.0.0/24");
  std::string id = Peer(p, a, b);
  EXPECT_EQ(StatusSeenBy(p, id), "failed");
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(p); AcceptVpcPeeringConnection(t, id); }), "InvalidStateTransition");
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(p); DeleteVpcPeeringConnection(t, id); }), "InvalidStateTransition");
  now += 2h;  // a failed connection stays visible to the requester for 2 hours
  EXPECT_EQ(StatusSeenBy(p, id), "");
}

TEST_F(PeeringTest, PendingExpiresAfter168Hours) {  // T5
  Partition& me = P();
  Partition& other = P(kOther);
  std::string a = NewVpc(me, "10.0.0.0/16"), b = NewVpc(other, "10.1.0.0/16");
  std::string id = Peer(me, a, b, kOther);
  EXPECT_EQ(StatusSeenBy(other, id), "pending-acceptance");
  now += 167h;
  EXPECT_EQ(StatusSeenBy(other, id), "pending-acceptance");
  now += 1h;
  EXPECT_EQ(StatusSeenBy(other, id), "expired");
  EXPECT_EQ(StatusSeenBy(me, id), "expired");
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(other); AcceptVpcPeeringConnection(t, id); }), "InvalidStateTransition");
  now += 47h;  // visible to both for 2 days
  EXPECT_EQ(StatusSeenBy(me, id), "expired");
  now += 1h;
  EXPECT_EQ(StatusSeenBy(me, id), "");
  // The next write sweeps it away (and records the removal for the store).
  std::string c = NewVpc(me, "10.2.0.0/16");
  Peer(me, a, c);
  EXPECT_EQ(me.vpc_peering_connections.count(id), 0u);
}

TEST_F(PeeringTest, AcceptOnlyByAccepterInItsRegion) {
  Partition& east = P();
  Partition& west = P(kMe, "us-west-2");
  Partition& other = P(kOther);
  std::string a = NewVpc(east, "10.0.0.0/16"), b = NewVpc(west, "10.1.0.0/16"), c = NewVpc(other, "10.2.0.0/16");
  std::string x = Peer(east, a, b, "", "us-west-2");
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(east); AcceptVpcPeeringConnection(t, x); }), "OperationNotPermitted");
  Tx t = TxIn(west);
  AcceptVpcPeeringConnection(t, x);
  EXPECT_TRUE(t.touched_elsewhere().count({&east, x}));  // stored in the requester's partition
  std::string y = Peer(east, a, c, kOther);
  EXPECT_EQ(CodeOf([&] { Tx u = TxIn(east); AcceptVpcPeeringConnection(u, y); }), "OperationNotPermitted");
  EXPECT_EQ(CodeOf([&] { Tx u = TxIn(west); AcceptVpcPeeringConnection(u, y); }),
            "InvalidVpcPeeringConnectionID.NotFound");
}

TEST_F(PeeringTest, RejectedVisibility) {  // Peering Guide: requester 2 days, accepter 2 hours
  Partition& me = P();
  Partition& other = P(kOther);
  std::string a = NewVpc(me, "10.0.0.0/16"), b = NewVpc(other, "10.1.0.0/16");
  std::string id = Peer(me, a, b, kOther);
  Tx t = TxIn(other);
  RejectVpcPeeringConnection(t, id);
  EXPECT_EQ(StatusSeenBy(other, id), "rejected");
  now += 2h;
  EXPECT_EQ(StatusSeenBy(other, id), "");
  EXPECT_EQ(StatusSeenBy(me, id), "rejected");
  now += 46h;
  EXPECT_EQ(StatusSeenBy(me, id), "");
}

TEST_F(PeeringTest, RoutesTurnBlackholeOnDelete) {  // G13, G16
  Partition& p = P();
  std::string a = NewVpc(p, "10.0.0.0/16"), b = NewVpc(p, "10.1.0.0/16");
  std::string id = Peer(p, a, b);
  const std::string rtb = MainRouteTable(p, a).id;
  {
    Tx t = TxIn(p);
    CreateRoute(t, {.route_table_id = rtb, .destination_cidr_block = "10.1.0.0/16",
                    .target_member = "VpcPeeringConnectionId", .target_id = id});
  }
  auto state_of_route = [&] {
    const RouteTable& rt = p.route_tables.at(rtb);
    for (const auto& r : rt.routes)
      if (r.destination_cidr_block == "10.1.0.0/16") return RouteState(p, rt, r);
    return std::string("missing");
  };
  EXPECT_EQ(state_of_route(), "blackhole");  // pending: not yet usable
  { Tx t = TxIn(p); AcceptVpcPeeringConnection(t, id); }
  EXPECT_EQ(state_of_route(), "active");
  { Tx t = TxIn(p); DeleteVpcPeeringConnection(t, id); }
  EXPECT_EQ(state_of_route(), "blackhole");
  EXPECT_EQ(StatusSeenBy(p, id), "deleted");
}

TEST_F(PeeringTest, DeleteVpcRefusedWhilePeered) {  // AA1, T6
  Partition& me = P();
  Partition& other = P(kOther);
  std::string a = NewVpc(me, "10.0.0.0/16"), b = NewVpc(other, "10.1.0.0/16");
  std::string id = Peer(me, a, b, kOther);
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(other); DeleteVpc(t, b); }), "DependencyViolation");
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(me); DeleteVpc(t, a); }), "DependencyViolation");
  { Tx t = TxIn(me); DeleteVpcPeeringConnection(t, id); }
  Tx t = TxIn(other);
  DeleteVpc(t, b);
}

TEST_F(PeeringTest, CidrAssociationRules) {  // B7, B8
  Partition& p = P();
  std::string a = NewVpc(p, "10.0.0.0/16"), b = NewVpc(p, "10.1.0.0/16"), c = NewVpc(p, "10.2.0.0/16");
  std::string ab = Peer(p, a, b);
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(p); AssociateVpcCidrBlock(t, a, "10.9.0.0/16", false); }),
            "OperationNotPermitted");  // B8: requester, pending
  std::string cb = Peer(p, c, b);
  { Tx t = TxIn(p); AssociateVpcCidrBlock(t, b, "10.2.128.0/17", false); }  // B8: accepter overlaps c
  EXPECT_EQ(StatusSeenBy(p, cb), "failed");
  EXPECT_EQ(StatusSeenBy(p, ab), "pending-acceptance");
  { Tx t = TxIn(p); AcceptVpcPeeringConnection(t, ab); }
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(p); AssociateVpcCidrBlock(t, a, "10.1.0.0/24", false); }),
            "InvalidVpc.Range");  // B7: overlaps the active peer
  EXPECT_EQ(CodeOf([&] { Tx t = TxIn(p); AssociateVpcCidrBlock(t, a, "10.5.0.0/16", false); }), "");
}

}  // namespace
