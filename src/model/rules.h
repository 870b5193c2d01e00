// The model's rule sets that are registered rather than compiled in: route target kinds,
// dependency checks that block a delete, and the hooks between resources (route_target.h's
// RegisterRouteTarget, vpc.h's RegisterDependencyCheck). Whoever builds a State calls
// RegisterAllRules() once before using it: the API service, `openvpc trace`, tests, tools. A
// concept that adds rules adds its Register call here, not in the API or the command line.
#pragma once

namespace openvpc::model {

// Registers every rule set (idempotent: later calls do nothing).
void RegisterAllRules();

}  // namespace openvpc::model
