// Customer-managed prefix lists (the VPC guide's "Managed prefix lists"; issue 14): a named set of
// CIDR blocks of one address family, at most MaxEntries of them, that security group rules and
// routes reference by id. Every change of the entries is a new version; an earlier version can be
// restored (as a new one). A reference counts against the referencing resource's quota as
// MaxEntries rules or routes, so MaxEntries grows only where every reference still fits.
// The data plane sees a reference through the predicates of evaluate.h, which read the entries
// here: a rule matches a peer in any entry, a route is a route to each entry.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "model/state.h"
#include "net/ip.h"

namespace openvpc::model {

// A customer-managed list of P, to change (an AWS-managed one is refused).
ManagedPrefixList& GetManagedPrefixList(Partition& p, const std::string& id);
// The list ID as P sees it: its own, or one of AWS's of P's Region; nullptr when neither.
const ManagedPrefixList* FindPrefixList(const Partition& p, const std::string& id);

// AWS's own lists (GW-26): com.amazonaws.REGION.s3 and com.amazonaws.REGION.dynamodb of every
// Region, each its service's address in the services pool (aws_services.h), owned by "AWS",
// not stored: what CONFIGURE (the service, at start) says the pool is.
void ConfigureAwsManagedPrefixLists(const std::string& services_pool);
std::vector<const ManagedPrefixList*> AwsManagedPrefixLists(const std::string& region);

struct CreateManagedPrefixListArgs {
  std::string name, address_family;
  int max_entries = 0;
  std::vector<PrefixListEntry> entries;
  TagList tags;
};
ManagedPrefixList& CreateManagedPrefixList(Tx& tx, const CreateManagedPrefixListArgs& a);

struct ModifyManagedPrefixListArgs {
  std::optional<int64_t> current_version;  // refused when it is not the list's (optimistic locking)
  std::optional<std::string> name;
  std::vector<PrefixListEntry> add;
  std::vector<std::string> remove;  // CIDRs
  std::optional<int> max_entries;   // not together with entries
};
void ModifyManagedPrefixList(Tx& tx, const std::string& id, const ModifyManagedPrefixListArgs& a);
// Refused while a rule or route references it.
void DeleteManagedPrefixList(Tx& tx, const std::string& id);
// The entries of PREVIOUS_VERSION become a new version; CURRENT_VERSION must be the list's.
void RestoreManagedPrefixListVersion(Tx& tx, const std::string& id, int64_t previous_version, int64_t current_version);
// The entries of VERSION (0: the current one).
const std::vector<PrefixListEntry>& PrefixListEntriesAt(const ManagedPrefixList& pl, int64_t version);

// The resources of P that reference ID: security groups and route tables (each once).
std::vector<std::string> PrefixListReferences(const Partition& p, const std::string& id);
// What a reference to ID costs in the referencing resource's quota: its MaxEntries (1 when the
// list is unknown).
int PrefixListWeight(const Partition& p, const std::string& id);

// The longest entry of list ID (of P) that holds ADDR, as its prefix length; -1 when none does
// or the list is unknown. The data plane's view of a reference (evaluate.h).
int LongestPrefixListMatch(const Partition& p, const std::string& id, net::Ipv4 addr);
int LongestPrefixListMatch(const Partition& p, const std::string& id, const net::Ipv6& addr);

}  // namespace openvpc::model
