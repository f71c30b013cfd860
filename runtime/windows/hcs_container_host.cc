#include "runtime/windows/hcs_container_host.h"

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "spdlog/spdlog.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/host_path/resolve.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/schema/json.h"

namespace silo::runtime::windows {
namespace {

absl::Status ToStatus(const win32::HrStatus& s, absl::string_view operation, absl::string_view id) {
  if (s.ok()) return absl::OkStatus();
  return HResultToStatus(s.hr(), operation, id, s.message());
}

int64_t NowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<std::pair<std::string, std::string>> EnvPairs(const std::vector<std::string>& env) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : env) {
    size_t eq = kv.find('=');
    out.emplace_back(kv.substr(0, eq), eq == std::string::npos ? "" : kv.substr(eq + 1));
  }
  return out;
}

}  // namespace

HcsContainerHost::HcsContainerHost(const hcs::HcsApi* api, HcsContainerHostOptions options)
    : api_(api), options_(std::move(options)) {}

HcsContainerHost::~HcsContainerHost() {
  std::map<std::string, std::shared_ptr<Entry>> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries = entries_;
  }
  // The systems keep running (they outlive silod); only our threads and
  // listeners end here.
  for (auto& [id, e] : entries) Quiesce(*e);
}

hcs::Deadline HcsContainerHost::CallDeadline() const { return hcs::Clock::now() + options_.call_timeout; }

std::string HcsContainerHost::StatePath(const std::string& id) const {
  return options_.state_dir.empty() ? std::string() : absl::StrCat(options_.state_dir, "/", id, ".hcs.json");
}

void HcsContainerHost::SaveState(const std::string& id, const Entry& e, uint32_t pid,
                                 const std::optional<container::ProcessState>& exit) {
  const std::string path = StatePath(id);
  if (path.empty()) return;
  nlohmann::json j = {{"pid", pid}};
  if (e.spec_known) {
    j["process"] = {{"args", e.args},
                    {"args_escaped", e.args_escaped},
                    {"env", e.env},
                    {"cwd", e.cwd},
                    {"user", e.user}};
  }
  if (exit) {
    j["exit_code"] = exit->exit_code;
    j["exited_at_ns"] = exit->exited_at_ns;
  }
  absl::Status s = MakeDirs(options_.state_dir);
  if (s.ok()) s = AtomicWriteFile(path, j.dump(), 0600);
  if (!s.ok()) spdlog::warn("container {}: cannot keep its HCS state: {}", id, std::string(s.message()));
}

namespace {

struct SavedState {
  uint32_t pid = 0;
  std::optional<container::ProcessState> exit;
  bool has_process = false;
  std::vector<std::string> args, env;
  bool args_escaped = false;
  std::string cwd, user;
};

std::vector<std::string> StringList(const nlohmann::json& j, const char* key) {
  std::vector<std::string> out;
  auto it = j.find(key);
  if (it == j.end() || !it->is_array()) return out;
  for (const nlohmann::json& v : *it) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

std::optional<SavedState> LoadState(const std::string& path) {
  if (path.empty()) return std::nullopt;
  absl::StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  SavedState out;
  out.pid = j.value("pid", 0u);
  if (auto p = j.find("process"); p != j.end() && p->is_object()) {
    const nlohmann::json& proc = *p;
    out.has_process = true;
    out.args = StringList(proc, "args");
    out.env = StringList(proc, "env");
    out.args_escaped = proc.value("args_escaped", false);
    out.cwd = proc.value("cwd", "");
    out.user = proc.value("user", "");
  }
  if (j.contains("exit_code")) {
    container::ProcessState st;
    st.started = true;
    st.exited = true;
    st.exit_code = j.value("exit_code", 255);
    st.exited_at_ns = j.value("exited_at_ns", int64_t{0});
    st.pid = static_cast<int>(out.pid);
    out.exit = st;
  }
  return out;
}

}  // namespace

container::ProcessState HcsContainerHost::RecordExit(const std::string& id, Entry& e, int64_t code) {
  container::ProcessState st;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (e.exit) return *e.exit;
    // A main process that ran, even one that ended while no silod watched
    // it, means the container was started: the manager settles a record
    // still CREATED (silod died inside StartContainer) from this.
    st.started = e.init != nullptr || e.main_pid != 0;
    st.exited = true;
    st.exit_code = static_cast<int>(code);
    st.exited_at_ns = NowNs();
    st.pid = e.init ? static_cast<int>(e.init->pid()) : static_cast<int>(e.main_pid);
    e.exit = st;
  }
  SaveState(id, e, static_cast<uint32_t>(st.pid), st);
  return st;
}

