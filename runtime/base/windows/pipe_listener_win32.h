#pragma once
// PipeListener: the server side of a local named pipe that never lets go of
// its name, as go-winio's ListenPipe does. While a pipe has no instance its
// name is free, and any local user could then create it with their own
// security descriptor and receive silod's clients. So:
//   - the first instance is created with FILE_FLAG_FIRST_PIPE_INSTANCE (it
//     fails if anyone holds the name) and kept, dormant, for the listener's
//     life: a client of our own connects to it and leaves at once, so it sits
//     "busy" and never takes a real client; further instances can only be
//     added by whoever the descriptor lets create instances (SYSTEM and
//     Administrators);
//   - Accept keeps one listening instance besides it and makes the next one
//     before handing a connected instance out.
// Win32 only. Accept has one caller at a time; Create and the destructor
// are not concurrent with it.

#include <windows.h>

#include <memory>
#include <string>

#include "runtime/base/windows/named_pipe_win32.h"
#include "runtime/base/windows/result.h"

namespace silo::win32 {

class PipeListener {
 public:
  // Claims `name` (ERROR_ACCESS_DENIED when another server holds it) with
  // the descriptor `sddl`.
  static Result<std::unique_ptr<PipeListener>> Create(const std::wstring& name, const std::wstring& sddl,
                                                      DWORD buffer_size);
  ~PipeListener();
  PipeListener(const PipeListener&) = delete;
  PipeListener& operator=(const PipeListener&) = delete;

  // Waits for a client until `stop_event` is set. A connected instance (the
  // caller owns it: DisconnectNamedPipe and CloseHandle), or null when
  // stopped; an error when no instance can be made.
  Result<HANDLE> Accept(HANDLE stop_event);

 private:
  PipeListener(std::wstring name, PipeSecurity security, DWORD buffer_size)
      : name_(std::move(name)), security_(std::move(security)), buffer_size_(buffer_size) {}

  const std::wstring name_;
  const PipeSecurity security_;
  const DWORD buffer_size_;
  HANDLE dormant_ = INVALID_HANDLE_VALUE;    // holds the name; never serves
  HANDLE listening_ = INVALID_HANDLE_VALUE;  // the instance clients reach
};

}  // namespace silo::win32
