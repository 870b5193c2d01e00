// All VPC state: one Partition per (account, Region), each holding that account's resources
// in that Region. Ids are unique across partitions, and a resource's kind follows from its id
// prefix, so the store needs nothing but the id to find what changed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <map>
#include <set>
#include <string>
#include <utility>

#include "model/quotas.h"
#include "model/resources.h"

namespace openvpc::model {

struct Partition {
  std::string account_id, region;
  bool default_vpc_created = false;  // a deleted default VPC is not recreated by itself (P4)
  std::string default_dhcp_options_id;
  std::map<std::string, Vpc> vpcs;
  std::map<std::string, Subnet> subnets;
  std::map<std::string, RouteTable> route_tables;
  std::map<std::string, InternetGateway> internet_gateways;
  std::map<std::string, EgressOnlyInternetGateway> egress_only_internet_gateways;
  std::map<std::string, DhcpOptions> dhcp_options;
  std::map<std::string, NetworkAcl> network_acls;
  std::map<std::string, SecurityGroup> security_groups;
  std::map<std::string, KeyPair> key_pairs;  // by id (key-…); names are unique per partition
  std::map<std::string, PlacementGroup> placement_groups;  // by id (pg-…); names are unique per partition
  std::map<std::string, NetworkInterface> network_interfaces;
  std::map<std::string, Instance> instances;
  std::map<std::string, Address> addresses;  // by allocation id
  std::map<std::string, VpcPeeringConnection> vpc_peering_connections;  // in the requester's partition
  std::map<std::string, NatGateway> nat_gateways;
  // ELBv2 resources, by ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:KIND/…).
  std::map<std::string, LoadBalancer> load_balancers;
  std::map<std::string, TargetGroup> target_groups;
  std::map<std::string, Listener> listeners;
  std::map<std::string, VpcEndpointService> vpc_endpoint_services;  // by id (vpce-svc-…)
  std::map<std::string, VpcEndpoint> vpc_endpoints;                  // by id (vpce-…)
  std::map<std::string, ConnectionNotification> connection_notifications;  // by id (vpce-nfn-…)
  std::map<std::string, ManagedPrefixList> managed_prefix_lists;            // by id (pl-…)
  std::map<std::string, HostedZone> hosted_zones;                           // by id (Z…)
};

class State;

// One write: the partition it changes, the quotas in force, and the ids it touched (created,
// changed or deleted) so that the store can persist exactly those.
class Tx {
 public:
  Tx(Partition& p, const Quotas& q, State* state = nullptr) : p(p), quotas(q), state(state) {}
  Partition& p;
  const Quotas& quotas;
  // All partitions, for the few operations that reach across accounts or Regions (peering).
  State* state;
  void Touch(const std::string& id) { touched_.insert(id); }
  // A change to a resource of another partition; an empty id stands for the partition's own row.
  void TouchIn(Partition& other, const std::string& id) { touched_elsewhere_.insert({&other, id}); }
  const std::set<std::string>& touched() const { return touched_; }
  const std::set<std::pair<Partition*, std::string>>& touched_elsewhere() const { return touched_elsewhere_; }
  bool partition_touched = false;

 private:
  std::set<std::string> touched_;
  std::set<std::pair<Partition*, std::string>> touched_elsewhere_;
};

class State {
 public:
  Quotas quotas;
  // Where public IPv4 addresses and Elastic IPs come from (a documentation range by default,
  // so nothing simulated is ever routable on a real network).
  std::string public_ipv4_pool = "198.51.100.0/24";
  // Where the AWS services openvpc serves are reached (aws_services.h): AWS's public service
  // addresses in this simulation, a documentation range too.
  std::string services_pool = "192.0.2.0/24";
  // Next fit for launch-time public addresses: the search goes on after the last one handed
  // out, so a released address does not come back at once (IP-12, IP-13). Not stored.
  uint32_t public_ipv4_cursor = 0;
  // True when this server's data plane runs instances (namespaces): termination of those no
  // host was chosen for waits for it to report that an instance is gone (model/host.h). Not
  // stored.
  bool instances_hosted = false;
  std::map<std::pair<std::string, std::string>, Partition> partitions;
  // The live hosts, by name (a shared store's registrations; none on one machine).
  std::map<std::string, Host> hosts;

  Partition* Find(const std::string& account, const std::string& region);
  const Partition* Find(const std::string& account, const std::string& region) const;
};

// Times as EC2 writes timestamps: ISO 8601, UTC, whole seconds (".000Z").
using TimePoint = std::chrono::system_clock::time_point;
std::string FormatIso8601(TimePoint t);
std::optional<TimePoint> ParseIso8601(const std::string& s);
std::string NowIso8601();
// Seconds from an ISO 8601 UTC time to now (negative when it lies ahead; 0 when unparsable).
int64_t SecondsSince(const std::string& iso8601);
// True when ID is PREFIX followed by 8 or 17 lower-case hex digits, AWS's two id lengths.
bool WellFormedId(const std::string& id, const std::string& prefix);
// An instance id that names no instance, refused the same way by every operation:
// InvalidInstanceID.Malformed when it is not i- and 8 or 17 hex digits, else .NotFound.
[[noreturn]] void FailUnknownInstance(const std::string& id);
// True when S is not empty and every byte is an ASCII digit. (std::isdigit on a user's byte is
// undefined for bytes >= 0x80 where char is signed: test bytes with this instead.)
bool AllDigits(const std::string& s);
// S with ASCII letters in lower case and every other byte as it is (no locale, no
// std::tolower on a signed char).
std::string AsciiLower(const std::string& s);
// An IP protocol written as its number, 0-255 ("6", "017"); nullopt for anything else.
std::optional<int> ProtocolNumberOf(const std::string& p);

// A fresh id with AWS's 17 hex digits: NewId("vpc") -> "vpc-0a1b2c3d4e5f60718".
std::string NewId(const std::string& prefix);
// PREFIX and 17 characters of AWS's key-id alphabet (A-Z, 2-7) derived from SEED: the same id for
// the same seed, for what openvpc does not store (a role's id, an instance profile's).
std::string StableId(const std::string& prefix, const std::string& seed);

// Another account's or Region's partition, brought to life as on first use when it is new
// (for peering across accounts and Regions). Its changes are recorded in TX.
Partition& OtherPartition(Tx& tx, const std::string& account, const std::string& region);

// Brings a partition to life on first use: the Region's default DHCP options set and the
// default VPC with its subnets, internet gateway, route table, network ACL and security group
// (inventory §1.4, P1).
void InitializePartition(Tx& tx);

}  // namespace openvpc::model
