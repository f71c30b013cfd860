#pragma once
// HcsContainerHost: the Windows ContainerHost (issue 8's HcsBackend, the
// container half). A container is a process-isolated HCS compute system
// built from the pure document builder (container_document.h) over the
// computecore API table, so every call sequence here runs on Linux against
// FakeHcs.
//
//   Create : rootfs from the layer port -> document -> HcsCreateComputeSystem
//            (nothing is left when any step fails: the system is terminated
//            and closed, the rootfs released)
//   Start  : HcsStartComputeSystem -> HcsCreateProcess (the main process)
//   Kill   : SIGKILL -> terminate the system; other signals -> CtrlShutdown
//            to the main process, falling back to a system shutdown when the
//            process cannot take it
//   State/Wait : the main process's ProcessExited event (exit code), or the
//            system's exit when it stopped underneath us
//   Exec   : HcsCreateProcess in the running system, waited for
//   Remove : terminate (already stopped is fine), close, release the rootfs
//
// Systems are created with Owner = options.owner, so recovery after a silod
// restart re-opens ours (ListHostContainers = HcsEnumerateComputeSystems by
// owner) and never touches other runtimes' systems. A re-opened system's
// main process is re-opened by pid when known.
//
// The handle the manager stores is the compute system id (= container id).
// Thread-safe: a mutex guards the table; HCS calls run outside it.

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "runtime/base/one_shot_callbacks.h"
#include "runtime/container/container_host.h"
#include "runtime/windows/container_document.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"

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
  // Prepares the container's rootfs; required. It creates the scratch at
  // ScratchSizeBytes(spec.config->windows().resources()) (container_document.h):
  // the HCS document has no scratch size.
  std::function<absl::StatusOr<WindowsRootfs>(const container::CreateSpec& spec)> prepare_rootfs;
  // Releases it (idempotent); required.
  std::function<absl::Status(const std::string& container_id)> release_rootfs;
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

  bool MonitorGone(const std::string& id, const std::string& handle) override;
  absl::StatusOr<std::vector<std::string>> ListHostContainers() override;
  absl::Status RemoveOrphan(const std::string& id) override;

 private:
  struct Entry {
    std::shared_ptr<hcs::ComputeSystem> system;
    std::shared_ptr<hcs::Process> init;  // the main process once started
    std::optional<container::ProcessState> exit;
    std::vector<std::string> args, env;
    bool args_escaped = false;  // the main process only; exec args are always quoted
    std::string cwd, user;
  };
  // The entry for `id`, re-opening a system left by a previous silod.
  absl::StatusOr<std::shared_ptr<Entry>> Find(const std::string& id);
  hcs::Deadline CallDeadline() const;
  void RecordExit(Entry& e, int64_t code);

  const hcs::HcsApi* const api_;
  const HcsContainerHostOptions options_;
  // Runs exit-watch callbacks off HCS's notification threads; shared with
  // the listeners, which may fire after a watch is gone.
  const std::shared_ptr<OneShotCallbacks> exit_callbacks_ = std::make_shared<OneShotCallbacks>();
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<Entry>> entries_;  // guarded by mu_
};

}  // namespace silo::runtime::windows
