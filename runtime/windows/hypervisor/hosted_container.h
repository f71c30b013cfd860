#pragma once
// HostedContainer: one container inside a pod's utility VM, over the HCS API
// table. HCS relays its creation to the guest (the VM was created with a
// GuestConnection), so the container is an HCS system of its own whose
// document names the VM (hosted_container_document.h).
//
//   Create: mount its layers (container_layers.h) ─> create the hosted
//           system ─> start it
//   Stop:   shut down until `grace` (the pod's grace period; hcsshim gives
//           30 s), then terminate ─> close ─> release the layers
//
// A failed Create undoes what it did, last first, and leaves the VM's
// shares and LUNs as it found them. Destroying a HostedContainer that was
// not stopped only closes its handle (recovery re-opens it).
// Not thread-safe: the pod's owner serialises its containers.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hypervisor/cleanup_stack.h"
#include "runtime/windows/hypervisor/container_layers.h"
#include "runtime/windows/hypervisor/hosted_container_document.h"

namespace silo::runtime::windows::hypervisor {

struct HostedContainerSpec {
  // spec.container_id is the HCS id. hosting_system_id, layers and
  // container_root_path are filled in from the VM and the mounted layers.
  HostedContainerInput document;
  std::vector<HostLayer> layers;  // nearest parent first, base last
  std::string scratch_vhd_path;   // the container's sandbox.vhdx
};

class HostedContainer {
 public:
  static absl::StatusOr<std::unique_ptr<HostedContainer>> Create(const hcs::HcsApi& api, hcs::ComputeSystem& vm,
                                                                 UvmDevices& devices, HostedContainerSpec spec,
                                                                 hcs::Deadline deadline);
  ~HostedContainer();
  HostedContainer(const HostedContainer&) = delete;
  HostedContainer& operator=(const HostedContainer&) = delete;

  hcs::ComputeSystem& system() { return *system_; }
  const ContainerLayers& layers() const { return *layers_; }

  // Every step runs even if one fails; idempotent.
  absl::Status Stop(hcs::Deadline grace, hcs::Deadline deadline);

 private:
  HostedContainer() = default;
  absl::Status Build(const hcs::HcsApi& api, hcs::ComputeSystem& vm, UvmDevices& devices, HostedContainerSpec spec,
                     hcs::Deadline deadline);

  std::string id_;
  std::unique_ptr<ContainerLayers> layers_;
  std::unique_ptr<hcs::ComputeSystem> system_;
  CleanupStack teardown_;
  hcs::Deadline grace_{};
  hcs::Deadline deadline_{};
  bool graceful_ = false;  // Stop shuts down first; a rollback terminates
};

}  // namespace silo::runtime::windows::hypervisor
