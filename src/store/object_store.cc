// S3's buckets and objects on disk: store/object_store.h.
#include "store/object_store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <stdexcept>

namespace openvpc::store {

namespace fs = std::filesystem;

namespace {

std::string RandomName() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
           static_cast<unsigned long long>(rng()));
  return buf;
}

// One prepared statement, finalized when it goes out of scope.
class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &s_, nullptr) != SQLITE_OK)
      throw std::runtime_error(std::string("S3 metadata: ") + sqlite3_errmsg(db));
  }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  // True while a row is there.
  bool Step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw std::runtime_error(std::string("S3 metadata: ") + sqlite3_errmsg(db_));
  }
  std::string Text(int i) const {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s_, i));
    return p ? std::string(p, static_cast<size_t>(sqlite3_column_bytes(s_, i))) : std::string();
  }
  int64_t Int(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3* db_;
  sqlite3_stmt* s_ = nullptr;
};

// BEGIN IMMEDIATE … COMMIT, rolled back when left by an exception.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { Run("BEGIN IMMEDIATE"); }
  ~Transaction() {
    if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }
  void Commit() {
    Run("COMMIT");
    done_ = true;
  }

 private:
  void Run(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
      std::string why = err ? err : "?";
      sqlite3_free(err);
      throw std::runtime_error("S3 metadata: " + why);
    }
  }
  sqlite3* db_;
  bool done_ = false;
};

constexpr const char* kObjectColumns = "bucket, key, blob, size, etag, modified_ms, headers, checksum";

ObjectRow ReadObject(const Stmt& s) {
  return {.bucket = s.Text(0), .key = s.Text(1), .blob = s.Text(2), .size = static_cast<uint64_t>(s.Int(3)),
          .etag = s.Text(4), .modified_ms = s.Int(5), .headers = s.Text(6), .checksum = s.Text(7)};
}

// Inside a transaction: puts O, adding the body it replaced (if any) to GONE.
void InsertObject(sqlite3* db, const ObjectRow& o, std::vector<std::string>& gone) {
  {
    Stmt old(db, "SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2");
    if (old.Bind(1, o.bucket).Bind(2, o.key).Step() && old.Text(0) != o.blob) gone.push_back(old.Text(0));
  }
  Stmt(db, "INSERT OR REPLACE INTO objects(bucket, key, blob, size, etag, modified_ms, headers, checksum) "
           "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .Bind(1, o.bucket).Bind(2, o.key).Bind(3, o.blob).Bind(4, static_cast<int64_t>(o.size)).Bind(5, o.etag)
      .Bind(6, o.modified_ms).Bind(7, o.headers).Bind(8, o.checksum).Step();
}

// Inside a transaction: ends upload ID, adding its parts' bodies to GONE. False when there is none.
bool EndUpload(sqlite3* db, const std::string& id, std::vector<std::string>& gone) {
  {
    Stmt exists(db, "SELECT 1 FROM uploads WHERE id = ?1");
    if (!exists.Bind(1, id).Step()) return false;
    Stmt parts(db, "SELECT blob FROM parts WHERE upload = ?1");
    parts.Bind(1, id);
    while (parts.Step()) gone.push_back(parts.Text(0));
  }
  Stmt(db, "DELETE FROM parts WHERE upload = ?1").Bind(1, id).Step();
  Stmt(db, "DELETE FROM uploads WHERE id = ?1").Bind(1, id).Step();
  return true;
}

UploadRow ReadUpload(const Stmt& s) {
  return {.id = s.Text(0), .bucket = s.Text(1), .key = s.Text(2), .account = s.Text(3), .initiated_ms = s.Int(4),
          .headers = s.Text(5), .checksum_algorithm = s.Text(6), .checksum_type = s.Text(7)};
}

}  // namespace

