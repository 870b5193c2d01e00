// AWS Security Token Service: who the caller is. Terraform, the aws CLI and test suites ask it
// for the account id before anything else.
#include "api/handlers.h"
#include "model/state.h"

namespace openvpc::api {

namespace {

// An account's own keys are its root user: the user id is the account id. An instance role's
// temporary credentials are an assumed role's session: ROLE_ID:SESSION, and its ARN.
json GetCallerIdentity(Call& c) {
  const std::string& account = c.who->account_id;
  std::string user = account;
  if (!c.who->role_arn.empty())
    user = model::StableId("AROA", c.who->role_arn) + ":" +
           c.who->principal_arn.substr(c.who->principal_arn.rfind('/') + 1);
  return {{"UserId", user}, {"Account", account}, {"Arn", c.who->PrincipalArn()}};
}

}  // namespace

void RegisterStsHandlers() { Register("GetCallerIdentity", GetCallerIdentity, false, "sts"); }

}  // namespace openvpc::api
