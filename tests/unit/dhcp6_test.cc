// The DHCPv6 server of the VPC router (dataplane/dhcp6.h): RFC 8415 for the wire format and the
// server's behaviour, AWS's lifetimes (preferred 140 s, valid 450 s). The captured messages are
// real ones from tcpdump's test captures (dhcpv6-ia-na.pcap, dhcpv6-domain-list.pcap).
#include "dataplane/services/dhcp6.h"

#include <gtest/gtest.h>

#include <map>
#include <string_view>

#include "dataplane/wire/packet6.h"
#include "dataplane_testing.h"

using namespace openvpc::dataplane;
using openvpc::net::Ipv6;
using openvpc::testing::Hex;
using openvpc::testing::Ip6;

namespace {

uint16_t U16(std::span<const uint8_t> b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t U32(std::span<const uint8_t> b, size_t at) {
  return uint32_t(b[at]) << 24 | uint32_t(b[at + 1]) << 16 | uint32_t(b[at + 2]) << 8 | b[at + 3];
}
Ipv6 IpAt(std::span<const uint8_t> b, size_t at) {
  Ipv6 ip;
  std::copy_n(b.begin() + at, 16, ip.bytes.begin());
  return ip;
}

const MacAddress kRouterMac = {0x02, 0x00, 0x0a, 0x00, 0x01, 0x01};
const std::vector<uint8_t> kOurDuid = {0, 3, 0, 1, 0x02, 0x00, 0x0a, 0x00, 0x01, 0x01};
// DUID-LLT of an instance (type 1, Ethernet, time, MAC), as dhclient makes it.
const std::vector<uint8_t> kClientDuid = Hex("00 01 00 01 2c 8a 1f 3b 02 1a 2b 3c 4d 5e");
const std::vector<uint8_t> kOtherServer = Hex("00 03 00 01 02 00 0a 00 01 02");
constexpr uint32_t kIaid = 0x2b3c4d5e;

// An interface with two IPv6 addresses in subnet 2600:1f18:abc:de01::/64.
Dhcp6Lease Lease() {
  Dhcp6Lease l;
  l.router_mac = kRouterMac;
  l.addresses = {Ip6("2600:1f18:abc:de01:4a3b:1d6e:8f2a:9c01"), Ip6("2600:1f18:abc:de01::7")};
  l.dns_servers = {Ip6("fd00:ec2::253")};  // the Amazon DNS server's IPv6 address
  l.domain_search = {"ec2.internal"};
  return l;
}

// A server message decoded without the code under test: options by code, in order.
struct Option {
  uint16_t code;
  std::vector<uint8_t> value;
};
std::vector<Option> Options(std::span<const uint8_t> b) {
  std::vector<Option> out;
  size_t i = 0;
  while (i < b.size()) {
    EXPECT_LE(i + 4, b.size());
    if (i + 4 > b.size()) break;
    size_t len = U16(b, i + 2);
    EXPECT_LE(i + 4 + len, b.size());
    if (i + 4 + len > b.size()) break;
    out.push_back({U16(b, i), std::vector<uint8_t>(b.begin() + i + 4, b.begin() + i + 4 + len)});
    i += 4 + len;
  }
  return out;
}

struct IaAddr {
  Ipv6 address;
  uint32_t preferred, valid;
};
struct IaNa {
  uint32_t iaid = 0, t1 = 0, t2 = 0;
  std::vector<IaAddr> addresses;
  std::optional<uint16_t> status;
};

struct Message {
  uint8_t type = 0;
  uint32_t xid = 0;
  std::vector<Option> options;

  int Count(uint16_t code) const {
    return int(std::count_if(options.begin(), options.end(), [&](const Option& o) { return o.code == code; }));
  }
  bool Has(uint16_t code) const { return Count(code) > 0; }
  const std::vector<uint8_t>& Get(uint16_t code) const {
    for (const Option& o : options)
      if (o.code == code) return o.value;
    static const std::vector<uint8_t> kNone;
    ADD_FAILURE() << "no option " << code;
    return kNone;
  }
  std::optional<uint16_t> Status() const {
    if (!Has(13)) return std::nullopt;
    return U16(Get(13), 0);
  }
  IaNa Ia() const {
    IaNa ia;
    const auto& v = Get(3);
    EXPECT_GE(v.size(), 12u);
    if (v.size() < 12) return ia;
    ia.iaid = U32(v, 0), ia.t1 = U32(v, 4), ia.t2 = U32(v, 8);
    for (const Option& o : Options(std::span<const uint8_t>(v).subspan(12))) {
      if (o.code == 5) {
        EXPECT_EQ(o.value.size(), 24u);
        if (o.value.size() >= 24) ia.addresses.push_back({IpAt(o.value, 0), U32(o.value, 16), U32(o.value, 20)});
      } else if (o.code == 13) {
        EXPECT_GE(o.value.size(), 2u);
        ia.status = U16(o.value, 0);
      } else {
        ADD_FAILURE() << "unexpected option " << o.code << " in IA_NA";
      }
    }
    return ia;
  }
};

Message Decode(const std::vector<uint8_t>& b) {
  Message m;
  EXPECT_GE(b.size(), 4u);
  if (b.size() < 4) return m;
  m.type = b[0];
  m.xid = uint32_t(b[1]) << 16 | uint32_t(b[2]) << 8 | b[3];
  m.options = Options(std::span<const uint8_t>(b).subspan(4));
  return m;
}

Message Reply(const std::vector<uint8_t>& msg, const Dhcp6Lease& lease = Lease()) {
  auto r = Dhcp6Reply(msg, lease);
  EXPECT_TRUE(r);
  return r ? Decode(*r) : Message{};
}

std::vector<uint8_t> Client(uint8_t type, uint32_t xid, std::optional<std::vector<uint8_t>> server = std::nullopt,
                            std::vector<Ipv6> addresses = {}, bool rapid = false) {
  return BuildDhcp6ClientMessage(type, xid, kClientDuid, std::move(server), kIaid, rapid, std::move(addresses));
}

// The option-24 value of "ec2.internal".
const std::vector<uint8_t> kEc2Internal = {3, 'e', 'c', '2', 8, 'i', 'n', 't', 'e', 'r', 'n', 'a', 'l', 0};

// Identifiers, the IA_NA with every lease address and the configuration options.
void ExpectLeaseAnswer(const Message& m, uint32_t xid) {
  EXPECT_EQ(m.xid, xid);
  EXPECT_EQ(m.Get(1), kClientDuid);
  EXPECT_EQ(m.Get(2), kOurDuid);
  EXPECT_EQ(m.Count(1), 1);
  EXPECT_EQ(m.Count(2), 1);
  ASSERT_EQ(m.Count(3), 1);
  IaNa ia = m.Ia();
  EXPECT_EQ(ia.iaid, kIaid);
  EXPECT_EQ(ia.t1, 70u);   // 0.5 x 140
  EXPECT_EQ(ia.t2, 112u);  // 0.8 x 140
  ASSERT_GE(ia.addresses.size(), 2u);
  EXPECT_EQ(ia.addresses[0].address, Ip6("2600:1f18:abc:de01:4a3b:1d6e:8f2a:9c01"));
  EXPECT_EQ(ia.addresses[1].address, Ip6("2600:1f18:abc:de01::7"));
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(ia.addresses[i].preferred, 140u);
    EXPECT_EQ(ia.addresses[i].valid, 450u);
  }
  EXPECT_FALSE(ia.status);
  const Ipv6 dns = Ip6("fd00:ec2::253");
  EXPECT_EQ(m.Get(23), std::vector<uint8_t>(dns.bytes.begin(), dns.bytes.end()));
  EXPECT_EQ(m.Get(24), kEc2Internal);
  EXPECT_FALSE(m.Has(13));
  EXPECT_FALSE(m.Has(32));
}

// Replaces the bytes of option CODE's value (top level, first instance) by VALUE.
std::vector<uint8_t> WithOption(std::vector<uint8_t> m, uint16_t code, std::vector<uint8_t> value) {
  size_t i = 4;
  while (i + 4 <= m.size()) {
    size_t len = U16(m, i + 2);
    if (U16(m, i) == code) {
      m.erase(m.begin() + i + 4, m.begin() + i + 4 + len);
      m.insert(m.begin() + i + 4, value.begin(), value.end());
      m[i + 2] = uint8_t(value.size() >> 8);
      m[i + 3] = uint8_t(value.size());
      return m;
    }
    i += 4 + len;
  }
  ADD_FAILURE() << "no option " << code;
  return m;
}
std::vector<uint8_t> PlusOption(std::vector<uint8_t> m, uint16_t code, std::vector<uint8_t> value) {
  m.push_back(uint8_t(code >> 8));
  m.push_back(uint8_t(code));
  m.push_back(uint8_t(value.size() >> 8));
  m.push_back(uint8_t(value.size()));
  m.insert(m.end(), value.begin(), value.end());
  return m;
}
std::vector<uint8_t> WithoutOption(std::vector<uint8_t> m, uint16_t code) {
  size_t i = 4;
  while (i + 4 <= m.size()) {
    size_t len = U16(m, i + 2);
    if (U16(m, i) == code) {
      m.erase(m.begin() + i, m.begin() + i + 4 + len);
      return m;
    }
    i += 4 + len;
  }
  ADD_FAILURE() << "no option " << code;
  return m;
}

// An IA_NA option value: IAID, T1, T2, then ADDRESSES as IAADDRs (lifetimes 0).
std::vector<uint8_t> IaNaValue(uint32_t iaid, const std::vector<Ipv6>& addresses) {
  std::vector<uint8_t> v = {uint8_t(iaid >> 24), uint8_t(iaid >> 16), uint8_t(iaid >> 8), uint8_t(iaid)};
  v.resize(12, 0);
  for (const Ipv6& ip : addresses) {
    v.insert(v.end(), {0, 5, 0, 24});
    v.insert(v.end(), ip.bytes.begin(), ip.bytes.end());
    v.resize(v.size() + 8, 0);
  }
  return v;
}

}  // namespace

