#include "cri/daemon/wiring_linux.h"

#include <unistd.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cri/daemon/wiring.h"
#include "image/layers/overlay/overlay_layer_store.h"
#include "network/netns/cni_pod_network.h"
#include "runtime/linux/runc_handler.h"

namespace silo::cri {

std::string PodCgroupParent(const Config& config) {
  if (config.state == Config().state) return "silo";
  uint64_t h = 1469598103934665603ull;  // FNV-1a: stable across builds
  for (unsigned char c : config.state) h = (h ^ c) * 1099511628211ull;
  return absl::StrFormat("silo-%016x", h);
}

absl::StatusOr<PlatformParts> WirePlatform(const Config& config) {
  PlatformParts p;
  p.network = std::make_unique<network::netns::CniPodNetwork>(config.cni.bin_dirs, config.cni.conf_dir,
                                                              config.state + "/cni");
  p.cgroup_driver = config.runtime.cgroup_driver;
  char hostname[256] = {};
  ::gethostname(hostname, sizeof(hostname) - 1);
  p.node_hostname = hostname;

  // Containers: writable layers under the root, bundles, rootfs mounts, shim
  // sockets and runc state under the state dir. The shim is the silo-shim
  // built next to silod (build tree layout), else the one in PATH.
  runtime::linux_backend::RuncHandlerOptions runc;
  runc.netns_dir = config.state + "/netns";
  runc.cgroups.parent = PodCgroupParent(config);
  runtime::linux_backend::LinuxContainerHostOptions& host = runc.containers;
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
  host.shim_binary = runtime::linux_backend::DefaultShimBinary();
  host.runc_binary = config.runtime.binary;
  host.runc_root = config.state + "/runc";
  host.netns_dir = runc.netns_dir;
  p.register_handler_types = [runc](runtime::handler::HandlerRegistry& registry) {
    runtime::linux_backend::RegisterRuncType(registry, runc);
  };
  // Rootfs: overlays of the image snapshots, with the writable layer under
  // the root and the mount in the container's bundle dir.
  p.make_layer_store = [host](const image::ImageManager& images) -> std::unique_ptr<image::LayerStore> {
    image::overlay::OverlayLayerStoreOptions o;
    o.snapshot_dir = [&images](const std::string& chain) { return images.SnapshotDir(chain); };
    o.writable_root = host.root_dir;
    o.mount_root = host.state_dir;
    return std::make_unique<image::overlay::OverlayLayerStore>(std::move(o));
  };
  return p;
}

}  // namespace silo::cri
