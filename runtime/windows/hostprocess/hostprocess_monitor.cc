#include "runtime/windows/hostprocess/hostprocess_monitor.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "nlohmann/json.hpp"
#include "runtime/base/saturating_time.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/command_line.h"
#include "runtime/windows/hostprocess/win32_error.h"
#include "runtime/windows/jobobject/api.h"
#include "runtime/windows/shim/exec_output_limits.h"
#include "runtime/windows/shim/output_drain.h"
#include "runtime/windows/shim/wcow_signal.h"

namespace silo::runtime::windows::hostprocess {
namespace {

using silo::win32::Utf8ToWide;
using windows::shim::ExitRecord;

constexpr int kSigKill = 9;
constexpr int kSigTerm = 15;
constexpr uint32_t kExitPollMs = 200;
// How long what the main process left in the job gets after CTRL_SHUTDOWN
// (hcsshim's job container shutdown), and how often the job is looked at.
constexpr std::chrono::seconds kShutdownGrace{5};
constexpr std::chrono::milliseconds kShutdownPoll{20};
// hcsshim's exit status for a container killed before it ever started.
constexpr int64_t kExitKilledBeforeStart = 1;

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::string EncodeHostProcessLaunch(const HostProcessLaunch& launch) {
  return nlohmann::json{{"Id", launch.id}, {"Plan", HostProcessPlanToJson(launch.plan)}, {"Rootfs", launch.rootfs}}
      .dump();
}

absl::StatusOr<HostProcessLaunch> DecodeHostProcessLaunch(const std::string& json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || !j.contains("Id") || !j["Id"].is_string() || !j.contains("Rootfs") ||
      !j["Rootfs"].is_string() || !j.contains("Plan")) {
    return absl::InvalidArgumentError("HostProcess launch: not a JSON object with Id, Plan and Rootfs");
  }
  absl::StatusOr<HostProcessPlan> plan = HostProcessPlanFromJson(j["Plan"]);
  if (!plan.ok()) return plan.status();
  return HostProcessLaunch{j["Id"].get<std::string>(), *std::move(plan), j["Rootfs"].get<std::string>()};
}

const char* HostProcessStateName(HostProcessState state) {
  switch (state) {
    case HostProcessState::kCreated:
      return "created";
    case HostProcessState::kRunning:
      return "running";
    case HostProcessState::kStopped:
      return "stopped";
  }
  return "unknown";
}

HostProcessMonitor::HostProcessMonitor(const ProcessApi& api, HostProcessMonitorOptions options)
    : api_(api), options_(std::move(options)) {}

absl::StatusOr<std::unique_ptr<HostProcessMonitor>> HostProcessMonitor::Create(const ProcessApi& api,
                                                                               HostProcessMonitorOptions options) {
  if (options.launch.id.empty() || options.exit_path.empty() || options.launch.plan.job_name.empty()) {
    return absl::InvalidArgumentError("HostProcess monitor needs a container id, its job name and an exit path");
  }
  std::unique_ptr<HostProcessMonitor> m(new HostProcessMonitor(api, std::move(options)));
  if (absl::Status s = m->SetUpJob(); !s.ok()) {
    m->Release();
    return s;
  }
  return m;
}

absl::Status HostProcessMonitor::SetUpJob() {
  const HostProcessPlan& p = options_.launch.plan;
  std::wstring name = Utf8ToWide(p.job_name);
  job_ = api_.create_job_object(name.c_str(), jobobject::kSilodJobSddl);
  if (job_ == nullptr) return Win32Error(absl::StrCat("CreateJobObjectW ", p.job_name), api_.get_last_error());
  if (api_.get_last_error() == kErrorAlreadyExists) {
    // Someone else's job of that name: never join it, never end its processes.
    api_.close_handle(job_);
    job_ = nullptr;
    return absl::AlreadyExistsError(absl::StrCat("job object ", p.job_name, " already exists"));
  }
  JobLimitsSpec limits;
  limits.kill_on_close = true;
  limits.job_memory_bytes = p.job_memory_bytes;
  limits.cpu_rate = p.cpu_rate;
  limits.cpu_weight = p.cpu_weight;
  if (api_.set_job_limits(job_, &limits) == 0) {
    return Win32Error(absl::StrCat("SetInformationJobObject ", p.job_name), api_.get_last_error());
  }
  std::wstring rootfs = Utf8ToWide(options_.launch.rootfs);
  std::wstring mount_point = Utf8ToWide(p.mount_point);
  if (p.create_silo) {
    if (api_.promote_to_silo(job_) == 0) {
      return Win32Error(absl::StrCat("promoting ", p.job_name, " to a silo"), api_.get_last_error());
    }
    if (int32_t hr = api_.bind_path(job_, rootfs.c_str(), mount_point.c_str(), 0); hr != 0) {
      return absl::InternalError(absl::StrCat("binding the rootfs at ", p.mount_point, ": HRESULT ", hr));
    }
  } else {
    if (api_.link_directory(mount_point.c_str(), rootfs.c_str()) == 0) {
      return Win32Error(absl::StrCat("linking ", p.mount_point, " to the rootfs"), api_.get_last_error());
    }
    links_.push_back(p.mount_point);
  }
  for (const auto& m : p.mounts) {
    std::wstring source = Utf8ToWide(m.source), target = Utf8ToWide(m.target);
    if (m.bind) {
      if (int32_t hr = api_.bind_path(job_, source.c_str(), target.c_str(), m.read_only); hr != 0) {
        return absl::InternalError(absl::StrCat("binding mount ", m.source, " at ", m.target, ": HRESULT ", hr));
      }
    } else {
      if (api_.link_directory(target.c_str(), source.c_str()) == 0) {
        return Win32Error(absl::StrCat("linking mount ", m.target, " to ", m.source), api_.get_last_error());
      }
      links_.push_back(m.target);
    }
  }
  return absl::OkStatus();
}

HostProcessMonitor::~HostProcessMonitor() {
  {
    std::lock_guard lock(mu_);
    closing_ = true;
  }
  stopped_cv_.notify_all();
  // The job's last handle: kill-on-close ends its processes, which breaks
  // their pipes, so the waiter and the pumps can be joined.
  if (job_ != nullptr) api_.close_handle(job_);
  job_ = nullptr;
  if (exit_waiter_.joinable()) exit_waiter_.join();
  main_.stdout_pump.reset();
  main_.stderr_pump.reset();
  EndTaps();
  if (main_.process != nullptr) api_.close_handle(main_.process);
  token_.reset();
}

absl::Status HostProcessMonitor::Start() {
  std::lock_guard lock(mu_);
  const std::string& id = options_.launch.id;
  if (state_ != HostProcessState::kCreated || main_.process != nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " was already started"));
  }
  if (absl::Status s = CriLogFile::Open(options_.log_path, log_); !s.ok()) return s;
  const HostProcessPlan& plan = options_.launch.plan;
  absl::StatusOr<Logon> logon = LogOn(api_, plan, id);
  if (!logon.ok()) return logon.status();
  absl::StatusOr<LaunchedInJob> main = LaunchInJob(
      api_, job_, logon->token, plan, plan.command_line,
      [this](std::string_view d) {
        log_.Write(shim::LogStream::kStdout, d);
        TapOutput(shim::LogStream::kStdout, d);
      },
      [this](std::string_view d) {
        log_.Write(shim::LogStream::kStderr, d);
        TapOutput(shim::LogStream::kStderr, d);
      });
  if (!main.ok()) {
    LogOff(api_, *logon).IgnoreError();
    return main.status();
  }
  // Execs share the token: the last of Shutdown and the execs closes it.
  const ProcessApi* api = &api_;
  token_ = std::shared_ptr<void>(std::exchange(logon->token, nullptr), [api](void* t) { api->close_handle(t); });
  logon_ = *std::move(logon);
  main_ = *std::move(main);
  state_ = HostProcessState::kRunning;
  exit_waiter_ = std::thread([this] { AwaitExit(); });
  return absl::OkStatus();
}

