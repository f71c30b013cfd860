#include "cri/daemon/flags.h"

#include "absl/strings/str_cat.h"

namespace silo::cri {

const char* Usage() {
  return "usage:\n"
         "  silod [--config FILE] [--root DIR] [--state DIR] [--listen ENDPOINT] [--log-level LEVEL]\n"
         "  silod config default     print the full default config as YAML\n"
         "  silod --version\n";
}

absl::StatusOr<Flags> ParseFlags(const std::vector<std::string>& args) {
  Flags f;
  if (args.size() == 2 && args[0] == "config" && args[1] == "default") {
    f.command = Flags::Command::kPrintDefaultConfig;
    return f;
  }
  if (!args.empty() && args[0] == "config") {
    return absl::InvalidArgumentError("unknown config command (want: silod config default)");
  }
  for (size_t i = 0; i < args.size(); ++i) {
    std::string name = args[i];
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos && name.rfind("--", 0) == 0) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (name == "--version" || name == "-v") {
      f.command = Flags::Command::kVersion;
      continue;
    }
    if (name == "--help" || name == "-h") {
      f.command = Flags::Command::kHelp;
      continue;
    }
    std::optional<std::string>* target = nullptr;
    std::optional<std::string> config;
    if (name == "--config") {
      target = &config;
    } else if (name == "--root") {
      target = &f.root;
    } else if (name == "--state") {
      target = &f.state;
    } else if (name == "--listen") {
      target = &f.listen;
    } else if (name == "--log-level") {
      target = &f.log_level;
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown argument \"", args[i], "\""));
    }
    if (!value) {
      if (i + 1 >= args.size()) return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      value = args[++i];
    }
    if (value->empty()) return absl::InvalidArgumentError(absl::StrCat(name, " must not be empty"));
    *target = *value;
    if (config) f.config_file = *config;
  }
  return f;
}

}  // namespace silo::cri
