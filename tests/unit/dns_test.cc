// The wire side of the VPC resolver: rule R1 of shared/spec/inventory-vpc-guide.md ("Amazon DNS
// reachable at primary-CIDR base+2 and 169.254.169.253") is served with these; RFC 1035 for the
// format. Responses are decoded here independently of the implementation.
#include <gtest/gtest.h>

#include "dataplane/services/dns.h"

using namespace openvpc::dataplane;
using openvpc::net::Ipv4;
using openvpc::net::Ipv6;
using openvpc::net::ParseIpv4;
using openvpc::net::ParseIpv6;

namespace {

Ipv4 Ip(const char* s) { return *ParseIpv4(s); }
Ipv6 Ip6(const char* s) { return *ParseIpv6(s); }

uint16_t U16(const std::vector<uint8_t>& b, size_t at) { return uint16_t(b[at] << 8 | b[at + 1]); }
uint32_t U32(const std::vector<uint8_t>& b, size_t at) { return uint32_t(U16(b, at)) << 16 | U16(b, at + 2); }

// Reads a name (following pointers, at most 16 of them) into dotted form; AT moves past it.
std::string DecodeName(const std::vector<uint8_t>& m, size_t& at) {
  std::string out;
  size_t p = at;
  bool jumped = false;
  for (int hops = 0; hops < 16;) {
    if (p >= m.size()) break;
    uint8_t len = m[p];
    if (len >= 0xC0) {
      if (!jumped) at = p + 2;
      jumped = true;
      p = size_t(len & 0x3F) << 8 | m[p + 1];
      ++hops;
      continue;
    }
    if (len == 0) {
      if (!jumped) at = p + 1;
      return out;
    }
    if (!out.empty()) out += '.';
    out.append(m.begin() + p + 1, m.begin() + p + 1 + len);
    p += 1 + len;
  }
  ADD_FAILURE() << "bad name";
  return out;
}

struct Record {
  std::string name;
  uint16_t type = 0, klass = 0;
  uint32_t ttl = 0;
  std::vector<uint8_t> rdata;
  size_t rdata_at = 0;
};

struct Response {
  uint16_t id = 0, flags = 0, qdcount = 0, ancount = 0, nscount = 0, arcount = 0;
  std::string qname;
  uint16_t qtype = 0, qclass = 0;
  std::vector<Record> answers;
  bool qr() const { return flags & 0x8000; }
  bool aa() const { return flags & 0x0400; }
  bool tc() const { return flags & 0x0200; }
  bool rd() const { return flags & 0x0100; }
  bool ra() const { return flags & 0x0080; }
  int rcode() const { return flags & 0xF; }
};

Response Decode(const std::vector<uint8_t>& m) {
  Response r;
  EXPECT_GE(m.size(), 12u);
  if (m.size() < 12) return r;
  r.id = U16(m, 0), r.flags = U16(m, 2), r.qdcount = U16(m, 4), r.ancount = U16(m, 6);
  r.nscount = U16(m, 8), r.arcount = U16(m, 10);
  size_t at = 12;
  if (r.qdcount == 1) {
    r.qname = DecodeName(m, at);
    r.qtype = U16(m, at), r.qclass = U16(m, at + 2);
    at += 4;
  }
  for (int i = 0; i < r.ancount; ++i) {
    Record rec;
    rec.name = DecodeName(m, at);
    rec.type = U16(m, at), rec.klass = U16(m, at + 2), rec.ttl = U32(m, at + 4);
    uint16_t len = U16(m, at + 8);
    rec.rdata_at = at + 10;
    EXPECT_LE(at + 10 + len, m.size());
    rec.rdata.assign(m.begin() + at + 10, m.begin() + at + 10 + len);
    at += 10 + len;
    r.answers.push_back(rec);
  }
  EXPECT_EQ(at, m.size()) << "trailing bytes";
  return r;
}

DnsQuestion Question(std::string_view name, uint16_t qtype, uint16_t id = 0x1234) {
  auto q = ParseDnsQuery(BuildDnsQuery(id, name, qtype));
  EXPECT_TRUE(q) << name;
  return q ? *q : DnsQuestion{};
}

// A query built by hand: header with the given flags and qdcount, then BODY.
std::vector<uint8_t> RawQuery(std::vector<uint8_t> body, uint16_t flags = 0x0100, uint16_t qdcount = 1) {
  // Built by reserve + push_back: GCC 12's -Warray-bounds misfires on insert() into a 12-byte literal.
  std::vector<uint8_t> m;
  m.reserve(12 + body.size());
  for (uint8_t b : {uint8_t{0xab}, uint8_t{0xcd}, uint8_t(flags >> 8), uint8_t(flags), uint8_t{0}, uint8_t(qdcount),
                    uint8_t{0}, uint8_t{0}, uint8_t{0}, uint8_t{0}, uint8_t{0}, uint8_t{0}})
    m.push_back(b);
  for (uint8_t b : body) m.push_back(b);
  return m;
}

// The EDNS OPT pseudo-record dig sends (RFC 6891): root owner, type 41, UDP size 1232, a cookie option.
void AppendOpt(std::vector<uint8_t>& m) {
  const uint8_t opt[] = {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12, 0, 10, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8};
  m.insert(m.end(), std::begin(opt), std::end(opt));
  m[11] = 1;  // ARCOUNT
}

}  // namespace

