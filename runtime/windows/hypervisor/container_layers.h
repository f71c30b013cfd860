#pragma once
// The root file system of one container inside a utility VM, mounted and
// released symmetrically, after hcsshim internal/layers/wcow_mount.go
// (mountHypervIsolatedWCIFSLayers and wcowIsolatedWCIFSLayerCloser):
//
//   Mount:   each read-only layer -> a VSMB share (reference counted: only
//            the first user adds it) ─> the VM is granted the scratch VHDX
//            ─> scratch attached on a free SCSI LUN ─> mounted by the guest
//            ─> guest CombinedLayers builds the root at the mount
//   Release: the same steps undone, last first; a share is removed only by
//            its last user.
//
// A failed Mount undoes what it did and leaves the VM's share set and LUNs
// as it found them. The hosted container's document then uses
// guest_layers() and root() (hosted_container_document.h).
// Not thread-safe: the pod's owner serialises its containers' mounts.

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runtime/windows/hcs/api.h"
#include "runtime/windows/hcs/compute_system.h"
#include "runtime/windows/hypervisor/cleanup_stack.h"
#include "runtime/windows/hypervisor/combined_layers.h"
#include "runtime/windows/hypervisor/scsi_lun_allocator.h"
#include "runtime/windows/hypervisor/vsmb_share_set.h"

namespace silo::runtime::windows::hypervisor {

// What one utility VM has handed out to its containers.
struct UvmDevices {
  VsmbShareSet shares;
  ScsiLunAllocator luns;
  bool vsmb_no_direct_map = false;  // fully physically backed, or turned off
};

// A read-only layer on the host.
struct HostLayer {
  std::string id;         // layer GUID
  std::string host_path;  // its folder
};

// What a mount holds: enough for a restarted silod to release it (Adopt).
struct MountedLayers {
  struct Share {
    HostLayer layer;
    std::string name;  // the VSMB share's name in the VM
  };
  std::vector<Share> shares;  // nearest parent first, base last
  std::string scratch_vhd_path;
  uint32_t lun = 0;
};

class ContainerLayers {
 public:
  // `layers` nearest parent first, base last. `vm` and `devices` must outlive
  // the result. The failing step's status after a full undo (a failed undo
  // is appended to the message).
  static absl::StatusOr<std::unique_ptr<ContainerLayers>> Mount(const hcs::HcsApi& api, hcs::ComputeSystem& vm,
                                                                UvmDevices& devices,
                                                                const std::vector<HostLayer>& layers,
                                                                const std::string& scratch_vhd_path,
                                                                hcs::Deadline deadline);
  // Recovery: takes over a mount a previous silod made in `vm` (re-opened),
  // recording its shares and LUN in `devices` without sending a request,
  // so that Release undoes it as Mount's owner would have. InvalidArgument
  // for a malformed record, FailedPrecondition when it clashes with what
  // `devices` holds (then `devices` is left as it was).
  static absl::StatusOr<std::unique_ptr<ContainerLayers>> Adopt(const hcs::HcsApi& api, hcs::ComputeSystem& vm,
                                                                UvmDevices& devices, const MountedLayers& mounted);
  // Not released: nothing is undone (the VM keeps the mounts, as after a
  // silod restart); Release must be called to take them down.
  ~ContainerLayers();
  ContainerLayers(const ContainerLayers&) = delete;
  ContainerLayers& operator=(const ContainerLayers&) = delete;

  const std::vector<GuestLayer>& guest_layers() const { return guest_layers_; }
  const std::string& root() const { return root_; }
  uint32_t lun() const { return lun_; }
  const MountedLayers& mounted() const { return mounted_; }

  // Every step runs even if one fails; idempotent.
  absl::Status Release(hcs::Deadline deadline);

 private:
  ContainerLayers(const hcs::HcsApi& api, hcs::ComputeSystem& vm, UvmDevices& devices)
      : api_(api), vm_(vm), devices_(devices) {}
  absl::Status DoMount(const std::vector<HostLayer>& layers, const std::string& scratch, hcs::Deadline deadline);
  absl::Status AddShare(const HostLayer& layer, hcs::Deadline deadline);
  // Each pushes the undo of one Mount step.
  void PushShareRelease(const std::string& host_path);
  void PushRevoke(const std::string& scratch);
  void PushLunFree();
  void PushDetach();
  void PushGuestUnmount();
  void PushCombinedLayersRemoval();

  const hcs::HcsApi& api_;
  hcs::ComputeSystem& vm_;
  UvmDevices& devices_;
  std::vector<GuestLayer> guest_layers_;
  std::string root_;
  MountedLayers mounted_;
  uint32_t lun_ = 0;
  CleanupStack undo_;
  hcs::Deadline deadline_{};  // what the undo actions use
};

}  // namespace silo::runtime::windows::hypervisor
