#pragma once
// silod's side of a monitor session (shim/session_frames.h): copies the
// client's stdin and terminal sizes into the session and the session's
// output to the client, until the session ends. Portable; the connection is
// a named pipe on Windows and an in-memory pair in the Linux tests.

#include <cstdint>

#include "absl/status/statusor.h"
#include "runtime/streaming/process_streaming.h"
#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::hcs_streaming {

struct RelayEnd {
  enum class Kind {
    kExited,      // kExit arrived (exec: the process's code; attach: its output ended)
    kDetached,    // the client closed stdin and `detach_on_stdin_eof`
    kClientGone,  // an output stream failed or stdin was abandoned
  };
  Kind kind = Kind::kExited;
  int64_t exit_code = 0;
};

struct RelayOptions {
  // Attach without stdin_once: the client closing stdin ends the session
  // (kDetached) and the container's stdin stays open. Otherwise stdin EOF
  // is passed on (kStdinEof).
  bool detach_on_stdin_eof = false;
};

// Runs the session until it ends; the caller then destroys `conn` (which
// ends the monitor's side too). Internal when the monitor reported a
// failure (kFailed), Unavailable when it closed the session without an end.
absl::StatusOr<RelayEnd> RelaySession(shim::Duplex& conn, const runtime::streaming::ExecStreams& streams,
                                      RelayOptions options);

}  // namespace silo::runtime::windows::hcs_streaming
