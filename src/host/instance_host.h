// Makes the running instances of the model real: a network namespace per running instance, a
// TAP device per attached interface (eth<device index>, its MAC, MTU 9001) handed to the
// engine as a port, the primary address by DHCP from the engine, secondary addresses added,
// user data that starts with "#!" run inside at each start with its output kept as the
// console output. A thread reconciles the namespaces with the model after every committed
// write, so API changes reach running instances without a restart.
#pragma once

#include <sys/types.h>

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/engine/engine.h"
#include "dataplane/services/imds.h"
#include "model/state.h"

namespace openvpc::dataplane {
class DnsTcpServer;
class MetadataServer;
class UdpDnsServer;
}

namespace openvpc::host {

// What the model wants running: the running instances and their attached interfaces.
// The simulated internet's first host (`openvpc exec internet -- …` runs there).
inline constexpr const char* kInternetHost = "203.0.113.10";
inline constexpr const char* kInternetHost6 = "3fff::10";
// The internet's public DNS server (UDP 53): Amazon's public names (dataplane::ResolvePublic).
inline constexpr const char* kInternetDns = "203.0.113.53";

struct DesiredInterface {
  std::string eni_id, mac;
  int device_index = 0;
  int prefix_length = 24;
  bool ipv4 = true;  // false in an IPv6-only subnet: no DHCP (v4), addresses by DHCPv6 alone
  std::vector<std::string> secondary_ips;  // besides the primary, which comes by DHCP
  std::vector<std::string> ipv6_addresses;  // by DHCPv6 at attach, later changes added or removed
};
struct DesiredInstance {
  std::string id, account, region, user_data;  // user data as sent (base64)
  std::vector<DesiredInterface> interfaces;
};
// HOST: the host whose instances these are ("": those no host runs, on one machine).
std::map<std::string, DesiredInstance> DesiredInstances(const model::State& state, const std::string& host = "");

// The attached interfaces of running instances that other live hosts run (the engine's remote
// ports on HOST), by ENI id, with the underlay address of their host.
struct RemoteInterface {
  std::string account, region;
  net::Ipv4 host;
  bool operator==(const RemoteInterface&) const = default;
};
std::map<std::string, RemoteInterface> RemoteInterfaces(const model::State& state, const std::string& host);

class InstanceHost {
 public:
  // HOST: the name this machine is registered under in a shared store (`openvpc agent
  // --host`); it runs only the instances placed on it. "": `openvpc serve`'s data plane, which
  // runs the instances no host was chosen for (all of them on one machine).
  // GATEWAY: this host runs the simulated internet and NAT gateways (one host alone does);
  // otherwise the engine's internet is the gateway host (model::GatewayHost), by the underlay.
  InstanceHost(dataplane::ModelSource& model, dataplane::Engine& engine, std::string data_dir, std::string host = "",
               bool gateway = true);
  ~InstanceHost();

  // Removes what a previous server on DATA_DIR left behind, brings up the metadata service's
  // namespace and starts reconciling. Throws when the host refuses (no root, no TAP).
  void Start();
  // Tears down every namespace and device it made.
  void Stop();
  // A write was committed: reconcile soon.
  void Notify();
  // Blocks until a reconcile pass that started after this call has finished (tests, benchmarks).
  void WaitReconciled();
  // Called (on the host's thread) for each shutting-down instance once its processes have ended
  // and its namespace is gone, so that the model can call it terminated.
  using GoneFn = std::function<void(const std::string& account, const std::string& region, const std::string& id)>;
  void OnInstanceGone(GoneFn fn) { on_gone_ = std::move(fn); }
  // Called (on the host's thread) when a running instance's console output changed, on hosts of
  // many (`openvpc agent`): the API servers answer GetConsoleOutput from what the model holds.
  using ConsoleFn = std::function<void(const std::string& account, const std::string& region, const std::string& id,
                                       const std::string& text)>;
  void OnConsoleOutput(ConsoleFn fn) { on_console_ = std::move(fn); }
  // An instance role's temporary credentials for its metadata (role ARN, instance id); without
  // it, or when it has none, iam/security-credentials lists no role.
  using RoleCredentialsFn = std::function<std::optional<dataplane::InstanceMetadata::Iam>(
      const std::string& account, const std::string& role_arn, const std::string& instance_id)>;
  void OnRoleCredentials(RoleCredentialsFn fn) { on_role_credentials_ = std::move(fn); }
  // What the instance's user data printed, as GetConsoleOutput returns it.
  std::string ConsoleOutput(const std::string& instance_id) const;
  // The namespace of an instance ("openvpc-TAG-i-…"), whether or not it runs.
  std::string NamespaceOf(const std::string& instance_id) const { return prefix_ + instance_id; }
  // The simulated internet's namespace when this host runs it (the gateway), else "".
  std::string InternetNamespace() const { return gateway_ ? prefix_ + "internet" : ""; }

 private:
  struct LiveInterface {
    int fd = -1;
    std::string ifname;
    std::vector<std::string> secondary_ips;
    std::vector<std::string> ipv6_addresses;
  };
  struct LiveInstance {
    std::string ns;
    std::map<std::string, LiveInterface> interfaces;  // by ENI id
    pid_t user_data_pid = -1;
  };

  void Loop();
  void Reconcile();
  void SyncRemotePorts(const std::map<std::string, RemoteInterface>& want);
  void ReportConsoleOutput(const std::map<std::string, DesiredInstance>& running);
  void Launch(const DesiredInstance& want);
  void Teardown(const std::string& id, LiveInstance& live);
  void AttachInterface(const DesiredInstance& want, const DesiredInterface& iface, LiveInstance& live);
  void DetachInterface(const std::string& eni_id, LiveInstance& live);
  void SyncAddresses(const DesiredInterface& iface, LiveInstance& live);
  void RunDhcpv6(const std::string& instance_id, const std::string& ifname, LiveInstance& live);
  void RunUserData(const DesiredInstance& want, LiveInstance& live);
  void StartMetadataService();
  void StartInternet();
  std::string InstanceDir(const std::string& id) const;

  dataplane::ModelSource& model_;
  GoneFn on_gone_;
  ConsoleFn on_console_;
  RoleCredentialsFn on_role_credentials_;
  std::map<std::string, uintmax_t> console_reported_;  // bytes of console.log last reported, by instance
  dataplane::Engine& engine_;
  std::string data_dir_, prefix_, dhcp_script_, host_;
  std::map<std::string, LiveInstance> live_;  // reconciler thread only
  std::map<std::string, RemoteInterface> remote_;  // the engine's remote ports (reconciler thread)
  bool gateway_ = true;
  std::optional<net::Ipv4> remote_internet_;  // the gateway host the engine's internet is, if remote

  std::mutex mu_;
  std::condition_variable cv_;
  bool dirty_ = true, stopping_ = false, stopped_ = false;
  uint64_t passes_started_ = 0, passes_done_ = 0;
  std::thread thread_;

  int service_fd_ = -1;
  int internet_fd_ = -1;
  std::unique_ptr<dataplane::MetadataServer> metadata_;
  std::unique_ptr<dataplane::DnsTcpServer> dns_tcp_;
  std::unique_ptr<dataplane::UdpDnsServer> public_dns_;
};

}  // namespace openvpc::host