ObjectStore::ObjectStore(const std::string& dir) : dir_(dir) {
  fs::create_directories(fs::path(dir) / "blobs");
  fs::create_directories(fs::path(dir) / "tmp");
  const std::string path = (fs::path(dir) / "meta.db").string();
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX,
                      nullptr) != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    throw std::runtime_error("cannot open " + path + ": " + why);
  }
  sqlite3_busy_timeout(db_, 10000);
  try {
    Exec("PRAGMA journal_mode=WAL");
    Exec("PRAGMA synchronous=NORMAL");
    Exec("CREATE TABLE IF NOT EXISTS buckets (name TEXT PRIMARY KEY, account TEXT NOT NULL, region TEXT NOT NULL, "
         "created_ms INTEGER NOT NULL, policy TEXT NOT NULL DEFAULT '')");
    Exec("CREATE TABLE IF NOT EXISTS objects (bucket TEXT NOT NULL, key TEXT NOT NULL, blob TEXT NOT NULL, "
         "size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ms INTEGER NOT NULL, headers TEXT NOT NULL, "
         "checksum TEXT NOT NULL, PRIMARY KEY (bucket, key))");
    Exec("CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, bucket TEXT NOT NULL, key TEXT NOT NULL, "
         "account TEXT NOT NULL, initiated_ms INTEGER NOT NULL, headers TEXT NOT NULL, checksum_algorithm TEXT NOT "
         "NULL, checksum_type TEXT NOT NULL)");
    Exec("CREATE TABLE IF NOT EXISTS parts (upload TEXT NOT NULL, number INTEGER NOT NULL, blob TEXT NOT NULL, "
         "size INTEGER NOT NULL, etag TEXT NOT NULL, modified_ms INTEGER NOT NULL, checksum TEXT NOT NULL, "
         "PRIMARY KEY (upload, number))");
    Sweep();
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

ObjectStore::~ObjectStore() { sqlite3_close(db_); }

void ObjectStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string why = err ? err : "?";
    sqlite3_free(err);
    throw std::runtime_error(std::string("S3 metadata: ") + why);
  }
}

// Bodies no row names: a crash came between writing one and naming it (or between forgetting
// one and removing it). Old spool files too. Another process may be between the two steps right
// now, so only files older than an hour go.
void ObjectStore::Sweep() {
  std::set<std::string> named;
  for (const char* sql : {"SELECT blob FROM objects", "SELECT blob FROM parts"}) {
    Stmt s(db_, sql);
    while (s.Step()) named.insert(s.Text(0));
  }
  const auto cutoff = fs::file_time_type::clock::now() - std::chrono::hours(1);
  std::error_code ec;
  for (const char* sub : {"blobs", "tmp"})
    for (const auto& f : fs::directory_iterator(fs::path(dir_) / sub, ec)) {
      const bool unnamed = std::string(sub) == "tmp" || !named.count(f.path().filename().string());
      if (unnamed && f.last_write_time(ec) < cutoff) fs::remove(f.path(), ec);
    }
}

std::string ObjectStore::PrefixEnd(std::string prefix) {
  while (!prefix.empty()) {
    auto& last = reinterpret_cast<unsigned char&>(prefix.back());
    if (last != 0xff) {
      ++last;
      return prefix;
    }
    prefix.pop_back();
  }
  return "";
}

std::string ObjectStore::TempPath() const { return (fs::path(dir_) / "tmp" / RandomName()).string(); }

std::string ObjectStore::Adopt(const std::string& file) const {
  const std::string blob = RandomName();
  fs::rename(file, BlobPath(blob));
  return blob;
}

std::string ObjectStore::Share(const std::string& blob) const {
  const std::string copy = RandomName();
  std::error_code ec;
  fs::create_hard_link(BlobPath(blob), BlobPath(copy), ec);
  if (ec) fs::copy_file(BlobPath(blob), BlobPath(copy));
  return copy;
}

std::string ObjectStore::BlobPath(const std::string& blob) const { return (fs::path(dir_) / "blobs" / blob).string(); }

void ObjectStore::Discard(const std::vector<std::string>& blobs) const {
  std::error_code ec;
  for (const auto& b : blobs)
    if (!b.empty()) fs::remove(BlobPath(b), ec);
}

std::optional<BucketRow> ObjectStore::Bucket(const std::string& name) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT name, account, region, created_ms, policy FROM buckets WHERE name = ?1");
  s.Bind(1, name);
  if (!s.Step()) return std::nullopt;
  return BucketRow{s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4)};
}

