#pragma once
// The parts of a Windows handler on a host that cannot run Windows
// containers (no computecore.dll, computenetwork.dll or job API): every call
// that would create something fails with the reason the host is not ready,
// and nothing is ever recorded as created, so removal and listing have
// nothing to find. Status reports the same reason as RuntimeReady=false.
// Also the streaming of handlers that have none of their own.

#include <memory>

#include "absl/status/status.h"
#include "runtime/container/container_host.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/streaming/process_streaming.h"

namespace silo::runtime::windows {

std::unique_ptr<sandbox::SandboxHost> UnavailableSandboxHost(absl::Status why);
std::unique_ptr<container::ContainerHost> UnavailableContainerHost(absl::Status why);
// Unimplemented for exec, attach and port-forward (the hostprocess type,
// and the process type without shims).
std::unique_ptr<streaming::ProcessStreaming> UnbuiltWindowsStreaming();

}  // namespace silo::runtime::windows
