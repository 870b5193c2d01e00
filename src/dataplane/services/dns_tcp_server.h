// The resolver over TCP (RFC 1035 §4.2.2, RFC 7766): messages behind a two-byte length, on a
// socket the caller made inside the services namespace. The engine brings an instance's TCP
// queries to base+2 or 169.254.169.253 there, the source rewritten to the interface's alias.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <span>
#include <thread>
#include <vector>

namespace openvpc::dataplane {

class DnsTcpServer {
 public:
  // The response to QUERY from the interface whose alias is PEER_IPV4 (host order), or nullopt
  // to close the connection without one.
  using Answer = std::function<std::optional<std::vector<uint8_t>>(uint32_t peer_ipv4, std::span<const uint8_t> query)>;

  // At most this many connections are served at once, each on its own thread; one more is
  // closed at once. A connection is closed after 2 s without a complete message, or when a
  // response cannot be sent within 2 s (a client that never reads), so no client holds the
  // resolver from the others.
  static constexpr int kMaxConnections = 32;

  // Takes LISTEN_FD (bound, listening).
  DnsTcpServer(int listen_fd, Answer answer);
  ~DnsTcpServer();  // Stop()
  DnsTcpServer(const DnsTcpServer&) = delete;
  DnsTcpServer& operator=(const DnsTcpServer&) = delete;
  void Stop();

 private:
  void Loop();
  void Serve(int fd, uint32_t peer);
  // Reads exactly N bytes into BUF within the deadline; false on timeout, close or Stop().
  bool ReadFull(int fd, uint8_t* buf, size_t n);

  int listen_fd_, wake_fd_;
  Answer answer_;
  std::thread thread_;
  bool stopped_ = false;
  std::mutex mu_;
  std::condition_variable idle_;
  int active_ = 0;  // connection threads running
};

}  // namespace openvpc::dataplane