void HcsContainerHost::WatchMainProcess(const std::string& id, const std::shared_ptr<Entry>& e) {
  std::weak_ptr<Entry> weak = e;
  e->exit_token = exit_callbacks_->Add([this, id, weak] {
    if (std::shared_ptr<Entry> entry = weak.lock()) OnMainExit(id, entry);
  });
  e->exit_listener = e->init->AddExitListener([callbacks = exit_callbacks_, token = e->exit_token] {
    callbacks->Fire(token);
  });
}

void HcsContainerHost::OnMainExit(const std::string& id, const std::shared_ptr<Entry>& e) {
  // Runs on exit_callbacks_' thread before any exit watch of the manager
  // (registered later), so State already reports the exit to it.
  win32::Result<hcs::ProcessExit> ex = e->init->WaitForExit(hcs::Clock::now());
  if (!ex.ok()) return;  // a lost compute service: nothing is known about the process
  RecordExit(id, *e, ex->exit_code);
  // A silo whose main process is gone must not keep running (hcsshim shuts
  // the task's system down the same way).
  std::lock_guard<std::mutex> lock(mu_);
  StartStopper(*e);
}

void HcsContainerHost::StartStopper(Entry& e) {
  if (e.stopper.joinable()) return;
  e.stopper = std::thread([this, system = e.system] {
    // A handle opened after the system stopped never sees SystemExited, so
    // waiting on it would only run out the deadlines.
    win32::Result<std::string> props = system->Properties("{}", CallDeadline());
    if (props.ok()) {
      const nlohmann::json j = nlohmann::json::parse(*props, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("State", "") == "Stopped") return;
    } else if (codes::IsNotExist(props.status().hr())) {
      return;
    }
    const hcs::Deadline grace = hcs::Clock::now() + options_.exit_shutdown_grace;
    win32::HrStatus s = system->Stop(grace, grace + options_.call_timeout);
    if (!s.ok()) spdlog::warn("container {}: cannot stop its compute system after its exit: {}", system->id(),
                              s.ToString());
  });
}

void HcsContainerHost::Quiesce(Entry& e) {
  if (e.exit_token != 0) exit_callbacks_->Cancel(e.exit_token);  // waits for a running OnMainExit
  if (e.init && e.exit_listener != 0) e.init->RemoveExitListener(e.exit_listener);
  std::thread signaller, stopper;
  {
    std::lock_guard<std::mutex> lock(mu_);
    signaller = std::move(e.signaller);
    stopper = std::move(e.stopper);
  }
  if (signaller.joinable()) signaller.join();
  if (stopper.joinable()) stopper.join();
}

absl::StatusOr<std::string> HcsContainerHost::Create(const container::CreateSpec& spec) {
  if (spec.config == nullptr || spec.id.empty()) return absl::InvalidArgumentError("HCS create: no container config");
  if (!options_.prepare_rootfs || !options_.release_rootfs) {
    return absl::FailedPreconditionError("HCS create: no layer store is wired");
  }
  if (options_.host_paths == nullptr) {
    return absl::FailedPreconditionError("HCS create: no host path resolver is wired");
  }
  absl::StatusOr<WindowsRootfs> rootfs = options_.prepare_rootfs(spec);
  if (!rootfs.ok()) return Annotate(rootfs.status(), absl::StrCat("container ", spec.id, ": rootfs"));
  bool created = false;
  auto undo_rootfs = [&] {
    if (!created) (void)options_.release_rootfs(spec.id);
  };

  ContainerSpecInput in;
  in.container_id = spec.id;
  in.owner = options_.owner;
  // silod holds the only handle until a per-container monitor does: closing
  // it (a silod restart) must not kill the container.
  in.terminate_on_last_handle_closed = false;
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
  absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(in);
  if (!doc.ok()) {
    undo_rootfs();
    return doc.status();
  }
  absl::StatusOr<std::string> json = schema::ToJsonString(*doc);
  if (!json.ok()) {
    undo_rootfs();
    return json.status();
  }
  auto system = hcs::ComputeSystem::Create(*api_, spec.id, *json, CallDeadline());
  if (!system.ok()) {
    undo_rootfs();
    return ToStatus(system.status(), "HcsCreateComputeSystem", spec.id);
  }
  created = true;
  auto e = std::make_shared<Entry>();
  e->system = std::shared_ptr<hcs::ComputeSystem>(std::move(*system));
  e->args = spec.args;
  e->args_escaped = spec.args_escaped;
  e->env = spec.env;
  e->cwd = spec.cwd;
  e->user = spec.username;  // run_as_username over the image's User (WindowsUsername)
  e->spec_known = true;
  // Kept before the container can run, so a silod restarted at any later
  // point can still start it and exec in it as its account.
  SaveState(spec.id, *e, 0, std::nullopt);
  std::lock_guard<std::mutex> lock(mu_);
  entries_[spec.id] = std::move(e);
  return spec.id;
}

