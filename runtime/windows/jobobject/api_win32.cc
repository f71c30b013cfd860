// Windows only (built by the mingw project): binds JobApi to kernel32 and ntdll.
#include "runtime/windows/jobobject/api_win32.h"

#include <windows.h>
#include <winternl.h>
#include <aclapi.h>
#include <sddl.h>

#include <cstddef>
#include <string>

#include "runtime/base/windows/dll_binding.h"

namespace silo::runtime::windows::jobobject {
namespace {

static_assert(sizeof(wchar_t) == sizeof(WCHAR));
static_assert(sizeof(NtUnicodeString) == sizeof(UNICODE_STRING));
static_assert(offsetof(NtUnicodeString, maximum_length) == offsetof(UNICODE_STRING, MaximumLength));
static_assert(offsetof(NtUnicodeString, buffer) == offsetof(UNICODE_STRING, Buffer));
static_assert(sizeof(NtObjectAttributes) == sizeof(OBJECT_ATTRIBUTES));
static_assert(offsetof(NtObjectAttributes, root_directory) == offsetof(OBJECT_ATTRIBUTES, RootDirectory));
static_assert(offsetof(NtObjectAttributes, object_name) == offsetof(OBJECT_ATTRIBUTES, ObjectName));
static_assert(offsetof(NtObjectAttributes, attributes) == offsetof(OBJECT_ATTRIBUTES, Attributes));
static_assert(offsetof(NtObjectAttributes, security_descriptor) == offsetof(OBJECT_ATTRIBUTES, SecurityDescriptor));
static_assert(offsetof(NtObjectAttributes, security_quality_of_service) ==
              offsetof(OBJECT_ATTRIBUTES, SecurityQualityOfService));
// kJobObjectAllAccess is the Windows 8+ value (with JOB_OBJECT_IMPERSONATE);
// mingw-w64 10 still defines JOB_OBJECT_ALL_ACCESS as 0x1F001F.

// NtOpenJobObject is not in mingw-w64's headers: its documented prototype.
using NtOpenJobObjectFn = NTSTATUS(NTAPI*)(PHANDLE, ACCESS_MASK, POBJECT_ATTRIBUTES);
static_assert(win32::dll::SameShape<decltype(JobApi::nt_open_job_object), NtOpenJobObjectFn>::value);
static_assert(win32::dll::SameShape<decltype(JobApi::rtl_nt_status_to_dos_error), decltype(&::RtlNtStatusToDosError)>::value);

void* OpenJob(uint32_t access, int32_t inherit, const wchar_t* name) { return OpenJobObjectW(access, inherit, name); }
uint32_t LastError() { return GetLastError(); }
int32_t Close(void* handle) { return CloseHandle(handle); }
void* CreateJob(const wchar_t* name, const wchar_t* sddl) {
  if (sddl == nullptr) return CreateJobObjectW(nullptr, name);
  PSECURITY_DESCRIPTOR sd = nullptr;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl, SDDL_REVISION_1, &sd, nullptr)) return nullptr;
  SECURITY_ATTRIBUTES sa = {sizeof(sa), sd, FALSE};
  HANDLE job = CreateJobObjectW(&sa, name);
  const DWORD err = GetLastError();  // ERROR_ALREADY_EXISTS must survive LocalFree
  LocalFree(sd);
  SetLastError(err);
  return job;
}

uint32_t JobOwner(void* job, wchar_t* sid, uint32_t capacity) {
  PSID owner = nullptr;
  PSECURITY_DESCRIPTOR sd = nullptr;
  DWORD err = GetSecurityInfo(job, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION, &owner, nullptr, nullptr, nullptr,
                              &sd);
  if (err != ERROR_SUCCESS) return err;
  wchar_t* text = nullptr;
  if (owner == nullptr || !ConvertSidToStringSidW(owner, &text)) {
    err = owner == nullptr ? ERROR_INVALID_OWNER : GetLastError();
  } else {
    const size_t n = wcslen(text);
    if (n + 1 > capacity) {
      err = ERROR_INSUFFICIENT_BUFFER;
    } else {
      wmemcpy(sid, text, n + 1);
    }
    LocalFree(text);
  }
  LocalFree(sd);
  return err;
}

int32_t DuplicateJob(void* job, void* target, uint32_t access, void** out) {
  HANDLE dup = nullptr;
  const BOOL ok = DuplicateHandle(GetCurrentProcess(), job, target, &dup, access, FALSE, 0);
  if (ok) *out = dup;
  return ok;
}
int32_t TerminateJob(void* job, uint32_t exit_code) { return TerminateJobObject(job, exit_code); }

win32::Result<const JobApi*> Load() {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  if (ntdll == nullptr) {
    return win32::HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(GetLastError())), "GetModuleHandleW ntdll.dll");
  }
  auto* api = new JobApi();  // lives as long as the process, like ntdll
  api->open_job_object = &OpenJob;
  api->get_last_error = &LastError;
  api->close_handle = &Close;
  api->create_job_object = &CreateJob;
  api->terminate_job_object = &TerminateJob;
  api->get_job_owner = &JobOwner;
  api->duplicate_job_handle = &DuplicateJob;
  std::string missing;
  if (!win32::dll::Bind(ntdll, "NtOpenJobObject", api->nt_open_job_object)) missing += "NtOpenJobObject ";
  if (!win32::dll::Bind(ntdll, "RtlNtStatusToDosError", api->rtl_nt_status_to_dos_error)) missing += "RtlNtStatusToDosError";
  if (!missing.empty()) {
    delete api;
    return win32::HrStatus(static_cast<uint32_t>(HRESULT_FROM_WIN32(ERROR_PROC_NOT_FOUND)), "ntdll.dll lacks " + missing);
  }
  return static_cast<const JobApi*>(api);
}

}  // namespace

win32::Result<const JobApi*> LoadJobApi() {
  static const win32::Result<const JobApi*> loaded = Load();  // thread-safe one-time init
  return loaded;
}

}  // namespace silo::runtime::windows::jobobject
