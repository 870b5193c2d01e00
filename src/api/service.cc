#include "api/service.h"

#include "api/route53_service.h"
#include "api/s3_service.h"

#include <chrono>
#include <mutex>
#include <thread>
#include <cstdio>
#include <random>

#include <nlohmann/json.hpp>

#include "api/handlers.h"
#include "api/shape_model.h"
#include "model/error.h"
#include "model/text.h"
#include "model/prefix_list.h"
#include "model/regions.h"
#include "model/rules.h"
#include "model/vpc_endpoint.h"
#include "model/vpc_peering.h"
#include "store/codec.h"

namespace openvpc::api {

using nlohmann::json;

namespace {

// POL-01, POL-08: what the policy of the endpoint a request came through (ORIGIN) says of WHO
// calling ACTION on RESOURCE: 1 allow, 0 implicit deny, 2 explicit deny.
int EndpointPolicyDecision(const Service& service, const RequestOrigin& origin, const AuthResult& who,
                           const std::string& action, const std::string& resource) {
  int decision = 0;
  service.Read([&](const model::State& s) {
    decision = model::EvaluateEndpointPolicy(s, {.account = origin.endpoint_account,
                                                 .region = origin.endpoint_region,
                                                 .vpc_endpoint_id = origin.vpc_endpoint_id,
                                                 .principal_account = who.account_id,
                                                 .action = action,
                                                 .resource = resource,
                                                 .source_ip = origin.peer,
                                                 .principal_arn = who.PrincipalArn(),
                                                 .principal_role_arn = who.role_arn});
  });
  return decision;
}

bool IsText(const std::string& s);

// A write refused by a shared store because another server committed first: it runs again.
struct WriteConflict {};
constexpr int kMaxWriteAttempts = 100;

// E in the protocol of WIRE's service.
HttpResponse ErrorResponse(const ShapeModel& wire, const model::Error& e, const std::string& request_id) {
  std::string message = e.what();
  if (!IsText(message))  // it quotes what the client sent (a header): keep the answer well-formed
    for (char& c : message)
      if (static_cast<unsigned char>(c) >= 0x80 || static_cast<unsigned char>(c) < 0x20) c = '?';
  HttpResponse r{e.http_status, wire.ContentType(), wire.ErrorBody(e.code, message, request_id, e.http_status), {}};
  if (wire.protocol() != Protocol::kEc2) r.headers.emplace_back("x-amzn-RequestId", request_id);
  return r;
}

void ParseForm(const std::string& text, Params& out) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t amp = text.find('&', pos);
    std::string part = text.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    if (!part.empty()) {
      size_t eq = part.find('=');
      out[UriDecode(part.substr(0, eq))] = eq == std::string::npos ? "" : UriDecode(part.substr(eq + 1));
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
}

// UTF-8 without the control characters XML 1.0 cannot carry (model/text.h).
bool IsText(const std::string& s) { return model::IsXmlText(s); }

// The request's members that make it what it is: all but the token and DryRun.
std::string InputHash(const json& input) {
  json canon = input;
  canon.erase("ClientToken");
  canon.erase("DryRun");
  return Sha256Hex(canon.dump());
}

const std::string* HeaderOf(const HttpRequestView& req, std::string_view name) {
  for (const auto& [k, v] : req.headers)
    if (model::AsciiLower(k) == name) return &v;
  return nullptr;
}

}  // namespace

std::string NewRequestId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  char buf[40];
  snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
           static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
           static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)), static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

