#include "host/instance_host.h"

#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "dataplane/services/dns.h"
#include "dataplane/services/dns_tcp_server.h"
#include "dataplane/services/imds_server.h"
#include "dataplane/services/local_services.h"
#include "dataplane/services/udp_dns_server.h"
#include "host/netns.h"
#include "model/host.h"
#include "model/instance.h"
#include "model/key_pair.h"
#include "model/vpc_endpoint.h"

namespace openvpc::host {

namespace {

// busybox udhcpc calls this with the lease in its environment (the offer of the engine's DHCP
// server): it configures the interface the way an AMI's DHCP client does.
constexpr const char* kDhcpScript = R"(#!/bin/sh
# openvpc: applies the lease of the VPC's DHCP server (udhcpc hook).
case "$1" in
  deconfig)
    ip -4 addr flush dev "$interface" 2>/dev/null
    ip link set "$interface" up
    ;;
  bound|renew)
    ip addr replace "$ip/$mask" broadcast "${broadcast:-+}" dev "$interface"
    [ -n "$mtu" ] && ip link set "$interface" mtu "$mtu"
    index="${interface#eth}"
    for r in $router; do
      ip route replace default via "$r" dev "$interface" metric $((index * 100 + 1))
      break
    done
    if [ "$index" = "0" ]; then
      {
        [ -n "$domain" ] && echo "search $domain"
        for d in $dns; do echo "nameserver $d"; done
      } > /etc/resolv.conf
    fi
    ;;
esac
exit 0
)";

// ISC dhclient -6 calls this once per address of the lease (the engine's DHCPv6 server, C11).
// The address is kept without a lifetime: the client is stopped once bound (as udhcpc -q
// quits), and the lease only changes with the model, which SyncAddresses applies.
constexpr const char* kDhcp6Script = R"(#!/bin/sh
# openvpc: applies the IPv6 lease of the VPC's DHCPv6 server (dhclient -6 script).
case "$reason" in
  PREINIT6)
    ip link set "$interface" up
    ;;
  BOUND6|RENEW6|REBIND6|REBOOT6)
    if [ -n "$old_ip6_address" ] && [ "$old_ip6_address" != "$new_ip6_address" ]; then
      ip -6 addr del "$old_ip6_address/${old_ip6_prefixlen:-128}" dev "$interface" 2>/dev/null
    fi
    [ -n "$new_ip6_address" ] && ip -6 addr replace "$new_ip6_address/${new_ip6_prefixlen:-128}" dev "$interface" nodad
    ;;
esac
exit 0
)";

// dhclient's defaults wait 60 s for a server; ours answers at once or not at all.
constexpr const char* kDhcp6Config = "timeout 10;\nretry 1;\n";

constexpr dataplane::MacAddress kServiceMac{0x02, 0x00, 0x00, 0x00, 0x00, 0xfe};
constexpr dataplane::MacAddress kInternetMac{0x02, 0x00, 0x00, 0x00, 0x00, 0xfd};

void Log(const std::string& line) { fprintf(stderr, "openvpc: data plane: %s\n", line.c_str()); }

// The interfaces of P that openvpc itself runs a namespace for: load balancer nodes, and the
// interfaces of endpoints to AWS services.
std::vector<std::string> OwnInterfaces(const model::Partition& p) {
  std::vector<std::string> out;
  for (const auto& [arn, lb] : p.load_balancers)
    for (const auto& node : lb.nodes) out.push_back(node.network_interface_id);
  for (const auto& [id, e] : p.vpc_endpoints)
    if (model::IsAwsServiceEndpoint(e) && e.state == "available")
      out.insert(out.end(), e.network_interface_ids.begin(), e.network_interface_ids.end());
  return out;
}

}  // namespace

