#include "api/http_server.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/s3_service.h"
#include "api/service.h"
#include "api/shape_model.h"
#include "model/vpc_endpoint.h"

namespace openvpc::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

// What every connection of a listener shares: the service, the limits, the count of open
// connections, and what its requests carry (the HTTPS fronts' origin).
struct Server {
  Service& service;
  HttpLimits limits;
  std::atomic<size_t> connections{0};
  RequestOrigin origin;
  std::function<void(RequestOrigin&)> resolve;  // completes a connection's origin from its peer
  std::atomic<size_t> reading_here{0};  // spooled bodies read by a worker itself (ReadSpooledHere)
};

// The service's answer, or an InternalError when it throws anyway: no request may end the
// process or leave its connection without an answer.
HttpResponse HandleGuarded(Server& server, const HttpRequestView& view) {
  try {
    return server.service.Handle(view);
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: internal error outside the handler: %s\n", e.what());
  } catch (...) {
    fprintf(stderr, "openvpc: internal error outside the handler\n");
  }
  return {500, "text/xml;charset=UTF-8", ErrorXml("InternalError", "An internal error has occurred", ""), {}};
}

bool IsHttpParseError(const beast::error_code& ec) {
  return &ec.category() == &beast::http::make_error_code(http::error::bad_method).category();
}

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// S3's uploads may be large (5 GiB in one PutObject): their bodies go to a file as they arrive,
// never into memory, beyond this size (and with chunked transfer encoding).
constexpr uint64_t kSpoolAbove = 1 << 20;
constexpr uint64_t kMaxSpooledBody = (5ull << 30) + (64ull << 20);  // 5 GiB and aws-chunked framing

// LENGTH bytes of an open file from OFFSET, read as they are sent (S3's GetObject).
struct FileRangeBody {
  struct value_type {
    value_type() = default;
    value_type(value_type&& o) noexcept : fd(std::exchange(o.fd, -1)), offset(o.offset), length(o.length) {}
    value_type& operator=(value_type&& o) noexcept {
      std::swap(fd, o.fd);
      offset = o.offset;
      length = o.length;
      return *this;
    }
    ~value_type() {
      if (fd >= 0) close(fd);
    }
    int fd = -1;
    uint64_t offset = 0, length = 0;
  };
  static uint64_t size(const value_type& v) { return v.length; }
  class writer {
   public:
    using const_buffers_type = asio::const_buffer;
    template <bool isRequest, class Fields>
    writer(http::header<isRequest, Fields>&, const value_type& body) : body_(body) {}
    void init(beast::error_code& ec) { ec = {}; }
    boost::optional<std::pair<const_buffers_type, bool>> get(beast::error_code& ec) {
      ec = {};
      if (sent_ >= body_.length) return boost::none;
      const size_t want = static_cast<size_t>(std::min<uint64_t>(sizeof buf_, body_.length - sent_));
      const ssize_t n = pread(body_.fd, buf_, want, static_cast<off_t>(body_.offset + sent_));
      if (n <= 0) {
        ec = beast::errc::make_error_code(beast::errc::io_error);
        return boost::none;
      }
      sent_ += static_cast<uint64_t>(n);
      return std::make_pair(asio::const_buffer(buf_, static_cast<size_t>(n)), sent_ < body_.length);
    }

   private:
    const value_type& body_;
    uint64_t sent_ = 0;
    char buf_[1 << 16];
  };
};

