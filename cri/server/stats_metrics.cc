#include "cri/server/service.h"
#include "cri/server/stats_convert.h"

namespace silo::cri {

absl::Status Service::ListMetricDescriptors(const ::runtime::v1::ListMetricDescriptorsRequest& request,
                                            ::runtime::v1::ListMetricDescriptorsResponse* response) {
  if (stats_ == nullptr) return UnimplementedRpc("ListMetricDescriptors");
  for (auto& d : StatsMetricDescriptors()) *response->add_descriptors() = std::move(d);
  return absl::OkStatus();
}

absl::Status Service::ListPodSandboxMetrics(const ::runtime::v1::ListPodSandboxMetricsRequest& request,
                                            ::runtime::v1::ListPodSandboxMetricsResponse* response) {
  if (stats_ == nullptr) return UnimplementedRpc("ListPodSandboxMetrics");
  for (const auto& view : stats_->Sandboxes({})) ToCriPodSandboxMetrics(view, response->add_pod_metrics());
  return absl::OkStatus();
}

}  // namespace silo::cri