// --- The exchanges ---------------------------------------------------------------------------

TEST(Dhcp6, SolicitGetsAdvertiseWithTheLeaseAddresses) {
  Message m = Reply(Client(kDhcp6Solicit, 0xabcdef));
  EXPECT_EQ(m.type, kDhcp6Advertise);
  ExpectLeaseAnswer(m, 0xabcdef);
  // The only server on the link: preference 255 lets the client go on at once.
  EXPECT_EQ(m.Get(7), std::vector<uint8_t>{255});
  EXPECT_FALSE(m.Has(14));
}

TEST(Dhcp6, SolicitWithRapidCommitGetsReply) {
  Message m = Reply(Client(kDhcp6Solicit, 0x123456, std::nullopt, {}, true));
  EXPECT_EQ(m.type, kDhcp6Reply);
  ExpectLeaseAnswer(m, 0x123456);
  EXPECT_EQ(m.Get(14), std::vector<uint8_t>{});
  EXPECT_FALSE(m.Has(7));
}

TEST(Dhcp6, RequestAndRenewForThisServerGetReply) {
  for (uint8_t type : {kDhcp6Request, kDhcp6Renew}) {
    Message m = Reply(Client(type, 0x0f0f0f, kOurDuid, {Ip6("2600:1f18:abc:de01::7")}));
    EXPECT_EQ(m.type, kDhcp6Reply) << int(type);
    ExpectLeaseAnswer(m, 0x0f0f0f);
    EXPECT_EQ(m.Ia().addresses.size(), 2u);
    EXPECT_FALSE(m.Has(7));
    EXPECT_FALSE(m.Has(14));
  }
  // A REQUEST's rapid commit option means nothing (only SOLICIT's does).
  Message r = Reply(Client(kDhcp6Request, 1, kOurDuid, {}, true));
  EXPECT_EQ(r.type, kDhcp6Reply);
  EXPECT_FALSE(r.Has(14));
}

