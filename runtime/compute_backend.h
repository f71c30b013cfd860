#pragma once
// runtime::ComputeBackend: the port between the portable core and a platform's
// container machinery (HCS + Job Objects on Windows, an OCI runtime + cgroups
// on Linux). Only cri/daemon/wiring_*.cc names a concrete backend.
//
// This first cut carries readiness only; pod groups, containers and recovery
// (CreatePodGroup, CreateContainer, Open) join it with the sandbox and
// container work.

#include <string>

#include "absl/status/status.h"

namespace silo::runtime {

class ComputeBackend {
 public:
  virtual ~ComputeBackend() = default;

  // Short name for logs and Status info ("runc", "hcs").
  virtual std::string Name() const = 0;

  // OK when containers can be created now; otherwise the reason, which the
  // Status RPC reports as RuntimeReady=false. Cheap: kubelet polls it.
  virtual absl::Status Ready() const = 0;
};

}  // namespace silo::runtime
