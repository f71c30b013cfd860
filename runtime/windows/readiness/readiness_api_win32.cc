// Windows only (built by the mingw project): binds ReadinessApi.
#include "runtime/windows/readiness/readiness_api_win32.h"

#include <windows.h>

namespace silo::runtime::windows::readiness {
namespace {

static_assert(kServiceStopped == SERVICE_STOPPED && kServiceRunning == SERVICE_RUNNING);
static_assert(kErrorModNotFound == ERROR_MOD_NOT_FOUND && kErrorServiceDoesNotExist == ERROR_SERVICE_DOES_NOT_EXIST);

void* Load(const wchar_t* name) { return LoadLibraryExW(name, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32); }
int32_t Free(void* module) { return FreeLibrary(static_cast<HMODULE>(module)); }
void* OpenScm() { return OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT); }
void* OpenService(void* scm, const wchar_t* name) {
  return OpenServiceW(static_cast<SC_HANDLE>(scm), name, SERVICE_QUERY_STATUS);
}
int32_t Query(void* service, uint32_t* state) {
  SERVICE_STATUS status{};
  if (!QueryServiceStatus(static_cast<SC_HANDLE>(service), &status)) return FALSE;
  *state = status.dwCurrentState;
  return TRUE;
}
int32_t Close(void* handle) { return CloseServiceHandle(static_cast<SC_HANDLE>(handle)); }
uint32_t LastError() { return GetLastError(); }

constexpr ReadinessApi kApi{&Load, &Free, &OpenScm, &OpenService, &Query, &Close, &LastError};

}  // namespace

const ReadinessApi& Win32ReadinessApi() { return kApi; }

RuntimeReadiness ProbeHostRuntimeReadiness() { return ProbeRuntimeReadiness(kApi); }

}  // namespace silo::runtime::windows::readiness
