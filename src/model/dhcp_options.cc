// DHCP options sets: rules Q1-Q3, AA9.
#include <algorithm>
#include <set>

#include "model/internal.h"

namespace openvpc::model {
using namespace internal;

DhcpOptions& CreateDhcpOptions(Tx& tx,
                               const std::vector<std::pair<std::string, std::vector<std::string>>>& configurations,
                               TagList tags) {
  static const std::set<std::string> kKeys = {"domain-name", "domain-name-servers", "ntp-servers",
                                              "netbios-name-servers", "netbios-node-type",
                                              "ipv6-address-preferred-lease-time"};
  if (configurations.empty())
    Fail("MissingParameter", "The request must contain the parameter dhcpConfiguration");
  std::set<std::string> seen;
  for (const auto& [key, values] : configurations) {
    if (!kKeys.count(key))
      Fail("InvalidParameterValue", "Value (" + key + ") for parameter name is invalid. Unrecognized option name");
    if (!seen.insert(key).second)
      Fail("InvalidParameterValue", "Value (" + key + ") for parameter name is invalid. Duplicate option name");
    if (values.empty())
      Fail("InvalidParameterValue", "Value for parameter " + key + " is invalid. At least one value is required.");
    bool server_list = key == "domain-name-servers" || key == "ntp-servers" || key == "netbios-name-servers";
    if (server_list && values.size() > 4)  // Q1
      Fail("InvalidParameterValue", "Value for parameter " + key + " is invalid. A maximum of 4 values is allowed.");
    for (const auto& value : values) {
      bool ok = true;
      if (key == "domain-name-servers") ok = value == "AmazonProvidedDNS" || net::ParseIpv4(value) || net::ParseIpv6(value);
      if (key == "ntp-servers" || key == "netbios-name-servers") ok = net::ParseIpv4(value) || net::ParseIpv6(value);
      if (key == "netbios-node-type") ok = value == "1" || value == "2" || value == "4" || value == "8";
      if (key == "ipv6-address-preferred-lease-time")
        ok = value.size() <= 10 && AllDigits(value) &&
             std::stoll(value) >= 140 && std::stoll(value) <= 2147483647;
      if (!ok) Fail("InvalidParameterValue", "Value (" + value + ") for parameter " + key + " is invalid.");
    }
  }
  DhcpOptions d;
  d.id = NewId("dopt");
  d.owner_id = tx.p.account_id;
  d.configurations = configurations;
  d.tags = std::move(tags);
  DhcpOptions& stored = tx.p.dhcp_options[d.id] = std::move(d);
  tx.Touch(stored.id);
  return stored;
}

void DeleteDhcpOptions(Tx& tx, const std::string& dhcp_options_id) {
  GetDhcpOptions(tx.p, dhcp_options_id);
  for (const auto& [id, v] : tx.p.vpcs)  // Q3, AA9: a set in use stays
    if (v.dhcp_options_id == dhcp_options_id)
      Fail("DependencyViolation", "The dhcpOptions '" + dhcp_options_id + "' has dependencies and cannot be deleted.");
  tx.p.dhcp_options.erase(dhcp_options_id);
  if (tx.p.default_dhcp_options_id == dhcp_options_id) {
    tx.p.default_dhcp_options_id.clear();
    tx.partition_touched = true;
  }
  tx.Touch(dhcp_options_id);
}

void AssociateDhcpOptions(Tx& tx, const std::string& dhcp_options_id, const std::string& vpc_id) {
  if (dhcp_options_id != "default") GetDhcpOptions(tx.p, dhcp_options_id);
  Vpc& v = GetVpc(tx.p, vpc_id);
  v.dhcp_options_id = dhcp_options_id;  // "default": no options set (Q3)
  tx.Touch(vpc_id);
}

}  // namespace openvpc::model
