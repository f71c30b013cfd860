#pragma once
// HostPathApi: the file calls that resolve a host path to its final form
// (links, junctions and mount points followed), as a table of plain
// function pointers, so resolve.h runs on Linux against fake/. Only
// api_win32.cc knows Win32. Strings are `const wchar_t*` (UTF-16 on
// Windows, UTF-32 in the Linux fake), Win32 errors uint32_t. Immutable once
// loaded; safe to share between threads.

#include <cstdint>

namespace silo::runtime::windows::host_path {

// GetFinalPathNameByHandleW flags.
inline constexpr uint32_t kFileNameNormalized = 0x0;
inline constexpr uint32_t kFileNameOpened = 0x8;
inline constexpr uint32_t kVolumeNameDos = 0x0;
inline constexpr uint32_t kVolumeNameGuid = 0x1;

// Win32 errors the resolution tells apart.
inline constexpr uint32_t kErrorFileNotFound = 2;
inline constexpr uint32_t kErrorPathNotFound = 3;
inline constexpr uint32_t kErrorInvalidHandle = 6;
inline constexpr uint32_t kErrorInvalidParameter = 87;
inline constexpr uint32_t kErrorInvalidName = 123;
inline constexpr uint32_t kErrorMoreData = 234;
inline constexpr uint32_t kErrorAlreadyExists = 183;

struct HostPathApi {
  // CreateFileW(path, 0 (no access: enough to ask for the name), FILE_SHARE_READ
  // | FILE_SHARE_WRITE | FILE_SHARE_DELETE, null, OPEN_EXISTING,
  // FILE_FLAG_BACKUP_SEMANTICS (so directories open too), null), following
  // links. 0 and *handle, or the Win32 error.
  uint32_t (*open_existing)(const wchar_t* path, void** handle);
  // GetFinalPathNameByHandleW(handle, buffer, capacity, flags): the length
  // written without its NUL; when `capacity` is too small, the size needed
  // including the NUL (nothing written); 0 on failure with *error set.
  uint32_t (*get_final_path_name_by_handle)(void* handle, wchar_t* buffer, uint32_t capacity, uint32_t flags,
                                            uint32_t* error);
  // CreateDirectoryW(path, null): 0 or the Win32 error (ERROR_ALREADY_EXISTS
  // when something is there, ERROR_PATH_NOT_FOUND when the parent is missing).
  uint32_t (*create_directory)(const wchar_t* path);
  // CloseHandle (a BOOL).
  int32_t (*close_handle)(void* handle);
};

}  // namespace silo::runtime::windows::host_path
