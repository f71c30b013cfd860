#pragma once
// The CRI service: platform-neutral handlers over the ports. One .cc per RPC
// (version.cc, status.cc, ...); this header holds the shared state.

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "cri/server/cri_service.h"
#include "network/pod_network.h"
#include "image/image_manager.h"
#include "runtime/base/mutex.h"
#include "runtime/container/container_manager.h"
#include "runtime/events/event_bus.h"
#include "runtime/handler/registry.h"
#include "runtime/sandbox/sandbox_manager.h"
#include "runtime/stats/stats_sampler.h"

namespace silo::cri {

namespace streaming {
class Server;
}  // namespace streaming

struct ServiceOptions {
  std::string runtime_version;             // silo's own version
  std::string cgroup_driver;               // "cgroupfs" or "systemd" on Linux; "" on Windows
  std::string config_json;                 // effective config, for Status(verbose)
  std::string build_json;                  // build details, for Status(verbose)
};

// The ports the service runs on; every pointer must outlive the service.
// A missing manager makes its RPCs answer UNIMPLEMENTED: no sandbox manager
// for the pod sandbox RPCs, no image manager for the ImageService, no
// container manager for the container RPCs, no event bus for
// GetContainerEvents. Add new ports as members here (named, default null).
struct ServiceDeps {
  // The runtime handlers (Status reports them and their readiness); required.
  const runtime::handler::HandlerRegistry* handlers = nullptr;
  const network::PodNetwork* network = nullptr;      // required
  runtime::sandbox::SandboxManager* sandboxes = nullptr;
  image::ImageManager* images = nullptr;
  runtime::container::ContainerManager* containers = nullptr;
  runtime::events::EventBus* events = nullptr;
  // The stats sampler the stats RPCs answer from; null = UNIMPLEMENTED.
  runtime::stats::StatsSampler* stats = nullptr;
  // Exec/Attach/PortForward hand out URLs on this server; null = UNIMPLEMENTED.
  streaming::Server* streaming = nullptr;
};

class Service final : public CriService {
 public:
  Service(ServiceOptions options, const ServiceDeps& deps)
      : options_(std::move(options)),
        deps_(deps),
        handlers_(deps.handlers),
        network_(deps.network),
        sandboxes_(deps.sandboxes),
        images_(deps.images),
        containers_(deps.containers),
        events_(deps.events),
        stats_(deps.stats) {}

  absl::Status Version(const ::runtime::v1::VersionRequest& request,
                       ::runtime::v1::VersionResponse* response) override;
  absl::Status Status(const ::runtime::v1::StatusRequest& request,
                      ::runtime::v1::StatusResponse* response) override;
  absl::Status RuntimeConfig(const ::runtime::v1::RuntimeConfigRequest& request,
                             ::runtime::v1::RuntimeConfigResponse* response) override;
  absl::Status UpdateRuntimeConfig(const ::runtime::v1::UpdateRuntimeConfigRequest& request,
                                   ::runtime::v1::UpdateRuntimeConfigResponse* response) override;

  // Pod sandboxes: sandbox_*.cc.
  absl::Status RunPodSandbox(const ::runtime::v1::RunPodSandboxRequest& request,
                             ::runtime::v1::RunPodSandboxResponse* response) override;
  absl::Status StopPodSandbox(const ::runtime::v1::StopPodSandboxRequest& request,
                              ::runtime::v1::StopPodSandboxResponse* response) override;
  absl::Status RemovePodSandbox(const ::runtime::v1::RemovePodSandboxRequest& request,
                                ::runtime::v1::RemovePodSandboxResponse* response) override;
  absl::Status PodSandboxStatus(const ::runtime::v1::PodSandboxStatusRequest& request,
                                ::runtime::v1::PodSandboxStatusResponse* response) override;
  absl::Status ListPodSandbox(const ::runtime::v1::ListPodSandboxRequest& request,
                              ::runtime::v1::ListPodSandboxResponse* response) override;

