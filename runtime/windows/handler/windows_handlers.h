#pragma once
// The Windows handler types:
//   "process"      process-isolated pods (default name runhcs-wcow-process,
//                  as containerd's): WindowsSandboxHost (HCN namespace, pod
//                  Job Object, pause compute system) + HcsContainerHost
//   "hostprocess"  pods with windows.security_context.host_process, whatever
//                  handler they name (kubelet sends them to the default one):
//                  WindowsSandboxHost with no namespace and no pause (the pod
//                  Job Object only; no CNI, as the manager skips host-network
//                  pods) + the HostProcess container host
// Handlers of one type share the host objects their factory builds from
// `parts` (each configured handler gets its own instances over the same
// tables, state and owners, as the runc type does).

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "runtime/container/container_host.h"
#include "runtime/handler/registry.h"
#include "runtime/stats/stats_source.h"
#include "runtime/streaming/process_streaming.h"
#include "runtime/windows/hcs_container_host.h"
#include "runtime/windows/hcs_streaming/hcs_process_streaming.h"
#include "runtime/windows/hostprocess/hostprocess_container_host.h"
#include "runtime/windows/hypervisor/hypervisor_parts.h"
#include "runtime/windows/sandbox/windows_sandbox_host.h"

namespace silo::runtime::windows {

inline constexpr char kProcessHandlerType[] = "process";
inline constexpr char kHostProcessHandlerType[] = "hostprocess";
inline constexpr char kDefaultProcessHandlerName[] = "runhcs-wcow-process";

struct WindowsHandlerParts {
  // The API tables (real: LoadHcsApi/LoadHcnApi/LoadJobApi; tests: the fakes).
  // Not owned; they outlive the registry.
  const hcs::HcsApi* hcs = nullptr;
  const network::hns::HcnApi* hcn = nullptr;
  const jobobject::JobApi* jobs = nullptr;
  // HostProcess containers' calls (real: LoadProcessApi); with it the
  // hostprocess type runs its containers in HostProcessContainerHost.
  const hostprocess::ProcessApi* processes = nullptr;
  hostprocess::HostProcessContainerHostOptions hostprocess;
  // Pods of the process type: sandbox image (config sandbox.image), holder
  // (sandbox.holder), pause layers, the marker dir. Its owner must differ
  // from containers.owner. The hostprocess type uses the same options with
  // namespaces and the pause turned off and its own marker dir
  // (<state_dir>/hostprocess).
  WindowsSandboxHostOptions sandbox;
  HcsContainerHostOptions containers;
  // The "hypervisor" type (experimental): utility VM boot files, hosted layers.
  hypervisor::HypervisorParts hypervisor;
  // Port-forward of the "process" type (dials the pod IP from the host) and
  // the "hostprocess" type (dials the host's 127.0.0.1); null: port-forward
  // to those pods is Unimplemented. Exec and attach of the process type go
  // through the containers' shims (HcsProcessStreaming).
  hcs_streaming::PortForwarder port_forward;
  // Per handler: its stats source and streaming (required; the process
  // type uses it only without containers.shims), and for the
  // hostprocess type a container host replacing HostProcessContainerHost
  // (tests). With neither it nor `processes` the type still claims
  // HostProcess pods, so they are never run process-isolated, but a
  // configured hostprocess handler fails at start-up, naming what is missing.
  std::function<std::unique_ptr<stats::StatsSource>()> make_stats;
  std::function<std::unique_ptr<streaming::ProcessStreaming>()> make_streaming;
  std::function<std::unique_ptr<container::ContainerHost>()> make_hostprocess_containers;
  // The host's readiness (the Containers feature, vmcompute, HNS, the layer
  // store): RuntimeReady of every handler of these types. Null = ready.
  std::function<absl::Status()> ready;
  // Not OK when the API tables could not be loaded (a host without the
  // Containers feature): the handlers then refuse every pod and container
  // with this status, report it as not ready, and need no other part.
  absl::Status unavailable;
};

// True when the pod asks for HostProcess (the claim of the hostprocess type).
bool IsHostProcessPod(const ::runtime::v1::PodSandboxConfig& config);

// Adds the "process", "hostprocess" and "hypervisor" types to `registry`.
void RegisterWindowsHandlerTypes(handler::HandlerRegistry& registry, const WindowsHandlerParts& parts);

}  // namespace silo::runtime::windows
