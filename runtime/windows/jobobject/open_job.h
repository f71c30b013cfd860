#pragma once
// Opening an existing job object by name, the way hcsshim's jobobject.Open
// does: a name that is an object-manager path (it starts with '\', such as
// the \Container_<id> silo job HCS makes for a process-isolated container)
// goes through NtOpenJobObject with OBJECT_ATTRIBUTES over a UNICODE_STRING;
// any other name through OpenJobObjectW. OpenJobObjectW resolves names in
// the session's BaseNamedObjects directory, so it can never reach
// \Container_<id>. Standard library only (built by mingw too); thread-safe.

#include <cstdint>
#include <string>
#include <string_view>

#include "runtime/base/windows/result.h"
#include "runtime/windows/jobobject/api.h"

namespace silo::runtime::windows::jobobject {

using silo::win32::HrStatus;
using silo::win32::Result;

// The job object (silo) HCS creates for process-isolated container `id`:
// "\Container_<id>" (hcsshim reads container statistics from it).
std::wstring SiloJobName(std::wstring_view container_id);

// True for an object-manager path (leading backslash).
bool IsObjectManagerPath(std::wstring_view name);

// Opens job `name` with `access`; the handle belongs to the caller (close it
// with api.close_handle). Errors are HRESULT_FROM_WIN32 of the Win32 error
// (NTSTATUS mapped through RtlNtStatusToDosError), naming the job and the
// call: E_INVALIDARG for an empty name or one longer than a UNICODE_STRING holds.
Result<void*> OpenNamedJob(const JobApi& api, const std::wstring& name, uint32_t access);

}  // namespace silo::runtime::windows::jobobject
