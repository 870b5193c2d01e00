// Durability behind one interface. A write's rows are applied atomically and are durable when
// Apply returns, before the API answers (ARCHITECTURE.md, "A write, end to end").
#pragma once

#include <memory>
#include <optional>
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

// SQLite in WAL mode at PATH. `full_sync` also survives power loss; without it a write is
// durable against a crash of the process (kill -9), which is what the API promises.
std::unique_ptr<Store> OpenSqliteStore(const std::string& path, bool full_sync);
// The same database opened only to read (`openvpc trace`): it never takes a write lock, so any
// number of readers run beside the server. Throws when there is no sound database at PATH.
std::unique_ptr<Store> OpenSqliteStoreReadOnly(const std::string& path);

}  // namespace openvpc::store
