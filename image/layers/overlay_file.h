#pragma once
// Reading one file of a Linux image through its overlay snapshot layers, as
// the container will see it: the topmost layer that has it wins, and a
// whiteout (0/0 character device), a non-directory parent or an opaque
// parent directory hides the layers below. Used to look up the image's own
// /etc/passwd and /etc/group. One implementation per platform
// (overlay_file_linux.cc over lstat/xattrs; overlay_file_win32.cc refuses: a
// Windows node runs no Linux image). Thread-safe.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace silo::image::layers {

// The content of <dir>/<name> over `layer_dirs` (lowest first); "" when the
// file is absent or hidden. InvalidArgument when it is larger than
// `max_bytes`.
absl::StatusOr<std::string> ReadOverlayFile(const std::vector<std::string>& layer_dirs, const std::string& dir,
                                            const std::string& name, int64_t max_bytes);

}  // namespace silo::image::layers
