#pragma once
// Small blocking-socket helpers shared by the SPDY and WebSocket connections
// (POSIX fds; the Beast socket hands its fd over after the HTTP upgrade).

#include <string_view>

#include "absl/time/time.h"

namespace silo::cri::streaming {

// Writes all of `data`; false if the peer is gone. Never raises SIGPIPE.
bool SendAll(int fd, std::string_view data);

enum class WaitResult { kReadable, kTimeout, kError };
// Waits up to `timeout` for `fd` to become readable.
WaitResult WaitReadable(int fd, absl::Duration timeout);

}  // namespace silo::cri::streaming
