// `openvpc trace`: how a new flow fares, stage by stage, from a data directory's state (read
// only), by the very stage functions the engine runs.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "dataplane/pipeline.h"
#include "host/instance_host.h"
#include "model/rules.h"
#include "net/ip.h"
#include "store/codec.h"
#include "store/store.h"

namespace openvpc::cli {

namespace fs = std::filesystem;

namespace {

struct TraceFlags {
  std::string data_dir = ".openvpc";
  std::string store = "sqlite";
  std::string from, to, protocol = "tcp";
  int icmp_type = -1, icmp_code = -1;  // -1: an echo request
  bool json = false;
};

// `openvpc trace`: the stages that decide a new flow, from the data directory's state (read
// only). Exit status 0 allowed, 1 dropped, 2 bad input (3, from the caller: the state could not
// be read).
int RunTrace(const TraceFlags& f) {
  auto db = fs::path(f.data_dir) / "openvpc.db";
  if (f.store == "sqlite" && !fs::exists(db)) {
    fprintf(stderr, "openvpc trace: no state at %s\n", db.c_str());
    return 2;
  }
  model::RegisterAllRules();
  // Read only, so that any number of traces may run beside the server and each other.
  model::State state = store::DecodeState(store::OpenStore(f.store, f.data_dir, {.read_only = true})->LoadAll());

  // --to IP[:PORT], IPV6 or [IPV6]:PORT
  std::string to_ip = f.to;
  const bool icmp = f.protocol == "icmp" || f.protocol == "icmpv6";
  int port = icmp ? 0 : 80;
  size_t colon = std::string::npos;
  if (!f.to.empty() && f.to[0] == '[') {
    auto close = f.to.find(']');
    to_ip = f.to.substr(1, close == std::string::npos ? std::string::npos : close - 1);
    if (close != std::string::npos && close + 1 < f.to.size()) colon = f.to[close + 1] == ':' ? close + 1 : f.to.size();
  } else if (f.to.find(':') == f.to.rfind(':')) {
    colon = f.to.find(':');
    if (colon != std::string::npos) to_ip = f.to.substr(0, colon);
  }
  if (colon != std::string::npos) {
    try {
      size_t used = 0;
      port = std::stoi(f.to.substr(colon + 1), &used);
      if (used != f.to.size() - colon - 1 || port < 0 || port > 65535) throw std::invalid_argument("port");
    } catch (const std::exception&) {
      fprintf(stderr, "openvpc trace: bad port in --to '%s'\n", f.to.c_str());
      return 2;
    }
  }
  auto dst = net::ParseIpv4(to_ip);
  auto dst6 = net::ParseIpv6(to_ip);
  if (!dst && !dst6) {
    fprintf(stderr, "openvpc trace: --to wants IPV4[:PORT], IPV6 or [IPV6]:PORT, got '%s'\n", f.to.c_str());
    return 2;
  }
  if ((f.protocol == "icmpv6" && !dst6) || (f.protocol == "icmp" && dst6)) {
    fprintf(stderr, "openvpc trace: %s goes with %s addresses; --to is %s\n", f.protocol.c_str(),
            f.protocol == "icmp" ? "IPv4" : "IPv6", to_ip.c_str());
    return 2;
  }
  if (!icmp && (f.icmp_type >= 0 || f.icmp_code >= 0)) {
    fprintf(stderr, "openvpc trace: --icmp-type and --icmp-code go with --protocol icmp or icmpv6\n");
    return 2;
  }

  // --from: an instance (its device-index-0 interface), an interface, a private address, or the
  // internet (its host 203.0.113.10 / 3fff::10) toward a public address.
  const model::Partition* part = nullptr;
  const model::NetworkInterface* src = nullptr;
  std::string src_ip;
  const bool from_internet = f.from == "internet";
  for (const auto& [key, p] : state.partitions) {
    if (from_internet) break;
    for (const auto& [id, eni] : p.network_interfaces) {
      bool hit = eni.id == f.from ||
                 (eni.attachment && eni.attachment->instance_id == f.from && eni.attachment->device_index == 0);
      for (const auto& ip : eni.private_ips)
        if (ip.address == f.from) {
          hit = true;
          src_ip = ip.address;
        }
      for (const auto& ip : eni.ipv6_addresses)
        if (ip == f.from || net::ParseIpv6(ip) == net::ParseIpv6(f.from)) {
          hit = true;
          src_ip = ip;
        }
      if (hit) {
        part = &p;
        src = &eni;
        break;
      }
    }
    if (src) break;
  }
  if (!src && !from_internet) {
    fprintf(stderr, "openvpc trace: no instance, network interface or private address '%s'\n", f.from.c_str());
    return 2;
  }
  model::Flow flow;
  flow.ipv6 = dst6.has_value();
  if (from_internet) {
    src_ip = flow.ipv6 ? host::kInternetHost6 : host::kInternetHost;
    flow.src = *net::ParseIpv4(host::kInternetHost);
    flow.src6 = *net::ParseIpv6(host::kInternetHost6);
    if (flow.ipv6) flow.dst6 = *dst6;
    else flow.dst = *dst;
  } else if (flow.ipv6) {
    if (src_ip.empty() && !src->ipv6_addresses.empty()) src_ip = src->ipv6_addresses.front();
    if (!net::ParseIpv6(src_ip)) {
      fprintf(stderr, "openvpc trace: %s has no IPv6 address to send to %s from\n", src->id.c_str(), to_ip.c_str());
      return 2;
    }
    flow.src6 = *net::ParseIpv6(src_ip);
    flow.dst6 = *dst6;
  } else {
    if (src_ip.empty() || !net::ParseIpv4(src_ip)) src_ip = src->PrimaryIp();
    flow.src = *net::ParseIpv4(src_ip);
    flow.dst = *dst;
  }
  if (f.protocol == "tcp" || f.protocol == "udp") {
    flow.protocol = f.protocol == "tcp" ? 6 : 17;
    flow.src_port = 49152;
    flow.dst_port = port;
  } else {  // an echo request unless told otherwise
    flow.protocol = flow.ipv6 ? 58 : 1;
    flow.icmp_type = f.icmp_type >= 0 ? f.icmp_type : flow.ipv6 ? 128 : 8;
    flow.icmp_code = f.icmp_code >= 0 ? f.icmp_code : 0;
  }
  dataplane::TraceResult t;
  if (from_internet) {  // the partition whose interface holds the address; public addresses are unique
    for (const auto& [key, p] : state.partitions) {
      t = dataplane::TraceFromInternet(p, flow);
      if (t.destination || !t.nat_gateway.empty() || t.stages.back().explanation_code != "NO_DESTINATION_INTERFACE")
        break;
    }
    if (t.stages.empty())
      t.stages.push_back({.stage = 7, .name = "internet-gateway", .allowed = false, .rule = to_ip,
                          .explanation_code = "NO_DESTINATION_INTERFACE"});
  } else {
    t = dataplane::Trace(*part, *src, flow, {.state = &state});
  }
  const std::string src_name = src ? src->id : "internet";
  // ALLOW-TO-TARGET: the stages up to a gateway this data plane does not forward yet allow it.
  const bool forwarded = t.exit_target.empty() || t.to_internet;
  std::string verdict = !t.allowed ? "DROP" : forwarded ? "ALLOW" : "ALLOW-TO-TARGET";
  if (f.json) {
    nlohmann::json j;
    j["source"] = {{"address", src_ip}};
    if (src) j["source"]["network_interface"] = src->id;
    else j["source"]["internet"] = true;
    j["destination"] = {{"address", to_ip}};
    if (t.destination) j["destination"]["network_interface"] = t.destination->id;
    j["protocol"] = f.protocol;
    if (!icmp) j["port"] = port;
    j["stages"] = nlohmann::json::array();
    for (const auto& s : t.stages) {
      nlohmann::json js = {{"stage", s.stage}, {"name", s.name}, {"allowed", s.allowed},
                           {"component", s.component}, {"rule", s.rule}};
      if (!s.explanation_code.empty()) js["explanation_code"] = s.explanation_code;
      if (!s.note.empty()) js["note"] = s.note;
      j["stages"].push_back(js);
    }
    j["verdict"] = verdict;
    j["allowed"] = t.allowed;
    if (!t.exit_target.empty()) j["target"] = t.exit_target;
    if (!t.nat_gateway.empty()) j["nat_gateway"] = t.nat_gateway;
    if (t.translated_src) j["translated_source"] = t.translated_src->ToString();
    if (t.translated_dst) j["translated_destination"] = t.translated_dst->ToString();
    if (t.lb_target) j["translated_destination"] = net::AddressText(*t.lb_target);  // the target a load balancer chose
    if (t.lb_seen_src) j["translated_source"] = net::AddressText(*t.lb_seen_src);
    if (!t.allowed) {
      j["explanation_code"] = t.stages.back().explanation_code;
      j["component"] = t.stages.back().component;
    }
    printf("%s\n", j.dump(2).c_str());
  } else {
    printf("trace %s (%s) -> %s %s%s\n", src_name.c_str(), src_ip.c_str(), to_ip.c_str(), f.protocol.c_str(),
           icmp ? "" : (":" + std::to_string(port)).c_str());
    for (const auto& s : t.stages) {
      std::string line = std::to_string(s.stage) + " " + s.name;
      line.resize(std::max<size_t>(line.size() + 2, 28), ' ');
      line += !s.allowed ? "DROP   " : s.rule.empty() && !s.note.empty() ? "SKIP   " : "ALLOW  ";
      line += s.component;
      if (!s.rule.empty()) line += " " + s.rule;
      if (!s.explanation_code.empty()) line += "  [" + s.explanation_code + "]";
      if (!s.note.empty()) line += "  (" + s.note + ")";
      printf("%s\n", line.c_str());
    }
    printf("verdict: %s%s\n", verdict.c_str(),
           t.allowed ? "" : ("  " + t.stages.back().explanation_code + " at " + t.stages.back().component).c_str());
  }
  return t.allowed ? 0 : 1;
}

}  // namespace

std::function<int()> AddTraceCommand(CLI::App& app) {
  auto tf = std::make_shared<TraceFlags>();
  auto* trace = app.add_subcommand("trace", "Explain how a new IPv4 or IPv6 flow fares, stage by stage (read-only)");
  trace->add_option("--data-dir", tf->data_dir, "where state lives (SQLite)")->capture_default_str();
  trace->add_option("--store", tf->store, "sqlite (DATA_DIR/openvpc.db) or etcd://HOST:PORT[,HOST:PORT...]")
      ->capture_default_str();
  trace->add_option("--from", tf->from, "INSTANCE-ID, ENI-ID, private IPv4 or IPv6 address, or `internet`")
      ->required();
  trace->add_option("--to", tf->to, "IPV4[:PORT], IPV6 or [IPV6]:PORT (port 80 when omitted)")->required();
  trace->add_option("--protocol", tf->protocol, "tcp|udp|icmp|icmpv6")
      ->check(CLI::IsMember({"tcp", "udp", "icmp", "icmpv6"}))
      ->capture_default_str();
  trace->add_option("--icmp-type", tf->icmp_type, "ICMP or ICMPv6 type (default: echo request, 8 or 128)")
      ->check(CLI::Range(0, 255));
  trace->add_option("--icmp-code", tf->icmp_code, "ICMP or ICMPv6 code (default 0)")->check(CLI::Range(0, 255));
  trace->add_flag("--json", tf->json, "print the stages as JSON");
  return [tf] {
    try {
      return RunTrace(*tf);
    } catch (const std::exception& e) {  // the state could not be read: not the caller's input
      fprintf(stderr, "openvpc trace: cannot read the state in %s: %s\n",
              tf->store == "sqlite" ? tf->data_dir.c_str() : tf->store.c_str(), e.what());
      return 3;
    }
  };
}

}  // namespace openvpc::cli