Service::Service(std::unique_ptr<store::Store> store, ServiceOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  model::RegisterAllRules();
  RegisterAllHandlers();
  model::AttachPeeringState(&state_);  // peering rules read both sides' partitions
  state_.quotas = options_.quotas;
  if (!options_.credentials.empty()) sessions_ = std::make_unique<SessionIssuer>(options_.credentials);
  state_.public_ipv4_pool = options_.public_ipv4_pool;
  state_.services_pool = options_.services_pool;
  model::ConfigureAwsManagedPrefixLists(state_.services_pool);
  shared_ = dynamic_cast<store::SharedStore*>(store_.get());
  // The services whose wire is their own verify as every other does.
  auto verify = [this](const HttpRequestView& req) {
    return VerifySigV4(req, options_.credentials, std::chrono::system_clock::now(), sessions_.get());
  };
  if (!options_.s3_dir.empty())
    s3_ = std::make_unique<S3Service>(
        options_.s3_dir,
        S3Service::Hooks{.verify = verify,
                         .endpoint_policy = [this](const RequestOrigin& origin, const AuthResult& who,
                                                   const std::string& action, const std::string& resource) {
                           return EndpointPolicyDecision(*this, origin, who, action, resource);
                         }});
  route53_ = std::make_unique<Route53Service>(Route53Service::Hooks{
      .verify = verify,
      .write = [this](const std::string& account, const std::function<void(model::Tx&)>& fn) {
        Transact(account, "us-east-1", fn);
      },
      .read = [this](const std::string& account, const std::function<void(const model::Partition*)>& fn) {
        Read([&](const model::State& s) { fn(s.Find(account, "us-east-1")); });
      }});
  for (const auto& row : store_->LoadAll()) LoadRow(row);
  PublishCopy();
  if (shared_) published_revision_ = shared_->Applied();
  if (shared_) {
    applier_ = std::thread([this] { ApplyFollowed(); });
    shared_->Follow([this] {
      {
        std::lock_guard lock(applier_mu_);
        changes_waiting_ = true;
      }
      applier_cv_.notify_one();
    });
  }
}

// The store's thread and the applier call into this object: they stop before any member goes.
Service::~Service() { StopFollowing(); }

void Service::StopFollowing() {
  if (!shared_) return;
  shared_->Close();
  {
    std::lock_guard lock(applier_mu_);
    applier_stop_ = true;
  }
  applier_cv_.notify_one();
  if (applier_.joinable() && applier_.get_id() != std::this_thread::get_id()) applier_.join();
}

void Service::LoadRow(const store::Row& row) {
  if (row.key.rfind("token/", 0) == 0) {
    json body = json::parse(row.body);
    tokens_[row.key] = {body["hash"], body["output"]};
  } else {
    store::DecodeRow(state_, row);
  }
}

template <class Fn>
auto Service::Retrying(Fn&& fn) {
  for (int attempt = 1;; ++attempt) {
    try {
      return fn();
    } catch (const WriteConflict&) {
      // EC2's throttling error: every SDK retries it with backoff.
      if (attempt >= kMaxWriteAttempts) throw model::Error("RequestLimitExceeded", "Request limit exceeded.", 503);
    }
  }
}

void Service::PublishCopy() {
  const uint64_t version = version_.load(std::memory_order_acquire);
  current_ = std::make_shared<Snapshot>(Snapshot{version, state_});
  spare_ = std::make_shared<Snapshot>(Snapshot{version, state_});
  spare_lacks_.clear();
  snapshot_.store(current_, std::memory_order_release);
}

void Service::CopyChanged(model::State& s, const Change& change) const {
  for (const auto& [key, id] : change) {
    const model::Partition* from = state_.Find(key.first, key.second);
    if (!from) continue;  // gone only with a reset, which copies everything
    store::CopyResource(*from, s.partitions[key], id);
  }
}

void Service::Publish(const Change& change) {
  // The spare was published before the last commit: a reader that loaded it then may still be
  // deciding a flow with it. No new reader can get it, so this waits for one decision at most.
  while (spare_.use_count() > 1) std::this_thread::yield();
  std::atomic_thread_fence(std::memory_order_acquire);  // after the readers' last use of it
  for (const Change& c : spare_lacks_) CopyChanged(spare_->state, c);
  CopyChanged(spare_->state, change);
  spare_->version = version_.load(std::memory_order_acquire);
  std::swap(current_, spare_);
  snapshot_.store(current_, std::memory_order_release);
  spare_lacks_.assign(1, change);  // the one published before lacks this write
}

uint64_t Service::Version() const { return snapshot_.load(std::memory_order_acquire)->version; }

