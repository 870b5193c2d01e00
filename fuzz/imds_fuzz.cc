// The metadata service's HTTP (imds.h behind imds_server.h): requests from a guest on one
// keep-alive connection, read by Beast's parser with the limits imds_server.h documents (8 KiB
// of headers, 1 KiB of body), header names lower-cased and repeats joined, then answered by a
// MetadataService. Input: one byte (bit 0: http_tokens "required"; bit 1: an unknown caller;
// the rest: how many bytes each socket read returns, 256 per step, 0 for one byte at a time), then the bytes the guest sends. A token
// header value "@TOKEN@" stands for the last token the service issued, so IMDSv2 is reachable.
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "byte_stream.h"
#include "dataplane/services/imds.h"

using namespace openvpc::dataplane;
namespace http = boost::beast::http;

namespace {

InstanceMetadata Instance() {
  InstanceMetadata m;
  m.instance_id = "i-0123456789abcdef0";
  m.instance_type = "t3.micro";
  m.ami_id = "ami-0abcdef1234567890";
  m.reservation_id = "r-0123456789abcdef0";
  m.account_id = "123456789012";
  m.region = "us-east-1";
  m.availability_zone = "us-east-1a";
  m.availability_zone_id = "use1-az1";
  m.local_ipv4 = "10.0.1.5";
  m.public_ipv4 = "198.51.100.7";
  m.local_hostname = "ip-10-0-1-5.ec2.internal";
  m.mac = "02:1a:2b:3c:4d:5e";
  m.security_groups = {"default", "web"};
  m.openssh_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEXAMPLE key";
  m.key_name = "key";
  m.user_data = "#!/bin/sh\necho hi\n";
  MetadataInterface eni;
  eni.mac = m.mac;
  eni.interface_id = "eni-0123456789abcdef0";
  eni.subnet_id = "subnet-0123456789abcdef0";
  eni.vpc_id = "vpc-0123456789abcdef0";
  eni.owner_id = m.account_id;
  eni.local_ipv4s = {"10.0.1.5", "10.0.1.6"};
  eni.subnet_ipv4_cidr_block = "10.0.1.0/24";
  eni.vpc_ipv4_cidr_block = "10.0.0.0/16";
  eni.vpc_ipv4_cidr_blocks = {"10.0.0.0/16"};
  eni.security_group_ids = {"sg-0123456789abcdef0", "sg-0123456789abcdef1"};
  eni.security_groups = m.security_groups;
  eni.public_ipv4s = {"198.51.100.7"};
  eni.ipv6s = {"2600:1f18:abc:de01::7"};
  eni.local_hostname = m.local_hostname;
  m.interfaces = {eni};
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const InstanceMetadata instance = Instance();
  MetadataService service(data[0] & 1 ? "required" : "optional");
  const InstanceMetadata* caller = data[0] & 2 ? nullptr : &instance;
  openvpc::fuzz::ByteStream stream(data + 1, size - 1, (data[0] >> 2) ? (data[0] >> 2) * 256u : 1);
  boost::beast::flat_buffer buffer;
  std::string token;
  double now = 1000;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(1024);
    boost::system::error_code ec;
    http::read(stream, buffer, parser, ec);
    if (ec) break;
    const auto& req = parser.get();
    std::map<std::string, std::string> headers;
    for (const auto& f : req) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      std::string value(f.value());
      if (value == "@TOKEN@") value = token;
      auto [it, fresh] = headers.emplace(name, value);
      if (!fresh) it->second += ", " + value;
    }
    MetadataResponse r = service.Handle(std::string(req.method_string()), std::string(req.target()), headers, caller, now);
    if (req.method() == http::verb::put && r.status == 200) token = r.body;
    now += 7;
    if (!req.keep_alive()) break;
  }
  return 0;
}
