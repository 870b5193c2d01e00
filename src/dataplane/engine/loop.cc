// The engine's thread: one io_uring, reads kept in flight on every port, forwarded frames
// written from the buffer they were read into, one system call per batch.
#include <liburing.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "dataplane/engine/engine.h"
#include "dataplane/engine/port.h"

namespace openvpc::dataplane {

namespace {

constexpr unsigned kRingEntries = 4096;

// What a completion was for: the operation, the port whose buffer or device it used, the
// buffer, and for a forward the destination port.
enum Op : uint64_t { kRead = 1, kWrite = 2, kWake = 3, kCancel = 4 };
uint64_t Tag(Op op, uint32_t port, uint16_t buffer, uint32_t out = 0) {
  return uint64_t{op} << 60 | uint64_t{buffer} << 44 | uint64_t{port & 0xfffff} << 24 | (out & 0xffffff);
}
Op TagOp(uint64_t t) { return static_cast<Op>(t >> 60); }
uint16_t TagBuffer(uint64_t t) { return static_cast<uint16_t>((t >> 44) & 0xffff); }
uint32_t TagPort(uint64_t t) {
  uint32_t p = static_cast<uint32_t>((t >> 24) & 0xfffff);
  return p == 0xfffff ? kServicePortId : p;
}
uint32_t TagOut(uint64_t t) {
  uint32_t p = static_cast<uint32_t>(t & 0xffffff);
  return p == 0xffffff ? kServicePortId : p;
}



}  // namespace

void Engine::Start() {
  if (running_) return;
  ring_ = std::make_unique<io_uring>();
  if (int rc = io_uring_queue_init(kRingEntries, ring_.get(), 0); rc < 0) {
    ring_.reset();
    throw std::runtime_error(std::string("io_uring: ") + strerror(-rc));
  }
  running_ = true;
  thread_ = std::thread([this] { Loop(); });
}

void Engine::Stop() {
  if (!running_.exchange(false)) return;
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof one);
  thread_.join();
  io_uring_queue_exit(ring_.get());  // cancels what is still in flight
  ring_.reset();
  std::lock_guard lock(mu_);
  for (auto it = ports_.begin(); it != ports_.end();) {
    it->second->armed = false;
    it->second->in_flight = 0;
    if (it->second->removing) it = ports_.erase(it);
    else ++it;
  }
  removed_.notify_all();
}


// ---- the loop: io_uring completions in, batched submissions out ----

namespace {

io_uring_sqe* GetSqe(io_uring* ring) {
  io_uring_sqe* sqe = io_uring_get_sqe(ring);
  while (!sqe) {  // the submission queue is full: hand it to the kernel and go on
    io_uring_submit(ring);
    sqe = io_uring_get_sqe(ring);
  }
  return sqe;
}

}  // namespace

void Engine::Arm(Port& port, uint16_t buffer) {
  io_uring_sqe* sqe = GetSqe(ring_.get());
  io_uring_prep_read(sqe, port.fd, port.Buffer(buffer) + kHeadroom, kBufferSize - kHeadroom, 0);
  io_uring_sqe_set_data64(sqe, Tag(kRead, port.id, buffer));
  ++port.in_flight;
}

void Engine::Forward(Port& in, uint16_t buffer, Port& out, size_t len, size_t offset) {
  io_uring_sqe* sqe = GetSqe(ring_.get());
  io_uring_prep_write(sqe, out.fd, in.Buffer(buffer) + offset, static_cast<unsigned>(len), 0);
  io_uring_sqe_set_data64(sqe, Tag(kWrite, in.id, buffer, out.id));
  ++in.in_flight;
  ++out.in_flight;
}

void Engine::Control() {
  // New ports get their reads; ports on their way out get their requests cancelled, and are
  // freed once nothing is in flight on them.
  bool freed = false;
  for (auto it = ports_.begin(); it != ports_.end();) {
    Port& port = *it->second;
    if (port.removing) {
      if (port.in_flight == 0) {
        it = ports_.erase(it);
        freed = true;
        continue;
      }
      if (!port.cancelled) {
        io_uring_sqe* sqe = GetSqe(ring_.get());
        io_uring_prep_cancel_fd(sqe, port.fd, IORING_ASYNC_CANCEL_ALL);
        io_uring_sqe_set_data64(sqe, Tag(kCancel, 0, 0));
        port.cancelled = true;
      }
    } else if (!port.armed && port.fd >= 0) {
      for (uint16_t b = 0; b < kReadsPerPort; ++b) Arm(port, b);
      port.armed = true;
    }
    ++it;
  }
  if (freed) removed_.notify_all();
}

