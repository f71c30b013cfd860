#pragma once
// The OCI runtime the runc handler runs containers with (runc, or crun where
// the host is cgroup v2 only): where its binary is, and whether the node can
// run containers with it (the handler's readiness).

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/linux/cgroup_mode.h"

namespace silo::runtime::linux_backend {

class OciBackend final {
 public:
  // `binary` is a name looked up in PATH or an absolute path.
  OciBackend(std::string binary, std::string cgroup_root = "/sys/fs/cgroup")
      : binary_(std::move(binary)), cgroup_root_(std::move(cgroup_root)) {}

  std::string Name() const { return binary_; }
  // OK when the binary exists and the cgroup hierarchy is usable; else why not.
  absl::Status Ready() const;

  // Absolute path of the runtime binary, or NotFound.
  absl::StatusOr<std::string> ResolveBinary() const;

 private:
  std::string binary_;
  std::string cgroup_root_;
};

}  // namespace silo::runtime::linux_backend
