#pragma once
// The one decorator in front of every CRI handler: it gates calls until silod
// has finished starting, gives each call an id for the request log, times it
// into the metrics, turns escaped exceptions into INTERNAL, and is the only
// place an absl::Status becomes a grpc::Status.
//
// Thread-safe.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"
#include "metrics/families.h"
#include "network/relay/relayed_peers.h"

namespace silo::cri {

// absl and gRPC share code numbers; this keeps the message and maps the one
// case that needs care (an OK status carries no message in gRPC).
grpc::Status ToGrpcStatus(const absl::Status& status);

// A copy of `request` safe to log: registry credentials (runtime.v1.AuthConfig)
// are cleared wherever they appear, and the text is cut to `max_len`.
std::string RequestForLog(const google::protobuf::Message& request, size_t max_len = 1024);

class Instrument {
 public:
  // `metrics` may be null (no metrics). `ready` flips to true when start-up is
  // complete; until then calls fail UNAVAILABLE so kubelet retries.
  // `admitted` (behind the Windows named-pipe relay; null elsewhere): only
  // calls whose peer it admits reach a handler, the rest fail
  // PERMISSION_DENIED here. It must outlive the Instrument.
  Instrument(metrics::Metrics* metrics, const std::atomic<bool>* ready,
             const network::relay::RelayedPeers* admitted = nullptr)
      : metrics_(metrics), ready_(ready), admitted_(admitted) {}

  // A call whose peer `admitted` does not admit, or whose context is already
  // cancelled (the client went away), never reaches its handler. The peer is
  // checked here, not only by the admission interceptor (relay_admission.h):
  // gRPC runs a sync handler even after an interceptor's TryCancel, and
  // IsCancelled() only sees that cancel once the call's close op has
  // completed, which nothing orders before the handler. `context` may be
  // null (tests).
  grpc::Status Run(const grpc::ServerContextBase* context, const char* service, const char* rpc,
                   const google::protobuf::Message& request, const std::function<absl::Status()>& handler);

  // Calls past the gate and not yet finished.
  int in_flight() const { return in_flight_.load(std::memory_order_acquire); }

  // Blocks until no call is in flight or `timeout` passes; true if idle.
  // Used at shutdown after the gate has closed, so that gRPC can then be
  // stopped at once instead of waiting out its deadline on idle clients.
  bool WaitIdle(std::chrono::milliseconds timeout) const;

 private:
  metrics::Metrics* metrics_;
  const std::atomic<bool>* ready_;
  const network::relay::RelayedPeers* const admitted_;
  std::atomic<uint64_t> next_id_{1};
  std::atomic<int> in_flight_{0};
};

}  // namespace silo::cri
