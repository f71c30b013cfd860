#pragma once
// Process: one process inside an HCS compute system (HCS_PROCESS), after
// hcsshim internal/hcs/v2/process.go. Created by ComputeSystem::CreateProcess
// or ComputeSystem::OpenProcess; owns its handle and the event registration
// (ProcessExited). Stdio handles returned by HcsCreateProcess belong to the
// Process until TakeStdio() moves them to the caller (e.g. silo-shim).
//
// Thread safety: Signal/Terminate/WaitForExit may run concurrently with each
// other; Close and the destructor must not race with other calls.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/events.h"
#include "runtime/windows/hcs/operation.h"
#include "runtime/base/windows/result.h"

namespace silo::runtime::windows::hcs {

struct StdioHandles {
  void* std_input = nullptr;
  void* std_output = nullptr;
  void* std_error = nullptr;
};

struct ProcessExit {
  // -1 when HCS could not read it (LastWaitResult != 0).
  int64_t exit_code = -1;
};

class Process {
 public:
  // Takes ownership of `handle` (already opened or created on `system_id`)
  // and registers the event callback, then asks HCS once whether the
  // process has exited already (HcsGetProcessProperties): an exit before
  // the registration counts as ProcessExited, delivered once. Fails
  // (closing the handle) when the callback cannot be set.
  static win32::Result<std::unique_ptr<Process>> Adopt(const HcsApi& api, std::string system_id, uint32_t pid,
                                                HcsHandle handle, StdioHandles stdio);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  uint32_t pid() const { return pid_; }
  const std::string& system_id() const { return system_id_; }
  // Moves the stdio handles to the caller, who must close them.
  StdioHandles TakeStdio();

  // HcsSignalProcess with ProcessSignal JSON (e.g. {"Signal":"CtrlShutdown"}).
  // Returns false when the signal was not delivered because the process is
  // gone or cannot take it (HCS_E_INVALID_STATE, already stopped).
  win32::Result<bool> Signal(std::string_view options_json, Deadline deadline);
  // HcsTerminateProcess. OK when the process has already stopped.
  win32::HrStatus Terminate(Deadline deadline);
  // Waits for ProcessExited.
  win32::Result<ProcessExit> WaitForExit(Deadline deadline);
  // Calls `fn` once on ProcessExited or a service disconnect: right away if
  // it has arrived, else on HCS's notification thread (so `fn` must not
  // block). The id is for RemoveExitListener.
  uint64_t AddExitListener(std::function<void()> fn);
  void RemoveExitListener(uint64_t id);
  // HcsModifyProcess with ProcessModifyRequest JSON.
  win32::HrStatus Modify(std::string_view settings_json, Deadline deadline);
  // {"Operation":"ConsoleSize","ConsoleSize":{"Height":h,"Width":w}} (TTY processes).
  win32::HrStatus ResizeConsole(uint16_t width, uint16_t height, Deadline deadline);
  // {"Operation":"CloseHandle","CloseHandle":{"Handle":"StdIn"}}: the process sees EOF.
  win32::HrStatus CloseStdin(Deadline deadline);

  // Unregisters events, closes stdio not taken and the handle. Idempotent.
  void Close();

 private:
  Process(const HcsApi& api, std::string system_id, uint32_t pid, HcsHandle handle, StdioHandles stdio);

  std::string Name() const;
  // After the callback is set: an exit it may have missed is posted.
  void CatchEarlyExit();

  const HcsApi& api_;
  const std::string system_id_;
  const uint32_t pid_;
  HcsHandle handle_;
  StdioHandles stdio_;
  std::shared_ptr<EventSink> events_ = std::make_shared<EventSink>();
  void* callback_context_ = nullptr;
};

// Parses a ProcessExited payload {"ProcessId","Exited","ExitCode","LastWaitResult"}.
ProcessExit ParseProcessExited(std::string_view json);

// Kills `pid` in `system_id` through fresh handles (HcsOpenComputeSystem ->
// HcsOpenProcess -> HcsTerminateProcess), because HCS serialises signals per
// system handle and a blocked signal on the main handle would block the kill
// (hcsshim Process.Kill). OK when the process or system has already gone.
win32::HrStatus TerminateProcessThroughFreshHandle(const HcsApi& api, std::string_view system_id, uint32_t pid,
                                            Deadline deadline);

}  // namespace silo::runtime::windows::hcs
