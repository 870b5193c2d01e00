#include <sqlite3.h>

#include <filesystem>
#include <stdexcept>

#include "store/store.h"

namespace openvpc::store {
namespace {

class SqliteStore final : public Store {
 public:
  SqliteStore(const std::string& path, bool full_sync, bool read_only = false) : path_(path) {
    // A file that was there before is checked before it is served: a damaged or truncated
    // database must stop the server, never start it with a state that silently lost data
    // (which the next write would then make permanent).
    std::error_code ec;
    const bool existed = std::filesystem::exists(path, ec);
    if (existed && std::filesystem::file_size(path, ec) == 0 && !ec)
      Damaged("it is empty (0 bytes), so it was truncated or never written");
    const int mode = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    if (sqlite3_open_v2(path.c_str(), &db_, mode, nullptr) != SQLITE_OK) {
      std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
      sqlite3_close(db_);
      throw std::runtime_error("cannot open " + path + ": " + why);
    }
    sqlite3_busy_timeout(db_, 5000);
    if (existed) {
      std::string verdict;
      try {
        verdict = QuickCheck();
      } catch (const std::exception& e) {
        verdict = e.what();
      }
      if (verdict != "ok") {
        sqlite3_close(db_);  // the destructor does not run for a constructor that throws
        Damaged(verdict);
      }
    }
    if (read_only) {  // the writer chose the journal mode and made the table
      get_ = Prepare("SELECT key, account, region, body FROM rows WHERE key = ?1");
      return;
    }
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
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) out.push_back(Read(s));
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) Damaged(std::string("reading it failed: ") + sqlite3_errstr(rc));  // never a partial state
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

  void Close() override { Exec("PRAGMA wal_checkpoint(TRUNCATE)"); }

 private:
  [[noreturn]] void Damaged(const std::string& why) {
    throw std::runtime_error("the database " + path_ + " is damaged: " + why +
                             ". openvpc will not serve a state that may have lost data. Restore the file (with its "
                             "-wal file, if any) from a backup, or move openvpc.db, openvpc.db-wal and openvpc.db-shm "
                             "aside to start with an empty state.");
  }
  // PRAGMA quick_check's first line: "ok" for a sound file.
  std::string QuickCheck() {
    sqlite3_stmt* s = Prepare("PRAGMA quick_check");
    std::string verdict = "no answer";
    int rc = sqlite3_step(s);
    if (rc == SQLITE_ROW && sqlite3_column_text(s, 0))
      verdict = reinterpret_cast<const char*>(sqlite3_column_text(s, 0));
    else if (rc != SQLITE_DONE)
      verdict = sqlite3_errmsg(db_);
    sqlite3_finalize(s);
    return verdict;
  }
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
    auto col = [&](int i) {
      const unsigned char* text = sqlite3_column_text(s, i);
      return text ? std::string(reinterpret_cast<const char*>(text)) : std::string();
    };
    return {col(0), col(1), col(2), col(3)};
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt *put_ = nullptr, *del_ = nullptr, *get_ = nullptr;
};

}  // namespace

std::unique_ptr<Store> OpenSqliteStore(const std::string& path, bool full_sync) {
  return std::make_unique<SqliteStore>(path, full_sync);
}

std::unique_ptr<Store> OpenSqliteStoreReadOnly(const std::string& path) {
  return std::make_unique<SqliteStore>(path, false, true);
}

}  // namespace openvpc::store
