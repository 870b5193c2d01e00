// Elastic network interfaces.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/network_interface.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeNetworkInterfaces = {
    .ids_member = "NetworkInterfaceIds", .id_path = "NetworkInterfaceId", .list_member = "NetworkInterfaces",
    .not_found_code = "InvalidNetworkInterfaceID.NotFound", .not_found_noun = "networkInterface",
    .filters = {
        {"association.allocation-id", {"Association.AllocationId"}},
        {"association.association-id", {"Association.AssociationId"}},
        {"addresses.association.owner-id", {"PrivateIpAddresses.Association.IpOwnerId"}},
        {"addresses.association.public-ip", {"PrivateIpAddresses.Association.PublicIp"}},
        {"addresses.primary", {"PrivateIpAddresses.Primary"}},
        {"addresses.private-ip-address", {"PrivateIpAddresses.PrivateIpAddress"}},
        {"association.ip-owner-id", {"Association.IpOwnerId"}},
        {"association.public-ip", {"Association.PublicIp"}},
        {"association.public-dns-name", {"Association.PublicDnsName"}},
        {"attachment.attach-time", {"Attachment.AttachTime"}},
        {"attachment.attachment-id", {"Attachment.AttachmentId"}},
        {"attachment.delete-on-termination", {"Attachment.DeleteOnTermination"}},
        {"attachment.device-index", {"Attachment.DeviceIndex"}},
        {"attachment.instance-id", {"Attachment.InstanceId"}},
        {"attachment.instance-owner-id", {"Attachment.InstanceOwnerId"}},
        {"attachment.status", {"Attachment.Status"}},
        {"availability-zone", {"AvailabilityZone"}},
        {"availability-zone-id", {"AvailabilityZoneId"}},
        {"description", {"Description"}},
        {"group-id", {"Groups.GroupId"}},
        {"group-name", {"Groups.GroupName"}},
        {"ipv6-addresses.ipv6-address", {"Ipv6Addresses.Ipv6Address"}},
        {"interface-type", {"InterfaceType"}},
        {"mac-address", {"MacAddress"}},
        {"network-interface-id", {"NetworkInterfaceId"}},
        {"owner-id", {"OwnerId"}},
        {"private-dns-name", {"PrivateDnsName"}},
        {"private-ip-address", {"PrivateIpAddress"}},
        {"requester-id", {"RequesterId"}},
        {"requester-managed", {"RequesterManaged"}},
        {"source-dest-check", {"SourceDestCheck"}},
        {"status", {"Status"}},
        {"subnet-id", {"SubnetId"}},
        {"vpc-id", {"VpcId"}},
    },
    .malformed_code = "InvalidNetworkInterfaceID.Malformed", .id_prefix = "eni-",
    .max_results_excludes_ids = true};

json CreateNetworkInterface(Call& c) {
  for (const char* m : {"Ipv4Prefixes", "Ipv4PrefixCount", "Ipv6Prefixes", "Ipv6PrefixCount", "Operator"})
    if (c.in.contains(m))
      model::Fail("InvalidParameterValue", std::string("The parameter ") + m + " is not supported in this Region.");
  std::string type = c.in.value("InterfaceType", "interface");
  if (type != "interface")
    model::Fail("InvalidParameterValue", "Interface type " + type + " is not supported in this Region.");
  model::CreateNetworkInterfaceArgs a{.subnet_id = Str(c.in, "SubnetId"),
                                      .description = Str(c.in, "Description"),
                                      .private_ip_address = Str(c.in, "PrivateIpAddress"),
                                      .secondary_private_ip_count = c.in.value("SecondaryPrivateIpAddressCount", 0),
                                      .ipv6_address_count = c.in.value("Ipv6AddressCount", 0),
                                      .group_ids = StrList(c.in, "Groups"),
                                      .tags = CreateTagsFor(c, "network-interface")};
  for (const auto& ip : c.in.value("PrivateIpAddresses", json::array()))
    a.private_ips.emplace_back(ip.value("PrivateIpAddress", ""), ip.value("Primary", false));
  for (const auto& ip : c.in.value("Ipv6Addresses", json::array())) a.ipv6_addresses.push_back(ip.value("Ipv6Address", ""));
  const auto& eni = model::CreateNetworkInterface(c.tx, a);
  json out = {{"NetworkInterface", NetworkInterfaceView(c.p(), eni)}};
  if (c.in.contains("ClientToken")) out["ClientToken"] = c.in["ClientToken"];
  return out;
}

json DeleteNetworkInterface(Call& c) {
  model::DeleteNetworkInterface(c.tx, Str(c.in, "NetworkInterfaceId"));
  return json::object();
}

json DescribeNetworkInterfaces(Call& c) {
  std::vector<json> items;
  for (const auto& [id, eni] : c.p().network_interfaces) items.push_back(NetworkInterfaceView(c.p(), eni));
  return Describe(kDescribeNetworkInterfaces, c.in, std::move(items));
}

json AttachNetworkInterface(Call& c) {
  std::string id = model::AttachNetworkInterface(c.tx, Str(c.in, "NetworkInterfaceId"), Str(c.in, "InstanceId"),
                                                 c.in.value("DeviceIndex", 0));
  return {{"AttachmentId", id}, {"NetworkCardIndex", 0}};
}

json DetachNetworkInterface(Call& c) {
  model::DetachNetworkInterface(c.tx, Str(c.in, "AttachmentId"), Bool(c.in, "Force"));
  return json::object();
}

