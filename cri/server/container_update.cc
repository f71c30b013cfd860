#include "cri/server/service.h"

namespace silo::cri {

// Linux resources only; Windows resources are accepted and ignored on this
// backend (kubelet sends both blocks empty but for the node's platform).
absl::Status Service::UpdateContainerResources(const ::runtime::v1::UpdateContainerResourcesRequest& request,
                                               ::runtime::v1::UpdateContainerResourcesResponse*) {
  if (containers_ == nullptr) return UnimplementedRpc("UpdateContainerResources");
  return containers_->UpdateResources(request.container_id(), request.linux());
}

}  // namespace silo::cri