TEST(Dhcp6, RequestAndRenewForAnotherServerGetNoReply) {
  auto lease = Lease();
  for (uint8_t type : {kDhcp6Request, kDhcp6Renew, kDhcp6Release, kDhcp6Decline}) {
    EXPECT_FALSE(Dhcp6Reply(Client(type, 1, kOtherServer), lease)) << int(type);
    EXPECT_FALSE(Dhcp6Reply(Client(type, 1), lease)) << int(type);  // no server id at all
    // Our MAC in another kind of DUID is another DUID.
    EXPECT_FALSE(Dhcp6Reply(Client(type, 1, Hex("00 01 00 01 00 00 00 00 02 00 0a 00 01 01")), lease)) << int(type);
  }
}

TEST(Dhcp6, RenewAndRebindWithdrawAddressesNoLongerAssigned) {
  const Ipv6 old = Ip6("2600:1f18:abc:de01::99");
  for (uint8_t type : {kDhcp6Renew, kDhcp6Rebind}) {
    std::optional<std::vector<uint8_t>> server;
    if (type == kDhcp6Renew) server = kOurDuid;
    Message m = Reply(Client(type, 77, server, {Ip6("2600:1f18:abc:de01::7"), old, old}));
    EXPECT_EQ(m.type, kDhcp6Reply);
    IaNa ia = m.Ia();
    ASSERT_EQ(ia.addresses.size(), 3u) << int(type);  // the duplicate is listed once
    EXPECT_EQ(ia.addresses[2].address, old);
    EXPECT_EQ(ia.addresses[2].preferred, 0u);
    EXPECT_EQ(ia.addresses[2].valid, 0u);
    EXPECT_EQ(ia.t1, 70u);
  }
  // A REQUEST's addresses are only hints: nothing to withdraw.
  EXPECT_EQ(Reply(Client(kDhcp6Request, 78, kOurDuid, {old})).Ia().addresses.size(), 2u);
}

TEST(Dhcp6, RebindGetsReplyFromAnyServerButNotWhenOneIsNamed) {
  Message m = Reply(Client(kDhcp6Rebind, 0x424242));
  EXPECT_EQ(m.type, kDhcp6Reply);
  ExpectLeaseAnswer(m, 0x424242);
  // Section 16.7: a REBIND naming a server is discarded, even naming this one; so is a SOLICIT.
  EXPECT_FALSE(Dhcp6Reply(Client(kDhcp6Rebind, 1, kOurDuid), Lease()));
  EXPECT_FALSE(Dhcp6Reply(Client(kDhcp6Solicit, 1, kOurDuid), Lease()));
  EXPECT_FALSE(Dhcp6Reply(Client(kDhcp6Solicit, 1, kOtherServer), Lease()));
}

TEST(Dhcp6, InterfaceWithoutIpv6AddressGetsNoAddrsAvail) {
  Dhcp6Lease lease = Lease();
  lease.addresses.clear();
  for (uint8_t type : {kDhcp6Solicit, kDhcp6Request}) {
    std::optional<std::vector<uint8_t>> server;
    if (type == kDhcp6Request) server = kOurDuid;
    Message m = Reply(Client(type, 5, server), lease);
    ASSERT_TRUE(m.Has(3));
    IaNa ia = m.Ia();
    EXPECT_EQ(ia.iaid, kIaid);
    EXPECT_EQ(ia.t1, 0u);
    EXPECT_EQ(ia.t2, 0u);
    EXPECT_TRUE(ia.addresses.empty());
    EXPECT_EQ(ia.status, kDhcp6StatusNoAddrsAvail);
    EXPECT_FALSE(m.Has(13));  // the status lives in the IA (RFC 7550, RFC 8415 section 18.3.1)
    EXPECT_EQ(m.Get(24), kEc2Internal);
  }
  // RENEW of an address the interface lost: withdrawn, and NoAddrsAvail.
  Message renew = Reply(Client(kDhcp6Renew, 6, kOurDuid, {Ip6("2600:1f18:abc:de01::7")}), lease);
  IaNa ia = renew.Ia();
  ASSERT_EQ(ia.addresses.size(), 1u);
  EXPECT_EQ(ia.addresses[0].valid, 0u);
  EXPECT_EQ(ia.status, kDhcp6StatusNoAddrsAvail);
}

