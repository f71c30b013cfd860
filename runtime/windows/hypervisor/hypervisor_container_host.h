#pragma once
// The ContainerHost of Hyper-V isolated pods: containers hosted in their
// pod's utility VM. EXPERIMENTAL, for the reason hypervisor_sandbox_host.h
// gives (HCS must relay the hosted container and its processes).
//
// It is the process-isolated HcsContainerHost (one silo-shim per container
// holding its compute system; start, kill, state, wait, exec, logs and
// recovery through the shim) with two parts swapped:
//   rootfs    the container's read-only layers become VSMB shares of the
//             pod's VM (reference counted across the pod's containers),
//             its scratch VHDX is attached on a free SCSI LUN and mounted in
//             the guest, and the guest combines the layers on it
//             (ContainerLayers); released in reverse when the container is
//             removed (or when its create fails), a share by its last user
//   document  the hosted container document (HostingSystemId = the VM),
//             built from the same input as a process-isolated one
// Each mount is added to the pod's record (pod_vm_record.h) once made, so a
// restarted silod (HypervisorSandboxHost::Reopen) can release it. A crash
// in the middle of a mount leaves devices only inside the VM, which go with
// it.
// Thread-safe: mounts of one pod are serialised by its PodVm's mutex.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "runtime/container/container_host.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs_container_host.h"
#include "runtime/windows/hypervisor/pod_vms.h"

namespace silo::runtime::windows::hypervisor {

// What the layer store gives a hosted container: its read-only layers on the
// host and a scratch VHDX that is not mounted on the host.
struct HostedRootfs {
  std::vector<HostLayer> layers;  // nearest parent first, base last
  std::string scratch_vhd_path;
};

struct HypervisorContainerHostOptions {
  // The process-isolated host's options (owner, state_dir, shims,
  // host_paths, call_timeout, host_cpu_count); its prepare_rootfs,
  // release_rootfs and build_document are replaced. The owner must differ
  // from the process-isolated containers' and the VMs'.
  HcsContainerHostOptions containers;
  // Required: the container's layers and scratch, and their release (idempotent).
  std::function<absl::StatusOr<HostedRootfs>(const container::CreateSpec& spec)> prepare_layers;
  std::function<absl::Status(const std::string& container_id)> release_layers;
};

// `api` is not owned and must outlive the host; `pods` is shared with the
// handler's sandbox host.
std::unique_ptr<container::ContainerHost> NewHypervisorContainerHost(const hcs::HcsApi* api,
                                                                     std::shared_ptr<PodVms> pods,
                                                                     HypervisorContainerHostOptions options);

}  // namespace silo::runtime::windows::hypervisor
