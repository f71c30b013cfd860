#pragma once
// WindowsSandboxHost: the Windows SandboxHost. A pod is
//   namespaces  an HCN namespace created with no explicit type, as hcsshim's
//               createNetworkNamespace does (hcn.NewNamespace("")), whose GUID
//               Silo chooses from the sandbox id (SiloNamespaceGuid: Silo's
//               mark, so leak cleanup never touches another runtime's); the
//               GUID is the "netns" CNI receives through network::PodNetwork
//   pod group   for HostProcess pods only, a Win32 Job Object
//               "silo-pod-<sandbox id>" that holds what the pod runs on the
//               host; process-isolated containers live in HCS's own silo jobs
//               and CRI has no pod-level limits for Windows, so those pods get
//               none (their pod group path is ""). The job is created with an
//               explicit descriptor (owner Administrators; SYSTEM and
//               Administrators only), and a job of that name that exists
//               already is refused, never adopted
//   StartPod    a pause compute system from the sandbox image (holder kPause,
//               the default), because process-isolated pods need a running
//               container to hold the network compartment open (the
//               compartment-activation bug hcsshim's pod.go documents). Its
//               system id is the sandbox id and its Owner options.owner, which
//               must differ from the container host's, so container recovery
//               never takes a pause system for a leaked container. holder
//               kNone (config `sandbox.holder: none`) runs pods without it, an
//               explicit opt-in on builds where the compartment stays active.
// HostProcess pods (handler type "hostprocess": namespaces false, holder
// kNone) get the job object only: no namespace, no CNI, no compute system.
//
// Undo: every step removes what it made when it fails (the pause system is
// terminated and closed, its rootfs released; a namespace that was created is
// deleted; a job that was created is closed), and Stop/Remove run in reverse:
// StopPod (pause), then (the manager's CNI DEL), RemoveNamespaces (any
// endpoint the plugin left in the namespace is recorded, detached and
// deleted, then the namespace), RemovePodGroup (job terminated and closed).
//
// Restarts: before its first object is made, a sandbox gets a marker file
// <state_dir>/<id>.sandbox, removed once all of its objects are gone. Recovery
// lists markers and pause systems of options.owner (ListNamespaces,
// ListPodGroups), so what no record owns is removed, and nothing that is not
// silod's is ever named. A job's NAME goes with its last open handle even
// while its processes keep it running, so silod's handle alone cannot carry a
// pod job across a restart: HoldPodJobIn gives a handle to a process that
// outlives silod (the container's monitor), and Reopen (recovery) opens the
// job by name again, accepting it only when its owner is Administrators or
// SYSTEM, or makes a new one when no holder kept it (it then held nothing of
// the pod's that was still running); it finds the pod dead (NotFound) when
// its pause system is gone or stopped.
// Pause systems are created with ShouldTerminateOnLastHandleClosed false, so
// they outlive silod; silod keeps no handle to them between calls.
//
// Thread-safe: a mutex guards the job handles; HCS, HCN and job calls run
// outside it. Calls for one sandbox are serialised by the manager.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "network/hns/api.h"
#include "runtime/base/mutex.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs_container_host.h"
#include "runtime/windows/jobobject/api.h"