void Service::Quiesce() {
  StopFollowing();  // first: the applier may be waiting for the lock
  mu_.lock();
  try {
    store_->Close();
  } catch (const std::exception& e) {  // every acknowledged write is committed already
    fprintf(stderr, "openvpc: closing the store: %s\n", e.what());
  }
}

void Service::Read(const std::function<void(const model::State&)>& fn) const {
  std::shared_ptr<const Snapshot> snapshot = snapshot_.load(std::memory_order_acquire);
  fn(snapshot->state);
}

HttpResponse Service::Handle(const HttpRequestView& req) {
  const std::string request_id = NewRequestId();
  // Errors are answered in the protocol of the service the request is for: the one its
  // credential scope names as far as it can be read before the signature is verified, else EC2.
  const ShapeModel* wire = &ShapeModel::Builtin();
  try {
    if (req.method == "POST" && (req.path == "/_openvpc/reset" || req.path == "/moto-api/reset")) {
      if (!options_.allow_reset)
        return {403, "application/json",
                "{\"status\":\"forbidden\",\"message\":\"reset is allowed only while openvpc listens on a "
                "loopback address, or when it was started with --allow-reset\"}", {}};
      return Reset();
    }
    if (req.path == "/_openvpc/health") return {200, "application/json", "{\"status\":\"ok\"}", {}};
    const std::string scope = ScopeService(req);
    if (Route53Service::Claims(req, scope)) return route53_->Handle(req);
    if (s3_ && S3Service::Claims(req, scope)) return s3_->Handle(req);
    if (req.path == "/_openvpc/status" && req.method == "GET") return Status(req.raw_query);
    if (req.path == "/_openvpc/connection-notifications" && req.method == "GET") {
      if (!options_.allow_reset)
        return {403, "application/json",
                "{\"status\":\"forbidden\",\"message\":\"the notifications are shown only while openvpc listens on a "
                "loopback address, or when it was started with --allow-reset\"}", {}};
      return ConnectionNotifications();
    }
    if (const ShapeModel* scoped = ShapeModel::ForService(scope)) wire = scoped;
    Params params;
    ParseForm(req.raw_query, params);
    if (req.method == "POST" && wire->protocol() != Protocol::kJson) ParseForm(req.body, params);
    // Names and values are text: bytes that are not UTF-8 (or are control characters) would be
    // stored, echoed in errors and written into XML that no client can parse.
    for (const auto& [k, v] : params)
      if (!IsText(k) || !IsText(v))
        model::Fail("InvalidParameterValue", "The request contains a parameter name or value that is not valid UTF-8 text.");
    AuthResult who = VerifySigV4(req, options_.credentials, std::chrono::system_clock::now(), sessions_.get());
    if (!model::FindRegion(who.region))
      throw model::Error("AuthFailure", "Credential should be scoped to a valid region, not '" + who.region + "'.",
                         401);
    wire = ShapeModel::ForService(who.service);
    if (!wire) {
      wire = &ShapeModel::Builtin();
      std::string served;
      for (const auto& name : ShapeModel::Services()) served += (served.empty() ? "" : ", ") + name;
      served += std::string(s3_ ? ", s3" : "") + ", route53";
      throw model::Error("NotImplemented",
                         "openvpc does not implement the AWS service '" + who.service +
                             "' (the service of the request's credential scope); it serves: " + served + ".",
                         501);
    }
    std::string op;
    json input;
    if (wire->protocol() == Protocol::kJson) {
      // X-Amz-Target: PREFIX.Operation
      const std::string* target = HeaderOf(req, "x-amz-target");
      const std::string prefix = wire->target_prefix() + ".";
      if (target && target->compare(0, prefix.size(), prefix) == 0) op = target->substr(prefix.size());
      if (op.empty() || !wire->HasOperation(op) || !FindHandler(wire->service(), op))
        throw model::Error("UnknownOperationException",
                           "The operation " + (target ? *target : std::string("(no X-Amz-Target)")) +
                               " is not valid for this web service.",
                           400);
      input = wire->DecodeJson(op, req.body);
    } else {
      auto action = params.find("Action");
      if (action == params.end() || action->second.empty())
        model::Fail("MissingAction", "The request must contain the parameter Action");
      op = action->second;
      if (!wire->HasOperation(op) || !FindHandler(wire->service(), op))
        model::Fail("InvalidAction", "The action " + op + " is not valid for this web service.");
      input = wire->Decode(op, params);
    }
    if (!req.origin.vpc_endpoint_id.empty()) CheckEndpointPolicy(req.origin, *wire, op, who);
    return Call(*wire, op, input, who, request_id);
  } catch (const CredentialsRefused& e) {
    return ErrorResponse(*wire, e.WordedFor(wire->protocol()), request_id);
  } catch (const store::Unavailable& e) {  // etcd is down or has no quorum: nothing was written
    fprintf(stderr, "openvpc: the store is unavailable: %s\n", e.what());
    return ErrorResponse(
        *wire, model::Error("ServiceUnavailable", "The request has failed due to a temporary failure of the server.", 503),
        request_id);
  } catch (const model::Error& e) {
    return ErrorResponse(*wire, e, request_id);
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: internal error: %s\n", e.what());
    return ErrorResponse(*wire, model::Error("InternalError", "An internal error has occurred", 500), request_id);
  }
}

