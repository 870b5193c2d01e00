// Linux realization of instances: network namespaces, TAP devices in them, processes run
// inside them. Everything made here is named "openvpc-TAG-…", TAG standing for the data
// directory, so that two servers on one machine never touch each other's devices, and the
// leftovers of a crashed server are found and removed at the next start.
#pragma once

#include <sys/types.h>

#include <optional>
#include <functional>
#include <string>
#include <vector>

#include "dataplane/wire/packet.h"

namespace openvpc::host {

// True when this process may create namespaces and devices (root, or CAP_NET_ADMIN+CAP_SYS_ADMIN).
bool CanManageNetwork();

// "openvpc-" + 6 hex digits of the data directory's absolute path + "-".
std::string NamespacePrefix(const std::string& data_dir);

// `ip netns add NAME`, its loopback up, and an empty /etc/netns/NAME/resolv.conf so that
// processes run with `ip netns exec` see the namespace's resolver settings. Throws on failure.
void CreateNamespace(const std::string& name);
// Ends every process in NAME, then deletes it and /etc/netns/NAME. Close the namespace's TAP
// fds first: a device whose fd is still open would move to the host's namespace.
void DeleteNamespace(const std::string& name);
std::vector<std::string> ListNamespaces(const std::string& prefix);
bool NamespaceExists(const std::string& name);
// The pids of the processes in NAME.
std::vector<pid_t> NamespacePids(const std::string& name);

struct TapOptions {
  dataplane::MacAddress mac{};
  int mtu = 9001;          // AWS's jumbo frames inside a VPC
  bool offloads = true;    // TSO and checksum offload towards the engine (GSO frames up to 64 KiB)
};
// Runs FN in network namespace NS ("": this process's own) and returns what it returns: in a
// thread of its own that enters NS (setns changes only the calling thread), so that what FN
// opens (a device, a socket) lives in NS while its fd belongs to this process. Rethrows FN's
// exceptions as runtime_error.
int InNamespace(const std::string& ns, const std::function<int()>& fn);

// A TAP device IFNAME inside namespace NS, up, with the MAC and MTU of OPTS. Returns its fd
// (IFF_VNET_HDR, non-blocking, close-on-exec). Closing the fd removes the device. Throws.
int CreateTap(const std::string& ns, const std::string& ifname, const TapOptions& opts);

// Runs ARGV and waits; returns its exit status (128+signal when killed, -1 when it could not
// start), its standard output and error in *OUTPUT when given. TIMEOUT_S > 0 kills it after.
int Run(const std::vector<std::string>& argv, std::string* output = nullptr, double timeout_s = 0);
// Starts ARGV in its own session with stdin from /dev/null and stdout+stderr appended to
// LOG_PATH; returns its pid.
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path);

}  // namespace openvpc::host
