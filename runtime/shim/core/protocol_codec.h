#pragma once
// The framed protocol between silod and silo-shim, without transport: the
// messages, their JSON encoding and the frame prefix. A frame is a 4-byte
// big-endian payload length followed by that many bytes of JSON. Standard
// library and nlohmann-json only, so the Linux shim (AF_UNIX, protocol.h
// adds absl::Status and descriptor I/O) and the Windows monitor (a named
// pipe) speak exactly the same bytes. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

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

// kStart is last so existing wire names keep their meaning; it starts a
// shim launched with --create-only (CRI CreateContainer, then StartContainer).
enum class Op { kState, kKill, kWait, kExec, kAttach, kResize, kCloseStdin, kReopenLog, kShutdown, kStart };

// Wire name of an op ("state", "kill", ...), and its inverse.
const char* OpName(Op op);
std::optional<Op> OpFromName(std::string_view name);

// mingw's <cstdio> defines `stdin` as a macro; the field keeps its wire
// name, and Windows code reads it through RequestWantsStdin.
#pragma push_macro("stdin")
#undef stdin
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
  // exec: 0 = no timeout, on expiry the process is killed. wait (Windows
  // monitors): 0 = none, on expiry DeadlineExceeded.
  int64_t timeout_ms = 0;
  // exec: interactive (CRI Exec) rather than ExecSync. On Linux the first
  // response carries the caller's ends of the process's stdio as SCM_RIGHTS
  // descriptors (fd_passing.h): the pty master with `tty`, else [stdin write
  // end if `stdin`,] stdout read end, stderr read end. A second response on
  // the same connection carries the exit code. Output is not captured.
  bool stream = false;
  // exec on a Windows monitor: the HCS ProcessParameters JSON silod built
  // from args/env/cwd (it owns the command-line quoting rules); the monitor
  // runs exactly that. Empty on Linux.
  std::string process;
  // resize: terminal size in characters; exec with tty on a Windows monitor:
  // the console's first size (0: the monitor's default).
  uint32_t width = 0;
  uint32_t height = 0;
};
inline bool RequestWantsStdin(const Request& r) { return r.stdin; }
inline void SetRequestStdin(Request& r, bool open) { r.stdin = open; }
#pragma pop_macro("stdin")

struct Response {
  // The version the sender speaks: this build's when encoding; a response
  // without one decodes as kUnversionedShim.
  int version = kProtocolVersion;
  int code = 0;  // a gRPC (= absl::StatusCode) status code, 0..16; 0 is OK
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

// gRPC codes the Windows monitor answers with (absl::StatusCode values).
inline constexpr int kCodeInvalidArgument = 3;
inline constexpr int kCodeDeadlineExceeded = 4;
inline constexpr int kCodeNotFound = 5;
inline constexpr int kCodeFailedPrecondition = 9;
inline constexpr int kCodeInternal = 13;
inline constexpr int kCodeUnavailable = 14;

std::string EncodeRequest(const Request& request);
std::string EncodeResponse(const Response& response);
// False with `error` set when `json` is not a valid message.
bool DecodeRequestJson(std::string_view json, Request* request, std::string* error);
bool DecodeResponseJson(std::string_view json, Response* response, std::string* error);

// Length prefix + payload.
std::string EncodeFrame(std::string_view payload);
// The payload length a 4-byte prefix announces.
uint32_t DecodeFrameLength(const char prefix[4]);

// Standard base64 with padding (RFC 4648); Decode also takes it unpadded and
// fails on any other character.
std::string Base64Encode(std::string_view data);
bool Base64Decode(std::string_view text, std::string* out);

}  // namespace silo::runtime::shim
