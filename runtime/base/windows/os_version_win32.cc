// Windows only (built by the mingw project): binds OsVersionApi.
#include "runtime/base/windows/os_version_win32.h"

#include <windows.h>

#include <cstddef>

#include "runtime/base/windows/dll_binding.h"

namespace silo::win32 {
namespace {

static_assert(sizeof(OsVersionInfo) == sizeof(RTL_OSVERSIONINFOW));
static_assert(offsetof(OsVersionInfo, build) == offsetof(RTL_OSVERSIONINFOW, dwBuildNumber));
static_assert(offsetof(OsVersionInfo, csd_version) == offsetof(RTL_OSVERSIONINFOW, szCSDVersion));

// RtlGetVersion's documented prototype (wdm.h, not in mingw-w64's user headers).
using RtlGetVersionFn = LONG(WINAPI*)(PRTL_OSVERSIONINFOW);
static_assert(dll::SameShape<decltype(OsVersionApi::rtl_get_version), RtlGetVersionFn>::value);

int32_t ReadHklmDword(const wchar_t* subkey, const wchar_t* value, uint32_t* data) {
  DWORD v = 0;
  DWORD size = sizeof(v);
  const LSTATUS s = RegGetValueW(HKEY_LOCAL_MACHINE, subkey, value, RRF_RT_REG_DWORD, nullptr, &v, &size);
  if (s == ERROR_SUCCESS) *data = v;
  return s;
}

Result<const OsVersionApi*> Load() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  if (ntdll == nullptr) return HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(GetLastError())), "GetModuleHandleW ntdll.dll");
  auto* api = new OsVersionApi();  // lives as long as the process, like ntdll
  api->read_hklm_dword = &ReadHklmDword;
  if (!dll::Bind(ntdll, "RtlGetVersion", api->rtl_get_version)) {
    delete api;
    return HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND)), "ntdll.dll lacks RtlGetVersion");
  }
  return static_cast<const OsVersionApi*>(api);
}

}  // namespace

Result<const OsVersionApi*> LoadOsVersionApi() {
  static const Result<const OsVersionApi*> loaded = Load();  // thread-safe one-time init
  return loaded;
}

Result<OsVersion> HostOsVersion() {
  Result<const OsVersionApi*> api = LoadOsVersionApi();
  if (!api.ok()) return api.status();
  return QueryOsVersion(**api);
}

}  // namespace silo::win32
