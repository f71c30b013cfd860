#pragma once
// SandboxHost on Linux: pinned namespaces under `netns_dir`
// (network/netns) and pod cgroups (runtime/linux/pod_cgroup.h).
// Thread-safe: both parts are stateless beyond their configuration.

#include <string>
#include <vector>

#include "runtime/linux/pod_cgroup.h"
#include "runtime/sandbox/sandbox_host.h"

namespace silo::runtime::linux_backend {

// The sandbox port's names, as this host implements it.
using sandbox::NamespaceRequest;
using sandbox::SandboxHost;

class LinuxSandboxHost final : public SandboxHost {
 public:
  LinuxSandboxHost(std::string netns_dir, linux_backend::PodCgroups cgroups)
      : netns_dir_(std::move(netns_dir)), cgroups_(std::move(cgroups)) {}

  absl::StatusOr<std::string> CreateNamespaces(const std::string& id, const NamespaceRequest& request) override;
  absl::Status RemoveNamespaces(const std::string& id) override;
  std::string NetworkNamespaceFor(const std::string& id) const override;
  bool NetworkNamespaceExists(const std::string& handle) const override;
  absl::StatusOr<std::vector<std::string>> ListNamespaces() const override;

  absl::StatusOr<std::string> CreatePodGroup(const std::string& id) override { return cgroups_.Create(id); }
  absl::Status RemovePodGroup(const std::string& id) override { return cgroups_.Remove(id); }
  absl::StatusOr<std::vector<std::string>> ListPodGroups() const override { return cgroups_.List(); }
  absl::Status MountPodShm(const std::string& dir) override;
  absl::Status UnmountPodShm(const std::string& dir) override;

 private:
  std::string netns_dir_;
  linux_backend::PodCgroups cgroups_;
};

}  // namespace silo::runtime::linux_backend
