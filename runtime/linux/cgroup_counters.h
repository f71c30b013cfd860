#pragma once
// Reads GroupCounters from cgroupfs, v1 (and hybrid, whose controllers are
// v1) or v2.
//
//   v1  cpuacct/<g>/cpuacct.usage (also a joint "cpu,cpuacct" mount)
//       memory/<g>/memory.usage_in_bytes, memory.stat (total_* keys:
//       hierarchical), memory.oom_control (oom_kill), hierarchical limit
//       pids/<g>/pids.current
//   v2  <g>/cpu.stat usage_usec, memory.current, memory.stat, memory.events,
//       memory.max, pids.current
//
// working set = usage - inactive file pages (never below 0), as cAdvisor and
// kubelet's eviction manager compute it.
// Thread safety: immutable after construction; Read is thread-safe.

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/linux/cgroup_mode.h"
#include "runtime/stats/stats_types.h"

namespace silo::runtime::linux_backend {

using stats::GroupCounters;
using stats::MemoryCounters;

class CgroupCounters {
 public:
  CgroupCounters(std::string root, linux_backend::CgroupMode mode) : root_(std::move(root)), mode_(mode) {}

  // `group` is relative to each hierarchy root ("/silo/<pod>/<ctr>").
  // NotFound when the group exists in none of the hierarchies read.
  absl::StatusOr<GroupCounters> Read(const std::string& group) const;

 private:
  absl::StatusOr<GroupCounters> ReadV1(const std::string& group) const;
  absl::StatusOr<GroupCounters> ReadV2(const std::string& group) const;
  // The directory of `group` in the v1 hierarchy holding `controller`, or ""
  // if neither the hierarchy nor the group exists.
  std::string V1Dir(absl::string_view controller, const std::string& group) const;

  std::string root_;
  linux_backend::CgroupMode mode_;
};

// "key value" lines (memory.stat, cpu.stat, memory.events); a missing key
// leaves *out alone and returns false.
bool FlatKeyedValue(absl::string_view text, absl::string_view key, uint64_t* out);

}  // namespace silo::runtime::linux_backend
