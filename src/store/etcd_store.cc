// The state in etcd: one key per row, and a head key that every write puts, so that comparing
// the head's revision with the one a server's state is at tells whether anyone wrote since.
// Writes are serialized across servers by that compare (etcd checks it in the transaction),
// reads are consistent by catching up to the head's revision first.
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <nlohmann/json.hpp>

#include "store/codec.h"
#include "store/etcd_client.h"
#include "store/store.h"

namespace openvpc::store {
namespace {

using nlohmann::json;

// A row as etcd holds it: account and Region on the first two lines, then the body.
std::string Pack(const Row& r) { return r.account + "\n" + r.region + "\n" + r.body; }

Row Unpack(const std::string& key, const std::string& value) {
  size_t a = value.find('\n');
  size_t b = a == std::string::npos ? std::string::npos : value.find('\n', a + 1);
  if (b == std::string::npos) throw std::runtime_error("etcd: the row " + key + " is not openvpc's");
  return {key, value.substr(0, a), value.substr(a + 1, b - a - 1), value.substr(b + 1)};
}

class EtcdStore final : public SharedStore {
 public:
  EtcdStore(const std::string& endpoints, const std::string& prefix)
      : client_(etcd::ParseEndpoints(endpoints)), prefix_(prefix), rows_prefix_(prefix + "rows/"),
        hosts_prefix_(prefix + "hosts/"), head_key_(prefix + "head") {}

  ~EtcdStore() override {
    StopFollowing();
    StopRegistration(false);
  }

  std::vector<Row> LoadAll() override {
    std::vector<Row> out;
    Load(out);
    return out;
  }

  std::optional<Row> Get(const std::string& key) override {
    auto it = mirror_.find(key);
    if (it == mirror_.end()) return std::nullopt;
    return it->second;
  }

  void Apply(const std::vector<Row>& puts, const std::vector<std::string>& deletes) override {
    if (Transact(nullptr, "", puts, deletes) != Outcome::kCommitted)
      throw std::runtime_error("etcd: a write's outcome is unknown (the member went away)");
  }

  Outcome ApplyIfLatest(const std::string& write_id, const std::vector<Row>& puts,
                        const std::vector<std::string>& deletes) override {
    const uint64_t seen = applied_.load();
    return Transact(&seen, write_id, puts, deletes);
  }

  bool Committed(const std::string& write_id) const override {
    std::lock_guard lock(queue_mu_);
    return std::find(recent_writes_.begin(), recent_writes_.end(), write_id) != recent_writes_.end();
  }

  void Wipe() override {
    json txn = {{"success", json::array({{{"request_delete_range",
                                           {{"key", etcd::Client::Encode(rows_prefix_)},
                                            {"range_end", etcd::Client::Encode(etcd::PrefixEnd(rows_prefix_))}}}},
                                         HeadPut("wipe")})}};
    json answer = client_.Call("/v3/kv/txn", txn, false);
    mirror_.clear();
    applied_ = std::stoull(answer["header"].value("revision", "0"));
  }

  void Close() override { StopFollowing(); }

  void RegisterHost(const std::string& name, std::function<std::string(int64_t lease)> body,
                    int ttl_seconds) override {
    host_key_ = hosts_prefix_ + name;
    host_body_ = std::move(body);
    host_ttl_ = ttl_seconds;
    Register();  // the first time in the caller's thread: a store that refuses stops the start
    registrar_ = std::thread([this] { RenewLoop(); });
  }

  void UnregisterHost() override { StopRegistration(true); }

  uint64_t Head() override {
    try {
      auto kvs = client_.Range(head_key_, "");
      return kvs.empty() ? 0 : static_cast<uint64_t>(kvs[0].mod_revision);
    } catch (const etcd::Error& e) {
      if (e.code == etcd::kUnavailable) throw Unavailable(e.what());
      throw;
    }
  }

  uint64_t Applied() const override { return applied_.load(); }

  void Follow(std::function<void()> wake) override {
    wake_ = std::move(wake);
    follower_ = std::thread([this] { FollowLoop(); });
  }

