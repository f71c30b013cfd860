#include "runtime/windows/hypervisor/hypervisor_handler.h"

#include <set>

#include "absl/strings/str_cat.h"
#include "runtime/handler/assembled_handler.h"
#include "runtime/windows/handler/windows_handlers.h"
#include "runtime/windows/hypervisor/hypervisor_stats_source.h"

namespace silo::runtime::windows::hypervisor {
namespace {

absl::Status Missing(const char* what) {
  return absl::FailedPreconditionError(absl::StrCat("handler type \"", kHypervisorHandlerType, "\": ", what));
}

}  // namespace

std::string HypervisorStateDir(const WindowsHandlerParts& parts) {
  if (!parts.hypervisor.sandbox.state_dir.empty()) return parts.hypervisor.sandbox.state_dir;
  return absl::StrCat(parts.sandbox.state_dir, "/hypervisor");
}

absl::StatusOr<std::unique_ptr<handler::RuntimeHandler>> NewHypervisorHandler(const handler::HandlerSpec& spec,
                                                                              const WindowsHandlerParts& parts,
                                                                              std::shared_ptr<PodVms> pods) {
  const HypervisorParts& hv = parts.hypervisor;
  if (parts.hcn == nullptr) return Missing("the HCN API table is not wired");
  if (!hv.sandbox.prepare_vm || !hv.sandbox.release_vm) return Missing("no utility VM image is wired");
  if (!hv.prepare_layers || !hv.release_layers) return Missing("no layer store for hosted containers is wired");
  const std::set<std::string> owners = {hv.sandbox.owner, hv.container_owner, parts.containers.owner,
                                        parts.sandbox.owner};
  if (owners.size() != 4) {
    return Missing("utility VMs, hosted containers, process-isolated containers and pause systems need four "
                   "different HCS owners, or recovery would take one for another's leak");
  }
  HypervisorSandboxHostOptions so = hv.sandbox;
  so.state_dir = HypervisorStateDir(parts);
  if (spec.uvm_memory_mb != 0) so.defaults.memory_size_in_mb = spec.uvm_memory_mb;
  if (spec.uvm_processors != 0) so.defaults.processor_count = spec.uvm_processors;

  HypervisorContainerHostOptions co;
  co.containers = parts.containers;
  co.containers.owner = hv.container_owner;
  co.containers.state_dir = absl::StrCat(parts.containers.state_dir, "/hypervisor");
  co.prepare_layers = hv.prepare_layers;
  co.release_layers = hv.release_layers;

  handler::HandlerParts hp;
  hp.description = absl::StrCat("Hyper-V isolation (experimental): a utility VM per pod, ",
                                so.defaults.memory_size_in_mb, " MiB and ", so.defaults.processor_count,
                                " processors unless the pod's annotations say otherwise");
  hp.sandboxes = std::make_unique<HypervisorSandboxHost>(parts.hcs, parts.hcn, parts.jobs, pods, std::move(so));
  hp.containers = NewHypervisorContainerHost(parts.hcs, std::move(pods), std::move(co));
  hp.streaming = parts.make_streaming();
  // The VM and its containers through HCS; network and scratch as for process isolation.
  hp.stats = std::make_unique<HypervisorStatsSource>(parts.hcs, parts.make_stats());
  hp.ready = parts.ready;
  return std::unique_ptr<handler::RuntimeHandler>(std::make_unique<handler::AssembledHandler>(std::move(hp)));
}

}  // namespace silo::runtime::windows::hypervisor
