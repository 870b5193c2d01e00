#include "cli/data_plane.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "api/service.h"
#include "dataplane/engine/engine.h"
#include "api/http_server.h"
#include "api/services_certificate.h"
#include "host/health_checker.h"
#include "host/services_network.h"
#include "host/instance_host.h"
#include "host/netns.h"
#include "dataplane/wire/vxlan.h"
#include "model/instance.h"
#include "model/target_group.h"
#include "model/vpc_endpoint.h"
#include "net/ip.h"

namespace openvpc::cli {

// The API service as the data plane's model source.
struct DataPlane::Model : dataplane::ModelSource {
  explicit Model(api::Service& s) : s(s) {}
  void Read(const std::function<void(const model::State&)>& fn) override { s.Read(fn); }
  uint64_t Version() const override { return s.Version(); }
  api::Service& s;
};

DataPlane::DataPlane() = default;
DataPlane::~DataPlane() { Stop(); }

namespace {

// The UDP socket of the VXLAN underlay, bound to ADDRESS:4789 in namespace NETNS.
int OpenUnderlay(const std::string& address, const std::string& netns) {
  auto ip = net::ParseIpv4(address);
  if (!ip) throw std::runtime_error("the underlay wants an IPv4 address, got '" + address + "'");
  int fd = host::InNamespace(netns, [] { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); });
  if (fd < 0) throw std::runtime_error(std::string("underlay socket: ") + strerror(errno));
  int size = 16 << 20;  // bursts of 64 KiB frames
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(dataplane::kVxlanPort);
  a.sin_addr.s_addr = htonl(ip->value);
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    std::string why = strerror(errno);
    close(fd);
    throw std::runtime_error("binding the underlay to " + address + ":4789: " + why);
  }
  return fd;
}

}  // namespace

