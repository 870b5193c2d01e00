// A load generator for the EC2 endpoint: keep-alive connections, each request SigV4-signed as
// botocore signs it, latency recorded per request. Prints one JSON line of figures.
//
//   api_load --endpoint http://127.0.0.1:4566 --body 'Action=DescribeVpcs&Version=2016-11-15'
//            [--connections 2] [--seconds 3 | --count N]
//
// In a body, {n} becomes a per-request counter, so creates can differ from one another.
#include <utility>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <iostream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/sigv4.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

std::string Hex(const std::string& s) {
  static const char* k = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += k[c >> 4], out += k[c & 15];
  return out;
}

// Signs as botocore does for EC2: content-type;host;x-amz-date over the form body.
void Sign(http::request<http::string_body>& req, const std::string& host, const std::string& region) {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char amz[20], day[10];
  strftime(amz, sizeof amz, "%Y%m%dT%H%M%SZ", &tm);
  strftime(day, sizeof day, "%Y%m%d", &tm);
  const std::string ctype = "application/x-www-form-urlencoded; charset=utf-8";
  std::string canonical = "POST\n/\n\ncontent-type:" + ctype + "\nhost:" + host + "\nx-amz-date:" + amz +
                          "\n\ncontent-type;host;x-amz-date\n" + openvpc::api::Sha256Hex(req.body());
  std::string scope = std::string(day) + "/" + region + "/ec2/aws4_request";
  std::string to_sign = std::string("AWS4-HMAC-SHA256\n") + amz + "\n" + scope + "\n" + openvpc::api::Sha256Hex(canonical);
  std::string key = openvpc::api::HmacSha256("AWS4test", day);
  key = openvpc::api::HmacSha256(key, region);
  key = openvpc::api::HmacSha256(key, "ec2");
  key = openvpc::api::HmacSha256(key, "aws4_request");
  req.set(http::field::content_type, ctype);
  req.set(http::field::host, host);
  req.set("X-Amz-Date", amz);
  req.set(http::field::authorization, "AWS4-HMAC-SHA256 Credential=test/" + scope +
                                          ", SignedHeaders=content-type;host;x-amz-date, Signature=" +
                                          Hex(openvpc::api::HmacSha256(key, to_sign)));
}

}  // namespace

int main(int argc, char** argv) {
  std::string endpoint = "http://127.0.0.1:4566", body, region = "us-east-1";
  int connections = 2;
  double seconds = 3;
  long count = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--endpoint") endpoint = v;
    else if (a == "--body") body = v;
    else if (a == "--connections") connections = std::stoi(v);
    else if (a == "--seconds") seconds = std::stod(v);
    else if (a == "--count") count = std::stol(v);
    else if (a == "--region") region = v;
  }
  std::string hostport = endpoint.substr(endpoint.find("//") + 2);
  std::string host = hostport.substr(0, hostport.find(':')), port = hostport.substr(hostport.find(':') + 1);

  std::atomic<long> next{0}, errors{0};
  std::vector<std::vector<double>> lat(connections);
  auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < connections; ++c) {
    threads.emplace_back([&, c] {
      asio::io_context ioc;
      tcp::resolver resolver(ioc);
      const auto where = resolver.resolve(host, port);
      std::optional<beast::tcp_stream> stream;
      beast::flat_buffer buffer;
      for (;;) {
        if (!stream) {  // servers without keep-alive (moto_server) close after each answer
          stream.emplace(ioc);
          stream->connect(where);
          stream->socket().set_option(tcp::no_delay(true));
          buffer.clear();
        }
        long n = next++;
        if (count ? n >= count : Clock::now() >= deadline) break;
        std::string b = body;
        for (size_t at; (at = b.find("{n}")) != std::string::npos;) b.replace(at, 3, std::to_string(n));
        http::request<http::string_body> req{http::verb::post, "/", 11};
        req.body() = b;
        Sign(req, hostport, region);
        req.prepare_payload();
        auto t0 = Clock::now();
        beast::error_code ec;
        http::write(*stream, req, ec);
        http::response_parser<http::string_body> parser;
        parser.body_limit(1ull << 31);
        if (!ec) http::read(*stream, buffer, parser, ec);
        if (ec) {
          if (errors++ == 0) std::cerr << "first error: " << ec.message() << "\n";
          stream.reset();
          continue;
        }
        auto& res = parser.get();
        if (!res.keep_alive()) stream.reset();
        lat[c].push_back(std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
        if (res.result_int() != 200) {
          if (errors++ == 0) std::cerr << "first error: " << res.body().substr(0, 300) << "\n";
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) { return all.empty() ? 0.0 : all[std::min(all.size() - 1, size_t(p * all.size()))]; };
  printf("{\"requests\": %zu, \"errors\": %ld, \"seconds\": %.3f, \"rps\": %.1f, \"p50_us\": %.0f, \"p99_us\": %.0f}\n",
         all.size(), errors.load(), elapsed, all.size() / elapsed, pct(0.50), pct(0.99));
  return errors.load() ? 2 : 0;
}
