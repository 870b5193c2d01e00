// Frames as they come off a TAP device: a virtio-net header, then Ethernet (ARP, IPv4, IPv6 with
// extension headers, TCP/UDP/ICMP/ICMPv6, fragments). Parses the frame (stage 1), then does
// to it what the engine may do to such a frame: complete an offloaded checksum, rewrite
// addresses and ports (NAT), answer ARP, reset a TCP connection, fragment it or answer it with
// ICMP for a 1,500-byte path, follow fragments through the fragment table, segment it (GSO)
// and translate it to the other family (a dualstack load balancer's, wire/translate.h), whose
// result must parse.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <vector>

#include "dataplane/engine/fragments.h"
#include "dataplane/wire/packet.h"
#include "dataplane/engine/path_mtu.h"
#include "dataplane/wire/segment.h"
#include "dataplane/wire/translate.h"

using namespace openvpc::dataplane;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kVnetHeaderSize + 14) return 0;  // the engine drops these before parsing
  VnetHeader vh;
  memcpy(&vh, data, sizeof vh);
  std::vector<uint8_t> buf(data + kVnetHeaderSize, data + size);
  std::span<uint8_t> frame(buf);
  ParsedFrame pf;
  if (!ParseFrame(frame, pf)) return 0;

  static FragmentTable fragments;
  static double now = 0;
  now += 1;
  const MacAddress router_mac{0x02, 0, 0, 0, 0, 1};
  const bool v4 = pf.ether_type == kEtherTypeIpv4, v6 = pf.ether_type == kEtherTypeIpv6;
  if (pf.ether_type == kEtherTypeArp) BuildArpReply(pf, router_mac);
  if (!v4 && !v6) return 0;

  const DatagramKey datagram{.port = 1,
                             .src = v6 ? pf.src6 : openvpc::net::Ipv4Mapped(pf.src),
                             .dst = v6 ? pf.dst6 : openvpc::net::Ipv4Mapped(pf.dst),
                             .protocol = pf.protocol,
                             .id = pf.fragment_id};
  if (pf.fragment) fragments.Find(datagram, now);
  if (pf.first_fragment) fragments.Remember(datagram, pf.src_port, pf.dst_port, now);
  if (fragments.size() > 1000) fragments.Expire(now + 60);

  SegmentTcp(frame, pf, 1400);
  {  // to the other family and back: each result parses as a frame of its family
    const openvpc::net::Ipv6 a = *openvpc::net::ParseAddress(v6 ? "10.0.1.5" : "2001:db8::5");
    const openvpc::net::Ipv6 b = *openvpc::net::ParseAddress(v6 ? "10.0.2.4" : "2001:db8::4");
    VnetHeader tvh = vh;
    std::vector<uint8_t> out = TranslateIpFamily(frame, pf, a, b, tvh);
    ParsedFrame opf;
    if (!out.empty() && (!ParseFrame(out, opf) || (opf.ether_type == kEtherTypeIpv6) == v6)) __builtin_trap();
    if (!out.empty()) TranslateIpFamily(out, opf, v6 ? pf.src6 : openvpc::net::Ipv4Mapped(pf.src),
                                        v6 ? pf.dst6 : openvpc::net::Ipv4Mapped(pf.dst), tvh);
  }
  if (v6) {
    BuildPacketTooBig(frame, pf, openvpc::net::Ipv6{}, router_mac, kInternetMtu);
    RewriteIpv6Address(frame, pf, true, *openvpc::net::ParseIpv6("2001:db8::1"), vh);
    return 0;
  }
  if (pf.protocol == 6 && !pf.fragment) BuildTcpReset(frame, pf);
  if (DontFragment(frame, pf)) BuildFragmentationNeeded(frame, pf, openvpc::net::Ipv4{0x0a000001}, router_mac, kInternetMtu);
  RewriteIpv4Address(frame, pf, true, openvpc::net::Ipv4{0xc6336401}, vh);
  RewriteIpv4Address(frame, pf, false, openvpc::net::Ipv4{0x0a000105}, vh);
  RewritePort(frame, pf, true, 1024, vh);
  RewritePort(frame, pf, false, 65535, vh);
  if (vh.gso_type == 0 && pf.ip_total_length > kInternetMtu) {
    CompleteChecksum(vh, frame);
    FragmentIpv4(frame.first(14 + size_t{pf.ip_total_length}), pf, kInternetMtu);
  } else {
    CompleteChecksum(vh, frame);
  }
  return 0;
}
