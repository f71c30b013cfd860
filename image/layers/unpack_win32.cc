#include "image/layers/unpack.h"

#include "absl/strings/str_cat.h"

namespace silo::image::layers {
namespace {

absl::Status NotOnWindows(const std::string& target) {
  return absl::FailedPreconditionError(absl::StrCat(
      "cannot unpack a layer into ", target,
      ": Windows image layers are imported through WCIFS, which is not wired into the image store yet"));
}

}  // namespace

absl::StatusOr<UnpackStats> Unpack(ByteSource&, const std::string& target_dir, const UnpackOptions&) {
  return NotOnWindows(target_dir);
}

absl::StatusOr<UnpackStats> Unpack(int, const std::string& target_dir, const UnpackOptions&) {
  return NotOnWindows(target_dir);
}

absl::StatusOr<UnpackStats> UnpackToSnapshot(ByteSource&, const std::string& final_dir, const UnpackOptions&) {
  return NotOnWindows(final_dir);
}

}  // namespace silo::image::layers
