#include "cri/server/service.h"
#include "cri/server/stats_convert.h"

namespace silo::cri {

// The pod's own group counters (its cgroup holds the containers' groups, so
// they include every container plus anything of the pod's own) and, under
// linux.containers, the stats of its running containers from the same tick.
absl::Status Service::PodSandboxStats(const ::runtime::v1::PodSandboxStatsRequest& request,
                                      ::runtime::v1::PodSandboxStatsResponse* response) {
  if (stats_ == nullptr) return UnimplementedRpc("PodSandboxStats");
  if (request.pod_sandbox_id().empty()) {
    return absl::InvalidArgumentError("PodSandboxStats: pod_sandbox_id is required");
  }
  absl::StatusOr<runtime::stats::SandboxStatsView> view = stats_->Sandbox(request.pod_sandbox_id());
  if (!view.ok()) return view.status();
  ToCriPodSandboxStats(*view, response->mutable_stats());
  return absl::OkStatus();
}

absl::Status Service::ListPodSandboxStats(const ::runtime::v1::ListPodSandboxStatsRequest& request,
                                          ::runtime::v1::ListPodSandboxStatsResponse* response) {
  if (stats_ == nullptr) return UnimplementedRpc("ListPodSandboxStats");
  runtime::store::SandboxFilter filter;
  filter.id = request.filter().id();
  filter.labels.insert(request.filter().label_selector().begin(), request.filter().label_selector().end());
  for (const auto& view : stats_->Sandboxes(filter)) ToCriPodSandboxStats(view, response->add_stats());
  return absl::OkStatus();
}

}  // namespace silo::cri
