#include <chrono>

#include "cri/server/container_convert.h"
#include "cri/server/service.h"
#include "cri/server/verbose_info.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

absl::Status Service::ContainerStatus(const ::runtime::v1::ContainerStatusRequest& request,
                                      ::runtime::v1::ContainerStatusResponse* response) {
  if (containers_ == nullptr) return UnimplementedRpc("ContainerStatus");
  SILO_ASSIGN_OR_RETURN(runtime::model::ContainerRecord record, containers_->Status(request.container_id()));
  ToCriContainerStatus(record, response->mutable_status());
  if (request.verbose()) {
    (*response->mutable_info())["info"] = ContainerVerboseInfo(record, containers_->RuntimeSpec(record));
  }
  return absl::OkStatus();
}

}  // namespace silo::cri
