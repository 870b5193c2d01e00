// `openvpc hosts --store etcd://…`: the hosts registered in the shared store, their leases and
// the instances placed on them (instances whose host is gone are listed as impaired).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <map>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "model/host.h"
#include "store/codec.h"
#include "store/etcd_client.h"
#include "store/store.h"

namespace openvpc::cli {
namespace {

struct HostsFlags {
  std::string store;
  bool json = false;
};

int RunHosts(const HostsFlags& f) {
  if (f.store.rfind("etcd://", 0) != 0) throw std::runtime_error("openvpc hosts needs --store etcd://HOST:PORT[,…]");
  const model::State state = store::DecodeState(store::OpenStore(f.store, ".", {.read_only = true})->LoadAll());
  store::etcd::Client client(store::etcd::ParseEndpoints(f.store.substr(7)));

  nlohmann::json out = {{"Hosts", nlohmann::json::array()}, {"ImpairedInstances", nlohmann::json::array()}};
  std::map<std::string, nlohmann::json> instances;  // by host
  for (const auto& [key, p] : state.partitions)
    for (const auto& [id, i] : p.instances) {
      if (i.state == "terminated" || i.host.empty()) continue;
      nlohmann::json item = {{"InstanceId", id}, {"State", i.state}, {"OwnerId", key.first}, {"Region", key.second}};
      if (model::HostImpaired(state, i)) {
        item["Host"] = i.host;
        out["ImpairedInstances"].push_back(item);
      } else {
        instances[i.host].push_back(item);
      }
    }
  for (const auto& [name, h] : state.hosts) {
    int64_t ttl = -1;
    try {
      ttl = std::stoll(client.Call("/v3/lease/timetolive", {{"ID", std::to_string(h.lease)}}).value("TTL", "-1"));
    } catch (const std::exception&) {
    }
    out["Hosts"].push_back({{"Name", name}, {"Underlay", h.underlay}, {"Gateway", h.gateway},
                            {"Lease", h.lease}, {"LeaseTtlSeconds", ttl},
                            {"Instances", instances.count(name) ? instances[name] : nlohmann::json::array()}});
  }
  if (f.json) {
    printf("%s\n", out.dump(2).c_str());
    return 0;
  }
  printf("%-16s %-16s %-8s %-20s %-5s %s\n", "HOST", "UNDERLAY", "GATEWAY", "LEASE", "TTL", "INSTANCES");
  for (const auto& h : out["Hosts"]) {
    std::string ids;
    for (const auto& i : h["Instances"]) ids += (ids.empty() ? "" : ",") + i["InstanceId"].get<std::string>();
    printf("%-16s %-16s %-8s %-20lld %-5lld %s\n", h["Name"].get<std::string>().c_str(),
           h["Underlay"].get<std::string>().c_str(), h["Gateway"].get<bool>() ? "yes" : "no",
           static_cast<long long>(h["Lease"].get<int64_t>()), static_cast<long long>(h["LeaseTtlSeconds"].get<int64_t>()),
           ids.empty() ? "-" : ids.c_str());
  }
  for (const auto& i : out["ImpairedInstances"])
    printf("impaired: %s (host %s is gone)\n", i["InstanceId"].get<std::string>().c_str(),
           i["Host"].get<std::string>().c_str());
  return 0;
}

}  // namespace

std::function<int()> AddHostsCommand(CLI::App& app) {
  auto f = std::make_shared<HostsFlags>();
  auto* hosts = app.add_subcommand("hosts", "List the hosts registered in etcd, their leases and instances");
  hosts->add_option("--store", f->store, "etcd://HOST:PORT[,HOST:PORT...]")->required();
  hosts->add_flag("--json", f->json, "print JSON");
  return [f] { return RunHosts(*f); };
}

}  // namespace openvpc::cli
