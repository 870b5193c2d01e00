// Customer-managed prefix lists: model/prefix_list.h.
#include "model/prefix_list.h"

#include <algorithm>
#include <map>
#include <set>

#include "model/aws_services.h"
#include "model/internal.h"
#include "model/regions.h"
#include "model/route_table.h"
#include "model/security_group.h"

namespace openvpc::model {

namespace {

[[noreturn]] void NotFound(const std::string& id) {
  Fail("InvalidPrefixListID.NotFound", "The prefix list ID '" + id + "' does not exist");
}

// ENTRIES, canonical, of the list's family, each CIDR once.
std::vector<PrefixListEntry> CheckedEntries(const std::string& family, std::vector<PrefixListEntry> entries) {
  std::set<std::string> seen;
  for (auto& e : entries) {
    const bool v4 = family == "IPv4";
    bool ok = false;
    if (v4) {
      auto c = net::ParseCidr4(e.cidr);
      ok = c && c->IsCanonical();
      if (ok) e.cidr = c->ToString();
    } else {
      auto c = net::ParseCidr6(e.cidr);
      ok = c && c->IsCanonical();
      if (ok) e.cidr = c->ToString();
    }
    if (!ok)
      Fail("InvalidParameterValue", "The CIDR '" + e.cidr + "' is not a valid " + family + " CIDR block for this prefix list.");
    if (e.description.size() > 255)
      Fail("InvalidParameterValue", "The description of entry " + e.cidr + " is longer than 255 characters.");
    if (!seen.insert(e.cidr).second)
      Fail("InvalidParameterValue", "The entry " + e.cidr + " is given more than once.");
  }
  return entries;
}

void CheckName(const std::string& name) {
  if (name.empty()) Fail("MissingParameter", "The request must contain the parameter PrefixListName");
  if (name.size() > 255) Fail("InvalidParameterValue", "The prefix list name is longer than 255 characters.");
  if (name.rfind("com.amazonaws", 0) == 0)  // AWS's own lists' names
    Fail("InvalidParameterValue", "The prefix list name cannot start with com.amazonaws.");
}

void CheckMaxEntries(const Tx& tx, int max_entries) {
  if (max_entries < 1 || max_entries > tx.quotas.Get("entries-per-prefix-list"))
    Fail("InvalidParameterValue", "The maximum number of entries must be between 1 and " +
                                      std::to_string(tx.quotas.Get("entries-per-prefix-list")) + ".");
}

// The entries of PL become ENTRIES, as a new version.
void NewVersion(ManagedPrefixList& pl, std::vector<PrefixListEntry> entries) {
  if (static_cast<int>(entries.size()) > pl.max_entries)
    Fail("PrefixListMaxEntriesExceeded", "The prefix list " + pl.id + " can hold at most " +
                                             std::to_string(pl.max_entries) + " entries.");
  pl.entries = std::move(entries);
  pl.versions.push_back(pl.entries);
  pl.version = static_cast<int64_t>(pl.versions.size());
}

// Every quota a reference to a list counts against still holds (after its MaxEntries changed).
void CheckReferences(const Tx& tx, const std::string& id) {
  for (const auto& ref : PrefixListReferences(tx.p, id)) {
    if (ref.rfind("sg-", 0) == 0) CheckSecurityGroupRuleLimits(tx, tx.p.security_groups.at(ref));
    else CheckRouteTableQuota(tx, tx.p.route_tables.at(ref));
  }
}

template <class Addr, class Parse>
int Longest(const Partition& p, const std::string& id, const Addr& addr, Parse parse) {
  const ManagedPrefixList* pl = FindPrefixList(p, id);
  int best = -1;
  if (!pl) return best;
  for (const auto& e : pl->entries)
    if (auto c = parse(e.cidr); c && c->prefix > best && c->Contains(addr)) best = c->prefix;
  return best;
}

// AWS's lists by id, built from the services pool.
std::map<std::string, ManagedPrefixList>& AwsLists() {
  static std::map<std::string, ManagedPrefixList> lists;
  return lists;
}

void BuildAwsLists(const std::string& pool) {
  auto& lists = AwsLists();
  lists.clear();
  for (const auto& region : Regions())
    for (const auto& name : GatewayServiceNames()) {
      auto ip = GatewayServiceAddress(pool, name, region.name);
      if (!ip) continue;
      ManagedPrefixList pl{.id = AwsManagedPrefixListId(name, region.name), .owner_id = "AWS",
                           .name = "com.amazonaws." + region.name + "." + name, .address_family = "IPv4",
                           .max_entries = 1, .entries = {{ip->ToString() + "/32", ""}}};
      pl.versions = {pl.entries};
      lists[pl.id] = std::move(pl);
    }
}

bool InRegion(const ManagedPrefixList& pl, const std::string& region) {
  return pl.name.rfind("com.amazonaws." + region + ".", 0) == 0;
}

}  // namespace

void ConfigureAwsManagedPrefixLists(const std::string& services_pool) { BuildAwsLists(services_pool); }

std::vector<const ManagedPrefixList*> AwsManagedPrefixLists(const std::string& region) {
  if (AwsLists().empty()) BuildAwsLists(State().services_pool);
  std::vector<const ManagedPrefixList*> out;
  for (const auto& [id, pl] : AwsLists())
    if (InRegion(pl, region)) out.push_back(&pl);
  return out;
}

ManagedPrefixList& GetManagedPrefixList(Partition& p, const std::string& id) {
  if (!WellFormedId(id, "pl-"))
    Fail("InvalidPrefixListId.Malformed", "The prefix list ID '" + id + "' is malformed");
  auto it = p.managed_prefix_lists.find(id);
  if (it != p.managed_prefix_lists.end()) return it->second;
  if (FindPrefixList(p, id))
    Fail("InvalidPrefixListModification", "The prefix list " + id + " is AWS-managed and cannot be changed.");
  NotFound(id);
}

const ManagedPrefixList* FindPrefixList(const Partition& p, const std::string& id) {
  auto it = p.managed_prefix_lists.find(id);
  if (it != p.managed_prefix_lists.end()) return &it->second;
  if (AwsLists().empty()) BuildAwsLists(State().services_pool);
  auto aws = AwsLists().find(id);
  return aws != AwsLists().end() && InRegion(aws->second, p.region) ? &aws->second : nullptr;
}

ManagedPrefixList& CreateManagedPrefixList(Tx& tx, const CreateManagedPrefixListArgs& a) {
  Partition& p = tx.p;
  CheckName(a.name);
  if (a.address_family != "IPv4" && a.address_family != "IPv6")
    Fail("InvalidParameterValue", "The address family must be IPv4 or IPv6.");
  CheckMaxEntries(tx, a.max_entries);
  if (static_cast<int>(p.managed_prefix_lists.size()) >= tx.quotas.Get("prefix-lists-per-region"))
    Fail("PrefixListLimitExceeded", "You've reached the limit on the number of prefix lists that you can create.");
  ManagedPrefixList pl{.id = NewId("pl"), .owner_id = p.account_id, .name = a.name,
                       .address_family = a.address_family, .max_entries = a.max_entries, .tags = a.tags};
  NewVersion(pl, CheckedEntries(a.address_family, a.entries));
  const std::string id = pl.id;
  tx.Touch(id);
  return p.managed_prefix_lists[id] = std::move(pl);
}

void ModifyManagedPrefixList(Tx& tx, const std::string& id, const ModifyManagedPrefixListArgs& a) {
  ManagedPrefixList& pl = GetManagedPrefixList(tx.p, id);
  const bool entries = !a.add.empty() || !a.remove.empty();
  if (a.current_version && *a.current_version != pl.version)
    Fail("PrefixListVersionMismatch", "The prefix list " + id + " has the version " + std::to_string(pl.version) +
                                          ", not " + std::to_string(*a.current_version) + ".");
  if (entries && a.max_entries)
    Fail("InvalidParameterCombination", "The entries and the maximum number of entries cannot be changed together.");
  if (entries && !a.current_version)
    Fail("MissingParameter", "The request must contain the parameter CurrentVersion");
  if (a.add.size() > 100 || a.remove.size() > 100)
    Fail("InvalidParameterValue", "The request cannot contain more than 100 entry additions or removals.");
  tx.Touch(id);  // before any change: a refused write is put back as the store holds it
  if (a.name) {
    CheckName(*a.name);
    pl.name = *a.name;
  }
  if (entries) {
    std::vector<PrefixListEntry> next = pl.entries;
    for (const auto& cidr : a.remove) {
      auto it = std::find_if(next.begin(), next.end(), [&](const PrefixListEntry& e) { return e.cidr == cidr; });
      if (it == next.end())
        Fail("InvalidPrefixListModification", "The entry " + cidr + " does not exist in the prefix list " + id + ".");
      next.erase(it);
    }
    for (const auto& e : CheckedEntries(pl.address_family, a.add)) {
      auto it = std::find_if(next.begin(), next.end(), [&](const PrefixListEntry& x) { return x.cidr == e.cidr; });
      if (it != next.end()) it->description = e.description;  // the same block again: its description changes
      else next.push_back(e);
    }
    NewVersion(pl, std::move(next));
  }
  if (a.max_entries) {
    CheckMaxEntries(tx, *a.max_entries);
    if (*a.max_entries < static_cast<int>(pl.entries.size()))
      Fail("InvalidParameterValue", "The maximum number of entries cannot be less than the number of entries (" +
                                        std::to_string(pl.entries.size()) + ").");
    pl.max_entries = *a.max_entries;
    CheckReferences(tx, id);  // every reference counts the new size
  }
  pl.state = "modify-complete";
}

void DeleteManagedPrefixList(Tx& tx, const std::string& id) {
  GetManagedPrefixList(tx.p, id);
  auto refs = PrefixListReferences(tx.p, id);
  if (!refs.empty())
    Fail("DependencyViolation", "The prefix list " + id + " is referenced by " + refs.front() + ".");
  tx.p.managed_prefix_lists.erase(id);
  tx.Touch(id);
}

void RestoreManagedPrefixListVersion(Tx& tx, const std::string& id, int64_t previous_version, int64_t current_version) {
  ManagedPrefixList& pl = GetManagedPrefixList(tx.p, id);
  if (current_version != pl.version)
    Fail("PrefixListVersionMismatch", "The prefix list " + id + " has the version " + std::to_string(pl.version) +
                                          ", not " + std::to_string(current_version) + ".");
  if (previous_version < 1 || previous_version >= pl.version)
    Fail("InvalidParameterValue", "The prefix list " + id + " has no earlier version " +
                                      std::to_string(previous_version) + ".");
  tx.Touch(id);
  NewVersion(pl, pl.versions[static_cast<size_t>(previous_version - 1)]);
  pl.state = "restore-complete";
}

const std::vector<PrefixListEntry>& PrefixListEntriesAt(const ManagedPrefixList& pl, int64_t version) {
  if (version == 0) return pl.entries;
  if (version < 1 || version > static_cast<int64_t>(pl.versions.size()))
    Fail("InvalidParameterValue", "The prefix list " + pl.id + " has no version " + std::to_string(version) + ".");
  return pl.versions[static_cast<size_t>(version - 1)];
}

std::vector<std::string> PrefixListReferences(const Partition& p, const std::string& id) {
  std::vector<std::string> out;
  for (const auto& [sid, sg] : p.security_groups)
    if (std::any_of(sg.rules.begin(), sg.rules.end(), [&](const SecurityGroupRule& r) { return r.prefix_list_id == id; }))
      out.push_back(sid);
  for (const auto& [rid, rt] : p.route_tables)
    if (std::any_of(rt.routes.begin(), rt.routes.end(), [&](const Route& r) { return r.destination_prefix_list_id == id; }))
      out.push_back(rid);
  return out;
}

int PrefixListWeight(const Partition& p, const std::string& id) {
  const ManagedPrefixList* pl = FindPrefixList(p, id);
  return pl ? pl->max_entries : 1;
}

int LongestPrefixListMatch(const Partition& p, const std::string& id, net::Ipv4 addr) {
  return Longest(p, id, addr, [](const std::string& s) { return net::ParseCidr4(s); });
}

int LongestPrefixListMatch(const Partition& p, const std::string& id, const net::Ipv6& addr) {
  return Longest(p, id, addr, [](const std::string& s) { return net::ParseCidr6(s); });
}

}  // namespace openvpc::model