namespace silo::runtime::windows {

// The upstream pause image (config sandbox.image's Windows default); it
// carries windows/amd64 manifests per Windows build.
inline constexpr char kDefaultWindowsSandboxImage[] = "registry.k8s.io/pause:3.10.1";
inline constexpr char kDefaultPodJobPrefix[] = "silo-pod-";
// The SandboxRecord::platform_data key of the sandbox image a pause runs.
inline constexpr char kSandboxImageKey[] = "sandbox_image";

// What holds a process-isolated pod's network compartment open.
enum class PodHolder {
  kPause,  // a pause compute system (the default, as containerd and hcsshim)
  kNone,   // nothing: `sandbox.holder: none`, an explicit opt-in
};

// "pause" or "none" (the config spelling); InvalidArgument naming the
// accepted values otherwise.
absl::StatusOr<PodHolder> ParsePodHolder(const std::string& text);

// The pause container as the sandbox image defines it.
struct PauseImage {
  WindowsRootfs rootfs;
  std::vector<std::string> args;  // the image's entrypoint + cmd
  bool args_escaped = false;
  std::vector<std::pair<std::string, std::string>> env;
  std::string working_directory;
  std::string user;
};

struct WindowsSandboxHostOptions {
  // HCS Owner of pause systems: not the container host's owner.
  std::string owner = "silo-sandbox";
  // False for HostProcess pods: they use the host's network.
  bool namespaces = true;
  PodHolder holder = PodHolder::kPause;
  std::string sandbox_image = kDefaultWindowsSandboxImage;
  std::string job_prefix = kDefaultPodJobPrefix;
  // Markers of the sandboxes this host made objects for. Required.
  std::string state_dir;
  std::chrono::milliseconds call_timeout{std::chrono::minutes(4)};
  // The pause's rootfs (a scratch over the sandbox image's layers, pulled
  // like any image when missing) and process; required with kPause.
  std::function<absl::StatusOr<PauseImage>(const std::string& sandbox_id, const std::string& image)> prepare_pause;
  // Releases that rootfs; idempotent; required with kPause.
  std::function<absl::Status(const std::string& sandbox_id)> release_pause;
};

class WindowsSandboxHost final : public sandbox::SandboxHost {
 public:
  // The tables are not owned and must outlive the host; `hcn` may be null
  // when options.namespaces is false.
  WindowsSandboxHost(const hcs::HcsApi* hcs, const network::hns::HcnApi* hcn, const jobobject::JobApi* jobs,
                     WindowsSandboxHostOptions options);
  ~WindowsSandboxHost() override;

  absl::StatusOr<std::string> CreateNamespaces(const std::string& id,
                                               const sandbox::NamespaceRequest& request) override;
  absl::Status RemoveNamespaces(const std::string& id) override;
  std::string NetworkNamespaceFor(const std::string& id) const override;
  bool NetworkNamespaceExists(const std::string& handle) const override;
  absl::StatusOr<std::vector<std::string>> ListNamespaces() const override;

  absl::StatusOr<std::string> CreatePodGroup(const std::string& id) override;
  absl::Status RemovePodGroup(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> ListPodGroups() const override;

  // The pause system (holder kPause, namespaces on); records its id under
  // kPauseSystemIdKey (windows_stats_source.h reads the pod's own counters
  // from its silo job) and the image under kSandboxImageKey.
  absl::StatusOr<nlohmann::json> StartPod(const std::string& id, const sandbox::PodStart& start) override;
  absl::Status StopPod(const std::string& id) override;
  absl::Status Reopen(const std::string& id) override;

  // Duplicates a handle to pod `id`'s job (wait access only) into `process`,
  // a process that outlives silod, e.g. the monitor of a container the pod
  // runs on the host: while it lives the job stays reachable by name after a
  // silod restart. The handle closes when that process ends.
  // FailedPrecondition when the pod has no job.
  absl::Status HoldPodJobIn(const std::string& id, void* process);

  // "silo-pod-<id>".
  std::string PodJobName(const std::string& id) const { return options_.job_prefix + id; }

 private:
  bool RunsPause() const { return options_.holder == PodHolder::kPause && options_.namespaces; }
  std::string MarkerPath(const std::string& id) const;
  // The record of endpoints RemoveNamespaces detaches and deletes.
  std::string EndpointsPath(const std::string& id) const;
  std::vector<std::string> PendingEndpoints(const std::string& id) const;
  absl::Status WriteMarker(const std::string& id);
  // Removes the marker once the namespace, the job and the pause are gone.
  absl::Status ForgetIfGone(const std::string& id);
  std::vector<std::string> Markers() const;
  // Only HostProcess pods run anything in the pod job.
  bool NeedsJob() const { return !options_.namespaces; }
  // Creates the pod job; AlreadyExists when a job of its name exists.
  absl::StatusOr<void*> CreateJob(const std::string& id);
  // Opens the pod job a previous silod made: null when no job has the name,
  // FailedPrecondition when its owner is not Administrators or SYSTEM.
  absl::StatusOr<void*> OpenOwnJob(const std::string& id);
  bool PauseExists(const std::string& id) const;
  hcs::Deadline CallDeadline() const;

  const hcs::HcsApi* const hcs_;
  const network::hns::HcnApi* const hcn_;
  const jobobject::JobApi* const jobs_;
  const WindowsSandboxHostOptions options_;
  silo::Mutex mu_;
  std::map<std::string, void*> job_handles_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::runtime::windows
