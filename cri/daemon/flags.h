#pragma once
// silod's command line. Flags override the config file so tests and scripts
// can run several daemons side by side.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::cri {

struct Flags {
  enum class Command { kServe, kPrintDefaultConfig, kVersion, kHelp };
  Command command = Command::kServe;
  std::string config_file;  // empty: built-in defaults
  std::optional<std::string> root, state, listen, log_level;
};

// Accepts "--flag value" and "--flag=value". InvalidArgument on anything else.
absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args);

const char* Usage();

}  // namespace silo::cri
