#pragma once
// ContainerMonitor: the heart of silo-shim.exe, one per container. It owns
// what must outlive silod (design: "Windows processes and build"):
//   - the container's HCS_SYSTEM handle, held for the monitor's lifetime, so
//     a document with ShouldTerminateOnLastHandleClosed stops the container
//     only when the monitor dies, never when silod restarts;
//   - the main process, created here with HcsCreateProcess so its stdout and
//     stderr pipes are born where they are read, drained into the CRI log
//     (core/ line rules, shared with the Linux shim);
//   - the exit record, written durably once the process has exited and all
//     its output is in the log;
//   - exec processes and their captured output (ExecSync).
// Portable: it calls HCS only through HcsApi/StdioIo tables and files only
// through shim_files.h, so it runs on Linux against the fake HCS.
//
//   Create ──> kCreated ──Start──> kRunning ──main process exits──> kStopped
//   (then the system is shut down, as hcsshim's task does)
//
// Thread safety: every method may be called from any thread, concurrently.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "runtime/base/windows/result.h"
#include "runtime/shim/core/cri_line_cutter.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hcs/stdio_io.h"
#include "runtime/windows/shim/cri_log_file.h"
#include "runtime/windows/shim/exit_record.h"
#include "runtime/windows/shim/exec_output_limits.h"
#include "runtime/windows/shim/output_drain.h"
#include "runtime/windows/shim/output_tap.h"
#include "runtime/windows/shim/stdin_pipe.h"

namespace silo::runtime::windows::shim {

using hcs::Deadline;

struct MonitorOptions {
  std::string id;  // the compute system id (the container id)
  // Non-empty: HcsCreateComputeSystem with this document, with
  // ShouldTerminateOnLastHandleClosed forced on (the monitor's handle is then
  // the container's lifeline: a dead monitor never leaks a system). Empty:
  // the system exists already (silod created it) and is opened.
  std::string document_json;
  // ProcessParameters of the main process (CommandLine, WorkingDirectory,
  // Environment, ...). The monitor sets the pipe flags itself: stdout and
  // stderr are always piped, stdin only with `open_stdin`.
  std::string process_json;
  bool open_stdin = false;
  std::string log_path;  // empty: output is drained and dropped
  std::string exit_path;
  size_t max_log_line = runtime::shim::kDefaultMaxLogLine;
  // Once the main process has exited, the system is shut down and, after
  // this grace, terminated.
  std::chrono::milliseconds exit_shutdown_grace{std::chrono::seconds(30)};
  CriLogFile::Clock clock;  // log timestamps and exit time; null: system clock
};

enum class MonitorState { kCreated, kRunning, kStopped };
const char* MonitorStateName(MonitorState state);  // "created", "running", "stopped"

struct MonitorStatus {
  MonitorState state = MonitorState::kCreated;
  uint32_t pid = 0;
  std::optional<ExitRecord> exit;
};

struct ExecResult {
  int64_t exit_code = -1;
  bool timed_out = false;  // the process was terminated at the timeout
  std::string stdout_data;
  std::string stderr_data;
};

class ContainerMonitor {
 public:
  // Creates or opens the compute system, and opens the log. Nothing is left
  // behind on failure (a system created here is terminated and closed).
  static win32::Result<std::unique_ptr<ContainerMonitor>> Create(const hcs::HcsApi& api, const hcs::StdioIo& io,
                                                                 MonitorOptions options, Deadline deadline);
  // Closes every handle. The container keeps running unless its document
  // set ShouldTerminateOnLastHandleClosed (then HCS stops it): the monitor
  // going away is the container's end only if silod asked for it.
  ~ContainerMonitor();
  ContainerMonitor(const ContainerMonitor&) = delete;
  ContainerMonitor& operator=(const ContainerMonitor&) = delete;

  // Starts the system unless it runs already, then creates the main process
  // and starts draining its output. Only from kCreated. On failure the
  // system is terminated (a container without its main process must not
  // run), its handle kept until the monitor closes.
  win32::HrStatus Start(Deadline deadline);
  MonitorStatus Status() const;
  // Waits for kStopped (exit recorded). HCS_E_OPERATION_TIMEOUT at the
  // deadline (kNoDeadline: none), HCS_E_SERVICE_DISCONNECT when the monitor
  // is being destroyed: a waiter always gets an answer.
  win32::Result<ExitRecord> Wait(Deadline deadline) const;
  // The signal as hcsshim's ValidateWCOW maps it (wcow_signal.h): 9
  // terminates the main process; 15 and the console events are sent with
  // HcsSignalProcess in the background, because servercore blocks that call
  // until the process is gone; others fail with E_INVALIDARG. Before Start
  // the system is terminated and the exit recorded with status 1 (hcsshim's
  // exitFromCreated). OK when the container has already exited.
  win32::HrStatus Kill(int signal, Deadline deadline);
  // Runs a process in the container and captures its output (ExecSync).
  // `timeout` zero: no timeout; else the process is terminated at it and
  // the result says timed_out. A failed wait terminates the process too and
  // returns the error; output still pending a second after the exit (a
  // child holds the pipe) is not waited for.
  win32::Result<ExecResult> Exec(std::string_view process_json, std::chrono::milliseconds timeout,
                                 Deadline create_deadline);
  win32::HrStatus ReopenLog();
  win32::HrStatus CloseStdin(Deadline deadline);
  win32::HrStatus ResizeConsole(uint16_t width, uint16_t height, Deadline deadline);
  // HcsTerminateComputeSystem, waited for until `deadline`; OK when stopped.
  win32::HrStatus TerminateSystem(Deadline deadline);
  // Shuts the compute system down (Terminate after `grace`) and waits for it.
  win32::HrStatus StopSystem(Deadline grace, Deadline deadline);
  // The main process's stdin handle (null without `open_stdin`, and once
  // closed: by CloseStdin or when the process exited); owned here.
  void* stdin_handle() const;

