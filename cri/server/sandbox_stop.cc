#include "cri/server/service.h"

namespace silo::cri {

// Idempotent: an unknown or already stopped sandbox is OK, as CRI requires.
// Every container of the pod is stopped first (kubelet relies on this when a
// pod is deleted while its containers still run): ContainerManager::StopPod.
absl::Status Service::StopPodSandbox(const ::runtime::v1::StopPodSandboxRequest& request,
                                     ::runtime::v1::StopPodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("StopPodSandbox");
  if (containers_ == nullptr) return sandboxes_->Stop(request.pod_sandbox_id());
  return containers_->StopPod(request.pod_sandbox_id());
}

}  // namespace silo::cri