void HostProcessMonitor::AwaitExit() {
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (closing_) return;
    }
    const uint32_t waited = api_.wait_for_single_object(main_.process, kExitPollMs);
    if (waited == kWaitTimeout) continue;
    // A failed wait: this process lost its handles (it is dying). Nothing
    // is known of the exit, so nothing is recorded.
    if (waited != kWaitObject0) return;
    break;
  }
  uint32_t code = 0;
  if (api_.get_exit_code_process(main_.process, &code) == 0) return;
  const ExitRecord record{static_cast<int64_t>(code), NowNs()};
  {
    // The container is ending: no exec joins what is being shut down.
    std::lock_guard lock(mu_);
    main_exited_ = true;
  }
  // The container is its main process: what it left in the job ends with
  // it, as hcsshim's job containers end theirs (CTRL_SHUTDOWN, 5 s, then
  // the job terminated), so the pipes break and the record below follows
  // the complete log.
  ShutDownTheRest();
  api_.terminate_job_object(job_, kTerminatedExitCode);
  main_.stdout_pump.reset();
  main_.stderr_pump.reset();
  log_.Finish();
  RecordExit(record);
  EndTaps();
}

void HostProcessMonitor::ShutDownTheRest() {
  std::vector<uint32_t> pids(64);
  uint32_t count = 0;
  while (api_.job_process_ids(job_, pids.data(), static_cast<uint32_t>(pids.size()), &count) == 0) {
    if (api_.get_last_error() != kErrorMoreData || count <= pids.size()) return;  // then terminated at once
    pids.resize(count);
  }
  pids.resize(count);
  if (pids.empty()) return;
  for (uint32_t pid : pids) {
    // One that cannot be signalled is left to the terminate after the wait.
    void* process = api_.open_process(pid);
    if (process == nullptr) continue;
    // The pid may have gone to another process since it was listed.
    int32_t in_job = 0;
    if (api_.is_process_in_job(process, job_, &in_job) != 0 && in_job != 0) {
      api_.send_ctrl_event(process, kCtrlShutdownEvent);
    }
    api_.close_handle(process);
  }
  const auto until = std::chrono::steady_clock::now() + kShutdownGrace;
  while (std::chrono::steady_clock::now() < until) {
    {
      std::lock_guard lock(mu_);
      if (closing_) return;
    }
    JobAccountingSpec accounting;
    if (api_.query_job_accounting(job_, &accounting) == 0 || accounting.active_processes == 0) return;
    std::this_thread::sleep_for(kShutdownPoll);
  }
}