  Changes Take(uint64_t at_least, std::chrono::milliseconds timeout) override {
    std::deque<etcd::WatchEvent> events;
    Changes out;
    {
      std::unique_lock lock(queue_mu_);
      if (!queue_cv_.wait_for(lock, timeout, [&] { return reload_ || queued_ >= at_least; }))
        throw Unavailable("etcd: the changes up to revision " + std::to_string(at_least) +
                                 " did not arrive within " + std::to_string(timeout.count()) + " ms");
      if (reload_) {
        reload_ = false;
        out.reload = true;
        events.clear();
        queue_.clear();
      } else {
        events.swap(queue_);
      }
    }
    if (out.reload) {  // the history was compacted: start again from the whole state
      Load(out.rows);
      return out;
    }
    const uint64_t base = applied_.load();  // a write's changes share its revision
    for (auto& e : events) {
      const uint64_t revision = static_cast<uint64_t>(e.kv.mod_revision);
      if (e.kv.key.rfind(hosts_prefix_, 0) == 0) {  // registrations: no write compares them
        Change c;
        c.key = std::string(kHostKeyPrefix) + e.kv.key.substr(hosts_prefix_.size());
        if (!e.deleted) c.row = Row{c.key, "", "", e.kv.value};
        out.changes.push_back(std::move(c));
        continue;
      }
      if (revision <= base) continue;  // this server's own write, or one it loaded
      applied_ = revision;
      if (e.kv.key == head_key_) {
        if (!e.deleted) Remember(e.kv.value);
        continue;
      }
      if (e.kv.key.rfind(rows_prefix_, 0) != 0) continue;
      Change c;
      c.key = e.kv.key.substr(rows_prefix_.size());
      if (auto it = mirror_.find(c.key); it != mirror_.end()) c.before = std::move(it->second);
      if (e.deleted) {
        mirror_.erase(c.key);
      } else {
        c.row = Unpack(c.key, e.kv.value);
        mirror_[c.key] = *c.row;
      }
      out.changes.push_back(std::move(c));
    }
    return out;
  }

 private:
  json HeadPut(const std::string& write_id) const {
    return {{"request_put", {{"key", etcd::Client::Encode(head_key_)}, {"value", etcd::Client::Encode(write_id)}}}};
  }

  // Loads every row into OUT and the mirror; Applied() becomes the head's revision, and the
  // watch goes on after the revision of the read.
  void Load(std::vector<Row>& out) {
    int64_t revision = 0;
    auto kvs = client_.Range(prefix_, etcd::PrefixEnd(prefix_), &revision);
    std::unordered_map<std::string, Row> mirror;
    uint64_t head = 0;
    for (const auto& kv : kvs) {
      if (kv.key == head_key_) {
        head = static_cast<uint64_t>(kv.mod_revision);
      } else if (kv.key.rfind(rows_prefix_, 0) == 0) {
        Row r = Unpack(kv.key.substr(rows_prefix_.size()), kv.value);
        out.push_back(r);
        mirror[r.key] = std::move(r);
      } else if (kv.key.rfind(hosts_prefix_, 0) == 0) {
        out.push_back({std::string(kHostKeyPrefix) + kv.key.substr(hosts_prefix_.size()), "", "", kv.value});
      }
    }
    mirror_ = std::move(mirror);
    applied_ = head;
    std::lock_guard lock(queue_mu_);
    queue_.clear();
    queued_ = static_cast<uint64_t>(revision);
    watch_from_ = revision + 1;
  }

  // One transaction: PUTS, DELETES and the head (valued WRITE_ID), if the head is still at
  // *SEEN (when SEEN is given).
  Outcome Transact(const uint64_t* seen, const std::string& write_id, const std::vector<Row>& puts,
                   const std::vector<std::string>& deletes) {
    json success = json::array();
    for (const auto& r : puts)
      success.push_back({{"request_put",
                          {{"key", etcd::Client::Encode(rows_prefix_ + r.key)}, {"value", etcd::Client::Encode(Pack(r))}}}});
    for (const auto& k : deletes)
      success.push_back({{"request_delete_range", {{"key", etcd::Client::Encode(rows_prefix_ + k)}}}});
    success.push_back(HeadPut(write_id.empty() ? "write" : write_id));
    json txn = {{"success", success}};
    if (seen)
      txn["compare"] = json::array({{{"key", etcd::Client::Encode(head_key_)},
                                     {"target", "MOD"},
                                     {"result", "EQUAL"},
                                     {"mod_revision", std::to_string(*seen)}}});
    json answer;
    try {
      answer = client_.Call("/v3/kv/txn", txn, false);
    } catch (const etcd::Error& e) {
      if (e.code == etcd::kUnknownOutcome) return Outcome::kUnknown;
      if (e.code == etcd::kUnavailable) throw Unavailable(e.what());
      throw;
    }
    if (!answer.value("succeeded", false)) return Outcome::kConflict;
    applied_ = std::stoull(answer["header"].value("revision", "0"));
    for (const auto& r : puts) mirror_[r.key] = r;
    for (const auto& k : deletes) mirror_.erase(k);
    return Outcome::kCommitted;
  }

