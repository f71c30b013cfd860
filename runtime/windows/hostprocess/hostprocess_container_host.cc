#include "runtime/windows/hostprocess/hostprocess_container_host.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <thread>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/saturating_time.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hostprocess/hostprocess_monitor.h"
#include "runtime/windows/hostprocess/logon.h"
#include "runtime/windows/hostprocess/win32_error.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/jobobject/api.h"
#include "runtime/windows/shim/exit_record.h"
#include "runtime/windows/shim/shim_answers.h"
#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows::hostprocess {

using container::ProcessState;
using silo::win32::Utf8ToWide;
namespace wire = runtime::shim;

namespace {

// How long a shim may take to exit after it answered `shutdown`.
constexpr std::chrono::seconds kShimExitWait{10};
// A quick probe of whether a shim still serves its pipe.
constexpr std::chrono::seconds kProbeTimeout{5};

using shim::ProcessStateFromShim;
using shim::ShimRequest;

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
    : api_(api), options_(std::move(options)) {}

// The containers keep running in their shims; silod holds nothing of them.
HostProcessContainerHost::~HostProcessContainerHost() = default;

std::string HostProcessContainerHost::FilePath(const std::string& id, const char* suffix) const {
  return absl::StrCat(options_.state_dir, "/", id, suffix);
}

shim::ShimPort::Deadline HostProcessContainerHost::CallDeadline() const {
  return std::chrono::steady_clock::now() + options_.call_timeout;
}

absl::StatusOr<wire::Response> HostProcessContainerHost::CallShim(const std::string& id, const wire::Request& request,
                                                                  shim::ShimPort::Deadline deadline, bool* gone) {
  const std::string what = absl::StrCat("silo-shim ", wire::OpName(request.op), " of HostProcess container ", id);
  if (gone != nullptr) *gone = false;
  if (options_.shims == nullptr) return absl::FailedPreconditionError(absl::StrCat(what, ": no shim port is wired"));
  auto r = options_.shims->Call(id, request, deadline);
  if (!r.ok()) {
    if (gone != nullptr) *gone = shim::IsShimGone(r.status());
    return shim::ShimTransportStatus(what, r.status());
  }
  if (r->code != 0) return absl::Status(static_cast<absl::StatusCode>(r->code), absl::StrCat(what, ": ", r->message));
  return *std::move(r);
}

ProcessState HostProcessContainerHost::ExitAfterShim(const std::string& id) const {
  ProcessState gone;
  gone.started = true;
  gone.exited = true;
  gone.exit_code = kUnknownExitCode;
  win32::Result<shim::ExitRecord> record = shim::ReadExitRecord(FilePath(id, ".exit"));
  if (record.ok()) {
    gone.exit_code = static_cast<int>(record->exit_code);
    gone.exited_at_ns = record->exited_at_unix_nanos;
  }
  return gone;
}

absl::StatusOr<HostProcessPlan> HostProcessContainerHost::KeptPlan(const std::string& id) const {
  win32::Result<std::string> text = shim::ReadSmallFile(FilePath(id, ".hostprocess.json"));
  if (!text.ok()) return absl::NotFoundError(absl::StrCat("no plan kept for HostProcess container ", id));
  absl::StatusOr<HostProcessLaunch> launch = DecodeHostProcessLaunch(*text);
  if (!launch.ok()) return launch.status();
  return std::move(launch->plan);
}

absl::StatusOr<std::string> HostProcessContainerHost::Create(const container::CreateSpec& spec) {
  if (options_.shims == nullptr || options_.state_dir.empty()) {
    return absl::FailedPreconditionError("HostProcess create: no silo-shim launcher or state directory is wired");
  }
  if (spec.config != nullptr) {
    absl::Status pod = ValidateHostProcessPod(true, spec.config->windows().security_context().host_process());
    if (!pod.ok()) return pod;
  }
  absl::StatusOr<HostProcessPlan> plan = PlanHostProcess(InputFrom(spec, options_));
  if (!plan.ok()) return plan.status();
  const std::string job_name = plan->job_name;

  shim::ShimLaunch launch;
  launch.id = spec.id;
  launch.hostprocess_path = FilePath(spec.id, ".hostprocess.json");
  launch.log_path = spec.log_path;
  launch.exit_path = FilePath(spec.id, ".exit");
  launch.diagnostics_path = FilePath(spec.id, ".shim.log");
  std::error_code ec;
  std::filesystem::create_directories(options_.state_dir, ec);
  if (std::FILE* f = std::fopen(launch.hostprocess_path.c_str(), "r")) {
    std::fclose(f);
    return absl::AlreadyExistsError(absl::StrCat("HostProcess container ", spec.id, " exists"));
  }
  // The plan's environment may hold secrets. On Windows the mode is not
  // applied: what protects the file is the state dir's DACL (SYSTEM and
  // Administrators only, checked at start-up); 0600 covers the Linux test build.
  absl::Status saved = AtomicWriteFile(
      launch.hostprocess_path, EncodeHostProcessLaunch(HostProcessLaunch{spec.id, *std::move(plan), spec.rootfs}),
      0600);
  if (!saved.ok()) return saved;
  std::remove(launch.exit_path.c_str());  // a stale record must never speak for this container
  win32::HrStatus started = options_.shims->Launch(launch, CallDeadline());
  if (!started.ok()) {
    std::remove(launch.hostprocess_path.c_str());
    if (codes::Normalize(started.hr()) == codes::Normalize(shim::kHrShimAlreadyRunning)) {
      return absl::AlreadyExistsError(absl::StrCat("HostProcess container ", spec.id, ": ", started.message()));
    }
    return absl::InternalError(
        absl::StrCat("HostProcess container ", spec.id, ": launching its silo-shim: ", started.ToString()));
  }
  return job_name;
}

absl::Status HostProcessContainerHost::Start(const std::string& id, const std::string& /*handle*/) {
  return CallShim(id, ShimRequest(wire::Op::kStart), CallDeadline()).status();
}

absl::Status HostProcessContainerHost::Kill(const std::string& id, const std::string& handle, int signal) {
  wire::Request kill = ShimRequest(wire::Op::kKill);
  kill.signal = signal;
  bool gone = false;
  absl::Status s = CallShim(id, kill, CallDeadline(), &gone).status();
  // A gone shim took its job along (kill-on-close), unless someone else
  // holds it: then it is ended here.
  if (gone) return KillUnmonitored(id);
  (void)handle;
  return s;
}

absl::StatusOr<ProcessState> HostProcessContainerHost::State(const std::string& id, const std::string& /*handle*/) {
  bool gone = false;
  absl::StatusOr<wire::Response> r = CallShim(id, ShimRequest(wire::Op::kState), CallDeadline(), &gone);
  if (gone) return ExitAfterShim(id);
  if (!r.ok()) return r.status();
  return ProcessStateFromShim(*r);
}

absl::StatusOr<ProcessState> HostProcessContainerHost::Wait(const std::string& id, const std::string& handle,
                                                            std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) return State(id, handle);
  wire::Request wait = ShimRequest(wire::Op::kWait);
  wait.timeout_ms = timeout.count();
  bool gone = false;
  absl::StatusOr<wire::Response> r = CallShim(id, wait, SaturatingAdd(CallDeadline(), timeout), &gone);
  if (gone) return ExitAfterShim(id);
  if (!r.ok()) return r.status();
  return ProcessStateFromShim(*r);
}

