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

// One host device (symlinks followed) at `container_path`, with cgroup
// `access` ("r", "w", "m" in any combination; "" means "rwm"), for a CRI
// Device. InvalidArgument when `host_path` is not a device node or `access`
// has other letters; NotFound when it does not exist.
absl::StatusOr<OciDevice> HostDevice(const std::string& host_path, const std::string& container_path,
                                     const std::string& access);

}  // namespace silo::runtime::linux_backend
