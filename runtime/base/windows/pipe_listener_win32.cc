#include "runtime/base/windows/pipe_listener_win32.h"

namespace silo::win32 {

Result<std::unique_ptr<PipeListener>> PipeListener::Create(const std::wstring& name, const std::wstring& sddl,
                                                           DWORD buffer_size) {
  Result<PipeSecurity> security = PipeSecurity::FromSddl(sddl);
  if (!security.ok()) return security.status();
  std::unique_ptr<PipeListener> l(new PipeListener(name, std::move(*security), buffer_size));
  Result<HANDLE> dormant = CreateLocalPipeInstance(name, l->security_, /*first=*/true, buffer_size);
  if (!dormant.ok()) return dormant.status();
  l->dormant_ = *dormant;
  // Occupy the dormant instance: with a client that connected and left, it
  // stays busy (never listening again) until it is closed, so no real client
  // is ever put on it, and the name stays ours.
  HANDLE client = CreateFileW(name.c_str(), 0, 0, nullptr, OPEN_EXISTING, SECURITY_SQOS_PRESENT | SECURITY_ANONYMOUS,
                              nullptr);
  if (client == INVALID_HANDLE_VALUE) return LastErrorStatus("occupying the first instance of the pipe");
  CloseHandle(client);
  Result<HANDLE> listening = CreateLocalPipeInstance(name, l->security_, /*first=*/false, buffer_size);
  if (!listening.ok()) return listening.status();
  l->listening_ = *listening;
  return l;
}

PipeListener::~PipeListener() {
  if (listening_ != INVALID_HANDLE_VALUE) CloseHandle(listening_);
  if (dormant_ != INVALID_HANDLE_VALUE) CloseHandle(dormant_);
}

Result<HANDLE> PipeListener::Accept(HANDLE stop_event) {
  for (;;) {
    if (listening_ == INVALID_HANDLE_VALUE) {
      Result<HANDLE> next = CreateLocalPipeInstance(name_, security_, /*first=*/false, buffer_size_);
      if (!next.ok()) return next.status();
      listening_ = *next;
    }
    const PipeConnect outcome = WaitForPipeClient(listening_, stop_event);
    if (outcome == PipeConnect::kStopped) return static_cast<HANDLE>(nullptr);
    HANDLE connected = listening_;
    listening_ = INVALID_HANDLE_VALUE;
    if (outcome == PipeConnect::kFailed) {
      CloseHandle(connected);  // a client that left at once: listen anew
      continue;
    }
    // The next instance first, so a client arriving now finds one; if it
    // cannot be made, the next Accept tries again (the name stays held by
    // the dormant instance either way).
    Result<HANDLE> next = CreateLocalPipeInstance(name_, security_, /*first=*/false, buffer_size_);
    if (next.ok()) listening_ = *next;
    return connected;
  }
}

}  // namespace silo::win32