std::optional<SessionCredentials> Service::IssueInstanceCredentials(const std::string& account,
                                                                    const std::string& role_arn,
                                                                    const std::string& instance_id) const {
  if (!sessions_) return std::nullopt;
  return sessions_->Issue(account, role_arn, instance_id, std::chrono::system_clock::now());
}

void Service::CheckEndpointPolicy(const RequestOrigin& origin, const ShapeModel& wire, const std::string& op,
                                  const AuthResult& who) const {
  const std::string action = wire.service() + ":" + op;
  const int decision = EndpointPolicyDecision(*this, origin, who, action, "*");
  if (decision == 1) return;
  const std::string code = wire.protocol() == Protocol::kEc2    ? "UnauthorizedOperation"
                           : wire.protocol() == Protocol::kJson ? "AccessDeniedException"
                                                                : "AccessDenied";
  throw model::Error(code,
                     "User: " + who.PrincipalArn() + " is not authorized to perform: " + action +
                         (decision == 2 ? " with an explicit deny in a VPC endpoint policy"
                                        : " because no VPC endpoint policy allows the " + action + " action"),
                     403);
}

HttpResponse Service::Call(const ShapeModel& wire, const std::string& op, const json& input, const AuthResult& who,
                           const std::string& request_id) {
  const HandlerInfo& handler = *FindHandler(wire.service(), op);
  if (input.value("DryRun", false))
    throw model::Error("DryRunOperation", "Request would have succeeded, but DryRun flag is set.", 412);
  HttpResponse ok{200, wire.ContentType(), "", {}};
  if (wire.protocol() != Protocol::kEc2) ok.headers.emplace_back("x-amzn-RequestId", request_id);

  // ClientToken: the same request again gets the first answer; another request with the same
  // token is refused (IdempotentParameterMismatch).
  std::string token_key;
  if (input.contains("ClientToken") && input["ClientToken"].is_string())
    token_key = "token/" + who.account_id + "/" + who.region + "/" + op + "/" + input["ClientToken"].get<std::string>();
  const std::string hash = token_key.empty() ? "" : InputHash(input);

  json output;
  if (handler.writes) {
    bool replayed = false;  // the answer of the token's first request
    uint64_t revision = 0;  // of the shared store's state this answer comes from
    output = Retrying([&]() -> json {
      std::unique_lock lock(mu_);
      // A shared store: optimistic. The write runs on the state this server has; if another
      // server wrote meanwhile, the commit is refused, this server catches up (Commit) and the
      // request runs again, so no round trip is spent on catching up before.
      if (!token_key.empty()) {
        auto it = tokens_.find(token_key);
        if (it != tokens_.end()) {
          if (it->second.params_hash != hash)
            model::Fail("IdempotentParameterMismatch",
                        "The client token you have provided is associated with a resource that has different "
                        "parameters. Specify a different client token.");
          replayed = true;
          if (shared_) revision = shared_->Applied();
          return json::parse(it->second.output);
        }
      }
      model::Tx tx(EnsurePartition(who.account_id, who.region), state_.quotas, &state_);
      api::Call call{tx, input, this, &who};
      json out;
      try {
        out = handler.fn(call);
      } catch (const model::Error&) {
        Rollback(tx);
        // A refusal is an answer only from the latest state (the VPC that another server made
        // a moment ago exists): behind, this server catches up and runs the request again.
        if (shared_ && CatchUp()) throw WriteConflict{};
        throw;
      } catch (...) {
        Rollback(tx);
        throw;
      }
      std::vector<store::Row> extra;
      if (!token_key.empty()) {
        json body = {{"hash", hash}, {"output", out.dump()}};
        extra.push_back({token_key, who.account_id, who.region, body.dump()});
      }
      Commit(tx, extra);
      if (!token_key.empty()) tokens_[token_key] = {hash, out.dump()};
      if (shared_) revision = shared_->Applied();
      return out;
    });
    if (shared_) ok.headers.emplace_back("x-openvpc-revision", std::to_string(revision));
    if (replayed) {
      if (shared_) NotifyCommitted();  // a conflict may have brought others' writes in
      ok.body = wire.Encode(op, output, request_id, false);
      return ok;
    }
    NotifyCommitted();
  } else {
    if (shared_) {  // another server may have written: catch up first
      const uint64_t head = shared_->Head();
      if (head > shared_->Applied()) {
        bool changed;
        {
          std::unique_lock w(mu_);
          changed = CatchUp(head);
        }
        if (changed) NotifyCommitted();
      }
    }
    std::shared_lock lock(mu_);
    model::Partition* p = state_.Find(who.account_id, who.region);
    if (!p) {
      lock.unlock();
      Retrying([&] {
        std::unique_lock w(mu_);
        if (shared_) CatchUp();
        EnsurePartition(who.account_id, who.region);
      });
      lock.lock();
      p = state_.Find(who.account_id, who.region);
      if (!p) model::Fail("InternalError", "partition vanished during the request");
    }
    model::Tx tx(*p, state_.quotas, &state_);  // read only: nothing is committed
    api::Call call{tx, input, this, &who};
    output = handler.fn(call);
  }
  ok.body = wire.Encode(op, output, request_id, options_.strict_shapes);
  return ok;
}

