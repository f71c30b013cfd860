#include "runtime/base/windows/private_dir_win32.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include "runtime/base/windows/long_path_win32.h"
#include "runtime/base/windows/wide.h"

namespace silo::win32 {
namespace {

constexpr DWORD kErrorReparsePoint = 4395;  // ERROR_REPARSE_POINT_ENCOUNTERED

// True when `h` is the object at `path` itself: no folder on the way was
// swapped for a junction after the walk looked at it (the open protects
// only the last component). Case-insensitive, as NTFS names are.
bool OpenedWhereExpected(HANDLE h, const std::string& path) {
  std::wstring final(32768, L'\0');
  const DWORD n = GetFinalPathNameByHandleW(h, final.data(), static_cast<DWORD>(final.size()),
                                            FILE_NAME_NORMALIZED | VOLUME_NAME_DOS);
  if (n == 0 || n >= final.size()) return false;
  final.resize(n);
  const std::wstring expected = LongPath(path);
  return CompareStringOrdinal(final.data(), static_cast<int>(final.size()), expected.data(),
                              static_cast<int>(expected.size()), TRUE) == CSTR_EQUAL;
}

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

// What a child of a folder with kPrivateDirSddl inherits (the generic right
// mapped for files), marked inherited; the DACL is not protected.
constexpr wchar_t kInheritedFolderSddl[] = L"O:BAD:AI(A;OICIID;FA;;;BA)(A;OICIID;FA;;;SY)";
constexpr wchar_t kInheritedFileSddl[] = L"O:BAD:AI(A;ID;FA;;;BA)(A;ID;FA;;;SY)";

bool IsAdministratorsOrSystem(PSID sid) {
  return sid != nullptr && (IsWellKnownSid(sid, WinBuiltinAdministratorsSid) || IsWellKnownSid(sid, WinLocalSystemSid));
}

// Whether `sd` is already kPrivateDirSddl's: owner BA or SY, a protected
// DACL of exactly two allow entries, both inherited by files and folders,
// full control, for BA and for SY.
bool IsPrivateDescriptor(PSECURITY_DESCRIPTOR sd, PSID owner, PACL dacl) {
  SECURITY_DESCRIPTOR_CONTROL control = 0;
  DWORD revision = 0;
  if (!IsAdministratorsOrSystem(owner) || dacl == nullptr || !GetSecurityDescriptorControl(sd, &control, &revision) ||
      (control & SE_DACL_PROTECTED) == 0) {
    return false;
  }
  ACL_SIZE_INFORMATION size = {};
  if (!GetAclInformation(dacl, &size, sizeof(size), AclSizeInformation) || size.AceCount != 2) return false;
  bool admins = false, system = false;
  for (DWORD i = 0; i < size.AceCount; ++i) {
    void* raw = nullptr;
    if (!GetAce(dacl, i, &raw)) return false;
    const auto* ace = static_cast<const ACCESS_ALLOWED_ACE*>(raw);
    constexpr BYTE kBoth = OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE;
    if (ace->Header.AceType != ACCESS_ALLOWED_ACE_TYPE || (ace->Header.AceFlags & kBoth) != kBoth ||
        (ace->Header.AceFlags & INHERIT_ONLY_ACE) != 0 || (ace->Mask != FILE_ALL_ACCESS && ace->Mask != GENERIC_ALL)) {
      return false;
    }
    PSID sid = const_cast<DWORD*>(&ace->SidStart);
    admins = admins || IsWellKnownSid(sid, WinBuiltinAdministratorsSid);
    system = system || IsWellKnownSid(sid, WinLocalSystemSid);
  }
  return admins && system;
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
  PACL dacl = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD err = GetSecurityInfo(h, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
                              nullptr, &dacl, nullptr, &sd);
  CloseHandle(h);
  if (err != ERROR_SUCCESS) return err;
  facts->private_dacl = IsPrivateDescriptor(sd, owner, dacl);
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

uint32_t Win32PrivateDirOs::ListChildren(const std::string& path, std::vector<std::string>* names) {
  names->clear();
  WIN32_FIND_DATAW entry = {};
  HANDLE find = FindFirstFileExW(LongPath(path + "\\*").c_str(), FindExInfoBasic, &entry, FindExSearchNameMatch,
                                 nullptr, 0);
  if (find == INVALID_HANDLE_VALUE) return GetLastError();
  DWORD err = 0;
  do {
    const std::wstring name(entry.cFileName);
    if (name != L"." && name != L"..") names->push_back(WideToUtf8(name));
  } while (FindNextFileW(find, &entry));
  err = GetLastError();
  FindClose(find);
  return err == ERROR_NO_MORE_FILES ? 0 : err;
}

uint32_t Win32PrivateDirOs::ResetToInherited(const std::string& path, bool* descend) {
  *descend = false;
  HANDLE h = OpenItself(path, READ_CONTROL | WRITE_DAC | WRITE_OWNER);
  if (h == INVALID_HANDLE_VALUE) return GetLastError();
  DWORD err = 0;
  BY_HANDLE_FILE_INFORMATION info = {};
  if (!GetFileInformationByHandle(h, &info)) err = GetLastError();
  const bool folder = (info.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
  // Never re-secure what is also somewhere else: a file with another name
  // (a hard link) or a path a junction on the way now leads out of the tree.
  if (err == 0 && !folder && info.nNumberOfLinks > 1) err = kErrorHardLinked;
  if (err == 0 && !OpenedWhereExpected(h, path)) err = kErrorReparsePoint;
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (err == 0 && !ConvertStringSecurityDescriptorToSecurityDescriptorW(
                      folder ? kInheritedFolderSddl : kInheritedFileSddl, SDDL_REVISION_1, &sd, nullptr)) {
    err = GetLastError();
  }
  // Written as is (no re-inheritance computed by the ACL library): the
  // entries already are what the parent hands down.
  if (err == 0 && !SetKernelObjectSecurity(h, OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, sd)) {
    err = GetLastError();
  }
  if (sd != nullptr) LocalFree(sd);
  CloseHandle(h);
  if (err == 0) *descend = folder && (info.dwFileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) == 0;
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
