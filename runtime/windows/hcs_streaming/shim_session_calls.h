#pragma once
// silod's exec and attach through a container's monitor session, the same
// for HCS containers (hcs_process_streaming.h) and HostProcess containers
// (hostprocess_streaming.h): open the session on the container's shim,
// relay it (session_relay.h), map how it ended to the CRI answer.
// Thread-safe: every call works on its own session.

#include <string>

#include "absl/status/statusor.h"
#include "runtime/model/container.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/streaming/process_streaming.h"
#include "runtime/windows/shim/shim_port.h"

namespace silo::runtime::windows::hcs_streaming {

// `request` is a streamed exec (op exec, `stream`); the process's exit code,
// Cancelled when the client went away first.
absl::StatusOr<int> ExecThroughShim(shim::ShimPort& shims, const std::string& container_id,
                                    const runtime::shim::Request& request,
                                    const runtime::streaming::ExecStreams& streams);

// Attach to `container`'s main process: closing stdin detaches unless the
// container was created with stdin_once, then it closes the container's stdin.
absl::StatusOr<runtime::streaming::AttachEnd> AttachThroughShim(shim::ShimPort& shims,
                                                                const model::ContainerRecord& container,
                                                                const runtime::streaming::ExecStreams& streams);

}  // namespace silo::runtime::windows::hcs_streaming
