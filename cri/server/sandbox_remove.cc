#include "cri/server/service.h"

namespace silo::cri {

// Idempotent: an unknown sandbox is OK; every container of the pod is
// force-removed before the sandbox goes: ContainerManager::RemovePod.
absl::Status Service::RemovePodSandbox(const ::runtime::v1::RemovePodSandboxRequest& request,
                                       ::runtime::v1::RemovePodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("RemovePodSandbox");
  if (containers_ == nullptr) return sandboxes_->Remove(request.pod_sandbox_id());
  return containers_->RemovePod(request.pod_sandbox_id());
}

}  // namespace silo::cri