// One keep-alive connection: head (under the header deadline), body (under the body deadline),
// the service's answer, again. Its operations run one at a time on its strand. STREAM is a TCP
// stream, or TLS over one (the services network's fronts: the handshake comes first).
template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(tcp::socket socket, Server& server) : stream_(std::move(socket)), server_(server) { Init(); }
  Connection(tcp::socket socket, Server& server, asio::ssl::context& tls)
      : stream_(std::move(socket), tls), server_(server) {
    Init();
  }
  ~Connection() { server_.connections.fetch_sub(1, std::memory_order_relaxed); }

  void Start() {
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      Lowest().expires_after(server_.limits.header_timeout);
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Close();
                                self->ReadHead();
                              });
    } else {
      ReadHead();
    }
  }

  void ReadHead() {
    file_parser_.reset();
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(server_.limits.max_header_bytes));
    // The body's limit is decided once the head is in (ReadBody): S3's uploads may be larger.
    parser_->body_limit(server_.service.s3() ? kMaxSpooledBody : server_.limits.max_body_bytes);
    Lowest().expires_after(server_.limits.header_timeout);
    http::async_read_header(stream_, buffer_, *parser_,
                            beast::bind_front_handler(&Connection::OnHead, this->shared_from_this()));
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void Init() {
    beast::error_code ec;
    auto remote = Lowest().socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string();
    origin_ = server_.origin;
    origin_.peer = peer_;
    if (server_.resolve) server_.resolve(origin_);
  }

  void OnHead(beast::error_code ec, size_t) {
    if (ec) return Fail(ec);
    // "Expect: 100-continue" (the SDKs' uploads): the client waits for this before its body.
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      Lowest().expires_after(server_.limits.write_timeout);
      return http::async_write(stream_, *cont, [self = this->shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) return self->Close();
        self->ReadBody();
      });
    }
    ReadBody();
  }

  void ReadBody() {
    beast::error_code ec;
    Lowest().expires_after(server_.limits.body_timeout);
    if (SpoolsBody()) {
      spool_path_ = server_.service.s3()->SpoolPath();
      file_parser_.emplace(std::move(*parser_));
      parser_.reset();
      file_parser_->body_limit(kMaxSpooledBody);
      file_parser_->get().body().open(spool_path_.c_str(), beast::file_mode::write, ec);
      if (ec) return Fail(ec);
      if constexpr (!std::is_same_v<Stream, TlsStream>) {
        // Read here, in this worker thread, while few uploads do: a client writes its body 8 KiB
        // at a time, and the asynchronous reads would cost a wakeup of another worker for each
        // (half of a large PutObject's time on two cores). Half the workers at most, so that
        // the other requests always have threads.
        const size_t allowed = std::max<size_t>(1, server_.limits.worker_threads / 2);
        if (server_.reading_here.fetch_add(1) < allowed) {
          const beast::error_code read = ReadSpooledHere();
          server_.reading_here.fetch_sub(1);
          return OnSpooledRequest(read, 0);
        }
        server_.reading_here.fetch_sub(1);
      }
      return http::async_read(stream_, buffer_, *file_parser_,
                              beast::bind_front_handler(&Connection::OnSpooledRequest, this->shared_from_this()));
    }
    // Held in memory: the server's limit (413 beyond).
    if (const auto length = parser_->content_length(); length && *length > server_.limits.max_body_bytes)
      return Fail(http::error::body_limit);
    parser_->body_limit(server_.limits.max_body_bytes);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Connection::OnRequest, this->shared_from_this()));
  }

  // An S3 upload with a large body (or one of unknown length).
  bool SpoolsBody() {
    const auto& head = parser_->get();
    if (!server_.service.s3() || (head.method() != http::verb::put && head.method() != http::verb::post)) return false;
    const auto length = parser_->content_length();
    if (!parser_->chunked() && (!length || *length <= kSpoolAbove)) return false;
    HttpRequestView view;
    view.origin = server_.origin;
    std::string target(head.target());
    view.path = target.substr(0, target.find('?'));
    view.raw_query = target.find('?') == std::string::npos ? "" : target.substr(target.find('?') + 1);
    for (const auto& f : head) view.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return S3Service::Claims(view, ScopeService(view));
  }

  // The spooled body with blocking reads, under the same deadline as an asynchronous read: what is
  // buffered is parsed first, and the socket is read only once poll says it has something, so a
  // client that stops sending holds the worker no longer than the deadline.
  beast::error_code ReadSpooledHere() {
    auto& socket = Lowest().socket();
    const auto deadline = std::chrono::steady_clock::now() + server_.limits.body_timeout;
    beast::error_code ec;
    while (!file_parser_->is_done()) {
      if (buffer_.size() > 0) {
        const size_t used = file_parser_->put(buffer_.data(), ec);
        buffer_.consume(used);
        if (ec && ec != http::error::need_more) return ec;
        ec = {};
        if (used > 0) continue;  // progress: parse what is left first
      }
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      pollfd p{.fd = socket.native_handle(), .events = POLLIN, .revents = 0};
      const int ready = left.count() > 0 ? poll(&p, 1, static_cast<int>(left.count())) : 0;
      if (ready == 0) return beast::error::timeout;
      if (ready < 0) {
        if (errno == EINTR) continue;
        return beast::errc::make_error_code(static_cast<beast::errc::errc_t>(errno));
      }
      const size_t n = socket.read_some(buffer_.prepare(1 << 16), ec);  // readable: does not block
      buffer_.commit(n);
      if (ec == asio::error::eof) return http::error::partial_message;  // the body ended early
      if (ec == asio::error::would_block || ec == asio::error::try_again) ec = {};
      if (ec) return ec;
    }
    return {};
  }

  void OnSpooledRequest(beast::error_code ec, size_t) {
    file_parser_->get().body().close();
    if (ec) {
      std::error_code ignored;
      std::filesystem::remove(spool_path_, ignored);
      return Fail(ec);
    }
    auto& req = file_parser_->get();
    HttpRequestView view = ViewOf(req);
    view.body_path = spool_path_;  // the service removes it
    Answer(view, req.version(), req.keep_alive());
  }

  template <class Request>
  HttpRequestView ViewOf(const Request& req) {
    HttpRequestView view;
    view.origin = origin_;
    view.method = std::string(req.method_string());
    std::string target(req.target());
    auto q = target.find('?');
    view.path = target.substr(0, q);
    view.raw_query = q == std::string::npos ? "" : target.substr(q + 1);
    for (const auto& f : req) view.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return view;
  }

  void OnRequest(beast::error_code ec, size_t) {
    if (ec) return Fail(ec);
    auto& req = parser_->get();
    HttpRequestView view = ViewOf(req);
    view.body = std::move(req.body());
    Answer(view, req.version(), req.keep_alive());
  }

  void Answer(const HttpRequestView& view, unsigned version, bool keep_alive) {
    HttpResponse r = HandleGuarded(server_, view);
    if (r.body_file) {  // S3's objects: read from the file as they are sent
      auto res = std::make_shared<http::response<FileRangeBody>>(static_cast<http::status>(r.status), version);
      Head(*res, r, keep_alive);
      res->body().fd = open(r.body_file->path.c_str(), O_RDONLY | O_CLOEXEC);
      res->body().offset = r.body_file->offset;
      res->body().length = r.body_file->length;
      if (res->body().fd >= 0) {
        res->prepare_payload();
        return Write(std::move(res));
      }
      r = {500, "application/xml", ErrorXml("InternalError", "An internal error has occurred", ""), {}};
    }
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    Head(*res, r, keep_alive);
    res->body() = std::move(r.body);
    if (r.head_length) res->content_length(*r.head_length);  // HEAD: the GET's length, no body
    else res->prepare_payload();
    Write(std::move(res));
  }

  template <class Response>
  static void Head(Response& res, const HttpResponse& r, bool keep_alive) {
    res.set(http::field::server, "openvpc");
    res.set(http::field::content_type, r.content_type);
    for (const auto& [name, value] : r.headers) res.set(name, value);
    res.keep_alive(keep_alive);
  }

  template <class Response>
  void Write(std::shared_ptr<Response> res) {
    Lowest().expires_after(server_.limits.write_timeout);
    bool keep_alive = res->keep_alive();
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive) return self->Close();
                        self->ReadHead();
                      });
  }

  // A request that could not be read: malformed HTTP gets its status (and the connection is
  // closed, since where the next request would start is unknown); a timeout or a client that
  // went away just closes.
  void Fail(const beast::error_code& ec) {
    http::status status;
    if (ec == http::error::header_limit) status = http::status::request_header_fields_too_large;  // 431
    else if (ec == http::error::body_limit) status = http::status::payload_too_large;             // 413
    else if (ec == http::error::end_of_stream || ec == http::error::partial_message) return Close();
    else if (IsHttpParseError(ec)) status = http::status::bad_request;  // 400
    else return Close();
    auto res = std::make_shared<http::response<http::string_body>>(status, 11);
    res->set(http::field::server, "openvpc");
    res->set(http::field::content_type, "text/plain");
    res->keep_alive(false);
    res->body() = std::string(http::obsolete_reason(status)) + "\n";
    res->prepare_payload();
    Write(std::move(res));
  }

  void Close() {
    beast::error_code ignored;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    Lowest().close();
  }

  Stream stream_;
  Server& server_;
  std::string peer_;
  RequestOrigin origin_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<http::request_parser<http::file_body>> file_parser_;  // a spooled S3 upload
  std::string spool_path_;
};