model::Partition& Service::EnsurePartition(const std::string& account, const std::string& region) {
  if (model::Partition* p = state_.Find(account, region)) return *p;
  model::Partition& p = state_.partitions[{account, region}];
  p.account_id = account;
  p.region = region;
  model::Tx tx(p, state_.quotas);
  try {
    model::InitializePartition(tx);
    Commit(tx, {});
  } catch (...) {
    state_.partitions.erase({account, region});
    throw;
  }
  return p;
}

void Service::Commit(model::Tx& tx, const std::vector<store::Row>& extra) {
  // Whatever fails here (encoding a resource, the store) undoes the write in memory too: the
  // state served is always the state stored.
  Change change;
  const std::string write_id = NewRequestId();
  auto outcome = store::SharedStore::Outcome::kCommitted;
  try {
    std::vector<store::Row> puts = extra;  // ClientToken answers: stored, not part of the state
    std::vector<std::string> deletes;
    auto stored = [&](const model::Partition& p, const std::string& id) {
      change.push_back({{p.account_id, p.region}, id});
      if (id.empty()) puts.push_back(store::EncodePartition(p));
      else if (auto row = store::EncodeResource(p, id)) puts.push_back(std::move(*row));
      else deletes.push_back(id);
    };
    for (const auto& id : tx.touched()) stored(tx.p, id);
    for (const auto& [other, id] : tx.touched_elsewhere()) stored(*other, id);
    if (tx.partition_touched) stored(tx.p, "");
    if (shared_) outcome = shared_->ApplyIfLatest(write_id, puts, deletes);
    else store_->Apply(puts, deletes);
  } catch (...) {
    Rollback(tx);
    throw;
  }
  if (outcome == store::SharedStore::Outcome::kConflict) {  // another server wrote first
    Rollback(tx);
    CatchUp();
    throw WriteConflict{};
  }
  if (outcome == store::SharedStore::Outcome::kUnknown) {
    // The member went away with the transaction: the changes that follow tell whether it took
    // place (then they carry it into the state, already published).
    Rollback(tx);
    CatchUp();
    if (!shared_->Committed(write_id)) throw WriteConflict{};
    return;
  }
  version_.fetch_add(1, std::memory_order_release);
  try {
    Publish(change);
  } catch (const std::exception& e) {  // a copy that fails (memory): copy it all
    fprintf(stderr, "openvpc: publishing a snapshot: %s (copying the state instead)\n", e.what());
    PublishCopy();
  }
  if (shared_) SetPublishedRevision(shared_->Applied());
}

