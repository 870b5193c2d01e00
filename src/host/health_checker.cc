// The load balancers' health checks: host/health_checker.h.
#include "host/health_checker.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/ssl.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdio>
#include <chrono>
#include <future>
#include <algorithm>
#include <cstring>
#include <vector>

#include "host/netns.h"
#include "model/load_balancer.h"
#include "model/target_group.h"

namespace openvpc::host {

namespace {

// The Host header's address: an IPv6 one in brackets (RFC 9110 section 7.2).
std::string HostText(const net::Ipv6& ip) {
  return net::IsIpv4Mapped(ip) ? net::MappedIpv4(ip).ToString() : "[" + ip.ToString() + "]";
}

double Seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// An HTTPS check on the connected socket FD (taken over): a TLS handshake (the target's
// certificate is not verified, as Elastic Load Balancing does not), the GET, the status code.
// Blocking, bounded by TIMEOUT seconds per read or write; run on a thread of its own.
std::pair<bool, std::string> HttpsCheck(int fd, const std::string& request, const std::string& matcher, double timeout) {
  timeval tv{static_cast<time_t>(timeout), static_cast<suseconds_t>((timeout - static_cast<long>(timeout)) * 1e6)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  const int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  std::pair<bool, std::string> result{false, "Target.FailedHealthChecks"};
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = ctx ? SSL_new(ctx) : nullptr;
  if (ssl) {
    SSL_set_verify(ssl, SSL_VERIFY_NONE, nullptr);
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) == 1 && SSL_write(ssl, request.data(), static_cast<int>(request.size())) > 0) {
      std::string answer;
      char buf[512];
      int n;
      while (answer.find("\r\n") == std::string::npos && answer.size() < 4096 &&
             (n = SSL_read(ssl, buf, sizeof buf)) > 0)
        answer.append(buf, static_cast<size_t>(n));
      int code = 0;
      if (answer.rfind("HTTP/", 0) == 0) {
        size_t sp = answer.find(' ');
        if (sp != std::string::npos) code = std::atoi(answer.c_str() + sp + 1);
      }
      if (code) result = {model::MatcherAccepts(matcher, code), "Target.ResponseCodeMismatch"};
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      result.second = "Target.Timeout";
    }
    SSL_free(ssl);
  }
  if (ctx) SSL_CTX_free(ctx);
  close(fd);
  return result;
}

}  // namespace

// One target's checks: what to check, the one in flight, and the results in a row.
struct HealthChecker::Check {
  // From the model (refreshed each pass).
  std::string account, region, tg_arn, target_id, node_ns;
  net::Ipv6 target_ip;  // IPv4 mapped: an IPv6 target group's targets are checked over IPv6
  int target_port = 0;  // the registered target's port
  int port = 0;         // the port checked
  std::string protocol, path, matcher;
  double interval = 30, timeout = 10;
  int healthy_threshold = 5, unhealthy_threshold = 2;
  std::string health, reason;  // as the model holds it
  bool seen = false;           // still wanted in this pass
  // The check in flight.
  int fd = -1;
  bool sent = false;  // HTTP: the request is written, the answer awaited
  std::future<std::pair<bool, std::string>> https;  // HTTPS: the check's thread
  std::string answer;
  double started = 0, next = 0;
  // Results in a row.
  int successes = 0, failures = 0;
  std::string last_failure;
  bool reported_checking = false;

  void Close() {
    if (https.valid()) https.wait();  // bounded by the check's timeout
    https = {};
    if (fd >= 0) close(fd);
    fd = -1;
    sent = false;
    answer.clear();
  }
};

HealthChecker::HealthChecker(dataplane::ModelSource& model, std::function<std::string(const std::string&)> namespace_of,
                             ReportFn report)
    : model_(model), namespace_of_(std::move(namespace_of)), report_(std::move(report)) {}

HealthChecker::~HealthChecker() { Stop(); }

void HealthChecker::Start() {
  stopping_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void HealthChecker::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [key, c] : checks_) c->Close();
  checks_.clear();
}

void HealthChecker::Loop() {
  // A barrier: a check that throws (a broken invariant) is logged once; the checks go on.
  for (;;) {
    try {
      Run();
      return;
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc: health checks: %s\n", e.what());
      std::unique_lock lock(mu_);
      if (cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; })) return;
    }
  }
}

