// This machine's data plane over an API service's model: the packet engine and the instance
// host (namespaces, TAP devices), as `openvpc serve` and `openvpc agent` run it.
#pragma once

#include <memory>
#include <string>

namespace openvpc::api {
class Service;
}
namespace openvpc::dataplane {
class Engine;
}
namespace openvpc::host {
class InstanceHost;
}

namespace openvpc::cli {

class DataPlane {
 public:
  DataPlane();
  ~DataPlane();
  // Starts it for the instances of HOST ("" : the ones no host was chosen for) with its
  // namespaces named after DATA_DIR, and with UNDERLAY (an IPv4 address of this machine; ""
  // for none) the VXLAN underlay to the other hosts' instances. False when it cannot run (not
  // root, the kernel refuses): the reason is logged and the service goes on without one.
  // GATEWAY: it runs the simulated internet and NAT gateways (see host::InstanceHost).
  bool Start(api::Service& service, const std::string& data_dir, const std::string& host,
             const std::string& underlay = "", bool gateway = true);
  // Tears down every namespace and device it made (before the service is quiesced).
  void Stop();

 private:
  struct Model;
  std::unique_ptr<Model> model_;
  std::unique_ptr<dataplane::Engine> engine_;
  std::unique_ptr<host::InstanceHost> instances_;
  int underlay_fd_ = -1;
};

}  // namespace openvpc::cli
