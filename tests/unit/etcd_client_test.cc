// The etcd client's pure parts: endpoint lists as --store takes them, and prefix ranges.
#include <gtest/gtest.h>

#include "store/etcd_client.h"

namespace openvpc::store::etcd {
namespace {

TEST(EtcdEndpoints, ListsEveryMemberInOrder) {
  EXPECT_EQ(ParseEndpoints("127.0.0.1:2379"), (std::vector<std::string>{"127.0.0.1:2379"}));
  EXPECT_EQ(ParseEndpoints("a:1,http://b:2,,c:3"), (std::vector<std::string>{"a:1", "b:2", "c:3"}));
  EXPECT_EQ(ParseEndpoints("[::1]:2379"), (std::vector<std::string>{"[::1]:2379"}));
}

TEST(EtcdEndpoints, RefusesWhatIsNotHostAndPort) {
  EXPECT_THROW(ParseEndpoints(""), std::runtime_error);
  EXPECT_THROW(ParseEndpoints("localhost"), std::runtime_error);
  EXPECT_THROW(ParseEndpoints("localhost:"), std::runtime_error);
  EXPECT_THROW(ParseEndpoints(":2379"), std::runtime_error);
}

TEST(EtcdPrefix, EndIsTheFirstKeyAfterThePrefix) {
  EXPECT_EQ(PrefixEnd("openvpc/"), "openvpc0");
  EXPECT_EQ(PrefixEnd(std::string("a\xff", 2)), "b");
  EXPECT_EQ(PrefixEnd(std::string("\xff\xff", 2)), std::string(1, '\0'));
}

TEST(EtcdBase64, KeysAndValuesRoundTrip) {
  const std::string bytes("row\n\0\xff", 6);
  EXPECT_EQ(Client::Decode(Client::Encode(bytes)), bytes);
  EXPECT_EQ(Client::Encode("openvpc/head"), "b3BlbnZwYy9oZWFk");
  EXPECT_THROW(Client::Decode("not base64!"), Error);
}

}  // namespace
}  // namespace openvpc::store::etcd