void HealthChecker::Run() {
  uint64_t version = ~uint64_t{0};
  double refreshed = 0;
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;
    }
    const double now = Seconds();
    // What to check: every registered target of every group a listener uses (again when the
    // model changed, and every second for the states it derives from time).
    if (model_.Version() != version || now - refreshed > 1) {
      version = model_.Version();
      refreshed = now;
      for (auto& [key, c] : checks_) c->seen = false;
      model_.Read([&](const model::State& s) {
        const auto wall = std::chrono::system_clock::now();
        for (const auto& [pkey, p] : s.partitions)
          for (const auto& [arn, tg] : p.target_groups) {
            auto lbs = model::LoadBalancerArnsOf(p, arn);
            if (lbs.empty()) continue;
            auto lb = p.load_balancers.find(lbs.front());
            if (lb == p.load_balancers.end() || lb->second.nodes.empty()) continue;
            for (const auto& r : model::ResolveTargets(p, tg, wall)) {
              if (r.ip.empty() || r.state == "unused" || r.state == "draining") continue;
              auto ip = net::ParseAddress(r.ip);
              if (!ip) continue;
              const model::LoadBalancerNode* node = &lb->second.nodes.front();
              for (const auto& n : lb->second.nodes)
                if (n.availability_zone == r.target->availability_zone) node = &n;
              auto& slot = checks_[{arn, r.target->id, r.target->port}];
              if (!slot) {
                slot = std::make_unique<Check>();
                slot->next = now;  // a new target is checked at once
              }
              Check& c = *slot;
              c.seen = true;
              c.account = pkey.first;
              c.region = pkey.second;
              c.tg_arn = arn;
              c.target_id = r.target->id;
              c.target_ip = *ip;
              c.target_port = r.target->port;
              c.node_ns = namespace_of_(node->network_interface_id);
              c.port = tg.health_check_port == "traffic-port" ? r.target->port : std::atoi(tg.health_check_port.c_str());
              c.protocol = tg.health_check_protocol;
              c.path = tg.health_check_path.empty() ? "/" : tg.health_check_path;
              c.matcher = tg.matcher.empty() ? "200-399" : tg.matcher;
              c.interval = tg.health_check_interval;
              c.timeout = tg.health_check_timeout;
              c.healthy_threshold = tg.healthy_threshold;
              c.unhealthy_threshold = tg.unhealthy_threshold;
              c.health = r.target->health;
              c.reason = r.target->reason;
            }
          }
      });
      for (auto it = checks_.begin(); it != checks_.end();) {
        if (it->second->seen) {
          ++it;
          continue;
        }
        it->second->Close();
        it = checks_.erase(it);
      }
    }

    // Results: report what changes a target's state.
    auto finish = [&](Check& c, bool ok, const std::string& failure) {
      c.Close();
      c.next = c.started + c.interval;
      if (ok) {
        ++c.successes;
        c.failures = 0;
      } else {
        ++c.failures;
        c.successes = 0;
        c.last_failure = failure;
      }
      if (ok && c.successes >= c.healthy_threshold && c.health != "healthy") {
        report_(c.account, c.region, c.tg_arn, c.target_id, c.target_port, "healthy", "");
        c.health = "healthy";
      } else if (!ok && c.failures >= c.unhealthy_threshold && (c.health != "unhealthy" || c.reason != failure)) {
        report_(c.account, c.region, c.tg_arn, c.target_id, c.target_port, "unhealthy", failure);
        c.health = "unhealthy";
        c.reason = failure;
      } else if (c.health == "initial" && c.reason == "Elb.RegistrationInProgress" && !c.reported_checking) {
        report_(c.account, c.region, c.tg_arn, c.target_id, c.target_port, "initial", "Elb.InitialHealthChecking");
        c.reported_checking = true;
      }
    };

    // Start the checks that are due.
    for (auto& [key, cp] : checks_) {
      Check& c = *cp;
      if (c.fd >= 0 || c.https.valid() || now < c.next) continue;
      c.started = now;
      try {
        const int family = net::IsIpv4Mapped(c.target_ip) ? AF_INET : AF_INET6;
        c.fd = InNamespace(c.node_ns, [&] { return socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0); });
      } catch (const std::exception&) {
        c.fd = -1;
      }
      if (c.fd < 0) {  // the node's namespace is not up yet: try again soon
        c.next = now + 1;
        continue;
      }
      sockaddr_storage a{};
      socklen_t alen = 0;
      if (net::IsIpv4Mapped(c.target_ip)) {
        auto* in = reinterpret_cast<sockaddr_in*>(&a);
        in->sin_family = AF_INET;
        in->sin_port = htons(static_cast<uint16_t>(c.port));
        in->sin_addr.s_addr = htonl(net::MappedIpv4(c.target_ip).value);
        alen = sizeof *in;
      } else {
        auto* in6 = reinterpret_cast<sockaddr_in6*>(&a);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(static_cast<uint16_t>(c.port));
        memcpy(&in6->sin6_addr, c.target_ip.bytes.data(), 16);
        alen = sizeof *in6;
      }
      if (connect(c.fd, reinterpret_cast<sockaddr*>(&a), alen) != 0 && errno != EINPROGRESS)
        finish(c, false, "Target.FailedHealthChecks");
    }

    // HTTPS checks that have finished on their threads.
    for (auto& [key, cp] : checks_) {
      Check& c = *cp;
      if (!c.https.valid() || c.https.wait_for(std::chrono::seconds(0)) != std::future_status::ready) continue;
      auto [ok, failure] = c.https.get();
      finish(c, ok, failure);
    }

    // Wait for the checks in flight (at most 100 ms).
    std::vector<pollfd> fds;
    std::vector<Check*> of;
    for (auto& [key, cp] : checks_)
      if (cp->fd >= 0) {
        fds.push_back({cp->fd, static_cast<short>(cp->sent ? POLLIN : POLLOUT), 0});
        of.push_back(cp.get());
      }
    if (fds.empty()) {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(100), [&] { return stopping_; });
      continue;
    }
    poll(fds.data(), fds.size(), 100);
    const double after = Seconds();
    for (size_t i = 0; i < fds.size(); ++i) {
      Check& c = *of[i];
      if (fds[i].revents == 0) {
        if (after - c.started >= c.timeout) finish(c, false, "Target.Timeout");
        continue;
      }
      if (!c.sent) {  // the connection is made, or refused
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
          finish(c, false, err == ETIMEDOUT ? "Target.Timeout" : "Target.FailedHealthChecks");
          continue;
        }
        if (c.protocol == "TCP") {
          finish(c, true, "");
          continue;
        }
        const std::string request = "GET " + c.path + " HTTP/1.1\r\nHost: " + HostText(c.target_ip) + ":" +
                                    std::to_string(c.port) +
                                    "\r\nUser-Agent: ELB-HealthChecker/2.0\r\nAccept: */*\r\nConnection: close\r\n\r\n";
        if (c.protocol == "HTTPS") {  // TLS on a thread of its own; the fd goes with it
          const double left = std::max(0.1, c.timeout - (after - c.started));
          c.https = std::async(std::launch::async, HttpsCheck, c.fd, request, c.matcher, left);
          c.fd = -1;
          continue;
        }
        if (send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
          finish(c, false, "Target.FailedHealthChecks");
          continue;
        }
        c.sent = true;
        continue;
      }
      char buf[512];
      ssize_t n = recv(c.fd, buf, sizeof buf, 0);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) continue;  // a wake-up without data
      if (n > 0) c.answer.append(buf, static_cast<size_t>(n));
      const size_t eol = c.answer.find("\r\n");
      if (eol == std::string::npos && n > 0 && c.answer.size() < 4096) continue;
      // "HTTP/1.1 200 OK"
      int code = 0;
      if (c.answer.rfind("HTTP/", 0) == 0) {
        size_t sp = c.answer.find(' ');
        if (sp != std::string::npos) code = std::atoi(c.answer.c_str() + sp + 1);
      }
      if (code == 0) finish(c, false, "Target.FailedHealthChecks");
      else finish(c, model::MatcherAccepts(c.matcher, code), "Target.ResponseCodeMismatch");
    }
  }
}

}  // namespace openvpc::host
