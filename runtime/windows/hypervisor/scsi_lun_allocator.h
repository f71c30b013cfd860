#pragma once
// ScsiLunAllocator: the hot-plug LUNs (1..63) of a utility VM's SCSI
// controller 0; LUN 0 is the VM's own scratch. The lowest free LUN goes
// first, so a freed LUN is reused. Not thread-safe.

#include <bitset>
#include <cstdint>

#include "absl/status/statusor.h"
#include "runtime/windows/hypervisor/scsi_disk.h"

namespace silo::runtime::windows::hypervisor {

class ScsiLunAllocator {
 public:
  // ResourceExhausted when all 63 are taken.
  absl::StatusOr<uint32_t> Allocate();
  // FailedPrecondition for a LUN that is not allocated (or 0).
  absl::Status Free(uint32_t lun);
  // Recovery: marks a LUN a previous silod attached. FailedPrecondition
  // when it is 0, out of range or taken.
  absl::Status Reserve(uint32_t lun);
  int in_use() const { return static_cast<int>(used_.count()); }

 private:
  std::bitset<kScsiLunsPerController> used_;  // bit 0 stays clear: never handed out
};

}  // namespace silo::runtime::windows::hypervisor
