#include "store/etcd_client.h"

#include <poll.h>

#include <chrono>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "model/key_pair.h"  // model::EncodeBase64 / DecodeBase64

namespace openvpc::store::etcd {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using nlohmann::json;
using tcp = asio::ip::tcp;

namespace {


int64_t Int(const json& j, const char* name) {
  auto it = j.find(name);
  if (it == j.end() || it->is_null()) return 0;
  if (it->is_string()) return std::stoll(it->get<std::string>());
  return it->get<int64_t>();
}

// The error in an answer of the gateway's, if it is one.
void ThrowIfError(unsigned status, const json& answer) {
  if (status == 200 && !answer.contains("error")) return;
  const json& e = answer.contains("error") && answer["error"].is_object() ? answer["error"] : answer;
  std::string message = e.value("message", "");
  if (message.empty() && e.contains("error") && e["error"].is_string()) message = e["error"].get<std::string>();
  if (message.empty()) message = "HTTP " + std::to_string(status);
  throw Error(static_cast<int>(e.value("code", 2)), "etcd: " + message);
}

constexpr std::chrono::seconds kCallTimeout{5};  // a member that takes longer is taken as gone
constexpr uint64_t kMaxAnswer = 256ull << 20;

}  // namespace

struct Client::Connection {
  size_t member = 0;
  asio::io_context io;
  tcp::socket socket{io};
  boost::beast::flat_buffer buffer;
};

namespace {

// Reads PARSER's message from SOCKET within TIMEOUT: non-blocking reads and poll(), since the
// synchronous reads of Asio know no deadline and a member that hangs must not hang the caller.
template <class Parser>
void ReadWithin(tcp::socket& socket, boost::beast::flat_buffer& buffer, Parser& parser,
                std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  socket.non_blocking(true);
  while (!parser.is_done()) {
    boost::beast::error_code ec;
    http::read_some(socket, buffer, parser, ec);
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) throw boost::beast::system_error(asio::error::timed_out);
      pollfd p{socket.native_handle(), POLLIN, 0};
      ::poll(&p, 1, static_cast<int>(left.count()));
      continue;
    }
    if (ec) throw boost::beast::system_error(ec);
  }
}

}  // namespace

std::vector<std::string> ParseEndpoints(const std::string& list) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos <= list.size()) {
    size_t comma = list.find(',', pos);
    std::string one = list.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (one.rfind("http://", 0) == 0) one = one.substr(7);
    if (!one.empty()) {
      size_t colon = one.rfind(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == one.size())
        throw std::runtime_error("etcd endpoint '" + one + "' is not HOST:PORT");
      out.push_back(one);
    }
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  if (out.empty()) throw std::runtime_error("no etcd endpoint in '" + list + "'");
  return out;
}

std::string PrefixEnd(const std::string& prefix) {
  std::string end = prefix;
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) < 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string(1, '\0');  // every key
}


Client::Client(std::vector<std::string> endpoints) : endpoints_(std::move(endpoints)) {
  if (endpoints_.empty()) throw std::runtime_error("an etcd client needs at least one endpoint");
}

Client::~Client() = default;

std::unique_ptr<Client::Connection> Client::Connect(size_t member) {
  auto c = std::make_unique<Connection>();
  c->member = member;
  const std::string& ep = endpoints_[member];
  size_t colon = ep.rfind(':');
  std::string host = ep.substr(0, colon);
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  tcp::resolver resolver(c->io);
  asio::connect(c->socket, resolver.resolve(host, ep.substr(colon + 1)));
  c->socket.set_option(tcp::no_delay(true));
  return c;
}

std::unique_ptr<Client::Connection> Client::TakeConnection() {
  size_t member;
  {
    std::lock_guard lock(mu_);
    while (!idle_.empty()) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (c->member == preferred_) return c;
    }
    member = preferred_;
  }
  return Connect(member);
}