absl::StatusOr<container::ExecResult> HostProcessContainerHost::Exec(const std::string& id,
                                                                     const std::string& /*handle*/,
                                                                     const std::vector<std::string>& args,
                                                                     std::chrono::milliseconds timeout) {
  wire::Request exec = ShimRequest(wire::Op::kExec);
  exec.args = args;
  exec.timeout_ms = std::max<int64_t>(timeout.count(), 0);
  auto r = options_.shims == nullptr ? win32::Result<wire::Response>(win32::HrStatus(shim::kHrShimGone, "no port"))
                                     : options_.shims->Call(id, exec,
                                                            // CRI's timeout 0 is "no timeout", the shim's too.
                                                            timeout.count() > 0 ? SaturatingAdd(CallDeadline(), timeout)
                                                                                : shim::ShimPort::Deadline::max());
  if (!r.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat("exec in HostProcess container ", id, ": its silo-shim cannot be reached: ", r.status().ToString()));
  }
  if (r->code == wire::kCodeDeadlineExceeded && r->exited) {
    return absl::DeadlineExceededError(
        absl::StrCat("exec in container ", id, " timed out after ", timeout.count(), "ms"));
  }
  if (r->code != 0) return absl::Status(static_cast<absl::StatusCode>(r->code), r->message);
  container::ExecResult result;
  result.exit_code = r->exit_code;
  result.stdout_data = std::move(r->stdout_data);
  result.stderr_data = std::move(r->stderr_data);
  return result;
}

