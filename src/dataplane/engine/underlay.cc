// The underlay between hosts: frames of remote ports in VXLAN over one UDP socket (wire/vxlan.h).
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <cstring>

#include "dataplane/engine/engine.h"
#include "dataplane/engine/port.h"
#include "dataplane/wire/vxlan.h"

namespace openvpc::dataplane {

void Engine::SetUnderlay(int fd) { SetSpecialPort(kUnderlayPortId, "underlay", {.fd = fd}, underlay_); }
void Engine::RemoveUnderlay() { RemoveSpecialPort(kUnderlayPortId, underlay_); }

void Engine::SendUnderlay(const Port& out, const uint8_t* buf, size_t len) {
  if (capture_) return Capture(const_cast<Port*>(&out), buf, len);
  if (!underlay_ || !out.remote_host) {
    ++counters_.dropped;
    return;
  }
  auto header = VxlanHeader(out.vni);
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

void Engine::ReceiveUnderlay(Port& underlay, uint16_t buffer, size_t len) {
  uint8_t* buf = underlay.Buffer(buffer);
  Port* from = nullptr;
  if (ParseVxlanHeader({buf, len}) && len >= kVxlanHeaderSize + kVnetHeaderSize + 14) {
    // The frame left its instance unchanged: its source MAC names the interface it came from.
    MacAddress src;
    memcpy(src.data(), buf + kVxlanHeaderSize + kVnetHeaderSize + 6, 6);
    auto it = remote_by_mac_.find(MacKey(src));
    if (it != remote_by_mac_.end() && !it->second->removing) from = it->second;
  }
  if (!from) {  // not openvpc's VXLAN, or from an interface this host does not know (yet)
    ++counters_.rx;
    ++counters_.dropped;
    Arm(underlay, buffer);
    return;
  }
  const size_t inner = len - kVxlanHeaderSize;
  Port* out = Process(*from, buf + kVxlanHeaderSize, inner);
  // Delivered here, or dropped: a frame from another host never goes on to a third one.
  if (out && !out->removing && out->fd >= 0 && !out->remote_host) Forward(underlay, buffer, *out, inner, kVxlanHeaderSize);
  else Arm(underlay, buffer);
}

}  // namespace openvpc::dataplane
