// Durability behind one interface. A write's rows are applied atomically and are durable when
// Apply returns, before the API answers (ARCHITECTURE.md, "A write, end to end").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace openvpc::store {

struct Row {
  std::string key;      // a resource id, "partition/ACCOUNT/REGION" or "token/…"
  std::string account;  // owner account and Region, for loading into the right partition
  std::string region;
  std::string body;     // JSON
};

class Store {
 public:
  virtual ~Store() = default;
  virtual std::vector<Row> LoadAll() = 0;
  virtual std::optional<Row> Get(const std::string& key) = 0;
  // Upserts `puts` and removes `deletes` in one transaction.
  virtual void Apply(const std::vector<Row>& puts, const std::vector<std::string>& deletes) = 0;
  virtual void Wipe() = 0;
  // At a clean stop, after the last write: leaves the state in files that need nothing else
  // (SQLite: the WAL checkpointed into the database file and emptied).
  virtual void Close() = 0;
};

// A shared store that cannot be reached (no member answers, or the cluster has no quorum): the
// request is answered ServiceUnavailable, which clients retry.
struct Unavailable : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What a key of a shared store holds after another server's write.
struct Change {
  std::string key;
  std::optional<Row> row;     // nullopt: deleted
  std::optional<Row> before;  // what it held before (the partition a deleted resource was in)
};

// A store several servers share (etcd): API servers and agents each hold the whole state in
// memory and follow the others' writes through the store. A write commits only if its writer's
// state was the latest (optimistic concurrency: no lost update, no invariant checked against a
// stale state); on conflict the writer catches up and runs the request again.
class SharedStore : public Store {
 public:
  enum class Outcome { kCommitted, kConflict, kUnknown };
  // PUTS and DELETES, committed only if nobody committed since Applied(): kConflict (nothing
  // written) otherwise, kUnknown when the store went away before it answered; after catching
  // up, Committed(WRITE_ID) says whether it took place.
  virtual Outcome ApplyIfLatest(const std::string& write_id, const std::vector<Row>& puts,
                                const std::vector<std::string>& deletes) = 0;
  virtual bool Committed(const std::string& write_id) const = 0;
  // The revision of the last write anyone committed: a linearizable read, so a server that
  // catches up to it sees every write acknowledged before (read-your-writes across servers).
  virtual uint64_t Head() = 0;
  // The revision this server's state is at (LoadAll's, then each write taken or committed).
  virtual uint64_t Applied() const = 0;
  // Follows the store's changes from LoadAll's revision on a thread of the store's; WAKE runs
  // on it after changes arrive, and must not block (a writer waiting in Take() needs that
  // thread to go on).
  virtual void Follow(std::function<void()> wake) = 0;
  // The changes that arrived, in commit order, after waiting up to TIMEOUT for those up to
  // revision AT_LEAST (throws when they do not come); Get() and Applied() move on with them.
  // `reload`: the changes were lost (the store compacted its history): ROWS is the whole state.
  struct Changes {
    bool reload = false;
    std::vector<Row> rows;
    std::vector<Change> changes;
    bool empty() const { return !reload && changes.empty(); }
  };
  virtual Changes Take(uint64_t at_least, std::chrono::milliseconds timeout) = 0;

  // Registers host NAME for as long as this process lives: BODY(lease) is its row
  // ("host/NAME", codec.h), kept under a lease of TTL seconds that a thread of the store's
  // renews; when the lease was lost (the store unreachable for longer than TTL) the host
  // registers again. Every server's state shows it in State::hosts while the lease lives.
  virtual void RegisterHost(const std::string& name, std::function<std::string(int64_t lease)> body,
                            int ttl_seconds) = 0;
  // Ends the registration at once (a clean stop): the lease is revoked.
  virtual void UnregisterHost() = 0;
};

// SQLite in WAL mode at PATH. `full_sync` also survives power loss; without it a write is
// durable against a crash of the process (kill -9), which is what the API promises.
std::unique_ptr<Store> OpenSqliteStore(const std::string& path, bool full_sync);
// The same database opened only to read (`openvpc trace`): it never takes a write lock, so any
// number of readers run beside the server. Throws when there is no sound database at PATH.
std::unique_ptr<Store> OpenSqliteStoreReadOnly(const std::string& path);

// etcd at ENDPOINTS ("HOST:PORT[,HOST:PORT…]", the members of one cluster), every key under
// PREFIX: PREFIX "rows/KEY" per row, PREFIX "head" written by every write (its compare target),
// PREFIX "hosts/NAME" per registered host (under its lease; not compared by writes).
std::unique_ptr<SharedStore> OpenEtcdStore(const std::string& endpoints, const std::string& prefix = "openvpc/");

// The store `--store SPEC` names: "sqlite", the file openvpc.db in DATA_DIR (the default, for
// one machine), or "etcd://HOST:PORT[,HOST:PORT…]" (shared by API servers and agents).
struct OpenOptions {
  bool read_only = false;  // `openvpc trace`: SQLite without a write lock (etcd reads anyway)
  bool full_sync = false;  // SQLite's --sync full
};
std::unique_ptr<Store> OpenStore(const std::string& spec, const std::string& data_dir, const OpenOptions& options);

}  // namespace openvpc::store