// Accepts for as long as the acceptor is open. A failed accept (EMFILE when descriptors ran
// out, ENOBUFS, a connection reset before it was taken) is transient: log it once per run of
// failures, wait, and accept again.
class Acceptor : public std::enable_shared_from_this<Acceptor> {
 public:
  // TLS: with a context, every connection is TLS (the services network's fronts).
  Acceptor(asio::io_context& ioc, tcp::acceptor& acceptor, Server& server, asio::ssl::context* tls = nullptr)
      : ioc_(ioc), acceptor_(acceptor), server_(server), tls_(tls), retry_(ioc) {}

  void Accept() {
    acceptor_.async_accept(asio::make_strand(ioc_), beast::bind_front_handler(&Acceptor::OnAccept, shared_from_this()));
  }

 private:
  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open() || ec == asio::error::operation_aborted) return;  // shutting down, or closed
    if (ec) {
      if (!failing_) fprintf(stderr, "openvpc: accept failed (%s); retrying\n", ec.message().c_str());
      failing_ = true;
      retry_.expires_after(std::chrono::milliseconds(100));
      retry_.async_wait([self = shared_from_this()](beast::error_code) { self->Accept(); });
      return;
    }
    if (failing_) fprintf(stderr, "openvpc: accepting again\n");
    failing_ = false;
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);
    if (server_.connections.fetch_add(1, std::memory_order_relaxed) >= server_.limits.max_connections) {
      server_.connections.fetch_sub(1, std::memory_order_relaxed);
      // Over the limit: one best-effort answer, without waiting for the client, then close.
      static constexpr char k503[] =
          "HTTP/1.1 503 Service Unavailable\r\nServer: openvpc\r\nContent-Type: text/plain\r\nContent-Length: 20\r\n"
          "Connection: close\r\n\r\nToo many connections";
      socket.non_blocking(true, ignored);
      socket.write_some(asio::buffer(k503, sizeof k503 - 1), ignored);
      socket.close(ignored);
    } else if (tls_) {
      std::make_shared<Connection<TlsStream>>(std::move(socket), server_, *tls_)->Start();
    } else {
      std::make_shared<Connection<beast::tcp_stream>>(std::move(socket), server_)->Start();
    }
    Accept();
  }

  asio::io_context& ioc_;
  tcp::acceptor& acceptor_;
  Server& server_;
  asio::ssl::context* tls_;
  asio::steady_timer retry_;
  bool failing_ = false;
};

