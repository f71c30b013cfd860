#pragma once
// Path handling that cannot be steered outside a root directory by archive
// contents. Every walk is relative to an open directory fd and opens each
// component with O_NOFOLLOW|O_DIRECTORY, so neither ".." nor a symlink planted
// by an earlier entry can move it elsewhere; there is no string-based
// "resolve then open" window.
//
// Thread-compatible: plain functions over file descriptors.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace silo::image::layers {

// Owns one file descriptor; closes it on destruction.
class ScopedFd {
 public:
  ScopedFd() = default;
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept;
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd();

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// Splits an archive member name into components the way tar extracts it:
// leading "/" and "." components are dropped (an absolute name lands inside
// the root), empty components collapse. Any ".." component is rejected with
// InvalidArgument, even one that would stay inside, so no later step has to
// reason about it. An empty result means the root itself.
absl::StatusOr<std::vector<std::string>> SplitMemberPath(absl::string_view name);

// Opens (O_RDONLY|O_DIRECTORY) the directory `components` below `root_fd`.
// With `create`, missing components are made with mode 0755. A component that
// is a symlink or not a directory is FailedPrecondition naming it.
absl::StatusOr<ScopedFd> OpenDirBeneath(int root_fd, absl::Span<const std::string> components, bool create);

// Removes `name` inside `dir_fd` and, if it is a directory, everything under
// it, without following symlinks. A missing `name` is OK.
absl::Status RemoveTreeAt(int dir_fd, const std::string& name);

// RemoveTreeAt on an absolute or relative path. A missing path is OK.
absl::Status RemoveTree(const std::string& path);

}  // namespace silo::image::layers
