#pragma once
// StatsSource on Linux:
//   groups     cgroupfs (cgroup_counters.h); a container's group is
//              "<pod cgroup>/<container id>", as container_spec.cc names it
//   network    /proc/thread-self/net/dev read by a short-lived thread that
//              setns()es into the pod's pinned netns, so silod's own threads
//              never change namespace
//   layer      a walk of <containers root>/<id>/upper (the overlay upper dir
//              LinuxContainerHost creates), summing allocated blocks and inodes
//
// Thread safety: stateless beyond configuration; all methods are thread-safe.

#include <string>

#include "runtime/linux/cgroup_counters.h"
#include "runtime/stats/stats_source.h"

namespace silo::runtime::linux_backend {

// The stats port's names, as this source implements it.
using stats::FsUsage;
using stats::GroupCounters;
using stats::InterfaceCounters;
using stats::StatsSource;

class LinuxStatsSource final : public StatsSource {
 public:
  // `containers_root` is LinuxContainerHostOptions::root_dir.
  LinuxStatsSource(CgroupCounters cgroups, std::string containers_root)
      : cgroups_(std::move(cgroups)), containers_root_(std::move(containers_root)) {}

  std::string ContainerGroup(const model::SandboxRecord& sandbox, const std::string& container_id) const override;
  absl::StatusOr<GroupCounters> ReadGroup(const std::string& group) override { return cgroups_.Read(group); }
  absl::StatusOr<std::vector<InterfaceCounters>> ReadNetwork(const std::string& netns) override;
  absl::StatusOr<FsUsage> ReadWritableLayer(const std::string& container_id) override;

 private:
  CgroupCounters cgroups_;
  std::string containers_root_;
};

// /proc/net/dev of the network namespace pinned at `netns_path`.
absl::StatusOr<std::string> ReadNetDevIn(const std::string& netns_path);

// Allocated bytes (st_blocks * 512, each inode once) and inode count of the
// tree under `dir`, not crossing mounts.
absl::StatusOr<FsUsage> DirectoryUsage(const std::string& dir);

}  // namespace silo::runtime::linux_backend
