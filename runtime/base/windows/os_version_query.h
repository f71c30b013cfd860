#pragma once
// Reading the host's Windows version: RtlGetVersion (ntdll), which unlike
// GetVersionExW never reports an older Windows to an unmanifested program,
// and the UBR value under HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion,
// the revision `ver` prints last and images carry in os.version. Both calls
// come through OsVersionApi, a table of plain function pointers, so the
// logic runs on Linux against a fake; os_version_win32.h binds the real one.

#include <cstdint>

#include "runtime/base/windows/os_version.h"
#include "runtime/base/windows/result.h"

namespace silo::win32 {

// RTL_OSVERSIONINFOW (x64 layout, static_asserted in os_version_win32.cc).
// The caller sets `size` to sizeof(OsVersionInfo) before the call.
struct OsVersionInfo {
  uint32_t size;
  uint32_t major;
  uint32_t minor;
  uint32_t build;
  uint32_t platform_id;
  uint16_t csd_version[128];  // service pack text (UTF-16), unused
};

inline constexpr wchar_t kCurrentVersionKey[] = L"SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion";

struct OsVersionApi {
  // ntdll RtlGetVersion: an NTSTATUS (0 = success).
  int32_t (*rtl_get_version)(OsVersionInfo* info);
  // advapi32 RegGetValueW(HKEY_LOCAL_MACHINE, subkey, value, RRF_RT_REG_DWORD):
  // a Win32 error code; ERROR_FILE_NOT_FOUND when the key or value is absent.
  int32_t (*read_hklm_dword)(const wchar_t* subkey, const wchar_t* value, uint32_t* data);
};

// The host's version. A missing UBR value gives revision 0 (Windows
// releases before 1607 and Wine have none); any other failure is an error
// naming the call.
Result<OsVersion> QueryOsVersion(const OsVersionApi& api);

}  // namespace silo::win32
