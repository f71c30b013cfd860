#pragma once
// StatsSource: the platform port the StatsSampler reads counters through.
// Linux: cgroupfs, the pod's network namespace, the overlay upper dir
// (linux_stats_source.h). Windows: Job Objects, HCS and HNS.
//
// Thread safety: implementations must allow calls from the sampler thread
// concurrently with ContainerGroup() from RPC threads.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/model/sandbox.h"
#include "runtime/stats/stats_types.h"

namespace silo::runtime::stats {

class StatsSource {
 public:
  virtual ~StatsSource() = default;

  // The group of a container of `sandbox` (Linux: "<pod cgroup>/<id>").
  virtual std::string ContainerGroup(const model::SandboxRecord& sandbox, const std::string& container_id) const = 0;
  // The group of the pod's own processes; empty = the pod has none.
  virtual std::string SandboxGroup(const model::SandboxRecord& sandbox) const { return sandbox.cgroup_path; }
  // True when the sandbox group holds the pod's containers too (a Linux pod
  // cgroup is their parent), so its counters are the pod's totals. False on
  // Windows, where each container is its own HCS silo job and the pod's Job
  // Object holds none of them: the sampler then makes the pod's totals the
  // sandbox group (the pause container) plus every running container, as
  // containerd's Windows podSandboxStats adds them up.
  virtual bool SandboxGroupHoldsContainers() const { return true; }
  // The CRI message family its pods' stats are reported in.
  virtual StatsFormat Format() const { return StatsFormat::kLinux; }
  // Counters of a group as named by ContainerGroup or SandboxGroup.
  // NotFound when the group does not exist (any more).
  virtual absl::StatusOr<GroupCounters> ReadGroup(const std::string& group) = 0;
  // Interfaces of the pod network namespace `netns` (loopback excluded).
  virtual absl::StatusOr<std::vector<InterfaceCounters>> ReadNetwork(const std::string& netns) = 0;
  // Usage of the container's writable layer; may walk a tree (slow timer).
  virtual absl::StatusOr<FsUsage> ReadWritableLayer(const std::string& container_id) = 0;
};

}  // namespace silo::runtime::stats
