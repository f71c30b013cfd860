#pragma once
// HcsContainerHost: the Windows ContainerHost (the container half of the
// HCS backend; the pod half is the Windows sandbox host). A container is a process-isolated HCS compute system
// built from the pure document builder (container_document.h) over the
// computecore API table, so every call sequence here runs on Linux against
// FakeHcs.
//
//   Create : rootfs from the layer port -> document (mount host paths
//            resolved through links) -> HcsCreateComputeSystem
//            (nothing is left when any step fails: the system is terminated
//            and closed, the rootfs released)
//   Start  : HcsStartComputeSystem -> HcsCreateProcess (the main process)
//   Kill   : SIGKILL -> HcsTerminateProcess of the main process through a
//            fresh handle (hcsshim Process.Kill); other signals -> CtrlShutdown
//            sent from a background thread, because servercore blocks the
//            signal call until the process exits (hcsshim exec_hcs.go) and the
//            caller's grace period must run meanwhile
//   Exit   : when the main process exits the system is shut down (terminated
//            after exit_shutdown_grace), as hcsshim's task does; the exit code
//            and time stay for State/Wait until Remove
//   State/Wait : the main process's ProcessExited event (exit code), or the
//            system's exit when it stopped underneath us
//   Exec   : HcsCreateProcess in the running system, waited for
//   Remove : terminate (already stopped is fine), close, release the rootfs
//
// Restarts: systems are created with Owner = options.owner and
// ShouldTerminateOnLastHandleClosed false, so they outlive silod's handles
// (until a per-container monitor holds them). The process spec (args, env,
// cwd, account), the main pid and the exit are kept in state_dir (0600: the
// env may hold secrets); a later silod re-opens the system and its main process
// by that pid on first use (Find), watches it again, and recovery removes
// systems of our owner that no record owns (ListHostContainers =
// HcsEnumerateComputeSystems by owner); other runtimes' are never touched.
//
// The handle the manager stores is the compute system id (= container id).
// Thread-safe: a mutex guards the table and the entries' mutable fields;
// HCS calls run outside it.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "runtime/base/one_shot_callbacks.h"
#include "runtime/container/container_host.h"
#include "runtime/windows/container_document.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/host_path/api.h"

namespace silo::runtime::windows {

// What the layer store gives a container (WCIFS: a scratch layer mounted over
// the image's read-only layers).
struct WindowsRootfs {
  std::vector<LayerRef> parent_layers;  // nearest parent first
  std::string scratch_volume_path;      // "\\?\Volume{GUID}\"
};

struct HcsContainerHostOptions {
  std::string owner = "silo";
  int32_t host_cpu_count = 0;
  std::chrono::milliseconds call_timeout{std::chrono::minutes(4)};  // HCS create/start can be slow
  // After the main process exits: how long a shutdown may take before the
  // system is terminated (hcsshim's tearDownTimeout).
  std::chrono::milliseconds exit_shutdown_grace{std::chrono::seconds(30)};
  // Where the main pid and exit of each container are kept across silod
  // restarts ("" = in memory only: a restarted silod cannot re-attach).
  std::string state_dir;
  // Prepares the container's rootfs; required. It creates the scratch at
  // ScratchSizeBytes(spec.config->windows().resources()) (container_document.h):
  // the HCS document has no scratch size.
  std::function<absl::StatusOr<WindowsRootfs>(const container::CreateSpec& spec)> prepare_rootfs;
  // Releases it (idempotent); required.
  std::function<absl::Status(const std::string& container_id)> release_rootfs;
  // Resolves directory mounts' host paths to their final form before they
  // go into the document (links, junctions and mount points followed), as
  // hcsshim does for process-isolated containers: HCS mis-resolves mapped
  // files reached through symlinks. Required (Windows:
  // host_path::Win32HostPathApi()).
  const host_path::HostPathApi* host_paths = nullptr;
};

class HcsContainerHost final : public container::ContainerHost {
 public:
  HcsContainerHost(const hcs::HcsApi* api, HcsContainerHostOptions options);
  ~HcsContainerHost() override;

