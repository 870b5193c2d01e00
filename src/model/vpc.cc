// VPCs and their CIDR blocks: rules A1, A8, B1-B12, C1, P1-P4, AA1.
#include <random>

#include "model/internal.h"
#include "model/regions.h"
#include "model/vpc_peering.h"

namespace openvpc::model {
using namespace internal;

namespace {

std::vector<std::function<void(const Partition&, const std::string&)>>& DependencyChecks() {
  static std::vector<std::function<void(const Partition&, const std::string&)>> checks;
  return checks;
}

// Rule B10: which secondary blocks a primary block's range permits.
bool InRange(const net::Cidr4& c, const char* range) { return net::ParseCidr4(range).value().Overlaps(c); }

bool SecondaryRestricted(const net::Cidr4& primary, const net::Cidr4& s) {
  const bool s10 = InRange(s, "10.0.0.0/8"), s172 = InRange(s, "172.16.0.0/12"),
             s192 = InRange(s, "192.168.0.0/16"), s198 = InRange(s, "198.19.0.0/16");
  if (InRange(s, "100.64.0.0/10")) return false;
  if (InRange(primary, "10.0.0.0/8"))
    return s172 || s192 || s198 || (InRange(primary, "10.0.0.0/15") && InRange(s, "10.0.0.0/16"));
  if (InRange(primary, "172.16.0.0/12")) return s10 || s192 || s198 || InRange(s, "172.31.0.0/16");
  if (InRange(primary, "192.168.0.0/16")) return s10 || s172 || s198;
  if (InRange(primary, "198.19.0.0/16")) return s10 || s172 || s192;
  return s10 || s172 || s192 || s198;  // publicly routable or 100.64.0.0/10
}

std::string AllocateIpv6Block(const Partition& p) {
  // Amazon's pool, simulated from the documentation prefix 2001:db8::/32: a unique /56.
  static thread_local std::mt19937 rng{std::random_device{}()};
  for (;;) {
    uint32_t n = rng() & 0xffffff;
    char buf[64];
    snprintf(buf, sizeof buf, "2001:db8:%x:%x00::/56", n >> 8, n & 0xff);
    std::string cidr = net::ParseCidr6(buf).value().Canonical().ToString();
    bool used = false;
    for (const auto& [id, v] : p.vpcs)
      for (const auto& a : v.ipv6_cidr_blocks) used |= a.cidr == cidr;
    if (!used) return cidr;
  }
}

int CountIpv4Blocks(const Vpc& v) { return static_cast<int>(v.cidr_blocks.size()); }

}  // namespace

void RegisterDependencyCheck(std::function<void(const Partition&, const std::string&)> check) {
  DependencyChecks().push_back(std::move(check));
}

void internal::RunDependencyChecks(const Partition& p, const std::string& resource_id) {
  for (const auto& check : DependencyChecks()) check(p, resource_id);
}

Vpc& CreateVpc(Tx& tx, const CreateVpcArgs& a) {
  if (a.cidr_block.empty())
    Fail("MissingParameter", "Either 'cidrBlock' or 'ipv4IpamPoolId' should be provided.");
  net::Cidr4 cidr = ParseCidr4OrFail(a.cidr_block, "cidrBlock");
  if (cidr.prefix < 16 || cidr.prefix > 28)  // A1
    Fail("InvalidVpc.Range", "The CIDR '" + a.cidr_block + "' is invalid.");
  if (a.instance_tenancy != "default" && a.instance_tenancy != "dedicated")
    Fail("InvalidParameterValue",
         "Value (" + a.instance_tenancy + ") for parameter instanceTenancy is invalid.");
  if (static_cast<int>(tx.p.vpcs.size()) >= tx.quotas.Get("vpcs-per-region"))
    Fail("VpcLimitExceeded", "The maximum number of VPCs has been reached.");

  Vpc v;
  v.id = NewId("vpc");
  v.owner_id = tx.p.account_id;
  v.cidr_block = cidr.Canonical().ToString();
  v.cidr_blocks.push_back({NewId("vpc-cidr-assoc"), v.cidr_block, "associated", ""});
  if (a.amazon_provided_ipv6)
    v.ipv6_cidr_blocks.push_back({NewId("vpc-cidr-assoc"), AllocateIpv6Block(tx.p), "associated", tx.p.region});
  v.instance_tenancy = a.instance_tenancy;
  v.dhcp_options_id = tx.p.default_dhcp_options_id.empty() ? "default" : tx.p.default_dhcp_options_id;
  v.tags = a.tags;
  Vpc& stored = tx.p.vpcs[v.id] = std::move(v);
  tx.Touch(stored.id);
  CreateVpcDefaults(tx, stored);
  return stored;
}

void DeleteVpc(Tx& tx, const std::string& vpc_id) {
  Partition& p = tx.p;
  Vpc& v = GetVpc(p, vpc_id);
  auto depends = [&] {
    Fail("DependencyViolation", "The vpc '" + vpc_id + "' has dependencies and cannot be deleted.");
  };
  // AA1: subnets, attached gateways, custom route tables, ACLs and security groups first.
  for (const auto& [id, s] : p.subnets)
    if (s.vpc_id == vpc_id) depends();
  for (const auto& [id, g] : p.internet_gateways)
    for (const auto& a : g.attachments)
      if (a.vpc_id == vpc_id) depends();
  for (const auto& [id, g] : p.egress_only_internet_gateways)
    for (const auto& a : g.attachments)
      if (a.vpc_id == vpc_id) depends();
  for (const auto& [id, rt] : p.route_tables)
    if (rt.vpc_id == vpc_id && &MainRouteTable(p, vpc_id) != &rt) depends();
  for (const auto& [id, acl] : p.network_acls)
    if (acl.vpc_id == vpc_id && !acl.is_default) depends();
  for (const auto& [id, sg] : p.security_groups)
    if (sg.vpc_id == vpc_id && sg.group_name != "default") depends();
  RunDependencyChecks(p, vpc_id);

  // The main route table, default ACL and default security group go with the VPC.
  auto erase_in_vpc = [&](auto& map) {
    std::erase_if(map, [&](const auto& kv) {
      if (kv.second.vpc_id != vpc_id) return false;
      tx.Touch(kv.first);
      return true;
    });
  };
  erase_in_vpc(p.route_tables);
  erase_in_vpc(p.network_acls);
  erase_in_vpc(p.security_groups);
  (void)v;
  p.vpcs.erase(vpc_id);
  tx.Touch(vpc_id);
}

Vpc& CreateDefaultVpc(Tx& tx) {
  Partition& p = tx.p;
  for (const auto& [id, v] : p.vpcs)
    if (v.is_default)  // P4
      Fail("DefaultVpcAlreadyExists", "A Default VPC already exists for this account in this region.");
  if (static_cast<int>(p.internet_gateways.size()) >= tx.quotas.Get("internet-gateways-per-region"))
    Fail("InternetGatewayLimitExceeded", "The maximum number of internet gateways has been reached.");
  Vpc& v = CreateVpc(tx, {.cidr_block = "172.31.0.0/16"});
  v.is_default = true;
  v.enable_dns_hostnames = true;  // §4.3: both DNS attributes are true in the default VPC
  p.default_vpc_created = true;
  tx.partition_touched = true;
  const std::string vpc_id = v.id;

  const RegionInfo* region = FindRegion(p.region);
  for (const auto& zone : region ? region->zones : std::vector<Zone>{}) CreateDefaultSubnet(tx, zone.name, "");
  InternetGateway& igw = CreateInternetGateway(tx, {});
  AttachInternetGateway(tx, igw.id, vpc_id);
  CreateRoute(tx, {.route_table_id = MainRouteTable(p, vpc_id).id,
                   .destination_cidr_block = "0.0.0.0/0",
                   .target_member = "GatewayId",
                   .target_id = igw.id});
  return p.vpcs.at(vpc_id);
}

void ModifyVpcAttribute(Tx& tx, const std::string& vpc_id, const std::string& attribute, bool value) {
  Vpc& v = GetVpc(tx.p, vpc_id);
  if (attribute == "enableDnsSupport") {
    v.enable_dns_support = value;
  } else if (attribute == "enableDnsHostnames") {
    v.enable_dns_hostnames = value;
  } else if (attribute == "enableNetworkAddressUsageMetrics") {
    v.enable_network_address_usage_metrics = value;
  } else {
    Fail("InvalidParameterValue", "Value (" + attribute + ") for parameter attribute is invalid.");
  }
  tx.Touch(vpc_id);
}

void ModifyVpcTenancy(Tx& tx, const std::string& vpc_id, const std::string& tenancy) {
  Vpc& v = GetVpc(tx.p, vpc_id);
  if (tenancy != "default")  // only dedicated -> default is allowed
    Fail("InvalidParameterValue", "Value (" + tenancy + ") for parameter instanceTenancy is invalid.");
  v.instance_tenancy = tenancy;
  tx.Touch(vpc_id);
}

CidrBlockAssociation AssociateVpcCidrBlock(Tx& tx, const std::string& vpc_id, const std::string& cidr_block,
                                           bool amazon_provided_ipv6) {
  Vpc& v = GetVpc(tx.p, vpc_id);
  if (cidr_block.empty() == !amazon_provided_ipv6)
    Fail("InvalidParameterCombination",
         "Either 'cidrBlock' or 'amazonProvidedIpv6CidrBlock' must be specified, but not both.");
  if (amazon_provided_ipv6) {
    if (!v.ipv6_cidr_blocks.empty())  // C1
      Fail("CidrLimitExceeded", "This network " + vpc_id + " has met its maximum number of allowed CIDRs: 1");
    CidrBlockAssociation a{NewId("vpc-cidr-assoc"), AllocateIpv6Block(tx.p), "associated", tx.p.region};
    v.ipv6_cidr_blocks.push_back(a);
    AddLocalRoutes(tx, vpc_id, a.cidr, true);
    OnIpv6BlockAssociated(tx, vpc_id);
    tx.Touch(vpc_id);
    a.state = "associating";
    return a;
  }
  net::Cidr4 c = ParseCidr4OrFail(cidr_block, "cidrBlock");
  if (c.prefix < 16 || c.prefix > 28)  // B1
    Fail("InvalidVpc.Range", "The CIDR '" + cidr_block + "' is invalid.");
  c = c.Canonical();
  for (const auto& a : v.cidr_blocks)  // B2
    if (net::ParseCidr4(a.cidr).value().Overlaps(c))
      Fail("InvalidVpc.Range", "The CIDR '" + cidr_block + "' conflicts with another CIDR block " + a.cidr +
                                   " associated with the VPC.");
  if (SecondaryRestricted(net::ParseCidr4(v.cidr_block).value(), c))  // B10
    Fail("InvalidVpc.Range", "The CIDR '" + cidr_block +
                                 "' is restricted. Use a CIDR from the same private address range as the current "
                                 "VPC CIDR, or use a publicly-routable CIDR.");
  for (const auto& [id, rt] : tx.p.route_tables) {  // B5
    if (rt.vpc_id != vpc_id) continue;
    for (const auto& r : rt.routes) {
      auto dest = net::ParseCidr4(r.destination_cidr_block);
      if (dest && !r.IsLocal() && c.Contains(*dest))
        Fail("InvalidVpc.Range", "The CIDR '" + cidr_block + "' is equal to or larger than the destination " +
                                     r.destination_cidr_block + " of a route in route table " + id + ".");
    }
  }
  if (CountIpv4Blocks(v) >= tx.quotas.Get("ipv4-cidr-blocks-per-vpc"))  // B4
    Fail("CidrLimitExceeded", "This network " + vpc_id + " has met its maximum number of allowed CIDRs: " +
                                  std::to_string(tx.quotas.Get("ipv4-cidr-blocks-per-vpc")));
  CheckPeeringForNewVpcCidr(tx, vpc_id, c.ToString());  // B7, B8
  CidrBlockAssociation a{NewId("vpc-cidr-assoc"), c.ToString(), "associated", ""};
  v.cidr_blocks.push_back(a);
  AddLocalRoutes(tx, vpc_id, a.cidr, false);  // B11
  tx.Touch(vpc_id);
  a.state = "associating";
  return a;
}

std::pair<std::string, CidrBlockAssociation> DisassociateVpcCidrBlock(Tx& tx, const std::string& association_id) {
  for (auto& [vpc_id, v] : tx.p.vpcs) {
    for (bool ipv6 : {false, true}) {
      auto& list = ipv6 ? v.ipv6_cidr_blocks : v.cidr_blocks;
      for (auto it = list.begin(); it != list.end(); ++it) {
        if (it->association_id != association_id) continue;
        if (!ipv6 && it->cidr == v.cidr_block)  // B12
          Fail("OperationNotPermitted", "The vpc CIDR block with association ID " + association_id +
                                            " may not be disassociated. It is the primary IPv4 CIDR block of the VPC");
        for (const auto& [sid, s] : tx.p.subnets) {  // B12, AA3: no subnets in the block
          if (s.vpc_id != vpc_id) continue;
          auto block = net::ParseCidr4(s.cidr_block);  // none in an IPv6-only subnet
          bool inside = ipv6 ? !s.ipv6_cidr_blocks.empty()
                             : block && net::ParseCidr4(it->cidr).value().Contains(*block);
          if (inside)
            Fail("InvalidCidrBlock.InUse", "The vpc " + vpc_id + " currently has a subnet within CIDR block " +
                                               it->cidr);
        }
        CidrBlockAssociation a = *it;
        list.erase(it);
        RemoveLocalRoutes(tx, vpc_id, a.cidr);
        tx.Touch(vpc_id);
        a.state = "disassociating";
        return {vpc_id, a};
      }
    }
  }
  Fail("InvalidVpcCidrBlockAssociationID.NotFound",
       "The vpc CIDR block association ID '" + association_id + "' does not exist");
}

}  // namespace openvpc::model
