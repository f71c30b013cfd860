#pragma once
// The bounds every Windows monitor puts on an exec's output, HCS containers
// and HostProcess containers alike (containerd and hcsshim's values).

#include <chrono>
#include <cstddef>

namespace silo::runtime::windows::shim {

// CRI's ExecSync cap per stream; longer output is read and dropped.
inline constexpr size_t kMaxExecOutputBytes = 16u << 20;

// After a process exits, how long its output may still take to reach end of
// stream: a child it left behind can hold the pipe open for ever (hcsshim's
// CopyAfterExitTimeout).
inline constexpr std::chrono::seconds kCopyAfterExit{1};

}  // namespace silo::runtime::windows::shim
