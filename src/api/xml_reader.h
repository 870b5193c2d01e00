// Reading the small XML request bodies of the REST-XML services (S3's CreateBucketConfiguration,
// Delete and CompleteMultipartUpload; Route 53's change batches): elements by name, their text
// unescaped. Enough for those documents, whose elements of one name never nest in each other; not
// a general XML parser. A body that is not well formed where it is read throws MalformedXML (400).
#pragma once

#include <string>
#include <vector>

namespace openvpc::api {

// The inner texts of every <TAG>…</TAG> (and <TAG/>) of XML, in order, as written (not unescaped).
std::vector<std::string> XmlElements(const std::string& xml, const std::string& tag);
// The first one's text, unescaped; "" when there is none.
std::string FirstElement(const std::string& xml, const std::string& tag);
// The root element's name ("" when there is none).
std::string XmlRoot(const std::string& xml);
// &amp; &lt; &gt; &quot; &apos; and character references.
std::string XmlUnescape(const std::string& text);

}  // namespace openvpc::api
