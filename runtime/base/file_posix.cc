#include "runtime/base/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/file_util.h"

namespace silo {

absl::StatusOr<File> File::Open(const std::string& path, Access access) {
  int flags = access == Access::kRead ? O_RDONLY : O_RDWR | O_CREAT;
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open ", path));
  return File(fd, path);
}

bool File::is_open() const { return handle_ >= 0; }

void File::Close() {
  if (handle_ >= 0) ::close(static_cast<int>(handle_));
  handle_ = -1;
}

absl::StatusOr<size_t> File::ReadAt(int64_t offset, char* buf, size_t n) const {
  size_t done = 0;
  while (done < n) {
    ssize_t got = ::pread(static_cast<int>(handle_), buf + done, n - done, static_cast<off_t>(offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("read ", path_, " at offset ", offset + done));
    }
    if (got == 0) break;
    done += static_cast<size_t>(got);
  }
  return done;
}

absl::Status File::WriteAt(int64_t offset, absl::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(static_cast<int>(handle_), data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoToStatus(errno, absl::StrCat("write ", path_, " at offset ", offset + done));
    }
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> File::Size() const {
  struct stat st;
  if (::fstat(static_cast<int>(handle_), &st) != 0) return ErrnoToStatus(errno, absl::StrCat("stat ", path_));
  return static_cast<int64_t>(st.st_size);
}

absl::Status File::Truncate(int64_t size) {
  if (::ftruncate(static_cast<int>(handle_), static_cast<off_t>(size)) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("truncate ", path_, " to ", size));
  }
  return absl::OkStatus();
}

absl::Status File::Sync() {
  if (::fsync(static_cast<int>(handle_)) != 0) return ErrnoToStatus(errno, absl::StrCat("fsync ", path_));
  return absl::OkStatus();
}

absl::StatusOr<PathInfo> StatPath(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoToStatus(errno, absl::StrCat("stat ", path));
  return PathInfo{static_cast<int64_t>(st.st_size), absl::TimeFromTimespec(st.st_mtim), S_ISDIR(st.st_mode)};
}

absl::Status ReplaceFile(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoToStatus(errno, absl::StrCat("rename ", from, " to ", to));
  return absl::OkStatus();
}

void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

absl::Status SetReadOnly(const std::string& path, bool read_only) {
  if (::chmod(path.c_str(), read_only ? 0444 : 0644) != 0) return ErrnoToStatus(errno, absl::StrCat("chmod ", path));
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) != 0) return ErrnoToStatus(errno, absl::StrCat("remove ", path));
  return absl::OkStatus();
}

}  // namespace silo
