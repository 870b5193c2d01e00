// `openvpc agent`: one host's data plane when openvpc spans several machines (issue 12). It
// registers the host in the shared store under a lease, follows the state from there, and runs
// the instances placed on it (namespaces, TAP devices, its own engine). Its API service serves
// no client: it is the agent's copy of the model and its way to report facts (an instance gone).
#include <signal.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "api/http_server.h"
#include "api/service.h"
#include "cli/commands.h"
#include "cli/data_plane.h"
#include "host/netns.h"
#include "net/ip.h"
#include "store/codec.h"
#include "store/store.h"

namespace openvpc::cli {
namespace {

struct AgentFlags {
  std::string store, host, underlay, underlay_netns, data_dir, status_listen;
  bool gateway = false;
  int lease_ttl = 5;
  std::string public_ipv4_pool = "198.51.100.0/24";
  std::string services_pool = "192.0.2.0/24";
  std::string credentials, services_certificate_dir, s3_dir;
};

int RunAgent(const AgentFlags& f) {
  if (f.store.rfind("etcd://", 0) != 0) throw std::runtime_error("openvpc agent needs --store etcd://HOST:PORT[,…]");
  if (!net::ParseIpv4(f.underlay)) throw std::runtime_error("--underlay wants an IPv4 address, got '" + f.underlay + "'");
  const auto status_colon = f.status_listen.rfind(':');
  if (!f.status_listen.empty() && status_colon == std::string::npos)
    throw std::runtime_error("--status-listen wants HOST:PORT, got '" + f.status_listen + "'");
  const std::string data_dir = f.data_dir.empty() ? ".openvpc-agent-" + f.host : f.data_dir;
  std::filesystem::create_directories(data_dir);

  // SIGINT and SIGTERM end the agent cleanly: waited for below (or by the status listener).
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  if (f.status_listen.empty()) pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);  // every thread inherits it

  auto opened = store::OpenStore(f.store, data_dir, {});
  auto* shared = dynamic_cast<store::SharedStore*>(opened.get());
  api::ServiceOptions options;
  options.public_ipv4_pool = f.public_ipv4_pool;
  options.services_pool = f.services_pool;
  // The API servers' credentials: the instance roles' temporary credentials this host's metadata
  // service hands out are keyed by them (api/session_credentials.h).
  if (!f.credentials.empty()) options.credentials = api::LoadCredentials(f.credentials);
  // S3 at its addresses in the gateway host's simulated internet: the API servers' directory.
  options.s3_dir = f.s3_dir;
  api::Service service(std::move(opened), std::move(options));
  DataPlane data_plane;
  if (!data_plane.Start(service, data_dir,
                        {.host = f.host, .underlay = f.underlay, .underlay_netns = f.underlay_netns, .gateway = f.gateway,
                         .services_certificate_dir = f.services_certificate_dir}))
    throw std::runtime_error("the data plane cannot run here");
  // Registered once it can run what is placed on it.
  model::Host self{.name = f.host, .underlay = f.underlay, .gateway = f.gateway,
                   .namespace_prefix = host::NamespacePrefix(data_dir)};
  shared->RegisterHost(
      f.host,
      [self](int64_t lease) {
        model::Host h = self;
        h.lease = lease;
        return store::EncodeHost(h);
      },
      f.lease_ttl);
  fprintf(stderr, "openvpc: agent of host %s (underlay %s%s) up\n", f.host.c_str(), f.underlay.c_str(),
          f.gateway ? ", gateway" : "");
  if (f.status_listen.empty()) {
    int sig = 0;
    sigwait(&stop_signals, &sig);
  } else {  // GET /_openvpc/status[?revision=R]: which write this host's data plane has
    api::ServeHttp(f.status_listen.substr(0, status_colon), std::stoi(f.status_listen.substr(status_colon + 1)), service,
                   [](const std::string& where) { fprintf(stderr, "openvpc: agent status on http://%s\n", where.c_str()); });
  }
  shared->UnregisterHost();
  data_plane.Stop();
  service.Quiesce();
  fprintf(stderr, "openvpc: agent stopped\n");
  return 0;
}

}  // namespace

std::function<int()> AddAgentCommand(CLI::App& app) {
  auto f = std::make_shared<AgentFlags>();
  auto* agent = app.add_subcommand("agent", "Run one host's data plane; the state lives in etcd");
  agent->add_option("--store", f->store, "etcd://HOST:PORT[,HOST:PORT...]: the store the API servers share")
      ->required();
  agent->add_option("--host", f->host, "this host's name (unique among the hosts)")->required();
  agent->add_option("--underlay", f->underlay, "this host's IPv4 address that other hosts reach it at")->required();
  agent->add_option("--underlay-netns", f->underlay_netns,
                    "the network namespace that holds the underlay address (hosts simulated as namespaces on one "
                    "machine); default: the agent's own");
  agent->add_flag("--gateway", f->gateway, "also run NAT gateways and the internet gateway path");
  agent->add_option("--data-dir", f->data_dir, "where the agent keeps its files (default .openvpc-agent-HOST)");
  agent->add_option("--lease-ttl", f->lease_ttl, "seconds without renewal after which the host counts as gone")
      ->check(CLI::Range(2, 600))
      ->capture_default_str();
  agent->add_option("--status-listen", f->status_listen,
                    "HOST:PORT to answer GET /_openvpc/status[?revision=R] on (the store revision this host's data "
                    "plane enforces; with revision=R, once it does)");
  agent->add_option("--public-ipv4-pool", f->public_ipv4_pool, "CIDR of public IPv4 addresses (as the API servers')")
      ->capture_default_str();
  agent->add_option("--services-pool", f->services_pool, "CIDR of the AWS services network (as the API servers')")
      ->capture_default_str();
  agent->add_option("--credentials", f->credentials,
                    "the API servers' credentials file: instances launched with an instance profile get their role's "
                    "temporary credentials from this host's metadata service (none without it)");
  agent->add_option("--s3-dir", f->s3_dir,
                    "the API servers' S3 directory (--s3-dir of serve): a gateway host serves S3 to instances");
  agent->add_option("--services-certificate-dir", f->services_certificate_dir,
                    "where the AWS services network's CA and certificate are (services-ca.pem, …; made there when "
                    "absent): one directory for every host, so that instances anywhere trust the services (default: "
                    "the data directory)");
  return [f] { return RunAgent(*f); };
}

}  // namespace openvpc::cli
