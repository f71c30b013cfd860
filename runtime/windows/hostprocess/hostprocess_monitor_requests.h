#pragma once
// Serves the framed protocol's requests (runtime/shim/core/protocol_codec.h)
// on a HostProcessMonitor, with the same ops and answers as the HCS
// monitor's (windows/shim/monitor_requests.h), so silod's client side is
// the same for both kinds of container:
//   state, start, wait (`timeout_ms`, DeadlineExceeded), kill (`signal`),
//   exec (`args`, `timeout_ms`: output and exit code; DeadlineExceeded with
//   the output so far when it timed out), reopen_log,
//   shutdown (the container ends; the monitor then exits)
// attach, interactive exec, close_stdin and resize: FailedPrecondition.
// Thread-safe: requests may run concurrently.

#include <atomic>

#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/hostprocess/hostprocess_monitor.h"

namespace silo::runtime::windows::hostprocess {

// `shutdown_requested` is set once a shutdown request has been served.
runtime::shim::Response ServeHostProcessRequest(HostProcessMonitor& monitor, const runtime::shim::Request& request,
                                                std::atomic<bool>* shutdown_requested);

}  // namespace silo::runtime::windows::hostprocess
