#pragma once
// The process part of an OCI image config ("config": Entrypoint, Cmd, Env,
// ...) that containers are built from. Parsed once when the image is pulled
// and kept with its record, so CreateContainer never re-reads the blob.
// Plain data and pure functions; thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::image {

struct ImageConfig {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;  // "KEY=value"
  std::string working_dir;
  std::string user;  // as written: "uid", "uid:gid", "name", ...; on Windows an account name
  std::string stop_signal;
  // Docker's (non-OCI) ArgsEscaped: on Windows images, Entrypoint/Cmd[0] is
  // a whole command line already escaped (shell-form CMD), not a program name.
  bool args_escaped = false;
  std::string os;  // the document's top-level "os", e.g. "linux", "windows"

  bool IsWindows() const { return os == "windows"; }
  friend bool operator==(const ImageConfig&, const ImageConfig&) = default;
};

// Parses an image config document; absent fields stay empty.
// InvalidArgument for text that is not a JSON object.
absl::StatusOr<ImageConfig> ParseImageConfig(const std::string& config_json);

// The form kept in the metadata database, and back. Unknown keys are
// ignored, missing ones stay empty.
nlohmann::json ImageConfigToJson(const ImageConfig& config);
ImageConfig ImageConfigFromJson(const nlohmann::json& json);

}  // namespace silo::image
