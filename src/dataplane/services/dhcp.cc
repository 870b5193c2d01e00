#include "dataplane/services/dhcp.h"

#include <algorithm>
#include <bitset>

namespace openvpc::dataplane {

namespace {

// The fixed BOOTP header (RFC 2131 figure 1), then the magic cookie and the options.
constexpr size_t kOp = 0, kHtype = 1, kHlen = 2, kHops = 3, kXid = 4, kSecs = 8, kFlags = 10;
constexpr size_t kCiaddr = 12, kYiaddr = 16, kSiaddr = 20, kGiaddr = 24, kChaddr = 28;
constexpr size_t kSname = 44, kSnameSize = 64, kFile = 108, kFileSize = 128;
constexpr size_t kCookie = 236, kOptions = 240;
constexpr uint8_t kMagicCookie[4] = {99, 130, 83, 99};
constexpr uint8_t kBootRequest = 1, kBootReply = 2;
constexpr uint16_t kBroadcastBit = 0x8000;
// RFC 1542 section 2.1: some BOOTP-era clients drop replies shorter than this.
constexpr size_t kMinReply = 300;
// Every client accepts a 576-byte IP datagram (RFC 2131 section 2); less the IP and UDP headers.
constexpr size_t kIpUdpHeaders = 28;
constexpr size_t kMinMaxMessage = 576;

enum Option : uint8_t {
  kPad = 0,
  kSubnetMask = 1,
  kRouter = 3,
  kDomainNameServer = 6,
  kHostName = 12,
  kDomainName = 15,
  kInterfaceMtu = 26,
  kBroadcastAddress = 28,
  kNtpServers = 42,
  kNetbiosNameServer = 44,
  kNetbiosNodeType = 46,
  kRequestedAddress = 50,
  kLeaseTime = 51,
  kOverload = 52,
  kMessageType = 53,
  kServerIdentifier = 54,
  kParameterRequestList = 55,
  kMessage = 56,
  kMaxMessageSize = 57,
  kRenewalTime = 58,
  kRebindingTime = 59,
  kEnd = 255,
};

uint16_t Get16(std::span<const uint8_t> b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t Get32(std::span<const uint8_t> b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}
void Put16(std::vector<uint8_t>& out, size_t at, uint16_t v) {
  out[at] = uint8_t(v >> 8);
  out[at + 1] = uint8_t(v);
}
void Put32(std::vector<uint8_t>& out, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) out[at + i] = uint8_t(v >> (24 - 8 * i));
}

// Everything the server looks at in a client's message.
struct Request {
  DhcpMessageInfo info;
  uint16_t flags = 0;
  net::Ipv4 ciaddr, giaddr;
  std::optional<net::Ipv4> option_requested;   // option 50
  std::optional<net::Ipv4> server_identifier;  // option 54
  uint16_t max_message_size = 0;               // option 57
  // Option 55 in the client's order, duplicates dropped; no allocation.
  std::array<uint8_t, 256> parameters{};  // at most one of each code
  size_t parameter_count = 0;
  std::bitset<256> seen_parameters;
};

// Walks one options field. False when an option runs past FIELD or no end option closes it.
// For a code sent more than once the first well-formed instance wins (only 55 is merged).
bool ReadOptions(std::span<const uint8_t> field, Request& r, uint8_t* overload, bool* has_type) {
  size_t i = 0;
  while (i < field.size()) {
    uint8_t code = field[i];
    if (code == kEnd) return true;
    if (code == kPad) {
      ++i;
      continue;
    }
    if (i + 1 >= field.size()) return false;
    size_t len = field[i + 1];
    if (i + 2 + len > field.size()) return false;
    std::span<const uint8_t> v = field.subspan(i + 2, len);
    switch (code) {
      case kMessageType:
        if (len == 1 && !*has_type) {
          r.info.message_type = v[0];
          *has_type = true;
        }
        break;
      case kRequestedAddress:
        if (len == 4 && !r.option_requested) r.option_requested = net::Ipv4{Get32(v, 0)};
        break;
      case kServerIdentifier:
        if (len == 4 && !r.server_identifier) r.server_identifier = net::Ipv4{Get32(v, 0)};
        break;
      case kMaxMessageSize:
        if (len == 2 && r.max_message_size == 0) r.max_message_size = Get16(v, 0);
        break;
      case kOverload:
        if (len == 1 && overload) *overload = v[0];
        break;
      case kParameterRequestList:
        for (uint8_t p : v) {
          if (r.seen_parameters[p]) continue;
          r.seen_parameters[p] = true;
          r.parameters[r.parameter_count++] = p;
        }
        break;
      default:
        break;
    }
    i += 2 + len;
  }
  return false;
}

std::optional<Request> Parse(std::span<const uint8_t> b) {
  if (b.size() < kOptions + 1) return std::nullopt;
  if (b[kOp] != kBootRequest || b[kHtype] != 1 || b[kHlen] != 6) return std::nullopt;
  if (!std::equal(kMagicCookie, kMagicCookie + 4, b.begin() + kCookie)) return std::nullopt;

  Request r;
  uint8_t overload = 0;
  bool has_type = false;
  if (!ReadOptions(b.subspan(kOptions), r, &overload, &has_type)) return std::nullopt;
  // RFC 2131 section 4.1: 'file' is read before 'sname' when both carry options.
  if ((overload & 1) && !ReadOptions(b.subspan(kFile, kFileSize), r, nullptr, &has_type)) return std::nullopt;
  if ((overload & 2) && !ReadOptions(b.subspan(kSname, kSnameSize), r, nullptr, &has_type)) return std::nullopt;
  if (!has_type || r.info.message_type == 0) return std::nullopt;

  r.info.xid = Get32(b, kXid);
  std::copy_n(b.begin() + kChaddr, 6, r.info.chaddr.begin());
  r.flags = Get16(b, kFlags);
  r.info.broadcast_flag = (r.flags & kBroadcastBit) != 0;
  r.ciaddr = net::Ipv4{Get32(b, kCiaddr)};
  r.giaddr = net::Ipv4{Get32(b, kGiaddr)};
  r.info.requested_ip = r.option_requested;
  if (!r.info.requested_ip && r.ciaddr.value != 0) r.info.requested_ip = r.ciaddr;
  return r;
}

// Appends option CODE with DATA, split into 255-byte instances when longer (RFC 3396).
void AppendOption(std::vector<uint8_t>& out, uint8_t code, std::span<const uint8_t> data) {
  do {
    size_t n = std::min<size_t>(data.size(), 255);
    out.push_back(code);
    out.push_back(uint8_t(n));
    out.insert(out.end(), data.begin(), data.begin() + n);
    data = data.subspan(n);
  } while (!data.empty());
}

void AppendU32(std::vector<uint8_t>& out, uint8_t code, uint32_t v) {
  const uint8_t d[4] = {uint8_t(v >> 24), uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)};
  AppendOption(out, code, d);
}

void AppendAddresses(std::vector<uint8_t>& out, uint8_t code, const std::vector<net::Ipv4>& list) {
  if (list.empty()) return;
  // Up to 63 addresses fit one instance without splitting one; AWS allows 4 (rule Q1).
  uint8_t d[252];
  size_t n = 0;
  for (size_t i = 0; i < list.size(); ++i) {
    for (int k = 0; k < 4; ++k) d[n++] = uint8_t(list[i].value >> (24 - 8 * k));
    if (n == sizeof d || i + 1 == list.size()) {
      AppendOption(out, code, std::span<const uint8_t>(d, n));
      n = 0;
    }
  }
}

void AppendString(std::vector<uint8_t>& out, uint8_t code, const std::string& s) {
  if (s.empty()) return;
  AppendOption(out, code, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

// The lease's configuration options (Q5) that are set; nothing for any other code.
void AppendConfigOption(std::vector<uint8_t>& out, uint8_t code, const DhcpLease& lease) {
  switch (code) {
    case kSubnetMask: {
      int p = std::clamp(lease.prefix_length, 0, 32);
      AppendU32(out, code, p == 0 ? 0 : ~uint32_t{0} << (32 - p));
      break;
    }
    case kRouter:
      if (lease.router.value != 0) AppendU32(out, code, lease.router.value);
      break;
    case kDomainNameServer:
      AppendAddresses(out, code, lease.dns_servers);
      break;
    case kHostName:
      AppendString(out, code, lease.hostname);
      break;
    case kDomainName:
      AppendString(out, code, lease.domain_name);
      break;
    case kInterfaceMtu:
      // RFC 2132 section 5.1: the smallest legal MTU is 68.
      if (lease.mtu >= 68) {
        const uint8_t d[2] = {uint8_t(lease.mtu >> 8), uint8_t(lease.mtu)};
        AppendOption(out, code, d);
      }
      break;
    case kBroadcastAddress:
      if (lease.broadcast.value != 0) AppendU32(out, code, lease.broadcast.value);
      break;
    case kNtpServers:
      AppendAddresses(out, code, lease.ntp_servers);
      break;
    case kNetbiosNameServer:
      AppendAddresses(out, code, lease.netbios_name_servers);
      break;
    case kNetbiosNodeType:
      if (lease.netbios_node_type > 0 && lease.netbios_node_type < 256) {
        const uint8_t d[1] = {uint8_t(lease.netbios_node_type)};
        AppendOption(out, code, d);
      }
      break;
    default:
      break;
  }
}

constexpr uint8_t kConfigOptions[] = {kSubnetMask,        kRouter,         kDomainNameServer, kDomainName,
                                      kHostName,          kInterfaceMtu,   kBroadcastAddress, kNtpServers,
                                      kNetbiosNameServer, kNetbiosNodeType};

std::vector<uint8_t> BuildReply(const Request& r, const DhcpLease& lease, uint8_t type) {
  const bool nak = type == kDhcpNak;
  const bool lease_times = type == kDhcpOffer || (type == kDhcpAck && r.info.message_type != kDhcpInform);

  std::vector<uint8_t> out(kOptions, 0);
  out.reserve(kMinMaxMessage - kIpUdpHeaders);
  out[kOp] = kBootReply;
  out[kHtype] = 1;
  out[kHlen] = 6;
  out[kHops] = 0;
  Put32(out, kXid, r.info.xid);
  Put16(out, kSecs, 0);
  // RFC 2131 section 4.3.2: a NAK through a relay is broadcast by the relay.
  Put16(out, kFlags, nak && r.giaddr.value != 0 ? uint16_t(r.flags | kBroadcastBit) : r.flags);
  // Table 3: ciaddr is echoed in an ACK (RENEWING, REBINDING, INFORM), zero otherwise.
  if (type == kDhcpAck) Put32(out, kCiaddr, r.ciaddr.value);
  if (lease_times) Put32(out, kYiaddr, lease.address.value);
  if (!nak) Put32(out, kSiaddr, lease.router.value);
  Put32(out, kGiaddr, r.giaddr.value);
  std::copy(r.info.chaddr.begin(), r.info.chaddr.end(), out.begin() + kChaddr);
  std::copy(kMagicCookie, kMagicCookie + 4, out.begin() + kCookie);

  const uint8_t t[1] = {type};
  AppendOption(out, kMessageType, t);
  AppendU32(out, kServerIdentifier, lease.router.value);
  if (nak) {
    static constexpr char kText[] = "requested address is not this interface's address";
    AppendOption(out, kMessage, std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(kText), sizeof kText - 1));
  } else {
    if (lease_times) {
      AppendU32(out, kLeaseTime, lease.lease_seconds);
      AppendU32(out, kRenewalTime, uint32_t(uint64_t{lease.lease_seconds} / 2));
      AppendU32(out, kRebindingTime, uint32_t(uint64_t{lease.lease_seconds} * 7 / 8));
    }
    size_t max_size = kMinMaxMessage;
    if (r.max_message_size > max_size) max_size = r.max_message_size;
    const size_t limit = max_size - kIpUdpHeaders - 1;  // room for the end option
    auto emit = [&](uint8_t code) {
      size_t before = out.size();
      AppendConfigOption(out, code, lease);
      if (out.size() > limit) out.resize(before);
    };
    std::bitset<256> sent;
    for (size_t i = 0; i < r.parameter_count; ++i) {
      uint8_t code = r.parameters[i];
      if (std::find(std::begin(kConfigOptions), std::end(kConfigOptions), code) == std::end(kConfigOptions)) continue;
      emit(code);
      sent[code] = true;
    }
    for (uint8_t code : kConfigOptions)
      if (!sent[code]) emit(code);
  }
  out.push_back(kEnd);
  if (out.size() < kMinReply) out.resize(kMinReply, kPad);
  return out;
}

}  // namespace

std::optional<DhcpMessageInfo> ParseDhcpRequest(std::span<const uint8_t> udp_payload) {
  auto r = Parse(udp_payload);
  if (!r) return std::nullopt;
  return r->info;
}

std::optional<std::vector<uint8_t>> DhcpReply(std::span<const uint8_t> udp_payload, const DhcpLease& lease) {
  auto r = Parse(udp_payload);
  if (!r || r->info.chaddr != lease.mac) return std::nullopt;
  switch (r->info.message_type) {
    case kDhcpDiscover:
      return BuildReply(*r, lease, kDhcpOffer);
    case kDhcpRequest:
      // SELECTING a different server's offer: this one stays silent (RFC 2131 section 4.3.2).
      if (r->server_identifier && *r->server_identifier != lease.router) return std::nullopt;
      if (r->info.requested_ip && *r->info.requested_ip != lease.address) return BuildReply(*r, lease, kDhcpNak);
      return BuildReply(*r, lease, kDhcpAck);
    case kDhcpInform:
      return BuildReply(*r, lease, kDhcpAck);
    default:  // RELEASE and DECLINE need no answer: the lease is the interface's for life.
      return std::nullopt;
  }
}

std::vector<uint8_t> BuildDhcpClientMessage(uint8_t type, uint32_t xid, const std::array<uint8_t, 6>& mac,
                                            std::optional<net::Ipv4> requested) {
  std::vector<uint8_t> out(kOptions, 0);
  out[kOp] = kBootRequest;
  out[kHtype] = 1;
  out[kHlen] = 6;
  Put32(out, kXid, xid);
  std::copy(mac.begin(), mac.end(), out.begin() + kChaddr);
  std::copy(kMagicCookie, kMagicCookie + 4, out.begin() + kCookie);
  const bool in_ciaddr = type == kDhcpInform || type == kDhcpRelease;
  if (requested && in_ciaddr) Put32(out, kCiaddr, requested->value);
  const uint8_t t[1] = {type};
  AppendOption(out, kMessageType, t);
  if (requested && !in_ciaddr) AppendU32(out, kRequestedAddress, requested->value);
  if (type == kDhcpDiscover || type == kDhcpRequest || type == kDhcpInform) {
    static constexpr uint8_t kWanted[] = {kSubnetMask,        kRouter,         kDomainNameServer, kHostName,
                                          kDomainName,        kInterfaceMtu,   kBroadcastAddress, kNtpServers,
                                          kNetbiosNameServer, kNetbiosNodeType};
    AppendOption(out, kParameterRequestList, kWanted);
  }
  out.push_back(kEnd);
  return out;
}

}  // namespace openvpc::dataplane
