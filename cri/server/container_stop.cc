#include "cri/server/service.h"

namespace silo::cri {

// An unknown id is NotFound, as containerd's StopContainer answers.
absl::Status Service::StopContainer(const ::runtime::v1::StopContainerRequest& request,
                                    ::runtime::v1::StopContainerResponse*) {
  if (containers_ == nullptr) return UnimplementedRpc("StopContainer");
  return containers_->Stop(request.container_id(), std::chrono::seconds(request.timeout() > 0 ? request.timeout() : 0));
}

}  // namespace silo::cri
