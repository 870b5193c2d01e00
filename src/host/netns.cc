#include "host/netns.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <net/if_arp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <utility>

namespace openvpc::host {

namespace {

[[noreturn]] void Throw(const std::string& what) { throw std::runtime_error(what + ": " + strerror(errno)); }

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

std::vector<char*> Argv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

bool CanManageNetwork() {
  if (geteuid() != 0) return false;
  return access("/dev/net/tun", R_OK | W_OK) == 0;
}

std::string NamespacePrefix(const std::string& data_dir) {
  std::string abs = std::filesystem::weakly_canonical(std::filesystem::absolute(data_dir)).string();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(abs.data()), abs.size(), digest);
  char hex[7];
  snprintf(hex, sizeof hex, "%02x%02x%02x", digest[0], digest[1], digest[2]);
  return std::string("openvpc-") + hex + "-";
}

int Run(const std::vector<std::string>& argv, std::string* output, double timeout_s) {
  int pipefd[2] = {-1, -1};
  if (output && pipe2(pipefd, O_CLOEXEC) != 0) return -1;
  auto args = Argv(argv);  // before fork: the child of a threaded process may not allocate
  pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    int devnull = open("/dev/null", O_RDWR);
    dup2(devnull, 0);
    if (output) {
      dup2(pipefd[1], 1);
      dup2(pipefd[1], 2);
    } else {
      dup2(devnull, 1);
      dup2(devnull, 2);
    }
    execvp(args[0], args.data());
    _exit(127);
  }
  if (output) {
    close(pipefd[1]);
    output->clear();
  }
  auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  int status = 0;
  bool killed = false;
  for (;;) {
    if (output) {
      pollfd pfd{pipefd[0], POLLIN, 0};
      if (poll(&pfd, 1, 20) > 0) {
        char buf[4096];
        ssize_t n = read(pipefd[0], buf, sizeof buf);
        if (n > 0) output->append(buf, static_cast<size_t>(n));
      }
    }
    pid_t r = waitpid(pid, &status, output ? WNOHANG : (timeout_s > 0 ? WNOHANG : 0));
    if (r == pid) break;
    if (r < 0) return -1;
    if (timeout_s > 0 && !killed && std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      killed = true;
    }
    if (!output) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (output) {
    char buf[4096];
    ssize_t n;
    while ((n = read(pipefd[0], buf, sizeof buf)) > 0) output->append(buf, static_cast<size_t>(n));
    close(pipefd[0]);
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

pid_t Spawn(const std::vector<std::string>& argv, const std::string& log_path) {
  auto args = Argv(argv);
  pid_t pid = fork();
  if (pid != 0) return pid;
  setsid();
  int devnull = open("/dev/null", O_RDONLY);
  int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  dup2(devnull, 0);
  dup2(log, 1);
  dup2(log, 2);
  execvp(args[0], args.data());
  _exit(127);
}

bool NamespaceExists(const std::string& name) { return access(("/run/netns/" + name).c_str(), F_OK) == 0; }

void CreateNamespace(const std::string& name) {
  std::string out;
  if (Run({"ip", "netns", "add", name}, &out, 10) != 0) throw std::runtime_error("ip netns add " + name + ": " + out);
  if (Run({"ip", "-n", name, "link", "set", "lo", "up"}, &out, 10) != 0)
    throw std::runtime_error("ip -n " + name + " link set lo up: " + out);
  // The router answers neighbour solicitations for every address of the subnet, so duplicate
  // address detection has nothing to find; skipping it lets DHCPv6 bind at once.
  if (Run({"ip", "netns", "exec", name, "sh", "-c",
           "echo 0 > /proc/sys/net/ipv6/conf/default/accept_dad && echo 0 > /proc/sys/net/ipv6/conf/all/accept_dad"},
          &out, 10) != 0)
    throw std::runtime_error("accept_dad in " + name + ": " + out);
  std::filesystem::create_directories("/etc/netns/" + name);
  std::ofstream("/etc/netns/" + name + "/resolv.conf");
}

std::vector<pid_t> NamespacePids(const std::string& name) {
  std::vector<pid_t> pids;
  std::string out;
  if (Run({"ip", "netns", "pids", name}, &out, 10) != 0) return pids;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t end = out.find('\n', pos);
    std::string line = out.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!line.empty() && line.find_first_not_of("0123456789") == std::string::npos) pids.push_back(std::stoi(line));
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return pids;
}

void DeleteNamespace(const std::string& name) {
  for (int round = 0; round < 50; ++round) {
    auto pids = NamespacePids(name);
    if (pids.empty()) break;
    for (pid_t pid : pids) kill(pid, round < 5 ? SIGTERM : SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  Run({"ip", "netns", "del", name}, nullptr, 10);
  std::error_code ec;
  std::filesystem::remove_all("/etc/netns/" + name, ec);
}

std::vector<std::string> ListNamespaces(const std::string& prefix) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    std::string n = entry.path().filename().string();
    if (n.rfind(prefix, 0) == 0) out.push_back(n);
  }
  return out;
}

int InNamespace(const std::string& ns, const std::function<int()>& fn) {
  if (ns.empty()) return fn();
  int result = -1;
  std::string error;
  std::thread t([&] {
    try {
      Fd nsfd(open(("/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC));
      if (nsfd.get() < 0) Throw("open namespace " + ns);
      if (setns(nsfd.get(), CLONE_NEWNET) != 0) Throw("setns " + ns);
      result = fn();
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  t.join();
  if (!error.empty()) throw std::runtime_error(error);
  return result;
}

int CreateTap(const std::string& ns, const std::string& ifname, const TapOptions& opts) {
  // Born inside the instance, while the fd stays with openvpc.
  return InNamespace(ns, [&] {
    Fd tap(open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC));
    if (tap.get() < 0) Throw("open /dev/net/tun");
    ifreq ifr{};
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
    strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    if (ioctl(tap.get(), TUNSETIFF, &ifr) != 0) Throw("TUNSETIFF " + ifname);
    unsigned offloads = opts.offloads ? (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN) : 0;
    if (ioctl(tap.get(), TUNSETOFFLOAD, offloads) != 0) Throw("TUNSETOFFLOAD");
    int qlen = 10000;
    Fd sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    ifreq req{};
    strncpy(req.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
    req.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(req.ifr_hwaddr.sa_data, opts.mac.data(), 6);
    if (ioctl(sock.get(), SIOCSIFHWADDR, &req) != 0) Throw("set MAC of " + ifname);
    req.ifr_mtu = opts.mtu;
    if (ioctl(sock.get(), SIOCSIFMTU, &req) != 0) Throw("set MTU of " + ifname);
    req.ifr_qlen = qlen;
    ioctl(sock.get(), SIOCSIFTXQLEN, &req);
    if (ioctl(sock.get(), SIOCGIFFLAGS, &req) != 0) Throw("get flags of " + ifname);
    req.ifr_flags = static_cast<short>(req.ifr_flags | IFF_UP);
    if (ioctl(sock.get(), SIOCSIFFLAGS, &req) != 0) Throw("set " + ifname + " up");
    return tap.release();
  });
}

}  // namespace openvpc::host
