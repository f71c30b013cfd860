#include "runtime/linux/oci_backend.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace silo::runtime::linux_backend {

absl::StatusOr<std::string> OciBackend::ResolveBinary() const {
  if (binary_.find('/') != std::string::npos) {
    if (::access(binary_.c_str(), X_OK) == 0) return binary_;
    return absl::NotFoundError(absl::StrCat("OCI runtime ", binary_, " is not an executable file"));
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (absl::string_view dir : absl::StrSplit(dirs, ':', absl::SkipEmpty())) {
    std::string candidate = absl::StrCat(dir, "/", binary_);
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return absl::NotFoundError(absl::StrCat("OCI runtime \"", binary_, "\" not found in PATH"));
}

absl::Status OciBackend::Ready() const {
  auto bin = ResolveBinary();
  if (!bin.ok()) return bin.status();
  auto mode = DetectCgroupMode(cgroup_root_);
  if (!mode.ok()) return mode.status();
  if (std::filesystem::path(*bin).filename() == "crun" && *mode != CgroupMode::kV2) {
    return absl::FailedPreconditionError(absl::StrCat(
        "crun does not support cgroup ", CgroupModeName(*mode), " hosts; set runtime.binary to runc"));
  }
  return absl::OkStatus();
}

}  // namespace silo::runtime::linux_backend
