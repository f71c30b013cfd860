#include "image/content/reader_at.h"

#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo::image::content {

ReaderAt::ReaderAt(int fd, int64_t size, Digest digest) : fd_(fd), size_(size), digest_(std::move(digest)) {}

ReaderAt::ReaderAt(ReaderAt&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), digest_(std::move(other.digest_)) {}

ReaderAt& ReaderAt::operator=(ReaderAt&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    digest_ = std::move(other.digest_);
  }
  return *this;
}

ReaderAt::~ReaderAt() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<size_t> ReaderAt::ReadAt(int64_t offset, char* buf, size_t n) const {
  if (offset < 0) return absl::InvalidArgumentError(absl::StrCat("read blob ", digest_.String(), ": negative offset"));
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(fd_, buf + done, n - done, static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("read blob ", digest_.String(), " at offset ", offset));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
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
