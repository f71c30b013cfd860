#include "runtime/windows/sandbox/windows_sandbox_host.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "network/hns/endpoint.h"
#include "network/hns/errors.h"
#include "network/hns/guid.h"
#include "network/hns/namespace.h"
#include "runtime/base/failpoint.h"
#include "runtime/base/file_util.h"
#include "runtime/base/status_macros.h"
#include "runtime/base/windows/wide.h"
#include "runtime/windows/hresult.h"
#include "runtime/windows/hresult_codes.h"
#include "runtime/windows/schema/json.h"
#include "runtime/windows/stats/windows_stats_source.h"
#include "spdlog/spdlog.h"

namespace silo::runtime::windows {
namespace {

constexpr char kMarkerSuffix[] = ".sandbox";
// Endpoints a removal is detaching and deleting, one id a line.
constexpr char kEndpointsSuffix[] = ".endpoints";
constexpr uint32_t kErrorFileNotFound = 2;
constexpr uint32_t kErrorAlreadyExists = 183;

uint32_t HResultFromWin32(uint32_t err) { return err == 0 ? 0 : ((err & 0xFFFFu) | 0x80070000u); }

absl::Status JobError(const jobobject::JobApi& api, const std::string& call, const std::string& name) {
  return HResultToStatus(HResultFromWin32(api.get_last_error()), call, name);
}

}  // namespace

absl::StatusOr<PodHolder> ParsePodHolder(const std::string& text) {
  if (text == "pause" || text.empty()) return PodHolder::kPause;
  if (text == "none") return PodHolder::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("sandbox.holder: \"", text, "\" is not one of \"pause\" (the default) or \"none\""));
}

WindowsSandboxHost::WindowsSandboxHost(const hcs::HcsApi* hcs, const network::hns::HcnApi* hcn,
                                       const jobobject::JobApi* jobs, WindowsSandboxHostOptions options)
    : hcs_(hcs), hcn_(hcn), jobs_(jobs), options_(std::move(options)) {}

WindowsSandboxHost::~WindowsSandboxHost() {
  // A job stays reachable for a later silod only through the handle a
  // holder (HoldPodJobIn) keeps; Reopen makes one that none kept again.
  silo::MutexLock lock(&mu_);
  for (auto& [id, handle] : job_handles_) jobs_->close_handle(handle);
}

hcs::Deadline WindowsSandboxHost::CallDeadline() const { return hcs::Clock::now() + options_.call_timeout; }

// --- Markers ----------------------------------------------------------------

std::string WindowsSandboxHost::MarkerPath(const std::string& id) const {
  return absl::StrCat(options_.state_dir, "/", id, kMarkerSuffix);
}

absl::Status WindowsSandboxHost::WriteMarker(const std::string& id) {
  if (options_.state_dir.empty()) return absl::FailedPreconditionError("Windows sandbox host: no state dir is set");
  SILO_RETURN_IF_ERROR(MakeDirs(options_.state_dir, 0700));
  return AtomicWriteFile(MarkerPath(id), id, 0600);
}

std::string WindowsSandboxHost::EndpointsPath(const std::string& id) const {
  return absl::StrCat(options_.state_dir, "/", id, kEndpointsSuffix);
}

std::vector<std::string> WindowsSandboxHost::PendingEndpoints(const std::string& id) const {
  absl::StatusOr<std::string> text = ReadFile(EndpointsPath(id));
  if (!text.ok()) return {};
  return absl::StrSplit(*text, '\n', absl::SkipEmpty());
}

std::vector<std::string> WindowsSandboxHost::Markers() const {
  std::vector<std::string> ids;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.state_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const size_t suffix = sizeof(kMarkerSuffix) - 1;
    if (name.size() > suffix && name.compare(name.size() - suffix, suffix, kMarkerSuffix) == 0) {
      ids.push_back(name.substr(0, name.size() - suffix));
    }
  }
  return ids;
}

