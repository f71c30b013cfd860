#pragma once
// ShimPort: how silod reaches its Windows per-container monitors. It
// launches one silo-shim.exe per container (as containerd launches its
// Windows shim) and carries the framed protocol's requests to it. The real
// port (shim_port_win32.h) starts the exe and talks over its named pipe; the
// Linux tests use InProcessShimPort (the same monitor code on the fake HCS,
// each shim a simulated process that holds its own handles).
// Standard library only, so both sides of the mingw build can use it.
// Implementations are thread-safe.

#include <chrono>
#include <memory>
#include <string>

#include "runtime/base/windows/result.h"
#include "runtime/shim/core/protocol_codec.h"
#include "runtime/windows/shim/session_frames.h"

namespace silo::runtime::windows::shim {

// What one silo-shim.exe is started with (its command line, shim_main_win32.cc).
struct ShimLaunch {
  std::string id;             // the container (= compute system) id
  std::string document_path;  // the compute system document, a JSON file
  std::string process_path;   // the main process's ProcessParameters, a JSON file
  std::string log_path;       // the CRI log; "" = output dropped
  std::string exit_path;      // the durable exit record
  // The shim's own stdout and stderr (why it failed to set up, later
  // errors); "" = discarded. Kept for the operator beside the exit record.
  std::string diagnostics_path;
  bool open_stdin = false;
  // A HostProcess container instead (no compute system, no document and
  // process files): the launch description (hostprocess_monitor.h, a JSON
  // file) the shim creates the container's job from and runs it with.
  std::string hostprocess_path;
};

// HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND): no shim serves the container's
// pipe (it exited or was never started).
inline constexpr uint32_t kHrShimGone = 0x80070002;
// HRESULT_FROM_WIN32(ERROR_BROKEN_PIPE): the shim went away mid-call.
inline constexpr uint32_t kHrShimPipeBroken = 0x8007006D;
// HRESULT_FROM_WIN32(ERROR_ALREADY_EXISTS): a shim serves the container already.
inline constexpr uint32_t kHrShimAlreadyRunning = 0x800700B7;

// An interactive session (monitor_sessions.h): the shim's first response,
// and when its code is 0 the connection that carries the session frames.
struct ShimSession {
  runtime::shim::Response response;
  std::unique_ptr<Duplex> conn;  // null unless response.code == 0
};

class ShimPort {
 public:
  using Deadline = std::chrono::steady_clock::time_point;

  virtual ~ShimPort() = default;
  // Starts the container's shim with --create-only and returns once it serves
  // its pipe, i.e. the compute system exists and is held by the shim. On
  // failure no shim is left (and so, by ShouldTerminateOnLastHandleClosed,
  // no system); the error says why, with the shim's exit code when it died.
  virtual win32::HrStatus Launch(const ShimLaunch& launch, Deadline deadline) = 0;
  // One request to the container's shim, answered before `deadline`.
  // kHrShimGone when no shim serves the container; a response's own
  // failure is in its `code`.
  virtual win32::Result<runtime::shim::Response> Call(const std::string& id, const runtime::shim::Request& request,
                                                      Deadline deadline) = 0;
  // As Call, but only the answer may take until `answer_deadline` (an exec
  // without a timeout: Deadline::max()); reaching the shim and sending the
  // request keep `send_deadline`, so a shim that hangs before reading does
  // not hold the caller for ever.
  virtual win32::Result<runtime::shim::Response> CallWithAnswerDeadline(const std::string& id,
                                                                        const runtime::shim::Request& request,
                                                                        Deadline send_deadline,
                                                                        Deadline answer_deadline) = 0;
  // Opens a session (streamed exec, attach; IsSessionRequest): the request
  // is answered before `deadline`, the session itself has no deadline.
  // Destroying the connection ends the session from silod's side.
  virtual win32::Result<ShimSession> OpenSession(const std::string& id, const runtime::shim::Request& request,
                                                 Deadline deadline) = 0;
};

}  // namespace silo::runtime::windows::shim