void HostProcessMonitor::RecordExit(const ExitRecord& record) {
  // A failed write leaves silod the live answer, and 255 once the shim is gone.
  (void)windows::shim::WriteExitRecord(options_.exit_path, record);
  std::lock_guard lock(mu_);
  if (exit_) return;
  exit_ = record;
  state_ = HostProcessState::kStopped;
  stopped_cv_.notify_all();
}

HostProcessStatus HostProcessMonitor::Status() const {
  std::lock_guard lock(mu_);
  return HostProcessStatus{state_, main_.pid, exit_};
}

absl::StatusOr<ExitRecord> HostProcessMonitor::Wait(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mu_);
  auto done = [this] { return state_ == HostProcessState::kStopped || closing_; };
  if (timeout.count() < 0) {
    stopped_cv_.wait(lock, done);
  } else if (!stopped_cv_.wait_until(lock, SaturatingAdd(std::chrono::steady_clock::now(), timeout), done)) {
    return absl::DeadlineExceededError(absl::StrCat("container ", options_.launch.id, " still running"));
  }
  if (state_ != HostProcessState::kStopped) {
    return absl::UnavailableError(absl::StrCat("the monitor of container ", options_.launch.id, " is closing"));
  }
  return *exit_;
}

absl::Status HostProcessMonitor::Kill(int signal) {
  const std::string& id = options_.launch.id;
  void* process = nullptr;
  {
    std::lock_guard lock(mu_);
    if (state_ == HostProcessState::kStopped) return absl::OkStatus();
    process = main_.process;
  }
  if (process == nullptr) {
    // As hcsshim's exitFromCreated: it ends with status 1 without running.
    if (api_.terminate_job_object(job_, kTerminatedExitCode) == 0) {
      return Win32Error(absl::StrCat("TerminateJobObject ", options_.launch.plan.job_name), api_.get_last_error());
    }
    RecordExit(ExitRecord{kExitKilledBeforeStart, NowNs()});
    return absl::OkStatus();
  }
  // hcsshim's ValidateWCOW, applied as hcsshim does to a running process
  // only: a signal Windows gives no meaning is refused rather than read as a
  // kill (the stop path then escalates to SIGKILL itself).
  const std::optional<shim::WcowSignal> wcow = shim::MapWcowSignal(signal);
  if (!wcow.has_value()) {
    return absl::InvalidArgumentError(
        absl::StrCat("signal ", signal, " is not supported for Windows containers (container ", id, ")"));
  }
  if (signal == kSigKill) {
    if (api_.terminate_job_object(job_, kTerminatedExitCode) == 0) {
      return Win32Error(absl::StrCat("TerminateJobObject ", options_.launch.plan.job_name), api_.get_last_error());
    }
    return absl::OkStatus();
  }
  uint32_t code = 0;
  if (api_.get_exit_code_process(process, &code) != 0 && code != kStillActive) return absl::OkStatus();
  if (!wcow->terminate) {
    // As hcsshim's job containers: SIGTERM is CTRL_SHUTDOWN, and 2 is read
    // as hcsshim's ValidateWCOW reads it, the Windows event of that number
    // (CTRL_CLOSE; CTRL_C would be ignored by a process started in its own
    // process group), so the process can shut down; the stop's grace period,
    // then SIGKILL, ends it if it does not.
    // The other console events by their own numbers, as ValidateWCOW reads them.
    const uint32_t event = signal == kSigTerm ? kCtrlShutdownEvent : static_cast<uint32_t>(signal);
    if (api_.send_ctrl_event(process, event) != 0) {
      return absl::OkStatus();
    }
    uint32_t after = kStillActive;
    api_.get_exit_code_process(process, &after);
    if (after != kStillActive) return absl::OkStatus();
    // The event cannot be delivered (no CtrlRoutine, the thread refused):
    // ending the process now beats waiting out a grace period for nothing.
  }
  if (api_.terminate_process(process, kTerminatedExitCode) == 0) {
    // It exited between the check and the call: nothing left to signal.
    uint32_t after = kStillActive;
    api_.get_exit_code_process(process, &after);
    if (after != kStillActive) return absl::OkStatus();
    return Win32Error(absl::StrCat("TerminateProcess of container ", id), api_.get_last_error());
  }
  return absl::OkStatus();
}

