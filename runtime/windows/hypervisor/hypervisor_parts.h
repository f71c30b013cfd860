#pragma once
// What the "hypervisor" handler type needs beyond the parts every Windows
// handler shares (WindowsHandlerParts): the utility VM's boot files and the
// hosted containers' layers. Sizing defaults come per handler from its
// config (HandlerSpec uvm_memory_mb, uvm_processors).

#include <functional>
#include <string>

#include "runtime/windows/hypervisor/hypervisor_container_host.h"
#include "runtime/windows/hypervisor/hypervisor_sandbox_host.h"

namespace silo::runtime::windows::hypervisor {

struct HypervisorParts {
  // owner, boot files (prepare_vm, release_vm), host_processor_count;
  // state_dir "" = <sandbox state dir>/hypervisor.
  HypervisorSandboxHostOptions sandbox;
  // HCS Owner of hosted containers: not the process-isolated containers'
  // (their recovery would take ours for leaks) nor the VMs'.
  std::string container_owner = "silo-hosted";
  std::function<absl::StatusOr<HostedRootfs>(const container::CreateSpec& spec)> prepare_layers;
  std::function<absl::Status(const std::string& container_id)> release_layers;
};

}  // namespace silo::runtime::windows::hypervisor
