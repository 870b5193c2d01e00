// Geneve with AWS's options: wire/geneve.h.
#include "dataplane/wire/geneve.h"

namespace openvpc::dataplane {

namespace {

void Put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
void Put32(std::vector<uint8_t>& v, uint32_t x) {
  Put16(v, static_cast<uint16_t>(x >> 16));
  Put16(v, static_cast<uint16_t>(x));
}
void Put64(std::vector<uint8_t>& v, uint64_t x) {
  Put32(v, static_cast<uint32_t>(x >> 32));
  Put32(v, static_cast<uint32_t>(x));
}
uint64_t Get(const uint8_t* p, size_t n) {
  uint64_t x = 0;
  for (size_t i = 0; i < n; ++i) x = x << 8 | p[i];
  return x;
}

constexpr uint16_t kIpv4 = 0x0800, kIpv6 = 0x86DD;

}  // namespace

uint64_t GeneveEndpointId(const std::string& vpce_id) {
  const std::string prefix = "vpce-";
  if (vpce_id.rfind(prefix, 0) != 0 || vpce_id.size() == prefix.size()) return 0;
  uint64_t x = 0;
  for (size_t i = prefix.size(); i < vpce_id.size(); ++i) {
    const char c = vpce_id[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return 0;
    x = x << 4 | static_cast<uint64_t>(d);  // the low 64 bits remain
  }
  return x;
}

std::vector<uint8_t> GeneveHeader(uint16_t protocol_type, const GeneveAwsOptions& o) {
  std::vector<uint8_t> h;
  const uint8_t options_words = (4 + 8 + 4 + 8 + 4 + 4) / 4;  // three options with their 4-byte headers
  h.push_back(options_words);  // version 0, option length
  h.push_back(0);              // O and C clear
  Put16(h, protocol_type);
  Put32(h, 0);  // VNI 0, reserved
  auto option = [&](uint8_t type, uint8_t words) {
    Put16(h, kAwsGeneveOptionClass);
    h.push_back(type);
    h.push_back(words);  // length in 4-byte words, the R bits clear
  };
  option(1, 2);
  Put64(h, o.endpoint_id);
  option(2, 2);
  Put64(h, o.attachment_id);
  option(3, 1);
  Put32(h, o.flow_cookie);
  return h;
}

std::optional<GeneveInfo> ParseGeneve(std::span<const uint8_t> p) {
  if (p.size() < 8 || (p[0] >> 6) != 0) return std::nullopt;
  GeneveInfo g;
  g.header_length = 8 + size_t{static_cast<uint8_t>(p[0] & 0x3f)} * 4;
  g.protocol_type = static_cast<uint16_t>(p[2] << 8 | p[3]);
  g.vni = static_cast<uint32_t>(Get(p.data() + 4, 3));
  if (p.size() <= g.header_length) return std::nullopt;  // no inner packet
  if (g.protocol_type != kIpv4 && g.protocol_type != kIpv6) return std::nullopt;
  for (size_t i = 8; i < g.header_length;) {
    if (i + 4 > g.header_length) return std::nullopt;
    const uint16_t cls = static_cast<uint16_t>(p[i] << 8 | p[i + 1]);
    const uint8_t type = p[i + 2];
    const size_t len = size_t{static_cast<uint8_t>(p[i + 3] & 0x1f)} * 4;
    if (i + 4 + len > g.header_length) return std::nullopt;
    const uint8_t* data = p.data() + i + 4;
    bool known = false;
    if (cls == kAwsGeneveOptionClass) {
      if ((type & 0x7f) == 1 && len == 8) g.aws.endpoint_id = Get(data, 8), g.has_endpoint = known = true;
      if ((type & 0x7f) == 2 && len == 8) g.aws.attachment_id = Get(data, 8), g.has_attachment = known = true;
      if ((type & 0x7f) == 3 && len == 4)
        g.aws.flow_cookie = static_cast<uint32_t>(Get(data, 4)), g.has_cookie = known = true;
    }
    if (!known && (type & 0x80)) return std::nullopt;  // a critical option openvpc cannot honour
    i += 4 + len;
  }
  return g;
}

std::vector<uint8_t> BuildGeneveFrame(const MacAddress& dst_mac, const MacAddress& src_mac, net::Ipv4 src,
                                      net::Ipv4 dst, uint16_t sport, const GeneveAwsOptions& options,
                                      std::span<const uint8_t> inner) {
  const uint16_t type = !inner.empty() && (inner[0] >> 4) == 6 ? kIpv6 : kIpv4;
  std::vector<uint8_t> payload = GeneveHeader(type, options);
  payload.insert(payload.end(), inner.begin(), inner.end());
  return BuildUdpFrame(src_mac, dst_mac, src, dst, sport, kGenevePort, payload);
}

}  // namespace openvpc::dataplane
