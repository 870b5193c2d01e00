// openvpc: a self-hosted Amazon VPC. The commands live one per file (cli/commands.h).
#include <CLI/CLI.hpp>
#include <cstdio>
#include <functional>
#include <map>
#include <string>

#include "cli/commands.h"

int main(int argc, char** argv) {
  using namespace openvpc;
  if (argc > 1 && std::string(argv[1]) == "exec") return cli::Exec(argc, argv);
  CLI::App app{"openvpc: a self-hosted Amazon VPC (EC2 API networking and a real data plane)"};
  app.require_subcommand(1);
  const std::map<std::string, std::function<int()>> commands = {
      {"serve", cli::AddServeCommand(app)},
      {"agent", cli::AddAgentCommand(app)},
      {"hosts", cli::AddHostsCommand(app)},
      {"trace", cli::AddTraceCommand(app)}};
  cli::AddExecCommand(app);
  const bool tracing = argc > 1 && std::string(argv[1]) == "trace";
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return tracing && rc != 0 ? 2 : rc;  // trace: 2 is bad input
  }
  try {
    for (const auto& [name, run] : commands)
      if (app.got_subcommand(name)) return run();
    return 1;
  } catch (const std::exception& e) {
    fprintf(stderr, "openvpc: %s\n", e.what());
    return 1;
  }
}
