// Where openvpc's S3 keeps buckets and objects (issue 14): a directory (`--s3-dir`, by default
// DATA_DIR/s3) with an SQLite database of the metadata (meta.db: buckets, objects, multipart
// uploads and their parts) and one immutable file per object or part body (blobs/). Every process
// that serves S3 for one installation (the API server, a gateway host's agent) opens the same
// directory: SQLite's WAL and busy timeout make their writes take turns.
//
// A body is written first (under tmp/, by the HTTP front or the S3 handler), adopted as a blob
// (a rename), and only then named by a metadata row in one transaction; a replaced or deleted
// body's file is removed after its row is gone. A crash between the two leaves an unreferenced
// file, never a row without its bytes: the directory is swept of those at open.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;

namespace openvpc::store {

struct BucketRow {
  std::string name, account, region;
  int64_t created_ms = 0;
  std::string policy;  // the bucket policy document, "" for none
};

struct ObjectRow {
  std::string bucket, key, blob;
  uint64_t size = 0;
  std::string etag;      // quoted, as S3 answers it
  int64_t modified_ms = 0;
  std::string headers;   // JSON object: Content-Type, Cache-Control, …, x-amz-meta-* as stored
  std::string checksum;  // JSON object: algorithm (CRC32, …) -> base64 value, and "type"
};

struct UploadRow {
  std::string id, bucket, key, account;
  int64_t initiated_ms = 0;
  std::string headers;             // as ObjectRow's, for the object it completes into
  std::string checksum_algorithm;  // "" or crc32, …
  std::string checksum_type;       // FULL_OBJECT, or COMPOSITE (and "": the parts' checksums combined)
};

struct PartRow {
  int number = 0;
  std::string blob;
  uint64_t size = 0;
  std::string etag;
  int64_t modified_ms = 0;
  std::string checksum;  // base64 of the part's checksum in the upload's algorithm, "" for none
};

class ObjectStore {
 public:
  // Opens (creating) DIR; throws std::runtime_error when it cannot.
  explicit ObjectStore(const std::string& dir);
  ~ObjectStore();
  ObjectStore(const ObjectStore&) = delete;
  ObjectStore& operator=(const ObjectStore&) = delete;

  const std::string& dir() const { return dir_; }
  // A fresh file name under tmp/, for a body being received.
  std::string TempPath() const;
  // Moves FILE (on the same file system) into blobs/ and returns its blob name.
  std::string Adopt(const std::string& file) const;
  // A new blob holding what BLOB holds (a hard link: blobs never change).
  std::string Share(const std::string& blob) const;
  std::string BlobPath(const std::string& blob) const;
  // Removes blobs no row names (after the row that named them is gone).
  void Discard(const std::vector<std::string>& blobs) const;
  // The first key after every key that starts with PREFIX, or "" when there is none (all 0xff):
  // where a listing goes on past a common prefix.
  static std::string PrefixEnd(std::string prefix);

  std::optional<BucketRow> Bucket(const std::string& name);
  std::vector<BucketRow> Buckets(const std::string& account);
  // False when a bucket of that name exists (anyone's).
  bool CreateBucket(const BucketRow& b);
  enum class DeleteOutcome { kDeleted, kMissing, kNotEmpty };
  // Aborts the bucket's unfinished multipart uploads with it.
  DeleteOutcome DeleteBucket(const std::string& name);
  bool SetBucketPolicy(const std::string& name, const std::string& policy);

  std::optional<ObjectRow> Object(const std::string& bucket, const std::string& key);
  // Puts (or replaces) the object; discards the body it replaced.
  void PutObject(const ObjectRow& o);
  // False when there was none.
  bool DeleteObject(const std::string& bucket, const std::string& key);
  // Up to LIMIT objects of BUCKET with keys that start with PREFIX and sort after FROM (or at it
  // when INCLUSIVE), in UTF-8 binary order.
  std::vector<ObjectRow> ListObjects(const std::string& bucket, const std::string& prefix, const std::string& from,
                                     bool inclusive, int limit);

  void CreateUpload(const UploadRow& u);
  std::optional<UploadRow> Upload(const std::string& id);
  std::vector<UploadRow> Uploads(const std::string& bucket);
  // Puts (or replaces) a part of an upload; discards the body it replaced. False when the upload
  // is gone meanwhile (the part's blob is discarded then).
  bool PutPart(const std::string& upload_id, const PartRow& part);
  std::vector<PartRow> Parts(const std::string& upload_id);
  // Ends the upload: its parts' bodies are discarded. False when there was none.
  bool DeleteUpload(const std::string& upload_id);
  // Ends the upload into OBJECT (whose body the caller made of the parts). False when the upload
  // is gone meanwhile.
  bool CompleteUpload(const std::string& upload_id, const ObjectRow& object);

  // Everything gone (the API's reset).
  void Wipe();

 private:
  void Exec(const char* sql);
  void Sweep();
  std::string dir_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace openvpc::store
