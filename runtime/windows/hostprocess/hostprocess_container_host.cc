#include "runtime/windows/hostprocess/hostprocess_container_host.h"

#include <chrono>
#include <ctime>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "spdlog/spdlog.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/command_line.h"
#include "runtime/windows/host_process.h"
#include "runtime/windows/hostprocess/cri_log_file.h"
#include "runtime/windows/hostprocess/launch.h"
#include "runtime/windows/hostprocess/logon.h"
#include "runtime/windows/hostprocess/win32_error.h"
#include "runtime/windows/jobobject/api.h"

namespace silo::runtime::windows::hostprocess {

using container::ProcessState;
using silo::win32::Utf8ToWide;

struct HostProcessContainerHost::Entry {
  HostProcessPlan plan;
  void* job = nullptr;
  std::vector<std::string> links;  // made by Create, removed by Remove
  std::string log_path;
  Logon logon;
  LaunchedInJob main;
  bool started = false;
  bool recovered = false;  // re-opened after a restart: no process handle
  std::unique_ptr<CriLogFile> log;
  // Wait may run beside Kill or State of the same container (a stop waits
  // while the status is read).
  std::mutex exit_mu;
  std::optional<ProcessState> exit;

  std::optional<ProcessState> Exit() {
    std::lock_guard lock(exit_mu);
    return exit;
  }
  ProcessState RecordExit(const ProcessState& state) {
    std::lock_guard lock(exit_mu);
    if (!exit) exit = state;
    return *exit;
  }
};

namespace {

constexpr int kSigInt = 2;
constexpr int kSigKill = 9;
constexpr int kSigTerm = 15;
// hcsshim's Terminate exit code for a job container.
constexpr uint32_t kTerminatedExitCode = 1;

// Whether FindOrRecover found no job of silod's for the container: none at
// all, or one of that name someone else made (never to be touched).
bool JobGone(const absl::Status& status) { return absl::IsNotFound(status) || absl::IsAlreadyExists(status); }

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

HostProcessInput InputFrom(const container::CreateSpec& spec, const HostProcessContainerHostOptions& options) {
  HostProcessInput in;
  in.container_id = spec.id;
  in.args = spec.args;
  for (const std::string& e : spec.env) {
    size_t eq = e.find('=');
    if (eq == std::string::npos) in.env.emplace_back(e, "");
    else in.env.emplace_back(e.substr(0, eq), e.substr(eq + 1));
  }
  in.working_directory = spec.cwd;
  in.user = spec.username;
  in.bind_filter_available = options.bind_filter_available;
  in.host_cpus = options.host_cpus;
  if (spec.config != nullptr) {
    for (const auto& [k, v] : spec.config->annotations()) in.annotations[k] = v;
    for (const auto& m : spec.config->mounts()) in.mounts.push_back({m.host_path(), m.container_path(), m.readonly()});
    const auto& r = spec.config->windows().resources();
    in.cpu_count = r.cpu_count();
    in.cpu_maximum = r.cpu_maximum();
    in.cpu_shares = r.cpu_shares();
    in.memory_limit_bytes = r.memory_limit_in_bytes();
  }
  return in;
}

}  // namespace

HostProcessContainerHost::HostProcessContainerHost(const ProcessApi* api, HostProcessContainerHostOptions options)
    : api_(api), options_(options) {}

HostProcessContainerHost::~HostProcessContainerHost() {
  // silod going away: closing the jobs ends their processes (kill-on-close),
  // which breaks the pipes so the pumps can be joined.
  std::lock_guard lock(mu_);
  for (auto& [id, entry] : entries_) {
    if (entry->job != nullptr) api_->close_handle(entry->job);
    entry->job = nullptr;
    entry->main.stdout_pump.reset();
    entry->main.stderr_pump.reset();
    if (entry->main.process != nullptr) api_->close_handle(entry->main.process);
    if (entry->logon.token != nullptr) api_->close_handle(entry->logon.token);
  }
}

std::shared_ptr<HostProcessContainerHost::Entry> HostProcessContainerHost::Find(const std::string& id) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : it->second;
}