std::map<std::string, DesiredInstance> DesiredInstances(const model::State& state, const std::string& host) {
  std::map<std::string, DesiredInstance> out;
  for (const auto& [key, p] : state.partitions) {
    for (const auto& [id, inst] : p.instances) {
      if (inst.state != "running" || !model::RunsOn(inst, host)) continue;
      DesiredInstance d{.id = id, .account = key.first, .region = key.second, .user_data = inst.user_data};
      out[id] = std::move(d);
    }
    for (const auto& [id, eni] : p.network_interfaces) {
      if (!eni.attachment || eni.attachment->status == "detaching") continue;
      auto it = out.find(eni.attachment->instance_id);
      if (it == out.end() || it->second.account != key.first || it->second.region != key.second) continue;
      DesiredInterface iface{.eni_id = id, .mac = eni.mac_address, .device_index = eni.attachment->device_index};
      if (auto s = p.subnets.find(eni.subnet_id); s != p.subnets.end())
        if (auto c = net::ParseCidr4(s->second.cidr_block)) iface.prefix_length = c->prefix;
      iface.ipv4 = !eni.PrimaryIp().empty();
      for (size_t i = 1; i < eni.private_ips.size(); ++i) iface.secondary_ips.push_back(eni.private_ips[i].address);
      iface.ipv6_addresses = eni.ipv6_addresses;
      it->second.interfaces.push_back(std::move(iface));
    }
  }
  // A load balancer's node is an interface of its own (its namespace makes the health checks):
  // a desired "instance" named by the node's interface id, with that one interface. So is the
  // interface of an endpoint to an AWS service openvpc serves (its namespace serves the API).
  if (model::RunsLoadBalancerNodes(state, host))
    for (const auto& [key, p] : state.partitions)
      for (const std::string& eni_id : OwnInterfaces(p)) {
        auto eni = p.network_interfaces.find(eni_id);
        if (eni == p.network_interfaces.end()) continue;
        DesiredInstance d{.id = eni->first, .account = key.first, .region = key.second};
        DesiredInterface iface{.eni_id = eni->first, .mac = eni->second.mac_address};
        if (auto s = p.subnets.find(eni->second.subnet_id); s != p.subnets.end())
          if (auto c = net::ParseCidr4(s->second.cidr_block)) iface.prefix_length = c->prefix;
        iface.ipv6_addresses = eni->second.ipv6_addresses;
        d.interfaces.push_back(std::move(iface));
        out[d.id] = std::move(d);
      }
  for (auto& [id, d] : out)
    std::sort(d.interfaces.begin(), d.interfaces.end(),
              [](const DesiredInterface& a, const DesiredInterface& b) { return a.device_index < b.device_index; });
  return out;
}

std::map<std::string, RemoteInterface> RemoteInterfaces(const model::State& state, const std::string& host) {
  std::map<std::string, RemoteInterface> out;
  for (const auto& [key, p] : state.partitions)
    for (const auto& [id, eni] : p.network_interfaces) {
      if (!eni.attachment || eni.attachment->status == "detaching") continue;
      auto inst = p.instances.find(eni.attachment->instance_id);
      if (inst == p.instances.end() || inst->second.state != "running" || inst->second.host.empty() ||
          model::RunsOn(inst->second, host))
        continue;
      auto h = state.hosts.find(inst->second.host);
      if (h == state.hosts.end()) continue;  // its host is gone: nothing reaches it
      if (auto underlay = net::ParseIpv4(h->second.underlay))
        out[id] = {.account = key.first, .region = key.second, .host = *underlay};
    }
  // The load balancers' nodes and the AWS services' endpoints run on the gateway host.
  const model::Host* g = model::GatewayHost(state);
  if (g && !model::RunsLoadBalancerNodes(state, host))
    if (auto underlay = net::ParseIpv4(g->underlay))
      for (const auto& [key, p] : state.partitions)
        for (const std::string& eni_id : OwnInterfaces(p)) out[eni_id] = {key.first, key.second, *underlay};
  return out;
}

InstanceHost::InstanceHost(dataplane::ModelSource& model, dataplane::Engine& engine, std::string data_dir,
                           std::string host, bool gateway)
    : model_(model), engine_(engine), data_dir_(std::move(data_dir)), prefix_(NamespacePrefix(data_dir_)),
      host_(std::move(host)), gateway_(gateway) {}