absl::Status WindowsSandboxHost::ForgetIfGone(const std::string& id) {
  {
    silo::MutexLock lock(&mu_);
    if (job_handles_.count(id) != 0) return absl::OkStatus();
  }
  if (options_.namespaces) {
    network::hns::Result<network::hns::HostComputeNamespace> ns =
        network::hns::GetNamespace(*hcn_, NetworkNamespaceFor(id));
    if (ns.ok() || !network::hns::errors::IsNotFound(ns.status().hr())) return absl::OkStatus();
  }
  if (RunsPause() && PauseExists(id)) return absl::OkStatus();
  if (std::remove(MarkerPath(id).c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, absl::StrCat("remove ", MarkerPath(id)));
  }
  return absl::OkStatus();
}

// --- Namespaces -------------------------------------------------------------

absl::StatusOr<std::string> WindowsSandboxHost::CreateNamespaces(const std::string& id,
                                                                 const sandbox::NamespaceRequest& request) {
  SILO_FAILPOINT("sandbox.namespaces");
  SILO_RETURN_IF_ERROR(WriteMarker(id));
  // Windows has no IPC, UTS or PID namespaces for a pod: the pause and the
  // containers get the pod's hostname in their documents.
  if (!options_.namespaces || !request.network) return std::string();
  const network::hns::HcnGuid guid = network::hns::SiloNamespaceGuid(id);
  network::hns::Result<network::hns::HostComputeNamespace> ns = network::hns::CreateNamespace(*hcn_, guid);
  if (!ns.ok()) {
    // An earlier attempt for this sandbox (recovery) made it: it is ours.
    if (network::hns::errors::IsAlreadyExists(ns.status().hr())) return network::hns::FormatGuid(guid);
    (void)ForgetIfGone(id);
    return HrStatusToStatus(ns.status(), "HcnCreateNamespace", absl::StrCat("for sandbox ", id));
  }
  return ns->id;
}

absl::Status WindowsSandboxHost::RemoveNamespaces(const std::string& id) {
  // The pause joined the namespace: it goes first.
  SILO_RETURN_IF_ERROR(StopPod(id));
  if (options_.namespaces) {
    const std::string ns = NetworkNamespaceFor(id);
    network::hns::Result<std::vector<std::string>> endpoints = network::hns::NamespaceEndpointIds(*hcn_, ns);
    if (!endpoints.ok() && !network::hns::errors::IsNotFound(endpoints.status().hr())) {
      return HrStatusToStatus(endpoints.status(), "HcnQueryNamespaceProperties", ns);
    }
    // CNI DEL has run: an endpoint still in the namespace is one the plugin
    // left, and once detached nothing points at it any more (neither this
    // namespace nor Reconcile would find it). So its id is written down
    // first, then it leaves the namespace (as hcsshim's
    // NetworkEndpoints.Release does) and is deleted; a removal that fails
    // half-way finds the ids it already detached in that record next time.
    std::vector<std::string> pending = PendingEndpoints(id);
    for (const std::string& ep : endpoints.ok() ? *endpoints : std::vector<std::string>{}) {
      if (std::find(pending.begin(), pending.end(), ep) == pending.end()) pending.push_back(ep);
    }
    if (!pending.empty()) SILO_RETURN_IF_ERROR(AtomicWriteFile(EndpointsPath(id), absl::StrJoin(pending, "\n"), 0600));
    for (const std::string& ep : endpoints.ok() ? *endpoints : std::vector<std::string>{}) {
      network::hns::HrStatus s = network::hns::RemoveNamespaceEndpoint(*hcn_, ns, ep);
      if (!s.ok() && !network::hns::errors::IsNotFound(s.hr())) {
        return HrStatusToStatus(s, "removing endpoint from HCN namespace", ep);
      }
    }
    for (const std::string& ep : pending) {
      network::hns::HrStatus s = network::hns::DeleteEndpoint(*hcn_, ep);
      if (!s.ok() && !network::hns::errors::IsNotFound(s.hr())) return HrStatusToStatus(s, "HcnDeleteEndpoint", ep);
      if (s.ok()) spdlog::warn("sandbox {}: deleted HCN endpoint {} that CNI DEL left behind", id, ep);
    }
    SILO_RETURN_IF_ERROR(HrStatusToStatus(network::hns::DeleteNamespace(*hcn_, ns), "HcnDeleteNamespace", ns));
    if (std::remove(EndpointsPath(id).c_str()) != 0 && errno != ENOENT) {
      return ErrnoToStatus(errno, absl::StrCat("remove ", EndpointsPath(id)));
    }
  }
  return ForgetIfGone(id);
}

