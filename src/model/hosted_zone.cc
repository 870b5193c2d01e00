// Route 53 public hosted zones: model/hosted_zone.h.
#include "model/hosted_zone.h"

#include <algorithm>
#include <random>
#include <set>

#include "model/error.h"
#include "model/text.h"
#include "net/ip.h"

namespace openvpc::model {

namespace {

constexpr int kMaxHostedZones = 500;  // "Quotas on hosted zones": per account
constexpr size_t kMaxChangesKept = 100;

std::string RandomId(char first) {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  static const char* kChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::string id(1, first);
  for (int i = 0; i < 20; ++i) id += kChars[rng() % 36];
  return id;
}

[[noreturn]] void InvalidBatch(const std::string& message) { throw Error("InvalidChangeBatch", message, 400); }

std::string Describe(const ResourceRecordSet& r) { return "[name='" + r.name + "', type='" + r.type + "']"; }

bool InZone(const std::string& name, const std::string& zone) {
  return name == zone || (name.size() > zone.size() && name.ends_with("." + zone));
}

const std::set<std::string>& Types() {
  static const std::set<std::string> kTypes = {"A",  "AAAA", "CNAME", "TXT", "MX",    "NS", "SOA",
                                               "SRV", "CAA", "PTR",   "SPF", "NAPTR", "DS"};
  return kTypes;
}

// "Values that you specify": what each type's values must be.
void CheckValues(const ResourceRecordSet& r) {
  if (r.values.empty())
    throw Error("InvalidInput", "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
                                "ResourceRecords]], but found none in Change with [Action=CREATE, Name=" + r.name +
                                    ", Type=" + r.type + "]", 400);
  if (r.ttl < 0 || r.ttl > 2147483647) InvalidBatch("Invalid TTL " + std::to_string(r.ttl) + " for " + Describe(r));
  if ((r.type == "CNAME" || r.type == "SOA") && r.values.size() != 1)
    InvalidBatch("RRSet of type " + r.type + " with DNS name " + r.name + " has more than one value.");
  for (const auto& v : r.values) {
    if (!IsPrintableAscii(v) || v.size() > 4000)  // other characters are written as \DDD
      InvalidBatch("Invalid Resource Record: 'FATAL problem: InvalidCharacterString (Value should be enclosed in "
                   "quotation marks) encountered with '" + std::to_string(v.size()) + " bytes''");
    if (r.type == "A" && !net::ParseIpv4(v))
      InvalidBatch("Invalid Resource Record: 'FATAL problem: ARRDATAIllegalIPv4Address (Value is not a valid IPv4 "
                   "address) encountered with '" + v + "''");
    if (r.type == "AAAA" && !net::ParseIpv6(v))
      InvalidBatch("Invalid Resource Record: 'FATAL problem: AAAARRDATAIllegalIPv6Address (Value is not a valid "
                   "IPv6 address) encountered with '" + v + "''");
    if (r.type == "TXT" || r.type == "SPF")
      for (const auto& text : TxtStrings(v))
        if (text.size() > 255)
          InvalidBatch("Invalid Resource Record: 'FATAL problem: TXTRDATATooLong encountered with '" + v + "''");
  }
}

ResourceRecordSet Apex(const std::string& zone, const std::string& type) {
  if (type == "SOA")
    return {zone, "SOA", 900, {"ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400"}};
  return {zone, "NS", 172800,
          {"ns-1536.awsdns-00.co.uk.", "ns-0.awsdns-00.com.", "ns-1024.awsdns-00.org.", "ns-512.awsdns-00.net."}};
}

// Route 53's order: by the name's labels from the right, then by type.
std::string SortKey(const ResourceRecordSet& r) {
  std::vector<std::string> labels;
  size_t start = 0;
  std::string name = r.name.ends_with(".") ? r.name.substr(0, r.name.size() - 1) : r.name;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    labels.push_back(name.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  std::string key;
  for (auto it = labels.rbegin(); it != labels.rend(); ++it) key += *it + '\x01';
  return key + '\x02' + r.type;
}

}  // namespace

std::string CanonicalDomainName(const std::string& input) {
  std::string name;
  for (char c : input) name += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  if (name.ends_with(".")) name.pop_back();
  auto invalid = [&] { throw Error("InvalidDomainName", input + " is not a valid domain name.", 400); };
  if (name.empty() || name.size() > 253) invalid();
  size_t start = 0;
  bool first = true;
  while (start <= name.size()) {
    size_t dot = name.find('.', start);
    const std::string label = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63) invalid();
    if (label == "*") {
      if (!first) invalid();
    } else {
      for (char c : label)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) invalid();
    }
    first = false;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return name + ".";
}

HostedZone& CreateHostedZone(Tx& tx, const CreateHostedZoneArgs& a) {
  Partition& p = tx.p;
  if (a.private_zone)
    throw Error("InvalidInput", "openvpc serves public hosted zones only (no VPC associations)", 400);
  const std::string name = CanonicalDomainName(a.name);
  if (name.starts_with("*."))
    throw Error("InvalidDomainName", a.name + " is not a valid domain name.", 400);
  if (a.caller_reference.empty())
    throw Error("InvalidInput", "Invalid request: CallerReference is required", 400);
  if (!IsXmlText(a.caller_reference) || !IsXmlText(a.comment) || a.caller_reference.size() > 128 ||
      a.comment.size() > 256)
    throw Error("InvalidInput", "Invalid request: CallerReference (128 characters at most) and Comment (256) must "
                                "be text", 400);
  for (const auto& [id, z] : p.hosted_zones)
    if (z.caller_reference == a.caller_reference)
      throw Error("HostedZoneAlreadyExists",
                  "A hosted zone has already been created with the specified caller reference.", 409);
  if (static_cast<int>(p.hosted_zones.size()) >= kMaxHostedZones)
    throw Error("TooManyHostedZones", "Limits Exceeded: MAX_HOSTED_ZONES_BY_OWNER - Cannot create more hosted zones.",
                400);
  HostedZone z{.id = RandomId('Z'), .name = name, .caller_reference = a.caller_reference, .comment = a.comment,
               .created = NowIso8601()};
  z.record_sets = {Apex(name, "NS"), Apex(name, "SOA")};
  z.changes.emplace_back(RandomId('C'), z.created);
  tx.Touch(z.id);
  return p.hosted_zones[z.id] = std::move(z);
}

HostedZone& GetHostedZone(Partition& p, const std::string& given) {
  std::string id = given;
  if (id.starts_with("/hostedzone/")) id = id.substr(12);
  auto it = p.hosted_zones.find(id);
  if (it == p.hosted_zones.end())
    throw Error("NoSuchHostedZone", "No hosted zone found with ID: " + id, 404);
  return it->second;
}

std::string DeleteHostedZone(Tx& tx, const std::string& id) {
  HostedZone& z = GetHostedZone(tx.p, id);
  for (const auto& r : z.record_sets)
    if (!(r.name == z.name && (r.type == "NS" || r.type == "SOA")))
      throw Error("HostedZoneNotEmpty",
                  "The specified hosted zone contains non-required resource record sets and so cannot be deleted.",
                  400);
  const std::string zone_id = z.id;  // not a reference into the map it leaves
  tx.Touch(zone_id);
  tx.p.hosted_zones.erase(zone_id);
  return RandomId('C');
}

std::string ChangeResourceRecordSets(Tx& tx, const std::string& zone_id, const std::vector<RecordChange>& changes) {
  HostedZone& z = GetHostedZone(tx.p, zone_id);
  std::vector<ResourceRecordSet> sets = z.record_sets;  // all or nothing
  auto find = [&](const std::string& name, const std::string& type) {
    return std::find_if(sets.begin(), sets.end(), [&](const auto& r) { return r.name == name && r.type == type; });
  };
  for (const RecordChange& c : changes) {
    if (c.alias)
      throw Error("InvalidInput", "openvpc does not serve alias records (AliasTarget); give ResourceRecords", 400);
    ResourceRecordSet r = c.set;
    try {
      r.name = CanonicalDomainName(r.name);
    } catch (const Error&) {
      InvalidBatch("Invalid domain name: '" + c.set.name + "'");
    }
    if (!Types().count(r.type)) InvalidBatch("Invalid record type for the record set named " + r.name);
    if (!InZone(r.name, z.name))
      InvalidBatch("RRSet with DNS name " + r.name + " is not permitted in zone " + z.name);
    auto existing = find(r.name, r.type);
    const bool apex_required = r.name == z.name && (r.type == "NS" || r.type == "SOA");
    if (c.action == "DELETE") {
      if (existing == sets.end())
        InvalidBatch("Tried to delete resource record set " + Describe(r) + " but it was not found");
      if (existing->values != r.values || existing->ttl != r.ttl)
        InvalidBatch("Tried to delete resource record set " + Describe(r) +
                     " but the values provided do not match the current values");
      if (apex_required)
        InvalidBatch(r.type == "NS" ? "A HostedZone must contain at least one NS record for the zone itself."
                                    : "A HostedZone must contain exactly one SOA record.");
      sets.erase(existing);
      continue;
    }
    if (c.action != "CREATE" && c.action != "UPSERT")
      throw Error("InvalidInput", "Invalid request: Action must be CREATE, DELETE or UPSERT", 400);
    CheckValues(r);
    if (c.action == "CREATE" && existing != sets.end())
      InvalidBatch("Tried to create resource record set " + Describe(r) + " but it already exists");
    if (r.type == "CNAME" && r.name == z.name)
      InvalidBatch("RRSet of type CNAME with DNS name " + r.name + " is not permitted at apex in zone " + z.name);
    for (const auto& other : sets)
      if (other.name == r.name && other.type != r.type && (other.type == "CNAME" || r.type == "CNAME"))
        InvalidBatch("RRSet of type " + r.type + " with DNS name " + r.name +
                     " is not permitted because a conflicting RRSet of type " + other.type +
                     " with the same DNS name already exists in zone " + z.name);
    if (existing != sets.end()) *existing = r;
    else sets.push_back(r);
  }
  z.record_sets = std::move(sets);
  const std::string change = RandomId('C');
  z.changes.emplace_back(change, NowIso8601());
  if (z.changes.size() > kMaxChangesKept) z.changes.erase(z.changes.begin());
  tx.Touch(z.id);
  return change;
}

std::vector<const ResourceRecordSet*> SortedRecordSets(const HostedZone& z, const std::string& start_name,
                                                       const std::string& start_type) {
  const std::string start = start_name.empty() ? "" : SortKey({.name = start_name, .type = start_type});
  std::vector<const ResourceRecordSet*> out;
  for (const auto& r : z.record_sets)
    if (start.empty() || SortKey(r) >= start) out.push_back(&r);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return SortKey(*a) < SortKey(*b); });
  return out;
}

