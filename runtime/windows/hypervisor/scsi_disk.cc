#include "runtime/windows/hypervisor/scsi_disk.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "runtime/windows/hypervisor/modify_request.h"

namespace silo::runtime::windows::hypervisor {
namespace {

using nlohmann::json;

absl::Status CheckHotplugLun(uint32_t lun) {
  if (lun == 0 || lun >= kScsiLunsPerController) {
    return absl::InvalidArgumentError(absl::StrCat("SCSI LUN ", lun, " is not a hot-plug LUN (1..",
                                                   kScsiLunsPerController - 1, "; 0 is the VM's scratch)"));
  }
  return absl::OkStatus();
}

std::string AttachmentPath(uint32_t lun) {
  return absl::StrCat("VirtualMachine/Devices/Scsi/", kScsiController0, "/Attachments/", lun);
}

// WCOWMappedVirtualDisk {ContainerPath, Lun} inside a guest ModificationRequest.
json GuestMapping(const char* request_type, uint32_t lun) {
  return GuestOnlyModify(GuestModification(
      request_type, "MappedVirtualDisk", json{{"ContainerPath", ScsiGuestMountPath(lun)}, {"Lun", lun}}));
}

}  // namespace

json VirtualDiskAttachment(const std::string& vhd_path) { return {{"Path", vhd_path}, {"Type", "VirtualDisk"}}; }

std::string ScsiGuestMountPath(uint32_t lun) { return absl::StrCat("c:\\mounts\\scsi\\m", lun); }

absl::StatusOr<std::string> BuildScsiAttachRequest(uint32_t lun, const std::string& vhd_path) {
  if (absl::Status s = CheckHotplugLun(lun); !s.ok()) return s;
  if (!IsAbsoluteWindowsPath(vhd_path)) {
    return absl::InvalidArgumentError(absl::StrCat("SCSI disk '", vhd_path, "' is not an absolute path"));
  }
  return Serialize(HostModify(kRequestAdd, AttachmentPath(lun), VirtualDiskAttachment(vhd_path)));
}

absl::StatusOr<std::string> BuildScsiDetachRequest(uint32_t lun) {
  if (absl::Status s = CheckHotplugLun(lun); !s.ok()) return s;
  return Serialize(HostModify(kRequestRemove, AttachmentPath(lun)));
}

absl::StatusOr<std::string> BuildScsiGuestMountRequest(uint32_t lun) {
  if (absl::Status s = CheckHotplugLun(lun); !s.ok()) return s;
  return Serialize(GuestMapping(kRequestAdd, lun));
}

absl::StatusOr<std::string> BuildScsiGuestUnmountRequest(uint32_t lun) {
  if (absl::Status s = CheckHotplugLun(lun); !s.ok()) return s;
  return Serialize(GuestMapping(kRequestRemove, lun));
}

}  // namespace silo::runtime::windows::hypervisor
