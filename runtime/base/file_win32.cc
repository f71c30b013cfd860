#include "runtime/base/file.h"

#include <windows.h>
// windows.h maps ReplaceFile to ReplaceFileA; this file defines silo::ReplaceFile.
#undef ReplaceFile

#include <utility>

#include "absl/strings/str_cat.h"
#include "runtime/base/windows/long_path_win32.h"
#include "runtime/base/windows/win32_status.h"

namespace silo {
namespace {

HANDLE H(intptr_t h) { return reinterpret_cast<HANDLE>(h); }

// FILETIME counts 100 ns intervals since 1601-01-01 UTC.
absl::Time FromFileTime(const FILETIME& ft) {
  const int64_t ticks = (static_cast<int64_t>(ft.dwHighDateTime) << 32) | ft.dwLowDateTime;
  constexpr int64_t kUnixEpochTicks = 116444736000000000LL;
  return absl::FromUnixNanos((ticks - kUnixEpochTicks) * 100);
}

OVERLAPPED At(int64_t offset) {
  OVERLAPPED o = {};
  o.Offset = static_cast<DWORD>(offset & 0xffffffffu);
  o.OffsetHigh = static_cast<DWORD>(static_cast<uint64_t>(offset) >> 32);
  return o;
}

}  // namespace

absl::StatusOr<File> File::Open(const std::string& path, Access access) {
  const DWORD rights = access == Access::kRead ? GENERIC_READ : GENERIC_READ | GENERIC_WRITE;
  // Shared for delete too, as on POSIX: removing or renaming a blob or an
  // ingest does not wait for its readers.
  HANDLE h = CreateFileW(win32::LongPath(path).c_str(), rights, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE,
                         nullptr, access == Access::kRead ? OPEN_EXISTING : OPEN_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) return win32::LastErrorToStatus(absl::StrCat("open ", path));
  return File(reinterpret_cast<intptr_t>(h), path);
}

bool File::is_open() const { return handle_ != -1; }

void File::Close() {
  if (handle_ != -1) CloseHandle(H(handle_));
  handle_ = -1;
}

absl::StatusOr<size_t> File::ReadAt(int64_t offset, char* buf, size_t n) const {
  size_t done = 0;
  while (done < n) {
    OVERLAPPED o = At(offset + static_cast<int64_t>(done));
    DWORD want = static_cast<DWORD>(std::min<size_t>(n - done, 1u << 30));
    DWORD got = 0;
    if (!::ReadFile(H(handle_), buf + done, want, &got, &o)) {
      DWORD err = GetLastError();
      if (err == ERROR_HANDLE_EOF) break;
      return win32::Win32ErrorToStatus(err, absl::StrCat("read ", path_, " at offset ", offset + done));
    }
    if (got == 0) break;
    done += got;
  }
  return done;
}

absl::Status File::WriteAt(int64_t offset, absl::string_view data) {
  size_t done = 0;
  while (done < data.size()) {
    OVERLAPPED o = At(offset + static_cast<int64_t>(done));
    DWORD want = static_cast<DWORD>(std::min<size_t>(data.size() - done, 1u << 30));
    DWORD wrote = 0;
    if (!::WriteFile(H(handle_), data.data() + done, want, &wrote, &o)) {
      return win32::LastErrorToStatus(absl::StrCat("write ", path_, " at offset ", offset + done));
    }
    done += wrote;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> File::Size() const {
  LARGE_INTEGER size;
  if (!GetFileSizeEx(H(handle_), &size)) return win32::LastErrorToStatus(absl::StrCat("stat ", path_));
  return static_cast<int64_t>(size.QuadPart);
}

absl::Status File::Truncate(int64_t size) {
  FILE_END_OF_FILE_INFO eof = {};
  eof.EndOfFile.QuadPart = size;
  if (!SetFileInformationByHandle(H(handle_), FileEndOfFileInfo, &eof, sizeof(eof))) {
    return win32::LastErrorToStatus(absl::StrCat("truncate ", path_, " to ", size));
  }
  return absl::OkStatus();
}

absl::Status File::Sync() {
  if (!FlushFileBuffers(H(handle_))) return win32::LastErrorToStatus(absl::StrCat("flush ", path_));
  return absl::OkStatus();
}

absl::StatusOr<PathInfo> StatPath(const std::string& path) {
  WIN32_FILE_ATTRIBUTE_DATA data;
  if (!GetFileAttributesExW(win32::LongPath(path).c_str(), GetFileExInfoStandard, &data)) {
    return win32::LastErrorToStatus(absl::StrCat("stat ", path));
  }
  PathInfo info;
  info.size = (static_cast<int64_t>(data.nFileSizeHigh) << 32) | data.nFileSizeLow;
  info.modified = FromFileTime(data.ftLastWriteTime);
  info.is_directory = (data.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  return info;
}

absl::Status ReplaceFile(const std::string& from, const std::string& to) {
  // WRITE_THROUGH: the call returns once the rename is on disk, which is what
  // fsync of the directory gives on POSIX.
  if (!MoveFileExW(win32::LongPath(from).c_str(), win32::LongPath(to).c_str(),
                   MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return win32::LastErrorToStatus(absl::StrCat("rename ", from, " to ", to));
  }
  return absl::OkStatus();
}

void SyncDirectory(const std::string&) {}

absl::Status SetReadOnly(const std::string& path, bool read_only) {
  std::wstring p = win32::LongPath(path);
  DWORD attrs = GetFileAttributesW(p.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) return win32::LastErrorToStatus(absl::StrCat("attributes of ", path));
  DWORD want = read_only ? (attrs | FILE_ATTRIBUTE_READONLY) : (attrs & ~DWORD{FILE_ATTRIBUTE_READONLY});
  if (want == 0) want = FILE_ATTRIBUTE_NORMAL;
  if (want != attrs && !SetFileAttributesW(p.c_str(), want)) {
    return win32::LastErrorToStatus(absl::StrCat("set attributes of ", path));
  }
  return absl::OkStatus();
}

absl::Status RemoveFile(const std::string& path) {
  std::wstring p = win32::LongPath(path);
  if (DeleteFileW(p.c_str())) return absl::OkStatus();
  DWORD err = GetLastError();
  if (err == ERROR_ACCESS_DENIED) {
    // A read-only file (a committed blob) cannot be deleted until writable.
    DWORD attrs = GetFileAttributesW(p.c_str());
    if (attrs != INVALID_FILE_ATTRIBUTES && (attrs & FILE_ATTRIBUTE_READONLY) &&
        SetFileAttributesW(p.c_str(), attrs & ~DWORD{FILE_ATTRIBUTE_READONLY}) && DeleteFileW(p.c_str())) {
      return absl::OkStatus();
    }
    err = GetLastError();
  }
  return win32::Win32ErrorToStatus(err, absl::StrCat("remove ", path));
}

}  // namespace silo
