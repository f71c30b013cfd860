#pragma once
// The durable record of a container's exit, written by the monitor once the
// main process has exited and its output is in the log, and read by silod
// (also after a restart, when the monitor may be gone). One small JSON file
// {"exit_code":N,"exited_at_unix_nanos":T}, replaced atomically.
// Pure encoding plus shim_files I/O; thread-safe.

#include <cstdint>
#include <optional>
#include <string>

#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::shim {

struct ExitRecord {
  int64_t exit_code = -1;
  int64_t exited_at_unix_nanos = 0;
};

std::string EncodeExitRecord(const ExitRecord& record);
// nullopt when `json` is not a complete record.
std::optional<ExitRecord> DecodeExitRecord(const std::string& json);

win32::HrStatus WriteExitRecord(const std::string& path, const ExitRecord& record);
// kHrFileNotFound when the container has not exited (no record yet);
// HRESULT_FROM_WIN32(ERROR_INVALID_DATA) when the file is damaged.
win32::Result<ExitRecord> ReadExitRecord(const std::string& path);

}  // namespace silo::runtime::windows::shim
