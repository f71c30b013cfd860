#pragma once
// HostProcessMonitor: silo-shim.exe's HostProcess mode, one per container.
// It owns what must outlive silod, as containerd-shim-runhcs-v1 owns a job
// container (hcsshim's internal/jobcontainers):
//   - the only lasting handle of the named job "silo-hpc-<id>" (SYSTEM and
//     Administrators only, owner Administrators, KILL_ON_JOB_CLOSE): when
//     this process dies, however it dies, the job's processes end with it,
//     and a silod restart does not touch them;
//   - the silo with the rootfs and mounts bound in, or the directory links;
//   - the logon (token, temporary user) and the main process, born in the
//     job, its stdout and stderr pumped into the CRI log;
//   - the exit record, written durably once the main process has exited,
//     the rest of the job has been ended (CTRL_SHUTDOWN, up to 5 s, then
//     the job terminated, as hcsshim's job containers) and all output is in
//     the log;
//   - exec processes in the same job with the same token (ExecSync, and
//     exec sessions), and attach taps of the main process's output.
//
//   Create ──> kCreated ──Start──> kRunning ──main process exits──> kStopped
//
// Kill: SIGKILL terminates the whole job (exit code 1, hcsshim's Terminate);
// SIGTERM sends the main process CTRL_SHUTDOWN and 2 CTRL_CLOSE (a
// CtrlRoutine thread, hcsshim's Signal with console options), leaving the
// grace period to the stop, whose SIGKILL follows; where the event cannot be
// delivered, and for other signals, the main process is terminated. Before
// Start the container ends with status 1 without running.
// Shutdown terminates what is left, logs off (deleting a temporary user) and
// removes the links; the job closes with the monitor.
// Portable: every Win32 call goes through the ProcessApi table (the shim's
// own), so it runs on Linux against fake/. Thread-safe.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"
#include "runtime/windows/host_process.h"
#include "runtime/windows/hostprocess/cri_log_file.h"
#include "runtime/windows/hostprocess/launch.h"
#include "runtime/windows/hostprocess/logon.h"
#include "runtime/windows/hostprocess/process_api.h"
#include "runtime/windows/shim/exit_record.h"
#include "runtime/windows/shim/output_tap.h"

namespace silo::runtime::windows::hostprocess {

// What silod hands a HostProcess shim: a JSON file in the state dir, whose
// DACL (SYSTEM and Administrators only) keeps the plan's environment, which
// may hold secrets, from other users.
struct HostProcessLaunch {
  std::string id;
  HostProcessPlan plan;
  std::string rootfs;
};
std::string EncodeHostProcessLaunch(const HostProcessLaunch& launch);
absl::StatusOr<HostProcessLaunch> DecodeHostProcessLaunch(const std::string& json);

struct HostProcessMonitorOptions {
  HostProcessLaunch launch;
  std::string log_path;  // "" = output dropped
  std::string exit_path;
};

enum class HostProcessState { kCreated, kRunning, kStopped };
const char* HostProcessStateName(HostProcessState state);  // "created", "running", "stopped"

struct HostProcessStatus {
  HostProcessState state = HostProcessState::kCreated;
  uint32_t pid = 0;
  std::optional<windows::shim::ExitRecord> exit;
};

struct HostProcessExecResult {
  int exit_code = -1;
  bool timed_out = false;
  std::string stdout_data;
  std::string stderr_data;
};

// hcsshim's Terminate exit code for a job container.
inline constexpr uint32_t kTerminatedExitCode = 1;

class HostProcessMonitor {
 public:
  // The job (a name that exists already is refused: someone else's job is
  // never joined), its limits, then the silo and binds or the links.
  // Nothing is left on failure.
  static absl::StatusOr<std::unique_ptr<HostProcessMonitor>> Create(const ProcessApi& api,
                                                                    HostProcessMonitorOptions options);
  // Closes every handle: the job's processes end (kill-on-close).
  ~HostProcessMonitor();
  HostProcessMonitor(const HostProcessMonitor&) = delete;
  HostProcessMonitor& operator=(const HostProcessMonitor&) = delete;

