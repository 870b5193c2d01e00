// Route 53 public hosted zones (issue 14: the public DNS a provider publishes its private DNS
// name's TXT record in, PDN-06): the domain's records, which the simulated internet's DNS server
// answers (dataplane::ResolvePublic) and endpoint services' domain verification reads.
//
// Source, by title: the Amazon Route 53 API Reference ("CreateHostedZone",
// "ChangeResourceRecordSets", "ListResourceRecordSets", "DeleteHostedZone") and the Developer
// Guide ("Supported DNS record types", "Values that you specify when you create or edit Amazon
// Route 53 records"). Private hosted zones (associated with VPCs) and alias records are not
// served: they are refused with InvalidInput.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "model/state.h"

namespace openvpc::model {

// A domain name as Route 53 keeps it: lower case, with the trailing dot ("example.com."); "*"
// allowed as the first label. Throws InvalidDomainName (400) otherwise.
std::string CanonicalDomainName(const std::string& name);

struct CreateHostedZoneArgs {
  std::string name, caller_reference, comment;
  bool private_zone = false;
};
// With the apex's SOA and NS records (4 name servers). HostedZoneAlreadyExists (409) for a caller
// reference used before; TooManyHostedZones beyond 500.
HostedZone& CreateHostedZone(Tx& tx, const CreateHostedZoneArgs& a);
// NoSuchHostedZone (404) when there is none. ID may be "Z…" or "/hostedzone/Z…".
HostedZone& GetHostedZone(Partition& p, const std::string& id);
// HostedZoneNotEmpty while it holds records other than the apex's SOA and NS. Returns the change's
// id (C…).
std::string DeleteHostedZone(Tx& tx, const std::string& id);

struct RecordChange {
  std::string action;  // CREATE | DELETE | UPSERT
  ResourceRecordSet set;
  bool alias = false;  // an AliasTarget was given (not served)
};
// One batch, all or nothing; InvalidChangeBatch (400) with Route 53's messages for a record that
// exists (CREATE), is missing or differs (DELETE), lies outside the zone, conflicts with a CNAME,
// or has values its type does not take. Returns the change's id (C…).
std::string ChangeResourceRecordSets(Tx& tx, const std::string& zone_id, const std::vector<RecordChange>& changes);

// "ListResourceRecordSets": the zone's records in Route 53's order (names by their labels from
// the right, then type), from the first at or after START_NAME (canonical) and START_TYPE on.
std::vector<const ResourceRecordSet*> SortedRecordSets(const HostedZone& z, const std::string& start_name = "",
                                                       const std::string& start_type = "");

// What the simulated internet's DNS knows of NAME (lower case, no trailing dot): the public zone
// that holds it (the longest matching zone name across every account), and its record set of
// TYPE. zone is null when no zone holds the name; exists tells whether the name has any record.
struct PublicRecordLookup {
  const HostedZone* zone = nullptr;
  const ResourceRecordSet* set = nullptr;
  bool exists = false;
};
PublicRecordLookup LookupPublicRecord(const State& s, const std::string& name, const std::string& type);

// The character-strings of a TXT record's value ("a" "b" -> a, b; unquoted: the value).
std::vector<std::string> TxtStrings(const std::string& value);

}  // namespace openvpc::model
