#include "runtime/linux/pod_cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::linux_backend {
namespace {

absl::Status ValidateId(const std::string& id) {
  if (id.empty() || id == "." || id == ".." || id.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("invalid pod cgroup name \"", id, "\""));
  }
  return absl::OkStatus();
}

// Writes to a cgroupfs control file (cannot be replaced by rename).
absl::Status WriteControl(const std::string& path, const std::string& value) {
  FILE* f = ::fopen(path.c_str(), "we");
  if (f == nullptr) return ErrnoToStatus(errno, absl::StrCat("open ", path));
  bool ok = ::fputs(value.c_str(), f) >= 0;
  int err = errno;
  if (::fclose(f) != 0 && ok) {
    ok = false;
    err = errno;
  }
  if (!ok) return ErrnoToStatus(err, absl::StrCat("write \"", value, "\" to ", path));
  return absl::OkStatus();
}

absl::Status RemoveDir(const std::string& dir) {
  if (::rmdir(dir.c_str()) == 0 || errno == ENOENT) return absl::OkStatus();
  int err = errno;
  if (err == EBUSY) {
    auto procs = ReadFile(dir + "/cgroup.procs");
    std::string pids = procs.ok() ? std::string(absl::StripAsciiWhitespace(*procs)) : "?";
    absl::StrReplaceAll({{"\n", " "}}, &pids);
    return absl::FailedPreconditionError(
        absl::StrCat("remove cgroup ", dir, ": processes remain (", pids, ")"));
  }
  return ErrnoToStatus(err, absl::StrCat("rmdir ", dir));
}

}  // namespace

absl::StatusOr<PodCgroups> PodCgroups::Open(Options options) {
  if (options.parent.empty() || options.parent[0] == '/' || absl::StrContains(options.parent, "..")) {
    return absl::InvalidArgumentError(absl::StrCat("invalid cgroup parent \"", options.parent, "\""));
  }
  SILO_ASSIGN_OR_RETURN(CgroupMode mode, DetectCgroupMode(options.root));
  return PodCgroups(std::move(options), mode);
}

std::vector<std::string> PodCgroups::ParentDirs() const {
  std::vector<std::string> dirs;
  if (mode_ == CgroupMode::kV2) {
    dirs.push_back(absl::StrCat(options_.root, "/", options_.parent));
  } else {
    for (const auto& c : options_.controllers) dirs.push_back(absl::StrCat(options_.root, "/", c, "/", options_.parent));
  }
  return dirs;
}

std::vector<std::string> PodCgroups::Dirs(const std::string& pod_id) const {
  std::vector<std::string> dirs = ParentDirs();
  for (auto& d : dirs) d = absl::StrCat(d, "/", pod_id);
  return dirs;
}

absl::StatusOr<std::string> PodCgroups::Create(const std::string& pod_id) const {
  SILO_FAILPOINT("cgroup.pod_create");
  SILO_RETURN_IF_ERROR(ValidateId(pod_id));
  if (mode_ == CgroupMode::kV2) {
    // Children can use only controllers their parent enables for them.
    std::string enable;
    for (const auto& c : options_.controllers) absl::StrAppend(&enable, enable.empty() ? "" : " ", "+", c);
    std::string parent = absl::StrCat(options_.root, "/", options_.parent);
    SILO_RETURN_IF_ERROR(MakeDirs(parent, 0755));
    SILO_RETURN_IF_ERROR(WriteControl(options_.root + "/cgroup.subtree_control", enable));
    SILO_RETURN_IF_ERROR(WriteControl(parent + "/cgroup.subtree_control", enable));
  }
  std::vector<std::string> made;
  for (const auto& dir : Dirs(pod_id)) {
    absl::Status s = MakeDirs(dir, 0755);
    if (!s.ok()) {
      for (auto it = made.rbegin(); it != made.rend(); ++it) (void)RemoveDir(*it);
      return Annotate(s, absl::StrCat("create pod cgroup ", pod_id));
    }
    made.push_back(dir);
  }
  return absl::StrCat("/", options_.parent, "/", pod_id);
}

absl::Status PodCgroups::Remove(const std::string& pod_id) const {
  SILO_RETURN_IF_ERROR(ValidateId(pod_id));
  absl::Status first;
  for (const auto& dir : Dirs(pod_id)) {
    absl::Status s = RemoveDir(dir);
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

absl::StatusOr<std::vector<std::string>> PodCgroups::List() const {
  std::set<std::string> ids;
  for (const auto& parent : ParentDirs()) {
    std::error_code ec;
    std::filesystem::directory_iterator it(parent, ec);
    if (ec) {
      if (ec == std::errc::no_such_file_or_directory) continue;
      return ErrnoToStatus(ec.value(), absl::StrCat("list ", parent));
    }
    for (const auto& e : it) {
      if (e.is_directory(ec)) ids.insert(e.path().filename().string());
    }
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

}  // namespace silo::runtime::linux_backend
