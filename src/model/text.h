// What text a resource may hold: UTF-8 (every name, description and value that is stored as JSON
// and answered in XML), and of that, what XML 1.0 can carry.
#pragma once

#include <string_view>

namespace openvpc::model {

// Well-formed UTF-8 (RFC 3629): what the store's JSON encoder takes.
bool IsUtf8(std::string_view s);
// UTF-8 without the control characters XML 1.0 cannot carry (all below 0x20 but tab, line feed
// and carriage return).
bool IsXmlText(std::string_view s);
// Printable US-ASCII and tab: what HTTP header values and DNS record values are kept as.
bool IsPrintableAscii(std::string_view s);

}  // namespace openvpc::model