// The exception barrier of the worker threads: a handler that throws is logged and the thread
// goes on running the others.
void Run(asio::io_context& ioc) {
  for (;;) {
    try {
      ioc.run();
      return;
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc: internal error in the HTTP server: %s\n", e.what());
    } catch (...) {
      fprintf(stderr, "openvpc: internal error in the HTTP server\n");
    }
  }
}

}  // namespace

void ServeHttp(const std::string& host, int port, Service& service, void (*on_listening)(const std::string&),
               const HttpLimits& limits) {
  Server server{service, limits};
  asio::io_context ioc;
  tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port));
  tcp::acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) {
    beast::error_code ignored;
    acceptor.close(ignored);
    ioc.stop();
  });
  std::make_shared<Acceptor>(ioc, acceptor, server)->Accept();
  on_listening(host + ":" + std::to_string(acceptor.local_endpoint().port()));

  std::vector<std::thread> workers;
  for (size_t i = 1; i < std::max<size_t>(1, limits.worker_threads); ++i) workers.emplace_back([&ioc] { Run(ioc); });
  Run(ioc);
  for (auto& t : workers) t.join();
}

// ---- the AWS services network's fronts ----

// One listener: its socket, and what its connections share.
struct FrontListener {
  FrontListener(asio::io_context& ioc, Service& service, const HttpLimits& limits, const RequestOrigin& origin,
                std::function<void(RequestOrigin&)> resolve)
      : acceptor(ioc), server{service, limits, {}, origin, std::move(resolve)} {}
  tcp::acceptor acceptor;
  Server server;
};

namespace {

// The wildcard of an S3 interface endpoint's name that a bucket name below it needs:
// BUCKET.vpce-ID-SUFFIX[-ZONE].s3.REGION.vpce.amazonaws.com -> *.vpce-….s3.REGION.vpce.amazonaws.com;
// "" for any other name (the services certificate covers those it answers to).
std::string S3EndpointWildcard(std::string name) {
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  const auto below = model::SplitS3EndpointName(name);
  return below && below->endpoint_name.size() <= 200 ? "*." + below->endpoint_name : "";
}

void SetTlsOptions(asio::ssl::context& tls) {
  tls.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
}

}  // namespace

struct HttpsFront::Impl {
  using Work = asio::executor_work_guard<asio::io_context::executor_type>;
  Impl(Service& service, const ServicesCertificate& files, const HttpLimits& limits)
      : service(service), limits(limits), files(files), tls(asio::ssl::context::tls_server),
        work(asio::make_work_guard(ioc)) {}
  Service& service;
  HttpLimits limits;
  ServicesCertificate files;
  asio::io_context ioc;
  asio::ssl::context tls;
  // The contexts of the wildcards issued so far (S3EndpointWildcard), at most kMaxIssued: a
  // handshake that switched to one holds its own reference.
  static constexpr size_t kMaxIssued = 256;
  std::mutex issued_mu;
  std::map<std::string, std::unique_ptr<asio::ssl::context>> issued;

