#include "runtime/sandbox/linux_sandbox_host.h"

#include "network/netns/pinned_namespaces.h"
#include "runtime/base/status_macros.h"

namespace silo::runtime::sandbox {

absl::StatusOr<std::string> LinuxSandboxHost::CreateNamespaces(const std::string& id,
                                                               const NamespaceRequest& request) {
  if (!request.network && !request.ipc && !request.uts) return std::string();
  SILO_ASSIGN_OR_RETURN(network::netns::PinnedPaths paths,
                        network::netns::CreatePinned(netns_dir_, id,
                                                     {request.network, request.ipc, request.uts, request.hostname}));
  return paths.net;
}

absl::Status LinuxSandboxHost::RemoveNamespaces(const std::string& id) {
  return network::netns::RemovePinned(netns_dir_, id);
}

std::string LinuxSandboxHost::NetworkNamespaceFor(const std::string& id) const {
  return network::netns::PathsFor(netns_dir_, id).net;
}

bool LinuxSandboxHost::NetworkNamespaceExists(const std::string& handle) const {
  return network::netns::IsPinned(handle);
}

absl::StatusOr<std::vector<std::string>> LinuxSandboxHost::ListNamespaces() const {
  return network::netns::ListPinned(netns_dir_);
}

}  // namespace silo::runtime::sandbox
