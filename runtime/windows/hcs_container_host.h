#pragma once
// HcsContainerHost: the Windows ContainerHost (the container half of the
// HCS backend; the pod half is the Windows sandbox host). A container is a
// process-isolated HCS compute system built from the pure document builder
// (container_document.h), held by its own silo-shim.exe (runtime/windows/
// shim), exactly as containerd holds a Windows container through its shim:
// silod itself never keeps a compute system handle.
//
//   Create : rootfs from the layer port -> document (mount host paths
//            resolved through links; ShouldTerminateOnLastHandleClosed on)
//            and the main process's parameters written to state_dir ->
//            ShimPort::Launch: silo-shim.exe --create-only creates the
//            system and serves its pipe (nothing is left when any step
//            fails: the shim dies with its system, the rootfs is released)
//   Start, Kill, State, Wait, Exec (ExecSync, output captured by the shim),
//   ReopenLog : one framed-protocol request to the shim each
//            (monitor_requests.h); Kill maps signals as hcsshim's ValidateWCOW
//   WatchExit: a thread of ours asks the shim to wait, in short bounded
//            waits so that a cancel never waits long
//   Remove : `shutdown` (the shim stops the system and exits, its last
//            handle closing), then anything left is terminated, the state
//            files deleted and the rootfs released
//   UpdateWindowsResources: HcsModifyComputeSystem through a handle opened
//            for the call only (a second handle never keeps a system alive)
//
// Restarts: the shims outlive silod. A restarted silod finds each
// container's process spec in state_dir (0600: the env may hold secrets)
// and talks to its shim again; when the shim is gone as well, the exit
// record it wrote durably (<id>.exit) gives the exit code
// (RecordedExit), and its system went with it (the flag). Recovery removes
// systems of our owner that no record owns (ListHostContainers =
// HcsEnumerateComputeSystems by owner, plus state files); other runtimes'
// are never touched.
//
// The handle the manager stores is the container id.
// Thread-safe: a silo::Mutex guards the table; shim and HCS calls run
// outside it.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "runtime/base/mutex.h"
#include "runtime/base/one_shot_callbacks.h"
#include "runtime/container/container_host.h"
#include "runtime/windows/container_document.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/host_path/api.h"
#include "runtime/windows/shim/shim_port.h"

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
  // Unused: the shim shuts a container's system down after its main
  // process exits (MonitorOptions::exit_shutdown_grace). Kept so existing
  // wiring compiles.
  std::chrono::milliseconds exit_shutdown_grace{std::chrono::seconds(30)};
  // Required: each container's process spec, the files handed to its shim
  // and the shim's exit record live here (<id>.hcs.json, <id>.exit).
  std::string state_dir;
  // Required: launches and reaches the per-container silo-shim.exe
  // (Windows: shim::NewWin32ShimPort(<silo-shim.exe path>); tests:
  // shim::InProcessShimPort). Shared so that options stay copyable.
  std::shared_ptr<shim::ShimPort> shims;
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
  // Builds the compute-system document in place of the process-isolated
  // one, from the input filled in for it (all but the storage, which
  // prepare_rootfs made): Hyper-V isolation hosts the container in its
  // pod's utility VM. Unset = BuildContainerDocument.
  std::function<absl::StatusOr<std::string>(const container::CreateSpec& spec, const ContainerSpecInput& input)>
      build_document;
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
  // When the shim reports the main process's exit, or the shim is gone; the
  // callback runs on the host's own thread. Null when the container is
  // unknown.
  std::unique_ptr<container::ExitWatch> WatchExit(const std::string& id, const std::string& handle,
                                                  std::function<void()> on_exit) override;
  absl::StatusOr<container::ExecResult> Exec(const std::string& id, const std::string& handle,
                                             const std::vector<std::string>& args,
                                             std::chrono::milliseconds timeout) override;
  absl::Status ReopenLog(const std::string& id, const std::string& handle) override;
  // The HCS ProcessParameters of an exec in container `id` (its env, working
  // directory and user, as ExecSync): with `tty` EmulateConsole and, when
  // both are non-zero, the console size. FailedPrecondition when the
  // container's process spec was lost.
  absl::StatusOr<std::string> ExecProcessParameters(const std::string& id, const std::vector<std::string>& args,
                                                    bool tty, bool open_stdin, uint16_t console_width,
                                                    uint16_t console_height);
  absl::Status Remove(const std::string& id, const std::string& handle) override;
  // CPU and memory, live, through HcsModifyComputeSystem (one request per
  // resource, BuildResourceUpdateRequests). FailedPrecondition unless the
  // container is running; what cannot change live is refused before any
  // request is sent.
  absl::Status UpdateWindowsResources(const std::string& id, const std::string& handle,
                                      const ::runtime::v1::WindowsContainerResources& resources) override;

  bool MonitorGone(const std::string& id, const std::string& handle) override;
  absl::Status KillUnmonitored(const std::string& id) override;
  absl::StatusOr<std::optional<container::ProcessState>> RecordedExit(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> ListHostContainers() override;
  absl::Status RemoveOrphan(const std::string& id) override;

 private:
  // What silod keeps of a container; its life is in the shim. Immutable.
  struct Entry {
    // The process spec, kept in state_dir so that a restarted silod runs
    // execs with the container's account and environment.
    std::vector<std::string> env;
    std::string cwd, user;
    // False for a container found without its kept spec: nothing may run in
    // it then (an exec without the container's User would run as the
    // image's default account, ContainerAdministrator on most images).
    bool spec_known = false;
  };
  // The entry for `id`, from the table or state_dir (a previous silod's).
  absl::StatusOr<std::shared_ptr<const Entry>> Find(const std::string& id);
  shim::ShimPort::Deadline CallDeadline() const;
  // One request to the container's shim; the response's own failure is
  // returned as a status too.
  // `gone`, when given, says whether no shim serves the container.
  absl::StatusOr<runtime::shim::Response> CallShim(const std::string& id, const runtime::shim::Request& request,
                                                   shim::ShimPort::Deadline deadline, bool* gone = nullptr);
  // The exit the shim recorded durably, if any.
  absl::StatusOr<std::optional<container::ProcessState>> ReadRecordedExit(const std::string& id) const;
  std::string StatePath(const std::string& id) const;
  std::string FilePath(const std::string& id, const char* suffix) const;
  absl::Status SaveState(const std::string& id, const Entry& e) const;
  void DeleteFiles(const std::string& id) const;

  const hcs::HcsApi* const api_;
  const HcsContainerHostOptions options_;
  // Runs exit-watch callbacks on a thread of the host's own.
  const std::shared_ptr<OneShotCallbacks> exit_callbacks_ = std::make_shared<OneShotCallbacks>();
  Mutex mu_;
  std::map<std::string, std::shared_ptr<const Entry>> entries_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::runtime::windows
