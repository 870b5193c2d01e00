// Route 53's public hosted zones over REST-XML (issue 14: the public DNS of the simulated
// internet, where an endpoint service's provider publishes the TXT record that verifies its
// private DNS name, PDN-06): CreateHostedZone, GetHostedZone, ListHostedZones,
// ListHostedZonesByName, GetHostedZoneCount, DeleteHostedZone, ChangeResourceRecordSets,
// ListResourceRecordSets and GetChange, at the same endpoint as every other service (the
// credential scope's service is route53; paths under /2013-04-01/). The rules are the model's
// (model/hosted_zone.h); the simulated internet's DNS server and the VPC resolver answer the
// zones' records.
#pragma once

#include <functional>
#include <string>

#include "api/service.h"
#include "api/sigv4.h"

namespace openvpc::api {

class Route53Service {
 public:
  struct Hooks {
    std::function<AuthResult(const HttpRequestView&)> verify;
    // A write as one transaction of ACCOUNT in us-east-1 (Route 53 is global: it signs there).
    std::function<void(const std::string& account, const std::function<void(model::Tx&)>&)> write;
    // A read of ACCOUNT's partition (null when it has none yet).
    std::function<void(const std::string& account, const std::function<void(const model::Partition*)>&)> read;
  };
  explicit Route53Service(Hooks hooks) : hooks_(std::move(hooks)) {}
  // True for a request meant for Route 53: its scope's service (SCOPE, ScopeService's), or its path.
  static bool Claims(const HttpRequestView& req, const std::string& scope);
  HttpResponse Handle(const HttpRequestView& req);

 private:
  Hooks hooks_;
};

}  // namespace openvpc::api
