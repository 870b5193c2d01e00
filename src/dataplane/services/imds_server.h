// IMDS on a socket: a small HTTP/1.1 server (Boost.Beast, synchronous, a thread per connection,
// keep-alive) in front of a MetadataService.
//
// Hostile input is expected (the caller is a tenant's instance): a request is limited to 8 KiB of
// headers and 1 KiB of body and must arrive within 10 s, malformed HTTP closes the connection,
// and at most 64 connections are served at once (more are accepted and closed).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/services/imds.h"

namespace openvpc::dataplane {

// Serves IMDS on LISTEN_FD (an already bound+listening TCP socket; the caller creates it inside a
// network namespace). For each connection, IDENTIFY(peer IPv4 address as a host-order uint32) returns
// the caller's metadata or nullopt. Returns immediately; Stop() closes the socket and joins.
class MetadataServer {
 public:
  using Identify = std::function<std::optional<InstanceMetadata>(uint32_t peer_ipv4)>;

  // Takes ownership of LISTEN_FD. IDENTIFY is called on connection threads, concurrently.
  // Throws std::system_error when the wake-up eventfd cannot be created.
  MetadataServer(int listen_fd, Identify identify, std::string http_tokens = "optional");
  // The same on several sockets (169.254.169.254 and [fd00:ec2::254]), one token table for all.
  MetadataServer(std::vector<int> listen_fds, Identify identify, std::string http_tokens = "optional");
  ~MetadataServer();  // Stop()

  MetadataServer(const MetadataServer&) = delete;
  MetadataServer& operator=(const MetadataServer&) = delete;

  // Wakes every thread (accept and connections, also mid-request), joins them and closes the
  // socket. Idempotent; call from the owning thread.
  void Stop();

 private:
  struct Connection {
    std::thread thread;
    std::atomic<bool> done{false};
  };

  void AcceptLoop();
  void Serve(int fd, uint32_t peer, bool ipv6, Connection* self);

  std::vector<int> listen_fds_;
  int wake_fd_;  // eventfd, readable once Stop() begins; every poll() watches it
  Identify identify_;
  MetadataService service_;
  std::list<std::unique_ptr<Connection>> connections_;  // the accept thread's, then Stop()'s
  std::thread acceptor_;
  bool stopped_ = false;
};

}  // namespace openvpc::dataplane
