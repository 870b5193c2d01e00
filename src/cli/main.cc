// openvpc: a self-hosted Amazon VPC. `openvpc serve` runs the EC2 endpoint.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "api/http_server.h"
#include "api/service.h"
#include "store/store.h"

namespace fs = std::filesystem;
using namespace openvpc;

namespace {

struct ServeFlags {
  std::string listen = "127.0.0.1:4566";
  std::string data_dir = ".openvpc";
  std::string credentials;
  std::string dataplane = "on";
  std::vector<std::string> quotas;
  std::string sync = "normal";
  std::string public_ipv4_pool = "198.51.100.0/24";
  bool lenient_shapes = false;
};

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

  auto colon = f.listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--listen wants HOST:PORT, got '" + f.listen + "'");
  std::string host = f.listen.substr(0, colon);
  int port = std::stoi(f.listen.substr(colon + 1));

  auto store = store::OpenSqliteStore((fs::path(f.data_dir) / "openvpc.db").string(), f.sync == "full");
  api::Service service(std::move(store), std::move(options));
  if (f.dataplane == "on")
    fprintf(stderr, "openvpc: the data plane is not part of this build yet; serving the API alone\n");
  api::ServeHttp(host, port, service, [](const std::string& where) {
    fprintf(stderr, "openvpc: EC2 API on http://%s\n", where.c_str());
  });
  service.Quiesce();  // no write is half done when the process ends
  fprintf(stderr, "openvpc: stopped\n");
  fflush(stderr);
  _exit(0);  // connection threads are detached; every acknowledged write is already committed
}

}  // namespace

int main(int argc, char** argv) {
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
  CLI11_PARSE(app, argc, argv);
  try {
    if (serve->parsed()) return Serve(f);
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: %s\n", e.what());
    return 1;
  }
  return 0;
}
