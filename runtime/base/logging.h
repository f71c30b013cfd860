#pragma once
// Process-wide logging setup on spdlog. Text or JSON lines, to stderr or to a
// file rotated by size (containerd never rotates its own log; operators on
// Windows nodes end up with multi-GiB files).

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "spdlog/spdlog.h"

namespace silo {

struct LogOptions {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text or json
  std::string file;             // empty: stderr
  uint64_t max_size_bytes = 100ull << 20;
  int max_files = 5;
};

// Parses a level name; InvalidArgument names the accepted values.
absl::Status ParseLogLevel(const std::string& name, spdlog::level::level_enum* out);

// Installs the default logger. Safe to call again (e.g. after config reload).
absl::Status SetupLogging(const LogOptions& options);

}  // namespace silo
