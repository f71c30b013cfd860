#include "cri/server/service.h"
#include "cri/server/stats_convert.h"

namespace silo::cri {

// Answered from the sampler's cache: no counter is read per request.
absl::Status Service::ContainerStats(const ::runtime::v1::ContainerStatsRequest& request,
                                     ::runtime::v1::ContainerStatsResponse* response) {
  if (stats_ == nullptr) return UnimplementedRpc("ContainerStats");
  if (request.container_id().empty()) return absl::InvalidArgumentError("ContainerStats: container_id is required");
  absl::StatusOr<runtime::stats::ContainerStatsView> view = stats_->Container(request.container_id());
  if (!view.ok()) return view.status();
  ToCriContainerStats(*view, response->mutable_stats());
  return absl::OkStatus();
}

// Filters (id or unique prefix, pod sandbox id or prefix, labels) are ANDed.
// Containers that are not running are listed with attributes only.
absl::Status Service::ListContainerStats(const ::runtime::v1::ListContainerStatsRequest& request,
                                         ::runtime::v1::ListContainerStatsResponse* response) {
  if (stats_ == nullptr) return UnimplementedRpc("ListContainerStats");
  const auto& f = request.filter();
  runtime::store::ContainerFilter filter;
  filter.id = f.id();
  if (!f.pod_sandbox_id().empty()) {
    if (sandboxes_ == nullptr) return absl::OkStatus();
    auto sandbox = sandboxes_->Status(f.pod_sandbox_id());
    if (!sandbox.ok()) return absl::OkStatus();  // an unknown pod matches nothing
    filter.sandbox_id = sandbox->id;
  }
  filter.labels.insert(f.label_selector().begin(), f.label_selector().end());
  for (const auto& view : stats_->Containers(filter)) ToCriContainerStats(view, response->add_stats());
  return absl::OkStatus();
}

}  // namespace silo::cri
