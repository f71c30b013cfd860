// The root and state directories on Windows (listener.h). The CRI endpoint
// itself is the named-pipe front door (front_door_win32.cc).
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "cri/daemon/listener.h"
#include "runtime/base/windows/long_path_win32.h"
#include "runtime/base/windows/win32_status.h"
#include "spdlog/spdlog.h"

namespace silo::cri {
namespace {

// Administrators and SYSTEM only, inherited by everything below and not by
// the parent's entries (C:\ProgramData lets Users create files): the ACL
// containerd and Docker give their root directories.
constexpr wchar_t kPrivateDirSddl[] = L"D:P(A;OICI;GA;;;BA)(A;OICI;GA;;;SY)";

}  // namespace

// Windows has no mode bits to check: the directory is given the private ACL
// instead, so nobody but Administrators and SYSTEM can replace the metadata
// database or anything else under it. Failing to set it stops silod.
absl::Status CheckPrivateDir(const std::string& dir, const std::string& what) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(kPrivateDirSddl, SDDL_REVISION_1, &sd, nullptr)) {
    return win32::LastErrorToStatus("build the private directory ACL");
  }
  BOOL present = FALSE, defaulted = FALSE;
  PACL dacl = nullptr;
  GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
  std::wstring path = win32::LongPath(dir);
  DWORD err = SetNamedSecurityInfoW(path.data(), SE_FILE_OBJECT,
                                    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, nullptr,
                                    nullptr, dacl, nullptr);
  LocalFree(sd);
  if (err != ERROR_SUCCESS) {
    return win32::Win32ErrorToStatus(
        err, absl::StrCat("restrict ", what, " ", dir, " to Administrators and SYSTEM (silod must run as one)"));
  }
  return absl::OkStatus();
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
