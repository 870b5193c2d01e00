// The load balancers' health checks (issue 13), real ones: TCP connects and HTTP GETs from a
// node's own address to each target, made by the kernel of the node's namespace (InstanceHost
// runs a namespace per node), so that every check crosses the data plane as AWS's do: the
// node's security groups outbound, the network ACLs, and the target's security groups must let
// it through, or the target is unhealthy.
//
// Each target of a target group that a listener uses is checked at the group's interval from
// the node of its zone (the first node when its zone has none, or for zone "all"); after
// HealthyThresholdCount successes in a row it is healthy, after UnhealthyThresholdCount failures
// unhealthy (Target.FailedHealthChecks: refused or reset; Target.Timeout: no answer within the
// timeout; Target.ResponseCodeMismatch: an HTTP code outside the matcher). Changes of state only
// are reported (ReportFn), into the model, where DescribeTargetHealth and the data plane's
// choice of targets read them.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <tuple>

#include "dataplane/engine/engine.h"

namespace openvpc::host {

class HealthChecker {
 public:
  using ReportFn = std::function<void(const std::string& account, const std::string& region, const std::string& tg_arn,
                                      const std::string& target_id, int port, const std::string& health,
                                      const std::string& reason)>;
  // NAMESPACE_OF: the namespace of a node, by its interface id.
  HealthChecker(dataplane::ModelSource& model, std::function<std::string(const std::string& eni_id)> namespace_of,
                ReportFn report);
  ~HealthChecker();
  void Start();
  void Stop();

 private:
  struct Check;  // one target's checks (health_checker.cc)
  void Loop();
  void Run();

  dataplane::ModelSource& model_;
  std::function<std::string(const std::string&)> namespace_of_;
  ReportFn report_;
  std::map<std::tuple<std::string, std::string, int>, std::unique_ptr<Check>> checks_;  // (group, target, port)
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace openvpc::host
