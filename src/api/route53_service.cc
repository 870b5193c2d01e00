// Route 53's public hosted zones: api/route53_service.h. One function per operation of the
// Route 53 API Reference (2013-04-01), routed by method and path.
#include "api/route53_service.h"

#include "api/shape_model.h"
#include "api/xml_reader.h"
#include "model/error.h"
#include "model/hosted_zone.h"

namespace openvpc::api {

namespace {

using model::Error;

constexpr const char* kXmlns = "https://route53.amazonaws.com/doc/2013-04-01/";
constexpr const char* kVersion = "/2013-04-01/";

std::string Xml(const std::string& tag, const std::string& text) {
  return "<" + tag + ">" + XmlEscape(text) + "</" + tag + ">";
}

HttpResponse Document(int status, const std::string& root, const std::string& inner) {
  return {status, "text/xml",
          std::string("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<") + root + " xmlns=\"" + kXmlns + "\">" + inner +
              "</" + root + ">",
          {}};
}

std::string ChangeInfo(const std::string& id, const std::string& submitted) {
  // Changes apply at once here: they are in sync when answered.
  return "<ChangeInfo>" + Xml("Id", "/change/" + id) + Xml("Status", "INSYNC") + Xml("SubmittedAt", submitted) +
         "</ChangeInfo>";
}

std::string ZoneXml(const model::HostedZone& z) {
  return "<HostedZone>" + Xml("Id", "/hostedzone/" + z.id) + Xml("Name", z.name) +
         Xml("CallerReference", z.caller_reference) + "<Config>" + (z.comment.empty() ? "" : Xml("Comment", z.comment)) +
         Xml("PrivateZone", "false") + "</Config>" +
         Xml("ResourceRecordSetCount", std::to_string(z.record_sets.size())) + "</HostedZone>";
}

std::string DelegationSet(const model::HostedZone& z) {
  std::string out = "<DelegationSet><NameServers>";
  for (const auto& r : z.record_sets)
    if (r.name == z.name && r.type == "NS")
      for (const auto& v : r.values) out += Xml("NameServer", v.ends_with(".") ? v.substr(0, v.size() - 1) : v);
  return out + "</NameServers></DelegationSet>";
}

std::string RecordXml(const model::ResourceRecordSet& r) {
  std::string out = "<ResourceRecordSet>" + Xml("Name", r.name) + Xml("Type", r.type) +
                    Xml("TTL", std::to_string(r.ttl)) + "<ResourceRecords>";
  for (const auto& v : r.values) out += "<ResourceRecord>" + Xml("Value", v) + "</ResourceRecord>";
  return out + "</ResourceRecords></ResourceRecordSet>";
}

int MaxItems(const std::map<std::string, std::string>& q, int fallback) {
  auto it = q.find("maxitems");
  if (it == q.end()) return fallback;
  try {
    size_t used = 0;
    const int n = std::stoi(it->second, &used);
    if (used == it->second.size() && n > 0) return std::min(n, fallback);
  } catch (const std::exception&) {
  }
  throw Error("InvalidInput", "Invalid value for maxitems: " + it->second, 400);
}

}  // namespace

bool Route53Service::Claims(const HttpRequestView& req, const std::string& scope) {
  return scope == "route53" || req.path.rfind(kVersion, 0) == 0;
}

HttpResponse Route53Service::Handle(const HttpRequestView& req) {
  const std::string request_id = NewRequestId();
  HttpResponse out;
  try {
    const AuthResult who = hooks_.verify(req);
    const std::string& account = who.account_id;
    const auto q = SplitQuery(req.raw_query);
    if (req.path.rfind(kVersion, 0) != 0) throw Error("InvalidInput", "Unknown path " + req.path, 404);
    std::vector<std::string> parts;  // hostedzone / ID / rrset …
    {
      std::string rest = req.path.substr(std::string(kVersion).size());
      size_t pos = 0;
      while (pos <= rest.size()) {
        size_t slash = rest.find('/', pos);
        std::string part = rest.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        if (!part.empty()) parts.push_back(UriDecode(part));
        if (slash == std::string::npos) break;
        pos = slash + 1;
      }
    }
    const std::string& m = req.method;
    auto zone_of = [&](const model::Partition* p, const std::string& id) -> const model::HostedZone& {
      if (!p) throw Error("NoSuchHostedZone", "No hosted zone found with ID: " + id, 404);
      return model::GetHostedZone(const_cast<model::Partition&>(*p), id);
    };
    if (parts.size() == 1 && parts[0] == "hostedzone" && m == "POST") {  // CreateHostedZone
      if (XmlRoot(req.body) != "CreateHostedZoneRequest")
        throw Error("InvalidInput", "Invalid XML ; the request body must be a CreateHostedZoneRequest", 400);
      if (!XmlElements(req.body, "VPC").empty())
        throw Error("InvalidInput", "openvpc serves public hosted zones only (no VPC associations)", 400);
      model::CreateHostedZoneArgs a{.name = FirstElement(req.body, "Name"),
                                    .caller_reference = FirstElement(req.body, "CallerReference"),
                                    .comment = FirstElement(req.body, "Comment"),
                                    .private_zone = FirstElement(req.body, "PrivateZone") == "true"};
      std::string body;
      std::string id;
      hooks_.write(account, [&](model::Tx& tx) {
        const model::HostedZone& z = model::CreateHostedZone(tx, a);
        id = z.id;
        body = ZoneXml(z) + ChangeInfo(z.changes.back().first, z.changes.back().second) + DelegationSet(z);
      });
      out = Document(201, "CreateHostedZoneResponse", body);
      out.headers.emplace_back("Location", std::string("https://route53.amazonaws.com") + kVersion + "hostedzone/" + id);
    } else if (parts.size() == 1 && parts[0] == "hostedzone" && m == "GET") {  // ListHostedZones
      const int max = MaxItems(q, 100);
      const std::string marker = q.count("marker") ? q.at("marker") : "";
      std::string zones, next;
      bool truncated = false;
      hooks_.read(account, [&](const model::Partition* p) {
        if (!p) return;
        int n = 0;
        for (const auto& [id, z] : p->hosted_zones) {
          if (!marker.empty() && id < marker) continue;
          if (n == max) {
            truncated = true;
            next = id;
            break;
          }
          zones += ZoneXml(z);
          ++n;
        }
      });
      std::string inner = "<HostedZones>" + zones + "</HostedZones>";
      if (!marker.empty()) inner += Xml("Marker", marker);
      inner += Xml("IsTruncated", truncated ? "true" : "false");
      if (truncated) inner += Xml("NextMarker", next);
      out = Document(200, "ListHostedZonesResponse", inner + Xml("MaxItems", std::to_string(max)));
    } else if (parts.size() == 1 && parts[0] == "hostedzonesbyname" && m == "GET") {  // ListHostedZonesByName
      const int max = MaxItems(q, 100);
      const std::string dns = q.count("dnsname") ? model::CanonicalDomainName(q.at("dnsname")) : "";
      std::string zones, next_name, next_id;
      hooks_.read(account, [&](const model::Partition* p) {
        if (!p) return;
        std::vector<const model::HostedZone*> sorted;
        for (const auto& [id, z] : p->hosted_zones) sorted.push_back(&z);
        std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
        int n = 0;
        for (const auto* z : sorted) {
          if (!dns.empty() && z->name < dns) continue;
          if (n++ == max) {  // the next page starts here
            next_name = z->name;
            next_id = z->id;
            break;
          }
          zones += ZoneXml(*z);
        }
      });
      std::string inner = "<HostedZones>" + zones + "</HostedZones>";
      if (!dns.empty()) inner += Xml("DNSName", dns);
      inner += Xml("IsTruncated", next_name.empty() ? "false" : "true");
      if (!next_name.empty()) inner += Xml("NextDNSName", next_name) + Xml("NextHostedZoneId", next_id);
      out = Document(200, "ListHostedZonesByNameResponse", inner + Xml("MaxItems", std::to_string(max)));
    } else if (parts.size() == 1 && parts[0] == "hostedzonecount" && m == "GET") {  // GetHostedZoneCount
      size_t count = 0;
      hooks_.read(account, [&](const model::Partition* p) { count = p ? p->hosted_zones.size() : 0; });
      out = Document(200, "GetHostedZoneCountResponse", Xml("HostedZoneCount", std::to_string(count)));
    } else if (parts.size() == 2 && parts[0] == "hostedzone" && m == "GET") {  // GetHostedZone
      std::string body;
      hooks_.read(account, [&](const model::Partition* p) {
        const auto& z = zone_of(p, parts[1]);
        body = ZoneXml(z) + DelegationSet(z);
      });
      out = Document(200, "GetHostedZoneResponse", body);
    } else if (parts.size() == 2 && parts[0] == "hostedzone" && m == "DELETE") {  // DeleteHostedZone
      std::string body;
      hooks_.write(account, [&](model::Tx& tx) {
        body = ChangeInfo(model::DeleteHostedZone(tx, parts[1]), model::NowIso8601());
      });
      out = Document(200, "DeleteHostedZoneResponse", body);
    } else if (parts.size() == 3 && parts[0] == "hostedzone" && parts[2] == "rrset" && m == "POST") {
      // ChangeResourceRecordSets
      if (XmlRoot(req.body) != "ChangeResourceRecordSetsRequest")
        throw Error("InvalidInput", "Invalid XML ; the request body must be a ChangeResourceRecordSetsRequest", 400);
      std::vector<model::RecordChange> changes;
      for (const auto& c : XmlElements(req.body, "Change")) {
        model::RecordChange change{.action = FirstElement(c, "Action")};
        const std::string set = XmlElements(c, "ResourceRecordSet").empty() ? "" : XmlElements(c, "ResourceRecordSet")[0];
        change.set.name = FirstElement(set, "Name");
        change.set.type = FirstElement(set, "Type");
        change.alias = !XmlElements(set, "AliasTarget").empty();
        const std::string ttl = FirstElement(set, "TTL");
        try {
          change.set.ttl = ttl.empty() ? -1 : std::stoll(ttl);
        } catch (const std::exception&) {
          throw Error("InvalidInput", "Invalid TTL " + ttl, 400);
        }
        for (const auto& r : XmlElements(set, "ResourceRecord")) change.set.values.push_back(FirstElement(r, "Value"));
        if (ttl.empty() && !change.alias && change.action != "DELETE")
          throw Error("InvalidInput", "Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
                                      "ResourceRecords]], but found none in Change with [Action=" + change.action +
                                          ", Name=" + change.set.name + ", Type=" + change.set.type + "]", 400);
        changes.push_back(std::move(change));
      }
      if (changes.empty()) throw Error("InvalidInput", "Invalid request: a change batch needs at least one change", 400);
      std::string body;
      hooks_.write(account, [&](model::Tx& tx) {
        const std::string id = model::ChangeResourceRecordSets(tx, parts[1], changes);
        const auto& z = model::GetHostedZone(tx.p, parts[1]);
        body = ChangeInfo(id, z.changes.back().second);
      });
      out = Document(200, "ChangeResourceRecordSetsResponse", body);
    } else if (parts.size() == 3 && parts[0] == "hostedzone" && parts[2] == "rrset" && m == "GET") {
      // ListResourceRecordSets: from (name, type) on, in Route 53's order
      const int max = MaxItems(q, 300);
      const std::string start_name = q.count("name") ? model::CanonicalDomainName(q.at("name")) : "";
      const std::string start_type = q.count("type") ? q.at("type") : "";
      std::string sets, next_name, next_type;
      bool truncated = false;
      hooks_.read(account, [&](const model::Partition* p) {
        const auto& z = zone_of(p, parts[1]);
        int n = 0;
        for (const auto* r : model::SortedRecordSets(z, start_name, start_type)) {
          if (n == max) {
            truncated = true;
            next_name = r->name;
            next_type = r->type;
            break;
          }
          sets += RecordXml(*r);
          ++n;
        }
      });
      std::string inner = "<ResourceRecordSets>" + sets + "</ResourceRecordSets>" +
                          Xml("IsTruncated", truncated ? "true" : "false");
      if (truncated) inner += Xml("NextRecordName", next_name) + Xml("NextRecordType", next_type);
      out = Document(200, "ListResourceRecordSetsResponse", inner + Xml("MaxItems", std::to_string(max)));
    } else if (parts.size() == 2 && parts[0] == "change" && m == "GET") {  // GetChange
      std::string body;
      hooks_.read(account, [&](const model::Partition* p) {
        if (p)
          for (const auto& [id, z] : p->hosted_zones)
            for (const auto& [change, when] : z.changes)
              if (change == parts[1]) body = ChangeInfo(change, when);
      });
      if (body.empty()) throw Error("NoSuchChange", "A change with the specified change ID does not exist.", 404);
      out = Document(200, "GetChangeResponse", body);
    } else {
      throw Error("NotImplemented", "openvpc's Route 53 does not serve " + m + " " + req.path, 501);
    }
  } catch (const CredentialsRefused& e) {
    const model::Error worded = e.WordedFor(Protocol::kQuery);
    out = Document(403, "ErrorResponse",
                   "<Error>" + Xml("Type", "Sender") + Xml("Code", worded.code) + Xml("Message", worded.what()) +
                       "</Error>" + Xml("RequestId", request_id));
  } catch (const Error& e) {
    out = Document(e.http_status, "ErrorResponse",
                   "<Error>" + Xml("Type", e.http_status >= 500 ? "Receiver" : "Sender") + Xml("Code", e.code) +
                       Xml("Message", e.what()) + "</Error>" + Xml("RequestId", request_id));
  }
  out.headers.emplace_back("x-amzn-RequestId", request_id);
  return out;
}

}  // namespace openvpc::api
