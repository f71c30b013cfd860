#pragma once
// Pod cgroups on cgroupfs: one directory per pod sandbox under a parent the
// operator chooses (default "silo"), so containers of the pod are accounted
// and limited together.
//
//   v1 and hybrid  <root>/<controller>/<parent>/<pod id> for each controller
//                  (cpu, memory, pids by default; the v2 mount of a hybrid
//                  host is left alone, as runc does)
//   v2             <root>/<parent>/<pod id>, with the controllers enabled in
//                  the parent's cgroup.subtree_control
//
// Contract: Create is idempotent (an existing directory is reused) and removes
// what it made if a later controller fails. Remove is idempotent and fails
// with FailedPrecondition naming the cgroup when processes remain in it.
// Thread safety: the object is immutable after Open; methods are thread-safe.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "runtime/linux/cgroup_mode.h"

namespace silo::runtime::linux_backend {

class PodCgroups {
 public:
  struct Options {
    std::string root = "/sys/fs/cgroup";
    std::string parent = "silo";  // relative to each hierarchy's root
    std::vector<std::string> controllers = {"cpu", "memory", "pids"};
  };

  // Detects the cgroup mode under options.root. InvalidArgument for a parent
  // that is absolute or contains "..".
  static absl::StatusOr<PodCgroups> Open(Options options);

  // Creates the pod's cgroup; returns its path relative to the hierarchy
  // root ("/<parent>/<id>"), the cgroupsPath runc expects.
  absl::StatusOr<std::string> Create(const std::string& pod_id) const;
  absl::Status Remove(const std::string& pod_id) const;
  // Pod ids with a cgroup under the parent in any of the hierarchies.
  absl::StatusOr<std::vector<std::string>> List() const;

  // Absolute directories of the pod's cgroup (one per hierarchy used).
  std::vector<std::string> Dirs(const std::string& pod_id) const;

  CgroupMode mode() const { return mode_; }

 private:
  PodCgroups(Options options, CgroupMode mode) : options_(std::move(options)), mode_(mode) {}
  std::vector<std::string> ParentDirs() const;

  Options options_;
  CgroupMode mode_;
};

}  // namespace silo::runtime::linux_backend