TEST(Dhcp6, ConfirmSaysWhetherTheAddressesAreStillTheInterfaces) {
  Message ok = Reply(Client(kDhcp6Confirm, 9, std::nullopt, {Ip6("2600:1f18:abc:de01::7")}));
  EXPECT_EQ(ok.type, kDhcp6Reply);
  EXPECT_EQ(ok.xid, 9u);
  EXPECT_EQ(ok.Get(1), kClientDuid);
  EXPECT_EQ(ok.Get(2), kOurDuid);
  EXPECT_EQ(ok.Status(), kDhcp6StatusSuccess);
  EXPECT_FALSE(ok.Has(3));
  EXPECT_FALSE(ok.Has(23));

  Message moved =
      Reply(Client(kDhcp6Confirm, 10, std::nullopt, {Ip6("2600:1f18:abc:de01::7"), Ip6("2600:1f18:abc:de02::7")}));
  EXPECT_EQ(moved.Status(), kDhcp6StatusNotOnLink);

  // No address to confirm: no answer (section 18.3.3); a named server: discarded (16.5).
  EXPECT_FALSE(Dhcp6Reply(Client(kDhcp6Confirm, 11), Lease()));
  EXPECT_FALSE(Dhcp6Reply(Client(kDhcp6Confirm, 11, kOurDuid, {Ip6("2600:1f18:abc:de01::7")}), Lease()));

  // Addresses of every IA count, the second IA_NA's and an IA_TA's too.
  auto two = PlusOption(Client(kDhcp6Confirm, 12, std::nullopt, {Ip6("2600:1f18:abc:de01::7")}), 3,
                        IaNaValue(7, {Ip6("2001:db8::1")}));
  EXPECT_EQ(Reply(two).Status(), kDhcp6StatusNotOnLink);
  std::vector<uint8_t> ta = {0, 0, 0, 8, 0, 5, 0, 24};
  const Ipv6 elsewhere = Ip6("2001:db8::2");
  ta.insert(ta.end(), elsewhere.bytes.begin(), elsewhere.bytes.end());
  ta.resize(ta.size() + 8, 0);
  EXPECT_EQ(Reply(PlusOption(Client(kDhcp6Confirm, 13, std::nullopt, {Ip6("2600:1f18:abc:de01::7")}), 4, ta)).Status(),
            kDhcp6StatusNotOnLink);
}

TEST(Dhcp6, InformationRequestGetsTheConfiguration) {
  auto lease = Lease();
  Message m = Reply(Client(kDhcp6InformationRequest, 0x10203));
  EXPECT_EQ(m.type, kDhcp6Reply);
  EXPECT_EQ(m.xid, 0x10203u);
  EXPECT_EQ(m.Get(1), kClientDuid);
  EXPECT_EQ(m.Get(2), kOurDuid);
  EXPECT_EQ(m.Get(24), kEc2Internal);
  EXPECT_EQ(m.Get(23).size(), 16u);
  EXPECT_EQ(U32(m.Get(32), 0), 86400u);
  EXPECT_FALSE(m.Has(3));
  EXPECT_FALSE(m.Has(13));

  // Without a client identifier (allowed: section 18.2.6 says SHOULD): none in the answer.
  auto anonymous = BuildDhcp6ClientMessage(kDhcp6InformationRequest, 4, {}, std::nullopt, 0, false, {});
  ASSERT_TRUE(ParseDhcp6Message(anonymous));
  Message a = Reply(anonymous);
  EXPECT_FALSE(a.Has(1));
  EXPECT_EQ(a.Get(2), kOurDuid);

  // Naming this server (after a Reconfigure) is fine; another one, or an IA, is discarded.
  EXPECT_TRUE(Dhcp6Reply(Client(kDhcp6InformationRequest, 5, kOurDuid), lease));
  EXPECT_FALSE(Dhcp6Reply(Client(kDhcp6InformationRequest, 5, kOtherServer), lease));
  EXPECT_FALSE(Dhcp6Reply(PlusOption(Client(kDhcp6InformationRequest, 5), 3, IaNaValue(1, {})), lease));
  EXPECT_FALSE(Dhcp6Reply(PlusOption(Client(kDhcp6InformationRequest, 5), 25, IaNaValue(1, {})), lease));

  // Nothing configured: the identifiers alone.
  Dhcp6Lease bare;
  bare.router_mac = kRouterMac;
  bare.information_refresh_time = 0;
  Message b = Reply(Client(kDhcp6InformationRequest, 6), bare);
  EXPECT_EQ(b.options.size(), 2u);
}

TEST(Dhcp6, ReleaseAndDeclineGetSuccess) {
  for (uint8_t type : {kDhcp6Release, kDhcp6Decline}) {
    Message m = Reply(Client(type, 0x777, kOurDuid, {Ip6("2600:1f18:abc:de01::7")}));
    EXPECT_EQ(m.type, kDhcp6Reply) << int(type);
    EXPECT_EQ(m.xid, 0x777u);
    EXPECT_EQ(m.Get(1), kClientDuid);
    EXPECT_EQ(m.Get(2), kOurDuid);
    EXPECT_EQ(m.Status(), kDhcp6StatusSuccess);
    EXPECT_FALSE(m.Has(3));
  }
}

TEST(Dhcp6, ServerMessagesAndUnknownTypesGetNoReply) {
  auto lease = Lease();
  for (int type : {0, int{kDhcp6Advertise}, int{kDhcp6Reply}, 10, 12, 13, 14, 200}) {
    EXPECT_FALSE(Dhcp6Reply(Client(uint8_t(type), 1), lease)) << type;
    EXPECT_FALSE(Dhcp6Reply(Client(uint8_t(type), 1, kOurDuid), lease)) << type;
  }
  // Relay messages have another header: they do not even parse.
  EXPECT_FALSE(ParseDhcp6Message(Client(12, 1)));
  EXPECT_FALSE(ParseDhcp6Message(Client(13, 1)));
  EXPECT_TRUE(ParseDhcp6Message(Client(kDhcp6Reply, 1)));
}

