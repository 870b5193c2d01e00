// This machine's data plane over an API service's model: the packet engine and the instance
// host (namespaces, TAP devices), as `openvpc serve` and `openvpc agent` run it.
#pragma once

#include <memory>
#include <string>

namespace openvpc::api {
class HttpsFront;
class Service;
}
namespace openvpc::dataplane {
class Engine;
}
namespace openvpc::host {
class HealthChecker;
class InstanceHost;
class ServicesNetwork;
}

namespace openvpc::cli {

// Which instances a data plane runs, and how it reaches the other hosts.
struct DataPlaneOptions {
  std::string host;      // the instances placed on this host ("": those no host was chosen for)
  std::string underlay;  // an IPv4 address of this host for the VXLAN underlay ("": none)
  std::string underlay_netns;  // the network namespace that address is in ("": this process's)
  bool gateway = true;   // runs the simulated internet and NAT gateways (see host::InstanceHost)
  // Where the AWS services network's certificate is (api/services_certificate.h); "": the data dir.
  std::string services_certificate_dir;
};

class DataPlane {
 public:
  DataPlane();
  ~DataPlane();
  // Starts it as OPTIONS say, with its namespaces named after DATA_DIR. False when it cannot run
  // (not root, the kernel refuses): the reason is logged and the service goes on without one.
  bool Start(api::Service& service, const std::string& data_dir, const DataPlaneOptions& options);
  // Tears down every namespace and device it made (before the service is quiesced).
  void Stop();

 private:
  struct Model;
  std::unique_ptr<Model> model_;
  std::unique_ptr<dataplane::Engine> engine_;
  std::unique_ptr<host::InstanceHost> instances_;
  std::unique_ptr<host::HealthChecker> health_;  // the load balancers' checks from their nodes
  std::unique_ptr<api::HttpsFront> front_;       // the AWS services network's HTTPS
  std::unique_ptr<host::ServicesNetwork> services_;
  int underlay_fd_ = -1;
};

}  // namespace openvpc::cli
