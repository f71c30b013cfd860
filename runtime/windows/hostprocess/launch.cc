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

}  // namespace

absl::StatusOr<LaunchedInJob> LaunchInJob(const ProcessApi& api, void* job, void* token, const HostProcessPlan& plan,
                                          const std::string& command_line, OutputPump::Sink on_stdout,
                                          OutputPump::Sink on_stderr) {
  absl::StatusOr<std::wstring> env = Environment(api, token, plan);
  if (!env.ok()) return env.status();
  Pipe out, err;
  auto close_pipes = [&] {
    for (void** h : {&out.read, &out.write, &err.read, &err.write}) CloseIf(api, *h);
  };
  if (api.create_pipe(&out.read, &out.write) == 0) return Win32Error("CreatePipe (stdout)", api.get_last_error());
  if (api.create_pipe(&err.read, &err.write) == 0) {
    absl::Status status = Win32Error("CreatePipe (stderr)", api.get_last_error());
    close_pipes();
    return status;
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
  spec.std_output = out.write;
  spec.std_error = err.write;
  LaunchedProcess launched;
  if (api.create_process(&spec, &launched) == 0) {
    absl::Status status = Win32Error(absl::StrCat("CreateProcessAsUserW ", command_line), api.get_last_error());
    close_pipes();
    return status;
  }
  // The child holds its own copies: the pipes break when it exits.
  CloseIf(api, out.write);
  CloseIf(api, err.write);
  LaunchedInJob result;
  result.process = launched.process;
  result.pid = launched.pid;
  result.stdout_pump = std::make_unique<OutputPump>(api, std::exchange(out.read, nullptr), std::move(on_stdout));
  result.stderr_pump = std::make_unique<OutputPump>(api, std::exchange(err.read, nullptr), std::move(on_stderr));

  absl::Status status;
  if (api.resume_thread(launched.thread) == 0xFFFFFFFF) status = Win32Error("ResumeThread", api.get_last_error());
  api.close_handle(launched.thread);
  if (status.ok()) return result;
  // Suspended, it never ran: end it so the pipes break and the pumps stop.
  api.terminate_process(launched.process, 1);
  api.wait_for_single_object(launched.process, kInfinite);
  result.stdout_pump.reset();
  result.stderr_pump.reset();
  api.close_handle(launched.process);
  return status;
}

}  // namespace silo::runtime::windows::hostprocess