absl::StatusOr<HostProcessExecResult> HostProcessMonitor::Exec(const std::vector<std::string>& args,
                                                               std::chrono::milliseconds timeout) {
  absl::StatusOr<std::shared_ptr<void>> token = ExecToken();
  if (!token.ok()) return token.status();
  absl::StatusOr<std::string> command_line = ExecCommandLine(args);
  if (!command_line.ok()) return command_line.status();
  HostProcessExecResult result;
  // Each stream is read whole, only the first 16 MiB kept, so the process
  // never blocks on a full pipe.
  absl::StatusOr<LaunchedInJob> launched =
      LaunchInJob(api_, job_, token->get(), options_.launch.plan, *command_line,
                  shim::CappedStringSink(&result.stdout_data, shim::kMaxExecOutputBytes),
                  shim::CappedStringSink(&result.stderr_data, shim::kMaxExecOutputBytes), {},
                  [this] { return MayRunExec(); });
  if (!launched.ok()) return launched.status();
  // 0 and what a DWORD cannot hold (CRI allows int64 seconds) wait for ever.
  const uint32_t ms = timeout.count() == 0 || timeout.count() >= kInfinite ? kInfinite
                                                                           : static_cast<uint32_t>(timeout.count());
  if (api_.wait_for_single_object(launched->process, ms) == kWaitTimeout) {
    api_.terminate_process(launched->process, kTerminatedExitCode);
    result.timed_out = true;
  }
  api_.wait_for_single_object(launched->process, kInfinite);
  uint32_t code = 0;
  api_.get_exit_code_process(launched->process, &code);
  // A child the process left behind may hold its output open for ever:
  // the copy gets kCopyAfterExit after the exit, as hcsshim's.
  launched->stdout_pump->JoinFor(shim::kCopyAfterExit);
  launched->stderr_pump->JoinFor(shim::kCopyAfterExit);
  api_.close_handle(launched->process);
  result.exit_code = static_cast<int>(code);
  return result;
}

absl::StatusOr<LaunchedInJob> HostProcessMonitor::LaunchSessionProcess(const std::vector<std::string>& args,
                                                                       const LaunchStdio& stdio,
                                                                       OutputPump::Sink on_stdout,
                                                                       OutputPump::Sink on_stderr) {
  absl::StatusOr<std::shared_ptr<void>> token = ExecToken();
  if (!token.ok()) return token.status();
  absl::StatusOr<std::string> command_line = ExecCommandLine(args);
  if (!command_line.ok()) return command_line.status();
  absl::StatusOr<LaunchedInJob> launched = LaunchInJob(api_, job_, token->get(), options_.launch.plan, *command_line,
                                                       std::move(on_stdout), std::move(on_stderr), stdio,
                                                       [this] { return MayRunExec(); });
  return launched;
}

