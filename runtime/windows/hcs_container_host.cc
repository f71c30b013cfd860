#include "runtime/windows/hcs_container_host.h"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/saturating_time.h"
#include "runtime/base/status_macros.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/host_path/resolve.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/schema/json.h"
#include "runtime/windows/shim/exit_record.h"
#include "runtime/windows/shim/shim_answers.h"
#include "runtime/windows/shim/shim_files.h"

namespace silo::runtime::windows {
namespace {

namespace wire = runtime::shim;
using shim::ShimPort;

// A watch asks the shim to wait this long at a time, so that cancelling it
// never waits longer.
constexpr std::chrono::milliseconds kWatchPoll{200};
// How long a shim may take to exit after it answered `shutdown`.
constexpr std::chrono::seconds kShimExitWait{10};
// A quick probe of whether a shim still serves its pipe.
constexpr std::chrono::seconds kProbeTimeout{2};

absl::Status ToStatus(const win32::HrStatus& s, absl::string_view operation, absl::string_view id) {
  if (s.ok()) return absl::OkStatus();
  return HResultToStatus(s.hr(), operation, id, s.message());
}

std::vector<std::pair<std::string, std::string>> EnvPairs(const std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : env) {
    size_t eq = kv.find('=');
    out.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  return out;
}

std::vector<std::string> StringList(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const nlohmann::json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

using shim::IsShimGone;
using shim::ShimRequest;
using shim::ShimTransportStatus;

// Polls the shim's wait in short steps until the exit, the shim's end, or
// a cancel; fires its callback through the host's OneShotCallbacks.
class ShimExitWatch final : public container::ExitWatch {
 public:
  ShimExitWatch(std::shared_ptr<ShimPort> shims, std::string id, std::shared_ptr<OneShotCallbacks> callbacks,
                uint64_t token)
      : shims_(std::move(shims)), id_(std::move(id)), callbacks_(std::move(callbacks)), token_(token) {
    thread_ = std::thread([this] { Run(); });
  }
  ~ShimExitWatch() override {
    cancelled_ = true;
    thread_.join();
    callbacks_->Cancel(token_);  // a callback already fired is waited for, or dropped
  }

 private:
  void Run() {
    wire::Request wait = ShimRequest(wire::Op::kWait);
    wait.timeout_ms = kWatchPoll.count();
    while (!cancelled_) {
      auto r = shims_->Call(id_, wait, std::chrono::steady_clock::now() + kWatchPoll + kProbeTimeout);
      // Anything but "still running" is news: the exit, or a shim that
      // hung up (State and MonitorGone tell which).
      if (r.ok() && r->code == wire::kCodeDeadlineExceeded) continue;
      callbacks_->Fire(token_);
      return;
    }
  }

  const std::shared_ptr<ShimPort> shims_;
  const std::string id_;
  const std::shared_ptr<OneShotCallbacks> callbacks_;
  const uint64_t token_;
  std::atomic<bool> cancelled_{false};
  std::thread thread_;
};

}  // namespace

HcsContainerHost::HcsContainerHost(const hcs::HcsApi* api, HcsContainerHostOptions options)
    : api_(api), options_(std::move(options)) {}

// The containers keep running in their shims; silod holds nothing of them.
HcsContainerHost::~HcsContainerHost() = default;

ShimPort::Deadline HcsContainerHost::CallDeadline() const {
  return std::chrono::steady_clock::now() + options_.call_timeout;
}

std::string HcsContainerHost::FilePath(const std::string& id, const char* suffix) const {
  return absl::StrCat(options_.state_dir, "/", id, suffix);
}

std::string HcsContainerHost::StatePath(const std::string& id) const { return FilePath(id, ".hcs.json"); }

absl::Status HcsContainerHost::SaveState(const std::string& id, const Entry& e) const {
  nlohmann::json j = {{"process", {{"env", e.env}, {"cwd", e.cwd}, {"user", e.user}}}};
  SILO_RETURN_IF_ERROR(MakeDirs(options_.state_dir, 0700));
  return AtomicWriteFile(StatePath(id), j.dump(), 0600);
}

void HcsContainerHost::DeleteFiles(const std::string& id) const {
  for (const char* suffix : {".hcs.json", ".document.json", ".process.json", ".exit", ".shim.log"}) {
    std::remove(FilePath(id, suffix).c_str());
  }
}

absl::StatusOr<runtime::shim::Response> HcsContainerHost::CallShim(const std::string& id,
                                                                   const runtime::shim::Request& request,
                                                                   ShimPort::Deadline deadline, bool* gone) {
  const std::string what = absl::StrCat("silo-shim ", wire::OpName(request.op), " of container ", id);
  if (gone != nullptr) *gone = false;
  auto r = options_.shims->Call(id, request, deadline);
  if (!r.ok()) {
    if (gone != nullptr) *gone = IsShimGone(r.status());
    return ShimTransportStatus(what, r.status());
  }
  if (r->code != 0) {
    return absl::Status(static_cast<absl::StatusCode>(r->code), absl::StrCat(what, ": ", r->message));
  }
  return *r;
}

absl::StatusOr<std::string> HcsContainerHost::Create(const container::CreateSpec& spec) {
  if (spec.config == nullptr || spec.id.empty()) return absl::InvalidArgumentError("HCS create: no container config");
  if (!options_.prepare_rootfs || !options_.release_rootfs) {
    return absl::FailedPreconditionError("HCS create: no layer store is wired");
  }
  if (options_.host_paths == nullptr) {
    return absl::FailedPreconditionError("HCS create: no host path resolver is wired");
  }
  if (options_.shims == nullptr || options_.state_dir.empty()) {
    return absl::FailedPreconditionError("HCS create: no silo-shim launcher or state directory is wired");
  }
  // Running without the gMSA identity the pod asked for would fail later, at
  // the first domain access, far from the cause.
  if (!spec.config->windows().security_context().credential_spec().empty()) {
    return absl::UnimplementedError(absl::StrCat(
        "container ", spec.id, ": windows.security_context.credential_spec (gMSA) is not supported by this runtime yet"));
  }
  absl::StatusOr<WindowsRootfs> rootfs = options_.prepare_rootfs(spec);
  if (!rootfs.ok()) return Annotate(rootfs.status(), absl::StrCat("container ", spec.id, ": rootfs"));
  bool launched = false;
  auto undo = [&](absl::Status why) {
    if (!launched) {
      DeleteFiles(spec.id);
      (void)options_.release_rootfs(spec.id);
    }
    return why;
  };

  ContainerSpecInput in;
  in.container_id = spec.id;
  in.owner = options_.owner;
  // The shim holds the only lasting handle: when it dies the container
  // goes with it, and a silod restart never touches it.
  in.terminate_on_last_handle_closed = true;
  in.parent_layers = rootfs->parent_layers;
  in.scratch_volume_path = rootfs->scratch_volume_path;
  in.resources = spec.config->windows().resources();
  in.host_cpu_count = options_.host_cpu_count;
  in.mounts.assign(spec.config->mounts().begin(), spec.config->mounts().end());
  in.resolve_host_path = [api = options_.host_paths](const std::string& path) -> absl::StatusOr<std::string> {
    auto missing = [](const win32::HrStatus& s) {
      return s.hr() == (0x80070000u | host_path::kErrorFileNotFound) ||
             s.hr() == (0x80070000u | host_path::kErrorPathNotFound);
    };
    const std::wstring wide = win32::Utf8ToWide(path);
    win32::Result<std::wstring> final_path = host_path::ResolveHostPath(*api, wide);
    if (!final_path.ok() && missing(final_path.status())) {
      // A missing source becomes a directory, as containerd (and docker)
      // create it; named pipes never get here.
      win32::HrStatus created = host_path::CreateHostDirectories(*api, wide);
      // One that cannot be created is the request's fault, and says so.
      if (!created.ok()) return absl::NotFoundError(created.ToString());
      final_path = host_path::ResolveHostPath(*api, wide);
    }
    if (!final_path.ok()) {
      if (missing(final_path.status())) return absl::NotFoundError(final_path.status().ToString());
      return HrStatusToStatus(final_path.status(), "resolving mount host path", path);
    }
    return win32::WideToUtf8(*final_path);
  };
  if (spec.sandbox != nullptr) {
    in.hostname = spec.sandbox->hostname;
    in.network_namespace = spec.sandbox->netns_path;  // the HCN namespace GUID on Windows
    absl::StatusOr<::runtime::v1::PodSandboxConfig> pod = spec.sandbox->Config();
    if (pod.ok()) in.dns_search.assign(pod->dns_config().searches().begin(), pod->dns_config().searches().end());
  }
  absl::StatusOr<std::string> document;
  if (options_.build_document) {
    document = options_.build_document(spec, in);
  } else {
    absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(in);
    document = doc.ok() ? schema::ToJsonString(*doc) : doc.status();
  }
  if (!document.ok()) return undo(document.status());
  ProcessInput p;
  p.args = spec.args;
  p.args_escaped = spec.args_escaped;
  p.env = EnvPairs(spec.env);
  p.working_directory = spec.cwd;
  p.user = spec.username;  // run_as_username over the image's User (WindowsUsername)
  // A TTY container's main process gets an emulated console (attach then
  // resizes it); stdin is piped only when the container keeps one open.
  p.tty = spec.config->tty();
  p.open_stdin = spec.config->stdin();
  absl::StatusOr<schema::ProcessParameters> params = BuildProcessParameters(p);
  if (!params.ok()) return undo(params.status());
  absl::StatusOr<std::string> process = schema::ToJsonString(*params);
  if (!process.ok()) return undo(process.status());

  auto e = std::make_shared<Entry>();
  e->env = spec.env;
  e->cwd = spec.cwd;
  e->user = spec.username;
  e->spec_known = true;
  // Kept before the container exists, so a silod restarted at any later
  // point can still exec in it as its account.
  absl::Status saved = SaveState(spec.id, *e);
  shim::ShimLaunch launch;
  launch.id = spec.id;
  launch.document_path = FilePath(spec.id, ".document.json");
  launch.process_path = FilePath(spec.id, ".process.json");
  launch.log_path = spec.log_path;
  launch.exit_path = FilePath(spec.id, ".exit");
  launch.diagnostics_path = FilePath(spec.id, ".shim.log");
  launch.open_stdin = spec.config->stdin();
  if (saved.ok()) saved = AtomicWriteFile(launch.document_path, *document, 0600);
  if (saved.ok()) saved = AtomicWriteFile(launch.process_path, *process, 0600);
  if (!saved.ok()) return undo(Annotate(saved, absl::StrCat("container ", spec.id, ": state files")));
  std::remove(launch.exit_path.c_str());  // a stale record must never speak for this container
  win32::HrStatus started = options_.shims->Launch(launch, CallDeadline());
  if (!started.ok()) return undo(ToStatus(started, "launch silo-shim", spec.id));
  launched = true;
  // The shim has read them; the process parameters hold the environment.
  std::remove(launch.document_path.c_str());
  std::remove(launch.process_path.c_str());
  MutexLock lock(&mu_);
  entries_[spec.id] = std::move(e);
  return spec.id;
}

absl::StatusOr<std::shared_ptr<const HcsContainerHost::Entry>> HcsContainerHost::Find(const std::string& id) {
  {
    MutexLock lock(&mu_);
    auto it = entries_.find(id);
    if (it != entries_.end()) return it->second;
  }
  // Not ours in this process: a container a previous silod created.
  auto e = std::make_shared<Entry>();
  absl::StatusOr<std::string> text = options_.state_dir.empty() ? absl::NotFoundError("no state dir")
                                                                 : ReadFile(StatePath(id));
  if (text.ok()) {
    const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && j.contains("process") && j["process"].is_object()) {
      const nlohmann::json& proc = j["process"];
      e->env = StringList(proc, "env");
      e->cwd = proc.value("cwd", "");
      e->user = proc.value("user", "");
      e->spec_known = true;
    }
  }
  MutexLock lock(&mu_);
  auto [it, inserted] = entries_.emplace(id, std::move(e));
  return it->second;
}

absl::Status HcsContainerHost::Start(const std::string& id, const std::string&) {
  return CallShim(id, ShimRequest(wire::Op::kStart), CallDeadline()).status();
}

absl::Status HcsContainerHost::Kill(const std::string& id, const std::string&, int signal) {
  wire::Request kill = ShimRequest(wire::Op::kKill);
  kill.signal = signal;
  bool gone = false;
  absl::Status s = CallShim(id, kill, CallDeadline(), &gone).status();
  // A gone shim took its system along (ShouldTerminateOnLastHandleClosed).
  if (gone) return KillUnmonitored(id);
  return s;
}

absl::StatusOr<std::optional<container::ProcessState>> HcsContainerHost::ReadRecordedExit(
    const std::string& id) const {
  if (options_.state_dir.empty()) return std::optional<container::ProcessState>();
  win32::Result<shim::ExitRecord> record = shim::ReadExitRecord(FilePath(id, ".exit"));
  if (!record.ok()) {
    if (record.status().hr() == shim::kHrFileNotFound) return std::optional<container::ProcessState>();
    return ToStatus(record.status(), "read the exit record", id);
  }
  container::ProcessState st;
  st.started = true;
  st.exited = true;
  st.exit_code = static_cast<int>(record->exit_code);
  st.exited_at_ns = record->exited_at_unix_nanos;
  return std::optional<container::ProcessState>(st);
}

absl::StatusOr<container::ProcessState> HcsContainerHost::State(const std::string& id, const std::string&) {
  bool gone = false;
  absl::StatusOr<wire::Response> r = CallShim(id, ShimRequest(wire::Op::kState), CallDeadline(), &gone);
  if (r.ok()) return shim::ProcessStateFromShim(*r);
  if (!gone) return r.status();
  // Shim and silod both died: the shim's durable record still tells.
  SILO_ASSIGN_OR_RETURN(std::optional<container::ProcessState> recorded, ReadRecordedExit(id));
  if (recorded) return *recorded;
  return r.status();
}

absl::StatusOr<container::ProcessState> HcsContainerHost::Wait(const std::string& id, const std::string& handle,
                                                               std::chrono::milliseconds timeout) {
  if (timeout.count() <= 0) {
    SILO_ASSIGN_OR_RETURN(container::ProcessState st, State(id, handle));
    if (st.exited) return st;
    return absl::DeadlineExceededError(absl::StrCat("container ", id, " is still running"));
  }
  wire::Request wait = ShimRequest(wire::Op::kWait);
  wait.timeout_ms = timeout.count();
  bool gone = false;
  absl::StatusOr<wire::Response> r = CallShim(id, wait, SaturatingAdd(CallDeadline(), timeout), &gone);
  if (r.ok()) return shim::ProcessStateFromShim(*r);
  if (r.status().code() == absl::StatusCode::kDeadlineExceeded) {
    return absl::DeadlineExceededError(absl::StrCat("container ", id, " is still running"));
  }
  if (!gone) return r.status();
  SILO_ASSIGN_OR_RETURN(std::optional<container::ProcessState> recorded, ReadRecordedExit(id));
  if (recorded) return *recorded;
  return r.status();
}

std::unique_ptr<container::ExitWatch> HcsContainerHost::WatchExit(const std::string& id, const std::string&,
                                                                  std::function<void()> on_exit) {
  if (options_.shims == nullptr) return nullptr;
  const uint64_t token = exit_callbacks_->Add(std::move(on_exit));
  return std::make_unique<ShimExitWatch>(options_.shims, id, exit_callbacks_, token);
}

absl::StatusOr<container::ExecResult> HcsContainerHost::Exec(const std::string& id, const std::string&,
                                                             const std::vector<std::string>& args,
                                                             std::chrono::milliseconds timeout) {
  wire::Request exec = ShimRequest(wire::Op::kExec);
  exec.args = args;
  SILO_ASSIGN_OR_RETURN(exec.process, ExecProcessParameters(id, args, false, false, 0, 0));
  exec.timeout_ms = timeout.count() > 0 ? timeout.count() : 0;
  // CRI's timeout 0 is "no timeout": the shim waits for the process, so
  // must silod, for the answer only; reaching the shim keeps its deadline.
  const ShimPort::Deadline send = CallDeadline();
  const ShimPort::Deadline answer = timeout.count() > 0 ? SaturatingAdd(send, timeout) : ShimPort::Deadline::max();
  auto r = options_.shims->CallWithAnswerDeadline(id, exec, send, answer);
  if (!r.ok()) return ShimTransportStatus(absl::StrCat("silo-shim exec in container ", id), r.status());
  if (r->code == wire::kCodeDeadlineExceeded && r->exited) {
    return absl::DeadlineExceededError(absl::StrCat("exec in container ", id, " timed out after ", timeout.count(),
                                                    " ms"));
  }
  if (r->code != 0) {
    return absl::Status(static_cast<absl::StatusCode>(r->code), absl::StrCat("exec in container ", id, ": ",
                                                                              r->message));
  }
  container::ExecResult result;
  result.exit_code = r->exit_code;
  result.stdout_data = std::move(r->stdout_data);
  result.stderr_data = std::move(r->stderr_data);
  return result;
}

absl::StatusOr<std::string> HcsContainerHost::ExecProcessParameters(const std::string& id,
                                                                   const std::vector<std::string>& args, bool tty,
                                                                   bool open_stdin, uint16_t console_width,
                                                                   uint16_t console_height) {
  SILO_ASSIGN_OR_RETURN(std::shared_ptr<const Entry> e, Find(id));
  if (!e->spec_known) {
    // Its account is unknown: an exec must not fall back to the image's default one.
    return absl::FailedPreconditionError(
        absl::StrCat("exec in container ", id, ": its process spec was not kept across the silod restart"));
  }
  ProcessInput p;
  p.args = args;
  p.env = EnvPairs(e->env);
  p.working_directory = e->cwd;
  p.user = e->user;
  p.tty = tty;
  p.open_stdin = open_stdin;
  p.console_width = console_width;
  p.console_height = console_height;
  SILO_ASSIGN_OR_RETURN(schema::ProcessParameters params, BuildProcessParameters(p));
  return schema::ToJsonString(params);
}

absl::Status HcsContainerHost::ReopenLog(const std::string& id, const std::string&) {
  return CallShim(id, ShimRequest(wire::Op::kReopenLog), CallDeadline()).status();
}

absl::Status HcsContainerHost::UpdateWindowsResources(const std::string& id, const std::string&,
                                                      const ::runtime::v1::WindowsContainerResources& resources) {
  SILO_ASSIGN_OR_RETURN(std::vector<std::string> requests,
                        BuildResourceUpdateRequests(resources, options_.host_cpu_count));
  SILO_ASSIGN_OR_RETURN(wire::Response state, CallShim(id, ShimRequest(wire::Op::kState), CallDeadline()));
  // HCS modifies only a running system; say so plainly rather than pass
  // on HCS_E_INVALID_STATE (and a created container's limits belong in
  // its document, not a modify).
  if (state.state != "running") {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", id, " is not running: CPU and memory of a Windows container change only while it runs"));
  }
  // A handle of our own for these calls only: the shim's stays the last.
  auto system = hcs::ComputeSystem::Open(*api_, id);
  if (!system.ok()) return ToStatus(system.status(), "HcsOpenComputeSystem", id);
  for (const std::string& request : requests) {
    const win32::HrStatus s = (*system)->Modify(request, CallDeadline());
    if (s.ok()) continue;
    if (codes::IsInvalidState(s.hr())) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", id, " stopped while its resources were updated (", s.message(), ")"));
    }
    return ToStatus(s, "HcsModifyComputeSystem", id);
  }
  return absl::OkStatus();
}