absl::StatusOr<std::shared_ptr<HcsContainerHost::Entry>> HcsContainerHost::Find(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end()) return it->second;
  }
  // Not ours in this process: a system a previous silod created.
  auto system = hcs::ComputeSystem::Open(*api_, id);
  if (!system.ok()) return ToStatus(system.status(), "HcsOpenComputeSystem", id);
  auto e = std::make_shared<Entry>();
  e->system = std::shared_ptr<hcs::ComputeSystem>(std::move(*system));
  std::optional<SavedState> saved = LoadState(StatePath(id));
  if (saved && saved->has_process) {
    e->args = saved->args;
    e->args_escaped = saved->args_escaped;
    e->env = saved->env;
    e->cwd = saved->cwd;
    e->user = saved->user;
    e->spec_known = true;
  }
  bool main_gone = false;
  if (saved && saved->exit) {
    e->exit = saved->exit;
  } else if (saved && saved->pid != 0) {
    e->main_pid = saved->pid;
    auto proc = e->system->OpenProcess(saved->pid);
    if (proc.ok()) {
      e->init = std::shared_ptr<hcs::Process>(std::move(*proc));
    } else {
      // Exited while no silod watched it: the code is lost.
      main_gone = codes::IsNotExist(proc.status().hr()) || codes::IsAlreadyStopped(proc.status().hr());
    }
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto [it, inserted] = entries_.emplace(id, e);
    if (!inserted) return it->second;  // a concurrent Find won; ours closes its handles
  }
  if (e->init) WatchMainProcess(id, e);
  if (main_gone) {
    spdlog::warn("container {}: its main process (pid {}) ended while silod was down; exit code unknown", id,
                 saved->pid);
    RecordExit(id, *e, 255);
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (e->exit) StartStopper(*e);
  return e;
}

absl::Status HcsContainerHost::Start(const std::string& id, const std::string&) {
  absl::StatusOr<std::shared_ptr<Entry>> e = Find(id);
  if (!e.ok()) return e.status();
  if (!(*e)->spec_known) {
    return absl::FailedPreconditionError(
        absl::StrCat("start container ", id, ": its process spec was not kept across the silod restart"));
  }
  absl::Status started = ToStatus((*e)->system->Start(CallDeadline()), "HcsStartComputeSystem", id);
  if (!started.ok()) return started;
  ProcessInput p;
  p.args = (*e)->args;
  p.args_escaped = (*e)->args_escaped;
  p.env = EnvPairs((*e)->env);
  p.working_directory = (*e)->cwd;
  p.user = (*e)->user;
  absl::StatusOr<schema::ProcessParameters> params = BuildProcessParameters(p);
  absl::StatusOr<std::string> json = params.ok() ? schema::ToJsonString(*params) : params.status();
  absl::Status result = json.status();
  if (json.ok()) {
    auto proc = (*e)->system->CreateProcess(*json, CallDeadline());
    if (proc.ok()) {
      {
        std::lock_guard<std::mutex> lock(mu_);
        (*e)->init = std::shared_ptr<hcs::Process>(std::move(*proc));
        (*e)->main_pid = (*e)->init->pid();
      }
      SaveState(id, **e, (*e)->init->pid(), std::nullopt);
      WatchMainProcess(id, *e);
      return absl::OkStatus();
    }
    result = ToStatus(proc.status(), "HcsCreateProcess", id);
  }
  // A system without its main process must not keep running.
  (void)(*e)->system->Terminate(CallDeadline());
  return Annotate(result, absl::StrCat("start container ", id));
}