TEST(Dhcp6, OnlyTheFirstIaNaIsAnswered) {
  auto m = PlusOption(Client(kDhcp6Solicit, 3), 3, IaNaValue(0x99, {}));
  Message r = Reply(m);
  EXPECT_EQ(r.Count(3), 1);
  EXPECT_EQ(r.Ia().iaid, kIaid);
  // A SOLICIT for a delegated prefix only: no IA_NA in the answer, the rest as usual.
  auto pd_only = PlusOption(WithoutOption(Client(kDhcp6Solicit, 4), 3), 25, IaNaValue(1, {}));
  Message p = Reply(pd_only);
  EXPECT_EQ(p.type, kDhcp6Advertise);
  EXPECT_FALSE(p.Has(3));
  EXPECT_FALSE(p.Has(25));
  EXPECT_EQ(p.Get(24), kEc2Internal);
}

TEST(Dhcp6, LifetimesAndTimers) {
  Dhcp6Lease lease = Lease();
  lease.preferred_lifetime = 1000;
  lease.valid_lifetime = 600;  // preferred is never more than valid
  IaNa ia = Reply(Client(kDhcp6Solicit, 1), lease).Ia();
  EXPECT_EQ(ia.addresses[0].preferred, 600u);
  EXPECT_EQ(ia.addresses[0].valid, 600u);
  EXPECT_EQ(ia.t1, 300u);
  EXPECT_EQ(ia.t2, 480u);
  lease.preferred_lifetime = lease.valid_lifetime = 0xffffffff;  // infinity: never renew
  ia = Reply(Client(kDhcp6Solicit, 1), lease).Ia();
  EXPECT_EQ(ia.t1, 0xffffffffu);
  EXPECT_EQ(ia.t2, 0xffffffffu);
  EXPECT_EQ(ia.addresses[0].preferred, 0xffffffffu);
}

TEST(Dhcp6, DomainSearchListIsEncodedLikeTheCapturedOne) {
  // tcpdump's dhcpv6-domain-list.pcap: option 24 of 49 bytes.
  const auto captured =
      Hex("07 65 78 61 6d 70 6c 65 03 63 6f 6d 00 05 73 61 6c 65 73 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00"
          "03 65 6e 67 07 65 78 61 6d 70 6c 65 03 63 6f 6d 00");
  Dhcp6Lease lease = Lease();
  lease.domain_search = {"example.com", "sales.example.com.", "eng.example.com"};
  EXPECT_EQ(Reply(Client(kDhcp6InformationRequest, 1), lease).Get(24), captured);
  // Names that cannot be encoded are left out; with none left, so is the option.
  lease.domain_search = {"", ".", "a..b", std::string(64, 'x') + ".com", std::string(63, 'y') + ".com", ".leading"};
  std::vector<uint8_t> only = {63};
  only.insert(only.end(), 63, 'y');
  only.insert(only.end(), {3, 'c', 'o', 'm', 0});
  EXPECT_EQ(Reply(Client(kDhcp6InformationRequest, 1), lease).Get(24), only);
  std::string long_name;
  for (int i = 0; i < 5; ++i) long_name += std::string(60, 'z') + ".";
  lease.domain_search = {"", long_name};  // 305 bytes: over 255
  lease.dns_servers.clear();
  Message m = Reply(Client(kDhcp6InformationRequest, 1), lease);
  EXPECT_FALSE(m.Has(24));
  EXPECT_FALSE(m.Has(23));
}

// --- Parsing ---------------------------------------------------------------------------------

TEST(Dhcp6, ParseReportsTheClientMessage) {
  auto info = ParseDhcp6Message(Client(kDhcp6Renew, 0xfedcba, kOurDuid, {Ip6("2600:1f18:abc:de01::7")}, true));
  ASSERT_TRUE(info);
  EXPECT_EQ(info->type, kDhcp6Renew);
  EXPECT_EQ(info->transaction_id, 0xfedcbau);
  EXPECT_EQ(info->client_duid, kClientDuid);
  EXPECT_EQ(info->server_duid, kOurDuid);
  EXPECT_EQ(info->iaid, kIaid);
  EXPECT_TRUE(info->rapid_commit);
  EXPECT_EQ(info->ia_addresses, std::vector<Ipv6>{Ip6("2600:1f18:abc:de01::7")});
  EXPECT_EQ(info->requested_options, (std::vector<uint16_t>{23, 24}));

  auto inform = ParseDhcp6Message(Client(kDhcp6InformationRequest, 1));
  ASSERT_TRUE(inform);
  EXPECT_FALSE(inform->iaid);
  EXPECT_FALSE(inform->server_duid);
  EXPECT_FALSE(inform->rapid_commit);
  EXPECT_TRUE(inform->ia_addresses.empty());
}

