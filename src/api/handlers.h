// Handlers: one function per operation of an AWS service (EC2's, STS's, SSM's), from the decoded input (member names) to the
// output value (member names). They translate between the wire's values and the model's
// operations and never hold a rule of their own.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/sigv4.h"
#include "model/instance.h"
#include "model/vpc.h"

namespace openvpc::api {

using nlohmann::json;

class Service;

struct Call {
  model::Tx& tx;
  const json& in;
  const Service* service = nullptr;  // what lives outside the model (the console output)
  const AuthResult* who = nullptr;   // the caller: account, Region, access key
  model::Partition& p() { return tx.p; }
};

using Handler = json (*)(Call&);

struct HandlerInfo {
  Handler fn = nullptr;
  bool writes = false;
};

// The handler of OP of the AWS service whose signing name is SERVICE ("ec2", "sts", "ssm").
const HandlerInfo* FindHandler(const std::string& service, const std::string& op);
void Register(const std::string& op, Handler fn, bool writes, const std::string& service = "ec2");

// Each file of handlers registers its operations; RegisterAllHandlers calls them all once.
void RegisterVpcHandlers();
void RegisterSubnetHandlers();
void RegisterRouteTableHandlers();
void RegisterGatewayHandlers();
void RegisterDhcpOptionsHandlers();
void RegisterTagHandlers();
void RegisterAccountHandlers();
void RegisterKeyPairHandlers();
void RegisterSecurityGroupHandlers();
void RegisterNetworkAclHandlers();
void RegisterNetworkInterfaceHandlers();
void RegisterInstanceHandlers();
void RegisterAddressHandlers();
void RegisterVpcPeeringHandlers();
void RegisterNatGatewayHandlers();
void RegisterCatalogueHandlers();
void RegisterPlacementGroupHandlers();
void RegisterInstanceOptionHandlers();
void RegisterVolumeHandlers();
void RegisterStsHandlers();
void RegisterSsmHandlers();
void RegisterElbv2Handlers();
void RegisterVpcEndpointHandlers();
void RegisterPrefixListHandlers();
void RegisterAllHandlers();

// ---- input helpers ----
std::string Str(const json& in, const char* member);
bool Bool(const json& in, const char* member, bool fallback = false);
// AttributeBooleanValue members: {"Value": true}.
std::optional<bool> AttrBool(const json& in, const char* member);
std::vector<std::string> StrList(const json& in, const char* member);
model::TagList TagListOf(const json& tags);
// The tags a create's TagSpecifications give a resource of RESOURCE_TYPE.
model::TagList CreateTagsFor(Call& c, const std::string& resource_type);

// ---- output views: the model as output-shape values ----
json TagsView(const model::TagList& tags);
json VpcView(const model::Partition& p, const model::Vpc& v);
json VpcCidrView(const model::CidrBlockAssociation& a);
json VpcIpv6CidrView(const model::CidrBlockAssociation& a);
json SubnetView(const model::Partition& p, const model::Subnet& s);
json SubnetIpv6CidrView(const model::CidrBlockAssociation& a);
json RouteTableView(const model::Partition& p, const model::RouteTable& rt);
json InternetGatewayView(const model::InternetGateway& g);
json EgressOnlyInternetGatewayView(const model::EgressOnlyInternetGateway& g);
json DhcpOptionsView(const model::DhcpOptions& d);
json GroupsView(const model::Partition& p, const std::vector<std::string>& group_ids);
json AttachmentView(const model::NetworkInterfaceAttachment& a);
std::string PublicDnsNameIfEnabled(const model::Partition& p, const model::NetworkInterface& eni,
                                   const std::string& public_ip);
// The Elastic IP or launch-time public address mapped to PRIVATE_IP of ENI, if any.
std::optional<json> AssociationView(const model::Partition& p, const model::NetworkInterface& eni,
                                    const std::string& private_ip);
json NetworkInterfaceView(const model::Partition& p, const model::NetworkInterface& eni);
// An instance's MetadataOptions (InstanceMetadataOptionsResponse); openvpc applies a change
// before it answers, so the state is "applied".
json MetadataOptionsView(const model::InstanceMetadataOptions& o, const std::string& state = "applied");
// The members of an InstanceMetadataOptionsRequest.
model::MetadataOptionsChange MetadataOptionsOf(const json& in);

}  // namespace openvpc::api