absl::Status HcsContainerHost::Kill(const std::string& id, const std::string&, int signal) {
  absl::StatusOr<std::shared_ptr<Entry>> found = Find(id);
  if (!found.ok()) return found.status();
  const std::shared_ptr<Entry>& e = *found;
  if (e->init == nullptr) {
    // Never started (or re-opened without its process): the system is all there is.
    win32::HrStatus s = e->system->Terminate(CallDeadline());
    if (s.ok() || codes::IsAlreadyStopped(s.hr()) || codes::IsNotExist(s.hr())) return absl::OkStatus();
    return ToStatus(s, "HcsTerminateComputeSystem", id);
  }
  // SIGKILL's number: Windows C runtimes do not define the macro.
  constexpr int kSigKill = 9;
  if (signal != kSigKill) {
    std::lock_guard<std::mutex> lock(mu_);
    if (e->exit || e->signalling) return absl::OkStatus();
    if (e->signaller.joinable()) e->signaller.join();  // a finished earlier signal
    e->signalling = true;
    // Windows has no signals: CtrlShutdown is the graceful request that
    // console apps and services see. Servercore blocks the call until the
    // process exits, so it runs on its own thread and the caller's grace
    // period (then SIGKILL) runs meanwhile.
    e->signaller = std::thread([this, id, e] {
      win32::Result<bool> delivered = e->init->Signal(R"({"Signal":"CtrlShutdown"})", CallDeadline());
      if (!delivered.ok() || !*delivered) {
        // The process cannot take it: ask the system instead.
        win32::HrStatus shut = e->system->Shutdown(CallDeadline());
        if (!shut.ok()) {
          spdlog::info("container {}: CtrlShutdown {}; shutdown: {}", id,
                       delivered.ok() ? "not delivered" : delivered.status().ToString(), shut.ToString());
        }
      }
      std::lock_guard<std::mutex> lock(mu_);
      e->signalling = false;
    });
    return absl::OkStatus();
  }
  // Through fresh handles: HCS serialises calls per system handle, so a
  // CtrlShutdown still blocked on ours would hold the kill back (hcsshim
  // Process.Kill). The system follows the process down (OnMainExit).
  win32::HrStatus s = hcs::TerminateProcessThroughFreshHandle(*api_, id, e->init->pid(), CallDeadline());
  if (s.ok()) return absl::OkStatus();
  spdlog::warn("container {}: terminating its main process failed ({}); terminating the system", id, s.ToString());
  win32::HrStatus t = e->system->Terminate(CallDeadline());
  if (t.ok() || codes::IsAlreadyStopped(t.hr()) || codes::IsNotExist(t.hr())) return absl::OkStatus();
  return ToStatus(t, "HcsTerminateComputeSystem", id);
}

absl::StatusOr<container::ProcessState> HcsContainerHost::State(const std::string& id, const std::string& handle) {
  absl::StatusOr<container::ProcessState> st = Wait(id, handle, std::chrono::milliseconds(0));
  if (st.ok() || st.status().code() != absl::StatusCode::kDeadlineExceeded) return st;
  container::ProcessState running;
  std::lock_guard<std::mutex> lock(mu_);
  auto it = entries_.find(id);
  if (it != entries_.end() && it->second->main_pid != 0) {
    // Running is started: a record still CREATED (silod died inside
    // StartContainer, after the pid was kept) becomes RUNNING from this.
    running.started = true;
    running.pid = static_cast<int>(it->second->main_pid);
  }
  return running;
}

