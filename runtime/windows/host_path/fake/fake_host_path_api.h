#pragma once
// FakeHostPathApi: an in-memory host file namespace behind a HostPathApi
// table, with links, so resolve.h and the container host run on Linux.
// Paths are compared case-insensitively, as NTFS does.
//   AddVolume("C:", "{GUID}")     a drive letter and its volume GUID
//   AddPath("C:\\data\\cfg")      an existing file or directory (parents implied)
//   AddLink("C:\\link", "D:\\real")  a symlink or junction: opening the link
//                                 or anything beneath it follows it (chains
//                                 too, up to 63 hops as NTFS allows)
//   AddShare("\\\\srv\\share")    a UNC share (no volume GUID)
// GetFinalPathNameByHandleW answers \\?\Volume{GUID}\... for
// VOLUME_NAME_GUID, \\?\C:\... for VOLUME_NAME_DOS, ERROR_PATH_NOT_FOUND
// for a share's GUID form and \\?\UNC\srv\share\... for its DOS form.
// Strict as Win32: a relative path is refused (ERROR_INVALID_NAME, silod's
// working directory means nothing), a missing leaf is ERROR_FILE_NOT_FOUND and
// a missing parent ERROR_PATH_NOT_FOUND, flags other than
// FILE_NAME_{OPENED,NORMALIZED}|VOLUME_NAME_{GUID,DOS} ERROR_INVALID_PARAMETER
// (NORMALIZED answers as OPENED: no 8.3 names here), forward slashes are
// separators outside \\?\ paths, as in Win32, a too
// small buffer gets the size needed, and unknown or closed handles
// ERROR_INVALID_HANDLE (counted as bad closes). CreateDirectoryW follows
// links in the path, refuses an existing name (ERROR_ALREADY_EXISTS), a
// missing parent (ERROR_PATH_NOT_FOUND) and relative paths. At most one per process
// (the table holds plain function pointers). Thread-safe.

#include <memory>
#include <string>

#include "runtime/windows/host_path/api.h"

namespace silo::runtime::windows::host_path::fake {

class FakeHostPathApi {
 public:
  FakeHostPathApi();
  ~FakeHostPathApi();
  FakeHostPathApi(const FakeHostPathApi&) = delete;
  FakeHostPathApi& operator=(const FakeHostPathApi&) = delete;

  const HostPathApi& api() const { return api_; }

  void AddVolume(const std::wstring& drive, const std::wstring& guid);
  void AddPath(const std::wstring& path);
  void AddLink(const std::wstring& link, const std::wstring& target);
  void AddShare(const std::wstring& share);

  int open_handles() const;
  int bad_closes() const;
  int opens() const;
  int directories_created() const;
  bool Exists(const std::wstring& path) const;  // links not followed

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  HostPathApi api_{};
};

}  // namespace silo::runtime::windows::host_path::fake