InstanceHost::~InstanceHost() { Stop(); }

std::string InstanceHost::InstanceDir(const std::string& id) const { return data_dir_ + "/instances/" + id; }

void InstanceHost::Start() {
  if (!CanManageNetwork()) throw std::runtime_error("needs root and /dev/net/tun");
  for (const auto& ns : ListNamespaces(prefix_)) {
    Log("removing " + ns + ", left by an earlier run");
    DeleteNamespace(ns);
  }
  std::filesystem::create_directories(data_dir_ + "/host");
  dhcp_script_ = std::filesystem::absolute(data_dir_ + "/host/udhcpc.sh").string();
  {
    std::ofstream f(dhcp_script_, std::ios::trunc);
    f << kDhcpScript;
  }
  chmod(dhcp_script_.c_str(), 0755);
  {
    std::ofstream f(data_dir_ + "/host/dhclient6.sh", std::ios::trunc);
    f << kDhcp6Script;
  }
  chmod((data_dir_ + "/host/dhclient6.sh").c_str(), 0755);
  std::ofstream(data_dir_ + "/host/dhclient6.conf", std::ios::trunc) << kDhcp6Config;
  StartMetadataService();
  if (gateway_) StartInternet();
  thread_ = std::thread([this] { Loop(); });
}

void InstanceHost::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stopped_) return;
    stopped_ = stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& [id, live] : live_) Teardown(id, live);
  live_.clear();
  for (const auto& [eni, r] : remote_) engine_.RemovePort(eni);
  remote_.clear();
  // Also after a Start() that failed half-way: what it made goes.
  metadata_.reset();
  dns_tcp_.reset();
  public_dns_.reset();
  engine_.RemoveServicePort();
  if (service_fd_ >= 0) close(service_fd_);
  service_fd_ = -1;
  if (NamespaceExists(prefix_ + "services")) DeleteNamespace(prefix_ + "services");
  engine_.RemoveInternetPort();
  if (internet_fd_ >= 0) close(internet_fd_);
  internet_fd_ = -1;
  if (NamespaceExists(prefix_ + "internet")) DeleteNamespace(prefix_ + "internet");
  while (waitpid(-1, nullptr, WNOHANG) > 0) {
  }
}

void InstanceHost::Notify() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void InstanceHost::WaitReconciled() {
  std::unique_lock lock(mu_);
  dirty_ = true;
  uint64_t target = passes_started_ + 1;
  cv_.notify_all();
  cv_.wait(lock, [&] { return passes_done_ >= target || stopping_; });
}

void InstanceHost::Loop() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait_for(lock, std::chrono::milliseconds(500), [&] { return dirty_ || stopping_; });
      if (stopping_) return;
      dirty_ = false;
      ++passes_started_;
    }
    while (waitpid(-1, nullptr, WNOHANG) > 0) {  // user data that has ended
    }
    try {
      Reconcile();
    } catch (const std::exception& e) {
      Log(std::string("reconcile: ") + e.what());
    }
    {
      std::lock_guard lock(mu_);
      ++passes_done_;
    }
    cv_.notify_all();
  }
}

