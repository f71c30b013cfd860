#pragma once
// The CRI service wired as silod wires it (cri/daemon/wiring_linux.cc), on a
// private temporary root and state dir, for the handler-level fuzzer
// (cri_request_fuzz.cc). Real parts: OCI backend (runc), CNI pod network over
// /usr/lib/cni with an EMPTY config dir (so every pod network attach fails
// cleanly; host-network pods succeed), SQLite metadata store, pod cgroups
// under a parent private to this harness, Linux sandbox host (pinned
// namespaces), image manager with an empty store (pulls fail fast: one
// attempt, traffic forced through a closed loopback proxy), container
// manager and host with the build tree's silo-shim, stats sampler (not
// started: the stats RPCs answer from its empty cache), streaming server on
// 127.0.0.1:0.
//
// SILO_FUZZ_CNI_LOOPBACK=1 in the environment puts a loopback-only network
// config in the CNI dir instead, so pod networks attach and detach for real.
//
// Differences from silod, on purpose: the registry client makes one attempt
// (silod retries with backoff, seconds per failed pull), and no gRPC layer.
//
// Thread safety: Call may be made from one thread at a time (the fuzz
// engines are single-threaded); the service itself is thread-safe.

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/daemon/wiring.h"
#include "cri/server/service.h"

namespace silo::fuzz {

class CriHarness {
 public:
  // Needs root (namespaces, cgroups, mounts). Aborts nothing: errors return.
  static absl::StatusOr<std::unique_ptr<CriHarness>> Create();
  ~CriHarness();
  CriHarness(const CriHarness&) = delete;
  CriHarness& operator=(const CriHarness&) = delete;

  // Number of RPCs Call can select (every RuntimeService and ImageService
  // method, streaming ones included, and GetContainerEvents).
  static size_t RpcCount();
  static const char* RpcName(size_t index);

  // Parses `data` as the request of RPC `index % RpcCount()` (a failed parse
  // still calls with the partially parsed message) and calls the handler.
  absl::Status Call(size_t index, const uint8_t* data, size_t size);

  // Removes every container and pod sandbox through the service, then
  // checks that nothing is left: list calls empty, no mount under the
  // temporary dir, no pod cgroup under the harness's parent, no descriptor
  // open that was not open right after wiring. Returns the first violation.
  // Idempotent.
  absl::Status CleanUpAndCheck();

  const std::string& dir() const { return dir_; }
  cri::Service& service() { return *service_; }

 private:
  CriHarness() = default;

  std::string dir_;            // mkdtemp; root_ and state_ are inside
  std::string cgroup_parent_;  // relative to each cgroup hierarchy
  std::map<int, std::string> baseline_fds_;  // open right after wiring
  cri::Backends backends_;
  std::unique_ptr<cri::Service> service_;
};

}  // namespace silo::fuzz
