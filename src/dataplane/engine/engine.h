struct io_uring;

// The packet engine: one thread that reads frames from the instances' TAP devices in batches,
// answers the VPC router's own services (stage 2) and forwards everything else through the
// pipeline stages (3-9), with an exact-match flow cache in front so that the second packet of
// a flow costs a hash lookup (flow_cache.h). Configuration is the model itself, read from the
// ModelSource's snapshot of the last committed state when a flow is new or the model changed:
// no lock of the API's, so API writes never stall forwarding, and nothing is compiled twice.
// Files: loop.cc (io_uring), engine.cc (ports, a frame's way through), local_service.cc (stage
// 2), decide.cc (stages 3-9 and the gateways' translations), flow_log.h (accounting).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dataplane/engine/conntrack.h"
#include "dataplane/engine/flow_cache.h"
#include "dataplane/engine/fragments.h"
#include "dataplane/engine/lb_table.h"
#include "dataplane/engine/nat_table.h"
#include "dataplane/wire/packet.h"
#include "model/state.h"

namespace openvpc::dataplane {

struct Port;  // port.h: one device the engine reads and writes
struct TraceResult;  // pipeline.h

// Where the engine reads the model: the API service in `openvpc serve`, a plain State in tests.
class ModelSource {
 public:
  virtual ~ModelSource() = default;
  // Runs FN with the state of the last committed write, which stays unchanged while FN runs,
  // without waiting for a write in progress.
  virtual void Read(const std::function<void(const model::State&)>& fn) = 0;
  // Changes with every committed write.
  virtual uint64_t Version() const = 0;
};

// One attached network interface of a running instance, as the host layer made it.
struct PortSpec {
  std::string eni_id, account, region;
  int fd = -1;  // the TAP device, opened with IFF_VNET_HDR, non-blocking; the caller owns it
  // An interface that another host runs (no fd): frames decided toward it leave in VXLAN to
  // that host's underlay address, as they came (its engine decides them again, as arriving
  // from this interface, and keeps its own connection tracking), and frames from it arrive
  // from there (SetUnderlay).
  std::optional<net::Ipv4> remote_host;
};

// The instance metadata service's side of the engine: packets to 169.254.169.254 leave by this
// TAP with the source rewritten to an address that names the interface (ServiceAlias).
struct ServicePortSpec {
  int fd = -1;
  MacAddress mac{};  // the service namespace's device
  // The internet of a host that has none (no --gateway): the gateway host, by the underlay.
  // Frames to the internet and through NAT gateways go there as they came; frames from its
  // internet come from there.
  std::optional<net::Ipv4> remote_host;
};

struct EngineCounters {
  uint64_t rx = 0, tx = 0, dropped = 0, flow_misses = 0, local_service = 0;
  // Frames dropped because deciding them threw (a broken model invariant, a bug): the packet
  // is lost, the engine goes on. Each distinct failure is logged once.
  uint64_t internal_errors = 0;
  // Packets of new connections dropped because an interface tracks its allowance of
  // connections already (kConnectionAllowance), AWS's `conntrack_allowance_exceeded`.
  uint64_t conntrack_allowance_exceeded = 0;
};

class Engine {
 public:
  explicit Engine(ModelSource& model);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Starts the engine's thread and its io_uring (reads kept in flight on every port, frames
  // forwarded by writes submitted in batches: one system call per batch, not per packet).
  // Throws when the kernel refuses io_uring.
  void Start();
  void Stop();

  // Thread-safe. RemovePort returns once the engine no longer touches the port's fd.
  void AddPort(const PortSpec& port);
  void RemovePort(const std::string& eni_id);
  void SetServicePort(const ServicePortSpec& port);
  void RemoveServicePort();
  // The simulated internet beyond the internet gateways: frames to it leave by this TAP
  // (sources translated to public addresses), frames from it to public addresses come in.
  void SetInternetPort(const ServicePortSpec& port);
  void RemoveInternetPort();
  // The underlay of many hosts (issue 12): FD, a UDP socket bound to this host's address and
  // kVxlanPort (the caller owns it), carries the frames of remote ports (PortSpec::remote_host)
  // both ways.
  void SetUnderlay(int fd);
  void RemoveUnderlay();

  // The address that stands for ENI at the metadata service (100.64.0.0/10), and back.
  std::optional<net::Ipv4> ServiceAlias(const std::string& eni_id) const;
  std::optional<std::string> InterfaceOfAlias(net::Ipv4 alias) const;

  EngineCounters Counters() const;

  // Thread-safe. With a sink, the engine counts every flow's packets and bytes and hands them to
  // it at FlushFlowLog(), and whenever a flow is decided anew (a change of the model); without
  // one, it counts nothing. The sink runs on the engine's thread or the caller's, under its lock.
  void SetFlowLogSink(FlowLogSink sink);
  void FlushFlowLog();
  size_t Connections() const;

