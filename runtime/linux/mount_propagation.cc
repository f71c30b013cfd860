#include "runtime/linux/mount_propagation.h"

#include <climits>
#include <cstdlib>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::linux_backend {
namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(absl::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      out.push_back(static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool Covers(const std::string& mount_point, const std::string& path) {
  if (mount_point == "/") return true;
  return path == mount_point || absl::StartsWith(path, mount_point + "/");
}

}  // namespace

absl::StatusOr<MountPoint> MountPointIn(const std::string& mountinfo, const std::string& path) {
  MountPoint best;
  bool found = false;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n', absl::SkipEmpty())) {
    // id parent major:minor root mount-point options [optional...] - fstype ...
    std::vector<absl::string_view> f = absl::StrSplit(line, ' ');
    if (f.size() < 7) continue;
    std::string mount_point = Unescape(f[4]);
    if (!Covers(mount_point, path) || (found && mount_point.size() < best.path.size())) continue;
    MountPoint m;
    m.path = mount_point;
    for (size_t i = 6; i < f.size() && f[i] != "-"; ++i) {
      if (absl::StartsWith(f[i], "shared:")) m.shared = true;
      if (absl::StartsWith(f[i], "master:")) m.slave = true;
    }
    best = m;
    found = true;
  }
  if (!found) return absl::NotFoundError(absl::StrCat("no mount holds ", path));
  return best;
}

absl::StatusOr<MountPoint> LookupMountPoint(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return ErrnoToStatus(errno, absl::StrCat("resolve ", path));
  SILO_ASSIGN_OR_RETURN(std::string mountinfo, ReadFile("/proc/self/mountinfo"));
  return MountPointIn(mountinfo, resolved);
}

}  // namespace silo::runtime::linux_backend
