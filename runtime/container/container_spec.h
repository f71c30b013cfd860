#pragma once
// The OCI spec input of a Linux container, from a CreateSpec: process (args,
// env, cwd, user, capabilities, no_new_privs, oom_score_adj), namespaces
// joined from the sandbox (its netns; ipc/uts pinned under `netns_dir`
// unless the pod uses the node's; new pid and mount), hostname, cgroupsPath
// under the pod cgroup, resources, and bind mounts for the pod's hosts,
// resolv.conf and hostname (those present in spec.sandbox_files_dir) and the
// CRI mounts (readonly honoured). Reads only whether the pod files exist;
// thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "runtime/container/container_host.h"
#include "runtime/linux/oci_spec.h"

namespace silo::runtime::container {

absl::StatusOr<linux_backend::OciSpecInput> BuildOciSpecInput(const CreateSpec& spec, const std::string& rootfs,
                                                              const std::string& netns_dir);

}  // namespace silo::runtime::container