TEST(Dns, QueryRoundTrip) {
  auto q = ParseDnsQuery(BuildDnsQuery(0xbeef, "IP-10-0-1-5.EC2.Internal.", kDnsTypeA));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->id, 0xbeef);
  EXPECT_EQ(q->name, "ip-10-0-1-5.ec2.internal");  // lower case, no trailing dot
  EXPECT_EQ(q->qtype, kDnsTypeA);
  EXPECT_EQ(q->qclass, kDnsClassIn);
  EXPECT_TRUE(q->recursion_desired);
  EXPECT_EQ(ParseDnsQuery(BuildDnsQuery(1, ".", 2))->name, "");
  EXPECT_EQ(ParseDnsQuery(BuildDnsQuery(1, "", 2))->name, "");
}

TEST(Dns, AnswersA) {
  DnsAnswer a;
  a.a = {Ip("10.0.1.5"), Ip("10.0.1.6")};
  a.ttl = 60;
  auto q = Question("ip-10-0-1-5.ec2.internal", kDnsTypeA);
  Response r = Decode(BuildDnsResponse(q, a));
  EXPECT_EQ(r.id, 0x1234);
  EXPECT_TRUE(r.qr());
  EXPECT_TRUE(r.rd());
  EXPECT_TRUE(r.ra());
  EXPECT_FALSE(r.aa());
  EXPECT_FALSE(r.tc());
  EXPECT_EQ(r.rcode(), 0);
  EXPECT_EQ((r.flags >> 11) & 0xF, 0);
  EXPECT_EQ(r.qdcount, 1);
  EXPECT_EQ(r.nscount, 0);
  EXPECT_EQ(r.arcount, 0);
  EXPECT_EQ(r.qname, "ip-10-0-1-5.ec2.internal");
  EXPECT_EQ(r.qtype, kDnsTypeA);
  EXPECT_EQ(r.qclass, kDnsClassIn);
  ASSERT_EQ(r.ancount, 2);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.answers[i].name, "ip-10-0-1-5.ec2.internal");
    EXPECT_EQ(r.answers[i].type, kDnsTypeA);
    EXPECT_EQ(r.answers[i].klass, kDnsClassIn);
    EXPECT_EQ(r.answers[i].ttl, 60u);
    ASSERT_EQ(r.answers[i].rdata.size(), 4u);
    EXPECT_EQ(Ipv4{U32(r.answers[i].rdata, 0)}, a.a[i]);
  }
}

TEST(Dns, AnswersAaaa) {
  DnsAnswer a;
  a.aaaa = {Ip6("2600:1f18:1234:5601::5"), Ip6("2600:1f18:1234:5601::6")};
  a.ttl = 300;
  a.authoritative = true;
  Response r = Decode(BuildDnsResponse(Question("www.example.internal", kDnsTypeAaaa), a));
  EXPECT_TRUE(r.aa());
  ASSERT_EQ(r.ancount, 2);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(r.answers[i].type, kDnsTypeAaaa);
    EXPECT_EQ(r.answers[i].ttl, 300u);
    ASSERT_EQ(r.answers[i].rdata.size(), 16u);
    Ipv6 ip;
    std::copy(r.answers[i].rdata.begin(), r.answers[i].rdata.end(), ip.bytes.begin());
    EXPECT_EQ(ip, a.aaaa[i]);
  }
}

TEST(Dns, AnswersPtr) {  // R8: the private hostname is the reverse-lookup form of the address
  auto q = Question("5.1.0.10.in-addr.arpa", kDnsTypePtr);
  ASSERT_EQ(ParseReverseName(q.name), Ip("10.0.1.5"));
  DnsAnswer a;
  a.ptr = "ip-10-0-1-5.ec2.internal";
  auto wire = BuildDnsResponse(q, a);
  Response r = Decode(wire);
  EXPECT_EQ(r.qname, "5.1.0.10.in-addr.arpa");
  ASSERT_EQ(r.ancount, 1);
  EXPECT_EQ(r.answers[0].name, "5.1.0.10.in-addr.arpa");
  EXPECT_EQ(r.answers[0].type, kDnsTypePtr);
  size_t at = r.answers[0].rdata_at;
  EXPECT_EQ(DecodeName(wire, at), "ip-10-0-1-5.ec2.internal");
  EXPECT_EQ(at, wire.size());
}

