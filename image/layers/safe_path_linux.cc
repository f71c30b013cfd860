#include "image/layers/safe_path.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"

namespace silo::image::layers {

ScopedFd& ScopedFd::operator=(ScopedFd&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ScopedFd::~ScopedFd() {
  if (fd_ >= 0) ::close(fd_);
}

absl::StatusOr<std::vector<std::string>> SplitMemberPath(absl::string_view name) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(name, '/', absl::SkipEmpty())) {
    if (part == ".") continue;
    if (part == "..") {
      return absl::InvalidArgumentError(absl::StrCat("path \"", name, "\" contains a \"..\" component"));
    }
    out.emplace_back(part);
  }
  return out;
}

absl::StatusOr<ScopedFd> OpenDirBeneath(int root_fd, absl::Span<const std::string> components, bool create) {
  ScopedFd current(::fcntl(root_fd, F_DUPFD_CLOEXEC, 0));
  if (!current.valid()) return ErrnoToStatus(errno, "dup root directory fd");
  std::string walked;
  for (const std::string& part : components) {
    absl::StrAppend(&walked, walked.empty() ? "" : "/", part);
    constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(current.get(), part.c_str(), kFlags);
    if (fd < 0 && errno == ENOENT && create) {
      if (::mkdirat(current.get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
        return ErrnoToStatus(errno, absl::StrCat("mkdir \"", walked, "\""));
      }
      fd = ::openat(current.get(), part.c_str(), kFlags);
    }
    if (fd < 0) {
      int err = errno;
      struct stat st;
      if ((err == ELOOP || err == ENOTDIR) &&
          ::fstatat(current.get(), part.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0) {
        return absl::FailedPreconditionError(absl::StrCat(
            "parent \"", walked, "\" is ", S_ISLNK(st.st_mode) ? "a symlink" : "not a directory",
            "; refusing to write through it"));
      }
      return ErrnoToStatus(err, absl::StrCat("open directory \"", walked, "\""));
    }
    current = ScopedFd(fd);
  }
  return current;
}

absl::Status RemoveTreeAt(int dir_fd, const std::string& name) {
  struct stat st;
  if (::fstatat(dir_fd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(errno, absl::StrCat("stat \"", name, "\" for removal"));
  }
  if (!S_ISDIR(st.st_mode)) {
    if (::unlinkat(dir_fd, name.c_str(), 0) != 0 && errno != ENOENT) {
      return ErrnoToStatus(errno, absl::StrCat("unlink \"", name, "\""));
    }
    return absl::OkStatus();
  }
  int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == EACCES) {
    // A layer may ship a 0000 directory; without CAP_DAC_OVERRIDE we must
    // open it up before we can empty it.
    ::fchmodat(dir_fd, name.c_str(), 0700, 0);
    fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  }
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open \"", name, "\" for removal"));
  DIR* dir = ::fdopendir(fd);
  if (dir == nullptr) {
    int err = errno;
    ::close(fd);
    return ErrnoToStatus(err, absl::StrCat("fdopendir \"", name, "\""));
  }
  // Collect first: unlinking while iterating a DIR stream may skip entries.
  std::vector<std::string> children;
  while (struct dirent* de = ::readdir(dir)) {
    std::string child = de->d_name;
    if (child != "." && child != "..") children.push_back(std::move(child));
  }
  absl::Status first;
  for (const std::string& child : children) {
    absl::Status s = RemoveTreeAt(::dirfd(dir), child);
    if (!s.ok() && first.ok()) first = Annotate(s, name);
  }
  ::closedir(dir);
  if (!first.ok()) return first;
  if (::unlinkat(dir_fd, name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("rmdir \"", name, "\""));
  }
  return absl::OkStatus();
}

absl::Status RemoveTree(const std::string& path) {
  std::string trimmed = path;
  while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
  size_t slash = trimmed.rfind('/');
  std::string parent = slash == std::string::npos ? "." : (slash == 0 ? "/" : trimmed.substr(0, slash));
  std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
  ScopedFd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!parent_fd.valid()) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoToStatus(errno, absl::StrCat("open \"", parent, "\""));
  }
  return Annotate(RemoveTreeAt(parent_fd.get(), name), absl::StrCat("remove tree ", path));
}

}  // namespace silo::image::layers
