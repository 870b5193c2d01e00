#include "dataplane/engine/flow_cache.h"

#include <cstring>

namespace openvpc::dataplane {

size_t FlowKeyHash::operator()(const FlowKey& k) const {
  uint64_t w[4];
  memcpy(w, k.src.bytes.data(), 16);
  memcpy(w + 2, k.dst.bytes.data(), 16);
  uint64_t a = w[0] ^ w[1] * 0xff51afd7ed558ccdULL ^ w[2] * 0xc4ceb9fe1a85ec53ULL ^ w[3];
  uint64_t b = uint64_t{k.first_fragment} << 63 | uint64_t{k.port} << 40 | uint64_t{k.sport} << 24 |
               uint64_t{k.dport} << 8 | k.proto;
  a ^= b * 0x9e3779b97f4a7c15ULL;
  a ^= a >> 29;
  return static_cast<size_t>(a * 0xbf58476d1ce4e5b9ULL);
}

}  // namespace openvpc::dataplane