std::vector<BucketRow> ObjectStore::Buckets(const std::string& account) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT name, account, region, created_ms, policy FROM buckets WHERE account = ?1 ORDER BY name");
  s.Bind(1, account);
  std::vector<BucketRow> out;
  while (s.Step()) out.push_back({s.Text(0), s.Text(1), s.Text(2), s.Int(3), s.Text(4)});
  return out;
}

bool ObjectStore::CreateBucket(const BucketRow& b) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "INSERT OR IGNORE INTO buckets(name, account, region, created_ms, policy) VALUES (?1, ?2, ?3, ?4, '')");
  s.Bind(1, b.name).Bind(2, b.account).Bind(3, b.region).Bind(4, b.created_ms).Step();
  return sqlite3_changes(db_) == 1;
}

ObjectStore::DeleteOutcome ObjectStore::DeleteBucket(const std::string& name) {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    {
      Stmt exists(db_, "SELECT 1 FROM buckets WHERE name = ?1");
      if (!exists.Bind(1, name).Step()) return DeleteOutcome::kMissing;
      Stmt any(db_, "SELECT 1 FROM objects WHERE bucket = ?1 LIMIT 1");
      if (any.Bind(1, name).Step()) return DeleteOutcome::kNotEmpty;
    }
    {
      Stmt parts(db_, "SELECT p.blob FROM parts p JOIN uploads u ON p.upload = u.id WHERE u.bucket = ?1");
      parts.Bind(1, name);
      while (parts.Step()) gone.push_back(parts.Text(0));
    }
    Stmt(db_, "DELETE FROM parts WHERE upload IN (SELECT id FROM uploads WHERE bucket = ?1)").Bind(1, name).Step();
    Stmt(db_, "DELETE FROM uploads WHERE bucket = ?1").Bind(1, name).Step();
    Stmt(db_, "DELETE FROM buckets WHERE name = ?1").Bind(1, name).Step();
    tx.Commit();
  }
  Discard(gone);
  return DeleteOutcome::kDeleted;
}

bool ObjectStore::SetBucketPolicy(const std::string& name, const std::string& policy) {
  std::lock_guard lock(mu_);
  Stmt(db_, "UPDATE buckets SET policy = ?2 WHERE name = ?1").Bind(1, name).Bind(2, policy).Step();
  return sqlite3_changes(db_) == 1;
}

std::optional<ObjectRow> ObjectStore::Object(const std::string& bucket, const std::string& key) {
  std::lock_guard lock(mu_);
  Stmt s(db_, (std::string("SELECT ") + kObjectColumns + " FROM objects WHERE bucket = ?1 AND key = ?2").c_str());
  s.Bind(1, bucket).Bind(2, key);
  if (!s.Step()) return std::nullopt;
  return ReadObject(s);
}

void ObjectStore::PutObject(const ObjectRow& o) {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    InsertObject(db_, o, gone);
    tx.Commit();
  }
  Discard(gone);
}

bool ObjectStore::DeleteObject(const std::string& bucket, const std::string& key) {
  std::string blob;
  {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    {
      Stmt old(db_, "SELECT blob FROM objects WHERE bucket = ?1 AND key = ?2");
      if (!old.Bind(1, bucket).Bind(2, key).Step()) return false;
      blob = old.Text(0);
    }
    Stmt(db_, "DELETE FROM objects WHERE bucket = ?1 AND key = ?2").Bind(1, bucket).Bind(2, key).Step();
    tx.Commit();
  }
  Discard({blob});
  return true;
}

std::vector<ObjectRow> ObjectStore::ListObjects(const std::string& bucket, const std::string& prefix,
                                                const std::string& from, bool inclusive, int limit) {
  std::lock_guard lock(mu_);
  const std::string lower = from > prefix ? from : prefix;
  const bool lower_inclusive = from > prefix ? inclusive : true;
  const std::string upper = PrefixEnd(prefix);
  std::string sql = std::string("SELECT ") + kObjectColumns + " FROM objects WHERE bucket = ?1 AND key " +
                    (lower_inclusive ? ">=" : ">") + " ?2";
  if (!upper.empty()) sql += " AND key < ?3";
  sql += " ORDER BY key LIMIT ?4";
  Stmt s(db_, sql.c_str());
  s.Bind(1, bucket).Bind(2, lower).Bind(4, static_cast<int64_t>(limit));
  if (!upper.empty()) s.Bind(3, upper);
  std::vector<ObjectRow> out;
  while (s.Step()) out.push_back(ReadObject(s));
  return out;
}

