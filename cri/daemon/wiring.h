#pragma once
// Wiring: the portable core is built once (wiring_core.cc) from the config
// and the parts a platform gives it; wiring_<os>.cc builds only those parts:
// the pod network and the runtime handler types. Nothing else names a
// concrete backend.

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cri/daemon/config.h"
#include "cri/streaming/server.h"
#include "cri/streaming/streaming_runtime.h"
#include "image/image_manager.h"
#include "image/layers/layer_store.h"
#include "image/registry/platform.h"
#include "network/pod_network.h"
#include "runtime/container/container_manager.h"
#include "runtime/events/event_bus.h"
#include "runtime/handler/registry.h"
#include "runtime/sandbox/sandbox_manager.h"
#include "runtime/stats/stats_sampler.h"
#include "runtime/store/container_store.h"
#include "runtime/store/metadata_db.h"
#include "runtime/store/sandbox_store.h"

namespace silo::cri {

// What a platform contributes.
struct PlatformParts {
  std::unique_ptr<network::PodNetwork> network;
  std::string cgroup_driver;  // reported by RuntimeConfig; empty where there are no cgroups
  std::string node_hostname;  // host-network pods keep it
  // Adds the handler types this platform builds to the registry.
  std::function<void(runtime::handler::HandlerRegistry&)> register_handler_types;
  // Makes containers' rootfs from the images' layers (image::LayerStore);
  // required. Called once the image manager exists, before sandbox recovery
  // (a Windows pod's pause rootfs comes from the same store).
  std::function<std::unique_ptr<image::LayerStore>(image::ImageManager&)> make_layer_store;
  // Why there is no layer store, when a platform still starts without one
  // (its handlers then report not ready with the same reason): containers
  // are refused with it. OK = make_layer_store is required.
  absl::Status layers_unavailable;
  // Where a platform unpacks a pulled chain itself (Windows: the WCIFS
  // importer); null = the image manager's own per-layer unpacking (Linux).
  std::shared_ptr<image::layers::LayerUnpacker> layer_unpacker;
  // What images are pulled for; unset = the host's (registry::HostPlatform).
  std::optional<image::registry::Platform> image_platform;
};

// Knobs of the core that tests turn; silod uses the defaults.
struct CoreOptions {
  image::PullObserver* pull_observer = nullptr;  // every pull's progress; may be null
  int registry_max_attempts = 0;                 // 0 = the registry client's default
  std::chrono::seconds registry_stall_timeout{0};  // 0 = the config's
};

// Members are destroyed in reverse order: the manager goes before what it uses.
struct Backends {
  std::unique_ptr<network::PodNetwork> network;
  std::string cgroup_driver;
  std::unique_ptr<runtime::handler::HandlerRegistry> handlers;
  std::unique_ptr<runtime::events::EventBus> events;  // published to by the managers below
  std::unique_ptr<runtime::store::MetadataDb> db;  // <root>/metadata.db
  std::unique_ptr<image::ImageManager> images;  // <root>/images
  std::unique_ptr<image::LayerStore> layers;    // containers' (and Windows pauses') rootfs
  std::unique_ptr<runtime::store::SandboxStore> sandbox_store;
  std::unique_ptr<runtime::sandbox::SandboxManager> sandboxes;
  std::unique_ptr<runtime::store::ContainerStore> container_store;
  std::unique_ptr<runtime::container::ContainerManager> containers;
  // The stats sampler (the daemon starts it); stopped before the stores go.
  std::unique_ptr<runtime::stats::StatsSampler> stats;
  // Exec/attach/port-forward: the runtime over the managers, and the server
  // (stopped first, so no session outlives the runtime).
  std::unique_ptr<streaming::StreamingRuntime> streaming_runtime;
  std::unique_ptr<streaming::Server> streaming_server;
};

// The platform's parts for `config` (wiring_<os>.cc).
absl::StatusOr<PlatformParts> WirePlatform(const Config& config);

// Builds the core over `platform` and runs recovery (sandboxes, then
// containers), so the daemon serves only once the database matches the host.
absl::StatusOr<Backends> WireCore(const Config& config, PlatformParts platform, const CoreOptions& options = {});

}  // namespace silo::cri
