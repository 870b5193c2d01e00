// Reading small XML request bodies: api/xml_reader.h.
#include "api/xml_reader.h"

#include "model/error.h"

namespace openvpc::api {

namespace {

[[noreturn]] void MalformedXml() {
  throw model::Error("MalformedXML",
                     "The XML you provided was not well-formed or did not validate against our published schema", 400);
}

}  // namespace

std::string XmlUnescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '&') {
      out += s[i];
      continue;
    }
    const size_t semi = s.find(';', i);
    if (semi == std::string::npos) MalformedXml();
    const std::string ent = s.substr(i + 1, semi - i - 1);
    if (ent == "amp") out += '&';
    else if (ent == "lt") out += '<';
    else if (ent == "gt") out += '>';
    else if (ent == "quot") out += '"';
    else if (ent == "apos") out += '\'';
    else if (ent.size() > 1 && ent[0] == '#') {
      unsigned long cp = 0;
      try {
        cp = ent[1] == 'x' ? std::stoul(ent.substr(2), nullptr, 16) : std::stoul(ent.substr(1));
      } catch (...) {
        MalformedXml();
      }
      if (cp < 0x80) out += static_cast<char>(cp);
      else if (cp < 0x800) out += static_cast<char>(0xc0 | (cp >> 6)), out += static_cast<char>(0x80 | (cp & 0x3f));
      else if (cp < 0x10000)
        out += static_cast<char>(0xe0 | (cp >> 12)), out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)),
            out += static_cast<char>(0x80 | (cp & 0x3f));
      else
        out += static_cast<char>(0xf0 | (cp >> 18)), out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f)),
            out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f)), out += static_cast<char>(0x80 | (cp & 0x3f));
    } else {
      MalformedXml();
    }
    i = semi;
  }
  return out;
}

// XmlElements: api/xml_reader.h.
std::vector<std::string> XmlElements(const std::string& xml, const std::string& tag) {
  std::vector<std::string> out;
  const std::string open = "<" + tag, close = "</" + tag + ">";
  size_t at = 0;
  while ((at = xml.find(open, at)) != std::string::npos) {
    const size_t gt = xml.find('>', at);
    if (gt == std::string::npos) MalformedXml();
    const char after = xml[at + open.size()];
    if (after != '>' && after != ' ' && after != '/') {  // a longer name with this prefix
      at = gt;
      continue;
    }
    if (xml[gt - 1] == '/') {  // <Tag/>
      out.emplace_back();
      at = gt;
      continue;
    }
    const size_t end = xml.find(close, gt);
    if (end == std::string::npos) MalformedXml();
    out.push_back(xml.substr(gt + 1, end - gt - 1));
    at = end + close.size();
  }
  return out;
}

std::string FirstElement(const std::string& xml, const std::string& tag) {
  auto all = XmlElements(xml, tag);
  return all.empty() ? "" : XmlUnescape(all.front());
}

// The root element's name of an XML body ("" when it has none).
std::string XmlRoot(const std::string& xml) {
  size_t at = 0;
  for (;;) {
    at = xml.find('<', at);
    if (at == std::string::npos) return "";
    if (xml.compare(at, 2, "<?") == 0 || xml.compare(at, 2, "<!") == 0) {
      at = xml.find('>', at);
      if (at == std::string::npos) return "";
      continue;
    }
    size_t end = xml.find_first_of(" >/\t\r\n", at + 1);
    return end == std::string::npos ? "" : xml.substr(at + 1, end - at - 1);
  }
}

}  // namespace openvpc::api
