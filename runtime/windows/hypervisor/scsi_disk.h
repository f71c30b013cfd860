#pragma once
// SCSI disks of a Windows utility VM: the VM's own scratch (controller 0,
// LUN 0, in the create document) and each container's scratch VHDX,
// hot-added on a free LUN and then mounted by the guest. Mirrors hcsshim
// internal/uvm/scsi/backend.go (hcsHostBackend.attach/detach, mountRequest /
// unmountRequest for "windows") and internal/guestpath/paths.go. Pure
// builders; thread-safe.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace silo::runtime::windows::hypervisor {

// Controller keys are GUIDs, not "0": hcsshim names them with
// guestrequest.ScsiControllerGuids so that the document, the ResourcePath and
// the guest agree on which controller is which. WCOW uses controller 0 only.
inline constexpr char kScsiController0[] = "df6d0690-79e5-55b6-a5ec-c1e2f77f580a";
// Hyper-V's LUNs per controller; LUN 0 holds the VM's own scratch.
inline constexpr uint32_t kScsiLunsPerController = 64;

// {"Type":"VirtualDisk","Path":...}: an Attachment (attachment.go).
nlohmann::json VirtualDiskAttachment(const std::string& vhd_path);

// Where the guest mounts a LUN: c:\mounts\scsi\m<lun> (WCOWGlobalScsiMountPrefixFmt).
std::string ScsiGuestMountPath(uint32_t lun);

// Host side: hot-add / remove the VHDX at `lun` of controller 0.
// InvalidArgument for LUN 0 (the VM's scratch), a LUN past the controller,
// or a VHDX path that is not absolute.
absl::StatusOr<std::string> BuildScsiAttachRequest(uint32_t lun, const std::string& vhd_path);
absl::StatusOr<std::string> BuildScsiDetachRequest(uint32_t lun);

// Guest side, after the attach (before the detach): mount / unmount the
// disk's volume at ScsiGuestMountPath(lun) as a MappedVirtualDisk.
absl::StatusOr<std::string> BuildScsiGuestMountRequest(uint32_t lun);
absl::StatusOr<std::string> BuildScsiGuestUnmountRequest(uint32_t lun);

}  // namespace silo::runtime::windows::hypervisor
