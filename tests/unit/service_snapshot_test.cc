// The API service publishes a snapshot of every committed state for the data plane: a reader
// never waits for a write in progress (its SQLite commit, an fsync with --sync full), and sees a
// write once it is acknowledged (issue 16: "forwarding that API writes never stall").
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <ctime>
#include <future>
#include <map>
#include <mutex>
#include <regex>
#include <stdexcept>
#include <thread>

#include "api/service.h"
#include "api/sigv4.h"
#include "store/codec.h"
#include "store/store.h"

namespace openvpc {
namespace {

using namespace std::chrono_literals;

// Rows in memory; Apply can be held open, as a slow disk holds a commit.
class GatedStore : public store::Store {
 public:
  std::vector<store::Row> LoadAll() override { return {}; }
  std::optional<store::Row> Get(const std::string& key) override {
    std::lock_guard lock(mu_);
    auto it = rows_.find(key);
    return it == rows_.end() ? std::nullopt : std::optional(it->second);
  }
  void Apply(const std::vector<store::Row>& puts, const std::vector<std::string>& deletes) override {
    std::unique_lock lock(mu_);
    if (fail_) throw std::runtime_error("disk I/O error");  // as a full or failing disk
    if (hold_) {
      holding_ = true;
      cv_.notify_all();
      cv_.wait(lock, [&] { return !hold_; });
      holding_ = false;
    }
    for (const auto& r : puts) rows_[r.key] = r;
    for (const auto& k : deletes) rows_.erase(k);
  }
  void Wipe() override { rows_.clear(); }
  std::map<std::string, store::Row> Rows() {
    std::lock_guard lock(mu_);
    return rows_;
  }
  void Close() override {}

  void Hold() {
    std::lock_guard lock(mu_);
    hold_ = true;
  }
  // Waits until a write is inside Apply, held.
  void WaitHolding() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return holding_; });
  }
  void Fail(bool fail) {
    std::lock_guard lock(mu_);
    fail_ = fail;
  }
  void Release() {
    std::lock_guard lock(mu_);
    hold_ = false;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool hold_ = false, holding_ = false, fail_ = false;
  std::map<std::string, store::Row> rows_;
};

std::string HexOf(const std::string& bytes) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += d[c >> 4];
    out += d[c & 15];
  }
  return out;
}

// A POST of BODY signed with SigV4 for ec2 in us-east-1, as the SDKs sign it.
api::HttpRequestView Signed(const std::string& body) {
  char date[17];
  std::time_t now = std::time(nullptr);
  std::strftime(date, sizeof date, "%Y%m%dT%H%M%SZ", std::gmtime(&now));
  const std::string amz_date = date, day = amz_date.substr(0, 8);
  const std::string scope = day + "/us-east-1/ec2/aws4_request";
  const std::string canonical = "POST\n/\n\nhost:localhost\nx-amz-date:" + amz_date + "\n\nhost;x-amz-date\n" +
                                api::Sha256Hex(body);
  const std::string to_sign = "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + api::Sha256Hex(canonical);
  std::string key = api::HmacSha256("AWS4secret", day);
  key = api::HmacSha256(key, "us-east-1");
  key = api::HmacSha256(key, "ec2");
  key = api::HmacSha256(key, "aws4_request");
  return {.method = "POST",
          .path = "/",
          .headers = {{"Host", "localhost"},
                      {"X-Amz-Date", amz_date},
                      {"Authorization", "AWS4-HMAC-SHA256 Credential=AKIDTEST/" + scope +
                                            ", SignedHeaders=host;x-amz-date, Signature=" +
                                            HexOf(api::HmacSha256(key, to_sign))}},
          .body = body};
}

size_t VpcsSeen(const api::Service& s) {
  size_t n = 0;
  s.Read([&](const model::State& state) {
    for (const auto& [key, p] : state.partitions) n += p.vpcs.size();
  });
  return n;
}

TEST(ServiceSnapshot, ReadersDoNotWaitForAWriteInProgressAndSeeItOnceCommitted) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore& store = *owned;
  api::ServiceOptions options;
  options.credentials = {{"AKIDTEST", {"AKIDTEST", "secret", "123456789012"}}};
  api::Service service(std::move(owned), options);
  const std::string create = "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.";
  ASSERT_EQ(service.Handle(Signed(create + "0.0.0%2F16")).status, 200);
  const size_t before = VpcsSeen(service);  // the default VPC and 10.0.0.0/16
  const uint64_t version = service.Version();
  ASSERT_GE(before, 2u);

  store.Hold();
  auto write = std::async(std::launch::async, [&] { return service.Handle(Signed(create + "1.0.0%2F16")).status; });
  store.WaitHolding();  // the write holds the service's lock, inside its commit
  auto read = std::async(std::launch::async, [&] { return std::pair(VpcsSeen(service), service.Version()); });
  const bool read_returned = read.wait_for(5s) == std::future_status::ready;
  store.Release();
  ASSERT_TRUE(read_returned) << "a reader waited for the write in progress";
  EXPECT_EQ(read.get(), std::pair(before, version));  // the write is not committed yet: not seen
  ASSERT_EQ(write.get(), 200);
  EXPECT_EQ(VpcsSeen(service), before + 1);  // acknowledged: published
  EXPECT_GT(service.Version(), version);
}

