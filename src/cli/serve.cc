// `openvpc serve`: the API endpoint, its store and, as root, the data plane.
#include <sys/resource.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include "api/http_server.h"
#include "api/service.h"
#include "cli/commands.h"
#include "cli/data_plane.h"
#include "net/ip.h"
#include "store/store.h"

namespace openvpc::cli {

namespace fs = std::filesystem;

namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:4566";
  std::string data_dir = ".openvpc";
  std::string store = "sqlite";
  std::string credentials;
  std::string dataplane = "on";
  std::vector<std::string> quotas;
  std::string sync = "normal";
  std::string public_ipv4_pool = "198.51.100.0/24";
  std::string services_pool = "192.0.2.0/24";
  std::string s3_dir;  // "" : DATA_DIR/s3
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
  options.services_pool = f.services_pool;
  options.s3_dir = f.s3_dir.empty() ? (fs::path(f.data_dir) / "s3").string() : f.s3_dir;
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

  auto store = store::OpenStore(f.store, f.data_dir, {.read_only = false, .full_sync = f.sync == "full"});
  api::Service service(std::move(store), std::move(options));
  DataPlane data_plane;
  if (f.dataplane == "on") data_plane.Start(service, f.data_dir, {});
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
  data_plane.Stop();
  service.Quiesce();  // no write is half done when the process ends
  fprintf(stderr, "openvpc: stopped\n");
  fflush(stderr);
  _exit(0);  // connection threads are detached; every acknowledged write is already committed
}

}  // namespace

std::function<int()> AddServeCommand(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* serve = app.add_subcommand("serve", "Serve the EC2 Query API");
  serve->add_option("--listen", f->listen, "HOST:PORT to listen on")->capture_default_str();
  serve->add_option("--data-dir", f->data_dir, "where state lives (SQLite)")->capture_default_str();
  serve->add_option("--store", f->store,
                    "where the state lives: sqlite (DATA_DIR/openvpc.db, one server) or etcd://HOST:PORT[,HOST:PORT...] "
                    "(any number of servers share it)")
      ->capture_default_str();
  serve->add_option("--credentials", f->credentials,
                    "file of 'ACCESS_KEY SECRET ACCOUNT_ID' lines (default: DATA_DIR/credentials, "
                    "created with 'test test 123456789012')");
  serve->add_option("--dataplane", f->dataplane, "on|off")->check(CLI::IsMember({"on", "off"}))->capture_default_str();
  serve->add_option("--quota", f->quotas, "raise a quota, NAME=VALUE (e.g. vpcs-per-region=100); repeatable");
  serve->add_option("--sync", f->sync, "normal: durable across crashes of openvpc; full: also across power loss")
      ->check(CLI::IsMember({"normal", "full"}))
      ->capture_default_str();
  serve->add_option("--public-ipv4-pool", f->public_ipv4_pool,
                    "CIDR that public IPv4 addresses and Elastic IPs come from")
      ->capture_default_str();
  serve->add_option("--services-pool", f->services_pool,
                    "CIDR (a /24 or larger) where instances reach the AWS services openvpc serves, over HTTPS")
      ->capture_default_str();
  serve->add_option("--s3-dir", f->s3_dir,
                    "where S3's buckets and objects live (default DATA_DIR/s3); every server and gateway agent of "
                    "one installation uses the same directory");
  serve->add_flag("--lenient-shapes", f->lenient_shapes,
                  "drop response members outside the output shape instead of failing the request");
  serve->add_option("--http-timeout", f->http_timeout,
                    "seconds a connection may stay idle between requests, or take to send a request or read a "
                    "response, before it is closed")
      ->check(CLI::Range(1, 3600))
      ->capture_default_str();
  serve->add_flag("--allow-reset", f->allow_reset,
                  "allow POST /_openvpc/reset (wipes every account) while listening on a non-loopback address");
  return [f] { return Serve(*f); };
}

}  // namespace openvpc::cli
