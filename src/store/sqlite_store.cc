#include <sqlite3.h>

#include <stdexcept>

#include "store/store.h"

namespace openvpc::store {
namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, bool full_sync) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK)
      throw std::runtime_error("cannot open " + path + ": " + sqlite3_errmsg(db_));
    Exec("PRAGMA journal_mode=WAL");
    Exec(full_sync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    Exec("PRAGMA busy_timeout=5000");
    Exec("CREATE TABLE IF NOT EXISTS rows (key TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
         "body TEXT NOT NULL)");
    put_ = Prepare("INSERT INTO rows(key, account, region, body) VALUES (?1, ?2, ?3, ?4) "
                   "ON CONFLICT(key) DO UPDATE SET account=?2, region=?3, body=?4");
    del_ = Prepare("DELETE FROM rows WHERE key = ?1");
    get_ = Prepare("SELECT key, account, region, body FROM rows WHERE key = ?1");
  }

  ~SqliteStore() override {
    for (auto* s : {put_, del_, get_}) sqlite3_finalize(s);
    sqlite3_close(db_);
  }

  std::vector<Row> LoadAll() override {
    sqlite3_stmt* s = Prepare("SELECT key, account, region, body FROM rows ORDER BY key");
    std::vector<Row> out;
    while (sqlite3_step(s) == SQLITE_ROW) out.push_back(Read(s));
    sqlite3_finalize(s);
    return out;
  }

  std::optional<Row> Get(const std::string& key) override {
    sqlite3_reset(get_);
    sqlite3_bind_text(get_, 1, key.c_str(), -1, SQLITE_TRANSIENT);
    if (sqlite3_step(get_) != SQLITE_ROW) return std::nullopt;
    return Read(get_);
  }

  void Apply(const std::vector<Row>& puts, const std::vector<std::string>& deletes) override {
    if (puts.empty() && deletes.empty()) return;
    Exec("BEGIN IMMEDIATE");
    try {
      for (const auto& r : puts) {
        sqlite3_reset(put_);
        sqlite3_bind_text(put_, 1, r.key.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(put_, 2, r.account.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(put_, 3, r.region.c_str(), -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(put_, 4, r.body.c_str(), -1, SQLITE_TRANSIENT);
        Step(put_);
      }
      for (const auto& k : deletes) {
        sqlite3_reset(del_);
        sqlite3_bind_text(del_, 1, k.c_str(), -1, SQLITE_TRANSIENT);
        Step(del_);
      }
      Exec("COMMIT");
    } catch (...) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

  void Wipe() override { Exec("DELETE FROM rows"); }

 private:
  void Exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string m = err ? err : "unknown error";
      sqlite3_free(err);
      throw std::runtime_error(std::string("sqlite: ") + sql + ": " + m);
    }
  }
  sqlite3_stmt* Prepare(const char* sql) {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db_, sql, -1, &s, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("sqlite prepare: ") + sqlite3_errmsg(db_));
    return s;
  }
  void Step(sqlite3_stmt* s) {
    if (sqlite3_step(s) != SQLITE_DONE) throw std::runtime_error(std::string("sqlite: ") + sqlite3_errmsg(db_));
  }
  static Row Read(sqlite3_stmt* s) {
    auto col = [&](int i) { return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i))); };
    return {col(0), col(1), col(2), col(3)};
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt *put_ = nullptr, *del_ = nullptr, *get_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> OpenSqliteStore(const std::string& path, bool full_sync) {
  return std::make_unique<SqliteStore>(path, full_sync);
}

}  // namespace openvpc::store
