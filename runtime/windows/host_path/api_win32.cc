// Windows only (built by the mingw project): HostPathApi over kernel32.
#include "runtime/windows/host_path/api_win32.h"

#include <windows.h>

namespace silo::runtime::windows::host_path {
namespace {

static_assert(sizeof(wchar_t) == sizeof(WCHAR));
static_assert(kFileNameNormalized == FILE_NAME_NORMALIZED && kFileNameOpened == FILE_NAME_OPENED &&
              kVolumeNameDos == VOLUME_NAME_DOS &&
              kVolumeNameGuid == VOLUME_NAME_GUID);
static_assert(kErrorFileNotFound == ERROR_FILE_NOT_FOUND && kErrorPathNotFound == ERROR_PATH_NOT_FOUND &&
              kErrorInvalidHandle == ERROR_INVALID_HANDLE && kErrorInvalidParameter == ERROR_INVALID_PARAMETER &&
              kErrorInvalidName == ERROR_INVALID_NAME && kErrorMoreData == ERROR_MORE_DATA &&
              kErrorAlreadyExists == ERROR_ALREADY_EXISTS);

uint32_t OpenExisting(const wchar_t* path, void** handle) {
  HANDLE h = CreateFileW(path, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return GetLastError();
  *handle = h;
  return 0;
}

uint32_t FinalPathName(void* handle, wchar_t* buffer, uint32_t capacity, uint32_t flags, uint32_t* error) {
  const DWORD n = GetFinalPathNameByHandleW(handle, buffer, capacity, flags);
  if (n == 0) *error = GetLastError();
  return n;
}

uint32_t CreateDirectory(const wchar_t* path) { return CreateDirectoryW(path, nullptr) ? 0 : GetLastError(); }

int32_t Close(void* handle) { return CloseHandle(handle); }

constexpr HostPathApi kApi{&OpenExisting, &FinalPathName, &CreateDirectory, &Close};

}  // namespace

const HostPathApi& Win32HostPathApi() { return kApi; }

}  // namespace silo::runtime::windows::host_path
