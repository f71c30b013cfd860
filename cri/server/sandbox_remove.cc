#include <chrono>

#include "cri/server/service.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

// Idempotent: an unknown sandbox is OK; a READY one is stopped first, and
// every container of the pod is force-removed before the sandbox goes.
absl::Status Service::RemovePodSandbox(const ::runtime::v1::RemovePodSandboxRequest& request,
                                       ::runtime::v1::RemovePodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("RemovePodSandbox");
  auto sandbox = sandboxes_->Status(request.pod_sandbox_id());
  if (!sandbox.ok()) {
    if (absl::IsNotFound(sandbox.status())) return absl::OkStatus();
    return sandbox.status();
  }
  if (containers_ != nullptr) {
    runtime::store::ContainerFilter filter;
    filter.sandbox_id = sandbox->id;
    for (const auto& c : containers_->List(filter)) {
      SILO_RETURN_IF_ERROR(Annotate(containers_->Remove(c.id), "remove container " + c.id));
    }
  }
  return sandboxes_->Remove(sandbox->id);
}

}  // namespace silo::cri
