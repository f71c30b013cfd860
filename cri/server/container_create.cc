#include "cri/server/service.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

absl::Status Service::CreateContainer(const ::runtime::v1::CreateContainerRequest& request,
                                      ::runtime::v1::CreateContainerResponse* response) {
  if (containers_ == nullptr) return UnimplementedRpc("CreateContainer");
  SILO_ASSIGN_OR_RETURN(std::string id,
                        containers_->Create(request.pod_sandbox_id(), request.config(), request.sandbox_config()));
  response->set_container_id(id);
  return absl::OkStatus();
}

}  // namespace silo::cri
