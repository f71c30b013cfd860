#include <chrono>

#include "cri/server/service.h"
#include "runtime/base/status_macros.h"

namespace silo::cri {

// Idempotent: an unknown or already stopped sandbox is OK, as CRI requires.
// Every container of the pod is stopped first (kubelet relies on this when a
// pod is deleted while its containers still run).
absl::Status Service::StopPodSandbox(const ::runtime::v1::StopPodSandboxRequest& request,
                                     ::runtime::v1::StopPodSandboxResponse* response) {
  if (sandboxes_ == nullptr) return UnimplementedRpc("StopPodSandbox");
  auto sandbox = sandboxes_->Status(request.pod_sandbox_id());
  if (!sandbox.ok()) {
    if (absl::IsNotFound(sandbox.status())) return absl::OkStatus();
    return sandbox.status();
  }
  if (containers_ != nullptr) {
    runtime::store::ContainerFilter filter;
    filter.sandbox_id = sandbox->id;
    for (const auto& c : containers_->List(filter)) {
      // No grace period: kubelet stops containers itself, with their own
      // grace periods, before it stops the sandbox.
      absl::Status s = containers_->Stop(c.id, std::chrono::seconds(0));
      if (!s.ok() && !absl::IsNotFound(s)) return Annotate(s, "stop container " + c.id);
    }
  }
  return sandboxes_->Stop(sandbox->id);
}

}  // namespace silo::cri