absl::StatusOr<std::shared_ptr<HostProcessContainerHost::Entry>> HostProcessContainerHost::FindOrRecover(
    const std::string& id, const std::string& handle) {
  if (auto entry = Find(id)) return entry;
  const std::string job_name = HostProcessJobName(id);
  if (!handle.empty() && handle != job_name) {
    // A record of another naming (an older silod's): its job ended with
    // that silod, and whatever now has that name is not ours.
    return absl::NotFoundError(absl::StrCat("container ", id, ": its record names job ", handle, ", not ", job_name));
  }
  std::wstring name = Utf8ToWide(job_name);
  void* job = api_->open_job_object(name.c_str());
  if (job == nullptr) {
    return Win32Error(absl::StrCat("OpenJobObjectW ", job_name), api_->get_last_error());
  }
  wchar_t owner[192] = {};
  const uint32_t err = api_->get_job_owner(job, owner, sizeof(owner) / sizeof(owner[0]));
  if (err != 0 || !jobobject::IsSilodJobOwner(owner)) {
    api_->close_handle(job);
    if (err != 0) return Win32Error(absl::StrCat("GetSecurityInfo ", job_name), err);
    return absl::AlreadyExistsError(absl::StrCat("job object ", job_name, " exists but is owned by ",
                                                 silo::win32::WideToUtf8(owner),
                                                 ", not by silod; refusing to use it for container ", id));
  }
  auto entry = std::make_shared<Entry>();
  entry->plan.job_name = HostProcessJobName(id);
  entry->job = job;
  entry->started = true;
  entry->recovered = true;
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.emplace(id, entry);
  if (!inserted) api_->close_handle(job);  // another call recovered it first
  return it->second;
}

absl::StatusOr<std::string> HostProcessContainerHost::Create(const container::CreateSpec& spec) {
  if (spec.config != nullptr) {
    absl::Status pod = ValidateHostProcessPod(true, spec.config->windows().security_context().host_process());
    if (!pod.ok()) return pod;
  }
  absl::StatusOr<HostProcessPlan> plan = PlanHostProcess(InputFrom(spec, options_));
  if (!plan.ok()) return plan.status();
  if (Find(spec.id) != nullptr) return absl::AlreadyExistsError(absl::StrCat("container ", spec.id, " exists"));

  auto entry = std::make_shared<Entry>();
  entry->plan = *std::move(plan);
  entry->log_path = spec.log_path;
  const HostProcessPlan& p = entry->plan;
  std::wstring name = Utf8ToWide(p.job_name);
  entry->job = api_->create_job_object(name.c_str(), jobobject::kSilodJobSddl);
  if (entry->job == nullptr) return Win32Error(absl::StrCat("CreateJobObjectW ", p.job_name), api_->get_last_error());
  if (api_->get_last_error() == kErrorAlreadyExists) {
    // Someone else's job of that name: never join it, never end its processes.
    api_->close_handle(entry->job);
    return absl::AlreadyExistsError(absl::StrCat("job object ", p.job_name, " already exists"));
  }
  absl::Status status = [&]() -> absl::Status {
    JobLimitsSpec limits;
    limits.kill_on_close = true;
    limits.job_memory_bytes = p.job_memory_bytes;
    limits.cpu_rate = p.cpu_rate;
    limits.cpu_weight = p.cpu_weight;
    if (api_->set_job_limits(entry->job, &limits) == 0) {
      return Win32Error(absl::StrCat("SetInformationJobObject ", p.job_name), api_->get_last_error());
    }
    std::wstring rootfs = Utf8ToWide(spec.rootfs);
    std::wstring mount_point = Utf8ToWide(p.mount_point);
    if (p.create_silo) {
      if (api_->promote_to_silo(entry->job) == 0) {
        return Win32Error(absl::StrCat("promoting ", p.job_name, " to a silo"), api_->get_last_error());
      }
      if (int32_t hr = api_->bind_path(entry->job, rootfs.c_str(), mount_point.c_str(), 0); hr != 0) {
        return absl::InternalError(absl::StrCat("binding the rootfs at ", p.mount_point, ": HRESULT ", hr));
      }
    } else {
      if (api_->link_directory(mount_point.c_str(), rootfs.c_str()) == 0) {
        return Win32Error(absl::StrCat("linking ", p.mount_point, " to the rootfs"), api_->get_last_error());
      }
      entry->links.push_back(p.mount_point);
    }
    for (const auto& m : p.mounts) {
      std::wstring source = Utf8ToWide(m.source), target = Utf8ToWide(m.target);
      if (m.bind) {
        if (int32_t hr = api_->bind_path(entry->job, source.c_str(), target.c_str(), m.read_only); hr != 0) {
          return absl::InternalError(absl::StrCat("binding mount ", m.source, " at ", m.target, ": HRESULT ", hr));
        }
      } else {
        if (api_->link_directory(target.c_str(), source.c_str()) == 0) {
          return Win32Error(absl::StrCat("linking mount ", m.target, " to ", m.source), api_->get_last_error());
        }
        entry->links.push_back(m.target);
      }
    }
    return absl::OkStatus();
  }();
  if (!status.ok()) {
    Release(*entry);
    return status;
  }
  std::lock_guard lock(mu_);
  entries_.emplace(spec.id, entry);
  return p.job_name;
}

