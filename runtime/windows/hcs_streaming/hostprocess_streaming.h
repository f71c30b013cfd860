#pragma once
// The "hostprocess" handler's streaming. HostProcess pods share the host's
// network, so port-forward dials 127.0.0.1:<port> from silod, as containerd
// dials localhost for them. Exec and attach are Unimplemented, naming
// HostProcess: they would run through the ProcessApi in the container's
// job (ConPTY for a tty), which is not built.

#include <memory>

#include "runtime/streaming/process_streaming.h"
#include "runtime/windows/hcs_streaming/hcs_process_streaming.h"

namespace silo::runtime::windows::hcs_streaming {

// `forward` null: port-forward is Unimplemented too.
std::unique_ptr<runtime::streaming::ProcessStreaming> NewHostProcessStreaming(PortForwarder forward);

}  // namespace silo::runtime::windows::hcs_streaming
