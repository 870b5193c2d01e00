// The AWS services network's listeners: host/services_network.h.
#include "host/services_network.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "host/netns.h"
#include "model/aws_services.h"
#include "model/host.h"
#include "model/regions.h"
#include "model/vpc_endpoint.h"

namespace openvpc::host {

namespace {

// A TCP socket listening on ADDRESS:443 in NETNS, or -1. IP_FREEBIND: an endpoint's address may
// not be configured yet in its namespace (its DHCP client brings it).
int ListenIn(const std::string& netns, const std::string& address) {
  return InNamespace(netns, [&] {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof one);
    sockaddr_in at{};
    at.sin_family = AF_INET;
    at.sin_port = htons(443);
    if (inet_pton(AF_INET, address.c_str(), &at.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0 || listen(fd, 512) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  });
}

}  // namespace

std::map<std::string, ServiceListener> DesiredServiceListeners(
    const model::State& state, const std::string& internet_ns,
    const std::function<std::string(const std::string& eni_id)>& namespace_of, bool s3) {
  std::map<std::string, ServiceListener> out;
  if (!internet_ns.empty()) {
    for (const auto& svc : model::AwsServices())
      if (auto ip = model::AwsServiceAddress(state.services_pool, svc))
        out["internet/" + ip->ToString()] = {.netns = internet_ns, .address = ip->ToString()};
    if (s3)  // DynamoDB's addresses have no listener: connections to them are refused
      for (const auto& region : model::Regions())
        if (auto ip = model::GatewayServiceAddress(state.services_pool, "s3", region.name))
          out["internet/" + ip->ToString()] = {.netns = internet_ns, .address = ip->ToString(), .service = "s3"};
  }
  for (const auto& [key, p] : state.partitions)
    for (const auto& [id, e] : p.vpc_endpoints) {
      if (!model::IsAwsServiceEndpoint(e)) continue;
      for (const auto& eni_id : e.network_interface_ids) {
        auto eni = p.network_interfaces.find(eni_id);
        const std::string ns = namespace_of(eni_id);
        if (eni == p.network_interfaces.end() || ns.empty() || eni->second.PrimaryIp().empty()) continue;
        out[eni_id] = {.netns = ns, .address = eni->second.PrimaryIp(), .vpc_endpoint_id = e.id, .vpc_id = e.vpc_id,
                       .account = key.first, .region = key.second,
                       .service = model::GatewayServiceOf(e.service_name, key.second)};  // "s3" for S3's
      }
    }
  return out;
}

ServicesNetwork::ServicesNetwork(dataplane::ModelSource& model, std::string internet_ns,
                                 std::function<std::string(const std::string& eni_id)> namespace_of, bool s3,
                                 ListenFn listen, CloseFn close)
    : model_(model), internet_ns_(std::move(internet_ns)), namespace_of_(std::move(namespace_of)), s3_(s3),
      listen_(std::move(listen)), close_(std::move(close)) {}

ServicesNetwork::~ServicesNetwork() { Stop(); }

void ServicesNetwork::Start() { thread_ = std::thread([this] { Loop(); }); }

void ServicesNetwork::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const auto& [key, l] : live_) close_(key);
  live_.clear();
}

void ServicesNetwork::Loop() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    lock.unlock();
    try {
      Reconcile();
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc: the services network: %s\n", e.what());
    }
    lock.lock();
    cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return stopping_; });
  }
}

void ServicesNetwork::Reconcile() {
  std::map<std::string, ServiceListener> desired;
  model_.Read([&](const model::State& s) { desired = DesiredServiceListeners(s, internet_ns_, namespace_of_, s3_); });
  for (auto it = live_.begin(); it != live_.end();) {
    auto want = desired.find(it->first);
    if (want != desired.end() && want->second == it->second) {
      ++it;
      continue;
    }
    close_(it->first);
    it = live_.erase(it);
  }
  for (const auto& [key, l] : desired) {
    if (live_.count(key) || !NamespaceExists(l.netns)) continue;  // an endpoint's namespace comes with its interface
    const int fd = ListenIn(l.netns, l.address);
    if (fd < 0) continue;  // tried again on the next round
    listen_(key, fd, l);
    live_[key] = l;
  }
}

}  // namespace openvpc::host