void Engine::Complete(uint64_t tag, int res) {
  switch (TagOp(tag)) {
    case kWake: {
      io_uring_sqe* sqe = GetSqe(ring_.get());
      io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
      io_uring_sqe_set_data64(sqe, Tag(kWake, 0, 0));
      return;
    }
    case kCancel:
      return;
    case kRead: {
      auto it = ports_.find(TagPort(tag));
      if (it == ports_.end()) return;
      Port& in = *it->second;
      --in.in_flight;
      const uint16_t b = TagBuffer(tag);
      if (in.removing) return;
      if (res <= 0) {
        if (res == -ECANCELED || res == -EBADF || res == -EIO) return;  // the device is going away
        Arm(in, b);
        return;
      }
      if (&in == underlay_) return ReceiveUnderlay(in, b, static_cast<size_t>(res));
      Port* out = Process(in, in.Buffer(b) + kHeadroom, static_cast<size_t>(res));
      // The frame as it leaves: where it came in, or moved by out_shift_.
      const size_t at = static_cast<size_t>(static_cast<std::ptrdiff_t>(kHeadroom) + out_shift_);
      const size_t length = static_cast<size_t>(res - out_shift_);
      if (out && !out->removing && out->remote_host) {  // to another host: sent at once, the buffer is free
        SendUnderlay(*out, in.Buffer(b) + at, length, decided_);
        Arm(in, b);
      } else if (out && !out->removing && out->fd >= 0) {
        Forward(in, b, *out, length, at);
      } else {
        Arm(in, b);
      }
      return;
    }
    case kWrite: {
      auto in = ports_.find(TagPort(tag));
      auto out = ports_.find(TagOut(tag));
      if (out != ports_.end()) --out->second->in_flight;
      if (res < 0) ++counters_.dropped;
      else ++counters_.tx;
      if (in == ports_.end()) return;
      --in->second->in_flight;
      if (!in->second->removing) Arm(*in->second, TagBuffer(tag));  // the buffer can take the next frame
      return;
    }
  }
}

void Engine::Loop() {
  io_uring* ring = ring_.get();
  {
    io_uring_sqe* sqe = GetSqe(ring);
    io_uring_prep_read(sqe, wake_fd_, &wake_value_, sizeof wake_value_, 0);
    io_uring_sqe_set_data64(sqe, Tag(kWake, 0, 0));
  }
  while (running_) {
    try {
      LoopOnce(ring);
    } catch (const std::exception& e) {
      // The barrier of the engine's thread: log, and go on forwarding.
      std::lock_guard lock(mu_);
      ++counters_.internal_errors;
      if (logged_errors_.size() < 64 && logged_errors_.insert(e.what()).second)
        fprintf(stderr, "openvpc: data plane: internal error (logged once): %s\n", e.what());
    }
  }
}

void Engine::LoopOnce(io_uring* ring) {
  {
    std::lock_guard lock(mu_);
    Control();
  }
  __kernel_timespec timeout{.tv_sec = 0, .tv_nsec = 100'000'000};
  io_uring_cqe* cqe = nullptr;
  // One system call hands the kernel every read and write queued since the last one and
  // waits for the next completions.
  int rc = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &timeout, nullptr);
  if (rc < 0 && rc != -ETIME && rc != -EINTR) return;
  std::lock_guard lock(mu_);
  // The completions are taken off the ring before they are handled, so that one whose handling
  // throws is not seen again.
  completions_.clear();
  unsigned head;
  io_uring_for_each_cqe(ring, head, cqe) completions_.emplace_back(io_uring_cqe_get_data64(cqe), cqe->res);
  io_uring_cq_advance(ring, static_cast<unsigned>(completions_.size()));
  for (const auto& [tag, res] : completions_) Complete(tag, res);
  const double now = Now();
  ExpireIdle(now);
  // Hosts drop the default route when the router lifetime (1800 s) runs out; RFC 4861 §6.2.1
  // advises advertising at least three times per lifetime.
  if (now - last_advertised_ >= 200) {
    last_advertised_ = now;
    AdvertiseRouter();
  }
}


}  // namespace openvpc::dataplane
