// The resolver over TCP (dataplane/dns_tcp_server.h) on a real loopback socket: length-prefixed
// messages, several on one connection, the caller's address handed to the answer function.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/services/dns.h"
#include "dataplane/services/dns_tcp_server.h"

using namespace openvpc;
using namespace openvpc::dataplane;

namespace {

// A listening loopback socket; ADDR gets its address.
int Listen(sockaddr_in& addr) {
  int listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  addr = {};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  EXPECT_EQ(listen(listen_fd, 64), 0);
  socklen_t len = sizeof addr;
  getsockname(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  return listen_fd;
}

std::vector<uint8_t> Framed(const std::vector<uint8_t>& q) {
  std::vector<uint8_t> msg(q.size() + 2);
  msg[0] = static_cast<uint8_t>(q.size() >> 8);
  msg[1] = static_cast<uint8_t>(q.size());
  std::copy(q.begin(), q.end(), msg.begin() + 2);
  return msg;
}

bool ReadFull(int fd, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

TEST(DnsTcpServer, AnswersLengthPrefixedQueriesOnOneConnection) {
  sockaddr_in addr;
  int listen_fd = Listen(addr);
  uint32_t seen_peer = 0;
  DnsTcpServer server(listen_fd, [&](uint32_t peer, std::span<const uint8_t> query) -> std::optional<std::vector<uint8_t>> {
    seen_peer = peer;
    auto q = ParseDnsQuery(query);
    if (!q) return std::nullopt;
    DnsAnswer a;
    if (q->name == "ip-10-0-1-5.ec2.internal") a.a.push_back(*net::ParseIpv4("10.0.1.5"));
    else a.rcode = kDnsNxDomain;
    return BuildDnsResponse(*q, a);
  });
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  for (const char* name : {"ip-10-0-1-5.ec2.internal", "nope.ec2.internal"}) {
    auto msg = Framed(BuildDnsQuery(42, name, kDnsTypeA));
    ASSERT_EQ(write(fd, msg.data(), msg.size()), static_cast<ssize_t>(msg.size()));
    uint8_t prefix[2];
    ASSERT_TRUE(ReadFull(fd, prefix, 2));
    std::vector<uint8_t> response(size_t{prefix[0]} << 8 | prefix[1]);
    ASSERT_TRUE(ReadFull(fd, response.data(), response.size()));
    ASSERT_GE(response.size(), 12u);
    EXPECT_EQ(response[0] << 8 | response[1], 42);
    EXPECT_EQ(response[3] & 0xf, std::string(name).starts_with("ip-") ? kDnsNoError : kDnsNxDomain) << name;
  }
  EXPECT_EQ(seen_peer, INADDR_LOOPBACK);
  // A message that does not parse closes the connection.
  uint8_t junk[] = {0, 3, 1, 2, 3};
  ASSERT_EQ(write(fd, junk, sizeof junk), 5);
  uint8_t byte;
  EXPECT_EQ(read(fd, &byte, 1), 0);
  close(fd);
  server.Stop();
}

// One client that sends queries and never reads its answers (its receive window fills, the
// server's send blocks) must not keep the resolver from anyone else: connections are served at
// once, and a send that cannot go out is given up after 2 s.
TEST(DnsTcpServer, AClientThatNeverReadsDoesNotBlockOthers) {
  sockaddr_in addr;
  int listen_fd = Listen(addr);
  DnsTcpServer server(listen_fd, [](uint32_t, std::span<const uint8_t> query) -> std::optional<std::vector<uint8_t>> {
    auto q = ParseDnsQuery(query);
    if (!q) return std::nullopt;
    DnsAnswer a;
    for (int i = 0; i < 40; ++i) a.a.push_back(net::Ipv4{0x0a000000u + static_cast<uint32_t>(i)});  // big answers
    return BuildDnsResponse(*q, a);
  });
  int hog = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 1024;
  setsockopt(hog, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  ASSERT_EQ(connect(hog, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  timeval send_timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(hog, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
  auto msg = Framed(BuildDnsQuery(7, "hog.ec2.internal", kDnsTypeA));
  for (int i = 0; i < 5000; ++i)  // until the server stops taking them (its answers are not read)
    if (write(hog, msg.data(), msg.size()) != static_cast<ssize_t>(msg.size())) break;

  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval read_timeout{.tv_sec = 20, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &read_timeout, sizeof read_timeout);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  auto q = Framed(BuildDnsQuery(43, "other.ec2.internal", kDnsTypeA));
  ASSERT_EQ(write(fd, q.data(), q.size()), static_cast<ssize_t>(q.size()));
  uint8_t prefix[2];
  ASSERT_TRUE(ReadFull(fd, prefix, 2)) << "the other client was not answered";
  std::vector<uint8_t> response(size_t{prefix[0]} << 8 | prefix[1]);
  ASSERT_TRUE(ReadFull(fd, response.data(), response.size()));
  EXPECT_EQ(response[0] << 8 | response[1], 43);
  close(fd);
  close(hog);
  server.Stop();  // returns: every connection thread ends
}

}  // namespace