json ModifyNetworkInterfaceAttribute(Call& c) {
  std::string id = Str(c.in, "NetworkInterfaceId");
  model::GetNetworkInterface(c.p(), id);
  int n = 0;
  if (c.in.contains("Groups")) model::SetNetworkInterfaceGroups(c.tx, id, StrList(c.in, "Groups")), ++n;
  if (auto v = AttrBool(c.in, "SourceDestCheck")) model::SetNetworkInterfaceSourceDestCheck(c.tx, id, *v), ++n;
  if (c.in.contains("Description"))
    model::SetNetworkInterfaceDescription(c.tx, id, c.in["Description"].value("Value", "")), ++n;
  if (c.in.contains("Attachment")) {
    const json& a = c.in["Attachment"];
    model::SetNetworkInterfaceDeleteOnTermination(c.tx, id, a.value("AttachmentId", ""),
                                                  a.value("DeleteOnTermination", false));
    ++n;
  }
  for (const char* m : {"EnaSrdSpecification", "EnablePrimaryIpv6", "ConnectionTrackingSpecification",
                        "AssociatePublicIpAddress", "AssociatedSubnetIds"})
    if (c.in.contains(m))
      model::Fail("InvalidParameterValue", std::string("The attribute ") + m + " is not supported in this Region.");
  if (n == 0) model::Fail("MissingParameter", "The request must contain exactly one attribute to modify.");
  return json::object();
}

json DescribeNetworkInterfaceAttribute(Call& c) {
  const auto& eni = model::GetNetworkInterface(c.p(), Str(c.in, "NetworkInterfaceId"));
  std::string attr = Str(c.in, "Attribute");
  json out = {{"NetworkInterfaceId", eni.id}};
  if (attr == "description") out["Description"] = {{"Value", eni.description}};
  else if (attr == "groupSet") out["Groups"] = GroupsView(c.p(), eni.group_ids);
  else if (attr == "sourceDestCheck") out["SourceDestCheck"] = {{"Value", eni.source_dest_check}};
  else if (attr == "attachment") {
    if (eni.attachment) out["Attachment"] = AttachmentView(*eni.attachment);
  } else if (attr == "associatePublicIpAddress") {
    out["AssociatePublicIpAddress"] = AssociationView(c.p(), eni, eni.PrimaryIp()).has_value();
  } else {
    model::Fail("MissingParameter", "The request must contain the parameter attribute");
  }
  return out;
}

json ResetNetworkInterfaceAttribute(Call& c) {
  std::string id = Str(c.in, "NetworkInterfaceId");
  model::GetNetworkInterface(c.p(), id);
  if (!c.in.contains("SourceDestCheck"))
    model::Fail("MissingParameter", "The request must contain the parameter sourceDestCheck");
  model::SetNetworkInterfaceSourceDestCheck(c.tx, id, true);
  return json::object();
}

json AssignPrivateIpAddresses(Call& c) {
  if (c.in.contains("Ipv4Prefixes") || c.in.contains("Ipv4PrefixCount"))
    model::Fail("InvalidParameterValue", "IPv4 prefixes are not supported in this Region.");
  std::string id = Str(c.in, "NetworkInterfaceId");
  auto ips = model::AssignPrivateIpAddresses(c.tx, id, StrList(c.in, "PrivateIpAddresses"),
                                             c.in.value("SecondaryPrivateIpAddressCount", 0),
                                             Bool(c.in, "AllowReassignment"));
  json assigned = json::array();
  for (const auto& ip : ips) assigned.push_back({{"PrivateIpAddress", ip}});
  return {{"NetworkInterfaceId", id}, {"AssignedPrivateIpAddresses", assigned}};
}

json UnassignPrivateIpAddresses(Call& c) {
  model::UnassignPrivateIpAddresses(c.tx, Str(c.in, "NetworkInterfaceId"), StrList(c.in, "PrivateIpAddresses"));
  return json::object();
}

json AssignIpv6Addresses(Call& c) {
  if (c.in.contains("Ipv6Prefixes") || c.in.contains("Ipv6PrefixCount"))
    model::Fail("InvalidParameterValue", "IPv6 prefixes are not supported in this Region.");
  std::string id = Str(c.in, "NetworkInterfaceId");
  auto ips = model::AssignIpv6Addresses(c.tx, id, StrList(c.in, "Ipv6Addresses"), c.in.value("Ipv6AddressCount", 0));
  return {{"NetworkInterfaceId", id}, {"AssignedIpv6Addresses", ips}};
}

json UnassignIpv6Addresses(Call& c) {
  std::string id = Str(c.in, "NetworkInterfaceId");
  auto ips = model::UnassignIpv6Addresses(c.tx, id, StrList(c.in, "Ipv6Addresses"));
  return {{"NetworkInterfaceId", id}, {"UnassignedIpv6Addresses", ips}};
}

}  // namespace

void RegisterNetworkInterfaceHandlers() {
  Register("CreateNetworkInterface", CreateNetworkInterface, true);
  Register("DeleteNetworkInterface", DeleteNetworkInterface, true);
  Register("DescribeNetworkInterfaces", DescribeNetworkInterfaces, false);
  Register("AttachNetworkInterface", AttachNetworkInterface, true);
  Register("DetachNetworkInterface", DetachNetworkInterface, true);
  Register("ModifyNetworkInterfaceAttribute", ModifyNetworkInterfaceAttribute, true);
  Register("DescribeNetworkInterfaceAttribute", DescribeNetworkInterfaceAttribute, false);
  Register("ResetNetworkInterfaceAttribute", ResetNetworkInterfaceAttribute, true);
  Register("AssignPrivateIpAddresses", AssignPrivateIpAddresses, true);
  Register("UnassignPrivateIpAddresses", UnassignPrivateIpAddresses, true);
  Register("AssignIpv6Addresses", AssignIpv6Addresses, true);
  Register("UnassignIpv6Addresses", UnassignIpv6Addresses, true);
}

}  // namespace openvpc::api