std::string WindowsSandboxHost::NetworkNamespaceFor(const std::string& id) const {
  if (!options_.namespaces) return "";
  return network::hns::FormatGuid(network::hns::SiloNamespaceGuid(id));
}

bool WindowsSandboxHost::NetworkNamespaceExists(const std::string& handle) const {
  if (!options_.namespaces || handle.empty()) return false;
  return network::hns::GetNamespace(*hcn_, handle).ok();
}

absl::StatusOr<std::vector<std::string>> WindowsSandboxHost::ListNamespaces() const {
  std::vector<std::string> ids = Markers();
  if (RunsPause()) {
    // A pause whose marker is gone (a state dir wiped) is still ours by owner.
    hcs::EnumerateQuery q;
    q.owners = {options_.owner};
    auto systems = hcs::ComputeSystem::Enumerate(*hcs_, q, CallDeadline());
    if (!systems.ok()) return HrStatusToStatus(systems.status(), "HcsEnumerateComputeSystems", options_.owner);
    for (const auto& s : *systems) {
      if (std::find(ids.begin(), ids.end(), s.id) == ids.end()) ids.push_back(s.id);
    }
  }
  return ids;
}

// --- Pod job ----------------------------------------------------------------

absl::StatusOr<void*> WindowsSandboxHost::CreateJob(const std::string& id) {
  const std::string name = PodJobName(id);
  void* job = jobs_->create_job_object(win32::Utf8ToWide(name).c_str(), jobobject::kSilodJobSddl);
  if (job == nullptr) return JobError(*jobs_, "CreateJobObjectW", name);
  if (jobs_->get_last_error() == kErrorAlreadyExists) {
    // Sandbox ids are never reused and recovery opens its own job by name:
    // a job this create finds was made by someone else to be adopted.
    jobs_->close_handle(job);
    return absl::AlreadyExistsError(absl::StrCat("sandbox ", id, ": job object ", name,
                                                 " exists already and silod did not create it; refusing to use it"));
  }
  return job;
}

absl::StatusOr<void*> WindowsSandboxHost::OpenOwnJob(const std::string& id) {
  const std::string name = PodJobName(id);
  void* job = jobs_->open_job_object(jobobject::kJobObjectAllAccess, 0, win32::Utf8ToWide(name).c_str());
  if (job == nullptr) {
    if (jobs_->get_last_error() == kErrorFileNotFound) return nullptr;
    return JobError(*jobs_, "OpenJobObjectW", name);
  }
  // Only an administrator (silod) can make Administrators or SYSTEM the
  // owner: any other owner means someone else made a job of this name.
  wchar_t owner[192] = {};
  const uint32_t err = jobs_->get_job_owner(job, owner, sizeof(owner) / sizeof(owner[0]));
  const std::wstring sid(owner);
  if (err != 0 || !jobobject::IsSilodJobOwner(owner)) {
    jobs_->close_handle(job);
    if (err != 0) return HResultToStatus(HResultFromWin32(err), "GetSecurityInfo", name);
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", id, ": job object ", name, " is owned by ",
                                                      win32::WideToUtf8(sid), ", not by silod; refusing to use it"));
  }
  return job;
}

absl::StatusOr<std::string> WindowsSandboxHost::CreatePodGroup(const std::string& id) {
  SILO_FAILPOINT("sandbox.pod_group");
  SILO_RETURN_IF_ERROR(WriteMarker(id));
  if (!NeedsJob()) return std::string();
  {
    silo::MutexLock lock(&mu_);
    if (job_handles_.count(id) != 0) return PodJobName(id);  // a retry in this silod
  }
  absl::StatusOr<void*> made = CreateJob(id);
  if (!made.ok()) {
    (void)ForgetIfGone(id);
    return made.status();
  }
  silo::MutexLock lock(&mu_);
  job_handles_[id] = *made;
  return PodJobName(id);
}