void Client::ReturnConnection(std::unique_ptr<Connection> c) {
  std::lock_guard lock(mu_);
  if (idle_.size() < 16) idle_.push_back(std::move(c));
}

json Client::Call(const std::string& path, const json& body, bool resend) {
  const std::string payload = body.dump();
  std::string last_problem;
  // Each member twice: a kept-alive connection may have been closed by a member that restarted.
  for (size_t attempt = 0; attempt < 2 * endpoints_.size(); ++attempt) {
    std::unique_ptr<Connection> c;
    size_t member;
    {
      std::lock_guard lock(mu_);
      member = preferred_;
    }
    bool sent = false;
    try {
      // A call that must not be sent twice takes a fresh connection: a kept-alive one that the
      // member closed meanwhile would fail after the request left, with its outcome unknown.
      c = resend ? TakeConnection() : Connect(member);
      member = c->member;
      http::request<http::string_body> req{http::verb::post, path, 11};
      req.set(http::field::host, endpoints_[member]);
      req.set(http::field::content_type, "application/json");
      req.keep_alive(true);
      req.body() = payload;
      req.prepare_payload();
      sent = true;
      c->socket.non_blocking(false);
      http::write(c->socket, req);
      http::response_parser<http::string_body> parser;
      parser.body_limit(kMaxAnswer);
      ReadWithin(c->socket, c->buffer, parser, kCallTimeout);
      auto& res = parser.get();
      const unsigned status = res.result_int();
      const bool keep = res.keep_alive();
      json answer = json::parse(res.body(), nullptr, false);
      if (answer.is_discarded()) throw Error(2, "etcd: an answer that is not JSON (HTTP " + std::to_string(status) + ")");
      if (keep) ReturnConnection(std::move(c));
      ThrowIfError(status, answer);
      return answer;
    } catch (const Error& e) {
      if (e.code != kUnavailable) throw;
      last_problem = e.what();
    } catch (const std::exception& e) {  // connection refused, reset, closed: the next member
      last_problem = endpoints_[member] + ": " + e.what();
      if (sent && !resend) {
        std::lock_guard lock(mu_);
        if (preferred_ == member) preferred_ = (member + 1) % endpoints_.size();
        throw Error(kUnknownOutcome, "etcd: " + last_problem + " after the request was sent");
      }
    }
    std::lock_guard lock(mu_);
    if (preferred_ == member) preferred_ = (member + 1) % endpoints_.size();
  }
  throw Error(kUnavailable, "etcd: no member answers (" + last_problem + ")");
}

KeyValue Client::ParseKeyValue(const json& kv) {
  KeyValue out;
  out.key = Decode(kv.value("key", ""));
  out.value = Decode(kv.value("value", ""));
  out.create_revision = Int(kv, "create_revision");
  out.mod_revision = Int(kv, "mod_revision");
  out.lease = Int(kv, "lease");
  return out;
}

std::vector<KeyValue> Client::Range(const std::string& key, const std::string& end, int64_t* revision) {
  json body = {{"key", Encode(key)}};
  if (!end.empty()) body["range_end"] = Encode(end);
  json answer = Call("/v3/kv/range", body);
  if (revision) *revision = Int(answer.value("header", json::object()), "revision");
  std::vector<KeyValue> out;
  for (const auto& kv : answer.value("kvs", json::array())) out.push_back(ParseKeyValue(kv));
  return out;
}

int64_t Client::GrantLease(int ttl_seconds) {
  json answer = Call("/v3/lease/grant", {{"TTL", ttl_seconds}});
  return Int(answer, "ID");
}

bool Client::KeepAlive(int64_t lease) {
  json answer = Call("/v3/lease/keepalive", {{"ID", std::to_string(lease)}});
  return Int(answer.value("result", json::object()), "TTL") > 0;
}

void Client::Revoke(int64_t lease) { Call("/v3/lease/revoke", {{"ID", std::to_string(lease)}}); }

