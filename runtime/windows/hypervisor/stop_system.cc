#include "runtime/windows/hypervisor/stop_system.h"

#include "runtime/windows/hresult.h"

namespace silo::runtime::windows::hypervisor {

absl::Status StopAndClose(hcs::ComputeSystem& system, bool graceful, hcs::Deadline grace, hcs::Deadline deadline) {
  absl::Status s = graceful ? HrStatusToStatus(system.Stop(grace, deadline), "stopping", system.id())
                            : HrStatusToStatus(system.Terminate(deadline), "HcsTerminateComputeSystem", system.id());
  system.Close();
  return s;
}

}  // namespace silo::runtime::windows::hypervisor
