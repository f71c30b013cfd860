#pragma once
// The "hostprocess" handler's streaming. Exec and attach go through the
// container's silo-shim.exe, as for HCS containers (shim_session_calls.h):
// the HostProcess monitor runs an exec in the container's job with its
// token, environment and working directory, and relays attach from the main
// process's output (hostprocess/hostprocess_sessions.h). HostProcess pods
// share the host's network, so port-forward dials 127.0.0.1:<port> from
// silod, as containerd dials localhost for them.

#include <memory>

#include "runtime/streaming/process_streaming.h"
#include "runtime/windows/hcs_streaming/hcs_process_streaming.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::hcs_streaming {

// `shims` null: exec and attach are Unimplemented; `forward` null:
// port-forward is Unimplemented too.
std::unique_ptr<runtime::streaming::ProcessStreaming> NewHostProcessStreaming(std::shared_ptr<shim::ShimPort> shims,
                                                                              PortForwarder forward);

}  // namespace silo::runtime::windows::hcs_streaming
