#include "runtime/windows/hostprocess/launch.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hostprocess/environment_block.h"
#include "runtime/windows/hostprocess/win32_error.h"

namespace silo::runtime::windows::hostprocess {
namespace {

using silo::win32::Utf8ToWide;

// The token's default block, merged with the plan's variables.
absl::StatusOr<std::wstring> Environment(const ProcessApi& api, void* token, const HostProcessPlan& plan) {
  void* block = nullptr;
  if (api.create_environment_block(&block, token) == 0) {
    return Win32Error("CreateEnvironmentBlock", api.get_last_error());
  }
  std::vector<std::string> defaults = ParseEnvironmentBlock(static_cast<const wchar_t*>(block));
  api.destroy_environment_block(block);
  return BuildEnvironmentBlock(MergeHostProcessEnvironment(defaults, plan));
}

struct Pipe {
  void* read = nullptr;
  void* write = nullptr;
};

void CloseIf(const ProcessApi& api, void*& handle) {
  if (handle != nullptr) api.close_handle(handle);
  handle = nullptr;
}

// The process's stdio: pipes, or a pseudo console over two pipes.
struct Stdio {
  Pipe out, err, in;
  void* console = nullptr;

  // No pump reads the console's output here: our ends go first, as a
  // close of a console (before Windows 11 24H2) waits for that output to
  // be read.
  void Close(const ProcessApi& api) {
    CloseIf(api, out.read);
    CloseIf(api, in.write);
    if (console != nullptr) api.close_pseudo_console(console);
    console = nullptr;
    for (void** h : {&out.write, &err.read, &err.write, &in.read}) CloseIf(api, *h);
  }
};

absl::Status MakeStdio(const ProcessApi& api, const LaunchStdio& want, Stdio& io) {
  if (api.create_pipe(&io.out.read, &io.out.write) == 0) {
    return Win32Error("CreatePipe (stdout)", api.get_last_error());
  }
  if ((want.open_stdin || want.tty) && api.create_input_pipe(&io.in.read, &io.in.write) == 0) {
    return Win32Error("CreatePipe (stdin)", api.get_last_error());
  }
  if (!want.tty) {
    if (api.create_pipe(&io.err.read, &io.err.write) == 0) {
      return Win32Error("CreatePipe (stderr)", api.get_last_error());
    }
    return absl::OkStatus();
  }
  const uint16_t width = want.width != 0 ? want.width : kDefaultConsoleWidth;
  const uint16_t height = want.height != 0 ? want.height : kDefaultConsoleHeight;
  if (int32_t hr = api.create_pseudo_console(width, height, io.in.read, io.out.write, &io.console); hr != 0) {
    io.console = nullptr;
    if (hr == kHrProcNotFound) {
      return absl::FailedPreconditionError(
          "a TTY for a HostProcess container needs ConPTY (CreatePseudoConsole, Windows 10 1809 or later), "
          "which this Windows lacks");
    }
    return absl::InternalError(absl::StrCat("CreatePseudoConsole: HRESULT 0x", absl::Hex(static_cast<uint32_t>(hr))));
  }
  // The console holds its own duplicates of these ends (hcsshim's conpty
  // closes them at once too).
  CloseIf(api, io.in.read);
  CloseIf(api, io.out.write);
  return absl::OkStatus();
}

}  // namespace

void CloseConsole(const ProcessApi& api, LaunchedInJob& launched) {
  if (launched.console != nullptr) api.close_pseudo_console(launched.console);
  launched.console = nullptr;
  CloseIf(api, launched.console_input);
}

absl::StatusOr<LaunchedInJob> LaunchInJob(const ProcessApi& api, void* job, void* token, const HostProcessPlan& plan,
                                          const std::string& command_line, OutputPump::Sink on_stdout,
                                          OutputPump::Sink on_stderr, const LaunchStdio& want,
                                          const std::function<absl::Status()>& may_run) {
  absl::StatusOr<std::wstring> env = Environment(api, token, plan);
  if (!env.ok()) return env.status();
  Stdio io;
  if (absl::Status s = MakeStdio(api, want, io); !s.ok()) {
    io.Close(api);
    return s;
  }
  std::wstring cmd = Utf8ToWide(command_line);
  std::vector<wchar_t> writable(cmd.begin(), cmd.end());
  writable.push_back(L'\0');
  std::wstring cwd = Utf8ToWide(plan.working_directory);
  LaunchSpec spec;
  spec.job = job;
  spec.breakaway_from_job = true;
  spec.token = token;
  spec.command_line = writable.data();
  spec.environment = env->c_str();
  spec.working_directory = cwd.c_str();
  if (io.console != nullptr) {
    spec.pseudo_console = io.console;
  } else {
    // A group of its own, so a console event meant for silod never reaches it.
    spec.new_process_group = true;
    spec.std_input = io.in.read;
    spec.std_output = io.out.write;
    spec.std_error = io.err.write;
  }
  LaunchedProcess launched;
  if (api.create_process(&spec, &launched) == 0) {
    absl::Status status = Win32Error(absl::StrCat("CreateProcessAsUserW ", command_line), api.get_last_error());
    io.Close(api);
    return status;
  }
  // The child holds its own copies: the pipes break when it exits.
  CloseIf(api, io.out.write);
  CloseIf(api, io.err.write);
  CloseIf(api, io.in.read);
  LaunchedInJob result;
  if (want.open_stdin) result.stdin_write = std::exchange(io.in.write, nullptr);
  if (io.console != nullptr) result.console_input = std::exchange(io.in.write, nullptr);
  CloseIf(api, io.in.write);
  result.console = std::exchange(io.console, nullptr);
  result.process = launched.process;
  result.pid = launched.pid;
  result.stdout_pump = std::make_unique<OutputPump>(api, std::exchange(io.out.read, nullptr), std::move(on_stdout));
  if (io.err.read != nullptr) {
    result.stderr_pump = std::make_unique<OutputPump>(api, std::exchange(io.err.read, nullptr), std::move(on_stderr));
  }

  absl::Status status = may_run ? may_run() : absl::OkStatus();
  if (status.ok() && api.resume_thread(launched.thread) == 0xFFFFFFFF) {
    status = Win32Error("ResumeThread", api.get_last_error());
  }
  api.close_handle(launched.thread);
  if (status.ok()) return result;
  // Suspended, it never ran: end it so the pipes break and the pumps stop.
  api.terminate_process(launched.process, 1);
  api.wait_for_single_object(launched.process, kInfinite);
  CloseConsole(api, result);
  result.stdout_pump.reset();
  result.stderr_pump.reset();
  CloseIf(api, result.stdin_write);
  api.close_handle(launched.process);
  return status;
}

}  // namespace silo::runtime::windows::hostprocess
