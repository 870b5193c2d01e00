// The DHCPv6 server (dhcp6.h): a client's UDP payload to port 547, as the engine hands it in.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "dataplane/services/dhcp6.h"

using namespace openvpc::dataplane;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const Dhcp6Lease lease = [] {
    Dhcp6Lease l;
    l.router_mac = {0x02, 0x00, 0x0a, 0x00, 0x01, 0x01};
    l.addresses = {*openvpc::net::ParseIpv6("2600:1f18:abc:de01:4a3b:1d6e:8f2a:9c01"),
                   *openvpc::net::ParseIpv6("2600:1f18:abc:de01::7")};
    l.dns_servers = {*openvpc::net::ParseIpv6("fd00:ec2::253")};
    l.domain_search = {"ec2.internal", "example.com"};
    return l;
  }();
  std::span<const uint8_t> payload(data, size);
  ParseDhcp6Message(payload);
  Dhcp6Reply(payload, lease);
  return 0;
}
