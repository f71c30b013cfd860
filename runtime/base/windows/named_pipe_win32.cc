#include "runtime/base/windows/named_pipe_win32.h"

#include <sddl.h>

#include "runtime/base/windows/pipe_server_trust.h"

#include <utility>

namespace silo::win32 {

Result<PipeSecurity> PipeSecurity::FromSddl(const std::wstring& sddl) {
  PipeSecurity s;
  if (!ConvertStringSecurityDescriptorToSecurityDescriptorW(sddl.c_str(), SDDL_REVISION_1, &s.descriptor_,
                                                            nullptr)) {
    return LastErrorStatus("parsing the pipe's security descriptor");
  }
  return s;
}

PipeSecurity::PipeSecurity(PipeSecurity&& other) noexcept : descriptor_(std::exchange(other.descriptor_, nullptr)) {}

PipeSecurity& PipeSecurity::operator=(PipeSecurity&& other) noexcept {
  if (this != &other) {
    if (descriptor_ != nullptr) LocalFree(descriptor_);
    descriptor_ = std::exchange(other.descriptor_, nullptr);
  }
  return *this;
}

PipeSecurity::~PipeSecurity() {
  if (descriptor_ != nullptr) LocalFree(descriptor_);
}

SECURITY_ATTRIBUTES PipeSecurity::Attributes() const {
  SECURITY_ATTRIBUTES sa = {};
  sa.nLength = sizeof(sa);
  sa.lpSecurityDescriptor = descriptor_;
  sa.bInheritHandle = FALSE;
  return sa;
}

Result<HANDLE> CreateLocalPipeInstance(const std::wstring& name, const PipeSecurity& security, bool first,
                                       DWORD buffer_size) {
  SECURITY_ATTRIBUTES sa = security.Attributes();
  const DWORD open_mode = PIPE_ACCESS_DUPLEX | FILE_FLAG_OVERLAPPED | (first ? FILE_FLAG_FIRST_PIPE_INSTANCE : 0);
  const DWORD pipe_mode = PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS;
  HANDLE h = CreateNamedPipeW(name.c_str(), open_mode, pipe_mode, PIPE_UNLIMITED_INSTANCES, buffer_size, buffer_size,
                              0, &sa);
  if (h == INVALID_HANDLE_VALUE) return LastErrorStatus("CreateNamedPipe");
  return h;
}

PipeConnect WaitForPipeClient(HANDLE instance, HANDLE stop_event) {
  OVERLAPPED ov = {};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (ov.hEvent == nullptr) return PipeConnect::kFailed;
  PipeConnect result = PipeConnect::kFailed;
  if (ConnectNamedPipe(instance, &ov)) {
    result = PipeConnect::kConnected;
  } else if (GetLastError() == ERROR_PIPE_CONNECTED) {
    result = PipeConnect::kConnected;  // the client came between create and connect
  } else if (GetLastError() == ERROR_IO_PENDING) {
    HANDLE waits[2] = {ov.hEvent, stop_event};
    DWORD ignored = 0;
    if (WaitForMultipleObjects(2, waits, FALSE, INFINITE) == WAIT_OBJECT_0) {
      result = GetOverlappedResult(instance, &ov, &ignored, FALSE) ? PipeConnect::kConnected : PipeConnect::kFailed;
    } else {
      CancelIoEx(instance, &ov);
      GetOverlappedResult(instance, &ov, &ignored, TRUE);
      result = PipeConnect::kStopped;
    }
  }
  CloseHandle(ov.hEvent);
  return result;
}

int64_t OverlappedTransfer(HANDLE h, bool write, char* data, DWORD len, DWORD timeout_ms) {
  OVERLAPPED ov = {};
  ov.hEvent = CreateEventW(nullptr, TRUE, FALSE, nullptr);
  if (ov.hEvent == nullptr) return -1;
  DWORD done = 0;
  BOOL ok = write ? WriteFile(h, data, len, &done, &ov) : ReadFile(h, data, len, &done, &ov);
  bool timed_out = false;
  if (!ok && GetLastError() == ERROR_IO_PENDING) {
    if (timeout_ms != INFINITE && WaitForSingleObject(ov.hEvent, timeout_ms) == WAIT_TIMEOUT) {
      timed_out = true;
      CancelIoEx(h, &ov);
    }
    ok = GetOverlappedResult(h, &ov, &done, TRUE);
  }
  const DWORD err = ok ? 0 : GetLastError();
  CloseHandle(ov.hEvent);
  if (timed_out && !ok) return kTransferTimedOut;
  if (!ok) {
    const bool end = err == ERROR_BROKEN_PIPE || err == ERROR_PIPE_NOT_CONNECTED || err == ERROR_HANDLE_EOF;
    return end && !write ? 0 : -1;
  }
  return static_cast<int64_t>(done);
}

namespace {

// The user and Administrators membership of process `pid`'s token; false
// when it cannot be read (then nothing is trusted but the expected pid).
bool ServerToken(DWORD pid, PipeServerFacts* facts) {
  HANDLE process = OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, FALSE, pid);
  if (process == nullptr) return false;
  HANDLE token = nullptr;
  const bool opened = OpenProcessToken(process, TOKEN_QUERY | TOKEN_DUPLICATE, &token);
  CloseHandle(process);
  if (!opened) return false;
  bool ok = false;
  DWORD size = 0;
  GetTokenInformation(token, TokenUser, nullptr, 0, &size);
  std::string buffer(size, '\0');
  if (size != 0 && GetTokenInformation(token, TokenUser, buffer.data(), size, &size)) {
    char* text = nullptr;
    if (ConvertSidToStringSidA(reinterpret_cast<TOKEN_USER*>(buffer.data())->User.Sid, &text)) {
      facts->user_sid = text;
      LocalFree(text);
      ok = true;
    }
  }
  // CheckTokenMembership wants an impersonation token.
  HANDLE identify = nullptr;
  BYTE admins[SECURITY_MAX_SID_SIZE];
  DWORD admins_size = sizeof(admins);
  BOOL member = FALSE;
  if (ok && DuplicateToken(token, SecurityIdentification, &identify) &&
      CreateWellKnownSid(WinBuiltinAdministratorsSid, nullptr, admins, &admins_size) &&
      CheckTokenMembership(identify, admins, &member)) {
    facts->administrator = member != FALSE;
  }
  if (identify != nullptr) CloseHandle(identify);
  CloseHandle(token);
  return ok;
}

}  // namespace

HrStatus VerifyPipeServer(HANDLE client, const std::string& pipe, uint32_t expected_pid) {
  PipeServerFacts facts;
  ULONG pid = 0;
  if (!GetNamedPipeServerProcessId(client, &pid)) return LastErrorStatus(pipe + ": GetNamedPipeServerProcessId");
  facts.pid = pid;
  if (expected_pid == 0 || facts.pid != expected_pid) ServerToken(pid, &facts);
  return JudgePipeServer(pipe, facts, expected_pid);
}

HrStatus LastErrorStatus(const std::string& what) {
  const DWORD err = GetLastError();
  const uint32_t hr = err == 0 ? 0x80004005u : ((err & 0xFFFFu) | 0x80070000u);
  return HrStatus(hr, what + ": Win32 error " + std::to_string(err));
}

}  // namespace silo::win32
