#include "dataplane/services/imds_server.h"

#include "dataplane/services/local_services.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <string_view>
#include <system_error>

namespace openvpc::dataplane {

namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using boost::system::error_code;
using Clock = std::chrono::steady_clock;

constexpr auto kRequestTimeout = std::chrono::seconds(10);  // idle keep-alive included
constexpr size_t kHeaderLimit = 8 * 1024;
constexpr size_t kBodyLimit = 1024;  // a token PUT has no body
constexpr size_t kMaxConnections = 64;

// Beast's SyncReadStream and SyncWriteStream over a non-blocking socket. Every wait is a poll()
// that also watches the stop eventfd and honours a deadline, which asio's blocking socket calls
// cannot do (they poll without a timeout and ignore SO_RCVTIMEO).
class FdStream {
 public:
  FdStream(int fd, int wake_fd) : fd_(fd), wake_fd_(wake_fd) {}

  void set_deadline(Clock::time_point d) { deadline_ = d; }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, error_code& ec) {
    ec = {};
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers); ++it) {
      net::mutable_buffer b = *it;
      if (b.size() == 0) continue;
      for (;;) {
        ssize_t n = ::recv(fd_, b.data(), b.size(), MSG_DONTWAIT);
        if (n > 0) return static_cast<size_t>(n);
        if (n == 0) {
          ec = net::error::eof;
          return 0;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
          ec.assign(errno, boost::system::system_category());
          return 0;
        }
        if (!Wait(POLLIN, ec)) return 0;
      }
    }
    return 0;
  }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    error_code ec;
    size_t n = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, error_code& ec) {
    ec = {};
    iovec iov[16];
    size_t count = 0;
    for (auto it = net::buffer_sequence_begin(buffers); it != net::buffer_sequence_end(buffers) && count < 16;
         ++it) {
      net::const_buffer b = *it;
      if (b.size() > 0) iov[count++] = iovec{const_cast<void*>(b.data()), b.size()};
    }
    if (count == 0) return 0;
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = count;
    for (;;) {
      // MSG_NOSIGNAL: a peer that went away must not SIGPIPE the whole process.
      ssize_t n = ::sendmsg(fd_, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n >= 0) return static_cast<size_t>(n);
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) {
        ec.assign(errno, boost::system::system_category());
        return 0;
      }
      if (!Wait(POLLOUT, ec)) return 0;
    }
  }

  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    error_code ec;
    size_t n = write_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return n;
  }

 private:
  // True when the socket may be ready (the caller retries); false with EC on timeout or stop.
  bool Wait(short events, error_code& ec) {
    auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - Clock::now());
    if (left.count() <= 0) {
      ec = net::error::timed_out;
      return false;
    }
    pollfd p[2] = {{fd_, events, 0}, {wake_fd_, POLLIN, 0}};
    int r = ::poll(p, 2, static_cast<int>(std::min<long long>(left.count(), 60'000)));
    if (r < 0 && errno != EINTR) {
      ec.assign(errno, boost::system::system_category());
      return false;
    }
    if (r > 0 && p[1].revents != 0) {
      ec = net::error::operation_aborted;
      return false;
    }
    return true;
  }

  int fd_, wake_fd_;
  Clock::time_point deadline_ = Clock::now() + kRequestTimeout;
};

// The caller's IPv4 alias: its IPv4 address, or the one embedded in an IPv6 alias
// (kServiceAlias6Prefix, for requests to fd00:ec2::254).
uint32_t PeerIpv4(const sockaddr_storage& ss) {
  if (ss.ss_family == AF_INET) return ntohl(reinterpret_cast<const sockaddr_in&>(ss).sin_addr.s_addr);
  if (ss.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(ss).sin6_addr;
    if (IN6_IS_ADDR_V4MAPPED(&a) || std::memcmp(a.s6_addr, kServiceAlias6Prefix.bytes.data(), 12) == 0) {
      uint32_t v;
      std::memcpy(&v, a.s6_addr + 12, 4);
      return ntohl(v);
    }
  }
  return 0;  // no alias: no instance has it, so the caller is unknown
}

std::string_view View(boost::beast::string_view s) { return std::string_view(s.data(), s.size()); }

}  // namespace

MetadataServer::MetadataServer(int listen_fd, Identify identify, std::string http_tokens)
    : MetadataServer(std::vector<int>{listen_fd}, std::move(identify), std::move(http_tokens)) {}

MetadataServer::MetadataServer(std::vector<int> listen_fds, Identify identify, std::string http_tokens)
    : listen_fds_(std::move(listen_fds)), wake_fd_(-1), identify_(std::move(identify)), service_(std::move(http_tokens)) {
  // Non-blocking, so an accept() after poll() cannot hang on a connection reset meanwhile.
  for (int fd : listen_fds_) {
    int flags = ::fcntl(fd, F_GETFL);
    if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  }
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    int e = errno;
    for (int fd : listen_fds_) ::close(fd);
    throw std::system_error(e, std::generic_category(), "eventfd");
  }
  try {
    acceptor_ = std::thread(&MetadataServer::AcceptLoop, this);
  } catch (...) {
    for (int fd : listen_fds_) ::close(fd);
    ::close(wake_fd_);
    throw;
  }
}