void InstanceHost::Reconcile() {
  std::map<std::string, DesiredInstance> want;
  struct Terminating {
    std::string account, region, id;
  };
  std::vector<Terminating> terminating;
  std::map<std::string, RemoteInterface> remote;
  std::optional<net::Ipv4> internet;  // a host without its own: the gateway host's
  model_.Read([&](const model::State& s) {
    want = DesiredInstances(s, host_);
    if (!host_.empty()) remote = RemoteInterfaces(s, host_);
    if (const model::Host* g = gateway_ ? nullptr : model::GatewayHost(s)) internet = net::ParseIpv4(g->underlay);
    for (const auto& [key, p] : s.partitions)
      for (const auto& [id, inst] : p.instances)
        if (inst.state == "shutting-down" && model::RunsOn(inst, host_)) terminating.push_back({key.first, key.second, id});
  });
  SyncRemotePorts(remote);
  if (!gateway_ && internet != remote_internet_) {  // the gateway host came, went or changed
    if (internet) engine_.SetInternetPort({.mac = kInternetMac, .remote_host = internet});
    else engine_.RemoveInternetPort();
    remote_internet_ = internet;
  }
  for (auto it = live_.begin(); it != live_.end();) {
    if (want.count(it->first)) {
      ++it;
      continue;
    }
    Teardown(it->first, it->second);  // stopped or terminated: its processes end (guide: stop/terminate)
    it = live_.erase(it);
  }
  // Shutting down and nothing of it left here: terminated. (A report that fails is made again
  // at the next pass, since the instance stays shutting-down.)
  for (const auto& t : terminating)
    if (!live_.count(t.id) && on_gone_) {
      try {
        on_gone_(t.account, t.region, t.id);
      } catch (const std::exception& e) {
        Log("reporting " + t.id + " terminated: " + e.what());
      }
    }
  for (const auto& [id, w] : want) {
    auto it = live_.find(id);
    if (it == live_.end()) {
      Launch(w);
      continue;
    }
    LiveInstance& live = it->second;
    std::vector<std::string> gone;
    for (const auto& [eni, li] : live.interfaces)
      if (std::none_of(w.interfaces.begin(), w.interfaces.end(), [&](const auto& i) { return i.eni_id == eni; }))
        gone.push_back(eni);
    for (const auto& eni : gone) DetachInterface(eni, live);
    for (const auto& iface : w.interfaces) {
      if (!live.interfaces.count(iface.eni_id)) AttachInterface(w, iface, live);
      else SyncAddresses(iface, live);
    }
  }
  ReportConsoleOutput(want);
}

void InstanceHost::ReportConsoleOutput(const std::map<std::string, DesiredInstance>& running) {
  if (!on_console_) return;
  for (auto it = console_reported_.begin(); it != console_reported_.end();)  // gone instances
    it = running.count(it->first) ? std::next(it) : console_reported_.erase(it);
  for (const auto& [id, w] : running) {
    std::error_code ec;
    const uintmax_t size = std::filesystem::file_size(InstanceDir(id) + "/console.log", ec);
    if (ec || (console_reported_.count(id) && console_reported_[id] == size)) continue;
    try {
      on_console_(w.account, w.region, id, ConsoleOutput(id));
      console_reported_[id] = size;
    } catch (const std::exception& e) {  // reported again at the next pass
      Log("reporting the console output of " + id + ": " + e.what());
    }
  }
}

void InstanceHost::SyncRemotePorts(const std::map<std::string, RemoteInterface>& want) {
  for (auto it = remote_.begin(); it != remote_.end();) {
    auto w = want.find(it->first);
    if (w != want.end() && w->second.host == it->second.host) {
      ++it;
      continue;
    }
    engine_.RemovePort(it->first);
    it = remote_.erase(it);
  }
  for (const auto& [eni, r] : want) {
    if (remote_.count(eni)) continue;
    engine_.AddPort({.eni_id = eni, .account = r.account, .region = r.region, .remote_host = r.host});
    remote_[eni] = r;
  }
}

void InstanceHost::Launch(const DesiredInstance& want) {
  LiveInstance live{.ns = NamespaceOf(want.id)};
  try {
    if (NamespaceExists(live.ns)) DeleteNamespace(live.ns);
    CreateNamespace(live.ns);
    for (const auto& iface : want.interfaces) AttachInterface(want, iface, live);
    RunUserData(want, live);
  } catch (const std::exception& e) {
    Log("launch " + want.id + ": " + e.what());
    Teardown(want.id, live);
    return;
  }
  live_[want.id] = std::move(live);
}

void InstanceHost::Teardown(const std::string&, LiveInstance& live) {
  if (live.user_data_pid > 0) kill(-live.user_data_pid, SIGKILL);
  for (auto& [eni, li] : live.interfaces) {
    engine_.RemovePort(eni);
    close(li.fd);
  }
  live.interfaces.clear();
  DeleteNamespace(live.ns);
}

