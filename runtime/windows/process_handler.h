#pragma once
// The Windows "process" runtime handler type (process-isolated pods, CRI
// handler name runhcs-wcow-process by default) as far as it is built today.
//
// Containers run on HcsContainerHost over computecore.dll, and stats come from
// WindowsStatsSource. The pod sandbox host (HCN namespace, pod Job Object,
// pause compute system) is not built yet: until it is, RunPodSandbox fails
// with FailedPrecondition naming it, Status reports RuntimeReady=false with
// the same reason, and exec/attach/port-forward are Unimplemented. Nothing
// pretends: no object is ever recorded as created.
//
// Portable (tested on Linux); the Windows wiring passes the loaded API
// tables and its readiness probe.

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "runtime/handler/registry.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/host_path/api.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows {

struct ProcessHandlerOptions {
  // computecore.dll's table; null when it could not be loaded, with the
  // reason in `hcs_unavailable` (then containers cannot be created either).
  const hcs::HcsApi* hcs = nullptr;
  absl::Status hcs_unavailable;
  const host_path::HostPathApi* host_paths = nullptr;
  std::string state_dir;  // <state>/containers: exit records across restarts
  // Launches and reaches each container's silo-shim.exe (Windows:
  // shim::NewWin32ShimPort(shim::ShimExeBesideThisProgram())). Null: creating
  // a container fails, saying so.
  std::shared_ptr<shim::ShimPort> shims;
  // The host's readiness for process-isolated containers (the Containers
  // feature, vmcompute, HNS); OK = ready. Null = not probed.
  std::function<absl::Status()> host_ready;
};

// What RunPodSandbox and Status report while the sandbox host is missing.
extern const char kMissingSandboxHost[];

// Registers type "process" with `registry`.
void RegisterProcessType(handler::HandlerRegistry& registry, ProcessHandlerOptions options);

}  // namespace silo::runtime::windows
