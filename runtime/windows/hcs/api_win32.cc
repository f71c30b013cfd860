// Windows only (built by the mingw preset): binds HcsApi to computecore.dll.
#include "runtime/windows/hcs/api_win32.h"

#include "runtime/base/windows/dll_binding.h"

#include <windows.h>
#include <computecore.h>

#include <cstddef>
#include <string>
#include <type_traits>

namespace silo::runtime::windows::hcs {
namespace {

// Our plain structs must match the SDK's byte for byte.
static_assert(sizeof(wchar_t) == sizeof(WCHAR));
static_assert(sizeof(HcsEvent) == sizeof(HCS_EVENT));
static_assert(offsetof(HcsEvent, event_data) == offsetof(HCS_EVENT, EventData));
static_assert(offsetof(HcsEvent, operation) == offsetof(HCS_EVENT, Operation));
static_assert(sizeof(HcsProcessInformation) == sizeof(HCS_PROCESS_INFORMATION));
static_assert(offsetof(HcsProcessInformation, std_input) == offsetof(HCS_PROCESS_INFORMATION, StdInput));
static_assert(offsetof(HcsProcessInformation, std_output) == offsetof(HCS_PROCESS_INFORMATION, StdOutput));
static_assert(offsetof(HcsProcessInformation, std_error) == offsetof(HCS_PROCESS_INFORMATION, StdError));
static_assert(static_cast<uint32_t>(kHcsEventSystemExited) == static_cast<uint32_t>(HcsEventSystemExited));
static_assert(static_cast<uint32_t>(kHcsEventProcessExited) == static_cast<uint32_t>(HcsEventProcessExited));
static_assert(static_cast<uint32_t>(kHcsEventServiceDisconnect) == static_cast<uint32_t>(HcsEventServiceDisconnect));
static_assert(static_cast<uint32_t>(kHcsEventOptionNone) == static_cast<uint32_t>(HcsEventOptionNone));
static_assert(kGenericAll == GENERIC_ALL);
static_assert(kInfinite == INFINITE);

using silo::win32::dll::Bind;
using silo::win32::dll::SameShape;

#define SILO_CHECK_SHAPE(field, export_name)                                          \
  static_assert(SameShape<decltype(HcsApi::field), decltype(&::export_name)>::value, \
                #export_name " does not match HcsApi::" #field)
// Binds a required export, collecting the names of missing ones.
#define SILO_BIND(field, export_name)         \
  SILO_CHECK_SHAPE(field, export_name);       \
  if (!Bind(dll, #export_name, api->field)) { \
    if (!missing.empty()) missing += ", ";    \
    missing += #export_name;                  \
  }

void FreeString(wchar_t* s) { LocalFree(s); }
void CloseStdioHandle(void* h) { CloseHandle(h); }

win32::Result<const HcsApi*> Load() {
  win32::Result<HMODULE> loaded = win32::dll::LoadSystemDll(L"computecore.dll", "computecore.dll");
  if (!loaded.ok()) return loaded.status();
  HMODULE dll = *loaded;
  auto* api = new HcsApi();  // lives as long as the process, like the DLL
  std::string missing;
  SILO_BIND(create_operation, HcsCreateOperation)
  SILO_BIND(close_operation, HcsCloseOperation)
  SILO_BIND(get_operation_result, HcsGetOperationResult)
  SILO_BIND(get_operation_result_and_process_info, HcsGetOperationResultAndProcessInfo)
  SILO_BIND(wait_for_operation_result, HcsWaitForOperationResult)
  SILO_BIND(wait_for_operation_result_and_process_info, HcsWaitForOperationResultAndProcessInfo)
  SILO_BIND(enumerate_compute_systems, HcsEnumerateComputeSystems)
  SILO_BIND(create_compute_system, HcsCreateComputeSystem)
  SILO_BIND(open_compute_system, HcsOpenComputeSystem)
  SILO_BIND(close_compute_system, HcsCloseComputeSystem)
  SILO_BIND(start_compute_system, HcsStartComputeSystem)
  SILO_BIND(shut_down_compute_system, HcsShutDownComputeSystem)
  SILO_BIND(terminate_compute_system, HcsTerminateComputeSystem)
  SILO_BIND(get_compute_system_properties, HcsGetComputeSystemProperties)
  SILO_BIND(modify_compute_system, HcsModifyComputeSystem)
  SILO_BIND(set_compute_system_callback, HcsSetComputeSystemCallback)
  SILO_BIND(create_process, HcsCreateProcess)
  SILO_BIND(open_process, HcsOpenProcess)
  SILO_BIND(close_process, HcsCloseProcess)
  SILO_BIND(terminate_process, HcsTerminateProcess)
  SILO_BIND(signal_process, HcsSignalProcess)
  SILO_BIND(get_process_info, HcsGetProcessInfo)
  SILO_BIND(get_process_properties, HcsGetProcessProperties)
  SILO_BIND(modify_process, HcsModifyProcess)
  SILO_BIND(set_process_callback, HcsSetProcessCallback)
  if (!missing.empty()) {
    delete api;
    return win32::HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND)),
                    "computecore.dll lacks " + missing);
  }
  // Optional: older hosts may lack it; the operation wrapper copes.
  SILO_CHECK_SHAPE(cancel_operation, HcsCancelOperation);
  Bind(dll, "HcsCancelOperation", api->cancel_operation);
  // Optional: only Hyper-V isolation needs them.
  SILO_CHECK_SHAPE(grant_vm_access, HcsGrantVmAccess);
  SILO_CHECK_SHAPE(revoke_vm_access, HcsRevokeVmAccess);
  Bind(dll, "HcsGrantVmAccess", api->grant_vm_access);
  Bind(dll, "HcsRevokeVmAccess", api->revoke_vm_access);
  api->free_string = &FreeString;
  api->close_handle = &CloseStdioHandle;
  return static_cast<const HcsApi*>(api);
}

#undef SILO_BIND
#undef SILO_CHECK_SHAPE

}  // namespace

win32::Result<const HcsApi*> LoadHcsApi() {
  static const win32::Result<const HcsApi*> loaded = Load();  // thread-safe one-time init
  return loaded;
}

}  // namespace silo::runtime::windows::hcs