void InstanceHost::AttachInterface(const DesiredInstance& want, const DesiredInterface& iface, LiveInstance& live) {
  auto mac = dataplane::ParseMac(iface.mac);
  if (!mac) throw std::runtime_error("bad MAC " + iface.mac);
  LiveInterface li{.ifname = "eth" + std::to_string(iface.device_index)};
  li.fd = CreateTap(live.ns, li.ifname, {.mac = *mac});
  // Among hosts, a frame crosses the underlay as one UDP datagram with the VXLAN and virtio-net
  // headers: the instance's GSO frames stay small enough for that (65,507 bytes of payload).
  if (!host_.empty()) Run({"ip", "-n", live.ns, "link", "set", li.ifname, "gso_max_size", "60000"}, nullptr, 10);
  engine_.AddPort({.eni_id = iface.eni_id, .account = want.account, .region = want.region, .fd = li.fd});
  live.interfaces[iface.eni_id] = li;
  // The primary address by DHCP from the engine (Q5), as an instance's own client gets it.
  if (iface.ipv4) {
    std::string out;
    int rc = Run({"ip", "netns", "exec", live.ns, "busybox", "udhcpc", "-i", li.ifname, "-f", "-q", "-n", "-t", "5",
                  "-T", "1", "-A", "1", "-s", dhcp_script_},
                 &out, 20);
    if (rc != 0) Log("DHCP on " + want.id + "/" + li.ifname + " failed (" + std::to_string(rc) + "): " + out);
  } else {  // IPv6-only: the link up for DHCPv6 and router advertisements
    Run({"ip", "-n", live.ns, "link", "set", li.ifname, "up"}, nullptr, 10);
  }
  if (!iface.ipv6_addresses.empty()) {
    RunDhcpv6(want.id, li.ifname, live);
    live.interfaces[iface.eni_id].ipv6_addresses = iface.ipv6_addresses;  // what the lease held
  }
  SyncAddresses(iface, live);
}

void InstanceHost::RunDhcpv6(const std::string& instance_id, const std::string& ifname, LiveInstance& live) {
  // The instance's own client, as an AMI runs it (C11): dhclient -6 solicits, binds and goes
  // to the background; stopping it then leaves the addresses configured.
  std::string dir = std::filesystem::absolute(InstanceDir(instance_id)).string();
  std::filesystem::create_directories(dir);
  std::string host = std::filesystem::absolute(data_dir_ + "/host").string();
  std::string pid = dir + "/dhclient6-" + ifname + ".pid", out;
  int rc = Run({"ip", "netns", "exec", live.ns, "dhclient", "-6", "-1", "-cf", host + "/dhclient6.conf", "-sf",
                host + "/dhclient6.sh", "-lf", dir + "/dhclient6-" + ifname + ".leases", "-pf", pid, ifname},
               &out, 30);
  if (rc != 0) Log("DHCPv6 on " + instance_id + "/" + ifname + " failed (" + std::to_string(rc) + "): " + out);
  Run({"ip", "netns", "exec", live.ns, "dhclient", "-6", "-x", "-pf", pid}, nullptr, 10);
}

void InstanceHost::DetachInterface(const std::string& eni_id, LiveInstance& live) {
  auto it = live.interfaces.find(eni_id);
  if (it == live.interfaces.end()) return;
  engine_.RemovePort(eni_id);
  close(it->second.fd);  // the device leaves the namespace with its fd
  live.interfaces.erase(it);
}

