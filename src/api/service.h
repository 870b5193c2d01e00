// The endpoint of every AWS service openvpc serves: one request in, one response out.
// Authenticates (SigV4), picks the service the credential scope names, decodes with that
// service's shape model in its protocol, runs the handler as one model transaction, commits the
// touched resources to the store before answering, and renders the answer or the error in the
// service's protocol.
#pragma once

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "api/shape_model.h"
#include "api/session_credentials.h"
#include "api/sigv4.h"
#include "model/state.h"
#include "store/store.h"

namespace openvpc::api {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/xml;charset=UTF-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // beside Content-Type
  // A body too large to hold (S3's objects): LENGTH bytes of a file from OFFSET, sent from there.
  struct File {
    std::string path;
    uint64_t offset = 0, length = 0;
  };
  std::optional<File> body_file;
  // The answer to HEAD: the Content-Length the same GET would have, and no body.
  std::optional<uint64_t> head_length;
};

struct ServiceOptions {
  std::map<std::string, Credential> credentials;
  model::Quotas quotas;
  std::string public_ipv4_pool = "198.51.100.0/24";
  std::string services_pool = "192.0.2.0/24";  // the AWS services network (model/aws_services.h)
  bool strict_shapes = true;  // a response member outside its output shape is an InternalError
  // POST /_openvpc/reset (and moto's /moto-api/reset) wipe every account, unauthenticated: the
  // server allows them only when told (`serve` does while it listens on loopback, or with
  // --allow-reset); otherwise they are refused with 403.
  bool allow_reset = false;
  // Where S3's buckets and objects live (store/object_store.h); "" serves no S3.
  std::string s3_dir;
};

// A request id in AWS's form (a UUID): x-amzn-RequestId, EC2's requestId.
std::string NewRequestId();

class S3Service;
class Route53Service;

class Service {
 public:
  Service(std::unique_ptr<store::Store> store, ServiceOptions options);
  // The temporary credentials of an instance's role (its metadata's iam/security-credentials),
  // which this service accepts; nullopt when it has no long-term credentials to key them with.
  std::optional<SessionCredentials> IssueInstanceCredentials(const std::string& account, const std::string& role_arn,
                                                             const std::string& instance_id) const;
  ~Service();
  HttpResponse Handle(const HttpRequestView& req);
  // openvpc's S3 (s3_service.h), or null when this service has none.
  S3Service* s3() const { return s3_.get(); }
  // Waits for the write in progress, if any, keeps further requests out and closes the store
  // (for shutdown).
  void Quiesce();

  // The data plane's view of the model: FN runs on the snapshot of the last committed write,
  // an immutable copy of the state published before the write is acknowledged (RCU-like:
  // readers take no lock and never wait for a writer, whose SQLite commit or fsync would
  // otherwise stall forwarding). The snapshot stays alive while FN runs.
  void Read(const std::function<void(const model::State&)>& fn) const;
  // The version of the snapshot Read() sees now; it grows with every committed write (and
  // reset). A Read() after Version() sees that version or a later one.
  uint64_t Version() const;
  // Called after every committed write, outside the lock (the data plane reconciles).
  void SetCommitListener(std::function<void()> listener) { on_commit_ = std::move(listener); }
  // A write that is no client's request (the data plane reporting a fact, such as an instance
  // that is gone): FN runs as one transaction in ACCOUNT/REGION and is committed and published
  // like a request's write. Nothing happens when the partition does not exist (after a reset).
  void Write(const std::string& account, const std::string& region, const std::function<void(model::Tx&)>& fn);
  // A client's write for a service whose wire is its own (Route 53): the same, with the partition
  // made on first use as for any request; a model::Error thrown by FN is the answer, nothing written.
  void Transact(const std::string& account, const std::string& region, const std::function<void(model::Tx&)>& fn);
  // The store revision the published state is at (a shared store; 0 on SQLite): a write's
  // response names its revision (x-openvpc-revision), so a client can ask any server or agent
  // whether that write reached its data plane (GET /_openvpc/status?revision=R waits up to 10 s
  // for it).
  uint64_t PublishedRevision() const { return published_revision_.load(std::memory_order_acquire); }
  // Instances run on hosts (the data plane is up): termination waits for the host's report.
  void SetInstancesHosted(bool hosted);
  // Where GetConsoleOutput finds what an instance printed (the data plane keeps it).
  void SetConsoleSource(std::function<std::string(const std::string&)> source) { console_ = std::move(source); }
  std::string ConsoleOutput(const std::string& instance_id) const { return console_ ? console_(instance_id) : ""; }

