#pragma once
// Binds OsVersionApi to ntdll and advapi32 (Windows only). ntdll is in
// every process, so loading fails only if it lacks RtlGetVersion. The
// result is cached; thread-safe.

#include "runtime/base/windows/os_version_query.h"
#include "runtime/base/windows/result.h"

namespace silo::win32 {

Result<const OsVersionApi*> LoadOsVersionApi();

// QueryOsVersion over the real table: what silod reports and matches
// images against.
Result<OsVersion> HostOsVersion();

}  // namespace silo::win32