absl::StatusOr<container::ProcessState> HcsContainerHost::Wait(const std::string& id, const std::string&,
                                                               std::chrono::milliseconds timeout) {
  absl::StatusOr<std::shared_ptr<Entry>> e = Find(id);
  if (!e.ok()) return e.status();
  Entry& entry = **e;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (entry.exit) return *entry.exit;
  }
  if (!entry.init) {
    // Created but never started (or re-opened without its process): the
    // system's own exit is all there is to wait for.
    win32::Result<hcs::SystemExit> ex = entry.system->WaitForExit(hcs::Clock::now() + timeout);
    if (ex.ok()) return RecordExit(id, entry, 255);
    if (codes::IsTimeout(ex.status().hr())) {
      return absl::DeadlineExceededError(absl::StrCat("container ", id, " is still running"));
    }
    return ToStatus(ex.status(), "wait for compute system", id);
  }
  win32::Result<hcs::ProcessExit> ex = entry.init->WaitForExit(hcs::Clock::now() + timeout);
  if (ex.ok()) return RecordExit(id, entry, ex->exit_code);
  if (codes::IsTimeout(ex.status().hr())) {
    return absl::DeadlineExceededError(absl::StrCat("container ", id, " is still running"));
  }
  return ToStatus(ex.status(), "wait for the main process", id);
}

namespace {

class HcsExitWatch final : public container::ExitWatch {
 public:
  HcsExitWatch(std::shared_ptr<hcs::Process> process, uint64_t listener, std::shared_ptr<OneShotCallbacks> callbacks,
               uint64_t token)
      : process_(std::move(process)), listener_(listener), callbacks_(std::move(callbacks)), token_(token) {}
  ~HcsExitWatch() override {
    process_->RemoveExitListener(listener_);
    callbacks_->Cancel(token_);  // a listener that already fired finds nothing to run
  }

 private:
  const std::shared_ptr<hcs::Process> process_;
  const uint64_t listener_;
  const std::shared_ptr<OneShotCallbacks> callbacks_;
  const uint64_t token_;
};

}  // namespace

std::unique_ptr<container::ExitWatch> HcsContainerHost::WatchExit(const std::string& id, const std::string&,
                                                                  std::function<void()> on_exit) {
  absl::StatusOr<std::shared_ptr<Entry>> e = Find(id);
  if (!e.ok()) return nullptr;
  std::shared_ptr<hcs::Process> init;
  {
    std::lock_guard<std::mutex> lock(mu_);
    init = (*e)->init;
  }
  if (init == nullptr) return nullptr;
  const uint64_t token = exit_callbacks_->Add(std::move(on_exit));
  const uint64_t listener = init->AddExitListener([callbacks = exit_callbacks_, token] { callbacks->Fire(token); });
  return std::make_unique<HcsExitWatch>(std::move(init), listener, exit_callbacks_, token);
}

absl::StatusOr<container::ExecResult> HcsContainerHost::Exec(const std::string& id, const std::string&,
                                                             const std::vector<std::string>& args,
                                                             std::chrono::milliseconds timeout) {
  absl::StatusOr<std::shared_ptr<Entry>> e = Find(id);
  if (!e.ok()) return e.status();
  if (!(*e)->spec_known) {
    // Its account is unknown: an exec must not fall back to the image's default one.
    return absl::FailedPreconditionError(
        absl::StrCat("exec in container ", id, ": its process spec was not kept across the silod restart"));
  }
  ProcessInput p;
  p.args = args;
  p.env = EnvPairs((*e)->env);
  p.working_directory = (*e)->cwd;
  p.user = (*e)->user;
  absl::StatusOr<schema::ProcessParameters> params = BuildProcessParameters(p);
  if (!params.ok()) return params.status();
  absl::StatusOr<std::string> json = schema::ToJsonString(*params);
  if (!json.ok()) return json.status();
  auto proc = (*e)->system->CreateProcess(*json, CallDeadline());
  if (!proc.ok()) return ToStatus(proc.status(), "HcsCreateProcess (exec)", id);
  const hcs::Deadline deadline =
      timeout.count() > 0 ? hcs::Clock::now() + timeout : hcs::kNoDeadline;
  win32::Result<hcs::ProcessExit> ex = (*proc)->WaitForExit(deadline);
  if (!ex.ok()) {
    (void)(*proc)->Terminate(CallDeadline());
    if (codes::IsTimeout(ex.status().hr())) {
      return absl::DeadlineExceededError(absl::StrCat("exec in container ", id, " timed out"));
    }
    return ToStatus(ex.status(), "wait for exec", id);
  }
  // Output capture belongs to silo-shim on Windows (it owns the stdio
  // pipes, as on Linux); this host reports the exit code.
  container::ExecResult r;
  r.exit_code = static_cast<int>(ex->exit_code);
  return r;
}

