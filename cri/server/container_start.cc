#include "cri/server/service.h"

namespace silo::cri {

absl::Status Service::StartContainer(const ::runtime::v1::StartContainerRequest& request,
                                     ::runtime::v1::StartContainerResponse*) {
  if (containers_ == nullptr) return UnimplementedRpc("StartContainer");
  return containers_->Start(request.container_id());
}

}  // namespace silo::cri
