#pragma once
// ContainerHost: the platform half of a container's life cycle, under
// ContainerManager. Linux: an overlay rootfs, an OCI bundle and one silo-shim
// per container (linux_container_host.h); Windows will plug HCS in here.
//
// Every host object is named by the container id. Remove is idempotent.
// Implementations are thread-safe across containers; the manager serialises
// calls for one container.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/api/cri.h"
#include "runtime/container/image_config.h"
#include "runtime/model/sandbox.h"

namespace silo::runtime::container {

// Everything the host needs to create one container; the portable merging
// (args, env, user) is already done.
struct CreateSpec {
  std::string id;
  const model::SandboxRecord* sandbox = nullptr;
  std::string sandbox_files_dir;  // holds the pod's hosts, resolv.conf, hostname
  const ::runtime::v1::ContainerConfig* config = nullptr;
  std::string rootfs;                   // the mounted root filesystem (image::LayerStore::Prepare)
  std::vector<std::string> layer_dirs;  // its read-only image layers, bottom first
  std::vector<std::string> args;
  // args[0] is a command line the image already escaped (FirstArgIsEscapedCommandLine);
  // Windows hosts pass it through raw.
  bool args_escaped = false;
  std::vector<std::string> env;
  std::string cwd;
  NumericUser user;       // Linux images
  std::string username;   // Windows images: the account name; "" = the image's default
  std::string log_path;  // absolute; "" = discard output
};

struct ProcessState {
  // The main process was started (the monitor is past CREATED), even if
  // silod never recorded it: a crash inside StartContainer.
  bool started = false;
  bool exited = false;
  int exit_code = 0;
  int64_t exited_at_ns = 0;
  int pid = 0;
};

// A live subscription to one container's exit (ContainerHost::WatchExit).
// Destroying it cancels it: once the destructor returns its callback is not
// running and never will.
class ExitWatch {
 public:
  virtual ~ExitWatch() = default;
};

struct ExecResult {
  int exit_code = 0;
  std::string stdout_data;
  std::string stderr_data;
};

class ContainerHost {
 public:
  virtual ~ContainerHost() = default;
  // Creates the container without starting it; returns the handle the other
  // calls take (the shim socket on Linux). On failure nothing is left.
  virtual absl::StatusOr<std::string> Create(const CreateSpec& spec) = 0;
  virtual absl::Status Start(const std::string& id, const std::string& handle) = 0;
  virtual absl::Status Kill(const std::string& id, const std::string& handle, int signal) = 0;
  // The main process's state; Unavailable when the monitor cannot be reached.
  virtual absl::StatusOr<ProcessState> State(const std::string& id, const std::string& handle) = 0;
  // Waits until the main process exits or `timeout` passes (DeadlineExceeded).
  virtual absl::StatusOr<ProcessState> Wait(const std::string& id, const std::string& handle,
                                            std::chrono::milliseconds timeout) = 0;
  // Calls `on_exit` once, from a thread of the host's, when the main process
  // has exited or its monitor hung up; State and MonitorGone then tell which.
  // Null when this host cannot push exits (the manager then asks State on
  // every status and list) or the watch could not be set up.
  virtual std::unique_ptr<ExitWatch> WatchExit(const std::string& /*id*/, const std::string& /*handle*/,
                                               std::function<void()> /*on_exit*/) {
    return nullptr;
  }
  // Runs `args` in the container; `timeout` 0 = none, DeadlineExceeded on expiry.
  virtual absl::StatusOr<ExecResult> Exec(const std::string& id, const std::string& handle,
                                          const std::vector<std::string>& args, std::chrono::milliseconds timeout) = 0;
  // Closes and reopens the container's log file (after kubelet rotated it).
  virtual absl::Status ReopenLog(const std::string& id, const std::string& handle) = 0;
  // Kills what is left, releases the monitor and deletes every host object
  // of the container. Idempotent.
  virtual absl::Status Remove(const std::string& id, const std::string& handle) = 0;
  // Whether the kernel OOM-killed a process of the container (its cgroup's
  // oom_kill counter). Answers only until Remove deletes the cgroup, so the
  // manager asks when it records the exit. Default: never.
  virtual absl::StatusOr<bool> OomKilled(const std::string& /*id*/) { return false; }
  // The runtime spec the container was created with, as the host wrote it
  // (an OCI config.json on Linux), for verbose status. Default: Unimplemented.
  virtual absl::StatusOr<std::string> RuntimeSpec(const std::string& id) {
    return absl::UnimplementedError("this host keeps no runtime spec: container " + id);
  }
  // Applies `resources` (the complete new set) to the live container; on
  // error nothing is recorded as applied. Default: Unimplemented.
  virtual absl::Status UpdateResources(const std::string& id, const std::string& /*handle*/,
                                       const ::runtime::v1::LinuxContainerResources& /*resources*/) {
    return absl::UnimplementedError("UpdateContainerResources is not supported by this host: container " + id);
  }

  // The Windows counterpart of UpdateResources: applies the non-zero fields
  // of `resources` to the running container. Default: Unimplemented.
  virtual absl::Status UpdateWindowsResources(const std::string& id, const std::string& /*handle*/,
                                              const ::runtime::v1::WindowsContainerResources& /*resources*/) {
    return absl::UnimplementedError("Windows resources cannot be updated on this host: container " + id);
  }

  // --- Live restore (container_recovery.cc). The defaults suit a host whose
  // monitors never outlive silod.
  // True only when the container's monitor certainly no longer exists (no
  // process serves `handle`), so it will never report an exit. One quick
  // probe, no retries; a busy monitor is not gone.
  virtual bool MonitorGone(const std::string& id, const std::string& handle) { return false; }
  // The exit the monitor recorded durably before it went away, if any.
  virtual absl::StatusOr<std::optional<ProcessState>> RecordedExit(const std::string& id) { return std::nullopt; }
  // Kills whatever processes of the container are left once its monitor is
  // gone; keeps its files (Remove deletes them). Idempotent.
  virtual absl::Status KillUnmonitored(const std::string& id) { return absl::OkStatus(); }
  // Ids of every container the host holds any object for (files, mounts,
  // monitors, sockets), for garbage collection at start-up.
  virtual absl::StatusOr<std::vector<std::string>> ListHostContainers() { return std::vector<std::string>{}; }
  // Deletes every host object of a container no record owns, including a
  // monitor that no longer answers. Idempotent.
  virtual absl::Status RemoveOrphan(const std::string& id) { return Remove(id, ""); }
};

}  // namespace silo::runtime::container
