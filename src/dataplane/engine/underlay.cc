// The underlay between hosts: frames of remote ports in VXLAN over one UDP socket (wire/vxlan.h).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>
#include <span>
#include <vector>

#include "dataplane/engine/engine.h"
#include "dataplane/engine/port.h"
#include "dataplane/wire/vxlan.h"

namespace openvpc::dataplane {

void Engine::SetUnderlay(int fd) { SetSpecialPort(kUnderlayPortId, "underlay", {.fd = fd}, underlay_); }
void Engine::RemoveUnderlay() { RemoveSpecialPort(kUnderlayPortId, underlay_); }

bool Engine::RunsNatGateways() const { return !internet_ || !internet_->remote_host; }

void Engine::SendUnderlay(const Port& out, const uint8_t* buf, size_t len, bool decided) {
  if (capture_) return Capture(const_cast<Port*>(&out), buf, len);
  if (!underlay_ || !out.remote_host) {
    ++counters_.dropped;
    return;
  }
  auto header = VxlanHeader(out.vni, decided);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(kVxlanPort);
  to.sin_addr.s_addr = htonl(out.remote_host->value);
  iovec iov[2] = {{header.data(), header.size()}, {const_cast<uint8_t*>(buf), len}};
  msghdr m{};
  m.msg_name = &to;
  m.msg_namelen = sizeof to;
  m.msg_iov = iov;
  m.msg_iovlen = 2;
  if (sendmsg(underlay_->fd, &m, MSG_DONTWAIT) < 0) ++counters_.dropped;
  else ++counters_.tx;
}

Port* Engine::FromUnderlay(uint8_t* buf, size_t len) {
  out_shift_ = 0;
  const auto header = ParseVxlanHeader({buf, len});
  Port* out = nullptr;
  ++counters_.rx;
  if (header && len >= kVxlanHeaderSize + kVnetHeaderSize + 14) {
    const uint8_t* frame = buf + kVxlanHeaderSize + kVnetHeaderSize;
    MacAddress mac;
    if (header->decided) {  // translated there: to the interface of its destination MAC
      memcpy(mac.data(), frame, 6);
      auto it = local_by_mac_.find(MacKey(mac));
      if (it != local_by_mac_.end()) out = it->second;
      // A load balancer target's reply to a client on the internet, translated on the target's
      // host: to this host's internet.
      else if (internet_ && !internet_->remote_host && mac == internet_->mac) out = internet_;
    } else {  // as it left its source, whose MAC names the interface it came from: decided here
      memcpy(mac.data(), frame + 6, 6);
      auto it = remote_by_mac_.find(MacKey(mac));
      if (it != remote_by_mac_.end() && !it->second->removing) {
        --counters_.rx;  // Process counts it
        out = Process(*it->second, buf + kVxlanHeaderSize, len - kVxlanHeaderSize);
      }
    }
  }
  // Delivered here, or dropped (not openvpc's VXLAN, an interface this host does not know yet):
  // a frame from another host never goes on to a third one.
  if (out && (out->removing || out->remote_host)) out = nullptr;
  if (!out) ++counters_.dropped;
  return out;
}

void Engine::ReceiveUnderlay(Port& underlay, uint16_t buffer, size_t len) {
  Port* out = FromUnderlay(underlay.Buffer(buffer) + kHeadroom, len);
  if (out && out->fd >= 0)
    Forward(underlay, buffer, *out, static_cast<size_t>(static_cast<std::ptrdiff_t>(len - kVxlanHeaderSize) - out_shift_),
            static_cast<size_t>(static_cast<std::ptrdiff_t>(kHeadroom + kVxlanHeaderSize) + out_shift_));
  else Arm(underlay, buffer);
}

std::vector<std::pair<std::string, std::vector<uint8_t>>> Engine::InjectUnderlay(std::span<const uint8_t> datagram) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> sent;
  std::vector<uint8_t> buf(kHeadroom + datagram.size());  // as the loop reads it: after its headroom
  if (!datagram.empty()) memcpy(buf.data() + kHeadroom, datagram.data(), datagram.size());
  std::lock_guard lock(mu_);
  capture_ = &sent;
  ExpireIdle(Now());
  Port* out = nullptr;
  try {  // the loop's barrier (Process has its own for the decision)
    out = FromUnderlay(buf.data() + kHeadroom, datagram.size());
  } catch (const std::exception&) {
    ++counters_.internal_errors;
  }
  const std::ptrdiff_t at = static_cast<std::ptrdiff_t>(kHeadroom + kVxlanHeaderSize) + out_shift_;
  if (out) Capture(out, buf.data() + at, static_cast<size_t>(static_cast<std::ptrdiff_t>(buf.size()) - at));
  capture_ = nullptr;
  return sent;
}

}  // namespace openvpc::dataplane
