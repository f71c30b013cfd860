#pragma once
// The two files the Windows monitor writes, behind one small OS interface
// (shim_files_win32.cc, and shim_files_posix.cc so the monitor is tested on
// Linux). Standard library only; paths are UTF-8.
//
// LogFile: a file opened for appending, each Append one write at the end.
// On Windows it is opened with FILE_SHARE_READ|WRITE|DELETE, so kubelet can
// read it and rename (rotate) it while the monitor holds it open; Reopen
// then starts a fresh file at the path. Not thread-safe: callers serialise.

#include <memory>
#include <string>
#include <string_view>

#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::shim {

class LogFile {
 public:
  virtual ~LogFile() = default;
  // Opens (creating) `path` for appending.
  static win32::Result<std::unique_ptr<LogFile>> Open(const std::string& path);
  // Writes all of `data` at the end of the file.
  virtual win32::HrStatus Append(std::string_view data) = 0;
  // Opens `path` again (creating it); on failure the old file stays in use.
  virtual win32::HrStatus Reopen() = 0;
};

// Replaces `path` with `contents` so that a reader sees the old file or the
// complete new one, never a part, also across a power loss: written to a
// temporary file beside it, flushed to disk, then renamed over `path`.
win32::HrStatus WriteFileDurably(const std::string& path, std::string_view contents);

// The whole file (small files only). NotFound-like HRESULT
// (HRESULT_FROM_WIN32(ERROR_FILE_NOT_FOUND)) when it does not exist.
win32::Result<std::string> ReadSmallFile(const std::string& path);

inline constexpr uint32_t kHrFileNotFound = 0x80070002;

}  // namespace silo::runtime::windows::shim
