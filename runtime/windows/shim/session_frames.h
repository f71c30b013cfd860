#pragma once
// Interactive sessions (streamed exec, attach) between silod and a Windows
// monitor. Windows passes no handles over a pipe, so the monitor relays the
// process's stdio itself: after the framed protocol's first response, the
// same connection carries session frames both ways until the session ends.
//
//   frame = 1 byte type | 4-byte big-endian payload length | payload
//   silod -> monitor: kStdin (bytes), kStdinEof, kResize (width, height as
//                     two big-endian uint16)
//   monitor -> silod: kStdout, kStderr (bytes), then exactly one of kExit
//                     (8-byte big-endian exit code; for attach: the main
//                     process's output ended) or kFailed (a message)
// Closing the connection from silod's side means the client went away: an
// exec process is then terminated, an attach detaches.
//
// Duplex is the connection: a named pipe on Windows (pipe_duplex_win32.h),
// an in-memory pair in the Linux tests (memory_duplex.h). Standard library
// only, so the mingw monitor and silod share it. SessionWriter serialises
// writers; one reader at a time.

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "runtime/shim/core/protocol_codec.h"

namespace silo::runtime::windows::shim {

class Duplex {
 public:
  virtual ~Duplex() = default;
  // Up to `len` bytes: the count, 0 when the peer closed, -1 on error or
  // after CancelRead.
  virtual int64_t Read(char* buf, size_t len) = 0;
  // All of `data`, or false (the peer is gone). May run beside a Read.
  virtual bool Write(std::string_view data) = 0;
  // Makes a pending and every later Read return -1; writes still go out, so
  // the peer reads what was written before.
  virtual void CancelRead() = 0;
};

enum class SessionFrameType : uint8_t {
  kStdin = 1,
  kStdinEof = 2,
  kResize = 3,
  kStdout = 4,
  kStderr = 5,
  kExit = 6,
  kFailed = 7,
};

// Payloads above this are refused (a writer splits its data).
inline constexpr uint32_t kMaxSessionPayload = 64 * 1024;

struct SessionFrame {
  SessionFrameType type = SessionFrameType::kStdin;
  std::string payload;
};

std::string EncodeSessionFrame(SessionFrameType type, std::string_view payload);
std::string ResizePayload(uint16_t width, uint16_t height);
bool ParseResize(std::string_view payload, uint16_t* width, uint16_t* height);
std::string ExitPayload(int64_t exit_code);
bool ParseExit(std::string_view payload, int64_t* exit_code);

// Reads one frame: nullopt at end of stream, on a read error, an unknown
// type or an oversized payload (the session is then over).
std::optional<SessionFrame> ReadSessionFrame(Duplex& conn);

// Exec with `stream`, or attach: the requests that open a session.
bool IsSessionRequest(const runtime::shim::Request& request);

// How a monitor answers a session request: the response, written first;
// when it is OK, `run` then serves the session on the connection's thread
// (the transport calls it even if writing the response failed, so the
// session notices the broken connection and cleans up).
struct SessionStart {
  runtime::shim::Response response;
  std::function<void(Duplex& conn)> run;  // null when the response is an error
};

// Writes frames from several threads; data is split into payloads of at
// most kMaxSessionPayload. False once a write failed (and ever after).
class SessionWriter {
 public:
  explicit SessionWriter(Duplex& conn) : conn_(conn) {}
  bool Send(SessionFrameType type, std::string_view payload = {});

 private:
  Duplex& conn_;
  std::mutex mu_;
  bool broken_ = false;  // guarded by mu_
};

}  // namespace silo::runtime::windows::shim