  SSL_CTX* ContextFor(const std::string& wildcard) {
    std::lock_guard lock(issued_mu);
    auto it = issued.find(wildcard);
    if (it != issued.end()) return it->second->native_handle();
    try {
      auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      SetTlsOptions(*ctx);
      const std::string chain = IssueCertificate(files, wildcard);
      ctx->use_certificate_chain(asio::buffer(chain));
      ctx->use_private_key_file(files.key_path, asio::ssl::context::pem);
      if (issued.size() >= kMaxIssued) issued.clear();
      return (issued[wildcard] = std::move(ctx))->native_handle();
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc: no certificate for %s: %s\n", wildcard.c_str(), e.what());
      return nullptr;  // the services certificate, which the client will not take for that name
    }
  }
  std::optional<Work> work;
  std::vector<std::thread> threads;
  mutable std::mutex mu;
  std::map<std::string, std::unique_ptr<FrontListener>> listeners;
  std::vector<std::unique_ptr<FrontListener>> retired;  // closed; their connections may still run
  std::function<void(RequestOrigin&)> resolve;

  void Retire(std::map<std::string, std::unique_ptr<FrontListener>>::iterator it) {
    beast::error_code ignored;
    it->second->acceptor.close(ignored);
    retired.push_back(std::move(it->second));  // its open connections still refer to its Server
    listeners.erase(it);
  }
};

HttpsFront::HttpsFront(Service& service, const ServicesCertificate& certificate, const HttpLimits& limits)
    : impl_(std::make_unique<Impl>(service, certificate, limits)) {
  SetTlsOptions(impl_->tls);
  impl_->tls.use_certificate_chain_file(certificate.cert_path);
  impl_->tls.use_private_key_file(certificate.key_path, asio::ssl::context::pem);
  // SNI: a name the services certificate does not cover gets its own (S3EndpointWildcard).
  SSL_CTX* ctx = impl_->tls.native_handle();
  SSL_CTX_set_tlsext_servername_callback(ctx, +[](SSL* ssl, int*, void* arg) -> int {
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    const std::string wildcard = name ? S3EndpointWildcard(name) : "";
    if (!wildcard.empty())
      if (SSL_CTX* issued = static_cast<Impl*>(arg)->ContextFor(wildcard)) SSL_set_SSL_CTX(ssl, issued);
    return SSL_TLSEXT_ERR_OK;
  });
  SSL_CTX_set_tlsext_servername_arg(ctx, impl_.get());
  for (size_t i = 0; i < std::max<size_t>(1, limits.worker_threads); ++i)
    impl_->threads.emplace_back([impl = impl_.get()] { Run(impl->ioc); });
}

HttpsFront::~HttpsFront() {
  {
    std::lock_guard lock(impl_->mu);
    while (!impl_->listeners.empty()) impl_->Retire(impl_->listeners.begin());
  }
  impl_->work.reset();
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
}

void HttpsFront::Listen(const std::string& key, int fd, const RequestOrigin& origin) {
  std::lock_guard lock(impl_->mu);
  auto l = std::make_unique<FrontListener>(impl_->ioc, impl_->service, impl_->limits, origin, impl_->resolve);
  beast::error_code ec;
  l->acceptor.assign(tcp::v4(), fd, ec);
  if (ec) {
    close(fd);
    throw std::runtime_error("the services network's listener " + key + ": " + ec.message());
  }
  std::make_shared<Acceptor>(impl_->ioc, l->acceptor, l->server, &impl_->tls)->Accept();
  if (auto old = impl_->listeners.find(key); old != impl_->listeners.end()) impl_->Retire(old);
  impl_->listeners[key] = std::move(l);
}

void HttpsFront::SetOriginResolver(std::function<void(RequestOrigin&)> resolve) {
  std::lock_guard lock(impl_->mu);
  impl_->resolve = std::move(resolve);
}

void HttpsFront::Close(const std::string& key) {
  std::lock_guard lock(impl_->mu);
  if (auto it = impl_->listeners.find(key); it != impl_->listeners.end()) impl_->Retire(it);
}

std::vector<std::string> HttpsFront::Keys() const {
  std::lock_guard lock(impl_->mu);
  std::vector<std::string> out;
  for (const auto& [key, l] : impl_->listeners) out.push_back(key);
  return out;
}

}  // namespace openvpc::api
