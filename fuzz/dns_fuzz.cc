// The resolver's wire side (dns.h): a query as the engine hands it in (UDP payload, or a TCP
// message without its length), then the response to it. The query's id picks the answer's
// shape (rcode, how many records, a PTR target taken from the question itself), so every
// way of building a response meets every name the parser accepts.
#include <cstddef>
#include <cstdint>
#include <span>

#include "dataplane/services/dns.h"

using namespace openvpc::dataplane;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto q = ParseDnsQuery(std::span<const uint8_t>(data, size));
  if (!q) return 0;
  DnsAnswer a;
  const unsigned pick = q->id;
  a.rcode = (pick & 3) == 3 ? kDnsNxDomain : kDnsNoError;
  a.authoritative = pick & 4;
  const unsigned records = (pick >> 3) & 63;  // up to 63 records: past 512 bytes, so TC
  for (unsigned i = 0; i < records; ++i) {
    a.a.push_back(openvpc::net::Ipv4{0x0a000000 + i});
    openvpc::net::Ipv6 v6;
    v6.bytes[0] = 0x20, v6.bytes[15] = static_cast<uint8_t>(i);
    a.aaaa.push_back(v6);
  }
  if (pick & 0x200) a.ptr = q->name;
  else if (auto ip = ParseReverseName(q->name)) a.ptr = "ip-" + std::to_string(ip->value) + ".ec2.internal";
  BuildDnsResponse(*q, a);
  BuildDnsQuery(q->id, q->name, q->qtype);
  return 0;
}
