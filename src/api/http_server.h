// The HTTP/1.1 front of the endpoint (Boost.Beast): keep-alive connections served
// asynchronously by a fixed pool of worker threads, every request handed to the Service.
// Returns when SIGINT or SIGTERM arrives.
//
// What a client can hold is bounded: connections (beyond the limit a client gets 503 and the
// connection is closed), the request head and body (431 and 413), and time (a connection idle
// or slow past its deadline is closed). Malformed HTTP is answered with 400, never a silent
// close. When accept fails (file descriptors ran out), the server waits a moment and accepts
// again: it never stops serving while the process lives.
#pragma once

#include <chrono>
#include <functional>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "api/services_certificate.h"
#include "api/sigv4.h"

namespace openvpc::api {

class Service;

struct HttpLimits {
  size_t worker_threads = 8;       // threads that run requests; connections do not hold one
  size_t max_connections = 4096;   // open connections at once
  size_t max_header_bytes = 64 * 1024;        // request line and headers (431 beyond)
  size_t max_body_bytes = 16 * 1024 * 1024;   // request body (413 beyond)
  // A request's head must arrive within this of the previous response (or of the connect):
  // the keep-alive idle timeout and the header timeout in one.
  std::chrono::seconds header_timeout{60};
  std::chrono::seconds body_timeout{60};      // the body, once its head is in
  std::chrono::seconds write_timeout{60};     // a response the client does not read
};

// Binds HOST:PORT (throws on failure), calls on_listening(), serves until a signal.
void ServeHttp(const std::string& host, int port, Service& service, void (*on_listening)(const std::string&),
               const HttpLimits& limits = {});

// The HTTPS fronts of the AWS services network (issue 14): listening sockets made elsewhere (in
// other network namespaces: the simulated internet's, an interface endpoint's), served with TLS
// by threads of its own, each listener's requests carrying the origin it was given.
class HttpsFront {
 public:
  // With the services network's certificate (services_certificate.h): the names it covers, and
  // by SNI an S3 interface endpoint's bucket names, one label deeper, with a certificate of
  // their endpoint's wildcard issued when first asked for. Throws when the files do not load.
  HttpsFront(Service& service, const ServicesCertificate& certificate, const HttpLimits& limits = {.worker_threads = 2});
  ~HttpsFront();  // closes every listener and waits for its threads
  HttpsFront(const HttpsFront&) = delete;
  HttpsFront& operator=(const HttpsFront&) = delete;

  // Serves FD, a listening TCP socket over IPv4 that the front owns from now on, under KEY
  // (replacing a listener of that key).
  void Listen(const std::string& key, int fd, const RequestOrigin& origin);
  // Completes a connection's origin from its peer (set before the first Listen): a connection
  // from an interface's alias came through a gateway endpoint, which only the model can name.
  void SetOriginResolver(std::function<void(RequestOrigin&)> resolve);
  void Close(const std::string& key);
  std::vector<std::string> Keys() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace openvpc::api
