#pragma once
// The parts of an OCI image config a container is built from, and the rules
// that merge them with a CRI ContainerConfig the way Docker and containerd
// do. Pure functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri.h"

namespace silo::runtime::container {

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
};

// Parses the "config" object of an image config document; absent fields stay
// empty. InvalidArgument for text that is not a JSON object.
absl::StatusOr<ImageConfig> ParseImageConfig(const std::string& config_json);

// The process arguments: CRI command replaces the image Entrypoint; CRI args
// replace the image Cmd, which is only used when the CRI command is empty too
// (containerd's rule). InvalidArgument when the result is empty.
absl::StatusOr<std::vector<std::string>> MergeArgs(const ::runtime::v1::ContainerConfig& config,
                                                   const ImageConfig& image);

// Whether args[0] of MergeArgs is a command line to pass through raw: the
// image sets ArgsEscaped and args[0] comes from the image's Entrypoint or Cmd,
// not from the CRI command/args (containerd's getArgs / firstArgFromImg).
// Only Windows hosts read it; Linux ignores ArgsEscaped, as containerd does.
bool FirstArgIsEscapedCommandLine(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image);

// Image env first, then the CRI envs; a CRI key replaces the image's value in
// place.
std::vector<std::string> MergeEnv(const ::runtime::v1::ContainerConfig& config, const ImageConfig& image);

// The resolved user (image_user.h resolves it).
struct NumericUser {
  uint32_t uid = 0;
  uint32_t gid = 0;
  std::vector<uint32_t> additional_gids;  // from the image's /etc/group
};

}  // namespace silo::runtime::container
