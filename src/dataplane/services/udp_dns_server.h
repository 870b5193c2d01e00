// A DNS server over UDP on a socket of its own (the simulated internet's public DNS): one thread
// that answers each query datagram with what ANSWER makes of it (dns.h's wire), or not at all.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <thread>
#include <vector>

namespace openvpc::dataplane {

class UdpDnsServer {
 public:
  using Answer = std::function<std::optional<std::vector<uint8_t>>(std::span<const uint8_t> query)>;
  // Takes FD (a bound UDP socket).
  UdpDnsServer(int fd, Answer answer);
  ~UdpDnsServer();  // Stop()
  UdpDnsServer(const UdpDnsServer&) = delete;
  UdpDnsServer& operator=(const UdpDnsServer&) = delete;
  void Stop();

 private:
  void Loop();
  int fd_, wake_fd_;
  Answer answer_;
  std::thread thread_;
};

}  // namespace openvpc::dataplane
