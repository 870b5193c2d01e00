// etcd v3 through its JSON gateway: HTTP/1.1 POSTs of JSON to /v3/kv/range, /v3/kv/txn,
// /v3/watch and /v3/lease/*, keys and values in base64, 64-bit numbers as strings. Beast is the
// whole client: no generated code, no gRPC. A client knows every member of the cluster and
// sends each call to the one that answered last, moving on to the next when a member does not
// answer, so a cluster that lost a member (but kept its quorum) goes on serving.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace openvpc::store::etcd {

// An answer of etcd's that is an error (its gRPC code and message), or no member answering.
struct Error : std::runtime_error {
  Error(int code, const std::string& message) : std::runtime_error(message), code(code) {}
  int code;  // gRPC status code; 14 (UNAVAILABLE) when no member could be reached
};
// gRPC's UNAVAILABLE: no member could be reached (or the cluster has no leader).
constexpr int kUnavailable = 14;
// The code of a call that was sent but not answered (the member went away): it may or may not
// have taken effect.
constexpr int kUnknownOutcome = -1;

struct KeyValue {
  std::string key, value;
  int64_t create_revision = 0, mod_revision = 0, lease = 0;
};

struct WatchEvent {
  bool deleted = false;
  KeyValue kv;  // for a delete: the key and the revision of the delete
};

// "HOST:PORT[,HOST:PORT…]" (what follows etcd:// in --store): the members, in order.
std::vector<std::string> ParseEndpoints(const std::string& list);
// The first key after every key that starts with PREFIX (a range's end for a prefix).
std::string PrefixEnd(const std::string& prefix);

class Client {
 public:
  explicit Client(std::vector<std::string> endpoints);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  const std::vector<std::string>& endpoints() const { return endpoints_; }

  // POSTs BODY to PATH (e.g. "/v3/kv/range") and returns the answer; throws Error. A call is
  // sent again to the next member when a member does not answer, unless RESEND is false (a
  // transaction): then a call lost after it was sent throws Error{kUnknownOutcome}.
  nlohmann::json Call(const std::string& path, const nlohmann::json& body, bool resend = true);

  // The keys in [KEY, END) (END empty: KEY alone), with the store's revision at the read.
  // Linearizable: it sees every write acknowledged before it was sent.
  std::vector<KeyValue> Range(const std::string& key, const std::string& end, int64_t* revision = nullptr);

  // Leases: a TTL in seconds; keep-alive renews it once; revoke drops it and its keys.
  int64_t GrantLease(int ttl_seconds);
  // False when the lease is gone (expired or revoked).
  bool KeepAlive(int64_t lease);
  void Revoke(int64_t lease);

  // Streams the changes of [KEY, END) from revision FROM: ON_EVENTS gets each response's events
  // in revision order; it returns when STOP is set (checked after each response and every
  // second), and throws Error when the stream breaks (the caller resumes after the last
  // revision it saw) or the revision was compacted (code 11, OUT_OF_RANGE).
  void Watch(const std::string& key, const std::string& end, int64_t from,
             const std::function<void(std::vector<WatchEvent>&&)>& on_events, const std::atomic<bool>& stop);

  // Base64, as the gateway wants keys and values.
  static std::string Encode(const std::string& bytes);
  static std::string Decode(const std::string& text);
  static KeyValue ParseKeyValue(const nlohmann::json& kv);

 private:
  struct Connection;
  std::unique_ptr<Connection> Connect(size_t member);
  std::unique_ptr<Connection> TakeConnection();
  void ReturnConnection(std::unique_ptr<Connection> c);

  std::vector<std::string> endpoints_;
  std::mutex mu_;
  size_t preferred_ = 0;  // the member that answered last
  std::vector<std::unique_ptr<Connection>> idle_;
};

}  // namespace openvpc::store::etcd
