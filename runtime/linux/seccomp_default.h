#pragma once
// Seccomp for containers: the default profile used for CRI's
// RuntimeDefault, Localhost profile files, and whether the OCI runtime can
// apply seccomp at all.
//
// The default profile is an allow-list in the manner of Docker's default:
// everything not listed fails with EPERM (SCMP_ACT_ERRNO); listed are the
// syscalls ordinary programs need. Left out are those that change the node
// or escape the container (mount, reboot, module loading, kexec, swap,
// clock setting, bpf, perf, keyrings, ptrace, namespace creation, ...).
// clone is allowed only without namespace flags; clone3 answers ENOSYS so
// libcs fall back to clone. A container holding a capability gets the
// syscalls that capability governs, as in Docker's profile; the kernel's
// capability checks still apply on top.
//
// DefaultSeccompProfile is pure; the others read files or run the runtime.
// Thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::linux_backend {

// The linux.seccomp object of the default profile for a container without
// capabilities beyond runc's defaults.
const nlohmann::json& DefaultSeccompProfile();

// The default profile plus Docker's capability-conditional rules for
// `capabilities` ("CAP_*" names, the container's effective set): e.g. with
// CAP_SYS_ADMIN, sethostname, setdomainname, mount, unshare, setns and clone
// with namespace flags; with CAP_SYS_TIME, clock_settime; with
// CAP_SYS_PTRACE, ptrace.
nlohmann::json DefaultSeccompProfileFor(const std::vector<std::string>& capabilities);

// A Localhost profile: the file's JSON object as linux.seccomp. Must be an
// object with a "defaultAction". InvalidArgument otherwise (naming the file),
// NotFound when missing.
absl::StatusOr<nlohmann::json> LoadSeccompProfile(const std::string& path);

// Whether `runc features` reports linux.seccomp.enabled; runc versions
// without `features` count as supported when `runc --version` names a
// libseccomp. Cached per binary for the life of the process.
bool RuntimeSupportsSeccomp(const std::string& runc_binary);

}  // namespace silo::runtime::linux_backend
