#include "cri/server/service.h"

namespace silo::cri {

// Idempotent: an unknown or already stopped sandbox is OK, as CRI requires.
absl::Status Service::StopPodSandbox(const ::runtime::v1::StopPodSandboxRequest& request,
                                     ::runtime::v1::StopPodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("StopPodSandbox");
  return sandboxes_->Stop(request.pod_sandbox_id());
}

}  // namespace silo::cri
