#pragma once
// The host's device nodes, for privileged containers (which see every host
// device, as with containerd and Docker). Reads the filesystem only;
// thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/linux/oci_spec.h"

namespace silo::runtime::linux_backend {

// Every character and block device under `dev_dir` (recursively; symlinks
// not followed), with the path it has under /dev in the container. Skips
// what the runtime mounts itself (/dev/pts, /dev/shm, /dev/mqueue) and
// /dev/console (owned by the runtime's terminal handling). Unreadable
// entries are skipped: the list is best effort, like containerd's.
absl::StatusOr<std::vector<OciDevice>> ListHostDevices(const std::string& dev_dir = "/dev");

}  // namespace silo::runtime::linux_backend