absl::Status WindowsSandboxHost::RemovePodGroup(const std::string& id) {
  void* job = nullptr;
  {
    silo::MutexLock lock(&mu_);
    auto it = job_handles_.find(id);
    if (it != job_handles_.end()) {
      job = it->second;
      job_handles_.erase(it);
    }
  }
  if (job == nullptr && NeedsJob()) {
    // A job a previous silod made is reachable while a holder keeps it.
    SILO_ASSIGN_OR_RETURN(job, OpenOwnJob(id));
  }
  if (job != nullptr) {
    // HostProcess containers were stopped by the manager; whatever is left
    // in the pod's job must not outlive the pod.
    const bool ended = jobs_->terminate_job_object(job, 1) != 0;
    absl::Status s = ended ? absl::OkStatus() : JobError(*jobs_, "TerminateJobObject", PodJobName(id));
    jobs_->close_handle(job);
    SILO_RETURN_IF_ERROR(s);
  }
  return ForgetIfGone(id);
}

absl::Status WindowsSandboxHost::HoldPodJobIn(const std::string& id, void* process) {
  silo::MutexLock lock(&mu_);
  auto it = job_handles_.find(id);
  if (it == job_handles_.end()) {
    return absl::FailedPreconditionError(absl::StrCat("sandbox ", id, " has no job object to hold"));
  }
  void* held = nullptr;
  if (jobs_->duplicate_job_handle(it->second, process, jobobject::kSynchronizeAccess, &held) == 0) {
    return JobError(*jobs_, "DuplicateHandle", PodJobName(id));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> WindowsSandboxHost::ListPodGroups() const { return Markers(); }

absl::Status WindowsSandboxHost::Reopen(const std::string& id) {
  {
    silo::MutexLock lock(&mu_);
    if (job_handles_.count(id) != 0) return absl::OkStatus();
  }
  if (RunsPause()) {
    auto pause = hcs::ComputeSystem::Open(*hcs_, id);
    if (!pause.ok()) {
      if (codes::IsNotExist(pause.status().hr())) {
        return absl::NotFoundError(absl::StrCat("sandbox ", id, ": its pause compute system is gone"));
      }
      return HrStatusToStatus(pause.status(), "HcsOpenComputeSystem", id);
    }
    win32::Result<std::string> props = (*pause)->Properties("{}", CallDeadline());
    (*pause)->Close();
    if (props.ok()) {
      const nlohmann::json j = nlohmann::json::parse(*props, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.value("State", "") == "Stopped") {
        return absl::NotFoundError(absl::StrCat("sandbox ", id, ": its pause compute system has stopped"));
      }
    }
  }
  if (!NeedsJob()) return absl::OkStatus();
  // The job is reachable by name while a holder (HoldPodJobIn) keeps a
  // handle; with none it held no process worth keeping: make it again.
  SILO_ASSIGN_OR_RETURN(void* job, OpenOwnJob(id));
  if (job == nullptr) {
    SILO_ASSIGN_OR_RETURN(job, CreateJob(id));
  }
  silo::MutexLock lock(&mu_);
  auto [it, inserted] = job_handles_.emplace(id, job);
  if (!inserted) jobs_->close_handle(job);
  return absl::OkStatus();
}

// --- Pause ------------------------------------------------------------------

bool WindowsSandboxHost::PauseExists(const std::string& id) const {
  auto pause = hcs::ComputeSystem::Open(*hcs_, id);
  if (!pause.ok()) return !codes::IsNotExist(pause.status().hr());
  (*pause)->Close();
  return true;
}

absl::StatusOr<nlohmann::json> WindowsSandboxHost::StartPod(const std::string& id, const sandbox::PodStart& start) {
  if (!RunsPause()) return nlohmann::json::object();
  const ::runtime::v1::WindowsSandboxSecurityContext* security =
      start.config != nullptr && start.config->has_windows() && start.config->windows().has_security_context()
          ? &start.config->windows().security_context()
          : nullptr;
  // A pod asking for a gMSA identity must not run without it.
  if (security != nullptr && !security->credential_spec().empty()) {
    return absl::UnimplementedError(absl::StrCat(
        "sandbox ", id, ": windows.security_context.credential_spec (gMSA) is not supported by this runtime yet"));
  }
  if (!options_.prepare_pause || !options_.release_pause) {
    return absl::FailedPreconditionError("Windows sandbox host: no sandbox image layers are wired for the pause");
  }
  absl::StatusOr<PauseImage> image = options_.prepare_pause(id, options_.sandbox_image);
  if (!image.ok()) {
    return Annotate(image.status(), absl::StrCat("sandbox ", id, ": pause image ", options_.sandbox_image));
  }
  // From here on a failure stops what was made.
  auto fail = [&](absl::Status s) -> absl::Status {
    absl::Status undone = StopPod(id);
    if (!undone.ok()) spdlog::error("sandbox {}: undoing its pause failed: {}", id, std::string(undone.message()));
    return Annotate(s, absl::StrCat("sandbox ", id, ": pause"));
  };
  ContainerSpecInput in;
  in.container_id = id;
  in.owner = options_.owner;
  in.terminate_on_last_handle_closed = false;  // the pod outlives silod's handle
  in.hostname = start.hostname;
  in.parent_layers = image->rootfs.parent_layers;
  in.scratch_volume_path = image->rootfs.scratch_volume_path;
  in.network_namespace = start.netns;
  if (start.config != nullptr) {
    in.dns_search.assign(start.config->dns_config().searches().begin(), start.config->dns_config().searches().end());
  }
  absl::StatusOr<schema::ComputeSystem> doc = BuildContainerDocument(in);
  absl::StatusOr<std::string> json = doc.ok() ? schema::ToJsonString(*doc) : doc.status();
  if (!json.ok()) return fail(json.status());
  ProcessInput p;
  p.args = image->args;
  p.args_escaped = image->args_escaped;
  p.env = image->env;
  p.working_directory = image->working_directory;
  p.user = image->user;
  // As containerd's Windows sandbox spec: the pod's run_as_username wins.
  if (security != nullptr && !security->run_as_username().empty()) p.user = security->run_as_username();
  absl::StatusOr<schema::ProcessParameters> params = BuildProcessParameters(p);
  if (!params.ok()) return fail(params.status());
  // Nobody reads the pause's output: pipes would only fill.
  params->create_std_in_pipe = params->create_std_out_pipe = params->create_std_err_pipe = false;
  absl::StatusOr<std::string> params_json = schema::ToJsonString(*params);
  if (!params_json.ok()) return fail(params_json.status());

  SILO_FAILPOINT("sandbox.pause");
  auto system = hcs::ComputeSystem::Create(*hcs_, id, *json, CallDeadline());
  if (!system.ok()) return fail(HrStatusToStatus(system.status(), "HcsCreateComputeSystem", id));
  absl::Status s = HrStatusToStatus((*system)->Start(CallDeadline()), "HcsStartComputeSystem", id);
  if (s.ok()) {
    auto process = (*system)->CreateProcess(*params_json, CallDeadline());
    if (process.ok()) {
      (*process)->Close();
    } else {
      s = HrStatusToStatus(process.status(), "HcsCreateProcess", id);
    }
  }
  (*system)->Close();
  if (!s.ok()) return fail(s);
  return nlohmann::json{{kPauseSystemIdKey, id}, {kSandboxImageKey, options_.sandbox_image}};
}

absl::Status WindowsSandboxHost::StopPod(const std::string& id) {
  if (!RunsPause()) return absl::OkStatus();
  auto pause = hcs::ComputeSystem::Open(*hcs_, id);
  if (!pause.ok() && !codes::IsNotExist(pause.status().hr())) {
    return HrStatusToStatus(pause.status(), "HcsOpenComputeSystem", id);
  }
  if (pause.ok()) {
    win32::HrStatus t = (*pause)->Terminate(CallDeadline());
    // A stopped system goes away when its last handle closes.
    (*pause)->Close();
    if (!t.ok() && !codes::IsAlreadyStopped(t.hr()) && !codes::IsNotExist(t.hr())) {
      return HrStatusToStatus(t, "HcsTerminateComputeSystem", id);
    }
  }
  return options_.release_pause ? options_.release_pause(id) : absl::OkStatus();
}

}  // namespace silo::runtime::windows
