#pragma once
// HcsApi: the computecore.dll entry points Silo uses, as a table of plain
// function pointers. Only api_win32.cc (LoadLibrary + GetProcAddress) knows
// Win32; tests fill the table with runtime/windows/fake. Types are plain so
// this header compiles on Linux: handles are void*, strings are UTF-16
// `const wchar_t*` on Windows (the fake on Linux uses the same type with
// wider wchar_t, which it never passes to Windows), HRESULTs are uint32_t,
// DWORDs uint32_t. On x64 these have the same ABI as the SDK prototypes
// (WINAPI is the only x64 convention); api_win32.cc static_asserts the
// struct layouts against <computecore.h>.
//
// Every HRESULT-returning entry follows HCS's async model: a call taking an
// operation returns S_OK once the work started; the outcome comes from
// wait_for_operation_result*. Strings returned through wchar_t** belong to
// the caller and are released with free_string. The table is immutable
// after loading and safe to share between threads.

#include <cstdint>

namespace silo::runtime::windows::hcs {

using HcsHandle = void*;  // HCS_SYSTEM, HCS_PROCESS, HCS_OPERATION

// HCS_EVENT_TYPE values (computedefs.h / HCS_EVENT_TYPE.md).
enum HcsEventType : uint32_t {
  kHcsEventInvalid = 0,
  kHcsEventSystemExited = 0x1,
  kHcsEventSystemCrashInitiated = 0x2,
  kHcsEventSystemCrashReport = 0x3,
  kHcsEventSystemGuestConnectionClosed = 0x6,
  kHcsEventProcessExited = 0x00010000,
  kHcsEventOperationCallback = 0x01000000,
  kHcsEventServiceDisconnect = 0x02000000,
};

// HCS_EVENT_OPTIONS.
inline constexpr uint32_t kHcsEventOptionNone = 0;

// GENERIC_ALL, what hcsshim passes to HcsOpenComputeSystem/HcsOpenProcess.
inline constexpr uint32_t kGenericAll = 0x10000000;
// INFINITE for the *Ms timeouts.
inline constexpr uint32_t kInfinite = 0xFFFFFFFF;

// Layout of HCS_EVENT: {HCS_EVENT_TYPE Type; PCWSTR EventData; HCS_OPERATION Operation}.
struct HcsEvent {
  uint32_t type;
  const wchar_t* event_data;  // JSON or null; valid only during the callback
  HcsHandle operation;
};

// Layout of HCS_PROCESS_INFORMATION. The stdio HANDLEs are owned by whoever
// received them (null when the process was created without that pipe).
struct HcsProcessInformation {
  uint32_t process_id;
  uint32_t reserved;
  void* std_input;
  void* std_output;
  void* std_error;
};

using HcsEventCallback = void (*)(HcsEvent* event, void* context);
using HcsOperationCompletion = void (*)(HcsHandle operation, void* context);

struct HcsApi {
  // Operations.
  HcsHandle (*create_operation)(const void* context, HcsOperationCompletion callback);
  void (*close_operation)(HcsHandle operation);
  uint32_t (*get_operation_result)(HcsHandle operation, wchar_t** result_document);
  uint32_t (*get_operation_result_and_process_info)(HcsHandle operation, HcsProcessInformation* info,
                                                    wchar_t** result_document);
  uint32_t (*wait_for_operation_result)(HcsHandle operation, uint32_t timeout_ms, wchar_t** result_document);
  uint32_t (*wait_for_operation_result_and_process_info)(HcsHandle operation, uint32_t timeout_ms,
                                                         HcsProcessInformation* info,
                                                         wchar_t** result_document);
  // Optional: null when the host's computecore.dll lacks it.
  uint32_t (*cancel_operation)(HcsHandle operation);

  // Compute systems.
  uint32_t (*enumerate_compute_systems)(const wchar_t* query, HcsHandle operation);
  uint32_t (*create_compute_system)(const wchar_t* id, const wchar_t* configuration, HcsHandle operation,
                                    const void* security_descriptor, HcsHandle* compute_system);
  uint32_t (*open_compute_system)(const wchar_t* id, uint32_t requested_access, HcsHandle* compute_system);
  void (*close_compute_system)(HcsHandle compute_system);
  uint32_t (*start_compute_system)(HcsHandle compute_system, HcsHandle operation, const wchar_t* options);
  uint32_t (*shut_down_compute_system)(HcsHandle compute_system, HcsHandle operation, const wchar_t* options);
  uint32_t (*terminate_compute_system)(HcsHandle compute_system, HcsHandle operation, const wchar_t* options);
  uint32_t (*get_compute_system_properties)(HcsHandle compute_system, HcsHandle operation,
                                            const wchar_t* property_query);
  uint32_t (*modify_compute_system)(HcsHandle compute_system, HcsHandle operation, const wchar_t* configuration,
                                    void* identity);
  uint32_t (*set_compute_system_callback)(HcsHandle compute_system, uint32_t callback_options, const void* context,
                                          HcsEventCallback callback);

  // Processes.
  uint32_t (*create_process)(HcsHandle compute_system, const wchar_t* process_parameters, HcsHandle operation,
                             const void* security_descriptor, HcsHandle* process);
  uint32_t (*open_process)(HcsHandle compute_system, uint32_t process_id, uint32_t requested_access,
                           HcsHandle* process);
  void (*close_process)(HcsHandle process);
  uint32_t (*terminate_process)(HcsHandle process, HcsHandle operation, const wchar_t* options);
  uint32_t (*signal_process)(HcsHandle process, HcsHandle operation, const wchar_t* options);
  uint32_t (*get_process_info)(HcsHandle process, HcsHandle operation);
  // HcsGetProcessProperties: the operation's result document is the
  // process's ProcessStatus {"ProcessId","Exited","ExitCode","LastWaitResult"}.
  uint32_t (*get_process_properties)(HcsHandle process, HcsHandle operation, const wchar_t* property_query);
  uint32_t (*modify_process)(HcsHandle process, HcsHandle operation, const wchar_t* settings);
  uint32_t (*set_process_callback)(HcsHandle process, uint32_t callback_options, void* context,
                                   HcsEventCallback callback);

  // Releases a string HCS returned (LocalFree on Windows, per the HCS reference).
  void (*free_string)(wchar_t* string);
  // Closes a stdio HANDLE HCS gave us (CloseHandle on Windows).
  void (*close_handle)(void* handle);

  // Optional (null when computecore.dll lacks them). Synchronous: grant or
  // revoke the VM `vm_id` (its virtual account, NT VIRTUAL MACHINE\<id>)
  // access to a host file, e.g. a utility VM's scratch VHDX before the VM is
  // created with it. The VM need not exist yet.
  uint32_t (*grant_vm_access)(const wchar_t* vm_id, const wchar_t* file_path);
  uint32_t (*revoke_vm_access)(const wchar_t* vm_id, const wchar_t* file_path);
};

}  // namespace silo::runtime::windows::hcs
