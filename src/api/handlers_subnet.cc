// CreateSubnet, DeleteSubnet, DescribeSubnets, ModifySubnetAttribute, Associate/Disassociate
// SubnetCidrBlock, CreateDefaultSubnet.
#include "api/describe.h"
#include "api/handlers.h"
#include "model/error.h"
#include "model/subnet.h"
#include "model/vpc.h"

namespace openvpc::api {
namespace {

const DescribeSpec kDescribeSubnets = {
    .ids_member = "SubnetIds", .id_path = "SubnetId", .list_member = "Subnets",
    .not_found_code = "InvalidSubnetID.NotFound", .not_found_noun = "subnet",
    .filters = {
        {"availability-zone", {"AvailabilityZone"}},
        {"availabilityZone", {"AvailabilityZone"}},
        {"availability-zone-id", {"AvailabilityZoneId"}},
        {"available-ip-address-count", {"AvailableIpAddressCount"}},
        {"cidr-block", {"CidrBlock"}},
        {"cidr", {"CidrBlock"}},
        {"cidrBlock", {"CidrBlock"}},
        {"customer-owned-ipv4-pool", {"CustomerOwnedIpv4Pool"}},
        {"default-for-az", {"DefaultForAz"}},
        {"defaultForAz", {"DefaultForAz"}},
        {"enable-dns64", {"EnableDns64"}},
        {"enable-lni-at-device-index", {"EnableLniAtDeviceIndex"}},
        {"ipv6-cidr-block-association.ipv6-cidr-block", {"Ipv6CidrBlockAssociationSet.Ipv6CidrBlock"}},
        {"ipv6-cidr-block-association.association-id", {"Ipv6CidrBlockAssociationSet.AssociationId"}},
        {"ipv6-cidr-block-association.state", {"Ipv6CidrBlockAssociationSet.Ipv6CidrBlockState.State"}},
        {"ipv6-native", {"Ipv6Native"}},
        {"map-customer-owned-ip-on-launch", {"MapCustomerOwnedIpOnLaunch"}},
        {"map-public-ip-on-launch", {"MapPublicIpOnLaunch"}},
        {"outpost-arn", {"OutpostArn"}},
        {"owner-id", {"OwnerId"}},
        {"private-dns-name-options-on-launch.hostname-type", {"PrivateDnsNameOptionsOnLaunch.HostnameType"}},
        {"private-dns-name-options-on-launch.enable-resource-name-dns-a-record",
         {"PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsARecord"}},
        {"private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record",
         {"PrivateDnsNameOptionsOnLaunch.EnableResourceNameDnsAAAARecord"}},
        {"state", {"State"}},
        {"subnet-arn", {"SubnetArn"}},
        {"subnet-id", {"SubnetId"}},
        {"vpc-id", {"VpcId"}},
    }};

json CreateSubnet(Call& c) {
  for (const char* m : {"Ipv4IpamPoolId", "Ipv6IpamPoolId", "OutpostArn"})
    if (c.in.contains(m))
      model::Fail("InvalidParameterValue", std::string("The parameter ") + m + " is not supported in this Region.");
  model::CreateSubnetArgs a{.vpc_id = Str(c.in, "VpcId"),
                            .cidr_block = Str(c.in, "CidrBlock"),
                            .ipv6_cidr_block = Str(c.in, "Ipv6CidrBlock"),
                            .ipv6_native = Bool(c.in, "Ipv6Native"),
                            .availability_zone = Str(c.in, "AvailabilityZone"),
                            .availability_zone_id = Str(c.in, "AvailabilityZoneId"),
                            .tags = CreateTagsFor(c, "subnet")};
  const model::Subnet& s = model::CreateSubnet(c.tx, a);
  return {{"Subnet", SubnetView(c.p(), s)}};
}

json DeleteSubnet(Call& c) {
  model::DeleteSubnet(c.tx, Str(c.in, "SubnetId"));
  return json::object();
}

json DescribeSubnets(Call& c) {
  std::vector<json> items;
  for (const auto& [id, s] : c.p().subnets) items.push_back(SubnetView(c.p(), s));
  return Describe(kDescribeSubnets, c.in, std::move(items));
}

json ModifySubnetAttribute(Call& c) {
  std::string subnet_id = Str(c.in, "SubnetId");
  int n = 0;
  for (const char* m : {"MapPublicIpOnLaunch", "AssignIpv6AddressOnCreation", "EnableDns64",
                        "EnableResourceNameDnsARecordOnLaunch", "EnableResourceNameDnsAAAARecordOnLaunch"})
    if (auto v = AttrBool(c.in, m)) model::ModifySubnetAttribute(c.tx, subnet_id, m, *v ? "true" : "false"), ++n;
  if (c.in.contains("PrivateDnsHostnameTypeOnLaunch"))
    model::ModifySubnetAttribute(c.tx, subnet_id, "PrivateDnsHostnameTypeOnLaunch",
                                 Str(c.in, "PrivateDnsHostnameTypeOnLaunch")),
        ++n;
  for (const char* m : {"MapCustomerOwnedIpOnLaunch", "CustomerOwnedIpv4Pool", "EnableLniAtDeviceIndex",
                        "DisableLniAtDeviceIndex"})
    if (c.in.contains(m))
      model::Fail("InvalidParameterValue", std::string("The parameter ") + m + " applies to Outposts subnets only.");
  if (n == 0) {
    model::GetSubnet(c.p(), subnet_id);
    model::Fail("MissingParameter", "The request must contain exactly one attribute to modify.");
  }
  return json::object();
}

json AssociateSubnetCidrBlock(Call& c) {
  if (c.in.contains("Ipv6IpamPoolId"))
    model::Fail("InvalidParameterValue", "The parameter Ipv6IpamPoolId is not supported in this Region.");
  std::string subnet_id = Str(c.in, "SubnetId");
  auto a = model::AssociateSubnetCidrBlock(c.tx, subnet_id, Str(c.in, "Ipv6CidrBlock"));
  return {{"SubnetId", subnet_id}, {"Ipv6CidrBlockAssociation", SubnetIpv6CidrView(a)}};
}

json DisassociateSubnetCidrBlock(Call& c) {
  auto [subnet_id, a] = model::DisassociateSubnetCidrBlock(c.tx, Str(c.in, "AssociationId"));
  return {{"SubnetId", subnet_id}, {"Ipv6CidrBlockAssociation", SubnetIpv6CidrView(a)}};
}

json CreateDefaultSubnet(Call& c) {
  if (Bool(c.in, "Ipv6Native"))
    model::Fail("InvalidParameterValue", "IPv6-only default subnets are not supported in this Region.");
  const model::Subnet& s =
      model::CreateDefaultSubnet(c.tx, Str(c.in, "AvailabilityZone"), Str(c.in, "AvailabilityZoneId"));
  return {{"Subnet", SubnetView(c.p(), s)}};
}

// ---- subnet CIDR reservations ----

json CidrReservationView(const model::Partition& p, const std::string& subnet_id, const model::SubnetCidrReservation& r) {
  json v = {{"SubnetCidrReservationId", r.id}, {"SubnetId", subnet_id},           {"Cidr", r.cidr},
            {"ReservationType", r.reservation_type}, {"OwnerId", p.account_id}, {"Tags", TagsView(r.tags)}};
  if (!r.description.empty()) v["Description"] = r.description;
  return v;
}

json CreateSubnetCidrReservation(Call& c) {
  const std::string subnet_id = Str(c.in, "SubnetId");
  const auto& r = model::CreateSubnetCidrReservation(c.tx, {.subnet_id = subnet_id,
                                                            .cidr = Str(c.in, "Cidr"),
                                                            .reservation_type = Str(c.in, "ReservationType"),
                                                            .description = Str(c.in, "Description"),
                                                            .tags = CreateTagsFor(c, "subnet-cidr-reservation")});
  return {{"SubnetCidrReservation", CidrReservationView(c.p(), subnet_id, r)}};
}

const DescribeSpec kGetSubnetCidrReservations = {
    .id_path = "SubnetCidrReservationId", .list_member = "Reservations",
    .filters = {{"reservationType", {"ReservationType"}}, {"subnet-id", {"SubnetId"}}, {"owner-id", {"OwnerId"}}}};

// The subnet's reservations through the Describe engine (filters, paging), then split by family.
json GetSubnetCidrReservations(Call& c) {
  const model::Subnet& s = model::GetSubnet(c.p(), Str(c.in, "SubnetId"));
  std::vector<json> items;
  for (const auto& r : s.cidr_reservations) items.push_back(CidrReservationView(c.p(), s.id, r));
  json page = Describe(kGetSubnetCidrReservations, c.in, std::move(items));
  json out = {{"SubnetIpv4CidrReservations", json::array()}, {"SubnetIpv6CidrReservations", json::array()}};
  for (auto& r : page["Reservations"])
    out[r["Cidr"].get<std::string>().find(':') == std::string::npos ? "SubnetIpv4CidrReservations"
                                                                    : "SubnetIpv6CidrReservations"]
        .push_back(std::move(r));
  if (page.contains("NextToken")) out["NextToken"] = page["NextToken"];
  return out;
}

json DeleteSubnetCidrReservation(Call& c) {
  auto [subnet_id, r] = model::DeleteSubnetCidrReservation(c.tx, Str(c.in, "SubnetCidrReservationId"));
  return {{"DeletedSubnetCidrReservation", CidrReservationView(c.p(), subnet_id, r)}};
}

}  // namespace

void RegisterSubnetHandlers() {
  Register("CreateSubnetCidrReservation", CreateSubnetCidrReservation, true);
  Register("GetSubnetCidrReservations", GetSubnetCidrReservations, false);
  Register("DeleteSubnetCidrReservation", DeleteSubnetCidrReservation, true);
  Register("CreateSubnet", CreateSubnet, true);
  Register("DeleteSubnet", DeleteSubnet, true);
  Register("DescribeSubnets", DescribeSubnets, false);
  Register("ModifySubnetAttribute", ModifySubnetAttribute, true);
  Register("AssociateSubnetCidrBlock", AssociateSubnetCidrBlock, true);
  Register("DisassociateSubnetCidrBlock", DisassociateSubnetCidrBlock, true);
  Register("CreateDefaultSubnet", CreateDefaultSubnet, true);
}

}  // namespace openvpc::api