absl::Status HostProcessContainerHost::Start(const std::string& id, const std::string& /*handle*/) {
  auto entry = Find(id);
  if (entry == nullptr) return absl::NotFoundError(absl::StrCat("HostProcess container ", id, " was not created"));
  if (entry->started) return absl::FailedPreconditionError(absl::StrCat("container ", id, " was already started"));
  auto log = std::make_unique<CriLogFile>();
  if (absl::Status s = CriLogFile::Open(entry->log_path, *log); !s.ok()) return s;
  absl::StatusOr<Logon> logon = LogOn(*api_, entry->plan, id);
  if (!logon.ok()) return logon.status();
  CriLogFile* sink = log.get();
  absl::StatusOr<LaunchedInJob> main = LaunchInJob(
      *api_, entry->job, logon->token, entry->plan, entry->plan.command_line,
      [sink](std::string_view d) { sink->Write(shim::LogStream::kStdout, d); },
      [sink](std::string_view d) { sink->Write(shim::LogStream::kStderr, d); });
  if (!main.ok()) {
    LogOff(*api_, *logon).IgnoreError();
    return main.status();
  }
  entry->logon = *std::move(logon);
  entry->main = *std::move(main);
  entry->log = std::move(log);
  entry->started = true;
  return absl::OkStatus();
}

absl::Status HostProcessContainerHost::Kill(const std::string& id, const std::string& handle, int signal) {
  absl::StatusOr<std::shared_ptr<Entry>> entry = FindOrRecover(id, handle);
  if (!entry.ok()) return entry.status();
  Entry& e = **entry;
  if (signal == kSigKill || e.main.process == nullptr) {
    if (api_->terminate_job_object(e.job, kTerminatedExitCode) == 0) {
      return Win32Error(absl::StrCat("TerminateJobObject ", e.plan.job_name), api_->get_last_error());
    }
    return absl::OkStatus();
  }
  uint32_t code = 0;
  if (api_->get_exit_code_process(e.main.process, &code) != 0 && code != kStillActive) return absl::OkStatus();
  if (signal == kSigTerm || signal == kSigInt) {
    // As hcsshim's job containers: SIGTERM is CTRL_SHUTDOWN, and 2 is read
    // as hcsshim's ValidateWCOW reads it, the Windows event of that number
    // (CTRL_CLOSE; CTRL_C would be ignored by a process started in its own
    // process group), so the process can shut down; the stop's grace period,
    // then SIGKILL, ends it if it does not.
    if (api_->send_ctrl_event(e.main.process, signal == kSigTerm ? kCtrlShutdownEvent : kCtrlCloseEvent) != 0) {
      return absl::OkStatus();
    }
    const uint32_t err = api_->get_last_error();
    uint32_t after = kStillActive;
    api_->get_exit_code_process(e.main.process, &after);
    if (after != kStillActive) return absl::OkStatus();
    // The event cannot be delivered (no CtrlRoutine, the thread refused):
    // ending the process now beats waiting out a grace period for nothing.
    spdlog::warn("container {}: console control event not delivered (Win32 error {}); terminating its process", id,
                 err);
  }
  if (api_->terminate_process(e.main.process, kTerminatedExitCode) == 0) {
    // It exited between the check and the call: nothing left to signal.
    uint32_t after = kStillActive;
    api_->get_exit_code_process(e.main.process, &after);
    if (after != kStillActive) return absl::OkStatus();
    return Win32Error(absl::StrCat("TerminateProcess of container ", id), api_->get_last_error());
  }
  return absl::OkStatus();
}

