#include "cri/server/service.h"

namespace silo::cri {

absl::Status Service::RemoveContainer(const ::runtime::v1::RemoveContainerRequest& request,
                                      ::runtime::v1::RemoveContainerResponse*) {
  if (containers_ == nullptr) return UnimplementedRpc("RemoveContainer");
  return containers_->Remove(request.container_id());
}

}  // namespace silo::cri