absl::Status HcsContainerHost::KillUnmonitored(const std::string& id) {
  // Normally nothing is left: the shim's last handle took the system along.
  // A system that outlived it (created without the flag) is terminated here.
  auto system = hcs::ComputeSystem::Open(*api_, id);
  if (!system.ok()) {
    if (codes::IsNotExist(system.status().hr())) return absl::OkStatus();
    return ToStatus(system.status(), "HcsOpenComputeSystem", id);
  }
  win32::HrStatus s = (*system)->Terminate(CallDeadline());
  if (s.ok() || codes::IsAlreadyStopped(s.hr()) || codes::IsNotExist(s.hr())) return absl::OkStatus();
  return ToStatus(s, "HcsTerminateComputeSystem", id);
}

absl::Status HcsContainerHost::Remove(const std::string& id, const std::string&) {
  if (options_.shims != nullptr) {
    bool gone = false;
    absl::Status s = CallShim(id, ShimRequest(wire::Op::kShutdown), CallDeadline(), &gone).status();
    if (!s.ok() && !gone) return Annotate(s, absl::StrCat("remove container ", id));
    // The shim exits after answering; its handle closing is what ends the
    // system for good, so wait for it to go.
    const auto until = std::chrono::steady_clock::now() + kShimExitWait;
    while (!gone && std::chrono::steady_clock::now() < until) {
      (void)CallShim(id, ShimRequest(wire::Op::kState), std::chrono::steady_clock::now() + kProbeTimeout, &gone);
      if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!gone) {
      return absl::UnavailableError(absl::StrCat("remove container ", id, ": its silo-shim did not exit within ",
                                                 kShimExitWait.count(), " s"));
    }
  }
  SILO_RETURN_IF_ERROR(KillUnmonitored(id));
  {
    MutexLock lock(&mu_);
    entries_.erase(id);
  }
  if (!options_.state_dir.empty()) DeleteFiles(id);
  return options_.release_rootfs ? options_.release_rootfs(id) : absl::OkStatus();
}