  // Containers: container_*.cc.
  absl::Status CreateContainer(const ::runtime::v1::CreateContainerRequest& request,
                               ::runtime::v1::CreateContainerResponse* response) override;
  absl::Status StartContainer(const ::runtime::v1::StartContainerRequest& request,
                              ::runtime::v1::StartContainerResponse* response) override;
  absl::Status StopContainer(const ::runtime::v1::StopContainerRequest& request,
                             ::runtime::v1::StopContainerResponse* response) override;
  absl::Status RemoveContainer(const ::runtime::v1::RemoveContainerRequest& request,
                               ::runtime::v1::RemoveContainerResponse* response) override;
  absl::Status ContainerStatus(const ::runtime::v1::ContainerStatusRequest& request,
                               ::runtime::v1::ContainerStatusResponse* response) override;
  absl::Status ListContainers(const ::runtime::v1::ListContainersRequest& request,
                              ::runtime::v1::ListContainersResponse* response) override;
  absl::Status ExecSync(const ::runtime::v1::ExecSyncRequest& request,
                        ::runtime::v1::ExecSyncResponse* response) override;
  absl::Status ReopenContainerLog(const ::runtime::v1::ReopenContainerLogRequest& request,
                                  ::runtime::v1::ReopenContainerLogResponse* response) override;

  // Streaming URLs: container_exec.cc, container_attach.cc, sandbox_port_forward.cc.
  absl::Status Exec(const ::runtime::v1::ExecRequest& request, ::runtime::v1::ExecResponse* response) override;
  absl::Status Attach(const ::runtime::v1::AttachRequest& request,
                      ::runtime::v1::AttachResponse* response) override;
  absl::Status PortForward(const ::runtime::v1::PortForwardRequest& request,
                           ::runtime::v1::PortForwardResponse* response) override;
  absl::Status UpdateContainerResources(const ::runtime::v1::UpdateContainerResourcesRequest& request,
                                        ::runtime::v1::UpdateContainerResourcesResponse* response) override;

  // Stats from the sampler's cache: stats_container.cc, stats_sandbox.cc, stats_metrics.cc.
  absl::Status ContainerStats(const ::runtime::v1::ContainerStatsRequest& request,
                              ::runtime::v1::ContainerStatsResponse* response) override;
  absl::Status ListContainerStats(const ::runtime::v1::ListContainerStatsRequest& request,
                                  ::runtime::v1::ListContainerStatsResponse* response) override;
  absl::Status PodSandboxStats(const ::runtime::v1::PodSandboxStatsRequest& request,
                               ::runtime::v1::PodSandboxStatsResponse* response) override;
  absl::Status ListPodSandboxStats(const ::runtime::v1::ListPodSandboxStatsRequest& request,
                                   ::runtime::v1::ListPodSandboxStatsResponse* response) override;
  absl::Status ListMetricDescriptors(const ::runtime::v1::ListMetricDescriptorsRequest& request,
                                     ::runtime::v1::ListMetricDescriptorsResponse* response) override;
  absl::Status ListPodSandboxMetrics(const ::runtime::v1::ListPodSandboxMetricsRequest& request,
                                     ::runtime::v1::ListPodSandboxMetricsResponse* response) override;

  // Life-cycle events for Evented PLEG: container_events.cc.
  absl::Status GetContainerEvents(const ::runtime::v1::GetEventsRequest& request,
                                  StreamSink<::runtime::v1::ContainerEventResponse>& sink) override;

  // Images: image_service.cc over image_*.cc.
  absl::Status PullImage(const ::runtime::v1::PullImageRequest& request,
                         ::runtime::v1::PullImageResponse* response) override;
  absl::Status ImageStatus(const ::runtime::v1::ImageStatusRequest& request,
                           ::runtime::v1::ImageStatusResponse* response) override;
  absl::Status ListImages(const ::runtime::v1::ListImagesRequest& request,
                          ::runtime::v1::ListImagesResponse* response) override;
  absl::Status RemoveImage(const ::runtime::v1::RemoveImageRequest& request,
                           ::runtime::v1::RemoveImageResponse* response) override;
  absl::Status ImageFsInfo(const ::runtime::v1::ImageFsInfoRequest& request,
                           ::runtime::v1::ImageFsInfoResponse* response) override;

  std::string pod_cidr() const;

 private:
  const ServiceOptions options_;
  const ServiceDeps deps_;
  const runtime::handler::HandlerRegistry* const handlers_;
  const network::PodNetwork* network_;
  runtime::sandbox::SandboxManager* const sandboxes_;
  image::ImageManager* const images_;
  runtime::container::ContainerManager* const containers_;
  runtime::events::EventBus* const events_;
  runtime::stats::StatsSampler* const stats_;

  mutable silo::Mutex mu_;
  std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
};

}  // namespace silo::cri
