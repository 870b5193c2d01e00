// The AWS error code a model call refuses with, for tests: "" when it succeeds.
#pragma once

#include <string>

#include "model/error.h"

namespace openvpc::testing {

template <class Fn>
std::string CodeOf(Fn&& fn) {
  try {
    fn();
  } catch (const model::Error& e) {
    return e.code;
  }
  return "";
}

}  // namespace openvpc::testing
