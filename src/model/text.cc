// Text rules: model/text.h.
#include "model/text.h"

namespace openvpc::model {

bool IsUtf8(std::string_view s) {
  // RFC 3629's table: no overlong forms, no surrogates, nothing past U+10FFFF.
  auto in = [](unsigned char c, unsigned char lo, unsigned char hi) { return c >= lo && c <= hi; };
  for (size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    auto at = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
    size_t n = 0;
    if (c < 0x80) n = 1;
    else if (in(c, 0xc2, 0xdf)) n = in(at(1), 0x80, 0xbf) ? 2 : 0;
    else if (c == 0xe0) n = in(at(1), 0xa0, 0xbf) && in(at(2), 0x80, 0xbf) ? 3 : 0;
    else if (in(c, 0xe1, 0xec) || in(c, 0xee, 0xef)) n = in(at(1), 0x80, 0xbf) && in(at(2), 0x80, 0xbf) ? 3 : 0;
    else if (c == 0xed) n = in(at(1), 0x80, 0x9f) && in(at(2), 0x80, 0xbf) ? 3 : 0;
    else if (c == 0xf0) n = in(at(1), 0x90, 0xbf) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf) ? 4 : 0;
    else if (in(c, 0xf1, 0xf3)) n = in(at(1), 0x80, 0xbf) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf) ? 4 : 0;
    else if (c == 0xf4) n = in(at(1), 0x80, 0x8f) && in(at(2), 0x80, 0xbf) && in(at(3), 0x80, 0xbf) ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    i += n;
  }
  return true;
}

bool IsXmlText(std::string_view s) {
  for (unsigned char c : s)
    if (c < 0x20 && c != '\t' && c != '\n' && c != '\r') return false;
  return IsUtf8(s);
}

bool IsPrintableAscii(std::string_view s) {
  for (unsigned char c : s)
    if ((c < 0x20 && c != '\t') || c > 0x7e) return false;
  return true;
}

}  // namespace openvpc::model
