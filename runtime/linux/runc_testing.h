#pragma once
// Test support: a throw-away OCI bundle whose rootfs is busybox-static with
// hard links for a few applets (Debian's busybox-static runs `sh -c` applets
// in-process; hard links make `sleep`, `cat` ... real executables). Owns a
// temp directory and removes it on destruction. Not thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "runtime/linux/oci_spec.h"

namespace silo::runtime::linux_backend::testing {

class BusyboxBundle {
 public:
  // Creates /tmp/silo-bundle-XXXXXX/{rootfs,config.json}. `input.rootfs` is
  // filled in; its namespaces default to fresh ones (no host network).
  static absl::StatusOr<BusyboxBundle> Create(OciSpecInput input);
  BusyboxBundle(BusyboxBundle&& other) noexcept : dir_(std::move(other.dir_)) { other.dir_.clear(); }
  ~BusyboxBundle();

  const std::string& dir() const { return dir_; }
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

 private:
  explicit BusyboxBundle(std::string dir) : dir_(std::move(dir)) {}
  std::string dir_;
};

// A container id unique to this test run, e.g. "silo-test-1a2b3c4d5e6f".
std::string UniqueContainerId();

// True when cgroup `relative` (e.g. "/silo-test-x") exists under the v1 pids
// controller or the unified hierarchy.
bool CgroupExists(const std::string& relative);

}  // namespace silo::runtime::linux_backend::testing
