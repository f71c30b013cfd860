#pragma once
// ReadinessApi: the calls that tell whether this host has the Windows
// container platform (the Containers feature), as a table of plain function
// pointers so the probe runs on Linux against fake/fake_readiness_api.h.
// Only readiness_api_win32.cc knows Win32. Handles are void*, strings
// `const wchar_t*` (UTF-16 on Windows, UTF-32 in the Linux fake, never passed
// to Windows), BOOLs int32_t. Immutable once loaded; safe to share.

#include <cstdint>

namespace silo::runtime::windows::readiness {

// SERVICE_STATUS.dwCurrentState values the probe distinguishes.
inline constexpr uint32_t kServiceStopped = 1;
inline constexpr uint32_t kServiceRunning = 4;

// Win32 errors the probe tells apart.
inline constexpr uint32_t kErrorModNotFound = 126;           // the DLL is not in System32
inline constexpr uint32_t kErrorServiceDoesNotExist = 1060;  // the service is not installed

struct ReadinessApi {
  // LoadLibraryExW(name, nullptr, LOAD_LIBRARY_SEARCH_SYSTEM32): System32
  // only, never the current directory. Null on failure (get_last_error).
  void* (*load_system_library)(const wchar_t* name);
  int32_t (*free_library)(void* module);
  // OpenSCManagerW(nullptr, nullptr, SC_MANAGER_CONNECT); null on failure.
  void* (*open_sc_manager)();
  // OpenServiceW(scm, name, SERVICE_QUERY_STATUS); null on failure.
  void* (*open_service)(void* scm, const wchar_t* name);
  // QueryServiceStatus, reduced to dwCurrentState; FALSE on failure.
  int32_t (*query_service_state)(void* service, uint32_t* state);
  int32_t (*close_service_handle)(void* handle);
  uint32_t (*get_last_error)();
};

}  // namespace silo::runtime::windows::readiness