void Client::Watch(const std::string& key, const std::string& end, int64_t from,
                   const std::function<void(std::vector<WatchEvent>&&)>& on_events, const std::atomic<bool>& stop) {
  size_t member;
  {
    std::lock_guard lock(mu_);
    member = preferred_;
  }
  std::unique_ptr<Connection> c;
  try {
    c = Connect(member);
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (preferred_ == member) preferred_ = (member + 1) % endpoints_.size();
    throw Error(kUnavailable, "etcd watch: " + endpoints_[member] + ": " + e.what());
  }
  json create = {{"key", Encode(key)}, {"start_revision", std::to_string(from)}};
  if (!end.empty()) create["range_end"] = Encode(end);
  http::request<http::string_body> req{http::verb::post, "/v3/watch", 11};
  req.set(http::field::host, endpoints_[member]);
  req.set(http::field::content_type, "application/json");
  req.body() = json{{"create_request", create}}.dump();
  req.prepare_payload();

  std::string pending;  // the gateway writes one JSON message per line
  auto handle_line = [&](const std::string& line) {
    if (line.find_first_not_of(" \r\t") == std::string::npos) return;
    json message = json::parse(line, nullptr, false);
    if (message.is_discarded()) throw Error(2, "etcd watch: a message that is not JSON");
    if (message.contains("error")) ThrowIfError(500, message);
    const json& result = message.value("result", json::object());
    if (Int(result, "compact_revision") > 0)
      throw Error(11, "etcd watch: revision " + std::to_string(from) + " was compacted");
    if (result.value("canceled", false)) throw Error(kUnavailable, "etcd watch: canceled by the server");
    std::vector<WatchEvent> events;
    for (const auto& e : result.value("events", json::array())) {
      WatchEvent w;
      w.deleted = e.value("type", "PUT") == "DELETE";
      w.kv = ParseKeyValue(e.value("kv", json::object()));
      events.push_back(std::move(w));
    }
    if (!events.empty()) on_events(std::move(events));
  };
  try {
    http::write(c->socket, req);
    http::response_parser<http::empty_body> parser;
    parser.body_limit(boost::none);
    auto on_chunk = [&](std::uint64_t, boost::string_view body, boost::beast::error_code&) -> std::size_t {
      pending.append(body.data(), body.size());
      size_t nl;
      while ((nl = pending.find('\n')) != std::string::npos) {
        std::string line = pending.substr(0, nl);
        pending.erase(0, nl + 1);
        handle_line(line);
      }
      return body.size();
    };
    parser.on_chunk_body(on_chunk);
    http::read_header(c->socket, c->buffer, parser);
    if (parser.get().result_int() != 200) throw Error(kUnavailable, "etcd watch: HTTP " + std::to_string(parser.get().result_int()));
    // Non-blocking reads, so that a quiet stream never keeps the thread from seeing STOP.
    c->socket.non_blocking(true);
    while (!stop.load(std::memory_order_acquire)) {
      boost::beast::error_code ec;
      http::read_some(c->socket, c->buffer, parser, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        pollfd p{c->socket.native_handle(), POLLIN, 0};
        ::poll(&p, 1, 1000);  // data, or a second gone: look at STOP again
        continue;
      }
      if (ec) throw boost::beast::system_error(ec);
      if (parser.is_done()) {
        if (!pending.empty()) handle_line(pending);
        throw Error(kUnavailable, "etcd watch: the stream ended");
      }
    }
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    if (preferred_ == member) preferred_ = (member + 1) % endpoints_.size();
    throw Error(kUnavailable, "etcd watch: " + endpoints_[member] + ": " + e.what());
  }
}

std::string Client::Encode(const std::string& bytes) { return model::EncodeBase64(bytes); }

std::string Client::Decode(const std::string& text) {
  if (text.empty()) return "";
  auto bytes = model::DecodeBase64(text);
  if (!bytes) throw Error(2, "etcd: a key or value that is not base64");
  return *bytes;
}

}  // namespace openvpc::store::etcd
