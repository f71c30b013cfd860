#include "runtime/linux/host_devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <cerrno>
#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {
namespace {

// A character or block device node's stat, as the device `path` in a container.
OciDevice FromStat(const std::string& path, const struct stat& st) {
  OciDevice d;
  d.path = path;
  d.type = S_ISCHR(st.st_mode) ? 'c' : 'b';
  d.major = major(st.st_rdev);
  d.minor = minor(st.st_rdev);
  d.file_mode = st.st_mode & 07777;
  d.uid = st.st_uid;
  d.gid = st.st_gid;
  return d;
}

}  // namespace

absl::StatusOr<std::vector<OciDevice>> ListHostDevices(const std::string& dev_dir) {
  std::vector<OciDevice> out;
  std::error_code ec;
  std::filesystem::recursive_directory_iterator it(dev_dir, std::filesystem::directory_options::skip_permission_denied,
                                                   ec);
  if (ec) return ErrnoToStatus(ec.value(), absl::StrCat("list devices under ", dev_dir));
  for (; it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    const std::string rel = it->path().lexically_relative(dev_dir).string();
    if (rel == "pts" || rel == "shm" || rel == "mqueue") {
      it.disable_recursion_pending();
      continue;
    }
    if (rel == "console") continue;
    struct stat st;
    if (::lstat(it->path().c_str(), &st) != 0) continue;
    if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) continue;
    out.push_back(FromStat(absl::StrCat("/dev/", rel), st));
  }
  return out;
}

absl::StatusOr<OciDevice> HostDevice(const std::string& host_path, const std::string& container_path,
                                     const std::string& access) {
  if (access.find_first_not_of("rwm") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("device ", host_path, ": permissions \"", access,
                                                   "\" are not a combination of r, w and m"));
  }
  if (container_path.empty() || container_path[0] != '/') {
    return absl::InvalidArgumentError(absl::StrCat("device ", host_path, ": container path \"", container_path,
                                                   "\" is not absolute"));
  }
  struct stat st;
  if (::stat(host_path.c_str(), &st) != 0) return ErrnoToStatus(errno, absl::StrCat("device ", host_path));
  if (!S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode)) {
    return absl::InvalidArgumentError(absl::StrCat("device ", host_path, " is not a device node"));
  }
  OciDevice d = FromStat(container_path, st);
  d.access = access.empty() ? "rwm" : access;
  return d;
}

}  // namespace silo::runtime::linux_backend
