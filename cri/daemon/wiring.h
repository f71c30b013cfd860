#pragma once
// The only place that names concrete backends: one wiring_<os>.cc per platform
// builds the ports the CRI service runs on.

#include <memory>
#include <string>

#include "cri/daemon/config.h"
#include "cri/streaming/server.h"
#include "cri/streaming/streaming_runtime.h"
#include "image/image_manager.h"
#include "network/pod_network.h"
#include "runtime/compute_backend.h"
#include "runtime/container/container_host.h"
#include "runtime/container/container_manager.h"
#include "runtime/events/event_bus.h"
#include "runtime/sandbox/sandbox_host.h"
#include "runtime/sandbox/sandbox_manager.h"
#include "runtime/stats/stats_sampler.h"
#include "runtime/stats/stats_source.h"
#include "runtime/store/metadata_db.h"
#include "runtime/store/container_store.h"
#include "runtime/store/sandbox_store.h"

namespace silo::cri {

// Members are destroyed in reverse order: the manager goes before what it uses.
struct Backends {
  std::unique_ptr<runtime::ComputeBackend> compute;
  std::unique_ptr<network::PodNetwork> network;
  std::string cgroup_driver;  // reported by RuntimeConfig; empty where there are no cgroups
  std::unique_ptr<runtime::events::EventBus> events;  // published to by the managers below
  std::unique_ptr<runtime::store::MetadataDb> db;  // <root>/metadata.db
  std::unique_ptr<runtime::store::SandboxStore> sandbox_store;
  std::unique_ptr<runtime::sandbox::SandboxHost> sandbox_host;
  std::unique_ptr<runtime::sandbox::SandboxManager> sandboxes;
  std::unique_ptr<image::ImageManager> images;  // <root>/images
  std::unique_ptr<runtime::store::ContainerStore> container_store;
  std::unique_ptr<runtime::container::ContainerHost> container_host;
  std::unique_ptr<runtime::container::ContainerManager> containers;
  // The stats sampler (the daemon starts it) and the counters it reads;
  // stopped before the stores go.
  std::unique_ptr<runtime::stats::StatsSource> stats_source;
  std::unique_ptr<runtime::stats::StatsSampler> stats;
  // Exec/attach/port-forward: the runtime over the managers, and the server
  // (stopped first, so no session outlives the runtime).
  std::unique_ptr<streaming::StreamingRuntime> streaming_runtime;
  std::unique_ptr<streaming::Server> streaming_server;
};

// Builds the backends and runs sandbox recovery (start-up reconciliation), so
// the daemon serves only once the database matches the host.
// `pull_observer` (may be null) receives every image pull's progress.
absl::StatusOr<Backends> WireBackends(const Config& config, image::PullObserver* pull_observer = nullptr);

}  // namespace silo::cri
