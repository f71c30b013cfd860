#include "image/layers/dir_usage.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace silo::image::layers {

namespace fs = std::filesystem;

absl::StatusOr<DirUsage> MeasureDir(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) {
    return absl::NotFoundError(absl::StrCat("measure ", dir, ": not a directory"));
  }
  DirUsage u;
  u.inodes = 1;  // the directory itself
  for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
       !ec && it != end; it.increment(ec)) {
    ++u.inodes;
    std::error_code sec;
    const fs::file_status st = it->symlink_status(sec);
    if (sec || !fs::is_regular_file(st)) continue;
    const uintmax_t size = it->file_size(sec);
    if (!sec) u.bytes += static_cast<int64_t>(size);
  }
  return u;
}

}  // namespace silo::image::layers
