#include "dataplane/services/dns_tcp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>

namespace openvpc::dataplane {

namespace {
constexpr int kTimeoutMs = 2000;
}

DnsTcpServer::DnsTcpServer(int listen_fd, Answer answer)
    : listen_fd_(listen_fd), wake_fd_(eventfd(0, EFD_CLOEXEC)), answer_(std::move(answer)) {
  thread_ = std::thread([this] { Loop(); });
}

DnsTcpServer::~DnsTcpServer() { Stop(); }

void DnsTcpServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  thread_.join();
  {
    std::unique_lock lock(mu_);  // the wake-up ends every connection's wait
    idle_.wait(lock, [&] { return active_ == 0; });
  }
  close(listen_fd_);
  close(wake_fd_);
}

void DnsTcpServer::Loop() {
  for (;;) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0 && errno != EINTR) return;
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) poll(nullptr, 0, 100);
      continue;
    }
    {
      std::lock_guard lock(mu_);
      if (active_ >= kMaxConnections) {
        close(fd);
        continue;
      }
      ++active_;
    }
    timeval send_timeout{.tv_sec = kTimeoutMs / 1000, .tv_usec = 0};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof send_timeout);
    std::thread([this, fd, peer = ntohl(peer.sin_addr.s_addr)] {
      try {
        Serve(fd, peer);
      } catch (const std::exception&) {  // (an answer that threw: this connection ends, not the resolver)
      }
      close(fd);
      std::lock_guard lock(mu_);
      if (--active_ == 0) idle_.notify_all();
    }).detach();
  }
}

bool DnsTcpServer::ReadFull(int fd, uint8_t* buf, size_t n) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kTimeoutMs);
  size_t got = 0;
  while (got < n) {
    int left = static_cast<int>(
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    if (left <= 0) return false;
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    if (poll(fds, 2, left) <= 0 || fds[1].revents) return false;
    ssize_t r = read(fd, buf + got, n - got);
    if (r <= 0) return false;
    got += static_cast<size_t>(r);
  }
  return true;
}

void DnsTcpServer::Serve(int fd, uint32_t peer) {
  for (;;) {  // a client may send several queries on one connection (RFC 7766 §6.2.1)
    uint8_t prefix[2];
    if (!ReadFull(fd, prefix, 2)) return;
    size_t n = size_t{prefix[0]} << 8 | prefix[1];
    std::vector<uint8_t> query(n);
    if (n == 0 || !ReadFull(fd, query.data(), n)) return;
    auto response = answer_(peer, query);
    if (!response) return;
    std::vector<uint8_t> out{static_cast<uint8_t>(response->size() >> 8), static_cast<uint8_t>(response->size())};
    out.insert(out.end(), response->begin(), response->end());
    if (send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) return;
  }
}

}  // namespace openvpc::dataplane
