// The `openvpc` commands, one file each (serve.cc, agent.cc, hosts.cc, trace.cc, exec.cc); main.cc
// only dispatches.
#pragma once

#include <functional>

namespace CLI {
class App;
}

namespace openvpc::cli {

// Each adds its subcommand and options to APP and returns what runs it once APP has parsed
// the command line (the process's exit status).
std::function<int()> AddServeCommand(CLI::App& app);
std::function<int()> AddTraceCommand(CLI::App& app);
std::function<int()> AddAgentCommand(CLI::App& app);
std::function<int()> AddHostsCommand(CLI::App& app);

// `openvpc exec` takes its arguments raw (everything after `--` is the command to run), so
// main calls it before CLI11 parses anything; AddExecCommand only lists it in the help.
int Exec(int argc, char** argv);
void AddExecCommand(CLI::App& app);

}  // namespace openvpc::cli