absl::StatusOr<ProcessState> HostProcessContainerHost::State(const std::string& id, const std::string& handle) {
  return Wait(id, handle, std::chrono::milliseconds(0));
}

absl::StatusOr<ProcessState> HostProcessContainerHost::Wait(const std::string& id, const std::string& handle,
                                                            std::chrono::milliseconds timeout) {
  absl::StatusOr<std::shared_ptr<Entry>> found = FindOrRecover(id, handle);
  if (JobGone(found.status())) {
    // Its job is gone (silod's exit closed it; a job of that name that is
    // not silod's is not it): the container exited, and nobody recorded how.
    ProcessState gone;
    gone.started = true;
    gone.exited = true;
    gone.exit_code = kUnknownExitCode;
    return gone;
  }
  if (!found.ok()) return found.status();
  Entry& e = **found;
  if (std::optional<ProcessState> recorded = e.Exit()) return *recorded;
  ProcessState state;
  state.started = e.started;
  state.pid = static_cast<int>(e.main.pid);
  if (!e.started) return state;
  if (e.recovered) {
    // No process handle after a restart: the container lives while its job
    // has processes.
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      JobAccountingSpec acct;
      if (api_->query_job_accounting(e.job, &acct) == 0) {
        return Win32Error(absl::StrCat("QueryInformationJobObject ", e.plan.job_name), api_->get_last_error());
      }
      if (acct.active_processes == 0) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        if (timeout.count() == 0) return state;
        return absl::DeadlineExceededError(absl::StrCat("container ", id, " still running"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    state.exited = true;
    state.exit_code = kUnknownExitCode;
    state.exited_at_ns = NowNs();
    return e.RecordExit(state);
  }
  uint32_t ms = timeout.count() >= kInfinite ? kInfinite - 1 : static_cast<uint32_t>(timeout.count());
  uint32_t waited = api_->wait_for_single_object(e.main.process, ms);
  if (waited == kWaitTimeout) {
    if (timeout.count() == 0) return state;
    return absl::DeadlineExceededError(absl::StrCat("container ", id, " still running"));
  }
  if (waited != kWaitObject0) return Win32Error("WaitForSingleObject", api_->get_last_error());
  uint32_t code = 0;
  if (api_->get_exit_code_process(e.main.process, &code) == 0) {
    return Win32Error("GetExitCodeProcess", api_->get_last_error());
  }
  // Its output is complete once the pumps drain (the pipes broke with it,
  // unless a child in the job still holds them: then they end with the job).
  state.exited = true;
  state.exit_code = static_cast<int>(code);
  state.exited_at_ns = NowNs();
  return e.RecordExit(state);
}

absl::StatusOr<container::ExecResult> HostProcessContainerHost::Exec(const std::string& id,
                                                                     const std::string& /*handle*/,
                                                                     const std::vector<std::string>& args,
                                                                     std::chrono::milliseconds timeout) {
  auto entry = Find(id);
  if (entry == nullptr || !entry->started || entry->recovered) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " is not running under this silod"));
  }
  absl::StatusOr<std::string> joined = JoinCommandLine(args);
  if (!joined.ok()) return joined.status();
  // The same mount point expansion as the main process's arguments.
  std::string command_line = absl::StrReplaceAll(
      *joined, {{absl::StrCat("%", kSandboxMountPointEnv, "%"), entry->plan.mount_point},
                {absl::StrCat("$env:", kSandboxMountPointEnv), entry->plan.mount_point}});
  auto result = std::make_shared<container::ExecResult>();
  std::mutex out_mu;
  absl::StatusOr<LaunchedInJob> launched = LaunchInJob(
      *api_, entry->job, entry->logon.token, entry->plan, command_line,
      [&, result](std::string_view d) {
        std::lock_guard lock(out_mu);
        result->stdout_data.append(d);
      },
      [&, result](std::string_view d) {
        std::lock_guard lock(out_mu);
        result->stderr_data.append(d);
      });
  if (!launched.ok()) return launched.status();
  uint32_t ms = timeout.count() == 0 ? kInfinite : static_cast<uint32_t>(timeout.count());
  uint32_t waited = api_->wait_for_single_object(launched->process, ms);
  absl::Status status;
  if (waited == kWaitTimeout) {
    api_->terminate_process(launched->process, kTerminatedExitCode);
    api_->wait_for_single_object(launched->process, kInfinite);
    status = absl::DeadlineExceededError(absl::StrCat("exec in container ", id, " timed out after ", timeout.count(), "ms"));
  }
  uint32_t code = 0;
  api_->get_exit_code_process(launched->process, &code);
  launched->stdout_pump.reset();
  launched->stderr_pump.reset();
  api_->close_handle(launched->process);
  if (!status.ok()) return status;
  result->exit_code = static_cast<int>(code);
  return *result;
}

