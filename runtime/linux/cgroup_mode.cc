#include "runtime/linux/cgroup_mode.h"

#include <sys/statfs.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {
namespace {
constexpr long kCgroup2Magic = 0x63677270;  // CGROUP2_SUPER_MAGIC
}

const char* CgroupModeName(CgroupMode mode) {
  switch (mode) {
    case CgroupMode::kV1:
      return "v1";
    case CgroupMode::kHybrid:
      return "hybrid";
    case CgroupMode::kV2:
      return "v2";
  }
  return "unknown";
}

absl::StatusOr<CgroupMode> DetectCgroupMode(const std::string& root) {
  struct statfs fs;
  if (::statfs(root.c_str(), &fs) != 0) return ErrnoToStatus(errno, absl::StrCat("statfs ", root));
  if (static_cast<long>(fs.f_type) == kCgroup2Magic) return CgroupMode::kV2;
  std::string unified = root + "/unified";
  if (::statfs(unified.c_str(), &fs) == 0 && static_cast<long>(fs.f_type) == kCgroup2Magic) {
    return CgroupMode::kHybrid;
  }
  return CgroupMode::kV1;
}

}  // namespace silo::runtime::linux_backend