TEST(Dns, OnlyTheQuestionsTypeIsAnswered) {
  DnsAnswer a;
  a.a = {Ip("10.0.1.5")};
  a.aaaa = {Ip6("2600:1f18::5")};
  a.ptr = "x.example";
  for (uint16_t qtype : {kDnsTypeA, kDnsTypeAaaa, kDnsTypePtr, uint16_t(15), uint16_t(255)}) {
    Response r = Decode(BuildDnsResponse(Question("x.example", qtype), a));
    EXPECT_EQ(r.rcode(), 0);
    bool answered = qtype == kDnsTypeA || qtype == kDnsTypeAaaa || qtype == kDnsTypePtr;
    ASSERT_EQ(r.ancount, answered ? 1 : 0) << qtype;  // NODATA for the others
    if (answered) {
      EXPECT_EQ(r.answers[0].type, qtype);
    }
  }
  // Class CH (version.bind and friends): no IN records.
  auto q = Question("x.example", kDnsTypeA);
  q.qclass = 3;
  EXPECT_EQ(Decode(BuildDnsResponse(q, a)).ancount, 0);
}

TEST(Dns, ErrorsCarryNoAnswers) {
  DnsAnswer a;
  a.a = {Ip("10.0.1.5")};
  for (uint8_t rcode : {kDnsNxDomain, kDnsServFail, kDnsRefused}) {
    a.rcode = rcode;
    Response r = Decode(BuildDnsResponse(Question("nope.ec2.internal", kDnsTypeA), a));
    EXPECT_EQ(r.rcode(), rcode);
    EXPECT_EQ(r.ancount, 0);
    EXPECT_EQ(r.qname, "nope.ec2.internal");
    EXPECT_TRUE(r.qr());
  }
  // A PTR target that is no name: SERVFAIL; a question that is none: FORMERR.
  DnsAnswer bad_ptr;
  bad_ptr.ptr = "a..b";
  EXPECT_EQ(Decode(BuildDnsResponse(Question("5.1.0.10.in-addr.arpa", kDnsTypePtr), bad_ptr)).rcode(), kDnsServFail);
  DnsQuestion bad_q{.id = 7, .name = std::string(64, 'x'), .qtype = kDnsTypeA};
  Response f = Decode(BuildDnsResponse(bad_q, DnsAnswer{}));
  EXPECT_EQ(f.rcode(), kDnsFormErr);
  EXPECT_EQ(f.qdcount, 0);
  EXPECT_EQ(f.id, 7);
}

TEST(Dns, RecursionDesiredIsCopied) {
  auto m = BuildDnsQuery(5, "example.com", kDnsTypeA);
  m[2] &= ~0x01;  // RD off
  auto q = ParseDnsQuery(m);
  ASSERT_TRUE(q);
  EXPECT_FALSE(q->recursion_desired);
  Response r = Decode(BuildDnsResponse(*q, DnsAnswer{}));
  EXPECT_FALSE(r.rd());
  EXPECT_TRUE(r.ra());
}

TEST(Dns, EdnsQueryGetsAPlainAnswer) {
  // dig +edns: the OPT record is ignored and the answer is a valid RFC 1035 response.
  auto m = BuildDnsQuery(0x4242, "ip-10-0-1-5.ec2.internal", kDnsTypeA);
  AppendOpt(m);
  auto q = ParseDnsQuery(m);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name, "ip-10-0-1-5.ec2.internal");
  DnsAnswer a;
  a.a = {Ip("10.0.1.5")};
  Response r = Decode(BuildDnsResponse(*q, a));
  EXPECT_EQ(r.id, 0x4242);
  EXPECT_EQ(r.arcount, 0);
  ASSERT_EQ(r.ancount, 1);
  EXPECT_EQ(Ipv4{U32(r.answers[0].rdata, 0)}, Ip("10.0.1.5"));
}

