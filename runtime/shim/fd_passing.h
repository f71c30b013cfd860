#pragma once
// Shim protocol frames that carry file descriptors (SCM_RIGHTS) over the
// shim's AF_UNIX stream socket. Interactive exec uses them so silod holds the
// process's stdio (or its pty master) directly: the shim stays out of the
// data path and never buffers a stream.
//
// Pure functions on caller-owned sockets; thread-safe.

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/shim/protocol.h"

namespace silo::runtime::shim {

// At most this many descriptors ride on one frame.
inline constexpr size_t kMaxPassedFds = 4;

// Writes EncodeFrame(payload) with `fds` attached to its first byte. The
// descriptors stay owned by the caller (the kernel duplicates them).
absl::Status WriteFrameWithFds(int fd, absl::string_view payload, const std::vector<int>& fds,
                               Deadline deadline = kNoDeadline);

// Reads exactly one frame and the descriptors that arrived with it; they are
// close-on-exec and owned by the caller from then on (also on error, when
// they are closed here). Reads no byte past the frame, so a following frame
// stays queued for ReadFrame.
absl::StatusOr<std::string> ReadFrameWithFds(int fd, std::vector<int>* fds, Deadline deadline = kNoDeadline,
                                             uint32_t max_frame = kMaxResponseFrameSize);

}  // namespace silo::runtime::shim
