// The DHCPv4 server (dhcp.h): a client's UDP payload from port 68, as the engine hands it in.
// The lease is for the message's own chaddr, so every well-formed message reaches the answer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/services/dhcp.h"

using namespace openvpc::dataplane;
using openvpc::net::Ipv4;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::span<const uint8_t> payload(data, size);
  ParseDhcpRequest(payload);
  DhcpLease lease;
  if (size >= 34) std::copy(data + 28, data + 34, lease.mac.begin());  // chaddr
  lease.address = Ipv4{0x0a000105};  // 10.0.1.5 in 10.0.1.0/24
  lease.prefix_length = 24;
  lease.router = Ipv4{0x0a000101};
  lease.dns_servers = {Ipv4{0x0a000002}};
  lease.domain_name = "ec2.internal example.com";
  lease.ntp_servers = {Ipv4{0xa9fea97b}};
  lease.netbios_name_servers = {Ipv4{0x0a00000a}, Ipv4{0x0a00000b}};
  lease.netbios_node_type = 2;
  lease.hostname = "ip-10-0-1-5";
  lease.broadcast = Ipv4{0x0a0001ff};
  DhcpReply(payload, lease);
  return 0;
}