  // Runs one frame through the engine as if it arrived on ENI's port ("svc": the service
  // port), synchronously (tests and benchmarks without devices). Returns the frames sent, by
  // destination ENI id ("svc" = the service port).
  std::vector<std::pair<std::string, std::vector<uint8_t>>> Inject(const std::string& eni_id,
                                                                    std::span<const uint8_t> frame);
  // The same for a datagram that came in on the underlay (VXLAN header, virtio-net header,
  // frame), as the engine's loop takes it (tests and the fuzzer).
  std::vector<std::pair<std::string, std::vector<uint8_t>>> InjectUnderlay(std::span<const uint8_t> datagram);
  // Tests: the engine reads the time (steady seconds) from CLOCK instead of the steady clock,
  // and Inject() expires idle connections, translations and datagrams as the loop does.
  void SetClockForTesting(std::function<double()> clock);
  // Lowers every interface's allowance of tracked connections (kConnectionAllowance).
  void SetConnectionAllowanceForTesting(size_t allowance);

 private:
  void Loop();
  void LoopOnce(io_uring* ring);
  void Complete(uint64_t tag, int res);
  void Arm(Port& port, uint16_t buffer);
  // Writes LEN bytes of IN's BUFFER, from OFFSET, to OUT's device.
  void Forward(Port& in, uint16_t buffer, Port& out, size_t len, size_t offset = 0);
  void Control();
  // Stage 1-10 for a frame that came in on IN: the port to forward BUF to unchanged in length
  // (after the MACs and any address rewrite), or nullptr when it was answered or dropped.
  Port* HandleFrame(Port& in, uint8_t* buf, size_t len);
  // HandleFrame or HandleServiceFrame behind the exception barrier: what throws drops that
  // frame (counted in internal_errors, logged once), never the engine. The kHeadroom bytes
  // before BUF are the engine's too (port.h): a frame may grow into them (out_shift_).
  Port* Process(Port& in, uint8_t* buf, size_t len);
  // The flow entry of a frame: the cached one, or one decided now (stages 3-9); for a fragment
  // after the first, the entry of its datagram's first fragment (nullptr: none, dropped).
  FlowEntry* FlowOf(Port& in, const ParsedFrame& pf);
  Port* HandleServiceFrame(uint8_t* buf, size_t len);
  Port* LocalService(Port& in, const VnetHeader& vh, std::span<uint8_t> frame, const ParsedFrame& pf, bool& handled);
  // A packet too big for its path's MTU that may not be fragmented: ICMP tells IN's sender the
  // path's MTU, where its security groups let that in (MTU-4, A38).
  void PathTooSmall(Port& in, std::span<const uint8_t> frame, const ParsedFrame& pf, uint16_t mtu);
  // IPv6's part of stage 2: neighbour discovery and DHCPv6; link-local and multicast traffic
  // ends here, answered or not.
  Port* LocalService6(Port& in, const VnetHeader& vh, std::span<uint8_t> frame, const ParsedFrame& pf,
                      bool& handled);
  // The Amazon resolver's per-interface rate limit (R11: 1,024 packets per second).
  bool TakeDnsToken(Port& in);
  // Unsolicited router advertisements on every port of a subnet with IPv6 (RFC 4861 §6.2.4).
  void AdvertiseRouter();
  Port* Decide(Port& in, const ParsedFrame& pf, FlowEntry& entry);
  Port* DecideFromInternet(const ParsedFrame& pf, FlowEntry& entry);
  // A packet to NAT gateway NAT_ID's address (F as it came): the client its translation names.
  Port* NatReply(const model::Partition& part, const std::string& nat_id, const ParsedFrame& pf, const model::Flow& f,
                 FlowEntry& entry);
  // Through a load balancer's node to the target T chose (F as it came from the client's
  // interface CLIENT_ENI, or from the internet when empty): the translation, and the connection
  // remembered so that its packets keep their target and its replies find their way back.
  Port* ToTarget(const TraceResult& t, const model::Flow& f, const std::string& client_eni, FlowEntry& entry);
  // A packet of a load balancer's target that answers connection B: from the node's address
  // (through an interface endpoint: from the endpoint's, to the consumer's client).
  Port* LoadBalancerReply(const model::State& s, const model::Partition& part, const model::NetworkInterface& target,
                          LbBinding& b,
                          const ParsedFrame& pf, FlowEntry& entry);
  // A packet from the AWS services network to an interface's alias (a gateway endpoint's reply):
  // to that interface's private address, through its ACL and groups.
  Port* FromServicesNetwork(const model::State& s, const ParsedFrame& pf, model::Flow f, FlowEntry& entry);
  // A new flow through a Gateway Load Balancer endpoint (T.appliance, F as it goes in): the
  // appliance's port, with the flow (its cookie) that what the appliance returns is matched to.
  Port* ToApplianceFlow(const TraceResult& t, const model::Flow& f, FlowEntry& entry);
  // A frame of a flow through a Gateway Load Balancer endpoint, in Geneve to its appliance.
  // FRAGMENT_AT: the path MTU a packet that may be fragmented is too big for (0: it is not).
  void ToAppliance(const FlowEntry& e, std::span<uint8_t> frame, const ParsedFrame& pf, VnetHeader& vh,
                   uint16_t fragment_at);
  // A frame from IN that is Geneve to a Gateway Load Balancer's node: true when it was one (its
  // inner packet went on from the endpoint its cookie names, or was dropped).
  bool GeneveFromAppliance(Port& in, std::span<const uint8_t> frame, const ParsedFrame& pf);
  // Proxy protocol v2 on connection B (a frame of E's flow, rewritten already): the header's own
  // segment before the client's first bytes, and the sequence numbers it shifts.
  void ProxyProtocol(LbBinding& b, const FlowEntry& e, std::span<uint8_t> frame, const ParsedFrame& pf,
                     const VnetHeader& vh);
  // Flow logs: where the decision of a new flow is logged, and the hand-over of counts.
  void LogAt(FlowEntry& entry, const std::string& eni_id, bool egress, const model::Flow& f, bool accepted);
  void EmitFlowLog(FlowEntry& entry);
  void ClearFlows();
  void SetSpecialPort(uint32_t id, const char* name, const ServicePortSpec& spec, Port*& slot);
  void RemoveSpecialPort(uint32_t id, Port*& slot);
  // Runs FN with IN's interface and its partition under the model's read lock (not when gone).
  void WithInterface(
      const Port& in,
      const std::function<void(const model::State&, const model::Partition&, const model::NetworkInterface&)>& fn);
  void SendFrame(Port* out, std::span<const uint8_t> frame);  // a frame of the router's own, written at once
  // VXLAN (underlay.cc): BUF (vnet header + frame) to the host that runs OUT; a datagram that
  // came in on the underlay port, handled as a frame from the remote port it names.
  void SendUnderlay(const Port& out, const uint8_t* buf, size_t len, bool decided);
  // True where NAT gateways run: one host alone, or a gateway host (its internet is local).
  bool RunsNatGateways() const;
  void ReceiveUnderlay(Port& underlay, uint16_t buffer, size_t len);
  // Where the datagram BUF[0, LEN) goes once handled: a port of this host, or nullptr (dropped).
  Port* FromUnderlay(uint8_t* buf, size_t len);
  uint64_t Generation() const;
  double Now() const;
  // Once a second: forgets idle connections, translations and datagrams.
  void ExpireIdle(double now);

