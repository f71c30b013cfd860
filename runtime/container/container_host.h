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
  std::vector<std::string> layer_dirs;  // unpacked image layers, bottom first
  std::vector<std::string> args;
  std::vector<std::string> env;
  std::string cwd;
  NumericUser user;
  std::string log_path;  // absolute; "" = discard output
};

struct ProcessState {
  bool exited = false;
  int exit_code = 0;
  int64_t exited_at_ns = 0;
  int pid = 0;
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
  // Runs `args` in the container; `timeout` 0 = none, DeadlineExceeded on expiry.
  virtual absl::StatusOr<ExecResult> Exec(const std::string& id, const std::string& handle,
                                          const std::vector<std::string>& args, std::chrono::milliseconds timeout) = 0;
  // Closes and reopens the container's log file (after kubelet rotated it).
  virtual absl::Status ReopenLog(const std::string& id, const std::string& handle) = 0;
  // Kills what is left, releases the monitor and deletes every host object
  // of the container. Idempotent.
  virtual absl::Status Remove(const std::string& id, const std::string& handle) = 0;
};

}  // namespace silo::runtime::container