  absl::StatusOr<std::string> Create(const container::CreateSpec& spec) override;
  absl::Status Start(const std::string& id, const std::string& handle) override;
  absl::Status Kill(const std::string& id, const std::string& handle, int signal) override;
  absl::StatusOr<container::ProcessState> State(const std::string& id, const std::string& handle) override;
  absl::StatusOr<container::ProcessState> Wait(const std::string& id, const std::string& handle,
                                               std::chrono::milliseconds timeout) override;
  // On the main process's ProcessExited (or a lost compute service); the
  // callback runs on the host's own thread, never HCS's. Null for a system
  // without its main process (not started, or re-opened without it).
  std::unique_ptr<container::ExitWatch> WatchExit(const std::string& id, const std::string& handle,
                                                  std::function<void()> on_exit) override;
  absl::StatusOr<container::ExecResult> Exec(const std::string& id, const std::string& handle,
                                             const std::vector<std::string>& args,
                                             std::chrono::milliseconds timeout) override;
  absl::Status ReopenLog(const std::string& id, const std::string& handle) override;
  absl::Status Remove(const std::string& id, const std::string& handle) override;
  // CPU and memory, live, through HcsModifyComputeSystem (one request per
  // resource, BuildResourceUpdateRequests). FailedPrecondition unless the
  // container is running; what cannot change live is refused before any
  // request is sent.
  absl::Status UpdateWindowsResources(const std::string& id, const std::string& handle,
                                      const ::runtime::v1::WindowsContainerResources& resources) override;

  bool MonitorGone(const std::string& id, const std::string& handle) override;
  absl::StatusOr<std::optional<container::ProcessState>> RecordedExit(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> ListHostContainers() override;
  absl::Status RemoveOrphan(const std::string& id) override;

 private:
  struct Entry {
    std::shared_ptr<hcs::ComputeSystem> system;
    std::shared_ptr<hcs::Process> init;  // the main process once started
    // Its pid once started, even when its handle could not be re-opened
    // after a restart: a known pid means the container was started.
    uint32_t main_pid = 0;  // guarded by mu_
    std::optional<container::ProcessState> exit;  // guarded by mu_
    // The process spec, set at Create and kept in state_dir with the pid, so
    // that a restarted silod starts the main process and runs execs with the
    // container's account and environment. Immutable once the entry exists.
    std::vector<std::string> args, env;
    bool args_escaped = false;  // the main process only; exec args are always quoted
    std::string cwd, user;
    // False for a system re-opened without its kept spec: nothing may run in
    // it then (an exec without the container's User would run as the
    // image's default account, ContainerAdministrator on most images).
    bool spec_known = false;
    uint64_t exit_listener = 0;  // on init: the host's own exit handling
    uint64_t exit_token = 0;     // its exit_callbacks_ token
    bool signalling = false;     // guarded by mu_: a CtrlShutdown call is in flight
    std::thread signaller;       // guarded by mu_: sends CtrlShutdown
    std::thread stopper;         // guarded by mu_: shuts the system down after the exit
  };
  // The entry for `id`, re-opening a system left by a previous silod.
  absl::StatusOr<std::shared_ptr<Entry>> Find(const std::string& id);
  hcs::Deadline CallDeadline() const;
  // Records the exit once (first wins) and returns it; persists it.
  container::ProcessState RecordExit(const std::string& id, Entry& e, int64_t code);
  // Makes the host react to the main process's exit (shut the system down).
  void WatchMainProcess(const std::string& id, const std::shared_ptr<Entry>& e);
  void OnMainExit(const std::string& id, const std::shared_ptr<Entry>& e);
  void StartStopper(Entry& e);  // with mu_ held
  // Joins the entry's threads and unhooks its exit handling.
  void Quiesce(Entry& e);
  std::string StatePath(const std::string& id) const;
  void SaveState(const std::string& id, const Entry& e, uint32_t pid,
                 const std::optional<container::ProcessState>& exit);

  const hcs::HcsApi* const api_;
  const HcsContainerHostOptions options_;
  // Runs exit-watch callbacks off HCS's notification threads; shared with
  // the listeners, which may fire after a watch is gone.
  const std::shared_ptr<OneShotCallbacks> exit_callbacks_ = std::make_shared<OneShotCallbacks>();
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // guarded by mu_
};

}  // namespace silo::runtime::windows
