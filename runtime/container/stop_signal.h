#pragma once
// The signal StopContainer sends first: the image config's StopSignal
// ("SIGQUIT", "QUIT", "3", "SIGRTMIN+3", any case), SIGTERM when unset, as
// Docker and containerd parse it. Pure; thread-safe.

#include <string>

#include "absl/status/statusor.h"

namespace silo::runtime::container {

// SIGTERM for "". InvalidArgument naming the text for an unknown name or a
// number outside 1..SIGRTMAX.
absl::StatusOr<int> ParseStopSignal(const std::string& text);

}  // namespace silo::runtime::container