void Service::SetPublishedRevision(uint64_t revision) {
  {
    std::lock_guard lock(revision_mu_);
    published_revision_.store(revision, std::memory_order_release);
  }
  revision_cv_.notify_all();
}

HttpResponse Service::Status(const std::string& raw_query) {
  // ?revision=R: answer once the published state is at R or later (10 s at most).
  uint64_t wanted = 0;
  Params params;
  ParseForm(raw_query, params);
  if (auto it = params.find("revision"); it != params.end() && model::AllDigits(it->second) && it->second.size() < 19)
    wanted = std::stoull(it->second);
  bool reached = true;
  if (wanted) {
    std::unique_lock lock(revision_mu_);
    reached = revision_cv_.wait_for(lock, std::chrono::seconds(10), [&] { return PublishedRevision() >= wanted; });
  }
  json body = {{"revision", PublishedRevision()}, {"version", Version()}, {"reached", reached}};
  return {reached ? 200 : 504, "application/json", body.dump(), {}};
}

HttpResponse Service::ConnectionNotifications() const {
  json out = json::array();
  Read([&](const model::State& s) {
    for (const auto& [key, p] : s.partitions)
      for (const auto& [id, n] : p.connection_notifications) {
        json deliveries = json::array();
        for (const auto& d : n.deliveries)
          deliveries.push_back({{"Time", d.time}, {"Event", d.event}, {"VpcEndpointId", d.vpc_endpoint_id},
                                {"VpcEndpointState", d.vpc_endpoint_state}, {"Message", d.message}});
        out.push_back({{"ConnectionNotificationId", id}, {"AccountId", p.account_id}, {"Region", p.region},
                       {"ConnectionNotificationArn", n.topic_arn}, {"ServiceId", n.service_id},
                       {"VpcEndpointId", n.vpc_endpoint_id}, {"Deliveries", deliveries}});
      }
  });
  return {200, "application/json", json{{"ConnectionNotifications", out}}.dump(), {}};
}

bool Service::CatchUp() { return CatchUp(shared_->Head()); }

bool Service::CatchUp(uint64_t head) {
  if (head <= shared_->Applied()) return false;
  return ApplyChanges(shared_->Take(head, std::chrono::seconds(10)));
}

bool Service::ApplyChanges(store::SharedStore::Changes&& changes) {
  if (changes.empty()) return false;
  if (changes.reload) {
    state_.partitions.clear();
    state_.hosts.clear();
    tokens_.clear();
    for (const auto& row : changes.rows) LoadRow(row);
    version_.fetch_add(1, std::memory_order_release);
    PublishCopy();
    SetPublishedRevision(shared_->Applied());
    return true;
  }
  Change published;
  bool partition_gone = false;  // a reset on another server
  bool hosts_changed = false;   // a host registered, or its lease expired
  for (const auto& c : changes.changes) {
    if (c.key.rfind(store::kHostKeyPrefix, 0) == 0) {
      if (c.row) store::DecodeRow(state_, *c.row);
      else state_.hosts.erase(c.key.substr(std::string(store::kHostKeyPrefix).size()));
      hosts_changed = true;
    } else if (c.key.rfind("token/", 0) == 0) {
      if (c.row) LoadRow(*c.row);
      else tokens_.erase(c.key);
    } else if (c.row) {
      store::DecodeRow(state_, *c.row);
      const bool partition = c.key.rfind("partition/", 0) == 0;
      published.push_back({{c.row->account, c.row->region}, partition ? "" : c.key});
    } else if (c.before) {
      if (c.key.rfind("partition/", 0) == 0) {
        state_.partitions.erase({c.before->account, c.before->region});
        partition_gone = true;
      } else if (model::Partition* p = state_.Find(c.before->account, c.before->region)) {
        store::EraseResource(*p, c.key);
        published.push_back({{c.before->account, c.before->region}, c.key});
      }
    }
  }
  version_.fetch_add(1, std::memory_order_release);
  if (partition_gone || hosts_changed) PublishCopy();  // rare: not worth copying by parts
  else Publish(published);
  SetPublishedRevision(shared_->Applied());
  return true;
}

