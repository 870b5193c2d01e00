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

void Engine::ReceiveUnderlay(Port& underlay, uint16_t buffer, size_t len) {
  uint8_t* buf = underlay.Buffer(buffer);
  const auto header = ParseVxlanHeader({buf, len});  // nothing unless LEN holds the header
  const size_t inner = header ? len - kVxlanHeaderSize : 0;
  Port* out = nullptr;
  ++counters_.rx;
  if (header && len >= kVxlanHeaderSize + kVnetHeaderSize + 14) {
    const uint8_t* frame = buf + kVxlanHeaderSize + kVnetHeaderSize;
    MacAddress mac;
    if (header->decided) {  // translated there: to the interface of its destination MAC
      memcpy(mac.data(), frame, 6);
      auto it = local_by_mac_.find(MacKey(mac));
      if (it != local_by_mac_.end()) out = it->second;
    } else {  // as it left its source, whose MAC names the interface it came from: decided here
      memcpy(mac.data(), frame + 6, 6);
      auto it = remote_by_mac_.find(MacKey(mac));
      if (it != remote_by_mac_.end() && !it->second->removing) {
        --counters_.rx;  // Process counts it
        out = Process(*it->second, buf + kVxlanHeaderSize, inner);
      }
    }
  }
  // Delivered here, or dropped (not openvpc's VXLAN, an interface this host does not know yet):
  // a frame from another host never goes on to a third one.
  if (out && !out->removing && out->fd >= 0 && !out->remote_host) {
    Forward(underlay, buffer, *out, inner, kVxlanHeaderSize);
  } else {
    ++counters_.dropped;
    Arm(underlay, buffer);
  }
}

}  // namespace openvpc::dataplane
