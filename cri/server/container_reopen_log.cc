#include "cri/server/service.h"

namespace silo::cri {

// kubelet calls this after rotating a container's log file: the shim closes
// the old file and opens a new one at the same path.
absl::Status Service::ReopenContainerLog(const ::runtime::v1::ReopenContainerLogRequest& request,
                                         ::runtime::v1::ReopenContainerLogResponse* response) {
  if (containers_ == nullptr) return UnimplementedRpc("ReopenContainerLog");
  return containers_->ReopenLog(request.container_id());
}

}  // namespace silo::cri
