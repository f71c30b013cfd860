#pragma once
// Ends an HCS system (utility VM or hosted container) as the last word on
// it: a teardown shuts it down until `grace` and then terminates it until
// `deadline`; a rollback (graceful = false) terminates at once, since the
// system never ran anything worth a shutdown. The handle is closed either
// way. Already-stopped systems are fine.

#include "absl/status/status.h"
#include "runtime/windows/hcs/compute_system.h"

namespace silo::runtime::windows::hypervisor {

absl::Status StopAndClose(hcs::ComputeSystem& system, bool graceful, hcs::Deadline grace, hcs::Deadline deadline);

}  // namespace silo::runtime::windows::hypervisor