  // Interactive sessions (monitor_sessions.h).
  // A process in the container whose stdio the caller relays: stdin piped
  // with `open_stdin`, stdout always, stderr unless EmulateConsole. The
  // caller takes the stdio handles (TakeStdio) and closes them.
  win32::Result<std::unique_ptr<hcs::Process>> CreateSessionProcess(std::string_view process_json, bool open_stdin,
                                                                    Deadline deadline);
  // Adds `tap` (not owned; it must stay alive until RemoveOutputTap) to the
  // main process's output from now on. False when the output has ended
  // already, or the container never started (the tap is not added).
  bool AddOutputTap(OutputTap* tap);
  // After it returns, `tap` is called no more.
  void RemoveOutputTap(OutputTap* tap);
  // Writes to the main process's stdin. HCS_E_INVALID_STATE without an open stdin
  // (not created with it, or closed), a failure when the process is gone or
  // the write was cancelled; nothing is written once `abandoned` is set.
  win32::HrStatus WriteMainStdin(std::string_view data, const std::atomic<bool>* abandoned = nullptr);
  // Releases a write to the main stdin pending now (a process that stopped
  // reading holds it) if `writer` made it (StdinPipe::CancelWrites): that
  // write fails, the stdin stays open.
  void CancelMainStdinWrites(const std::atomic<bool>* writer = nullptr);
  const hcs::HcsApi& api() const { return api_; }
  const hcs::StdioIo& io() const { return io_; }

 private:
  ContainerMonitor(const hcs::HcsApi& api, const hcs::StdioIo& io, MonitorOptions options);
  void AwaitExit();
  // Closes the main stdin (releasing a write a stalled process holds).
  void CloseMainStdinPipe();
  // Writes the exit record, then moves to kStopped and wakes the waiters.
  void RecordExit(const ExitRecord& record);
  win32::HrStatus TerminateAfterFailedStart(const win32::HrStatus& why);
  win32::HrStatus KillBeforeStart(Deadline deadline);
  void ReapSignalSenders();  // with mu_ held
  struct timespec Now() const;

  struct SignalSender {
    std::thread thread;
    std::shared_ptr<std::atomic<bool>> done;  // set as its last step
  };

  const hcs::HcsApi& api_;
  const hcs::StdioIo& io_;
  const MonitorOptions options_;
  std::unique_ptr<hcs::ComputeSystem> system_;
  std::unique_ptr<CriLogFile> log_;  // null without a log path

  mutable std::mutex mu_;
  mutable std::condition_variable stopped_cv_;
  MonitorState state_ = MonitorState::kCreated;  // guarded by mu_
  std::optional<ExitRecord> exit_;               // guarded by mu_
  win32::HrStatus exit_write_;                   // guarded by mu_; writing the exit record
  bool closing_ = false;                         // guarded by mu_
  std::unique_ptr<hcs::Process> process_;        // set once by Start under mu_
  void* stdin_ = nullptr;                        // guarded by mu_; null once closed
  std::unique_ptr<StdinPipe> stdin_pipe_;        // set once by Start under mu_; owns stdin_
  std::mutex taps_mu_;                           // taken after mu_, never before
  std::vector<OutputTap*> taps_;                 // guarded by taps_mu_
  bool output_ended_ = false;                    // guarded by taps_mu_
  std::unique_ptr<OutputDrain> stdout_drain_;
  std::unique_ptr<OutputDrain> stderr_drain_;
  runtime::shim::CriLineCutter stdout_cutter_;  // used by the stdout drain thread only
  runtime::shim::CriLineCutter stderr_cutter_;  // used by the stderr drain thread only
  std::thread exit_waiter_;
  // Guarded by mu_; finished ones are joined by the next Kill, the rest by
  // the destructor.
  std::vector<SignalSender> signal_senders_;
};

}  // namespace silo::runtime::windows::shim
