// openvpc: a self-hosted Amazon VPC. `openvpc serve` runs the EC2 endpoint.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/http_server.h"
#include "api/service.h"
#include "dataplane/engine.h"
#include "dataplane/pipeline.h"
#include "host/instance_host.h"
#include "host/netns.h"
#include "model/instance.h"
#include "model/nat_gateway.h"
#include "model/vpc_peering.h"
#include "net/ip.h"
#include "store/codec.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace openvpc;

namespace {

// The API service as the data plane's model source.
class ServiceModel : public dataplane::ModelSource {
 public:
  explicit ServiceModel(api::Service& s) : s_(s) {}
  void Read(const std::function<void(const model::State&)>& fn) override { s_.Read(fn); }
  uint64_t Version() const override { return s_.Version(); }

 private:
  api::Service& s_;
};

struct ServeFlags {
  std::string listen = "127.0.0.1:4566";
  std::string data_dir = ".openvpc";
  std::string credentials;
  std::string dataplane = "on";
  std::vector<std::string> quotas;
  std::string sync = "normal";
  std::string public_ipv4_pool = "198.51.100.0/24";
  bool lenient_shapes = false;
  bool allow_reset = false;
  int http_timeout = 60;
};

// True for 127.0.0.0/8 and ::1: the addresses only this machine reaches.
bool IsLoopback(const std::string& host) {
  if (auto v4 = net::ParseIpv4(host)) return (v4->value >> 24) == 127;
  std::string h = host.size() > 2 && host.front() == '[' && host.back() == ']' ? host.substr(1, host.size() - 2) : host;
  auto v6 = net::ParseIpv6(h);
  return v6 && *v6 == net::Ipv6{{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
}

// NAME=VALUE quota settings; `source` names where they came from for error messages.
void ApplyQuota(model::Quotas& q, const std::string& setting, const std::string& source) {
  auto eq = setting.find('=');
  std::string name = setting.substr(0, eq);
  int value = 0;
  try {
    if (eq == std::string::npos) throw std::invalid_argument(setting);
    value = std::stoi(setting.substr(eq + 1));
  } catch (const std::exception&) {
    throw std::runtime_error(source + ": expected NAME=VALUE, got '" + setting + "'");
  }
  if (value < 0 || !q.Set(name, value)) {
    std::string names;
    for (const auto& [n, v] : q.values) names += " " + n;
    throw std::runtime_error(source + ": unknown quota or bad value '" + setting + "'; quotas:" + names);
  }
}

int Serve(const ServeFlags& f) {
  fs::create_directories(f.data_dir);
  std::string cred_path = f.credentials;
  if (cred_path.empty()) {
    cred_path = (fs::path(f.data_dir) / "credentials").string();
    if (!fs::exists(cred_path)) std::ofstream(cred_path) << "# ACCESS_KEY SECRET ACCOUNT_ID\ntest test 123456789012\n";
  }
  api::ServiceOptions options;
  options.credentials = api::LoadCredentials(cred_path);
  options.strict_shapes = !f.lenient_shapes;
  options.public_ipv4_pool = f.public_ipv4_pool;
  // Quota increases: the data directory's `quotas` file, then --quota flags.
  if (std::ifstream qf{fs::path(f.data_dir) / "quotas"}) {
    std::string line;
    while (std::getline(qf, line)) {
      if (auto h = line.find('#'); h != std::string::npos) line.resize(h);
      line.erase(0, line.find_first_not_of(" \t"));
      line.erase(line.find_last_not_of(" \t\r") + 1);
      if (!line.empty()) ApplyQuota(options.quotas, line, "quotas file");
    }
  }
  for (const auto& q : f.quotas) ApplyQuota(options.quotas, q, "--quota");
  if (std::string problem = options.quotas.Problem(); !problem.empty()) throw std::runtime_error(problem);

  auto colon = f.listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen wants HOST:PORT, got '" + f.listen + "'");
  std::string host = f.listen.substr(0, colon);
  int port = std::stoi(f.listen.substr(colon + 1));

  options.allow_reset = f.allow_reset || IsLoopback(host);

  auto store = store::OpenSqliteStore((fs::path(f.data_dir) / "openvpc.db").string(), f.sync == "full");
  api::Service service(std::move(store), std::move(options));
  ServiceModel model(service);
  std::unique_ptr<dataplane::Engine> engine;
  std::unique_ptr<host::InstanceHost> instances;
  if (f.dataplane == "on" && !host::CanManageNetwork()) {
    fprintf(stderr, "openvpc: not running as root: no data plane, serving the API alone\n");
  } else if (f.dataplane == "on") {
    engine = std::make_unique<dataplane::Engine>(model);
    engine->Start();
    instances = std::make_unique<host::InstanceHost>(model, *engine, f.data_dir);
    try {
      instances->Start();
      service.SetCommitListener([&] { instances->Notify(); });
      service.SetConsoleSource([&](const std::string& id) { return instances->ConsoleOutput(id); });
      fprintf(stderr, "openvpc: data plane up: instances are namespaces %s<instance-id>\n",
              host::NamespacePrefix(f.data_dir).c_str());
    } catch (const std::exception& e) {
      fprintf(stderr, "openvpc: data plane failed to start (%s); serving the API alone\n", e.what());
      instances.reset();
      engine.reset();
    }
  }
  // Connections do not hold threads or much memory: let them have every descriptor the hard
  // limit allows (the server keeps accepting when they run out anyway).
  if (rlimit nofile{}; getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
    nofile.rlim_cur = nofile.rlim_max;
    setrlimit(RLIMIT_NOFILE, &nofile);
  }
  api::HttpLimits limits;
  limits.header_timeout = limits.body_timeout = limits.write_timeout = std::chrono::seconds(f.http_timeout);
  api::ServeHttp(
      host, port, service,
      [](const std::string& where) { fprintf(stderr, "openvpc: EC2 API on http://%s\n", where.c_str()); }, limits);
  // The data plane first: its threads read the model, which Quiesce() locks for good.
  if (instances) instances->Stop();
  if (engine) engine->Stop();
  service.Quiesce();  // no write is half done when the process ends
  fprintf(stderr, "openvpc: stopped\n");
  fflush(stderr);
  _exit(0);  // connection threads are detached; every acknowledged write is already committed
}

struct TraceFlags {
  std::string data_dir = ".openvpc";
  std::string from, to, protocol = "tcp";
  bool json = false;
};

// `openvpc trace`: the stages that decide a new flow, from the data directory's state (read
// only). Exit status 0 allowed, 1 dropped, 2 bad input.
int RunTrace(const TraceFlags& f) {
  auto db = fs::path(f.data_dir) / "openvpc.db";
  if (!fs::exists(db)) {
    fprintf(stderr, "openvpc trace: no state at %s\n", db.c_str());
    return 2;
  }
  model::RegisterInstanceRules();
  model::RegisterNatGatewayRules();
  model::RegisterVpcPeeringRules();
  model::State state;
  for (const auto& row : store::OpenSqliteStore(db.string(), false)->LoadAll())
    if (row.key.rfind("token/", 0) != 0) store::DecodeRow(state, row);

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
  } else {  // an echo request
    flow.protocol = flow.ipv6 ? 58 : 1;
    flow.icmp_type = flow.ipv6 ? 128 : 8;
    flow.icmp_code = 0;
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
  const bool forwarded =
      t.exit_target.empty() || t.exit_target.rfind("igw-", 0) == 0 || t.exit_target.rfind("eigw-", 0) == 0;
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

// `openvpc exec [--data-dir DIR] INSTANCE-ID|internet -- CMD…`: CMD inside the instance's
// namespace (or the simulated internet's, whose host is 203.0.113.10), with its resolv.conf,
// exiting with CMD's status (125 when the instance is not running here).
int Exec(int argc, char** argv) {
  std::string data_dir = ".openvpc", target;
  int i = 2;
  for (; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a == "--data-dir" && i + 1 < argc) data_dir = argv[++i];
    else if (a.rfind("--data-dir=", 0) == 0) data_dir = a.substr(11);
    else if (a == "-h" || a == "--help") target.clear(), i = argc;
    else if (target.empty() && a[0] != '-') target = a;
    else {
      fprintf(stderr, "openvpc exec: unexpected '%s'\n", a.c_str());
      return 125;
    }
  }
  if (target.empty() || i >= argc) {
    fprintf(stderr, "usage: openvpc exec [--data-dir DIR] INSTANCE-ID|internet -- COMMAND [ARGS…]\n");
    return 125;
  }
  std::string ns = host::NamespacePrefix(data_dir) + target;
  if (!host::NamespaceExists(ns)) {
    fprintf(stderr, "openvpc exec: %s is not running under %s (no namespace %s)\n", target.c_str(), data_dir.c_str(),
            ns.c_str());
    return 125;
  }
  std::vector<char*> args = {const_cast<char*>("ip"), const_cast<char*>("netns"), const_cast<char*>("exec"), ns.data()};
  for (; i < argc; ++i) args.push_back(argv[i]);
  args.push_back(nullptr);
  execvp("ip", args.data());
  perror("openvpc exec: ip");
  return 127;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "exec") return Exec(argc, argv);
  CLI::App app{"openvpc: a self-hosted Amazon VPC (EC2 API networking and a real data plane)"};
  app.require_subcommand(1);
  ServeFlags f;
  auto* serve = app.add_subcommand("serve", "Serve the EC2 Query API");
  serve->add_option("--listen", f.listen, "HOST:PORT to listen on")->capture_default_str();
  serve->add_option("--data-dir", f.data_dir, "where state lives (SQLite)")->capture_default_str();
  serve->add_option("--credentials", f.credentials,
                    "file of 'ACCESS_KEY SECRET ACCOUNT_ID' lines (default: DATA_DIR/credentials, "
                    "created with 'test test 123456789012')");
  serve->add_option("--dataplane", f.dataplane, "on|off")->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  serve->add_option("--quota", f.quotas, "raise a quota, NAME=VALUE (e.g. vpcs-per-region=100); repeatable");
  serve->add_option("--sync", f.sync, "normal: durable across crashes of openvpc; full: also across power loss")
      ->check(CLI::IsMember({"normal", "full"}))
      ->capture_default_str();
  serve->add_option("--public-ipv4-pool", f.public_ipv4_pool,
                    "CIDR that public IPv4 addresses and Elastic IPs come from")
      ->capture_default_str();
  serve->add_flag("--lenient-shapes", f.lenient_shapes,
                  "drop response members outside the output shape instead of failing the request");
  serve->add_option("--http-timeout", f.http_timeout,
                    "seconds a connection may stay idle between requests, or take to send a request or read a "
                    "response, before it is closed")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve->add_flag("--allow-reset", f.allow_reset,
                  "allow POST /_openvpc/reset (wipes every account) while listening on a non-loopback address");
  app.add_subcommand("exec", "Run a command inside a running instance or the simulated internet: exec [--data-dir DIR] INSTANCE-ID|internet -- CMD...");
  TraceFlags tf;
  auto* trace = app.add_subcommand("trace", "Explain how a new IPv4 or IPv6 flow fares, stage by stage (read-only)");
  trace->add_option("--data-dir", tf.data_dir, "where state lives (SQLite)")->capture_default_str();
  trace->add_option("--from", tf.from, "INSTANCE-ID, ENI-ID, private IPv4 or IPv6 address, or `internet`")
      ->required();
  trace->add_option("--to", tf.to, "IPV4[:PORT], IPV6 or [IPV6]:PORT (port 80 when omitted)")->required();
  trace->add_option("--protocol", tf.protocol, "tcp|udp|icmp|icmpv6")
      ->check(CLI::IsMember({"tcp", "udp", "icmp", "icmpv6"}))
      ->capture_default_str();
  trace->add_flag("--json", tf.json, "print the stages as JSON");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return argc > 1 && std::string(argv[1]) == "trace" && rc != 0 ? 2 : rc;
  }
  try {
    if (serve->parsed()) return Serve(f);
    if (trace->parsed()) return RunTrace(tf);
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: %s\n", e.what());
    return trace->parsed() ? 2 : 1;
  }
  return 0;
}
