#pragma once
// The Linux handler type "runc": pinned namespaces and a pod cgroup per pod
// (LinuxSandboxHost), one silo-shim per container over an OCI runtime
// (LinuxContainerHost), exec/attach/port-forward through the shim, and
// cgroup, netns and writable-layer counters. Pods run without a pause
// process.

#include <string>

#include "runtime/linux/linux_container_host.h"
#include "runtime/handler/registry.h"
#include "runtime/linux/pod_cgroup.h"

namespace silo::runtime::linux_backend {

struct RuncHandlerOptions {
  std::string netns_dir;                          // pinned pod namespaces
  PodCgroups::Options cgroups;                    // pod cgroups
  LinuxContainerHostOptions containers;  // its runc_binary is the handler's runtime
  std::string cgroup_root = "/sys/fs/cgroup";
};

// Adds the "runc" type to `registry`. Every handler of the type shares the
// options (and so the host objects: the same pod cgroups and shims).
void RegisterRuncType(handler::HandlerRegistry& registry, RuncHandlerOptions options);

}  // namespace silo::runtime::linux_backend
