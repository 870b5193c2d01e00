// The AWS services network's listeners on this host (issue 14): openvpc's own APIs over HTTPS at
// the services pool's addresses in the simulated internet (on the gateway host, whose internet
// it is), and at the interface of every interface endpoint to an AWS service (in its namespace,
// which InstanceHost runs as it runs a load balancer node's). Each listener says where its
// requests came from (an endpoint: its id and VPC), for endpoint policies and condition keys.
// Reconciled with the model twice a second; the listening sockets are handed to a front
// (api::HttpsFront) that serves them.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "dataplane/engine/engine.h"

namespace openvpc::host {

struct ServiceListener {
  std::string netns;    // the namespace the socket listens in
  std::string address;  // IPv4, port 443
  std::string vpc_endpoint_id, vpc_id, account, region;  // through an interface endpoint ("": the internet)
  std::string service;  // "s3" at S3's addresses; "" for the services of aws_services.h
  bool operator==(const ServiceListener&) const = default;
};

// The listeners this host should have now: with INTERNET_NS (the gateway host's simulated
// internet; "" elsewhere), one per AWS service at its pool address, and with S3 one at S3's
// address of every Region (the gateway endpoints' service: GW-08); one per interface of an
// interface endpoint to an AWS service whose namespace NAMESPACE_OF gives (every host runs them
// where RunsLoadBalancerNodes says; "" elsewhere). By key: "internet/ADDRESS" or the ENI id.
std::map<std::string, ServiceListener> DesiredServiceListeners(
    const model::State& state, const std::string& internet_ns,
    const std::function<std::string(const std::string& eni_id)>& namespace_of, bool s3);

class ServicesNetwork {
 public:
  // LISTEN takes a listening socket (its own from then on); CLOSE ends the listener of a key.
  using ListenFn = std::function<void(const std::string& key, int fd, const ServiceListener& listener)>;
  using CloseFn = std::function<void(const std::string& key)>;
  ServicesNetwork(dataplane::ModelSource& model, std::string internet_ns,
                  std::function<std::string(const std::string& eni_id)> namespace_of, bool s3, ListenFn listen,
                  CloseFn close);
  ~ServicesNetwork();
  void Start();
  void Stop();

 private:
  void Loop();
  void Reconcile();

  dataplane::ModelSource& model_;
  std::string internet_ns_;
  std::function<std::string(const std::string&)> namespace_of_;
  bool s3_;
  ListenFn listen_;
  CloseFn close_;
  std::map<std::string, ServiceListener> live_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace openvpc::host
