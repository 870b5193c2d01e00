#include "cli/data_plane.h"

#include <cstdio>

#include "api/service.h"
#include "dataplane/engine/engine.h"
#include "host/instance_host.h"
#include "host/netns.h"
#include "model/instance.h"

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

bool DataPlane::Start(api::Service& service, const std::string& data_dir, const std::string& host) {
  if (!host::CanManageNetwork()) {
    fprintf(stderr, "openvpc: not running as root: no data plane\n");
    return false;
  }
  model_ = std::make_unique<Model>(service);
  engine_ = std::make_unique<dataplane::Engine>(*model_);
  try {
    engine_->Start();
    instances_ = std::make_unique<host::InstanceHost>(*model_, *engine_, data_dir, host);
    instances_->OnInstanceGone([&service](const std::string& account, const std::string& region, const std::string& id) {
      service.Write(account, region, [&](model::Tx& tx) { model::FinishTermination(tx, id); });
    });
    service.SetInstancesHosted(true);
    instances_->Start();
    host::InstanceHost* instances = instances_.get();
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
    instances_.reset();
    engine_->Stop();
    engine_.reset();
    return false;
  }
}

void DataPlane::Stop() {
  // The instances first: their threads read the model, which the service's Quiesce() locks.
  if (instances_) instances_->Stop();
  if (engine_) engine_->Stop();
  instances_.reset();
  engine_.reset();
}

}  // namespace openvpc::cli