absl::Status HostProcessContainerHost::ReopenLog(const std::string& id, const std::string& /*handle*/) {
  return CallShim(id, ShimRequest(wire::Op::kReopenLog), CallDeadline()).status();
}

absl::StatusOr<void*> HostProcessContainerHost::OpenOwnJob(const std::string& id, const std::string& handle) {
  const std::string job_name = HostProcessJobName(id);
  if (!handle.empty() && handle != job_name) {
    // A record of another naming (an older silod's): whatever now has that
    // name is not ours.
    return absl::NotFoundError(absl::StrCat("container ", id, ": its record names job ", handle, ", not ", job_name));
  }
  std::wstring name = Utf8ToWide(job_name);
  void* job = api_->open_job_object(name.c_str());
  if (job == nullptr) return Win32Error(absl::StrCat("OpenJobObjectW ", job_name), api_->get_last_error());
  wchar_t owner[192] = {};
  const uint32_t err = api_->get_job_owner(job, owner, sizeof(owner) / sizeof(owner[0]));
  if (err != 0 || !jobobject::IsSilodJobOwner(owner)) {
    api_->close_handle(job);
    if (err != 0) return Win32Error(absl::StrCat("GetSecurityInfo ", job_name), err);
    return absl::AlreadyExistsError(absl::StrCat("job object ", job_name, " exists but is owned by ",
                                                 silo::win32::WideToUtf8(owner),
                                                 ", not by silod; refusing to use it for container ", id));
  }
  return job;
}

void HostProcessContainerHost::CleanUpAfterShim(const std::string& id, const std::string& handle) {
  absl::StatusOr<void*> job = OpenOwnJob(id, handle);
  if (job.ok()) {
    api_->terminate_job_object(*job, kTerminatedExitCode);
    api_->close_handle(*job);
  }
  absl::StatusOr<HostProcessPlan> plan = KeptPlan(id);
  if (!plan.ok()) return;
  if (plan->logon == LogonKind::kLocalGroup) {
    std::wstring user = Utf8ToWide(TemporaryUserName(id));
    api_->delete_user(user.c_str());  // NERR_UserNotFound when the shim deleted it
  }
  std::vector<std::string> links;
  if (!plan->create_silo) links.push_back(plan->mount_point);
  for (const auto& m : plan->mounts) {
    if (!m.bind) links.push_back(m.target);
  }
  for (auto it = links.rbegin(); it != links.rend(); ++it) {
    std::wstring link = Utf8ToWide(*it);
    api_->remove_link(link.c_str());  // ERROR_FILE_NOT_FOUND when already removed
  }
}

