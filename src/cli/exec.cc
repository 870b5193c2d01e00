// `openvpc exec`: a command inside a running instance's namespace (or the simulated internet's).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "host/netns.h"

namespace openvpc::cli {

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

void AddExecCommand(CLI::App& app) {
  app.add_subcommand("exec", "Run a command inside a running instance or the simulated internet: exec [--data-dir "
                             "DIR] INSTANCE-ID|internet -- CMD...");
}

}  // namespace openvpc::cli