PublicRecordLookup LookupPublicRecord(const State& s, const std::string& name, const std::string& type) {
  const std::string fqdn = name + ".";
  PublicRecordLookup out;
  for (const auto& [key, p] : s.partitions)
    for (const auto& [id, z] : p.hosted_zones)
      if (InZone(fqdn, z.name) && (!out.zone || z.name.size() > out.zone->name.size())) out.zone = &z;
  if (!out.zone) return out;
  auto lookup = [&](const std::string& owner) {
    for (const auto& r : out.zone->record_sets)
      if (r.name == owner) {
        out.exists = true;
        if (r.type == type) out.set = &r;
      }
  };
  lookup(fqdn);
  // A wildcard record stands for names below its parent that have no records of their own.
  if (!out.exists && fqdn != out.zone->name) {
    const size_t dot = fqdn.find('.');
    if (dot != std::string::npos && InZone(fqdn.substr(dot + 1), out.zone->name)) lookup("*." + fqdn.substr(dot + 1));
  }
  return out;
}

std::vector<std::string> TxtStrings(const std::string& value) {
  std::vector<std::string> out;
  if (value.empty() || value.front() != '"') return {value};
  size_t i = 0;
  while (i < value.size()) {
    if (value[i] == ' ') {
      ++i;
      continue;
    }
    if (value[i] != '"') return {value};  // not a list of quoted strings: the value as it is
    std::string text;
    ++i;
    while (i < value.size() && value[i] != '"') {
      if (value[i] == '\\' && i + 1 < value.size()) {
        if (i + 3 < value.size() && std::isdigit(static_cast<unsigned char>(value[i + 1])) &&
            std::isdigit(static_cast<unsigned char>(value[i + 2])) &&
            std::isdigit(static_cast<unsigned char>(value[i + 3]))) {
          text += static_cast<char>(std::stoi(value.substr(i + 1, 3)));
          i += 4;
          continue;
        }
        ++i;
      }
      text += value[i++];
    }
    if (i >= value.size()) return {value};  // unterminated
    ++i;
    out.push_back(std::move(text));
  }
  return out;
}

}  // namespace openvpc::model