void InstanceHost::SyncAddresses(const DesiredInterface& iface, LiveInstance& live) {
  LiveInterface& li = live.interfaces.at(iface.eni_id);
  for (const auto& ip : iface.secondary_ips)
    if (std::find(li.secondary_ips.begin(), li.secondary_ips.end(), ip) == li.secondary_ips.end())
      Run({"ip", "-n", live.ns, "addr", "add", ip + "/" + std::to_string(iface.prefix_length), "dev", li.ifname},
          nullptr, 10);
  for (const auto& ip : li.secondary_ips)
    if (std::find(iface.secondary_ips.begin(), iface.secondary_ips.end(), ip) == iface.secondary_ips.end())
      Run({"ip", "-n", live.ns, "addr", "del", ip + "/" + std::to_string(iface.prefix_length), "dev", li.ifname},
          nullptr, 10);
  li.secondary_ips = iface.secondary_ips;
  for (const auto& ip : iface.ipv6_addresses)
    if (std::find(li.ipv6_addresses.begin(), li.ipv6_addresses.end(), ip) == li.ipv6_addresses.end())
      Run({"ip", "-n", live.ns, "-6", "addr", "add", ip + "/128", "dev", li.ifname, "nodad"}, nullptr, 10);
  for (const auto& ip : li.ipv6_addresses)
    if (std::find(iface.ipv6_addresses.begin(), iface.ipv6_addresses.end(), ip) == iface.ipv6_addresses.end())
      Run({"ip", "-n", live.ns, "-6", "addr", "del", ip + "/128", "dev", li.ifname}, nullptr, 10);
  li.ipv6_addresses = iface.ipv6_addresses;
}

void InstanceHost::RunUserData(const DesiredInstance& want, LiveInstance& live) {
  if (want.user_data.empty()) return;
  auto script = model::DecodeBase64(want.user_data);
  if (!script || script->rfind("#!", 0) != 0) return;  // only scripts run; cloud-config is not ours to read
  std::string dir = InstanceDir(want.id);
  std::filesystem::create_directories(dir);
  std::string path = std::filesystem::absolute(dir + "/user-data").string();
  {
    std::ofstream f(path, std::ios::trunc | std::ios::binary);
    f << *script;
  }
  chmod(path.c_str(), 0755);
  live.user_data_pid = Spawn({"ip", "netns", "exec", live.ns, path}, dir + "/console.log");
}

