#pragma once
// SandboxHost: the platform half of a pod sandbox that is not networking,
// i.e. the pod's own namespaces, its pod group and whatever must run for the
// pod once its network is attached. Linux: pinned net/ipc/uts namespaces and
// a pod cgroup, nothing running (linux_sandbox_host.h); Windows: an HCN
// namespace, a Job Object and a pause compute system
// (runtime/windows/sandbox/windows_sandbox_host.h).
//
// Every object is named by the sandbox id, so recovery can find and undo
// them knowing only the id. Remove* are idempotent. Implementations are
// thread-safe across sandboxes.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "cri/api/cri_fwd.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::sandbox {

struct NamespaceRequest {
  bool network = true;  // false for host-network pods
  bool ipc = true;      // false when the pod shares the node's IPC
  bool uts = true;      // false for host-network pods (they keep the node's name)
  // One PID namespace for the whole pod (NamespaceOption.pid POD); on Linux
  // held by a tiny per-pod init.
  bool pid = false;
  std::string hostname;  // "" keeps the node's name in a new UTS namespace
};

// What StartPod knows about the pod.
struct PodStart {
  std::string netns;     // CreateNamespaces' handle ("" = none)
  std::string hostname;  // the pod's hostname as recorded
  const ::runtime::v1::PodSandboxConfig* config = nullptr;
};

class SandboxHost {
 public:
  virtual ~SandboxHost() = default;

  // Creates the pod's namespaces; returns the network namespace handle given
  // to CNI ("" when request.network is false).
  virtual absl::StatusOr<std::string> CreateNamespaces(const std::string& id, const NamespaceRequest& request) = 0;
  virtual absl::Status RemoveNamespaces(const std::string& id) = 0;
  // The handle CreateNamespaces returns for `id`, whether or not it exists.
  virtual std::string NetworkNamespaceFor(const std::string& id) const = 0;
  // True while the network namespace `handle` is alive.
  virtual bool NetworkNamespaceExists(const std::string& handle) const = 0;
  // Ids that have namespaces.
  virtual absl::StatusOr<std::vector<std::string>> ListNamespaces() const = 0;

  // Creates the pod group; returns its path (cgroupsPath / Job Object name).
  virtual absl::StatusOr<std::string> CreatePodGroup(const std::string& id) = 0;
  virtual absl::Status RemovePodGroup(const std::string& id) = 0;
  virtual absl::StatusOr<std::vector<std::string>> ListPodGroups() const = 0;

  // The pod's shared /dev/shm at `dir`, which every container of a pod with
  // its own IPC namespace bind-mounts (Linux: a 64 MiB tmpfs, Docker's and
  // containerd's default size). Platforms without it keep the default.
  virtual absl::Status MountPodShm(const std::string& dir) { return absl::OkStatus(); }
  // Undoes MountPodShm; OK when nothing is mounted at `dir`.
  virtual absl::Status UnmountPodShm(const std::string& dir) { return absl::OkStatus(); }

  // Starts what must run for the pod once its namespaces, pod group and
  // network exist (Windows: the pause compute system that holds the network
  // compartment open). Returns what to keep in SandboxRecord::platform_data
  // (merged into it). Leaves nothing behind when it fails. Default: nothing.
  virtual absl::StatusOr<nlohmann::json> StartPod(const std::string& id, const PodStart& start) {
    return nlohmann::json::object();
  }
  // Stops and removes what StartPod started (StopPodSandbox, rollback,
  // removal). Idempotent.
  virtual absl::Status StopPod(const std::string& id) { return absl::OkStatus(); }
  // Recovery: re-attaches to what a previous silod made for the READY
  // sandbox `id`. NotFound when the pod can no longer run (what StartPod
  // started is gone): the manager then marks it NOTREADY. Default: OK.
  virtual absl::Status Reopen(const std::string& id) { return absl::OkStatus(); }
};

}  // namespace silo::runtime::sandbox