absl::Status HostProcessContainerHost::Remove(const std::string& id, const std::string& handle) {
  bool gone = false;
  if (options_.shims != nullptr) {
    absl::Status s = CallShim(id, ShimRequest(wire::Op::kShutdown), CallDeadline(), &gone).status();
    if (!s.ok() && !gone) return s;
    // The shim exits after answering; its handle closing ends the job.
    const auto until = std::chrono::steady_clock::now() + kShimExitWait;
    while (!gone && std::chrono::steady_clock::now() < until) {
      (void)CallShim(id, ShimRequest(wire::Op::kState), std::chrono::steady_clock::now() + kProbeTimeout, &gone);
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!gone) {
      return absl::UnavailableError(absl::StrCat("remove HostProcess container ", id,
                                                 ": its silo-shim did not exit within ", kShimExitWait.count(), " s"));
    }
  }
  CleanUpAfterShim(id, handle);
  for (const char* suffix : {".hostprocess.json", ".exit", ".shim.log"}) std::remove(FilePath(id, suffix).c_str());
  return absl::OkStatus();
}

absl::StatusOr<std::string> HostProcessContainerHost::RuntimeSpec(const std::string& id) {
  absl::StatusOr<HostProcessPlan> plan = KeptPlan(id);
  if (!plan.ok()) return plan.status();
  return HostProcessPlanToJson(*plan).dump();
}

bool HostProcessContainerHost::MonitorGone(const std::string& id, const std::string& /*handle*/) {
  if (options_.shims == nullptr) return true;
  auto r = options_.shims->Call(id, ShimRequest(wire::Op::kState), std::chrono::steady_clock::now() + kProbeTimeout);
  return !r.ok() && shim::IsShimGone(r.status());
}

absl::Status HostProcessContainerHost::KillUnmonitored(const std::string& id) {
  absl::StatusOr<void*> job = OpenOwnJob(id, "");
  // Gone with its shim, or a job of that name that is not silod's: nothing to end.
  if (absl::IsNotFound(job.status()) || absl::IsAlreadyExists(job.status())) return absl::OkStatus();
  if (!job.ok()) return job.status();
  absl::Status status;
  if (api_->terminate_job_object(*job, kTerminatedExitCode) == 0) {
    status = Win32Error("TerminateJobObject", api_->get_last_error());
  }
  api_->close_handle(*job);
  return status;
}

absl::StatusOr<std::optional<ProcessState>> HostProcessContainerHost::RecordedExit(const std::string& id) {
  win32::Result<shim::ExitRecord> record = shim::ReadExitRecord(FilePath(id, ".exit"));
  if (!record.ok()) {
    if (codes::Normalize(record.status().hr()) == codes::Normalize(shim::kHrFileNotFound)) {
      return std::optional<ProcessState>();
    }
    return absl::DataLossError(absl::StrCat("exit record of container ", id, ": ", record.status().ToString()));
  }
  ProcessState st;
  st.started = true;
  st.exited = true;
  st.exit_code = static_cast<int>(record->exit_code);
  st.exited_at_ns = record->exited_at_unix_nanos;
  return std::optional<ProcessState>(st);
}

absl::StatusOr<std::vector<std::string>> HostProcessContainerHost::ListHostContainers() {
  constexpr std::string_view kSuffix = ".hostprocess.json";
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& f : std::filesystem::directory_iterator(options_.state_dir, ec)) {
    const std::string name = f.path().filename().string();
    if (name.size() > kSuffix.size() && name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) == 0) {
      ids.push_back(name.substr(0, name.size() - kSuffix.size()));
    }
  }
  return ids;
}

absl::StatusOr<HostProcessStats> HostProcessContainerHost::Stats(const std::string& id) {
  absl::StatusOr<void*> job = OpenOwnJob(id, "");
  if (!job.ok()) return job.status();
  JobAccountingSpec a;
  const bool queried = api_->query_job_accounting(*job, &a) != 0;
  const uint32_t err = queried ? 0 : api_->get_last_error();
  // A handle of silod's for this query only: the shim's stays the last.
  api_->close_handle(*job);
  if (!queried) return Win32Error(absl::StrCat("QueryInformationJobObject ", HostProcessJobName(id)), err);
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
