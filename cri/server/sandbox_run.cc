#include "cri/server/service.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

// Validation, name reservation, the duplicate-request rule and undo on
// failure all live in SandboxManager::Run; this adapts the messages.
absl::Status Service::RunPodSandbox(const ::runtime::v1::RunPodSandboxRequest& request,
                                    ::runtime::v1::RunPodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("RunPodSandbox");
  SILO_ASSIGN_OR_RETURN(std::string id, sandboxes_->Run(request.config(), request.runtime_handler()));
  response->set_pod_sandbox_id(id);
  return absl::OkStatus();
}

}  // namespace silo::cri
