// `openvpc exec`: a command inside a running instance's namespace (or the simulated internet's).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "host/netns.h"
#include "model/host.h"
#include "store/codec.h"
#include "store/store.h"

namespace openvpc::cli {
namespace {

// The namespace prefix of the host that runs INSTANCE_ID (for "internet": of the gateway host),
// from the shared store's state; none when it has no host (the server's own data plane runs it)
// or its host is gone.
std::optional<std::string> NamespacePrefixOf(const std::string& store_spec, const std::string& instance_id) {
  const model::State state = store::DecodeState(store::OpenStore(store_spec, ".", {.read_only = true})->LoadAll());
  if (instance_id == "internet") {  // the simulated internet is the gateway host's
    const model::Host* g = model::GatewayHost(state);
    if (g) return g->namespace_prefix;
    return std::nullopt;
  }
  for (const auto& [key, p] : state.partitions)
    if (auto it = p.instances.find(instance_id); it != p.instances.end()) {
      auto h = state.hosts.find(it->second.host);
      if (h != state.hosts.end()) return h->second.namespace_prefix;
    }
  return std::nullopt;
}

}  // namespace

// `openvpc exec [--data-dir DIR] [--store etcd://…] INSTANCE-ID|internet -- CMD…`: CMD inside the
// instance's namespace (or the simulated internet's, whose host is 203.0.113.10), with its
// resolv.conf and DIR's services CA as the TLS clients' trust, exiting with CMD's status (125
// when the instance is not running here).
int Exec(int argc, char** argv) {
  std::string data_dir = ".openvpc", store, target;
  int i = 2;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--data-dir" && i + 1 < argc) data_dir = argv[++i];
    else if (a.rfind("--data-dir=", 0) == 0) data_dir = a.substr(11);
    else if (a == "--store" && i + 1 < argc) store = argv[++i];
    else if (a.rfind("--store=", 0) == 0) store = a.substr(8);
    else if (a == "-h" || a == "--help") target.clear(), i = argc;
    else if (target.empty() && a[0] != '-') target = a;
    else {
      fprintf(stderr, "openvpc exec: unexpected '%s'\n", a.c_str());
      return 125;
    }
  }
  if (target.empty() || i >= argc) {
    fprintf(stderr, "usage: openvpc exec [--data-dir DIR | --store etcd://…] INSTANCE-ID|internet -- COMMAND [ARGS…]\n");
    return 125;
  }
  std::string prefix = host::NamespacePrefix(data_dir);
  if (!store.empty() && store != "sqlite") {
    // Many hosts: the instance runs where it was placed, in that host's namespaces.
    try {
      if (auto where = NamespacePrefixOf(store, target)) prefix = *where;
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc exec: reading %s: %s\n", store.c_str(), e.what());
      return 125;
    }
  }
  std::string ns = prefix + target;
  if (!host::NamespaceExists(ns)) {
    fprintf(stderr, "openvpc exec: %s is not running under %s (no namespace %s)\n", target.c_str(), data_dir.c_str(),
            ns.c_str());
    return 125;
  }
  // The AWS services network's CA (issue 14): what the AWS CLI, SDKs and TLS clients inside trust
  // for https://SERVICE.REGION.amazonaws.com, as AWS's instances trust Amazon's. The host's own
  // trust settings mean nothing in the simulated world: they are replaced.
  const std::string ca = std::filesystem::absolute(data_dir + "/services-ca.pem").string();
  if (std::filesystem::exists(ca))
    for (const char* var : {"AWS_CA_BUNDLE", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"})
      setenv(var, ca.c_str(), 1);
  std::vector<char*> args = {const_cast<char*>("ip"), const_cast<char*>("netns"), const_cast<char*>("exec"), ns.data()};
  for (; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execvp("ip", args.data());
  perror("openvpc exec: ip");
  return 127;
}

void AddExecCommand(CLI::App& app) {
  app.add_subcommand("exec", "Run a command inside a running instance or the simulated internet: exec [--data-dir "
                             "DIR | --store etcd://...] INSTANCE-ID|internet -- CMD...");
}

}  // namespace openvpc::cli
