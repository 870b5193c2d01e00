#include "model/host.h"

#include <algorithm>
#include <map>
#include <set>

#include "model/error.h"
#include "model/placement_group.h"

namespace openvpc::model {
namespace {

// Instances (not terminated) per live host, across every partition: a host's load.
std::map<std::string, int> Load(const State& s) {
  std::map<std::string, int> load;
  for (const auto& [name, h] : s.hosts) load[name] = 0;
  for (const auto& [key, p] : s.partitions)
    for (const auto& [id, i] : p.instances)
      if (i.state != "terminated" && load.count(i.host)) ++load[i.host];
  return load;
}

// The least loaded of CANDIDATES (ties: by name), counting what this launch placed already.
std::string LeastLoaded(const std::vector<std::string>& candidates, std::map<std::string, int>& load) {
  std::string best;
  for (const auto& h : candidates)
    if (best.empty() || load[h] < load[best]) best = h;
  if (!best.empty()) ++load[best];
  return best;
}

[[noreturn]] void NoCapacity(const std::string& type, const std::string& zone) {
  // A server error at AWS (HTTP 500), which SDKs retry.
  throw Error("InsufficientInstanceCapacity",
              "We currently do not have sufficient " + type + " capacity in the Availability Zone you requested (" +
                  zone + "). Our system will be working on provisioning additional capacity.",
              500);
}

}  // namespace

bool RunsOn(const Instance& i, const std::string& host) { return i.host == host; }

const Host* GatewayHost(const State& s) {
  for (const auto& [name, h] : s.hosts)
    if (h.gateway) return &h;
  return nullptr;
}

bool HostImpaired(const State& s, const Instance& i) { return !i.host.empty() && !s.hosts.count(i.host); }

bool HostReportsTermination(const State& s, const Instance& i) {
  return i.host.empty() ? s.instances_hosted : s.hosts.count(i.host) > 0;
}

std::vector<Placement> PlaceInstances(const Tx& tx, const std::string& group_name, const std::string& type,
                                      const std::string& zone, int count) {
  std::vector<Placement> out(count);
  const PlacementGroup* group = group_name.empty() ? nullptr : FindPlacementGroupByName(tx.p, group_name);
  // The group's live members, wherever they run.
  std::vector<const Instance*> members;
  if (group)
    for (const auto& [id, i] : tx.p.instances)
      if (i.placement_group == group_name && i.state != "terminated") members.push_back(&i);

  if (group && group->strategy == "spread") {  // also with no host: AWS's limit stands
    int in_zone = 0;
    for (const Instance* m : members) in_zone += m->availability_zone == zone && m->state == "running";
    if (in_zone + count > kSpreadInstancesPerZone) NoCapacity(type, zone);
  }
  const State* s = tx.state;
  if (!s || s->hosts.empty()) {
    if (group && group->strategy == "partition")
      for (int n = 0; n < count; ++n) out[n].partition_number = (static_cast<int>(members.size()) + n) % group->partition_count + 1;
    return out;
  }
  std::map<std::string, int> load = Load(*s);
  std::vector<std::string> hosts;
  for (const auto& [name, h] : s->hosts) hosts.push_back(name);

  if (!group) {
    for (auto& pl : out) pl.host = LeastLoaded(hosts, load);
  } else if (group->strategy == "cluster") {
    // One host for the group: the one its members run on while it lives, else the least loaded.
    std::string host;
    for (const Instance* m : members)
      if (s->hosts.count(m->host)) host = m->host;
    if (host.empty()) host = LeastLoaded(hosts, load);
    for (auto& pl : out) pl.host = host;
  } else if (group->strategy == "spread") {
    std::set<std::string> taken;
    for (const Instance* m : members) taken.insert(m->host);
    for (auto& pl : out) {
      std::vector<std::string> free;
      for (const auto& h : hosts)
        if (!taken.count(h)) free.push_back(h);
      if (free.empty()) NoCapacity(type, zone);
      pl.host = LeastLoaded(free, load);
      taken.insert(pl.host);
    }
  } else {  // partition: partition k owns the hosts whose rank is k-1 modulo the count
    const int partitions = std::max(1, group->partition_count);
    std::map<int, int> per_partition;
    for (const Instance* m : members) ++per_partition[m->partition_number];
    for (auto& pl : out) {
      int k = 1;  // the partition with the fewest members (AWS spreads them evenly)
      for (int c = 2; c <= partitions; ++c)
        if (per_partition[c] < per_partition[k]) k = c;
      std::vector<std::string> own;
      for (size_t r = 0; r < hosts.size(); ++r)
        if (static_cast<int>(r % partitions) == k - 1) own.push_back(hosts[r]);
      if (own.empty()) NoCapacity(type, zone);
      pl.host = LeastLoaded(own, load);
      pl.partition_number = k;
      ++per_partition[k];
    }
  }
  return out;
}

Placement PlaceRestart(const Tx& tx, const Instance& i) {
  const State* s = tx.state;
  if (!s || s->hosts.empty() || s->hosts.count(i.host)) return {i.host, i.partition_number};
  const bool grouped = !i.placement_group.empty() && FindPlacementGroupByName(tx.p, i.placement_group);
  return PlaceInstances(tx, grouped ? i.placement_group : "", i.instance_type, i.availability_zone, 1).front();
}

bool RunsLoadBalancerNodes(const State& s, const std::string& host) {
  if (s.hosts.empty()) return host.empty();
  const Host* g = GatewayHost(s);
  return g && g->name == host;
}

}  // namespace openvpc::model