TEST(Dhcp6, ClientMessagesLayout) {
  // SOLICIT: header, client id, elapsed time, IA_NA, ORO.
  Message s = Decode(Client(kDhcp6Solicit, 0x010203));
  EXPECT_EQ(s.type, kDhcp6Solicit);
  EXPECT_EQ(s.xid, 0x010203u);
  ASSERT_EQ(s.options.size(), 4u);
  EXPECT_EQ(s.options[0].code, 1);
  EXPECT_EQ(s.options[1].code, 8);
  EXPECT_EQ(s.options[1].value, (std::vector<uint8_t>{0, 0}));
  EXPECT_EQ(s.options[2].code, 3);
  EXPECT_EQ(s.options[2].value, IaNaValue(kIaid, {}));
  EXPECT_EQ(s.options[3].code, 6);
  EXPECT_EQ(s.options[3].value, (std::vector<uint8_t>{0, 23, 0, 24}));
  // RELEASE: no ORO; INFORMATION-REQUEST: no IA_NA; the 24-bit transaction id is cut.
  Message r = Decode(Client(kDhcp6Release, 0x1000001, kOurDuid, {Ip6("2600:1f18:abc:de01::7")}));
  EXPECT_EQ(r.xid, 1u);
  EXPECT_FALSE(r.Has(6));
  EXPECT_EQ(r.Get(2), kOurDuid);
  EXPECT_EQ(r.Get(3), IaNaValue(kIaid, {Ip6("2600:1f18:abc:de01::7")}));
  Message i = Decode(Client(kDhcp6InformationRequest, 1, std::nullopt, {}, true));
  EXPECT_FALSE(i.Has(3));
  EXPECT_TRUE(i.Has(14));
  EXPECT_EQ(ServerDuid(kRouterMac), kOurDuid);
}

TEST(Dhcp6, MalformedMessagesAreRejected) {
  const auto good = Client(kDhcp6Renew, 1, kOurDuid, {Ip6("2600:1f18:abc:de01::7")}, true);
  ASSERT_TRUE(ParseDhcp6Message(good));
  auto rejected = [](const std::vector<uint8_t>& m) { return !ParseDhcp6Message(m) && !Dhcp6Reply(m, Lease()); };
  EXPECT_TRUE(rejected({}));
  EXPECT_TRUE(rejected({kDhcp6Solicit, 0, 0}));
  // Client messages name their client; INFORMATION-REQUEST may not.
  for (uint8_t type :
       {kDhcp6Solicit, kDhcp6Request, kDhcp6Confirm, kDhcp6Renew, kDhcp6Rebind, kDhcp6Release, kDhcp6Decline})
    EXPECT_TRUE(rejected(WithoutOption(Client(type, 1, kOurDuid), 1))) << int(type);
  // Identifiers: duplicated, too short, too long.
  EXPECT_TRUE(rejected(PlusOption(good, 1, kClientDuid)));
  EXPECT_TRUE(rejected(PlusOption(good, 2, kOurDuid)));
  EXPECT_TRUE(rejected(WithOption(good, 1, {0, 3})));
  EXPECT_TRUE(rejected(WithOption(good, 2, {0, 3})));
  EXPECT_TRUE(rejected(WithOption(good, 1, std::vector<uint8_t>(131, 1))));
  EXPECT_TRUE(ParseDhcp6Message(WithOption(good, 1, std::vector<uint8_t>(130, 1))));
  EXPECT_TRUE(ParseDhcp6Message(WithOption(good, 1, {0, 4, 1})));
  // Fixed sizes.
  EXPECT_TRUE(rejected(WithOption(good, 8, {0})));         // elapsed time
  EXPECT_TRUE(rejected(WithOption(good, 14, {1})));        // rapid commit
  EXPECT_TRUE(rejected(WithOption(good, 6, {0, 23, 0})));  // ORO
  EXPECT_TRUE(rejected(WithOption(good, 3, std::vector<uint8_t>(11, 0))));
  auto ia = IaNaValue(kIaid, {Ip6("2600:1f18:abc:de01::7")});
  auto short_addr = ia;
  short_addr[15] = 23;  // IAADDR of 23 bytes...
  short_addr.pop_back();
  EXPECT_TRUE(rejected(WithOption(good, 3, short_addr)));
  auto long_addr = ia;
  long_addr[15] = 25;  // ... or running past the IA_NA
  EXPECT_TRUE(rejected(WithOption(good, 3, long_addr)));
  auto nested = ia;  // an option inside the IAADDR running past it
  nested[15] = 24 + 4;
  nested.insert(nested.end(), {0, 13, 0, 9});
  EXPECT_TRUE(rejected(WithOption(good, 3, nested)));
  nested[nested.size() - 1] = 0;  // a status code of 0 bytes (too short for a code, but we never read it)
  EXPECT_TRUE(ParseDhcp6Message(WithOption(good, 3, nested)));
  EXPECT_TRUE(rejected(PlusOption(good, 4, {0, 0, 0})));      // IA_TA
  EXPECT_TRUE(rejected(PlusOption(good, 25, {0, 0, 0, 1})));  // IA_PD
  auto pd = IaNaValue(1, {});
  pd.insert(pd.end(), {0, 26, 0, 24});
  pd.resize(pd.size() + 24, 0);
  EXPECT_TRUE(rejected(PlusOption(good, 25, pd)));  // IAPREFIX of 24 bytes
  // An option header cut short, a length past the end.
  auto cut = good;
  cut.insert(cut.end(), {0, 99, 0});
  EXPECT_TRUE(rejected(cut));
  cut.push_back(1);
  EXPECT_TRUE(rejected(cut));
  // Unknown options, and an unknown option inside the IA_NA, are skipped.
  EXPECT_TRUE(Dhcp6Reply(PlusOption(PlusOption(good, 39, {0, 0}), 0xffff, {}), Lease()));
  auto unknown_inside = ia;
  unknown_inside.insert(unknown_inside.end(), {0, 6, 0, 2, 0, 23});
  EXPECT_TRUE(Dhcp6Reply(WithOption(good, 3, unknown_inside), Lease()));
}

