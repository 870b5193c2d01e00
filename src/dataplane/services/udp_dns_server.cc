// A DNS server over UDP: services/udp_dns_server.h.
#include "dataplane/services/udp_dns_server.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <exception>

namespace openvpc::dataplane {

UdpDnsServer::UdpDnsServer(int fd, Answer answer)
    : fd_(fd), wake_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)), answer_(std::move(answer)) {
  thread_ = std::thread([this] { Loop(); });
}

UdpDnsServer::~UdpDnsServer() { Stop(); }

void UdpDnsServer::Stop() {
  if (!thread_.joinable()) return;
  uint64_t one = 1;
  (void)!write(wake_fd_, &one, sizeof one);
  thread_.join();
  close(fd_);
  close(wake_fd_);
}

void UdpDnsServer::Loop() {
  std::vector<uint8_t> buf(4096);
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    sockaddr_storage peer{};
    socklen_t len = sizeof peer;
    const ssize_t n = recvfrom(fd_, buf.data(), buf.size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer), &len);
    if (n <= 0) continue;
    try {  // a query that breaks the answer is dropped, never the server
      if (auto reply = answer_({buf.data(), static_cast<size_t>(n)}))
        sendto(fd_, reply->data(), reply->size(), MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&peer), len);
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc: public DNS: %s\n", e.what());
    }
  }
}

}  // namespace openvpc::dataplane
