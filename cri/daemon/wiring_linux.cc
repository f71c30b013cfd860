#include <unistd.h>

#include "absl/strings/str_format.h"
#include "absl/time/time.h"
#include "cri/daemon/streaming_wiring.h"
#include "cri/daemon/wiring.h"
#include "cri/streaming/shim_runtime.h"
#include "image/registry/credentials_file.h"
#include "network/netns/cni_pod_network.h"
#include "runtime/base/status_macros.h"
#include "runtime/container/linux_container_host.h"
#include "runtime/linux/oci_backend.h"
#include "runtime/linux/pod_cgroup.h"
#include "runtime/sandbox/linux_sandbox_host.h"
#include "runtime/stats/linux_stats_source.h"

namespace silo::cri {
namespace {

// Pod cgroups live under "silo" for the default state dir. A daemon with
// another state dir (tests, a second instance) gets its own parent, because
// recovery removes every pod cgroup under the parent that no record owns.
std::string CgroupParent(const Config& config) {
  if (config.state == Config().state) return "silo";
  uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across builds
  for (unsigned char c : config.state) h = (h ^ c) * 1099511628211ull;
  return absl::StrFormat("silo-%016x", h);
}

}  // namespace

absl::StatusOr<Backends> WireBackends(const Config& config, image::PullObserver* pull_observer) {
  Backends b;
  b.compute = std::make_unique<runtime::linux_backend::OciBackend>(config.runtime.binary);
  b.network = std::make_unique<network::netns::CniPodNetwork>(config.cni.bin_dirs, config.cni.conf_dir,
                                                              config.state + "/cni");
  b.cgroup_driver = config.runtime.cgroup_driver;

  SILO_ASSIGN_OR_RETURN(b.db, runtime::store::MetadataDb::Open(config.root));
  b.sandbox_store = std::make_unique<runtime::store::SandboxStore>(b.db.get());
  runtime::linux_backend::PodCgroups::Options cg;
  cg.parent = CgroupParent(config);
  SILO_ASSIGN_OR_RETURN(runtime::linux_backend::PodCgroups cgroups,
                        runtime::linux_backend::PodCgroups::Open(std::move(cg)));
  b.sandbox_host = std::make_unique<runtime::sandbox::LinuxSandboxHost>(config.state + "/netns", std::move(cgroups));

  b.events = std::make_unique<runtime::events::EventBus>();
  runtime::sandbox::SandboxManagerOptions options;
  options.files_dir = config.root + "/sandboxes";
  for (const auto& h : config.runtime.handlers) options.handlers.push_back(h.name);
  options.default_handler = config.runtime.default_handler;
  char hostname[256] = {};
  ::gethostname(hostname, sizeof(hostname) - 1);
  options.node_hostname = hostname;
  b.sandboxes = std::make_unique<runtime::sandbox::SandboxManager>(options, b.sandbox_store.get(),
                                                                   b.sandbox_host.get(), b.network.get(),
                                                                   b.events.get());
  SILO_RETURN_IF_ERROR(Annotate(b.sandboxes->Recover(), "sandbox recovery"));

  image::ImageManagerOptions images;
  images.root = config.root + "/images";
  images.registry.mirrors = config.registry.mirrors;
  images.registry.insecure_hosts.insert(config.registry.insecure.begin(), config.registry.insecure.end());
  images.stall_timeout = std::chrono::seconds(config.registry.stall_timeout_seconds);
  images.max_download_bytes_per_sec = config.registry.max_download_bytes_per_sec;
  images.observer = pull_observer;
  if (!config.registry.credentials_file.empty()) {
    // Read once at start-up so a garbled secret stops silod with the file
    // named, instead of surfacing as 401s on the first pull.
    SILO_ASSIGN_OR_RETURN(image::registry::CredentialsFile creds,
                          image::registry::CredentialsFile::Load(config.registry.credentials_file));
    auto shared = std::make_shared<const image::registry::CredentialsFile>(std::move(creds));
    images.registry.credentials = [shared](const std::string& host) { return shared->Lookup(host); };
  }
  SILO_ASSIGN_OR_RETURN(b.images, image::ImageManager::Open(std::move(images), b.db.get()));

  // Containers: writable layers under the root, bundles, rootfs mounts, shim
  // sockets and runc state under the state dir. The shim is the silo-shim
  // built next to silod (build tree layout), else the one in PATH.
  runtime::container::LinuxContainerHostOptions host;
  host.root_dir = config.root + "/containers";
  host.state_dir = config.state + "/containers";
  host.socket_dir = config.state + "/shims";
  // Shim sockets are <state>/shims/<64-hex id>.sock and must fit sun_path
  // (108 bytes with its NUL): say so now rather than at the first container.
  constexpr size_t kSunPath = 108, kSocketName = 1 + 64 + 5;
  if (host.socket_dir.size() + kSocketName >= kSunPath) {
    return absl::InvalidArgumentError(absl::StrCat("state dir \"", config.state, "\" is too long: shim sockets under it ",
                                                   "would exceed the unix socket path limit; use at most ",
                                                   kSunPath - kSocketName - 1 - std::string("/shims").size(),
                                                   " characters"));
  }
  host.shim_binary = runtime::container::DefaultShimBinary();
  host.runc_binary = config.runtime.binary;
  host.runc_root = config.state + "/runc";
  host.netns_dir = config.state + "/netns";
  b.container_store = std::make_unique<runtime::store::ContainerStore>(b.db.get());
  b.container_host = std::make_unique<runtime::container::LinuxContainerHost>(std::move(host));
  b.containers = std::make_unique<runtime::container::ContainerManager>(
      b.container_store.get(), b.sandboxes.get(), b.images.get(), b.container_host.get(), b.events.get());
  SILO_RETURN_IF_ERROR(Annotate(b.containers->Recover(), "container recovery"));

  // Stats: one sampler thread over the stores; cgroups, pod netns and
  // writable layers are read there, never per request.
  SILO_ASSIGN_OR_RETURN(runtime::linux_backend::CgroupMode cgroup_mode, runtime::linux_backend::DetectCgroupMode());
  b.stats_source = std::make_unique<runtime::stats::LinuxStatsSource>(
      runtime::stats::CgroupCounters("/sys/fs/cgroup", cgroup_mode), config.root + "/containers");
  runtime::stats::SamplerOptions stats_options;
  absl::Duration stats_interval = absl::Seconds(1);
  (void)absl::ParseDuration(config.stats.interval, &stats_interval);  // validated with the config
  stats_options.interval = absl::ToChronoMilliseconds(stats_interval);
  b.stats = std::make_unique<runtime::stats::StatsSampler>(stats_options, b.container_store.get(),
                                                           b.sandbox_store.get(), b.stats_source.get());
  b.streaming_runtime = std::make_unique<streaming::ShimStreamingRuntime>(b.containers.get(), b.sandboxes.get());
  SILO_ASSIGN_OR_RETURN(b.streaming_server, StartStreamingServer(config.streaming, b.streaming_runtime.get()));
  return b;
}

}  // namespace silo::cri