TEST(Dhcp6, EveryTruncationIsHandled) {
  for (uint8_t type : {kDhcp6Solicit, kDhcp6Request, kDhcp6Confirm, kDhcp6Renew, kDhcp6InformationRequest}) {
    auto m = Client(type, 5, type == kDhcp6Request || type == kDhcp6Renew ? std::optional(kOurDuid) : std::nullopt,
                    {Ip6("2600:1f18:abc:de01::7")}, true);
    ASSERT_TRUE(Dhcp6Reply(m, Lease()));
    // Where the top-level options end: only a cut there can leave a valid message.
    std::vector<size_t> ends = {4};
    for (size_t i = 4; i < m.size(); i += 4 + U16(m, i + 2)) ends.push_back(i + 4 + U16(m, i + 2));
    for (size_t n = 0; n < m.size(); ++n) {
      std::span<const uint8_t> cut(m.data(), n);
      bool at_end = std::find(ends.begin(), ends.end(), n) != ends.end();
      if (!at_end) {
        EXPECT_FALSE(ParseDhcp6Message(cut)) << int(type) << " " << n;
        EXPECT_FALSE(Dhcp6Reply(cut, Lease())) << int(type) << " " << n;
      }
      if (auto r = Dhcp6Reply(cut, Lease())) {
        EXPECT_EQ(Decode(*r).xid, 5u);
      }
    }
  }
}

TEST(Dhcp6, MutatedMessagesNeverCrash) {
  auto lease = Lease();
  std::vector<std::vector<uint8_t>> bases = {
      Client(kDhcp6Solicit, 1, std::nullopt, {Ip6("2600:1f18:abc:de01::7")}, true),
      Client(kDhcp6Renew, 2, kOurDuid, {Ip6("2600:1f18:abc:de01::7"), Ip6("2001:db8::1")}),
      Client(kDhcp6Confirm, 3, std::nullopt, {Ip6("2600:1f18:abc:de01::7")}),
      PlusOption(Client(kDhcp6InformationRequest, 4), 25, IaNaValue(1, {})),
  };
  uint32_t seed = 8415;
  auto next = [&] { return seed = seed * 1103515245 + 12345, seed >> 16; };
  int answered = 0;
  for (int round = 0; round < 40000; ++round) {
    auto m = bases[next() % bases.size()];
    int flips = 1 + int(next() % 8);
    for (int k = 0; k < flips; ++k) m[next() % m.size()] = uint8_t(next());
    if (next() % 4 == 0) m.resize(next() % (m.size() + 1));
    if (auto r = Dhcp6Reply(m, lease)) {
      ++answered;
      Message d = Decode(*r);  // well-formed
      EXPECT_TRUE(d.type == kDhcp6Advertise || d.type == kDhcp6Reply);
      EXPECT_EQ(d.Get(2), kOurDuid);
      EXPECT_EQ(d.xid, uint32_t(m[1]) << 16 | uint32_t(m[2]) << 8 | m[3]);
    }
  }
  EXPECT_GT(answered, 0);
}

TEST(Dhcp6, RenewListingThousandsOfAddressesGetsAReplyThatFitsADatagram) {
  std::vector<Ipv6> many;
  for (int i = 0; i < 2340; ++i) {  // as many IAADDRs as one IA_NA holds
    Ipv6 ip = Ip6("2001:db8::");
    ip.bytes[14] = uint8_t(i >> 8);
    ip.bytes[15] = uint8_t(i);
    many.push_back(ip);
  }
  auto m = Client(kDhcp6Renew, 1, kOurDuid, many);
  ASSERT_EQ(ParseDhcp6Message(m)->ia_addresses.size(), 2340u);
  auto r = Dhcp6Reply(m, Lease());
  ASSERT_TRUE(r);
  IaNa ia = Decode(*r).Ia();
  ASSERT_EQ(ia.addresses.size(), 2u + 64);  // the lease's, then the first 64 withdrawn
  EXPECT_EQ(ia.addresses[2].address, many[0]);
  EXPECT_EQ(ia.addresses[65].address, many[63]);
  EXPECT_EQ(ia.addresses[65].valid, 0u);
}

// --- Real clients ----------------------------------------------------------------------------