TEST(Dns, LargeAnswersAreTruncatedTo512Bytes) {
  DnsAnswer a;
  for (uint32_t i = 0; i < 100; ++i) a.a.push_back(Ipv4{0x0a000100 + i});
  auto q = Question("many.example", kDnsTypeA);
  auto wire = BuildDnsResponse(q, a);
  EXPECT_LE(wire.size(), 512u);
  Response r = Decode(wire);
  EXPECT_TRUE(r.tc());
  size_t question = 12 + 14 + 4;  // header, "many.example", type and class
  EXPECT_EQ(r.ancount, (512 - question) / 16);
  EXPECT_EQ(Ipv4{U32(r.answers.back().rdata, 0)}, a.a[r.ancount - 1]);
  a.a.resize(3);
  EXPECT_FALSE(Decode(BuildDnsResponse(q, a)).tc());
}

TEST(Dns, RejectsWhatIsNotAQuery) {
  auto good = BuildDnsQuery(1, "a.example", kDnsTypeA);
  ASSERT_TRUE(ParseDnsQuery(good));
  auto response = good;
  response[2] |= 0x80;  // QR
  EXPECT_FALSE(ParseDnsQuery(response));
  auto notify = good;
  notify[2] |= 4 << 3;  // opcode 4
  EXPECT_FALSE(ParseDnsQuery(notify));
  auto none = good;
  none[5] = 0;
  EXPECT_FALSE(ParseDnsQuery(none));
  auto two = good;
  two[5] = 2;
  EXPECT_FALSE(ParseDnsQuery(two));
  EXPECT_FALSE(ParseDnsQuery(std::vector<uint8_t>{}));
  EXPECT_FALSE(ParseDnsQuery(std::vector<uint8_t>(11, 0)));
}

TEST(Dns, RejectsMalformedNames) {
  // A label over 63 bytes: the length byte 64 is an extended label type (0x40).
  std::vector<uint8_t> long_label = {64};
  long_label.insert(long_label.end(), 64, 'a');
  long_label.insert(long_label.end(), {0, 0, 1, 0, 1});
  EXPECT_FALSE(ParseDnsQuery(RawQuery(long_label)));
  // 63 is fine.
  std::vector<uint8_t> max_label = {63};
  max_label.insert(max_label.end(), 63, 'a');
  max_label.insert(max_label.end(), {0, 0, 1, 0, 1});
  EXPECT_EQ(ParseDnsQuery(RawQuery(max_label))->name, std::string(63, 'a'));
  // Names over 255 bytes: 4 labels of 63 make 257.
  std::vector<uint8_t> long_name;
  for (int i = 0; i < 4; ++i) {
    long_name.push_back(63);
    long_name.insert(long_name.end(), 63, 'b');
  }
  long_name.insert(long_name.end(), {0, 0, 1, 0, 1});
  EXPECT_FALSE(ParseDnsQuery(RawQuery(long_name)));
  std::string too_long;
  for (int i = 0; i < 4; ++i) too_long += std::string(63, 'b') + ".";
  EXPECT_TRUE(BuildDnsQuery(1, too_long, kDnsTypeA).empty());
  // 255 exactly: 3 labels of 63, one of 61.
  std::string longest =
      std::string(63, 'c') + "." + std::string(63, 'c') + "." + std::string(63, 'c') + "." + std::string(61, 'c');
  EXPECT_EQ(ParseDnsQuery(BuildDnsQuery(1, longest, kDnsTypeA))->name, longest);
  // Empty labels and a lone backslash do not encode.
  for (const char* bad : {"a..b", ".a", "a\\", "a\\25", "a\\256"}) EXPECT_TRUE(BuildDnsQuery(1, bad, 1).empty()) << bad;
  // A label running past the end, and no type/class after the name.
  EXPECT_FALSE(ParseDnsQuery(RawQuery({5, 'a', 'b'})));
  EXPECT_FALSE(ParseDnsQuery(RawQuery({1, 'a', 0, 0, 1, 0})));
}

TEST(Dns, CompressionPointerLoopsAreRejected) {
  // A pointer to itself, at offset 12.
  EXPECT_FALSE(ParseDnsQuery(RawQuery({0xC0, 12, 0, 1, 0, 1})));
  // "a" then a pointer back to the "a": a two-step loop.
  EXPECT_FALSE(ParseDnsQuery(RawQuery({1, 'a', 0xC0, 12, 0, 1, 0, 1})));
  // Forward pointers (to the type field), and a pointer past the end.
  EXPECT_FALSE(ParseDnsQuery(RawQuery({0xC0, 14, 0, 1, 0, 1})));
  EXPECT_FALSE(ParseDnsQuery(RawQuery({0xC0, 0xff, 0, 1, 0, 1})));
  EXPECT_FALSE(ParseDnsQuery(RawQuery({0xC0})));
  // Into the header, where ARCOUNT reads as a pointer to itself.
  auto header_loop = RawQuery({0xC0, 10, 0, 1, 0, 1});
  header_loop[10] = 0xC0, header_loop[11] = 10;
  EXPECT_FALSE(ParseDnsQuery(header_loop));
  // A chain of pointers that only ever goes backwards is fine: here into NSCOUNT/ARCOUNT,
  // which read as the label "a" and the root.
  auto backwards = RawQuery({0xC0, 8, 0, 1, 0, 1});
  backwards[8] = 1, backwards[9] = 'A', backwards[10] = 0, backwards[11] = 0;
  auto q = ParseDnsQuery(backwards);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name, "a");
  EXPECT_EQ(q->qtype, 1);
}

