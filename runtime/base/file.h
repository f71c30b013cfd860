#pragma once
// File: an owned handle for positional reads and writes, and the few path
// operations durable stores need, with one implementation per platform
// (file_posix.cc: open/pread/pwrite/fsync/rename; file_win32.cc:
// CreateFileW on extended-length paths, ReadFile/WriteFile with an offset,
// FlushFileBuffers, MoveFileExW with MOVEFILE_WRITE_THROUGH). Errors name the
// operation and path and carry errno or the Win32 error code.
//
// A File keeps no position: ReadAt and WriteAt may be called from several
// threads on one File (WriteAt on disjoint ranges only). Move-only; the
// handle is closed on destruction.

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace silo {

class File {
 public:
  enum class Access {
    kRead,             // existing file, read only
    kReadWriteCreate,  // read and write, created (0644) if missing
  };
  static absl::StatusOr<File> Open(const std::string& path, Access access);

  File() = default;
  File(File&& other) noexcept;
  File& operator=(File&& other) noexcept;
  File(const File&) = delete;
  File& operator=(const File&) = delete;
  ~File();

  bool is_open() const;
  const std::string& path() const { return path_; }

  // Reads up to `n` bytes at `offset`; fewer only at end of file.
  absl::StatusOr<size_t> ReadAt(int64_t offset, char* buf, size_t n) const;
  // Writes all of `data` at `offset`.
  absl::Status WriteAt(int64_t offset, absl::string_view data);
  absl::StatusOr<int64_t> Size() const;
  // Cuts or extends the file to `size` bytes.
  absl::Status Truncate(int64_t size);
  // Flushes data and metadata to the device (fsync / FlushFileBuffers).
  absl::Status Sync();
  void Close();

 private:
  File(intptr_t handle, std::string path) : handle_(handle), path_(std::move(path)) {}
  intptr_t handle_ = -1;  // an fd, or a HANDLE; -1 = none (INVALID_HANDLE_VALUE)
  std::string path_;
};

struct PathInfo {
  int64_t size = 0;
  absl::Time modified;
  bool is_directory = false;
};
// NotFound when nothing is at `path`.
absl::StatusOr<PathInfo> StatPath(const std::string& path);

// Atomically replaces `to` with `from` (rename), durably: readers see the old
// or the new file, also after a crash. `from` and `to` are in one directory.
absl::Status ReplaceFile(const std::string& from, const std::string& to);

// Makes a rename or create inside `dir` durable (fsync of the directory on
// POSIX; on Windows ReplaceFile already wrote through, so nothing to do).
void SyncDirectory(const std::string& dir);

// Marks a file read-only (0444 / FILE_ATTRIBUTE_READONLY) or writable again
// (0644 / attribute cleared).
absl::Status SetReadOnly(const std::string& path, bool read_only);

// Removes a file, also a read-only one. NotFound when it does not exist.
absl::Status RemoveFile(const std::string& path);

}  // namespace silo
