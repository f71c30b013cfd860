#pragma once
// Serves the framed protocol's requests (runtime/shim/core/protocol_codec.h)
// on a ContainerMonitor: the same ops and answers as the Linux shim, so
// silod's client side differs only in its transport. Portable (tested on
// Linux against the fake HCS); the named-pipe server calls it per request.
//
//   state       -> state, pid, exit (when stopped)
//   start       -> starts the container (created by --create-only)
//   wait        -> blocks until the exit is recorded, or `timeout_ms`
//                  (DeadlineExceeded)
//   kill        -> hcsshim's ValidateWCOW mapping (wcow_signal.h); an
//                  unsupported signal is InvalidArgument; before start the
//                  container ends with status 1
//   exec        -> runs `process` (HCS ProcessParameters) and returns its
//                  output and exit code; `timeout_ms` kills it (DeadlineExceeded)
//   reopen_log, close_stdin, resize
//   shutdown    -> stops the compute system; the monitor then exits
// attach and streamed exec open a session (monitor_sessions.h); here they
// are FailedPrecondition, as over a transport without sessions.
// Thread-safe: requests may run concurrently.

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/shim/container_monitor.h"

namespace silo::runtime::windows::shim {

using runtime::shim::Request;
using runtime::shim::Response;

// The response for a failed (or OK) HCS call: its gRPC code and message.
Response ResponseFromHcs(const win32::HrStatus& status);

// The answer to state and wait: the state's name ("created", "running",
// "stopped"), the main process's pid and, once recorded, its exit. Shared
// with the HostProcess monitor's server.
Response MonitorStateResponse(const char* state, uint32_t pid, const std::optional<ExitRecord>& exit);

// The answer to an ExecSync: its exit code and output, DeadlineExceeded
// (with the output so far) when it was ended at `timeout_ms`.
Response MonitorExecResponse(bool timed_out, int64_t timeout_ms, int64_t exit_code, std::string stdout_data,
                             std::string stderr_data);

// `shutdown_requested` is set once a shutdown request has been served.
Response ServeMonitorRequest(ContainerMonitor& monitor, const Request& request,
                             std::atomic<bool>* shutdown_requested);

}  // namespace silo::runtime::windows::shim
