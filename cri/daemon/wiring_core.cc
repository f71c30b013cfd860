#include "absl/time/time.h"
#include "cri/daemon/streaming_wiring.h"
#include "cri/daemon/wiring.h"
#include "cri/streaming/handler_streaming.h"
#include "image/layers/unavailable_layer_store.h"
#include "image/registry/credentials_file.h"
#include "runtime/base/status_macros.h"
#include "runtime/handler/handler.h"

namespace silo::cri {

absl::StatusOr<Backends> WireCore(const Config& config, PlatformParts platform, const CoreOptions& core) {
  Backends b;
  b.network = std::move(platform.network);
  b.cgroup_driver = std::move(platform.cgroup_driver);

  // Handlers first: a type this silod does not build stops it before any
  // state is touched.
  b.handlers = std::make_unique<runtime::handler::HandlerRegistry>();
  if (platform.register_handler_types) platform.register_handler_types(*b.handlers);
  std::vector<runtime::handler::HandlerSpec> specs;
  for (const auto& h : config.runtime.handlers) {
    specs.push_back({h.name, h.type, {h.recursive_read_only_mounts, h.user_namespaces}, h.uvm_memory_mb, h.uvm_processors});
  }
  SILO_RETURN_IF_ERROR(b.handlers->Configure(specs, config.runtime.default_handler));

  SILO_ASSIGN_OR_RETURN(b.db, runtime::store::MetadataDb::Open(config.root));
  // Images and the layer store before the sandboxes: recovering a Windows
  // pod releases its pause rootfs through the store.
  image::ImageManagerOptions images;
  images.root = config.root + "/images";
  images.registry.mirrors = config.registry.mirrors;
  images.registry.insecure_hosts.insert(config.registry.insecure.begin(), config.registry.insecure.end());
  if (core.registry_max_attempts > 0) images.registry.max_attempts = core.registry_max_attempts;
  images.stall_timeout = core.registry_stall_timeout.count() > 0
                             ? core.registry_stall_timeout
                             : std::chrono::seconds(config.registry.stall_timeout_seconds);
  images.max_download_bytes_per_sec = config.registry.max_download_bytes_per_sec;
  images.observer = core.pull_observer;
  images.layer_unpacker = platform.layer_unpacker;
  // The pause image (Windows) is pinned, as containerd pins its sandbox
  // image: kubelet's image garbage collection must not delete it.
  if (!config.sandbox.image.empty()) images.pinned_references.push_back(config.sandbox.image);
  if (platform.image_platform) images.platform = *platform.image_platform;
  if (!config.registry.credentials_file.empty()) {
    // Read once at start-up so a garbled secret stops silod with the file
    // named, instead of surfacing as 401s on the first pull.
    SILO_ASSIGN_OR_RETURN(image::registry::CredentialsFile creds,
                          image::registry::CredentialsFile::Load(config.registry.credentials_file));
    auto shared = std::make_shared<const image::registry::CredentialsFile>(std::move(creds));
    images.registry.credentials = [shared](const std::string& host) { return shared->Lookup(host); };
  }
  SILO_ASSIGN_OR_RETURN(b.images, image::ImageManager::Open(std::move(images), b.db.get()));

  if (platform.make_layer_store) {
    b.layers = platform.make_layer_store(*b.images);
  } else if (!platform.layers_unavailable.ok()) {
    b.layers = std::make_unique<image::UnavailableLayerStore>(platform.layers_unavailable);
  } else {
    return absl::FailedPreconditionError("this platform has no layer store");
  }
  b.sandbox_store = std::make_unique<runtime::store::SandboxStore>(b.db.get());
  b.events = std::make_unique<runtime::events::EventBus>();
  runtime::sandbox::SandboxManagerOptions options;
  options.files_dir = config.root + "/sandboxes";
  options.node_hostname = platform.node_hostname;
  b.sandboxes = std::make_unique<runtime::sandbox::SandboxManager>(options, b.sandbox_store.get(), b.handlers.get(),
                                                                   b.network.get(), b.events.get());
  SILO_RETURN_IF_ERROR(Annotate(b.sandboxes->Recover(), "sandbox recovery"));

  b.container_store = std::make_unique<runtime::store::ContainerStore>(b.db.get());
  b.containers = std::make_unique<runtime::container::ContainerManager>(
      b.container_store.get(), b.sandboxes.get(), b.images.get(), b.layers.get(), b.handlers.get(), b.events.get());
  SILO_RETURN_IF_ERROR(Annotate(b.containers->Recover(), "container recovery"));

  // Stats: one sampler thread over the stores, reading each pod through its
  // handler's source; never per request.
  runtime::stats::SamplerOptions stats_options;
  absl::Duration stats_interval = absl::Seconds(1);
  (void)absl::ParseDuration(config.stats.interval, &stats_interval);  // validated with the config
  stats_options.interval = absl::ToChronoMilliseconds(stats_interval);
  const runtime::handler::HandlerRegistry* handlers = b.handlers.get();
  b.stats = std::make_unique<runtime::stats::StatsSampler>(
      stats_options, b.container_store.get(), b.sandbox_store.get(),
      [handlers](const runtime::model::SandboxRecord& sandbox) -> runtime::stats::StatsSource* {
        absl::StatusOr<runtime::handler::RuntimeHandler*> h = handlers->For(sandbox.runtime_handler, sandbox.handler_type);
        return h.ok() ? &(*h)->Stats() : nullptr;
      });
  b.streaming_runtime =
      std::make_unique<streaming::HandlerStreamingRuntime>(b.containers.get(), b.sandboxes.get(), b.handlers.get());
  SILO_ASSIGN_OR_RETURN(b.streaming_server, StartStreamingServer(config.streaming, b.streaming_runtime.get()));
  return b;
}

}  // namespace silo::cri
