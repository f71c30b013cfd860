#pragma once
// Local named pipes as silod uses them: its CRI front door (network/relay)
// and each container monitor's control pipe (silo-shim.exe). One place for
// the security descriptor (SYSTEM and Administrators only), the instance
// flags (local clients only, first instance claims the name), waiting for a
// client with a stop event, and one overlapped read or write waited for.
// Win32 only. Thread-safe except where noted.

#include <windows.h>

#include <cstdint>
#include <string>

#include "runtime/base/windows/result.h"

namespace silo::win32 {

// SYSTEM and BUILTIN\Administrators, full access; no inherited entries.
inline constexpr const wchar_t* kSystemAndAdministratorsSddl = L"D:P(A;;GA;;;SY)(A;;GA;;;BA)";

// A self-relative security descriptor parsed from SDDL; owns it (LocalFree).
// Move-only.
class PipeSecurity {
 public:
  static Result<PipeSecurity> FromSddl(const std::wstring& sddl);
  PipeSecurity() = default;
  PipeSecurity(PipeSecurity&& other) noexcept;
  PipeSecurity& operator=(PipeSecurity&& other) noexcept;
  ~PipeSecurity();

  // Attributes that point at this descriptor, not inheritable.
  SECURITY_ATTRIBUTES Attributes() const;

 private:
  PSECURITY_DESCRIPTOR descriptor_ = nullptr;
};

// One instance of a duplex byte-mode pipe opened for overlapped I/O that
// rejects remote clients. With `first`, FILE_FLAG_FIRST_PIPE_INSTANCE: it
// fails if anyone else holds the name, so no process can squat it first.
Result<HANDLE> CreateLocalPipeInstance(const std::wstring& name, const PipeSecurity& security, bool first,
                                       DWORD buffer_size);

enum class PipeConnect { kConnected, kStopped, kFailed };
// Waits for a client on `instance` (overlapped) until one connects or
// `stop_event` is set; a wait stopped this way leaves no I/O pending.
PipeConnect WaitForPipeClient(HANDLE instance, HANDLE stop_event);

// One ReadFile or WriteFile on `h` with its own OVERLAPPED and event, waited
// for, so it works on handles opened overlapped or not, and CancelIoEx from
// another thread ends it. Returns the bytes moved; for a read 0 at end of
// stream (broken pipe, disconnected, EOF); -1 on error or cancellation;
// kTransferTimedOut when `timeout_ms` passed (the I/O is cancelled then).
inline constexpr int64_t kTransferTimedOut = -2;
int64_t OverlappedTransfer(HANDLE h, bool write, char* data, DWORD len, DWORD timeout_ms = INFINITE);

// Who serves the pipe `client` is connected to (GetNamedPipeServerProcessId,
// then that process's token), judged by JudgePipeServer
// (pipe_server_trust.h): OK for `expected_pid` (0: any) or a server running
// as SYSTEM or an administrator. Call it after connecting and before sending
// anything. `pipe` names the pipe in errors.
HrStatus VerifyPipeServer(HANDLE client, const std::string& pipe, uint32_t expected_pid);

// HRESULT_FROM_WIN32(GetLastError()) with `what` and the error number.
HrStatus LastErrorStatus(const std::string& what);

}  // namespace silo::win32
