#pragma once
// The rules that merge an image's process config (image/image_config.h)
// with a CRI ContainerConfig the way Docker and containerd do. Pure
// functions; thread-safe.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cri/api/cri.h"
#include "image/image_config.h"

namespace silo::runtime::container {

// The image's process config, parsed at pull time (image/image_config.h).
using image::ImageConfig;
using image::ParseImageConfig;

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
