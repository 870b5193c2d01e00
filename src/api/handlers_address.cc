// Elastic IP addresses: AllocateAddress, AssociateAddress, DisassociateAddress, ReleaseAddress,
// DescribeAddresses, DescribeAddressesAttribute.
#include <set>

#include "api/describe.h"
#include "api/handlers.h"
#include "model/address.h"
#include "model/error.h"
#include "model/vpc.h"
#include "net/ip.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeAddresses = {
    .ids_member = "AllocationIds", .id_path = "AllocationId", .list_member = "Addresses",
    .not_found_code = "InvalidAllocationID.NotFound", .not_found_noun = "allocation",
    .filters = {
        {"allocation-id", {"AllocationId"}},
        {"association-id", {"AssociationId"}},
        {"domain", {"Domain"}},
        {"instance-id", {"InstanceId"}},
        {"network-border-group", {"NetworkBorderGroup"}},
        {"network-interface-id", {"NetworkInterfaceId"}},
        {"network-interface-owner-id", {"NetworkInterfaceOwnerId"}},
        {"private-ip-address", {"PrivateIpAddress"}},
        {"public-ip", {"PublicIp"}},
    },
    .paginated = false};

const DescribeSpec kDescribeAddressesAttribute = {
    .ids_member = "AllocationIds", .id_path = "AllocationId", .list_member = "Addresses",
    .not_found_code = "InvalidAllocationID.NotFound", .not_found_noun = "allocation",
    .taggable = false,
    .max_results = {1, 1000}};

json AddressView(const model::Partition& p, const model::Address& a) {
  json v = {{"AllocationId", a.allocation_id},
            {"Domain", a.domain},
            {"PublicIp", a.public_ip},
            {"PublicIpv4Pool", a.public_ipv4_pool},
            {"NetworkBorderGroup", a.network_border_group},
            {"Tags", TagsView(a.tags)}};
  if (!a.association_id.empty()) {
    v["AssociationId"] = a.association_id;
    v["NetworkInterfaceId"] = a.network_interface_id;
    v["PrivateIpAddress"] = a.private_ip_address;
    auto eni = p.network_interfaces.find(a.network_interface_id);
    v["NetworkInterfaceOwnerId"] = eni != p.network_interfaces.end() ? eni->second.owner_id : a.owner_id;
    std::string instance = model::InstanceIdOf(p, a);
    if (!instance.empty()) v["InstanceId"] = instance;
  }
  return v;
}

json AllocateAddress(Call& c) {
  model::AllocateAddressArgs args{.domain = Str(c.in, "Domain"),
                                  .address = Str(c.in, "Address"),
                                  .network_border_group = Str(c.in, "NetworkBorderGroup"),
                                  .public_ipv4_pool = Str(c.in, "PublicIpv4Pool"),
                                  .tags = CreateTagsFor(c, "elastic-ip")};
  if (c.in.contains("CustomerOwnedIpv4Pool") || c.in.contains("IpamPoolId"))
    model::Fail("InvalidParameterCombination",
                "Customer-owned and IPAM pools are not supported; allocate from Amazon's pool.");
  const model::Address& a = model::AllocateAddress(c.tx, args);
  return {{"AllocationId", a.allocation_id},
          {"Domain", a.domain},
          {"PublicIp", a.public_ip},
          {"PublicIpv4Pool", a.public_ipv4_pool},
          {"NetworkBorderGroup", a.network_border_group}};
}

json AssociateAddress(Call& c) {
  std::string id = model::AssociateAddress(
      c.tx, {.allocation_id = Str(c.in, "AllocationId"),
             .public_ip = Str(c.in, "PublicIp"),
             .network_interface_id = Str(c.in, "NetworkInterfaceId"),
             .instance_id = Str(c.in, "InstanceId"),
             .private_ip_address = Str(c.in, "PrivateIpAddress"),
             .allow_reassociation = Bool(c.in, "AllowReassociation")});
  return {{"AssociationId", id}};
}

json DisassociateAddress(Call& c) {
  model::DisassociateAddress(c.tx, Str(c.in, "AssociationId"), Str(c.in, "PublicIp"));
  return json::object();
}

json ReleaseAddress(Call& c) {
  model::ReleaseAddress(c.tx, Str(c.in, "AllocationId"), Str(c.in, "PublicIp"), Str(c.in, "NetworkBorderGroup"));
  return json::object();
}

json DescribeAddresses(Call& c) {
  std::vector<json> items;
  for (const auto& [id, a] : c.p().addresses) items.push_back(AddressView(c.p(), a));
  // PublicIps: every address named must be this account's in this Region.
  std::vector<std::string> ips = StrList(c.in, "PublicIps");
  if (!ips.empty()) {
    std::set<std::string> wanted(ips.begin(), ips.end());
    for (const auto& ip : wanted) {
      if (!net::ParseIpv4(ip))
        model::Fail("InvalidParameterValue", "Invalid value '" + ip + "' for PublicIp: not a valid IPv4 address.");
      if (!model::FindAddressByPublicIp(c.p(), ip))
        model::Fail("InvalidAddress.NotFound", "Address '" + ip + "' not found.");
    }
    std::erase_if(items, [&](const json& item) { return !wanted.count(item.value("PublicIp", "")); });
  }
  return Describe(kDescribeAddresses, c.in, std::move(items));
}

json DescribeAddressesAttribute(Call& c) {
  // The one attribute is domain-name: the address's reverse DNS (PTR) record. openvpc keeps no
  // custom records, so it is the name AWS gives every public address.
  std::vector<json> items;
  for (const auto& [id, a] : c.p().addresses)
    items.push_back({{"AllocationId", a.allocation_id},
                     {"PublicIp", a.public_ip},
                     {"PtrRecord", model::DefaultPtrRecord(c.p().region, a.public_ip)}});
  return Describe(kDescribeAddressesAttribute, c.in, std::move(items));
}

}  // namespace

void RegisterAddressHandlers() {
  Register("AllocateAddress", AllocateAddress, true);
  Register("AssociateAddress", AssociateAddress, true);
  Register("DisassociateAddress", DisassociateAddress, true);
  Register("ReleaseAddress", ReleaseAddress, true);
  Register("DescribeAddresses", DescribeAddresses, false);
  Register("DescribeAddressesAttribute", DescribeAddressesAttribute, false);
  model::RegisterDependencyCheck(model::CheckNoMappedAddresses);  // AA5
}

}  // namespace openvpc::api
