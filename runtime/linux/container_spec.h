#pragma once
// The OCI spec input of a Linux container, from a CreateSpec: process (args,
// env, cwd, user, capabilities, no_new_privs, oom_score_adj), namespaces
// joined from the sandbox (its netns; ipc/uts pinned under `netns_dir`
// unless the pod uses the node's; new pid and mount), hostname, cgroupsPath
// under the pod cgroup, resources, and bind mounts for the pod's hosts,
// resolv.conf and hostname (those present in spec.sandbox_files_dir) and the
// CRI mounts (readonly honoured), the pod's sysctls (sysctls.h), privileged
// mode (the daemon's bounding capabilities, every host device, no masked
// paths; refused in a pod that is not privileged), the resolved supplementary groups plus the CRI
// supplemental_groups. Reads only whether the pod files exist and, for
// privileged containers, the host's /dev; thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "runtime/container/container_host.h"
#include "runtime/linux/oci_spec.h"

namespace silo::runtime::linux_backend {

using container::CreateSpec;

// CRI resources as OCI resources, zero meaning unset. InvalidArgument for
// values the kernel would refuse: cpu_period outside 1000..1000000 us,
// cpu_quota below 1000 us (other than -1), cpu_shares outside 2..262144,
// negative memory, swap (memory + swap) below the memory limit (other than
// -1), hugepage sizes not like "2MB", unified keys with a '/'.
absl::StatusOr<linux_backend::OciResources> ResourcesFromCri(const ::runtime::v1::LinuxContainerResources& res);

// Sets in->seccomp from the container's security context: RuntimeDefault
// (or the deprecated "runtime/default", "docker/default") -> the default
// profile when `runtime_supports_seccomp`, else none; Localhost (or
// "localhost/<path>") -> that absolute file, FailedPrecondition when the
// runtime cannot apply it; Unconfined, unset or privileged -> none.
// InvalidArgument for a relative Localhost path or an unknown profile.
absl::Status ApplySeccomp(const ::runtime::v1::ContainerConfig& config, bool runtime_supports_seccomp,
                          linux_backend::OciSpecInput* in);

absl::StatusOr<linux_backend::OciSpecInput> BuildOciSpecInput(const CreateSpec& spec, const std::string& rootfs,
                                                              const std::string& netns_dir);

}  // namespace silo::runtime::linux_backend
