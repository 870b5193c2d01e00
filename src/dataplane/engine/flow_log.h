// Flow log accounting (the records themselves are the flow logs' business): per flow, the
// interfaces it reached and the packets and bytes counted, handed to a sink when the flow is
// decided anew or the engine flushes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "model/evaluate.h"

namespace openvpc::dataplane {

// The traffic of a
// flow at an interface it reached, with addresses and ports as the interface sees them (private
// ones behind a gateway's translation), accepted or rejected there.
struct FlowLogRecord {
  std::string eni_id;
  bool egress = false;  // leaving the interface; else arriving at it
  model::Flow flow;
  bool accepted = false;
  uint64_t packets = 0, bytes = 0;
  double start = 0, end = 0;  // steady-clock seconds of the first and last packet counted
};
using FlowLogSink = std::function<void(const FlowLogRecord&)>;

// One flow's accounting: the interfaces it reached (at most two), what was counted.
struct FlowAccounting {
  FlowLogRecord at[2];
  int interfaces = 0;
  uint64_t packets = 0, bytes = 0;
  double start = 0, end = 0;

  // Where the decision of a new flow is logged: at ENI_ID, leaving it when EGRESS.
  void LogAt(const std::string& eni_id, bool egress, const model::Flow& f, bool accepted);
  // A packet of LEN IP bytes at NOW (on every packet of a flow: inline).
  void Count(size_t len, double now) {
    if (packets++ == 0) start = now;
    bytes += len;
    end = now;
  }
  // Hands what was counted since the last time to SINK, one record per interface.
  void Emit(const FlowLogSink& sink);
};

}  // namespace openvpc::dataplane
