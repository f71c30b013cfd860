#pragma once
// Fills a JobApi from kernel32 and ntdll (Windows only). ntdll is in every
// process, so loading fails only when an export is missing (a Wine or
// Windows build without NtOpenJobObject). Cheap after the first call; thread-safe.

#include "runtime/base/windows/result.h"
#include "runtime/windows/jobobject/api.h"

namespace silo::runtime::windows::jobobject {

win32::Result<const JobApi*> LoadJobApi();

}  // namespace silo::runtime::windows::jobobject