  void Register() {
    lease_ = client_.GrantLease(host_ttl_);
    client_.Call("/v3/kv/put", {{"key", etcd::Client::Encode(host_key_)},
                                {"value", etcd::Client::Encode(host_body_(lease_))},
                                {"lease", std::to_string(lease_)}});
  }

  // Renews the lease three times per TTL; registers again when it was lost.
  void RenewLoop() {
    const auto period = std::chrono::milliseconds(host_ttl_ * 1000 / 3);
    std::unique_lock lock(registrar_mu_);
    while (!registrar_cv_.wait_for(lock, period, [&] { return registrar_stop_; })) {
      lock.unlock();
      try {
        if (!client_.KeepAlive(lease_)) {
          fprintf(stderr, "openvpc: the host's lease expired; registering again\n");
          Register();
        }
      } catch (const std::exception& e) {
        fprintf(stderr, "openvpc: renewing the host's lease: %s\n", e.what());
      }
      lock.lock();
    }
  }

  void StopRegistration(bool revoke) {
    {
      std::lock_guard lock(registrar_mu_);
      registrar_stop_ = true;
    }
    registrar_cv_.notify_all();
    if (registrar_.joinable()) registrar_.join();
    if (revoke && lease_) {
      try {
        client_.Revoke(lease_);
      } catch (const std::exception& e) {
        fprintf(stderr, "openvpc: revoking the host's lease: %s\n", e.what());
      }
      lease_ = 0;
    }
  }

  void Remember(const std::string& write_id) {
    std::lock_guard lock(queue_mu_);
    recent_writes_.push_back(write_id);
    if (recent_writes_.size() > 1024) recent_writes_.pop_front();
  }

  void FollowLoop() {
    while (!stop_.load()) {
      int64_t from;
      {
        std::lock_guard lock(queue_mu_);
        from = watch_from_;
      }
      try {
        client_.Watch(
            prefix_, etcd::PrefixEnd(prefix_), from,
            [&](std::vector<etcd::WatchEvent>&& events) {
              {
                std::lock_guard lock(queue_mu_);
                for (auto& e : events) {
                  queued_ = std::max<uint64_t>(queued_, static_cast<uint64_t>(e.kv.mod_revision));
                  queue_.push_back(std::move(e));
                }
                watch_from_ = static_cast<int64_t>(queued_) + 1;
              }
              queue_cv_.notify_all();
              if (wake_) wake_();
            },
            stop_);
      } catch (const etcd::Error& e) {
        if (stop_.load()) break;
        if (e.code == 11) {  // compacted: whoever takes next reloads everything
          {
            std::lock_guard lock(queue_mu_);
            reload_ = true;
          }
          queue_cv_.notify_all();
          if (wake_) wake_();
          // Wait for the reload to set where the watch resumes.
          std::unique_lock lock(queue_mu_);
          queue_cv_.wait_for(lock, std::chrono::seconds(1), [&] { return !reload_ || stop_.load(); });
          continue;
        }
        fprintf(stderr, "openvpc: %s; following again from revision %lld\n", e.what(), static_cast<long long>(from));
        for (int i = 0; i < 4 && !stop_.load(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      } catch (const std::exception& e) {
        fprintf(stderr, "openvpc: following etcd: %s\n", e.what());
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
      }
    }
  }

  void StopFollowing() {
    stop_ = true;
    queue_cv_.notify_all();
    if (follower_.joinable()) follower_.join();
  }

  etcd::Client client_;
  const std::string prefix_, rows_prefix_, hosts_prefix_, head_key_;
  std::unordered_map<std::string, Row> mirror_;  // the rows at Applied(), for Get()
  std::atomic<uint64_t> applied_{0};

  mutable std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<etcd::WatchEvent> queue_;  // arrived, not taken
  uint64_t queued_ = 0;                 // the revision of the last change that arrived
  int64_t watch_from_ = 1;
  bool reload_ = false;
  std::deque<std::string> recent_writes_;  // the write ids of the last heads taken

  // The host this process registered, if any.
  std::string host_key_;
  std::function<std::string(int64_t)> host_body_;
  int host_ttl_ = 0;
  int64_t lease_ = 0;
  std::thread registrar_;
  std::mutex registrar_mu_;
  std::condition_variable registrar_cv_;
  bool registrar_stop_ = false;

  std::function<void()> wake_;
  std::atomic<bool> stop_{false};
  std::thread follower_;
};

}  // namespace

std::unique_ptr<SharedStore> OpenEtcdStore(const std::string& endpoints, const std::string& prefix) {
  return std::make_unique<EtcdStore>(endpoints, prefix);
}

}  // namespace openvpc::store
