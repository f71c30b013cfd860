#include "runtime/base/file_util.h"

#include <windows.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "runtime/base/windows/long_path_win32.h"
#include "runtime/base/windows/win32_status.h"

namespace silo {

// Modes have no meaning on Windows: a directory inherits its parent's ACL
// (silod's root is secured by the installer and checked at start-up).
absl::Status MakeDirs(const std::string& path, int /*mode*/) {
  std::wstring p = win32::LongPath(path);
  if (p.empty()) return absl::InvalidArgumentError(absl::StrCat("mkdir \"", path, "\": not a usable path"));
  // Each prefix ending before a separator after the root (\\?\C:\ or
  // \\?\UNC\server\share), which cannot be created.
  size_t root_end = 6;
  if (p.rfind(L"\\\\?\\UNC\\", 0) == 0) {
    root_end = p.find(L'\\', p.find(L'\\', 8) + 1);
    if (root_end == std::wstring::npos) root_end = p.size();
  }
  for (size_t i = p.find(L'\\', root_end + 1); i != std::wstring::npos; i = p.find(L'\\', i + 1)) {
    if (!CreateDirectoryW(p.substr(0, i).c_str(), nullptr) && GetLastError() != ERROR_ALREADY_EXISTS) {
      return win32::LastErrorToStatus(absl::StrCat("mkdir ", path));
    }
  }
  if (!CreateDirectoryW(p.c_str(), nullptr) && GetLastError() != ERROR_ALREADY_EXISTS) {
    return win32::LastErrorToStatus(absl::StrCat("mkdir ", path));
  }
  DWORD attrs = GetFileAttributesW(p.c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) return win32::LastErrorToStatus(absl::StrCat("stat ", path));
  if (!(attrs & FILE_ATTRIBUTE_DIRECTORY)) return absl::FailedPreconditionError(absl::StrCat(path, " is not a directory"));
  return absl::OkStatus();
}

// A temporary file beside `path`, written, flushed to the device, then moved
// over `path` with MOVEFILE_WRITE_THROUGH: readers see the old or the new
// content, never a torn file, also across a crash.
absl::Status AtomicWriteFile(const std::string& path, absl::string_view content, int mode) {
  std::wstring target = win32::LongPath(path);
  if (target.empty()) return absl::InvalidArgumentError(absl::StrCat("write \"", path, "\": not a usable path"));
  const size_t slash = target.rfind(L'\\');
  std::wstring tmp;
  HANDLE h = INVALID_HANDLE_VALUE;
  for (int attempt = 0; attempt < 16 && h == INVALID_HANDLE_VALUE; ++attempt) {
    tmp = target.substr(0, slash + 1) + L"." + target.substr(slash + 1) + L".tmp." +
          std::to_wstring(GetCurrentProcessId()) + L"." + std::to_wstring(GetTickCount64() + attempt);
    h = CreateFileW(tmp.c_str(), GENERIC_WRITE, 0, nullptr, CREATE_NEW, FILE_ATTRIBUTE_NORMAL, nullptr);
    if (h == INVALID_HANDLE_VALUE && GetLastError() != ERROR_FILE_EXISTS) break;
  }
  if (h == INVALID_HANDLE_VALUE) return win32::LastErrorToStatus(absl::StrCat("create temporary file for ", path));
  auto fail = [&](absl::string_view what) {
    DWORD err = GetLastError();
    if (h != INVALID_HANDLE_VALUE) CloseHandle(h);
    DeleteFileW(tmp.c_str());
    return win32::Win32ErrorToStatus(err, absl::StrCat(what, " ", path));
  };
  size_t off = 0;
  while (off < content.size()) {
    DWORD wrote = 0;
    DWORD want = static_cast<DWORD>(std::min<size_t>(content.size() - off, 1u << 30));
    if (!WriteFile(h, content.data() + off, want, &wrote, nullptr)) return fail("write");
    off += wrote;
  }
  if (!FlushFileBuffers(h)) return fail("flush");
  CloseHandle(h);
  h = INVALID_HANDLE_VALUE;
  if ((mode & 0222) == 0 && !SetFileAttributesW(tmp.c_str(), FILE_ATTRIBUTE_READONLY)) return fail("set attributes of");
  if (!MoveFileExW(tmp.c_str(), target.c_str(), MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
    return fail("rename into");
  }
  return absl::OkStatus();
}

}  // namespace silo
