#pragma once
// The kernel's count of OOM kills in one container cgroup, read before the
// cgroup is deleted so an exit can be reported as OOMKilled.
//
//   v1 / hybrid  <root>/memory/<cgroups_path>/memory.oom_control, "oom_kill N"
//   v2           <root>/<cgroups_path>/memory.events,             "oom_kill N"
//
// The v2 layout is chosen when <root>/cgroup.controllers exists. Reads only;
// thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace silo::runtime::linux_backend {

// The value of the `oom_kill` line of a memory.oom_control or memory.events
// text; 0 when the line is absent (kernels before 4.13). InvalidArgument for
// an unparsable value.
absl::StatusOr<uint64_t> ParseOomKillCount(absl::string_view text);

// NotFound when the cgroup (or its memory controller) does not exist.
absl::StatusOr<uint64_t> ReadOomKillCount(const std::string& cgroup_root, const std::string& cgroups_path);

}  // namespace silo::runtime::linux_backend
