// SigV4 parsing and verification (VerifySigV4), header-signed and presigned (query) forms.
// Input: an HTTP request as text: "METHOD TARGET" (TARGET = path[?query]), then "Name: value"
// header lines up to an empty line, then the body. The clock stands at 2025-01-15T12:00:00Z,
// the time the seeds were signed at with the access key "test" (secret "test").
// A refusal is a model::Error (AWS's codes); anything else escaping is a crash.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "api/sigv4.h"
#include "model/error.h"

namespace {

using openvpc::api::Credential;

std::string_view Line(std::string_view& rest) {
  std::string_view line = rest.substr(0, rest.find('\n'));
  rest.remove_prefix(std::min(rest.size(), line.size() + 1));
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::map<std::string, Credential> creds = {
      {"test", {"test", "test", "123456789012"}},
      {"AKIDEXAMPLE", {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "210987654321"}}};
  static const auto now = std::chrono::system_clock::from_time_t(1736942400);  // 2025-01-15T12:00:00Z

  std::string_view rest(reinterpret_cast<const char*>(data), size);
  openvpc::api::HttpRequestView req;
  std::string_view first = Line(rest);
  size_t sp = first.find(' ');
  req.method = std::string(first.substr(0, sp));
  std::string_view target = sp == std::string_view::npos ? std::string_view() : first.substr(sp + 1);
  size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.raw_query = std::string(target.substr(q + 1));
  while (!rest.empty()) {
    std::string_view h = Line(rest);
    if (h.empty()) break;
    size_t colon = h.find(':');
    std::string_view value = colon == std::string_view::npos ? std::string_view() : h.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    req.headers.emplace_back(std::string(h.substr(0, colon)), std::string(value));
  }
  req.body = std::string(rest);
  try {
    openvpc::api::VerifySigV4(req, creds, now);
  } catch (const openvpc::model::Error&) {
  }
  return 0;
}
