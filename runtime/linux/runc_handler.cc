#include "runtime/linux/runc_handler.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "runtime/base/status_macros.h"
#include "runtime/handler/assembled_handler.h"
#include "runtime/linux/cgroup_mode.h"
#include "runtime/linux/oci_backend.h"
#include "runtime/linux/linux_sandbox_host.h"
#include "runtime/shim/shim_streaming.h"
#include "runtime/linux/linux_stats_source.h"

namespace silo::runtime::linux_backend {

void RegisterRuncType(handler::HandlerRegistry& registry, RuncHandlerOptions options) {
  auto create = [options](const handler::HandlerSpec&) -> absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> {
    SILO_ASSIGN_OR_RETURN(PodCgroups cgroups, PodCgroups::Open(options.cgroups));
    SILO_ASSIGN_OR_RETURN(CgroupMode mode, DetectCgroupMode(options.cgroup_root));
    auto oci = std::make_shared<OciBackend>(options.containers.runc_binary, options.cgroup_root);
    handler::HandlerParts parts;
    parts.sandboxes = std::make_unique<LinuxSandboxHost>(options.netns_dir, std::move(cgroups));
    parts.containers = std::make_unique<LinuxContainerHost>(options.containers);
    parts.streaming = std::make_unique<shim::ShimProcessStreaming>();
    parts.stats = std::make_unique<LinuxStatsSource>(CgroupCounters(options.cgroup_root, mode),
                                                            options.containers.root_dir);
    parts.ready = [oci] { return oci->Ready(); };
    parts.description = absl::StrCat("OCI runtime ", options.containers.runc_binary, " with silo-shim");
    return std::make_unique<handler::AssembledHandler>(std::move(parts));
  };
  registry.AddType({"runc", std::move(create), nullptr});
}

}  // namespace silo::runtime::linux_backend