TEST(Dns, OddLabelBytesAreEscapedAndEchoedExactly) {
  // The label "a.b" and a label holding 0x00 and a space: one name each way, bytes echoed.
  std::vector<uint8_t> body = {3, 'a', '.', 'b', 3, 'X', 0, ' ', 0, 0, 1, 0, 1};
  auto q = ParseDnsQuery(RawQuery(body));
  ASSERT_TRUE(q);
  EXPECT_EQ(q->name, "a\\.b.x\\000\\032");
  auto wire = BuildDnsResponse(*q, DnsAnswer{});
  std::vector<uint8_t> echoed(wire.begin() + 12, wire.end());
  body[5] = 'x';  // lower case
  EXPECT_EQ(echoed, body);
  EXPECT_FALSE(ParseReverseName(q->name));
}

TEST(Dns, EveryTruncationNeverCrashes) {
  auto plain = BuildDnsQuery(9, "ip-10-0-1-5.ec2.internal", kDnsTypeA);
  auto edns = plain;
  AppendOpt(edns);
  for (const auto* m : {&plain, &edns}) {
    for (size_t n = 0; n <= m->size(); ++n) {
      auto q = ParseDnsQuery(std::span<const uint8_t>(m->data(), n));
      // The question ends where the plain query ends; what follows is not read.
      EXPECT_EQ(bool(q), n >= plain.size()) << n;
      if (q) {
        EXPECT_EQ(q->name, "ip-10-0-1-5.ec2.internal");
      }
    }
  }
}

TEST(Dns, MutatedQueriesNeverCrash) {
  auto base = BuildDnsQuery(9, "a.b.ec2.internal", kDnsTypeA);
  AppendOpt(base);
  uint32_t seed = 777;
  auto next = [&] { return seed = seed * 1103515245 + 12345, seed >> 16; };
  DnsAnswer a;
  a.a = {Ip("10.0.0.2")};
  for (int round = 0; round < 50000; ++round) {
    auto m = base;
    int flips = 1 + int(next() % 6);
    for (int k = 0; k < flips; ++k) {
      size_t at = next() % m.size();
      // Bias towards pointer bytes, the interesting ones.
      m[at] = next() % 3 == 0 ? uint8_t(0xC0 | next() % 4) : uint8_t(next());
    }
    if (next() % 4 == 0) m.resize(next() % (m.size() + 1));
    if (auto q = ParseDnsQuery(m)) {
      EXPECT_LE(q->name.size(), 4u * 255);  // at most "\DDD" per byte
      auto r = BuildDnsResponse(*q, a);
      EXPECT_LE(r.size(), 512u);
      Decode(r);
    }
  }
}

TEST(Dns, ReverseNames) {
  EXPECT_EQ(ParseReverseName("5.1.0.10.in-addr.arpa"), Ip("10.0.1.5"));
  EXPECT_EQ(ParseReverseName("253.169.254.169.IN-ADDR.ARPA"), Ip("169.254.169.253"));  // R1
  EXPECT_EQ(ParseReverseName("2.0.0.10.in-addr.arpa"), Ip("10.0.0.2"));                // R1: base+2
  EXPECT_EQ(ParseReverseName("0.0.0.0.in-addr.arpa"), Ip("0.0.0.0"));
  for (const char* bad :
       {"", "in-addr.arpa", ".in-addr.arpa", "1.0.10.in-addr.arpa", "5.1.0.10.0.in-addr.arpa", "05.1.0.10.in-addr.arpa",
        "256.1.0.10.in-addr.arpa", "5.1.0.10.in-addr.arpa.", "5.1.0.10.ip6.arpa", "5.1..10.in-addr.arpa",
        "a.1.0.10.in-addr.arpa", "5.1.0.10in-addr.arpa", "ip-10-0-1-5.ec2.internal"})
    EXPECT_FALSE(ParseReverseName(bad)) << bad;
}
