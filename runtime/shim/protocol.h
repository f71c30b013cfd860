#pragma once
// The framed protocol between silod and silo-shim over a local AF_UNIX
// stream socket. The messages and their encoding are core/protocol_codec.h
// (shared with the Windows monitor); this file adds absl::Status and
// descriptor I/O. Frames larger than kMaxFrameSize are rejected before
// anything is allocated. One request gets one response, in order, on
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
#include "runtime/shim/core/protocol_codec.h"

namespace silo::runtime::shim {

using Deadline = std::chrono::steady_clock::time_point;
inline constexpr Deadline kNoDeadline = Deadline::max();

// EncodeRequest/EncodeResponse/EncodeFrame come from core/protocol_codec.h.
absl::StatusOr<Request> DecodeRequest(absl::string_view json);
absl::StatusOr<Response> DecodeResponse(absl::string_view json);

// A response carrying `status`'s code and message (and nothing else).
Response ErrorResponse(const absl::Status& status);
// The response's code and message as a Status (OK for kOk).
absl::Status ResponseStatus(const Response& response);

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
