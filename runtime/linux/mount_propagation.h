#pragma once
// Where a host path is mounted and how that mount propagates, from
// /proc/self/mountinfo: what a CRI volume with HOST_TO_CONTAINER (needs a
// shared or slave source) or BIDIRECTIONAL (needs a shared one) propagation
// checks before the container is created. The host's own propagation is never
// changed here (as containerd). Parsing is pure; Lookup reads the file.
// Thread-safe.

#include <string>

#include "absl/status/statusor.h"

namespace silo::runtime::linux_backend {

struct MountPoint {
  std::string path;     // the mount point holding the looked-up path
  bool shared = false;  // "shared:N" among the optional fields
  bool slave = false;   // "master:N"
};

// The mount with the longest mount point that is `path` or one of its parents
// (the last such line wins, as later mounts cover earlier ones). `path` must
// be absolute and already resolved. NotFound when no line matches.
absl::StatusOr<MountPoint> MountPointIn(const std::string& mountinfo, const std::string& path);

// MountPointIn over this process's mountinfo, for `path` resolved through
// symlinks (realpath).
absl::StatusOr<MountPoint> LookupMountPoint(const std::string& path);

}  // namespace silo::runtime::linux_backend