std::string InstanceHost::ConsoleOutput(const std::string& instance_id) const {
  std::ifstream f(InstanceDir(instance_id) + "/console.log", std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  std::string s = ss.str();
  return s.size() > model::kConsoleOutputLimit ? s.substr(s.size() - model::kConsoleOutputLimit) : s;
}

namespace {

// A TCP socket listening on ADDRESS:PORT inside namespace NS (made by a thread that setns'es).
// A TCP socket listening on ADDRESS (sockaddr_in or sockaddr_in6) inside namespace NS, made by a
// thread that enters it, so the socket stays there while openvpc holds the fd.
int ListenInNamespace(const std::string& ns, const sockaddr_storage& address, socklen_t length,
                      const std::string& what) {
  int listen_fd = -1;
  std::string error;
  std::thread t([&] {
    int nsfd = open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
    if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
      error = "setns " + ns;
      if (nsfd >= 0) close(nsfd);
      return;
    }
    close(nsfd);
    int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (address.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    if (bind(fd, reinterpret_cast<const sockaddr*>(&address), length) != 0 || listen(fd, 128) != 0) {
      error = "bind " + what + ": " + strerror(errno);
      close(fd);
      return;
    }
    listen_fd = fd;
  });
  t.join();
  if (listen_fd < 0) throw std::runtime_error(error);
  return listen_fd;
}

int ListenInNamespace(const std::string& ns, net::Ipv4 address, uint16_t port) {
  sockaddr_storage ss{};
  auto& a = reinterpret_cast<sockaddr_in&>(ss);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(address.value);
  return ListenInNamespace(ns, ss, sizeof a, address.ToString() + ":" + std::to_string(port));
}

int ListenInNamespace(const std::string& ns, const net::Ipv6& address, uint16_t port) {
  sockaddr_storage ss{};
  auto& a = reinterpret_cast<sockaddr_in6&>(ss);
  a.sin6_family = AF_INET6;
  a.sin6_port = htons(port);
  std::memcpy(a.sin6_addr.s6_addr, address.bytes.data(), 16);
  return ListenInNamespace(ns, ss, sizeof a, "[" + address.ToString() + "]:" + std::to_string(port));
}

}  // namespace

void InstanceHost::StartInternet() {
  // The internet beyond the internet gateways: one namespace whose hosts sit on 203.0.113.0/24
  // (203.0.113.10 to begin with) behind the router at 203.0.113.1, which leads to the public
  // address pool. Nothing here reaches the host's own network. The internet's MTU is 1500, as
  // traffic through an internet gateway has (TCP's MSS keeps the instances' segments to it).
  const std::string ns = prefix_ + "internet";
  CreateNamespace(ns);
  internet_fd_ = CreateTap(ns, "eth0", {.mac = kInternetMac, .mtu = 1500});
  std::string pool;
  model_.Read([&](const model::State& s) { pool = s.public_ipv4_pool; });
  std::string out;
  // IPv6: the host 3fff::10 (RFC 9637's documentation block), the VPCs' blocks (Amazon's pool,
  // simulated from 2001:db8::/32) behind the router's link-local address.
  if (Run({"ip", "-n", ns, "addr", "add", std::string(kInternetHost) + "/24", "dev", "eth0"}, &out, 10) != 0 ||
      Run({"ip", "-n", ns, "route", "add", pool, "via", "203.0.113.1", "dev", "eth0"}, &out, 10) != 0 ||
      Run({"ip", "-n", ns, "-6", "addr", "add", std::string(kInternetHost6) + "/64", "dev", "eth0", "nodad"}, &out,
          10) != 0 ||
      Run({"ip", "-n", ns, "-6", "route", "add", "2001:db8::/32", "via", "fe80::ff:fe00:1", "dev", "eth0"}, &out,
          10) != 0)
    throw std::runtime_error("configuring the internet namespace: " + out);
  // The AWS services network's public side: the pool's addresses are the internet's own, where
  // openvpc's services listen (host/services_network.h); nothing else answers there.
  std::string services_pool;
  model_.Read([&](const model::State& s) { services_pool = s.services_pool; });
  // What comes through gateway endpoints comes from the interfaces' aliases: back by the router.
  if (Run({"ip", "-n", ns, "addr", "add", services_pool, "dev", "lo"}, &out, 10) != 0 ||
      Run({"ip", "-n", ns, "link", "set", "lo", "up"}, &out, 10) != 0 ||
      Run({"ip", "-n", ns, "route", "add", "100.64.0.0/10", "via", "203.0.113.1", "dev", "eth0"}, &out, 10) != 0)
    throw std::runtime_error("the services network in the internet namespace: " + out);
  // The internet's public DNS (Amazon's public names: load balancers, instances' public names).
  if (Run({"ip", "-n", ns, "addr", "add", std::string(kInternetDns) + "/24", "dev", "eth0"}, &out, 10) != 0)
    throw std::runtime_error("configuring the internet's DNS: " + out);
  const int dns_fd = InNamespace(ns, [] { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); });
  sockaddr_in at{};
  at.sin_family = AF_INET;
  at.sin_port = htons(53);
  at.sin_addr.s_addr = htonl(net::ParseIpv4(kInternetDns)->value);
  if (dns_fd < 0 || bind(dns_fd, reinterpret_cast<sockaddr*>(&at), sizeof at) != 0) {
    if (dns_fd >= 0) close(dns_fd);
    throw std::runtime_error("the internet's DNS socket: " + std::string(strerror(errno)));
  }
  public_dns_ = std::make_unique<dataplane::UdpDnsServer>(dns_fd, [this](std::span<const uint8_t> query) {
    std::optional<std::vector<uint8_t>> reply;
    auto q = dataplane::ParseDnsQuery(query);
    if (!q) return reply;
    model_.Read([&](const model::State& s) { reply = dataplane::BuildDnsResponse(*q, dataplane::ResolvePublic(s, *q)); });
    return reply;
  });
  engine_.SetInternetPort({.fd = internet_fd_, .mac = kInternetMac});
}