  ModelSource& model_;
  mutable std::mutex mu_;  // ports; held by the engine thread while it handles a batch
  std::condition_variable removed_;
  std::unordered_map<uint32_t, std::unique_ptr<Port>> ports_;  // also the service port
  std::unordered_map<std::string, Port*> by_eni_;
  Port* service_ = nullptr;
  Port* internet_ = nullptr;
  Port* underlay_ = nullptr;
  std::unordered_map<uint64_t, Port*> remote_by_mac_;  // remote ports by their MAC
  std::unordered_map<uint64_t, Port*> local_by_mac_;   // this host's interfaces by their MAC
  // HandleFrame's answer for a frame to a remote port: it was translated here (a NAT gateway's),
  // so it leaves decided and the other host delivers it as it is.
  bool decided_ = false;
  // And where the frame it forwards starts now, from where it came in: moved by a change of IP
  // family written in place (wire/translate.h), later when it shrank, earlier when it grew.
  std::ptrdiff_t out_shift_ = 0;
  uint32_t next_port_id_ = 1;
  uint64_t port_epoch_ = 0, ct_epoch_ = 0;
  int wake_fd_ = -1;
  uint64_t wake_value_ = 0;
  std::unique_ptr<io_uring> ring_;
  std::atomic<bool> running_{false};
  std::thread thread_;
  std::unordered_map<FlowKey, FlowEntry, FlowKeyHash> flows_;
  ConnectionTable conntrack_;
  NatTable nat_;
  LbTable lb_;
  std::unordered_map<uint32_t, ApplianceFlow> appliance_flows_;  // by flow cookie
  FragmentTable fragments_;
  std::function<double()> clock_;  // tests only
  double last_expire_ = 0, last_advertised_ = 0;
  EngineCounters counters_;
  std::set<std::string> logged_errors_;  // internal errors already logged
  std::vector<std::pair<uint64_t, int>> completions_;  // one batch's, taken off the ring
  FlowLogSink flow_log_;
  // Inject(): frames captured instead of written.
  void Capture(Port* out, const uint8_t* buf, size_t len);
  std::vector<std::pair<std::string, std::vector<uint8_t>>>* capture_ = nullptr;
};

}  // namespace openvpc::dataplane