bool DataPlane::Start(api::Service& service, const std::string& data_dir, const DataPlaneOptions& o) {
  if (!host::CanManageNetwork()) {
    fprintf(stderr, "openvpc: not running as root: no data plane\n");
    return false;
  }
  model_ = std::make_unique<Model>(service);
  engine_ = std::make_unique<dataplane::Engine>(*model_);
  try {
    engine_->Start();
    if (!o.underlay.empty()) {
      underlay_fd_ = OpenUnderlay(o.underlay, o.underlay_netns);
      engine_->SetUnderlay(underlay_fd_);
    }
    instances_ = std::make_unique<host::InstanceHost>(*model_, *engine_, data_dir, o.host, o.gateway);
    instances_->OnInstanceGone([&service](const std::string& account, const std::string& region, const std::string& id) {
      service.Write(account, region, [&](model::Tx& tx) { model::FinishTermination(tx, id); });
    });
    if (!o.host.empty())  // many hosts: the API servers answer GetConsoleOutput from the model
      instances_->OnConsoleOutput([&service](const std::string& account, const std::string& region,
                                             const std::string& id, const std::string& text) {
        service.Write(account, region, [&](model::Tx& tx) { model::SetConsoleOutput(tx, id, text); });
      });
    instances_->OnRoleCredentials([&service](const std::string& account, const std::string& role_arn,
                                            const std::string& instance_id) {
      std::optional<dataplane::InstanceMetadata::Iam> out;
      if (auto c = service.IssueInstanceCredentials(account, role_arn, instance_id))
        out = dataplane::InstanceMetadata::Iam{.access_key_id = c->credential.access_key,
                                               .secret_access_key = c->credential.secret,
                                               .token = c->credential.session_token,
                                               .expiration = model::FormatIso8601(*c->credential.expiration),
                                               .last_updated = model::FormatIso8601(*c->credential.expiration -
                                                                                   std::chrono::hours(6))};
      return out;
    });
    service.SetInstancesHosted(true);
    instances_->Start();
    host::InstanceHost* instances = instances_.get();
    health_ = std::make_unique<host::HealthChecker>(
        *model_, [instances](const std::string& eni_id) { return instances->NamespaceOf(eni_id); },
        [&service](const std::string& account, const std::string& region, const std::string& tg_arn,
                   const std::string& target_id, int port, const std::string& health, const std::string& reason) {
          service.Write(account, region, [&](model::Tx& tx) {
            model::ReportTargetHealth(tx, tg_arn, target_id, port, health, reason);
          });
        });
    health_->Start();
    // The AWS services network: openvpc's APIs over HTTPS in the simulated internet and at the
    // interfaces of endpoints to them, with a certificate of its own CA (DATA_DIR/services-ca.pem).
    const api::ServicesCertificate cert =
        api::EnsureServicesCertificate(o.services_certificate_dir.empty() ? data_dir : o.services_certificate_dir);
    front_ = std::make_unique<api::HttpsFront>(service, cert);
    api::HttpsFront* front = front_.get();
    // A connection from an interface's alias came through a gateway endpoint (GW-16): the S3
    // front names the endpoint, its VPC and the interface's own address (aws:VpcSourceIp).
    dataplane::Engine* engine = engine_.get();
    front->SetOriginResolver([engine, &service](api::RequestOrigin& o) {
      if (!o.vpc_endpoint_id.empty() || o.service != "s3") return;
      auto peer = net::ParseIpv4(o.peer);
      auto local = net::ParseIpv4(o.address);
      if (!peer || !local) return;
      auto eni_id = engine->InterfaceOfAlias(*peer);
      if (!eni_id) return;
      service.Read([&](const model::State& s) {
        const model::GatewayEndpointPath path = model::GatewayEndpointOf(s, *eni_id, *local);
        if (!path.endpoint) return;
        o.vpc_endpoint_id = path.endpoint->id;
        o.vpc_id = path.endpoint->vpc_id;
        o.endpoint_account = path.endpoint->owner_id;
        o.endpoint_region = path.partition->region;
        o.peer = path.eni->PrimaryIp();
      });
    });
    services_ = std::make_unique<host::ServicesNetwork>(
        *model_, instances->InternetNamespace(),
        [instances](const std::string& eni_id) { return instances->NamespaceOf(eni_id); }, service.s3() != nullptr,
        [front](const std::string& key, int fd, const host::ServiceListener& l) {
          front->Listen(key, fd, {.services_network = true, .service = l.service, .address = l.address,
                                  .vpc_endpoint_id = l.vpc_endpoint_id, .vpc_id = l.vpc_id,
                                  .endpoint_account = l.account, .endpoint_region = l.region});
        },
        [front](const std::string& key) { front->Close(key); });
    services_->Start();
    service.SetCommitListener([instances] { instances->Notify(); });
    service.SetConsoleSource([instances](const std::string& id) { return instances->ConsoleOutput(id); });
    fprintf(stderr, "openvpc: data plane up: instances are namespaces %s<instance-id>\n",
            host::NamespacePrefix(data_dir).c_str());
    return true;
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: data plane failed to start (%s); going on without one\n", e.what());
    service.SetCommitListener(nullptr);
    service.SetConsoleSource(nullptr);
    service.SetInstancesHosted(false);
    services_.reset();
    front_.reset();
    health_.reset();
    instances_.reset();
    engine_->Stop();
    engine_.reset();
    if (underlay_fd_ >= 0) close(underlay_fd_);
    underlay_fd_ = -1;
    return false;
  }
}

void DataPlane::Stop() {
  // The checks and instances first: their threads read the model, which the service's Quiesce() locks.
  if (services_) services_->Stop();
  services_.reset();
  front_.reset();
  if (health_) health_->Stop();
  health_.reset();
  if (instances_) instances_->Stop();
  if (engine_) engine_->Stop();
  instances_.reset();
  engine_.reset();
  if (underlay_fd_ >= 0) close(underlay_fd_);
  underlay_fd_ = -1;
}

}  // namespace openvpc::cli
