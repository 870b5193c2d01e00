// The one way a rule of the model refuses a request: an AWS error code and message.
// The API layer renders it as EC2's error XML; the model never knows about HTTP.
#pragma once

#include <stdexcept>
#include <string>

namespace openvpc::model {

struct Error : std::runtime_error {
  Error(std::string code, std::string message, int http_status = 400)
      : std::runtime_error(message), code(std::move(code)), http_status(http_status) {}
  std::string code;
  int http_status;
};

[[noreturn]] inline void Fail(std::string code, std::string message) {
  throw Error(std::move(code), std::move(message));
}

}  // namespace openvpc::model
