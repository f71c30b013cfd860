#pragma once
// RuntimeHandler: what one kind of pod runs on. A CRI runtime handler name
// (RunPodSandboxRequest.runtime_handler) selects one; the sandbox and
// container records remember it, and every later call for them (stop,
// exec, stats, recovery) goes back to the same handler.
//
// Linux has one type, "runc"; Windows has "process", "hostprocess" and
// later "hypervisor". A type is one factory registered with the
// HandlerRegistry (registry.h) plus its own files.
//
// The ports are only declared here so that the managers, which depend on
// the registry, and the hosts, which the handlers own, stay independent
// libraries.

#include <string>

#include "absl/status/status.h"

namespace silo::runtime {
namespace sandbox {
class SandboxHost;
}  // namespace sandbox
namespace container {
class ContainerHost;
}  // namespace container
namespace stats {
class StatsSource;
}  // namespace stats
namespace streaming {
class ProcessStreaming;
}  // namespace streaming
}  // namespace silo::runtime

namespace silo::runtime::handler {

// What a handler reports in Status.runtime_handlers.
struct Features {
  bool recursive_read_only_mounts = false;
  bool user_namespaces = false;
};

class RuntimeHandler {
 public:
  virtual ~RuntimeHandler() = default;

  // The pod's namespaces and pod group.
  virtual sandbox::SandboxHost& Sandboxes() = 0;
  // Containers: create, start, stop, exec, exit watch, recovery.
  virtual container::ContainerHost& Containers() = 0;
  // Exec, attach and port-forward streams.
  virtual streaming::ProcessStreaming& Streaming() = 0;
  // Counters of the pods and containers this handler runs.
  virtual stats::StatsSource& Stats() = 0;

  // OK when pods can be created now; otherwise why not (Status reports it
  // as RuntimeReady=false). Cheap: kubelet polls it.
  virtual absl::Status Ready() const = 0;
  // A short description of the machinery for logs and Status(verbose),
  // e.g. "runc /usr/sbin/runc".
  virtual std::string Describe() const = 0;
};

}  // namespace silo::runtime::handler
