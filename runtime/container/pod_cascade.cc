// ContainerManager's pod cascade: StopPodSandbox and RemovePodSandbox take
// the pod's containers with them, so the rule that a pod's containers never
// outlive it sits beside CreateContainer's rule that they need a READY pod.
#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/container/container_manager.h"

namespace silo::runtime::container {

absl::Status ContainerManager::StopPod(const std::string& sandbox_id_or_prefix) {
  absl::StatusOr<model::SandboxRecord> sandbox = sandboxes_->Status(sandbox_id_or_prefix);
  if (!sandbox.ok()) return absl::IsNotFound(sandbox.status()) ? absl::OkStatus() : sandbox.status();
  // Exclusive: waits for the creates and starts in flight; none begins until the pod is stopped.
  KeyedLocks::Hold pod_hold = pod_locks_.Exclusive(sandbox->id);
  for (const model::ContainerRecord& c : List(store::ContainerFilter{.sandbox_id = sandbox->id})) {
    // No grace period: kubelet stops containers itself, with their own
    // grace periods, before it stops the sandbox.
    absl::Status s = Stop(c.id, std::chrono::seconds(0));
    if (!s.ok() && !absl::IsNotFound(s)) return Annotate(s, absl::StrCat("stop container ", c.id));
  }
  return sandboxes_->Stop(sandbox->id);
}

absl::Status ContainerManager::RemovePod(const std::string& sandbox_id_or_prefix) {
  absl::StatusOr<model::SandboxRecord> sandbox = sandboxes_->Status(sandbox_id_or_prefix);
  if (!sandbox.ok()) return absl::IsNotFound(sandbox.status()) ? absl::OkStatus() : sandbox.status();
  KeyedLocks::Hold pod_hold = pod_locks_.Exclusive(sandbox->id);
  for (const model::ContainerRecord& c : store_->List(store::ContainerFilter{.sandbox_id = sandbox->id})) {
    SILO_RETURN_IF_ERROR(Annotate(Remove(c.id), absl::StrCat("remove container ", c.id)));
  }
  return sandboxes_->Remove(sandbox->id);
}

}  // namespace silo::runtime::container