  // Opens the log, logs on and launches the main process. Only from kCreated.
  absl::Status Start();
  HostProcessStatus Status() const;
  // Until kStopped: DeadlineExceeded at `timeout` (negative: none),
  // Unavailable when the monitor is closing.
  absl::StatusOr<windows::shim::ExitRecord> Wait(std::chrono::milliseconds timeout) const;
  absl::Status Kill(int signal);
  // `args` joined as CreateProcess wants, the mount point expanded as in the
  // main process's arguments. `timeout` zero: none; else the process is
  // terminated at it and the result says timed_out. Each stream keeps its
  // first 16 MiB; after the exit the output gets 1 s more (a child left
  // holding the pipe is not waited for). Unavailable once Shutdown began:
  // an exec under way keeps the logon token alive until it returns.
  absl::StatusOr<HostProcessExecResult> Exec(const std::vector<std::string>& args, std::chrono::milliseconds timeout);
  absl::Status ReopenLog();

  // Interactive sessions (hostprocess_sessions.h).
  // An exec session's process: as Exec (same job, token, environment,
  // working directory, mount point expansion), with the stdin or pseudo
  // console `stdio` asks for, its output handed to the sinks. The caller
  // owns the result: it waits for the process, closes its console, joins
  // the pumps, closes the handles.
  absl::StatusOr<LaunchedInJob> LaunchSessionProcess(const std::vector<std::string>& args, const LaunchStdio& stdio,
                                                     OutputPump::Sink on_stdout, OutputPump::Sink on_stderr);
  // A copy of the main process's output from now on, until Ended; false
  // (and nothing added) once that output has ended. `tap` must stay alive
  // until RemoveOutputTap.
  bool AddOutputTap(shim::OutputTap* tap);
  void RemoveOutputTap(shim::OutputTap* tap);
  const ProcessApi& api() const { return api_; }
  // Ends the container: the job terminated, output drained, the log
  // finished, the logon undone, the links removed. Idempotent.
  absl::Status Shutdown();

 private:
  HostProcessMonitor(const ProcessApi& api, HostProcessMonitorOptions options);
  absl::Status SetUpJob();
  void AwaitExit();
  // After the main process's exit: CTRL_SHUTDOWN to every process left in
  // the job, then up to 5 s for them to go (the caller terminates the job).
  void ShutDownTheRest();
  void RecordExit(const windows::shim::ExitRecord& record);
  void Release();
  void TapOutput(shim::LogStream stream, std::string_view chunk);
  void EndTaps();
  absl::StatusOr<std::shared_ptr<void>> ExecToken() const;
  absl::StatusOr<std::string> ExecCommandLine(const std::vector<std::string>& args) const;
  // An exec's process, still suspended, may run: not once Shutdown has begun.
  absl::Status MayRunExec() const;
  absl::Status ShuttingDownError() const;

  const ProcessApi& api_;
  const HostProcessMonitorOptions options_;
  void* job_ = nullptr;
  std::vector<std::string> links_;  // made by Create, removed by Release
  CriLogFile log_;
  Logon logon_;
  LaunchedInJob main_;  // set once by Start under mu_

  mutable std::mutex mu_;
  mutable std::condition_variable stopped_cv_;
  HostProcessState state_ = HostProcessState::kCreated;  // guarded by mu_
  std::optional<windows::shim::ExitRecord> exit_;         // guarded by mu_
  bool closing_ = false;                                  // guarded by mu_
  bool shutting_down_ = false;                            // guarded by mu_
  bool main_exited_ = false;                              // guarded by mu_ (set before ShutDownTheRest)
  // The logon token (logon_.token stays null): shared with the execs under
  // way, so a concurrent Shutdown never closes it under them.
  std::shared_ptr<void> token_;                           // guarded by mu_
  bool released_ = false;                                 // guarded by release_mu_
  std::mutex release_mu_;
  std::thread exit_waiter_;
  std::mutex taps_mu_;
  std::vector<shim::OutputTap*> taps_;  // guarded by taps_mu_
  bool output_ended_ = false;           // guarded by taps_mu_
};

}  // namespace silo::runtime::windows::hostprocess
