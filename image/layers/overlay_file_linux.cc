#include "image/layers/overlay_file.h"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::image::layers {
namespace {

bool IsWhiteout(const struct stat& st) { return S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0); }

bool IsOpaqueDir(const std::string& dir) {
  char value[2] = {0, 0};
  ssize_t n = ::lgetxattr(dir.c_str(), "trusted.overlay.opaque", value, sizeof(value));
  return n == 1 && value[0] == 'y';
}

}  // namespace

absl::StatusOr<std::string> ReadOverlayFile(const std::vector<std::string>& layer_dirs, const std::string& dir,
                                            const std::string& name, int64_t max_bytes) {
  for (auto it = layer_dirs.rbegin(); it != layer_dirs.rend(); ++it) {
    const std::string parent = absl::StrCat(*it, "/", dir);
    struct stat st;
    if (::lstat(parent.c_str(), &st) != 0) continue;  // this layer does not touch the directory
    if (!S_ISDIR(st.st_mode)) return std::string();   // whiteout or a file hides the lower ones
    const std::string path = absl::StrCat(parent, "/", name);
    if (::lstat(path.c_str(), &st) == 0) {
      if (!S_ISREG(st.st_mode) || IsWhiteout(st)) return std::string();
      if (st.st_size > max_bytes) {
        return absl::InvalidArgumentError(
            absl::StrCat("image file ", path, " is larger than ", max_bytes >> 20, " MiB"));
      }
      return silo::ReadFile(path);
    }
    if (IsOpaqueDir(parent)) return std::string();
  }
  return std::string();
}

}  // namespace silo::image::layers