bool HcsContainerHost::MonitorGone(const std::string& id, const std::string&) {
  if (options_.shims == nullptr) return true;
  auto r = options_.shims->Call(id, ShimRequest(wire::Op::kState), std::chrono::steady_clock::now() + kProbeTimeout);
  return !r.ok() && IsShimGone(r.status());
}

absl::StatusOr<std::optional<container::ProcessState>> HcsContainerHost::RecordedExit(const std::string& id) {
  return ReadRecordedExit(id);
}

absl::StatusOr<std::vector<std::string>> HcsContainerHost::ListHostContainers() {
  hcs::EnumerateQuery q;
  q.owners = {options_.owner};
  auto systems = hcs::ComputeSystem::Enumerate(*api_, q, hcs::Clock::now() + options_.call_timeout);
  if (!systems.ok()) return ToStatus(systems.status(), "HcsEnumerateComputeSystems", options_.owner);
  std::set<std::string> ids;
  for (const auto& s : *systems) ids.insert(s.id);
  // A container whose shim and system are gone still has files here.
  std::error_code ec;
  if (!options_.state_dir.empty()) {
    for (const auto& f : std::filesystem::directory_iterator(options_.state_dir, ec)) {
      const std::string name = f.path().filename().string();
      if (absl::EndsWith(name, ".hcs.json")) ids.insert(name.substr(0, name.size() - 9));
    }
  }
  return std::vector<std::string>(ids.begin(), ids.end());
}

absl::Status HcsContainerHost::RemoveOrphan(const std::string& id) { return Remove(id, id); }

}  // namespace silo::runtime::windows
