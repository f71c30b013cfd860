#pragma once
// Which cgroup hierarchy the host runs. Our machines are hybrid (v1
// controllers plus an empty v2 mount at /sys/fs/cgroup/unified), where crun
// refuses to work and runc must be used.

#include <string>

#include "absl/status/statusor.h"

namespace silo::runtime::linux_backend {

enum class CgroupMode { kV1, kHybrid, kV2 };

const char* CgroupModeName(CgroupMode mode);

// Detects the mode from filesystem types under `root` (normally /sys/fs/cgroup).
absl::StatusOr<CgroupMode> DetectCgroupMode(const std::string& root = "/sys/fs/cgroup");

}  // namespace silo::runtime::linux_backend
