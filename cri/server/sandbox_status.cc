#include <chrono>

#include "cri/server/sandbox_convert.h"
#include "cri/server/service.h"
#include "cri/server/verbose_info.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

absl::Status Service::PodSandboxStatus(const ::runtime::v1::PodSandboxStatusRequest& request,
                                       ::runtime::v1::PodSandboxStatusResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("PodSandboxStatus");
  SILO_ASSIGN_OR_RETURN(runtime::model::SandboxRecord record, sandboxes_->Status(request.pod_sandbox_id()));
  ToCriSandboxStatus(record, response->mutable_status());
  response->set_timestamp(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count());
  if (request.verbose()) (*response->mutable_info())["info"] = SandboxVerboseInfo(record);
  return absl::OkStatus();
}

}  // namespace silo::cri
