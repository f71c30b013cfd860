#include "image/layers/overlay_file.h"

#include "absl/strings/str_cat.h"

namespace silo::image::layers {

absl::StatusOr<std::string> ReadOverlayFile(const std::vector<std::string>&, const std::string& dir,
                                            const std::string& name, int64_t) {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot read /", dir, "/", name, " of a Linux image: Linux images do not run on a Windows node"));
}

}  // namespace silo::image::layers
