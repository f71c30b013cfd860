#include "runtime/windows/hypervisor/scsi_lun_allocator.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace silo::runtime::windows::hypervisor {

absl::StatusOr<uint32_t> ScsiLunAllocator::Allocate() {
  for (uint32_t lun = 1; lun < kScsiLunsPerController; ++lun) {
    if (!used_.test(lun)) {
      used_.set(lun);
      return lun;
    }
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("all ", kScsiLunsPerController - 1, " SCSI LUNs of the utility VM are in use"));
}

absl::Status ScsiLunAllocator::Reserve(uint32_t lun) {
  if (lun == 0 || lun >= kScsiLunsPerController || used_.test(lun)) {
    return absl::FailedPreconditionError(absl::StrCat("SCSI LUN ", lun, " cannot be reserved: out of range or taken"));
  }
  used_.set(lun);
  return absl::OkStatus();
}

absl::Status ScsiLunAllocator::Free(uint32_t lun) {
  if (lun == 0 || lun >= kScsiLunsPerController || !used_.test(lun)) {
    return absl::FailedPreconditionError(absl::StrCat("SCSI LUN ", lun, " is not allocated"));
  }
  used_.reset(lun);
  return absl::OkStatus();
}

}  // namespace silo::runtime::windows::hypervisor