TEST(Dhcp6, CapturedSolicitGetsAdvertise) {
  // tcpdump's dhcpv6-ia-na.pcap: client id DUID-LL 00:01:02:03:04:05, ORO 23 and 24, elapsed
  // time 0, IA_NA 0x02030405 with T1 3600 and T2 5400 (the client's wishes; ignored).
  const auto solicit =
      Hex("01 90 b4 5c 00 01 00 0a 00 03 00 01 00 01 02 03 04 05 00 06 00 04 00 17 00 18 00 08 00 02 00 00"
          "00 03 00 0c 02 03 04 05 00 00 0e 10 00 00 15 18");
  auto info = ParseDhcp6Message(solicit);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->transaction_id, 0x90b45cu);
  EXPECT_EQ(info->iaid, 0x02030405u);
  EXPECT_EQ(info->requested_options, (std::vector<uint16_t>{23, 24}));
  Message m = Reply(solicit);
  EXPECT_EQ(m.type, kDhcp6Advertise);
  EXPECT_EQ(m.xid, 0x90b45cu);
  EXPECT_EQ(m.Get(1), Hex("00 03 00 01 00 01 02 03 04 05"));
  IaNa ia = m.Ia();
  EXPECT_EQ(ia.iaid, 0x02030405u);
  EXPECT_EQ(ia.t1, 70u);
  EXPECT_EQ(ia.addresses.size(), 2u);

  // Its REQUEST chose the capture's server (DUID-LLT of 00:11:22:33:44:55): not us.
  const auto request =
      Hex("03 2f fd d1 00 01 00 0a 00 03 00 01 00 01 02 03 04 05 00 02 00 0e 00 01 00 01 18 46 48 8c 00 11"
          "22 33 44 55 00 06 00 04 00 17 00 18 00 08 00 02 00 00 00 03 00 28 02 03 04 05 00 00 0e 10 00 00"
          "15 18 00 05 00 18 2a 00 00 01 00 01 02 00 38 e6 b2 2e c4 40 ac df 00 00 1c 20 00 00 1d 4c");
  auto req = ParseDhcp6Message(request);
  ASSERT_TRUE(req);
  EXPECT_EQ(req->server_duid, Hex("00 01 00 01 18 46 48 8c 00 11 22 33 44 55"));
  EXPECT_EQ(req->ia_addresses, std::vector<Ipv6>{Ip6("2a00:1:1:200:38e6:b22e:c440:acdf")});
  EXPECT_FALSE(Dhcp6Reply(request, Lease()));
  // The same REQUEST naming us is answered.
  Message ours = Reply(WithOption(request, 2, kOurDuid));
  EXPECT_EQ(ours.type, kDhcp6Reply);
  EXPECT_EQ(ours.xid, 0x2ffdd1u);

  // The capture's ADVERTISE and REPLY parse (they name the client) but get no answer.
  const auto advertise =
      Hex("02 90 b4 5c 00 03 00 28 02 03 04 05 00 00 0e 10 00 00 15 18 00 05 00 18 2a 00 00 01 00 01 02 00"
          "38 e6 b2 2e c4 40 ac df 00 00 11 94 00 00 1c 20 00 01 00 0a 00 03 00 01 00 01 02 03 04 05 00 02"
          "00 0e 00 01 00 01 18 46 48 8c 00 11 22 33 44 55");
  ASSERT_TRUE(ParseDhcp6Message(advertise));
  EXPECT_FALSE(Dhcp6Reply(advertise, Lease()));
}

TEST(Dhcp6, DhclientSolicitGetsAdvertise) {
  // ISC dhclient -6: DUID-LLT client id, ORO (23, 24), elapsed time, an IA_NA with T1 = T2 = 0
  // whose IAID is the last four bytes of the MAC.
  const auto solicit =
      Hex("01 5e 11 a7 00 01 00 0e 00 01 00 01 2c 8a 1f 3b 02 1a 2b 3c 4d 5e 00 06 00 04 00 17 00 18 00 08"
          "00 02 00 00 00 03 00 0c 2b 3c 4d 5e 00 00 00 00 00 00 00 00");
  Message m = Reply(solicit);
  EXPECT_EQ(m.type, kDhcp6Advertise);
  ExpectLeaseAnswer(m, 0x5e11a7);
}

TEST(Dhcp6, SystemdStyleRapidCommitSolicitGetsReply) {
  // A SOLICIT with rapid commit first, a DUID-UUID, an FQDN option (39), an ORO asking for more
  // than we have and an ORO nested in the IA_NA (FreeRADIUS's DHCPv6 test vector).
  const auto solicit =
      Hex("01 ab cd ef 00 0e 00 00 00 03 00 12 0a bc de f0 00 00 d3 4d 00 00 b3 3f 00 06 00 02 00 ad 00 27"
          "00 0b 04 09 74 61 70 69 6f 63 61 30 31 00 06 00 0a 00 17 00 18 00 38 00 1f 00 0e 00 01 00 12 00"
          "04 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 00 08 00 02 b3 3f");
  auto info = ParseDhcp6Message(solicit);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->rapid_commit);
  EXPECT_EQ(info->requested_options, (std::vector<uint16_t>{23, 24, 56, 31, 14}));
  Message m = Reply(solicit);
  EXPECT_EQ(m.type, kDhcp6Reply);
  EXPECT_EQ(m.xid, 0xabcdefu);
  EXPECT_TRUE(m.Has(14));
  EXPECT_EQ(m.Get(1), Hex("00 04 00 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f"));
  EXPECT_EQ(m.Ia().iaid, 0x0abcdef0u);
  EXPECT_EQ(m.Ia().addresses.size(), 2u);
}

TEST(Dhcp6, ReplyGoesOutInAChecksummedFrame) {
  // What the engine sends: from the router's link-local address, port 547, to the client's.
  auto payload = Dhcp6Reply(Client(kDhcp6Solicit, 1), Lease());
  ASSERT_TRUE(payload);
  const MacAddress client_mac = {0x02, 0x1a, 0x2b, 0x3c, 0x4d, 0x5e};
  const Ipv6 client = LinkLocalFromMac(client_mac);
  auto f = BuildUdp6Frame(kRouterMac, client_mac, LinkLocalFromMac(kRouterMac), client, kDhcp6ServerPort,
                          kDhcp6ClientPort, *payload);
  ASSERT_EQ(f.size(), 54 + 8 + payload->size());
  EXPECT_EQ(U16(f, 54), 547);
  EXPECT_EQ(U16(f, 56), 546);
  EXPECT_EQ(
      Ipv6L4Checksum(LinkLocalFromMac(kRouterMac), client, kNextHeaderUdp, std::span<const uint8_t>(f).subspan(54)), 0);
  EXPECT_TRUE(std::equal(payload->begin(), payload->end(), f.begin() + 62));
}
