// AWS Security Token Service: who the caller is. Terraform, the aws CLI and test suites ask it
// for the account id before anything else.
#include "api/handlers.h"

namespace openvpc::api {

namespace {

// An account's own keys are its root user: the user id is the account id.
json GetCallerIdentity(Call& c) {
  const std::string& account = c.who->account_id;
  return {{"UserId", account}, {"Account", account}, {"Arn", "arn:aws:iam::" + account + ":root"}};
}

}  // namespace

void RegisterStsHandlers() { Register("GetCallerIdentity", GetCallerIdentity, false, "sts"); }

}  // namespace openvpc::api