bool HostProcessMonitor::AddOutputTap(shim::OutputTap* tap) {
  std::lock_guard lock(taps_mu_);
  if (output_ended_) return false;
  taps_.push_back(tap);
  return true;
}

void HostProcessMonitor::RemoveOutputTap(shim::OutputTap* tap) {
  std::lock_guard lock(taps_mu_);
  taps_.erase(std::remove(taps_.begin(), taps_.end(), tap), taps_.end());
}

void HostProcessMonitor::TapOutput(shim::LogStream stream, std::string_view chunk) {
  std::lock_guard lock(taps_mu_);
  for (shim::OutputTap* tap : taps_) tap->Output(stream, chunk);
}

void HostProcessMonitor::EndTaps() {
  std::lock_guard lock(taps_mu_);
  if (output_ended_) return;
  output_ended_ = true;
  for (shim::OutputTap* tap : taps_) tap->Ended();
}

absl::StatusOr<std::shared_ptr<void>> HostProcessMonitor::ExecToken() const {
  std::lock_guard lock(mu_);
  if (shutting_down_) return ShuttingDownError();
  if (state_ != HostProcessState::kRunning || main_exited_) {
    return absl::FailedPreconditionError(absl::StrCat("container ", options_.launch.id, " is not running"));
  }
  return token_;
}

absl::StatusOr<std::string> HostProcessMonitor::ExecCommandLine(const std::vector<std::string>& args) const {
  absl::StatusOr<std::string> joined = JoinCommandLine(args);
  if (!joined.ok()) return joined.status();
  const std::string& mount_point = options_.launch.plan.mount_point;
  // The same mount point expansion as the main process's arguments.
  return absl::StrReplaceAll(*joined, {{absl::StrCat("%", kSandboxMountPointEnv, "%"), mount_point},
                                       {absl::StrCat("$env:", kSandboxMountPointEnv), mount_point}});
}

absl::Status HostProcessMonitor::MayRunExec() const {
  // Under mu_, before the resume: either Shutdown has begun (or the main
  // process has exited, and what is left in the job is being ended) and the
  // process never runs, or it has not and that ending will reach it.
  std::lock_guard lock(mu_);
  if (shutting_down_) return ShuttingDownError();
  if (main_exited_) {
    return absl::FailedPreconditionError(absl::StrCat("container ", options_.launch.id, " is not running"));
  }
  return absl::OkStatus();
}

absl::Status HostProcessMonitor::ShuttingDownError() const {
  return absl::UnavailableError(absl::StrCat("container ", options_.launch.id, " is shutting down"));
}

absl::Status HostProcessMonitor::ReopenLog() {
  {
    std::lock_guard lock(mu_);
    if (state_ == HostProcessState::kCreated) {
      return absl::FailedPreconditionError(absl::StrCat("container ", options_.launch.id, " has no open log yet"));
    }
  }
  return log_.Reopen();
}

void HostProcessMonitor::Release() {
  std::lock_guard release(release_mu_);
  if (released_) return;
  released_ = true;
  {
    // No exec starts from here on; one under way keeps its token.
    std::lock_guard lock(mu_);
    shutting_down_ = true;
    token_.reset();
  }
  if (job_ != nullptr) api_.terminate_job_object(job_, kTerminatedExitCode);
  // The processes are gone, so the pipes are broken: the waiter records the
  // exit and the pumps end.
  if (exit_waiter_.joinable()) exit_waiter_.join();
  main_.stdout_pump.reset();
  main_.stderr_pump.reset();
  log_.Finish();
  EndTaps();
  LogOff(api_, logon_).IgnoreError();
  for (auto it = links_.rbegin(); it != links_.rend(); ++it) {
    std::wstring link = Utf8ToWide(*it);
    api_.remove_link(link.c_str());
  }
  links_.clear();
}

absl::Status HostProcessMonitor::Shutdown() {
  Release();
  return absl::OkStatus();
}

}  // namespace silo::runtime::windows::hostprocess
