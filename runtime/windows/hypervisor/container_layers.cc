#include "runtime/windows/hypervisor/container_layers.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hypervisor/modify_request.h"
#include "runtime/windows/hypervisor/scsi_disk.h"
#include "runtime/windows/hypervisor/uvm_modify.h"
#include "runtime/windows/hypervisor/vm_access.h"
#include "runtime/windows/hypervisor/vsmb_share.h"

namespace silo::runtime::windows::hypervisor {

absl::StatusOr<std::unique_ptr<ContainerLayers>> ContainerLayers::Mount(const hcs::HcsApi& api,
                                                                        hcs::ComputeSystem& vm, UvmDevices& devices,
                                                                        const std::vector<HostLayer>& layers,
                                                                        const std::string& scratch_vhd_path,
                                                                        hcs::Deadline deadline) {
  if (layers.empty()) return absl::InvalidArgumentError("a container needs at least its base layer");
  for (const HostLayer& layer : layers) {
    if (!IsGuidString(layer.id) || !IsAbsoluteWindowsPath(layer.host_path)) {
      return absl::InvalidArgumentError(
          absl::StrCat("layer '", layer.host_path, "' (id '", layer.id, "') needs a GUID id and an absolute path"));
    }
  }
  if (!IsAbsoluteWindowsPath(scratch_vhd_path)) {
    return absl::InvalidArgumentError(absl::StrCat("scratch '", scratch_vhd_path, "' is not an absolute path"));
  }
  std::unique_ptr<ContainerLayers> mounted(new ContainerLayers(api, vm, devices));
  mounted->deadline_ = deadline;
  absl::Status s = mounted->DoMount(layers, scratch_vhd_path, deadline);
  if (s.ok()) return mounted;
  return mounted->undo_.Rollback(s);
}

ContainerLayers::~ContainerLayers() { undo_.Dismiss(); }

absl::StatusOr<std::unique_ptr<ContainerLayers>> ContainerLayers::Adopt(const hcs::HcsApi& api,
                                                                        hcs::ComputeSystem& vm, UvmDevices& devices,
                                                                        const MountedLayers& mounted) {
  if (mounted.shares.empty() || !IsAbsoluteWindowsPath(mounted.scratch_vhd_path) || mounted.lun == 0) {
    return absl::InvalidArgumentError("a mount record needs its shares, its scratch and a LUN");
  }
  std::unique_ptr<ContainerLayers> adopted(new ContainerLayers(api, vm, devices));
  // The devices change only once every piece is taken, so a clash leaves them as they were.
  UvmDevices before = devices;
  absl::Status s = devices.luns.Reserve(mounted.lun);
  for (size_t i = 0; s.ok() && i < mounted.shares.size(); ++i) {
    s = devices.shares.Adopt(mounted.shares[i].layer.host_path, mounted.shares[i].name);
  }
  if (!s.ok()) {
    devices = std::move(before);
    return s;
  }
  for (const MountedLayers::Share& share : mounted.shares) {
    adopted->PushShareRelease(share.layer.host_path);
    adopted->guest_layers_.push_back({share.layer.id, VsmbGuestPath(share.name)});
  }
  adopted->mounted_ = mounted;
  adopted->lun_ = mounted.lun;
  adopted->root_ = ScsiGuestMountPath(mounted.lun);
  adopted->PushRevoke(mounted.scratch_vhd_path);
  adopted->PushLunFree();
  adopted->PushDetach();
  adopted->PushGuestUnmount();
  adopted->PushCombinedLayersRemoval();
  return adopted;
}

absl::Status ContainerLayers::AddShare(const HostLayer& layer, hcs::Deadline deadline) {
  VsmbShareSet::Acquired share = devices_.shares.Acquire(layer.host_path);
  if (share.first) {
    absl::Status added =
        ModifyUvm(vm_, BuildVsmbAddRequest(share.name, layer.host_path, devices_.vsmb_no_direct_map), deadline);
    if (!added.ok()) {
      devices_.shares.Forget(layer.host_path);
      return added;
    }
  }
  PushShareRelease(layer.host_path);
  guest_layers_.push_back({layer.id, share.guest_path});
  mounted_.shares.push_back({layer, share.name});
  return absl::OkStatus();
}

void ContainerLayers::PushShareRelease(const std::string& host_path) {
  undo_.Push(absl::StrCat("releasing VSMB share of ", host_path), [this, host_path] {
    absl::StatusOr<VsmbShareSet::Released> released = devices_.shares.Release(host_path);
    if (!released.ok()) return released.status();
    if (!released->last) return absl::OkStatus();
    return ModifyUvm(vm_, BuildVsmbRemoveRequest(released->name), deadline_);
  });
}

void ContainerLayers::PushRevoke(const std::string& scratch) {
  undo_.Push(absl::StrCat("revoking access to ", scratch), [this, scratch] {
    return RevokeVmAccess(api_, vm_.id(), scratch);
  });
}

void ContainerLayers::PushLunFree() {
  undo_.Push(absl::StrCat("freeing LUN ", lun_), [this] { return devices_.luns.Free(lun_); });
}

void ContainerLayers::PushDetach() {
  undo_.Push(absl::StrCat("detaching LUN ", lun_), [this] {
    return ModifyUvm(vm_, BuildScsiDetachRequest(lun_), deadline_);
  });
}

void ContainerLayers::PushGuestUnmount() {
  undo_.Push(absl::StrCat("unmounting LUN ", lun_, " in the guest"), [this] {
    return ModifyUvm(vm_, BuildScsiGuestUnmountRequest(lun_), deadline_);
  });
}

void ContainerLayers::PushCombinedLayersRemoval() {
  undo_.Push(absl::StrCat("removing combined layers at ", root_), [this] {
    return ModifyUvm(vm_, BuildCombinedLayersRemoveRequest(root_), deadline_);
  });
}

absl::Status ContainerLayers::DoMount(const std::vector<HostLayer>& layers, const std::string& scratch,
                                      hcs::Deadline deadline) {
  for (const HostLayer& layer : layers) {
    if (absl::Status s = AddShare(layer, deadline); !s.ok()) return s;
  }
  mounted_.scratch_vhd_path = scratch;

  if (absl::Status s = GrantVmAccess(api_, vm_.id(), scratch); !s.ok()) return s;
  PushRevoke(scratch);

  absl::StatusOr<uint32_t> lun = devices_.luns.Allocate();
  if (!lun.ok()) return lun.status();
  lun_ = mounted_.lun = *lun;
  PushLunFree();

  if (absl::Status s = ModifyUvm(vm_, BuildScsiAttachRequest(lun_, scratch), deadline); !s.ok()) return s;
  PushDetach();

  if (absl::Status s = ModifyUvm(vm_, BuildScsiGuestMountRequest(lun_), deadline); !s.ok()) return s;
  PushGuestUnmount();

  root_ = ScsiGuestMountPath(lun_);
  if (absl::Status s = ModifyUvm(vm_, BuildCombinedLayersAddRequest(root_, guest_layers_), deadline); !s.ok()) {
    return s;
  }
  PushCombinedLayersRemoval();
  return absl::OkStatus();
}

absl::Status ContainerLayers::Release(hcs::Deadline deadline) {
  deadline_ = deadline;
  return undo_.Unwind();
}

}  // namespace silo::runtime::windows::hypervisor
