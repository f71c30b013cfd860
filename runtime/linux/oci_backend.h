#pragma once
// The Linux development backend: containers as OCI bundles run by runc (or
// crun where the host is cgroup v2 only).

#include <string>

#include "runtime/compute_backend.h"
#include "runtime/linux/cgroup_mode.h"

namespace silo::runtime::linux_backend {

class OciBackend final : public ComputeBackend {
 public:
  // `binary` is a name looked up in PATH or an absolute path.
  OciBackend(std::string binary, std::string cgroup_root = "/sys/fs/cgroup")
      : binary_(std::move(binary)), cgroup_root_(std::move(cgroup_root)) {}

  std::string Name() const override { return binary_; }
  absl::Status Ready() const override;

  // Absolute path of the runtime binary, or NotFound.
  absl::StatusOr<std::string> ResolveBinary() const;

 private:
  std::string binary_;
  std::string cgroup_root_;
};

}  // namespace silo::runtime::linux_backend