// A write whose commit fails is rolled back and answered with an error: the data plane never
// sees it, and the next write that commits is published whole.
TEST(ServiceSnapshot, AWriteWhoseCommitFailsIsNeverPublished) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore& store = *owned;
  api::ServiceOptions options;
  options.credentials = {{"AKIDTEST", {"AKIDTEST", "secret", "123456789012"}}};
  api::Service service(std::move(owned), options);
  const std::string create = "Action=CreateVpc&Version=2016-11-15&CidrBlock=10.";
  ASSERT_EQ(service.Handle(Signed(create + "0.0.0%2F16")).status, 200);
  const uint64_t version = service.Version();
  const size_t before = VpcsSeen(service);
  store.Fail(true);
  EXPECT_EQ(service.Handle(Signed(create + "1.0.0%2F16")).status, 500);
  EXPECT_EQ(service.Version(), version);
  EXPECT_EQ(VpcsSeen(service), before);
  store.Fail(false);
  ASSERT_EQ(service.Handle(Signed(create + "2.0.0%2F16")).status, 200);  // positive control
  EXPECT_GT(service.Version(), version);
  EXPECT_EQ(VpcsSeen(service), before + 1);
}

std::string Field(const std::string& xml, const std::string& tag) {
  std::smatch m;
  return std::regex_search(xml, m, std::regex("<" + tag + ">([^<]*)</" + tag + ">")) ? m[1].str() : "";
}

size_t ResourcesIn(const model::Partition& p) {
  return p.vpcs.size() + p.subnets.size() + p.route_tables.size() + p.internet_gateways.size() +
         p.egress_only_internet_gateways.size() + p.dhcp_options.size() + p.network_acls.size() +
         p.security_groups.size() + p.key_pairs.size() + p.placement_groups.size() + p.network_interfaces.size() +
         p.instances.size() + p.addresses.size() + p.vpc_peering_connections.size() + p.nat_gateways.size();
}

// The double-buffered snapshots take turns: after any sequence of writes (creates, changes,
// deletes), what the data plane reads is exactly what the store holds, resource by resource.
TEST(ServiceSnapshot, EverySnapshotIsWhatTheStoreHolds) {
  auto owned = std::make_unique<GatedStore>();
  GatedStore& store = *owned;
  api::ServiceOptions options;
  options.credentials = {{"AKIDTEST", {"AKIDTEST", "secret", "123456789012"}}};
  api::Service service(std::move(owned), options);
  auto call = [&](const std::string& params) {
    api::HttpResponse r = service.Handle(Signed("Version=2016-11-15&" + params));
    EXPECT_EQ(r.status, 200) << params << "\n" << r.body;
    return r.body;
  };
  auto check = [&] {
    const auto rows = store.Rows();
    size_t resources = 0, stored = 0;
    service.Read([&](const model::State& s) {
      for (const auto& [key, p] : s.partitions) resources += ResourcesIn(p);
      for (const auto& [key, row] : rows) {
        if (row.key.rfind("token/", 0) == 0) continue;
        const model::Partition* p = s.Find(row.account, row.region);
        ASSERT_NE(p, nullptr) << row.key;
        if (row.key.rfind("partition/", 0) == 0) {
          EXPECT_EQ(store::EncodePartition(*p).body, row.body);
          continue;
        }
        ++stored;
        auto encoded = store::EncodeResource(*p, row.key);
        ASSERT_TRUE(encoded) << row.key << " is stored but not in the snapshot";
        EXPECT_EQ(encoded->body, row.body) << row.key;
      }
    });
    EXPECT_EQ(resources, stored) << "the snapshot holds resources the store does not";
  };
  const std::string vpc = Field(call("Action=CreateVpc&CidrBlock=10.0.0.0%2F16"), "vpcId");
  check();
  const std::string other = Field(call("Action=CreateVpc&CidrBlock=10.1.0.0%2F16"), "vpcId");
  check();
  const std::string subnet =
      Field(call("Action=CreateSubnet&VpcId=" + vpc + "&CidrBlock=10.0.1.0%2F24&AvailabilityZone=us-east-1a"),
            "subnetId");
  check();
  const std::string group =
      Field(call("Action=CreateSecurityGroup&VpcId=" + vpc + "&GroupName=web&GroupDescription=web"), "groupId");
  call("Action=AuthorizeSecurityGroupIngress&GroupId=" + group +
       "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.FromPort=80&IpPermissions.1.ToPort=80"
       "&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0");
  check();
  call("Action=CreateTags&ResourceId.1=" + vpc + "&Tag.1.Key=Name&Tag.1.Value=main");
  const std::string igw = Field(call("Action=CreateInternetGateway"), "internetGatewayId");
  call("Action=AttachInternetGateway&InternetGatewayId=" + igw + "&VpcId=" + vpc);
  check();
  call("Action=DeleteSubnet&SubnetId=" + subnet);
  check();
  call("Action=DeleteSecurityGroup&GroupId=" + group);
  call("Action=DeleteVpc&VpcId=" + other);
  check();
  call("Action=DetachInternetGateway&InternetGatewayId=" + igw + "&VpcId=" + vpc);
  call("Action=DeleteInternetGateway&InternetGatewayId=" + igw);
  check();
}

}  // namespace
}  // namespace openvpc
