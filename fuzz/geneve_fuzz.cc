// Geneve from appliances (wire/geneve.h): any UDP payload to port 6081. What parses is built again
// from what was read and parses to the same options.
#include <cstdint>
#include <cstdlib>
#include <span>

#include "dataplane/wire/geneve.h"

using namespace openvpc::dataplane;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto g = ParseGeneve(std::span<const uint8_t>(data, size));
  if (!g) return 0;
  if (g->header_length >= size) abort();  // an inner packet follows a parsed header
  auto again = GeneveHeader(g->protocol_type, g->aws);
  again.insert(again.end(), data + g->header_length, data + size);
  auto h = ParseGeneve(again);
  if (!h || h->aws.endpoint_id != g->aws.endpoint_id || h->aws.attachment_id != g->aws.attachment_id ||
      h->aws.flow_cookie != g->aws.flow_cookie || h->protocol_type != g->protocol_type)
    abort();
  return 0;
}
