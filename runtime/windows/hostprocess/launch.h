#pragma once
// Launching one process of a HostProcess container in its job, in the
// order that never lets it run outside the job: the token's default
// environment merged with the plan's (MergeHostProcessEnvironment), stdout
// and stderr pipes, CreateProcessAsUserW suspended, born in the job
// (PROC_THREAD_ATTRIBUTE_JOB_LIST) and broken away from silod's own job
// (CREATE_BREAKAWAY_FROM_JOB), as hcsshim's job containers do, the parent's
// write ends closed, ResumeThread. An assign after the create would put the
// process in silod's job as well when silod runs in one (jobs nest). On
// failure the process is terminated and every handle closed. Thread-safe
// (no state).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "runtime/windows/host_process.h"
#include "runtime/windows/hostprocess/output_pump.h"
#include "runtime/windows/hostprocess/process_api.h"

namespace silo::runtime::windows::hostprocess {

struct LaunchedInJob {
  void* process = nullptr;  // owned: close with api.close_handle
  uint32_t pid = 0;
  std::unique_ptr<OutputPump> stdout_pump;
  std::unique_ptr<OutputPump> stderr_pump;  // null on a pseudo console
  void* stdin_write = nullptr;  // owned, with open_stdin: the write end of its stdin
  // Owned, with tty: close with api.close_pseudo_console once the process
  // has exited (that flushes and ends its output).
  void* console = nullptr;
  // Owned, with tty and no open_stdin: the write end of the console's input,
  // held until the console is closed (CloseConsole) as hcsshim's conpty
  // holds it: conhost ends its processes (CTRL_CLOSE) once its input breaks.
  void* console_input = nullptr;
};

// Closes the pseudo console, then the write end of its input (in that order,
// so the console never sees its input break while it runs). Either may be null.
void CloseConsole(const ProcessApi& api, LaunchedInJob& launched);

struct LaunchStdio {
  // The process gets a stdin (stdin_write); otherwise it has none.
  bool open_stdin = false;
  // A pseudo console (ConPTY) of this size, 0: 80x25, as hcsshim's job
  // containers make one for a TTY: the console's output (stdout and stderr
  // together) goes to on_stdout, its input is the stdin.
  bool tty = false;
  uint16_t width = 0;
  uint16_t height = 0;
};

// `may_run`, when given, is asked while the process is still suspended: an
// error ends it unrun and is returned (a container shutting down).
absl::StatusOr<LaunchedInJob> LaunchInJob(const ProcessApi& api, void* job, void* token, const HostProcessPlan& plan,
                                          const std::string& command_line, OutputPump::Sink on_stdout,
                                          OutputPump::Sink on_stderr, const LaunchStdio& stdio = {},
                                          const std::function<absl::Status()>& may_run = nullptr);

}  // namespace silo::runtime::windows::hostprocess
