#include "runtime/linux/host_devices.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::runtime::linux_backend {

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
    OciDevice d;
    d.path = absl::StrCat("/dev/", rel);
    d.type = S_ISCHR(st.st_mode) ? 'c' : 'b';
    d.major = major(st.st_rdev);
    d.minor = minor(st.st_rdev);
    d.file_mode = st.st_mode & 07777;
    d.uid = st.st_uid;
    d.gid = st.st_gid;
    out.push_back(std::move(d));
  }
  return out;
}

}  // namespace silo::runtime::linux_backend
