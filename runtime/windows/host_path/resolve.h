#pragma once
// Resolving a bind mount's host path before it goes into the HCS document,
// as hcsshim does for process-isolated containers (HCS mis-resolves mapped
// files reached through symlinks): go-winio's fs.ResolvePath. The path is
// opened (following links, junctions and mount points) and its final name
// read back:
//   1. FILE_NAME_OPENED | VOLUME_NAME_GUID -> \\?\Volume{GUID}\dir\file,
//      stable across drive-letter changes and right for volumes mounted in
//      a folder;
//   2. on ERROR_PATH_NOT_FOUND (a UNC share has no volume GUID),
//      FILE_NAME_OPENED | VOLUME_NAME_DOS, with \\?\UNC\server\share
//      rewritten to \\server\share.
// FILE_NAME_OPENED, not FILE_NAME_NORMALIZED: go-winio (and containerd's
// resolvePath) choose it because NORMALIZED can fail on some UNC paths for
// access reasons, and its extra normalization is minimal.
// Standard library only (built by mingw too); thread-safe.

#include <string>

#include "runtime/base/windows/result.h"
#include "runtime/windows/host_path/api.h"

namespace silo::runtime::windows::host_path {

// The final path of `path`; HRESULT_FROM_WIN32 of the Win32 error naming
// the path and the call otherwise (a missing path: ERROR_FILE_NOT_FOUND or
// ERROR_PATH_NOT_FOUND). The handle is closed on every path.
win32::Result<std::wstring> ResolveHostPath(const HostPathApi& api, const std::wstring& path);

// Creates `path` as a directory with every missing parent (Go's
// os.MkdirAll, which containerd runs on a missing mount source before it
// resolves it, as docker does). OK when a directory or file is already
// there; otherwise HRESULT_FROM_WIN32 of the CreateDirectoryW error naming
// the path (a root that cannot be created: ERROR_PATH_NOT_FOUND).
win32::HrStatus CreateHostDirectories(const HostPathApi& api, const std::wstring& path);

}  // namespace silo::runtime::windows::host_path
