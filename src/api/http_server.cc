#include "api/http_server.h"

#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>

#include "api/service.h"

namespace openvpc::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

void ServeConnection(tcp::socket socket, Service& service) {
  beast::error_code ec;
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    http::read(socket, buffer, parser, ec);
    if (ec) break;
    auto& req = parser.get();
    HttpRequestView view;
    view.method = std::string(req.method_string());
    std::string target(req.target());
    auto q = target.find('?');
    view.path = target.substr(0, q);
    view.raw_query = q == std::string::npos ? "" : target.substr(q + 1);
    for (const auto& f : req) view.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    view.body = std::move(req.body());

    HttpResponse r = service.Handle(view);
    http::response<http::string_body> res{static_cast<http::status>(r.status), req.version()};
    res.set(http::field::server, "openvpc");
    res.set(http::field::content_type, r.content_type);
    res.keep_alive(req.keep_alive());
    res.body() = std::move(r.body);
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !res.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

void ServeHttp(const std::string& host, int port, Service& service, void (*on_listening)(const std::string&)) {
  asio::io_context ioc;
  tcp::endpoint endpoint(asio::ip::make_address(host), static_cast<unsigned short>(port));
  tcp::acceptor acceptor(ioc);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(asio::socket_base::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const beast::error_code&, int) {
    acceptor.close();
    ioc.stop();
  });
  std::function<void()> accept = [&] {
    acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      socket.set_option(tcp::no_delay(true));
      std::thread(ServeConnection, std::move(socket), std::ref(service)).detach();
      accept();
    });
  };
  accept();
  on_listening(host + ":" + std::to_string(acceptor.local_endpoint().port()));
  ioc.run();
}

}  // namespace openvpc::api