absl::Status HcsContainerHost::ReopenLog(const std::string& id, const std::string&) {
  return absl::UnimplementedError(absl::StrCat("container ", id, ": on Windows silo-shim owns the log"));
}

absl::Status HcsContainerHost::UpdateWindowsResources(const std::string& id, const std::string&,
                                                      const ::runtime::v1::WindowsContainerResources& resources) {
  SILO_ASSIGN_OR_RETURN(std::vector<std::string> requests,
                        BuildResourceUpdateRequests(resources, options_.host_cpu_count));
  absl::StatusOr<std::shared_ptr<Entry>> e = Find(id);
  if (!e.ok()) return e.status();
  {
    std::lock_guard<std::mutex> lock(mu_);
    // HCS modifies only a running system; say so plainly rather than pass
    // on HCS_E_INVALID_STATE (and a created container's limits belong in
    // its document, not a modify).
    if ((*e)->init == nullptr || (*e)->exit.has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "container ", id, " is not running: CPU and memory of a Windows container change only while it runs"));
    }
  }
  for (const std::string& request : requests) {
    const win32::HrStatus s = (*e)->system->Modify(request, CallDeadline());
    if (s.ok()) continue;
    if (codes::IsInvalidState(s.hr())) {
      return absl::FailedPreconditionError(
          absl::StrCat("container ", id, " stopped while its resources were updated (", s.message(), ")"));
    }
    return ToStatus(s, "HcsModifyComputeSystem", id);
  }
  return absl::OkStatus();
}

absl::Status HcsContainerHost::Remove(const std::string& id, const std::string&) {
  std::shared_ptr<Entry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end()) entry = it->second;
  }
  std::shared_ptr<hcs::ComputeSystem> system = entry ? entry->system : nullptr;
  if (!system) {
    auto opened = hcs::ComputeSystem::Open(*api_, id);
    if (opened.ok()) {
      system = std::shared_ptr<hcs::ComputeSystem>(std::move(*opened));
    } else if (!codes::IsNotExist(opened.status().hr())) {
      return ToStatus(opened.status(), "HcsOpenComputeSystem", id);
    }
  }
  if (system) {
    win32::HrStatus s = system->Terminate(CallDeadline());
    if (!s.ok() && !codes::IsAlreadyStopped(s.hr()) && !codes::IsNotExist(s.hr())) {
      return ToStatus(s, "HcsTerminateComputeSystem", id);
    }
    // The system is down, so a blocked signal and the stopper return; they
    // must be gone before the handles close under them.
    if (entry) Quiesce(*entry);
    if (entry && entry->init) entry->init->Close();
    system->Close();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.erase(id);
  }
  if (const std::string path = StatePath(id); !path.empty()) std::remove(path.c_str());
  return options_.release_rootfs ? options_.release_rootfs(id) : absl::OkStatus();
}

bool HcsContainerHost::MonitorGone(const std::string& id, const std::string&) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (entries_.count(id)) return false;
  }
  auto opened = hcs::ComputeSystem::Open(*api_, id);
  return !opened.ok() && codes::IsNotExist(opened.status().hr());
}

absl::StatusOr<std::optional<container::ProcessState>> HcsContainerHost::RecordedExit(const std::string& id) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = entries_.find(id);
    if (it != entries_.end() && it->second->exit) return it->second->exit;
  }
  std::optional<SavedState> saved = LoadState(StatePath(id));
  if (saved && saved->exit) return saved->exit;
  return std::optional<container::ProcessState>();
}

absl::StatusOr<std::vector<std::string>> HcsContainerHost::ListHostContainers() {
  hcs::EnumerateQuery q;
  q.owners = {options_.owner};
  auto systems = hcs::ComputeSystem::Enumerate(*api_, q, CallDeadline());
  if (!systems.ok()) return ToStatus(systems.status(), "HcsEnumerateComputeSystems", options_.owner);
  std::vector<std::string> ids;
  for (const auto& s : *systems) ids.push_back(s.id);
  return ids;
}

absl::Status HcsContainerHost::RemoveOrphan(const std::string& id) { return Remove(id, id); }

}  // namespace silo::runtime::windows