void ObjectStore::CreateUpload(const UploadRow& u) {
  std::lock_guard lock(mu_);
  Stmt(db_, "INSERT INTO uploads(id, bucket, key, account, initiated_ms, headers, checksum_algorithm, checksum_type) "
            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")
      .Bind(1, u.id).Bind(2, u.bucket).Bind(3, u.key).Bind(4, u.account).Bind(5, u.initiated_ms).Bind(6, u.headers)
      .Bind(7, u.checksum_algorithm).Bind(8, u.checksum_type).Step();
}

std::optional<UploadRow> ObjectStore::Upload(const std::string& id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, bucket, key, account, initiated_ms, headers, checksum_algorithm, checksum_type FROM uploads WHERE id = ?1");
  if (!s.Bind(1, id).Step()) return std::nullopt;
  return ReadUpload(s);
}

std::vector<UploadRow> ObjectStore::Uploads(const std::string& bucket) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT id, bucket, key, account, initiated_ms, headers, checksum_algorithm, checksum_type FROM uploads "
              "WHERE bucket = ?1 ORDER BY key, initiated_ms, id");
  s.Bind(1, bucket);
  std::vector<UploadRow> out;
  while (s.Step()) out.push_back(ReadUpload(s));
  return out;
}

bool ObjectStore::PutPart(const std::string& upload_id, const PartRow& part) {
  std::string replaced;
  {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    {
      Stmt exists(db_, "SELECT 1 FROM uploads WHERE id = ?1");
      if (!exists.Bind(1, upload_id).Step()) replaced = part.blob;
    }
    if (replaced.empty()) {
      {
        Stmt old(db_, "SELECT blob FROM parts WHERE upload = ?1 AND number = ?2");
        if (old.Bind(1, upload_id).Bind(2, part.number).Step()) replaced = old.Text(0);
      }
      Stmt(db_, "INSERT OR REPLACE INTO parts(upload, number, blob, size, etag, modified_ms, checksum) "
                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)")
          .Bind(1, upload_id).Bind(2, part.number).Bind(3, part.blob).Bind(4, static_cast<int64_t>(part.size))
          .Bind(5, part.etag).Bind(6, part.modified_ms).Bind(7, part.checksum).Step();
      tx.Commit();
      Discard({replaced});
      return true;
    }
  }
  Discard({replaced});
  return false;
}

std::vector<PartRow> ObjectStore::Parts(const std::string& upload_id) {
  std::lock_guard lock(mu_);
  Stmt s(db_, "SELECT number, blob, size, etag, modified_ms, checksum FROM parts WHERE upload = ?1 ORDER BY number");
  s.Bind(1, upload_id);
  std::vector<PartRow> out;
  while (s.Step())
    out.push_back({static_cast<int>(s.Int(0)), s.Text(1), static_cast<uint64_t>(s.Int(2)), s.Text(3), s.Int(4),
                   s.Text(5)});
  return out;
}

bool ObjectStore::DeleteUpload(const std::string& upload_id) {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    if (!EndUpload(db_, upload_id, gone)) return false;
    tx.Commit();
  }
  Discard(gone);
  return true;
}

bool ObjectStore::CompleteUpload(const std::string& upload_id, const ObjectRow& o) {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    if (!EndUpload(db_, upload_id, gone)) return false;
    InsertObject(db_, o, gone);
    tx.Commit();
  }
  Discard(gone);
  return true;
}

void ObjectStore::Wipe() {
  std::vector<std::string> gone;
  {
    std::lock_guard lock(mu_);
    Transaction tx(db_);
    for (const char* sql : {"SELECT blob FROM objects", "SELECT blob FROM parts"}) {
      Stmt s(db_, sql);
      while (s.Step()) gone.push_back(s.Text(0));
    }
    for (const char* sql : {"DELETE FROM parts", "DELETE FROM uploads", "DELETE FROM objects", "DELETE FROM buckets"})
      Stmt(db_, sql).Step();
    tx.Commit();
  }
  Discard(gone);
}

}  // namespace openvpc::store
