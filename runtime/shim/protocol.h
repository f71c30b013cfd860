#pragma once
// The framed protocol between silod and silo-shim over a local AF_UNIX
// stream socket. A frame is a 4-byte big-endian payload length followed by
// that many bytes of JSON; frames larger than kMaxFrameSize are rejected
// before anything is allocated. One request gets one response, in order, on
// the same connection; `wait` holds its connection until the container exits,
// so callers use a separate connection for it.
//
// Everything here is pure or works on a caller-owned descriptor; thread-safe.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace silo::runtime::shim {

// Requests are small; responses may carry exec output (2 x 16 MiB, base64).
inline constexpr uint32_t kMaxFrameSize = 1u << 20;
inline constexpr uint32_t kMaxResponseFrameSize = 48u << 20;
// CRI's ExecSync cap per stream; longer output is truncated.
inline constexpr size_t kMaxExecOutput = 16u << 20;

// Protocol versions. silod starts shims from its own build, but the shims of
// running containers outlive silod upgrades, so silod reads every shim's
// version and never sends a shim what its version cannot understand: a
// feature added later gets a minimum version here, checked before use.
//   1: shims that report no version: every op of this file, streamed exec
//      included (every shim that ever ran a CRI container has it).
//   2: every response carries `version`.
inline constexpr int kUnversionedShim = 1;
inline constexpr int kProtocolVersion = 2;

using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

// kStart is last so existing wire names keep their meaning; it starts a
// shim launched with --create-only (CRI CreateContainer, then StartContainer).
enum class Op { kState, kKill, kWait, kExec, kAttach, kResize, kCloseStdin, kReopenLog, kShutdown, kStart };

// Wire name of an op ("state", "kill", ...), and its inverse.
const char* OpName(Op op);
std::optional<Op> OpFromName(absl::string_view name);

struct Request {
  Op op = Op::kState;
  // kill: signal number, and whether to signal every process of the container.
  int signal = 0;
  bool all = false;
  // exec: the process to run in the container.
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  bool tty = false;
  bool stdin = false;
  int64_t timeout_ms = 0;  // 0: no timeout; on expiry the process is killed
  // exec: interactive (CRI Exec) rather than ExecSync. The first response
  // carries the caller's ends of the process's stdio as SCM_RIGHTS
  // descriptors (fd_passing.h): the pty master with `tty`, else [stdin write
  // end if `stdin`,] stdout read end, stderr read end. A second response on
  // the same connection carries the exit code. Output is not captured.
  bool stream = false;
  // resize: terminal size in characters.
  uint32_t width = 0;
  uint32_t height = 0;
};

struct Response {
  // The version the sender speaks: this build's when encoding; a response
  // without one decodes as kUnversionedShim.
  int version = kProtocolVersion;
  absl::StatusCode code = absl::StatusCode::kOk;
  std::string message;
  // state / wait:
  std::string state;  // "created", "running" or "stopped"
  int pid = 0;
  bool exited = false;
  int exit_code = 0;
  int64_t exited_at_unix_nanos = 0;
  // exec: the process's output (binary-safe; base64 on the wire).
  std::string stdout_data;
  std::string stderr_data;
};

std::string EncodeRequest(const Request& request);
absl::StatusOr<Request> DecodeRequest(absl::string_view json);
std::string EncodeResponse(const Response& response);
absl::StatusOr<Response> DecodeResponse(absl::string_view json);

// A response carrying `status`'s code and message (and nothing else).
Response ErrorResponse(const absl::Status& status);
// The response's code and message as a Status (OK for kOk).
absl::Status ResponseStatus(const Response& response);

// Length prefix + payload. `payload` must not exceed kMaxFrameSize.
std::string EncodeFrame(absl::string_view payload);

// Incremental frame decoder for non-blocking readers. Not thread-safe.
class FrameDecoder {
 public:
  explicit FrameDecoder(uint32_t max_frame = kMaxFrameSize) : max_frame_(max_frame) {}
  // Adds received bytes. Fails (and stays failed) once a length prefix
  // exceeds kMaxFrameSize.
  absl::Status Append(absl::string_view data);
  // The next complete payload, if one is buffered.
  std::optional<std::string> Next();
  bool empty() const { return buffer_.empty(); }

 private:
  uint32_t max_frame_;
  std::string buffer_;
  bool failed_ = false;
};

// Blocking frame I/O on `fd` bounded by `deadline`: DeadlineExceeded on
// timeout, Unavailable when the peer closed the connection.
absl::Status WriteFrame(int fd, absl::string_view payload, Deadline deadline = kNoDeadline,
                        uint32_t max_frame = kMaxResponseFrameSize);
absl::StatusOr<std::string> ReadFrame(int fd, Deadline deadline = kNoDeadline, uint32_t max_frame = kMaxFrameSize);

}  // namespace silo::runtime::shim