 private:
  struct Token {
    std::string params_hash;
    std::string output;  // JSON of the first response
  };

  HttpResponse Reset();
  void NotifyCommitted();
  // A stored row into the state (or the ClientToken answers).
  void LoadRow(const store::Row& row);
  // A shared store (etcd): brings the state up to the latest write anyone committed (under the
  // write lock). True when it changed.
  bool CatchUp();
  // The same to HEAD, a revision the caller has just read.
  bool CatchUp(uint64_t head);
  // Applies the changes another server committed, and publishes them. True when any.
  bool ApplyChanges(store::SharedStore::Changes&& changes);
  // Applies followed changes as they arrive (its own thread, woken by the store's), so the
  // data plane sees other servers' writes without waiting for a request here.
  void ApplyFollowed();
  void StopFollowing();
  // Write and Transact: with MAKE_PARTITION, the partition is made on first use (a client's write).
  void WriteIn(const std::string& account, const std::string& region, const std::function<void(model::Tx&)>& fn,
               bool make_partition);
  // Runs FN (a write) until its commit is not refused for a conflicting write of another
  // server's: FN runs again on the caught-up state each time.
  template <class Fn>
  auto Retrying(Fn&& fn);
  // Runs OP of WIRE's service on the decoded INPUT and encodes its answer.
  HttpResponse Call(const ShapeModel& wire, const std::string& op, const nlohmann::json& input, const AuthResult& who,
                    const std::string& request_id);
  model::Partition& EnsurePartition(const std::string& account, const std::string& region);
  void Commit(model::Tx& tx, const std::vector<store::Row>& extra);
  void Rollback(model::Tx& tx);

  // One committed state, as the data plane reads it.
  struct Snapshot {
    uint64_t version = 0;
    model::State state;
  };
  // What one commit changed: the ids it touched, by partition ((account, Region), id; an empty
  // id stands for the partition's own fields).
  using Change = std::vector<std::pair<std::pair<std::string, std::string>, std::string>>;
  // Under the write lock, after a commit: publishes the state as CHANGE left it. Two snapshots
  // take turns (double buffering): the one published before the last is brought up to date by
  // copying from the state the resources it lacks (this write's and the previous one's), once
  // no reader holds it any more, and published. A write costs copies of what it touched, not
  // a copy of the state.
  void Publish(const Change& change);
  // The same with full copies (at start and after a reset).
  void PublishCopy();
  // Makes the ids of CHANGE in S what they are in state_.
  void CopyChanged(model::State& s, const Change& change) const;

  std::shared_mutex mu_;
  model::State state_;
  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;  // the published one
  std::shared_ptr<Snapshot> current_, spare_;              // the published one, the previous one
  std::vector<Change> spare_lacks_;                         // the changes since spare_ was published
  std::map<std::string, Token> tokens_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<SessionIssuer> sessions_;  // instance roles' credentials (none without long-term ones)
  store::SharedStore* shared_ = nullptr;  // store_ when several servers share it
  std::thread applier_;
  std::mutex applier_mu_;
  std::condition_variable applier_cv_;
  bool changes_waiting_ = false, applier_stop_ = false;
  ServiceOptions options_;
  std::atomic<uint64_t> version_{1};
  std::atomic<uint64_t> published_revision_{0};
  std::mutex revision_mu_;
  std::condition_variable revision_cv_;  // a new revision was published
  void SetPublishedRevision(uint64_t revision);
  HttpResponse Status(const std::string& raw_query);
  // POL-01, POL-08: a request that came through an interface endpoint must be allowed by its
  // policy; throws UnauthorizedOperation (EC2), AccessDenied (Query), AccessDeniedException (JSON).
  void CheckEndpointPolicy(const RequestOrigin& origin, const ShapeModel& wire, const std::string& op,
                           const AuthResult& who) const;
  // GET /_openvpc/connection-notifications: what the endpoints' connection notifications would
  // have published (openvpc runs no SNS), every account's; for the local operator, as reset is.
  HttpResponse ConnectionNotifications() const;
  std::unique_ptr<S3Service> s3_;
  std::unique_ptr<Route53Service> route53_;
  std::function<void()> on_commit_;
  std::function<std::string(const std::string&)> console_;
};

}  // namespace openvpc::api
