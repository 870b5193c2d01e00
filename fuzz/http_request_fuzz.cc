// The EC2 endpoint's HTTP request reader: Beast's request_parser<string_body> configured as
// api/http_server.cc configures it (HttpLimits' header and body limits), reading keep-alive
// requests off one connection head first, then the body, as the connection does. Input: one
// byte (how many bytes each socket read returns: 128 per step, 0 for one byte at a time), then
// the bytes the client sends.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "api/http_server.h"
#include "byte_stream.h"

namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const openvpc::api::HttpLimits limits;
  openvpc::fuzz::ByteStream stream(data + 1, size - 1, data[0] ? data[0] * 128u : 1);
  boost::beast::flat_buffer buffer;
  for (;;) {
    std::optional<http::request_parser<http::string_body>> parser;
    parser.emplace();
    parser->header_limit(static_cast<uint32_t>(limits.max_header_bytes));
    parser->body_limit(limits.max_body_bytes);
    boost::system::error_code ec;
    http::read_header(stream, buffer, *parser, ec);
    if (ec) break;
    http::read(stream, buffer, *parser, ec);
    if (ec) break;
    const auto& req = parser->get();
    size_t seen = req.method_string().size() + req.target().size() + req.body().size();
    for (const auto& f : req) seen += f.name_string().size() + f.value().size();
    if (seen == 0 || !req.keep_alive()) break;
  }
  return 0;
}
