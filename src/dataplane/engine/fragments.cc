#include "dataplane/engine/fragments.h"

#include <cstring>

namespace openvpc::dataplane {

size_t FragmentTable::KeyHash::operator()(const DatagramKey& k) const {
  uint64_t w[4];
  memcpy(w, k.src.bytes.data(), 16);
  memcpy(w + 2, k.dst.bytes.data(), 16);
  uint64_t h = w[0] ^ w[1] * 0xff51afd7ed558ccdULL ^ w[2] * 0xc4ceb9fe1a85ec53ULL ^ w[3];
  h ^= (uint64_t{k.port} << 40 | uint64_t{k.id} << 8 | k.protocol) * 0x9e3779b97f4a7c15ULL;
  h ^= h >> 29;
  return static_cast<size_t>(h * 0xbf58476d1ce4e5b9ULL);
}

void FragmentTable::Remember(const DatagramKey& key, uint16_t sport, uint16_t dport, double now) {
  if (datagrams_.size() >= kMaxDatagrams) Expire(now);
  if (datagrams_.size() >= kMaxDatagrams) datagrams_.clear();
  datagrams_[key] = {sport, dport, now};
}

std::optional<FirstFragment> FragmentTable::Find(const DatagramKey& key, double now) const {
  auto it = datagrams_.find(key);
  if (it == datagrams_.end() || now - it->second.seen > kFragmentTimeout) return std::nullopt;
  return it->second;
}

void FragmentTable::Expire(double now) {
  std::erase_if(datagrams_, [&](const auto& d) { return now - d.second.seen > kFragmentTimeout; });
}

}  // namespace openvpc::dataplane
