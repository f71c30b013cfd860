#pragma once
// ContainerHost on Linux: per container
//
//   <root_dir>/<id>/{upper,work}   the overlay's writable layer (persistent)
//   <state_dir>/<id>/config.json   the OCI bundle
//   <state_dir>/<id>/rootfs        the overlay mount (lowers = image layers)
//   <state_dir>/<id>/exit          the shim's exit file
//   <socket_dir>/<id>.sock         the shim's socket (kept short for sun_path)
//
// and one detached `silo-shim --create-only` that owns the container (runc
// state under `runc_root`). Namespaces are joined from the sandbox: its
// pinned netns, and the pinned ipc/uts next to it under `netns_dir`;
// mount is new; pid is new, the node's, the pod's (pinned beside the others,
// held by the pod init) or a running target container's. The cgroup is <pod cgroup>/<id>; on cgroup v1,
// Remove also deletes the empty pod directories runc made in hierarchies the
// pod cgroup does not cover.
//
// Exits are pushed by one ShimExitWatcher (a `wait` held open on every
// running container's shim), started with the first WatchExit.
//
// Thread-safe: besides configuration the object holds only that watcher.

#include <memory>
#include <mutex>
#include <string>

#include "runtime/base/deferred_removal.h"
#include "runtime/container/container_host.h"
#include "runtime/shim/exit_watcher.h"

namespace silo::runtime::linux_backend {

// The container port's names, as this host implements it.
using container::ContainerHost;
using container::CreateSpec;
using container::ExecResult;
using container::ExitWatch;
using container::NumericUser;
using container::ProcessState;

struct LinuxContainerHostOptions {
  std::string root_dir;
  std::string state_dir;
  std::string socket_dir;
  std::string shim_binary = "silo-shim";
  std::string runc_binary = "runc";
  std::string runc_root;
  std::string netns_dir;  // where the sandbox host pins ipc/uts namespaces
  std::string cgroup_root = "/sys/fs/cgroup";
};

class LinuxContainerHost final : public ContainerHost {
 public:
  explicit LinuxContainerHost(LinuxContainerHostOptions options) : options_(std::move(options)) {}

  absl::StatusOr<std::string> Create(const CreateSpec& spec) override;
  std::unique_ptr<ExitWatch> WatchExit(const std::string& id, const std::string& handle,
                                       std::function<void()> on_exit) override;
  absl::Status Start(const std::string& id, const std::string& handle) override;
  absl::Status Kill(const std::string& id, const std::string& handle, int signal) override;
  absl::StatusOr<ProcessState> State(const std::string& id, const std::string& handle) override;
  absl::StatusOr<ProcessState> Wait(const std::string& id, const std::string& handle,
                                    std::chrono::milliseconds timeout) override;
  absl::Status ReopenLog(const std::string& id, const std::string& handle) override;
  absl::StatusOr<ExecResult> Exec(const std::string& id, const std::string& handle,
                                  const std::vector<std::string>& args, std::chrono::milliseconds timeout) override;
  absl::Status Remove(const std::string& id, const std::string& handle) override;

  // Live restore (linux_container_host_recovery.cc): a shim is gone when its
  // socket is missing or refuses connections; the exit record is the shim's
  // exit file; KillUnmonitored is `runc delete --force`; orphans are found in
  // every directory above and among live silo-shim processes whose socket is
  // in `socket_dir` (so another daemon's shims are never touched).
  bool MonitorGone(const std::string& id, const std::string& handle) override;
  absl::StatusOr<std::optional<ProcessState>> RecordedExit(const std::string& id) override;
  absl::Status KillUnmonitored(const std::string& id) override;
  absl::StatusOr<std::vector<std::string>> ListHostContainers() override;
  absl::Status RemoveOrphan(const std::string& id) override;
  // linux_container_resources.cc: cgroup OOM counter; `runc update`.
  absl::StatusOr<bool> OomKilled(const std::string& id) override;
  absl::StatusOr<std::string> RuntimeSpec(const std::string& id) override;
  absl::Status UpdateResources(const std::string& id, const std::string& handle,
                               const ::runtime::v1::LinuxContainerResources& resources) override;

  std::string BundleDir(const std::string& id) const { return options_.state_dir + "/" + id; }
  std::string RootfsDir(const std::string& id) const { return BundleDir(id) + "/rootfs"; }
  std::string SocketPath(const std::string& id) const { return options_.socket_dir + "/" + id + ".sock"; }

 private:
  absl::Status MountRootfs(const CreateSpec& spec) const;
  // "/proc/<pid>/ns/pid" of the running target of a TARGET PID namespace,
  // "" for other modes; FailedPrecondition when the target is not running.
  absl::StatusOr<std::string> TargetPidNamespace(const CreateSpec& spec);
  absl::Status WriteBundle(const CreateSpec& spec, const std::string& target_pid_ns) const;
  // `open_stdin`: the container gets a stdin pipe that attach writes to.
  // `tty`: its main process runs on a terminal the shim holds.
  absl::Status StartShim(const std::string& id, const std::string& log_path, bool open_stdin, bool tty) const;

  const LinuxContainerHostOptions options_;
  // A removed container's bundle and writable layer leave their names at
  // once and are deleted off RemoveContainer's path; recovery sweeps what a
  // killed silod left in the trash.
  DeferredRemoval trash_;
  std::mutex watcher_mu_;
  std::unique_ptr<shim::ShimExitWatcher> watcher_;  // guarded by watcher_mu_; lives as long as the host
};

// The shim binary installed next to silod: <dir of /proc/self/exe>/../../
// runtime/shim/silo-shim in a build tree, else `silo-shim` from PATH.
std::string DefaultShimBinary();

}  // namespace silo::runtime::linux_backend
