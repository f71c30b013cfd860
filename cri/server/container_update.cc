#include "cri/server/service.h"

namespace silo::cri {

// The kubelet fills only the block of the node's platform: a request with
// a Windows block and no Linux one is a Windows node's, applied through the
// host's Windows hook; anything else goes the Linux way, as before.
absl::Status Service::UpdateContainerResources(const ::runtime::v1::UpdateContainerResourcesRequest& request,
                                               ::runtime::v1::UpdateContainerResourcesResponse*) {
  if (containers_ == nullptr) return UnimplementedRpc("UpdateContainerResources");
  if (request.has_windows() && !request.has_linux()) {
    return containers_->UpdateWindowsResources(request.container_id(), request.windows());
  }
  return containers_->UpdateResources(request.container_id(), request.linux());
}

}  // namespace silo::cri
