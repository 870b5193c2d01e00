// Managed prefix lists (EC2 API): the views of model/prefix_list.h.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/prefix_list.h"

namespace openvpc::api {

namespace {

const DescribeSpec kDescribeLists = {
    .ids_member = "PrefixListIds", .id_path = "PrefixListId", .list_member = "PrefixLists",
    .not_found_code = "InvalidPrefixListID.NotFound", .not_found_noun = "prefix list",
    .filters = {
        {"owner-id", {"OwnerId"}},
        {"prefix-list-id", {"PrefixListId"}},
        {"prefix-list-name", {"PrefixListName"}},
    },
    .max_results = {1, 100}};

const DescribeSpec kDescribeAwsLists = {
    .ids_member = "PrefixListIds", .id_path = "PrefixListId", .list_member = "PrefixLists",
    .not_found_code = "InvalidPrefixListID.NotFound", .not_found_noun = "prefix list",
    .filters = {
        {"prefix-list-id", {"PrefixListId"}},
        {"prefix-list-name", {"PrefixListName"}},
    },
    .taggable = false};

const DescribeSpec kEntries = {
    .id_path = "Cidr", .list_member = "Entries", .taggable = false, .max_results = {1, 100}};

const DescribeSpec kAssociations = {
    .id_path = "ResourceId", .list_member = "PrefixListAssociations", .taggable = false, .max_results = {5, 255}};

json ListView(const model::Partition& p, const model::ManagedPrefixList& pl) {
  return {{"PrefixListId", pl.id},
          {"AddressFamily", pl.address_family},
          {"State", pl.state},
          {"PrefixListArn", "arn:aws:ec2:" + p.region + ":" + pl.owner_id + ":prefix-list/" + pl.id},
          {"PrefixListName", pl.name},
          {"MaxEntries", pl.max_entries},
          {"Version", pl.version},
          {"Tags", TagsView(pl.tags)},
          {"OwnerId", pl.owner_id}};
}

std::vector<model::PrefixListEntry> EntriesOf(const json& in, const char* member) {
  std::vector<model::PrefixListEntry> out;
  for (const auto& e : in.value(member, json::array()))
    out.push_back({.cidr = e.value("Cidr", ""), .description = e.value("Description", "")});
  return out;
}

int64_t Long(const json& in, const char* member) {
  auto it = in.find(member);
  return it != in.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

json CreateManagedPrefixList(Call& c) {
  const auto& pl = model::CreateManagedPrefixList(
      c.tx, {.name = Str(c.in, "PrefixListName"),
             .address_family = Str(c.in, "AddressFamily"),
             .max_entries = static_cast<int>(Long(c.in, "MaxEntries")),
             .entries = EntriesOf(c.in, "Entries"),
             .tags = CreateTagsFor(c, "prefix-list")});
  return {{"PrefixList", ListView(c.p(), pl)}};
}

json DescribeManagedPrefixLists(Call& c) {
  std::vector<json> items;
  for (const auto& [id, pl] : c.p().managed_prefix_lists) items.push_back(ListView(c.p(), pl));
  for (const auto* pl : model::AwsManagedPrefixLists(c.p().region)) items.push_back(ListView(c.p(), *pl));
  return Describe(kDescribeLists, c.in, std::move(items));
}

// GW-26: AWS's lists as the older API shows them, with their blocks.
json DescribePrefixLists(Call& c) {
  std::vector<json> items;
  for (const auto* pl : model::AwsManagedPrefixLists(c.p().region)) {
    json cidrs = json::array();
    for (const auto& e : pl->entries) cidrs.push_back(e.cidr);
    items.push_back({{"PrefixListId", pl->id}, {"PrefixListName", pl->name}, {"Cidrs", cidrs}});
  }
  return Describe(kDescribeAwsLists, c.in, std::move(items));
}

// The list as a read sees it: the account's or AWS's.
const model::ManagedPrefixList& ReadList(Call& c, const std::string& id) {
  if (const model::ManagedPrefixList* pl = model::FindPrefixList(c.p(), id)) return *pl;
  return model::GetManagedPrefixList(c.p(), id);  // throws AWS's error
}

json ModifyManagedPrefixList(Call& c) {
  if (c.in.contains("IpamPrefixListResolverSyncEnabled"))
    model::Fail("InvalidParameter", "openvpc has no IPAM: prefix lists are not synchronised with a resolver");
  model::ModifyManagedPrefixListArgs a{.add = EntriesOf(c.in, "AddEntries")};
  if (c.in.contains("CurrentVersion")) a.current_version = Long(c.in, "CurrentVersion");
  if (c.in.contains("PrefixListName")) a.name = Str(c.in, "PrefixListName");
  if (c.in.contains("MaxEntries")) a.max_entries = static_cast<int>(Long(c.in, "MaxEntries"));
  for (const auto& e : c.in.value("RemoveEntries", json::array())) a.remove.push_back(e.value("Cidr", ""));
  const std::string id = Str(c.in, "PrefixListId");
  model::ModifyManagedPrefixList(c.tx, id, a);
  return {{"PrefixList", ListView(c.p(), model::GetManagedPrefixList(c.p(), id))}};
}

json DeleteManagedPrefixList(Call& c) {
  const std::string id = Str(c.in, "PrefixListId");
  json view = ListView(c.p(), model::GetManagedPrefixList(c.p(), id));
  model::DeleteManagedPrefixList(c.tx, id);
  view["State"] = "delete-complete";
  return {{"PrefixList", view}};
}

json GetManagedPrefixListEntries(Call& c) {
  const auto& pl = ReadList(c, Str(c.in, "PrefixListId"));
  std::vector<json> items;
  for (const auto& e : model::PrefixListEntriesAt(pl, Long(c.in, "TargetVersion"))) {
    json item = {{"Cidr", e.cidr}};
    if (!e.description.empty()) item["Description"] = e.description;
    items.push_back(item);
  }
  return Describe(kEntries, c.in, std::move(items));
}

json GetManagedPrefixListAssociations(Call& c) {
  const std::string id = Str(c.in, "PrefixListId");
  ReadList(c, id);
  std::vector<json> items;
  for (const auto& ref : model::PrefixListReferences(c.p(), id))
    items.push_back({{"ResourceId", ref}, {"ResourceOwner", c.p().account_id}});
  return Describe(kAssociations, c.in, std::move(items));
}

json RestoreManagedPrefixListVersion(Call& c) {
  const std::string id = Str(c.in, "PrefixListId");
  model::RestoreManagedPrefixListVersion(c.tx, id, Long(c.in, "PreviousVersion"), Long(c.in, "CurrentVersion"));
  return {{"PrefixList", ListView(c.p(), model::GetManagedPrefixList(c.p(), id))}};
}

}  // namespace

void RegisterPrefixListHandlers() {
  Register("CreateManagedPrefixList", CreateManagedPrefixList, true);
  Register("DescribeManagedPrefixLists", DescribeManagedPrefixLists, false);
  Register("ModifyManagedPrefixList", ModifyManagedPrefixList, true);
  Register("DeleteManagedPrefixList", DeleteManagedPrefixList, true);
  Register("GetManagedPrefixListEntries", GetManagedPrefixListEntries, false);
  Register("GetManagedPrefixListAssociations", GetManagedPrefixListAssociations, false);
  Register("RestoreManagedPrefixListVersion", RestoreManagedPrefixListVersion, true);
  Register("DescribePrefixLists", DescribePrefixLists, false);
}

}  // namespace openvpc::api