absl::Status HostProcessContainerHost::ReopenLog(const std::string& id, const std::string& /*handle*/) {
  auto entry = Find(id);
  if (entry == nullptr || entry->log == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat("container ", id, " has no open log under this silod"));
  }
  return entry->log->Reopen();
}

void HostProcessContainerHost::Release(Entry& e) {
  if (e.job != nullptr) {
    api_->terminate_job_object(e.job, kTerminatedExitCode);
  }
  // The processes are gone, so the pipes are broken and the pumps end.
  e.main.stdout_pump.reset();
  e.main.stderr_pump.reset();
  if (e.log != nullptr) e.log->Finish();
  if (e.main.process != nullptr) api_->close_handle(e.main.process);
  e.main.process = nullptr;
  if (e.job != nullptr) api_->close_handle(e.job);
  e.job = nullptr;
  LogOff(*api_, e.logon).IgnoreError();
  for (auto it = e.links.rbegin(); it != e.links.rend(); ++it) {
    std::wstring link = Utf8ToWide(*it);
    api_->remove_link(link.c_str());
  }
  e.links.clear();
}

absl::Status HostProcessContainerHost::Remove(const std::string& id, const std::string& handle) {
  absl::StatusOr<std::shared_ptr<Entry>> entry = FindOrRecover(id, handle);
  if (JobGone(entry.status())) return absl::OkStatus();
  if (!entry.ok()) return entry.status();
  Release(**entry);
  std::lock_guard lock(mu_);
  entries_.erase(id);
  return absl::OkStatus();
}

absl::StatusOr<std::string> HostProcessContainerHost::RuntimeSpec(const std::string& id) {
  auto entry = Find(id);
  if (entry == nullptr || entry->recovered) return absl::NotFoundError(absl::StrCat("no plan for container ", id));
  return HostProcessPlanToJson(entry->plan).dump();
}

bool HostProcessContainerHost::MonitorGone(const std::string& id, const std::string& handle) {
  return JobGone(FindOrRecover(id, handle).status());
}

absl::Status HostProcessContainerHost::KillUnmonitored(const std::string& id) {
  absl::StatusOr<std::shared_ptr<Entry>> entry = FindOrRecover(id, "");
  if (JobGone(entry.status())) return absl::OkStatus();
  if (!entry.ok()) return entry.status();
  if (api_->terminate_job_object((*entry)->job, kTerminatedExitCode) == 0) {
    return Win32Error("TerminateJobObject", api_->get_last_error());
  }
  return absl::OkStatus();
}

absl::StatusOr<HostProcessStats> HostProcessContainerHost::Stats(const std::string& id) {
  absl::StatusOr<std::shared_ptr<Entry>> entry = FindOrRecover(id, "");
  if (!entry.ok()) return entry.status();
  JobAccountingSpec a;
  if (api_->query_job_accounting((*entry)->job, &a) == 0) {
    return Win32Error(absl::StrCat("QueryInformationJobObject ", (*entry)->plan.job_name), api_->get_last_error());
  }
  HostProcessStats s;
  s.cpu_usage_ns = (a.user_time_100ns + a.kernel_time_100ns) * 100;
  s.memory_commit_bytes = a.commit_bytes;
  s.peak_memory_commit_bytes = a.peak_commit_bytes;
  s.active_processes = a.active_processes;
  s.read_bytes = a.read_bytes;
  s.write_bytes = a.write_bytes;
  return s;
}

}  // namespace silo::runtime::windows::hostprocess