void Service::ApplyFollowed() {
  for (;;) {
    {
      std::unique_lock lock(applier_mu_);
      applier_cv_.wait(lock, [&] { return changes_waiting_ || applier_stop_; });
      if (applier_stop_) return;
      changes_waiting_ = false;
    }
    bool changed = false;
    try {
      std::unique_lock lock(mu_);
      changed = ApplyChanges(shared_->Take(0, std::chrono::milliseconds(0)));
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc: applying followed changes: %s\n", e.what());
    }
    if (changed) NotifyCommitted();
  }
}

void Service::Rollback(model::Tx& tx) {
  // Puts back what the store holds for every touched id: the state as the last commit left it.
  for (const auto& id : tx.touched()) {
    store::EraseResource(tx.p, id);
    if (auto row = store_->Get(id)) store::DecodeRow(state_, *row);
  }
  for (const auto& [other, id] : tx.touched_elsewhere()) {
    if (!id.empty()) {
      store::EraseResource(*other, id);
      if (auto row = store_->Get(id)) store::DecodeRow(state_, *row);
    }
  }
  // A partition this write brought to life is gone again unless it was committed before.
  for (const auto& [other, id] : tx.touched_elsewhere())
    if (id.empty() && !store_->Get(store::PartitionKey(other->account_id, other->region))) {
      state_.partitions.erase({other->account_id, other->region});
      break;  // `other` dangles now; one partition is born per write at most
    }
  if (tx.partition_touched)
    if (auto row = store_->Get(store::PartitionKey(tx.p.account_id, tx.p.region))) store::DecodeRow(state_, *row);
}

// The listener runs after the write is committed and acknowledged: whatever it throws is
// logged, never turned into an error for a write that took place.
void Service::NotifyCommitted() {
  if (!on_commit_) return;
  try {
    on_commit_();
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: after a commit: %s\n", e.what());
  }
}

void Service::Write(const std::string& account, const std::string& region,
                    const std::function<void(model::Tx&)>& fn) {
  WriteIn(account, region, fn, /*make_partition=*/false);
}

void Service::Transact(const std::string& account, const std::string& region,
                       const std::function<void(model::Tx&)>& fn) {
  WriteIn(account, region, fn, /*make_partition=*/true);
}

void Service::WriteIn(const std::string& account, const std::string& region,
                      const std::function<void(model::Tx&)>& fn, bool make_partition) {
  const bool wrote = Retrying([&] {
    std::unique_lock lock(mu_);
    if (shared_) CatchUp();
    model::Partition* p = make_partition ? &EnsurePartition(account, region) : state_.Find(account, region);
    if (!p) return false;
    model::Tx tx(*p, state_.quotas, &state_);
    try {
      fn(tx);
    } catch (...) {
      Rollback(tx);
      throw;
    }
    Commit(tx, {});
    return true;
  });
  if (wrote) NotifyCommitted();
}

void Service::SetInstancesHosted(bool hosted) {
  std::unique_lock lock(mu_);
  state_.instances_hosted = hosted;
}

HttpResponse Service::Reset() {
  std::unique_lock lock(mu_);
  store_->Wipe();
  if (s3_) s3_->Wipe();
  state_.partitions.clear();
  tokens_.clear();
  version_.fetch_add(1, std::memory_order_release);
  PublishCopy();
  lock.unlock();
  NotifyCommitted();
  return {200, "application/json", "{\"status\":\"ok\"}", {}};
}

}  // namespace openvpc::api
