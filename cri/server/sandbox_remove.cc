#include "cri/server/service.h"

namespace silo::cri {

// Idempotent: an unknown sandbox is OK; a READY one is stopped first.
absl::Status Service::RemovePodSandbox(const ::runtime::v1::RemovePodSandboxRequest& request,
                                       ::runtime::v1::RemovePodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("RemovePodSandbox");
  return sandboxes_->Remove(request.pod_sandbox_id());
}

}  // namespace silo::cri
