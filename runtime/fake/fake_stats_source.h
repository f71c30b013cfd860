#pragma once
// A StatsSource for unit tests: every group reads the counters set with
// SetGroup (NotFound for others); networks and layers read what was set.

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/base/mutex.h"
#include "runtime/stats/stats_source.h"

namespace silo::runtime::fake {

class FakeStatsSource final : public stats::StatsSource {
 public:
  std::string ContainerGroup(const model::SandboxRecord& sandbox, const std::string& container_id) const override {
    return absl::StrCat(sandbox.cgroup_path, "/", container_id);
  }
  absl::StatusOr<stats::GroupCounters> ReadGroup(const std::string& group) override {
    silo::MutexLock lock(&mu_);
    auto it = groups_.find(group);
    if (it == groups_.end()) return absl::NotFoundError(absl::StrCat("group ", group, " not found"));
    return it->second;
  }
  absl::StatusOr<std::vector<stats::InterfaceCounters>> ReadNetwork(const std::string& netns) override {
    silo::MutexLock lock(&mu_);
    return networks_[netns];
  }
  absl::StatusOr<stats::FsUsage> ReadWritableLayer(const std::string& container_id) override {
    silo::MutexLock lock(&mu_);
    stats::FsUsage usage;
    usage.mountpoint = absl::StrCat("/fake/", container_id);
    usage.used_bytes = layer_bytes_;
    return usage;
  }

  void SetGroup(const std::string& group, stats::GroupCounters counters) {
    silo::MutexLock lock(&mu_);
    groups_[group] = std::move(counters);
  }
  void SetNetwork(const std::string& netns, std::vector<stats::InterfaceCounters> interfaces) {
    silo::MutexLock lock(&mu_);
    networks_[netns] = std::move(interfaces);
  }

 private:
  silo::Mutex mu_;
  std::map<std::string, stats::GroupCounters> groups_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<stats::InterfaceCounters>> networks_ ABSL_GUARDED_BY(mu_);
  uint64_t layer_bytes_ ABSL_GUARDED_BY(mu_) = 4096;
};

}  // namespace silo::runtime::fake
