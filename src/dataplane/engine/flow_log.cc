#include "dataplane/engine/flow_log.h"

namespace openvpc::dataplane {

void FlowAccounting::LogAt(const std::string& eni_id, bool egress, const model::Flow& f, bool accepted) {
  if (interfaces == 2) return;
  at[interfaces++] = {.eni_id = eni_id, .egress = egress, .flow = f, .accepted = accepted};
}

void FlowAccounting::Emit(const FlowLogSink& sink) {
  if (packets == 0) return;
  for (int i = 0; i < interfaces; ++i) {
    FlowLogRecord r = at[i];
    r.packets = packets;
    r.bytes = bytes;
    r.start = start;
    r.end = end;
    sink(r);
  }
  packets = bytes = 0;
}

}  // namespace openvpc::dataplane
