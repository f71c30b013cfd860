// The root and state directories on Windows (listener.h). The CRI endpoint
// itself is the named-pipe front door (front_door_win32.cc).
#include <windows.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "cri/daemon/listener.h"
#include "runtime/base/windows/long_path_win32.h"
#include "runtime/base/windows/private_dir_win32.h"
#include "runtime/base/windows/win32_status.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

absl::Status ToStatus(const win32::HrStatus& s) {
  if (s.ok()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(s.message(), " (silod must run as SYSTEM or an administrator)"));
}

}  // namespace

// Windows has no mode bits to check: the folder is made or taken as silod's
// (private_dir.h), so nobody but Administrators and SYSTEM can replace the
// metadata database or anything else under it.
absl::Status CheckPrivateDir(const std::string& dir, const std::string& what) {
  win32::Win32PrivateDirOs os;
  return ToStatus(win32::SecurePrivateDir(os, dir, dir, what));
}

absl::Status PreparePrivateDirs(const std::string& root, const std::string& state, const std::string& log_file) {
  const size_t slash = log_file.find_last_of("\\/");
  const std::string log_dir = slash == std::string::npos ? std::string() : log_file.substr(0, slash);
  win32::Win32PrivateDirOs os;
  return ToStatus(win32::SecureSiloFolders(os, root, state, log_dir));
}

absl::Status LockRootDir(const std::string& root) {
  const std::string path = root + "\\silod.lock";
  // No sharing: a second silod cannot open it while this one lives. The
  // handle is deliberately leaked; Windows closes it when the process ends,
  // also when it crashes, so a stale lock never outlives its owner.
  HANDLE h = CreateFileW(win32::LongPath(path).c_str(), GENERIC_READ | GENERIC_WRITE, 0, nullptr, OPEN_ALWAYS,
                         FILE_ATTRIBUTE_NORMAL, nullptr);
  if (h == INVALID_HANDLE_VALUE) {
    DWORD err = GetLastError();
    if (err == ERROR_SHARING_VIOLATION) {
      return absl::FailedPreconditionError(absl::StrCat("root ", root, " is in use by another silod"));
    }
    return win32::Win32ErrorToStatus(err, absl::StrCat("open ", path));
  }
  std::string me = std::to_string(GetCurrentProcessId());
  DWORD wrote = 0;
  if (!SetEndOfFile(h) || !WriteFile(h, me.data(), static_cast<DWORD>(me.size()), &wrote, nullptr)) {
    spdlog::warn("could not record pid in {} (Win32 error {})", path, GetLastError());
  }
  return absl::OkStatus();
}

}  // namespace silo::cri
