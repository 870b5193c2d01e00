// DHCP options sets.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/dhcp_options.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeDhcpOptions = {
    .ids_member = "DhcpOptionsIds", .id_path = "DhcpOptionsId", .list_member = "DhcpOptions",
    .not_found_code = "InvalidDhcpOptionID.NotFound", .not_found_noun = "dhcpOption",
    .filters = {
        {"dhcp-options-id", {"DhcpOptionsId"}},
        {"key", {"DhcpConfigurations.Key"}},
        {"value", {"DhcpConfigurations.Values.Value"}},
        {"owner-id", {"OwnerId"}},
    }};

json CreateDhcpOptions(Call& c) {
  std::vector<std::pair<std::string, std::vector<std::string>>> configs;
  for (const auto& d : c.in.value("DhcpConfigurations", json::array()))
    configs.emplace_back(d.value("Key", ""), d.value("Values", std::vector<std::string>{}));
  const auto& d = model::CreateDhcpOptions(c.tx, configs, CreateTagsFor(c, "dhcp-options"));
  return {{"DhcpOptions", DhcpOptionsView(d)}};
}

json DeleteDhcpOptions(Call& c) {
  model::DeleteDhcpOptions(c.tx, Str(c.in, "DhcpOptionsId"));
  return json::object();
}

json DescribeDhcpOptions(Call& c) {
  std::vector<json> items;
  for (const auto& [id, d] : c.p().dhcp_options) items.push_back(DhcpOptionsView(d));
  return Describe(kDescribeDhcpOptions, c.in, std::move(items));
}

json AssociateDhcpOptions(Call& c) {
  model::AssociateDhcpOptions(c.tx, Str(c.in, "DhcpOptionsId"), Str(c.in, "VpcId"));
  return json::object();
}

}  // namespace

void RegisterDhcpOptionsHandlers() {
  Register("CreateDhcpOptions", CreateDhcpOptions, true);
  Register("DeleteDhcpOptions", DeleteDhcpOptions, true);
  Register("DescribeDhcpOptions", DescribeDhcpOptions, false);
  Register("AssociateDhcpOptions", AssociateDhcpOptions, true);
}

}  // namespace openvpc::api