void InstanceHost::StartMetadataService() {
  const std::string ns = prefix_ + "services";
  CreateNamespace(ns);
  service_fd_ = CreateTap(ns, "svc0", {.mac = kServiceMac, .offloads = false});
  std::string out;
  if (Run({"ip", "-n", ns, "addr", "add", "169.254.169.254/32", "dev", "svc0"}, &out, 10) != 0 ||
      Run({"ip", "-n", ns, "addr", "add", "169.254.169.253/32", "dev", "svc0"}, &out, 10) != 0 ||
      Run({"ip", "-n", ns, "route", "add", "100.64.0.0/10", "dev", "svc0"}, &out, 10) != 0)
    throw std::runtime_error("configuring the services namespace: " + out);
  // IPv6: the metadata service at fd00:ec2::254; the interfaces' IPv6 aliases behind the router,
  // whose address is known (no neighbour discovery with the engine).
  const std::string router_ll = dataplane::RouterLinkLocal().ToString();
  const std::string alias6 = dataplane::kServiceAlias6Prefix.ToString() + "/96";
  if (Run({"ip", "-n", ns, "-6", "addr", "add", dataplane::kMetadataIpv6.ToString() + "/128", "dev", "svc0", "nodad"},
          &out, 10) != 0 ||
      Run({"ip", "-n", ns, "-6", "neigh", "replace", router_ll, "lladdr", dataplane::MacToString(dataplane::kRouterMac),
           "dev", "svc0", "nud", "permanent"},
          &out, 10) != 0 ||
      Run({"ip", "-n", ns, "-6", "route", "add", alias6, "via", router_ll, "dev", "svc0"}, &out, 10) != 0)
    throw std::runtime_error("configuring IPv6 in the services namespace: " + out);
  int metadata_fd = ListenInNamespace(ns, dataplane::kMetadataAddress, 80);
  int metadata6_fd = ListenInNamespace(ns, dataplane::kMetadataIpv6, 80);
  int dns_fd = ListenInNamespace(ns, dataplane::kResolverLinkLocal, 53);
  engine_.SetServicePort({.fd = service_fd_, .mac = kServiceMac});
  metadata_ = std::make_unique<dataplane::MetadataServer>(
      std::vector<int>{metadata_fd, metadata6_fd}, [this](uint32_t peer) -> std::optional<dataplane::InstanceMetadata> {
        auto eni = engine_.InterfaceOfAlias(net::Ipv4{peer});
        if (!eni) return std::nullopt;
        std::optional<dataplane::InstanceMetadata> md;
        model_.Read([&](const model::State& s) { md = dataplane::MetadataFor(s, *eni); });
        if (md && md->iam && on_role_credentials_) {
          const std::string& arn = md->iam->profile_arn;
          const std::string role = arn.substr(0, arn.find(":instance-profile/")) + ":role/" + md->iam->role_name;
          if (auto creds = on_role_credentials_(md->account_id, role, md->instance_id)) {
            creds->profile_arn = md->iam->profile_arn;
            creds->profile_id = md->iam->profile_id;
            creds->role_name = md->iam->role_name;
            md->iam = *creds;
          }
        }
        return md;
      });
  dns_tcp_ = std::make_unique<dataplane::DnsTcpServer>(
      dns_fd, [this](uint32_t peer, std::span<const uint8_t> query) -> std::optional<std::vector<uint8_t>> {
        auto eni = engine_.InterfaceOfAlias(net::Ipv4{peer});
        auto q = dataplane::ParseDnsQuery(query);
        if (!eni || !q) return std::nullopt;
        std::optional<std::vector<uint8_t>> response;
        model_.Read([&](const model::State& s) {
          for (const auto& [key, p] : s.partitions)
            if (auto it = p.network_interfaces.find(*eni); it != p.network_interfaces.end())
              if (auto answer = dataplane::Resolve(s, p, it->second, *q)) response = dataplane::BuildDnsResponse(*q, *answer);
        });
        return response;
      });
}

}  // namespace openvpc::host
