#include "runtime/base/windows/private_dir_win32.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "runtime/base/windows/long_path_win32.h"

namespace silo::win32 {
namespace {

constexpr DWORD kErrorReparsePoint = 4395;  // ERROR_REPARSE_POINT_ENCOUNTERED

// The folder itself, whatever it is: a reparse point is opened, not followed.
HANDLE OpenItself(const std::string& path, DWORD access) {
  return CreateFileW(LongPath(path).c_str(), access, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr,
                     OPEN_EXISTING, FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, nullptr);
}

// The private descriptor, parsed once per call; LocalFree'd by the caller.
DWORD PrivateDescriptor(PSECURITY_DESCRIPTOR* sd) {
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(kPrivateDirSddl, SDDL_REVISION_1, sd, nullptr)) {
    return GetLastError();
  }
  return 0;
}

}  // namespace

uint32_t Win32PrivateDirOs::Inspect(const std::string& path, DirFacts* facts) {
  *facts = DirFacts{};
  const DWORD attrs = GetFileAttributesW(LongPath(path).c_str());
  if (attrs == INVALID_FILE_ATTRIBUTES) {
    const DWORD err = GetLastError();
    return err == ERROR_FILE_NOT_FOUND || err == ERROR_PATH_NOT_FOUND ? 0 : err;
  }
  facts->exists = true;
  facts->directory = (attrs & FILE_ATTRIBUTE_DIRECTORY) != 0;
  facts->reparse_point = (attrs & FILE_ATTRIBUTE_REPARSE_POINT) != 0;
  HANDLE h = OpenItself(path, READ_CONTROL);
  if (h == INVALID_HANDLE_VALUE) return GetLastError();
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD err = GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr, nullptr, nullptr, &sd);
  CloseHandle(h);
  if (err != ERROR_SUCCESS) return err;
  char* text = nullptr;
  if (owner != nullptr && ConvertSidToStringSidA(owner, &text)) {
    facts->owner_sid = text;
    LocalFree(text);
  } else {
    err = owner == nullptr ? ERROR_INVALID_OWNER : GetLastError();
  }
  LocalFree(sd);
  return err;
}

uint32_t Win32PrivateDirOs::CreateSecured(const std::string& path) {
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (DWORD err = PrivateDescriptor(&sd); err != 0) return err;
  SECURITY_ATTRIBUTES sa = {sizeof(sa), sd, FALSE};
  const DWORD err = CreateDirectoryW(LongPath(path).c_str(), &sa) ? 0 : GetLastError();
  LocalFree(sd);
  return err;
}

uint32_t Win32PrivateDirOs::Resecure(const std::string& path) {
  HANDLE h = OpenItself(path, READ_CONTROL | WRITE_DAC | WRITE_OWNER);
  if (h == INVALID_HANDLE_VALUE) return GetLastError();
  DWORD err = 0;
  BY_HANDLE_FILE_INFORMATION info = {};
  if (!GetFileInformationByHandle(h, &info)) {
    err = GetLastError();
  } else if (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) {
    err = kErrorReparsePoint;
  } else if (!(info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
    err = ERROR_DIRECTORY;
  }
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (err == 0) err = PrivateDescriptor(&sd);
  if (err == 0) {
    BOOL present = FALSE, defaulted = FALSE;
    PACL dacl = nullptr;
    PSID owner = nullptr;
    GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted);
    GetSecurityDescriptorOwner(sd, &owner, &defaulted);
    err = SetSecurityInfo(h, SE_FILE_OBJECT,
                          OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
                          owner, nullptr, dacl, nullptr);
    LocalFree(sd);
  }
  CloseHandle(h);
  return err;
}

std::string Win32PrivateDirOs::ProcessUserSid() {
  HANDLE token = nullptr;
  if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &token)) return "";
  std::string sid;
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::string buffer(size, '\0');
  char* text = nullptr;
  if (size != 0 && GetTokenInformation(token, TokenUser, buffer.data(), size, &size) &&
      ConvertSidToStringSidA(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid, &text)) {
    sid = text;
    LocalFree(text);
  }
  CloseHandle(token);
  return sid;
}

}  // namespace silo::win32