MetadataServer::~MetadataServer() { Stop(); }

void MetadataServer::Stop() {
  if (stopped_) return;
  stopped_ = true;
  // The eventfd stays readable (nobody reads it), so every poll() from now on returns at once.
  uint64_t one = 1;
  ssize_t n = ::write(wake_fd_, &one, sizeof one);
  (void)n;  // cannot fail short of a counter overflow
  if (acceptor_.joinable()) acceptor_.join();
  for (auto& c : connections_) c->thread.join();  // the acceptor is gone: the list is ours
  connections_.clear();
  for (int fd : listen_fds_) ::close(fd);
  ::close(wake_fd_);
}

void MetadataServer::AcceptLoop() {
  std::vector<pollfd> p(listen_fds_.size() + 1);
  for (;;) {
    p[0] = {wake_fd_, POLLIN, 0};
    for (size_t i = 0; i < listen_fds_.size(); ++i) p[i + 1] = {listen_fds_[i], POLLIN, 0};
    if (::poll(p.data(), p.size(), -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (p[0].revents != 0) return;

    // Reap finished connections before counting them.
    for (auto it = connections_.begin(); it != connections_.end();) {
      if ((*it)->done.load()) {
        (*it)->thread.join();
        it = connections_.erase(it);
      } else {
        ++it;
      }
    }

    for (size_t i = 1; i < p.size(); ++i) {
      if (p[i].revents == 0) continue;
      sockaddr_storage ss{};
      socklen_t len = sizeof ss;
      int fd = ::accept4(p[i].fd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EBADF || errno == EINVAL || errno == ENOTSOCK || errno == EOPNOTSUPP) return;  // not listening
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          pollfd w{wake_fd_, POLLIN, 0};  // out of resources: back off instead of spinning
          ::poll(&w, 1, 100);
        }
        continue;  // EAGAIN, ECONNABORTED, EINTR, …: the next one
      }
      if (connections_.size() >= kMaxConnections) {
        ::close(fd);
        continue;
      }
      auto c = std::make_unique<Connection>();
      try {
        c->thread = std::thread(&MetadataServer::Serve, this, fd, PeerIpv4(ss), ss.ss_family == AF_INET6, c.get());
      } catch (...) {
        ::close(fd);
        continue;
      }
      connections_.push_back(std::move(c));
    }
  }
}

void MetadataServer::Serve(int fd, uint32_t peer, bool ipv6, Connection* self) {
  try {
    FdStream stream(fd, wake_fd_);
    // The IP TTL (IPv6: the hop limit) of what this socket sends; -1 for IPv6 is the route's.
    const int level = ipv6 ? IPPROTO_IPV6 : IPPROTO_IP, option = ipv6 ? IPV6_UNICAST_HOPS : IP_TTL;
    int default_ttl = ipv6 ? -1 : 64;
    socklen_t ttl_len = sizeof default_ttl;
    if (!ipv6) ::getsockopt(fd, level, option, &default_ttl, &ttl_len);
    int current_ttl = default_ttl;
    boost::beast::flat_buffer buffer(kHeaderLimit + kBodyLimit + 1024);
    for (;;) {
      stream.set_deadline(Clock::now() + kRequestTimeout);
      http::request_parser<http::string_body> parser;
      parser.header_limit(kHeaderLimit);
      parser.body_limit(kBodyLimit);
      error_code ec;
      http::read(stream, buffer, parser, ec);
      if (ec) break;  // EOF, timeout, stop, or malformed/oversized: just close
      const auto& req = parser.get();

      std::map<std::string, std::string> headers;
      for (const auto& f : req) {
        std::string name(View(f.name_string()));
        for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto [it, fresh] = headers.emplace(name, std::string(View(f.value())));
        if (!fresh) it->second += ", " + std::string(View(f.value()));  // repeated: one list, as HTTP folds them
      }
      // Identified per request: a keep-alive connection sees a change of the instance's metadata
      // options (or its termination) at its next request.
      std::optional<InstanceMetadata> instance;
      try {
        instance = identify_(peer);
      } catch (...) {
        // Unidentifiable: served as an unknown caller (404s).
      }
      const double now = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
      MetadataResponse r = service_.Handle(View(req.method_string()), View(req.target()), headers,
                                           instance ? &*instance : nullptr, now);

      http::response<http::string_body> res;
      res.version(req.version());
      res.result(static_cast<unsigned>(r.status));
      res.set(http::field::server, "EC2ws");
      res.set(http::field::content_type, r.content_type);
      for (const auto& [name, value] : r.headers) res.set(name, value);
      res.body() = std::move(r.body);
      res.keep_alive(req.keep_alive());
      res.prepare_payload();
      // A token's reply leaves with the hop limit as its IP TTL (the TCP segments that carry it,
      // until the next response sets it back).
      const int ttl = r.ip_ttl > 0 ? r.ip_ttl : default_ttl;
      if (ttl != current_ttl && ::setsockopt(fd, level, option, &ttl, sizeof ttl) == 0) current_ttl = ttl;
      http::write(stream, res, ec);
      if (ec || !res.keep_alive()) break;
    }
  } catch (...) {
    // Nothing may escape a connection thread; the connection just closes.
  }
  ::close(fd);
  self->done.store(true);
}

}  // namespace openvpc::dataplane
