#include "image/content/reader_at.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"

namespace silo::image::content {

ReaderAt::ReaderAt(File file, int64_t size, Digest digest)
    : file_(std::move(file)), size_(size), digest_(std::move(digest)) {}

absl::StatusOr<size_t> ReaderAt::ReadAt(int64_t offset, char* buf, size_t n) const {
  if (offset < 0) return absl::InvalidArgumentError(absl::StrCat("read blob ", digest_.String(), ": negative offset"));
  absl::StatusOr<size_t> got = file_.ReadAt(offset, buf, n);
  if (!got.ok()) return Annotate(got.status(), absl::StrCat("read blob ", digest_.String()));
  return got;
}

absl::StatusOr<std::string> ReaderAt::ReadAll(int64_t max_size) const {
  if (size_ > max_size) {
    return absl::ResourceExhaustedError(
        absl::StrCat("blob ", digest_.String(), " is ", size_, " bytes, more than the limit of ", max_size));
  }
  std::string out(static_cast<size_t>(size_), '\0');
  absl::StatusOr<size_t> got = ReadAt(0, out.data(), out.size());
  if (!got.ok()) return got.status();
  if (*got != out.size()) {
    return absl::DataLossError(
        absl::StrCat("blob ", digest_.String(), " is shorter than its recorded size ", size_, " (read ", *got, ")"));
  }
  return out;
}

}  // namespace silo::image::content
