#pragma once
// JobApi: the few job-object calls Silo makes outside the Win32 wrapper
// (opening a job by name, creating and terminating a pod's named job), as a
// table of plain function pointers, so the name-to-call choice (open_job.h)
// and the Windows sandbox host run on Linux against fake/fake_job_api.h. Only api_win32.cc knows Win32. Types
// are plain: handles void*, strings `const wchar_t*` (UTF-16 on Windows,
// UTF-32 in the Linux fake, never passed to Windows), NTSTATUS int32_t.
// The structs have the x64 layouts of UNICODE_STRING and OBJECT_ATTRIBUTES
// (static_asserted in api_win32.cc). The table is immutable after loading
// and safe to share between threads.

#include <cstdint>
#include <string_view>

namespace silo::runtime::windows::jobobject {

// UNICODE_STRING: lengths in bytes, the terminating NUL not counted.
struct NtUnicodeString {
  uint16_t length;
  uint16_t maximum_length;
  const wchar_t* buffer;
};

// OBJECT_ATTRIBUTES. length = sizeof(NtObjectAttributes); a null
// root_directory makes object_name an absolute object-manager path.
struct NtObjectAttributes {
  uint32_t length;
  void* root_directory;
  const NtUnicodeString* object_name;
  uint32_t attributes;  // OBJ_* flags; hcsshim passes 0
  void* security_descriptor;
  void* security_quality_of_service;
};

// JOB_OBJECT_ALL_ACCESS, what hcsshim's jobobject.Open asks for.
inline constexpr uint32_t kJobObjectAllAccess = 0x1F003F;
// SYNCHRONIZE: a handle that can only be waited on.
inline constexpr uint32_t kSynchronizeAccess = 0x00100000;

// Owner SIDs a pod job of silod's may carry: BUILTIN\Administrators (the
// owner silod asks for) and LocalSystem.
inline constexpr const wchar_t* kAdministratorsSid = L"S-1-5-32-544";
inline constexpr const wchar_t* kLocalSystemSid = L"S-1-5-18";

// The descriptor of every named job silod creates (pods, HostProcess
// containers): owner Administrators, SYSTEM and Administrators the only
// principals, so no other user can open, change or squat it.
inline constexpr const wchar_t* kSilodJobSddl = L"O:BAG:BAD:P(A;;GA;;;SY)(A;;GA;;;BA)";

// Whether a job's owner SID is one only silod (an administrator) can set:
// a job of silod's name with another owner was made by someone else.
inline bool IsSilodJobOwner(std::wstring_view sid) { return sid == kAdministratorsSid || sid == kLocalSystemSid; }

struct JobApi {
  // kernel32 OpenJobObjectW: `name` is a Win32 object name, looked up in the
  // session's BaseNamedObjects directory. Null on failure (get_last_error).
  void* (*open_job_object)(uint32_t desired_access, int32_t inherit_handle, const wchar_t* name);
  uint32_t (*get_last_error)();
  // ntdll NtOpenJobObject: the name is an object-manager path such as
  // \Container_<id>, the job HCS makes for a process-isolated container's
  // silo. Returns an NTSTATUS (0 = success).
  int32_t (*nt_open_job_object)(void** job, uint32_t desired_access, const NtObjectAttributes* attributes);
  // ntdll RtlNtStatusToDosError.
  uint32_t (*rtl_nt_status_to_dos_error)(int32_t status);
  // kernel32 CloseHandle (a BOOL).
  int32_t (*close_handle)(void* handle);
  // kernel32 CreateJobObjectW(&sa, name), sa carrying the security
  // descriptor `sddl` parses to (ConvertStringSecurityDescriptorToSecurity-
  // DescriptorW); a null `sddl` gives the default security. A job of that
  // name that exists already is opened instead: the handle comes back and
  // get_last_error() says ERROR_ALREADY_EXISTS (183); a new one leaves 0.
  // Null on failure (get_last_error). A job lives while a handle to it is
  // open or a process is in it, but its NAME lives only while a handle is
  // open: once the last handle closes, the processes keep a nameless job
  // that no open by name can reach.
  void* (*create_job_object)(const wchar_t* name, const wchar_t* sddl);
  // advapi32 GetSecurityInfo(job, SE_KERNEL_OBJECT, OWNER_SECURITY_INFORMATION)
  // then ConvertSidToStringSidW: the owner SID ("S-1-5-32-544") written to
  // `sid` (`capacity` wchar_t, NUL included). 0 or a Win32 error.
  uint32_t (*get_job_owner)(void* job, wchar_t* sid, uint32_t capacity);
  // kernel32 DuplicateHandle(GetCurrentProcess(), job, target_process, out,
  // access, FALSE, 0): a handle to `job` inside another process, which keeps
  // the job's name alive while that process lives (a BOOL).
  int32_t (*duplicate_job_handle)(void* job, void* target_process, uint32_t access, void** out);
  // kernel32 TerminateJobObject: ends every process in the job (a BOOL).
  int32_t (*terminate_job_object)(void* job, uint32_t exit_code);
};

}  // namespace silo::runtime::windows::jobobject
