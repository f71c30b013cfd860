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
  // Counters of a group as named by ContainerGroup or SandboxRecord::cgroup_path.
  // NotFound when the group does not exist (any more).
  virtual absl::StatusOr<GroupCounters> ReadGroup(const std::string& group) = 0;
  // Interfaces of the pod network namespace `netns` (loopback excluded).
  virtual absl::StatusOr<std::vector<InterfaceCounters>> ReadNetwork(const std::string& netns) = 0;
  // Usage of the container's writable layer; may walk a tree (slow timer).
  virtual absl::StatusOr<FsUsage> ReadWritableLayer(const std::string& container_id) = 0;
};

}  // namespace silo::runtime::stats
