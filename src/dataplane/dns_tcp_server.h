// The resolver over TCP (RFC 1035 §4.2.2, RFC 7766): messages behind a two-byte length, on a
// socket the caller made inside the services namespace. The engine brings an instance's TCP
// queries to base+2 or 169.254.169.253 there, the source rewritten to the interface's alias.
#pragma once

#include <cstdint>
#include <functional>
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

  // Takes LISTEN_FD (bound, listening). Connections are served one at a time, each closed after
  // 2 s without a complete message, so a slow client delays others by 2 s at most.
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
};

}  // namespace openvpc::dataplane
