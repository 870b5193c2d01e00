#include "dataplane/services/dhcp6.h"

#include <algorithm>
#include <string_view>

namespace openvpc::dataplane {

namespace {

// The client/server message header (RFC 8415 section 8): type, 24-bit transaction id.
constexpr size_t kHeader = 4;
constexpr uint8_t kRelayForw = 12, kRelayRepl = 13;

enum Option : uint16_t {
  kClientId = 1,
  kServerId = 2,
  kIaNa = 3,
  kIaTa = 4,
  kIaAddr = 5,
  kOro = 6,
  kPreference = 7,
  kElapsedTime = 8,
  kStatusCode = 13,
  kRapidCommit = 14,
  kDnsServers = 23,
  kDomainList = 24,
  kIaPd = 25,
  kIaPrefix = 26,
  kInformationRefreshTime = 32,
};

// Fixed parts of the container options: IAID, T1, T2 (IA_NA, IA_PD); IAID (IA_TA); address and
// lifetimes (IAADDR); lifetimes, prefix length and prefix (IAPREFIX). Their own options follow.
constexpr size_t kIaNaFixed = 12, kIaTaFixed = 4, kIaAddrFixed = 24, kIaPrefixFixed = 25;
// RFC 8415 section 11.1: a 2-byte type, then 1 to 128 bytes.
constexpr size_t kMinDuid = 3, kMaxDuid = 130;
constexpr uint32_t kInfinity = 0xffffffff;
constexpr uint8_t kMaxPreference = 255;
constexpr size_t kMaxWithdrawn = 64;  // addresses given back with lifetimes 0 in one reply

uint16_t Get16(std::span<const uint8_t> b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t Get32(std::span<const uint8_t> b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}
net::Ipv6 GetIpv6(std::span<const uint8_t> b, size_t at) {
  net::Ipv6 ip;
  std::copy_n(b.begin() + at, 16, ip.bytes.begin());
  return ip;
}

void Append16(std::vector<uint8_t>& out, uint16_t v) {
  out.push_back(uint8_t(v >> 8));
  out.push_back(uint8_t(v));
}
void Append32(std::vector<uint8_t>& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (24 - 8 * i)));
}
void AppendOption(std::vector<uint8_t>& out, uint16_t code, std::span<const uint8_t> data) {
  Append16(out, code);
  Append16(out, uint16_t(data.size()));
  out.insert(out.end(), data.begin(), data.end());
}
// Starts an option whose length EndOption fills in once its contents are appended.
size_t BeginOption(std::vector<uint8_t>& out, uint16_t code) {
  Append16(out, code);
  Append16(out, 0);
  return out.size();
}
void EndOption(std::vector<uint8_t>& out, size_t start) {
  size_t len = out.size() - start;
  out[start - 2] = uint8_t(len >> 8);
  out[start - 1] = uint8_t(len);
}

// Calls F(code, value) for each option of B. False when an option runs past B or F says so.
template <typename F>
bool ForEachOption(std::span<const uint8_t> b, F&& f) {
  size_t i = 0;
  while (i < b.size()) {
    if (b.size() - i < 4) return false;
    uint16_t code = Get16(b, i);
    size_t len = Get16(b, i + 2);
    if (len > b.size() - i - 4) return false;
    if (!f(code, b.subspan(i + 4, len))) return false;
    i += 4 + len;
  }
  return true;
}

// Options inside an option's options that we never read still have to fit.
bool WellFormed(std::span<const uint8_t> b) {
  return ForEachOption(b, [](uint16_t, std::span<const uint8_t>) { return true; });
}

// Everything the server looks at in a client's message.
struct Request {
  Dhcp6MessageInfo info;
  bool has_ia = false;  // any IA_NA, IA_TA or IA_PD
  bool has_ia_na = false;
  std::vector<net::Ipv6> all_addresses;  // the IAADDRs of every IA_NA and IA_TA (CONFIRM)
};

// The IAADDRs of an IA_NA's or IA_TA's options, appended to OUT.
bool ReadIaAddresses(std::span<const uint8_t> options, std::vector<net::Ipv6>* first_ia, std::vector<net::Ipv6>& all) {
  return ForEachOption(options, [&](uint16_t code, std::span<const uint8_t> v) {
    if (code != kIaAddr) return true;
    if (v.size() < kIaAddrFixed || !WellFormed(v.subspan(kIaAddrFixed))) return false;
    net::Ipv6 ip = GetIpv6(v, 0);
    if (first_ia) first_ia->push_back(ip);
    all.push_back(ip);
    return true;
  });
}

bool IsClientMessage(uint8_t type) {
  switch (type) {
    case kDhcp6Solicit:
    case kDhcp6Request:
    case kDhcp6Confirm:
    case kDhcp6Renew:
    case kDhcp6Rebind:
    case kDhcp6Release:
    case kDhcp6Decline:
    case kDhcp6InformationRequest:
      return true;
    default:
      return false;
  }
}

std::optional<Request> Parse(std::span<const uint8_t> b) {
  if (b.size() < kHeader) return std::nullopt;
  Request r;
  r.info.type = b[0];
  // Relay messages have another header; type 0 is reserved.
  if (r.info.type == 0 || r.info.type == kRelayForw || r.info.type == kRelayRepl) return std::nullopt;
  r.info.transaction_id = uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
  bool has_client_id = false;
  bool ok = ForEachOption(b.subspan(kHeader), [&](uint16_t code, std::span<const uint8_t> v) {
    switch (code) {
      case kClientId:
        // Two identities, or a malformed one: whose message would it be?
        if (has_client_id || v.size() < kMinDuid || v.size() > kMaxDuid) return false;
        has_client_id = true;
        r.info.client_duid.assign(v.begin(), v.end());
        return true;
      case kServerId:
        if (r.info.server_duid || v.size() < kMinDuid || v.size() > kMaxDuid) return false;
        r.info.server_duid.emplace(v.begin(), v.end());
        return true;
      case kIaNa: {
        if (v.size() < kIaNaFixed) return false;
        const bool first = !r.has_ia_na;
        r.has_ia = r.has_ia_na = true;
        if (first) r.info.iaid = Get32(v, 0);
        return ReadIaAddresses(v.subspan(kIaNaFixed), first ? &r.info.ia_addresses : nullptr, r.all_addresses);
      }
      case kIaTa:
        if (v.size() < kIaTaFixed) return false;
        r.has_ia = true;
        return ReadIaAddresses(v.subspan(kIaTaFixed), nullptr, r.all_addresses);
      case kIaPd:
        if (v.size() < kIaNaFixed) return false;
        r.has_ia = true;
        return ForEachOption(v.subspan(kIaNaFixed), [](uint16_t c, std::span<const uint8_t> p) {
          return c != kIaPrefix || (p.size() >= kIaPrefixFixed && WellFormed(p.subspan(kIaPrefixFixed)));
        });
      case kOro:
        if (v.size() % 2 != 0) return false;
        for (size_t i = 0; i < v.size(); i += 2) r.info.requested_options.push_back(Get16(v, i));
        return true;
      case kElapsedTime:
        return v.size() == 2;
      case kRapidCommit:
        if (!v.empty()) return false;
        r.info.rapid_commit = true;
        return true;
      default:
        return true;
    }
  });
  if (!ok) return std::nullopt;
  // RFC 8415 section 16: every message a client sends to servers names the client, except
  // INFORMATION-REQUEST (section 18.2.6: SHOULD).
  if (IsClientMessage(r.info.type) && r.info.type != kDhcp6InformationRequest && !has_client_id) return std::nullopt;
  return r;
}

// NAME in DNS wire format (RFC 1035 section 3.1, as RFC 8415 section 10 asks), one trailing dot
// allowed. False, OUT untouched, for an empty label, a label over 63 bytes or a name over 255.
bool AppendDomainName(std::vector<uint8_t>& out, std::string_view name) {
  if (!name.empty() && name.back() == '.') name.remove_suffix(1);
  if (name.empty() || name.size() + 2 > 255) return false;
  const size_t start = out.size();
  while (true) {
    size_t dot = name.find('.');
    std::string_view label = name.substr(0, dot);
    if (label.empty() || label.size() > 63) {
      out.resize(start);
      return false;
    }
    out.push_back(uint8_t(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    if (dot == std::string_view::npos) break;
    name.remove_prefix(dot + 1);
  }
  out.push_back(0);
  return true;
}

void AppendStatus(std::vector<uint8_t>& out, uint16_t status, std::string_view message) {
  size_t at = BeginOption(out, kStatusCode);
  Append16(out, status);
  out.insert(out.end(), message.begin(), message.end());
  EndOption(out, at);
}

void AppendConfiguration(std::vector<uint8_t>& out, const Dhcp6Lease& lease) {
  if (!lease.dns_servers.empty()) {
    size_t at = BeginOption(out, kDnsServers);
    for (const net::Ipv6& ip : lease.dns_servers) out.insert(out.end(), ip.bytes.begin(), ip.bytes.end());
    EndOption(out, at);
  }
  if (!lease.domain_search.empty()) {
    size_t at = BeginOption(out, kDomainList);
    for (const std::string& name : lease.domain_search) {
      size_t before = out.size();
      // A length field holds 65535 bytes at most; names past that are left out.
      if (AppendDomainName(out, name) && out.size() - at > 0xffff) out.resize(before);
    }
    if (out.size() == at)
      out.resize(at - 4);  // no valid name: no option
    else
      EndOption(out, at);
  }
}

// The IA_NA answering the client's first one: every lease address, and for RENEW and REBIND
// the addresses the client still holds that are no longer its own, with lifetimes 0 (RFC 8415
// sections 18.3.4 and 18.3.5).
void AppendIaNa(std::vector<uint8_t>& out, const Request& r, const Dhcp6Lease& lease) {
  const uint32_t valid = lease.valid_lifetime;
  const uint32_t preferred = std::min(lease.preferred_lifetime, valid);
  const bool none = lease.addresses.empty();
  uint32_t t1 = uint32_t(uint64_t{preferred} / 2), t2 = uint32_t(uint64_t{preferred} * 4 / 5);
  if (preferred == kInfinity) t1 = t2 = kInfinity;  // section 14.2: never renew
  if (none) t1 = t2 = 0;

  size_t ia = BeginOption(out, kIaNa);
  Append32(out, *r.info.iaid);
  Append32(out, t1);
  Append32(out, t2);
  auto address = [&](const net::Ipv6& ip, uint32_t pref, uint32_t val) {
    size_t at = BeginOption(out, kIaAddr);
    out.insert(out.end(), ip.bytes.begin(), ip.bytes.end());
    Append32(out, pref);
    Append32(out, val);
    EndOption(out, at);
  };
  for (const net::Ipv6& ip : lease.addresses) address(ip, preferred, valid);
  if (r.info.type == kDhcp6Renew || r.info.type == kDhcp6Rebind) {
    std::vector<net::Ipv6> gone;
    for (const net::Ipv6& ip : r.info.ia_addresses) {
      bool ours = std::find(lease.addresses.begin(), lease.addresses.end(), ip) != lease.addresses.end();
      bool listed = std::find(gone.begin(), gone.end(), ip) != gone.end();
      if (!ours && !listed) gone.push_back(ip);
    }
    // A client holds a handful; one listing thousands must not swell the reply past one datagram.
    if (gone.size() > kMaxWithdrawn) gone.resize(kMaxWithdrawn);
    for (const net::Ipv6& ip : gone) address(ip, 0, 0);
  }
  if (none) AppendStatus(out, kDhcp6StatusNoAddrsAvail, "this interface has no IPv6 address");
  EndOption(out, ia);
}

std::vector<uint8_t> Header(uint8_t type, const Request& r, const Dhcp6Lease& lease) {
  std::vector<uint8_t> out;
  out.reserve(256);
  out.push_back(type);
  out.push_back(uint8_t(r.info.transaction_id >> 16));
  out.push_back(uint8_t(r.info.transaction_id >> 8));
  out.push_back(uint8_t(r.info.transaction_id));
  if (!r.info.client_duid.empty()) AppendOption(out, kClientId, r.info.client_duid);
  AppendOption(out, kServerId, ServerDuid(lease.router_mac));
  return out;
}

// ADVERTISE or REPLY to SOLICIT, REQUEST, RENEW and REBIND.
std::vector<uint8_t> LeaseReply(const Request& r, const Dhcp6Lease& lease) {
  const bool rapid = r.info.type == kDhcp6Solicit && r.info.rapid_commit;
  const bool advertise = r.info.type == kDhcp6Solicit && !rapid;
  std::vector<uint8_t> out = Header(advertise ? kDhcp6Advertise : kDhcp6Reply, r, lease);
  if (r.has_ia_na) AppendIaNa(out, r, lease);
  if (rapid) AppendOption(out, kRapidCommit, {});
  if (advertise) {
    const uint8_t preference[1] = {kMaxPreference};
    AppendOption(out, kPreference, preference);
  }
  AppendConfiguration(out, lease);
  return out;
}

std::vector<uint8_t> StatusReply(const Request& r, const Dhcp6Lease& lease, uint16_t status, std::string_view message) {
  std::vector<uint8_t> out = Header(kDhcp6Reply, r, lease);
  AppendStatus(out, status, message);
  return out;
}

std::vector<uint8_t> InformationReply(const Request& r, const Dhcp6Lease& lease) {
  std::vector<uint8_t> out = Header(kDhcp6Reply, r, lease);
  AppendConfiguration(out, lease);
  if (lease.information_refresh_time != 0) {
    size_t at = BeginOption(out, kInformationRefreshTime);
    Append32(out, lease.information_refresh_time);
    EndOption(out, at);
  }
  return out;
}

}  // namespace

std::optional<Dhcp6MessageInfo> ParseDhcp6Message(std::span<const uint8_t> udp_payload) {
  auto r = Parse(udp_payload);
  if (!r) return std::nullopt;
  return std::move(r->info);
}

std::vector<uint8_t> ServerDuid(const MacAddress& router_mac) {
  std::vector<uint8_t> duid = {0, 3, 0, 1};
  duid.insert(duid.end(), router_mac.begin(), router_mac.end());
  return duid;
}

std::optional<std::vector<uint8_t>> Dhcp6Reply(std::span<const uint8_t> udp_payload, const Dhcp6Lease& lease) {
  auto r = Parse(udp_payload);
  if (!r) return std::nullopt;
  const bool names_server = r->info.server_duid.has_value();
  const bool names_us = names_server && *r->info.server_duid == ServerDuid(lease.router_mac);
  switch (r->info.type) {
    case kDhcp6Solicit:
    case kDhcp6Rebind:
      // To every server; one that is named is not a SOLICIT or REBIND (section 16.2, 16.7).
      if (names_server) return std::nullopt;
      return LeaseReply(*r, lease);
    case kDhcp6Request:
    case kDhcp6Renew:
      // Another server's client (section 16.4, 16.6).
      if (!names_us) return std::nullopt;
      return LeaseReply(*r, lease);
    case kDhcp6Confirm: {
      if (names_server || r->all_addresses.empty()) return std::nullopt;
      bool on_link = std::all_of(r->all_addresses.begin(), r->all_addresses.end(), [&](const net::Ipv6& ip) {
        return std::find(lease.addresses.begin(), lease.addresses.end(), ip) != lease.addresses.end();
      });
      if (on_link) return StatusReply(*r, lease, kDhcp6StatusSuccess, "addresses confirmed");
      return StatusReply(*r, lease, kDhcp6StatusNotOnLink, "address not assigned to this interface");
    }
    case kDhcp6Release:
    case kDhcp6Decline:
      // Section 16.8, 16.9. The addresses stay the interface's: there is nothing to free or
      // to mark as in use elsewhere.
      if (!names_us) return std::nullopt;
      return StatusReply(*r, lease, kDhcp6StatusSuccess, "");
    case kDhcp6InformationRequest:
      // Section 16.12.
      if ((names_server && !names_us) || r->has_ia) return std::nullopt;
      return InformationReply(*r, lease);
    default:  // server messages, RECONFIGURE, unknown types
      return std::nullopt;
  }
}

std::vector<uint8_t> BuildDhcp6ClientMessage(uint8_t type, uint32_t xid, const std::vector<uint8_t>& client_duid,
                                             std::optional<std::vector<uint8_t>> server_duid, uint32_t iaid,
                                             bool rapid_commit, std::vector<net::Ipv6> addresses) {
  std::vector<uint8_t> out = {type, uint8_t(xid >> 16), uint8_t(xid >> 8), uint8_t(xid)};
  if (!client_duid.empty()) AppendOption(out, kClientId, client_duid);
  if (server_duid) AppendOption(out, kServerId, *server_duid);
  const uint8_t elapsed[2] = {0, 0};
  AppendOption(out, kElapsedTime, elapsed);
  if (type != kDhcp6InformationRequest) {
    size_t ia = BeginOption(out, kIaNa);
    Append32(out, iaid);
    Append32(out, 0);
    Append32(out, 0);
    for (const net::Ipv6& ip : addresses) {
      size_t at = BeginOption(out, kIaAddr);
      out.insert(out.end(), ip.bytes.begin(), ip.bytes.end());
      Append32(out, 0);
      Append32(out, 0);
      EndOption(out, at);
    }
    EndOption(out, ia);
  }
  if (rapid_commit) AppendOption(out, kRapidCommit, {});
  switch (type) {
    case kDhcp6Solicit:
    case kDhcp6Request:
    case kDhcp6Renew:
    case kDhcp6Rebind:
    case kDhcp6InformationRequest: {
      const uint8_t oro[4] = {0, kDnsServers, 0, kDomainList};
      AppendOption(out, kOro, oro);
      break;
    }
    default:
      break;
  }
  return out;
}

}  // namespace openvpc::dataplane
